/*
 * bind.h — WASI preview 1 bound to Bailey's WebAssembly engine.
 *
 * wasi_bind_new() makes one host function per entry of wasi_funcs[] in a
 * store; wasi_bind_resolve() is a wasm_resolver_fn that answers imports of
 * "wasi_snapshot_preview1" with them (other modules: BL_ENOENT, so that
 * instantiation names the unknown import). After instantiation,
 * wasi_bind_attach() records the instance's exported "memory", which every
 * call then uses as its guest memory view.
 *
 * proc_exit stops the instance by trapping with WASM_TRAP_HOST; the embedder
 * tells an exit from a real trap with wasi_exited().
 */
#ifndef BL_WASI_BIND_H
#define BL_WASI_BIND_H

#include "bailey/wasm.h"
#include "common/err.h"
#include "wasi/wasi.h"

struct wasi_bind;

/* Functions in store s for ctx (which must outlive the binding). */
struct wasi_bind *wasi_bind_new(wasm_store_t *s, struct wasi_ctx *ctx);
void wasi_bind_free(struct wasi_bind *b);

/* A wasm_resolver_fn; ud is the struct wasi_bind. */
int wasi_bind_resolve(void *ud, const char *module, const char *name, enum wasm_extern_kind kind,
                      struct wasm_extern *out);

/* Use inst's exported memory "memory" for guest pointers (BL_ENOENT if none). */
BL_MUST_CHECK int wasi_bind_attach(struct wasi_bind *b, wasm_instance_t *inst);

#endif
