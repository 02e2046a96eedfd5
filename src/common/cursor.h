/*
 * cursor.h — the checked byte cursor: the only way Bailey reads untrusted bytes.
 *
 * A cursor borrows a byte range [base, base+len) and a read position. Every
 * read checks the remaining length first; on truncation it fails with
 * BL_ETRUNC, records the offset in the error reason, and leaves the position
 * where it was. No read ever touches memory outside the range. The cursor
 * never allocates and never copies unless asked (bl_cur_copy).
 *
 * Offsets in error reasons are absolute: a sub-cursor made by bl_cur_sub()
 * remembers where it starts in its parent, so a failure deep inside a nested
 * structure names its position in the whole input.
 *
 * LEB128 reads follow the WebAssembly binary format (spec 5.2.2): an N-bit
 * integer takes at most ceil(N/7) bytes, and the unused bits of the last byte
 * must be zero (unsigned) or a sign extension (signed); otherwise BL_EINVAL.
 */
#ifndef BL_COMMON_CURSOR_H
#define BL_COMMON_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct bl_cur {
	const uint8_t *base; /* first byte of the range (borrowed) */
	size_t len; /* bytes in the range */
	size_t pos; /* next byte to read, 0..len */
	size_t origin; /* absolute offset of base in the outermost input */
};

/* A cursor over [p, p+len). p may be NULL only when len is 0. */
static inline struct bl_cur bl_cur_make(const void *p, size_t len)
{
	struct bl_cur c = { (const uint8_t *)p, len, 0, 0 };
	return c;
}

static inline size_t bl_cur_left(const struct bl_cur *c)
{
	return c->len - c->pos;
}

static inline int bl_cur_eof(const struct bl_cur *c)
{
	return c->pos == c->len;
}

/* Absolute offset of the next byte (for messages). */
static inline size_t bl_cur_offset(const struct bl_cur *c)
{
	return c->origin + c->pos;
}

/* Records "truncated: need N bytes at offset O, have M" and returns BL_ETRUNC. */
int bl_cur_trunc(const struct bl_cur *c, size_t need);

BL_MUST_CHECK static inline int bl_cur_need(const struct bl_cur *c, size_t n)
{
	if (BL_NEVER(n > c->len - c->pos))
		return bl_cur_trunc(c, n);
	return 0;
}

BL_MUST_CHECK static inline int bl_cur_u8(struct bl_cur *c, uint8_t *out)
{
	if (BL_NEVER(c->pos >= c->len))
		return bl_cur_trunc(c, 1);
	*out = c->base[c->pos++];
	return 0;
}

/* Fixed-width integers, little- and big-endian. */
BL_MUST_CHECK int bl_cur_u16le(struct bl_cur *c, uint16_t *out);
BL_MUST_CHECK int bl_cur_u16be(struct bl_cur *c, uint16_t *out);
BL_MUST_CHECK int bl_cur_u32le(struct bl_cur *c, uint32_t *out);
BL_MUST_CHECK int bl_cur_u32be(struct bl_cur *c, uint32_t *out);
BL_MUST_CHECK int bl_cur_u64le(struct bl_cur *c, uint64_t *out);
BL_MUST_CHECK int bl_cur_u64be(struct bl_cur *c, uint64_t *out);

/* LEB128 as in the WebAssembly binary format. */
BL_MUST_CHECK int bl_cur_leb_u32(struct bl_cur *c, uint32_t *out);
BL_MUST_CHECK int bl_cur_leb_u64(struct bl_cur *c, uint64_t *out);
BL_MUST_CHECK int bl_cur_leb_s32(struct bl_cur *c, int32_t *out);
BL_MUST_CHECK int bl_cur_leb_s33(struct bl_cur *c, int64_t *out);
BL_MUST_CHECK int bl_cur_leb_s64(struct bl_cur *c, int64_t *out);

/* Borrow the next n bytes: *out points into the cursor's range. */
BL_MUST_CHECK int bl_cur_bytes(struct bl_cur *c, size_t n, const uint8_t **out);

/* Copy the next n bytes into dst (which holds at least n bytes). */
BL_MUST_CHECK int bl_cur_copy(struct bl_cur *c, size_t n, void *dst);

/* Skip n bytes. */
BL_MUST_CHECK int bl_cur_skip(struct bl_cur *c, size_t n);

/*
 * Take the next n bytes as a sub-cursor (typically n comes from a length
 * field): the parent advances past them, the child reads only inside them.
 */
BL_MUST_CHECK int bl_cur_sub(struct bl_cur *c, size_t n, struct bl_cur *sub);

/* Peek the next byte without consuming it. */
BL_MUST_CHECK int bl_cur_peek(const struct bl_cur *c, uint8_t *out);

/* Fail with BL_EINVAL naming `what` unless the cursor is exhausted. */
BL_MUST_CHECK int bl_cur_expect_end(const struct bl_cur *c, const char *what);

/*
 * Big- and little-endian decoding of bytes already bounds-checked (for
 * example by bl_cur_bytes or inside a fixed-size struct read by bl_cur_copy).
 */
static inline uint16_t bl_dec16le(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t bl_dec32le(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}
static inline uint64_t bl_dec64le(const uint8_t *p)
{
	return (uint64_t)bl_dec32le(p) | ((uint64_t)bl_dec32le(p + 4) << 32);
}
static inline uint16_t bl_dec16be(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t bl_dec32be(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
	       (uint32_t)p[3];
}
static inline uint64_t bl_dec64be(const uint8_t *p)
{
	return ((uint64_t)bl_dec32be(p) << 32) | (uint64_t)bl_dec32be(p + 4);
}

#endif
