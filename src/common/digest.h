/*
 * digest.h — SHA-2 digests (through OpenSSL) and RFC 9530 Content-Digest.
 *
 * A bl_digest_set holds up to one value per algorithm (SHA-224/256/384/512).
 * Content-Digest parsing follows RFC 9530 §2 (a Structured Fields dictionary,
 * RFC 8941 §3.2, of byte sequences): algorithm names are matched without
 * regard to case and spaces around members are ignored, but each value must
 * be `:base64:` in the standard alphabet, correctly padded, and exactly the
 * algorithm's length. Members with algorithms this library does not know
 * (e.g. "md5") are skipped, as RFC 9530 §2 tells recipients to do; parameters
 * (";k=v") are not allowed. A set with no known algorithm is an error.
 */
#ifndef BL_COMMON_DIGEST_H
#define BL_COMMON_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

enum bl_dig_alg { BL_SHA224, BL_SHA256, BL_SHA384, BL_SHA512, BL_DIG_COUNT };

#define BL_DIG_MAX 64

/* "sha-256" etc. (RFC 9530 names); NULL for an unknown value. */
const char *bl_dig_name(enum bl_dig_alg alg);
/* Output size in bytes. */
size_t bl_dig_size(enum bl_dig_alg alg);
/* Parse an RFC 9530 name, case-insensitively, of length n; -1 when unknown. */
int bl_dig_parse_name(const char *s, size_t n);

/* One-shot digest of p[0..n) into out (bl_dig_size(alg) bytes). */
BL_MUST_CHECK int bl_digest(enum bl_dig_alg alg, const void *p, size_t n, uint8_t *out);

struct bl_digest_set {
	unsigned mask; /* bit alg set when val[alg] is present */
	uint8_t val[BL_DIG_COUNT][BL_DIG_MAX];
};

static inline int bl_dset_has(const struct bl_digest_set *s, enum bl_dig_alg a)
{
	return (s->mask >> a) & 1;
}

/*
 * Streaming digester: computes every algorithm in `mask` over the same bytes,
 * so a body can be checked against a Content-Digest as it streams past.
 */
struct bl_digester;
/* Returns NULL (with a reason) on failure; free with bl_digester_free. */
struct bl_digester *bl_digester_new(unsigned mask);
BL_MUST_CHECK int bl_digester_update(struct bl_digester *d, const void *p, size_t n);
/* Finishes every digest into *out (out->mask = the requested mask). */
BL_MUST_CHECK int bl_digester_final(struct bl_digester *d, struct bl_digest_set *out);
void bl_digester_free(struct bl_digester *d);

/*
 * Digest everything read(2) gives from fd, to its end, with every algorithm
 * in `mask` (64 KiB reads, EINTR retried). *total (when not NULL) gets the
 * number of bytes read. BL_EIO "read: …" on a read error; fd stays open.
 */
BL_MUST_CHECK int bl_digest_fd(int fd, unsigned mask, struct bl_digest_set *out, uint64_t *total);

/* Parse a Content-Digest (or Repr-Digest) field value of length n. */
BL_MUST_CHECK int bl_content_digest_parse(const char *s, size_t n, struct bl_digest_set *out);

/* Append "sha-256=:…:, sha-384=:…:" (in algorithm order) to out. */
BL_MUST_CHECK int bl_content_digest_format(const struct bl_digest_set *set, struct bl_buf *out);

/*
 * Check `actual` against `claimed`: every algorithm in claimed must be in
 * actual and equal (constant time). BL_EVERIFY naming the algorithm otherwise;
 * BL_EINVAL when claimed is empty.
 */
BL_MUST_CHECK int bl_dset_verify(const struct bl_digest_set *claimed,
                                 const struct bl_digest_set *actual);

#endif
