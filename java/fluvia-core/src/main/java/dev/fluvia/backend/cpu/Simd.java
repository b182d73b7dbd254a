package dev.fluvia.backend.cpu;

/**
 * Whether the CPU backend may use the Vector API ({@code jdk.incubator.vector}). The vector kernels live in classes of their
 * own ({@link GemmVec}, {@link VecOps}) that are only touched when this says yes, so the backend still runs — on its scalar
 * kernels — on a JVM started without {@code --add-modules jdk.incubator.vector}.
 */
final class Simd {
    private Simd() {}

    /** True when the Vector API module is in the boot layer of this JVM. */
    static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** The default for new backends: available, unless the system property {@code fluvia.vector=false} turns it off. */
    static boolean enabledByDefault() {
        return AVAILABLE && !"false".equalsIgnoreCase(System.getProperty("fluvia.vector", "true").trim());
    }
}
