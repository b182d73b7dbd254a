package dev.fluvia.backend.pointwise;

import static dev.fluvia.backend.cuda.CudaContext.chunks;
import static dev.fluvia.backend.cuda.CudaContext.grid;
import static dev.fluvia.backend.cuda.CudaContext.p;

import dev.fluvia.backend.cuda.CudaContext;
import dev.fluvia.backend.cuda.DeviceAddress;
import dev.fluvia.backend.cuda.Launch;
import dev.fluvia.backend.reduce.CudaReduce;
import dev.fluvia.tensor.Tensor;

/**
 * The CUDA body of the pointwise ops ({@link PointwiseOps}) and the typed launchers of {@code kernels/pointwise.cu}: one
 * method per {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C
 * signature (pointer → {@link DeviceAddress}, {@code int} → int). The ops that can meet an input outside their domain read
 * one double back (the first such index, reduced on the device by {@code pointwiseFirstBad}).
 */
public final class CudaPointwise implements PointwiseOps {
    private static final int THREADS = CudaContext.THREADS;
    private final CudaContext cx;
    private final CudaReduce reduce;

    /** {@code reduce}: the column sums that finish mixCdfBackward's parameter gradients. */
    public CudaPointwise(CudaContext cx, CudaReduce reduce) {
        this.cx = cx;
        this.reduce = reduce;
    }

    /** Blocks of a partials launch over {@code count} elements: a fixed grid for a size (as the reduce family's), at most 1024. */
    private static int partialBlocks(long count) { return (int) Math.max(1, Math.min(1024, (count + THREADS - 1) / THREADS)); }

    @FunctionalInterface private interface Rows { void launch(Launch l, DeviceAddress bad); }

    /** Runs a row kernel with a bad-index partial per block and returns the first bad index (−1: none). */
    private long checked(String op, int n, Rows body) {
        cx.notCapturing(op);
        Launch l = cx.rows(n);
        if (l == Launch.NONE) return -1;
        DeviceAddress part = cx.scratch(8L * l.gridX()), out = cx.scratch(8);
        body.launch(l, part);
        pointwiseFirstBad(grid(1, 1, 1024, 0), part, l.gridX(), out);
        double[] r = new double[1];
        cx.download(out, r);
        cx.free(part);
        cx.free(out);
        return r[0] >= 1e299 ? -1 : (long) r[0];
    }

    @FunctionalInterface private interface Partials { void launch(Launch l, DeviceAddress part); }

    /** Runs a partials kernel over x's elements and adds the two block-ordered sums into g0 and g1 (g1 may be null). */
    private void withParams(Tensor x, Tensor g0, Tensor g1, Partials body) {
        cx.makeCurrent();
        long count = x.numel();
        if (count == 0) return;
        int blocks = partialBlocks(count);
        DeviceAddress part = cx.scratch(16L * blocks);
        body.launch(grid(blocks, 1, THREADS, 0), part);
        pointwiseParamsFinalize(grid(1, 1, 1024, 0), part, blocks, p(g0), g1 == null ? null : p(g1));
        cx.free(part);
    }

    // ------------------------------------------------------------------ sigmoid

    @Override public void sigmoidForward(Tensor x, Tensor y, Tensor ld) {
        Checks.sigmoidForward(x, y, ld);
        sigmoidForward(cx.rows(x.dim(0)), p(x), x.dim(0), x.dim(1), p(y), p(ld));
    }

    @Override public long sigmoidInverse(Tensor y, Tensor x, Tensor ld) {
        Checks.sigmoidInverse(y, x, ld);
        return checked("sigmoidInverse", y.dim(0), (l, bad) -> sigmoidInverse(l, p(y), y.dim(0), y.dim(1), p(x), p(ld), bad));
    }

    @Override public void sigmoidBackward(Tensor x, Tensor gy, Tensor gLd, Tensor gx) {
        Checks.sigmoidBackward(x, gy, gLd, gx);
        sigmoidBackward(cx.elementwise(x.numel()), p(x), p(gy), p(gLd), x.dim(0), x.dim(1), p(gx));
    }

    @Override public void sigmoidInverseBackward(Tensor x, Tensor gx, Tensor gLd, Tensor gy) {
        Checks.sigmoidInverseBackward(x, gx, gLd, gy);
        sigmoidInverseBackward(cx.elementwise(x.numel()), p(x), p(gx), p(gLd), x.dim(0), x.dim(1), p(gy));
    }

    // ------------------------------------------------------------------ logit_map

    @Override public long logitMapForward(Tensor x, Tensor y, Tensor ld) {
        Checks.logitMapForward(x, y, ld);
        return checked("logitMapForward", x.dim(0), (l, bad) -> logitMapForward(l, p(x), x.dim(0), x.dim(1), p(y), p(ld), bad));
    }

    @Override public void logitMapInverse(Tensor y, Tensor x, Tensor ld) {
        Checks.logitMapInverse(y, x, ld);
        logitMapInverse(cx.rows(y.dim(0)), p(y), y.dim(0), y.dim(1), p(x), p(ld));
    }

    @Override public void logitMapBackward(Tensor x, Tensor gy, Tensor gLd, Tensor gx) {
        Checks.logitMapBackward(x, gy, gLd, gx);
        logitMapBackward(cx.elementwise(x.numel()), p(x), p(gy), p(gLd), x.dim(0), x.dim(1), p(gx));
    }

    @Override public void logitMapInverseBackward(Tensor x, Tensor gx, Tensor gLd, Tensor gy) {
        Checks.logitMapInverseBackward(x, gx, gLd, gy);
        logitMapInverseBackward(cx.elementwise(x.numel()), p(x), p(gx), p(gLd), x.dim(0), x.dim(1), p(gy));
    }

    // ------------------------------------------------------------------ tanh

    @Override public void tanhForward(Tensor x, Tensor y, Tensor ld) {
        Checks.tanhForward(x, y, ld);
        tanhForward(cx.rows(x.dim(0)), p(x), x.dim(0), x.dim(1), p(y), p(ld));
    }

    @Override public long tanhInverse(Tensor y, Tensor x, Tensor ld) {
        Checks.tanhInverse(y, x, ld);
        return checked("tanhInverse", y.dim(0), (l, bad) -> tanhInverse(l, p(y), y.dim(0), y.dim(1), p(x), p(ld), bad));
    }

    @Override public void tanhBackward(Tensor x, Tensor gy, Tensor gLd, Tensor gx) {
        Checks.tanhBackward(x, gy, gLd, gx);
        tanhBackward(cx.elementwise(x.numel()), p(x), p(gy), p(gLd), x.dim(0), x.dim(1), p(gx));
    }

    @Override public void tanhInverseBackward(Tensor x, Tensor gx, Tensor gLd, Tensor gy) {
        Checks.tanhInverseBackward(x, gx, gLd, gy);
        tanhInverseBackward(cx.elementwise(x.numel()), p(x), p(gx), p(gLd), x.dim(0), x.dim(1), p(gy));
    }

    // ------------------------------------------------------------------ leaky_relu

    @Override public void leakyReluForward(Tensor x, Tensor logSlope, Tensor y, Tensor ld) {
        Checks.leakyReluForward(x, logSlope, y, ld);
        leakyReluForward(cx.rows(x.dim(0)), p(x), p(logSlope), x.dim(0), x.dim(1), p(y), p(ld));
    }

    @Override public void leakyReluInverse(Tensor y, Tensor logSlope, Tensor x, Tensor ld) {
        Checks.leakyReluInverse(y, logSlope, x, ld);
        leakyReluInverse(cx.rows(y.dim(0)), p(y), p(logSlope), y.dim(0), y.dim(1), p(x), p(ld));
    }

    @Override public void leakyReluBackward(Tensor x, Tensor logSlope, Tensor gy, Tensor gLd, Tensor gx, Tensor gLogSlope) {
        Checks.leakyReluBackward(x, logSlope, gy, gLd, gx, gLogSlope);
        withParams(x, gLogSlope, null, (l, part) -> leakyReluBackwardPartials(l, p(x), p(logSlope), p(gy), p(gLd), x.dim(0), x.dim(1), p(gx), part));
    }

    @Override public void leakyReluInverseBackward(Tensor x, Tensor logSlope, Tensor gx, Tensor gLd, Tensor gy, Tensor gLogSlope) {
        Checks.leakyReluInverseBackward(x, logSlope, gx, gLd, gy, gLogSlope);
        withParams(x, gLogSlope, null, (l, part) -> leakyReluInverseBackwardPartials(l, p(x), p(logSlope), p(gx), p(gLd), x.dim(0), x.dim(1), p(gy), part));
    }

    // ------------------------------------------------------------------ scalar_affine

    @Override public void scalarAffineForward(Tensor x, Tensor logScale, Tensor shift, Tensor y, Tensor ld) {
        Checks.scalarAffineForward(x, logScale, shift, y, ld);
        scalarAffineForward(cx.rows(x.dim(0)), p(x), p(logScale), p(shift), x.dim(0), x.dim(1), p(y), p(ld));
    }

    @Override public void scalarAffineInverse(Tensor y, Tensor logScale, Tensor shift, Tensor x, Tensor ld) {
        Checks.scalarAffineInverse(y, logScale, shift, x, ld);
        scalarAffineInverse(cx.rows(y.dim(0)), p(y), p(logScale), p(shift), y.dim(0), y.dim(1), p(x), p(ld));
    }

    @Override public void scalarAffineBackward(Tensor x, Tensor logScale, Tensor shift, Tensor gy, Tensor gLd, Tensor gx, Tensor gLogScale, Tensor gShift) {
        Checks.scalarAffineBackward(x, logScale, shift, gy, gLd, gx, gLogScale, gShift);
        withParams(x, gLogScale, gShift, (l, part) ->
                scalarAffineBackwardPartials(l, p(x), p(logScale), p(shift), p(gy), p(gLd), x.dim(0), x.dim(1), p(gx), part));
    }

    @Override public void scalarAffineInverseBackward(Tensor x, Tensor logScale, Tensor shift, Tensor gx, Tensor gLd, Tensor gy, Tensor gLogScale, Tensor gShift) {
        Checks.scalarAffineInverseBackward(x, logScale, shift, gx, gLd, gy, gLogScale, gShift);
        withParams(x, gLogScale, gShift, (l, part) ->
                scalarAffineInverseBackwardPartials(l, p(x), p(logScale), p(shift), p(gx), p(gLd), x.dim(0), x.dim(1), p(gy), part));
    }

    // ------------------------------------------------------------------ mixcdf

    @Override public void mixCdfForward(Tensor x, Tensor logits, Tensor means, Tensor logScales, boolean logit, Tensor y, Tensor ld) {
        Checks.mixCdfForward(x, logits, means, logScales, y, ld);
        mixCdfForward(cx.rows(x.dim(0)), p(x), p(logits), p(means), p(logScales), x.dim(0), x.dim(1), logits.dim(1), logit ? 1 : 0, p(y), p(ld));
    }

    @Override public long mixCdfInverse(Tensor y, Tensor logits, Tensor means, Tensor logScales, boolean logit, Tensor x, Tensor ld) {
        Checks.mixCdfInverse(y, logits, means, logScales, x, ld);
        return checked("mixCdfInverse", y.dim(0), (l, bad) ->
                mixCdfInverse(l, p(y), p(logits), p(means), p(logScales), y.dim(0), y.dim(1), logits.dim(1), logit ? 1 : 0, p(x), p(ld), bad));
    }

    @Override public void mixCdfBackward(Tensor x, Tensor logits, Tensor means, Tensor logScales, boolean logit, Tensor gy, Tensor gLd, Tensor gx,
                                         Tensor gLogits, Tensor gMeans, Tensor gLogScales) {
        Checks.mixCdfBackward(x, logits, means, logScales, gy, gLd, gx, gLogits, gMeans, gLogScales);
        int n = x.dim(0), d = x.dim(1), k = logits.dim(1), dk = d * k;
        cx.makeCurrent();
        if (n == 0 || dk == 0) return;
        int ch = chunks(n);
        DeviceAddress part = cx.scratch(3L * ch * dk * 8);
        mixCdfBackwardPartials(cx.elementwise((long) ch * d), p(x), p(logits), p(means), p(logScales), p(gy), p(gLd), n, d, k, logit ? 1 : 0, p(gx), part);
        Launch cols = grid((dk + THREADS - 1) / THREADS, 1, THREADS, 0);
        reduce.columnSumAccumulate(cols, part, ch, dk, p(gLogits));
        reduce.columnSumAccumulate(cols, part.offset(8L * ch * dk), ch, dk, p(gMeans));
        reduce.columnSumAccumulate(cols, part.offset(16L * ch * dk), ch, dk, p(gLogScales));
        cx.free(part);
    }

    // ------------------------------------------------------------------ typed launchers (kernels/pointwise.cu)

    /** {@code sigmoidForward(float* x, int n, int d, float* y, float* ld)} */
    void sigmoidForward(Launch launch, DeviceAddress x, int n, int d, DeviceAddress y, DeviceAddress ld) {
        cx.go("sigmoidForward", launch, x, n, d, y, ld);
    }

    /** {@code sigmoidInverse(float* y, int n, int d, float* x, float* ld, double* bad)} */
    void sigmoidInverse(Launch launch, DeviceAddress y, int n, int d, DeviceAddress x, DeviceAddress ld, DeviceAddress bad) {
        cx.go("sigmoidInverse", launch, y, n, d, x, ld, bad);
    }

    /** {@code sigmoidBackward(float* x, float* gy, float* gLd, int n, int d, float* gx)} */
    void sigmoidBackward(Launch launch, DeviceAddress x, DeviceAddress gy, DeviceAddress gLd, int n, int d, DeviceAddress gx) {
        cx.go("sigmoidBackward", launch, x, gy, gLd, n, d, gx);
    }

    /** {@code sigmoidInverseBackward(float* x, float* gx, float* gLd, int n, int d, float* gy)} */
    void sigmoidInverseBackward(Launch launch, DeviceAddress x, DeviceAddress gx, DeviceAddress gLd, int n, int d, DeviceAddress gy) {
        cx.go("sigmoidInverseBackward", launch, x, gx, gLd, n, d, gy);
    }

    /** {@code logitMapForward(float* x, int n, int d, float* y, float* ld, double* bad)} */
    void logitMapForward(Launch launch, DeviceAddress x, int n, int d, DeviceAddress y, DeviceAddress ld, DeviceAddress bad) {
        cx.go("logitMapForward", launch, x, n, d, y, ld, bad);
    }

    /** {@code logitMapInverse(float* y, int n, int d, float* x, float* ld)} */
    void logitMapInverse(Launch launch, DeviceAddress y, int n, int d, DeviceAddress x, DeviceAddress ld) {
        cx.go("logitMapInverse", launch, y, n, d, x, ld);
    }

    /** {@code logitMapBackward(float* x, float* gy, float* gLd, int n, int d, float* gx)} */
    void logitMapBackward(Launch launch, DeviceAddress x, DeviceAddress gy, DeviceAddress gLd, int n, int d, DeviceAddress gx) {
        cx.go("logitMapBackward", launch, x, gy, gLd, n, d, gx);
    }

    /** {@code logitMapInverseBackward(float* x, float* gx, float* gLd, int n, int d, float* gy)} */
    void logitMapInverseBackward(Launch launch, DeviceAddress x, DeviceAddress gx, DeviceAddress gLd, int n, int d, DeviceAddress gy) {
        cx.go("logitMapInverseBackward", launch, x, gx, gLd, n, d, gy);
    }

    /** {@code tanhForward(float* x, int n, int d, float* y, float* ld)} */
    void tanhForward(Launch launch, DeviceAddress x, int n, int d, DeviceAddress y, DeviceAddress ld) {
        cx.go("tanhForward", launch, x, n, d, y, ld);
    }

    /** {@code tanhInverse(float* y, int n, int d, float* x, float* ld, double* bad)} */
    void tanhInverse(Launch launch, DeviceAddress y, int n, int d, DeviceAddress x, DeviceAddress ld, DeviceAddress bad) {
        cx.go("tanhInverse", launch, y, n, d, x, ld, bad);
    }

    /** {@code tanhBackward(float* x, float* gy, float* gLd, int n, int d, float* gx)} */
    void tanhBackward(Launch launch, DeviceAddress x, DeviceAddress gy, DeviceAddress gLd, int n, int d, DeviceAddress gx) {
        cx.go("tanhBackward", launch, x, gy, gLd, n, d, gx);
    }

    /** {@code tanhInverseBackward(float* x, float* gx, float* gLd, int n, int d, float* gy)} */
    void tanhInverseBackward(Launch launch, DeviceAddress x, DeviceAddress gx, DeviceAddress gLd, int n, int d, DeviceAddress gy) {
        cx.go("tanhInverseBackward", launch, x, gx, gLd, n, d, gy);
    }

    /** {@code leakyReluForward(float* x, float* logSlope, int n, int d, float* y, float* ld)} */
    void leakyReluForward(Launch launch, DeviceAddress x, DeviceAddress logSlope, int n, int d, DeviceAddress y, DeviceAddress ld) {
        cx.go("leakyReluForward", launch, x, logSlope, n, d, y, ld);
    }

    /** {@code leakyReluInverse(float* y, float* logSlope, int n, int d, float* x, float* ld)} */
    void leakyReluInverse(Launch launch, DeviceAddress y, DeviceAddress logSlope, int n, int d, DeviceAddress x, DeviceAddress ld) {
        cx.go("leakyReluInverse", launch, y, logSlope, n, d, x, ld);
    }

    /** {@code leakyReluBackwardPartials(float* x, float* logSlope, float* gy, float* gLd, int n, int d, float* gx, double* part)} */
    void leakyReluBackwardPartials(Launch launch, DeviceAddress x, DeviceAddress logSlope, DeviceAddress gy, DeviceAddress gLd, int n, int d,
                                   DeviceAddress gx, DeviceAddress part) {
        cx.go("leakyReluBackwardPartials", launch, x, logSlope, gy, gLd, n, d, gx, part);
    }

    /** {@code leakyReluInverseBackwardPartials(float* x, float* logSlope, float* gx, float* gLd, int n, int d, float* gy, double* part)} */
    void leakyReluInverseBackwardPartials(Launch launch, DeviceAddress x, DeviceAddress logSlope, DeviceAddress gx, DeviceAddress gLd, int n, int d,
                                          DeviceAddress gy, DeviceAddress part) {
        cx.go("leakyReluInverseBackwardPartials", launch, x, logSlope, gx, gLd, n, d, gy, part);
    }

    /** {@code scalarAffineForward(float* x, float* logScale, float* shift, int n, int d, float* y, float* ld)} */
    void scalarAffineForward(Launch launch, DeviceAddress x, DeviceAddress logScale, DeviceAddress shift, int n, int d, DeviceAddress y, DeviceAddress ld) {
        cx.go("scalarAffineForward", launch, x, logScale, shift, n, d, y, ld);
    }

    /** {@code scalarAffineInverse(float* y, float* logScale, float* shift, int n, int d, float* x, float* ld)} */
    void scalarAffineInverse(Launch launch, DeviceAddress y, DeviceAddress logScale, DeviceAddress shift, int n, int d, DeviceAddress x, DeviceAddress ld) {
        cx.go("scalarAffineInverse", launch, y, logScale, shift, n, d, x, ld);
    }

    /** {@code scalarAffineBackwardPartials(float* x, float* logScale, float* shift, float* gy, float* gLd, int n, int d, float* gx, double* part)} */
    void scalarAffineBackwardPartials(Launch launch, DeviceAddress x, DeviceAddress logScale, DeviceAddress shift, DeviceAddress gy, DeviceAddress gLd,
                                      int n, int d, DeviceAddress gx, DeviceAddress part) {
        cx.go("scalarAffineBackwardPartials", launch, x, logScale, shift, gy, gLd, n, d, gx, part);
    }

    /** {@code scalarAffineInverseBackwardPartials(float* x, float* logScale, float* shift, float* gx, float* gLd, int n, int d, float* gy, double* part)} */
    void scalarAffineInverseBackwardPartials(Launch launch, DeviceAddress x, DeviceAddress logScale, DeviceAddress shift, DeviceAddress gx, DeviceAddress gLd,
                                             int n, int d, DeviceAddress gy, DeviceAddress part) {
        cx.go("scalarAffineInverseBackwardPartials", launch, x, logScale, shift, gx, gLd, n, d, gy, part);
    }

    /** {@code pointwiseParamsFinalize(double* part, int blocks, float* g0, float* g1)} */
    void pointwiseParamsFinalize(Launch launch, DeviceAddress part, int blocks, DeviceAddress g0, DeviceAddress g1) {
        cx.go("pointwiseParamsFinalize", launch, part, blocks, g0, g1);
    }

    /** {@code pointwiseFirstBad(double* part, int count, double* out)} */
    void pointwiseFirstBad(Launch launch, DeviceAddress part, int count, DeviceAddress out) {
        cx.go("pointwiseFirstBad", launch, part, count, out);
    }

    /** {@code mixCdfForward(float* x, float* logits, float* means, float* logScales, int n, int d, int k, int logit, float* y, float* ld)} */
    void mixCdfForward(Launch launch, DeviceAddress x, DeviceAddress logits, DeviceAddress means, DeviceAddress logScales, int n, int d, int k, int logit,
                       DeviceAddress y, DeviceAddress ld) {
        cx.go("mixCdfForward", launch, x, logits, means, logScales, n, d, k, logit, y, ld);
    }

    /** {@code mixCdfInverse(float* y, float* logits, float* means, float* logScales, int n, int d, int k, int logit, float* x, float* ld, double* bad)} */
    void mixCdfInverse(Launch launch, DeviceAddress y, DeviceAddress logits, DeviceAddress means, DeviceAddress logScales, int n, int d, int k, int logit,
                       DeviceAddress x, DeviceAddress ld, DeviceAddress bad) {
        cx.go("mixCdfInverse", launch, y, logits, means, logScales, n, d, k, logit, x, ld, bad);
    }

    /** {@code mixCdfBackwardPartials(float* x, float* logits, float* means, float* logScales, float* gy, float* gLd, int n, int d, int k, int logit, float* gx, double* part)} */
    void mixCdfBackwardPartials(Launch launch, DeviceAddress x, DeviceAddress logits, DeviceAddress means, DeviceAddress logScales, DeviceAddress gy,
                                DeviceAddress gLd, int n, int d, int k, int logit, DeviceAddress gx, DeviceAddress part) {
        cx.go("mixCdfBackwardPartials", launch, x, logits, means, logScales, gy, gLd, n, d, k, logit, gx, part);
    }
}
