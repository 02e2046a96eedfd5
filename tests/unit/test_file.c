/* test_file.c — whole-file reads with a limit, and atomic replacement. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/file.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bailey-file-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_write_then_read(void **state)
{
	char path[128];
	struct bl_buf b = BL_BUF_INIT;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/a", dir);
	assert_int_equal(bl_file_write_atomic(path, "first", 5, 0600), 0);
	assert_int_equal(bl_file_write_atomic(path, "second!", 7, 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(bl_file_read(path, 0, &b), 0);
	assert_int_equal(b.len, 7);
	assert_memory_equal(b.p, "second!", 7);
	bl_buf_free(&b);
	/* No temporary file is left beside it. */
	{
		char tmp[160];
		snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
		assert_int_not_equal(access(tmp, F_OK), 0);
	}
}

static void test_limits_and_errors(void **state)
{
	char path[128];
	struct bl_buf b = BL_BUF_INIT;

	(void)state;
	snprintf(path, sizeof(path), "%s/big", dir);
	assert_int_equal(bl_file_write_atomic(path, "0123456789", 10, 0644), 0);
	assert_int_equal(bl_file_read(path, 9, &b), BL_ENOMEM);
	assert_non_null(strstr(bl_errmsg(), "larger than 9 bytes"));
	bl_buf_free(&b);
	assert_int_equal(bl_file_read(path, 10, &b), 0);
	bl_buf_free(&b);
	assert_int_equal(bl_file_read(dir, 0, &b), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "directory"));
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(bl_file_read(path, 0, &b), BL_EIO);
	snprintf(path, sizeof(path), "%s/no/such/dir/x", dir);
	assert_int_equal(bl_file_write_atomic(path, "x", 1, 0600), BL_EIO);
	bl_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_then_read),
		cmocka_unit_test(test_limits_and_errors),
	};
	return cmocka_run_group_tests_name("file", tests, setup, teardown);
}
