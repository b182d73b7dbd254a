package dev.fluvia.backend.cuda;

/**
 * A device pointer as a kernel argument of a typed launcher (one per kernel, in the op families' {@code Cuda*} classes): a tensor, an index list, a scratch block,
 * or a raw {@link Address} (e.g. an offset into a scratch block). A null {@code DeviceAddress} is the null pointer.
 */
public sealed interface DeviceAddress permits DeviceTensor, DeviceIndex, DeviceBlock, DeviceAddress.Address {
    /** The device address. */
    long address();

    /** This address plus {@code bytes}. */
    default Address offset(long bytes) { return new Address(address() + bytes); }

    /** A raw device address. */
    record Address(long address) implements DeviceAddress {}
}
