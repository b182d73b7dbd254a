package dev.fluvia.cuda.emu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The emulator's test hooks (native/emu/fluvia_emu.h), reached through the loaded libcuda.so.1 when it is the emulator;
 * every method does nothing on a real driver.
 */
public final class Emulator {
    private Emulator() {}

    private static Optional<MemorySegment> symbol(String name) {
        try {
            return SymbolLookup.libraryLookup("libcuda.so.1", Arena.global()).find(name);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Whether libcuda.so.1 is the Fluvia emulator. */
    public static boolean active() { return symbol("fluviaEmuVersion").isPresent(); }

    /**
     * Sets the thread schedules every later launch runs under ("inorder", or e.g. "inorder,reverse,random"). Long training
     * runs use one schedule: the parity tests already run every kernel under all of them.
     */
    public static void schedules(String spec) {
        Optional<MemorySegment> s = symbol("fluviaEmuSetSchedules");
        if (s.isEmpty()) return;
        MethodHandle h = Linker.nativeLinker().downcallHandle(s.get(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        try (Arena a = Arena.ofConfined()) {
            h.invokeExact(a.allocateFrom(spec));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** name → launches of every kernel in the emulator's registry (fluviaEmuCoverage); empty on a real driver. */
    public static java.util.Map<String, Long> coverage() {
        Optional<MemorySegment> s = symbol("fluviaEmuCoverage");
        java.util.Map<String, Long> out = new java.util.LinkedHashMap<>();
        if (s.isEmpty()) return out;
        MethodHandle h = Linker.nativeLinker().downcallHandle(s.get(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        try (Arena a = Arena.ofConfined()) {
            int need = (int) h.invokeExact(MemorySegment.NULL, 0);
            MemorySegment buf = a.allocate(need + 1L);
            int got = (int) h.invokeExact(buf, need + 1);
            if (got > need + 1) throw new IllegalStateException("coverage grew while reading it");
            for (String l : buf.getString(0).split("\n")) {
                String[] p = l.trim().split("\\s+");
                if (p.length == 2) out.put(p[0], Long.parseLong(p[1]));
            }
            return out;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The schedules the emulated run was started with (FLUVIA_EMU_SCHEDULES), to restore after {@link #schedules}. */
    public static String configuredSchedules() {
        String s = System.getenv("FLUVIA_EMU_SCHEDULES");
        return s == null || s.isBlank() ? "inorder,reverse,random" : s;
    }
}
