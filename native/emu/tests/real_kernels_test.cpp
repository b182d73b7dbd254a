// The shipped libcuda.so.1 (real executor + kernels/*.cu registry) driven through the driver API: module load,
// launches of kernels/elementwise.cu kernels on a stream, a graph replay, and an out-of-bounds launch caught by the
// guard zones as a sticky fault naming the kernel.
#include "fluvia_emu.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

extern "C" {
typedef unsigned long long CUdeviceptr;
int cuInit(unsigned);
int cuDevicePrimaryCtxRetain(void**, int);
int cuCtxSetCurrent(void*);
int cuMemAlloc_v2(CUdeviceptr*, size_t);
int cuMemFree_v2(CUdeviceptr);
int cuMemcpyDtoH_v2(void*, CUdeviceptr, size_t);
int cuStreamCreate(CUstream*, unsigned);
int cuStreamSynchronize(CUstream);
int cuModuleLoadData(void**, const void*);
int cuModuleGetFunction(void**, void*, const char*);
int cuLaunchKernel(void*, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream, void**, void**);
int cuStreamBeginCapture_v2(CUstream, int);
int cuStreamEndCapture(CUstream, void**);
int cuGraphInstantiateWithFlags(void**, void*, unsigned long long);
int cuGraphLaunch(void*, CUstream);
}

static int failures = 0;
#define CHECK(c) do { if (!(c)) { failures++; fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #c); } } while (0)

int main() {
    void* ctx;
    CHECK(cuInit(0) == 0 && cuDevicePrimaryCtxRetain(&ctx, 0) == 0 && cuCtxSetCurrent(ctx) == 0);
    void *mod, *fFill, *fScale, *fAxpy;
    CHECK(cuModuleLoadData(&mod, "FLUVIA-EMU-MODULE\n") == 0);
    CHECK(cuModuleGetFunction(&fFill, mod, "fill") == 0);
    CHECK(cuModuleGetFunction(&fScale, mod, "scale") == 0);
    CHECK(cuModuleGetFunction(&fAxpy, mod, "axpy") == 0);
    CHECK(cuModuleGetFunction(&fAxpy, mod, "noSuchKernel") == 500);
    CHECK(cuModuleGetFunction(&fAxpy, mod, "axpy") == 0);
    const long long n = 1000;
    CUdeviceptr x, y;
    CHECK(cuMemAlloc_v2(&x, n * 4) == 0 && cuMemAlloc_v2(&y, n * 4) == 0);
    CUstream s;
    CHECK(cuStreamCreate(&s, 1) == 0);
    float two = 2.0f, three = 3.0f, half = 0.5f;
    long long cnt = n;
    void* a1[] = {&x, &cnt, &two};
    void* a2[] = {&y, &cnt, &three};
    CHECK(cuLaunchKernel(fFill, 4, 1, 1, 128, 1, 1, 0, s, a1, nullptr) == 0);
    CHECK(cuLaunchKernel(fFill, 4, 1, 1, 128, 1, 1, 0, s, a2, nullptr) == 0);
    void* a3[] = {&half, &x, &y, &cnt};  // y += 0.5·x
    CHECK(cuLaunchKernel(fAxpy, 4, 1, 1, 128, 1, 1, 0, s, a3, nullptr) == 0);
    CHECK(cuStreamSynchronize(s) == 0);
    std::vector<float> h(n);
    CHECK(cuMemcpyDtoH_v2(h.data(), y, n * 4) == 0);
    CHECK(h[0] == 4.0f && h[n - 1] == 4.0f);

    // A graph: y *= 2, replayed twice.
    void *g, *ge;
    void* a4[] = {&y, &cnt, &two};
    CHECK(cuStreamBeginCapture_v2(s, 2) == 0);
    CHECK(cuLaunchKernel(fScale, 2, 1, 1, 256, 1, 1, 0, s, a4, nullptr) == 0);
    CHECK(cuStreamEndCapture(s, &g) == 0 && cuGraphInstantiateWithFlags(&ge, g, 0) == 0);
    CHECK(cuGraphLaunch(ge, s) == 0 && cuGraphLaunch(ge, s) == 0 && cuStreamSynchronize(s) == 0);
    CHECK(cuMemcpyDtoH_v2(h.data(), y, n * 4) == 0);
    CHECK(h[0] == 16.0f && h[n - 1] == 16.0f);

    // One element too many: the guard zone catches it, the fault is sticky and names the kernel.
    long long over = n + 1;
    void* a5[] = {&x, &over, &two};
    CHECK(cuLaunchKernel(fFill, 4, 1, 1, 128, 1, 1, 0, s, a5, nullptr) == 0);
    CHECK(cuStreamSynchronize(s) == 700);
    char msg[2048];
    CHECK(fluviaEmuLastFault(msg, sizeof msg) == 700);
    CHECK(strstr(msg, "kernel fill") != nullptr && strstr(msg, "guard zone") != nullptr);
    CHECK(cuMemcpyDtoH_v2(h.data(), y, 4) == 700);
    fluviaEmuResetFault();

    std::string cov(fluviaEmuCoverage(nullptr, 0) + 1, '\0');
    fluviaEmuCoverage(&cov[0], (int)cov.size());
    CHECK(cov.find("fill 3\n") != std::string::npos && cov.find("axpy 1\n") != std::string::npos &&
          cov.find("affineCouplingForward 0\n") != std::string::npos);
    printf("%s\nreal_kernels_test: %d failures\n", fluviaEmuVersion(), failures);
    return failures ? 1 : 0;
}
