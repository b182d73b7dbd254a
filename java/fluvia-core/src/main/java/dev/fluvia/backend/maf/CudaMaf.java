package dev.fluvia.backend.maf;

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
import static dev.fluvia.tensor.Shapes.rank;

import dev.fluvia.backend.Activation;
import java.util.List;

/**
 * The CUDA body of the maf ops ({@link MafOps}) and the typed launchers of {@code kernels/maf.cu}: one method per
 * {@code extern "C"} kernel, named like it, whose parameters after the leading {@link Launch} mirror the C signature
 * (pointer → {@link DeviceAddress}, {@code int} → int, {@code long long} → long, float, double).
 */
public final class CudaMaf implements MafOps {
    private static final int THREADS = CudaContext.THREADS, MAF_TILE = 4, MAF_THREADS = 256;
    private final CudaContext cx;

    public CudaMaf(CudaContext cx) { this.cx = cx; }

    private static int hw(Tensor x) { return dev.fluvia.backend.OpChecks.planeSize(x); }

    @Override public void mafForward(Tensor x, Tensor hh, float clamp, Tensor z, Tensor ld) {
        MafOps.Checks.mafForward(x, hh, z, ld);
        mafForward(cx.rows(x.dim(0)), p(x), p(hh), x.dim(0), x.dim(1), clamp, p(z), p(ld));
    }

    @Override public void mafBackward(Tensor x, Tensor hh, float clamp, Tensor gz, Tensor gLd, Tensor gx, Tensor gh) {
        MafOps.Checks.mafBackward(x, hh, gz, gLd, gx, gh);
        mafBackward(cx.elementwise(x.numel()), p(x), p(hh), x.dim(0), x.dim(1), clamp, p(gz), p(gLd), p(gx), p(gh));
    }

    @Override public void mafInverse(List<Tensor> weights, List<Tensor> biases, Activation act, Index order, float clamp,
                                     Tensor z, Tensor x, Tensor ld) {
        MafOps.Checks.mafInverse(weights, biases, order, z, x, ld);
        int n = z.dim(0), dd = z.dim(1), layers = weights.size();
        // CUDA-only checks (the kernel reads through order and each weight's address without further bounds)
        for (int v : order.raw()) require(v >= 0 && v < dd, "mafInverse", "order entry " + v + " out of range [0," + dd + ")", z);
        long[] wp = new long[layers], bp = new long[layers];
        int[] dims = new int[layers + 1];
        dims[0] = dd;
        int hbuf = 1;
        for (int i = 0; i < layers; i++) {
            Tensor w = weights.get(i), b = biases.get(i);
            rank("mafInverse", "weights[" + i + "]", w, 2);
            MafOps.Checks.mafInverseLayer(weights, biases, i);
            wp[i] = p(w).address();
            bp[i] = p(b).address();
            dims[i + 1] = w.dim(0);
            if (i < layers - 1) hbuf = Math.max(hbuf, w.dim(0));
        }
        if (n == 0 || dd == 0) return;
        int h0 = dims[1];
        long smem = 3L * MAF_TILE * 8 + 4L * MAF_TILE * (h0 + 2L * hbuf + 1);
        require(smem <= Integer.MAX_VALUE, "mafInverse", "network too wide", weights.get(0));
        cx.makeCurrent();
        cx.allowSharedMemory("mafInverse", (int) smem);
        DeviceAddress wArr = cx.upload(wp), bArr = cx.upload(bp), dArr = cx.upload(dims);
        int tiles = (n + MAF_TILE - 1) / MAF_TILE;
        int grid = Math.max(1, Math.min(tiles, cx.multiprocessors() * 8));
        mafInverse(grid(grid, 1, MAF_THREADS, (int) smem), wArr, bArr, dArr, layers, act.ordinal(), p(order), clamp, p(z), p(x), p(ld), n, hbuf);
        cx.free(wArr); cx.free(bArr); cx.free(dArr);
    }

    // ------------------------------------------------------------------ typed launchers (kernels/maf.cu)

    /** {@code mafForward(float* x, float* h, int n, int d, float clamp, float* z, float* ld)} */
    void mafForward(Launch launch, DeviceAddress x, DeviceAddress h, int n, int d, float clamp, DeviceAddress z, DeviceAddress ld) {
        cx.go("mafForward", launch, x, h, n, d, clamp, z, ld);
    }

    /** {@code mafBackward(float* x, float* h, int n, int d, float clamp, float* gz, float* gLd, float* gx, float* gh)} */
    void mafBackward(Launch launch, DeviceAddress x, DeviceAddress h, int n, int d, float clamp, DeviceAddress gz, DeviceAddress gLd, DeviceAddress gx, DeviceAddress gh) {
        cx.go("mafBackward", launch, x, h, n, d, clamp, gz, gLd, gx, gh);
    }

    /** {@code mafInverse(float** weights, float** biases, int* dims, int layers, int act, int* order, float clamp, float* z, float* x, float* ld, int n, int hbuf)} */
    void mafInverse(Launch launch, DeviceAddress weights, DeviceAddress biases, DeviceAddress dims, int layers, int act, DeviceAddress order, float clamp, DeviceAddress z, DeviceAddress x, DeviceAddress ld, int n, int hbuf) {
        cx.go("mafInverse", launch, weights, biases, dims, layers, act, order, clamp, z, x, ld, n, hbuf);
    }
}
