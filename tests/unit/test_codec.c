/* test_codec.c — base64 (RFC 4648 vectors and strictness) and hex. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/codec.h"

static void test_b64_rfc4648_vectors(void **state)
{
	(void)state;
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const enc[] = { "",         "Zg==",     "Zm8=",    "Zm9v",
		                           "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	static const char *const url[] = {
		"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"
	};

	for (int i = 0; i < 7; i++) {
		struct bl_buf b = BL_BUF_INIT;
		uint8_t out[16];
		size_t n = 99;

		assert_int_equal(bl_b64_encode(&b, plain[i], strlen(plain[i]), 0), 0);
		assert_int_equal(b.len, strlen(enc[i]));
		assert_memory_equal(b.p, enc[i], b.len);
		bl_buf_reset(&b);
		assert_int_equal(bl_b64_encode(&b, plain[i], strlen(plain[i]), 1), 0);
		assert_int_equal(b.len, strlen(url[i]));
		assert_memory_equal(b.p, url[i], b.len);
		bl_buf_free(&b);
		assert_int_equal(bl_b64_decode(enc[i], strlen(enc[i]), out, sizeof(out), &n, 0), 0);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(out, plain[i], n);
		assert_int_equal(bl_b64_decode(url[i], strlen(url[i]), out, sizeof(out), &n, 1), 0);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(out, plain[i], n);
	}
}

static void test_b64_alphabets(void **state)
{
	(void)state;
	static const uint8_t bin[] = { 0xfb, 0xff, 0xbf };
	struct bl_buf b = BL_BUF_INIT;
	uint8_t out[4];
	size_t n;

	assert_int_equal(bl_b64_encode(&b, bin, 3, 0), 0);
	assert_memory_equal(b.p, "+/+/", 4);
	bl_buf_reset(&b);
	assert_int_equal(bl_b64_encode(&b, bin, 3, 1), 0);
	assert_memory_equal(b.p, "-_-_", 4);
	bl_buf_free(&b);
	assert_int_equal(bl_b64_decode("-_-_", 4, out, 4, &n, 0), BL_EINVAL);
	assert_int_equal(bl_b64_decode("+/+/", 4, out, 4, &n, 1), BL_EINVAL);
}

static void test_b64_strict(void **state)
{
	(void)state;
	static const char *const bad_std[] = {
		"Zg=", /* length not a multiple of 4 */
		"Zg", /* missing padding */
		"Zh==", /* non-zero trailing bits */
		"Zm9=", /* non-zero trailing bits (2 bytes) */
		"Z===", /* too much padding */
		"Zg==Zg==", /* padding in the middle */
		"Zm 9v", /* space */
		"Zm9v\n", /* newline */
		"====",     "Zm=v",
	};
	uint8_t out[16];
	size_t n;

	for (size_t i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++)
		if (bl_b64_decode(bad_std[i], strlen(bad_std[i]), out, sizeof(out), &n, 0) !=
		    BL_EINVAL)
			fail_msg("accepted bad base64 '%s'", bad_std[i]);
	assert_int_equal(bl_b64_decode("Zg==", 4, out, sizeof(out), &n, 1), BL_EINVAL);
	assert_int_equal(bl_b64_decode("Z", 1, out, sizeof(out), &n, 1), BL_EINVAL);
	/* Too small a destination. */
	assert_int_equal(bl_b64_decode("Zm9vYmFy", 8, out, 5, &n, 0), BL_ERANGE);
}

static void test_hex_digit(void **state)
{
	(void)state;
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 16; i++) {
		assert_int_equal(bl_hex_digit(digits[i]), i);
		assert_int_equal(bl_hex_digit(toupper((unsigned char)digits[i])), i);
	}
	for (int c = -1; c < 256; c++)
		if (!strchr("0123456789abcdefABCDEF", c) || c == 0)
			assert_int_equal(bl_hex_digit(c), -1);
}

static void test_hex(void **state)
{
	(void)state;
	struct bl_buf b = BL_BUF_INIT;
	uint8_t out[4];

	assert_int_equal(bl_hex_encode(&b, "\x00\xab\xcd\xff", 4), 0);
	assert_string_equal((char *)b.p, "00abcdff");
	bl_buf_free(&b);
	assert_int_equal(bl_hex_decode("00ABcdFF", 8, out, 4), 0);
	assert_memory_equal(out, "\x00\xab\xcd\xff", 4);
	assert_int_equal(bl_hex_decode("00abcdf", 7, out, 4), BL_EINVAL);
	assert_int_equal(bl_hex_decode("00abcdfg", 8, out, 4), BL_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_rfc4648_vectors),
		cmocka_unit_test(test_b64_alphabets),
		cmocka_unit_test(test_b64_strict),
		cmocka_unit_test(test_hex_digit),
		cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests_name("codec", tests, NULL, NULL);
}
