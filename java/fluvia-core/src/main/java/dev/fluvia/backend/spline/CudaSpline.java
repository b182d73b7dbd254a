package dev.fluvia.backend.spline;

import static dev.fluvia.backend.cuda.CudaContext.p;

import dev.fluvia.backend.cuda.CudaContext;
import dev.fluvia.backend.cuda.DeviceAddress;
import dev.fluvia.backend.cuda.Launch;
import dev.fluvia.tensor.Tensor;

/**
 * The CUDA body of the spline ops ({@link SplineOps}) and the typed launchers of {@code kernels/spline.cu}: one method per
 * {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C signature.
 */
public final class CudaSpline implements SplineOps {
    private final CudaContext cx;

    public CudaSpline(CudaContext cx) { this.cx = cx; }

    @Override public void rqSplineForward(Tensor x, Tensor h, Spec sp, Tensor y, Tensor ld) {
        SplineOps.Checks.rqSplineForward(x, h, sp, y, ld);
        rqSplineForward(cx.rows(x.dim(0)), p(x), p(h), x.dim(0), x.dim(1), sp.bins(), sp.bound(), sp.minWidth(), sp.minHeight(),
                sp.minDerivative(), p(y), p(ld));
    }

    @Override public void rqSplineInverse(Tensor y, Tensor h, Spec sp, Tensor x, Tensor ld) {
        SplineOps.Checks.rqSplineInverse(y, h, sp, x, ld);
        rqSplineInverse(cx.rows(y.dim(0)), p(y), p(h), y.dim(0), y.dim(1), sp.bins(), sp.bound(), sp.minWidth(), sp.minHeight(),
                sp.minDerivative(), p(x), p(ld));
    }

    @Override public void rqSplineBackward(Tensor x, Tensor h, Spec sp, Tensor gy, Tensor gLd, Tensor gx, Tensor gh) {
        SplineOps.Checks.rqSplineBackward(x, h, sp, gy, gLd, gx, gh);
        int n = x.dim(0), d = x.dim(1);
        rqSplineBackward(cx.elementwise((long) n * d), p(x), p(h), n, d, sp.bins(), sp.bound(), sp.minWidth(), sp.minHeight(),
                sp.minDerivative(), p(gy), p(gLd), p(gx), p(gh));
    }

    // ------------------------------------------------------------------ typed launchers (kernels/spline.cu)

    /** {@code rqSplineForward(float* x, float* h, int n, int d, int bins, float bound, float minWidth, float minHeight, float minDerivative, float* y, float* ld)} */
    void rqSplineForward(Launch launch, DeviceAddress x, DeviceAddress h, int n, int d, int bins, float bound, float minWidth,
                         float minHeight, float minDerivative, DeviceAddress y, DeviceAddress ld) {
        cx.go("rqSplineForward", launch, x, h, n, d, bins, bound, minWidth, minHeight, minDerivative, y, ld);
    }

    /** {@code rqSplineInverse(float* y, float* h, int n, int d, int bins, float bound, float minWidth, float minHeight, float minDerivative, float* x, float* ld)} */
    void rqSplineInverse(Launch launch, DeviceAddress y, DeviceAddress h, int n, int d, int bins, float bound, float minWidth,
                         float minHeight, float minDerivative, DeviceAddress x, DeviceAddress ld) {
        cx.go("rqSplineInverse", launch, y, h, n, d, bins, bound, minWidth, minHeight, minDerivative, x, ld);
    }

    /** {@code rqSplineBackward(float* x, float* h, int n, int d, int bins, float bound, float minWidth, float minHeight, float minDerivative, float* gy, float* gLd, float* gx, float* gh)} */
    void rqSplineBackward(Launch launch, DeviceAddress x, DeviceAddress h, int n, int d, int bins, float bound, float minWidth,
                          float minHeight, float minDerivative, DeviceAddress gy, DeviceAddress gLd, DeviceAddress gx, DeviceAddress gh) {
        cx.go("rqSplineBackward", launch, x, h, n, d, bins, bound, minWidth, minHeight, minDerivative, gy, gLd, gx, gh);
    }
}
