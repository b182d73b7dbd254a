package dev.fluvia.cuda;

import dev.fluvia.FluviaException.BackendUnavailableException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds an NVIDIA shared library for the FFM bindings, in this order:
 * <ol>
 *   <li>an explicit path in a system property (e.g. {@code fluvia.cublas.path});</li>
 *   <li>each soname through the dynamic linker ({@code LD_LIBRARY_PATH}, {@code ldconfig} cache);</li>
 *   <li>pip wheels: when {@code fluvia.cuda.sitePackages} (property) or {@code FLUVIA_CUDA_SITE_PACKAGES} (env) names a Python
 *       site-packages directory, {@code nvidia/cu13/lib/<soname>} and {@code nvidia/<pkg>/lib/<soname>} beneath it.</li>
 * </ol>
 * When nothing loads, a {@link BackendUnavailableException} lists every place tried and why it failed.
 */
public final class NativeLibrary {
    /** System property naming a Python site-packages directory holding NVIDIA pip wheels. */
    public static final String SITE_PACKAGES_PROPERTY = "fluvia.cuda.sitePackages";
    /** Environment variable with the same meaning as {@link #SITE_PACKAGES_PROPERTY}. */
    public static final String SITE_PACKAGES_ENV = "FLUVIA_CUDA_SITE_PACKAGES";

    /** A loaded library and where it came from. */
    public record Loaded(SymbolLookup lookup, String source) {}

    private NativeLibrary() {}

    /**
     * @param what       human name for messages ("cuBLAS")
     * @param property   system property with an explicit path
     * @param sonames    names tried through the dynamic linker, in order
     * @param pipPackage the pip wheel's package directory under {@code nvidia/} for CUDA 12 wheels ("cublas")
     */
    public static Loaded load(String what, String property, List<String> sonames, String pipPackage) {
        List<String> tried = new ArrayList<>();
        Arena arena = Arena.global();
        String explicit = System.getProperty(property);
        if (explicit != null && !explicit.isBlank()) {
            try { return new Loaded(SymbolLookup.libraryLookup(Path.of(explicit), arena), explicit); }
            catch (RuntimeException e) { tried.add(property + "=" + explicit + " (" + brief(e) + ")"); }
        } else {
            tried.add("-D" + property + " (not set)");
        }
        for (String name : sonames) {
            try { return new Loaded(SymbolLookup.libraryLookup(name, arena), name); }
            catch (RuntimeException e) { tried.add(name + " (" + brief(e) + ")"); }
        }
        String sp = System.getProperty(SITE_PACKAGES_PROPERTY, System.getenv(SITE_PACKAGES_ENV));
        if (sp != null && !sp.isBlank()) {
            for (String sub : List.of("nvidia/cu13/lib", "nvidia/" + pipPackage + "/lib")) {
                for (String name : sonames) {
                    Path p = Path.of(sp).resolve(sub).resolve(name);
                    if (!Files.isRegularFile(p)) { tried.add(p + " (no such file)"); continue; }
                    try { return new Loaded(SymbolLookup.libraryLookup(p, arena), p.toString()); }
                    catch (RuntimeException e) { tried.add(p + " (" + brief(e) + ")"); }
                }
            }
        } else {
            tried.add("pip wheels (-D" + SITE_PACKAGES_PROPERTY + " / $" + SITE_PACKAGES_ENV + " not set)");
        }
        throw new BackendUnavailableException(what + " library not found; tried: " + String.join(", ", tried));
    }

    /** Whether the dynamic linker can load {@code soname} (used by the probe for libcuda; never throws). */
    public static boolean loadable(String soname) {
        try (Arena a = Arena.ofConfined()) {
            SymbolLookup.libraryLookup(soname, a);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String brief(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }
}
