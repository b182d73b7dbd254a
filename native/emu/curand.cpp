// Fluvia CUDA emulator: a stand-in libcurand.so.10 with the functions Fluvia binds (java/.../cuda/Curand.java).
//
// ITS NUMBERS ARE NOT cuRAND's. Every pseudo-random generator type produces the same emulator stream: element g
// (g = the generator's offset + index) of a call is a function of (seed, g) only — a counter-based SplitMix64-style hash;
// normals come in Box–Muller pairs (pair g/2), uniforms are in (0, 1]. So results are deterministic in
// (seed, offset, index), across calls, streams and schedules, as with cuRAND's pseudo generators, but not equal to them.
// After each generate call the offset advances by the count, as cuRAND's does. The work runs on the generator's stream.
#include "fluvia_emu.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <set>
#include <string>

#define API extern "C" __attribute__((visibility("default")))

typedef int curandStatus_t;

namespace {
enum : int {
    S_OK = 0, S_NOT_INITIALIZED = 101, S_TYPE_ERROR = 103, S_OUT_OF_RANGE = 104, S_LENGTH_NOT_MULTIPLE = 105,
    S_LAUNCH_FAILURE = 201, S_PREEXISTING_FAILURE = 202,
};

struct Gen { int type; uint64_t seed = 0; uint64_t offset = 0; CUstream stream = nullptr; };
std::mutex g_mu;
std::set<Gen*> g_gens;

uint64_t hash2(uint64_t seed, uint64_t ctr) {
    uint64_t z = seed * 0xD1B54A32D192ED03ull + ctr * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull;
    for (int r = 0; r < 2; r++) {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
    }
    return z;
}
// (0, 1] with 24 random bits, as a float uniform.
float uniform01(uint64_t h) { return (float)((h >> 40) + 1) * (1.0f / 16777216.0f); }

struct Job { bool normal; uint64_t seed, offset; uint64_t ptr; size_t n; float mean, stddev; };

void runJob(void* arg) {
    const Job& j = *(const Job*)arg;
    if (fluviaEmuCheckDevicePointer(j.ptr, (uint64_t)j.n * 4) != 0) {
        fluviaEmuRaiseFault(700, "curandGenerate: the output range is no longer inside a live device allocation");
        return;
    }
    float* out = (float*)j.ptr;
    for (size_t i = 0; i < j.n; i++) {
        uint64_t g = j.offset + i;
        if (!j.normal) { out[i] = uniform01(hash2(j.seed, g)); continue; }
        uint64_t pair = g / 2;
        double u1 = ((hash2(j.seed, 2 * pair) >> 11) + 1) * (1.0 / 9007199254740992.0);  // (0, 1]
        double u2 = (hash2(j.seed, 2 * pair + 1) >> 11) * (1.0 / 9007199254740992.0);    // [0, 1)
        double r = std::sqrt(-2.0 * std::log(u1)), t = 6.283185307179586 * u2;
        double z = (g % 2 == 0) ? r * std::cos(t) : r * std::sin(t);
        out[i] = (float)(j.mean + j.stddev * z);
    }
}

curandStatus_t generate(void* gen, bool normal, float* ptr, size_t n, float mean, float stddev, const char* call) {
    Gen* g = (Gen*)gen;
    Job* job;
    CUstream stream;
    {
        std::lock_guard<std::mutex> l(g_mu);
        if (!g_gens.count(g)) return S_NOT_INITIALIZED;
        if (normal && (n % 2) != 0) return S_LENGTH_NOT_MULTIPLE;  // pseudo generators produce normals in pairs
        if (n == 0) return S_OK;
        if (fluviaEmuCheckDevicePointer((uint64_t)ptr, (uint64_t)n * 4) != 0) {
            char d[512];
            fluviaEmuDescribePointer((uint64_t)ptr, d, sizeof d);
            fprintf(stderr, "fluvia-emu: %s: output %p (+%zu floats) is not inside one live device allocation: %s\n", call, (void*)ptr, n, d);
            return S_LAUNCH_FAILURE;
        }
        job = new Job{normal, g->seed, g->offset, (uint64_t)ptr, n, mean, stddev};
        g->offset += n;
        stream = g->stream;
    }
    int r = fluviaEmuEnqueueHostOwned(stream, runJob, job, [](void* p) { delete (Job*)p; });
    if (r != 0) {
        fprintf(stderr, "fluvia-emu: %s: cannot queue the work on the generator's stream (CUresult %d)\n", call, r);
        return S_PREEXISTING_FAILURE;
    }
    return S_OK;
}
}  // namespace

API curandStatus_t curandCreateGenerator(void** gen, int type) {
    if (!gen) return S_NOT_INITIALIZED;
    // pseudo types: DEFAULT 100, XORWOW 101, MRG32K3A 121, MTGP32 141, MT19937 142, PHILOX4_32_10 161
    if (type != 100 && type != 101 && type != 121 && type != 141 && type != 142 && type != 161) return S_TYPE_ERROR;
    Gen* g = new Gen{type};
    std::lock_guard<std::mutex> l(g_mu);
    g_gens.insert(g);
    *gen = g;
    return S_OK;
}

API curandStatus_t curandDestroyGenerator(void* gen) {
    std::lock_guard<std::mutex> l(g_mu);
    if (!g_gens.erase((Gen*)gen)) return S_NOT_INITIALIZED;
    delete (Gen*)gen;
    return S_OK;
}

API curandStatus_t curandSetPseudoRandomGeneratorSeed(void* gen, unsigned long long seed) {
    std::lock_guard<std::mutex> l(g_mu);
    if (!g_gens.count((Gen*)gen)) return S_NOT_INITIALIZED;
    ((Gen*)gen)->seed = seed;
    return S_OK;
}

API curandStatus_t curandSetGeneratorOffset(void* gen, unsigned long long offset) {
    std::lock_guard<std::mutex> l(g_mu);
    if (!g_gens.count((Gen*)gen)) return S_NOT_INITIALIZED;
    ((Gen*)gen)->offset = offset;
    return S_OK;
}

API curandStatus_t curandSetStream(void* gen, CUstream stream) {
    std::lock_guard<std::mutex> l(g_mu);
    if (!g_gens.count((Gen*)gen)) return S_NOT_INITIALIZED;
    ((Gen*)gen)->stream = stream;
    return S_OK;
}

API curandStatus_t curandGenerateNormal(void* gen, float* ptr, size_t n, float mean, float stddev) {
    return generate(gen, true, ptr, n, mean, stddev, "curandGenerateNormal");
}

API curandStatus_t curandGenerateUniform(void* gen, float* ptr, size_t n) {
    return generate(gen, false, ptr, n, 0, 0, "curandGenerateUniform");
}

API curandStatus_t curandGetVersion(int* version) {
    if (!version) return S_OUT_OF_RANGE;
    *version = 10000;  // not a cuRAND version: the emulator's stand-in (numbers differ from cuRAND's)
    return S_OK;
}
