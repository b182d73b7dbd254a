package dev.fluvia.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.fluvia.FluviaException.UnknownNameException;
import dev.fluvia.backend.cpu.CpuBackend;
import dev.fluvia.param.Param;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Learning-rate schedule values at key steps; global-norm clipping. */
class LrScheduleAndClipTest {

    @Test void constantWithWarmup() {
        LrSchedule s = new LrSchedule(LrSchedule.Kind.parse("constant"), 1e-3, 10, 0, 100);
        assertEquals(1e-4, s.lr(1), 1e-15);
        assertEquals(5e-4, s.lr(5), 1e-15);
        assertEquals(1e-3, s.lr(10), 1e-15);
        assertEquals(1e-3, s.lr(11), 1e-15);
        assertEquals(1e-3, s.lr(1000), 1e-15);
        assertEquals(2e-3, LrSchedule.constant(2e-3, 0).lr(1), 1e-15);
    }

    @Test void cosineDecaysToTheFloor() {
        LrSchedule s = new LrSchedule(LrSchedule.Kind.parse("Cosine"), 1.0, 10, 0.1, 110);
        assertEquals(0.5, s.lr(5), 1e-12);
        assertEquals(1.0, s.lr(10), 1e-12);
        assertEquals(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * 0.25)), s.lr(35), 1e-12);
        assertEquals(0.55, s.lr(60), 1e-12);                  // half way: (base + floor) / 2
        assertEquals(0.1, s.lr(110), 1e-12);
        assertEquals(0.1, s.lr(500), 1e-12);
        // monotone after warmup
        for (int t = 11; t < 110; t++) assertEquals(true, s.lr(t + 1) <= s.lr(t), "step " + t);
        // no warmup: first step is (almost) the base rate
        assertEquals(0.5 * (1 + Math.cos(Math.PI / 100)), new LrSchedule(LrSchedule.Kind.COSINE, 1.0, 0, 0, 100).lr(1), 1e-12);
    }

    @Test void badSchedulesAreRejected() {
        assertThrows(UnknownNameException.class, () -> LrSchedule.Kind.parse("linear"));
        assertThrows(InvalidConfigException.class, () -> new LrSchedule(LrSchedule.Kind.COSINE, 1.0, 0, 0, 0));
        assertThrows(InvalidConfigException.class, () -> new LrSchedule(LrSchedule.Kind.CONSTANT, 1.0, -1, 0, 10));
        assertThrows(InvalidConfigException.class, () -> new LrSchedule(LrSchedule.Kind.CONSTANT, 1.0, 0, 2.0, 10));
    }

    private static List<Param> params(CpuBackend be, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Param a = Param.of(be, "a", new float[6], true, 2, 3), b = Param.of(be, "b", new float[5], true, 5);
        Param fixed = Param.of(be, "fixed", new float[] {1, 2}, false, 2);
        for (Param p : List.of(a, b)) {
            float[] g = new float[(int) p.grad().numel()];
            for (int i = 0; i < g.length; i++) g[i] = (float) (3 * CpuBackend.gaussian(r));
            be.upload(g, p.grad());
        }
        return List.of(a, b, fixed);
    }

    private static double refNorm(CpuBackend be, List<Param> ps) {
        double s = 0;
        for (Param p : ps) if (p.grad() != null) for (float g : be.toHost(p.grad())) s += (double) g * g;
        return Math.sqrt(s);
    }

    @Test void clippingGivesTheRequestedNorm() {
        CpuBackend be = new CpuBackend(1);
        List<Param> ps = params(be, 1);
        double before = refNorm(be, ps);
        assertEquals(before, GradClip.globalNorm(be, ps), 1e-9 * before);
        float[] a0 = be.toHost(ps.get(0).grad());
        double reported = GradClip.clip(be, ps, 1.5);
        assertEquals(before, reported, 1e-9 * before);
        assertEquals(1.5, refNorm(be, ps), 1e-6);
        // direction is kept
        float[] a1 = be.toHost(ps.get(0).grad());
        for (int i = 0; i < a0.length; i++) assertEquals(a0[i] * 1.5 / before, a1[i], 1e-6);
        // below the limit or disabled: untouched
        double now = refNorm(be, ps);
        GradClip.clip(be, ps, 10.0);
        assertEquals(now, refNorm(be, ps), 0);
        GradClip.clip(be, ps, 0);
        assertEquals(now, refNorm(be, ps), 0);
    }
}
