package dev.fluvia.cuda.emu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
        String filter = System.getProperty("fluvia.emu.testFilter", "");
        if (filter.isBlank() || filter.startsWith("${")) assertTrue(EmulatedRun.LAUNCHES.size() > 0, "no kernel launch was observed");
        assertEquals(List.of(), EmulatedRun.MISMATCHES, "launches that do not match their kernel's extern \"C\" signature");
    }

    @Test void everyKernelRanOnTheEmulator() throws Throwable {
        assumeTrue(EmulatedRun.active(), "coverage is counted only in the emulated run (-Dfluvia.emulator=true)");
        Map<String, Long> counts = emulatorCoverage();
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
        String filter = System.getProperty("fluvia.emu.testFilter", "");
        assumeTrue(filter.isBlank() || filter.startsWith("${"), "a filtered run (-Dtest=" + filter + ") need not run every kernel");
        assertEquals(List.of(), never, "kernels that never ran on the emulator");
        assertEquals(sigs.kernels().keySet(), counts.keySet(), "the emulator's registry and kernels/*.cu list the same kernels");
    }

    /** name → launches, from the emulator's libcuda.so.1. */
    static Map<String, Long> emulatorCoverage() throws Throwable {
        SymbolLookup lib = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        Optional<MemorySegment> sym = lib.find("fluviaEmuCoverage");
        assertTrue(sym.isPresent(), "libcuda.so.1 is not the Fluvia emulator (no fluviaEmuCoverage)");
        MethodHandle h = Linker.nativeLinker().downcallHandle(sym.get(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            int need = (int) h.invokeExact(MemorySegment.NULL, 0);
            MemorySegment buf = a.allocate(need + 1L);
            int got = (int) h.invokeExact(buf, need + 1);
            assertTrue(got <= need + 1, "coverage grew while reading it");
            Map<String, Long> out = new LinkedHashMap<>();
            for (String l : buf.getString(0).split("\n")) {
                String[] p = l.trim().split("\\s+");
                if (p.length == 2) out.put(p[0], Long.parseLong(p[1]));
            }
            return out;
        }
    }
}
