/* test_handoff.c — the host-to-guest handoff: round trip and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exec/handoff.h"

static void build(struct bl_buf *b)
{
	assert_int_equal(exec_handoff_start(b), 0);
	assert_int_equal(exec_handoff_put(b, EXEC_HO_MODULE, "\0asm\1\0\0\0", 8), 0);
	assert_int_equal(exec_handoff_put(b, EXEC_HO_CONFIG, "args = []\n", 10), 0);
	assert_int_equal(exec_handoff_put(b, EXEC_HO_ARG, "--x", 3), 0);
	assert_int_equal(exec_handoff_put(b, EXEC_HO_ENV, "A=1", 3), 0);
	assert_int_equal(exec_handoff_put(b, EXEC_HO_DIR, "/tmp::/t", 8), 0);
}

static void test_roundtrip(void **state)
{
	struct bl_buf b = BL_BUF_INIT;
	struct exec_handoff h;

	(void)state;
	build(&b);
	assert_int_equal(exec_handoff_decode(b.p, b.len, &h), 0);
	assert_int_equal(h.module.len, 8);
	assert_memory_equal(h.module.p, "\0asm", 4);
	assert_true(h.has_config);
	assert_int_equal(h.config.len, 10);
	assert_int_equal(h.nargs, 1);
	assert_memory_equal(h.args[0].p, "--x", 3);
	assert_int_equal(h.nenvs, 1);
	assert_int_equal(h.ndirs, 1);
	assert_memory_equal(h.dirs[0].p, "/tmp::/t", 8);
	bl_buf_free(&b);
}

static void test_refusals(void **state)
{
	struct bl_buf b = BL_BUF_INIT;
	struct exec_handoff h;

	(void)state;
	build(&b);
	/* Every truncation of a valid handoff is refused (records are whole). */
	for (size_t n = 0; n < b.len; n++) {
		int rc = exec_handoff_decode(b.p, n, &h);
		/* A cut exactly between records is valid only once the module is in. */
		if (rc == 0 && n < 8 + 6 + 8)
			fail_msg("accepted a handoff cut at %zu bytes", n);
	}
	b.p[0] = 'X';
	assert_int_equal(exec_handoff_decode(b.p, b.len, &h), BL_EINVAL);
	b.p[0] = 'B';
	b.p[4] = 2;
	assert_int_equal(exec_handoff_decode(b.p, b.len, &h), BL_EUNSUPP);
	b.p[4] = 1;
	assert_int_equal(exec_handoff_put(&b, EXEC_HO_MODULE, "x", 1), 0);
	assert_int_equal(exec_handoff_decode(b.p, b.len, &h), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "second module"));
	bl_buf_reset(&b);
	assert_int_equal(exec_handoff_start(&b), 0);
	assert_int_equal(exec_handoff_put(&b, EXEC_HO_ENV, "NOEQUALS", 8), 0);
	assert_int_equal(exec_handoff_put(&b, EXEC_HO_MODULE, "m", 1), 0);
	assert_int_equal(exec_handoff_decode(b.p, b.len, &h), BL_EINVAL);
	bl_buf_reset(&b);
	assert_int_equal(exec_handoff_start(&b), 0);
	assert_int_equal(exec_handoff_put(&b, EXEC_HO_ARG, "a\0b", 3), 0);
	assert_int_equal(exec_handoff_put(&b, EXEC_HO_MODULE, "m", 1), 0);
	assert_int_equal(exec_handoff_decode(b.p, b.len, &h), BL_EINVAL);
	bl_buf_reset(&b);
	assert_int_equal(exec_handoff_start(&b), 0);
	assert_int_equal(exec_handoff_put(&b, (enum exec_handoff_tag)9, "m", 1), 0);
	assert_int_equal(exec_handoff_decode(b.p, b.len, &h), BL_EINVAL);
	bl_buf_reset(&b);
	assert_int_equal(exec_handoff_start(&b), 0);
	assert_int_equal(exec_handoff_decode(b.p, b.len, &h), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "no module"));
	bl_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests_name("handoff", tests, NULL, NULL);
}
