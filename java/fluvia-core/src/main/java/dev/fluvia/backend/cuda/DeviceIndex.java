package dev.fluvia.backend.cuda;

import dev.fluvia.tensor.Index;

/**
 * An int32 index list in device memory. {@link #distinct} says whether no value repeats (then scatterAdd can run one
 * thread per element); {@link #inverse} is the inverse permutation, uploaded on first use by the LU backward.
 */
final class DeviceIndex extends Index implements DeviceAddress {
    final DeviceBlock block;
    final boolean distinct;
    DeviceBlock inverse;

    DeviceIndex(int[] values, DeviceBlock block) {
        super(values);
        this.block = block;
        boolean[] seen = new boolean[values.length == 0 ? 1 : java.util.Arrays.stream(values).max().orElse(0) + 1];
        boolean ok = true;
        for (int v : values) {
            if (v < 0 || v >= seen.length) { ok = false; break; }
            if (seen[v]) { ok = false; break; }
            seen[v] = true;
        }
        this.distinct = ok;
    }

    @Override public long address() { return block.address(); }
}
