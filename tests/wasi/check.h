/*
 * check.h — tiny assertion helpers for the WASI test programs (compiled with
 * clang --target=wasm32-wasi). Each check prints one line; the program's exit
 * status is the number of failures, so the runner sees any of them. The
 * transcript is deterministic so that it can be compared with Node's WASI.
 */
#ifndef BL_TESTS_WASI_CHECK_H
#define BL_TESTS_WASI_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (cond) {                                                                        \
			printf("ok   ");                                                           \
		} else {                                                                           \
			printf("FAIL ");                                                           \
			failures++;                                                                \
		}                                                                                  \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
	} while (0)

/* A call expected to fail with a given errno. */
#define CHECK_ERRNO(call, want, what)                                                              \
	do {                                                                                       \
		errno = 0;                                                                         \
		int r_ = (call) < 0;                                                               \
		int e_ = errno;                                                                    \
		CHECK(r_ &&e_ == (want), "%s fails with %s (got %s)", what, strerror(want),        \
		      r_ ? strerror(e_) : "success");                                              \
	} while (0)

#endif
