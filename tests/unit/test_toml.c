/*
 * test_toml.c — the TOML 1.0.0 parser's API: accessors, positions of values,
 * errors with line and column, the nesting limit, strings holding NUL, the
 * int64 range, datetimes, redefinition rules and bl_toml_check_keys. The
 * conformance suite (../shared/toml-test) runs separately (tests/toml/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "common/toml.h"

static struct bl_toml *parse(const char *s)
{
	struct bl_toml *t = bl_toml_parse(s, strlen(s));
	if (!t)
		print_error("unexpected parse failure: %s\n", bl_errmsg());
	return t;
}

/* The document must be refused with a reason starting with `prefix`. */
static void refused(const char *doc, const char *prefix)
{
	struct bl_toml *t = bl_toml_parse(doc, strlen(doc));

	if (t) {
		bl_toml_free(t);
		fail_msg("accepted: %s", doc);
	}
	if (strncmp(bl_errmsg(), prefix, strlen(prefix)) != 0)
		fail_msg("for %s\nwant reason starting \"%s\"\ngot \"%s\"", doc, prefix,
		         bl_errmsg());
}

static void test_accessors(void **state)
{
	(void)state;
	struct bl_toml *t = parse("title = \"Bailey\"\n"
	                          "n = -42\n"
	                          "x = 6.5e-1\n"
	                          "ok = true\n"
	                          "list = [1, 2, 3]\n"
	                          "[server]\n"
	                          "port = 0x1F90\n"
	                          "[[files]]\n"
	                          "kind = \"stdin\"\n"
	                          "[[files]]\n"
	                          "kind = \"stdout\"\n");
	struct bl_toml *v, *files;
	size_t len;

	assert_non_null(t);
	assert_int_equal(bl_toml_type(t), BL_TOML_TABLE);
	assert_int_equal(bl_toml_table_len(t), 7);
	assert_string_equal(bl_toml_table_key(t, 0), "title");
	assert_string_equal(bl_toml_table_key(t, 6), "files");
	assert_null(bl_toml_table_key(t, 7));
	assert_null(bl_toml_table_value(t, 7));

	v = bl_toml_get(t, "title");
	assert_int_equal(bl_toml_type(v), BL_TOML_STRING);
	assert_string_equal(bl_toml_str(v, &len), "Bailey");
	assert_int_equal(len, 6);
	assert_true(bl_toml_int(bl_toml_get(t, "n")) == -42);
	assert_true(bl_toml_float(bl_toml_get(t, "x")) == 0.65);
	assert_int_equal(bl_toml_bool(bl_toml_get(t, "ok")), 1);
	v = bl_toml_get(t, "list");
	assert_int_equal(bl_toml_type(v), BL_TOML_ARRAY);
	assert_int_equal(bl_toml_array_len(v), 3);
	assert_true(bl_toml_int(bl_toml_array_at(v, 2)) == 3);
	assert_null(bl_toml_array_at(v, 3));
	assert_true(bl_toml_int(bl_toml_get(bl_toml_get(t, "server"), "port")) == 8080);

	files = bl_toml_get(t, "files");
	assert_int_equal(bl_toml_type(files), BL_TOML_ARRAY);
	assert_int_equal(bl_toml_array_len(files), 2);
	assert_string_equal(bl_toml_str(bl_toml_get(bl_toml_array_at(files, 1), "kind"), NULL),
	                    "stdout");

	assert_null(bl_toml_get(t, "absent"));
	assert_int_equal(bl_toml_line(NULL), 0);
	assert_int_equal(bl_toml_column(NULL), 0);
	assert_null(bl_toml_str(bl_toml_get(t, "n"), NULL)); /* an integer has no text */
	assert_true(bl_toml_int(bl_toml_get(t, "title")) == 0);
	assert_null(bl_toml_get(v, "x")); /* not a table */
	assert_int_equal(bl_toml_table_len(v), 0);
	assert_int_equal(bl_toml_array_len(t), 0);
	assert_string_equal(bl_toml_type_name(BL_TOML_DATE_LOCAL), "date-local");
	bl_toml_free(t);
}

static void test_positions(void **state)
{
	(void)state;
	struct bl_toml *t = parse("# comment\n"
	                          "a = 1\n"
	                          "  \"é\" = 'x'  # column counts characters\n"
	                          "[tab]\n"
	                          "arr = [\n"
	                          "   10,\n"
	                          "   { k = true } ]\n");
	struct bl_toml *arr, *tab;

	assert_non_null(t);
	assert_int_equal(bl_toml_line(bl_toml_get(t, "a")), 2);
	assert_int_equal(bl_toml_column(bl_toml_get(t, "a")), 5);
	assert_int_equal(bl_toml_line(bl_toml_get(t, "é")), 3);
	assert_int_equal(bl_toml_column(bl_toml_get(t, "é")), 9);
	tab = bl_toml_get(t, "tab");
	assert_int_equal(bl_toml_line(tab), 4);
	assert_int_equal(bl_toml_column(tab), 1);
	arr = bl_toml_get(tab, "arr");
	assert_int_equal(bl_toml_line(arr), 5);
	assert_int_equal(bl_toml_column(arr), 7);
	assert_int_equal(bl_toml_line(bl_toml_array_at(arr, 0)), 6);
	assert_int_equal(bl_toml_column(bl_toml_array_at(arr, 0)), 4);
	assert_int_equal(bl_toml_line(bl_toml_array_at(arr, 1)), 7);
	assert_int_equal(bl_toml_column(bl_toml_array_at(arr, 1)), 4);
	assert_int_equal(bl_toml_column(bl_toml_get(bl_toml_array_at(arr, 1), "k")), 10);
	bl_toml_free(t);
}

static void test_errors_name_line_and_column(void **state)
{
	(void)state;
	refused("a = 1\nb = \n", "line 2, column 5: expected a value");
	refused("a = 1\na = 2\n", "line 2, column 1: key 'a' is already defined");
	refused("x = \"abc\n", "line 1, column 5: unterminated string");
	/* Keys are quoted in reasons with control characters escaped. */
	refused("\"a\\u001b[31m\" = 1\n\"a\\u001b[31m\" = 2\n",
	        "line 2, column 1: key 'a\\x1b[31m' is already defined (line 1)");
	refused("[t]\nk = 1\n[t]\n", "line 3, column 2: 't' is already defined");
	refused("a = [1 2]\n", "line 1, column 8: expected ',' or ']'");
	refused("a = { b = 1\n", "line 1, column 12: expected ',' or '}'");
	refused("a = 1 b = 2\n", "line 1, column 7: expected end of line");
	refused("s = \"\\q\"\n", "line 1, column 6: invalid escape");
	refused("s = \"\\uD800\"\n", "line 1, column 6: \\u escape U+D800");
	refused("d = 2023-02-29\n", "line 1, column 5: invalid date or time");
	refused("n = 012\n", "line 1, column 5: leading zero");
	refused("n = 1__2\n", "line 1, column 5: misplaced underscore");
	refused("# ok\n#\x01\n", "line 2, column 2: control character 0x01");
	refused("a = \"\xc3\x28\"\n", "line 1, column 6: invalid UTF-8");
	refused("a = \"\xed\xa0\x80\"\n", "line 1, column 6: invalid UTF-8"); /* surrogate */
	refused("a = \"\xc0\xaf\"\n", "line 1, column 6: invalid UTF-8"); /* overlong */
	refused("a = 1\r\nb = 2\rc = 3\n", "line 2, column 6: expected end of line");
	/* Redefinition rules (Spec "Table", "Inline Table", "Array of Tables"). */
	refused("a = {b = 1}\na.c = 2\n", "line 2, column 1: key 'a' is already defined as an "
	                                  "inline table");
	refused("[a]\nb.c = 1\n[a.b]\n", "line 3, column 4: 'b' is already defined as a table");
	refused("[a.b.c]\nz = 9\n[a]\nb.c.t = 1\n", "line 4, column 3: key 'c' is already defined");
	/* toml-lang/toml#771: dotted keys may define a table a header only implied… */
	{
		struct bl_toml *t = parse("[fruit.apple.texture]\nsmooth = true\n"
		                          "[fruit]\napple.color = \"red\"\n");
		struct bl_toml *apple = bl_toml_get(bl_toml_get(t, "fruit"), "apple");
		assert_non_null(t);
		assert_string_equal(bl_toml_table_key(apple, 0), "texture");
		assert_string_equal(bl_toml_str(bl_toml_get(apple, "color"), NULL), "red");
		bl_toml_free(t);
	}
	/* …and then no header may define it again. */
	refused("[a.b.c]\n[a]\nb.d = 1\n[a.b]\n", "line 4, column 4: 'b' is already defined as a "
	                                          "table (line 1)");
	refused("a = [1]\n[[a]]\n", "line 2, column 3: 'a' is already defined as an array");
	refused("[[a]]\n[a]\n", "line 2, column 2: 'a' is already defined as an array of tables");
	refused("a = 1\n[a.b]\n", "line 2, column 2: key 'a' is already defined as a value");
}

static void test_int64_range(void **state)
{
	(void)state;
	struct bl_toml *t = parse("max = 9223372036854775807\n"
	                          "min = -9223372036854775808\n"
	                          "hex = 0x7fffffffffffffff\n"
	                          "bin = 0b1_0\n"
	                          "oct = 0o777\n");

	assert_non_null(t);
	assert_true(bl_toml_int(bl_toml_get(t, "max")) == INT64_MAX);
	assert_true(bl_toml_int(bl_toml_get(t, "min")) == INT64_MIN);
	assert_true(bl_toml_int(bl_toml_get(t, "hex")) == INT64_MAX);
	assert_true(bl_toml_int(bl_toml_get(t, "bin")) == 2);
	assert_true(bl_toml_int(bl_toml_get(t, "oct")) == 511);
	bl_toml_free(t);
	refused("n = 9223372036854775808\n", "line 1, column 5: integer '9223372036854775808' is "
	                                     "out of the 64-bit range");
	refused("n = -9223372036854775809\n", "line 1, column 5: integer");
	refused("n = 0x8000000000000000\n", "line 1, column 5: integer");
	refused("n = -0x1\n", "line 1, column 5: integer '-0x1': a base prefix takes no sign");
	refused("n = 0xg\n", "line 1, column 5: invalid integer");
}

static void test_floats(void **state)
{
	(void)state;
	struct bl_toml *t = parse("a = inf\nb = -inf\nc = nan\nd = -0.0\ne = 1_000.5e+2\n");

	assert_non_null(t);
	assert_true(isinf(bl_toml_float(bl_toml_get(t, "a"))) &&
	            bl_toml_float(bl_toml_get(t, "a")) > 0);
	assert_true(isinf(bl_toml_float(bl_toml_get(t, "b"))) &&
	            bl_toml_float(bl_toml_get(t, "b")) < 0);
	assert_true(isnan(bl_toml_float(bl_toml_get(t, "c"))));
	assert_true(signbit(bl_toml_float(bl_toml_get(t, "d"))));
	assert_true(bl_toml_float(bl_toml_get(t, "e")) == 100050.0);
	bl_toml_free(t);
	refused("f = 1.\n", "line 1, column 5: invalid number");
	refused("f = .5\n", "line 1, column 5: invalid number");
	refused("f = 1e\n", "line 1, column 5: invalid number");
	refused("f = 1e999\n", "line 1, column 5: float '1e999' is out of range");
	refused("f = infinity\n",
	        "line 1, column 5: invalid value 'infinity' (strings need quotes)");
	refused("b = True\n", "line 1, column 5: invalid value 'True'");
}

static void test_datetimes(void **state)
{
	(void)state;
	struct bl_toml *t = parse("odt = 1979-05-27 07:32:00.6z\n"
	                          "off = 1979-05-27T00:32:00.999999-07:00\n"
	                          "ldt = 1979-05-27t07:32:00\n"
	                          "ld = 2000-02-29\n"
	                          "lt = 00:32:00.5\n");
	struct {
		const char *key, *text;
		enum bl_toml_type type;
	} want[] = {
		{ "odt", "1979-05-27T07:32:00.600Z", BL_TOML_DATETIME },
		{ "off", "1979-05-27T00:32:00.999999-07:00", BL_TOML_DATETIME },
		{ "ldt", "1979-05-27T07:32:00", BL_TOML_DATETIME_LOCAL },
		{ "ld", "2000-02-29", BL_TOML_DATE_LOCAL },
		{ "lt", "00:32:00.500", BL_TOML_TIME_LOCAL },
	};

	assert_non_null(t);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct bl_toml *v = bl_toml_get(t, want[i].key);
		assert_non_null(v);
		assert_int_equal(bl_toml_type(v), want[i].type);
		assert_string_equal(bl_toml_str(v, NULL), want[i].text);
	}
	bl_toml_free(t);
	refused("d = 1900-02-29\n", "line 1, column 5: invalid date");
	refused("d = 1979-05-27T24:00:00\n", "line 1, column 5: invalid date");
	refused("d = 1979-05-27T07:32\n", "line 1, column 5: invalid date"); /* seconds required */
	refused("d = 07:32:00Z\n", "line 1, column 5: invalid date");
	refused("d = 1979-05-27T07:32:00+24:00\n", "line 1, column 5: invalid date");
}

/* Strings and keys keep NUL bytes; the length tells where they end. */
static void test_strings_with_nul(void **state)
{
	(void)state;
	struct bl_toml *t = parse("\"k\\u0000ey\" = \"a\\u0000b\"\n"
	                          "m = \"\"\"\nx\\\n    y\"\"\"\"\n"
	                          "l = '''C:\\path'''\n"
	                          "u = \"\\U0001F600\\t\"\n");
	const char *s;
	size_t len;

	assert_non_null(t);
	s = bl_toml_table_keyn(t, 0, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(s, "k\0ey", 4);
	s = bl_toml_str(bl_toml_table_value(t, 0), &len);
	assert_int_equal(len, 3);
	assert_memory_equal(s, "a\0b", 4); /* and NUL-terminated */
	assert_null(bl_toml_get(t, "k")); /* not found by its C-string prefix */
	assert_string_equal(bl_toml_str(bl_toml_get(t, "m"), NULL), "xy\"");
	assert_string_equal(bl_toml_str(bl_toml_get(t, "l"), NULL), "C:\\path");
	assert_string_equal(bl_toml_str(bl_toml_get(t, "u"), NULL), "\xf0\x9f\x98\x80\t");
	assert_null(bl_toml_str(bl_toml_get(t, "missing"), NULL));
	bl_toml_free(t);
	/* A raw NUL (not an escape) is a control character: refused. */
	{
		static const char raw[] = "s = \"a\0b\"\n";
		assert_null(bl_toml_parse(raw, sizeof(raw) - 1));
		assert_string_equal(bl_errmsg(),
		                    "line 1, column 7: control character 0x00 in a string");
	}
}

static char *nested(const char *open, const char *close, int n)
{
	size_t lo = strlen(open), lc = strlen(close);
	char *s = malloc(4 + n * (lo + lc) + 2), *p = s;

	assert_non_null(s);
	memcpy(p, "a = ", 4), p += 4;
	for (int i = 0; i < n; i++)
		memcpy(p, open, lo), p += lo;
	for (int i = 0; i < n; i++)
		memcpy(p, close, lc), p += lc;
	*p++ = '\n';
	*p = '\0';
	return s;
}

static void test_nesting_limit(void **state)
{
	(void)state;
	char *ok = nested("[", "]", 128), *deep = nested("[", "]", 129);
	char *huge = nested("{b=", "}", 100000);
	struct bl_toml *t = parse(ok), *v;
	int depth = 0;

	assert_non_null(t);
	for (v = bl_toml_get(t, "a"); bl_toml_array_len(v); v = bl_toml_array_at(v, 0))
		depth++;
	assert_int_equal(depth, 127); /* the innermost is empty */
	bl_toml_free(t);
	refused(deep, "line 1, column 133: values nested deeper than 128");
	refused(huge, "line 1, column");
	assert_non_null(strstr(bl_errmsg(), "nested deeper than 128"));
	free(ok);
	free(deep);
	free(huge);
}

/* The text need not end in NUL, and nothing past len is read (ASan checks). */
static void test_not_nul_terminated(void **state)
{
	(void)state;
	const char doc[] = "a = 12345";
	char *exact = malloc(sizeof(doc) - 1);
	struct bl_toml *t;

	assert_non_null(exact);
	memcpy(exact, doc, sizeof(doc) - 1);
	t = bl_toml_parse(exact, 5); /* "a = 1" */
	assert_non_null(t);
	assert_true(bl_toml_int(bl_toml_get(t, "a")) == 1);
	bl_toml_free(t);
	t = bl_toml_parse(exact, sizeof(doc) - 1);
	assert_non_null(t);
	assert_true(bl_toml_int(bl_toml_get(t, "a")) == 12345);
	bl_toml_free(t);
	t = bl_toml_parse(exact, 3); /* "a =" */
	assert_null(t);
	free(exact);
	t = bl_toml_parse(NULL, 0);
	assert_non_null(t);
	assert_int_equal(bl_toml_table_len(t), 0);
	bl_toml_free(t);
}

static void test_check_keys(void **state)
{
	(void)state;
	static const char *const allowed[] = { "kind", "name", "prot", NULL };
	struct bl_toml *t = parse("[[files]]\nkind = \"stdin\"\n"
	                          "[[files]]\nkind = \"listen\"\n  prto = \"tcp\"\n");
	struct bl_toml *files;

	assert_non_null(t);
	files = bl_toml_get(t, "files");
	assert_int_equal(bl_toml_check_keys(bl_toml_array_at(files, 0), allowed, "[[files]] entry"),
	                 0);
	assert_int_equal(bl_toml_check_keys(bl_toml_array_at(files, 1), allowed, "[[files]] entry"),
	                 BL_EINVAL);
	assert_string_equal(bl_errmsg(), "line 5, column 3: unknown key 'prto' in [[files]] entry");
	assert_int_equal(bl_toml_check_keys(files, allowed, "files"), BL_EINVAL);
	assert_string_equal(bl_errmsg(), "files: not a table");

	/* bl_toml_expect_type names the place of a value of the wrong type. */
	assert_int_equal(bl_toml_expect_type(files, BL_TOML_ARRAY, "files"), 0);
	assert_int_equal(bl_toml_expect_type(bl_toml_get(bl_toml_array_at(files, 1), "prto"),
	                                     BL_TOML_STRING, "prot"),
	                 0);
	assert_int_equal(bl_toml_expect_type(files, BL_TOML_TABLE, "files"), BL_EINVAL);
	assert_string_equal(bl_errmsg(), "line 1, column 1: files must be a table, not an array");
	assert_int_equal(bl_toml_expect_type(bl_toml_get(bl_toml_array_at(files, 1), "prto"),
	                                     BL_TOML_INTEGER, "files[1].prto"),
	                 BL_EINVAL);
	assert_string_equal(bl_errmsg(),
	                    "line 5, column 10: files[1].prto must be an integer, not a string");
	assert_int_equal(bl_toml_expect_type(bl_toml_get(t, "absent"), BL_TOML_STRING, "steward"),
	                 BL_ENOENT);
	assert_string_equal(bl_errmsg(), "steward is missing");
	bl_toml_free(t);
}

/* Big tables are indexed: every key is found, order is kept, duplicates refused. */
static void test_many_keys(void **state)
{
	(void)state;
	const int n = 5000;
	char *doc = malloc((size_t)n * 32), *p = doc;
	struct bl_toml *t;
	char key[32];

	assert_non_null(doc);
	for (int i = 0; i < n; i++)
		p += sprintf(p, "k%d = %d\n", i, i * 3);
	t = bl_toml_parse(doc, (size_t)(p - doc));
	assert_non_null(t);
	assert_int_equal(bl_toml_table_len(t), n);
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_string_equal(bl_toml_table_key(t, (size_t)i), key);
		assert_true(bl_toml_int(bl_toml_get(t, key)) == i * 3);
		assert_int_equal(bl_toml_line(bl_toml_get(t, key)), i + 1);
	}
	assert_null(bl_toml_get(t, "k5000"));
	bl_toml_free(t);
	p += sprintf(p, "k4321 = 0\n");
	assert_null(bl_toml_parse(doc, (size_t)(p - doc)));
	assert_string_equal(bl_errmsg(), "line 5001, column 1: key 'k4321' is already defined "
	                                 "(line 4322)");
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accessors),
		cmocka_unit_test(test_positions),
		cmocka_unit_test(test_errors_name_line_and_column),
		cmocka_unit_test(test_int64_range),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_datetimes),
		cmocka_unit_test(test_strings_with_nul),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_not_nul_terminated),
		cmocka_unit_test(test_check_keys),
		cmocka_unit_test(test_many_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
