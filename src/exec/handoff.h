/*
 * handoff.h — what the host hands the guest runtime (bailey-exec) to run.
 *
 * The nil backend writes it to a sealed memfd that bailey-exec inherits; the
 * kvm backend will copy the same bytes into the guest. Layout, little-endian:
 *
 *   "BLYH"  u16 version (1)  u16 reserved (0)
 *   records: u16 tag, u32 length, length bytes — until the end
 *
 * Tags: MODULE (exactly one: the Wasm binary), CONFIG (at most one: Enarx.toml
 * text), ARG (each appended after the config's args), ENV ("KEY=VALUE", each
 * added after the config's env, replacing a key set there), DIR ("HOST" or
 * "HOST::GUEST": a preopened directory after the config's files).
 *
 * The guest decodes it through the checked cursor: it treats the bytes as
 * untrusted, since under a TEE the host is not trusted. Decoding borrows from
 * the input buffer; nothing is copied.
 */
#ifndef BL_EXEC_HANDOFF_H
#define BL_EXEC_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

enum exec_handoff_tag {
	EXEC_HO_MODULE = 1,
	EXEC_HO_CONFIG = 2,
	EXEC_HO_ARG = 3,
	EXEC_HO_ENV = 4,
	EXEC_HO_DIR = 5,
};

#define EXEC_HO_MAX_ITEMS 256

struct exec_slice {
	const uint8_t *p;
	size_t len;
};

struct exec_handoff {
	struct exec_slice module;
	struct exec_slice config; /* len 0: no Enarx.toml */
	int has_config;
	struct exec_slice args[EXEC_HO_MAX_ITEMS], envs[EXEC_HO_MAX_ITEMS], dirs[EXEC_HO_MAX_ITEMS];
	size_t nargs, nenvs, ndirs;
};

/* Append one record. */
BL_MUST_CHECK int exec_handoff_put(struct bl_buf *out, enum exec_handoff_tag tag, const void *p,
                                   size_t len);
/* Start a handoff (magic and version) in an empty buffer. */
BL_MUST_CHECK int exec_handoff_start(struct bl_buf *out);

/* Decode; slices borrow from p. BL_EINVAL naming the offset for anything malformed. */
BL_MUST_CHECK int exec_handoff_decode(const uint8_t *p, size_t len, struct exec_handoff *out);

#endif
