package dev.fluvia.backend;

import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The argument-check table of the {@link Backend} ops, written once against the interface so that it runs on any backend
 * ({@link OpChecksTest} runs it on the CPU; a GPU test can run {@link #cases} on the CUDA backend unchanged).
 *
 * <p>For every op that {@link OpChecks} guards there is at least one call that must succeed and one call per distinct
 * rejection of {@code OpChecks} (rank, extent, per-sample vector, index range, repeated index, permutation, parameter
 * range), each with the message fragments that name the offending argument. A rejected call must throw
 * {@link dev.fluvia.FluviaException.ShapeException} with a message that starts with {@code "<op>: "} and contains every
 * fragment. Every call allocates its own small tensors (zero-filled unless said otherwise), so cases are independent
 * and may run in any order; the accepted calls only use the nullable arguments that the {@link Backend} javadoc allows.
 *
 * <p>Shapes used: vectors {@code N = 4, D = 3} (coupling mask {@code b = {2, 0}}, {@code K = 2}; MAF {@code h [4, 6]});
 * images {@code [2, 3, 4, 4]}; LU {@code C = 3}.
 */
public final class OpCheckCases {
    private OpCheckCases() {}

    /**
     * One call of the table. {@code fragments == null}: the call must succeed; otherwise it must be rejected with a
     * ShapeException whose message starts with {@code op + ": "} and contains every fragment.
     */
    public record Case(String op, String name, Consumer<Backend> call, List<String> fragments) {
        public boolean accepted() { return fragments == null; }
        @Override public String toString() { return op + ": " + name; }
    }

    private static final class Table {
        final List<Case> cases = new ArrayList<>();
        void ok(String op, String name, Consumer<Backend> call) { cases.add(new Case(op, name, call, null)); }
        void bad(String op, String name, Consumer<Backend> call, String... fragments) {
            cases.add(new Case(op, name, call, List.of(fragments)));
        }
    }

    // ------------------------------------------------------------------ small constructors

    private static Tensor t(Backend be, int... shape) { return be.alloc(shape); }

    private static Tensor filled(Backend be, float v, int... shape) {
        Tensor t = be.alloc(shape);
        be.fill(t, v);
        return t;
    }

    private static Index ix(Backend be, int... v) { return be.index(v); }

    /** The cases for {@code be} (the same list for every backend; nothing is allocated until a case runs). */
    public static List<Case> cases(Backend be) {
        Table tb = new Table();
        memory(tb);
        dense(tb);
        gatherScatter(tb);
        couplings(tb);
        actnorm(tb);
        lu(tb);
        logDetTerms(tb);
        maf(tb);
        distributions(tb);
        zooBases(tb);
        elementwiseAndOptimizers(tb);
        images(tb);
        logit(tb);
        splines(tb);
        residual(tb);
        pointwise(tb);
        return List.copyOf(tb.cases);
    }

    // ------------------------------------------------------------------ memory

    private static void memory(Table tb) {
        tb.ok("upload", "12 floats into [4, 3]", be -> be.upload(new float[12], t(be, 4, 3)));
        tb.bad("upload", "5 floats into [4, 3]", be -> be.upload(new float[5], t(be, 4, 3)), "host array has 5 elements", "[4, 3]");
        tb.bad("upload", "fromHost with a short array", be -> be.fromHost(new float[5], 4, 3), "host array has 5 elements");
        tb.ok("toHost", "[4, 3]", be -> be.toHost(t(be, 4, 3)));
        // a tensor too large for one Java float[]: a shape-only stand-in (no memory), rejected before any copy
        tb.bad("toHost", "[65536, 65536] (2^32 elements)", be -> be.toHost(new Tensor(new int[] {65536, 65536}) {}),
                "more than a Java float[] holds");
        tb.ok("copy", "[4, 3] into [3, 4] (same count)", be -> be.copy(t(be, 4, 3), t(be, 3, 4)));
        tb.bad("copy", "[4, 3] into [4, 2]", be -> be.copy(t(be, 4, 3), t(be, 4, 2)), "element counts differ", "[4, 3] [4, 2]");
    }

    // ------------------------------------------------------------------ dense

    private static void dense(Table tb) {
        tb.ok("gemm", "[4,3]·[3,2] → [4,2]", be -> be.dense().gemm(false, false, 1f, t(be, 4, 3), t(be, 3, 2), 0f, t(be, 4, 2)));
        tb.ok("gemm", "Aᵀ·Bᵀ", be -> be.dense().gemm(true, true, 1f, t(be, 3, 4), t(be, 2, 3), 1f, t(be, 4, 2)));
        tb.bad("gemm", "A rank 1", be -> be.dense().gemm(false, false, 1f, t(be, 12), t(be, 3, 2), 0f, t(be, 4, 2)), "A must have rank [2]");
        tb.bad("gemm", "B rank 3", be -> be.dense().gemm(false, false, 1f, t(be, 4, 3), t(be, 3, 2, 1), 0f, t(be, 4, 2)), "B must have rank [2]");
        tb.bad("gemm", "C rank 1", be -> be.dense().gemm(false, false, 1f, t(be, 4, 3), t(be, 3, 2), 0f, t(be, 8)), "C must have rank [2]");
        tb.bad("gemm", "inner extents differ", be -> be.dense().gemm(false, false, 1f, t(be, 4, 3), t(be, 2, 2), 0f, t(be, 4, 2)),
                "op(A) is 4x3, op(B) is 2x2");
        tb.bad("gemm", "C has the wrong shape", be -> be.dense().gemm(false, false, 1f, t(be, 4, 3), t(be, 3, 2), 0f, t(be, 4, 3)),
                "C must be 4x2");
        tb.bad("gemm", "transA makes the inner extents differ", be -> be.dense().gemm(true, false, 1f, t(be, 4, 3), t(be, 3, 2), 0f, t(be, 4, 2)),
                "op(A) is 3x4, op(B) is 3x2");

        String mf = "mlpForward";
        tb.ok(mf, "two layers", be -> be.dense().mlpForward(t(be, 4, 3), List.of(t(be, 5, 3), t(be, 2, 5)), List.of(t(be, 5), t(be, 2)), null, Activation.RELU, t(be, 4, 2)));
        tb.ok(mf, "one layer, no bias", be -> be.dense().mlpForward(t(be, 4, 3), List.of(t(be, 2, 3)), java.util.Arrays.asList((Tensor) null), null, Activation.TANH, t(be, 4, 2)));
        tb.bad(mf, "no layers", be -> be.dense().mlpForward(t(be, 4, 3), List.of(), List.of(), null, Activation.RELU, t(be, 4, 2)), "needs at least one layer");
        tb.bad(mf, "x rank 1", be -> be.dense().mlpForward(t(be, 12), List.of(t(be, 2, 3)), List.of(t(be, 2)), null, Activation.RELU, t(be, 4, 2)), "x must have rank [2]");
        tb.bad(mf, "one bias for two weights", be -> be.dense().mlpForward(t(be, 4, 3), List.of(t(be, 5, 3), t(be, 2, 5)), List.of(t(be, 5)), null, Activation.RELU, t(be, 4, 2)), "1 biases for 2 weights");
        tb.bad(mf, "second layer takes 4", be -> be.dense().mlpForward(t(be, 4, 3), List.of(t(be, 5, 3), t(be, 2, 4)), List.of(t(be, 5), t(be, 2)), null, Activation.RELU, t(be, 4, 2)), "weights[1] must be [Out, 5]");
        tb.bad(mf, "bias [4]", be -> be.dense().mlpForward(t(be, 4, 3), List.of(t(be, 5, 3), t(be, 2, 5)), List.of(t(be, 4), t(be, 2)), null, Activation.RELU, t(be, 4, 2)), "biases[0] must have shape [5]");
        tb.ok(mf, "prefix hidden layer", be -> be.dense().mlpForward(t(be, 4, 3), List.of(t(be, 5, 3), t(be, 5, 5), t(be, 2, 5)), List.of(t(be, 5), t(be, 5), t(be, 2)), java.util.Arrays.asList(null, ix(be, 0, 1, 3, 5, 5), null), Activation.RELU, t(be, 4, 2)));
        tb.bad(mf, "two extents for three weights", be -> be.dense().mlpForward(t(be, 4, 3), List.of(t(be, 5, 3), t(be, 5, 5), t(be, 2, 5)), List.of(t(be, 5), t(be, 5), t(be, 2)), java.util.Arrays.asList(null, ix(be, 0, 1, 3, 5, 5)), Activation.RELU, t(be, 4, 2)), "2 extents for 3 weights");
        tb.bad(mf, "extent of 4 entries", be -> be.dense().mlpForward(t(be, 4, 3), List.of(t(be, 5, 3), t(be, 5, 5), t(be, 2, 5)), List.of(t(be, 5), t(be, 5), t(be, 2)), java.util.Arrays.asList(null, ix(be, 0, 1, 3, 5), null), Activation.RELU, t(be, 4, 2)), "extents[1] has 4 entries, expected 5");
        tb.bad(mf, "extent past the inputs", be -> be.dense().mlpForward(t(be, 4, 3), List.of(t(be, 5, 3), t(be, 5, 5), t(be, 2, 5)), List.of(t(be, 5), t(be, 5), t(be, 2)), java.util.Arrays.asList(null, ix(be, 0, 1, 3, 5, 6), null), Activation.RELU, t(be, 4, 2)), "extents[1] entry 6 outside [0, 5]");
        tb.bad(mf, "y [4, 5]", be -> be.dense().mlpForward(t(be, 4, 3), List.of(t(be, 5, 3), t(be, 2, 5)), List.of(t(be, 5), t(be, 2)), null, Activation.RELU, t(be, 4, 5)), "y must have shape [4, 2]");

        String lf = "linearForward";
        tb.ok(lf, "bias and pre", be -> be.dense().linearForward(t(be, 4, 3), t(be, 2, 3), t(be, 2), Activation.TANH, t(be, 4, 2), t(be, 4, 2)));
        tb.ok(lf, "no bias, no pre", be -> be.dense().linearForward(t(be, 4, 3), t(be, 2, 3), null, Activation.RELU, null, t(be, 4, 2)));
        tb.bad(lf, "x rank 1", be -> be.dense().linearForward(t(be, 12), t(be, 2, 3), null, Activation.RELU, null, t(be, 4, 2)), "x must have rank [2]");
        tb.bad(lf, "w rank 1", be -> be.dense().linearForward(t(be, 4, 3), t(be, 6), null, Activation.RELU, null, t(be, 4, 2)), "w must have rank [2]");
        tb.bad(lf, "w takes 4 inputs", be -> be.dense().linearForward(t(be, 4, 3), t(be, 2, 4), null, Activation.RELU, null, t(be, 4, 2)), "w must be [Out, 3]");
        tb.bad(lf, "y [4, 3]", be -> be.dense().linearForward(t(be, 4, 3), t(be, 2, 3), null, Activation.RELU, null, t(be, 4, 3)), "y must have shape [4, 2]");
        tb.bad(lf, "pre [4, 3]", be -> be.dense().linearForward(t(be, 4, 3), t(be, 2, 3), null, Activation.RELU, t(be, 4, 3), t(be, 4, 2)), "pre must have shape [4, 2]");
        tb.bad(lf, "bias [3]", be -> be.dense().linearForward(t(be, 4, 3), t(be, 2, 3), t(be, 3), Activation.RELU, null, t(be, 4, 2)), "bias must have shape [2]");
        String plf = "prefixLinearForward";
        tb.ok(plf, "bias and pre", be -> be.dense().prefixLinearForward(t(be, 4, 3), t(be, 2, 3), be.index(new int[] {1, 3}), t(be, 2), Activation.TANH, t(be, 4, 2), t(be, 4, 2)));
        tb.ok(plf, "no bias, zero extent", be -> be.dense().prefixLinearForward(t(be, 4, 3), t(be, 2, 3), be.index(new int[] {0, 0}), null, Activation.RELU, null, t(be, 4, 2)));
        tb.bad(plf, "w takes 4 inputs", be -> be.dense().prefixLinearForward(t(be, 4, 3), t(be, 2, 4), be.index(new int[] {1, 3}), null, Activation.RELU, null, t(be, 4, 2)), "w must be [Out, 3]");
        tb.bad(plf, "y [4, 3]", be -> be.dense().prefixLinearForward(t(be, 4, 3), t(be, 2, 3), be.index(new int[] {1, 3}), null, Activation.RELU, null, t(be, 4, 3)), "y must have shape [4, 2]");
        tb.bad(plf, "extent of 3", be -> be.dense().prefixLinearForward(t(be, 4, 3), t(be, 2, 3), be.index(new int[] {1, 3, 3}), null, Activation.RELU, null, t(be, 4, 2)), "extent has 3 entries, expected 2");
        tb.bad(plf, "extent past In", be -> be.dense().prefixLinearForward(t(be, 4, 3), t(be, 2, 3), be.index(new int[] {1, 4}), null, Activation.RELU, null, t(be, 4, 2)), "extent entry 4 outside [0, 3]");
        tb.bad(plf, "negative extent", be -> be.dense().prefixLinearForward(t(be, 4, 3), t(be, 2, 3), be.index(new int[] {-1, 2}), null, Activation.RELU, null, t(be, 4, 2)), "extent entry -1 outside [0, 3]");

        String plb = "prefixLinearBackward";
        tb.ok(plb, "gx and gb", be -> be.dense().prefixLinearBackward(t(be, 4, 3), t(be, 2, 3), be.index(new int[] {1, 3}), t(be, 4, 2), t(be, 4, 3), t(be, 2, 3), t(be, 2)));
        tb.ok(plb, "no gx, no gb, zero extent", be -> be.dense().prefixLinearBackward(t(be, 4, 3), t(be, 2, 3), be.index(new int[] {0, 0}), t(be, 4, 2), null, t(be, 2, 3), null));
        tb.bad(plb, "gpre [4, 3]", be -> be.dense().prefixLinearBackward(t(be, 4, 3), t(be, 2, 3), be.index(new int[] {1, 3}), t(be, 4, 3), null, t(be, 2, 3), null), "gpre must have shape [4, 2]");
        tb.bad(plb, "gw [3, 2]", be -> be.dense().prefixLinearBackward(t(be, 4, 3), t(be, 2, 3), be.index(new int[] {1, 3}), t(be, 4, 2), null, t(be, 3, 2), null), "gw must have shape [2, 3]");
        tb.bad(plb, "gx [4, 2]", be -> be.dense().prefixLinearBackward(t(be, 4, 3), t(be, 2, 3), be.index(new int[] {1, 3}), t(be, 4, 2), t(be, 4, 2), t(be, 2, 3), null), "gx must have shape [4, 3]");
        tb.bad(plb, "extent of 1", be -> be.dense().prefixLinearBackward(t(be, 4, 3), t(be, 2, 3), be.index(new int[] {1}), t(be, 4, 2), null, t(be, 2, 3), null), "extent has 1 entries, expected 2");
        tb.bad(plb, "extent past In", be -> be.dense().prefixLinearBackward(t(be, 4, 3), t(be, 2, 3), be.index(new int[] {1, 4}), t(be, 4, 2), null, t(be, 2, 3), null), "extent entry 4 outside [0, 3]");

        String ab = "activationBackward";
        tb.ok(ab, "tanh without pre", be -> be.dense().activationBackward(Activation.TANH, null, t(be, 4, 3), t(be, 4, 3), t(be, 4, 3)));
        tb.ok(ab, "silu with pre", be -> be.dense().activationBackward(Activation.SILU, t(be, 4, 3), t(be, 4, 3), t(be, 4, 3), t(be, 4, 3)));
        tb.bad(ab, "gpre [4, 2]", be -> be.dense().activationBackward(Activation.RELU, null, t(be, 4, 3), t(be, 4, 3), t(be, 4, 2)),
                "gy [4, 3] and gpre [4, 2] must have the same shape");
        tb.bad(ab, "y [4, 2]", be -> be.dense().activationBackward(Activation.RELU, null, t(be, 4, 2), t(be, 4, 3), t(be, 4, 3)),
                "y [4, 2] and gy [4, 3] must have the same shape");
        tb.bad(ab, "pre [4, 2]", be -> be.dense().activationBackward(Activation.ELU, t(be, 4, 2), t(be, 4, 3), t(be, 4, 3), t(be, 4, 3)),
                "pre [4, 2] and y [4, 3] must have the same shape");
        tb.bad(ab, "silu without pre", be -> be.dense().activationBackward(Activation.SILU, null, t(be, 4, 3), t(be, 4, 3), t(be, 4, 3)),
                "silu needs the pre-activation");
        tb.bad(ab, "elu without pre", be -> be.dense().activationBackward(Activation.ELU, null, t(be, 4, 3), t(be, 4, 3), t(be, 4, 3)),
                "elu needs the pre-activation");

        String lb = "linearBackward";
        tb.ok(lb, "all gradients", be -> be.dense().linearBackward(t(be, 4, 3), t(be, 2, 3), t(be, 4, 2), t(be, 4, 3), t(be, 2, 3), t(be, 2)));
        tb.ok(lb, "no gx, no gb", be -> be.dense().linearBackward(t(be, 4, 3), t(be, 2, 3), t(be, 4, 2), null, t(be, 2, 3), null));
        tb.bad(lb, "x rank 1", be -> be.dense().linearBackward(t(be, 12), t(be, 2, 3), t(be, 4, 2), null, t(be, 2, 3), null), "x must have rank [2]");
        tb.bad(lb, "w rank 1", be -> be.dense().linearBackward(t(be, 4, 3), t(be, 6), t(be, 4, 2), null, t(be, 2, 3), null), "w must have rank [2]");
        tb.bad(lb, "w takes 4 inputs", be -> be.dense().linearBackward(t(be, 4, 3), t(be, 2, 4), t(be, 4, 2), null, t(be, 2, 4), null), "w must have shape [2, 3]");
        tb.bad(lb, "gpre [4, 3]", be -> be.dense().linearBackward(t(be, 4, 3), t(be, 2, 3), t(be, 4, 3), null, t(be, 2, 3), null), "gpre must have shape [4, 2]");
        tb.bad(lb, "gw [3, 2]", be -> be.dense().linearBackward(t(be, 4, 3), t(be, 2, 3), t(be, 4, 2), null, t(be, 3, 2), null), "gw must have shape [2, 3]");
        tb.bad(lb, "gb [3]", be -> be.dense().linearBackward(t(be, 4, 3), t(be, 2, 3), t(be, 4, 2), null, t(be, 2, 3), t(be, 3)), "gb must have shape [2]");
        tb.bad(lb, "gx [4, 2]", be -> be.dense().linearBackward(t(be, 4, 3), t(be, 2, 3), t(be, 4, 2), t(be, 4, 2), t(be, 2, 3), null), "gx must have shape [4, 3]");

        tb.ok("applyMask", "same shapes, in place", be -> { Tensor w = t(be, 2, 3); be.dense().applyMask(w, t(be, 2, 3), w); });
        tb.bad("applyMask", "mask [3, 2]", be -> be.dense().applyMask(t(be, 2, 3), t(be, 3, 2), t(be, 2, 3)), "w [2, 3] and mask [3, 2] must have the same shape");
        tb.bad("applyMask", "out [3, 2]", be -> be.dense().applyMask(t(be, 2, 3), t(be, 2, 3), t(be, 3, 2)), "w [2, 3] and out [3, 2] must have the same shape");
    }

    // ------------------------------------------------------------------ gather / scatter

    private static void gatherScatter(Table tb) {
        tb.ok("gather", "idx {2, 0}", be -> be.coupling().gather(t(be, 4, 3), ix(be, 2, 0), t(be, 4, 2)));
        tb.ok("gather", "repeated index (allowed)", be -> be.coupling().gather(t(be, 4, 3), ix(be, 1, 1), t(be, 4, 2)));
        tb.bad("gather", "x rank 1", be -> be.coupling().gather(t(be, 12), ix(be, 2, 0), t(be, 4, 2)), "x must have rank [2]");
        tb.bad("gather", "out [4, 3]", be -> be.coupling().gather(t(be, 4, 3), ix(be, 2, 0), t(be, 4, 3)), "out must have shape [4, 2]");
        tb.bad("gather", "index 3 of 3", be -> be.coupling().gather(t(be, 4, 3), ix(be, 0, 3), t(be, 4, 2)), "index 3 out of range [0,3)");
        tb.bad("gather", "index -1", be -> be.coupling().gather(t(be, 4, 3), ix(be, -1, 0), t(be, 4, 2)), "index -1 out of range [0,3)");

        tb.ok("scatterAdd", "idx {2, 0}", be -> be.coupling().scatterAdd(t(be, 4, 2), ix(be, 2, 0), t(be, 4, 3)));
        tb.ok("scatterAdd", "repeated index (allowed)", be -> be.coupling().scatterAdd(t(be, 4, 2), ix(be, 1, 1), t(be, 4, 3)));
        tb.bad("scatterAdd", "dst rank 1", be -> be.coupling().scatterAdd(t(be, 4, 2), ix(be, 2, 0), t(be, 12)), "dst must have rank [2]");
        tb.bad("scatterAdd", "src [4, 3]", be -> be.coupling().scatterAdd(t(be, 4, 3), ix(be, 2, 0), t(be, 4, 3)), "src must have shape [4, 2]");
        tb.bad("scatterAdd", "index 3 of 3", be -> be.coupling().scatterAdd(t(be, 4, 2), ix(be, 0, 3), t(be, 4, 3)), "index 3 out of range [0,3)");
        tb.bad("scatterAdd", "index -1", be -> be.coupling().scatterAdd(t(be, 4, 2), ix(be, 0, -1), t(be, 4, 3)), "index -1 out of range [0,3)");
    }

    // ------------------------------------------------------------------ couplings

    /** A coupling call with x/y (or y/x) [4, 3], h [4, hMult·2], mask b, output and log-det of the given shapes. */
    private interface CouplingCall {
        void run(Backend be, Tensor in, Tensor h, Index b, Tensor out, Tensor ld);
    }

    /**
     * The shared coupling cases of one op: {@code in, out, ld} are the op's names of its input, output and log-det
     * argument, {@code hn} of the conditioner output ({@code h} or {@code m}), {@code hMult} its columns per mask index.
     */
    private static void couplingCases(Table tb, String op, String in, String hn, int hMult, String out, String ld, CouplingCall c) {
        int hc = hMult * 2;
        tb.ok(op, "mask {2, 0}", be -> c.run(be, t(be, 4, 3), t(be, 4, hc), ix(be, 2, 0), t(be, 4, 3), t(be, 4)));
        tb.ok(op, "mask {1}", be -> c.run(be, t(be, 4, 3), t(be, 4, hMult), ix(be, 1), t(be, 4, 3), t(be, 4)));
        tb.bad(op, in + " rank 1", be -> c.run(be, t(be, 12), t(be, 4, hc), ix(be, 2, 0), t(be, 12), t(be, 4)), in + " must have rank [2]");
        tb.bad(op, hn + " too narrow", be -> c.run(be, t(be, 4, 3), t(be, 4, hc - 1), ix(be, 2, 0), t(be, 4, 3), t(be, 4)),
                hn + " must have shape [4, " + hc + "]");
        tb.bad(op, hn + " wrong batch", be -> c.run(be, t(be, 4, 3), t(be, 3, hc), ix(be, 2, 0), t(be, 4, 3), t(be, 4)),
                hn + " must have shape [4, " + hc + "]");
        tb.bad(op, out + " [4, 2]", be -> c.run(be, t(be, 4, 3), t(be, 4, hc), ix(be, 2, 0), t(be, 4, 2), t(be, 4)),
                in + " [4, 3] and " + out + " [4, 2] must have the same shape");
        tb.bad(op, "mask index 3 of 3", be -> c.run(be, t(be, 4, 3), t(be, 4, hc), ix(be, 0, 3), t(be, 4, 3), t(be, 4)),
                "mask index 3 out of range [0,3)");
        tb.bad(op, "mask index -1", be -> c.run(be, t(be, 4, 3), t(be, 4, hc), ix(be, -1, 0), t(be, 4, 3), t(be, 4)),
                "mask index -1 out of range [0,3)");
        tb.bad(op, "mask index repeated", be -> c.run(be, t(be, 4, 3), t(be, 4, hc), ix(be, 1, 1), t(be, 4, 3), t(be, 4)),
                "mask indices must not repeat");
        if (ld != null) {
            tb.bad(op, ld + " [3]", be -> c.run(be, t(be, 4, 3), t(be, 4, hc), ix(be, 2, 0), t(be, 4, 3), t(be, 3)), ld + " must have shape [4]");
            tb.bad(op, ld + " [4, 1]", be -> c.run(be, t(be, 4, 3), t(be, 4, hc), ix(be, 2, 0), t(be, 4, 3), t(be, 4, 1)), ld + " must have shape [4]");
        }
    }

    private static void couplings(Table tb) {
        CouplingScale sc = CouplingScale.SOFTCLAMP;
        couplingCases(tb, "affineCouplingForward", "x", "h", 2, "y", "ld",
                (be, x, h, b, y, ld) -> be.coupling().affineCouplingForward(x, h, b, sc, 2f, y, ld));
        tb.ok("affineCouplingForward", "sigmoid scale", be -> be.coupling().affineCouplingForward(t(be, 4, 3), t(be, 4, 4), ix(be, 2, 0),
                CouplingScale.SIGMOID, 2f, t(be, 4, 3), t(be, 4)));
        couplingCases(tb, "affineCouplingInverse", "y", "h", 2, "x", "ld",
                (be, y, h, b, x, ld) -> be.coupling().affineCouplingInverse(y, h, b, sc, 2f, x, ld));
        tb.ok("affineCouplingInverse", "sigmoid scale", be -> be.coupling().affineCouplingInverse(t(be, 4, 3), t(be, 4, 4), ix(be, 2, 0),
                CouplingScale.SIGMOID, 2f, t(be, 4, 3), t(be, 4)));
        // backward: in = x, out = gx, ld = gLd; gy and gh follow x and h
        couplingCases(tb, "affineCouplingBackward", "x", "h", 2, "gx", "gLd",
                (be, x, h, b, gx, gLd) -> be.coupling().affineCouplingBackward(x, h, b, sc, 2f, t(be, x.shape()), gLd, gx, t(be, h.shape())));
        String acb = "affineCouplingBackward";
        tb.bad(acb, "gy [4, 2]", be -> be.coupling().affineCouplingBackward(t(be, 4, 3), t(be, 4, 4), ix(be, 2, 0), sc, 2f,
                t(be, 4, 2), t(be, 4), t(be, 4, 3), t(be, 4, 4)), "x [4, 3] and gy [4, 2] must have the same shape");
        tb.bad(acb, "gh [4, 3]", be -> be.coupling().affineCouplingBackward(t(be, 4, 3), t(be, 4, 4), ix(be, 2, 0), sc, 2f,
                t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 4, 3)), "h [4, 4] and gh [4, 3] must have the same shape");
        couplingCases(tb, "additiveCouplingForward", "x", "m", 1, "y", null,
                (be, x, m, b, y, ld) -> be.coupling().additiveCouplingForward(x, m, b, y));
        couplingCases(tb, "additiveCouplingInverse", "y", "m", 1, "x", null,
                (be, y, m, b, x, ld) -> be.coupling().additiveCouplingInverse(y, m, b, x));
    }

    // ------------------------------------------------------------------ actnorm

    /** actnormForward or actnormInverse with a bias of logs' shape: input, logs, output, log-det. */
    private interface ActnormCall {
        void run(Backend be, Tensor in, Tensor logs, Tensor out, Tensor ld);
    }

    private static void actnorm(Table tb) {
        for (boolean inverse : new boolean[] {false, true}) {
            String op = inverse ? "actnormInverse" : "actnormForward", in = inverse ? "y" : "x", out = inverse ? "x" : "y";
            ActnormCall c = inverse
                    ? (be, y, logs, x, ld) -> be.actnorm().actnormInverse(y, logs, t(be, logs.shape()), x, ld)
                    : (be, x, logs, y, ld) -> be.actnorm().actnormForward(x, logs, t(be, logs.shape()), y, ld);
            tb.ok(op, "vectors", be -> c.run(be, t(be, 4, 3), t(be, 3), t(be, 4, 3), t(be, 4)));
            tb.ok(op, "images", be -> c.run(be, t(be, 2, 3, 4, 4), t(be, 3), t(be, 2, 3, 4, 4), t(be, 2)));
            tb.ok(op, "no bias", be -> {
                if (inverse) be.actnorm().actnormInverse(t(be, 4, 3), t(be, 3), null, t(be, 4, 3), t(be, 4));
                else be.actnorm().actnormForward(t(be, 4, 3), t(be, 3), null, t(be, 4, 3), t(be, 4));
            });
            tb.bad(op, in + " rank 3", be -> c.run(be, t(be, 4, 3, 2), t(be, 3), t(be, 4, 3, 2), t(be, 4)), in + " must have rank [2, 4]");
            tb.bad(op, in + " rank 1", be -> c.run(be, t(be, 4), t(be, 3), t(be, 4), t(be, 4)), in + " must have rank [2, 4]");
            tb.bad(op, "logs [4]", be -> c.run(be, t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 4)), "logs must have shape [3]");
            tb.bad(op, "logs [3, 1]", be -> c.run(be, t(be, 4, 3), t(be, 3, 1), t(be, 4, 3), t(be, 4)), "logs must have shape [3]");
            tb.bad(op, "bias [4]", be -> {
                if (inverse) be.actnorm().actnormInverse(t(be, 4, 3), t(be, 3), t(be, 4), t(be, 4, 3), t(be, 4));
                else be.actnorm().actnormForward(t(be, 4, 3), t(be, 3), t(be, 4), t(be, 4, 3), t(be, 4));
            }, "bias must have shape [3]");
            tb.bad(op, out + " [4, 2]", be -> c.run(be, t(be, 4, 3), t(be, 3), t(be, 4, 2), t(be, 4)),
                    in + " [4, 3] and " + out + " [4, 2] must have the same shape");
            tb.bad(op, "ld [3]", be -> c.run(be, t(be, 4, 3), t(be, 3), t(be, 4, 3), t(be, 3)), "ld must have shape [4]");
            tb.bad(op, "images, ld [4]", be -> c.run(be, t(be, 2, 3, 4, 4), t(be, 3), t(be, 2, 3, 4, 4), t(be, 4)), "ld must have shape [2]");
        }

        String op = "actnormBackward";
        tb.ok(op, "all gradients", be -> be.actnorm().actnormBackward(t(be, 4, 3), t(be, 3), t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 3), t(be, 3)));
        tb.ok(op, "images, no gx, no gbias", be -> be.actnorm().actnormBackward(t(be, 2, 3, 4, 4), t(be, 3), t(be, 2, 3, 4, 4), t(be, 2), null, t(be, 3), null));
        tb.bad(op, "x rank 3", be -> be.actnorm().actnormBackward(t(be, 4, 3, 2), t(be, 3), t(be, 4, 3, 2), t(be, 4), null, t(be, 3), null), "x must have rank [2, 4]");
        tb.bad(op, "logs [4]", be -> be.actnorm().actnormBackward(t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 4), null, t(be, 3), null), "logs must have shape [3]");
        tb.bad(op, "gx [4, 2]", be -> be.actnorm().actnormBackward(t(be, 4, 3), t(be, 3), t(be, 4, 3), t(be, 4), t(be, 4, 2), t(be, 3), null),
                "x [4, 3] and gx [4, 2] must have the same shape");
        tb.bad(op, "gLd [3]", be -> be.actnorm().actnormBackward(t(be, 4, 3), t(be, 3), t(be, 4, 3), t(be, 3), null, t(be, 3), null), "gLd must have shape [4]");
        tb.bad(op, "gy [4, 2]", be -> be.actnorm().actnormBackward(t(be, 4, 3), t(be, 3), t(be, 4, 2), t(be, 4), null, t(be, 3), null),
                "x [4, 3] and gy [4, 2] must have the same shape");
        tb.bad(op, "glogs [4]", be -> be.actnorm().actnormBackward(t(be, 4, 3), t(be, 3), t(be, 4, 3), t(be, 4), null, t(be, 4), null), "glogs must have shape [3]");
        tb.bad(op, "gbias [4]", be -> be.actnorm().actnormBackward(t(be, 4, 3), t(be, 3), t(be, 4, 3), t(be, 4), null, t(be, 3), t(be, 4)), "gbias must have shape [3]");

        op = "actnormInitStats";
        tb.ok(op, "vectors", be -> be.actnorm().actnormInitStats(t(be, 4, 3), t(be, 3), t(be, 3)));
        tb.ok(op, "images", be -> be.actnorm().actnormInitStats(t(be, 2, 3, 4, 4), t(be, 3), t(be, 3)));
        tb.bad(op, "x rank 3", be -> be.actnorm().actnormInitStats(t(be, 4, 3, 2), t(be, 3), t(be, 3)), "x must have rank [2, 4]");
        tb.bad(op, "mean [4]", be -> be.actnorm().actnormInitStats(t(be, 4, 3), t(be, 4), t(be, 3)), "mean must have shape [3]");
        tb.bad(op, "std [2]", be -> be.actnorm().actnormInitStats(t(be, 4, 3), t(be, 3), t(be, 2)), "std must have shape [3]");
    }

    // ------------------------------------------------------------------ LU

    /** An LU op given its factors; the op's own tensors (w, y/x, gradients) are made by the call. */
    private interface LuCall {
        void run(Backend be, Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign);
    }

    /** The checks every LU op shares ({@code OpChecks.luFactors}), with well-formed op-specific arguments. */
    private static void luFactorCases(Table tb, String op, LuCall c) {
        tb.ok(op, "C = 3, perm {2, 0, 1}", be -> c.run(be, ix(be, 2, 0, 1), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 3)));
        tb.bad(op, "logs rank 2", be -> c.run(be, ix(be, 2, 0, 1), t(be, 3, 3), t(be, 3, 3), t(be, 3, 1), filled(be, 1f, 3)), "logs must have rank [1]");
        tb.bad(op, "logs rank 0", be -> c.run(be, ix(be, 2, 0, 1), t(be, 3, 3), t(be, 3, 3), t(be), filled(be, 1f, 3)), "logs must have rank [1]");
        tb.bad(op, "lower [3, 2]", be -> c.run(be, ix(be, 2, 0, 1), t(be, 3, 2), t(be, 3, 3), t(be, 3), filled(be, 1f, 3)), "lower must have shape [3, 3]");
        tb.bad(op, "upper [2, 3]", be -> c.run(be, ix(be, 2, 0, 1), t(be, 3, 3), t(be, 2, 3), t(be, 3), filled(be, 1f, 3)), "upper must have shape [3, 3]");
        tb.bad(op, "sign [2]", be -> c.run(be, ix(be, 2, 0, 1), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 2)), "sign must have shape [3]");
        tb.bad(op, "perm of 2 entries", be -> c.run(be, ix(be, 1, 0), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 3)),
                "permutation has 2 entries, expected 3");
        tb.bad(op, "perm with a repeat", be -> c.run(be, ix(be, 0, 0, 1), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 3)),
                "perm must be a permutation of 0..2");
        tb.bad(op, "perm entry 3", be -> c.run(be, ix(be, 0, 1, 3), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 3)),
                "perm must be a permutation of 0..2");
        tb.bad(op, "perm entry -1", be -> c.run(be, ix(be, 0, -1, 1), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 3)),
                "perm must be a permutation of 0..2");
    }

    private static void lu(Table tb) {
        luFactorCases(tb, "luAssemble", (be, p, l, u, s, g) -> be.lu().luAssemble(p, l, u, s, g, t(be, 3, 3)));
        tb.bad("luAssemble", "w [3, 2]", be -> be.lu().luAssemble(ix(be, 2, 0, 1), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 3), t(be, 3, 2)),
                "w must have shape [3, 3]");

        luFactorCases(tb, "luSolve", (be, p, l, u, s, g) -> be.lu().luSolve(p, l, u, s, g, t(be, 4, 3), t(be, 4, 3)));
        String op = "luSolve";
        tb.ok(op, "images", be -> be.lu().luSolve(ix(be, 2, 0, 1), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 3), t(be, 2, 3, 4, 4), t(be, 2, 3, 4, 4)));
        tb.bad(op, "y rank 3", be -> be.lu().luSolve(ix(be, 2, 0, 1), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 3), t(be, 2, 3, 4), t(be, 2, 3, 4)),
                "y must have rank [2, 4]");
        tb.bad(op, "y [4, 2]", be -> be.lu().luSolve(ix(be, 2, 0, 1), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 3), t(be, 4, 2), t(be, 4, 2)),
                "y must have 3 features/channels");
        tb.bad(op, "images with 2 channels", be -> be.lu().luSolve(ix(be, 2, 0, 1), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 3), t(be, 2, 2, 4, 4), t(be, 2, 2, 4, 4)),
                "y must have 3 features/channels");
        tb.bad(op, "x [4, 2]", be -> be.lu().luSolve(ix(be, 2, 0, 1), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 3), t(be, 4, 3), t(be, 4, 2)),
                "y [4, 3] and x [4, 2] must have the same shape");

        op = "luWeightBackward";
        luFactorCases(tb, op, (be, p, l, u, s, g) -> be.lu().luWeightBackward(p, l, u, s, g, t(be, 3, 3), t(be, 3, 3), t(be, 3, 3), t(be, 3)));
        String[] names = {"gw", "glower", "gupper"};
        for (int bad = 0; bad < 3; bad++) {
            int which = bad;
            tb.bad(op, names[bad] + " [3, 2]", be -> {
                Tensor[] g = {t(be, 3, 3), t(be, 3, 3), t(be, 3, 3)};
                g[which] = t(be, 3, 2);
                be.lu().luWeightBackward(ix(be, 2, 0, 1), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 3), g[0], g[1], g[2], t(be, 3));
            }, names[bad] + " must have shape [3, 3]");
        }
        tb.bad(op, "glogs [2]", be -> be.lu().luWeightBackward(ix(be, 2, 0, 1), t(be, 3, 3), t(be, 3, 3), t(be, 3), filled(be, 1f, 3),
                t(be, 3, 3), t(be, 3, 3), t(be, 3, 3), t(be, 2)), "glogs must have shape [3]");
    }

    // ------------------------------------------------------------------ parameter-only log-det terms

    private static void logDetTerms(Table tb) {
        tb.ok("addScaledSum", "ld [4], v [3]", be -> be.reduce().addScaledSum(t(be, 4), t(be, 3), 2f));
        tb.ok("addScaledSum", "v [3, 3]", be -> be.reduce().addScaledSum(t(be, 4), t(be, 3, 3), 2f));
        tb.bad("addScaledSum", "ld [4, 1]", be -> be.reduce().addScaledSum(t(be, 4, 1), t(be, 3), 2f), "ld must have rank [1]");
        tb.ok("addScaledTotal", "g [3], gLd [4]", be -> be.reduce().addScaledTotal(t(be, 3), t(be, 4), 2f));
        tb.bad("addScaledTotal", "gLd [4, 1]", be -> be.reduce().addScaledTotal(t(be, 3), t(be, 4, 1), 2f), "gLd must have rank [1]");
    }

    // ------------------------------------------------------------------ MAF

    private static void maf(Table tb) {
        String op = "mafForward";
        tb.ok(op, "x [4, 3], h [4, 6]", be -> be.maf().mafForward(t(be, 4, 3), t(be, 4, 6), 2f, t(be, 4, 3), t(be, 4)));
        tb.bad(op, "x rank 1", be -> be.maf().mafForward(t(be, 12), t(be, 4, 6), 2f, t(be, 12), t(be, 4)), "x must have rank [2]");
        tb.bad(op, "h [4, 3]", be -> be.maf().mafForward(t(be, 4, 3), t(be, 4, 3), 2f, t(be, 4, 3), t(be, 4)), "h must have shape [4, 6]");
        tb.bad(op, "z [4, 2]", be -> be.maf().mafForward(t(be, 4, 3), t(be, 4, 6), 2f, t(be, 4, 2), t(be, 4)), "x [4, 3] and z [4, 2] must have the same shape");
        tb.bad(op, "ld [3]", be -> be.maf().mafForward(t(be, 4, 3), t(be, 4, 6), 2f, t(be, 4, 3), t(be, 3)), "ld must have shape [4]");

        op = "mafBackward";
        tb.ok(op, "x [4, 3], h [4, 6]", be -> be.maf().mafBackward(t(be, 4, 3), t(be, 4, 6), 2f, t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 4, 6)));
        tb.bad(op, "x rank 1", be -> be.maf().mafBackward(t(be, 12), t(be, 4, 6), 2f, t(be, 12), t(be, 4), t(be, 12), t(be, 4, 6)), "x must have rank [2]");
        tb.bad(op, "h [4, 5]", be -> be.maf().mafBackward(t(be, 4, 3), t(be, 4, 5), 2f, t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 4, 5)), "h must have shape [4, 6]");
        tb.bad(op, "gx [4, 2]", be -> be.maf().mafBackward(t(be, 4, 3), t(be, 4, 6), 2f, t(be, 4, 3), t(be, 4), t(be, 4, 2), t(be, 4, 6)),
                "x [4, 3] and gx [4, 2] must have the same shape");
        tb.bad(op, "gLd [3]", be -> be.maf().mafBackward(t(be, 4, 3), t(be, 4, 6), 2f, t(be, 4, 3), t(be, 3), t(be, 4, 3), t(be, 4, 6)), "gLd must have shape [4]");
        tb.bad(op, "gz [4, 2]", be -> be.maf().mafBackward(t(be, 4, 3), t(be, 4, 6), 2f, t(be, 4, 2), t(be, 4), t(be, 4, 3), t(be, 4, 6)),
                "x [4, 3] and gz [4, 2] must have the same shape");
        tb.bad(op, "gh [4, 5]", be -> be.maf().mafBackward(t(be, 4, 3), t(be, 4, 6), 2f, t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 4, 5)),
                "h [4, 6] and gh [4, 5] must have the same shape");

        op = "mafInverse";
        // a MADE with D = 3 and one hidden layer of 5: weights [5, 3], [6, 5]; biases [5], [6]
        tb.ok(op, "two layers", be -> mafInverse(be, new int[][] {{5, 3}, {6, 5}}, new int[] {5, 6}, ix(be, 2, 0, 1), 4, 3, 4));
        tb.ok(op, "one layer", be -> mafInverse(be, new int[][] {{6, 3}}, new int[] {6}, ix(be, 0, 1, 2), 4, 3, 4));
        tb.ok(op, "three layers", be -> mafInverse(be, new int[][] {{5, 3}, {7, 5}, {6, 7}}, new int[] {5, 7, 6}, ix(be, 1, 2, 0), 4, 3, 4));
        int[][] w2 = {{5, 3}, {6, 5}};
        int[] b2 = {5, 6};
        tb.bad(op, "z rank 1", be -> be.maf().mafInverse(List.of(t(be, 5, 3), t(be, 6, 5)), List.of(t(be, 5), t(be, 6)), Activation.RELU,
                ix(be, 0, 1, 2), 2f, t(be, 12), t(be, 12), t(be, 4)), "z must have rank [2]");
        tb.bad(op, "x [4, 2]", be -> be.maf().mafInverse(List.of(t(be, 5, 3), t(be, 6, 5)), List.of(t(be, 5), t(be, 6)), Activation.RELU,
                ix(be, 0, 1, 2), 2f, t(be, 4, 3), t(be, 4, 2), t(be, 4)), "z [4, 3] and x [4, 2] must have the same shape");
        tb.bad(op, "ld [3]", be -> mafInverse(be, w2, b2, ix(be, 0, 1, 2), 4, 3, 3), "ld must have shape [4]");
        tb.bad(op, "order of 2 entries", be -> mafInverse(be, w2, b2, ix(be, 0, 1), 4, 3, 4), "order has 2 entries, expected 3");
        tb.bad(op, "order with a repeat", be -> mafInverse(be, w2, b2, ix(be, 0, 0, 1), 4, 3, 4), "order must be a permutation of 0..2");
        tb.bad(op, "order entry 3", be -> mafInverse(be, w2, b2, ix(be, 0, 1, 3), 4, 3, 4), "order must be a permutation of 0..2");
        tb.bad(op, "order entry -1", be -> mafInverse(be, w2, b2, ix(be, 0, -1, 1), 4, 3, 4), "order must be a permutation of 0..2");
        tb.bad(op, "one bias for two weights", be -> mafInverse(be, w2, new int[] {5}, ix(be, 0, 1, 2), 4, 3, 4), "need one bias per weight");
        tb.bad(op, "no layers", be -> mafInverse(be, new int[0][], new int[0], ix(be, 0, 1, 2), 4, 3, 4), "need one bias per weight");
        tb.bad(op, "first layer takes 4 inputs", be -> mafInverse(be, new int[][] {{5, 4}, {6, 5}}, b2, ix(be, 0, 1, 2), 4, 3, 4),
                "first layer must take 3 inputs and last produce 6");
        tb.bad(op, "last layer produces 5", be -> mafInverse(be, new int[][] {{5, 3}, {5, 5}}, new int[] {5, 5}, ix(be, 0, 1, 2), 4, 3, 4),
                "first layer must take 3 inputs and last produce 6");
        tb.bad(op, "a weight of rank 1", be -> mafInverse(be, new int[][] {{5, 3}, {30}}, b2, ix(be, 0, 1, 2), 4, 3, 4),
                "weights[1] must have rank [2]");
        tb.bad(op, "layers do not chain", be -> mafInverse(be, new int[][] {{5, 3}, {4, 4}, {6, 4}}, new int[] {5, 4, 6}, ix(be, 0, 1, 2), 4, 3, 4),
                "layer 1 shapes do not chain");
        tb.bad(op, "bias 0 of 4 for 5 outputs", be -> mafInverse(be, w2, new int[] {4, 6}, ix(be, 0, 1, 2), 4, 3, 4),
                "layer 0 shapes do not chain");
        tb.bad(op, "last bias of 5 for 6 outputs", be -> mafInverse(be, w2, new int[] {5, 5}, ix(be, 0, 1, 2), 4, 3, 4),
                "layer 1 shapes do not chain");
    }

    /** mafInverse with zero weights of the given shapes, biases of the given lengths, z and x {@code [n, d]}, ld {@code [ldLen]}. */
    private static void mafInverse(Backend be, int[][] weightShapes, int[] biasLengths, Index order, int n, int d, int ldLen) {
        List<Tensor> w = Arrays.stream(weightShapes).map(s -> t(be, s)).toList();
        List<Tensor> b = Arrays.stream(biasLengths).mapToObj(k -> t(be, k)).toList();
        be.maf().mafInverse(w, b, Activation.RELU, order, 2f, t(be, n, d), t(be, n, d), t(be, ldLen));
    }

    // ------------------------------------------------------------------ base distributions

    private static void distributions(Table tb) {
        String op = "stdNormalLogProb";
        tb.ok(op, "vectors", be -> be.dist().stdNormalLogProb(t(be, 4, 3), t(be, 4)));
        tb.ok(op, "images", be -> be.dist().stdNormalLogProb(t(be, 2, 3, 4, 4), t(be, 2)));
        tb.bad(op, "out [3]", be -> be.dist().stdNormalLogProb(t(be, 4, 3), t(be, 3)), "out must have shape [4]");
        tb.bad(op, "out [4, 1]", be -> be.dist().stdNormalLogProb(t(be, 4, 3), t(be, 4, 1)), "out must have shape [4]");

        op = "stdNormalLogProbBackward";
        tb.ok(op, "vectors", be -> be.dist().stdNormalLogProbBackward(t(be, 4, 3), t(be, 4), t(be, 4, 3)));
        tb.ok(op, "images", be -> be.dist().stdNormalLogProbBackward(t(be, 2, 3, 4, 4), t(be, 2), t(be, 2, 3, 4, 4)));
        tb.bad(op, "gOut [3]", be -> be.dist().stdNormalLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 4, 3)), "gOut must have shape [4]");
        tb.bad(op, "gz [4, 2]", be -> be.dist().stdNormalLogProbBackward(t(be, 4, 3), t(be, 4), t(be, 4, 2)), "z [4, 3] and gz [4, 2] must have the same shape");

        op = "diagNormalLogProb";
        tb.ok(op, "vectors", be -> be.dist().diagNormalLogProb(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 4)));
        tb.ok(op, "images (parameters per element of a sample)", be -> be.dist().diagNormalLogProb(t(be, 2, 3, 4, 4), t(be, 48), t(be, 48), t(be, 2)));
        tb.bad(op, "out [3]", be -> be.dist().diagNormalLogProb(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 3)), "out must have shape [4]");
        tb.bad(op, "mu [4]", be -> be.dist().diagNormalLogProb(t(be, 4, 3), t(be, 4), t(be, 3), t(be, 4)), "mu must have shape [3]");
        tb.bad(op, "logSigma [2]", be -> be.dist().diagNormalLogProb(t(be, 4, 3), t(be, 3), t(be, 2), t(be, 4)), "logSigma must have shape [3]");

        op = "diagNormalLogProbBackward";
        tb.ok(op, "all gradients", be -> be.dist().diagNormalLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 4), t(be, 4, 3), t(be, 3), t(be, 3)));
        tb.ok(op, "no gz", be -> be.dist().diagNormalLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 4), null, t(be, 3), t(be, 3)));
        tb.bad(op, "gOut [3]", be -> be.dist().diagNormalLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 3), null, t(be, 3), t(be, 3)), "gOut must have shape [4]");
        tb.bad(op, "mu [4]", be -> be.dist().diagNormalLogProbBackward(t(be, 4, 3), t(be, 4), t(be, 3), t(be, 4), null, t(be, 3), t(be, 3)), "mu must have shape [3]");
        tb.bad(op, "gmu [4]", be -> be.dist().diagNormalLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 4), null, t(be, 4), t(be, 3)), "gmu must have shape [3]");
        tb.bad(op, "glogSigma [2]", be -> be.dist().diagNormalLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 4), null, t(be, 3), t(be, 2)), "glogSigma must have shape [3]");
        tb.bad(op, "gz [4, 2]", be -> be.dist().diagNormalLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 4), t(be, 4, 2), t(be, 3), t(be, 3)),
                "z [4, 3] and gz [4, 2] must have the same shape");
        // NOT CHECKED (see OpChecksTest): a logSigma of the wrong length; OpChecks.diagNormalLogProbBackward is not given logSigma.

        op = "condNormalLogProb";
        int[] img = {2, 3, 4, 4}, other = {2, 3, 4, 2};
        tb.ok(op, "images", be -> be.dist().condNormalLogProb(t(be, img), t(be, img), t(be, img), t(be, 2)));
        tb.ok(op, "vectors", be -> be.dist().condNormalLogProb(t(be, 4, 3), t(be, 4, 3), t(be, 4, 3), t(be, 4)));
        tb.bad(op, "out [3]", be -> be.dist().condNormalLogProb(t(be, img), t(be, img), t(be, img), t(be, 3)), "out must have shape [2]");
        tb.bad(op, "mu of another shape", be -> be.dist().condNormalLogProb(t(be, img), t(be, other), t(be, img), t(be, 2)),
                "z [2, 3, 4, 4] and mu [2, 3, 4, 2] must have the same shape");
        tb.bad(op, "logSigma of another shape", be -> be.dist().condNormalLogProb(t(be, img), t(be, img), t(be, other), t(be, 2)),
                "z [2, 3, 4, 4] and logSigma [2, 3, 4, 2] must have the same shape");

        op = "condNormalLogProbBackward";
        tb.ok(op, "all gradients", be -> be.dist().condNormalLogProbBackward(t(be, img), t(be, img), t(be, img), t(be, 2), t(be, img), t(be, img), t(be, img)));
        tb.ok(op, "no gz", be -> be.dist().condNormalLogProbBackward(t(be, img), t(be, img), t(be, img), t(be, 2), null, t(be, img), t(be, img)));
        tb.bad(op, "gOut [3]", be -> be.dist().condNormalLogProbBackward(t(be, img), t(be, img), t(be, img), t(be, 3), null, t(be, img), t(be, img)),
                "gOut must have shape [2]");
        String[] names = {"mu", "logSigma", "gmu", "glogSigma", "gz"};
        for (int bad = 0; bad < names.length; bad++) {
            int which = bad;
            tb.bad(op, names[bad] + " of another shape", be -> {
                Tensor[] a = new Tensor[5];
                for (int i = 0; i < 5; i++) a[i] = t(be, i == which ? other : img);
                be.dist().condNormalLogProbBackward(t(be, img), a[0], a[1], t(be, 2), a[4], a[2], a[3]);
            }, "z [2, 3, 4, 4] and " + names[bad] + " [2, 3, 4, 2] must have the same shape");
        }

        op = "condNormalSample";
        tb.ok(op, "images", be -> be.dist().condNormalSample(t(be, img), t(be, img), t(be, img), 0.7f, t(be, img)));
        names = new String[] {"mu", "logSigma", "eps"};
        for (int bad = 0; bad < names.length; bad++) {
            int which = bad;
            tb.bad(op, names[bad] + " of another shape", be -> {
                Tensor[] a = new Tensor[3];
                for (int i = 0; i < 3; i++) a[i] = t(be, i == which ? other : img);
                be.dist().condNormalSample(a[0], a[1], a[2], 0.7f, t(be, img));
            }, "z [2, 3, 4, 4] and " + names[bad] + " [2, 3, 4, 2] must have the same shape");
        }
    }

    /** The zoo bases' dist ops (uniform box, logistic, Beta, Gaussian mixture). */
    private static void zooBases(Table tb) {
        String op = "uniformBoxLogProb";
        tb.ok(op, "vectors", be -> be.dist().uniformBoxLogProb(t(be, 4, 3), t(be, 3), t(be, 3), 0.5, t(be, 4)));
        tb.bad(op, "out [3]", be -> be.dist().uniformBoxLogProb(t(be, 4, 3), t(be, 3), t(be, 3), 0.5, t(be, 3)), "out must have shape [4]");
        tb.bad(op, "low [2]", be -> be.dist().uniformBoxLogProb(t(be, 4, 3), t(be, 2), t(be, 3), 0.5, t(be, 4)), "low must have shape [3]");
        tb.bad(op, "high [4]", be -> be.dist().uniformBoxLogProb(t(be, 4, 3), t(be, 3), t(be, 4), 0.5, t(be, 4)), "high must have shape [3]");
        op = "uniformBoxLogProbBackward";
        tb.ok(op, "vectors", be -> be.dist().uniformBoxLogProbBackward(t(be, 4, 3), t(be, 4), t(be, 4, 3)));
        tb.bad(op, "gOut [3]", be -> be.dist().uniformBoxLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 4, 3)), "gOut must have shape [4]");
        tb.bad(op, "gz [4, 2]", be -> be.dist().uniformBoxLogProbBackward(t(be, 4, 3), t(be, 4), t(be, 4, 2)), "z [4, 3] and gz [4, 2] must have the same shape");
        op = "uniformBoxSample";
        tb.ok(op, "vectors", be -> be.dist().uniformBoxSample(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 4, 3)));
        tb.bad(op, "u [4, 2]", be -> be.dist().uniformBoxSample(t(be, 4, 2), t(be, 3), t(be, 3), t(be, 4, 3)), "z [4, 3] and u [4, 2] must have the same shape");
        tb.bad(op, "high [2]", be -> be.dist().uniformBoxSample(t(be, 4, 3), t(be, 3), t(be, 2), t(be, 4, 3)), "high must have shape [3]");

        op = "logisticLogProb";
        tb.ok(op, "vectors", be -> be.dist().logisticLogProb(t(be, 4, 3), t(be, 4)));
        tb.bad(op, "out [3]", be -> be.dist().logisticLogProb(t(be, 4, 3), t(be, 3)), "out must have shape [4]");
        op = "logisticLogProbBackward";
        tb.ok(op, "vectors", be -> be.dist().logisticLogProbBackward(t(be, 4, 3), t(be, 4), t(be, 4, 3)));
        tb.bad(op, "gOut [3]", be -> be.dist().logisticLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 4, 3)), "gOut must have shape [4]");
        tb.bad(op, "gz [4, 2]", be -> be.dist().logisticLogProbBackward(t(be, 4, 3), t(be, 4), t(be, 4, 2)), "z [4, 3] and gz [4, 2] must have the same shape");
        op = "logisticSample";
        tb.ok(op, "vectors", be -> be.dist().logisticSample(t(be, 4, 3), 0.7f, t(be, 4, 3)));
        tb.bad(op, "u [4, 2]", be -> be.dist().logisticSample(t(be, 4, 2), 0.7f, t(be, 4, 3)), "z [4, 3] and u [4, 2] must have the same shape");

        op = "betaLogProb";
        tb.ok(op, "vectors", be -> be.dist().betaLogProb(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 4)));
        tb.bad(op, "out [3]", be -> be.dist().betaLogProb(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 3)), "out must have shape [4]");
        tb.bad(op, "logAlpha [2]", be -> be.dist().betaLogProb(t(be, 4, 3), t(be, 2), t(be, 3), t(be, 4)), "logAlpha must have shape [3]");
        tb.bad(op, "logBeta [4]", be -> be.dist().betaLogProb(t(be, 4, 3), t(be, 3), t(be, 4), t(be, 4)), "logBeta must have shape [3]");
        op = "betaLogProbBackward";
        tb.ok(op, "all gradients", be -> be.dist().betaLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 4), t(be, 4, 3), t(be, 3), t(be, 3)));
        tb.ok(op, "no gz", be -> be.dist().betaLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 4), null, t(be, 3), t(be, 3)));
        tb.bad(op, "gOut [3]", be -> be.dist().betaLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 3), null, t(be, 3), t(be, 3)), "gOut must have shape [4]");
        tb.bad(op, "glogAlpha [2]", be -> be.dist().betaLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 4), null, t(be, 2), t(be, 3)), "glogAlpha must have shape [3]");
        tb.bad(op, "glogBeta [2]", be -> be.dist().betaLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 4), null, t(be, 3), t(be, 2)), "glogBeta must have shape [3]");
        tb.bad(op, "gz [4, 2]", be -> be.dist().betaLogProbBackward(t(be, 4, 3), t(be, 3), t(be, 3), t(be, 4), t(be, 4, 2), t(be, 3), t(be, 3)),
                "z [4, 3] and gz [4, 2] must have the same shape");
        op = "betaSample";
        int nn = 3 * dev.fluvia.backend.dist.DistOps.BETA_NORMALS, nu = 3 * dev.fluvia.backend.dist.DistOps.BETA_UNIFORMS;
        tb.ok(op, "vectors", be -> be.dist().betaSample(t(be, 3), t(be, 3), t(be, 4, nn), t(be, 4, nu), t(be, 4, 3)));
        tb.bad(op, "logAlpha [2]", be -> be.dist().betaSample(t(be, 2), t(be, 3), t(be, 4, nn), t(be, 4, nu), t(be, 4, 3)), "logAlpha must have shape [3]");
        tb.bad(op, "normals too few", be -> be.dist().betaSample(t(be, 3), t(be, 3), t(be, 4, nn - 1), t(be, 4, nu), t(be, 4, 3)), "normals must have shape [4, " + nn + "]");
        tb.bad(op, "uniforms of another batch", be -> be.dist().betaSample(t(be, 3), t(be, 3), t(be, 4, nn), t(be, 5, nu), t(be, 4, 3)), "uniforms must have shape [4, " + nu + "]");

        op = "gaussianMixtureLogProb";
        tb.ok(op, "vectors", be -> be.dist().gaussianMixtureLogProb(t(be, 4, 3), t(be, 2), t(be, 2, 3), t(be, 2, 3), t(be, 4)));
        tb.bad(op, "out [3]", be -> be.dist().gaussianMixtureLogProb(t(be, 4, 3), t(be, 2), t(be, 2, 3), t(be, 2, 3), t(be, 3)), "out must have shape [4]");
        tb.bad(op, "logits [2, 1]", be -> be.dist().gaussianMixtureLogProb(t(be, 4, 3), t(be, 2, 1), t(be, 2, 3), t(be, 2, 3), t(be, 4)), "logits must have rank [1]");
        tb.bad(op, "no component", be -> be.dist().gaussianMixtureLogProb(t(be, 4, 3), t(be, 0), t(be, 0, 3), t(be, 0, 3), t(be, 4)), "at least one component");
        tb.bad(op, "means [3, 3]", be -> be.dist().gaussianMixtureLogProb(t(be, 4, 3), t(be, 2), t(be, 3, 3), t(be, 2, 3), t(be, 4)), "means must have shape [2, 3]");
        tb.bad(op, "logScales [2, 2]", be -> be.dist().gaussianMixtureLogProb(t(be, 4, 3), t(be, 2), t(be, 2, 3), t(be, 2, 2), t(be, 4)), "logScales must have shape [2, 3]");
        op = "gaussianMixtureLogProbBackward";
        tb.ok(op, "all gradients", be -> be.dist().gaussianMixtureLogProbBackward(t(be, 4, 3), t(be, 2), t(be, 2, 3), t(be, 2, 3), t(be, 4), t(be, 4, 3),
                t(be, 2), t(be, 2, 3), t(be, 2, 3)));
        tb.ok(op, "no gz", be -> be.dist().gaussianMixtureLogProbBackward(t(be, 4, 3), t(be, 2), t(be, 2, 3), t(be, 2, 3), t(be, 4), null,
                t(be, 2), t(be, 2, 3), t(be, 2, 3)));
        tb.bad(op, "gOut [3]", be -> be.dist().gaussianMixtureLogProbBackward(t(be, 4, 3), t(be, 2), t(be, 2, 3), t(be, 2, 3), t(be, 3), null,
                t(be, 2), t(be, 2, 3), t(be, 2, 3)), "gOut must have shape [4]");
        tb.bad(op, "glogits [3]", be -> be.dist().gaussianMixtureLogProbBackward(t(be, 4, 3), t(be, 2), t(be, 2, 3), t(be, 2, 3), t(be, 4), null,
                t(be, 3), t(be, 2, 3), t(be, 2, 3)), "logits [2] and glogits [3] must have the same shape");
        tb.bad(op, "gmeans [2, 2]", be -> be.dist().gaussianMixtureLogProbBackward(t(be, 4, 3), t(be, 2), t(be, 2, 3), t(be, 2, 3), t(be, 4), null,
                t(be, 2), t(be, 2, 2), t(be, 2, 3)), "means [2, 3] and gmeans [2, 2] must have the same shape");
        tb.bad(op, "glogScales [3, 3]", be -> be.dist().gaussianMixtureLogProbBackward(t(be, 4, 3), t(be, 2), t(be, 2, 3), t(be, 2, 3), t(be, 4), null,
                t(be, 2), t(be, 2, 3), t(be, 3, 3)), "logScales [2, 3] and glogScales [3, 3] must have the same shape");
        tb.bad(op, "gz [4, 2]", be -> be.dist().gaussianMixtureLogProbBackward(t(be, 4, 3), t(be, 2), t(be, 2, 3), t(be, 2, 3), t(be, 4), t(be, 4, 2),
                t(be, 2), t(be, 2, 3), t(be, 2, 3)), "z [4, 3] and gz [4, 2] must have the same shape");
        op = "gaussianMixtureSample";
        tb.ok(op, "vectors", be -> be.dist().gaussianMixtureSample(t(be, 2), t(be, 2, 3), t(be, 2, 3), t(be, 4), t(be, 4, 3), 0.7f, t(be, 4, 3)));
        tb.bad(op, "u [4, 1]", be -> be.dist().gaussianMixtureSample(t(be, 2), t(be, 2, 3), t(be, 2, 3), t(be, 4, 1), t(be, 4, 3), 0.7f, t(be, 4, 3)), "u must have shape [4]");
        tb.bad(op, "eps [4, 2]", be -> be.dist().gaussianMixtureSample(t(be, 2), t(be, 2, 3), t(be, 2, 3), t(be, 4), t(be, 4, 2), 0.7f, t(be, 4, 3)),
                "z [4, 3] and eps [4, 2] must have the same shape");
        tb.bad(op, "means [2, 2]", be -> be.dist().gaussianMixtureSample(t(be, 2), t(be, 2, 2), t(be, 2, 3), t(be, 4), t(be, 4, 3), 0.7f, t(be, 4, 3)), "means must have shape [2, 3]");
    }

    // ------------------------------------------------------------------ element-wise and optimizers

    private static void elementwiseAndOptimizers(Table tb) {
        tb.ok("axpy", "[4, 3] into [12]", be -> be.elementwise().axpy(0.5f, t(be, 4, 3), t(be, 12)));
        tb.bad("axpy", "[4, 3] into [4, 2]", be -> be.elementwise().axpy(0.5f, t(be, 4, 3), t(be, 4, 2)), "element counts differ", "[4, 3] [4, 2]");

        // the generic primitives (elementwise family)
        var U = dev.fluvia.backend.elementwise.Unary.EXP;
        var B = dev.fluvia.backend.elementwise.Binary.MUL;
        tb.ok("map", "exp [4, 3] into [12]", be -> be.elementwise().map(U, t(be, 4, 3), t(be, 12)));
        tb.ok("map", "in place", be -> { Tensor x = t(be, 4, 3); be.elementwise().map(U, x, x); });
        tb.bad("map", "exp [4, 3] into [4, 2]", be -> be.elementwise().map(U, t(be, 4, 3), t(be, 4, 2)), "x and y must have the same element count");
        tb.ok("map", "mul, same shape", be -> be.elementwise().map(B, t(be, 4, 3), t(be, 4, 3), t(be, 4, 3)));
        tb.ok("map", "mul, row broadcast [3]", be -> be.elementwise().map(B, t(be, 4, 3), t(be, 3), t(be, 4, 3)));
        tb.ok("map", "mul, column broadcast [4]", be -> be.elementwise().map(B, t(be, 4, 3), t(be, 4), t(be, 4, 3)));
        tb.ok("map", "mul, column broadcast [4, 1] of an image", be -> be.elementwise().map(B, t(be, 4, 3, 2, 2), t(be, 4, 1), t(be, 4, 3, 2, 2)));
        tb.bad("map", "mul, b [5]", be -> be.elementwise().map(B, t(be, 4, 3), t(be, 5), t(be, 4, 3)), "b must have a's element count", "[3] (a row)", "[4] (a column)");
        tb.bad("map", "mul, out [4, 2]", be -> be.elementwise().map(B, t(be, 4, 3), t(be, 3), t(be, 4, 2)), "a and out must have the same element count");
        tb.ok("rowSum", "[4, 3] → [4]", be -> be.elementwise().rowSum(t(be, 4, 3), t(be, 4)));
        tb.bad("rowSum", "out [3]", be -> be.elementwise().rowSum(t(be, 4, 3), t(be, 3)), "out must have one entry per row of x (4)");
        tb.bad("rowSum", "out [4, 1]", be -> be.elementwise().rowSum(t(be, 4, 3), t(be, 4, 1)), "out must have rank [1]");
        tb.ok("rowLogSumExp", "image [2, 3, 4, 4] → [2]", be -> be.elementwise().rowLogSumExp(t(be, 2, 3, 4, 4), t(be, 2)));
        tb.bad("rowLogSumExp", "out [3]", be -> be.elementwise().rowLogSumExp(t(be, 4, 3), t(be, 3)), "out must have one entry per row of x (4)");

        String[] names = {"g", "m", "v"};
        tb.ok("adamUpdate", "all [4, 3]", be -> be.optim().adamUpdate(t(be, 4, 3), t(be, 4, 3), t(be, 4, 3), t(be, 4, 3), 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1));
        for (int bad = 0; bad < 3; bad++) {
            int which = bad;
            tb.bad("adamUpdate", names[bad] + " [3, 4]", be -> {
                Tensor[] a = new Tensor[3];
                for (int i = 0; i < 3; i++) a[i] = i == which ? t(be, 3, 4) : t(be, 4, 3);
                be.optim().adamUpdate(t(be, 4, 3), a[0], a[1], a[2], 1e-3f, 0.9f, 0.999f, 1e-8f, 0f, 1);
            }, "p [4, 3] and " + names[bad] + " [3, 4] must have the same shape");
        }
        String[] maxNames = {"g", "m", "u"};
        tb.ok("adamaxUpdate", "all [4, 3]", be -> be.optim().adamaxUpdate(t(be, 4, 3), t(be, 4, 3), t(be, 4, 3), t(be, 4, 3), 2e-3f, 0.9f, 0.999f, 1e-8f, 1));
        for (int bad = 0; bad < 3; bad++) {
            int which = bad;
            tb.bad("adamaxUpdate", maxNames[bad] + " [12]", be -> {
                Tensor[] a = new Tensor[3];
                for (int i = 0; i < 3; i++) a[i] = i == which ? t(be, 12) : t(be, 4, 3);
                be.optim().adamaxUpdate(t(be, 4, 3), a[0], a[1], a[2], 2e-3f, 0.9f, 0.999f, 1e-8f, 1);
            }, "p [4, 3] and " + maxNames[bad] + " [12] must have the same shape");
        }
        for (String op : new String[] {"adamStep", "adamaxStep"}) {
            String[] slotNames = op.equals("adamStep") ? names : maxNames;
            tb.ok(op, "all [4, 3]", be -> step(be, op, t(be, 4, 3), t(be, 4, 3), t(be, 4, 3), t(be, 4, 3)));
            for (int bad = 0; bad < 3; bad++) {
                int which = bad;
                tb.bad(op, slotNames[bad] + " [12]", be -> {
                    Tensor[] a = new Tensor[3];
                    for (int i = 0; i < 3; i++) a[i] = i == which ? t(be, 12) : t(be, 4, 3);
                    step(be, op, t(be, 4, 3), a[0], a[1], a[2]);
                }, "p [4, 3] and " + slotNames[bad] + " [12] must have the same shape");
            }
        }
    }

    /** adamStep / adamaxStep with a fresh step status (lr 1e-3, t 1). */
    private static void step(Backend be, String op, Tensor p, Tensor g, Tensor m, Tensor v) {
        try (dev.fluvia.backend.reduce.StepStatus st = be.reduce().stepStatus()) {
            st.begin(1e-3, 1);
            if (op.equals("adamStep")) be.optim().adamStep(p, g, m, v, st, 0.9f, 0.999f, 1e-8f, 0f);
            else be.optim().adamaxStep(p, g, m, v, st, 0.9f, 0.999f, 1e-8f);
        }
    }

    // ------------------------------------------------------------------ images

    private static void images(Table tb) {
        tb.ok("view", "[4, 3] as [2, 6]", be -> be.view(t(be, 4, 3), 2, 6));
        tb.ok("view", "[2, 3, 4, 4] as [2, 48]", be -> be.view(t(be, 2, 3, 4, 4), 2, 48));
        tb.bad("view", "[4, 3] as [5, 2]", be -> be.view(t(be, 4, 3), 5, 2), "the new shape [5, 2] has 10 elements, the tensor 12");
        tb.bad("view", "negative extents", be -> be.view(t(be, 4, 3), -4, -3), "negative extent in the new shape [-4, -3]");

        tb.ok("activate", "in place", be -> { Tensor x = t(be, 4, 3); be.dense().activate(Activation.SILU, x, x); });
        tb.bad("activate", "y [4, 2]", be -> be.dense().activate(Activation.RELU, t(be, 4, 3), t(be, 4, 2)), "x [4, 3] and y [4, 2] must have the same shape");

        int[] x = {2, 3, 4, 4}, w3 = {5, 3, 3, 3}, y = {2, 5, 4, 4};
        String op = "conv2dForward";
        tb.ok(op, "3x3 with bias", be -> be.conv().conv2dForward(t(be, x), t(be, w3), t(be, 5), t(be, y)));
        tb.ok(op, "1x1 without bias", be -> be.conv().conv2dForward(t(be, x), t(be, 5, 3, 1, 1), null, t(be, y)));
        tb.bad(op, "x rank 2", be -> be.conv().conv2dForward(t(be, 2, 48), t(be, w3), null, t(be, y)), "x must have rank [4]");
        tb.bad(op, "w rank 2", be -> be.conv().conv2dForward(t(be, x), t(be, 5, 3), null, t(be, y)), "w must have rank [4]");
        for (int[] k : new int[][] {{2, 2}, {3, 1}, {5, 5}})
            tb.bad(op, "kernel " + k[0] + "x" + k[1], be -> be.conv().conv2dForward(t(be, x), t(be, 5, 3, k[0], k[1]), null, t(be, y)),
                    "kernel must be 1x1 or 3x3");
        tb.bad(op, "w for 2 input channels", be -> be.conv().conv2dForward(t(be, x), t(be, 5, 2, 3, 3), null, t(be, y)), "w must be [Co, 3, k, k]");
        tb.bad(op, "y with 4 channels", be -> be.conv().conv2dForward(t(be, x), t(be, w3), null, t(be, 2, 4, 4, 4)), "y must have shape [2, 5, 4, 4]");
        tb.bad(op, "y of another size", be -> be.conv().conv2dForward(t(be, x), t(be, w3), null, t(be, 2, 5, 2, 2)), "y must have shape [2, 5, 4, 4]");
        tb.bad(op, "bias [4]", be -> be.conv().conv2dForward(t(be, x), t(be, w3), t(be, 4), t(be, y)), "bias must have shape [5]");

        op = "conv2dBackward";
        tb.ok(op, "all gradients", be -> be.conv().conv2dBackward(t(be, x), t(be, w3), t(be, y), t(be, x), t(be, w3), t(be, 5)));
        tb.ok(op, "1x1, no gx, no gb", be -> be.conv().conv2dBackward(t(be, x), t(be, 5, 3, 1, 1), t(be, y), null, t(be, 5, 3, 1, 1), null));
        tb.bad(op, "x rank 2", be -> be.conv().conv2dBackward(t(be, 2, 48), t(be, w3), t(be, y), null, t(be, w3), null), "x must have rank [4]");
        tb.bad(op, "w rank 2", be -> be.conv().conv2dBackward(t(be, x), t(be, 5, 3), t(be, y), null, t(be, 5, 3), null), "w must have rank [4]");
        tb.bad(op, "kernel 2x2", be -> be.conv().conv2dBackward(t(be, x), t(be, 5, 3, 2, 2), t(be, y), null, t(be, 5, 3, 2, 2), null), "kernel must be 1x1 or 3x3");
        tb.bad(op, "w for 2 input channels", be -> be.conv().conv2dBackward(t(be, x), t(be, 5, 2, 3, 3), t(be, y), null, t(be, 5, 2, 3, 3), null),
                "w must be [Co, 3, k, k]");
        tb.bad(op, "gy with 4 channels", be -> be.conv().conv2dBackward(t(be, x), t(be, w3), t(be, 2, 4, 4, 4), null, t(be, w3), null),
                "gy must have shape [2, 5, 4, 4]");
        tb.bad(op, "gw 1x1", be -> be.conv().conv2dBackward(t(be, x), t(be, w3), t(be, y), null, t(be, 5, 3, 1, 1), null),
                "w [5, 3, 3, 3] and gw [5, 3, 1, 1] must have the same shape");
        tb.bad(op, "gx with 2 channels", be -> be.conv().conv2dBackward(t(be, x), t(be, w3), t(be, y), t(be, 2, 2, 4, 4), t(be, w3), null),
                "x [2, 3, 4, 4] and gx [2, 2, 4, 4] must have the same shape");
        tb.bad(op, "gb [4]", be -> be.conv().conv2dBackward(t(be, x), t(be, w3), t(be, y), null, t(be, w3), t(be, 4)), "gb must have shape [5]");

        // squeeze: x the image, y the squeezed tensor, in both directions
        int[] sq = {2, 12, 2, 2};
        for (boolean un : new boolean[] {false, true}) {
            String o = un ? "unsqueeze" : "squeeze";
            PairCall c = un ? (be, img, s) -> be.image().unsqueeze(s, img) : (be, img, s) -> be.image().squeeze(img, s);
            tb.ok(o, "[2, 3, 4, 4] ↔ [2, 12, 2, 2]", be -> c.run(be, t(be, x), t(be, sq)));
            tb.bad(o, "x rank 2", be -> c.run(be, t(be, 2, 48), t(be, sq)), "x must have rank [4]");
            tb.bad(o, "y rank 2", be -> c.run(be, t(be, x), t(be, 2, 48)), "y must have rank [4]");
            tb.bad(o, "odd height", be -> c.run(be, t(be, 2, 3, 3, 4), t(be, 2, 12, 1, 2)), "height and width must be even, got 3x4");
            tb.bad(o, "odd width", be -> c.run(be, t(be, 2, 3, 4, 5), t(be, 2, 12, 2, 2)), "height and width must be even, got 4x5");
            tb.bad(o, "y with 6 channels", be -> c.run(be, t(be, x), t(be, 2, 6, 2, 2)), "y must have shape [2, 12, 2, 2]");
            tb.bad(o, "y of another batch", be -> c.run(be, t(be, x), t(be, 1, 12, 2, 2)), "y must have shape [2, 12, 2, 2]");
        }

        // channel blocks: slice (x full, y part) and place (dst full, src part)
        for (boolean place : new boolean[] {false, true}) {
            String o = place ? "placeChannels" : "sliceChannels", full = place ? "dst" : "x", part = place ? "src" : "y";
            ChannelCall c = place ? (be, f, s, p) -> be.image().placeChannels(p, s, f) : (be, f, s, p) -> be.image().sliceChannels(f, s, p);
            tb.ok(o, "channels [1, 3) of 4", be -> c.run(be, t(be, 2, 4, 4, 4), 1, t(be, 2, 2, 4, 4)));
            tb.ok(o, "channels [2, 4) of 4", be -> c.run(be, t(be, 2, 4, 4, 4), 2, t(be, 2, 2, 4, 4)));
            tb.bad(o, full + " rank 2", be -> c.run(be, t(be, 2, 64), 0, t(be, 2, 2, 4, 4)), full + " must have rank [4]");
            tb.bad(o, part + " rank 2", be -> c.run(be, t(be, 2, 4, 4, 4), 0, t(be, 2, 32)), part + " must have rank [4]");
            tb.bad(o, "batch differs", be -> c.run(be, t(be, 2, 4, 4, 4), 0, t(be, 1, 2, 4, 4)), "batch and spatial extents must match");
            tb.bad(o, "height differs", be -> c.run(be, t(be, 2, 4, 4, 4), 0, t(be, 2, 2, 2, 4)), "batch and spatial extents must match");
            tb.bad(o, "width differs", be -> c.run(be, t(be, 2, 4, 4, 4), 0, t(be, 2, 2, 4, 2)), "batch and spatial extents must match");
            tb.bad(o, "block past the end", be -> c.run(be, t(be, 2, 4, 4, 4), 3, t(be, 2, 2, 4, 4)), "channels [3, 5) out of range [0, 4)");
            tb.bad(o, "negative start", be -> c.run(be, t(be, 2, 4, 4, 4), -1, t(be, 2, 2, 4, 4)), "channels [-1, 1) out of range [0, 4)");
        }
    }

    /** squeeze or unsqueeze: the image x and the squeezed y. */
    private interface PairCall {
        void run(Backend be, Tensor x, Tensor y);
    }

    private interface ChannelCall {
        void run(Backend be, Tensor full, int start, Tensor part);
    }

    // ------------------------------------------------------------------ logit

    /** A logit call: input, lambda, output (or gradient) and log-det (or its gradient). */
    private interface LogitCall {
        void run(Backend be, Tensor in, float lambda, Tensor out, Tensor ld);
    }

    private static void logit(Table tb) {
        LogitCall fwd = (be, x, l, y, ld) -> be.image().logitForward(x, l, y, ld);
        LogitCall inv = (be, y, l, x, ld) -> be.image().logitInverse(y, l, x, ld);
        LogitCall bwd = (be, x, l, gx, gLd) -> be.image().logitBackward(x, l, t(be, x.shape()), gLd, gx);
        Object[][] ops = {
            {"logitForward", fwd, "x", "y", "ld"},
            {"logitInverse", inv, "y", "x", "ld"},
            {"logitBackward", bwd, "x", "gx", "gLd"},
        };
        for (Object[] o : ops) {
            String op = (String) o[0], in = (String) o[2], out = (String) o[3], ld = (String) o[4];
            LogitCall c = (LogitCall) o[1];
            tb.ok(op, "lambda 0.05, vectors", be -> c.run(be, filled(be, 0.5f, 4, 3), 0.05f, t(be, 4, 3), t(be, 4)));
            tb.ok(op, "lambda 0, images", be -> c.run(be, filled(be, 0.5f, 2, 3, 4, 4), 0f, t(be, 2, 3, 4, 4), t(be, 2)));
            tb.bad(op, "lambda 0.5", be -> c.run(be, t(be, 4, 3), 0.5f, t(be, 4, 3), t(be, 4)), "lambda must be in [0, 0.5), got 0.5");
            tb.bad(op, "lambda -0.1", be -> c.run(be, t(be, 4, 3), -0.1f, t(be, 4, 3), t(be, 4)), "lambda must be in [0, 0.5), got -0.1");
            tb.bad(op, "lambda NaN", be -> c.run(be, t(be, 4, 3), Float.NaN, t(be, 4, 3), t(be, 4)), "lambda must be in [0, 0.5), got NaN");
            tb.bad(op, out + " [4, 2]", be -> c.run(be, t(be, 4, 3), 0.05f, t(be, 4, 2), t(be, 4)), in + " [4, 3] and " + out + " [4, 2] must have the same shape");
            tb.bad(op, ld + " [3]", be -> c.run(be, t(be, 4, 3), 0.05f, t(be, 4, 3), t(be, 3)), ld + " must have shape [4]");
        }
        tb.bad("logitBackward", "gy [4, 2]", be -> be.image().logitBackward(t(be, 4, 3), 0.05f, t(be, 4, 2), t(be, 4), t(be, 4, 3)),
                "x [4, 3] and gy [4, 2] must have the same shape");
    }

    // ------------------------------------------------------------------ spline (K = 2: P = 5; x [4, 3], h [4, 15])

    private static void splines(Table tb) {
        var sp = dev.fluvia.backend.spline.SplineOps.Spec.of(2, 3);
        for (boolean inverse : new boolean[] {false, true}) {
            String op = inverse ? "rqSplineInverse" : "rqSplineForward", in = inverse ? "y" : "x", out = inverse ? "x" : "y";
            ActnormCall c = inverse
                    ? (be, y, h, x, ld) -> be.spline().rqSplineInverse(y, h, sp, x, ld)
                    : (be, x, h, y, ld) -> be.spline().rqSplineForward(x, h, sp, y, ld);
            tb.ok(op, "[4, 3], K 2", be -> c.run(be, t(be, 4, 3), t(be, 4, 15), t(be, 4, 3), t(be, 4)));
            tb.ok(op, "in place", be -> { Tensor v = t(be, 4, 3); c.run(be, v, t(be, 4, 15), v, t(be, 4)); });
            tb.bad(op, in + " rank 1", be -> c.run(be, t(be, 12), t(be, 4, 15), t(be, 12), t(be, 4)), in + " must have rank [2]");
            tb.bad(op, "h [4, 14]", be -> c.run(be, t(be, 4, 3), t(be, 4, 14), t(be, 4, 3), t(be, 4)), "h must have shape [4, 15]");
            tb.bad(op, out + " [4, 2]", be -> c.run(be, t(be, 4, 3), t(be, 4, 15), t(be, 4, 2), t(be, 4)), out + " [4, 2]", "must have the same shape");
            tb.bad(op, "ld [3]", be -> c.run(be, t(be, 4, 3), t(be, 4, 15), t(be, 4, 3), t(be, 3)), "ld must have shape [4]");
        }
        String op = "rqSplineForward";
        tb.bad(op, "bins 0", be -> be.spline().rqSplineForward(t(be, 4, 3), t(be, 4, 15), new dev.fluvia.backend.spline.SplineOps.Spec(0, 3f, 1e-3f, 1e-3f, 1e-3f), t(be, 4, 3), t(be, 4)),
                "bins must be >= 1");
        tb.bad(op, "bound -1", be -> be.spline().rqSplineForward(t(be, 4, 3), t(be, 4, 15), new dev.fluvia.backend.spline.SplineOps.Spec(2, -1f, 1e-3f, 1e-3f, 1e-3f), t(be, 4, 3), t(be, 4)),
                "bound must be finite and > 0");
        tb.bad(op, "min width 0.5 with K 2", be -> be.spline().rqSplineForward(t(be, 4, 3), t(be, 4, 15), new dev.fluvia.backend.spline.SplineOps.Spec(2, 3f, 0.5f, 1e-3f, 1e-3f), t(be, 4, 3), t(be, 4)),
                "min bin width/height");
        tb.bad(op, "min derivative 1", be -> be.spline().rqSplineForward(t(be, 4, 3), t(be, 4, 15), new dev.fluvia.backend.spline.SplineOps.Spec(2, 3f, 1e-3f, 1e-3f, 1f), t(be, 4, 3), t(be, 4)),
                "min derivative must be in [0, 1)");
        op = "rqSplineBackward";
        tb.ok(op, "[4, 3], K 2", be -> be.spline().rqSplineBackward(t(be, 4, 3), t(be, 4, 15), sp, t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 4, 15)));
        tb.bad(op, "gy [4, 2]", be -> be.spline().rqSplineBackward(t(be, 4, 3), t(be, 4, 15), sp, t(be, 4, 2), t(be, 4), t(be, 4, 3), t(be, 4, 15)),
                "gy [4, 2]", "must have the same shape");
        tb.bad(op, "gh [4, 14]", be -> be.spline().rqSplineBackward(t(be, 4, 3), t(be, 4, 15), sp, t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 4, 14)),
                "gh [4, 14]", "must have the same shape");
        tb.bad(op, "gLd [3]", be -> be.spline().rqSplineBackward(t(be, 4, 3), t(be, 4, 15), sp, t(be, 4, 3), t(be, 3), t(be, 4, 3), t(be, 4, 15)),
                "gLd must have shape [4]");
        tb.bad(op, "h [4, 9]", be -> be.spline().rqSplineBackward(t(be, 4, 3), t(be, 4, 9), sp, t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 4, 9)),
                "h must have shape [4, 15]");
    }

    // ------------------------------------------------------------------ residual (x [4, 3]; planar u, w [3], b [1]; radial
    // z0 [3], α̂, β̂ [1]; sylvester v [2, 3], r, rt [3, 3], b [3]; w and v filled with 1 so that the accepted calls are valid)

    private static void residual(Table tb) {
        for (boolean inv : new boolean[] {false, true}) {
            String op = inv ? "planarInverse" : "planarForward";
            tb.ok(op, "[4, 3]", be -> planarRun(be, inv, t(be, 4, 3), t(be, 3), filled(be, 1, 3), t(be, 1), t(be, 4, 3), t(be, 4)));
            tb.ok(op, "in place", be -> { Tensor v = t(be, 4, 3); planarRun(be, inv, v, t(be, 3), filled(be, 1, 3), t(be, 1), v, t(be, 4)); });
            tb.bad(op, "rank 1", be -> planarRun(be, inv, t(be, 12), t(be, 3), filled(be, 1, 3), t(be, 1), t(be, 12), t(be, 4)), "must have rank [2]");
            tb.bad(op, "u [2]", be -> planarRun(be, inv, t(be, 4, 3), t(be, 2), filled(be, 1, 3), t(be, 1), t(be, 4, 3), t(be, 4)), "u must have shape [3]");
            tb.bad(op, "b [2]", be -> planarRun(be, inv, t(be, 4, 3), t(be, 3), filled(be, 1, 3), t(be, 2), t(be, 4, 3), t(be, 4)), "b must have shape [1]");
            tb.bad(op, "out [4, 2]", be -> planarRun(be, inv, t(be, 4, 3), t(be, 3), filled(be, 1, 3), t(be, 1), t(be, 4, 2), t(be, 4)), "must have the same shape");
            tb.bad(op, "ld [3]", be -> planarRun(be, inv, t(be, 4, 3), t(be, 3), filled(be, 1, 3), t(be, 1), t(be, 4, 3), t(be, 3)), "ld must have shape [4]");
            op = inv ? "radialInverse" : "radialForward";
            tb.ok(op, "[4, 3]", be -> radialRun(be, inv, t(be, 4, 3), t(be, 3), t(be, 1), t(be, 1), t(be, 4, 3), t(be, 4)));
            tb.bad(op, "z0 [4]", be -> radialRun(be, inv, t(be, 4, 3), t(be, 4), t(be, 1), t(be, 1), t(be, 4, 3), t(be, 4)), "z0 must have shape [3]");
            tb.bad(op, "alphaRaw [2]", be -> radialRun(be, inv, t(be, 4, 3), t(be, 3), t(be, 2), t(be, 1), t(be, 4, 3), t(be, 4)), "alphaRaw must have shape [1]");
            tb.bad(op, "ld [5]", be -> radialRun(be, inv, t(be, 4, 3), t(be, 3), t(be, 1), t(be, 1), t(be, 4, 3), t(be, 5)), "ld must have shape [4]");
        }
        for (boolean inv : new boolean[] {false, true}) {
            String op = inv ? "planarInverseBackward" : "planarBackward";
            tb.ok(op, "[4, 3]", be -> planarGrad(be, inv, t(be, 4, 3), t(be, 3), filled(be, 1, 3), t(be, 1), t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 3), t(be, 3), t(be, 1)));
            tb.bad(op, "gradient in place", be -> { Tensor g = t(be, 4, 3);
                planarGrad(be, inv, t(be, 4, 3), t(be, 3), filled(be, 1, 3), t(be, 1), g, t(be, 4), g, t(be, 3), t(be, 3), t(be, 1)); }, "must not be");
            tb.bad(op, "gLd [3]", be -> planarGrad(be, inv, t(be, 4, 3), t(be, 3), filled(be, 1, 3), t(be, 1), t(be, 4, 3), t(be, 3), t(be, 4, 3), t(be, 3), t(be, 3), t(be, 1)), "gLd must have shape [4]");
            tb.bad(op, "gw [2]", be -> planarGrad(be, inv, t(be, 4, 3), t(be, 3), filled(be, 1, 3), t(be, 1), t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 3), t(be, 2), t(be, 1)), "gw [2]", "must have the same shape");
            tb.bad(op, "w [4]", be -> planarGrad(be, inv, t(be, 4, 3), t(be, 3), filled(be, 1, 4), t(be, 1), t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 3), t(be, 4), t(be, 1)), "w must have shape [3]");
            op = inv ? "radialInverseBackward" : "radialBackward";
            tb.ok(op, "[4, 3]", be -> radialGrad(be, inv, t(be, 4, 3), t(be, 3), t(be, 1), t(be, 1), t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 3), t(be, 1), t(be, 1)));
            tb.bad(op, "gradient in place", be -> { Tensor g = t(be, 4, 3);
                radialGrad(be, inv, t(be, 4, 3), t(be, 3), t(be, 1), t(be, 1), g, t(be, 4), g, t(be, 3), t(be, 1), t(be, 1)); }, "must not be");
            tb.bad(op, "gz0 [2]", be -> radialGrad(be, inv, t(be, 4, 3), t(be, 3), t(be, 1), t(be, 1), t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 2), t(be, 1), t(be, 1)), "gz0 [2]", "must have the same shape");
            tb.bad(op, "gbeta [2]", be -> radialGrad(be, inv, t(be, 4, 3), t(be, 3), t(be, 1), t(be, 1), t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 3), t(be, 1), t(be, 2)), "gbeta [2]", "must have the same shape");
        }
        String op = "sylvesterInverse";
        tb.ok(op, "[4, 3], K 2", be -> be.residual().sylvesterInverse(t(be, 4, 3), filled(be, 1, 2, 3), t(be, 3, 3), t(be, 3, 3), t(be, 3), t(be, 4, 3), t(be, 4)));
        tb.ok(op, "in place", be -> { Tensor v = t(be, 4, 3); be.residual().sylvesterInverse(v, filled(be, 1, 2, 3), t(be, 3, 3), t(be, 3, 3), t(be, 3), v, t(be, 4)); });
        tb.bad(op, "v [2, 4]", be -> be.residual().sylvesterInverse(t(be, 4, 3), filled(be, 1, 2, 4), t(be, 3, 3), t(be, 3, 3), t(be, 3), t(be, 4, 3), t(be, 4)), "v must have shape [2, 3]");
        tb.bad(op, "D 2049", be -> be.residual().sylvesterInverse(t(be, 1, 2049), filled(be, 1, 2, 3), t(be, 3, 3), t(be, 3, 3), t(be, 3), t(be, 1, 2049), t(be, 1)), "D must be at most 2048");
        tb.bad(op, "v [0, 3]", be -> be.residual().sylvesterInverse(t(be, 4, 3), t(be, 0, 3), t(be, 3, 3), t(be, 3, 3), t(be, 3), t(be, 4, 3), t(be, 4)), "at least one Householder vector");
        tb.bad(op, "rt [3, 2]", be -> be.residual().sylvesterInverse(t(be, 4, 3), filled(be, 1, 2, 3), t(be, 3, 3), t(be, 3, 2), t(be, 3), t(be, 4, 3), t(be, 4)), "rt must have shape [3, 3]");
        tb.bad(op, "ld [3]", be -> be.residual().sylvesterInverse(t(be, 4, 3), filled(be, 1, 2, 3), t(be, 3, 3), t(be, 3, 3), t(be, 3), t(be, 4, 3), t(be, 3)), "ld must have shape [4]");
        op = "sylvesterInverseBackward";
        tb.ok(op, "[4, 3], K 2", be -> be.residual().sylvesterInverseBackward(t(be, 4, 3), filled(be, 1, 2, 3), t(be, 3, 3), t(be, 3, 3), t(be, 3),
                t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 2, 3), t(be, 3, 3), t(be, 3, 3), t(be, 3)));
        tb.bad(op, "gradient in place", be -> { Tensor g = t(be, 4, 3); be.residual().sylvesterInverseBackward(t(be, 4, 3), filled(be, 1, 2, 3), t(be, 3, 3),
                t(be, 3, 3), t(be, 3), g, t(be, 4), g, t(be, 2, 3), t(be, 3, 3), t(be, 3, 3), t(be, 3)); }, "must not be");
        tb.bad(op, "gv [3, 3]", be -> be.residual().sylvesterInverseBackward(t(be, 4, 3), filled(be, 1, 2, 3), t(be, 3, 3), t(be, 3, 3), t(be, 3),
                t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 3, 3), t(be, 3, 3), t(be, 3, 3), t(be, 3)), "gv [3, 3]", "must have the same shape");
        tb.bad(op, "b [2]", be -> be.residual().sylvesterInverseBackward(t(be, 4, 3), filled(be, 1, 2, 3), t(be, 3, 3), t(be, 3, 3), t(be, 2),
                t(be, 4, 3), t(be, 4), t(be, 4, 3), t(be, 2, 3), t(be, 3, 3), t(be, 3, 3), t(be, 2)), "b must have shape [3]");
    }

    private static void planarRun(Backend be, boolean inv, Tensor in, Tensor u, Tensor w, Tensor b, Tensor out, Tensor ld) {
        if (inv) be.residual().planarInverse(in, u, w, b, out, ld);
        else be.residual().planarForward(in, u, w, b, out, ld);
    }

    private static void radialRun(Backend be, boolean inv, Tensor in, Tensor z0, Tensor ar, Tensor br, Tensor out, Tensor ld) {
        if (inv) be.residual().radialInverse(in, z0, ar, br, out, ld);
        else be.residual().radialForward(in, z0, ar, br, out, ld);
    }

    private static void planarGrad(Backend be, boolean inv, Tensor in, Tensor u, Tensor w, Tensor b, Tensor g, Tensor gLd, Tensor gout,
                                   Tensor gu, Tensor gw, Tensor gb) {
        if (inv) be.residual().planarInverseBackward(in, u, w, b, g, gLd, gout, gu, gw, gb);
        else be.residual().planarBackward(in, u, w, b, g, gLd, gout, gu, gw, gb);
    }

    private static void radialGrad(Backend be, boolean inv, Tensor in, Tensor z0, Tensor ar, Tensor br, Tensor g, Tensor gLd, Tensor gout,
                                   Tensor gz0, Tensor ga, Tensor gb) {
        if (inv) be.residual().radialInverseBackward(in, z0, ar, br, g, gLd, gout, gz0, ga, gb);
        else be.residual().radialBackward(in, z0, ar, br, g, gLd, gout, gz0, ga, gb);
    }

    // ------------------------------------------------------------------ pointwise (x [4, 3]; scalars [1]; mixture K = 2: [3, 2])

    private interface PwMap { void run(Backend be, Tensor in, Tensor out, Tensor ld, Tensor[] th); }
    private interface PwBack { void run(Backend be, Tensor x, Tensor g, Tensor gLd, Tensor gOut, Tensor[] th, Tensor[] gth); }

    private static Tensor[] scalars(Backend be, int count, int bad) {
        Tensor[] r = new Tensor[count];
        for (int i = 0; i < count; i++) r[i] = i == bad ? t(be, 2) : t(be, 1);
        return r;
    }

    private static void pointwise(Table tb) {
        java.util.Map<String, PwMap> maps = new java.util.LinkedHashMap<>();
        maps.put("sigmoidForward", (be, i, o, l, th) -> be.pointwise().sigmoidForward(i, o, l));
        maps.put("sigmoidInverse", (be, i, o, l, th) -> be.pointwise().sigmoidInverse(i, o, l));
        maps.put("logitMapForward", (be, i, o, l, th) -> be.pointwise().logitMapForward(i, o, l));
        maps.put("logitMapInverse", (be, i, o, l, th) -> be.pointwise().logitMapInverse(i, o, l));
        maps.put("tanhForward", (be, i, o, l, th) -> be.pointwise().tanhForward(i, o, l));
        maps.put("tanhInverse", (be, i, o, l, th) -> be.pointwise().tanhInverse(i, o, l));
        maps.put("leakyReluForward", (be, i, o, l, th) -> be.pointwise().leakyReluForward(i, th[0], o, l));
        maps.put("leakyReluInverse", (be, i, o, l, th) -> be.pointwise().leakyReluInverse(i, th[0], o, l));
        maps.put("scalarAffineForward", (be, i, o, l, th) -> be.pointwise().scalarAffineForward(i, th[0], th[1], o, l));
        maps.put("scalarAffineInverse", (be, i, o, l, th) -> be.pointwise().scalarAffineInverse(i, th[0], th[1], o, l));
        java.util.Map<String, PwBack> backs = new java.util.LinkedHashMap<>();
        backs.put("sigmoidBackward", (be, x, g, gl, go, th, gth) -> be.pointwise().sigmoidBackward(x, g, gl, go));
        backs.put("sigmoidInverseBackward", (be, x, g, gl, go, th, gth) -> be.pointwise().sigmoidInverseBackward(x, g, gl, go));
        backs.put("logitMapBackward", (be, x, g, gl, go, th, gth) -> be.pointwise().logitMapBackward(x, g, gl, go));
        backs.put("logitMapInverseBackward", (be, x, g, gl, go, th, gth) -> be.pointwise().logitMapInverseBackward(x, g, gl, go));
        backs.put("tanhBackward", (be, x, g, gl, go, th, gth) -> be.pointwise().tanhBackward(x, g, gl, go));
        backs.put("tanhInverseBackward", (be, x, g, gl, go, th, gth) -> be.pointwise().tanhInverseBackward(x, g, gl, go));
        backs.put("leakyReluBackward", (be, x, g, gl, go, th, gth) -> be.pointwise().leakyReluBackward(x, th[0], g, gl, go, gth[0]));
        backs.put("leakyReluInverseBackward", (be, x, g, gl, go, th, gth) -> be.pointwise().leakyReluInverseBackward(x, th[0], g, gl, go, gth[0]));
        backs.put("scalarAffineBackward", (be, x, g, gl, go, th, gth) -> be.pointwise().scalarAffineBackward(x, th[0], th[1], g, gl, go, gth[0], gth[1]));
        backs.put("scalarAffineInverseBackward", (be, x, g, gl, go, th, gth) -> be.pointwise().scalarAffineInverseBackward(x, th[0], th[1], g, gl, go, gth[0], gth[1]));
        for (var m : maps.entrySet()) {
            String op = m.getKey(), in = op.endsWith("Inverse") ? "y" : "x", out = op.endsWith("Inverse") ? "x" : "y";
            PwMap c = m.getValue();
            String[] th = op.startsWith("leakyRelu") ? new String[] {"logSlope"} : op.startsWith("scalarAffine") ? new String[] {"logScale", "shift"} : new String[0];
            int n = th.length;
            tb.ok(op, "[4, 3]", be -> c.run(be, t(be, 4, 3), t(be, 4, 3), t(be, 4), scalars(be, n, -1)));
            tb.ok(op, "in place", be -> { Tensor v = t(be, 4, 3); c.run(be, v, v, t(be, 4), scalars(be, n, -1)); });
            tb.bad(op, in + " rank 1", be -> c.run(be, t(be, 12), t(be, 12), t(be, 4), scalars(be, n, -1)), in + " must have rank [2]");
            tb.bad(op, out + " [4, 2]", be -> c.run(be, t(be, 4, 3), t(be, 4, 2), t(be, 4), scalars(be, n, -1)), out + " [4, 2]", "must have the same shape");
            tb.bad(op, "ld [3]", be -> c.run(be, t(be, 4, 3), t(be, 4, 3), t(be, 3), scalars(be, n, -1)), "ld must have shape [4]");
            for (int k = 0; k < n; k++) {
                int kk = k;
                tb.bad(op, th[k] + " [2]", be -> c.run(be, t(be, 4, 3), t(be, 4, 3), t(be, 4), scalars(be, n, kk)), th[k] + " must have shape [1]");
            }
        }
        for (var m : backs.entrySet()) {
            String op = m.getKey(), g = op.contains("Inverse") ? "gx" : "gy", gOut = op.contains("Inverse") ? "gy" : "gx";
            PwBack c = m.getValue();
            String[] th = op.startsWith("leakyRelu") ? new String[] {"gLogSlope"} : op.startsWith("scalarAffine") ? new String[] {"gLogScale", "gShift"} : new String[0];
            int n = th.length;
            tb.ok(op, "[4, 3]", be -> c.run(be, t(be, 4, 3), t(be, 4, 3), t(be, 4), t(be, 4, 3), scalars(be, n, -1), scalars(be, n, -1)));
            tb.bad(op, g + " [4, 2]", be -> c.run(be, t(be, 4, 3), t(be, 4, 2), t(be, 4), t(be, 4, 3), scalars(be, n, -1), scalars(be, n, -1)), g + " [4, 2]", "must have the same shape");
            tb.bad(op, gOut + " [4, 2]", be -> c.run(be, t(be, 4, 3), t(be, 4, 3), t(be, 4), t(be, 4, 2), scalars(be, n, -1), scalars(be, n, -1)), gOut + " [4, 2]", "must have the same shape");
            tb.bad(op, "gLd [3]", be -> c.run(be, t(be, 4, 3), t(be, 4, 3), t(be, 3), t(be, 4, 3), scalars(be, n, -1), scalars(be, n, -1)), "gLd must have shape [4]");
            for (int k = 0; k < n; k++) {
                int kk = k;
                tb.bad(op, th[k] + " [2]", be -> c.run(be, t(be, 4, 3), t(be, 4, 3), t(be, 4), t(be, 4, 3), scalars(be, n, -1), scalars(be, n, kk)), th[k] + " must have shape [1]");
            }
        }
        tb.bad("leakyReluForward", "logSlope null", be -> be.pointwise().leakyReluForward(t(be, 4, 3), null, t(be, 4, 3), t(be, 4)), "logSlope must not be null");
        for (boolean logit : new boolean[] {false, true}) {
            String v = logit ? ", logit" : "";
            tb.ok("mixCdfForward", "[4, 3], K 2" + v, be -> be.pointwise().mixCdfForward(t(be, 4, 3), t(be, 3, 2), t(be, 3, 2), t(be, 3, 2), logit, t(be, 4, 3), t(be, 4)));
            tb.ok("mixCdfInverse", "[4, 3], K 2" + v, be -> be.pointwise().mixCdfInverse(filled(be, 0.5f, 4, 3), t(be, 3, 2), t(be, 3, 2), t(be, 3, 2), logit, t(be, 4, 3), t(be, 4)));
            tb.ok("mixCdfBackward", "[4, 3], K 2" + v, be -> be.pointwise().mixCdfBackward(t(be, 4, 3), t(be, 3, 2), t(be, 3, 2), t(be, 3, 2), logit, t(be, 4, 3), t(be, 4),
                    t(be, 4, 3), t(be, 3, 2), t(be, 3, 2), t(be, 3, 2)));
        }
        tb.bad("mixCdfForward", "logits [2, 2]", be -> be.pointwise().mixCdfForward(t(be, 4, 3), t(be, 2, 2), t(be, 2, 2), t(be, 2, 2), true, t(be, 4, 3), t(be, 4)),
                "logits must be [D, K] with D = 3");
        tb.bad("mixCdfForward", "means [3, 1]", be -> be.pointwise().mixCdfForward(t(be, 4, 3), t(be, 3, 2), t(be, 3, 1), t(be, 3, 2), true, t(be, 4, 3), t(be, 4)),
                "means [3, 1]", "must have the same shape");
        tb.bad("mixCdfForward", "ld [3]", be -> be.pointwise().mixCdfForward(t(be, 4, 3), t(be, 3, 2), t(be, 3, 2), t(be, 3, 2), true, t(be, 4, 3), t(be, 3)),
                "ld must have shape [4]");
        tb.bad("mixCdfInverse", "logScales [3, 3]", be -> be.pointwise().mixCdfInverse(t(be, 4, 3), t(be, 3, 2), t(be, 3, 2), t(be, 3, 3), true, t(be, 4, 3), t(be, 4)),
                "logScales [3, 3]", "must have the same shape");
        tb.bad("mixCdfInverse", "x [4, 2]", be -> be.pointwise().mixCdfInverse(t(be, 4, 3), t(be, 3, 2), t(be, 3, 2), t(be, 3, 2), true, t(be, 4, 2), t(be, 4)),
                "x [4, 2]", "must have the same shape");
        tb.bad("mixCdfBackward", "gLogScales [3, 1]", be -> be.pointwise().mixCdfBackward(t(be, 4, 3), t(be, 3, 2), t(be, 3, 2), t(be, 3, 2), false, t(be, 4, 3), t(be, 4),
                t(be, 4, 3), t(be, 3, 2), t(be, 3, 2), t(be, 3, 1)), "gLogScales [3, 1]", "must have the same shape");
        tb.bad("mixCdfBackward", "gy [4, 2]", be -> be.pointwise().mixCdfBackward(t(be, 4, 3), t(be, 3, 2), t(be, 3, 2), t(be, 3, 2), false, t(be, 4, 2), t(be, 4),
                t(be, 4, 3), t(be, 3, 2), t(be, 3, 2), t(be, 3, 2)), "gy [4, 2]", "must have the same shape");
        tb.bad("mixCdfBackward", "gLd [3]", be -> be.pointwise().mixCdfBackward(t(be, 4, 3), t(be, 3, 2), t(be, 3, 2), t(be, 3, 2), false, t(be, 4, 3), t(be, 3),
                t(be, 4, 3), t(be, 3, 2), t(be, 3, 2), t(be, 3, 2)), "gLd must have shape [4]");
    }
}
