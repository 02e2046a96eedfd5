/* tlv.c — strict DER reader and writer; see tlv.h for the contract. */
#include "attest/tlv.h"

#include <string.h>

int att_tlv_read(struct bl_cur *c, struct att_tlv *out)
{
	size_t start = c->pos;
	uint8_t tag = 0, first = 0;
	size_t len = 0;
	int rc;

	BL_TRY_GOTO(rc, bl_cur_u8(c, &tag), out_rewind);
	if ((tag & 0x1f) == 0x1f) {
		rc = bl_err(BL_EINVAL, "DER: multi-byte tag at offset %zu", c->origin + start);
		goto out_rewind;
	}
	BL_TRY_GOTO(rc, bl_cur_u8(c, &first), out_rewind);
	if (first < 0x80) {
		len = first;
	} else {
		unsigned n = first & 0x7f;
		if (n == 0 || n > 4) {
			rc = bl_err(BL_EINVAL, "DER: %s length at offset %zu",
			            n == 0 ? "indefinite" : "oversized", c->origin + start + 1);
			goto out_rewind;
		}
		for (unsigned i = 0; i < n; i++) {
			uint8_t b = 0;
			BL_TRY_GOTO(rc, bl_cur_u8(c, &b), out_rewind);
			if (i == 0 && b == 0) {
				rc = bl_err(BL_EINVAL, "DER: non-minimal length at offset %zu",
				            c->origin + start + 1);
				goto out_rewind;
			}
			len = (len << 8) | b;
		}
		if (len < 0x80) {
			rc = bl_err(BL_EINVAL, "DER: non-minimal length at offset %zu",
			            c->origin + start + 1);
			goto out_rewind;
		}
	}
	BL_TRY_GOTO(rc, bl_cur_sub(c, len, &out->body), out_rewind);
	out->tag = tag;
	out->raw = c->base + start;
	out->raw_len = c->pos - start;
	return 0;

out_rewind:
	c->pos = start;
	return rc;
}

int att_tlv_expect(struct bl_cur *c, uint8_t tag, const char *what, struct att_tlv *out)
{
	size_t off = bl_cur_offset(c);

	if (att_tlv_read(c, out) < 0)
		return bl_err_wrap(BL_EINVAL, "%s: ", what);
	if (out->tag != tag) {
		c->pos -= out->raw_len;
		return bl_err(BL_EINVAL, "%s: expected tag 0x%02x at offset %zu, found 0x%02x",
		              what, tag, off, out->tag);
	}
	return 0;
}

int att_tlv_peek(const struct bl_cur *c)
{
	uint8_t t;

	if (bl_cur_peek(c, &t) < 0)
		return -1;
	return t;
}

int att_der_peek(const struct bl_cur *c, uint8_t *tag)
{
	return bl_cur_peek(c, tag);
}

int att_der_get(struct bl_cur *c, uint8_t tag, struct bl_cur *val, struct bl_cur *whole)
{
	struct att_tlv t;
	uint8_t found = 0;

	BL_TRY(bl_cur_peek(c, &found));
	if (found != tag)
		return bl_err(BL_EINVAL, "DER: expected tag 0x%02x at offset %zu, found 0x%02x",
		              tag, bl_cur_offset(c), found);
	BL_TRY(att_tlv_read(c, &t));
	*val = t.body;
	if (whole) {
		whole->base = t.raw;
		whole->len = t.raw_len;
		whole->pos = 0;
		whole->origin = t.body.origin - (t.raw_len - t.body.len);
	}
	return 0;
}

int att_der_uint(struct bl_cur *c, uint64_t *out)
{
	struct bl_cur v;
	uint64_t x = 0;
	uint8_t b = 0;

	BL_TRY(att_der_get(c, ATT_TAG_INTEGER, &v, NULL));
	if (v.len == 0 || v.len > 9 || (v.base[0] & 0x80) || (v.len == 9 && v.base[0] != 0))
		return bl_err(BL_ERANGE, "DER: INTEGER at offset %zu out of range", v.origin);
	while (!bl_cur_eof(&v)) {
		BL_TRY(bl_cur_u8(&v, &b));
		x = (x << 8) | b;
	}
	*out = x;
	return 0;
}

int att_oid_eq(const struct bl_cur *oid, const uint8_t *enc, size_t n)
{
	return oid->len == n && !memcmp(oid->base, enc, n);
}

int att_tlv_oid_is(const struct att_tlv *t, const uint8_t *oid, size_t n)
{
	return t->tag == ATT_TAG_OID && att_oid_eq(&t->body, oid, n);
}

int att_tlv_uint(const struct att_tlv *t, const char *what, uint64_t *out)
{
	const uint8_t *p = t->body.base;
	size_t n = t->body.len;
	uint64_t v = 0;

	if (t->tag != ATT_TAG_INTEGER || n == 0)
		return bl_err(BL_EINVAL, "%s: not an INTEGER", what);
	if (p[0] & 0x80)
		return bl_err(BL_EINVAL, "%s: negative", what);
	if (n > 1 && p[0] == 0 && !(p[1] & 0x80))
		return bl_err(BL_EINVAL, "%s: non-minimal INTEGER", what);
	if (p[0] == 0) {
		p++;
		n--;
	}
	if (n > 8)
		return bl_err(BL_ERANGE, "%s: INTEGER too large", what);
	for (size_t i = 0; i < n; i++)
		v = (v << 8) | p[i];
	*out = v;
	return 0;
}

int att_tlv_bool(const struct att_tlv *t, const char *what, int *out)
{
	if (t->tag != ATT_TAG_BOOLEAN || t->body.len != 1 ||
	    (t->body.base[0] != 0 && t->body.base[0] != 0xff))
		return bl_err(BL_EINVAL, "%s: not a DER BOOLEAN", what);
	*out = t->body.base[0] != 0;
	return 0;
}

/* Length octets for n into hdr; returns their count. */
static size_t len_octets(size_t n, uint8_t hdr[5])
{
	if (n < 0x80) {
		hdr[0] = (uint8_t)n;
		return 1;
	}
	size_t k = 0;
	for (size_t v = n; v; v >>= 8)
		k++;
	hdr[0] = (uint8_t)(0x80 | k);
	for (size_t i = 0; i < k; i++)
		hdr[k - i] = (uint8_t)(n >> (8 * i));
	return k + 1;
}

int att_tlv_put(struct bl_buf *b, uint8_t tag, const void *p, size_t n)
{
	uint8_t hdr[6];
	size_t h;

	if (n > 0xffffffffu)
		return bl_err(BL_ERANGE, "DER: contents too long");
	hdr[0] = tag;
	h = 1 + len_octets(n, hdr + 1);
	BL_TRY(bl_buf_reserve(b, h + n));
	BL_TRY(bl_buf_append(b, hdr, h));
	return n ? bl_buf_append(b, p, n) : 0;
}

int att_tlv_put_ubig(struct bl_buf *b, const uint8_t *p, size_t n)
{
	uint8_t tmp[1 + 64];

	while (n > 1 && p[0] == 0) {
		p++;
		n--;
	}
	if (n == 0 || n > 64)
		return bl_err(BL_ERANGE, "DER: INTEGER of %zu bytes", n);
	tmp[0] = 0;
	memcpy(tmp + 1, p, n);
	if (p[0] & 0x80)
		return att_tlv_put(b, ATT_TAG_INTEGER, tmp, n + 1);
	return att_tlv_put(b, ATT_TAG_INTEGER, tmp + 1, n);
}

int att_tlv_put_uint(struct bl_buf *b, uint8_t tag, uint64_t v)
{
	uint8_t be[9];
	size_t n = 0, i = 0;

	for (int s = 56; s >= 0; s -= 8)
		be[1 + n++] = (uint8_t)(v >> s);
	while (i < 7 && be[1 + i] == 0)
		i++;
	/* Keep a zero octet in front of a set high bit: INTEGER is signed. */
	if (be[1 + i] & 0x80) {
		be[i] = 0;
		return att_tlv_put(b, tag, be + i, 9 - i);
	}
	return att_tlv_put(b, tag, be + 1 + i, 8 - i);
}

int att_tlv_wrap(struct bl_buf *b, size_t start, uint8_t tag)
{
	uint8_t hdr[6];
	size_t n, h;

	if (BL_NEVER(start > b->len))
		return bl_err(BL_EINTERNAL, "DER: wrap start past end");
	n = b->len - start;
	hdr[0] = tag;
	h = 1 + len_octets(n, hdr + 1);
	BL_TRY(bl_buf_reserve(b, h));
	memmove(b->p + start + h, b->p + start, n);
	memcpy(b->p + start, hdr, h);
	b->len += h;
	b->p[b->len] = 0;
	return 0;
}
