package dev.fluvia.backend.lu;

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
 * The CUDA body of the lu ops ({@link LuOps}) and the typed launchers of {@code kernels/lu.cu}: one method per
 * {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C signature
 * (pointer → {@link DeviceAddress}, {@code int} → int, {@code long long} → long, float, double).
 */
public final class CudaLu implements LuOps {
    private static final int THREADS = CudaContext.THREADS;
    private final CudaContext cx;

    public CudaLu(CudaContext cx) { this.cx = cx; }

    private static int hw(Tensor x) { return dev.fluvia.backend.OpChecks.planeSize(x); }

    /** CUDA-only (the kernels index by the inverse permutation): perm must be a permutation. */
    private static void isPermutation(String op, Index perm, Tensor logs) {
        int c = logs.dim(0);
        require(CudaContext.distinct(perm) && java.util.Arrays.stream(perm.raw()).allMatch(v -> v >= 0 && v < c), op,
                "perm must be a permutation of 0.." + (c - 1), logs);
    }

    @Override public void luAssemble(Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign, Tensor w) {
        LuOps.Checks.luAssemble(perm, lower, upper, logs, sign, w);
        isPermutation("luAssemble", perm, logs);
        int c = logs.dim(0);
        luAssemble(cx.elementwise((long) c * c), p(perm), p(lower), p(upper), p(logs), p(sign), p(w), c);
    }

    @Override public void luSolve(Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign, Tensor y, Tensor x) {
        LuOps.Checks.luSolve(perm, lower, upper, logs, sign, y, x);
        isPermutation("luSolve", perm, logs);
        int c = logs.dim(0);
        long cols = (long) y.dim(0) * hw(y);
        if (cols == 0 || c == 0) return;
        DeviceAddress v = cx.scratch(cols * c * 8);
        luSolve(cx.elementwise(cols), p(perm), p(lower), p(upper), p(logs), p(sign), p(y), p(x), v, y.dim(0), c, hw(y));
        cx.free(v);
    }

    @Override public void luWeightBackward(Index perm, Tensor lower, Tensor upper, Tensor logs, Tensor sign,
                                           Tensor gw, Tensor glower, Tensor gupper, Tensor glogs) {
        LuOps.Checks.luWeightBackward(perm, lower, upper, logs, sign, gw, glower, gupper, glogs);
        isPermutation("luWeightBackward", perm, logs);
        int c = logs.dim(0);
        DeviceAddress inv = cx.inversePermutation(perm);
        luWeightBackward(cx.elementwise((long) c * c), inv, p(lower), p(upper), p(logs), p(sign), p(gw), p(glower), p(gupper), p(glogs), c);
    }

    // ------------------------------------------------------------------ typed launchers (kernels/lu.cu)

    /** {@code luAssemble(int* perm, float* lower, float* upper, float* logs, float* sign, float* w, int c)} */
    void luAssemble(Launch launch, DeviceAddress perm, DeviceAddress lower, DeviceAddress upper, DeviceAddress logs, DeviceAddress sign, DeviceAddress w, int c) {
        cx.go("luAssemble", launch, perm, lower, upper, logs, sign, w, c);
    }

    /** {@code luSolve(int* perm, float* lower, float* upper, float* logs, float* sign, float* y, float* x, double* v, int n, int c, int hw)} */
    void luSolve(Launch launch, DeviceAddress perm, DeviceAddress lower, DeviceAddress upper, DeviceAddress logs, DeviceAddress sign, DeviceAddress y, DeviceAddress x, DeviceAddress v, int n, int c, int hw) {
        cx.go("luSolve", launch, perm, lower, upper, logs, sign, y, x, v, n, c, hw);
    }

    /** {@code luWeightBackward(int* permInv, float* lower, float* upper, float* logs, float* sign, float* gw, float* glower, float* gupper, float* glogs, int c)} */
    void luWeightBackward(Launch launch, DeviceAddress permInv, DeviceAddress lower, DeviceAddress upper, DeviceAddress logs, DeviceAddress sign, DeviceAddress gw, DeviceAddress glower, DeviceAddress gupper, DeviceAddress glogs, int c) {
        cx.go("luWeightBackward", launch, permInv, lower, upper, logs, sign, gw, glower, gupper, glogs, c);
    }
}
