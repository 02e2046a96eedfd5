/* cert.c — DICE MultiTcbInfo encoding and decoding; see cert.h. */
#include "attest/cert.h"

#include <string.h>

#include "attest/tlv.h"
#include "common/cursor.h"

const uint8_t att_oid_multitcbinfo[6] = { 0x67, 0x81, 0x05, 0x05, 0x04, 0x05 };

static const uint8_t oid_sha[BL_DIG_COUNT][9] = {
	[BL_SHA224] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04 },
	[BL_SHA256] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01 },
	[BL_SHA384] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02 },
	[BL_SHA512] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03 },
};

struct att_bytes att_bytes_str(const char *s)
{
	struct att_bytes b = { (const uint8_t *)s, s ? strlen(s) : 0 };
	return b;
}

/* X.690 §11.2.2: a named-bit BIT STRING drops trailing zero bits. */
static int put_flags(struct bl_buf *b, uint8_t tag, uint32_t flags)
{
	uint8_t v[5] = { 0 };
	int top = -1;

	for (int i = 0; i < 32; i++)
		if (flags & (1u << i))
			top = i;
	if (top < 0)
		return att_tlv_put(b, tag, v, 1);
	size_t nbytes = (size_t)top / 8 + 1;
	for (int i = 0; i <= top; i++)
		if (flags & (1u << i))
			v[1 + i / 8] |= (uint8_t)(0x80 >> (i % 8));
	v[0] = (uint8_t)(7 - top % 8);
	return att_tlv_put(b, tag, v, nbytes + 1);
}

static int put_bytes(struct bl_buf *b, uint8_t tag, struct att_bytes s)
{
	return s.p ? att_tlv_put(b, tag, s.p, s.len) : 0;
}

static int encode_one(const struct att_tcbinfo *t, struct bl_buf *out)
{
	size_t start = out->len;

	BL_TRY(put_bytes(out, 0x80, t->vendor));
	BL_TRY(put_bytes(out, 0x81, t->model));
	BL_TRY(put_bytes(out, 0x82, t->version));
	if (t->has_svn)
		BL_TRY(att_tlv_put_uint(out, 0x83, t->svn));
	if (t->has_layer)
		BL_TRY(att_tlv_put_uint(out, 0x84, t->layer));
	if (t->has_index)
		BL_TRY(att_tlv_put_uint(out, 0x85, t->index));
	if (t->n_fwids) {
		size_t list = out->len;
		if (t->n_fwids > ATT_TCB_MAX_FWIDS)
			return bl_err(BL_ERANGE, "TcbInfo: %zu FWIDs", t->n_fwids);
		for (size_t i = 0; i < t->n_fwids; i++) {
			const struct att_fwid *f = &t->fwids[i];
			size_t one = out->len;
			if ((unsigned)f->alg >= BL_DIG_COUNT)
				return bl_err(BL_EINVAL, "TcbInfo: FWID algorithm");
			BL_TRY(att_tlv_put(out, ATT_TAG_OID, oid_sha[f->alg], 9));
			BL_TRY(
			    att_tlv_put(out, ATT_TAG_OCTET_STRING, f->digest, bl_dig_size(f->alg)));
			BL_TRY(att_tlv_wrap(out, one, ATT_TAG_SEQUENCE));
		}
		BL_TRY(att_tlv_wrap(out, list, 0xa6));
	}
	if (t->has_flags)
		BL_TRY(put_flags(out, 0x87, t->flags));
	BL_TRY(put_bytes(out, 0x88, t->vendor_info));
	BL_TRY(put_bytes(out, 0x89, t->type));
	return att_tlv_wrap(out, start, ATT_TAG_SEQUENCE);
}

int att_multitcb_encode(const struct att_tcbinfo *infos, size_t n, struct bl_buf *out)
{
	size_t start = out->len;

	if (n == 0)
		return bl_err(BL_EINVAL, "MultiTcbInfo: needs at least one TcbInfo");
	for (size_t i = 0; i < n; i++)
		BL_TRY(encode_one(&infos[i], out));
	return att_tlv_wrap(out, start, ATT_TAG_SEQUENCE);
}

static int take_opt(struct bl_cur *c, uint8_t tag, struct att_tlv *t)
{
	if (att_tlv_peek(c) != tag)
		return 0;
	BL_TRY(att_tlv_expect(c, tag, "TcbInfo field", t));
	return 1;
}

static int decode_flags(const struct att_tlv *t, uint32_t *out)
{
	const uint8_t *p = t->body.base;
	size_t n = t->body.len;

	if (n == 0 || p[0] > 7 || n > 5 || (n == 1 && p[0] != 0))
		return bl_err(BL_EINVAL, "TcbInfo flags: malformed BIT STRING");
	*out = 0;
	for (size_t i = 1; i < n; i++)
		for (int bit = 0; bit < 8; bit++)
			if (p[i] & (0x80 >> bit))
				*out |= 1u << ((i - 1) * 8 + (size_t)bit);
	return 0;
}

static int decode_fwids(struct bl_cur *c, struct att_tcbinfo *t)
{
	struct att_tlv f, oid, dig;

	while (!bl_cur_eof(c)) {
		int alg = -1;
		if (t->n_fwids == ATT_TCB_MAX_FWIDS)
			return bl_err(BL_ERANGE, "TcbInfo: more than %d FWIDs", ATT_TCB_MAX_FWIDS);
		BL_TRY(att_tlv_expect(c, ATT_TAG_SEQUENCE, "FWID", &f));
		BL_TRY(att_tlv_expect(&f.body, ATT_TAG_OID, "FWID hashAlg", &oid));
		BL_TRY(att_tlv_expect(&f.body, ATT_TAG_OCTET_STRING, "FWID digest", &dig));
		BL_TRY(bl_cur_expect_end(&f.body, "FWID"));
		for (int a = 0; a < BL_DIG_COUNT; a++)
			if (att_tlv_oid_is(&oid, oid_sha[a], 9))
				alg = a;
		if (alg < 0 || dig.body.len != bl_dig_size((enum bl_dig_alg)alg))
			return bl_err(BL_EINVAL, "FWID: unknown algorithm or wrong digest length");
		struct att_fwid *w = &t->fwids[t->n_fwids++];
		w->alg = (enum bl_dig_alg)alg;
		w->present = 1;
		memcpy(w->digest, dig.body.base, dig.body.len);
	}
	if (t->n_fwids == 0)
		return bl_err(BL_EINVAL, "TcbInfo: empty FWID list");
	return 0;
}

static int decode_one(struct bl_cur *c, struct att_tcbinfo *t)
{
	struct att_tlv seq, f;
	struct att_bytes *strs[] = { &t->vendor, &t->model, &t->version };
	int *has[] = { &t->has_svn, &t->has_layer, &t->has_index };
	uint64_t *ints[] = { &t->svn, &t->layer, &t->index };
	int rc;

	memset(t, 0, sizeof(*t));
	BL_TRY(att_tlv_expect(c, ATT_TAG_SEQUENCE, "TcbInfo", &seq));
	for (unsigned i = 0; i < 3; i++) {
		BL_TRY(rc = take_opt(&seq.body, (uint8_t)(0x80 | i), &f));
		if (rc) {
			strs[i]->p = f.body.base;
			strs[i]->len = f.body.len;
		}
	}
	for (unsigned i = 0; i < 3; i++) {
		BL_TRY(rc = take_opt(&seq.body, (uint8_t)(0x83 + i), &f));
		if (rc) {
			f.tag = ATT_TAG_INTEGER;
			BL_TRY(att_tlv_uint(&f, "TcbInfo integer", ints[i]));
			*has[i] = 1;
		}
	}
	BL_TRY(rc = take_opt(&seq.body, 0xa6, &f));
	if (rc)
		BL_TRY(decode_fwids(&f.body, t));
	BL_TRY(rc = take_opt(&seq.body, 0x87, &f));
	if (rc) {
		BL_TRY(decode_flags(&f, &t->flags));
		t->has_flags = 1;
	}
	BL_TRY(rc = take_opt(&seq.body, 0x88, &f));
	if (rc) {
		t->vendor_info.p = f.body.base;
		t->vendor_info.len = f.body.len;
	}
	BL_TRY(rc = take_opt(&seq.body, 0x89, &f));
	if (rc) {
		t->type.p = f.body.base;
		t->type.len = f.body.len;
	}
	return bl_cur_expect_end(&seq.body, "TcbInfo (unknown or out-of-order field)");
}

int att_multitcb_decode(const uint8_t *der, size_t len, struct att_tcbinfo *infos, size_t max,
                        size_t *n)
{
	struct bl_cur c = bl_cur_make(der, len);
	struct att_tlv seq;

	*n = 0;
	BL_TRY(att_tlv_expect(&c, ATT_TAG_SEQUENCE, "MultiTcbInfo", &seq));
	BL_TRY(bl_cur_expect_end(&c, "MultiTcbInfo"));
	while (!bl_cur_eof(&seq.body)) {
		if (*n == max)
			return bl_err(BL_ERANGE, "MultiTcbInfo: more than %zu entries", max);
		BL_TRY(decode_one(&seq.body, &infos[*n]));
		(*n)++;
	}
	if (*n == 0)
		return bl_err(BL_EINVAL, "MultiTcbInfo: empty");
	return 0;
}
