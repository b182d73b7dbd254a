// Emulator self-test on the real kernels (kernels/*.cu) and on planted mutants of them: each kernel's result under the
// in-order, reversed and random schedules is compared with a float64 CPU reference.
//   built plain:                  every schedule must match the reference
//   -DFLV_MUTANT_ACTNORM_TREE:    actnorm.cu without the __syncthreads of the statistics tree loop. Wrong in order and at
//                                 random, right (by luck) when reversed: the schedules disagree, so the emulator's
//                                 schedule comparison catches it.
//   -DFLV_MUTANT_COUPLING_SYNCWARP: coupling.cu without the __syncwarp in affineCouplingForward's row loop: wrong under
//                                 every schedule, and differently.
#include "emu.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace flvemu;

#include "check.h"

static const Schedule kSchedules[] = {{Order::InOrder, 0}, {Order::Reverse, 0}, {Order::Random, 11}};

static uint64_t rngState = 0x1234;
static double uniform() {
    rngState = rngState * 6364136223846793005ull + 1442695040888963407ull;
    return ((rngState >> 11) * (1.0 / 9007199254740992.0));
}

/** Per-channel (count, mean, M2) of x [n, c, hw] by actnormInitStatsPartialsPlanes (one chunk); true per schedule if right. */
[[maybe_unused]] static std::vector<bool> actnormStats(std::vector<std::vector<double>>& results) {
    int n = 5, c = 3, hw = 37;
    std::vector<float> x((size_t) n * c * hw);
    for (auto& v : x) v = (float) (uniform() * 4 - 1);
    std::vector<bool> right;
    const KernelInfo* k = findKernel("actnormInitStatsPartialsPlanes");
    for (const Schedule& s : kSchedules) {
        std::vector<double> part((size_t) c * 3, std::nan(""));
        float* xp = x.data();
        double* pp = part.data();
        void* args[] = {&xp, &n, &c, &hw, &pp};
        Fault f = runGrid(*k, {(unsigned) c, 1, 1}, {128, 1, 1}, 3 * 128 * sizeof(double), args, s);
        CHECK(!f, "actnormInitStatsPartialsPlanes %s: %s", describe(s).c_str(), f.message.c_str());
        bool ok = true;
        for (int ch = 0; ch < c; ch++) {
            double cnt = 0, mu = 0, m2 = 0;
            for (int r = 0; r < n; r++) for (int p = 0; p < hw; p++) { cnt++; mu += x[((size_t) r * c + ch) * hw + p]; }
            mu /= cnt;
            for (int r = 0; r < n; r++) for (int p = 0; p < hw; p++) { double d = x[((size_t) r * c + ch) * hw + p] - mu; m2 += d * d; }
            double* got = &part[(size_t) ch * 3];
            ok = ok && got[0] == cnt && std::fabs(got[1] - mu) <= 1e-12 + 1e-9 * std::fabs(mu) && std::fabs(got[2] - m2) <= 1e-9 * m2;
        }
        right.push_back(ok);
        results.push_back(part);
    }
    return right;
}

/** y, ld by affineCouplingForward (softclamp) for rows of d = 40 with k = 20 coupled dims; true per schedule if right. */
[[maybe_unused]] static std::vector<bool> couplingForward(std::vector<std::vector<float>>& results) {
    int n = 9, d = 40, k = 20, mode = 0;
    float clamp = 2.f;
    std::vector<float> x((size_t) n * d), h((size_t) n * 2 * k);
    std::vector<int> b(k);
    for (int j = 0; j < k; j++) b[j] = (j * 7 + 3) % d;  // distinct dims, scattered across lanes
    for (auto& v : x) v = (float) (uniform() * 2 - 1);
    for (auto& v : h) v = (float) (uniform() * 2 - 1);
    std::vector<bool> right;
    const KernelInfo* kern = findKernel("affineCouplingForward");
    for (const Schedule& s : kSchedules) {
        std::vector<float> y((size_t) n * d, std::nanf("")), ld(n, 0.f);
        float *xp = x.data(), *hp = h.data(), *yp = y.data(), *lp = ld.data();
        int* bp = b.data();
        void* args[] = {&xp, &hp, &bp, &n, &d, &k, &mode, &clamp, &yp, &lp};
        Fault f = runGrid(*kern, {2, 1, 1}, {128, 1, 1}, 0, args, s);
        CHECK(!f, "affineCouplingForward %s: %s", describe(s).c_str(), f.message.c_str());
        bool ok = true;
        for (int r = 0; r < n; r++) {
            std::vector<double> want(x.begin() + (size_t) r * d, x.begin() + (size_t) (r + 1) * d);
            double sl = 0;
            for (int j = 0; j < k; j++) {
                double raw = h[(size_t) r * 2 * k + j], t = h[(size_t) r * 2 * k + k + j], logs = clamp * std::tanh(raw / clamp);
                want[b[j]] = x[(size_t) r * d + b[j]] * std::exp(logs) + t;
                sl += logs;
            }
            for (int j = 0; j < d; j++) ok = ok && std::fabs(y[(size_t) r * d + j] - want[j]) <= 1e-5 + 1e-5 * std::fabs(want[j]);
            ok = ok && std::fabs(ld[r] - sl) <= 1e-5 + 1e-5 * std::fabs(sl);
        }
        right.push_back(ok);
        results.push_back(y);
    }
    return right;
}

template <class T> [[maybe_unused]] static bool allSame(const std::vector<std::vector<T>>& r) {
    for (size_t i = 1; i < r.size(); i++)
        if (std::memcmp(r[i].data(), r[0].data(), r[0].size() * sizeof(T)) != 0) return false;
    return true;
}

static std::string verdicts(const std::vector<bool>& v) {
    std::string s;
    for (size_t i = 0; i < v.size(); i++) s += describe(kSchedules[i]) + (v[i] ? " right" : " WRONG") + (i + 1 < v.size() ? ", " : "");
    return s;
}

int main() {
#if defined(FLV_MUTANT_ACTNORM_TREE)
    std::vector<std::vector<double>> r;
    auto v = actnormStats(r);
    std::printf("mutant actnorm (tree-loop __syncthreads removed): %s; schedules %s\n", verdicts(v).c_str(), allSame(r) ? "agree" : "DISAGREE");
    CHECK(!v[0] && v[1] && !v[2], "expected wrong in order, right reversed, wrong at random: %s", verdicts(v).c_str());
    CHECK(!allSame(r), "the schedules must disagree, so that the emulator's comparison reports the race");
#elif defined(FLV_MUTANT_COUPLING_SYNCWARP)
    std::vector<std::vector<float>> r;
    auto v = couplingForward(r);
    bool distinct = true;
    for (size_t i = 0; i < r.size(); i++)
        for (size_t j = i + 1; j < r.size(); j++) distinct = distinct && std::memcmp(r[i].data(), r[j].data(), r[i].size() * 4) != 0;
    std::printf("mutant coupling (__syncwarp removed): %s; results pairwise %s\n", verdicts(v).c_str(), distinct ? "distinct" : "NOT distinct");
    CHECK(!v[0] && !v[1] && !v[2], "expected wrong under every schedule: %s", verdicts(v).c_str());
    CHECK(distinct, "expected a different result under every schedule");
#else
    std::vector<std::vector<double>> r1;
    auto v1 = actnormStats(r1);
    std::printf("actnormInitStatsPartialsPlanes: %s; schedules %s\n", verdicts(v1).c_str(), allSame(r1) ? "agree" : "DISAGREE");
    CHECK(v1[0] && v1[1] && v1[2] && allSame(r1), "the real kernel must be right under every schedule");
    std::vector<std::vector<float>> r2;
    auto v2 = couplingForward(r2);
    std::printf("affineCouplingForward: %s; schedules %s\n", verdicts(v2).c_str(), allSame(r2) ? "agree" : "DISAGREE");
    CHECK(v2[0] && v2[1] && v2[2] && allSame(r2), "the real kernel must be right under every schedule");
    CHECK(kernelCount() >= 52, "registry has %d kernels", kernelCount());
#endif
    return finish();
}
