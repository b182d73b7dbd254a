package dev.fluvia.serve;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * Load, score, sample and close a model many times (as a service that reloads its model does): no thread, heap or
 * native-memory growth beyond a bound. docs/RELIABILITY.md gives the command.
 */
class ModelLifecycleLeakTest {
    static long rssKiB() throws java.io.IOException {
        for (String l : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status")))
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        return -1;
    }

    static long usedHeap() {
        System.gc();
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    @Test void repeatedLoadScoreCloseLeaksNothing() throws Exception {
        FlowModelTest.setUp();
        int cycles = Integer.getInteger("fluvia.leak.cycles", 150);
        float[] rows = java.util.Arrays.copyOf(FlowModelTest.points, 500 * FlowModelTest.D);
        Runnable cycle = () -> {
            try (FlowModel m = FlowModel.load(FlowModelTest.file);
                 BatchingScorer s = new BatchingScorer(m, 32, java.time.Duration.ofMillis(1), 100)) {
                m.logProb(rows, 500);
                m.sample(200, 1f, 3L);
                s.submit(FlowModelTest.row(1)).join();
            }
        };
        for (int i = 0; i < 20; i++) cycle.run();  // warm up: JIT, pools, class loading
        int threads0 = ManagementFactory.getThreadMXBean().getThreadCount();
        long heap0 = usedHeap(), rss0 = rssKiB();
        for (int i = 0; i < cycles; i++) cycle.run();
        Thread.sleep(200);
        int threads1 = ManagementFactory.getThreadMXBean().getThreadCount();
        long heap1 = usedHeap(), rss1 = rssKiB();
        System.out.printf("lifecycle x%d: threads %d -> %d, heap %.1f -> %.1f MiB, RSS %.1f -> %.1f MiB%n", cycles, threads0, threads1,
                heap0 / 1048576.0, heap1 / 1048576.0, rss0 / 1024.0, rss1 / 1024.0);
        assertTrue(threads1 <= threads0 + 2, "threads grew from " + threads0 + " to " + threads1);
        assertTrue(heap1 - heap0 < 32L << 20, "heap grew by " + (heap1 - heap0) + " bytes");
        assertTrue(rss1 - rss0 < 128L << 10, "RSS grew by " + (rss1 - rss0) + " KiB");
    }
}
