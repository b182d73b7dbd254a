package dev.fluvia.train;

import dev.fluvia.FluviaException.UnknownNameException;

/**
 * Learning rate per step (steps count from 1): linear warmup over the first {@code warmup} steps
 * ({@code lr(t) = base·t/warmup} for {@code t ≤ warmup}), then either constant {@code base} or a cosine decay that reaches
 * {@code minLr} at step {@code total}: {@code lr(t) = minLr + (base − minLr)·½(1 + cos(π·(t − warmup)/(total − warmup)))}.
 * Steps beyond {@code total} keep {@code minLr}.
 *
 * @param kind   constant or cosine after warmup
 * @param base   the peak learning rate, finite and &gt; 0
 * @param warmup linear-warmup steps (≥ 0)
 * @param minLr  the rate the cosine reaches at {@code total}, in [0, base]
 * @param total  the step at which the cosine ends (≥ 1 for cosine; unused by constant)
 */
public record LrSchedule(Kind kind, double base, int warmup, double minLr, long total) {

    /** The shape after warmup. */
    public enum Kind {
        /** {@code base} after warmup. */
        CONSTANT,
        /** Half a cosine from {@code base} down to {@code minLr} at step {@code total}. */
        COSINE;

        /** {@return the lower-case name, "constant" or "cosine"} */
        public String id() { return name().toLowerCase(); }

        /**
         * "constant" or "cosine" (case-insensitive).
         *
         * @param s constant (or const) or cosine (or cos); surrounding blanks ignored
         * @return the kind
         * @throws UnknownNameException for any other name
         */
        public static Kind parse(String s) {
            return switch (s.trim().toLowerCase()) {
                case "constant", "const" -> CONSTANT;
                case "cosine", "cos" -> COSINE;
                default -> throw new UnknownNameException("unknown learning-rate schedule '" + s + "' (known: constant, cosine)");
            };
        }
    }

    /**
     * Checks the ranges.
     *
     * @param kind   constant or cosine
     * @param base   the peak learning rate
     * @param warmup linear-warmup steps
     * @param minLr  the final cosine rate
     * @param total  the cosine's last step
     * @throws InvalidConfigException when a value is out of its range
     */
    public LrSchedule {
        if (!(base > 0) || !Double.isFinite(base)) throw new InvalidConfigException("learning rate must be a finite number > 0, got " + base);
        if (warmup < 0) throw new InvalidConfigException("warmup steps must be >= 0, got " + warmup);
        if (!(minLr >= 0) || minLr > base) throw new InvalidConfigException("minimum learning rate must be in [0, lr=" + base + "], got " + minLr);
        if (kind == Kind.COSINE && total < 1) throw new InvalidConfigException("a cosine schedule needs the total number of steps, got " + total);
    }

    /**
     * A constant rate after warmup.
     *
     * @param base   the learning rate, finite and &gt; 0
     * @param warmup linear-warmup steps (≥ 0)
     * @return the schedule
     * @throws InvalidConfigException when a value is out of its range
     */
    public static LrSchedule constant(double base, int warmup) { return new LrSchedule(Kind.CONSTANT, base, warmup, 0, 0); }

    /**
     * The rate for step {@code t ≥ 1}.
     *
     * @param t the step, counting from 1
     * @return the learning rate of that step
     * @throws IllegalArgumentException when {@code t < 1}
     */
    public double lr(long t) {
        if (t < 1) throw new IllegalArgumentException("LrSchedule: steps count from 1, got " + t);
        if (t <= warmup) return base * t / warmup;
        if (kind == Kind.CONSTANT) return base;
        if (t >= total) return minLr;
        double progress = (double) (t - warmup) / (total - warmup);
        return minLr + (base - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }
}
