/* test_cursor.c — the checked byte cursor: fixed-width reads, LEB128, sub-cursors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/cursor.h"

static void test_fixed_le_be(void **state)
{
	(void)state;
	static const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		                     0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
		                     0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		                     0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };
	struct bl_cur c = bl_cur_make(b, sizeof(b));
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	assert_int_equal(bl_cur_u8(&c, &u8), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(bl_cur_u16le(&c, &u16), 0);
	assert_int_equal(u16, 0x0302);
	assert_int_equal(bl_cur_u16be(&c, &u16), 0);
	assert_int_equal(u16, 0x0405);
	assert_int_equal(bl_cur_u32le(&c, &u32), 0);
	assert_int_equal(u32, 0x09080706);
	assert_int_equal(bl_cur_u32be(&c, &u32), 0);
	assert_int_equal(u32, 0x0a0b0c0d);
	assert_int_equal(bl_cur_u64le(&c, &u64), 0);
	assert_true(u64 == 0x1514131211100f0eULL);
	assert_int_equal(bl_cur_u64be(&c, &u64), 0);
	assert_true(u64 == 0x161718191a1b1c1dULL);
	assert_int_equal(bl_cur_left(&c), 2);
	assert_int_equal(bl_cur_offset(&c), 29);
}

/* Every fixed-width read fails on one byte too few and leaves the position. */
static void test_fixed_truncated(void **state)
{
	(void)state;
	static const uint8_t b[8] = { 0 };
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	struct bl_cur c;

	c = bl_cur_make(b, 0);
	assert_int_equal(bl_cur_u8(&c, &u8), BL_ETRUNC);
	c = bl_cur_make(b, 1);
	assert_int_equal(bl_cur_u16le(&c, &u16), BL_ETRUNC);
	assert_int_equal(bl_cur_u16be(&c, &u16), BL_ETRUNC);
	assert_int_equal(c.pos, 0);
	c = bl_cur_make(b, 3);
	assert_int_equal(bl_cur_u32le(&c, &u32), BL_ETRUNC);
	assert_int_equal(bl_cur_u32be(&c, &u32), BL_ETRUNC);
	c = bl_cur_make(b, 7);
	assert_int_equal(bl_cur_u64le(&c, &u64), BL_ETRUNC);
	assert_int_equal(bl_cur_u64be(&c, &u64), BL_ETRUNC);
	assert_int_equal(c.pos, 0);
	assert_non_null(strstr(bl_errmsg(), "need 8 byte(s) at offset 0, 7 left"));
}

static void test_bytes_copy_skip(void **state)
{
	(void)state;
	static const uint8_t b[] = { 1, 2, 3, 4, 5 };
	struct bl_cur c = bl_cur_make(b, sizeof(b));
	const uint8_t *p;
	uint8_t dst[4];

	assert_int_equal(bl_cur_bytes(&c, 2, &p), 0);
	assert_ptr_equal(p, b);
	assert_int_equal(bl_cur_copy(&c, 2, dst), 0);
	assert_memory_equal(dst, b + 2, 2);
	assert_int_equal(bl_cur_copy(&c, 2, dst), BL_ETRUNC);
	assert_int_equal(bl_cur_bytes(&c, 2, &p), BL_ETRUNC);
	assert_int_equal(bl_cur_skip(&c, 2), BL_ETRUNC);
	assert_int_equal(bl_cur_skip(&c, 1), 0);
	assert_true(bl_cur_eof(&c));
	assert_int_equal(bl_cur_expect_end(&c, "x"), 0);
	/* A huge length must not wrap around. */
	c = bl_cur_make(b, sizeof(b));
	assert_int_equal(bl_cur_skip(&c, 1), 0);
	assert_int_equal(bl_cur_bytes(&c, SIZE_MAX, &p), BL_ETRUNC);
	assert_int_equal(bl_cur_skip(&c, SIZE_MAX - 1), BL_ETRUNC);
	assert_int_equal(bl_cur_expect_end(&c, "trailer"), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "trailer: 4 unexpected byte(s) at offset 1"));
}

static void test_sub_cursor(void **state)
{
	(void)state;
	static const uint8_t b[] = { 0xaa, 3, 0x10, 0x20, 0x30, 0xbb };
	struct bl_cur c = bl_cur_make(b, sizeof(b)), sub;
	uint8_t len = 0, v = 0;
	uint32_t u32;

	assert_int_equal(bl_cur_skip(&c, 1), 0);
	assert_int_equal(bl_cur_u8(&c, &len), 0);
	assert_int_equal(bl_cur_sub(&c, len, &sub), 0);
	/* The child cannot read past its length even though the parent has more. */
	assert_int_equal(bl_cur_u32le(&sub, &u32), BL_ETRUNC);
	assert_non_null(strstr(bl_errmsg(), "at offset 2"));
	assert_int_equal(bl_cur_skip(&sub, 2), 0);
	assert_int_equal(bl_cur_offset(&sub), 4);
	assert_int_equal(bl_cur_u8(&sub, &v), 0);
	assert_int_equal(v, 0x30);
	assert_int_equal(bl_cur_u8(&sub, &v), BL_ETRUNC);
	/* The parent moved past the child's bytes. */
	assert_int_equal(bl_cur_u8(&c, &v), 0);
	assert_int_equal(v, 0xbb);
	/* A length field larger than what is left fails without moving. */
	c = bl_cur_make(b, sizeof(b));
	assert_int_equal(bl_cur_sub(&c, 7, &sub), BL_ETRUNC);
	assert_int_equal(c.pos, 0);
	assert_int_equal(bl_cur_peek(&c, &v), 0);
	assert_int_equal(v, 0xaa);
	assert_int_equal(c.pos, 0);
}

struct leb_case {
	const char *name;
	uint8_t bytes[12];
	size_t len;
	int rc;
	int64_t value; /* as the signed or unsigned result, cast */
};

static void run_u32(const struct leb_case *t)
{
	struct bl_cur c = bl_cur_make(t->bytes, t->len);
	uint32_t v = 0xdeadbeef;
	int rc = bl_cur_leb_u32(&c, &v);

	if (rc != t->rc)
		fail_msg("u32 %s: rc %d, want %d (%s)", t->name, rc, t->rc, bl_errmsg());
	if (rc == 0) {
		assert_int_equal(v, (uint32_t)t->value);
		assert_int_equal(c.pos, t->len);
	} else {
		assert_int_equal(c.pos, 0);
	}
}

static void test_leb_u32(void **state)
{
	(void)state;
	static const struct leb_case cases[] = {
		{ "zero", { 0x00 }, 1, 0, 0 },
		{ "127", { 0x7f }, 1, 0, 127 },
		{ "128", { 0x80, 0x01 }, 2, 0, 128 },
		{ "624485", { 0xe5, 0x8e, 0x26 }, 3, 0, 624485 },
		{ "padded zero", { 0x80, 0x80, 0x80, 0x80, 0x00 }, 5, 0, 0 },
		{ "max", { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, 0, 0xffffffff },
		{ "unused bits set", { 0xff, 0xff, 0xff, 0xff, 0x1f }, 5, BL_EINVAL, 0 },
		{ "unused bit 6", { 0x80, 0x80, 0x80, 0x80, 0x40 }, 5, BL_EINVAL, 0 },
		{ "too long", { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, 6, BL_EINVAL, 0 },
		{ "truncated", { 0x80, 0x80 }, 2, BL_ETRUNC, 0 },
		{ "empty", { 0 }, 0, BL_ETRUNC, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_u32(&cases[i]);
}

static void test_leb_u64(void **state)
{
	(void)state;
	static const uint8_t max[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t bad[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03 };
	static const uint8_t longer[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
		                          0x80, 0x80, 0x80, 0x80, 0x00 };
	struct bl_cur c;
	uint64_t v;

	c = bl_cur_make(max, sizeof(max));
	assert_int_equal(bl_cur_leb_u64(&c, &v), 0);
	assert_true(v == UINT64_MAX);
	c = bl_cur_make(bad, sizeof(bad));
	assert_int_equal(bl_cur_leb_u64(&c, &v), BL_EINVAL);
	c = bl_cur_make(longer, sizeof(longer));
	assert_int_equal(bl_cur_leb_u64(&c, &v), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "longer than 10 bytes"));
}

static void test_leb_s32(void **state)
{
	(void)state;
	static const struct leb_case cases[] = {
		{ "-1", { 0x7f }, 1, 0, -1 },
		{ "63", { 0x3f }, 1, 0, 63 },
		{ "64", { 0xc0, 0x00 }, 2, 0, 64 },
		{ "-64", { 0x40 }, 1, 0, -64 },
		{ "-65", { 0xbf, 0x7f }, 2, 0, -65 },
		{ "-123456", { 0xc0, 0xbb, 0x78 }, 3, 0, -123456 },
		{ "min", { 0x80, 0x80, 0x80, 0x80, 0x78 }, 5, 0, INT32_MIN },
		{ "max", { 0xff, 0xff, 0xff, 0xff, 0x07 }, 5, 0, INT32_MAX },
		{ "padded -1", { 0xff, 0xff, 0xff, 0xff, 0x7f }, 5, 0, -1 },
		/* The spec testsuite's binary-leb128 cases: */
		{ "unused bits not sign (pos)", { 0x80, 0x80, 0x80, 0x80, 0x70 }, 5, BL_EINVAL, 0 },
		{ "unused bits not sign (neg)", { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, BL_EINVAL, 0 },
		{ "unused bits not sign (mixed)",
		  { 0x80, 0x80, 0x80, 0x80, 0x1f },
		  5,
		  BL_EINVAL,
		  0 },
		{ "too long", { 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f }, 6, BL_EINVAL, 0 },
		{ "truncated", { 0xff }, 1, BL_ETRUNC, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct leb_case *t = &cases[i];
		struct bl_cur c = bl_cur_make(t->bytes, t->len);
		int32_t v = 0;
		int rc = bl_cur_leb_s32(&c, &v);

		if (rc != t->rc)
			fail_msg("s32 %s: rc %d, want %d (%s)", t->name, rc, t->rc, bl_errmsg());
		if (rc == 0 && v != (int32_t)t->value)
			fail_msg("s32 %s: got %d, want %d", t->name, v, (int32_t)t->value);
	}
}

static void test_leb_s33(void **state)
{
	(void)state;
	static const struct leb_case cases[] = {
		{ "-1 (void block type)", { 0x7f }, 1, 0, -1 },
		{ "type index 5", { 0x05 }, 1, 0, 5 },
		{ "max", { 0xff, 0xff, 0xff, 0xff, 0x0f }, 5, 0, 0xffffffffLL },
		{ "min", { 0x80, 0x80, 0x80, 0x80, 0x70 }, 5, 0, -(1LL << 32) },
		{ "unused bits", { 0xff, 0xff, 0xff, 0xff, 0x2f }, 5, BL_EINVAL, 0 },
		{ "too long", { 0x80, 0x80, 0x80, 0x80, 0x80, 0x00 }, 6, BL_EINVAL, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct leb_case *t = &cases[i];
		struct bl_cur c = bl_cur_make(t->bytes, t->len);
		int64_t v = 0;
		int rc = bl_cur_leb_s33(&c, &v);

		if (rc != t->rc)
			fail_msg("s33 %s: rc %d, want %d (%s)", t->name, rc, t->rc, bl_errmsg());
		if (rc == 0 && v != t->value)
			fail_msg("s33 %s: got %lld, want %lld", t->name, (long long)v,
			         (long long)t->value);
	}
}

static void test_leb_s64(void **state)
{
	(void)state;
	static const struct leb_case cases[] = {
		{ "-1", { 0x7f }, 1, 0, -1 },
		{ "min",
		  { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f },
		  10,
		  0,
		  INT64_MIN },
		{ "max",
		  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00 },
		  10,
		  0,
		  INT64_MAX },
		{ "unused bits (pos)",
		  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 },
		  10,
		  BL_EINVAL,
		  0 },
		{ "unused bits (neg)",
		  { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7e },
		  10,
		  BL_EINVAL,
		  0 },
		{ "too long",
		  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
		  11,
		  BL_EINVAL,
		  0 },
		{ "truncated",
		  { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		  9,
		  BL_ETRUNC,
		  0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct leb_case *t = &cases[i];
		struct bl_cur c = bl_cur_make(t->bytes, t->len);
		int64_t v = 0;
		int rc = bl_cur_leb_s64(&c, &v);

		if (rc != t->rc)
			fail_msg("s64 %s: rc %d, want %d (%s)", t->name, rc, t->rc, bl_errmsg());
		if (rc == 0 && v != t->value)
			fail_msg("s64 %s: got %lld, want %lld", t->name, (long long)v,
			         (long long)t->value);
	}
}

/* Round trip: every 32-bit value encoded canonically decodes to itself. */
static void test_leb_roundtrip(void **state)
{
	(void)state;
	uint32_t x = 0x12345678;

	for (int i = 0; i < 100000; i++) {
		uint8_t b[5];
		size_t n = 0;
		uint32_t v = x, got;
		int32_t sv = (int32_t)x, sgot;
		struct bl_cur c;

		x = x * 1103515245u + 12345u;
		do {
			uint8_t byte = v & 0x7f;
			v >>= 7;
			b[n++] = byte | (v ? 0x80 : 0);
		} while (v);
		c = bl_cur_make(b, n);
		assert_int_equal(bl_cur_leb_u32(&c, &got), 0);
		assert_int_equal(got, (uint32_t)sv);
		/* signed encoding */
		n = 0;
		for (;;) {
			uint8_t byte = (uint8_t)(sv & 0x7f);
			int done;
			sv >>= 7;
			done = (sv == 0 && !(byte & 0x40)) || (sv == -1 && (byte & 0x40));
			b[n++] = byte | (done ? 0 : 0x80);
			if (done)
				break;
		}
		c = bl_cur_make(b, n);
		assert_int_equal(bl_cur_leb_s32(&c, &sgot), 0);
		assert_int_equal((uint32_t)sgot, got);
	}
}

static void test_offsets_in_messages(void **state)
{
	(void)state;
	static const uint8_t b[] = { 0, 0, 0, 0x80, 0x80 };
	struct bl_cur c = bl_cur_make(b, sizeof(b)), sub;
	uint32_t v;

	assert_int_equal(bl_cur_skip(&c, 1), 0);
	assert_int_equal(bl_cur_sub(&c, 4, &sub), 0);
	assert_int_equal(bl_cur_skip(&sub, 2), 0);
	assert_int_equal(bl_cur_leb_u32(&sub, &v), BL_ETRUNC);
	assert_non_null(strstr(bl_errmsg(), "offset 3"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_le_be),
		cmocka_unit_test(test_fixed_truncated),
		cmocka_unit_test(test_bytes_copy_skip),
		cmocka_unit_test(test_sub_cursor),
		cmocka_unit_test(test_leb_u32),
		cmocka_unit_test(test_leb_u64),
		cmocka_unit_test(test_leb_s32),
		cmocka_unit_test(test_leb_s33),
		cmocka_unit_test(test_leb_s64),
		cmocka_unit_test(test_leb_roundtrip),
		cmocka_unit_test(test_offsets_in_messages),
	};
	return cmocka_run_group_tests_name("cursor", tests, NULL, NULL);
}
