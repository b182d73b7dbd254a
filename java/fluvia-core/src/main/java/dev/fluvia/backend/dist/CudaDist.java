package dev.fluvia.backend.dist;

import static dev.fluvia.backend.cuda.CudaContext.CHUNK;
import static dev.fluvia.backend.cuda.CudaContext.MAX_GRID_Y;
import static dev.fluvia.backend.cuda.CudaContext.at;
import static dev.fluvia.backend.cuda.CudaContext.chunks;
import static dev.fluvia.backend.cuda.CudaContext.groupRows;
import static dev.fluvia.backend.cuda.CudaContext.inChunkGroups;
import static dev.fluvia.backend.cuda.CudaContext.grid;
import static dev.fluvia.backend.cuda.CudaContext.p;
import static dev.fluvia.tensor.Shapes.require;

import dev.fluvia.backend.cuda.CudaContext;
import dev.fluvia.backend.cuda.DeviceAddress;
import dev.fluvia.backend.cuda.Launch;
import dev.fluvia.tensor.Index;
import dev.fluvia.tensor.Tensor;

/**
 * The CUDA body of the dist ops ({@link DistOps}) and the typed launchers of {@code kernels/dist.cu}: one method per
 * {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C signature
 * (pointer → {@link DeviceAddress}, {@code int} → int, {@code long long} → long, float, double).
 */
public final class CudaDist implements DistOps {
    private static final int THREADS = CudaContext.THREADS;
    private final CudaContext cx;
    private final dev.fluvia.backend.reduce.CudaReduce reduce;

    /** {@code reduce}: the column sums that finish diagNormalLogProbBackward's parameter gradients. */
    public CudaDist(CudaContext cx, dev.fluvia.backend.reduce.CudaReduce reduce) {
        this.cx = cx;
        this.reduce = reduce;
    }

    private static int hw(Tensor x) { return dev.fluvia.backend.OpChecks.planeSize(x); }

    @Override public void stdNormalLogProb(Tensor z, Tensor out) {
        DistOps.Checks.stdNormalLogProb(z, out);
        stdNormalLogProb(cx.rows(z.rows()), p(z), z.rows(), z.rowSize(), p(out));
    }

    @Override public void stdNormalLogProbBackward(Tensor z, Tensor gOut, Tensor gz) {
        DistOps.Checks.stdNormalLogProbBackward(z, gOut, gz);
        stdNormalLogProbBackward(cx.elementwise(z.numel()), p(z), p(gOut), z.rows(), z.rowSize(), p(gz));
    }

    @Override public void diagNormalLogProb(Tensor z, Tensor mu, Tensor logSigma, Tensor out) {
        DistOps.Checks.diagNormalLogProb(z, mu, logSigma, out);
        int dd = z.rowSize();
        diagNormalLogProb(cx.rows(z.rows()), p(z), p(mu), p(logSigma), z.rows(), dd, p(out));
    }

    @Override public void diagNormalLogProbBackward(Tensor z, Tensor mu, Tensor logSigma, Tensor gOut, Tensor gz, Tensor gmu, Tensor glogSigma) {
        DistOps.Checks.diagNormalLogProbBackward(z, mu, logSigma, gOut, gz, gmu, glogSigma);
        int n = z.rows(), dd = z.rowSize();
        cx.makeCurrent();
        if (dd == 0) return;
        int ch = chunks(n), gx = (dd + THREADS - 1) / THREADS;
        DeviceAddress part = cx.scratch(2L * ch * dd * 8);
        if (ch <= MAX_GRID_Y) {
            diagNormalLogProbBackwardPartials(grid(gx, ch, THREADS, 0), p(z), p(mu), p(logSigma), p(gOut), n, dd, p(gz), part);
        } else {
            // the kernel places its second half of partials gridDim.y chunks further on: run each group into a scratch of
            // its own [2][cnt][D] and move both halves to their place in part [2][ch][D]
            DeviceAddress tmp = cx.scratch(2L * MAX_GRID_Y * dd * 8);
            inChunkGroups(ch, MAX_GRID_Y, (c0, cnt) -> {
                long r0 = (long) c0 * CHUNK, half = 8L * cnt * dd;
                diagNormalLogProbBackwardPartials(grid(gx, cnt, THREADS, 0), at(z, 4 * r0 * dd), p(mu), p(logSigma), at(gOut, 4 * r0),
                        groupRows(n, c0, cnt), dd, at(gz, 4 * r0 * dd), tmp);
                cx.copy(part, 8L * c0 * dd, tmp, 0, half);
                cx.copy(part, 8L * ((long) ch + c0) * dd, tmp, half, half);
            });
            cx.free(tmp);
        }
        reduce.columnSumAccumulate(grid(gx, 1, THREADS, 0), part, ch, dd, p(gmu));
        reduce.columnSumAccumulate(grid(gx, 1, THREADS, 0), part.offset((long) ch * dd * 8), ch, dd, p(glogSigma));
        cx.free(part);
    }

    @Override public void condNormalLogProb(Tensor z, Tensor mu, Tensor logSigma, Tensor out) {
        DistOps.Checks.condNormalLogProb(z, mu, logSigma, out);
        condNormalLogProb(cx.rows(z.rows()), p(z), p(mu), p(logSigma), z.rows(), z.rowSize(), p(out));
    }

    @Override public void condNormalLogProbBackward(Tensor z, Tensor mu, Tensor logSigma, Tensor gOut, Tensor gz, Tensor gmu, Tensor glogSigma) {
        DistOps.Checks.condNormalLogProbBackward(z, mu, logSigma, gOut, gz, gmu, glogSigma);
        condNormalLogProbBackward(cx.elementwise(z.numel()), p(z), p(mu), p(logSigma), p(gOut), z.rows(), z.rowSize(), p(gz), p(gmu), p(glogSigma));
    }

    @Override public void condNormalSample(Tensor mu, Tensor logSigma, Tensor eps, float temperature, Tensor z) {
        DistOps.Checks.condNormalSample(mu, logSigma, eps, z);
        condNormalSample(cx.elementwise(z.numel()), p(mu), p(logSigma), p(eps), temperature, z.numel(), p(z));
    }

    // ------------------------------------------------------------------ the zoo bases

    @Override public void uniformBoxLogProb(Tensor z, Tensor low, Tensor high, double logVolume, Tensor out) {
        DistOps.Checks.uniformBoxLogProb(z, low, high, out);
        uniformBoxLogProb(cx.rows(z.rows()), p(z), p(low), p(high), logVolume, z.rows(), z.rowSize(), p(out));
    }

    @Override public void uniformBoxLogProbBackward(Tensor z, Tensor gOut, Tensor gz) {
        DistOps.Checks.uniformBoxLogProbBackward(z, gOut, gz);
        uniformBoxLogProbBackward(cx.elementwise(gz.numel()), gz.numel(), p(gz));
    }

    @Override public void uniformBoxSample(Tensor u, Tensor low, Tensor high, Tensor z) {
        DistOps.Checks.uniformBoxSample(u, low, high, z);
        uniformBoxSample(cx.elementwise(z.numel()), p(u), p(low), p(high), z.numel(), z.rowSize(), p(z));
    }

    @Override public void logisticLogProb(Tensor z, Tensor out) {
        DistOps.Checks.logisticLogProb(z, out);
        logisticLogProb(cx.rows(z.rows()), p(z), z.rows(), z.rowSize(), p(out));
    }

    @Override public void logisticLogProbBackward(Tensor z, Tensor gOut, Tensor gz) {
        DistOps.Checks.logisticLogProbBackward(z, gOut, gz);
        logisticLogProbBackward(cx.elementwise(z.numel()), p(z), p(gOut), z.rows(), z.rowSize(), p(gz));
    }

    @Override public void logisticSample(Tensor u, float temperature, Tensor z) {
        DistOps.Checks.logisticSample(u, z);
        logisticSample(cx.elementwise(z.numel()), p(u), temperature, z.numel(), p(z));
    }

    @Override public void betaLogProb(Tensor z, Tensor logAlpha, Tensor logBeta, Tensor out) {
        DistOps.Checks.betaLogProb(z, logAlpha, logBeta, out);
        betaLogProb(cx.rows(z.rows()), p(z), p(logAlpha), p(logBeta), z.rows(), z.rowSize(), p(out));
    }

    @Override public void betaLogProbBackward(Tensor z, Tensor logAlpha, Tensor logBeta, Tensor gOut, Tensor gz, Tensor glogAlpha, Tensor glogBeta) {
        DistOps.Checks.betaLogProbBackward(z, logAlpha, logBeta, gOut, gz, glogAlpha, glogBeta);
        int n = z.rows(), dd = z.rowSize();
        cx.makeCurrent();
        if (dd == 0) return;
        int ch = chunks(n), gx = (dd + THREADS - 1) / THREADS;
        DeviceAddress part = cx.scratch(2L * ch * dd * 8);
        betaLogProbBackwardPartials(cx.elementwise((long) ch * dd), p(z), p(logAlpha), p(logBeta), p(gOut), n, dd, ch, p(gz), part);
        reduce.columnSumAccumulate(grid(gx, 1, THREADS, 0), part, ch, dd, p(glogAlpha));
        reduce.columnSumAccumulate(grid(gx, 1, THREADS, 0), part.offset((long) ch * dd * 8), ch, dd, p(glogBeta));
        cx.free(part);
    }

    @Override public void betaSample(Tensor logAlpha, Tensor logBeta, Tensor normals, Tensor uniforms, Tensor z) {
        DistOps.Checks.betaSample(logAlpha, logBeta, normals, uniforms, z);
        betaSample(cx.elementwise(z.numel()), p(logAlpha), p(logBeta), p(normals), p(uniforms), z.numel(), z.rowSize(), p(z));
    }

    @Override public void gaussianMixtureLogProb(Tensor z, Tensor logits, Tensor means, Tensor logScales, Tensor out) {
        DistOps.Checks.gaussianMixtureLogProb(z, logits, means, logScales, out);
        gaussianMixtureLogProb(cx.rows(z.rows()), p(z), p(logits), p(means), p(logScales), z.rows(), logits.dim(0), z.rowSize(), p(out));
    }

    @Override public void gaussianMixtureLogProbBackward(Tensor z, Tensor logits, Tensor means, Tensor logScales, Tensor gOut, Tensor gz,
                                                         Tensor glogits, Tensor gmeans, Tensor glogScales) {
        DistOps.Checks.gaussianMixtureLogProbBackward(z, logits, means, logScales, gOut, gz, glogits, gmeans, glogScales);
        int n = z.rows(), dd = z.rowSize(), k = logits.dim(0);
        cx.makeCurrent();
        if (n == 0) return;
        int ch = chunks(n);
        long kd = (long) k * dd, cols = 2 * kd + k;
        DeviceAddress resp = cx.scratch(8L * n * k), part = cx.scratch(8L * ch * cols);
        gaussianMixtureLogProbBackwardRows(cx.rows(n), p(z), p(logits), p(means), p(logScales), p(gOut), n, k, dd, p(gz), resp);
        gaussianMixtureLogProbBackwardPartials(cx.elementwise(ch * cols), p(z), p(logits), p(means), p(logScales), p(gOut), resp, n, k, dd, ch, part);
        if (kd > 0) {
            int gx = (int) ((kd + THREADS - 1) / THREADS);
            reduce.columnSumAccumulate(grid(gx, 1, THREADS, 0), part, ch, (int) kd, p(gmeans));
            reduce.columnSumAccumulate(grid(gx, 1, THREADS, 0), part.offset(8L * ch * kd), ch, (int) kd, p(glogScales));
        }
        reduce.columnSumAccumulate(grid((k + THREADS - 1) / THREADS, 1, THREADS, 0), part.offset(16L * ch * kd), ch, k, p(glogits));
        cx.free(part);
        cx.free(resp);
    }

    @Override public void gaussianMixtureSample(Tensor logits, Tensor means, Tensor logScales, Tensor u, Tensor eps, float temperature, Tensor z) {
        DistOps.Checks.gaussianMixtureSample(logits, means, logScales, u, eps, z);
        gaussianMixtureSample(cx.elementwise(z.numel()), p(logits), p(means), p(logScales), p(u), p(eps), temperature, z.rows(), logits.dim(0),
                z.rowSize(), p(z));
    }

    // ------------------------------------------------------------------ typed launchers (kernels/dist.cu)

    /** {@code stdNormalLogProb(float* z, int n, int d, float* out)} */
    void stdNormalLogProb(Launch launch, DeviceAddress z, int n, int d, DeviceAddress out) {
        cx.go("stdNormalLogProb", launch, z, n, d, out);
    }

    /** {@code stdNormalLogProbBackward(float* z, float* gOut, int n, int d, float* gz)} */
    void stdNormalLogProbBackward(Launch launch, DeviceAddress z, DeviceAddress gOut, int n, int d, DeviceAddress gz) {
        cx.go("stdNormalLogProbBackward", launch, z, gOut, n, d, gz);
    }

    /** {@code diagNormalLogProb(float* z, float* mu, float* logSigma, int n, int d, float* out)} */
    void diagNormalLogProb(Launch launch, DeviceAddress z, DeviceAddress mu, DeviceAddress logSigma, int n, int d, DeviceAddress out) {
        cx.go("diagNormalLogProb", launch, z, mu, logSigma, n, d, out);
    }

    /** {@code diagNormalLogProbBackwardPartials(float* z, float* mu, float* logSigma, float* gOut, int n, int d, float* gz, double* part)} */
    void diagNormalLogProbBackwardPartials(Launch launch, DeviceAddress z, DeviceAddress mu, DeviceAddress logSigma, DeviceAddress gOut, int n, int d, DeviceAddress gz, DeviceAddress part) {
        cx.go("diagNormalLogProbBackwardPartials", launch, z, mu, logSigma, gOut, n, d, gz, part);
    }

    /** {@code condNormalLogProb(float* z, float* mu, float* logSigma, int n, int d, float* out)} */
    void condNormalLogProb(Launch launch, DeviceAddress z, DeviceAddress mu, DeviceAddress logSigma, int n, int d, DeviceAddress out) {
        cx.go("condNormalLogProb", launch, z, mu, logSigma, n, d, out);
    }

    /** {@code condNormalLogProbBackward(float* z, float* mu, float* logSigma, float* gOut, int n, int d, float* gz, float* gmu, float* glogSigma)} */
    void condNormalLogProbBackward(Launch launch, DeviceAddress z, DeviceAddress mu, DeviceAddress logSigma, DeviceAddress gOut, int n, int d, DeviceAddress gz, DeviceAddress gmu, DeviceAddress glogSigma) {
        cx.go("condNormalLogProbBackward", launch, z, mu, logSigma, gOut, n, d, gz, gmu, glogSigma);
    }

    /** {@code condNormalSample(float* mu, float* logSigma, float* eps, float temperature, long long n, float* z)} */
    void condNormalSample(Launch launch, DeviceAddress mu, DeviceAddress logSigma, DeviceAddress eps, float temperature, long n, DeviceAddress z) {
        cx.go("condNormalSample", launch, mu, logSigma, eps, temperature, n, z);
    }
    /** {@code uniformBoxLogProb(float* z, float* low, float* high, double logVolume, int n, int d, float* out)} */
    void uniformBoxLogProb(Launch launch, DeviceAddress z, DeviceAddress low, DeviceAddress high, double logVolume, int n, int d, DeviceAddress out) {
        cx.go("uniformBoxLogProb", launch, z, low, high, logVolume, n, d, out);
    }

    /** {@code uniformBoxLogProbBackward(long long n, float* gz)} */
    void uniformBoxLogProbBackward(Launch launch, long n, DeviceAddress gz) {
        cx.go("uniformBoxLogProbBackward", launch, n, gz);
    }

    /** {@code uniformBoxSample(float* u, float* low, float* high, long long n, int d, float* z)} */
    void uniformBoxSample(Launch launch, DeviceAddress u, DeviceAddress low, DeviceAddress high, long n, int d, DeviceAddress z) {
        cx.go("uniformBoxSample", launch, u, low, high, n, d, z);
    }

    /** {@code logisticLogProb(float* z, int n, int d, float* out)} */
    void logisticLogProb(Launch launch, DeviceAddress z, int n, int d, DeviceAddress out) {
        cx.go("logisticLogProb", launch, z, n, d, out);
    }

    /** {@code logisticLogProbBackward(float* z, float* gOut, int n, int d, float* gz)} */
    void logisticLogProbBackward(Launch launch, DeviceAddress z, DeviceAddress gOut, int n, int d, DeviceAddress gz) {
        cx.go("logisticLogProbBackward", launch, z, gOut, n, d, gz);
    }

    /** {@code logisticSample(float* u, float temperature, long long n, float* z)} */
    void logisticSample(Launch launch, DeviceAddress u, float temperature, long n, DeviceAddress z) {
        cx.go("logisticSample", launch, u, temperature, n, z);
    }

    /** {@code betaLogProb(float* z, float* logAlpha, float* logBeta, int n, int d, float* out)} */
    void betaLogProb(Launch launch, DeviceAddress z, DeviceAddress logAlpha, DeviceAddress logBeta, int n, int d, DeviceAddress out) {
        cx.go("betaLogProb", launch, z, logAlpha, logBeta, n, d, out);
    }

    /** {@code betaLogProbBackwardPartials(float* z, float* logAlpha, float* logBeta, float* gOut, int n, int d, int chunks, float* gz, double* part)} */
    void betaLogProbBackwardPartials(Launch launch, DeviceAddress z, DeviceAddress logAlpha, DeviceAddress logBeta, DeviceAddress gOut, int n, int d,
                                     int chunks, DeviceAddress gz, DeviceAddress part) {
        cx.go("betaLogProbBackwardPartials", launch, z, logAlpha, logBeta, gOut, n, d, chunks, gz, part);
    }

    /** {@code betaSample(float* logAlpha, float* logBeta, float* normals, float* uniforms, long long n, int d, float* z)} */
    void betaSample(Launch launch, DeviceAddress logAlpha, DeviceAddress logBeta, DeviceAddress normals, DeviceAddress uniforms, long n, int d, DeviceAddress z) {
        cx.go("betaSample", launch, logAlpha, logBeta, normals, uniforms, n, d, z);
    }

    /** {@code gaussianMixtureLogProb(float* z, float* logits, float* means, float* logScales, int n, int k, int d, float* out)} */
    void gaussianMixtureLogProb(Launch launch, DeviceAddress z, DeviceAddress logits, DeviceAddress means, DeviceAddress logScales, int n, int k, int d,
                                DeviceAddress out) {
        cx.go("gaussianMixtureLogProb", launch, z, logits, means, logScales, n, k, d, out);
    }

    /** {@code gaussianMixtureLogProbBackwardRows(float* z, float* logits, float* means, float* logScales, float* gOut, int n, int k, int d, float* gz, double* resp)} */
    void gaussianMixtureLogProbBackwardRows(Launch launch, DeviceAddress z, DeviceAddress logits, DeviceAddress means, DeviceAddress logScales,
                                            DeviceAddress gOut, int n, int k, int d, DeviceAddress gz, DeviceAddress resp) {
        cx.go("gaussianMixtureLogProbBackwardRows", launch, z, logits, means, logScales, gOut, n, k, d, gz, resp);
    }

    /** {@code gaussianMixtureLogProbBackwardPartials(float* z, float* logits, float* means, float* logScales, float* gOut, double* resp, int n, int k, int d, int chunks, double* part)} */
    void gaussianMixtureLogProbBackwardPartials(Launch launch, DeviceAddress z, DeviceAddress logits, DeviceAddress means, DeviceAddress logScales,
                                                DeviceAddress gOut, DeviceAddress resp, int n, int k, int d, int chunks, DeviceAddress part) {
        cx.go("gaussianMixtureLogProbBackwardPartials", launch, z, logits, means, logScales, gOut, resp, n, k, d, chunks, part);
    }

    /** {@code gaussianMixtureSample(float* logits, float* means, float* logScales, float* u, float* eps, float temperature, int n, int k, int d, float* z)} */
    void gaussianMixtureSample(Launch launch, DeviceAddress logits, DeviceAddress means, DeviceAddress logScales, DeviceAddress u, DeviceAddress eps,
                               float temperature, int n, int k, int d, DeviceAddress z) {
        cx.go("gaussianMixtureSample", launch, logits, means, logScales, u, eps, temperature, n, k, d, z);
    }
}
