/* cursor.c — checked reads; see cursor.h for the contract. */
#include "common/cursor.h"

#include <string.h>

int bl_cur_trunc(const struct bl_cur *c, size_t need)
{
	return bl_err(BL_ETRUNC, "truncated: need %zu byte(s) at offset %zu, %zu left", need,
	              bl_cur_offset(c), bl_cur_left(c));
}

#define BL_CUR_FIXED(name, type, n, dec)                                                           \
	int name(struct bl_cur *c, type *out)                                                      \
	{                                                                                          \
		BL_TRY(bl_cur_need(c, n));                                                         \
		*out = dec(c->base + c->pos);                                                      \
		c->pos += n;                                                                       \
		return 0;                                                                          \
	}

BL_CUR_FIXED(bl_cur_u16le, uint16_t, 2, bl_dec16le)
BL_CUR_FIXED(bl_cur_u16be, uint16_t, 2, bl_dec16be)
BL_CUR_FIXED(bl_cur_u32le, uint32_t, 4, bl_dec32le)
BL_CUR_FIXED(bl_cur_u32be, uint32_t, 4, bl_dec32be)
BL_CUR_FIXED(bl_cur_u64le, uint64_t, 8, bl_dec64le)
BL_CUR_FIXED(bl_cur_u64be, uint64_t, 8, bl_dec64be)

/*
 * One LEB128 reader for every width. `bits` is the integer's width N; the
 * encoding may use at most ceil(N/7) bytes. In the last permitted byte only
 * the low (N mod 7, or 7) bits carry value; the rest must be zero for
 * unsigned integers and copies of the sign bit for signed ones.
 */
static int leb_read(struct bl_cur *c, unsigned bits, int is_signed, uint64_t *out)
{
	const unsigned maxbytes = (bits + 6) / 7;
	uint64_t result = 0;
	unsigned shift = 0;
	size_t start = c->pos;

	for (unsigned i = 0;; i++) {
		uint8_t b;

		if (BL_NEVER(c->pos >= c->len)) {
			int rc = bl_err(BL_ETRUNC,
			                "truncated LEB128 at offset %zu: ended after %u byte(s)",
			                c->origin + start, i);
			c->pos = start;
			return rc;
		}
		b = c->base[c->pos++];
		if (i == maxbytes - 1) {
			/* Bits of this byte that lie at or above N. */
			unsigned used = bits - shift; /* 1..7 */
			if (b & 0x80)
				goto too_long;
			if (used < 7) {
				uint8_t extra = (uint8_t)(b & 0x7f) >> used;
				uint8_t want = 0;
				if (is_signed && (b >> (used - 1)) & 1)
					want = (uint8_t)(0x7f >> used);
				if (extra != want)
					goto bad_bits;
			}
		}
		result |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (is_signed && shift < 64 && (b & 0x40))
				result |= ~(uint64_t)0 << shift;
			*out = result;
			return 0;
		}
	}
too_long : {
	int rc =
	    bl_err(BL_EINVAL, "LEB128 at offset %zu: longer than %u bytes for a %u-bit integer",
	           c->origin + start, maxbytes, bits);
	c->pos = start;
	return rc;
}
bad_bits : {
	int rc =
	    bl_err(BL_EINVAL, "LEB128 at offset %zu: unused bits of a %u-bit %s integer are not %s",
	           c->origin + start, bits, is_signed ? "signed" : "unsigned",
	           is_signed ? "a sign extension" : "zero");
	c->pos = start;
	return rc;
}
}

int bl_cur_leb_u32(struct bl_cur *c, uint32_t *out)
{
	uint64_t v;

	/* Fast path: one byte. */
	if (c->pos < c->len && !(c->base[c->pos] & 0x80)) {
		*out = c->base[c->pos++];
		return 0;
	}
	BL_TRY(leb_read(c, 32, 0, &v));
	*out = (uint32_t)v;
	return 0;
}

int bl_cur_leb_u64(struct bl_cur *c, uint64_t *out)
{
	return leb_read(c, 64, 0, out);
}

int bl_cur_leb_s32(struct bl_cur *c, int32_t *out)
{
	uint64_t v;

	BL_TRY(leb_read(c, 32, 1, &v));
	*out = (int32_t)(uint32_t)v;
	return 0;
}

int bl_cur_leb_s33(struct bl_cur *c, int64_t *out)
{
	uint64_t v;

	BL_TRY(leb_read(c, 33, 1, &v));
	*out = (int64_t)v;
	return 0;
}

int bl_cur_leb_s64(struct bl_cur *c, int64_t *out)
{
	uint64_t v;

	BL_TRY(leb_read(c, 64, 1, &v));
	*out = (int64_t)v;
	return 0;
}

int bl_cur_bytes(struct bl_cur *c, size_t n, const uint8_t **out)
{
	BL_TRY(bl_cur_need(c, n));
	*out = c->base + c->pos;
	c->pos += n;
	return 0;
}

int bl_cur_copy(struct bl_cur *c, size_t n, void *dst)
{
	BL_TRY(bl_cur_need(c, n));
	if (n)
		memcpy(dst, c->base + c->pos, n);
	c->pos += n;
	return 0;
}

int bl_cur_skip(struct bl_cur *c, size_t n)
{
	BL_TRY(bl_cur_need(c, n));
	c->pos += n;
	return 0;
}

int bl_cur_sub(struct bl_cur *c, size_t n, struct bl_cur *sub)
{
	BL_TRY(bl_cur_need(c, n));
	sub->base = c->base + c->pos;
	sub->len = n;
	sub->pos = 0;
	sub->origin = c->origin + c->pos;
	c->pos += n;
	return 0;
}

int bl_cur_peek(const struct bl_cur *c, uint8_t *out)
{
	BL_TRY(bl_cur_need(c, 1));
	*out = c->base[c->pos];
	return 0;
}

int bl_cur_expect_end(const struct bl_cur *c, const char *what)
{
	if (!bl_cur_eof(c))
		return bl_err(BL_EINVAL, "%s: %zu unexpected byte(s) at offset %zu", what,
		              bl_cur_left(c), bl_cur_offset(c));
	return 0;
}
