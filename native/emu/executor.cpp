// Fluvia CUDA emulator: the kernel executor (see emu.h). Each CUDA thread of a block is a fiber with its own stack; the
// block's scheduler (the OS thread's own stack) resumes the ready fibers in the schedule's order, each running until it
// parks at a barrier or a warp collective, or exits. When nothing is ready, complete warp collectives are resolved and a
// __syncthreads that every live thread reached is released; anything else is a divergence or a deadlock, reported with
// the source lines involved.
#include "emu.h"

#include "cuda_emu.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <sstream>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define FLV_ASAN 1
#else
#define FLV_ASAN 0
#endif

// The generated registry (native/emu/registry.cmake) defines these two.
const flvemu::KernelInfo* flvemuRegistry(int* count);
unsigned char* flvemuDynamicSharedBase();
extern const std::size_t flvemuDynamicSharedBytes;

namespace flvemu {
namespace rt {
thread_local ThreadView* tlsThread = nullptr;
thread_local LaunchView tlsLaunch;
}  // namespace rt

// ------------------------------------------------------------------------------------------------ registry

const KernelInfo* findKernel(const char* name) {
    int n = 0;
    const KernelInfo* t = flvemuRegistry(&n);
    for (int i = 0; i < n; i++)
        if (std::strcmp(t[i].name, name) == 0) return &t[i];
    return nullptr;
}

int kernelCount() {
    int n = 0;
    flvemuRegistry(&n);
    return n;
}

const KernelInfo& kernelAt(int i) {
    int n = 0;
    return flvemuRegistry(&n)[i];
}

std::string describe(const Schedule& s) {
    switch (s.order) {
        case Order::InOrder: return "in-order";
        case Order::Reverse: return "reversed";
        default: return "random(seed=" + std::to_string(s.seed) + ")";
    }
}

// ------------------------------------------------------------------------------------------------ fibers (x86-64 SysV)

extern "C" void flv_emu_switch(void** saveSp, void* newSp);
extern "C" void flv_emu_fiber_entry();

#if !defined(__x86_64__)
#error "the Fluvia CUDA emulator's fiber switch is written for x86-64"
#endif

asm(R"(
    .text
    .globl flv_emu_switch
    .hidden flv_emu_switch
    .type flv_emu_switch,@function
flv_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size flv_emu_switch, .-flv_emu_switch

    .globl flv_emu_fiber_entry
    .hidden flv_emu_fiber_entry
    .type flv_emu_fiber_entry,@function
flv_emu_fiber_entry:
    movq %r12, %rdi
    call flv_emu_fiber_main
    ud2
    .size flv_emu_fiber_entry, .-flv_emu_fiber_entry
)");

namespace {

enum class St : uint8_t { Ready, Barrier, Warp, Exited };
enum WarpOp { W_SYNCWARP = 0, W_SHFL = 1, W_VOTE = 2 };

const char* const kShuffleNames[] = {"__shfl_sync", "__shfl_up_sync", "__shfl_down_sync", "__shfl_xor_sync"};
const char* const kVoteNames[] = {"__ballot_sync", "__any_sync", "__all_sync"};
const char* const kBarrierNames[] = {"__syncthreads", "__syncthreads_count", "__syncthreads_and", "__syncthreads_or"};

struct EThread {
    rt::ThreadView view;
    void* sp = nullptr;
    char* stackLo = nullptr;  // null until the fiber first runs: stacks are taken from a free list at first resume and
                              // returned when the fiber exits, so threads that never park reuse one cache-hot stack
    St st = St::Ready;
    const char* file = "";
    int line = 0;
    int wop = 0, kind = 0, arg = 0, width = 32, pred = 0;
    unsigned mask = 0;
    uint64_t value = 0, result = 0;
#if FLV_ASAN
    void* fakeStack = nullptr;
#endif
};

#if FLV_ASAN
constexpr size_t kStackBytes = 512 * 1024;
#else
constexpr size_t kStackBytes = 64 * 1024;
#endif
constexpr size_t kPage = 4096;
constexpr size_t kDynGuard = 1024;
constexpr unsigned char kDynGuardByte = 0xA5;

struct Exec {
    std::vector<char*> stacks;  // every stack this OS thread mapped, each above a PROT_NONE guard page
    std::vector<char*> freeStacks;
    std::vector<EThread> th;
    void* schedSp = nullptr;
    const KernelInfo* kernel = nullptr;
    void* const* args = nullptr;
    bool faulted = false;
    Fault fault;
#if FLV_ASAN
    const void* schedBottom = nullptr;
    size_t schedSize = 0;
#endif

    ~Exec() {
        for (char* s : stacks) munmap(s - kPage, kStackBytes + kPage);
    }

    void ensureThreads(unsigned n) {
        if (th.size() < n) th.resize(n);
    }

    char* takeStack() {
        if (!freeStacks.empty()) {
            char* s = freeStacks.back();
            freeStacks.pop_back();
            return s;
        }
        void* m = mmap(nullptr, kStackBytes + kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) {
            std::fprintf(stderr, "fluvia-emu: cannot map a fiber stack\n");
            std::abort();
        }
        mprotect(m, kPage, PROT_NONE);  // stacks grow down into the guard page
        stacks.push_back(static_cast<char*>(m) + kPage);
        return stacks.back();
    }
};

thread_local Exec* tlsExec = nullptr;

Exec& exec() {
    if (tlsExec == nullptr) tlsExec = new Exec();  // one per OS thread; lives as long as the thread
    return *tlsExec;
}

EThread* self() { return reinterpret_cast<EThread*>(rt::tlsThread); }  // view is EThread's first member

/** Parks the running fiber and returns to the scheduler; returns when the scheduler resumes it. */
void park(EThread* t) {
    Exec& e = exec();
#if FLV_ASAN
    __sanitizer_start_switch_fiber(t->st == St::Exited ? nullptr : &t->fakeStack, e.schedBottom, e.schedSize);
#endif
    flv_emu_switch(&t->sp, e.schedSp);
#if FLV_ASAN
    __sanitizer_finish_switch_fiber(t->fakeStack, &e.schedBottom, &e.schedSize);
#endif
}

/** Builds the first frame of a fiber on a fresh stack: flv_emu_switch's pops land in flv_emu_fiber_entry(&t). */
void start(Exec& e, EThread& t) {
    t.stackLo = e.takeStack();
    uintptr_t top = ((uintptr_t) (t.stackLo + kStackBytes)) & ~(uintptr_t) 15;
    uint64_t* a = reinterpret_cast<uint64_t*>(top - 24);  // return-address slot: (a + 8) % 16 == 0 after ret
    a[0] = (uint64_t) (uintptr_t) &flv_emu_fiber_entry;
    a[-1] = 0;                                // rbp
    a[-2] = 0;                                // rbx
    a[-3] = (uint64_t) (uintptr_t) &t;        // r12 → the entry's argument
    a[-4] = a[-5] = a[-6] = 0;                // r13, r14, r15
    uint32_t* fp = reinterpret_cast<uint32_t*>(&a[-7]);
    fp[0] = 0x1F80;                           // MXCSR: all exceptions masked, round to nearest
    fp[1] = 0x037F;                           // x87 control word
    t.sp = &a[-7];
}

void resume(Exec& e, EThread& t) {
    if (t.stackLo == nullptr) start(e, t);
    rt::tlsThread = &t.view;
#if FLV_ASAN
    void* fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, t.stackLo, kStackBytes);
#endif
    flv_emu_switch(&e.schedSp, t.sp);
#if FLV_ASAN
    __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#endif
    rt::tlsThread = nullptr;
    if (t.st == St::Exited) {  // its stack is free again (nothing runs on it any more)
        e.freeStacks.push_back(t.stackLo);
        t.stackLo = nullptr;
    }
}

void setFault(Exec& e, int code, const std::string& msg) {
    if (e.faulted) return;
    e.faulted = true;
    e.fault.code = code;
    e.fault.message = msg;
}

std::string where(const char* file, int line) { return std::string(file) + ":" + std::to_string(line); }

/** "0-31, 64, 66-70" (at most a few ranges). */
std::string ranges(const std::vector<unsigned>& v) {
    std::ostringstream o;
    size_t shown = 0;
    for (size_t i = 0; i < v.size();) {
        size_t j = i;
        while (j + 1 < v.size() && v[j + 1] == v[j] + 1) j++;
        if (shown++ == 6) { o << ", …"; break; }
        if (i) o << ", ";
        o << v[i];
        if (j > i) o << "-" << v[j];
        i = j + 1;
    }
    return o.str();
}

std::string opName(const EThread& t) {
    if (t.st == St::Barrier) return kBarrierNames[t.kind];
    if (t.wop == W_SHFL) return kShuffleNames[t.kind];
    if (t.wop == W_VOTE) return kVoteNames[t.kind];
    return "__syncwarp";
}

uint64_t splitmix(uint64_t& x) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void arrange(std::vector<unsigned>& order, const Schedule& s, uint64_t& rng) {
    for (unsigned i = 0; i < order.size(); i++) order[i] = i;
    if (s.order == Order::Reverse) std::reverse(order.begin(), order.end());
    else if (s.order == Order::Random)
        for (size_t i = order.size(); i > 1; i--) std::swap(order[i - 1], order[splitmix(rng) % i]);
}

/** Names the block in fault messages (built only when a fault is reported). */
struct Who {
    const KernelInfo& k;
    uint3 b;
    const Schedule& s;
    std::string str() const;
};

std::string blockName(const KernelInfo& k, const uint3& b, const Schedule& s) {
    return "kernel " + std::string(k.name) + " (" + k.file + ", block (" + std::to_string(b.x) + "," + std::to_string(b.y) + "," +
           std::to_string(b.z) + "), " + describe(s) + " schedule)";
}

std::string Who::str() const { return blockName(k, b, s); }

/** Resolves every warp collective whose lanes have all arrived; returns whether any lane became ready. */
bool resolveWarps(Exec& e, unsigned n, const Who& who) {
    bool any = false;
    for (unsigned w0 = 0; w0 < n; w0 += 32) {
        unsigned lanes = std::min(32u, n - w0);
        for (unsigned l = 0; l < lanes; l++) {
            EThread& t = e.th[w0 + l];
            if (t.st != St::Warp) continue;
            unsigned m = t.mask;
            std::string at = opName(t) + " (" + where(t.file, t.line) + ", mask 0x" + [&] {
                char b[16];
                std::snprintf(b, sizeof b, "%08x", m);
                return std::string(b);
            }() + ")";
            if (!((m >> l) & 1u)) {
                setFault(e, EMU_CUDA_ERROR_ILLEGAL_INSTRUCTION, who.str() + ": lane " + std::to_string(l) + " of warp " + std::to_string(w0 / 32) +
                         " calls " + at + " with a mask that does not name itself");
                return false;
            }
            bool complete = true;
            for (unsigned b = 0; b < 32; b++) {
                if (!((m >> b) & 1u)) continue;
                if (b >= lanes) {
                    setFault(e, EMU_CUDA_ERROR_ILLEGAL_INSTRUCTION, who.str() + ": " + at + " names lane " + std::to_string(b) + " of warp " +
                             std::to_string(w0 / 32) + ", which does not exist (the block has " + std::to_string(n) + " threads)");
                    return false;
                }
                EThread& u = e.th[w0 + b];
                if (u.st == St::Exited) {
                    setFault(e, EMU_CUDA_ERROR_ILLEGAL_INSTRUCTION, who.str() + ": thread " + std::to_string(w0 + l) + " waits at " + at +
                             " for lane " + std::to_string(b) + " (thread " + std::to_string(w0 + b) + "), which has exited");
                    return false;
                }
                if (u.st != St::Warp) { complete = false; continue; }
                if (u.mask != m || u.wop != t.wop || u.kind != t.kind || (t.wop == W_SHFL && u.width != t.width)) {
                    setFault(e, EMU_CUDA_ERROR_ILLEGAL_INSTRUCTION, who.str() + ": mismatched warp collectives: thread " + std::to_string(w0 + l) +
                             " at " + at + ", thread " + std::to_string(w0 + b) + " at " + opName(u) + " (" + where(u.file, u.line) + ")");
                    return false;
                }
            }
            if (!complete) continue;
            unsigned ballot = 0;
            for (unsigned b = 0; b < 32; b++)
                if (((m >> b) & 1u) && e.th[w0 + b].pred) ballot |= 1u << b;
            for (unsigned b = 0; b < 32; b++) {
                if (!((m >> b) & 1u)) continue;
                EThread& u = e.th[w0 + b];
                if (u.wop == W_SHFL) {
                    int w = u.width, seg = (int) (b / (unsigned) w) * w, src;
                    switch (u.kind) {
                        case rt::SHFL_IDX: src = seg + ((u.arg % w) + w) % w; break;
                        case rt::SHFL_UP: src = (int) b - u.arg; if (src < seg) src = (int) b; break;
                        case rt::SHFL_DOWN: src = (int) b + u.arg; if (src >= seg + w) src = (int) b; break;
                        default: src = (int) b ^ u.arg; if (src >= seg + w) src = (int) b; break;
                    }
                    if (src < 0 || src >= (int) lanes || !((m >> src) & 1u)) {
                        setFault(e, EMU_CUDA_ERROR_ILLEGAL_INSTRUCTION, who.str() + ": thread " + std::to_string(w0 + b) + " at " + at +
                                 " reads lane " + std::to_string(src) + ", which is not in the mask");
                        return false;
                    }
                    u.result = e.th[w0 + src].value;
                } else if (u.wop == W_VOTE) {
                    u.result = u.kind == 0 ? ballot : u.kind == 1 ? (ballot != 0) : (ballot == m);
                }
                u.st = St::Ready;
            }
            any = true;
        }
    }
    return any;
}

/** Nothing is ready and no warp collective completes: releases a full barrier or describes the stall. */
bool releaseOrStall(Exec& e, unsigned n, const Who& who) {
    std::map<std::string, std::vector<unsigned>> atBarrier, atWarp;
    std::vector<unsigned> exited;
    unsigned alive = 0, barrier = 0;
    for (unsigned i = 0; i < n; i++) {
        EThread& t = e.th[i];
        if (t.st == St::Exited) { exited.push_back(i); continue; }
        alive++;
        std::string key = opName(t) + " at " + where(t.file, t.line);
        if (t.st == St::Barrier) { barrier++; atBarrier[key].push_back(i); }
        else if (t.st == St::Warp) atWarp[key].push_back(i);
    }
    if (alive == 0) return false;
    if (barrier == alive && atBarrier.size() == 1 && exited.empty()) {
        int kind = -1, count = 0, all = 1, anyp = 0;
        for (unsigned i = 0; i < n; i++) {
            EThread& t = e.th[i];
            if (t.st != St::Barrier) continue;
            kind = t.kind;
            count += t.pred != 0;
            all &= t.pred != 0;
            anyp |= t.pred != 0;
        }
        for (unsigned i = 0; i < n; i++) {
            EThread& t = e.th[i];
            if (t.st != St::Barrier) continue;
            t.result = (uint64_t) (kind == 1 ? count : kind == 2 ? all : kind == 3 ? anyp : 0);
            t.st = St::Ready;
        }
        return true;
    }
    std::ostringstream o;
    if (barrier == alive && atBarrier.size() > 1) {
        o << who.str() << ": mismatched __syncthreads: ";
        bool first = true;
        for (auto& [k, v] : atBarrier) { o << (first ? "" : "; ") << "threads " << ranges(v) << " wait at " << k; first = false; }
    } else if (!atBarrier.empty() && atWarp.empty()) {
        o << who.str() << ": divergent __syncthreads: ";
        for (auto& [k, v] : atBarrier) o << "threads " << ranges(v) << " wait at " << k << "; ";
        o << "threads " << ranges(exited) << " exited without reaching it (on a GPU this hangs or corrupts shared memory)";
    } else {
        o << who.str() << ": deadlock: ";
        bool first = true;
        for (auto& [k, v] : atBarrier) { o << (first ? "" : "; ") << "threads " << ranges(v) << " wait at " << k; first = false; }
        for (auto& [k, v] : atWarp) { o << (first ? "" : "; ") << "threads " << ranges(v) << " wait at " << k; first = false; }
        if (!exited.empty()) o << "; threads " << ranges(exited) << " exited";
    }
    setFault(e, EMU_CUDA_ERROR_LAUNCH_FAILED, o.str());
    return false;
}


}  // namespace

extern "C" __attribute__((visibility("hidden"))) void flv_emu_fiber_main(EThread* t) {
    Exec& e = exec();
#if FLV_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &e.schedBottom, &e.schedSize);
#endif
    e.kernel->invoke(e.args);
    t->st = St::Exited;
    park(t);
    __builtin_trap();  // an exited fiber is never resumed
}

// ------------------------------------------------------------------------------------------------ barriers (fiber side)

namespace rt {

void syncthreads(const char* file, int line) { syncthreadsReduce(file, line, -1, 0); }

int syncthreadsReduce(const char* file, int line, int kind, int pred) {
    EThread* t = self();
    t->st = St::Barrier;
    t->kind = kind + 1;  // 0 plain, 1 count, 2 and, 3 or
    t->pred = pred;
    t->file = file;
    t->line = line;
    park(t);
    return (int) t->result;
}

static uint64_t warpOp(const char* file, int line, int wop, int kind, unsigned mask, uint64_t value, int arg, int width, int pred) {
    EThread* t = self();
    t->st = St::Warp;
    t->wop = wop;
    t->kind = kind;
    t->mask = mask;
    t->value = value;
    t->arg = arg;
    t->width = width;
    t->pred = pred;
    t->file = file;
    t->line = line;
    if (wop == W_SHFL && (width <= 0 || width > 32 || (width & (width - 1)) != 0))
        trap(file, line, "shuffle width must be a power of two ≤ 32");
    park(t);
    return t->result;
}

void syncwarp(const char* file, int line, unsigned mask) { warpOp(file, line, W_SYNCWARP, 0, mask, 0, 0, 32, 0); }

uint64_t shuffle(const char* file, int line, int kind, unsigned mask, uint64_t value, int arg, int width) {
    return warpOp(file, line, W_SHFL, kind, mask, value, arg, width, 0);
}

unsigned vote(const char* file, int line, int kind, unsigned mask, int pred) {
    return (unsigned) warpOp(file, line, W_VOTE, kind, mask, 0, 0, 32, pred != 0);
}

unsigned activemask() {
    // Lanes of this warp that have not exited (the emulator does not model intra-warp divergence).
    Exec& e = exec();
    EThread* t = self();
    unsigned me = (unsigned) (t - e.th.data()), w0 = me / 32 * 32, m = 0;
    unsigned n = tlsLaunch.bdim.x * tlsLaunch.bdim.y * tlsLaunch.bdim.z;
    for (unsigned b = 0; b < 32 && w0 + b < n; b++)
        if (e.th[w0 + b].st != St::Exited) m |= 1u << b;
    return m;
}

void trap(const char* file, int line, const char* what) {
    Exec& e = exec();
    EThread* t = self();
    setFault(e, EMU_CUDA_ERROR_ILLEGAL_INSTRUCTION, "kernel " + std::string(e.kernel->name) + ": thread " +
             std::to_string(t - e.th.data()) + " executed " + what + " at " + where(file, line));
    t->st = St::Exited;
    park(t);
    __builtin_trap();
}

}  // namespace rt

// ------------------------------------------------------------------------------------------------ launches

Fault checkLaunch(const KernelInfo& k, Dim3 grid, Dim3 block, size_t dynSmem, size_t dynSmemLimit) {
    Fault f;
    auto fail = [&](int code, const std::string& m) {
        f.code = code;
        f.message = "kernel " + std::string(k.name) + " (" + k.file + "): " + m;
        return f;
    };
    auto d3 = [](Dim3 d) { return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")"; };
    if (grid.x == 0 || grid.y == 0 || grid.z == 0 || block.x == 0 || block.y == 0 || block.z == 0)
        return fail(EMU_CUDA_ERROR_INVALID_VALUE, "launch with a zero dimension: grid " + d3(grid) + ", block " + d3(block));
    uint64_t threads = (uint64_t) block.x * block.y * block.z;
    if (block.x > 1024 || block.y > 1024 || block.z > 64 || threads > 1024)
        return fail(EMU_CUDA_ERROR_INVALID_VALUE, "block " + d3(block) + " exceeds the limits (x, y ≤ 1024, z ≤ 64, x·y·z ≤ 1024)");
    if ((int64_t) threads > k.maxThreads)
        return fail(EMU_CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "block of " + std::to_string(threads) + " threads exceeds its __launch_bounds__(" +
                    std::to_string(k.maxThreads) + ")");
    if (grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535)
        return fail(EMU_CUDA_ERROR_INVALID_VALUE, "grid " + d3(grid) + " exceeds the limits (x ≤ 2^31−1, y, z ≤ 65535)");
    if (dynSmem > EMU_SHARED_OPTIN)
        return fail(EMU_CUDA_ERROR_INVALID_VALUE, std::to_string(dynSmem) + " bytes of dynamic shared memory exceed the device's " +
                    std::to_string(EMU_SHARED_OPTIN));
    if (dynSmem > std::max(dynSmemLimit, EMU_SHARED_DEFAULT))
        return fail(EMU_CUDA_ERROR_INVALID_VALUE, std::to_string(dynSmem) + " bytes of dynamic shared memory exceed the kernel's limit of " +
                    std::to_string(std::max(dynSmemLimit, EMU_SHARED_DEFAULT)) +
                    " (raise it with cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES))");
    return f;
}

Fault runGrid(const KernelInfo& k, Dim3 grid, Dim3 block, size_t dynSmem, void* const* args, const Schedule& s) {
    Fault f = checkLaunch(k, grid, block, dynSmem, EMU_SHARED_OPTIN);
    if (f) return f;
    Exec& e = exec();
    const unsigned n = block.x * block.y * block.z;
    e.ensureThreads(n);
    for (EThread& t : e.th)  // fibers abandoned by a fault in an earlier launch give their stacks back
        if (t.stackLo != nullptr) { e.freeStacks.push_back(t.stackLo); t.stackLo = nullptr; }
    e.kernel = &k;
    e.args = args;
    e.faulted = false;
    e.fault = Fault();
    rt::LaunchView& lv = rt::tlsLaunch;
    lv.bdim = dim3(block.x, block.y, block.z);
    lv.gdim = dim3(grid.x, grid.y, grid.z);

    unsigned char* dyn = flvemuDynamicSharedBase();
    const uint64_t blocks = (uint64_t) grid.x * grid.y * grid.z;
    uint64_t rng = s.seed * 0x2545F4914F6CDD1Dull + 0x1234567ull;
    std::vector<uint64_t> blockOrder;
    const bool permuteBlocks = s.order != Order::InOrder && blocks <= (1u << 20);
    if (permuteBlocks) {
        blockOrder.resize(blocks);
        for (uint64_t i = 0; i < blocks; i++) blockOrder[i] = i;
        if (s.order == Order::Reverse) std::reverse(blockOrder.begin(), blockOrder.end());
        else
            for (uint64_t i = blocks; i > 1; i--) std::swap(blockOrder[i - 1], blockOrder[splitmix(rng) % i]);
    }
    std::vector<unsigned> order(n);

    for (uint64_t bi = 0; bi < blocks; bi++) {
        uint64_t b = permuteBlocks ? blockOrder[bi] : bi;
        lv.bidx = uint3{(unsigned) (b % grid.x), (unsigned) (b / grid.x % grid.y), (unsigned) (b / ((uint64_t) grid.x * grid.y))};
        // dynamic shared memory: NaN bytes, then a guard zone
        std::memset(dyn, 0xFF, dynSmem);
        std::memset(dyn + dynSmem, kDynGuardByte, kDynGuard);
#if FLV_ASAN
        ASAN_POISON_MEMORY_REGION(dyn + dynSmem, flvemuDynamicSharedBytes - dynSmem);
#endif
        for (unsigned i = 0; i < n; i++) {
            EThread& t = e.th[i];
            t = EThread();
            t.view.tid = uint3{i % block.x, i / block.x % block.y, i / (block.x * block.y)};
            t.view.linear = i;
        }
        const Who who{k, lv.bidx, s};
        uint64_t phase = 0;
        for (;;) {
            arrange(order, s, rng);
            bool ran = false;
            for (unsigned idx : order) {
                EThread& t = e.th[idx];
                if (t.st != St::Ready) continue;
                resume(e, t);
                ran = true;
                if (e.faulted) break;
            }
            if (e.faulted) break;
            if (resolveWarps(e, n, who)) { phase++; continue; }
            if (e.faulted) break;
            if (ran) continue;  // (cannot happen: a sweep runs every ready fiber until it parks)
            if (releaseOrStall(e, n, who)) { phase++; continue; }
            break;
        }
#if FLV_ASAN
        ASAN_UNPOISON_MEMORY_REGION(dyn + dynSmem, flvemuDynamicSharedBytes - dynSmem);
#endif
        if (!e.faulted) {
            for (size_t i = 0; i < kDynGuard; i++) {
                if (dyn[dynSmem + i] != kDynGuardByte) {
                    setFault(e, EMU_CUDA_ERROR_ILLEGAL_ADDRESS, blockName(k, lv.bidx, s) + ": wrote past its " + std::to_string(dynSmem) +
                             " bytes of dynamic shared memory (byte " + std::to_string(dynSmem + i) + " changed)");
                    break;
                }
            }
        }
        if (e.faulted) break;
    }
    e.kernel = nullptr;
    e.args = nullptr;
    return e.faulted ? e.fault : Fault();
}

}  // namespace flvemu
