package dev.fluvia.backend.cuda;

/** One device allocation of the caching allocator: a pointer and its rounded size in bytes. */
final class DeviceBlock implements DeviceAddress {
    final DevicePtr ptr;
    final long bytes;

    DeviceBlock(DevicePtr ptr, long bytes) {
        this.ptr = ptr;
        this.bytes = bytes;
    }

    @Override public long address() { return ptr.address(); }
}
