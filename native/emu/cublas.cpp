// Fluvia CUDA emulator: a stand-in libcublas.so.13 with the functions Fluvia binds (java/.../cuda/Cublas.java):
// cublasCreate_v2, cublasDestroy_v2, cublasSetStream_v2, cublasSetMathMode, cublasSgemm_v2, cublasSgemmStridedBatched,
// cublasGemmEx (float32 only). Column-major as cuBLAS; products accumulate in double (so TF32 math modes compute in full
// precision); arguments are validated as cuBLAS does; device pointers must lie in live allocations of the emulator's
// libcuda.so.1; the work runs on the handle's stream worker (fluviaEmuEnqueueHostOwned), never synchronously.
#include "fluvia_emu.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#define API extern "C" __attribute__((visibility("default")))

typedef int cublasStatus_t;
struct CUctx_st;
typedef CUctx_st* CUcontext;
extern "C" int cuCtxGetCurrent(CUcontext* ctx);

namespace {
enum : int { S_OK = 0, S_NOT_INITIALIZED = 1, S_ALLOC_FAILED = 3, S_INVALID_VALUE = 7, S_EXECUTION_FAILED = 13, S_NOT_SUPPORTED = 15 };

struct Handle { CUstream stream = nullptr; int mathMode = 0; };
std::mutex g_mu;
std::set<Handle*> g_handles;

bool live(void* h, Handle* out) {
    std::lock_guard<std::mutex> l(g_mu);
    if (!g_handles.count((Handle*)h)) return false;
    *out = *(Handle*)h;
    return true;
}

struct Gemm {
    const char* call;
    int opA, opB, m, n, k;
    float alpha, beta;
    uint64_t A, B, C;
    int lda, ldb, ldc;
    long long sA, sB, sC;
    int batch;
};

// Bytes a column-major rows × cols matrix with leading dimension ld spans (0 when empty).
uint64_t span(int rows, int cols, int ld) { return rows <= 0 || cols <= 0 ? 0 : ((uint64_t)(cols - 1) * (uint64_t)ld + (uint64_t)rows) * 4; }

// The device ranges a GEMM touches; returns "" or a message naming the first bad one.
std::string checkRanges(const Gemm& g) {
    int rA = g.opA == 0 ? g.m : g.k, cA = g.opA == 0 ? g.k : g.m;
    int rB = g.opB == 0 ? g.k : g.n, cB = g.opB == 0 ? g.n : g.k;
    bool readAB = g.k > 0 && g.alpha != 0.0f;
    for (int b = 0; b < g.batch; b++) {
        struct R { const char* name; uint64_t p; uint64_t bytes; bool used; } rs[] = {
            {"A", g.A + (uint64_t)((long long)b * g.sA * 4), span(rA, cA, g.lda), readAB},
            {"B", g.B + (uint64_t)((long long)b * g.sB * 4), span(rB, cB, g.ldb), readAB},
            {"C", g.C + (uint64_t)((long long)b * g.sC * 4), span(g.m, g.n, g.ldc), true},
        };
        for (const R& r : rs) {
            if (!r.used || r.bytes == 0) continue;
            if (fluviaEmuCheckDevicePointer(r.p, r.bytes) == 0) continue;
            char d[512];
            fluviaEmuDescribePointer(r.p, d, sizeof d);
            char msg[1024];
            snprintf(msg, sizeof msg, "%s: matrix %s of batch %d = 0x%llx (+%llu bytes) is not inside one live device allocation: %s",
                     g.call, r.name, b, (unsigned long long)r.p, (unsigned long long)r.bytes, d);
            return msg;
        }
    }
    return "";
}

void runGemm(void* arg) {
    const Gemm& g = *(const Gemm*)arg;
    std::string bad = checkRanges(g);  // an allocation may have gone since the call
    if (!bad.empty()) { fluviaEmuRaiseFault(700, bad.c_str()); return; }
    const int m = g.m, n = g.n, k = g.k;
    std::vector<double> a((size_t)m * k), b((size_t)n * k);  // a[i*k+l] = op(A)(i,l), b[j*k+l] = op(B)(l,j)
    for (int bt = 0; bt < g.batch; bt++) {
        const float* A = (const float*)(g.A + (uint64_t)((long long)bt * g.sA * 4));
        const float* B = (const float*)(g.B + (uint64_t)((long long)bt * g.sB * 4));
        float* C = (float*)(g.C + (uint64_t)((long long)bt * g.sC * 4));
        bool readAB = k > 0 && g.alpha != 0.0f;
        if (readAB) {
            for (int i = 0; i < m; i++)
                for (int l = 0; l < k; l++) a[(size_t)i * k + l] = g.opA == 0 ? A[i + (size_t)l * g.lda] : A[l + (size_t)i * g.lda];
            for (int j = 0; j < n; j++)
                for (int l = 0; l < k; l++) b[(size_t)j * k + l] = g.opB == 0 ? B[l + (size_t)j * g.ldb] : B[j + (size_t)l * g.ldb];
        }
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                double s = 0;
                if (readAB) {
                    const double* x = &a[(size_t)i * k];
                    const double* y = &b[(size_t)j * k];
                    for (int l = 0; l < k; l++) s += x[l] * y[l];
                }
                float& c = C[i + (size_t)j * g.ldc];
                double r = (double)g.alpha * s;
                if (g.beta != 0.0f) r += (double)g.beta * (double)c;  // beta == 0: C is not read (NaN-safe, as cuBLAS)
                c = (float)r;
            }
    }
}

cublasStatus_t gemm(void* handle, Gemm g, const float* alpha, const float* beta) {
    Handle h;
    if (!live(handle, &h)) return S_NOT_INITIALIZED;
    if (g.opA < 0 || g.opA > 2 || g.opB < 0 || g.opB > 2 || g.m < 0 || g.n < 0 || g.k < 0 || g.batch < 0) return S_INVALID_VALUE;
    int rA = g.opA == 0 ? g.m : g.k, rB = g.opB == 0 ? g.k : g.n;
    if (g.lda < (rA > 1 ? rA : 1) || g.ldb < (rB > 1 ? rB : 1) || g.ldc < (g.m > 1 ? g.m : 1)) return S_INVALID_VALUE;
    if (!alpha || !beta) return S_INVALID_VALUE;
    if (g.opA == 2) g.opA = 1;  // real matrices: conjugate transpose = transpose
    if (g.opB == 2) g.opB = 1;
    if (g.m == 0 || g.n == 0 || g.batch == 0) return S_OK;
    g.alpha = *alpha;  // host pointer mode: the scalars are read at the call
    g.beta = *beta;
    std::string bad = checkRanges(g);
    if (!bad.empty()) { fprintf(stderr, "fluvia-emu: %s\n", bad.c_str()); return S_INVALID_VALUE; }
    Gemm* job = new Gemm(g);
    int r = fluviaEmuEnqueueHostOwned(h.stream, runGemm, job, [](void* p) { delete (Gemm*)p; });
    if (r != 0) {
        fprintf(stderr, "fluvia-emu: %s: cannot queue the work on the handle's stream (CUresult %d)\n", g.call, r);
        return S_EXECUTION_FAILED;
    }
    return S_OK;
}
}  // namespace

API cublasStatus_t cublasCreate_v2(void** handle) {
    if (!handle) return S_INVALID_VALUE;
    CUcontext ctx = nullptr;
    if (cuCtxGetCurrent(&ctx) != 0 || !ctx) return S_NOT_INITIALIZED;
    Handle* h = new Handle;
    std::lock_guard<std::mutex> l(g_mu);
    g_handles.insert(h);
    *handle = h;
    return S_OK;
}

API cublasStatus_t cublasDestroy_v2(void* handle) {
    std::lock_guard<std::mutex> l(g_mu);
    if (!g_handles.erase((Handle*)handle)) return S_NOT_INITIALIZED;
    delete (Handle*)handle;  // queued work holds copies of what it needs
    return S_OK;
}

API cublasStatus_t cublasSetStream_v2(void* handle, CUstream stream) {
    std::lock_guard<std::mutex> l(g_mu);
    if (!g_handles.count((Handle*)handle)) return S_NOT_INITIALIZED;
    ((Handle*)handle)->stream = stream;
    return S_OK;
}

API cublasStatus_t cublasGetStream_v2(void* handle, CUstream* stream) {
    std::lock_guard<std::mutex> l(g_mu);
    if (!g_handles.count((Handle*)handle)) return S_NOT_INITIALIZED;
    if (!stream) return S_INVALID_VALUE;
    *stream = ((Handle*)handle)->stream;
    return S_OK;
}

API cublasStatus_t cublasSetMathMode(void* handle, int mode) {
    std::lock_guard<std::mutex> l(g_mu);
    if (!g_handles.count((Handle*)handle)) return S_NOT_INITIALIZED;
    int base = mode & ~16;  // CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION
    if (base < 0 || base > 3) return S_INVALID_VALUE;
    ((Handle*)handle)->mathMode = mode;
    return S_OK;
}

API cublasStatus_t cublasSgemm_v2(void* handle, int opA, int opB, int m, int n, int k, const float* alpha, const float* A, int lda,
                                  const float* B, int ldb, const float* beta, float* C, int ldc) {
    Gemm g{"cublasSgemm_v2", opA, opB, m, n, k, 0, 0, (uint64_t)A, (uint64_t)B, (uint64_t)C, lda, ldb, ldc, 0, 0, 0, 1};
    return gemm(handle, g, alpha, beta);
}

API cublasStatus_t cublasSgemmStridedBatched(void* handle, int opA, int opB, int m, int n, int k, const float* alpha, const float* A,
                                             int lda, long long sA, const float* B, int ldb, long long sB, const float* beta, float* C,
                                             int ldc, long long sC, int batch) {
    Gemm g{"cublasSgemmStridedBatched", opA, opB, m, n, k, 0, 0, (uint64_t)A, (uint64_t)B, (uint64_t)C, lda, ldb, ldc, sA, sB, sC, batch};
    return gemm(handle, g, alpha, beta);
}

API cublasStatus_t cublasGemmEx(void* handle, int opA, int opB, int m, int n, int k, const void* alpha, const void* A, int Atype, int lda,
                                const void* B, int Btype, int ldb, const void* beta, void* C, int Ctype, int ldc, int computeType, int algo) {
    (void)algo;
    {
        Handle h;
        if (!live(handle, &h)) return S_NOT_INITIALIZED;
    }
    if (Atype != 0 || Btype != 0 || Ctype != 0) {
        fprintf(stderr, "fluvia-emu: cublasGemmEx: only CUDA_R_32F matrices are emulated (got A %d, B %d, C %d)\n", Atype, Btype, Ctype);
        return S_NOT_SUPPORTED;
    }
    if (computeType != 68 && computeType != 69 && computeType != 77) {
        fprintf(stderr, "fluvia-emu: cublasGemmEx: compute type %d is not emulated (CUBLAS_COMPUTE_32F 68, _PEDANTIC 69, _FAST_TF32 77)\n",
                computeType);
        return S_NOT_SUPPORTED;
    }
    Gemm g{"cublasGemmEx", opA, opB, m, n, k, 0, 0, (uint64_t)A, (uint64_t)B, (uint64_t)C, lda, ldb, ldc, 0, 0, 0, 1};
    return gemm(handle, g, (const float*)alpha, (const float*)beta);
}

API int cublasGetVersion_v2(void* handle, int* version) {
    (void)handle;
    if (!version) return S_INVALID_VALUE;
    *version = 130000;
    return S_OK;
}
