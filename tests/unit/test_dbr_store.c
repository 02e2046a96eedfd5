/* test_dbr_store.c — the registry store: blobs (dedup, abort), metadata, access, gc, fsck. */
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

#include "common/codec.h"
#include "drawbridge/store.h"

static char dir[64];

static int count_files(const char *sub)
{
	char cmd[256];
	int n = -1;
	FILE *p;
	snprintf(cmd, sizeof(cmd), "find %s/%s -type f | wc -l", dir, sub);
	p = popen(cmd, "r");
	if (!p || fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

static void put_blob(struct dbr_store *s, const char *text, char hex[65])
{
	struct dbr_blob_writer w;
	assert_int_equal(dbr_blob_begin(s, 1u << BL_SHA384, &w), 0);
	assert_int_equal(dbr_blob_write(&w, text, 2), 0);
	assert_int_equal(dbr_blob_write(&w, text + 2, strlen(text) - 2), 0);
	assert_int_equal(dbr_blob_finish(&w), 0);
	assert_int_equal(w.len, strlen(text));
	assert_true(bl_dset_has(&w.got, BL_SHA256) && bl_dset_has(&w.got, BL_SHA384));
	uint8_t want[64];
	assert_int_equal(bl_digest(BL_SHA384, text, strlen(text), want), 0);
	assert_memory_equal(w.got.val[BL_SHA384], want, 48);
	assert_int_equal(dbr_blob_commit(s, &w, hex), 0);
	dbr_blob_abort(&w); /* harmless after commit */
}

static void test_blobs(void **state)
{
	(void)state;
	struct dbr_store *s;
	struct dbr_blob_writer w;
	struct bl_buf b = BL_BUF_INIT, h = BL_BUF_INIT;
	char hex[65], hex2[65];
	uint8_t d[32];

	assert_int_equal(dbr_store_open(dir, &s), 0);
	put_blob(s, "hello world", hex);
	assert_int_equal(bl_digest(BL_SHA256, "hello world", 11, d), 0);
	assert_int_equal(bl_hex_encode(&h, d, 32), 0);
	assert_string_equal(hex, (char *)h.p);
	assert_int_equal(dbr_blob_read(s, hex, 100, &b), 0);
	assert_int_equal(b.len, 11);
	assert_memory_equal(b.p, "hello world", 11);
	bl_buf_reset(&b);
	assert_int_equal(dbr_blob_read(s, hex, 5, &b), BL_ERANGE);
	/* identical content is stored once, and its temporary file goes */
	put_blob(s, "hello world", hex2);
	assert_string_equal(hex, hex2);
	assert_int_equal(count_files("blobs"), 1);
	assert_int_equal(count_files("tmp"), 0);
	/* an aborted upload leaves nothing */
	assert_int_equal(dbr_blob_begin(s, 0, &w), 0);
	assert_int_equal(dbr_blob_write(&w, "partial", 7), 0);
	assert_int_equal(count_files("tmp"), 1);
	dbr_blob_abort(&w);
	assert_int_equal(count_files("tmp"), 0);
	assert_int_equal(count_files("blobs"), 1);
	assert_int_equal(dbr_blob_open(s, "../../etc/passwd"), BL_EINTERNAL);
	assert_int_equal(
	    dbr_blob_open(s, "0000000000000000000000000000000000000000000000000000000000000000"),
	    BL_ENOENT);
	bl_buf_free(&b);
	bl_buf_free(&h);
	dbr_store_close(s);
}

static void test_metadata(void **state)
{
	(void)state;
	struct dbr_store *s;
	struct dbr_user u;
	struct dbr_repo r;
	struct dbr_tag t;
	struct dbr_node n, n2;
	struct bl_buf json = BL_BUF_INIT;
	enum dbr_level lvl;

	assert_int_equal(dbr_store_open(dir, &s), 0);
	assert_int_equal(dbr_user_put(s, "alice", "sub-a", "{\"subject\":\"sub-a\"}", 19, NULL), 0);
	assert_int_equal(dbr_user_put(s, "alice", "sub-x", "{}", 2, NULL), BL_EEXIST);
	assert_int_equal(dbr_user_put(s, "bob", "sub-b", "{}", 2, "{\"keys\":[]}"), 0);
	assert_int_equal(dbr_user_get(s, "alice", &u), 0);
	assert_string_equal(u.subject, "sub-a");
	assert_int_equal(u.record.len, 19);
	assert_int_equal(u.jwks.len, 0);
	dbr_user_free(&u);
	assert_int_equal(dbr_user_get(s, "bob", &u), 0);
	assert_string_equal((char *)u.jwks.p, "{\"keys\":[]}");
	dbr_user_free(&u);
	assert_int_equal(dbr_user_get(s, "carol", &u), BL_ENOENT);
	dbr_user_free(&u);

	assert_int_equal(dbr_repo_put(s, "alice", "app", 0, "{\"public\":false}", 16), 0);
	assert_int_equal(dbr_repo_put(s, "alice", "app", 1, "{\"public\":true}", 15), BL_EEXIST);
	assert_int_equal(dbr_repo_get(s, "alice", "app", &r), 0);
	assert_int_equal(r.public_, 0);
	bl_buf_free(&r.config);
	assert_int_equal(dbr_repo_get(s, "alice", "none", &r), BL_ENOENT);
	bl_buf_free(&r.config);

	/* access: the owner by subject, members by grant */
	assert_int_equal(dbr_access_of(s, "alice", "app", "sub-a", &lvl), 0);
	assert_int_equal(lvl, DBR_OWNER);
	assert_int_equal(dbr_access_of(s, "alice", "app", "sub-b", &lvl), 0);
	assert_int_equal(lvl, DBR_NONE);
	assert_int_equal(dbr_access_put(s, "alice", "app", "bob", DBR_READ), 1);
	assert_int_equal(dbr_access_of(s, "alice", "app", "sub-b", &lvl), 0);
	assert_int_equal(lvl, DBR_READ);
	assert_int_equal(dbr_access_put(s, "alice", "app", "bob", DBR_WRITE), 0);
	assert_int_equal(dbr_access_of(s, "alice", "app", "sub-b", &lvl), 0);
	assert_int_equal(lvl, DBR_WRITE);
	assert_int_equal(dbr_access_of(s, "alice", "other", "sub-b", &lvl), 0);
	assert_int_equal(lvl, DBR_NONE);
	assert_int_equal(dbr_access_list(s, "alice", "app", &json), 0);
	assert_string_equal((char *)json.p, "{\"bob\":\"write\"}");
	assert_int_equal(dbr_access_delete(s, "alice", "app", "bob"), 0);
	assert_int_equal(dbr_access_delete(s, "alice", "app", "bob"), BL_ENOENT);
	assert_int_equal(dbr_access_of(s, "alice", "app", "sub-b", &lvl), 0);
	assert_int_equal(lvl, DBR_NONE);

	/* tags sort by semantic version, not by text */
	const char *tags[] = { "1.10.0", "1.2.0", "1.2.0-rc.1", "0.1.0" };
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(dbr_tag_put(s, "alice", "app", tags[i], "t/x", "b", 1, "e", 1), 0);
	assert_int_equal(dbr_tag_put(s, "alice", "app", "1.2.0", "t/x", "b", 1, "e", 1), BL_EEXIST);
	bl_buf_reset(&json);
	assert_int_equal(dbr_tag_list(s, "alice", "app", &json), 0);
	assert_string_equal((char *)json.p, "[\"0.1.0\",\"1.2.0-rc.1\",\"1.2.0\",\"1.10.0\"]");
	assert_int_equal(dbr_tag_get(s, "alice", "app", "1.2.0", &t), 0);
	assert_string_equal(t.ctype, "t/x");
	dbr_tag_free(&t);
	assert_int_equal(dbr_tag_get(s, "alice", "app", "9.0.0", &t), BL_ENOENT);
	dbr_tag_free(&t);

	memset(&n, 0, sizeof(n));
	strcpy(n.ctype, "text/plain");
	n.length = 11;
	memset(n.blob, 'a', 64);
	strcpy(n.digest, "sha-256=:x:");
	assert_int_equal(dbr_node_put(s, "alice", "app", "1.2.0", "a/b", &n), 0);
	assert_int_equal(dbr_node_put(s, "alice", "app", "1.2.0", "a/b", &n), BL_EEXIST);
	assert_int_equal(dbr_node_get(s, "alice", "app", "1.2.0", "a/b", &n2), 0);
	assert_memory_equal(&n, &n2, sizeof(n));
	assert_int_equal(dbr_node_get(s, "alice", "app", "1.2.0", "a", &n2), BL_ENOENT);
	bl_buf_free(&json);
	dbr_store_close(s);

	/* it all persists */
	assert_int_equal(dbr_store_open(dir, &s), 0);
	assert_int_equal(dbr_node_get(s, "alice", "app", "1.2.0", "a/b", &n2), 0);
	assert_int_equal(n2.length, 11);
	dbr_store_close(s);
}

static void test_gc_fsck(void **state)
{
	(void)state;
	struct dbr_store *s, *s2;
	struct dbr_node n;
	char used[65], unused[65], path[256];
	size_t removed, kept, checked, bad;
	FILE *f;

	assert_int_equal(dbr_store_open(dir, &s), 0);
	put_blob(s, "referenced", used);
	put_blob(s, "garbage!!", unused);
	memset(&n, 0, sizeof(n));
	strcpy(n.ctype, "text/plain");
	n.length = 10;
	strcpy(n.blob, used);
	strcpy(n.digest, "sha-256=:x:");
	assert_int_equal(dbr_node_put(s, "alice", "app", "1.2.0", "r", &n), 0);
	/* young blobs survive a gc with a grace period */
	assert_int_equal(dbr_store_gc(s, 3600, &removed, &kept), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(dbr_store_gc(s, 0, &removed, &kept), 0);
	assert_int_equal(removed, 2); /* "garbage!!" and "hello world" from test_blobs */
	assert_int_equal(kept, 1);
	assert_int_equal(dbr_blob_open(s, unused), BL_ENOENT);
	assert_int_equal(dbr_store_fsck(s, &checked, &bad), 0);
	assert_int_equal(bad, 1); /* node a/b of test_metadata names a missing blob */
	/* tamper with the referenced blob */
	snprintf(path, sizeof(path), "%s/blobs/%.2s/%s", dir, used, used);
	chmod(path, 0600);
	f = fopen(path, "r+");
	assert_non_null(f);
	fputc('R', f);
	fclose(f);
	assert_int_equal(dbr_store_fsck(s, &checked, &bad), 0);
	assert_int_equal(checked, 1);
	assert_int_equal(bad, 2);
	dbr_store_close(s);
	/*
	 * A leftover temporary file is removed when the server claims the
	 * store, not when gc or fsck merely open it (they run beside a live
	 * server); a second claim is refused while the first holds the store.
	 */
	snprintf(path, sizeof(path), "%s/tmp/upload-leftover", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(dbr_store_open(dir, &s), 0);
	assert_int_equal(count_files("tmp"), 1);
	assert_int_equal(dbr_store_claim(s), 0);
	assert_int_equal(count_files("tmp"), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(dbr_store_open(dir, &s2), 0);
	assert_int_equal(dbr_store_claim(s2), BL_EPERM);
	assert_int_equal(count_files("tmp"), 1);
	dbr_store_close(s2);
	dbr_store_close(s);
	assert_int_equal(dbr_store_open(dir, &s2), 0);
	assert_int_equal(dbr_store_claim(s2), 0);
	assert_int_equal(count_files("tmp"), 0);
	dbr_store_close(s2);
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/test_dbr_store.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blobs),
		cmocka_unit_test(test_metadata),
		cmocka_unit_test(test_gc_fsck),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
