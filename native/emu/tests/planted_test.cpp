// Emulator self-test: planted faults (planted.cu) must be reported with the kernel and the source line; correct code
// must give the same result under every schedule. Run by ctest (scripts/test runs it before Maven).
#include "emu.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace flvemu;

#include "check.h"

static const Schedule kSchedules[] = {{Order::InOrder, 0}, {Order::Reverse, 0}, {Order::Random, 1}, {Order::Random, 2}};

static Fault launch(const char* name, Dim3 grid, Dim3 block, size_t smem, std::vector<void*> args, Schedule s = {}) {
    const KernelInfo* k = findKernel(name);
    if (!k) { std::printf("FAIL: no kernel %s\n", name); failures++; return Fault{1, "missing"}; }
    return runGrid(*k, grid, block, smem, args.data(), s);
}

static void expectFault(const char* name, Fault f, std::vector<std::string> parts) {
    CHECK(f.code != 0, "%s: no fault reported", name);
    for (auto& p : parts) CHECK(f.message.find(p) != std::string::npos, "%s: message lacks \"%s\": %s", name, p.c_str(), f.message.c_str());
    std::printf("ok   %-28s → %s\n", name, f.message.c_str());
}

static int lineOf(const char* needle) {  // the line of planted.cu holding needle (so the test follows edits of the file)
    FILE* f = std::fopen(FLVEMU_PLANTED_SOURCE, "r");
    if (!f) return -1;
    char buf[512];
    int line = 0, found = -1;
    while (std::fgets(buf, sizeof buf, f)) { line++; if (found < 0 && std::strstr(buf, needle)) found = line; }
    std::fclose(f);
    return found;
}

int main() {
    std::vector<double> outd(1024, -1.0);
    std::vector<float> outf(1024, -1.f);
    double* od = outd.data();
    float* of = outf.data();

    // correct code: same result under every schedule, and the right one
    for (const Schedule& s : kSchedules) {
        std::fill(outd.begin(), outd.end(), -1.0);
        Fault f = launch("plantedCorrect", {1, 1, 1}, {128, 1, 1}, 0, {&od}, s);
        CHECK(!f, "plantedCorrect under %s: %s", describe(s).c_str(), f.message.c_str());
        for (int t = 0; t < 128; t++) {
            double want = 8128.0 + (t / 32 * 32 + 3) + 1.0;
            if (outd[t] != want) { CHECK(false, "plantedCorrect %s thread %d: %g, want %g", describe(s).c_str(), t, outd[t], want); break; }
        }
    }
    std::printf("ok   plantedCorrect under every schedule\n");

    std::string planted = "planted.cu:";
    expectFault("divergent __syncthreads", launch("plantedDivergentBarrier", {1, 1, 1}, {64, 1, 1}, 0, {&of}),
                {"plantedDivergentBarrier", "divergent __syncthreads", planted + std::to_string(lineOf("__syncthreads();\n") )});
    int l1 = lineOf("if (threadIdx.x < 64) {") + 1, l2 = l1 + 2;
    expectFault("mismatched __syncthreads", launch("plantedMismatchedBarrier", {1, 1, 1}, {128, 1, 1}, 0, {&of}),
                {"mismatched __syncthreads", planted + std::to_string(l1), planted + std::to_string(l2)});
    expectFault("shuffle names an exited lane", launch("plantedShuffleExitedLane", {1, 1, 1}, {64, 1, 1}, 0, {&od}),
                {"plantedShuffleExitedLane", "__shfl_xor_sync", "common.cuh:", "has exited"});
    expectFault("deadlock", launch("plantedDeadlock", {1, 1, 1}, {64, 1, 1}, 0, {&od}),
                {"plantedDeadlock", "deadlock", "__syncthreads", "__shfl_xor_sync"});
    int n = 100;
    expectFault("dynamic shared overflow", launch("plantedSharedOverflow", {1, 1, 1}, {64, 1, 1}, n * 8, {&od, &n}),
                {"plantedSharedOverflow", "wrote past its 800 bytes of dynamic shared memory"});
    expectFault("__launch_bounds__", launch("plantedBounded", {1, 1, 1}, {256, 1, 1}, 0, {&of}), {"__launch_bounds__(128)"});
    expectFault("block too large", launch("plantedCorrect", {1, 1, 1}, {2048, 1, 1}, 0, {&od}), {"exceeds the limits"});
    expectFault("grid y too large", launch("plantedCorrect", {1, 65536, 1}, {32, 1, 1}, 0, {&od}), {"y, z ≤ 65535"});
    expectFault("zero grid", launch("plantedCorrect", {0, 1, 1}, {32, 1, 1}, 0, {&od}), {"zero dimension"});
    const KernelInfo* k = findKernel("plantedCorrect");
    expectFault("dynamic shared over 48 KiB without the attribute", checkLaunch(*k, {1, 1, 1}, {32, 1, 1}, 60000, 0),
                {"CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES"});
    CHECK(!checkLaunch(*k, {1, 1, 1}, {32, 1, 1}, 60000, 60000), "60000 bytes with the attribute raised must pass");
    expectFault("dynamic shared over the device limit", checkLaunch(*k, {1, 1, 1}, {32, 1, 1}, 300000, 300000), {"exceed the device's"});

    // the executor keeps working after faults (fresh fibers per launch)
    Fault f = launch("plantedCorrect", {2, 1, 1}, {128, 1, 1}, 0, {&od});
    CHECK(!f, "plantedCorrect after faults: %s", f.message.c_str());

    return finish();
}
