/* test_errlog.c — error reasons (per thread) and the text and JSON log formats. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/log.h"

static int fails_with_context(void)
{
	return bl_err(BL_EVERIFY, "digest mismatch at %d", 7);
}

static int wraps(void)
{
	int rc = fails_with_context();
	return bl_err_wrap(rc, "tag %s: ", "1.2.0");
}

static void test_err_reason(void **state)
{
	(void)state;
	bl_err_clear();
	assert_string_equal(bl_errmsg(), "");
	assert_int_equal(wraps(), BL_EVERIFY);
	assert_string_equal(bl_errmsg(), "tag 1.2.0: digest mismatch at 7");
	assert_string_equal(bl_errname(BL_EVERIFY), "EVERIFY");
	assert_string_equal(bl_errname(-999), "EUNKNOWN");
}

static int try_chain(int inner, int *reached)
{
	BL_TRY(inner);
	*reached = 1;
	return 0;
}

static void test_try_macros(void **state)
{
	(void)state;
	int reached = 0;

	assert_int_equal(try_chain(BL_EIO, &reached), BL_EIO);
	assert_int_equal(reached, 0);
	assert_int_equal(try_chain(3, &reached), 0);
	assert_int_equal(reached, 1);
}

static void test_err_long_reason_truncated(void **state)
{
	(void)state;
	char big[2000];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(bl_err(BL_EINVAL, "%s", big), BL_EINVAL);
	assert_int_equal(strlen(bl_errmsg()), BL_ERRMSG_MAX - 1);
}

static void *thread_main(void *arg)
{
	(void)arg;
	bl_err(BL_EIO, "from the other thread");
	return strcmp(bl_errmsg(), "from the other thread") == 0 ? (void *)1 : NULL;
}

static void test_err_thread_local(void **state)
{
	(void)state;
	pthread_t t;
	void *ok;

	bl_err(BL_EINVAL, "main thread reason");
	assert_int_equal(pthread_create(&t, NULL, thread_main, NULL), 0);
	assert_int_equal(pthread_join(t, &ok), 0);
	assert_non_null(ok);
	assert_string_equal(bl_errmsg(), "main thread reason");
}

/* Capture what one log call writes. */
static char *capture(void (*fn)(void))
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(f);
	bl_log_set_stream(f);
	fn();
	bl_log_set_stream(NULL);
	fclose(f);
	return out;
}

static void log_text(void)
{
	bl_log_setup(BL_LOG_INFO, BL_LOG_TEXT, "prog");
	bl_debug("hidden %d", 1);
	bl_info("hello %s\nworld", "there");
	bl_log_kv(BL_LOG_WARN, "request", "method", "GET", "status", "200", NULL);
}

static void test_log_text(void **state)
{
	(void)state;
	char *s = capture(log_text);

	assert_null(strstr(s, "hidden"));
	assert_non_null(strstr(s, " prog info hello there world\n"));
	assert_non_null(strstr(s, " prog warn request method=GET status=200\n"));
	free(s);
}

static void log_json(void)
{
	bl_log_setup(BL_LOG_DEBUG, BL_LOG_JSON, "prog");
	bl_log_kv(BL_LOG_INFO, "quote\" and \\ and \x01", "path", "/a\"b", NULL);
}

static void test_log_json(void **state)
{
	(void)state;
	char *s = capture(log_json);

	assert_non_null(
	    strstr(s, "\"level\":\"info\",\"prog\":\"prog\","
	              "\"msg\":\"quote\\\" and \\\\ and \\u0001\",\"path\":\"/a\\\"b\"}\n"));
	assert_true(s[0] == '{');
	free(s);
}

static void log_huge(void)
{
	static char big[20000];

	memset(big, '"', sizeof(big) - 1);
	bl_log_setup(BL_LOG_INFO, BL_LOG_JSON, "prog");
	bl_log_kv(BL_LOG_INFO, "m", "k", big, "after", "x", NULL);
}

/* A line too long is cut but still ends as one closed JSON object. */
static void test_log_json_cut(void **state)
{
	(void)state;
	char *s = capture(log_huge);
	size_t n = strlen(s);

	assert_true(n <= 4096);
	assert_memory_equal(s + n - 6, "\xe2\x80\xa6\"}\n", 6);
	assert_null(strstr(s, "after"));
	free(s);
}

static void test_log_parse(void **state)
{
	(void)state;
	assert_int_equal(bl_log_level_parse("warn"), BL_LOG_WARN);
	assert_int_equal(bl_log_level_parse("loud"), -1);
	assert_int_equal(bl_log_format_parse("json"), BL_LOG_JSON);
	assert_int_equal(bl_log_format_parse(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_reason),
		cmocka_unit_test(test_try_macros),
		cmocka_unit_test(test_err_long_reason_truncated),
		cmocka_unit_test(test_err_thread_local),
		cmocka_unit_test(test_log_text),
		cmocka_unit_test(test_log_json),
		cmocka_unit_test(test_log_json_cut),
		cmocka_unit_test(test_log_parse),
	};
	return cmocka_run_group_tests_name("errlog", tests, NULL, NULL);
}
