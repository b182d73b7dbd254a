package dev.fluvia.cuda.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.cuda.LaunchTrace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The launch-signature check itself (CPU suite): the parser reads every kernel of kernels/*.cu, every kernel named at a
 * Java launch site exists, and planted mismatches (a wrong type, a wrong count, a signature edited in the source) are
 * caught. The emulated GPU run ({@link EmulatedRun}) applies the same check to every launch the backend makes.
 */
class KernelSignatureTest {
    static final KernelSignatures SIGS = KernelSignatures.read(KernelSignatures.repoRoot());

    @Test void parsesEveryKernelOfTheSources() throws IOException {
        int declared = 0;
        try (Stream<Path> files = Files.list(KernelSignatures.repoRoot().resolve("kernels"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu")).toList()) {
                Matcher m = Pattern.compile("extern \"C\" __global__").matcher(Files.readString(f));
                while (m.find()) declared++;
            }
        }
        assertEquals(declared, SIGS.kernels().size(), "every extern \"C\" __global__ kernel is parsed");
        assertTrue(SIGS.kernels().size() >= 52, "kernels: " + SIGS.kernels().size());
        for (KernelSignatures.Kernel k : SIGS.kernels().values())
            for (KernelSignatures.Param p : k.params())
                assertFalse(p.kind().startsWith("unknown"), k.name() + " parameter " + p.name() + ": " + p.kind());
        KernelSignatures.Kernel c = SIGS.kernel("affineCouplingForward");
        assertEquals(List.of("ptr", "ptr", "ptr", "int", "int", "int", "int", "float", "ptr", "ptr"),
                c.params().stream().map(KernelSignatures.Param::kind).toList());
        assertEquals(List.of("ptr", "ptr", "ptr", "int", "int", "ptr", "float", "ptr", "ptr", "ptr", "int", "int"),
                SIGS.kernel("mafInverse").params().stream().map(KernelSignatures.Param::kind).toList(), "__launch_bounds__ kernels parse too");
    }

    @Test void everyKernelNamedAtALaunchSiteExists() throws IOException {
        // the typed launchers (every op family's Cuda* class) launch by name (go("name", …)); any other launch site by name is caught too
        Pattern site = Pattern.compile("\\b(?:launch|elementwise|rows|go)\\(\\s*\"(\\w+)\"");
        Set<String> named = new TreeSet<>();
        Path dir = KernelSignatures.repoRoot().resolve("java/fluvia-core/src/main/java/dev/fluvia/backend");
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = site.matcher(Files.readString(f));
                while (m.find()) named.add(m.group(1));
            }
        }
        assertTrue(named.size() >= 52, "launch sites found: " + named);
        List<String> missing = new ArrayList<>();
        for (String n : named) if (SIGS.kernel(n) == null) missing.add(n);
        assertEquals(List.of(), missing, "kernels named at launch sites but absent from kernels/*.cu");
    }

    static LaunchTrace.Launch launch(String kernel, Object... args) {
        return new LaunchTrace.Launch(kernel, 1, 1, 128, 0, Arrays.asList(args));
    }

    @Test void aMatchingLaunchPasses() {
        // affineCouplingForward(x, h, b, n, d, k, mode, clamp, y, ld): nulls stand for device pointers
        assertEquals(List.of(), SIGS.check(launch("affineCouplingForward", null, null, null, 3, 4, 2, 0, 2f, null, null)));
        // a raw device address (Long) is accepted for a pointer parameter
        assertEquals(List.of(), SIGS.check(launch("columnSumAccumulate", 1234L, 2, 3, null)));
    }

    @Test void plantedMismatchesAreCaught() {
        List<String> wrongType = SIGS.check(launch("affineCouplingForward", null, null, null, 3L, 4, 2, 0, 2f, null, null));
        assertEquals(1, wrongType.size(), wrongType.toString());
        assertTrue(wrongType.get(0).contains("parameter 3 (n) is int, the launch passes long long"), wrongType.get(0));

        List<String> swapped = SIGS.check(launch("affineCouplingForward", null, null, null, 3, 4, 2, 0, null, 2f, null));
        assertEquals(2, swapped.size(), "a float and a pointer in swapped order: " + swapped);

        List<String> count = SIGS.check(launch("fill", null, 10L));
        assertTrue(count.size() == 1 && count.get(0).contains("2 arguments for 3 parameters"), count.toString());

        List<String> floatForDouble = SIGS.check(launch("adamaxUpdate", null, null, null, null, 5L, 1f, 0.9f, 0.99f, 1e-8f, 0.1f));
        assertTrue(floatForDouble.size() == 1 && floatForDouble.get(0).contains("(bc1) is double"), floatForDouble.toString());

        assertTrue(SIGS.check(launch("noSuchKernel")).get(0).contains("no such kernel"));
    }

    @Test void aSignatureEditedInTheSourceFailsTheLaunchThatMatchedIt() {
        String source = "extern \"C\" __global__ void fill(float* __restrict__ t, long long count, float value) {}";
        String edited = source.replace("long long count", "int count");
        KernelSignatures.Kernel before = KernelSignatures.parse(source, "x.cu").get(0), after = KernelSignatures.parse(edited, "x.cu").get(0);
        assertEquals("long long", before.params().get(1).kind());
        assertEquals("int", after.params().get(1).kind());
        // the real signature accepts the backend's launch (Long count); the edited one rejects it
        assertEquals(List.of(), SIGS.check(launch("fill", null, 10L, 1f)));
        LaunchTrace.Launch l = launch("fill", null, 10L, 1f);
        boolean mismatch = !after.params().get(1).kind().equals(l.kind(1));
        assertTrue(mismatch, "an int parameter must not accept a long long argument");
    }
}
