// Fluvia CUDA emulator: the test hooks that the stand-in libcuda.so.1 (native/emu/driver.cpp) exports besides the
// CUDA driver API. libcublas.so.13 and libcurand.so.10 (the emulator's stand-ins) use them to run their work on a
// stream's worker thread and to check device pointers; tests use them to read coverage and faults.
//
// Everything here is C, declared without CUDA headers (CUstream is an opaque pointer, as in cuda.h).
#pragma once
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef FLUVIA_EMU_CUSTREAM_DECLARED
#define FLUVIA_EMU_CUSTREAM_DECLARED
typedef struct CUstream_st* CUstream;
#endif

/** "fluvia-emu <version> (CPU emulator; ...)" — says which parts are emulated and that cuRAND's numbers differ. */
const char* fluviaEmuVersion(void);

/**
 * Writes "name count\n" for every kernel of the registry (zero counts included; count = launches that ran) into buf
 * (NUL-terminated, truncated to size). Returns the number of bytes needed, without the NUL.
 */
int fluviaEmuCoverage(char* buf, int size);

/** The sticky fault's message (empty when none) into buf; returns its CUresult code (0 when none). */
int fluviaEmuLastFault(char* buf, int size);

/** Clears the sticky fault (tests only: a real device needs a new process). */
void fluviaEmuResetFault(void);

/** Replaces the race-detection schedules, e.g. "inorder" or "inorder,reverse,random,random" (as FLUVIA_EMU_SCHEDULES). */
void fluviaEmuSetSchedules(const char* schedules);

/**
 * Queues fn(arg) on the stream's worker thread, in order with the stream's other work (0 = the legacy stream).
 * During stream capture the call is recorded into the graph instead. fn is skipped once a sticky fault is set.
 * Returns 0 or a CUresult (invalid stream, no current context, sticky fault).
 */
int fluviaEmuEnqueueHost(CUstream stream, void (*fn)(void*), void* arg);

/** As fluviaEmuEnqueueHost; the emulator calls destroy(arg) once the work can no longer run (after it ran, or when the
 *  graph holding it is destroyed), so that captured work can be replayed. destroy may be null. */
int fluviaEmuEnqueueHostOwned(CUstream stream, void (*fn)(void*), void* arg, void (*destroy)(void*));

/** 0 when [ptr, ptr+bytes) lies inside one live device allocation (bytes 0: ptr inside or at its end), else a
 *  CUresult (CUDA_ERROR_INVALID_VALUE) — no message printed. */
int fluviaEmuCheckDevicePointer(uint64_t ptr, uint64_t bytes);

/** Sets the sticky fault (code: a CUresult) unless one is set already, and prints "fluvia-emu: <message>" once. */
void fluviaEmuRaiseFault(int code, const char* message);

/** Describes ptr for messages: "allocation 0x… (size S) at offset O", "host memory", "freed allocation …". */
int fluviaEmuDescribePointer(uint64_t ptr, char* buf, int size);

#ifdef __cplusplus
}
#endif
