package dev.fluvia.transforms;

import dev.fluvia.backend.Backend;
import dev.fluvia.param.Param;
import java.util.List;
import java.util.SplittableRandom;

/** Public access to a uniform parameter jitter for tests outside this package (moves layers off their identity init). */
public final class ZooJitter {
    private ZooJitter() {}

    public static void jitter(Backend be, List<Param> ps, double amount, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (Param p : ps) {
            if (!p.trainable()) continue;
            float[] v = be.toHost(p.value());
            for (int i = 0; i < v.length; i++) v[i] += (float) ((r.nextDouble() * 2 - 1) * amount);
            be.upload(v, p.value());
        }
    }
}
