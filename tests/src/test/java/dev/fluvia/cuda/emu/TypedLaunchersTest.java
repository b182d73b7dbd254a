package dev.fluvia.cuda.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cuda.DeviceAddress;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The typed CUDA launchers (CPU suite): each op family's CUDA class ({@code dev.fluvia.backend.<family>.Cuda<Family>}) has
 * exactly one method per {@code extern "C" __global__} kernel of its kernels/&lt;family&gt;.cu, named like the kernel, whose parameters after the leading
 * {@code Launch} mirror the C signature in order and in type (pointer ↔ {@link DeviceAddress}, int ↔ int,
 * long long ↔ long, float ↔ float, double ↔ double); each launches the kernel it is named after; and no other class of
 * the CUDA backend launches a kernel by name. The comparison is shown to catch planted mismatches.
 */
class TypedLaunchersTest {
    static final KernelSignatures SIGS = KernelSignatures.read(KernelSignatures.repoRoot());


    /** The Java parameter type that mirrors a C parameter kind. */
    static Class<?> javaType(String kind) {
        return switch (kind) {
            case "ptr" -> DeviceAddress.class;
            case "int", "uint" -> int.class;
            case "long long", "unsigned long long" -> long.class;
            case "float" -> float.class;
            case "double" -> double.class;
            default -> throw new IllegalArgumentException("no Java type for C kind " + kind);
        };
    }

    /**
     * Problems of {@code launchers} against {@code kernels} (empty when they match): a launcher is a declared method
     * whose first parameter is a type named {@code Launch}; every kernel needs exactly one, with the kernel's parameters
     * after the {@code Launch} in order and type; a launcher with no kernel of its name is a problem too.
     */
    static List<String> compare(Class<?> launchers, Collection<KernelSignatures.Kernel> kernels) {
        List<String> problems = new ArrayList<>();
        Map<String, List<Method>> byName = new LinkedHashMap<>();
        Stream.of(launchers.getDeclaredMethods())
                .filter(m -> !m.isSynthetic() && !Modifier.isStatic(m.getModifiers()))
                .filter(m -> m.getParameterCount() > 0 && m.getParameterTypes()[0].getSimpleName().equals("Launch"))
                .sorted(Comparator.comparing(Method::getName))
                .forEach(m -> byName.computeIfAbsent(m.getName(), n -> new ArrayList<>()).add(m));
        Map<String, KernelSignatures.Kernel> wanted = new LinkedHashMap<>();
        for (KernelSignatures.Kernel k : kernels) wanted.put(k.name(), k);
        for (String name : byName.keySet())
            if (!wanted.containsKey(name)) problems.add(name + ": a launcher for no kernel of kernels/*.cu");
        for (KernelSignatures.Kernel k : wanted.values()) {
            List<Method> ms = byName.getOrDefault(k.name(), List.of());
            if (ms.size() != 1) {
                problems.add(k.name() + " (" + k.file() + "): " + ms.size() + " launchers, expected exactly one");
                continue;
            }
            Class<?>[] types = ms.get(0).getParameterTypes();
            if (types.length - 1 != k.params().size()) {
                problems.add(k.name() + " (" + k.file() + "): the launcher takes " + (types.length - 1) + " kernel arguments for "
                        + k.params().size() + " parameters " + k.params().stream().map(p -> p.kind() + " " + p.name()).toList());
                continue;
            }
            for (int i = 0; i < k.params().size(); i++) {
                KernelSignatures.Param p = k.params().get(i);
                Class<?> want = javaType(p.kind()), got = types[i + 1];
                if (!got.equals(want))
                    problems.add(k.name() + " (" + k.file() + "): parameter " + i + " (" + p.name() + ") is " + p.kind()
                            + ", the launcher takes " + got.getSimpleName() + " (expected " + want.getSimpleName() + ")");
            }
        }
        return problems;
    }

    static final Path BACKEND_SRC = KernelSignatures.repoRoot().resolve("java/fluvia-core/src/main/java/dev/fluvia/backend");

    /**
     * The class that holds the launchers of {@code kernels/<file>.cu}: the family's CUDA body
     * {@code dev.fluvia.backend.<family>.Cuda<Family>} (e.g. kernels/coupling.cu → {@code backend.coupling.CudaCoupling});
     * a kernel file without its family class fails.
     */
    static Class<?> launcherClass(String file) {
        String stem = file.replaceFirst("^kernels/", "").replaceFirst("\\.cu$", "");
        String fam = "dev.fluvia.backend." + stem + ".Cuda" + Character.toUpperCase(stem.charAt(0)) + stem.substring(1);
        try {
            return Class.forName(fam);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(file + " has no op family class " + fam + " to hold its typed launchers", e);
        }
    }

    /** The source file of a launcher class. */
    static Path sourceOf(Class<?> c) {
        return KernelSignatures.repoRoot().resolve("java/fluvia-core/src/main/java/" + c.getName().replace('.', '/') + ".java");
    }

    /** Kernels grouped by the class that must hold their launchers. */
    static Map<Class<?>, List<KernelSignatures.Kernel>> byLauncherClass() {
        Map<Class<?>, List<KernelSignatures.Kernel>> m = new LinkedHashMap<>();
        for (KernelSignatures.Kernel k : SIGS.kernels().values()) m.computeIfAbsent(launcherClass(k.file()), c -> new ArrayList<>()).add(k);
        return m;
    }

    @Test void everyKernelHasExactlyOneLauncherMirroringItsSignature() throws Exception {
        assertTrue(SIGS.kernels().size() >= 52, "kernels: " + SIGS.kernels().size());
        List<String> problems = new ArrayList<>();
        for (var e : byLauncherClass().entrySet())
            for (String p : compare(e.getKey(), e.getValue())) problems.add(e.getKey().getSimpleName() + ": " + p);
        assertEquals(List.of(), problems);
    }

    static final Pattern LAUNCHER_BODY = Pattern.compile("void (\\w+)\\(Launch \\w+[^)]*\\) \\{\\s*(?:cx\\.)?go\\(\"(\\w+)\"");

    @Test void eachLauncherLaunchesTheKernelItIsNamedAfter() throws Exception {
        List<String> wrong = new ArrayList<>();
        int n = 0;
        for (Class<?> c : byLauncherClass().keySet()) {
            Matcher m = LAUNCHER_BODY.matcher(Files.readString(sourceOf(c)));
            while (m.find()) {
                n++;
                if (!m.group(1).equals(m.group(2))) wrong.add(c.getSimpleName() + "." + m.group(1) + " launches " + m.group(2));
            }
        }
        assertEquals(SIGS.kernels().size(), n, "launcher bodies found in the launcher classes");
        assertEquals(List.of(), wrong);
    }

    @Test void noOtherClassLaunchesAKernelByName() throws IOException {
        // CudaRuntime.launch by name, or a launch helper given a kernel name: only inside a typed launcher's body
        Pattern byName = Pattern.compile("\\brt\\.launch\\(|\\b(?:elementwise|rows|launch|go)\\(\\s*\"");
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(BACKEND_SRC)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String name = BACKEND_SRC.relativize(f).toString();
                if (name.equals("cuda/CudaRuntime.java") || name.equals("cuda/CudaContext.java")) continue;
                String src = Files.readString(f);
                Matcher launchers = LAUNCHER_BODY.matcher(src);
                java.util.Set<Integer> allowed = new java.util.HashSet<>();
                while (launchers.find()) allowed.add(src.substring(0, launchers.end()).split("\n", -1).length);
                String[] lines = src.split("\n");
                for (int i = 0; i < lines.length; i++) {
                    boolean inLauncher = allowed.contains(i + 1);
                    if (byName.matcher(lines[i]).find() && !inLauncher) found.add(name + ":" + (i + 1) + ": " + lines[i].trim());
                }
            }
        }
        assertEquals(List.of(), found, "kernel launches by name outside the typed launchers");
    }

    // ------------------------------------------------------------------ planted mismatches

    /** A planted launcher class with mistakes of every kind the comparison must report. */
    @SuppressWarnings("unused")
    static final class Planted {
        record Launch(int gridX, int gridY, int block, int sharedBytes) {}

        /** fill(float* t, long long count, float value): count planted as int. */
        void fill(Launch launch, DeviceAddress t, int count, float value) {}

        /** scale(float* t, long long count, float s): the float is missing. */
        void scale(Launch launch, DeviceAddress t, long count) {}

        /** axpy(float a, float* x, float* y, long long count): correct, but twice. */
        void axpy(Launch launch, float a, DeviceAddress x, DeviceAddress y, long count) {}
        void axpy(Launch launch, double a, DeviceAddress x, DeviceAddress y, long count) {}

        /** sumFinalize(double* part, int count, double* out): pointer and int swapped. */
        void sumFinalize(Launch launch, int count, DeviceAddress part, DeviceAddress out) {}

        /** adamaxUpdate(…, double bc1): float for double. */
        void adamaxUpdate(Launch launch, DeviceAddress p, DeviceAddress g, DeviceAddress m, DeviceAddress u, long count,
                          float lr, float beta1, float beta2, float eps, float bc1) {}

        /** A launcher for no kernel. */
        void noSuchKernel(Launch launch, DeviceAddress x) {}

        /** Correct: applyMask(float* w, float* mask, float* out, long long count). */
        void applyMask(Launch launch, DeviceAddress w, DeviceAddress mask, DeviceAddress out, long count) {}

        /** Not a launcher (no leading Launch): ignored. */
        void helper(int x) {}

        // gather has no launcher at all
    }

    /** A kernel's name and file as the comparison reports them, e.g. "gather (kernels/coupling.cu)". */
    static String at(String kernel) { return kernel + " (" + SIGS.kernel(kernel).file() + ")"; }

    @Test void plantedMismatchesAreReported() {
        List<KernelSignatures.Kernel> ks = Stream.of("fill", "scale", "axpy", "sumFinalize", "adamaxUpdate", "applyMask", "gather")
                .map(SIGS::kernel).toList();
        List<String> problems = compare(Planted.class, ks);
        String all = String.join("\n", problems);
        assertTrue(all.contains(at("fill") + ": parameter 1 (count) is long long, the launcher takes int"), all);
        assertTrue(all.contains(at("scale") + ": the launcher takes 2 kernel arguments for 3 parameters"), all);
        assertTrue(all.contains(at("axpy") + ": 2 launchers, expected exactly one"), all);
        assertTrue(all.contains(at("sumFinalize") + ": parameter 0 (part) is ptr, the launcher takes int"), all);
        assertTrue(all.contains(at("sumFinalize") + ": parameter 1 (count) is int, the launcher takes DeviceAddress"), all);
        assertTrue(all.contains(at("adamaxUpdate") + ": parameter 9 (bc1) is double, the launcher takes float"), all);
        assertTrue(all.contains("noSuchKernel: a launcher for no kernel"), all);
        assertTrue(all.contains(at("gather") + ": 0 launchers, expected exactly one"), all);
        assertTrue(problems.stream().noneMatch(p -> p.startsWith("applyMask") || p.startsWith("helper")), all);
        assertEquals(8, problems.size(), all);
    }

    @Test void aSignatureEditedInTheSourceFailsItsLauncher() throws Exception {
        // the real fill(float*, long long, float) matches its launcher; an edited source (int count) no longer does
        String edited = "extern \"C\" __global__ void fill(float* __restrict__ t, int count, float value) {}";
        KernelSignatures.Kernel real = SIGS.kernel("fill");
        KernelSignatures.Kernel after = KernelSignatures.parse(edited, real.file()).get(0);
        Class<?> holder = launcherClass(real.file());
        assertEquals(List.of(), compare(holder, List.of(real)).stream().filter(p -> p.startsWith("fill")).toList());
        List<String> problems = compare(holder, List.of(after)).stream().filter(p -> p.startsWith("fill")).toList();
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains("parameter 1 (count) is int, the launcher takes long"), problems.get(0));
    }
}
