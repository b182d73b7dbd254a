package dev.fluvia.train;

import dev.fluvia.FluviaException.UnknownNameException;

/**
 * Learning rate per step (steps count from 1): linear warmup over the first {@code warmup} steps
 * ({@code lr(t) = base·t/warmup} for {@code t ≤ warmup}), then either constant {@code base} or a cosine decay that reaches
 * {@code minLr} at step {@code total}: {@code lr(t) = minLr + (base − minLr)·½(1 + cos(π·(t − warmup)/(total − warmup)))}.
 * Steps beyond {@code total} keep {@code minLr}.
 */
public record LrSchedule(Kind kind, double base, int warmup, double minLr, long total) {

    /** The shape after warmup. */
    public enum Kind {
        CONSTANT, COSINE;

        public String id() { return name().toLowerCase(); }

        /** "constant" or "cosine" (case-insensitive). */
        public static Kind parse(String s) {
            return switch (s.trim().toLowerCase()) {
                case "constant", "const" -> CONSTANT;
                case "cosine", "cos" -> COSINE;
                default -> throw new UnknownNameException("unknown learning-rate schedule '" + s + "' (known: constant, cosine)");
            };
        }
    }

    public LrSchedule {
        if (!(base > 0) || !Double.isFinite(base)) throw new InvalidConfigException("learning rate must be a finite number > 0, got " + base);
        if (warmup < 0) throw new InvalidConfigException("warmup steps must be >= 0, got " + warmup);
        if (!(minLr >= 0) || minLr > base) throw new InvalidConfigException("minimum learning rate must be in [0, lr=" + base + "], got " + minLr);
        if (kind == Kind.COSINE && total < 1) throw new InvalidConfigException("a cosine schedule needs the total number of steps, got " + total);
    }

    /** A constant rate after warmup. */
    public static LrSchedule constant(double base, int warmup) { return new LrSchedule(Kind.CONSTANT, base, warmup, 0, 0); }

    /** The rate for step {@code t ≥ 1}. */
    public double lr(long t) {
        if (t < 1) throw new IllegalArgumentException("LrSchedule: steps count from 1, got " + t);
        if (t <= warmup) return base * t / warmup;
        if (kind == Kind.CONSTANT) return base;
        if (t >= total) return minLr;
        double progress = (double) (t - warmup) / (total - warmup);
        return minLr + (base - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
