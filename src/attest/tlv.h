/*
 * tlv.h — a strict DER (ITU-T X.690 §8 and §10) reader over the checked
 * cursor, and a small DER writer on bl_buf, for the CSR parser and the
 * certificate claims.
 *
 * Reader contract: att_tlv_read() takes one complete TLV from the cursor and
 * hands back its tag and a sub-cursor over the contents. Only what DER
 * allows is accepted: single-byte tags (tag numbers 0..30), definite lengths
 * in the shortest form (X.690 §10.1), at most 4 length octets and never more
 * bytes than the cursor has. Errors name the offset and what was expected.
 * The reader never allocates and never reads outside the cursor.
 * It is the project's one DER reader: att_der_get() and att_der_uint() are
 * the same reader in the cursor-in, cursor-out form the evidence parsers use.
 *
 * Writer contract: att_tlv_put*() append DER to a bl_buf (with its limit);
 * att_tlv_wrap() turns the bytes appended since `start` into the contents of
 * a new TLV in place, so nested structures are written inside out without
 * computing lengths ahead.
 *
 * It does not interpret types beyond INTEGER/BOOLEAN/OID helpers below.
 */
#ifndef BL_ATTEST_TLV_H
#define BL_ATTEST_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/cursor.h"
#include "common/err.h"

/* Universal and context tags used by the callers (X.690 §8.1.2). */
enum {
	ATT_TAG_BOOLEAN = 0x01,
	ATT_TAG_INTEGER = 0x02,
	ATT_TAG_BIT_STRING = 0x03,
	ATT_TAG_OCTET_STRING = 0x04,
	ATT_TAG_NULL = 0x05,
	ATT_TAG_OID = 0x06,
	ATT_TAG_UTF8 = 0x0c,
	ATT_TAG_PRINTABLE = 0x13,
	ATT_TAG_IA5 = 0x16,
	ATT_TAG_UTCTIME = 0x17,
	ATT_TAG_GENTIME = 0x18,
	ATT_TAG_SEQUENCE = 0x30,
	ATT_TAG_SET = 0x31,
	ATT_TAG_CTX0 = 0xa0, /* [0] constructed */
	ATT_TAG_CTX_PRIM0 = 0x80, /* [0] primitive */
};

struct att_tlv {
	uint8_t tag;
	struct bl_cur body; /* the contents */
	const uint8_t *raw; /* the whole TLV (tag, length and contents) */
	size_t raw_len;
};

/* Read one TLV of any tag. */
BL_MUST_CHECK int att_tlv_read(struct bl_cur *c, struct att_tlv *out);

/* Read one TLV and require `tag`; `what` names it in the error. */
BL_MUST_CHECK int att_tlv_expect(struct bl_cur *c, uint8_t tag, const char *what,
                                 struct att_tlv *out);

/* The next tag, or -1 at the end of the cursor. */
int att_tlv_peek(const struct bl_cur *c);

/* 1 when the OID contents equal the DER-encoded arcs oid[0..n). */
int att_tlv_oid_is(const struct att_tlv *t, const uint8_t *oid, size_t n);

/* A non-negative INTEGER that fits in 64 bits, minimal encoding required. */
BL_MUST_CHECK int att_tlv_uint(const struct att_tlv *t, const char *what, uint64_t *out);

/* A DER BOOLEAN (0x00 or 0xff only). */
BL_MUST_CHECK int att_tlv_bool(const struct att_tlv *t, const char *what, int *out);

/*
 * Read one TLV whose tag must be `tag` (checked before the length, so a wrong
 * tag is reported as such): *val becomes a cursor over its contents; if
 * `whole` is not NULL, it gets the whole TLV (header included). On failure
 * the position is kept; BL_ETRUNC when the input ends early, else BL_EINVAL.
 */
BL_MUST_CHECK int att_der_get(struct bl_cur *c, uint8_t tag, struct bl_cur *val,
                              struct bl_cur *whole);
/* Peek the next tag (BL_ETRUNC at the end). */
BL_MUST_CHECK int att_der_peek(const struct bl_cur *c, uint8_t *tag);
/*
 * Read an INTEGER TLV: non-negative and fitting in 64 bits, else BL_ERANGE.
 * Unlike att_tlv_uint() it takes leading zero octets (what the evidence
 * parsers have always accepted from vendor certificates).
 */
BL_MUST_CHECK int att_der_uint(struct bl_cur *c, uint64_t *out);
/* 1 when an OID's contents equal enc[0..n). */
int att_oid_eq(const struct bl_cur *oid, const uint8_t *enc, size_t n);

/* Writer. */
BL_MUST_CHECK int att_tlv_put(struct bl_buf *b, uint8_t tag, const void *p, size_t n);
BL_MUST_CHECK int att_tlv_put_uint(struct bl_buf *b, uint8_t tag, uint64_t v);
/* Unsigned big-endian magnitude p[0..n) as a DER INTEGER (leading zeros trimmed). */
BL_MUST_CHECK int att_tlv_put_ubig(struct bl_buf *b, const uint8_t *p, size_t n);
/* Make b->p[start..len) the contents of a TLV with `tag`, in place. */
BL_MUST_CHECK int att_tlv_wrap(struct bl_buf *b, size_t start, uint8_t tag);

#endif
