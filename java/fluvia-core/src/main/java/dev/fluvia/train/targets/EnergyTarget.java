package dev.fluvia.train.targets;

import dev.fluvia.param.HostMath;

/**
 * The four 2-D energy functions of Rezende &amp; Mohamed (2015, table 1), {@code p̃(z) = exp(−U(z))}, with
 * {@code w1 = sin(2πz₁/4)}, {@code w2 = 3·exp(−½((z₁−1)/0.6)²)}, {@code w3 = 3·σ((z₁−1)/0.3)}:
 * <ul>
 *   <li>U1 = ½((‖z‖−2)/0.4)² − log(e^{−½((z₁−2)/0.6)²} + e^{−½((z₁+2)/0.6)²})</li>
 *   <li>U2 = ½((z₂−w1)/0.4)²</li>
 *   <li>U3 = −log(e^{−½((z₂−w1)/0.35)²} + e^{−½((z₂−w1+w2)/0.35)²})</li>
 *   <li>U4 = −log(e^{−½((z₂−w1)/0.4)²} + e^{−½((z₂−w1+w3)/0.35)²})</li>
 * </ul>
 * U2–U4 do not decay along z₁ (the paper shows them on [−4, 4]²), so they are not normalisable as written; Fluvia confines
 * them to that window with the C¹ wall {@code ½((|z₁| − 4)₊/0.2)²} added to U (zero inside the window).
 */
final class EnergyTarget implements Target {
    private final int k;

    EnergyTarget(int k) { this.k = k; }

    @Override public String name() { return "u" + k; }
    @Override public int dim() { return 2; }
    @Override public double[] view() {
        return switch (k) {
            case 1 -> new double[] {-4, 4, -4, 4};
            case 4 -> new double[] {-5, 5, -6.5, 3.5};
            default -> new double[] {-5, 5, -5, 5};
        };
    }

    @Override public void logDensity(double[] x, int n, double[] logp, double[] grad) {
        for (int s = 0; s < n; s++) {
            double z1 = x[2 * s], z2 = x[2 * s + 1];
            double u, g1, g2;                     // U and ∂U/∂z
            if (k == 1) {
                double r = Math.hypot(z1, z2), e = (r - 2) / 0.4;
                double a = -0.5 * sq((z1 - 2) / 0.6), b = -0.5 * sq((z1 + 2) / 0.6);
                double m = Math.max(a, b), ea = Math.exp(a - m), eb = Math.exp(b - m), lse = m + Math.log(ea + eb);
                u = 0.5 * e * e - lse;
                double wa = ea / (ea + eb), wb = eb / (ea + eb);
                double dlse = wa * (-(z1 - 2) / 0.36) + wb * (-(z1 + 2) / 0.36);
                double dr = r > 0 ? e / 0.4 / r : 0;
                g1 = dr * z1 - dlse;
                g2 = dr * z2;
            } else {
                double w1 = Math.sin(2 * Math.PI * z1 / 4), dw1 = Math.cos(2 * Math.PI * z1 / 4) * 2 * Math.PI / 4;
                if (k == 2) {
                    double e = (z2 - w1) / 0.4;
                    u = 0.5 * e * e;
                    g2 = e / 0.4;
                    g1 = -g2 * dw1;
                } else {
                    double sh, dsh, s2;           // the second branch's shift and its z₁-derivative, its std
                    if (k == 3) {
                        sh = 3 * Math.exp(-0.5 * sq((z1 - 1) / 0.6));
                        dsh = sh * (-(z1 - 1) / 0.36);
                        s2 = 0.35;
                    } else {
                        double sg = HostMath.sigmoid((z1 - 1) / 0.3);
                        sh = 3 * sg;
                        dsh = 3 * sg * (1 - sg) / 0.3;
                        s2 = 0.35;
                    }
                    double s1 = k == 3 ? 0.35 : 0.4;
                    double e1 = (z2 - w1) / s1, e2 = (z2 - w1 + sh) / s2;
                    double a = -0.5 * e1 * e1, b = -0.5 * e2 * e2;
                    double m = Math.max(a, b), ea = Math.exp(a - m), eb = Math.exp(b - m);
                    u = -(m + Math.log(ea + eb));
                    double wa = ea / (ea + eb), wb = eb / (ea + eb);
                    // ∂U/∂z = wa·e1·∂e1 + wb·e2·∂e2
                    g2 = wa * e1 / s1 + wb * e2 / s2;
                    g1 = wa * e1 * (-dw1 / s1) + wb * e2 * ((-dw1 + dsh) / s2);
                }
                double out = Math.abs(z1) - 4;
                if (out > 0) {
                    u += 0.5 * sq(out / 0.2);
                    g1 += out / 0.04 * Math.signum(z1);
                }
            }
            logp[s] = -u;
            if (grad != null) {
                grad[2 * s] = -g1;
                grad[2 * s + 1] = -g2;
            }
        }
    }

    private static double sq(double a) { return a * a; }
}
