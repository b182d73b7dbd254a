// Fluvia CUDA emulator: the header force-included (g++ -include cuda_emu.h) in front of kernels/*.cu so that the
// unmodified kernel sources compile as C++ and run on the CPU under native/emu/executor.cpp.
//
// What it maps:
//  * __global__ / __device__ / __host__ / __forceinline__ / __launch_bounds__ / __align__ → plain C++;
//  * __shared__ → thread_local: a block runs all its CUDA threads as fibers on ONE OS thread, and an OS thread runs one
//    block at a time, so per-OS-thread storage is per-block storage. `extern __shared__` arrays (dynamic shared memory)
//    are aliases of one per-OS-thread buffer that the executor poisons with NaN and guards before every block (the
//    generated registry defines the aliases);
//  * threadIdx / blockIdx / blockDim / gridDim → the current fiber's and launch's values;
//  * __syncthreads (and _count/_and/_or), __syncwarp, __shfl{,_up,_down,_xor}_sync, __ballot_sync / __any_sync /
//    __all_sync / __activemask → calls into the executor, which switches fibers and checks that every thread (or every
//    lane of the mask) arrives at a matching barrier, reporting the file and line otherwise;
//  * atomics → GCC __atomic builtins (blocks of different streams may run at the same time);
//  * the CUDA math functions the kernels use → <cmath> (libm, not libdevice: last-bit differences are possible).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>

#define __global__
#define __device__
#define __host__
#define __noinline__ __attribute__((noinline))
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ thread_local
#define __constant__ static
#define __CUDA_EMU__ 1

struct uint3 { unsigned int x, y, z; };
struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1) : x(vx), y(vy), z(vz) {}
};

namespace flvemu {
namespace rt {

/** The state the kernel sees of the CUDA thread that is running now (one per fiber). */
struct ThreadView {
    uint3 tid;
    unsigned linear;  // threadIdx.x + blockDim.x·(threadIdx.y + blockDim.y·threadIdx.z)
};
/** The launch the current OS thread executes. */
struct LaunchView {
    uint3 bidx;
    dim3 bdim, gdim;
};

extern thread_local ThreadView* tlsThread;
extern thread_local LaunchView tlsLaunch;

// Barriers and warp collectives: implemented by the executor (they switch to the scheduler fiber).
void syncthreads(const char* file, int line);
int syncthreadsReduce(const char* file, int line, int kind, int pred);  // kind 0 count, 1 and, 2 or
void syncwarp(const char* file, int line, unsigned mask);
uint64_t shuffle(const char* file, int line, int kind, unsigned mask, uint64_t value, int arg, int width);
unsigned vote(const char* file, int line, int kind, unsigned mask, int pred);  // kind 0 ballot, 1 any, 2 all
unsigned activemask();
[[noreturn]] void trap(const char* file, int line, const char* what);

enum ShuffleKind { SHFL_IDX = 0, SHFL_UP = 1, SHFL_DOWN = 2, SHFL_XOR = 3 };

template <class T>
inline T shuffleT(const char* file, int line, int kind, unsigned mask, T v, int arg, int width) {
    static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffles move at most 8 bytes");
    uint64_t raw = 0;
    std::memcpy(&raw, &v, sizeof(T));
    raw = shuffle(file, line, kind, mask, raw, arg, width);
    T out;
    std::memcpy(&out, &raw, sizeof(T));
    return out;
}

}  // namespace rt
}  // namespace flvemu

#define threadIdx (::flvemu::rt::tlsThread->tid)
#define blockIdx (::flvemu::rt::tlsLaunch.bidx)
#define blockDim (::flvemu::rt::tlsLaunch.bdim)
#define gridDim (::flvemu::rt::tlsLaunch.gdim)
#define warpSize 32

#define __syncthreads() ::flvemu::rt::syncthreads(__FILE__, __LINE__)
#define __syncthreads_count(p) ::flvemu::rt::syncthreadsReduce(__FILE__, __LINE__, 0, (p))
#define __syncthreads_and(p) ::flvemu::rt::syncthreadsReduce(__FILE__, __LINE__, 1, (p))
#define __syncthreads_or(p) ::flvemu::rt::syncthreadsReduce(__FILE__, __LINE__, 2, (p))
#define __syncwarp(...) ::flvemu::rt::syncwarp(__FILE__, __LINE__, flvEmuMask(__VA_ARGS__))
#define __shfl_sync(m, v, ...) flvEmuShfl(__FILE__, __LINE__, ::flvemu::rt::SHFL_IDX, (m), (v), __VA_ARGS__)
#define __shfl_up_sync(m, v, ...) flvEmuShfl(__FILE__, __LINE__, ::flvemu::rt::SHFL_UP, (m), (v), __VA_ARGS__)
#define __shfl_down_sync(m, v, ...) flvEmuShfl(__FILE__, __LINE__, ::flvemu::rt::SHFL_DOWN, (m), (v), __VA_ARGS__)
#define __shfl_xor_sync(m, v, ...) flvEmuShfl(__FILE__, __LINE__, ::flvemu::rt::SHFL_XOR, (m), (v), __VA_ARGS__)
#define __ballot_sync(m, p) ::flvemu::rt::vote(__FILE__, __LINE__, 0, (m), (p))
#define __any_sync(m, p) ((int) ::flvemu::rt::vote(__FILE__, __LINE__, 1, (m), (p)))
#define __all_sync(m, p) ((int) ::flvemu::rt::vote(__FILE__, __LINE__, 2, (m), (p)))
#define __activemask() ::flvemu::rt::activemask()
#define __trap() ::flvemu::rt::trap(__FILE__, __LINE__, "__trap()")
#define __threadfence() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define __threadfence_block() __atomic_thread_fence(__ATOMIC_SEQ_CST)

inline unsigned flvEmuMask() { return 0xffffffffu; }
inline unsigned flvEmuMask(unsigned m) { return m; }

template <class T>
inline T flvEmuShfl(const char* file, int line, int kind, unsigned mask, T v, int arg, int width = 32) {
    return ::flvemu::rt::shuffleT<T>(file, line, kind, mask, v, arg, width);
}

// ------------------------------------------------------------------------------------------------ atomics

template <class T>
inline T atomicAdd(T* p, T v) {
    if constexpr (std::is_floating_point<T>::value) {
        T old;
        __atomic_load(p, &old, __ATOMIC_RELAXED);
        T next = old + v;
        while (!__atomic_compare_exchange(p, &old, &next, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) next = old + v;
        return old;
    } else {
        return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
    }
}
template <class T> inline T atomicSub(T* p, T v) { return __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST); }
template <class T> inline T atomicExch(T* p, T v) { T old; __atomic_exchange(p, &v, &old, __ATOMIC_SEQ_CST); return old; }
template <class T> inline T atomicCAS(T* p, T cmp, T v) {
    __atomic_compare_exchange(p, &cmp, &v, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return cmp;
}
template <class T> inline T atomicMax(T* p, T v) {
    T old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (old < v && !__atomic_compare_exchange(p, &old, &v, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {}
    return old;
}
template <class T> inline T atomicMin(T* p, T v) {
    T old = __atomic_load_n(p, __ATOMIC_RELAXED);
    while (v < old && !__atomic_compare_exchange(p, &old, &v, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {}
    return old;
}
template <class T> inline T atomicAnd(T* p, T v) { return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST); }
template <class T> inline T atomicOr(T* p, T v) { return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST); }
template <class T> inline T atomicXor(T* p, T v) { return __atomic_fetch_xor(p, v, __ATOMIC_SEQ_CST); }

// ------------------------------------------------------------------------------------------------ math

using std::isfinite;
using std::isinf;
using std::isnan;

template <class A, class B>
inline auto min(A a, B b) -> typename std::common_type<A, B>::type {
    using T = typename std::common_type<A, B>::type;
    if constexpr (std::is_floating_point<T>::value) return std::fmin((T) a, (T) b);
    else return (T) a < (T) b ? (T) a : (T) b;
}
template <class A, class B>
inline auto max(A a, B b) -> typename std::common_type<A, B>::type {
    using T = typename std::common_type<A, B>::type;
    if constexpr (std::is_floating_point<T>::value) return std::fmax((T) a, (T) b);
    else return (T) a < (T) b ? (T) b : (T) a;
}

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __saturatef(float x) { return x < 0.f ? 0.f : x > 1.f ? 1.f : x; }
inline float __int_as_float(int v) { float f; std::memcpy(&f, &v, 4); return f; }
inline int __float_as_int(float f) { int v; std::memcpy(&v, &f, 4); return v; }
inline double __longlong_as_double(long long v) { double d; std::memcpy(&d, &v, 8); return d; }
inline long long __double_as_longlong(double d) { long long v; std::memcpy(&v, &d, 8); return v; }
inline int __popc(unsigned v) { return __builtin_popcount(v); }
inline int __ffs(int v) { return __builtin_ffs(v); }
inline int __clz(int v) { return v == 0 ? 32 : __builtin_clz((unsigned) v); }
template <class T> inline T __ldg(const T* p) { return *p; }
