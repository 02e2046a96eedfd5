/* test_digest.c — SHA-2 digests, streaming, and RFC 9530 Content-Digest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/codec.h"
#include "common/digest.h"

/* RFC 9530 §2 example body and its digests (checked with `openssl dgst`). */
static const char body[] = "{\"hello\": \"world\"}";
static const char sha256_b64[] = "X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=";
static const char sha512_b64[] =
    "WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==";

static void b64(const char *s, uint8_t *out, size_t n)
{
	size_t got;
	assert_int_equal(bl_b64_decode(s, strlen(s), out, BL_DIG_MAX, &got, 0), 0);
	assert_int_equal(got, n);
}

static void test_oneshot(void **state)
{
	(void)state;
	uint8_t out[BL_DIG_MAX], want[BL_DIG_MAX];

	assert_int_equal(bl_digest(BL_SHA256, body, strlen(body), out), 0);
	b64(sha256_b64, want, 32);
	assert_memory_equal(out, want, 32);
	assert_int_equal(bl_digest(BL_SHA512, body, strlen(body), out), 0);
	b64(sha512_b64, want, 64);
	assert_memory_equal(out, want, 64);
	assert_int_equal(bl_digest(BL_SHA224, "abc", 3, out), 0);
	b64("Iwl9IjQF2CKGQqR3vaJVsyqtvOS9oLP342ydpw==", want, 28);
	assert_memory_equal(out, want, 28);
	assert_int_equal(bl_digest(BL_SHA384, "abc", 3, out), 0);
	b64("ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn", want, 48);
	assert_memory_equal(out, want, 48);
	assert_int_equal(bl_digest((enum bl_dig_alg)7, "", 0, out), BL_EINVAL);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(bl_dig_parse_name("SHA-256", 7), BL_SHA256);
	assert_int_equal(bl_dig_parse_name("sha-512", 7), BL_SHA512);
	assert_int_equal(bl_dig_parse_name("sha-2566", 8), -1);
	assert_int_equal(bl_dig_parse_name("sha256", 6), -1);
	assert_int_equal(bl_dig_size(BL_SHA384), 48);
	assert_string_equal(bl_dig_name(BL_SHA224), "sha-224");
	assert_null(bl_dig_name(BL_DIG_COUNT));
}

/* Streaming in odd-sized pieces gives the one-shot result for every algorithm. */
static void test_streaming(void **state)
{
	(void)state;
	uint8_t data[10007];
	struct bl_digester *d = bl_digester_new(0xf);
	struct bl_digest_set set;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31 + 7);
	assert_non_null(d);
	for (size_t off = 0; off < sizeof(data);) {
		size_t n = (off % 97) + 1;
		if (n > sizeof(data) - off)
			n = sizeof(data) - off;
		assert_int_equal(bl_digester_update(d, data + off, n), 0);
		off += n;
	}
	assert_int_equal(bl_digester_final(d, &set), 0);
	bl_digester_free(d);
	assert_int_equal(set.mask, 0xf);
	for (int a = 0; a < BL_DIG_COUNT; a++) {
		uint8_t want[BL_DIG_MAX];
		assert_int_equal(bl_digest(a, data, sizeof(data), want), 0);
		assert_memory_equal(set.val[a], want, bl_dig_size(a));
	}
	assert_null(bl_digester_new(0));
	assert_null(bl_digester_new(0x10));
}

/* bl_digest_fd over a file: the bytes, count and digests of what was written. */
static void test_digest_fd(void **state)
{
	(void)state;
	static uint8_t data[150001]; /* more than two 64 KiB reads */
	struct bl_digest_set set;
	uint64_t total = 0;
	FILE *f = tmpfile();
	int fd;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + (i >> 9));
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, sizeof(data), f), sizeof(data));
	assert_int_equal(fflush(f), 0);
	fd = fileno(f);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	memset(&set, 0, sizeof(set));
	assert_int_equal(bl_digest_fd(fd, (1u << BL_SHA256) | (1u << BL_SHA512), &set, &total), 0);
	assert_int_equal(total, sizeof(data));
	assert_int_equal(set.mask, (1u << BL_SHA256) | (1u << BL_SHA512));
	for (int a = BL_SHA256; a <= BL_SHA512; a += 2) {
		uint8_t want[BL_DIG_MAX];
		assert_int_equal(bl_digest(a, data, sizeof(data), want), 0);
		assert_memory_equal(set.val[a], want, bl_dig_size(a));
	}
	/* At the end already: the digest of nothing. */
	assert_int_equal(bl_digest_fd(fd, 1u << BL_SHA256, &set, &total), 0);
	assert_int_equal(total, 0);
	{
		uint8_t want[BL_DIG_MAX];
		assert_int_equal(bl_digest(BL_SHA256, "", 0, want), 0);
		assert_memory_equal(set.val[BL_SHA256], want, bl_dig_size(BL_SHA256));
	}
	assert_true(bl_digest_fd(fd, 0, &set, NULL) < 0); /* no algorithm */
	fclose(f);
	assert_int_equal(bl_digest_fd(-1, 1u << BL_SHA256, &set, NULL), BL_EIO);
}

static void test_parse_good(void **state)
{
	(void)state;
	struct bl_digest_set s;
	uint8_t want[BL_DIG_MAX];
	char hdr[512];

	snprintf(hdr, sizeof(hdr), "sha-256=:%s:", sha256_b64);
	assert_int_equal(bl_content_digest_parse(hdr, strlen(hdr), &s), 0);
	assert_int_equal(s.mask, 1u << BL_SHA256);
	b64(sha256_b64, want, 32);
	assert_memory_equal(s.val[BL_SHA256], want, 32);

	/* Several algorithms, upper case, odd spacing, an unknown one skipped. */
	snprintf(hdr, sizeof(hdr), "  SHA-512 = :%s:,md5=:AAAA:,\tsha-256=:%s:  ", sha512_b64,
	         sha256_b64);
	assert_int_equal(bl_content_digest_parse(hdr, strlen(hdr), &s), 0);
	assert_int_equal(s.mask, (1u << BL_SHA256) | (1u << BL_SHA512));
	b64(sha512_b64, want, 64);
	assert_memory_equal(s.val[BL_SHA512], want, 64);

	/* The same value twice is harmless. */
	snprintf(hdr, sizeof(hdr), "sha-256=:%s:, sha-256=:%s:", sha256_b64, sha256_b64);
	assert_int_equal(bl_content_digest_parse(hdr, strlen(hdr), &s), 0);
}

static void test_parse_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"   ",
		"sha-256",
		"sha-256=",
		"sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", /* not a byte sequence */
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", /* unterminated */
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE:", /* bad padding */
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPF=:", /* trailing bits */
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9D:", /* too short */
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=AAAA:", /* too long */
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBP-=:", /* url alphabet */
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoy WxBf7kbu9DBPE=:", /* space inside */
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,", /* trailing comma */
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:;a=1", /* parameter */
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=: sha-512=:AA==:", /* no comma */
		",sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
		"=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
		"md5=:AAAA:", /* only unknown algorithms */
		"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, "
		"sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:", /* conflicting */
	};
	struct bl_digest_set s;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = bl_content_digest_parse(bad[i], strlen(bad[i]), &s);
		if (rc >= 0)
			fail_msg("accepted malformed Content-Digest '%s'", bad[i]);
		assert_true(bl_errmsg()[0] != '\0');
	}
	/* The parser reads exactly n bytes: a valid header cut short fails. */
	assert_true(bl_content_digest_parse(
	                "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", 40, &s) < 0);
}

static void test_format_roundtrip_and_verify(void **state)
{
	(void)state;
	struct bl_digester *d = bl_digester_new((1u << BL_SHA256) | (1u << BL_SHA512));
	struct bl_digest_set set, parsed, other;
	struct bl_buf out = BL_BUF_INIT;
	char want[256];

	assert_non_null(d);
	assert_int_equal(bl_digester_update(d, body, strlen(body)), 0);
	assert_int_equal(bl_digester_final(d, &set), 0);
	bl_digester_free(d);
	assert_int_equal(bl_content_digest_format(&set, &out), 0);
	snprintf(want, sizeof(want), "sha-256=:%s:, sha-512=:%s:", sha256_b64, sha512_b64);
	assert_string_equal((char *)out.p, want);
	assert_int_equal(bl_content_digest_parse((char *)out.p, out.len, &parsed), 0);
	bl_buf_free(&out);
	assert_int_equal(bl_dset_verify(&parsed, &set), 0);
	/* A single changed bit is a mismatch. */
	other = set;
	other.val[BL_SHA512][63] ^= 1;
	assert_int_equal(bl_dset_verify(&parsed, &other), BL_EVERIFY);
	assert_non_null(strstr(bl_errmsg(), "sha-512"));
	/* An algorithm that was claimed but not computed is not a pass. */
	other = set;
	other.mask = 1u << BL_SHA256;
	assert_true(bl_dset_verify(&parsed, &other) < 0);
	memset(&other, 0, sizeof(other));
	assert_int_equal(bl_dset_verify(&other, &set), BL_EINVAL);
	assert_int_equal(bl_content_digest_format(&other, &out), BL_EINVAL);
	bl_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oneshot),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_digest_fd),
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_format_roundtrip_and_verify),
	};
	return cmocka_run_group_tests_name("digest", tests, NULL, NULL);
}
