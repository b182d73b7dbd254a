package dev.fluvia.cuda.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Runs last in the emulated GPU run (tests/pom.xml orders classes by {@link Order}): every launch the suite made matched its
 * kernel's signature, and every kernel of kernels/*.cu ran at least once — counted by the emulator itself
 * ({@code fluviaEmuCoverage} in the stand-in libcuda.so.1) and printed as one coverage line.
 */
@Tag("gpu")
@Order(Integer.MAX_VALUE)
class EmulatorCoverageTest {

    @Test void everyLaunchMatchedItsKernelSignature() {
        assumeTrue(EmulatedRun.active(), "launch checks are installed only in the emulated run (-Dfluvia.emulator=true)");
        if (fullRun()) assertTrue(EmulatedRun.LAUNCHES.size() > 0, "no kernel launch was observed");
        assertEquals(List.of(), EmulatedRun.MISMATCHES, "launches that do not match their kernel's extern \"C\" signature");
    }

    @Test void everyKernelRanOnTheEmulator() {
        assumeTrue(EmulatedRun.active(), "coverage is counted only in the emulated run (-Dfluvia.emulator=true)");
        assertTrue(Emulator.active(), "libcuda.so.1 is not the Fluvia emulator (no fluviaEmuCoverage)");
        Map<String, Long> counts = Emulator.coverage();
        KernelSignatures sigs = KernelSignatures.read(KernelSignatures.repoRoot());
        List<String> never = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String k : sigs.kernels().keySet()) {
            long c = counts.getOrDefault(k, 0L);
            if (c == 0) never.add(k);
            line.append(line.isEmpty() ? "" : ", ").append(k).append('=').append(c);
        }
        int ran = sigs.kernels().size() - never.size();
        System.out.println("emulator coverage: " + ran + "/" + sigs.kernels().size() + " kernels ran (launches: " + line + ")");
        assumeTrue(fullRun(), "a filtered run (-Dtest=" + System.getProperty("fluvia.emu.testFilter") + ") need not run every kernel");
        assertEquals(List.of(), never, "kernels that never ran on the emulator");
        assertEquals(sigs.kernels().keySet(), counts.keySet(), "the emulator's registry and kernels/*.cu list the same kernels");
    }

    /** Whether the whole gpu group runs (no -Dtest filter; Maven leaves ${test} unexpanded when it is not set). */
    static boolean fullRun() {
        String filter = System.getProperty("fluvia.emu.testFilter", "");
        return filter.isBlank() || filter.startsWith("${");
    }
}
