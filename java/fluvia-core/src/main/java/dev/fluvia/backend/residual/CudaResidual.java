package dev.fluvia.backend.residual;

import static dev.fluvia.backend.cuda.CudaContext.chunks;
import static dev.fluvia.backend.cuda.CudaContext.grid;
import static dev.fluvia.backend.cuda.CudaContext.p;

import dev.fluvia.backend.cuda.CudaContext;
import dev.fluvia.backend.cuda.DeviceAddress;
import dev.fluvia.backend.cuda.Launch;
import dev.fluvia.tensor.Tensor;

/**
 * The CUDA body of the residual ops ({@link ResidualOps}) and the typed launchers of {@code kernels/residual.cu}: one method
 * per {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C signature.
 * The derived parameters (û and c, α and β, Q and the triangles) are formed by the kernels on the device: no call reads
 * anything back to the host.
 */
public final class CudaResidual implements ResidualOps {
    private static final int THREADS = CudaContext.THREADS;
    private final CudaContext cx;

    public CudaResidual(CudaContext cx) { this.cx = cx; }

    private static int blocks(long count) { return (int) Math.max(1, (count + THREADS - 1) / THREADS); }

    // ------------------------------------------------------------------ planar

    @Override public void planarForward(Tensor x, Tensor u, Tensor w, Tensor b, Tensor z, Tensor ld) {
        ResidualOps.Checks.planarForward(x, u, w, b, z, ld);
        planarForward(cx.rows(x.dim(0)), p(x), p(u), p(w), p(b), x.dim(0), x.dim(1), p(z), p(ld));
    }

    @Override public void planarInverse(Tensor z, Tensor u, Tensor w, Tensor b, Tensor x, Tensor ld) {
        ResidualOps.Checks.planarInverse(z, u, w, b, x, ld);
        planarInverse(cx.rows(z.dim(0)), p(z), p(u), p(w), p(b), z.dim(0), z.dim(1), p(x), p(ld));
    }

    @Override public void planarBackward(Tensor x, Tensor u, Tensor w, Tensor b, Tensor gz, Tensor gLd, Tensor gx, Tensor gu, Tensor gw, Tensor gb) {
        ResidualOps.Checks.planarBackward(x, u, w, b, gz, gLd, gx, gu, gw, gb);
        planarGrad(false, x, u, w, b, gz, gLd, gx, gu, gw, gb);
    }

    @Override public void planarInverseBackward(Tensor z, Tensor u, Tensor w, Tensor b, Tensor gx, Tensor gLd, Tensor gz, Tensor gu, Tensor gw, Tensor gb) {
        ResidualOps.Checks.planarInverseBackward(z, u, w, b, gx, gLd, gz, gu, gw, gb);
        planarGrad(true, z, u, w, b, gx, gLd, gz, gu, gw, gb);
    }

    private void planarGrad(boolean generative, Tensor in, Tensor u, Tensor w, Tensor b, Tensor g, Tensor gLd, Tensor gout,
                            Tensor gu, Tensor gw, Tensor gb) {
        cx.makeCurrent();
        int n = in.dim(0), d = in.dim(1);
        if (n == 0 || d == 0) return;
        int ch = chunks(n);
        DeviceAddress part = cx.scratch((long) ch * (2L * d + 2) * 8);
        Launch l = grid(ch, 1, THREADS, 0);
        if (generative) planarInverseBackwardPartials(l, p(in), p(u), p(w), p(b), p(g), p(gLd), n, d, p(gout), part);
        else planarBackwardPartials(l, p(in), p(u), p(w), p(b), p(g), p(gLd), n, d, p(gout), part);
        planarBackwardFinalize(grid(1, 1, THREADS, 0), part, ch, p(u), p(w), d, p(gu), p(gw), p(gb));
        cx.free(part);
    }

    // ------------------------------------------------------------------ radial

    @Override public void radialForward(Tensor x, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor z, Tensor ld) {
        ResidualOps.Checks.radialForward(x, z0, alphaRaw, betaRaw, z, ld);
        radialForward(cx.rows(x.dim(0)), p(x), p(z0), p(alphaRaw), p(betaRaw), x.dim(0), x.dim(1), p(z), p(ld));
    }

    @Override public void radialInverse(Tensor z, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor x, Tensor ld) {
        ResidualOps.Checks.radialInverse(z, z0, alphaRaw, betaRaw, x, ld);
        radialInverse(cx.rows(z.dim(0)), p(z), p(z0), p(alphaRaw), p(betaRaw), z.dim(0), z.dim(1), p(x), p(ld));
    }

    @Override public void radialBackward(Tensor x, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor gz, Tensor gLd, Tensor gx,
                                         Tensor gz0, Tensor galpha, Tensor gbeta) {
        ResidualOps.Checks.radialBackward(x, z0, alphaRaw, betaRaw, gz, gLd, gx, gz0, galpha, gbeta);
        radialGrad(false, x, z0, alphaRaw, betaRaw, gz, gLd, gx, gz0, galpha, gbeta);
    }

    @Override public void radialInverseBackward(Tensor z, Tensor z0, Tensor alphaRaw, Tensor betaRaw, Tensor gx, Tensor gLd, Tensor gz,
                                                Tensor gz0, Tensor galpha, Tensor gbeta) {
        ResidualOps.Checks.radialInverseBackward(z, z0, alphaRaw, betaRaw, gx, gLd, gz, gz0, galpha, gbeta);
        radialGrad(true, z, z0, alphaRaw, betaRaw, gx, gLd, gz, gz0, galpha, gbeta);
    }

    private void radialGrad(boolean generative, Tensor in, Tensor z0, Tensor ar, Tensor br, Tensor g, Tensor gLd, Tensor gout,
                            Tensor gz0, Tensor galpha, Tensor gbeta) {
        cx.makeCurrent();
        int n = in.dim(0), d = in.dim(1);
        if (n == 0 || d == 0) return;
        int ch = chunks(n);
        DeviceAddress part = cx.scratch((long) ch * (d + 2L) * 8);
        Launch l = grid(ch, 1, THREADS, 0);
        if (generative) radialInverseBackwardPartials(l, p(in), p(z0), p(ar), p(br), p(g), p(gLd), n, d, p(gout), part);
        else radialBackwardPartials(l, p(in), p(z0), p(ar), p(br), p(g), p(gLd), n, d, p(gout), part);
        radialBackwardFinalize(grid(1, 1, THREADS, 0), part, ch, d, p(ar), p(br), p(gz0), p(galpha), p(gbeta));
        cx.free(part);
    }

    // ------------------------------------------------------------------ sylvester

    /** Q, R, R̃ in double scratch, [3][D][D]; give it back with {@link CudaContext#free}. */
    private DeviceAddress prepare(Tensor v, Tensor r, Tensor rt, int d) {
        long dd = (long) d * d;
        DeviceAddress qs = cx.scratch(3 * dd * 8);
        sylvesterPrepare(cx.elementwise(dd), p(v), p(r), p(rt), v.dim(0), d, qs, qs.offset(dd * 8), qs.offset(2 * dd * 8));
        return qs;
    }

    @Override public void sylvesterInverse(Tensor z, Tensor v, Tensor r, Tensor rt, Tensor b, Tensor x, Tensor ld) {
        ResidualOps.Checks.sylvesterInverse(z, v, r, rt, b, x, ld);
        cx.makeCurrent();
        int n = z.dim(0), d = z.dim(1);
        if (n == 0 || d == 0) return;
        long dd = (long) d * d;
        DeviceAddress qs = prepare(v, r, rt, d), work = cx.scratch((long) n * d * 8);
        sylvesterInverse(cx.elementwise(n), p(z), p(b), qs, qs.offset(dd * 8), qs.offset(2 * dd * 8), n, d, work, p(x), p(ld));
        cx.free(work);
        cx.free(qs);
    }

    @Override public void sylvesterInverseBackward(Tensor z, Tensor v, Tensor r, Tensor rt, Tensor b, Tensor gx, Tensor gLd, Tensor gz,
                                                   Tensor gv, Tensor gr, Tensor grt, Tensor gb) {
        ResidualOps.Checks.sylvesterInverseBackward(z, v, r, rt, b, gx, gLd, gz, gv, gr, grt, gb);
        cx.makeCurrent();
        int n = z.dim(0), d = z.dim(1), k = v.dim(0);
        if (n == 0 || d == 0) return;
        long dd = (long) d * d, entries = 3 * dd + 2L * d;
        int ch = chunks(n);
        DeviceAddress qs = prepare(v, r, rt, d), re = qs.offset(dd * 8), rte = qs.offset(2 * dd * 8);
        DeviceAddress rows = cx.scratch(7L * n * d * 8), part = cx.scratch(ch * entries * 8), gq = cx.scratch(dd * 8);
        DeviceAddress work = cx.scratch(2 * dd * 8), contrib = cx.scratch((long) k * dd * 8);
        sylvesterInverseBackwardRows(cx.elementwise(n), p(z), p(gx), p(gLd), p(b), qs, re, rte, n, d, rows, p(gz));
        sylvesterInverseBackwardPartials(grid(ch, blocks(entries), THREADS, 0), p(z), p(gx), rows, n, d, part);
        sylvesterInverseBackwardFinalize(cx.elementwise(3 * dd + d), part, ch, d, p(r), p(rt), re, rte, gq, p(gr), p(grt), p(gb));
        sylvesterHouseholderBackward(cx.elementwise(d), p(v), qs, gq, k, d, work, contrib);
        sylvesterHouseholderFinalize(cx.elementwise((long) k * d), contrib, k, d, p(gv));
        cx.free(contrib);
        cx.free(work);
        cx.free(gq);
        cx.free(part);
        cx.free(rows);
        cx.free(qs);
    }

    // ------------------------------------------------------------------ typed launchers (kernels/residual.cu)

    /** {@code planarForward(float* x, float* u, float* w, float* b, int n, int d, float* z, float* ld)} */
    void planarForward(Launch launch, DeviceAddress x, DeviceAddress u, DeviceAddress w, DeviceAddress b, int n, int d, DeviceAddress z, DeviceAddress ld) {
        cx.go("planarForward", launch, x, u, w, b, n, d, z, ld);
    }

    /** {@code planarInverse(float* z, float* u, float* w, float* b, int n, int d, float* x, float* ld)} */
    void planarInverse(Launch launch, DeviceAddress z, DeviceAddress u, DeviceAddress w, DeviceAddress b, int n, int d, DeviceAddress x, DeviceAddress ld) {
        cx.go("planarInverse", launch, z, u, w, b, n, d, x, ld);
    }

    /** {@code planarBackwardPartials(float* x, float* u, float* w, float* b, float* gz, float* gLd, int n, int d, float* gx, double* part)} */
    void planarBackwardPartials(Launch launch, DeviceAddress x, DeviceAddress u, DeviceAddress w, DeviceAddress b, DeviceAddress gz,
                                DeviceAddress gLd, int n, int d, DeviceAddress gx, DeviceAddress part) {
        cx.go("planarBackwardPartials", launch, x, u, w, b, gz, gLd, n, d, gx, part);
    }

    /** {@code planarInverseBackwardPartials(float* z, float* u, float* w, float* b, float* gx, float* gLd, int n, int d, float* gz, double* part)} */
    void planarInverseBackwardPartials(Launch launch, DeviceAddress z, DeviceAddress u, DeviceAddress w, DeviceAddress b, DeviceAddress gx,
                                       DeviceAddress gLd, int n, int d, DeviceAddress gz, DeviceAddress part) {
        cx.go("planarInverseBackwardPartials", launch, z, u, w, b, gx, gLd, n, d, gz, part);
    }

    /** {@code planarBackwardFinalize(double* part, int chunks, float* u, float* w, int d, float* gu, float* gw, float* gb)} */
    void planarBackwardFinalize(Launch launch, DeviceAddress part, int chunks, DeviceAddress u, DeviceAddress w, int d, DeviceAddress gu,
                                DeviceAddress gw, DeviceAddress gb) {
        cx.go("planarBackwardFinalize", launch, part, chunks, u, w, d, gu, gw, gb);
    }

    /** {@code radialForward(float* x, float* z0, float* alphaRaw, float* betaRaw, int n, int d, float* z, float* ld)} */
    void radialForward(Launch launch, DeviceAddress x, DeviceAddress z0, DeviceAddress alphaRaw, DeviceAddress betaRaw, int n, int d,
                       DeviceAddress z, DeviceAddress ld) {
        cx.go("radialForward", launch, x, z0, alphaRaw, betaRaw, n, d, z, ld);
    }

    /** {@code radialInverse(float* z, float* z0, float* alphaRaw, float* betaRaw, int n, int d, float* x, float* ld)} */
    void radialInverse(Launch launch, DeviceAddress z, DeviceAddress z0, DeviceAddress alphaRaw, DeviceAddress betaRaw, int n, int d,
                       DeviceAddress x, DeviceAddress ld) {
        cx.go("radialInverse", launch, z, z0, alphaRaw, betaRaw, n, d, x, ld);
    }

    /** {@code radialBackwardPartials(float* x, float* z0, float* alphaRaw, float* betaRaw, float* gz, float* gLd, int n, int d, float* gx, double* part)} */
    void radialBackwardPartials(Launch launch, DeviceAddress x, DeviceAddress z0, DeviceAddress alphaRaw, DeviceAddress betaRaw, DeviceAddress gz,
                                DeviceAddress gLd, int n, int d, DeviceAddress gx, DeviceAddress part) {
        cx.go("radialBackwardPartials", launch, x, z0, alphaRaw, betaRaw, gz, gLd, n, d, gx, part);
    }

    /** {@code radialInverseBackwardPartials(float* z, float* z0, float* alphaRaw, float* betaRaw, float* gx, float* gLd, int n, int d, float* gz, double* part)} */
    void radialInverseBackwardPartials(Launch launch, DeviceAddress z, DeviceAddress z0, DeviceAddress alphaRaw, DeviceAddress betaRaw,
                                       DeviceAddress gx, DeviceAddress gLd, int n, int d, DeviceAddress gz, DeviceAddress part) {
        cx.go("radialInverseBackwardPartials", launch, z, z0, alphaRaw, betaRaw, gx, gLd, n, d, gz, part);
    }

    /** {@code radialBackwardFinalize(double* part, int chunks, int d, float* alphaRaw, float* betaRaw, float* gz0, float* galpha, float* gbeta)} */
    void radialBackwardFinalize(Launch launch, DeviceAddress part, int chunks, int d, DeviceAddress alphaRaw, DeviceAddress betaRaw,
                                DeviceAddress gz0, DeviceAddress galpha, DeviceAddress gbeta) {
        cx.go("radialBackwardFinalize", launch, part, chunks, d, alphaRaw, betaRaw, gz0, galpha, gbeta);
    }

    /** {@code sylvesterPrepare(float* v, float* r, float* rt, int k, int d, double* q, double* re, double* rte)} */
    void sylvesterPrepare(Launch launch, DeviceAddress v, DeviceAddress r, DeviceAddress rt, int k, int d, DeviceAddress q, DeviceAddress re,
                          DeviceAddress rte) {
        cx.go("sylvesterPrepare", launch, v, r, rt, k, d, q, re, rte);
    }

    /** {@code sylvesterInverse(float* z, float* b, double* q, double* re, double* rte, int n, int d, double* work, float* x, float* ld)} */
    void sylvesterInverse(Launch launch, DeviceAddress z, DeviceAddress b, DeviceAddress q, DeviceAddress re, DeviceAddress rte, int n, int d,
                          DeviceAddress work, DeviceAddress x, DeviceAddress ld) {
        cx.go("sylvesterInverse", launch, z, b, q, re, rte, n, d, work, x, ld);
    }

    /** {@code sylvesterInverseBackwardRows(float* z, float* gx, float* gLd, float* b, double* q, double* re, double* rte, int n, int d, double* rows, float* gz)} */
    void sylvesterInverseBackwardRows(Launch launch, DeviceAddress z, DeviceAddress gx, DeviceAddress gLd, DeviceAddress b, DeviceAddress q,
                                      DeviceAddress re, DeviceAddress rte, int n, int d, DeviceAddress rows, DeviceAddress gz) {
        cx.go("sylvesterInverseBackwardRows", launch, z, gx, gLd, b, q, re, rte, n, d, rows, gz);
    }

    /** {@code sylvesterInverseBackwardPartials(float* z, float* gx, double* rows, int n, int d, double* part)} */
    void sylvesterInverseBackwardPartials(Launch launch, DeviceAddress z, DeviceAddress gx, DeviceAddress rows, int n, int d, DeviceAddress part) {
        cx.go("sylvesterInverseBackwardPartials", launch, z, gx, rows, n, d, part);
    }

    /** {@code sylvesterInverseBackwardFinalize(double* part, int chunks, int d, float* r, float* rt, double* re, double* rte, double* gq, float* gr, float* grt, float* gb)} */
    void sylvesterInverseBackwardFinalize(Launch launch, DeviceAddress part, int chunks, int d, DeviceAddress r, DeviceAddress rt, DeviceAddress re,
                                          DeviceAddress rte, DeviceAddress gq, DeviceAddress gr, DeviceAddress grt, DeviceAddress gb) {
        cx.go("sylvesterInverseBackwardFinalize", launch, part, chunks, d, r, rt, re, rte, gq, gr, grt, gb);
    }

    /** {@code sylvesterHouseholderBackward(float* v, double* q, double* gq, int k, int d, double* work, double* contrib)} */
    void sylvesterHouseholderBackward(Launch launch, DeviceAddress v, DeviceAddress q, DeviceAddress gq, int k, int d, DeviceAddress work,
                                      DeviceAddress contrib) {
        cx.go("sylvesterHouseholderBackward", launch, v, q, gq, k, d, work, contrib);
    }

    /** {@code sylvesterHouseholderFinalize(double* contrib, int k, int d, float* gv)} */
    void sylvesterHouseholderFinalize(Launch launch, DeviceAddress contrib, int k, int d, DeviceAddress gv) {
        cx.go("sylvesterHouseholderFinalize", launch, contrib, k, d, gv);
    }
}
