package dev.fluvia.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.fluvia.backend.check.FamilyBench;
import dev.fluvia.backend.check.KernelCase;
import dev.fluvia.backend.check.KernelCheck;
import dev.fluvia.backend.cpu.CpuBackend;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The op families' validate-and-benchmark entries (CPU suite): every family that {@link Backend} exposes has entries, every
 * op of its interface has a parity entry and a bench entry, and the checker itself catches an unwritten (poisoned) element
 * and an element out of tolerance. The entries run against CUDA in {@code dev.fluvia.cuda.CudaParityTest} (emulated in every
 * build) and in {@code KernelBenchmark}.
 */
class FamilyEntriesTest {

    static Class<?> familyInterface(String name) {
        return Arrays.stream(Backend.class.getMethods()).filter(m -> m.getName().equals(name) && m.getParameterCount() == 0)
                .findFirst().orElseThrow(() -> new AssertionError("Backend has no accessor " + name + "()")).getReturnType();
    }

    static boolean covers(List<KernelCase> cs, String op) {
        return cs.stream().anyMatch(c -> c.op().equals(op) || c.op().startsWith(op + " "));
    }

    @Test void everyFamilyIsListedOnceAndEveryOpHasEntries() {
        List<String> problems = new ArrayList<>();
        TreeSet<String> listed = new TreeSet<>();
        for (FamilyBench fam : KernelCheck.FAMILIES) {
            if (!listed.add(fam.family())) problems.add(fam.family() + " listed twice");
            List<KernelCase> parity = fam.parity(new SplittableRandom(1)), bench = fam.bench(64, new SplittableRandom(2));
            for (Method m : familyInterface(fam.family()).getMethods()) {
                if (!covers(parity, m.getName())) problems.add(fam.family() + "." + m.getName() + ": no parity entry");
                if (!bench.stream().anyMatch(c -> c.op().startsWith(m.getName())))
                    problems.add(fam.family() + "." + m.getName() + ": no bench entry");
            }
        }
        for (String f : Arrays.stream(Backend.class.getMethods())
                .filter(m -> m.getParameterCount() == 0 && OpChecksTest.families().contains(m.getReturnType())).map(Method::getName).toList())
            if (!listed.contains(f)) problems.add(f + ": a Backend family without validate-and-benchmark entries in KernelCheck.FAMILIES");
        assertEquals(List.of(), problems);
    }

    @Test void entriesAgreeWithThemselvesOnTheCpu() {
        // scalar against vector CPU paths: the entries are well-formed (shapes, names) and deterministic
        try (CpuBackend a = new CpuBackend(1, false); CpuBackend b = new CpuBackend(2)) {
            for (FamilyBench fam : KernelCheck.FAMILIES)
                for (KernelCase c : fam.parity(new SplittableRandom(3))) assertFalse(KernelCheck.validate(c, a, b).isEmpty(), c.op());
        }
    }

    @Test void theCheckerCatchesUnwrittenAndWrongElements() {
        float[] ref = {1f, 2f, 3f};
        assertTrue(KernelCheck.compare("ok", ref, new float[] {1f, 2.00001f, 3f}, 1e-5, 1e-4).maxRatio() <= 1);
        KernelCheck.Mismatch nan = assertThrows(KernelCheck.Mismatch.class, () -> KernelCheck.compare("poison", ref, new float[] {1f, Float.NaN, 3f}, 1e-5, 1e-4));
        assertTrue(nan.getMessage().contains("not written"), nan.getMessage());
        KernelCheck.Mismatch off = assertThrows(KernelCheck.Mismatch.class, () -> KernelCheck.compare("off", ref, new float[] {1f, 2f, 3.01f}, 1e-5, 1e-4));
        assertTrue(off.getMessage().contains("element 2"), off.getMessage());
        // ±∞ (a log-density outside its support) must match exactly: −∞ = −∞ is no error, a finite value against −∞ is one
        float inf = Float.NEGATIVE_INFINITY;
        assertEquals(0.0, KernelCheck.compare("inf", new float[] {inf, 1f}, new float[] {inf, 1f}, 1e-5, 1e-4).maxRatio());
        assertThrows(KernelCheck.Mismatch.class, () -> KernelCheck.compare("inf vs finite", new float[] {inf}, new float[] {-1e30f}, 1e-5, 1e-4));
        assertThrows(KernelCheck.Mismatch.class, () -> KernelCheck.compare("finite vs inf", new float[] {-3f}, new float[] {inf}, 1e-5, 1e-4));
        assertThrows(KernelCheck.Mismatch.class, () -> KernelCheck.compare("sign", new float[] {inf}, new float[] {-inf}, 1e-5, 1e-4));
    }
}
