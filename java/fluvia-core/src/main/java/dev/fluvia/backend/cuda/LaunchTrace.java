package dev.fluvia.backend.cuda;

import java.util.List;
import java.util.function.Consumer;

/**
 * An observer of every kernel launch the CUDA backend makes (kernel name, grid, block, dynamic shared memory and the Java
 * argument values in order), for tests: the emulated GPU suite checks each launch's arguments against the kernel's
 * {@code extern "C"} signature in kernels/*.cu (count, order, 4- and 8-byte types) and counts kernel coverage.
 * Off (one volatile read per launch) unless a test installs an observer.
 */
public final class LaunchTrace {
    /** One launch; {@code args} as given to the launch (a DeviceAddress: DeviceTensor, DeviceIndex, DeviceBlock or Address; Integer, …). */
    public record Launch(String kernel, int gridX, int gridY, int block, int sharedBytes, List<Object> args) {
        /** The kind of argument {@code i}: "ptr" (a device pointer), "int", "long long", "float" or "double". */
        public String kind(int i) {
            Object a = args.get(i);
            return switch (a) {
                case null -> "ptr";
                case DeviceAddress p -> "ptr";
                case Integer v -> "int";
                case Long v -> "long long";
                case Float v -> "float";
                case Double v -> "double";
                default -> a.getClass().getSimpleName();
            };
        }
    }

    private static volatile Consumer<Launch> observer;

    private LaunchTrace() {}

    /** Installs (or with null removes) the observer; it runs on the launching thread before the launch. */
    public static void install(Consumer<Launch> o) { observer = o; }

    static void launched(String kernel, int gridX, int gridY, int block, int sharedBytes, Object[] args) {
        Consumer<Launch> o = observer;
        if (o != null) o.accept(new Launch(kernel, gridX, gridY, block, sharedBytes, java.util.Arrays.asList(args.clone())));
    }
}
