package dev.fluvia.backend.cuda;

/** One device allocation of the caching allocator: a pointer and its rounded size in bytes. */
final class DeviceBlock {
    final DevicePtr ptr;
    final long bytes;

    DeviceBlock(DevicePtr ptr, long bytes) {
        this.ptr = ptr;
        this.bytes = bytes;
    }

    long address() { return ptr.address(); }
}
