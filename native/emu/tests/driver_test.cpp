// Tests of the emulator's libcuda.so.1 (with tests/fake_executor.cpp's kernels: fill, add, racy, overflow),
// libcublas.so.13 and libcurand.so.10, driving the API the way JCuda and Fluvia's Java backend do.
#include "fluvia_emu.h"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

extern "C" {
typedef unsigned long long CUdeviceptr;
typedef void* CUcontext;
typedef void* CUmodule;
typedef void* CUfunction;
typedef void* CUevent;
typedef void* CUgraph;
typedef void* CUgraphExec;
int cuInit(unsigned);
int cuDriverGetVersion(int*);
int cuDeviceGetCount(int*);
int cuDeviceGet(int*, int);
int cuDeviceGetName(char*, int, int);
int cuDeviceGetAttribute(int*, int, int);
int cuDeviceTotalMem_v2(size_t*, int);
int cuDevicePrimaryCtxRetain(CUcontext*, int);
int cuDevicePrimaryCtxRelease_v2(int);
int cuCtxSetCurrent(CUcontext);
int cuCtxGetCurrent(CUcontext*);
int cuCtxSynchronize();
int cuMemAlloc_v2(CUdeviceptr*, size_t);
int cuMemFree_v2(CUdeviceptr);
int cuMemGetInfo_v2(size_t*, size_t*);
int cuMemHostAlloc(void**, size_t, unsigned);
int cuMemFreeHost(void*);
int cuMemcpyHtoD_v2(CUdeviceptr, const void*, size_t);
int cuMemcpyDtoH_v2(void*, CUdeviceptr, size_t);
int cuMemcpyDtoD_v2(CUdeviceptr, CUdeviceptr, size_t);
int cuMemcpyHtoDAsync_v2(CUdeviceptr, const void*, size_t, CUstream);
int cuMemcpyDtoHAsync_v2(void*, CUdeviceptr, size_t, CUstream);
int cuMemsetD32_v2(CUdeviceptr, unsigned, size_t);
int cuMemsetD8_v2(CUdeviceptr, unsigned char, size_t);
int cuMemsetD32Async(CUdeviceptr, unsigned, size_t, CUstream);
int cuStreamCreate(CUstream*, unsigned);
int cuStreamDestroy_v2(CUstream);
int cuStreamSynchronize(CUstream);
int cuStreamQuery(CUstream);
int cuStreamWaitEvent(CUstream, CUevent, unsigned);
int cuEventCreate(CUevent*, unsigned);
int cuEventRecord(CUevent, CUstream);
int cuEventSynchronize(CUevent);
int cuEventQuery(CUevent);
int cuEventDestroy_v2(CUevent);
int cuEventElapsedTime(float*, CUevent, CUevent);
int cuModuleLoadData(CUmodule*, const void*);
int cuModuleUnload(CUmodule);
int cuModuleGetFunction(CUfunction*, CUmodule, const char*);
int cuFuncSetAttribute(CUfunction, int, int);
int cuLaunchKernel(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream, void**, void**);
int cuStreamBeginCapture_v2(CUstream, int);
int cuStreamEndCapture(CUstream, CUgraph*);
int cuStreamIsCapturing(CUstream, int*);
int cuGraphInstantiateWithFlags(CUgraphExec*, CUgraph, unsigned long long);
int cuGraphLaunch(CUgraphExec, CUstream);
int cuGraphDestroy(CUgraph);
int cuGraphExecDestroy(CUgraphExec);
int cuGetErrorName(int, const char**);
int cuArray3DCreate_v2(void*, const void*);

int cublasCreate_v2(void**);
int cublasDestroy_v2(void*);
int cublasSetStream_v2(void*, CUstream);
int cublasSetMathMode(void*, int);
int cublasSgemm_v2(void*, int, int, int, int, int, const float*, const float*, int, const float*, int, const float*, float*, int);
int cublasSgemmStridedBatched(void*, int, int, int, int, int, const float*, const float*, int, long long, const float*, int, long long,
                              const float*, float*, int, long long, int);
int cublasGemmEx(void*, int, int, int, int, int, const void*, const void*, int, int, const void*, int, int, const void*, void*, int, int,
                 int, int);

int curandCreateGenerator(void**, int);
int curandDestroyGenerator(void*);
int curandSetPseudoRandomGeneratorSeed(void*, unsigned long long);
int curandSetGeneratorOffset(void*, unsigned long long);
int curandSetStream(void*, CUstream);
int curandGenerateNormal(void*, float*, size_t, float, float);
int curandGenerateUniform(void*, float*, size_t);
}

namespace {
int g_failures = 0, g_checks = 0;
#define CHECK(cond)                                                                        \
    do {                                                                                   \
        g_checks++;                                                                        \
        if (!(cond)) { g_failures++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); } \
    } while (0)
#define CHECK_EQ(a, b)                                                                                       \
    do {                                                                                                     \
        g_checks++;                                                                                          \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                                \
        if (va_ != vb_) { g_failures++; fprintf(stderr, "FAIL %s:%d: %s = %lld, expected %lld\n", __FILE__, __LINE__, #a, va_, vb_); } \
    } while (0)

CUmodule g_mod;
CUfunction fFill, fAdd, fRacy, fOverflow;

std::string lastFault() {
    char buf[4096];
    fluviaEmuLastFault(buf, sizeof buf);
    return buf;
}

void sleepMs(void* ms) { std::this_thread::sleep_for(std::chrono::milliseconds((long)(intptr_t)ms)); }
void delay(CUstream s, int ms) { CHECK_EQ(fluviaEmuEnqueueHost(s, sleepMs, (void*)(intptr_t)ms), 0); }

int fill(CUstream s, CUdeviceptr p, float v, int n) {
    void* args[] = {&p, &v, &n};
    return cuLaunchKernel(fFill, (unsigned)(n + 63) / 64, 1, 1, 64, 1, 1, 0, s, args, nullptr);
}
int add(CUstream s, CUdeviceptr o, CUdeviceptr x, CUdeviceptr y, int n) {
    void* args[] = {&o, &x, &y, &n};
    return cuLaunchKernel(fAdd, (unsigned)(n + 63) / 64, 1, 1, 64, 1, 1, 0, s, args, nullptr);
}
std::vector<float> download(CUdeviceptr p, int n) {
    std::vector<float> h(n);
    CHECK_EQ(cuMemcpyDtoH_v2(h.data(), p, n * 4), 0);
    return h;
}
bool all(const std::vector<float>& v, float x) {
    for (float f : v)
        if (f != x) return false;
    return true;
}

void testBeforeInit() {
    CUdeviceptr p;
    CHECK_EQ(cuMemAlloc_v2(&p, 16), 3);  // CUDA_ERROR_NOT_INITIALIZED
    int v = 0;
    CHECK_EQ(cuDriverGetVersion(&v), 0);
    CHECK_EQ(v, 13000);
}

void testDeviceAndContext(CUcontext* ctx) {
    CHECK_EQ(cuInit(0), 0);
    int n = 0, dev = -1;
    CHECK_EQ(cuDeviceGetCount(&n), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(cuDeviceGet(&dev, 0), 0);
    CHECK_EQ(cuDeviceGet(&dev, 1), 101);
    char name[64];
    CHECK_EQ(cuDeviceGetName(name, sizeof name, 0), 0);
    CHECK(strcmp(name, "Fluvia CUDA emulator (CPU)") == 0);
    int a = 0;
    CHECK(cuDeviceGetAttribute(&a, 75, 0) == 0 && a == 9);
    CHECK(cuDeviceGetAttribute(&a, 76, 0) == 0 && a == 0);
    CHECK(cuDeviceGetAttribute(&a, 16, 0) == 0 && a == 2);
    CHECK(cuDeviceGetAttribute(&a, 97, 0) == 0 && a == 232448);
    CHECK(cuDeviceGetAttribute(&a, 1, 0) == 0 && a == 1024);
    CHECK(cuDeviceGetAttribute(&a, 10, 0) == 0 && a == 32);
    CHECK(cuDeviceGetAttribute(&a, 8, 0) == 0 && a == 49152);
    size_t total = 0;
    CHECK_EQ(cuDeviceTotalMem_v2(&total, 0), 0);
    CHECK_EQ(total, 8ull << 30);

    // Every call that needs a context fails without a current one.
    CUdeviceptr p;
    CHECK_EQ(cuMemAlloc_v2(&p, 16), 201);
    CUstream s;
    CHECK_EQ(cuStreamCreate(&s, 0), 201);
    CHECK_EQ(cuCtxSynchronize(), 201);
    void* h = nullptr;
    CHECK_EQ(cublasCreate_v2(&h), 1);  // CUBLAS_STATUS_NOT_INITIALIZED
    CUcontext cur = (CUcontext)1;
    CHECK(cuCtxGetCurrent(&cur) == 0 && cur == nullptr);

    CHECK_EQ(cuDevicePrimaryCtxRetain(ctx, 0), 0);
    CHECK_EQ(cuCtxSetCurrent(*ctx), 0);
    CHECK(cuCtxGetCurrent(&cur) == 0 && cur == *ctx);
    CHECK_EQ(cuMemAlloc_v2(&p, 16), 0);
    CHECK_EQ(cuMemFree_v2(p), 0);
    // The current context is per OS thread.
    int other = -1;
    std::thread([&] { CUdeviceptr q; other = cuMemAlloc_v2(&q, 16); }).join();
    CHECK_EQ(other, 201);
    std::thread([&] {
        CUdeviceptr q;
        cuCtxSetCurrent(*ctx);
        other = cuMemAlloc_v2(&q, 16);
        if (other == 0) cuMemFree_v2(q);
    }).join();
    CHECK_EQ(other, 0);
    const char* en = nullptr;
    CHECK(cuGetErrorName(201, &en) == 0 && strcmp(en, "CUDA_ERROR_INVALID_CONTEXT") == 0);
    CHECK_EQ(cuArray3DCreate_v2(nullptr, nullptr), 801);  // a generated stub
}

void testMemory() {
    CUdeviceptr p, q;
    CHECK_EQ(cuMemAlloc_v2(&p, 1000 * 4), 0);
    CHECK_EQ(p % 256, 0);
    CHECK(fluviaEmuCheckDevicePointer(p, 4000) == 0);
    std::vector<float> h = download(p, 1000);
    uint32_t bits;
    memcpy(&bits, &h[0], 4);
    CHECK_EQ(bits, 0xFFFFFFFFu);  // new memory is NaN bytes
    std::vector<float> up(1000);
    for (int i = 0; i < 1000; i++) up[i] = (float)i * 0.25f;
    CHECK_EQ(cuMemcpyHtoD_v2(p, up.data(), 4000), 0);
    CHECK(download(p, 1000) == up);
    CHECK_EQ(cuMemAlloc_v2(&q, 4000), 0);
    CHECK_EQ(cuMemcpyDtoD_v2(q, p, 4000), 0);
    CHECK(download(q, 1000) == up);
    float three = 3.0f;
    memcpy(&bits, &three, 4);
    CHECK_EQ(cuMemsetD32_v2(q + 400, bits, 100), 0);
    h = download(q, 1000);
    CHECK(h[99] == up[99] && h[100] == 3.0f && h[199] == 3.0f && h[200] == up[200]);
    CHECK_EQ(cuMemsetD8_v2(q, 0, 4000), 0);
    CHECK(all(download(q, 1000), 0.0f));

    // The device side of every copy must lie inside one live allocation.
    CHECK_EQ(cuMemcpyHtoD_v2(p, up.data(), 4004), 1);
    CHECK_EQ(cuMemcpyHtoD_v2(p + 4, up.data(), 4000), 1);
    CHECK_EQ(cuMemcpyDtoH_v2(up.data(), p - 4, 8), 1);
    CHECK_EQ(cuMemcpyDtoD_v2(q, p, 4001), 1);
    CHECK_EQ(cuMemsetD32_v2(p + 2, 0, 1), 1);                          // misaligned
    CHECK_EQ(cuMemcpyHtoD_v2((CUdeviceptr)up.data(), up.data(), 4), 1);  // a host pointer as the device side
    CHECK_EQ(cuMemcpyDtoH_v2((void*)q, p, 4), 1);                      // a device pointer as the host side
    CHECK_EQ(cuMemcpyHtoD_v2(p, nullptr, 4), 1);
    CHECK_EQ(cuMemcpyHtoD_v2(p, up.data(), 0), 0);

    // OOM against the cap, cuMemGetInfo consistent.
    size_t fr = 0, total = 0;
    CHECK_EQ(cuMemGetInfo_v2(&fr, &total), 0);
    CHECK_EQ(total, 8ull << 30);
    CHECK_EQ(total - fr, 8000);
    CUdeviceptr big;
    CHECK_EQ(cuMemAlloc_v2(&big, 9ull << 30), 2);
    CHECK_EQ(cuMemAlloc_v2(&big, fr + 1), 2);
    CHECK_EQ(cuMemAlloc_v2(&big, 1ull << 30), 0);  // large allocations are lazy (untouched pages cost nothing)
    CHECK_EQ(cuMemFree_v2(big), 0);

    // Freed memory is gone: copies are refused, the address is never reused.
    CHECK_EQ(cuMemFree_v2(q), 0);
    CHECK_EQ(cuMemcpyDtoH_v2(up.data(), q, 4), 1);
    CHECK_EQ(cuMemFree_v2(q), 1);  // double free
    CHECK(fluviaEmuCheckDevicePointer(q, 4) != 0);
    char d[256];
    fluviaEmuDescribePointer(q, d, sizeof d);
    CHECK(strstr(d, "FREED") != nullptr);
    CUdeviceptr r;
    CHECK_EQ(cuMemAlloc_v2(&r, 4000), 0);
    CHECK(r != q);
    CHECK_EQ(cuMemFree_v2(r), 0);
    CHECK_EQ(cuMemFree_v2(p), 0);

    void* hp = nullptr;
    CHECK_EQ(cuMemHostAlloc(&hp, 4096, 0), 0);
    CHECK_EQ(cuMemFreeHost(hp), 0);
    CHECK_EQ(cuMemFreeHost(up.data()), 1);
}

void testModules() {
    CUmodule m;
    CHECK_EQ(cuModuleLoadData(&m, "garbage"), 200);
    const unsigned char fatbin[] = {0x50, 0xED, 0x55, 0xBA, 1, 0, 0x10, 0};
    CHECK_EQ(cuModuleLoadData(&m, fatbin), 0);
    CUfunction f;
    CHECK_EQ(cuModuleGetFunction(&f, m, "fill"), 0);
    CHECK_EQ(cuModuleGetFunction(&f, m, "nope"), 500);
    CHECK_EQ(cuModuleUnload(m), 0);
    CHECK_EQ(cuModuleLoadData(&m, "FLUVIA-EMU-MODULE\nfill\n"), 0);  // a module offering only 'fill'
    CHECK_EQ(cuModuleGetFunction(&f, m, "fill"), 0);
    CHECK_EQ(cuModuleGetFunction(&f, m, "add"), 500);
    CHECK_EQ(cuModuleUnload(m), 0);
    CHECK_EQ(cuModuleLoadData(&g_mod, "FLUVIA-EMU-MODULE\n"), 0);
    CHECK_EQ(cuModuleGetFunction(&fFill, g_mod, "fill"), 0);
    CHECK_EQ(cuModuleGetFunction(&fAdd, g_mod, "add"), 0);
    CHECK_EQ(cuModuleGetFunction(&fRacy, g_mod, "racy"), 0);
    CHECK_EQ(cuModuleGetFunction(&fOverflow, g_mod, "overflow"), 0);
}

void testLaunches() {
    const int n = 300;
    CUdeviceptr x, y, z;
    CHECK_EQ(cuMemAlloc_v2(&x, n * 4), 0);
    CHECK_EQ(cuMemAlloc_v2(&y, n * 4), 0);
    CHECK_EQ(cuMemAlloc_v2(&z, n * 4), 0);
    CHECK_EQ(fill(nullptr, x, 1.5f, n), 0);
    CHECK_EQ(fill(nullptr, y, 2.0f, n), 0);
    CHECK_EQ(add(nullptr, z, x, y, n), 0);
    CHECK(all(download(z, n), 3.5f));

    // Parameter values are copied at the call (JCuda frees them right after): change them while the launch waits.
    CUstream s;
    CHECK_EQ(cuStreamCreate(&s, 1), 0);
    delay(s, 100);
    {
        CUdeviceptr p = x;
        float v = 7.0f;
        int cnt = n;
        void* args[] = {&p, &v, &cnt};
        CHECK_EQ(cuLaunchKernel(fFill, 5, 1, 1, 64, 1, 1, 0, s, args, nullptr), 0);
        p = y;
        v = -1.0f;
    }
    CHECK_EQ(cuStreamSynchronize(s), 0);
    CHECK(all(download(x, n), 7.0f));
    CHECK(all(download(y, n), 2.0f));

    // Refused at the call: pointers outside live allocations, 'extra', bad configurations, too much dynamic shared memory.
    {
        CUdeviceptr bad = x + n * 4 + 64;
        float v = 0;
        int cnt = 1;
        void* args[] = {&bad, &v, &cnt};
        CHECK_EQ(cuLaunchKernel(fFill, 1, 1, 1, 1, 1, 1, 0, s, args, nullptr), 1);
        CUdeviceptr host = (CUdeviceptr)&v;
        args[0] = &host;
        CHECK_EQ(cuLaunchKernel(fFill, 1, 1, 1, 1, 1, 1, 0, s, args, nullptr), 1);
        CUdeviceptr null = 0;
        args[0] = &null;
        int zero = 0;
        args[2] = &zero;
        CHECK_EQ(cuLaunchKernel(fFill, 1, 1, 1, 1, 1, 1, 0, s, args, nullptr), 0);  // null pointers are allowed
        void* extra[] = {nullptr};
        CHECK_EQ(cuLaunchKernel(fFill, 1, 1, 1, 1, 1, 1, 0, s, args, extra), 801);
        CHECK_EQ(cuLaunchKernel(fFill, 1, 1, 1, 2048, 1, 1, 0, s, args, nullptr), 1);
        CHECK_EQ(cuLaunchKernel(fFill, 1, 1, 1, 32, 1, 1, 64 * 1024, s, args, nullptr), 1);
        CHECK_EQ(cuFuncSetAttribute(fFill, 8, 64 * 1024), 0);
        CHECK_EQ(cuLaunchKernel(fFill, 1, 1, 1, 32, 1, 1, 64 * 1024, s, args, nullptr), 0);
        CHECK_EQ(cuFuncSetAttribute(fFill, 8, 300 * 1024), 1);
    }
    CHECK_EQ(cuStreamSynchronize(s), 0);
    CHECK_EQ(cuStreamDestroy_v2(s), 0);
    CHECK_EQ(cuStreamSynchronize(s), 400);  // destroyed handle
    CHECK_EQ(cuMemFree_v2(x), 0);
    CHECK_EQ(cuMemFree_v2(y), 0);
    CHECK_EQ(cuMemFree_v2(z), 0);
}

void testStreamsAndEvents() {
    const int n = 256;
    CUdeviceptr x, y;
    CHECK_EQ(cuMemAlloc_v2(&x, n * 4), 0);
    CHECK_EQ(cuMemAlloc_v2(&y, n * 4), 0);
    CUstream a, b;
    CHECK_EQ(cuStreamCreate(&a, 1), 0);
    CHECK_EQ(cuStreamCreate(&b, 1), 0);
    CUevent e, t0, t1;
    CHECK_EQ(cuEventCreate(&e, 2), 0);  // CU_EVENT_DISABLE_TIMING
    CHECK_EQ(cuEventCreate(&t0, 0), 0);
    CHECK_EQ(cuEventCreate(&t1, 0), 0);

    // With the wait: b's add sees a's (delayed) fill.
    CHECK_EQ(fill(nullptr, x, 0.0f, n), 0);
    CHECK_EQ(cuEventRecord(t0, a), 0);
    delay(a, 150);
    CHECK_EQ(fill(a, x, 1.0f, n), 0);
    CHECK_EQ(cuEventRecord(e, a), 0);
    CHECK_EQ(cuEventRecord(t1, a), 0);
    CHECK_EQ(cuEventQuery(e), 600);  // CUDA_ERROR_NOT_READY
    CHECK_EQ(cuStreamQuery(a), 600);
    CHECK_EQ(cuStreamWaitEvent(b, e, 0), 0);
    CHECK_EQ(add(b, y, x, x, n), 0);
    CHECK_EQ(cuStreamSynchronize(b), 0);
    CHECK(all(download(y, n), 2.0f));
    CHECK_EQ(cuEventSynchronize(t1), 0);
    CHECK_EQ(cuEventQuery(e), 0);
    float ms = 0;
    CHECK_EQ(cuEventElapsedTime(&ms, t0, t1), 0);
    CHECK(ms >= 140.0f && ms < 5000.0f);
    CHECK_EQ(cuEventElapsedTime(&ms, t0, e), 400);  // timing disabled

    // Without the wait: b runs ahead of a's delayed fill and reads the old x (the bug a missing wait is on a GPU).
    CHECK_EQ(cuCtxSynchronize(), 0);
    delay(a, 150);
    CHECK_EQ(fill(a, x, 5.0f, n), 0);
    CHECK_EQ(add(b, y, x, x, n), 0);
    CHECK_EQ(cuStreamSynchronize(b), 0);
    CHECK(all(download(y, n), 2.0f));  // x was still 1
    CHECK_EQ(cuStreamSynchronize(a), 0);
    CHECK(all(download(x, n), 5.0f));

    // The legacy stream waits for blocking streams; non-blocking ones are exempt.
    CUstream blocking;
    CHECK_EQ(cuStreamCreate(&blocking, 0), 0);
    delay(blocking, 150);
    CHECK_EQ(fill(blocking, x, 6.0f, n), 0);
    CHECK(all(download(x, n), 6.0f));  // cuMemcpyDtoH (legacy stream) waited for 'blocking'
    delay(a, 150);
    CHECK_EQ(fill(a, x, 8.0f, n), 0);
    CHECK(all(download(x, n), 6.0f));  // did not wait for non-blocking 'a'
    CHECK_EQ(cuStreamSynchronize(a), 0);
    CHECK(all(download(x, n), 8.0f));

    // Async copies touch host memory when the stream gets to them.
    void* hbuf;
    CHECK_EQ(cuMemHostAlloc(&hbuf, n * 4, 0), 0);
    float* hf = (float*)hbuf;
    for (int i = 0; i < n; i++) hf[i] = 10.0f;
    delay(a, 100);
    CHECK_EQ(cuMemcpyHtoDAsync_v2(x, hf, n * 4, a), 0);
    for (int i = 0; i < n; i++) hf[i] = 11.0f;  // reused before the copy ran
    CHECK_EQ(cuStreamSynchronize(a), 0);
    CHECK(all(download(x, n), 11.0f));
    delay(a, 100);
    CHECK_EQ(cuMemcpyDtoHAsync_v2(hf, y, n * 4, a), 0);
    CHECK(hf[0] == 11.0f);  // not yet copied
    CHECK_EQ(cuStreamSynchronize(a), 0);
    CHECK(hf[0] == 2.0f);
    float four = 4.0f;
    unsigned bits;
    memcpy(&bits, &four, 4);
    CHECK_EQ(cuMemsetD32Async(x, bits, n, a), 0);
    CHECK_EQ(cuStreamSynchronize(a), 0);
    CHECK(all(download(x, n), 4.0f));

    CHECK_EQ(cuMemFreeHost(hbuf), 0);
    CHECK_EQ(cuEventDestroy_v2(e), 0);
    CHECK_EQ(cuEventDestroy_v2(e), 400);
    CHECK_EQ(cuEventDestroy_v2(t0), 0);
    CHECK_EQ(cuEventDestroy_v2(t1), 0);
    CHECK_EQ(cuStreamDestroy_v2(a), 0);
    CHECK_EQ(cuStreamDestroy_v2(b), 0);
    CHECK_EQ(cuStreamDestroy_v2(blocking), 0);
    CHECK_EQ(cuMemFree_v2(x), 0);
    CHECK_EQ(cuMemFree_v2(y), 0);
}

void testGraphs() {
    const int n = 100;
    CUdeviceptr x;
    CHECK_EQ(cuMemAlloc_v2(&x, n * 4), 0);
    CUstream s;
    CHECK_EQ(cuStreamCreate(&s, 1), 0);
    CHECK_EQ(fill(s, x, 1.0f, n), 0);
    CHECK_EQ(cuStreamSynchronize(s), 0);
    CHECK_EQ(cuStreamBeginCapture_v2(s, 2), 0);  // CU_STREAM_CAPTURE_MODE_RELAXED
    int st = -1;
    CHECK(cuStreamIsCapturing(s, &st) == 0 && st == 1);
    CHECK_EQ(add(s, x, x, x, n), 0);  // x *= 2, recorded, not run
    CHECK_EQ(cuMemsetD32Async(x, 0, 0, s), 0);
    CHECK_EQ(cuStreamSynchronize(s), 900);  // CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED
    CHECK_EQ(cuStreamBeginCapture_v2(nullptr, 2), 900);
    CUgraph g;
    CHECK_EQ(cuStreamEndCapture(s, &g), 0);
    CHECK(cuStreamIsCapturing(s, &st) == 0 && st == 0);
    CHECK(all(download(x, n), 1.0f));
    CUgraphExec ge;
    CHECK_EQ(cuGraphInstantiateWithFlags(&ge, g, 0), 0);
    CHECK_EQ(cuGraphDestroy(g), 0);
    for (int i = 0; i < 3; i++) CHECK_EQ(cuGraphLaunch(ge, s), 0);
    CHECK_EQ(cuStreamSynchronize(s), 0);
    CHECK(all(download(x, n), 8.0f));
    CHECK_EQ(cuGraphExecDestroy(ge), 0);
    CHECK_EQ(cuGraphLaunch(ge, s), 400);
    CHECK_EQ(cuStreamDestroy_v2(s), 0);
    CHECK_EQ(cuMemFree_v2(x), 0);
}

void testFaults() {
    const int n = 64;
    CUdeviceptr x;
    CHECK_EQ(cuMemAlloc_v2(&x, n * 4), 0);
    CUstream s;
    CHECK_EQ(cuStreamCreate(&s, 1), 0);

    // A write past the end damages the guard zone: a sticky fault naming the kernel and the allocation.
    int cnt = n;
    void* args[] = {&x, &cnt};
    CHECK_EQ(cuLaunchKernel(fOverflow, 1, 1, 1, 32, 1, 1, 0, s, args, nullptr), 0);
    CHECK_EQ(cuStreamSynchronize(s), 700);
    std::string f = lastFault();
    CHECK(f.find("overflow") != std::string::npos && f.find("guard zone") != std::string::npos &&
          f.find("offset 256") != std::string::npos);
    CUdeviceptr y;
    CHECK_EQ(cuMemAlloc_v2(&y, 16), 700);  // sticky: every later call
    CHECK_EQ(cuCtxSynchronize(), 700);
    CHECK_EQ(fluviaEmuLastFault(nullptr, 0), 700);
    fluviaEmuResetFault();
    CHECK_EQ(cuMemFree_v2(x), 0);

    // Race detection: the result depends on the thread order.
    CHECK_EQ(cuMemAlloc_v2(&x, n * 4), 0);
    void* rargs[] = {&x};
    CHECK_EQ(cuLaunchKernel(fRacy, 1, 1, 1, 32, 1, 1, 0, s, rargs, nullptr), 0);
    CHECK_EQ(cuStreamSynchronize(s), 719);
    f = lastFault();
    CHECK(f.find("kernel racy: results differ between schedules in-order and reversed") != std::string::npos &&
          f.find("byte offset 2 (float index 0: 31 vs 0)") != std::string::npos);
    fluviaEmuResetFault();
    fluviaEmuSetSchedules("inorder");
    CHECK_EQ(cuLaunchKernel(fRacy, 1, 1, 1, 32, 1, 1, 0, s, rargs, nullptr), 0);
    CHECK_EQ(cuStreamSynchronize(s), 0);
    CHECK(download(x, 1)[0] == 31.0f);
    fluviaEmuSetSchedules("inorder,reverse,random,random");
    CHECK_EQ(fill(s, x, 2.0f, n), 0);  // a race-free kernel passes every schedule
    CHECK_EQ(cuStreamSynchronize(s), 0);
    CHECK(all(download(x, n), 2.0f));

    // Work queued after a fault does not run.
    fluviaEmuRaiseFault(719, "test fault");
    CHECK_EQ(fill(s, x, 9.0f, n), 719);
    fluviaEmuResetFault();
    CHECK(all(download(x, n), 2.0f));

    CHECK_EQ(cuStreamDestroy_v2(s), 0);
    CHECK_EQ(cuMemFree_v2(x), 0);

    // Coverage: every registry kernel, zero counts included.
    char buf[1024];
    int need = fluviaEmuCoverage(buf, sizeof buf);
    CHECK(need > 0 && need < (int)sizeof buf);
    std::string cov = buf;
    CHECK(cov.find("fill ") != std::string::npos && cov.find("overflow 1\n") != std::string::npos &&
          cov.find("racy 2\n") != std::string::npos);
}

// ---- cuBLAS

double refAt(const std::vector<float>& M, int op, int i, int j, int ld) { return op == 0 ? M[i + (size_t)j * ld] : M[j + (size_t)i * ld]; }

void testCublas() {
    void* h;
    CHECK_EQ(cublasCreate_v2(&h), 0);
    CUstream s;
    CHECK_EQ(cuStreamCreate(&s, 1), 0);
    CHECK_EQ(cublasSetStream_v2(h, s), 0);
    CHECK_EQ(cublasSetMathMode(h, 0), 0);
    CHECK_EQ(cublasSetMathMode(h, 7), 7);
    const int m = 7, n = 5, k = 6;
    unsigned seed = 1;
    auto rnd = [&] { seed = seed * 1103515245u + 12345u; return (float)((seed >> 16) % 200) / 50.0f - 2.0f; };
    for (int opA = 0; opA < 2; opA++)
        for (int opB = 0; opB < 2; opB++)
            for (int pad = 0; pad < 2; pad++) {
                int rA = opA ? k : m, cA = opA ? m : k, rB = opB ? n : k, cB = opB ? k : n;
                int lda = rA + 3 * pad, ldb = rB + 2 * pad, ldc = m + pad;
                std::vector<float> A((size_t)lda * cA), B((size_t)ldb * cB), C((size_t)ldc * n);
                for (auto& v : A) v = rnd();
                for (auto& v : B) v = rnd();
                for (auto& v : C) v = rnd();
                CUdeviceptr dA, dB, dC;
                CHECK_EQ(cuMemAlloc_v2(&dA, A.size() * 4), 0);
                CHECK_EQ(cuMemAlloc_v2(&dB, B.size() * 4), 0);
                CHECK_EQ(cuMemAlloc_v2(&dC, C.size() * 4), 0);
                cuMemcpyHtoD_v2(dA, A.data(), A.size() * 4);
                cuMemcpyHtoD_v2(dB, B.data(), B.size() * 4);
                cuMemcpyHtoD_v2(dC, C.data(), C.size() * 4);
                float alpha = 1.5f, beta = pad ? 0.5f : 0.0f;
                delay(s, 20);
                int r = cublasSgemm_v2(h, opA, opB, m, n, k, &alpha, (float*)dA, lda, (float*)dB, ldb, &beta, (float*)dC, ldc);
                CHECK_EQ(r, 0);
                CHECK_EQ(cuStreamQuery(s), 600);  // queued on the handle's stream, not run synchronously
                CHECK_EQ(cuStreamSynchronize(s), 0);
                std::vector<float> got(C.size());
                cuMemcpyDtoH_v2(got.data(), dC, C.size() * 4);
                double worst = 0;
                for (int j = 0; j < n; j++)
                    for (int i = 0; i < ldc; i++) {
                        size_t at = i + (size_t)j * ldc;
                        if (i >= m) { CHECK(got[at] == C[at]); continue; }  // padding rows untouched
                        double ref = 0;
                        for (int l = 0; l < k; l++) ref += refAt(A, opA, i, l, lda) * refAt(B, opB, l, j, ldb);
                        ref = alpha * ref + (beta != 0 ? beta * C[at] : 0.0);
                        worst = std::max(worst, std::fabs(ref - got[at]));
                    }
                CHECK(worst < 1e-5);
                // Strided batched with 2 batches of the same (the second batch offset by one matrix) and GemmEx.
                if (opA == 1 && opB == 0 && pad == 1) {
                    float zero = 0.0f;
                    CUdeviceptr dC2;
                    CHECK_EQ(cuMemAlloc_v2(&dC2, C.size() * 4 * 2), 0);
                    CHECK_EQ(cublasSgemmStridedBatched(h, opA, opB, m, n, k, &alpha, (float*)dA, lda, 0, (float*)dB, ldb, 0, &zero,
                                                       (float*)dC2, ldc, (long long)C.size(), 2),
                             0);
                    CHECK_EQ(cublasGemmEx(h, opA, opB, m, n, k, &alpha, (void*)dA, 0, lda, (void*)dB, 0, ldb, &zero, (void*)dC, 0, ldc, 68, -1), 0);
                    CHECK_EQ(cuStreamSynchronize(s), 0);
                    std::vector<float> b2(C.size() * 2), ex(C.size());
                    cuMemcpyDtoH_v2(b2.data(), dC2, b2.size() * 4);
                    cuMemcpyDtoH_v2(ex.data(), dC, ex.size() * 4);
                    bool same = true;
                    for (int j = 0; j < n; j++)
                        for (int i = 0; i < m; i++) {
                            size_t at = i + (size_t)j * ldc;
                            same &= b2[at] == ex[at] && b2[at + C.size()] == ex[at] && !std::isnan(ex[at]);
                        }
                    CHECK(same);  // beta 0: C's NaN padding never read
                    CHECK_EQ(cublasGemmEx(h, opA, opB, m, n, k, &alpha, (void*)dA, 2, lda, (void*)dB, 0, ldb, &zero, (void*)dC, 0, ldc, 68, -1), 15);
                    CHECK_EQ(cublasGemmEx(h, opA, opB, m, n, k, &alpha, (void*)dA, 0, lda, (void*)dB, 0, ldb, &zero, (void*)dC, 0, ldc, 70, -1), 15);
                    CHECK_EQ(cuMemFree_v2(dC2), 0);
                }
                // Argument validation as cuBLAS.
                if (pad == 0) {
                    CHECK_EQ(cublasSgemm_v2(h, opA, opB, m, n, k, &alpha, (float*)dA, lda - 1, (float*)dB, ldb, &beta, (float*)dC, ldc), 7);
                    CHECK_EQ(cublasSgemm_v2(h, opA, opB, m, n, k, &alpha, (float*)dA, lda, (float*)dB, ldb - 1, &beta, (float*)dC, ldc), 7);
                    CHECK_EQ(cublasSgemm_v2(h, opA, opB, m, n, k, &alpha, (float*)dA, lda, (float*)dB, ldb, &beta, (float*)dC, m - 1), 7);
                    CHECK_EQ(cublasSgemm_v2(h, opA, opB, -1, n, k, &alpha, (float*)dA, lda, (float*)dB, ldb, &beta, (float*)dC, ldc), 7);
                    CHECK_EQ(cublasSgemm_v2(h, 5, opB, m, n, k, &alpha, (float*)dA, lda, (float*)dB, ldb, &beta, (float*)dC, ldc), 7);
                    // a matrix reaching past its allocation
                    CHECK_EQ(cublasSgemm_v2(h, opA, opB, m, n + 1, k, &alpha, (float*)dA, lda, (float*)dB, ldb, &beta, (float*)dC, ldc), 7);
                }
                CHECK_EQ(cuMemFree_v2(dA), 0);
                CHECK_EQ(cuMemFree_v2(dB), 0);
                CHECK_EQ(cuMemFree_v2(dC), 0);
            }
    CHECK_EQ(cublasDestroy_v2(h), 0);
    CHECK_EQ(cublasDestroy_v2(h), 1);
    CHECK_EQ(cuStreamDestroy_v2(s), 0);
}

// ---- cuRAND

void testCurand() {
    const int n = 1000;
    CUdeviceptr a, b;
    CHECK_EQ(cuMemAlloc_v2(&a, n * 4), 0);
    CHECK_EQ(cuMemAlloc_v2(&b, n * 4), 0);
    void *g1, *g2;
    CHECK_EQ(curandCreateGenerator(&g1, 100), 0);
    CHECK_EQ(curandCreateGenerator(&g2, 161), 0);
    CHECK_EQ(curandCreateGenerator(&g2, 201), 103);  // quasi-random: not emulated
    CHECK_EQ(curandCreateGenerator(&g2, 161), 0);
    CUstream s;
    CHECK_EQ(cuStreamCreate(&s, 1), 0);
    CHECK_EQ(curandSetStream(g1, s), 0);
    CHECK_EQ(curandSetPseudoRandomGeneratorSeed(g1, 42), 0);
    CHECK_EQ(curandSetPseudoRandomGeneratorSeed(g2, 42), 0);
    CHECK_EQ(curandGenerateNormal(g1, (float*)a, n, 1.0f, 2.0f), 0);
    CHECK_EQ(curandGenerateNormal(g2, (float*)b, n, 1.0f, 2.0f), 0);
    CHECK_EQ(curandGenerateNormal(g1, (float*)a, 7, 0.0f, 1.0f), 105);  // CURAND_STATUS_LENGTH_NOT_MULTIPLE
    CHECK_EQ(cuCtxSynchronize(), 0);
    std::vector<float> va = download(a, n), vb = download(b, n);
    CHECK(va == vb);
    double mean = 0, sq = 0;
    for (float v : va) { mean += v; sq += (double)v * v; }
    mean /= n;
    double sd = std::sqrt(sq / n - mean * mean);
    CHECK(std::fabs(mean - 1.0) < 0.25 && std::fabs(sd - 2.0) < 0.25);
    // The offset advanced by n: the next call continues the stream; an explicit offset reproduces it.
    CHECK_EQ(curandGenerateNormal(g1, (float*)a, 100, 0.0f, 1.0f), 0);
    CHECK_EQ(curandSetGeneratorOffset(g2, n), 0);
    CHECK_EQ(curandGenerateNormal(g2, (float*)b, 100, 0.0f, 1.0f), 0);
    CHECK_EQ(cuCtxSynchronize(), 0);
    CHECK(download(a, 100) == download(b, 100));
    CHECK(download(a, 100) != std::vector<float>(va.begin(), va.begin() + 100));
    CHECK_EQ(curandSetGeneratorOffset(g1, 0), 0);
    CHECK_EQ(curandSetPseudoRandomGeneratorSeed(g1, 43), 0);
    CHECK_EQ(curandGenerateNormal(g1, (float*)a, n, 1.0f, 2.0f), 0);
    CHECK_EQ(cuCtxSynchronize(), 0);
    CHECK(download(a, n) != va);
    CHECK_EQ(cuMemsetD8_v2(a, 0xFF, n * 4), 0);
    CHECK_EQ(curandGenerateUniform(g1, (float*)a, n - 1), 0);  // uniforms: any count
    CHECK_EQ(cuCtxSynchronize(), 0);
    va = download(a, n);
    bool inRange = true;
    for (int i = 0; i < n - 1; i++) inRange &= va[i] > 0.0f && va[i] <= 1.0f;
    CHECK(inRange);
    uint32_t bits;
    memcpy(&bits, &va[n - 1], 4);
    CHECK_EQ(bits, 0xFFFFFFFFu);  // one past the count untouched
    CHECK_EQ(curandGenerateUniform(g1, (float*)(a + 8), n), 201);  // past the allocation
    CHECK_EQ(curandDestroyGenerator(g1), 0);
    CHECK_EQ(curandDestroyGenerator(g2), 0);
    CHECK_EQ(curandDestroyGenerator(g1), 101);
    CHECK_EQ(cuStreamDestroy_v2(s), 0);
    CHECK_EQ(cuMemFree_v2(a), 0);
    CHECK_EQ(cuMemFree_v2(b), 0);
}
}  // namespace

int main() {
    printf("%s\n", fluviaEmuVersion());
    testBeforeInit();
    CUcontext ctx = nullptr;
    testDeviceAndContext(&ctx);
    testMemory();
    testModules();
    testLaunches();
    testStreamsAndEvents();
    testGraphs();
    testFaults();
    testCublas();
    testCurand();
    CHECK_EQ(cuModuleUnload(g_mod), 0);
    CHECK_EQ(fluviaEmuLastFault(nullptr, 0), 0);
    CHECK_EQ(cuDevicePrimaryCtxRelease_v2(0), 0);
    printf("%d checks, %d failures\n", g_checks, g_failures);
    return g_failures ? 1 : 0;
}
