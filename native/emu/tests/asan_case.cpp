// Emulator self-test in the AddressSanitizer build: out-of-bounds global and dynamic-shared accesses inside a kernel
// must be caught (ctest matches ASan's report, which names the kernel's source line).
#include "emu.h"

#include <cstdio>
#include <cstring>
#include <vector>

using namespace flvemu;

int main(int argc, char** argv) {
    const char* which = argc > 1 ? argv[1] : "";
    std::vector<double> out(256, 0.0);
    double* od = out.data();
    if (std::strcmp(which, "global-overread") == 0) {
        long long n = 1000;
        float* x = new float[n];  // exactly n floats: x[n] is past the allocation
        for (long long i = 0; i < n; i++) x[i] = 1.f;
        std::vector<float> o(256);
        float* op = o.data();
        void* args[] = {&x, &n, &op};
        Fault f = runGrid(*findKernel("plantedGlobalOverread"), {1, 1, 1}, {64, 1, 1}, 0, args, {});
        std::printf("not caught: %s\n", f.message.c_str());
        delete[] x;
        return 1;
    }
    if (std::strcmp(which, "shared-overread") == 0) {
        int n = 100;
        void* args[] = {&od, &n};
        Fault f = runGrid(*findKernel("plantedSharedOverread"), {1, 1, 1}, {64, 1, 1}, n * 8, args, {});
        std::printf("not caught: %s\n", f.message.c_str());
        return 1;
    }
    if (std::strcmp(which, "correct") == 0) {  // the ASan build runs correct code cleanly
        void* args[] = {&od};
        Fault f = runGrid(*findKernel("plantedCorrect"), {2, 1, 1}, {128, 1, 1}, 0, args, {Order::Random, 3});
        std::printf("%s\n", f ? f.message.c_str() : "clean");
        return f ? 1 : 0;
    }
    std::printf("usage: %s global-overread|shared-overread|correct\n", argv[0]);
    return 2;
}
