package dev.fluvia.backend.cuda;

import dev.fluvia.tensor.Tensor;

/** A float32 tensor in device memory: a block of the CUDA backend's caching allocator plus a shape. */
public final class DeviceTensor extends Tensor {
    final DeviceBlock block;

    DeviceTensor(DeviceBlock block, int[] shape) {
        super(shape);
        this.block = block;
    }

    /** The device address of element 0. */
    public long address() { return block.address(); }
}
