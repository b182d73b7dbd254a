// Fluvia CUDA kernels: LU-decomposed invertible linear / 1×1 convolution (Glow), W = P·L'·U'.
//   L' = I + strictLower(lower), U' = strictUpper(upper) + diag(sign·exp(logs)), (P·M)[i, :] = M[perm[i], :].
//   luAssemble (W, one thread per entry), luSolve (batched triangular solves, one thread per sample/pixel),
//   luWeightBackward (∂L/∂W → LU parameters, one thread per entry). All sums in double.
#include "common.cuh"

__device__ __forceinline__ double luDiag(const float* logs, const float* sign, int i) {
    return (double) sign[i] * exp((double) logs[i]);
}

/** w[i, j] = Σ_{q ≤ min(perm[i], j)} L'[perm[i], q]·U'[q, j]. */
extern "C" __global__ void luAssemble(const int* __restrict__ perm, const float* __restrict__ lower, const float* __restrict__ upper,
                                      const float* __restrict__ logs, const float* __restrict__ sign, float* __restrict__ w, int c) {
    FLV_FOR(e, (long long) c * c) {
        int i = (int) (e / c), j = (int) (e % c), src = perm[i], top = min(src, j);
        double s = 0.0;
        for (int q = 0; q <= top; q++) {
            double l = q < src ? (double) lower[src * c + q] : 1.0;
            double u = q < j ? (double) upper[q * c + j] : luDiag(logs, sign, j);
            s += l * u;
        }
        w[e] = (float) s;
    }
}

/**
 * x = W⁻¹·y per sample (vectors, hw = 1) or per pixel (images): v = Pᵀy, forward substitution with L',
 * back substitution with U'. One thread per column t ∈ [0, N·hw); v lives in scratch [C][N·hw] (double, coalesced),
 * so y and x may be the same tensor. lower/upper reads are uniform across the warp (broadcast).
 */
extern "C" __global__ void luSolve(const int* __restrict__ perm, const float* __restrict__ lower, const float* __restrict__ upper,
                                   const float* __restrict__ logs, const float* __restrict__ sign, const float* y, float* x,
                                   double* __restrict__ v, int n, int c, int hw) {
    long long m = (long long) n * hw;
    FLV_FOR(t, m) {
        long long r = t / hw, px = t % hw, base = r * c * hw + px;
        for (int i = 0; i < c; i++) v[(long long) perm[i] * m + t] = y[base + (long long) i * hw];
        for (int i = 0; i < c; i++) {
            double s = v[(long long) i * m + t];
            for (int q = 0; q < i; q++) s -= (double) lower[i * c + q] * v[(long long) q * m + t];
            v[(long long) i * m + t] = s;
        }
        for (int i = c - 1; i >= 0; i--) {
            double s = v[(long long) i * m + t];
            for (int q = i + 1; q < c; q++) s -= (double) upper[i * c + q] * v[(long long) q * m + t];
            v[(long long) i * m + t] = s / luDiag(logs, sign, i);
        }
        for (int i = 0; i < c; i++) x[base + (long long) i * hw] = (float) v[(long long) i * m + t];
    }
}

/**
 * With G = Pᵀ·gw (G[r, :] = gw[permInv[r], :]): glower[i, j] += (G·U'ᵀ)[i, j] for i > j,
 * gupper[i, j] += (L'ᵀ·G)[i, j] for i < j, glogs[i] += (L'ᵀ·G)[i, i]·sign_i·exp(logs_i).
 */
extern "C" __global__ void luWeightBackward(const int* __restrict__ permInv, const float* __restrict__ lower, const float* __restrict__ upper,
                                            const float* __restrict__ logs, const float* __restrict__ sign, const float* __restrict__ gw,
                                            float* glower, float* gupper, float* glogs, int c) {
    FLV_FOR(e, (long long) c * c) {
        int i = (int) (e / c), j = (int) (e % c);
        if (i > j) {  // Σ_q G[i, q]·U'[j, q], U'[j, q] = 0 for q < j
            const float* gi = gw + (long long) permInv[i] * c;
            double s = (double) gi[j] * luDiag(logs, sign, j);
            for (int q = j + 1; q < c; q++) s += (double) gi[q] * upper[j * c + q];
            glower[e] = glower[e] + (float) s;
        } else {       // Σ_q L'[q, i]·G[q, j], L'[q, i] = 0 for q < i
            double s = gw[(long long) permInv[i] * c + j];
            for (int q = i + 1; q < c; q++) s += (double) lower[q * c + i] * gw[(long long) permInv[q] * c + j];
            if (i < j) gupper[e] = gupper[e] + (float) s;
            else glogs[i] = glogs[i] + (float) (s * luDiag(logs, sign, i));
        }
    }
}
