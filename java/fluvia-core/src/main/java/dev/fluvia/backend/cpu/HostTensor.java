package dev.fluvia.backend.cpu;

import dev.fluvia.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A tensor in off-heap host memory (an FFM {@link MemorySegment}), used by the CPU backend. */
public final class HostTensor extends Tensor {
    static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    final MemorySegment seg;

    HostTensor(MemorySegment seg, int[] shape) {
        super(shape);
        this.seg = seg;
    }

    public MemorySegment segment() { return seg; }
    public float get(long i) { return seg.getAtIndex(F, i); }
    public void set(long i, float v) { seg.setAtIndex(F, i, v); }
}
