// Fluvia CUDA emulator: a stand-in libcuda.so.1 (CUDA driver API) that runs the kernels of kernels/*.cu on the CPU
// through the executor of emu.h. It implements the calls Fluvia's Java CUDA backend makes (through JCuda) for real;
// every other symbol JCuda's native library links (jcuda_driver_symbols.txt) is a generated stub returning
// CUDA_ERROR_NOT_SUPPORTED (see CMakeLists.txt).
//
// Model: one device, one primary context (per-OS-thread current context, as the real driver); device memory is host
// memory in a reserved address range with canary guard zones, never reused after free (freed pages are PROT_NONE);
// every stream has a worker thread that runs its queue in order (legacy-stream synchronisation included); each kernel
// launch runs under several thread schedules and the results are compared (race detection); faults are sticky.
// No CUDA headers: the few types and enum values are declared here (values as in CUDA 13's cuda.h).
#include "emu.h"
#include "fluvia_emu.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#define API extern "C" __attribute__((visibility("default")))

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
struct CUctx_st;
typedef CUctx_st* CUcontext;
struct CUmod_st;
typedef CUmod_st* CUmodule;
struct CUfunc_st;
typedef CUfunc_st* CUfunction;
struct CUevent_st;
typedef CUevent_st* CUevent;
struct CUgraph_st;
typedef CUgraph_st* CUgraph;
struct CUgraphExec_st;
typedef CUgraphExec_st* CUgraphExec;

namespace {

enum : int {
    OK = 0, E_INVALID_VALUE = 1, E_OUT_OF_MEMORY = 2, E_NOT_INITIALIZED = 3, E_DEINITIALIZED = 4,
    E_NO_DEVICE = 100, E_INVALID_DEVICE = 101, E_INVALID_IMAGE = 200, E_INVALID_CONTEXT = 201,
    E_INVALID_HANDLE = 400, E_ILLEGAL_STATE = 401, E_NOT_FOUND = 500, E_NOT_READY = 600, E_ILLEGAL_ADDRESS = 700,
    E_LAUNCH_OUT_OF_RESOURCES = 701, E_ILLEGAL_INSTRUCTION = 715, E_LAUNCH_FAILED = 719, E_NOT_PERMITTED = 800,
    E_NOT_SUPPORTED = 801, E_CAPTURE_UNSUPPORTED = 900, E_CAPTURE_INVALIDATED = 901, E_UNKNOWN = 999,
};

struct ErrName { int code; const char* name; const char* text; };
const ErrName kErrors[] = {
    {0, "CUDA_SUCCESS", "no error"},
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {4, "CUDA_ERROR_DEINITIALIZED", "driver shutting down"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {101, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal"},
    {200, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
    {201, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context"},
    {209, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device"},
    {218, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
    {400, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
    {401, "CUDA_ERROR_ILLEGAL_STATE", "the operation cannot be performed in the present state"},
    {500, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {600, "CUDA_ERROR_NOT_READY", "device not ready"},
    {700, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
    {701, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch"},
    {702, "CUDA_ERROR_LAUNCH_TIMEOUT", "the launch timed out and was terminated"},
    {709, "CUDA_ERROR_CONTEXT_IS_DESTROYED", "context is destroyed"},
    {710, "CUDA_ERROR_ASSERT", "device-side assert triggered"},
    {715, "CUDA_ERROR_ILLEGAL_INSTRUCTION", "an illegal instruction was encountered"},
    {716, "CUDA_ERROR_MISALIGNED_ADDRESS", "misaligned address"},
    {719, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
    {800, "CUDA_ERROR_NOT_PERMITTED", "operation not permitted"},
    {801, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    {900, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", "operation not permitted when stream is capturing"},
    {901, "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED", "operation failed due to a previous error during capture"},
    {903, "CUDA_ERROR_STREAM_CAPTURE_UNMATCHED", "capture was not initiated in this stream"},
    {906, "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT", "operation would make the legacy stream depend on a capturing blocking stream"},
    {999, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

// ------------------------------------------------------------------ messages and the sticky fault

void complain(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void complain(const char* fmt, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "fluvia-emu: %s\n", buf);
}

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
    char buf[2048];
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

std::atomic<int> g_faultCode{0};
std::mutex& faultMu() { static auto* m = new std::mutex; return *m; }
std::string& faultMsg() { static auto* s = new std::string; return *s; }

void raiseFault(int code, const std::string& msg) {
    std::lock_guard<std::mutex> l(faultMu());
    if (g_faultCode.load()) return;
    faultMsg() = msg;
    g_faultCode.store(code ? code : E_UNKNOWN);
    fprintf(stderr, "fluvia-emu: %s\n", msg.c_str());
}
int sticky() { return g_faultCode.load(std::memory_order_relaxed); }

// ------------------------------------------------------------------ init, device, context

std::atomic<bool> g_init{false};
struct Ctx { std::atomic<int> refs{0}; std::atomic<bool> active{false}; };
Ctx g_primary;
thread_local Ctx* tl_ctx = nullptr;

int needInit() {
    if (!g_init.load()) return E_NOT_INITIALIZED;
    return sticky();
}
int needCtx() {
    if (!g_init.load()) return E_NOT_INITIALIZED;
    if (int s = sticky()) return s;
    if (!tl_ctx || !tl_ctx->active.load()) return E_INVALID_CONTEXT;
    return OK;
}
#define REQUIRE(expr) do { if (int r_ = (expr)) return r_; } while (0)

// ------------------------------------------------------------------ device memory

constexpr uint64_t GUARD = 256;
constexpr unsigned char CANARY = 0xCD;
struct Alloc { uint64_t base = 0, size = 0, region = 0, regionSize = 0; };

struct Memory {
    std::mutex mu;
    uint64_t arenaBase = 0, arenaSize = 0, next = 0;
    uint64_t used = 0, cap = 8ull << 30;
    std::map<uint64_t, Alloc> live;   // by base
    std::map<uint64_t, Alloc> freed;  // by base (addresses are never reused)
    std::set<void*> host;             // cuMemAllocHost / cuMemHostAlloc
};
Memory& mem() { static auto* m = new Memory; return *m; }
uint64_t pageSize() { static uint64_t p = (uint64_t)sysconf(_SC_PAGESIZE); return p; }
uint64_t roundUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

bool reserveArena() {
    Memory& m = mem();
    if (m.arenaBase) return true;
    if (const char* e = getenv("FLUVIA_EMU_MEMORY_BYTES")) {
        char* end = nullptr;
        unsigned long long v = strtoull(e, &end, 10);
        if (end && end != e && v > 0) m.cap = v;
        else complain("FLUVIA_EMU_MEMORY_BYTES=%s is not a byte count; using %llu", e, (unsigned long long)m.cap);
    }
    for (uint64_t size : {1ull << 40, 1ull << 38, 1ull << 36}) {
        if (size < m.cap * 2) continue;
        void* p = mmap((void*)0x200000000000ull, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) continue;
        m.arenaBase = m.next = (uint64_t)p;
        m.arenaSize = size;
        return true;
    }
    void* p = mmap(nullptr, m.cap * 2 + (1ull << 30), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    m.arenaBase = m.next = (uint64_t)p;
    m.arenaSize = m.cap * 2 + (1ull << 30);
    return true;
}

bool isDeviceAddress(uint64_t p) {
    Memory& m = mem();
    return m.arenaBase && p >= m.arenaBase && p < m.arenaBase + m.arenaSize;
}

// Caller holds mem().mu. The live allocation holding [p, p+bytes) (bytes 0: p ≤ end), or null.
const Alloc* findLive(uint64_t p, uint64_t bytes) {
    Memory& m = mem();
    auto it = m.live.upper_bound(p);
    if (it == m.live.begin()) return nullptr;
    --it;
    const Alloc& a = it->second;
    if (p < a.base) return nullptr;
    if (bytes == 0 ? p <= a.base + a.size : (p - a.base <= a.size && bytes <= a.size - (p - a.base))) return &a;
    return nullptr;
}

std::string describeLocked(uint64_t p) {
    Memory& m = mem();
    if (p == 0) return "a null pointer";
    if (!isDeviceAddress(p)) return "host memory (not a device pointer)";
    auto near = [&](std::map<uint64_t, Alloc>& map, const char* what) -> std::string {
        auto it = map.upper_bound(p);
        if (it == map.begin()) return "";
        --it;
        const Alloc& a = it->second;
        if (p < a.region || p >= a.region + a.regionSize) return "";
        long long off = (long long)(p - a.base);
        return fmt("%s 0x%llx (size %llu) at offset %lld%s", what, (unsigned long long)a.base, (unsigned long long)a.size, off,
                   (p >= a.base && p < a.base + a.size) ? "" : " (outside it: in its guard zone)");
    };
    std::string s = near(m.live, "allocation");
    if (s.empty()) s = near(m.freed, "FREED allocation");
    if (s.empty()) s = "an unallocated device address";
    return s;
}
std::string describe(uint64_t p) {
    std::lock_guard<std::mutex> l(mem().mu);
    return describeLocked(p);
}

// Checks the device side of a copy/memset; prints a message naming the call. Returns 0 or E_INVALID_VALUE.
int checkDeviceRange(const char* call, const char* what, uint64_t p, uint64_t bytes) {
    std::lock_guard<std::mutex> l(mem().mu);
    if (findLive(p, bytes)) return OK;
    complain("%s: %s 0x%llx .. +%llu bytes is not inside one live device allocation: %s", call, what, (unsigned long long)p,
             (unsigned long long)bytes, describeLocked(p).c_str());
    return E_INVALID_VALUE;
}
int checkHostPtr(const char* call, const char* what, const void* p, uint64_t bytes) {
    if (bytes == 0) return OK;
    if (!p) { complain("%s: %s is null", call, what); return E_INVALID_VALUE; }
    if (isDeviceAddress((uint64_t)p)) {
        complain("%s: %s %p is a device pointer where host memory is expected", call, what, p);
        return E_INVALID_VALUE;
    }
    return OK;
}

// 0 when every guard byte is intact; else the first damaged byte's offset relative to a.base.
bool guardDamaged(const Alloc& a, long long* offset) {
    const unsigned char* r = (const unsigned char*)a.region;
    uint64_t front = a.base - a.region;
    for (uint64_t i = 0; i < front; i++)
        if (r[i] != CANARY) { *offset = (long long)i - (long long)front; return true; }
    const unsigned char* t = (const unsigned char*)(a.base + a.size);
    uint64_t back = a.region + a.regionSize - (a.base + a.size);
    for (uint64_t i = 0; i < back; i++)
        if (t[i] != CANARY) { *offset = (long long)(a.size + i); return true; }
    return false;
}

// ------------------------------------------------------------------ streams

struct Op {
    std::function<void()> fn;
    ~Op() = default;
};
using OpP = std::shared_ptr<Op>;
struct Stream;
using StreamP = std::shared_ptr<Stream>;
struct Dep { StreamP s; uint64_t target; };
struct Item { OpP op; std::vector<Dep> deps; };
struct Graph { std::vector<OpP> ops; };

struct Stream {
    unsigned flags = 0;
    bool legacy = false;
    std::deque<Item> q;
    uint64_t enqueued = 0, completed = 0;
    bool stop = false;
    Graph* capture = nullptr;  // non-null while capturing
    bool blocking() const { return !legacy && (flags & 1) == 0; }
};

struct Sched {
    std::mutex mu;
    std::condition_variable cv;
    std::map<Stream*, StreamP> streams;  // created streams (not the legacy one)
    StreamP legacy;
};
Sched& sched() { static auto* s = new Sched; return *s; }

void worker(StreamP s) {
    Sched& S = sched();
    std::unique_lock<std::mutex> l(S.mu);
    for (;;) {
        S.cv.wait(l, [&] { return !s->q.empty() || s->stop; });
        if (s->q.empty()) break;
        Item& it = s->q.front();
        S.cv.wait(l, [&] {
            for (const Dep& d : it.deps)
                if (d.s->completed < d.target) return false;
            return true;
        });
        OpP op = it.op;
        l.unlock();
        if (!sticky() && op->fn) op->fn();
        op.reset();
        l.lock();
        s->q.pop_front();
        s->completed++;
        S.cv.notify_all();
    }
}

StreamP newStream(unsigned flags, bool legacy) {
    auto s = std::make_shared<Stream>();
    s->flags = flags;
    s->legacy = legacy;
    std::thread(worker, s).detach();
    return s;
}

StreamP legacyStream() {
    Sched& S = sched();
    std::lock_guard<std::mutex> l(S.mu);
    if (!S.legacy) S.legacy = newStream(0, true);
    return S.legacy;
}
thread_local StreamP tl_perThread;

int resolveStream(CUstream h, StreamP& out) {
    uintptr_t v = (uintptr_t)h;
    if (v == 0 || v == 1) { out = legacyStream(); return OK; }
    if (v == 2) {
        if (!tl_perThread) {
            tl_perThread = newStream(0, false);
            std::lock_guard<std::mutex> l(sched().mu);
            sched().streams[tl_perThread.get()] = tl_perThread;
        }
        out = tl_perThread;
        return OK;
    }
    std::lock_guard<std::mutex> l(sched().mu);
    auto it = sched().streams.find((Stream*)h);
    if (it == sched().streams.end()) return E_INVALID_HANDLE;
    out = it->second;
    return OK;
}

// Queues op on s (or records it into s's capture). Returns the stream count the op completes at (0 when captured).
uint64_t enqueue(const StreamP& s, OpP op, std::vector<Dep> extra = {}) {
    Sched& S = sched();
    std::lock_guard<std::mutex> l(S.mu);
    if (s->capture) { s->capture->ops.push_back(std::move(op)); return 0; }
    Item it{std::move(op), std::move(extra)};
    if (s->legacy) {
        for (auto& kv : S.streams)
            if (kv.second->blocking() && kv.second->enqueued > kv.second->completed)
                it.deps.push_back({kv.second, kv.second->enqueued});
    } else if (s->blocking() && S.legacy && S.legacy->enqueued > S.legacy->completed) {
        it.deps.push_back({S.legacy, S.legacy->enqueued});
    }
    s->q.push_back(std::move(it));
    uint64_t target = ++s->enqueued;
    S.cv.notify_all();
    return target;
}
OpP makeOp(std::function<void()> fn) { auto o = std::make_shared<Op>(); o->fn = std::move(fn); return o; }

void waitFor(const StreamP& s, uint64_t target) {
    Sched& S = sched();
    std::unique_lock<std::mutex> l(S.mu);
    S.cv.wait(l, [&] { return s->completed >= target; });
}
void drain(const StreamP& s) {
    Sched& S = sched();
    std::unique_lock<std::mutex> l(S.mu);
    S.cv.wait(l, [&] { return s->completed >= s->enqueued; });
}
void drainAll() {
    std::vector<StreamP> all;
    {
        std::lock_guard<std::mutex> l(sched().mu);
        for (auto& kv : sched().streams) all.push_back(kv.second);
        if (sched().legacy) all.push_back(sched().legacy);
    }
    for (auto& s : all) drain(s);
}

// Runs op on the legacy stream and waits for it (the synchronous copies and memsets).
int runSync(std::function<void()> fn) {
    StreamP s = legacyStream();
    uint64_t t = enqueue(s, makeOp(std::move(fn)));
    waitFor(s, t);
    return sticky();
}

// ------------------------------------------------------------------ events

struct Event {
    unsigned flags = 0;
    StreamP s;
    uint64_t target = 0;
    bool recorded = false;
    std::chrono::steady_clock::time_point when;  // set by the worker (under sched().mu)
};
std::map<Event*, std::shared_ptr<Event>>& events() { static auto* m = new std::map<Event*, std::shared_ptr<Event>>; return *m; }
std::shared_ptr<Event> findEvent(CUevent h) {
    std::lock_guard<std::mutex> l(sched().mu);
    auto it = events().find((Event*)h);
    return it == events().end() ? nullptr : it->second;
}
bool eventDone(const Event& e) { return !e.recorded || e.s->completed >= e.target; }  // under sched().mu

// ------------------------------------------------------------------ modules, functions, launches

struct Function { const flvemu::KernelInfo* k; size_t dynLimit = flvemu::EMU_SHARED_DEFAULT; };
struct Module { std::set<std::string> only; std::map<std::string, Function*> fns; };
std::mutex g_objMu;
std::set<Module*> g_modules;
std::set<Function*> g_functions;
std::set<Graph*> g_graphs, g_execs;

std::mutex g_covMu;
// Never destroyed: the exit-time report (a destructor function) may run after static destructors.
std::map<std::string, uint64_t>& g_coverage = *new std::map<std::string, uint64_t>();

std::mutex g_schedMu;
std::vector<flvemu::Schedule> g_schedules;
bool g_schedulesSet = false;
std::atomic<uint64_t> g_launchSeq{0};

std::vector<flvemu::Schedule> parseSchedules(const char* spec) {
    std::vector<flvemu::Schedule> out;
    std::string s = spec ? spec : "";
    size_t pos = 0;
    int randoms = 0;
    while (pos <= s.size()) {
        size_t c = s.find(',', pos);
        if (c == std::string::npos) c = s.size();
        std::string w = s.substr(pos, c - pos);
        w.erase(std::remove_if(w.begin(), w.end(), [](char ch) { return ch == ' ' || ch == '\t'; }), w.end());
        flvemu::Schedule sc;
        if (w == "inorder" || w == "in-order") { sc.order = flvemu::Order::InOrder; out.push_back(sc); }
        else if (w == "reverse" || w == "reversed") { sc.order = flvemu::Order::Reverse; out.push_back(sc); }
        else if (w == "random") { sc.order = flvemu::Order::Random; sc.seed = (uint64_t)++randoms; out.push_back(sc); }
        else if (!w.empty()) complain("unknown schedule '%s' in FLUVIA_EMU_SCHEDULES (use inorder, reverse, random)", w.c_str());
        pos = c + 1;
    }
    if (out.empty()) out.push_back(flvemu::Schedule{});
    return out;
}
std::vector<flvemu::Schedule> schedules() {
    std::lock_guard<std::mutex> l(g_schedMu);
    if (!g_schedulesSet) {
        const char* e = getenv("FLUVIA_EMU_SCHEDULES");
        g_schedules = parseSchedules(e ? e : "inorder,reverse,random");
        g_schedulesSet = true;
    }
    return g_schedules;
}
bool raceFree(const char* name) {
    const char* e = getenv("FLUVIA_EMU_RACE_FREE");  // comma-separated kernel names, or *
    if (!e || !*e) return false;
    std::string list = std::string(",") + e + ",";
    return list == ",*," || list.find(std::string(",") + name + ",") != std::string::npos;
}

uint64_t mix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

struct Launch {
    const flvemu::KernelInfo* k;
    flvemu::Dim3 grid, block;
    size_t smem;
    std::vector<unsigned char> buf;
    std::vector<size_t> offs;
};

std::string firstDifference(const Alloc& a, const unsigned char* x, const unsigned char* y) {
    for (uint64_t i = 0; i < a.size; i++) {
        if (x[i] == y[i]) continue;
        uint64_t fi = i / 4;
        std::string s = fmt("allocation 0x%llx (size %llu) first differs at byte offset %llu", (unsigned long long)a.base,
                            (unsigned long long)a.size, (unsigned long long)i);
        if (fi * 4 + 4 <= a.size) {
            float fx, fy;
            memcpy(&fx, x + fi * 4, 4);
            memcpy(&fy, y + fi * 4, 4);
            s += fmt(" (float index %llu: %.9g vs %.9g)", (unsigned long long)fi, fx, fy);
        }
        return s;
    }
    return "";
}

void executeLaunch(const Launch& L) {
    const flvemu::KernelInfo& k = *L.k;
    std::vector<void*> args(L.offs.size());
    for (size_t i = 0; i < L.offs.size(); i++) args[i] = (void*)(L.buf.data() + L.offs[i]);
    // The allocations this launch can reach.
    std::vector<Alloc> allocs;
    {
        std::lock_guard<std::mutex> l(mem().mu);
        for (int i = 0; i < k.nparams; i++) {
            if (!k.params[i].pointer) continue;
            uint64_t v = 0;
            memcpy(&v, args[i], std::min<size_t>(8, k.params[i].size));
            if (!v) continue;
            const Alloc* a = findLive(v, 0);
            if (!a) {
                std::string d = describeLocked(v);
                mem().mu.unlock();
                raiseFault(E_ILLEGAL_ADDRESS, fmt("kernel %s: parameter %d (%s) = 0x%llx is not inside a live device allocation: %s",
                                                  k.name, i, k.params[i].ctype, (unsigned long long)v, d.c_str()));
                mem().mu.lock();
                return;
            }
            bool dup = false;
            for (auto& b : allocs) dup |= b.base == a->base;
            if (!dup) allocs.push_back(*a);
        }
    }
    {
        std::lock_guard<std::mutex> l(g_covMu);
        g_coverage[k.name]++;
    }
    std::vector<flvemu::Schedule> scheds = schedules();
    if (raceFree(k.name)) scheds.resize(1);
    uint64_t seq = g_launchSeq.fetch_add(1);
    for (auto& s : scheds)
        if (s.order == flvemu::Order::Random) s.seed = mix64(seq * 1315423911ull + s.seed);
    std::vector<std::vector<unsigned char>> before, first;
    if (scheds.size() > 1)
        for (auto& a : allocs) before.emplace_back((unsigned char*)a.base, (unsigned char*)(a.base + a.size));
    for (size_t si = 0; si < scheds.size(); si++) {
        if (si > 0)
            for (size_t j = 0; j < allocs.size(); j++) memcpy((void*)allocs[j].base, before[j].data(), allocs[j].size);
        flvemu::Fault f = flvemu::runGrid(k, L.grid, L.block, L.smem, args.data(), scheds[si]);
        if (f) {
            std::string m = f.message.find(k.name) == std::string::npos ? fmt("kernel %s: ", k.name) + f.message : f.message;
            if (si > 0) m += " (under schedule " + flvemu::describe(scheds[si]) + ")";
            raiseFault(f.code, m);
            return;
        }
        for (auto& a : allocs) {
            long long off = 0;
            if (guardDamaged(a, &off)) {
                raiseFault(E_ILLEGAL_ADDRESS,
                           fmt("kernel %s: wrote outside allocation 0x%llx (size %llu): guard zone damaged at offset %lld%s",
                               k.name, (unsigned long long)a.base, (unsigned long long)a.size, off,
                               si > 0 ? (" (under schedule " + flvemu::describe(scheds[si]) + ")").c_str() : ""));
                return;
            }
        }
        if (scheds.size() == 1) break;
        if (si == 0) {
            for (auto& a : allocs) first.emplace_back((unsigned char*)a.base, (unsigned char*)(a.base + a.size));
        } else {
            for (size_t j = 0; j < allocs.size(); j++) {
                if (memcmp(first[j].data(), (void*)allocs[j].base, allocs[j].size) == 0) continue;
                std::string d = firstDifference(allocs[j], first[j].data(), (const unsigned char*)allocs[j].base);
                raiseFault(E_LAUNCH_FAILED, fmt("kernel %s: results differ between schedules %s and %s: %s — a missing "
                                                "__syncthreads/__syncwarp or a data race",
                                                k.name, flvemu::describe(scheds[0]).c_str(),
                                                flvemu::describe(scheds[si]).c_str(), d.c_str()));
                return;
            }
        }
    }
}

// ------------------------------------------------------------------ coverage at exit

std::string coverageText() {
    std::map<std::string, uint64_t> cov;
    {
        std::lock_guard<std::mutex> l(g_covMu);
        cov = g_coverage;
    }
    std::string out;
    for (int i = 0; i < flvemu::kernelCount(); i++) {
        const char* n = flvemu::kernelAt(i).name;
        auto it = cov.find(n);
        out += fmt("%s %llu\n", n, (unsigned long long)(it == cov.end() ? 0 : it->second));
    }
    return out;
}

__attribute__((destructor)) void atExit() {
    if (!g_init.load()) return;
    std::string cov = coverageText();
    if (const char* f = getenv("FLUVIA_EMU_COVERAGE_FILE")) {
        if (FILE* fp = fopen(f, "a")) { fputs(cov.c_str(), fp); fclose(fp); }
        else complain("cannot append coverage to %s", f);
        return;
    }
    int ran = 0, total = 0;
    std::string table;
    size_t pos = 0;
    while (pos < cov.size()) {
        size_t nl = cov.find('\n', pos);
        std::string line = cov.substr(pos, nl - pos);
        pos = nl + 1;
        size_t sp = line.rfind(' ');
        unsigned long long c = strtoull(line.c_str() + sp + 1, nullptr, 10);
        total++;
        if (c) ran++;
        table += fmt("  %-48s %10llu\n", line.substr(0, sp).c_str(), c);
    }
    fprintf(stderr, "fluvia-emu: kernel coverage (%d of %d kernels launched):\n%s", ran, total, table.c_str());
}

}  // namespace

// ================================================================== the driver API

API CUresult cuInit(unsigned flags) {
    if (flags != 0) return E_INVALID_VALUE;
    std::lock_guard<std::mutex> l(mem().mu);
    if (!reserveArena()) { complain("cuInit: cannot reserve the device address range"); return E_OUT_OF_MEMORY; }
    g_init.store(true);
    return OK;
}

API CUresult cuDriverGetVersion(int* v) {
    if (!v) return E_INVALID_VALUE;
    *v = 13000;
    return OK;
}

API CUresult cuDeviceGetCount(int* n) {
    REQUIRE(needInit());
    if (!n) return E_INVALID_VALUE;
    *n = 1;
    return OK;
}

API CUresult cuDeviceGet(CUdevice* d, int ordinal) {
    REQUIRE(needInit());
    if (!d) return E_INVALID_VALUE;
    if (ordinal != 0) return E_INVALID_DEVICE;
    *d = 0;
    return OK;
}

API CUresult cuDeviceGetName(char* name, int len, CUdevice d) {
    REQUIRE(needInit());
    if (!name || len <= 0) return E_INVALID_VALUE;
    if (d != 0) return E_INVALID_DEVICE;
    snprintf(name, (size_t)len, "%s", "Fluvia CUDA emulator (CPU)");
    return OK;
}

API CUresult cuDeviceGetAttribute(int* v, int attrib, CUdevice d) {
    REQUIRE(needInit());
    if (!v) return E_INVALID_VALUE;
    if (d != 0) return E_INVALID_DEVICE;
    if (attrib <= 0 || attrib > 150) return E_INVALID_VALUE;
    int r = 0;
    switch (attrib) {
        case 1: r = 1024; break;         // MAX_THREADS_PER_BLOCK
        case 2: case 3: r = 1024; break; // MAX_BLOCK_DIM_X, Y
        case 4: r = 64; break;           // MAX_BLOCK_DIM_Z
        case 5: r = 2147483647; break;   // MAX_GRID_DIM_X
        case 6: case 7: r = 65535; break;
        case 8: r = 49152; break;        // MAX_SHARED_MEMORY_PER_BLOCK
        case 9: r = 65536; break;        // TOTAL_CONSTANT_MEMORY
        case 10: r = 32; break;          // WARP_SIZE
        case 11: r = 2147483647; break;  // MAX_PITCH
        case 12: r = 65536; break;       // MAX_REGISTERS_PER_BLOCK
        case 13: r = 1980000; break;     // CLOCK_RATE (kHz)
        case 14: r = 512; break;         // TEXTURE_ALIGNMENT
        case 15: r = 1; break;           // GPU_OVERLAP
        case 16: r = 2; break;           // MULTIPROCESSOR_COUNT
        case 19: r = 1; break;           // CAN_MAP_HOST_MEMORY
        case 30: r = 512; break;         // SURFACE_ALIGNMENT
        case 31: r = 1; break;           // CONCURRENT_KERNELS
        case 36: r = 2619000; break;     // MEMORY_CLOCK_RATE
        case 37: r = 5120; break;        // GLOBAL_MEMORY_BUS_WIDTH
        case 38: r = 50331648; break;    // L2_CACHE_SIZE
        case 39: r = 2048; break;        // MAX_THREADS_PER_MULTIPROCESSOR
        case 40: r = 2; break;           // ASYNC_ENGINE_COUNT
        case 41: r = 1; break;           // UNIFIED_ADDRESSING
        case 75: r = 9; break;           // COMPUTE_CAPABILITY_MAJOR
        case 76: r = 0; break;           // COMPUTE_CAPABILITY_MINOR
        case 81: r = 233472; break;      // MAX_SHARED_MEMORY_PER_MULTIPROCESSOR
        case 82: r = 65536; break;       // MAX_REGISTERS_PER_MULTIPROCESSOR
        case 95: r = 1; break;           // COOPERATIVE_LAUNCH
        case 97: r = (int)flvemu::EMU_SHARED_OPTIN; break;  // MAX_SHARED_MEMORY_PER_BLOCK_OPTIN
        case 106: r = 32; break;         // MAX_BLOCKS_PER_MULTIPROCESSOR
        default: r = 0;
    }
    *v = r;
    return OK;
}

API CUresult cuDeviceComputeCapability(int* major, int* minor, CUdevice d) {
    REQUIRE(needInit());
    if (!major || !minor) return E_INVALID_VALUE;
    if (d != 0) return E_INVALID_DEVICE;
    *major = 9;
    *minor = 0;
    return OK;
}

API CUresult cuDeviceTotalMem_v2(size_t* bytes, CUdevice d) {
    REQUIRE(needInit());
    if (!bytes) return E_INVALID_VALUE;
    if (d != 0) return E_INVALID_DEVICE;
    *bytes = mem().cap;
    return OK;
}

API CUresult cuDevicePrimaryCtxRetain(CUcontext* ctx, CUdevice d) {
    REQUIRE(needInit());
    if (!ctx) return E_INVALID_VALUE;
    if (d != 0) return E_INVALID_DEVICE;
    g_primary.refs++;
    g_primary.active.store(true);
    *ctx = (CUcontext)&g_primary;
    return OK;
}

API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) {
    REQUIRE(needInit());
    if (d != 0) return E_INVALID_DEVICE;
    if (g_primary.refs.load() <= 0) return E_INVALID_CONTEXT;
    if (--g_primary.refs == 0) {
        drainAll();
        g_primary.active.store(false);
    }
    return OK;
}

API CUresult cuDevicePrimaryCtxGetState(CUdevice d, unsigned* flags, int* active) {
    REQUIRE(needInit());
    if (d != 0) return E_INVALID_DEVICE;
    if (!flags || !active) return E_INVALID_VALUE;
    *flags = 0;
    *active = g_primary.active.load() ? 1 : 0;
    return OK;
}

API CUresult cuCtxSetCurrent(CUcontext ctx) {
    REQUIRE(needInit());
    if (ctx && ctx != (CUcontext)&g_primary) return E_INVALID_CONTEXT;
    tl_ctx = (Ctx*)ctx;
    return OK;
}

API CUresult cuCtxGetCurrent(CUcontext* ctx) {
    REQUIRE(needInit());
    if (!ctx) return E_INVALID_VALUE;
    *ctx = (tl_ctx && tl_ctx->active.load()) ? (CUcontext)tl_ctx : nullptr;
    return OK;
}

API CUresult cuCtxGetDevice(CUdevice* d) {
    REQUIRE(needCtx());
    if (!d) return E_INVALID_VALUE;
    *d = 0;
    return OK;
}

API CUresult cuCtxSynchronize() {
    REQUIRE(needCtx());
    drainAll();
    return sticky();
}

// ------------------------------------------------------------------ memory

API CUresult cuMemAlloc_v2(CUdeviceptr* dptr, size_t bytes) {
    REQUIRE(needCtx());
    if (!dptr || bytes == 0) return E_INVALID_VALUE;
    Memory& m = mem();
    std::lock_guard<std::mutex> l(m.mu);
    if (bytes > m.cap || m.used + bytes > m.cap) return E_OUT_OF_MEMORY;
    uint64_t regionSize = roundUp(GUARD + roundUp(bytes, GUARD) + GUARD, pageSize());
    if (m.next + regionSize > m.arenaBase + m.arenaSize) {
        complain("cuMemAlloc_v2: the emulator's device address range is exhausted (addresses are never reused)");
        return E_OUT_OF_MEMORY;
    }
    uint64_t region = m.next;
    if (mprotect((void*)region, regionSize, PROT_READ | PROT_WRITE) != 0) return E_OUT_OF_MEMORY;
    m.next += regionSize + pageSize();  // one PROT_NONE page between allocations
    Alloc a{region + GUARD, bytes, region, regionSize};
    memset((void*)region, CANARY, GUARD);
    memset((void*)a.base, 0xFF, bytes);
    memset((void*)(a.base + bytes), CANARY, region + regionSize - (a.base + bytes));
    m.live[a.base] = a;
    m.used += bytes;
    *dptr = a.base;
    return OK;
}

API CUresult cuMemFree_v2(CUdeviceptr p) {
    REQUIRE(needCtx());
    if (p == 0) return OK;
    drainAll();  // as cudaFree: waits for the device's work
    Memory& m = mem();
    std::lock_guard<std::mutex> l(m.mu);
    auto it = m.live.find(p);
    if (it == m.live.end()) {
        complain("cuMemFree_v2: 0x%llx is not the start of a live device allocation: %s", (unsigned long long)p,
                 describeLocked(p).c_str());
        return E_INVALID_VALUE;
    }
    Alloc a = it->second;
    m.live.erase(it);
    m.freed[a.base] = a;
    m.used -= a.size;
    madvise((void*)a.region, a.regionSize, MADV_DONTNEED);
    mprotect((void*)a.region, a.regionSize, PROT_NONE);
    return OK;
}

API CUresult cuMemGetInfo_v2(size_t* freeBytes, size_t* total) {
    REQUIRE(needCtx());
    if (!freeBytes || !total) return E_INVALID_VALUE;
    std::lock_guard<std::mutex> l(mem().mu);
    *total = mem().cap;
    *freeBytes = mem().cap - mem().used;
    return OK;
}

API CUresult cuMemHostAlloc(void** pp, size_t bytes, unsigned flags) {
    REQUIRE(needCtx());
    if (!pp || (flags & ~0xFu)) return E_INVALID_VALUE;
    if (bytes == 0) { *pp = nullptr; return OK; }
    void* p = nullptr;
    if (posix_memalign(&p, 4096, bytes) != 0) return E_OUT_OF_MEMORY;
    memset(p, 0xFF, bytes);
    std::lock_guard<std::mutex> l(mem().mu);
    mem().host.insert(p);
    *pp = p;
    return OK;
}

API CUresult cuMemAllocHost_v2(void** pp, size_t bytes) { return cuMemHostAlloc(pp, bytes, 0); }

API CUresult cuMemFreeHost(void* p) {
    REQUIRE(needCtx());
    if (!p) return OK;
    drainAll();
    std::lock_guard<std::mutex> l(mem().mu);
    auto it = mem().host.find(p);
    if (it == mem().host.end()) {
        complain("cuMemFreeHost: %p was not allocated by cuMemHostAlloc/cuMemAllocHost", p);
        return E_INVALID_VALUE;
    }
    mem().host.erase(it);
    free(p);
    return OK;
}

namespace {
// Re-checks at execution time (an allocation may have gone since the call); sticky fault when it has.
bool stillLive(const char* call, uint64_t p, uint64_t bytes) {
    std::lock_guard<std::mutex> l(mem().mu);
    if (findLive(p, bytes)) return true;
    std::string d = describeLocked(p);
    mem().mu.unlock();
    raiseFault(E_ILLEGAL_ADDRESS, fmt("%s: device range 0x%llx +%llu is no longer inside a live allocation: %s", call,
                                      (unsigned long long)p, (unsigned long long)bytes, d.c_str()));
    mem().mu.lock();
    return false;
}

int copyHtoD(const char* call, CUdeviceptr dst, const void* src, size_t n, CUstream h, bool async) {
    REQUIRE(needCtx());
    REQUIRE(checkHostPtr(call, "source", src, n));
    if (n == 0) return OK;
    REQUIRE(checkDeviceRange(call, "destination", dst, n));
    auto fn = [=] { if (stillLive(call, dst, n)) memcpy((void*)dst, src, n); };
    if (!async) return runSync(fn);
    StreamP s;
    REQUIRE(resolveStream(h, s));
    enqueue(s, makeOp(fn));
    return OK;
}
int copyDtoH(const char* call, void* dst, CUdeviceptr src, size_t n, CUstream h, bool async) {
    REQUIRE(needCtx());
    REQUIRE(checkHostPtr(call, "destination", dst, n));
    if (n == 0) return OK;
    REQUIRE(checkDeviceRange(call, "source", src, n));
    auto fn = [=] { if (stillLive(call, src, n)) memcpy(dst, (const void*)src, n); };
    if (!async) return runSync(fn);
    StreamP s;
    REQUIRE(resolveStream(h, s));
    enqueue(s, makeOp(fn));
    return OK;
}
int copyDtoD(const char* call, CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream h, bool async) {
    REQUIRE(needCtx());
    if (n == 0) return OK;
    REQUIRE(checkDeviceRange(call, "destination", dst, n));
    REQUIRE(checkDeviceRange(call, "source", src, n));
    auto fn = [=] { if (stillLive(call, dst, n) && stillLive(call, src, n)) memmove((void*)dst, (const void*)src, n); };
    if (!async) return runSync(fn);
    StreamP s;
    REQUIRE(resolveStream(h, s));
    enqueue(s, makeOp(fn));
    return OK;
}
int memsetN(const char* call, CUdeviceptr dst, unsigned value, size_t count, unsigned width, CUstream h, bool async) {
    REQUIRE(needCtx());
    if (count == 0) return OK;
    if (dst % width) { complain("%s: 0x%llx is not %u-byte aligned", call, (unsigned long long)dst, width); return E_INVALID_VALUE; }
    REQUIRE(checkDeviceRange(call, "destination", dst, count * width));
    auto fn = [=] {
        if (!stillLive(call, dst, count * width)) return;
        if (width == 1) { memset((void*)dst, (int)(value & 0xFF), count); return; }
        if (width == 2) { uint16_t v = (uint16_t)value; for (size_t i = 0; i < count; i++) memcpy((char*)dst + 2 * i, &v, 2); return; }
        uint32_t v = value;
        for (size_t i = 0; i < count; i++) memcpy((char*)dst + 4 * i, &v, 4);
    };
    if (!async) return runSync(fn);
    StreamP s;
    REQUIRE(resolveStream(h, s));
    enqueue(s, makeOp(fn));
    return OK;
}
}  // namespace

API CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void* src, size_t n) { return copyHtoD("cuMemcpyHtoD_v2", dst, src, n, nullptr, false); }
API CUresult cuMemcpyDtoH_v2(void* dst, CUdeviceptr src, size_t n) { return copyDtoH("cuMemcpyDtoH_v2", dst, src, n, nullptr, false); }
API CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) { return copyDtoD("cuMemcpyDtoD_v2", dst, src, n, nullptr, false); }
API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void* src, size_t n, CUstream s) { return copyHtoD("cuMemcpyHtoDAsync_v2", dst, src, n, s, true); }
API CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, CUstream s) { return copyDtoH("cuMemcpyDtoHAsync_v2", dst, src, n, s, true); }
API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, CUstream s) { return copyDtoD("cuMemcpyDtoDAsync_v2", dst, src, n, s, true); }
API CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n) { return memsetN("cuMemsetD8_v2", d, v, n, 1, nullptr, false); }
API CUresult cuMemsetD16_v2(CUdeviceptr d, unsigned short v, size_t n) { return memsetN("cuMemsetD16_v2", d, v, n, 2, nullptr, false); }
API CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned v, size_t n) { return memsetN("cuMemsetD32_v2", d, v, n, 4, nullptr, false); }
API CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, CUstream s) { return memsetN("cuMemsetD8Async", d, v, n, 1, s, true); }
API CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n, CUstream s) { return memsetN("cuMemsetD16Async", d, v, n, 2, s, true); }
API CUresult cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, CUstream s) { return memsetN("cuMemsetD32Async", d, v, n, 4, s, true); }

// ------------------------------------------------------------------ streams

API CUresult cuStreamCreate(CUstream* ph, unsigned flags) {
    REQUIRE(needCtx());
    if (!ph || (flags & ~1u)) return E_INVALID_VALUE;
    StreamP s = newStream(flags, false);
    std::lock_guard<std::mutex> l(sched().mu);
    sched().streams[s.get()] = s;
    *ph = (CUstream)s.get();
    return OK;
}

API CUresult cuStreamCreateWithPriority(CUstream* ph, unsigned flags, int) { return cuStreamCreate(ph, flags); }

API CUresult cuStreamDestroy_v2(CUstream h) {
    REQUIRE(needCtx());
    StreamP s;
    if ((uintptr_t)h <= 2) return E_INVALID_HANDLE;
    REQUIRE(resolveStream(h, s));
    {
        std::lock_guard<std::mutex> l(sched().mu);
        if (s->capture) return E_CAPTURE_UNSUPPORTED;
        sched().streams.erase(s.get());
    }
    drain(s);  // a real device finishes the stream's work; the handle is invalid from now on
    std::lock_guard<std::mutex> l(sched().mu);
    s->stop = true;
    sched().cv.notify_all();
    return OK;
}

API CUresult cuStreamGetFlags(CUstream h, unsigned* flags) {
    REQUIRE(needCtx());
    if (!flags) return E_INVALID_VALUE;
    StreamP s;
    REQUIRE(resolveStream(h, s));
    *flags = s->flags;
    return OK;
}

API CUresult cuStreamSynchronize(CUstream h) {
    REQUIRE(needCtx());
    StreamP s;
    REQUIRE(resolveStream(h, s));
    {
        std::lock_guard<std::mutex> l(sched().mu);
        if (s->capture) return E_CAPTURE_UNSUPPORTED;
    }
    if (s->legacy) {
        uint64_t t = enqueue(s, makeOp(nullptr));  // a barrier: waits for the blocking streams' earlier work too
        waitFor(s, t);
    } else {
        drain(s);
    }
    return sticky();
}

API CUresult cuStreamQuery(CUstream h) {
    REQUIRE(needCtx());
    StreamP s;
    REQUIRE(resolveStream(h, s));
    std::lock_guard<std::mutex> l(sched().mu);
    if (s->capture) return E_CAPTURE_UNSUPPORTED;
    return s->completed >= s->enqueued ? OK : E_NOT_READY;
}

API CUresult cuStreamWaitEvent(CUstream h, CUevent e, unsigned flags) {
    REQUIRE(needCtx());
    if (flags != 0) return E_INVALID_VALUE;
    StreamP s;
    REQUIRE(resolveStream(h, s));
    std::shared_ptr<Event> ev = findEvent(e);
    if (!ev) return E_INVALID_HANDLE;
    Dep d;
    {
        std::lock_guard<std::mutex> l(sched().mu);
        if (!ev->recorded) return OK;  // waiting for a never-recorded event is a no-op
        if (s->capture) {
            complain("cuStreamWaitEvent: waiting on an event inside stream capture is not supported by the emulator");
            return E_NOT_SUPPORTED;
        }
        d = Dep{ev->s, ev->target};
    }
    enqueue(s, makeOp(nullptr), {d});
    return OK;
}

// ------------------------------------------------------------------ events

API CUresult cuEventCreate(CUevent* ph, unsigned flags) {
    REQUIRE(needCtx());
    if (!ph || (flags & ~0x7u)) return E_INVALID_VALUE;
    auto e = std::make_shared<Event>();
    e->flags = flags;
    std::lock_guard<std::mutex> l(sched().mu);
    events()[e.get()] = e;
    *ph = (CUevent)e.get();
    return OK;
}

API CUresult cuEventDestroy_v2(CUevent h) {
    REQUIRE(needCtx());
    std::lock_guard<std::mutex> l(sched().mu);
    if (!events().erase((Event*)h)) return E_INVALID_HANDLE;
    return OK;
}

API CUresult cuEventRecord(CUevent h, CUstream hs) {
    REQUIRE(needCtx());
    std::shared_ptr<Event> e = findEvent(h);
    if (!e) return E_INVALID_HANDLE;
    StreamP s;
    REQUIRE(resolveStream(hs, s));
    Sched& S = sched();
    std::lock_guard<std::mutex> l(S.mu);
    if (s->capture) {
        complain("cuEventRecord: recording an event inside stream capture is not supported by the emulator");
        return E_NOT_SUPPORTED;
    }
    // As enqueue(), inlined because the event's fields are written under the same lock.
    std::weak_ptr<Event> we = e;
    Item it{makeOp([we] {
                auto ev = we.lock();
                if (!ev) return;
                std::lock_guard<std::mutex> l2(sched().mu);
                ev->when = std::chrono::steady_clock::now();
            }),
            {}};
    if (s->legacy) {
        for (auto& kv : S.streams)
            if (kv.second->blocking() && kv.second->enqueued > kv.second->completed)
                it.deps.push_back({kv.second, kv.second->enqueued});
    } else if (s->blocking() && S.legacy && S.legacy->enqueued > S.legacy->completed) {
        it.deps.push_back({S.legacy, S.legacy->enqueued});
    }
    s->q.push_back(std::move(it));
    e->s = s;
    e->target = ++s->enqueued;
    e->recorded = true;
    S.cv.notify_all();
    return OK;
}

API CUresult cuEventQuery(CUevent h) {
    REQUIRE(needCtx());
    std::shared_ptr<Event> e = findEvent(h);
    if (!e) return E_INVALID_HANDLE;
    std::lock_guard<std::mutex> l(sched().mu);
    return eventDone(*e) ? OK : E_NOT_READY;
}

API CUresult cuEventSynchronize(CUevent h) {
    REQUIRE(needCtx());
    std::shared_ptr<Event> e = findEvent(h);
    if (!e) return E_INVALID_HANDLE;
    std::unique_lock<std::mutex> l(sched().mu);
    sched().cv.wait(l, [&] { return eventDone(*e); });
    return sticky();
}

API CUresult cuEventElapsedTime(float* ms, CUevent a, CUevent b) {
    REQUIRE(needCtx());
    if (!ms) return E_INVALID_VALUE;
    std::shared_ptr<Event> ea = findEvent(a), eb = findEvent(b);
    if (!ea || !eb) return E_INVALID_HANDLE;
    std::lock_guard<std::mutex> l(sched().mu);
    if ((ea->flags | eb->flags) & 2) return E_INVALID_HANDLE;  // CU_EVENT_DISABLE_TIMING
    if (!ea->recorded || !eb->recorded) return E_INVALID_HANDLE;
    if (!eventDone(*ea) || !eventDone(*eb)) return E_NOT_READY;
    *ms = std::chrono::duration<float, std::milli>(eb->when - ea->when).count();
    return OK;
}

// ------------------------------------------------------------------ modules and launches

API CUresult cuModuleLoadData(CUmodule* pm, const void* image) {
    REQUIRE(needCtx());
    if (!pm || !image) return E_INVALID_VALUE;
    const unsigned char* b = (const unsigned char*)image;
    auto* m = new Module;
    static const char kEmu[] = "FLUVIA-EMU-MODULE";
    if (b[0] == 0x50 && b[1] == 0xED && b[2] == 0x55 && b[3] == 0xBA) {
        // an nvcc fatbin: its kernels are the registry's (compiled from the same kernels/*.cu)
    } else if (memcmp(b, kEmu, sizeof kEmu - 1) == 0) {
        // "FLUVIA-EMU-MODULE\n" then optionally kernel names, one a line: the module offers only those
        const char* p = (const char*)b + sizeof kEmu - 1;
        while (*p) {
            const char* e = p;
            while (*e && *e != '\n') e++;
            std::string name(p, e);
            while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) name.pop_back();
            if (!name.empty()) m->only.insert(name);
            p = *e ? e + 1 : e;
        }
    } else {
        delete m;
        complain("cuModuleLoadData: the image is neither an nvcc fatbin nor a FLUVIA-EMU-MODULE text");
        return E_INVALID_IMAGE;
    }
    std::lock_guard<std::mutex> l(g_objMu);
    g_modules.insert(m);
    *pm = (CUmodule)m;
    return OK;
}

API CUresult cuModuleUnload(CUmodule h) {
    REQUIRE(needCtx());
    std::lock_guard<std::mutex> l(g_objMu);
    if (!g_modules.erase((Module*)h)) return E_INVALID_HANDLE;
    // Functions stay allocated (queued launches may still name them) but are no longer valid handles.
    for (auto& kv : ((Module*)h)->fns) g_functions.erase(kv.second);
    return OK;
}

API CUresult cuModuleGetFunction(CUfunction* pf, CUmodule h, const char* name) {
    REQUIRE(needCtx());
    if (!pf || !name) return E_INVALID_VALUE;
    std::lock_guard<std::mutex> l(g_objMu);
    if (!g_modules.count((Module*)h)) return E_INVALID_HANDLE;
    Module* m = (Module*)h;
    auto it = m->fns.find(name);
    if (it != m->fns.end()) { *pf = (CUfunction)it->second; return OK; }
    const flvemu::KernelInfo* k = flvemu::findKernel(name);
    if (!k || (!m->only.empty() && !m->only.count(name))) return E_NOT_FOUND;
    auto* f = new Function{k};
    m->fns[name] = f;
    g_functions.insert(f);
    *pf = (CUfunction)f;
    return OK;
}

API CUresult cuFuncSetAttribute(CUfunction h, int attrib, int value) {
    REQUIRE(needCtx());
    std::lock_guard<std::mutex> l(g_objMu);
    if (!g_functions.count((Function*)h)) return E_INVALID_HANDLE;
    Function* f = (Function*)h;
    if (attrib == 8) {  // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
        if (value < 0 || (size_t)value > flvemu::EMU_SHARED_OPTIN) return E_INVALID_VALUE;
        f->dynLimit = (size_t)value;
        return OK;
    }
    if (attrib == 9) return (value < -1 || value > 100) ? E_INVALID_VALUE : OK;  // PREFERRED_SHARED_MEMORY_CARVEOUT
    return E_INVALID_VALUE;
}

API CUresult cuFuncGetAttribute(int* v, int attrib, CUfunction h) {
    REQUIRE(needCtx());
    if (!v) return E_INVALID_VALUE;
    std::lock_guard<std::mutex> l(g_objMu);
    if (!g_functions.count((Function*)h)) return E_INVALID_HANDLE;
    Function* f = (Function*)h;
    switch (attrib) {
        case 0: *v = f->k->maxThreads; return OK;  // MAX_THREADS_PER_BLOCK
        case 1: case 2: case 3: *v = 0; return OK; // SHARED/CONST/LOCAL_SIZE_BYTES
        case 4: *v = 32; return OK;                // NUM_REGS
        case 5: case 6: *v = 90; return OK;        // PTX_VERSION, BINARY_VERSION
        case 7: *v = 0; return OK;                 // CACHE_MODE_CA
        case 8: *v = (int)f->dynLimit; return OK;
        case 9: *v = -1; return OK;
        default: return E_INVALID_VALUE;
    }
}

API CUresult cuLaunchKernel(CUfunction h, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                            unsigned smem, CUstream hs, void** params, void** extra) {
    REQUIRE(needCtx());
    Function* f;
    {
        std::lock_guard<std::mutex> l(g_objMu);
        if (!g_functions.count((Function*)h)) return E_INVALID_HANDLE;
        f = (Function*)h;
    }
    const flvemu::KernelInfo& k = *f->k;
    if (extra) {
        complain("cuLaunchKernel %s: the 'extra' parameter buffer is not supported by the emulator (use kernelParams)", k.name);
        return E_NOT_SUPPORTED;
    }
    Launch L;
    L.k = &k;
    L.grid = flvemu::Dim3{gx, gy, gz};
    L.block = flvemu::Dim3{bx, by, bz};
    L.smem = smem;
    flvemu::Fault fc = flvemu::checkLaunch(k, L.grid, L.block, smem, f->dynLimit);
    if (fc) { complain("cuLaunchKernel: %s", fc.message.c_str()); return fc.code; }
    if (k.nparams > 0 && !params) { complain("cuLaunchKernel %s: kernelParams is null but the kernel takes %d parameters", k.name, k.nparams); return E_INVALID_VALUE; }
    size_t off = 0;
    for (int i = 0; i < k.nparams; i++) {
        unsigned al = std::max(1u, k.params[i].align);
        off = roundUp(off, al);
        L.offs.push_back(off);
        off += k.params[i].size;
    }
    L.buf.assign(roundUp(off, 16) + 16, 0);
    for (int i = 0; i < k.nparams; i++) {
        if (!params[i]) { complain("cuLaunchKernel %s: kernelParams[%d] is null", k.name, i); return E_INVALID_VALUE; }
        memcpy(L.buf.data() + L.offs[i], params[i], k.params[i].size);  // JCuda frees the values after the call
        if (k.params[i].pointer) {
            uint64_t v = 0;
            memcpy(&v, params[i], std::min<size_t>(8, k.params[i].size));
            if (v) {
                std::lock_guard<std::mutex> l(mem().mu);
                if (!findLive(v, 0)) {
                    complain("cuLaunchKernel %s: parameter %d (%s) = 0x%llx is not inside a live device allocation: %s", k.name, i,
                             k.params[i].ctype, (unsigned long long)v, describeLocked(v).c_str());
                    return E_INVALID_VALUE;
                }
            }
        }
    }
    StreamP s;
    REQUIRE(resolveStream(hs, s));
    auto shared = std::make_shared<Launch>(std::move(L));
    enqueue(s, makeOp([shared] { executeLaunch(*shared); }));
    return OK;
}

// ------------------------------------------------------------------ stream capture and graphs

API CUresult cuStreamBeginCapture_v2(CUstream h, int mode) {
    REQUIRE(needCtx());
    if (mode < 0 || mode > 2) return E_INVALID_VALUE;
    StreamP s;
    REQUIRE(resolveStream(h, s));
    if (s->legacy) return E_CAPTURE_UNSUPPORTED;
    std::lock_guard<std::mutex> l(sched().mu);
    if (s->capture) return E_ILLEGAL_STATE;
    s->capture = new Graph;
    return OK;
}

API CUresult cuStreamEndCapture(CUstream h, CUgraph* pg) {
    REQUIRE(needCtx());
    if (!pg) return E_INVALID_VALUE;
    StreamP s;
    REQUIRE(resolveStream(h, s));
    Graph* g;
    {
        std::lock_guard<std::mutex> l(sched().mu);
        if (!s->capture) return E_ILLEGAL_STATE;
        g = s->capture;
        s->capture = nullptr;
    }
    std::lock_guard<std::mutex> l(g_objMu);
    g_graphs.insert(g);
    *pg = (CUgraph)g;
    return OK;
}

API CUresult cuStreamIsCapturing(CUstream h, int* status) {
    REQUIRE(needCtx());
    if (!status) return E_INVALID_VALUE;
    StreamP s;
    REQUIRE(resolveStream(h, s));
    std::lock_guard<std::mutex> l(sched().mu);
    *status = s->capture ? 1 : 0;  // CU_STREAM_CAPTURE_STATUS_NONE / ACTIVE
    return OK;
}

API CUresult cuGraphInstantiateWithFlags(CUgraphExec* pe, CUgraph hg, unsigned long long flags) {
    REQUIRE(needCtx());
    if (!pe) return E_INVALID_VALUE;
    (void)flags;
    std::lock_guard<std::mutex> l(g_objMu);
    if (!g_graphs.count((Graph*)hg)) return E_INVALID_HANDLE;
    auto* e = new Graph(*(Graph*)hg);
    g_execs.insert(e);
    *pe = (CUgraphExec)e;
    return OK;
}

API CUresult cuGraphLaunch(CUgraphExec he, CUstream hs) {
    REQUIRE(needCtx());
    StreamP s;
    REQUIRE(resolveStream(hs, s));
    std::vector<OpP> ops;
    {
        std::lock_guard<std::mutex> l(g_objMu);
        if (!g_execs.count((Graph*)he)) return E_INVALID_HANDLE;
        ops = ((Graph*)he)->ops;
    }
    for (auto& op : ops) enqueue(s, op);
    return OK;
}

API CUresult cuGraphDestroy(CUgraph hg) {
    REQUIRE(needCtx());
    std::lock_guard<std::mutex> l(g_objMu);
    if (!g_graphs.erase((Graph*)hg)) return E_INVALID_HANDLE;
    delete (Graph*)hg;
    return OK;
}

API CUresult cuGraphExecDestroy(CUgraphExec he) {
    REQUIRE(needCtx());
    std::lock_guard<std::mutex> l(g_objMu);
    if (!g_execs.erase((Graph*)he)) return E_INVALID_HANDLE;
    delete (Graph*)he;  // queued replays hold their own references to the ops
    return OK;
}

// ------------------------------------------------------------------ errors

API CUresult cuGetErrorName(CUresult e, const char** s) {
    if (!s) return E_INVALID_VALUE;
    for (const ErrName& n : kErrors)
        if (n.code == e) { *s = n.name; return OK; }
    *s = nullptr;
    return E_INVALID_VALUE;
}

API CUresult cuGetErrorString(CUresult e, const char** s) {
    if (!s) return E_INVALID_VALUE;
    for (const ErrName& n : kErrors)
        if (n.code == e) { *s = n.text; return OK; }
    *s = nullptr;
    return E_INVALID_VALUE;
}

// Called by the generated stubs of every other symbol of jcuda_driver_symbols.txt.
extern "C" __attribute__((visibility("hidden"))) CUresult flvemu_unsupported(const char* name) {
    complain("%s is not supported by the emulator (CUDA_ERROR_NOT_SUPPORTED)", name);
    return E_NOT_SUPPORTED;
}

// ================================================================== test hooks (fluvia_emu.h)

API const char* fluviaEmuVersion(void) {
    return "fluvia-emu 0.1 (CPU emulator of one sm_90 device: CUDA driver API subset, cuBLAS SGEMM subset in double "
           "accumulation, cuRAND stand-in whose numbers are NOT cuRAND's)";
}

API int fluviaEmuCoverage(char* buf, int size) {
    std::string s = coverageText();
    if (buf && size > 0) snprintf(buf, (size_t)size, "%s", s.c_str());
    return (int)s.size();
}

API int fluviaEmuLastFault(char* buf, int size) {
    std::lock_guard<std::mutex> l(faultMu());
    if (buf && size > 0) snprintf(buf, (size_t)size, "%s", faultMsg().c_str());
    return g_faultCode.load();
}

API void fluviaEmuResetFault(void) {
    std::lock_guard<std::mutex> l(faultMu());
    g_faultCode.store(0);
    faultMsg().clear();
}

API void fluviaEmuSetSchedules(const char* spec) {
    auto v = parseSchedules(spec);
    std::lock_guard<std::mutex> l(g_schedMu);
    g_schedules = v;
    g_schedulesSet = true;
}

API int fluviaEmuEnqueueHostOwned(CUstream h, void (*fn)(void*), void* arg, void (*destroy)(void*)) {
    if (int r = needCtx()) { if (destroy) destroy(arg); return r; }
    StreamP s;
    if (int r = resolveStream(h, s)) { if (destroy) destroy(arg); return r; }
    std::shared_ptr<void> owned(arg, [destroy](void* p) { if (destroy) destroy(p); });
    enqueue(s, makeOp([fn, owned] { fn(owned.get()); }));
    return OK;
}

API int fluviaEmuEnqueueHost(CUstream h, void (*fn)(void*), void* arg) { return fluviaEmuEnqueueHostOwned(h, fn, arg, nullptr); }

API int fluviaEmuCheckDevicePointer(uint64_t ptr, uint64_t bytes) {
    std::lock_guard<std::mutex> l(mem().mu);
    return findLive(ptr, bytes) ? OK : E_INVALID_VALUE;
}

API void fluviaEmuRaiseFault(int code, const char* message) { raiseFault(code, message ? message : "(no message)"); }

API int fluviaEmuDescribePointer(uint64_t ptr, char* buf, int size) {
    std::string s = describe(ptr);
    if (buf && size > 0) snprintf(buf, (size_t)size, "%s", s.c_str());
    return (int)s.size();
}
