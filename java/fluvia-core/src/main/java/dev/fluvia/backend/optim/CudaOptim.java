package dev.fluvia.backend.optim;

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
 * The CUDA body of the optim ops ({@link OptimOps}) and the typed launchers of {@code kernels/optim.cu}: one method per
 * {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C signature
 * (pointer → {@link DeviceAddress}, {@code int} → int, {@code long long} → long, float, double).
 */
public final class CudaOptim implements OptimOps {
    private static final int THREADS = CudaContext.THREADS;
    private final CudaContext cx;

    public CudaOptim(CudaContext cx) { this.cx = cx; }

    private static int hw(Tensor x) { return dev.fluvia.backend.OpChecks.planeSize(x); }

    @Override public void adamUpdate(Tensor p, Tensor g, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, float weightDecay, int step) {
        OptimOps.Checks.adamUpdate(p, g, m, v);
        double bc1 = 1 - Math.pow(beta1, step), bc2 = 1 - Math.pow(beta2, step);
        adamUpdate(cx.elementwise(p.numel()), p(p), p(g), p(m), p(v), p.numel(), lr, beta1, beta2, eps, weightDecay, bc1, bc2);
    }

    @Override public void adamaxUpdate(Tensor p, Tensor g, Tensor m, Tensor u, float lr, float beta1, float beta2, float eps, int step) {
        OptimOps.Checks.adamaxUpdate(p, g, m, u);
        double bc1 = 1 - Math.pow(beta1, step);
        adamaxUpdate(cx.elementwise(p.numel()), p(p), p(g), p(m), p(u), p.numel(), lr, beta1, beta2, eps, bc1);
    }

    @Override public void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, dev.fluvia.backend.reduce.StepStatus st, float beta1, float beta2, float eps, float weightDecay) {
        OptimOps.Checks.adamStep(p, g, m, v);
        adamStep(cx.elementwise(p.numel()), p(p), p(g), p(m), p(v), p.numel(), dev.fluvia.backend.reduce.CudaReduce.address(st), beta1, beta2, eps, weightDecay);
    }

    @Override public void adamaxStep(Tensor p, Tensor g, Tensor m, Tensor u, dev.fluvia.backend.reduce.StepStatus st, float beta1, float beta2, float eps) {
        OptimOps.Checks.adamaxStep(p, g, m, u);
        adamaxStep(cx.elementwise(p.numel()), p(p), p(g), p(m), p(u), p.numel(), dev.fluvia.backend.reduce.CudaReduce.address(st), beta1, beta2, eps);
    }

    // ------------------------------------------------------------------ typed launchers (kernels/optim.cu)

    /** {@code adamStep(float* p, float* g, float* m, float* v, long long count, double* st, float beta1, float beta2, float eps, float weightDecay)} */
    void adamStep(Launch launch, DeviceAddress p, DeviceAddress g, DeviceAddress m, DeviceAddress v, long count, DeviceAddress st, float beta1, float beta2, float eps, float weightDecay) {
        cx.go("adamStep", launch, p, g, m, v, count, st, beta1, beta2, eps, weightDecay);
    }

    /** {@code adamaxStep(float* p, float* g, float* m, float* u, long long count, double* st, float beta1, float beta2, float eps)} */
    void adamaxStep(Launch launch, DeviceAddress p, DeviceAddress g, DeviceAddress m, DeviceAddress u, long count, DeviceAddress st, float beta1, float beta2, float eps) {
        cx.go("adamaxStep", launch, p, g, m, u, count, st, beta1, beta2, eps);
    }

    /** {@code adamUpdate(float* p, float* g, float* m, float* v, long long count, float lr, float beta1, float beta2, float eps, float weightDecay, double bc1, double bc2)} */
    void adamUpdate(Launch launch, DeviceAddress p, DeviceAddress g, DeviceAddress m, DeviceAddress v, long count, float lr, float beta1, float beta2, float eps, float weightDecay, double bc1, double bc2) {
        cx.go("adamUpdate", launch, p, g, m, v, count, lr, beta1, beta2, eps, weightDecay, bc1, bc2);
    }

    /** {@code adamaxUpdate(float* p, float* g, float* m, float* u, long long count, float lr, float beta1, float beta2, float eps, double bc1)} */
    void adamaxUpdate(Launch launch, DeviceAddress p, DeviceAddress g, DeviceAddress m, DeviceAddress u, long count, float lr, float beta1, float beta2, float eps, double bc1) {
        cx.go("adamaxUpdate", launch, p, g, m, u, count, lr, beta1, beta2, eps, bc1);
    }
}
