package dev.fluvia.backend.check;

import dev.fluvia.backend.Backend;
import dev.fluvia.backend.Scope;
import dev.fluvia.backend.check.KernelCase.Arg;
import dev.fluvia.backend.check.KernelCase.Args;
import dev.fluvia.backend.check.KernelCase.Kind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs {@link KernelCase}s: {@link #validate} (reference against tested backend, outputs poisoned first) and {@link #bind}
 * (the call bound on one backend, for timing). {@link #FAMILIES} is the one list of the families' entries.
 */
public final class KernelCheck {
    private KernelCheck() {}

    /** Every op family's validate-and-benchmark entries. */
    public static final List<FamilyBench> FAMILIES = List.of(
            new dev.fluvia.backend.coupling.CouplingBench(),
            new dev.fluvia.backend.elementwise.ElementwiseBench(),
            new dev.fluvia.backend.conv.ConvBench(),
            new dev.fluvia.backend.image.ImageBench(),
            new dev.fluvia.backend.dense.DenseBench(),
            new dev.fluvia.backend.dist.DistBench(),
            new dev.fluvia.backend.reduce.ReduceBench(),
            new dev.fluvia.backend.optim.OptimBench(),
            new dev.fluvia.backend.maf.MafBench(),
            new dev.fluvia.backend.lu.LuBench(),
            new dev.fluvia.backend.actnorm.ActnormBench(),
            new dev.fluvia.backend.spline.SplineBench(),
            new dev.fluvia.backend.residual.ResidualBench(),
            new dev.fluvia.backend.pointwise.PointwiseBench());

    /** A mismatch between the tested backend and the reference. */
    public static final class Mismatch extends RuntimeException {
        Mismatch(String message) { super(message); }
    }

    /** Max |error| and max error/tolerance of one compared argument. */
    public record Error(double maxAbs, double maxRatio) {}

    /** The case's arguments uploaded to {@code be}: OUT zero-filled, or NaN-filled when {@code poison}. */
    public static Args args(KernelCase c, Backend be, boolean poison) {
        Args a = new Args();
        for (Arg g : c.args()) {
            switch (g.kind()) {
                case INDEX -> a.indices.put(g.name(), be.index(g.index()));
                case IN, ACC -> a.tensors.put(g.name(), be.fromHost(g.data(), g.shape()));
                case OUT -> {
                    var t = be.alloc(g.shape());
                    if (poison) be.fill(t, Float.NaN);
                    a.tensors.put(g.name(), t);
                }
            }
        }
        return a;
    }

    /** The call of {@code c} bound on {@code be} (fresh arguments), to run repeatedly (timing). */
    public static Runnable bind(KernelCase c, Backend be) {
        Args a = args(c, be, false);
        return () -> c.body().run(be, a);
    }

    /**
     * Runs {@code c} on both backends and compares every ACC and OUT argument: {@code |got − ref| ≤ atol + rtol·|ref|}, no NaN
     * in {@code got} (an element the tested backend left unwritten keeps its NaN poison). Returns the errors by argument
     * label ({@code op + " " + argument}); throws {@link Mismatch} naming the first element out of tolerance.
     */
    public static Map<String, Error> validate(KernelCase c, Backend ref, Backend dut) {
        Map<String, Error> out = new LinkedHashMap<>();
        try (Scope s1 = ref.scope(); Scope s2 = dut.scope()) {
            Args ra = args(c, ref, false), da = args(c, dut, true);
            c.body().run(ref, ra);
            c.body().run(dut, da);
            for (Arg g : c.args()) {
                if (g.kind() != Kind.ACC && g.kind() != Kind.OUT) continue;
                String label = c.op() + " " + g.name();
                out.put(label, compare(label + " [" + c.size() + "]", ref.toHost(ra.t(g.name())), dut.toHost(da.t(g.name())), c.atol(), c.rtol()));
            }
        }
        return out;
    }

    /** Compares two arrays element-wise ({@code |got − ref| ≤ atol + rtol·|ref|}, no NaN in got). */
    public static Error compare(String what, float[] ref, float[] got, double atol, double rtol) {
        if (ref.length != got.length) throw new Mismatch(what + ": lengths " + ref.length + " and " + got.length);
        double maxErr = 0, maxRatio = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(got[i]))
                throw new Mismatch(what + ": NaN at " + i + " (ref " + ref[i] + "): element not written or invalid");
            if (Float.isInfinite(ref[i]) || Float.isInfinite(got[i])) {  // ±∞ (a log-density outside its support) must match exactly
                if (got[i] != ref[i]) throw new Mismatch(what + ": element " + i + " got " + got[i] + " ref " + ref[i]);
                continue;
            }
            double e = Math.abs((double) got[i] - ref[i]), tol = atol + rtol * Math.abs(ref[i]);
            maxErr = Math.max(maxErr, e);
            maxRatio = Math.max(maxRatio, e / tol);
            if (e > tol) throw new Mismatch(what + ": element " + i + " got " + got[i] + " ref " + ref[i] + " |err| " + e + " > tol " + tol);
        }
        return new Error(maxErr, maxRatio);
    }
}
