package dev.fluvia.cuda.emu;

import dev.fluvia.backend.cuda.LaunchTrace;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installed for every test session (META-INF/services); active only in the emulated GPU run ({@code -Dfluvia.emulator=true},
 * set by tests/pom.xml's emulated-gpu execution): checks EVERY kernel launch the CUDA backend makes against the kernel's
 * signature in kernels/*.cu and counts launches per kernel. {@link EmulatorCoverageTest}, ordered last, asserts on both.
 */
public final class EmulatedRun implements LauncherSessionListener {
    static final List<String> MISMATCHES = new CopyOnWriteArrayList<>();
    static final Map<String, Integer> LAUNCHES = new TreeMap<>();
    static volatile KernelSignatures signatures;

    public static boolean active() { return Boolean.getBoolean("fluvia.emulator"); }

    @Override public void launcherSessionOpened(LauncherSession session) {
        if (!active()) return;
        signatures = KernelSignatures.read(KernelSignatures.repoRoot());
        LaunchTrace.install(l -> {
            for (String p : signatures.check(l)) if (MISMATCHES.size() < 100) MISMATCHES.add(p);
            synchronized (LAUNCHES) { LAUNCHES.merge(l.kernel(), 1, Integer::sum); }
        });
    }

    @Override public void launcherSessionClosed(LauncherSession session) { LaunchTrace.install(null); }
}
