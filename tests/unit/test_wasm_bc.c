/*
 * test_wasm_bc.c — the embedding-API tests of test_wasm.c, run against the
 * engine built with explicit bounds checks (-DWASM_BOUNDS_CHECKS, no guard
 * pages), so out-of-bounds traps are checked in both modes.
 */
#define TEST_WASM_BOUNDS_CHECKS 1
#include "test_wasm.c"
