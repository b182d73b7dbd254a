#!/usr/bin/env bash
# The native reference points of docs/BENCHMARKS.md §GEMM: the FMA peak of one core (measured, AVX2 and AVX-512 forms) and
# OpenBLAS's cblas_sgemm called from C at the GemmBench shapes.
#   scripts/bench/gemm_c.sh [threads...]            (default: 1 2)
# Writes the C source to target/bench/gemm_c/ and compiles it there with gcc (-O2 -march=native, -lopenblas); nothing
# compiled is committed. Needs gcc and Debian's libopenblas-dev (the header and the unversioned libopenblas.so link name).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${BENCH_OUT:-$ROOT/target/bench}/gemm_c
mkdir -p "$OUT"
THREADS=("$@"); [ ${#THREADS[@]} -eq 0 ] && THREADS=(1 2)
cat >"$OUT/gemm_c.c" <<'C'
#define _GNU_SOURCE
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>

extern void openblas_set_num_threads(int);
extern char *openblas_get_corename(void);

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

/* 12 independent FMA chains: enough to cover 2 pipes x 4-cycle latency. Returns GFLOP/s of one thread. */
__attribute__((target("avx2,fma"))) static double peak256(long iters) {
    __m256 a[12], x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps((float) i);
    double t = now();
    for (long it = 0; it < iters; it++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], x, y);
    t = now() - t;
    float s = 0; for (int i = 0; i < 12; i++) { float v[8]; _mm256_storeu_ps(v, a[i]); s += v[0]; }
    if (s == 12345.f) puts("");
    return 2.0 * 8 * 12 * iters / t / 1e9;
}
__attribute__((target("avx512f"))) static double peak512(long iters) {
    __m512 a[12], x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float) i);
    double t = now();
    for (long it = 0; it < iters; it++)
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], x, y);
    t = now() - t;
    float s = 0; for (int i = 0; i < 12; i++) { float v[16]; _mm512_storeu_ps(v, a[i]); s += v[0]; }
    if (s == 12345.f) puts("");
    return 2.0 * 16 * 12 * iters / t / 1e9;
}

static int cmp(const void *a, const void *b) { double x = *(const double *) a, y = *(const double *) b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    double p2 = 0, p5 = 0;
    for (int r = 0; r < 5; r++) { double v = peak256(20000000); if (v > p2) p2 = v; }
    if (__builtin_cpu_supports("avx512f")) for (int r = 0; r < 5; r++) { double v = peak512(20000000); if (v > p5) p5 = v; }
    printf("peak 1 core: AVX2 %.1f GFLOP/s, AVX-512 %.1f GFLOP/s (best of 5, 12 FMA chains)\n", p2, p5);
    openblas_set_num_threads(threads);
    printf("openblas core: %s, threads %d\n", openblas_get_corename(), threads);
    const char *shapes[] = {"4096x256x256:NT", "4096x256x256:NN", "256x256x4096:TN"};
    for (int s = 0; s < 3; s++) {
        int m, n, k; char ta, tb;
        sscanf(shapes[s], "%dx%dx%d:%c%c", &m, &n, &k, &ta, &tb);
        float *A = malloc(sizeof(float) * m * k), *B = malloc(sizeof(float) * k * n), *C = malloc(sizeof(float) * m * n);
        for (long i = 0; i < (long) m * k; i++) A[i] = (float) rand() / RAND_MAX - 0.5f;
        for (long i = 0; i < (long) k * n; i++) B[i] = (float) rand() / RAND_MAX - 0.5f;
        int lda = ta == 'T' ? m : k, ldb = tb == 'T' ? k : n;
        enum CBLAS_TRANSPOSE oa = ta == 'T' ? CblasTrans : CblasNoTrans, ob = tb == 'T' ? CblasTrans : CblasNoTrans;
        double flop = 2.0 * m * n * k, t0 = now();
        while (now() - t0 < 1.0) cblas_sgemm(CblasRowMajor, oa, ob, m, n, k, 1.f, A, lda, B, ldb, 0.f, C, n);
        double ts[41];
        for (int r = 0; r < 41; r++) {
            int reps = 10; double t = now();
            for (int q = 0; q < reps; q++) cblas_sgemm(CblasRowMajor, oa, ob, m, n, k, 1.f, A, lda, B, ldb, 0.f, C, n);
            ts[r] = (now() - t) / reps;
        }
        qsort(ts, 41, sizeof(double), cmp);
        printf("cblas_sgemm %-16s threads %d: median %.3f ms = %.1f GFLOP/s, best %.1f GFLOP/s\n", shapes[s], threads,
               ts[20] * 1e3, flop / ts[20] / 1e9, flop / ts[0] / 1e9);
        free(A); free(B); free(C);
    }
    return 0;
}
C
gcc -O2 -march=native -o "$OUT/gemm_c" "$OUT/gemm_c.c" -lopenblas
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in "${THREADS[@]}"; do "$OUT/gemm_c" "$t"; done
