// A stand-in for the emulator's kernel executor (emu.h), used ONLY by native/emu/tests (never shipped): four
// hand-written C++ "kernels" run serially over grid × block, with the thread order the Schedule asks for.
#include "../emu.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <random>
#include <vector>

namespace {
thread_local flvemu::Dim3 tIdx, bIdx, bDim, gDim;
unsigned gid() { return bIdx.x * bDim.x + tIdx.x; }

// fill(float* p, float v, int n)
void kFill(void* const* a) {
    float* p = *(float* const*)a[0];
    float v = *(const float*)a[1];
    int n = *(const int*)a[2];
    if ((int)gid() < n) p[gid()] = v;
}
// add(float* out, const float* x, const float* y, int n)
void kAdd(void* const* a) {
    float* o = *(float* const*)a[0];
    const float* x = *(const float* const*)a[1];
    const float* y = *(const float* const*)a[2];
    int n = *(const int*)a[3];
    if ((int)gid() < n) o[gid()] = x[gid()] + y[gid()];
}
// racy(float* out): every thread writes out[0] (the last writer wins: differs between schedules)
void kRacy(void* const* a) { (*(float* const*)a[0])[0] = (float)gid(); }
// overflow(float* p, int n): thread 0 writes p[n], one past the end
void kOverflow(void* const* a) {
    if (gid() == 0) (*(float* const*)a[0])[*(const int*)a[1]] = 1.0f;
}

const flvemu::ParamInfo P = {8, 8, true, "ptr"}, I = {4, 4, false, "int"}, F = {4, 4, false, "float"};
const flvemu::ParamInfo fillP[] = {P, F, I}, addP[] = {P, P, P, I}, racyP[] = {P}, overflowP[] = {P, I};
const flvemu::KernelInfo kKernels[] = {
    {"fill", "fake", 1024, 3, fillP, kFill},
    {"add", "fake", 1024, 4, addP, kAdd},
    {"racy", "fake", 1024, 1, racyP, kRacy},
    {"overflow", "fake", 256, 2, overflowP, kOverflow},
};
}  // namespace

namespace flvemu {
const KernelInfo* findKernel(const char* name) {
    for (const auto& k : kKernels)
        if (strcmp(k.name, name) == 0) return &k;
    return nullptr;
}
int kernelCount() { return (int)(sizeof kKernels / sizeof kKernels[0]); }
const KernelInfo& kernelAt(int i) { return kKernels[i]; }

std::string describe(const Schedule& s) {
    if (s.order == Order::InOrder) return "in-order";
    if (s.order == Order::Reverse) return "reversed";
    return "random(seed=" + std::to_string(s.seed) + ")";
}

Fault checkLaunch(const KernelInfo& k, Dim3 g, Dim3 b, size_t dyn, size_t limit) {
    Fault f;
    unsigned long long t = (unsigned long long)b.x * b.y * b.z;
    if (!g.x || !g.y || !g.z || !b.x || !b.y || !b.z || t > 1024 || (int)t > k.maxThreads || b.x > 1024 || b.y > 1024 ||
        b.z > 64 || g.y > 65535 || g.z > 65535 || g.x > 2147483647u) {
        f.code = EMU_CUDA_ERROR_INVALID_VALUE;
        f.message = std::string("kernel ") + k.name + ": invalid launch configuration";
    } else if (dyn > limit || dyn > EMU_SHARED_OPTIN) {
        f.code = EMU_CUDA_ERROR_INVALID_VALUE;
        f.message = std::string("kernel ") + k.name + ": too much dynamic shared memory";
    }
    return f;
}

Fault runGrid(const KernelInfo& k, Dim3 g, Dim3 b, size_t, void* const* args, const Schedule& s) {
    std::vector<unsigned> order(b.x * b.y * b.z);
    std::iota(order.begin(), order.end(), 0u);
    if (s.order == Order::Reverse) std::reverse(order.begin(), order.end());
    std::mt19937_64 rng(s.seed);
    gDim = g;
    bDim = b;
    for (unsigned bz = 0; bz < g.z; bz++)
        for (unsigned by = 0; by < g.y; by++)
            for (unsigned bx = 0; bx < g.x; bx++) {
                bIdx = Dim3{bx, by, bz};
                if (s.order == Order::Random) std::shuffle(order.begin(), order.end(), rng);
                for (unsigned t : order) {
                    tIdx = Dim3{t % b.x, (t / b.x) % b.y, t / (b.x * b.y)};
                    k.invoke(args);
                }
            }
    return Fault{};
}
}  // namespace flvemu
