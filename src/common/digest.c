/* digest.c — SHA-2 and Content-Digest; see digest.h. */
#include "common/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <unistd.h>

#include "common/codec.h"

static const char *const names[BL_DIG_COUNT] = { "sha-224", "sha-256", "sha-384", "sha-512" };
static const size_t sizes[BL_DIG_COUNT] = { 28, 32, 48, 64 };

const char *bl_dig_name(enum bl_dig_alg alg)
{
	return (unsigned)alg < BL_DIG_COUNT ? names[alg] : NULL;
}

size_t bl_dig_size(enum bl_dig_alg alg)
{
	return (unsigned)alg < BL_DIG_COUNT ? sizes[alg] : 0;
}

int bl_dig_parse_name(const char *s, size_t n)
{
	for (int a = 0; a < BL_DIG_COUNT; a++)
		if (strlen(names[a]) == n && strncasecmp(s, names[a], n) == 0)
			return a;
	return -1;
}

static const EVP_MD *evp_of(enum bl_dig_alg alg)
{
	switch (alg) {
	case BL_SHA224: return EVP_sha224();
	case BL_SHA256: return EVP_sha256();
	case BL_SHA384: return EVP_sha384();
	case BL_SHA512: return EVP_sha512();
	default: return NULL;
	}
}

int bl_digest(enum bl_dig_alg alg, const void *p, size_t n, uint8_t *out)
{
	const EVP_MD *md = evp_of(alg);
	unsigned int len = 0;

	if (!md)
		return bl_err(BL_EINVAL, "unknown digest algorithm %d", (int)alg);
	if (!EVP_Digest(p, n, out, &len, md, NULL))
		return bl_err(BL_EINTERNAL, "%s: digest failed", names[alg]);
	return 0;
}

struct bl_digester {
	unsigned mask;
	EVP_MD_CTX *ctx[BL_DIG_COUNT];
};

void bl_digester_free(struct bl_digester *d)
{
	if (!d)
		return;
	for (int a = 0; a < BL_DIG_COUNT; a++)
		EVP_MD_CTX_free(d->ctx[a]);
	free(d);
}

struct bl_digester *bl_digester_new(unsigned mask)
{
	struct bl_digester *d;

	if (!mask || mask >> BL_DIG_COUNT) {
		bl_err(BL_EINVAL, "digester: bad algorithm mask 0x%x", mask);
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		bl_err(BL_ENOMEM, "digester: out of memory");
		return NULL;
	}
	d->mask = mask;
	for (int a = 0; a < BL_DIG_COUNT; a++) {
		if (!((mask >> a) & 1))
			continue;
		d->ctx[a] = EVP_MD_CTX_new();
		if (!d->ctx[a] || !EVP_DigestInit_ex(d->ctx[a], evp_of((enum bl_dig_alg)a), NULL)) {
			bl_digester_free(d);
			bl_err(BL_ENOMEM, "digester: cannot start %s", names[a]);
			return NULL;
		}
	}
	return d;
}

int bl_digester_update(struct bl_digester *d, const void *p, size_t n)
{
	for (int a = 0; a < BL_DIG_COUNT; a++)
		if (d->ctx[a] && !EVP_DigestUpdate(d->ctx[a], p, n))
			return bl_err(BL_EINTERNAL, "%s: digest update failed", names[a]);
	return 0;
}

int bl_digester_final(struct bl_digester *d, struct bl_digest_set *out)
{
	memset(out, 0, sizeof(*out));
	for (int a = 0; a < BL_DIG_COUNT; a++) {
		unsigned int len = 0;

		if (!d->ctx[a])
			continue;
		if (!EVP_DigestFinal_ex(d->ctx[a], out->val[a], &len))
			return bl_err(BL_EINTERNAL, "%s: digest final failed", names[a]);
	}
	out->mask = d->mask;
	return 0;
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int is_keychar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.' || c == '*';
}

int bl_content_digest_parse(const char *s, size_t n, struct bl_digest_set *out)
{
	size_t i = 0;
	int members = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		size_t kstart, klen, vstart, vlen, got;
		uint8_t tmp[BL_DIG_MAX + 3];
		int alg;

		while (i < n && is_ows(s[i]))
			i++;
		if (i == n)
			break;
		kstart = i;
		while (i < n && is_keychar(s[i]))
			i++;
		klen = i - kstart;
		if (klen == 0)
			return bl_err(BL_EINVAL,
			              "Content-Digest: expected an algorithm name at position %zu",
			              kstart);
		while (i < n && is_ows(s[i]))
			i++;
		if (i == n || s[i] != '=')
			return bl_err(BL_EINVAL, "Content-Digest: expected '=' after '%.*s'",
			              (int)(klen > 32 ? 32 : klen), s + kstart);
		i++;
		while (i < n && is_ows(s[i]))
			i++;
		if (i == n || s[i] != ':')
			return bl_err(
			    BL_EINVAL,
			    "Content-Digest: value of '%.*s' is not a byte sequence (:base64:)",
			    (int)(klen > 32 ? 32 : klen), s + kstart);
		vstart = ++i;
		while (i < n && s[i] != ':')
			i++;
		if (i == n)
			return bl_err(BL_EINVAL, "Content-Digest: unterminated byte sequence");
		vlen = i - vstart;
		i++;
		alg = bl_dig_parse_name(s + kstart, klen);
		if (alg >= 0) {
			if (bl_b64_decode(s + vstart, vlen, tmp, sizeof(tmp), &got, 0) < 0)
				return bl_err_wrap(BL_EINVAL, "Content-Digest %s: ", names[alg]);
			if (got != sizes[alg])
				return bl_err(BL_EINVAL,
				              "Content-Digest %s: %zu bytes, expected %zu",
				              names[alg], got, sizes[alg]);
			if (bl_dset_has(out, alg) && memcmp(out->val[alg], tmp, got) != 0)
				return bl_err(
				    BL_EINVAL,
				    "Content-Digest: %s given twice with different values",
				    names[alg]);
			memcpy(out->val[alg], tmp, got);
			out->mask |= 1u << alg;
		}
		members++;
		while (i < n && is_ows(s[i]))
			i++;
		if (i == n)
			break;
		if (s[i] != ',')
			return bl_err(BL_EINVAL, "Content-Digest: expected ',' at position %zu", i);
		i++;
		while (i < n && is_ows(s[i]))
			i++;
		if (i == n)
			return bl_err(BL_EINVAL, "Content-Digest: trailing ','");
	}
	if (!members)
		return bl_err(BL_EINVAL, "Content-Digest: empty");
	if (!out->mask)
		return bl_err(BL_EUNSUPP,
		              "Content-Digest: no supported algorithm (sha-224/256/384/512)");
	return 0;
}

int bl_content_digest_format(const struct bl_digest_set *set, struct bl_buf *out)
{
	int first = 1;

	for (int a = 0; a < BL_DIG_COUNT; a++) {
		if (!bl_dset_has(set, a))
			continue;
		BL_TRY(bl_buf_printf(out, "%s%s=:", first ? "" : ", ", names[a]));
		BL_TRY(bl_b64_encode(out, set->val[a], sizes[a], 0));
		BL_TRY(bl_buf_putc(out, ':'));
		first = 0;
	}
	if (first)
		return bl_err(BL_EINVAL, "Content-Digest: no digest to format");
	return 0;
}

int bl_dset_verify(const struct bl_digest_set *claimed, const struct bl_digest_set *actual)
{
	if (!claimed->mask)
		return bl_err(BL_EINVAL, "no digest to check against");
	for (int a = 0; a < BL_DIG_COUNT; a++) {
		if (!bl_dset_has(claimed, a))
			continue;
		if (!bl_dset_has(actual, a))
			return bl_err(BL_EINTERNAL, "%s was not computed", names[a]);
		if (CRYPTO_memcmp(claimed->val[a], actual->val[a], sizes[a]) != 0)
			return bl_err(BL_EVERIFY, "%s digest mismatch", names[a]);
	}
	return 0;
}

int bl_digest_fd(int fd, unsigned mask, struct bl_digest_set *out, uint64_t *total)
{
	enum { CHUNK = 65536 };
	struct bl_digester *d;
	uint8_t *chunk;
	uint64_t n_read = 0;
	int rc;

	chunk = malloc(CHUNK);
	if (!chunk)
		return bl_err(BL_ENOMEM, "digest: out of memory");
	d = bl_digester_new(mask);
	if (!d) {
		rc = BL_ENOMEM;
		goto out_free_chunk;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = bl_err(BL_EIO, "read: %s", strerror(errno));
			goto out_free_digester;
		}
		if (n == 0)
			break;
		n_read += (uint64_t)n;
		BL_TRY_GOTO(rc, bl_digester_update(d, chunk, (size_t)n), out_free_digester);
	}
	BL_TRY_GOTO(rc, bl_digester_final(d, out), out_free_digester);
	if (total)
		*total = n_read;
out_free_digester:
	bl_digester_free(d);
out_free_chunk:
	free(chunk);
	return rc;
}
