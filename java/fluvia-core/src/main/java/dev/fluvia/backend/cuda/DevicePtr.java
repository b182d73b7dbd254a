package dev.fluvia.backend.cuda;

import jcuda.driver.CUdeviceptr;

/** A JCuda device pointer that also exposes its raw address (for kernel arguments and the FFM-bound cuBLAS/cuRAND). */
final class DevicePtr extends CUdeviceptr {
    /** The device address (valid after cuMemAlloc filled this pointer). */
    long address() { return getNativePointer(); }
}
