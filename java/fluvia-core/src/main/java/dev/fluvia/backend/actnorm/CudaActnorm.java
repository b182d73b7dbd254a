package dev.fluvia.backend.actnorm;

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
 * The CUDA body of the actnorm ops ({@link ActnormOps}) and the typed launchers of {@code kernels/actnorm.cu}: one method per
 * {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C signature
 * (pointer → {@link DeviceAddress}, {@code int} → int, {@code long long} → long, float, double).
 */
public final class CudaActnorm implements ActnormOps {
    private static final int THREADS = CudaContext.THREADS;
    private final CudaContext cx;

    public CudaActnorm(CudaContext cx) { this.cx = cx; }

    private static int hw(Tensor x) { return dev.fluvia.backend.OpChecks.planeSize(x); }

    @Override public void actnormForward(Tensor x, Tensor logs, Tensor bias, Tensor y, Tensor ld) {
        ActnormOps.Checks.actnormForward(x, logs, bias, y, ld);
        actnormForward(cx.elementwise(Math.max(x.numel(), x.dim(0))), p(x), p(logs), p(bias), p(y), p(ld), x.dim(0), x.dim(1), hw(x));
    }

    @Override public void actnormInverse(Tensor y, Tensor logs, Tensor bias, Tensor x, Tensor ld) {
        ActnormOps.Checks.actnormInverse(y, logs, bias, x, ld);
        actnormInverse(cx.elementwise(Math.max(y.numel(), y.dim(0))), p(y), p(logs), p(bias), p(x), p(ld), y.dim(0), y.dim(1), hw(y));
    }

    @Override public void actnormBackward(Tensor x, Tensor logs, Tensor gy, Tensor gLd, Tensor gx, Tensor glogs, Tensor gbias) {
        ActnormOps.Checks.actnormBackward(x, logs, gy, gLd, gx, glogs, gbias);
        cx.makeCurrent();
        int n = x.dim(0), c = x.dim(1), hw = hw(x), ch = chunks(n);
        if (c == 0) return;
        DeviceAddress pxy = cx.scratch((long) ch * c * 8), pg = cx.scratch((long) ch * c * 8), pld = cx.scratch(ch * 8L);
        inChunkGroups(ch, MAX_GRID_Y, (c0, cnt) -> {
            long r0 = (long) c0 * CHUNK, e0 = 4 * r0 * c * hw;
            int rows = groupRows(n, c0, cnt);
            DeviceAddress pxyAt = pxy.offset(8L * c0 * c), pgAt = pg.offset(8L * c0 * c), pldAt = pld.offset(8L * c0);
            if (hw == 1) actnormBackwardPartialsRows(grid((c + THREADS - 1) / THREADS, cnt, THREADS, 0),
                    at(x, e0), p(logs), at(gy, e0), at(gLd, 4 * r0), at(gx, e0), rows, c, pxyAt, pgAt, pldAt);
            else actnormBackwardPartialsPlanes(grid(c, cnt, THREADS, 0),
                    at(x, e0), p(logs), at(gy, e0), at(gLd, 4 * r0), at(gx, e0), rows, c, hw, pxyAt, pgAt, pldAt);
        });
        actnormBackwardFinalize(grid((c + THREADS - 1) / THREADS, 1, THREADS, 0), pxy, pg, pld, ch, c, hw, p(logs), p(glogs), p(gbias));
        cx.free(pxy); cx.free(pg); cx.free(pld);
    }

    @Override public void actnormInitStats(Tensor x, Tensor mean, Tensor std) {
        ActnormOps.Checks.actnormInitStats(x, mean, std);
        int n = x.dim(0), c = x.dim(1), hw = hw(x), ch = chunks(n);
        cx.makeCurrent();
        if (c == 0) return;
        DeviceAddress part = cx.scratch((long) ch * c * 3 * 8);
        inChunkGroups(ch, MAX_GRID_Y, (c0, cnt) -> {
            long r0 = (long) c0 * CHUNK;
            int rows = groupRows(n, c0, cnt);
            DeviceAddress partAt = part.offset(8L * 3 * c0 * c);
            if (hw == 1) actnormInitStatsPartialsRows(grid((c + THREADS - 1) / THREADS, cnt, THREADS, 0), at(x, 4 * r0 * c), rows, c, partAt);
            else actnormInitStatsPartialsPlanes(grid(c, cnt, THREADS, 3 * THREADS * 8), at(x, 4 * r0 * c * hw), rows, c, hw, partAt);
        });
        actnormInitStats(grid((c + THREADS - 1) / THREADS, 1, THREADS, 0), part, ch, c, p(mean), p(std));
        cx.free(part);
    }

    // ------------------------------------------------------------------ typed launchers (kernels/actnorm.cu)

    /** {@code actnormForward(float* x, float* logs, float* bias, float* y, float* ld, int n, int c, int hw)} */
    void actnormForward(Launch launch, DeviceAddress x, DeviceAddress logs, DeviceAddress bias, DeviceAddress y, DeviceAddress ld, int n, int c, int hw) {
        cx.go("actnormForward", launch, x, logs, bias, y, ld, n, c, hw);
    }

    /** {@code actnormInverse(float* y, float* logs, float* bias, float* x, float* ld, int n, int c, int hw)} */
    void actnormInverse(Launch launch, DeviceAddress y, DeviceAddress logs, DeviceAddress bias, DeviceAddress x, DeviceAddress ld, int n, int c, int hw) {
        cx.go("actnormInverse", launch, y, logs, bias, x, ld, n, c, hw);
    }

    /** {@code actnormBackwardPartialsRows(float* x, float* logs, float* gy, float* gLd, float* gx, int n, int c, double* pxy, double* pg, double* pld)} */
    void actnormBackwardPartialsRows(Launch launch, DeviceAddress x, DeviceAddress logs, DeviceAddress gy, DeviceAddress gLd, DeviceAddress gx, int n, int c, DeviceAddress pxy, DeviceAddress pg, DeviceAddress pld) {
        cx.go("actnormBackwardPartialsRows", launch, x, logs, gy, gLd, gx, n, c, pxy, pg, pld);
    }

    /** {@code actnormBackwardPartialsPlanes(float* x, float* logs, float* gy, float* gLd, float* gx, int n, int c, int hw, double* pxy, double* pg, double* pld)} */
    void actnormBackwardPartialsPlanes(Launch launch, DeviceAddress x, DeviceAddress logs, DeviceAddress gy, DeviceAddress gLd, DeviceAddress gx, int n, int c, int hw, DeviceAddress pxy, DeviceAddress pg, DeviceAddress pld) {
        cx.go("actnormBackwardPartialsPlanes", launch, x, logs, gy, gLd, gx, n, c, hw, pxy, pg, pld);
    }

    /** {@code actnormBackwardFinalize(double* pxy, double* pg, double* pld, int chunks, int c, int hw, float* logs, float* glogs, float* gbias)} */
    void actnormBackwardFinalize(Launch launch, DeviceAddress pxy, DeviceAddress pg, DeviceAddress pld, int chunks, int c, int hw, DeviceAddress logs, DeviceAddress glogs, DeviceAddress gbias) {
        cx.go("actnormBackwardFinalize", launch, pxy, pg, pld, chunks, c, hw, logs, glogs, gbias);
    }

    /** {@code actnormInitStatsPartialsRows(float* x, int n, int c, double* part)} */
    void actnormInitStatsPartialsRows(Launch launch, DeviceAddress x, int n, int c, DeviceAddress part) {
        cx.go("actnormInitStatsPartialsRows", launch, x, n, c, part);
    }

    /** {@code actnormInitStatsPartialsPlanes(float* x, int n, int c, int hw, double* part)} */
    void actnormInitStatsPartialsPlanes(Launch launch, DeviceAddress x, int n, int c, int hw, DeviceAddress part) {
        cx.go("actnormInitStatsPartialsPlanes", launch, x, n, c, hw, part);
    }

    /** {@code actnormInitStats(double* part, int chunks, int c, float* mean, float* std)} */
    void actnormInitStats(Launch launch, DeviceAddress part, int chunks, int c, DeviceAddress mean, DeviceAddress std) {
        cx.go("actnormInitStats", launch, part, chunks, c, mean, std);
    }
}
