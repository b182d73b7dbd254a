package dev.fluvia.backend.cuda;

import dev.fluvia.tensor.Tensor;

/** A float32 tensor in device memory: a block of the CUDA backend's caching allocator plus a shape. */
public final class DeviceTensor extends Tensor implements DeviceAddress {
    final DeviceBlock block;
    /** The tensor this one is a view of (kept reachable so that its block is not recycled while the view lives), or null. */
    private final DeviceTensor base;

    DeviceTensor(DeviceBlock block, int[] shape) {
        super(shape);
        this.block = block;
        this.base = null;
    }

    /** A view: the same device memory as {@code base} under another shape with the same element count. */
    DeviceTensor(DeviceTensor base, int[] shape) {
        super(shape);
        this.block = base.block;
        this.base = base.base != null ? base.base : base;
    }

    /** The device address of element 0. */
    @Override public long address() { return block.address(); }
}
