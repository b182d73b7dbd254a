// Fluvia CUDA kernels: MAF (masked autoregressive flow) with a MADE conditioner.
//   mafForward (density direction, one pass, log-det fused), mafBackward (element-wise),
//   mafInverse (sampling direction: ONE persistent kernel; each block owns a tile of MAF_TILE rows and runs all D
//   sequential steps on chip. The first layer's pre-activations a1 = W1·x + b1 stay in shared memory and get a
//   rank-1 update a1 += W1[:, d]·x_d when x_d is set, instead of D full network passes; deeper hidden layers run in
//   full per step (each weight read once per tile and reused for the tile's rows), the output layer only for the
//   two outputs (μ_d, raw α_d) of the current dimension.)
// h [N, 2D]: h[:, d] = μ_d, h[:, D+d] = raw α_d, α = c·tanh(raw/c).
#include "common.cuh"

#define MAF_TILE 4
#define MAF_THREADS 256

// ---------------------------------------------------------------------------------------------- density direction

/** z = (x − μ)·exp(−α); ld[n] += −Σ_d α_d (warp per row, double sum). */
extern "C" __global__ void mafForward(const float* __restrict__ x, const float* __restrict__ h, int n, int d, float clamp,
                                      float* __restrict__ z, float* ld) {
    int lane = threadIdx.x & (FLV_WARP - 1);
    FLV_FOR_ROWS_BY_WARP(r, n) {
        const float* hr = h + r * 2 * d;
        double acc = 0.0;
        for (int j = lane; j < d; j += FLV_WARP) {
            float a = clamp * tanhf(hr[d + j] / clamp);
            z[r * d + j] = (x[r * d + j] - hr[j]) * expf(-a);
            acc -= a;
        }
        acc = flvWarpSum(acc);
        if (lane == 0) ld[r] = (float) ((double) ld[r] + acc);
    }
}

/** gx = gz·exp(−α) (direct path); gh[:, d] = −gz·exp(−α); gh[:, D+d] = (−gz·z − gLd)·(1 − tanh²). */
extern "C" __global__ void mafBackward(const float* __restrict__ x, const float* __restrict__ h, int n, int d, float clamp,
                                       const float* __restrict__ gz, const float* __restrict__ gLd,
                                       float* __restrict__ gx, float* __restrict__ gh) {
    FLV_FOR(i, (long long) n * d) {
        long long r = i / d;
        int j = (int) (i - r * d);
        const float* hr = h + r * 2 * d;
        float mu = hr[j], th = tanhf(hr[d + j] / clamp), e = expf(-clamp * th);
        float g = gz[i], zv = (x[i] - mu) * e;
        float gA = -g * zv - gLd[r];
        gx[i] = g * e;
        gh[r * 2 * d + j] = -g * e;
        gh[r * 2 * d + d + j] = gA * (1.f - th * th);
    }
}

// ---------------------------------------------------------------------------------------------- sampling direction

/**
 * Sequential inverse over order[0..D): x_d = z_d·exp(α_d) + μ_d; ld[n] += Σ_d α_d.
 * weights[l] [outs[l], ins[l]] (masks folded in), biases[l] [outs[l]]; ins[0] = D, outs[L−1] = 2D.
 * dims = {ins[0], outs[0], outs[1], …, outs[L−1]}. Hidden activation act; the output layer is linear.
 * Dynamic shared memory: MAF_TILE·(outs[0] + 2·hbuf) floats + MAF_TILE·(2 doubles + 3 floats), hbuf = max hidden width.
 * Launch with MAF_THREADS threads; grid ≤ number of tiles (persistent: blocks stride over tiles).
 */
extern "C" __global__ void __launch_bounds__(MAF_THREADS) mafInverse(const float* const* __restrict__ weights, const float* const* __restrict__ biases,
                                                                     const int* __restrict__ dims, int layers, int act,
                                                                     const int* __restrict__ order, float clamp,
                                                                     const float* __restrict__ z, float* __restrict__ x, float* ld, int n, int hbuf) {
    extern __shared__ __align__(16) unsigned char mafSmem[];
    const int d = dims[0], h0 = dims[1];
    double* ldAcc = reinterpret_cast<double*>(mafSmem);                 // [TILE]
    double* outs2 = ldAcc + MAF_TILE;                                    // [TILE][2]: μ, raw α (double dot products)
    float* a1 = reinterpret_cast<float*>(outs2 + 2 * MAF_TILE);          // [TILE][h0]
    float* hA = a1 + MAF_TILE * h0;                                      // [TILE][hbuf]
    float* hB = hA + MAF_TILE * hbuf;                                    // [TILE][hbuf]
    float* xNew = hB + MAF_TILE * hbuf;                                  // [TILE]
    const int warp = threadIdx.x / FLV_WARP, lane = threadIdx.x & (FLV_WARP - 1), warps = blockDim.x / FLV_WARP;
    const float* w0 = weights[0];
    const float* b0 = biases[0];
    const int tiles = (n + MAF_TILE - 1) / MAF_TILE;

    for (int tile = blockIdx.x; tile < tiles; tile += gridDim.x) {
        const int r0 = tile * MAF_TILE;
        for (int e = threadIdx.x; e < MAF_TILE * h0; e += blockDim.x) a1[e] = b0[e % h0];
        if (threadIdx.x < MAF_TILE) ldAcc[threadIdx.x] = 0.0;
        __syncthreads();
        for (int step = 0; step < d; step++) {
            const int dim = order[step];
            if (layers == 1) {
                if (threadIdx.x < MAF_TILE) {
                    outs2[2 * threadIdx.x] = a1[threadIdx.x * h0 + dim];
                    outs2[2 * threadIdx.x + 1] = a1[threadIdx.x * h0 + d + dim];
                }
            } else {
                // hidden layer 0: activation of the running pre-activations
                for (int e = threadIdx.x; e < MAF_TILE * h0; e += blockDim.x) {
                    int t = e / h0, o = e - t * h0;
                    hA[t * hbuf + o] = flvActivate(act, a1[e]);
                }
                __syncthreads();
                float* prev = hA;
                float* cur = hB;
                int inW = h0;
                for (int l = 1; l < layers - 1; l++) {  // deeper hidden layers: thread per unit, all tile rows at once
                    const int outW = dims[l + 1];
                    const float* wl = weights[l];
                    const float* bl = biases[l];
                    for (int o = threadIdx.x; o < outW; o += blockDim.x) {
                        double s[MAF_TILE];
#pragma unroll
                        for (int t = 0; t < MAF_TILE; t++) s[t] = bl[o];
                        const float* wr = wl + (long long) o * inW;
                        for (int q = 0; q < inW; q++) {
                            float wv = wr[q];
#pragma unroll
                            for (int t = 0; t < MAF_TILE; t++) s[t] += (double) (wv * prev[t * hbuf + q]);
                        }
#pragma unroll
                        for (int t = 0; t < MAF_TILE; t++) cur[t * hbuf + o] = flvActivate(act, (float) s[t]);
                    }
                    __syncthreads();
                    float* tmp = prev; prev = cur; cur = tmp;
                    inW = outW;
                }
                // output layer: only rows dim (μ) and D+dim (raw α); one warp per (tile row, output) pair
                const float* wo = weights[layers - 1];
                const float* bo = biases[layers - 1];
                for (int job = warp; job < 2 * MAF_TILE; job += warps) {
                    int t = job >> 1, which = job & 1, row = which == 0 ? dim : d + dim;
                    const float* wr = wo + (long long) row * inW;
                    double s = 0.0;
                    for (int q = lane; q < inW; q += FLV_WARP) s += (double) (wr[q] * prev[t * hbuf + q]);
                    s = flvWarpSum(s);
                    if (lane == 0) outs2[2 * t + which] = (double) bo[row] + s;
                }
            }
            __syncthreads();
            if (threadIdx.x < MAF_TILE) {
                int t = threadIdx.x;
                long long r = r0 + t;
                float mu = (float) outs2[2 * t], raw = (float) outs2[2 * t + 1];
                double a = clamp * tanh((double) (raw / clamp));
                float xv = 0.f;
                if (r < n) {
                    xv = (float) (z[r * d + dim] * exp(a) + mu);
                    x[r * d + dim] = xv;
                    ldAcc[t] += a;
                }
                xNew[t] = xv;
            }
            __syncthreads();
            // rank-1 update of the first layer's pre-activations: a1 += W1[:, dim]·x_dim
            for (int e = threadIdx.x; e < MAF_TILE * h0; e += blockDim.x) {
                int t = e / h0, o = e - t * h0;
                a1[e] = fmaf(w0[(long long) o * d + dim], xNew[t], a1[e]);
            }
            __syncthreads();
        }
        if (threadIdx.x < MAF_TILE && r0 + threadIdx.x < n) {
            long long r = r0 + threadIdx.x;
            ld[r] = (float) ((double) ld[r] + ldAcc[threadIdx.x]);
        }
        __syncthreads();
    }
}
