/* test_dbr_tree.c — Drawbridge names, semantic versions, entry and directory JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drawbridge/tree.h"

#define S(x) x, strlen(x)

static const char empty256[] = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

static void test_names(void **state)
{
	(void)state;
	assert_true(dbr_user_name_ok(S("n4M3")));
	assert_false(dbr_user_name_ok(S("")));
	assert_false(dbr_user_name_ok(S("n.ame")));
	assert_false(dbr_user_name_ok(S("na-me")));
	assert_false(dbr_user_name_ok(S("name/")));
	assert_true(dbr_repo_name_ok(S("-n4M3")));
	assert_false(dbr_repo_name_ok(S("gr.oup")));
	assert_false(dbr_repo_name_ok(S("group/name")));
	assert_false(dbr_repo_name_ok(S("")));
	assert_true(dbr_node_name_ok(S("not.a.cor-Rec.t.eX.tens.si0n_")));
	assert_true(dbr_node_name_ok(S("a:b")));
	assert_false(dbr_node_name_ok(S("..")));
	assert_false(dbr_node_name_ok(S(".")));
	assert_false(dbr_node_name_ok(S("a b")));
	assert_false(dbr_node_name_ok(S("/test")));
	char longname[DBR_NAME_MAX + 2];
	memset(longname, 'a', sizeof(longname));
	assert_true(dbr_user_name_ok(longname, DBR_NAME_MAX));
	assert_false(dbr_user_name_ok(longname, DBR_NAME_MAX + 1));
	assert_true(dbr_tree_path_ok(S("")));
	assert_true(dbr_tree_path_ok(S("a/b.c/d")));
	assert_false(dbr_tree_path_ok(S("a//b")));
	assert_false(dbr_tree_path_ok(S("/a")));
	assert_false(dbr_tree_path_ok(S("a/")));
	assert_false(dbr_tree_path_ok(S("a/../b")));
}

static int vcmp(const char *a, const char *b)
{
	struct dbr_semver x, y;
	assert_int_equal(dbr_semver_parse(S(a), &x), 0);
	assert_int_equal(dbr_semver_parse(S(b), &y), 0);
	return dbr_semver_cmp(&x, &y);
}

static void test_semver(void **state)
{
	(void)state;
	struct dbr_semver v;
	const char *bad[] = { "",         "=",        "/",
		              "v1.2/3",   "v1.2.3",   "1.2",
		              "1.2.3.4",  "01.2.3",   "1.2.3-",
		              "1.2.3-01", "1.2.3+",   "1.2.3-a..b",
		              "1.2.3 ",   "1.2.3-a$", "99999999999999999999.0.0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dbr_semver_parse(S(bad[i]), &v), BL_EINVAL);
	assert_int_equal(dbr_semver_parse(S("1.2.3-test.1+b.05"), &v), 0);
	assert_int_equal(v.major, 1);
	assert_int_equal(v.minor, 2);
	assert_int_equal(v.patch, 3);
	assert_int_equal(v.pre_len, 6);
	assert_memory_equal(v.pre, "test.1", 6);
	assert_int_equal(v.build_len, 4);
	/* semver.org §11 example chain */
	const char *chain[] = { "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
		                "1.0.0-beta",  "1.0.0-beta.2",  "1.0.0-beta.11",
		                "1.0.0-rc.1",  "1.0.0",         "1.9.0",
		                "1.10.0",      "2.0.0",         "10.0.0" };
	for (size_t i = 0; i + 1 < sizeof(chain) / sizeof(chain[0]); i++) {
		assert_true(vcmp(chain[i], chain[i + 1]) < 0);
		assert_true(vcmp(chain[i + 1], chain[i]) > 0);
	}
	assert_int_equal(vcmp("1.0.0", "1.0.0"), 0);
	assert_true(vcmp("1.0.0+a", "1.0.0+b") < 0);
}

static void test_entry(void **state)
{
	(void)state;
	char text[256];
	struct dbr_entry e, e2;
	struct bl_buf out = BL_BUF_INIT;
	struct bl_cur c;

	snprintf(text, sizeof(text),
	         "{\"type\":\"text/plain\",\"length\":0,\"digest\":{\"sha-256\":\"%s\"},\"x\":1}",
	         empty256);
	c = bl_cur_make(text, strlen(text));
	assert_int_equal(dbr_entry_parse(&c, &e), 0);
	assert_int_equal(e.length, 0);
	assert_string_equal(e.type, "text/plain");
	assert_int_equal(e.digest.mask, 1u << BL_SHA256);
	assert_int_equal(dbr_entry_format(&e, &out), 0);
	snprintf(text, sizeof(text),
	         "{\"digest\":{\"sha-256\":\"%s\"},\"length\":0,\"type\":\"text/plain\"}",
	         empty256);
	assert_string_equal((char *)out.p, text);
	/* the entry computed from the (empty) bytes matches */
	assert_int_equal(
	    dbr_entry_of_bytes("", 0, "text/plain", 1u << BL_SHA256 | 1u << BL_SHA512, &e2), 0);
	assert_int_equal(dbr_entry_match(&e, &e2), 0);
	/* …and the reverse direction lacks sha-512 */
	assert_int_equal(dbr_entry_match(&e2, &e), BL_EVERIFY);
	e2.length = 1;
	assert_int_equal(dbr_entry_match(&e, &e2), BL_EVERIFY);
	e2.length = 0;
	strcpy(e2.type, "text/html");
	assert_int_equal(dbr_entry_match(&e, &e2), BL_EVERIFY);
	assert_int_equal(dbr_entry_of_bytes("x", 1, "text/plain", 1u << BL_SHA256, &e2), 0);
	e2.length = 0;
	assert_int_equal(dbr_entry_match(&e, &e2), BL_EVERIFY);
	bl_buf_reset(&out);
	assert_int_equal(dbr_digest_header(&e2.digest, &out), 0);
	assert_string_equal((char *)out.p,
	                    "sha-256=:LXEWQrcmsEQBYnyp+6wy9chTD7GQPMTbAiWHF5IaSIE=:");
	assert_int_equal(dbr_entry_of_bytes("", 0, "a/b", 1u << BL_SHA256 | 1u << BL_SHA384, &e2),
	                 0);
	bl_buf_reset(&out);
	assert_int_equal(dbr_digest_header(&e2.digest, &out), 0);
	assert_string_equal((char *)out.p,
	                    "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:,sha-384=:"
	                    "OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb:");
	bl_buf_free(&out);

	const char *bad[] = {
		"[]",
		"{}",
		"{\"digest\":{},\"length\":0,\"type\":\"a/b\"}",
		"{\"digest\":{\"md5\":\"1B2M2Y8AsgTpgAmY7PhCfg==\"},\"length\":0,\"type\":\"a/b\"}",
		"{\"digest\":{\"sha-256\":\"AAAA\"},\"length\":0,\"type\":\"a/b\"}",
		"{\"digest\":{\"sha-256\":\"47DEQpj8HBSa+/"
		"TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"},\"length\":-1,\"type\":\"a/b\"}",
		"{\"digest\":{\"sha-256\":\"47DEQpj8HBSa+/"
		"TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"},\"length\":1.0,\"type\":\"a/b\"}",
		"{\"digest\":{\"sha-256\":\"47DEQpj8HBSa+/"
		"TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"},\"length\":0,\"type\":\"\"}",
		"{\"digest\":{\"sha-256\":\"47DEQpj8HBSa+/"
		"TImW+5JCeuQeRkm5NMpJWZG3hSuFU\"},\"length\":0,\"type\":\"a/b\"}",
		"{\"digest\":{\"sha-256\":\"47DEQpj8HBSa+/"
		"TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"},\"length\":0,\"length\":0,\"type\":\"a/b\"}",
		"{\"digest\":{\"sha-256\":\"47DEQpj8HBSa+/"
		"TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\"},\"length\":9007199254740993,\"type\":\"a/b\"}",
		"{\"digest\":",
		/* regression: one algorithm under two spellings (names are case-insensitive) */
		"{\"digest\":{\"sha-256\":\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\","
		"\"SHA-256\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"},\"length\":0,"
		"\"type\":\"a/b\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = bl_cur_make(bad[i], strlen(bad[i]));
		assert_int_not_equal(dbr_entry_parse(&c, &e), 0);
	}
}

static void test_dir(void **state)
{
	(void)state;
	char text[512];
	struct dbr_dir d = { 0, NULL }, d2;
	struct dbr_entry e;
	struct bl_buf out = BL_BUF_INIT;
	struct bl_cur c;

	snprintf(text, sizeof(text),
	         "{\"z.wasm\":{\"digest\":{\"sha-256\":\"%s\"},\"length\":0,\"type\":\"application/"
	         "wasm\"},"
	         "\"Enarx.toml\":{\"digest\":{\"sha-256\":\"%s\"},\"length\":0,\"type\":\"text/"
	         "plain\"}}",
	         empty256, empty256);
	c = bl_cur_make(text, strlen(text));
	assert_int_equal(dbr_dir_parse(&c, 16, &d), 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(d.ents[0].name, "Enarx.toml");
	assert_string_equal(d.ents[1].name, "z.wasm");
	assert_non_null(dbr_dir_find(&d, S("z.wasm")));
	assert_null(dbr_dir_find(&d, S("z.was")));
	assert_int_equal(dbr_dir_format(&d, &out), 0);
	/* canonical: sorted keys, compact */
	snprintf(text, sizeof(text),
	         "{\"Enarx.toml\":{\"digest\":{\"sha-256\":\"%s\"},\"length\":0,\"type\":\"text/"
	         "plain\"},"
	         "\"z.wasm\":{\"digest\":{\"sha-256\":\"%s\"},\"length\":0,\"type\":\"application/"
	         "wasm\"}}",
	         empty256, empty256);
	assert_string_equal((char *)out.p, text);
	c = bl_cur_make(out.p, out.len);
	assert_int_equal(dbr_dir_parse(&c, 1, &d2), BL_ERANGE);
	/* building one by one gives the same bytes */
	d2.n = 0;
	d2.ents = NULL;
	assert_int_equal(dbr_entry_of_bytes("", 0, "application/wasm", 1u << BL_SHA256, &e), 0);
	assert_int_equal(dbr_dir_add(&d2, "z.wasm", &e), 0);
	assert_int_equal(dbr_dir_add(&d2, "z.wasm", &e), BL_EEXIST);
	assert_int_equal(dbr_dir_add(&d2, "../x", &e), BL_EINVAL);
	assert_int_equal(dbr_entry_of_bytes("", 0, "text/plain", 1u << BL_SHA256, &e), 0);
	assert_int_equal(dbr_dir_add(&d2, "Enarx.toml", &e), 0);
	bl_buf_reset(&out);
	assert_int_equal(dbr_dir_format(&d2, &out), 0);
	assert_string_equal((char *)out.p, text);
	dbr_dir_free(&d2);
	dbr_dir_free(&d);
	bl_buf_free(&out);

	const char *bad[] = {
		"[]", "{\"a b\":{}}", "{\"..\":{}}", "{\"a\":1}", "{\"a\":{}, \"a\":{}}", "{",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = bl_cur_make(bad[i], strlen(bad[i]));
		assert_int_not_equal(dbr_dir_parse(&c, 16, &d), 0);
		assert_null(d.ents);
	}
	c = bl_cur_make("{}", 2);
	assert_int_equal(dbr_dir_parse(&c, 16, &d), 0);
	assert_int_equal(d.n, 0);
	dbr_dir_free(&d);

	/*
	 * Names that would climb, nest, vanish or smuggle bytes when written
	 * to disk, each with a valid entry, so the name alone is refused.
	 */
	const char *names[] = { "..",        ".",     "a/b",    "/a",      "",
		                "a\\u0000b", "a\\nb", "a\\\\b", "\\u00e9", "a\\u007fb" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char doc[512];
		snprintf(doc, sizeof(doc),
		         "{\"%s\":{\"digest\":{\"sha-256\":\"%s\"},\"length\":0,\"type\":\"a/b\"}}",
		         names[i], empty256);
		c = bl_cur_make(doc, strlen(doc));
		if (dbr_dir_parse(&c, 16, &d) != BL_EINVAL)
			fail_msg("name '%s' accepted", names[i]);
		assert_null(d.ents);
	}
	/* the same document with a good name parses: the name was the fault */
	{
		char doc[512];
		snprintf(
		    doc, sizeof(doc),
		    "{\"a.b\":{\"digest\":{\"sha-256\":\"%s\"},\"length\":0,\"type\":\"a/b\"}}",
		    empty256);
		c = bl_cur_make(doc, strlen(doc));
		assert_int_equal(dbr_dir_parse(&c, 16, &d), 0);
		assert_int_equal(d.n, 1);
		dbr_dir_free(&d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_semver),
		cmocka_unit_test(test_entry),
		cmocka_unit_test(test_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
