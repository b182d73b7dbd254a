// The emulator self-tests' assertion and closing line (a plain "N passed, N failed" that CI's log reader understands).
#pragma once
#include <cstdio>

static int failures = 0;
#define CHECK(cond, ...)                                                                                                   \
    do {                                                                                                                   \
        if (!(cond)) {                                                                                                     \
            failures++;                                                                                                    \
            std::printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                               \
            std::printf(__VA_ARGS__);                                                                                      \
            std::printf("\n");                                                                                             \
        }                                                                                                                  \
    } while (0)

/** Prints the closing line and returns the exit status. */
static inline int finish() {
    std::printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
    return failures ? 1 : 0;
}
