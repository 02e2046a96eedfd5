/* test_buf.c — growable buffer: growth, limits, formatting, ownership transfer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"

static void test_append_grows(void **state)
{
	(void)state;
	struct bl_buf b = BL_BUF_INIT;
	uint8_t block[1000];

	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (uint8_t)i;
	for (int i = 0; i < 100; i++)
		assert_int_equal(bl_buf_append(&b, block, sizeof(block)), 0);
	assert_int_equal(b.len, 100000);
	assert_true(b.cap >= b.len);
	assert_memory_equal(b.p + 99000, block, sizeof(block));
	assert_int_equal(b.p[b.len], 0);
	bl_buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
}

static void test_put_integers(void **state)
{
	(void)state;
	struct bl_buf b = BL_BUF_INIT;
	static const uint8_t want[] = { 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x78, 0x56, 0x34, 0x12,
		                        8,    7,    6,    5,    4,    3,    2,    1,    'z' };

	assert_int_equal(bl_buf_put16be(&b, 0x1234), 0);
	assert_int_equal(bl_buf_put32be(&b, 0xdeadbeef), 0);
	assert_int_equal(bl_buf_put32le(&b, 0x12345678), 0);
	assert_int_equal(bl_buf_put64le(&b, 0x0102030405060708ULL), 0);
	assert_int_equal(bl_buf_putc(&b, 'z'), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.p, want, sizeof(want));
	bl_buf_free(&b);
}

static void test_printf(void **state)
{
	(void)state;
	struct bl_buf b = BL_BUF_INIT;
	char big[300];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(bl_buf_printf(&b, "%s=%d;", "a", 42), 0);
	assert_int_equal(bl_buf_printf(&b, "%s", big), 0);
	assert_int_equal(b.len, 5 + 299);
	assert_string_equal((char *)b.p + 5, big);
	assert_memory_equal(b.p, "a=42;", 5);
	bl_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal((char *)b.p, "");
	bl_buf_free(&b);
}

static void test_limit(void **state)
{
	(void)state;
	struct bl_buf b = BL_BUF_INIT;

	b.limit = 10;
	assert_int_equal(bl_buf_append(&b, "0123456789", 10), 0);
	/* One byte more than the limit fails and leaves the contents alone. */
	assert_int_equal(bl_buf_putc(&b, 'x'), BL_ENOMEM);
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.p, "0123456789", 10);
	assert_int_equal(bl_buf_printf(&b, "%d", 1), BL_ENOMEM);
	assert_int_equal(b.len, 10);
	/* A size that would overflow is refused, not wrapped. */
	b.limit = 0;
	assert_int_equal(bl_buf_reserve(&b, SIZE_MAX - 5), BL_ENOMEM);
	bl_buf_free(&b);
}

static void test_steal(void **state)
{
	(void)state;
	struct bl_buf b = BL_BUF_INIT;
	size_t len = 99;
	uint8_t *p;

	p = bl_buf_steal(&b, &len);
	assert_non_null(p);
	assert_int_equal(len, 0);
	assert_int_equal(p[0], 0);
	free(p);
	assert_int_equal(bl_buf_puts(&b, "hello"), 0);
	p = bl_buf_steal(&b, &len);
	assert_int_equal(len, 5);
	assert_string_equal((char *)p, "hello");
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	free(p);
	assert_int_equal(bl_buf_puts(&b, "secret"), 0);
	bl_buf_free_secret(&b);
	assert_null(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_grows), cmocka_unit_test(test_put_integers),
		cmocka_unit_test(test_printf),       cmocka_unit_test(test_limit),
		cmocka_unit_test(test_steal),
	};
	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
