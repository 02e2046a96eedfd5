/*
 * test_dbclient.c — the Drawbridge client (drawbridge/client.h) and the
 * `bailey` registry commands against the real `bailey-drawbridge`, started by
 * this test on an ephemeral loopback port with its development issuer
 * (--dev); and against a lying in-test server for what a correct server never
 * sends (nodes that do not match their parent's entry).
 *
 * The programs are found next to this test in the build tree
 * (<build>/src/drawbridge/bailey-drawbridge, <build>/src/cli/bailey); the
 * server-backed tests skip when the server was not built.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/codec.h"
#include "common/digest.h"
#include "drawbridge/client.h"

static char build_dir[PATH_MAX];
static char server_bin[PATH_MAX + 64], bailey_bin[PATH_MAX + 64];
static char work[64]; /* temporary directory of this run */
static char store[128];
static char url[96], hostport[64];
static pid_t server_pid = -1;
static char tok_alice[4096], tok_bob[4096], tok_carol[4096];

/* ------------------------------------------------------------- helpers -- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag != FTW_DP && flag != FTW_SL && S_ISREG(sb->st_mode))
		chmod(p, 0600);
	if (flag == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

static void rm_tree(const char *p)
{
	nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int exists(const char *p)
{
	struct stat st;
	return lstat(p, &st) == 0;
}

static void write_file(const char *path, size_t n, unsigned seed)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc((int)((i * 131 + seed * 7 + (i >> 9)) & 0xff), f);
	fclose(f);
}

static void mkdirs(const char *base, const char *rel)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", base, rel);
	for (char *s = p + strlen(base) + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
}

static long last_maxrss_kib; /* peak memory of the last program run() ran */

/* Run a program; stdout and stderr go to files under work/. Returns the exit status. */
static int run(char *const argv[], const char *const env_set[], const char *const env_unset[],
               char *out, size_t outcap, char *err, size_t errcap)
{
	char op[128], ep[128];
	pid_t pid;
	int st, fd;

	snprintf(op, sizeof(op), "%s/run.out", work);
	snprintf(ep, sizeof(ep), "%s/run.err", work);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (const char *const *u = env_unset; u && *u; u++)
			unsetenv(*u);
		for (const char *const *e = env_set; e && *e; e += 2)
			setenv(e[0], e[1], 1);
		fd = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		fd = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	{
		struct rusage ru;
		assert_int_equal(wait4(pid, &st, 0, &ru), pid);
		last_maxrss_kib = ru.ru_maxrss;
	}
	if (out) {
		FILE *f = fopen(op, "r");
		size_t n = fread(out, 1, outcap - 1, f);
		out[n] = 0;
		fclose(f);
	}
	if (err) {
		FILE *f = fopen(ep, "r");
		size_t n = fread(err, 1, errcap - 1, f);
		err[n] = 0;
		fclose(f);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void dev_token(const char *subject, char *out, size_t cap)
{
	char *argv[] = { server_bin, "dev-token", "--store", store, (char *)subject, NULL };
	assert_int_equal(run(argv, NULL, NULL, out, cap, NULL, 0), 0);
	out[strcspn(out, "\r\n")] = 0;
	assert_true(strlen(out) > 20);
}

static struct dbr_client *client_as(const char *token)
{
	struct dbr_client_opts o = { .url = url, .token = token, .timeout_ms = 20000 };
	struct dbr_client *c = dbr_client_new(&o);
	assert_non_null(c);
	return c;
}

/* Compare two trees: the same names, types and bytes everywhere. */
static void same_tree(const char *a, const char *b)
{
	DIR *d = opendir(a);
	struct dirent *de;
	size_t na = 0, nb = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char pa[1024], pb[1024];
		struct stat sa, sb;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		na++;
		snprintf(pa, sizeof(pa), "%s/%s", a, de->d_name);
		snprintf(pb, sizeof(pb), "%s/%s", b, de->d_name);
		assert_int_equal(lstat(pa, &sa), 0);
		if (lstat(pb, &sb) != 0)
			fail_msg("%s is missing", pb);
		assert_int_equal(S_ISDIR(sa.st_mode), S_ISDIR(sb.st_mode));
		if (S_ISDIR(sa.st_mode)) {
			same_tree(pa, pb);
		} else {
			static char ba[65536], bb[65536];
			FILE *fa = fopen(pa, "r"), *fb = fopen(pb, "r");
			size_t ka, kb;
			assert_int_equal(sa.st_size, sb.st_size);
			do {
				ka = fread(ba, 1, sizeof(ba), fa);
				kb = fread(bb, 1, sizeof(bb), fb);
				if (ka != kb || memcmp(ba, bb, ka))
					fail_msg("%s differs", pb);
			} while (ka);
			fclose(fa);
			fclose(fb);
		}
	}
	closedir(d);
	d = opendir(b);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			nb++;
	closedir(d);
	assert_int_equal(na, nb);
}

/* No staging directory left beside a fetch destination. */
static void no_leftovers(const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, ".bailey-fetch-", 14))
			fail_msg("staging directory %s/%s left behind", parent, de->d_name);
	closedir(d);
}

/* A package tree: nested five deep, an empty file, an empty directory, a 2 MiB file. */
static void make_tree(const char *dir, unsigned seed)
{
	char p[512];
	mkdir(dir, 0755);
	mkdirs(dir, "a/b/c/d/e");
	mkdirs(dir, "empty");
	mkdirs(dir, "x.y");
	snprintf(p, sizeof(p), "%s/main.wasm", dir);
	write_file(p, 1000 + seed, seed);
	snprintf(p, sizeof(p), "%s/Enarx.toml", dir);
	write_file(p, 50, seed + 1);
	snprintf(p, sizeof(p), "%s/a/b/c/d/e/deep.bin", dir);
	write_file(p, 2 * 1024 * 1024 + 1, seed + 2);
	snprintf(p, sizeof(p), "%s/a/zero", dir);
	write_file(p, 0, 0);
	snprintf(p, sizeof(p), "%s/a/b/same1", dir);
	write_file(p, 4096, 9);
	snprintf(p, sizeof(p), "%s/x.y/same2:v1", dir);
	write_file(p, 4096, 9); /* identical bytes: one blob on the server */
}

/* --------------------------------------------------------- group setup -- */

static int start_server(void **state)
{
	char self[PATH_MAX], portfile[160], portbuf[16] = "";
	ssize_t n;
	(void)state;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return -1;
	self[n] = 0;
	/* <build>/tests/unit/test_dbclient */
	snprintf(build_dir, sizeof(build_dir), "%s", dirname(dirname(dirname(self))));
	snprintf(server_bin, sizeof(server_bin), "%s/src/drawbridge/bailey-drawbridge", build_dir);
	snprintf(bailey_bin, sizeof(bailey_bin), "%s/src/cli/bailey", build_dir);
	strcpy(work, "/tmp/bl-dbclient-XXXXXX");
	if (!mkdtemp(work))
		return -1;
	snprintf(store, sizeof(store), "%s/store", work);
	mkdir(store, 0700);
	if (access(server_bin, X_OK) != 0)
		return 0; /* the server-backed tests skip */
	snprintf(portfile, sizeof(portfile), "%s/port", work);
	server_pid = fork();
	if (server_pid == 0) {
		char log[160];
		int fd;
		snprintf(log, sizeof(log), "%s/server.log", work);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(server_bin, server_bin, "--store", store, "--dev", "--listen", "127.0.0.1:0",
		      "--port-file", portfile, "--threads", "2", (char *)NULL);
		_exit(127);
	}
	/* wait (up to 20 s) for the server to write its port */
	for (int i = 0; i < 2000 && !portbuf[0]; i++) {
		FILE *f = fopen(portfile, "r");
		if (f) {
			if (!fgets(portbuf, sizeof(portbuf), f))
				portbuf[0] = 0;
			fclose(f);
		}
		if (!portbuf[0])
			usleep(10000);
	}
	if (!portbuf[0]) {
		fprintf(stderr, "# bailey-drawbridge did not start (see %s/server.log)\n", work);
		return -1;
	}
	portbuf[strcspn(portbuf, "\r\n")] = 0;
	snprintf(hostport, sizeof(hostport), "127.0.0.1:%s", portbuf);
	snprintf(url, sizeof(url), "http://%s", hostport);
	return 0;
}

static int stop_server(void **state)
{
	(void)state;
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	rm_tree(work);
	return 0;
}

static void need_server(void)
{
	if (server_pid <= 0)
		skip();
}

/* ------------------------------------------------------- pure functions -- */

static void test_slug_parse(void **state)
{
	struct dbr_slug s;
	(void)state;

	assert_int_equal(dbr_slug_parse("alice/demo:1.0.0", DBR_SLUG_TAG, &s), 0);
	assert_string_equal(s.host, "");
	assert_string_equal(s.user, "alice");
	assert_string_equal(s.repo, "demo");
	assert_string_equal(s.tag, "1.0.0");
	assert_int_equal(
	    dbr_slug_parse("reg.example:8443/Al1ce/my-app:1.2.3-rc.1+b.5", DBR_SLUG_TAG, &s), 0);
	assert_string_equal(s.host, "reg.example:8443");
	assert_string_equal(s.repo, "my-app");
	assert_string_equal(s.tag, "1.2.3-rc.1+b.5");
	assert_int_equal(dbr_slug_parse("[::1]:80/a/b:0.0.1", DBR_SLUG_TAG, &s), 0);
	assert_string_equal(s.host, "[::1]:80");
	assert_int_equal(dbr_slug_parse("localhost/alice", DBR_SLUG_USER, &s), 0);
	assert_string_equal(s.host, "localhost");
	assert_string_equal(s.user, "alice");
	assert_int_equal(dbr_slug_parse("alice", DBR_SLUG_USER, &s), 0);
	assert_int_equal(dbr_slug_parse("h:1/alice/demo", DBR_SLUG_REPO, &s), 0);
	assert_string_equal(s.repo, "demo");

	const char *bad_tags[] = { "alice/demo",
		                   "alice/de_mo:1.0.0",
		                   "alice/demo:v1.0.0",
		                   "alice/demo:01.0.0",
		                   "alice/demo:1.0",
		                   "a/b/c/d:1.0.0",
		                   "host:0/alice/demo:1.0.0",
		                   "host:99999/alice/demo:1.0.0",
		                   "ho st/alice/demo:1.0.0",
		                   "/alice/demo:1.0.0",
		                   "al-ice/demo:1.0.0",
		                   "alice/demo:",
		                   "",
		                   NULL };
	for (const char **b = bad_tags; *b; b++)
		if (dbr_slug_parse(*b, DBR_SLUG_TAG, &s) != BL_EINVAL)
			fail_msg("slug '%s' accepted", *b);
	assert_int_equal(dbr_slug_parse("alice/demo:1.0.0", DBR_SLUG_REPO, &s), BL_EINVAL);
	assert_int_equal(dbr_slug_parse("al.ice", DBR_SLUG_USER, &s), BL_EINVAL);
	assert_int_equal(dbr_slug_parse("a/b/c", DBR_SLUG_USER, &s), BL_EINVAL);
}

static void jwt_with(const char *payload, char *out, size_t cap)
{
	struct bl_buf b = BL_BUF_INIT;
	assert_int_equal(bl_buf_puts(&b, "eyJhbGciOiJub25lIn0."), 0);
	assert_int_equal(bl_b64_encode(&b, payload, strlen(payload), 1), 0);
	assert_int_equal(bl_buf_puts(&b, ".c2ln"), 0);
	snprintf(out, cap, "%s", (char *)b.p);
	bl_buf_free(&b);
}

static void test_token_subject(void **state)
{
	struct bl_buf sub = BL_BUF_INIT;
	char jwt[512];
	(void)state;

	jwt_with("{\"sub\":\"alice\",\"aud\":\"x\"}", jwt, sizeof(jwt));
	assert_int_equal(dbr_token_subject(jwt, &sub), 0);
	assert_string_equal((char *)sub.p, "alice");
	bl_buf_reset(&sub);
	jwt_with("{\"aud\":\"x\"}", jwt, sizeof(jwt));
	assert_int_equal(dbr_token_subject(jwt, &sub), BL_EINVAL);
	jwt_with("{\"sub\":7}", jwt, sizeof(jwt));
	assert_int_equal(dbr_token_subject(jwt, &sub), BL_EINVAL);
	assert_int_equal(dbr_token_subject("not-a-jwt", &sub), BL_EINVAL);
	assert_int_equal(dbr_token_subject("a.!!!.c", &sub), BL_EINVAL);
	bl_buf_free(&sub);

	/* a token that could inject header lines is refused up front */
	{
		struct dbr_client_opts o = { .url = "http://127.0.0.1:1", .token = "ab\r\nX: y" };
		assert_null(dbr_client_new(&o));
	}
}

static void test_tag_entry_parse(void **state)
{
	static const char entry[] =
	    "{\"digest\":{\"sha-256\":\"LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=\"},"
	    "\"length\":2,\"type\":\"application/vnd.drawbridge.directory.v1+json\"}";
	struct bl_buf jws = BL_BUF_INIT;
	struct dbr_entry e;
	int sig = -1;
	(void)state;

	assert_int_equal(dbr_tag_entry_parse(DBR_TYPE_ENTRY, entry, strlen(entry), &e, &sig), 0);
	assert_int_equal(sig, 0);
	assert_int_equal(e.length, 2);
	assert_string_equal(e.type, DBR_TYPE_DIRECTORY);
	assert_true(bl_dset_has(&e.digest, BL_SHA256));
	/* the same entry as a JWS payload */
	assert_int_equal(bl_buf_puts(&jws, "{\"payload\":\""), 0);
	assert_int_equal(bl_b64_encode(&jws, entry, strlen(entry), 1), 0);
	assert_int_equal(bl_buf_puts(&jws, "\",\"signatures\":[]}"), 0);
	assert_int_equal(dbr_tag_entry_parse(DBR_TYPE_JWS, jws.p, jws.len, &e, &sig), 0);
	assert_int_equal(sig, 1);
	assert_int_equal(e.length, 2);
	/* negatives */
	assert_int_equal(dbr_tag_entry_parse(DBR_TYPE_JWS, "{}", 2, &e, &sig), BL_EINVAL);
	assert_int_equal(dbr_tag_entry_parse(DBR_TYPE_JWS, "{\"payload\":\"@@\"}", 15, &e, &sig),
	                 BL_EINVAL);
	assert_int_equal(dbr_tag_entry_parse(DBR_TYPE_ENTRY, jws.p, jws.len, &e, &sig), BL_EINVAL);
	assert_int_equal(dbr_tag_entry_parse(DBR_TYPE_ENTRY, entry, strlen(entry) - 1, &e, &sig),
	                 BL_EINVAL);
	assert_int_equal(dbr_tag_entry_parse(DBR_TYPE_ENTRY, "", 0, &e, &sig), BL_EINVAL);
	bl_buf_free(&jws);
}

/* ----------------------------------------------------- the real server -- */

static void test_users_and_repos(void **state)
{
	struct dbr_client *a, *b;
	struct bl_buf out = BL_BUF_INIT;
	(void)state;
	need_server();

	dev_token("alice", tok_alice, sizeof(tok_alice));
	dev_token("bob", tok_bob, sizeof(tok_bob));
	dev_token("carol", tok_carol, sizeof(tok_carol));
	a = client_as(tok_alice);
	b = client_as(tok_bob);
	assert_int_equal(dbr_user_register(a, "alice", "alice", NULL), 0);
	assert_int_equal(dbr_user_register(b, "bob", "bob", NULL), 0);
	assert_int_equal(dbr_user_register(a, "alice", "alice", NULL), BL_EEXIST);
	/* a record for someone else's subject */
	assert_int_equal(dbr_user_register(a, "mallory", "bob", NULL), BL_EPERM);
	assert_non_null(strstr(bl_errmsg(), "HTTP 401"));
	assert_int_equal(dbr_user_info(a, "alice", &out), 0);
	assert_non_null(strstr((char *)out.p, "\"subject\":\"alice\""));
	bl_buf_reset(&out);
	assert_int_equal(dbr_user_info(b, "alice", &out), BL_EPERM);
	assert_int_equal(dbr_repo_register(a, "alice", "pub", 1), 0);
	assert_int_equal(dbr_repo_register(a, "alice", "priv", 0), 0);
	assert_int_equal(dbr_repo_register(a, "alice", "pub", 1), BL_EEXIST);
	assert_int_equal(dbr_repo_register(b, "alice", "other", 1), BL_EPERM);
	assert_int_equal(dbr_repo_info(a, "alice", "pub", &out), 0);
	assert_non_null(strstr((char *)out.p, "\"public\":true"));
	bl_buf_reset(&out);
	assert_true(dbr_repo_info(a, "alice", "nothere", &out) < 0);
	assert_int_equal(out.len, 0);
	bl_buf_free(&out);
	dbr_client_free(a);
	dbr_client_free(b);
}

struct prog {
	uint64_t last_done, last_total;
	unsigned calls;
};

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct prog *p = arg;
	assert_true(done >= p->last_done || p->calls == 0);
	p->last_done = done;
	p->last_total = total;
	p->calls++;
}

static void test_publish_fetch_roundtrip(void **state)
{
	struct prog pg = { 0 };
	struct dbr_client_opts o = {
		.url = url, .token = tok_alice, .progress = on_progress, .progress_arg = &pg
	};
	struct dbr_client *a;
	struct dbr_publish_stats ps;
	struct dbr_fetch_stats fs;
	char src[160], dst[160], src2[160];
	(void)state;
	need_server();

	a = dbr_client_new(&o);
	assert_non_null(a);
	snprintf(src, sizeof(src), "%s/src1", work);
	snprintf(dst, sizeof(dst), "%s/dst1", work);
	make_tree(src, 1);
	assert_int_equal(dbr_publish(a, "alice", "pub", "1.0.0", src, &ps), 0);
	assert_int_equal(ps.files, 6);
	assert_int_equal(ps.dirs, 8); /* root, a, b, c, d, e, empty, x.y */
	assert_int_equal(ps.created, ps.files + ps.dirs);
	assert_int_equal(ps.present, 0);
	assert_int_equal(ps.tag_existed, 0);
	assert_int_equal(pg.last_done, ps.bytes);
	assert_int_equal(pg.last_total, ps.bytes);

	memset(&pg, 0, sizeof(pg)); /* a new operation counts from 0 */
	assert_int_equal(dbr_fetch(a, "alice", "pub", "1.0.0", dst, &fs), 0);
	assert_int_equal(pg.last_done, ps.bytes);
	assert_int_equal(pg.last_total, ps.bytes); /* known from the listings up front */
	same_tree(src, dst);
	assert_int_equal(fs.files, ps.files);
	assert_int_equal(fs.dirs, ps.dirs);
	assert_int_equal(fs.bytes, ps.bytes);
	assert_int_equal(dbr_entry_match(&ps.root, &fs.root), 0);
	no_leftovers(work);

	o.progress = NULL; /* the rest is not about progress */
	dbr_client_free(a);
	a = dbr_client_new(&o);
	assert_non_null(a);

	/* into an existing non-empty directory: refused, nothing touched */
	assert_int_equal(dbr_fetch(a, "alice", "pub", "1.0.0", dst, &fs), BL_EEXIST);
	/* an empty directory is replaced */
	snprintf(src2, sizeof(src2), "%s/emptydst", work);
	mkdir(src2, 0755);
	assert_int_equal(dbr_fetch(a, "alice", "pub", "1.0.0", src2, &fs), 0);
	same_tree(src, src2);

	/* the same tree again: a resumed publish, nothing new */
	assert_int_equal(dbr_publish(a, "alice", "pub", "1.0.0", src, &ps), 0);
	assert_int_equal(ps.tag_existed, 1);
	assert_int_equal(ps.created, 0);
	assert_int_equal(ps.present, ps.files + ps.dirs);

	/* other content under the same tag: tags are immutable */
	snprintf(src2, sizeof(src2), "%s/src1b", work);
	make_tree(src2, 2);
	assert_int_equal(dbr_publish(a, "alice", "pub", "1.0.0", src2, &ps), BL_EEXIST);
	assert_non_null(strstr(bl_errmsg(), "immutable"));
	dbr_client_free(a);
}

/*
 * A file that changes after it was hashed: the server refuses its body
 * (Content-Digest mismatch, 400) and the publish stops half-way; publishing
 * the restored tree again resumes (the tag and the nodes already there are
 * accepted as identical) and the result fetches intact.
 */
struct sabotage {
	char victim[256];
	size_t len;
	int done;
};

static void sabotage_cb(void *arg, uint64_t done, uint64_t total)
{
	struct sabotage *s = arg;
	(void)done;
	(void)total;
	if (!s->done) {
		write_file(s->victim, s->len, 99); /* same length, other bytes */
		s->done = 1;
	}
}

static void test_publish_wrong_digest_then_resume(void **state)
{
	struct sabotage sb = { .len = 1000 + 11 };
	struct dbr_client_opts o = {
		.url = url, .token = tok_alice, .progress = sabotage_cb, .progress_arg = &sb
	};
	struct dbr_client *a;
	struct dbr_publish_stats ps;
	struct dbr_fetch_stats fs;
	char src[160], dst[160];
	(void)state;
	need_server();

	snprintf(src, sizeof(src), "%s/resume", work);
	snprintf(dst, sizeof(dst), "%s/resumedst", work);
	make_tree(src, 11);
	snprintf(sb.victim, sizeof(sb.victim), "%s/main.wasm", src);
	a = dbr_client_new(&o);
	assert_non_null(a);
	assert_int_equal(dbr_repo_register(a, "alice", "resume", 1), 0);
	/* Enarx.toml is the first file sent; main.wasm changes while it goes */
	assert_int_equal(dbr_publish(a, "alice", "resume", "11.0.0", src, &ps), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "HTTP 400"));
	assert_non_null(strstr(bl_errmsg(), "main.wasm"));
	assert_true(dbr_fetch(a, "alice", "resume", "11.0.0", dst, &fs) < 0); /* incomplete */
	assert_false(exists(dst));
	dbr_client_free(a);

	write_file(sb.victim, sb.len, 11); /* as it was */
	a = client_as(tok_alice);
	assert_int_equal(dbr_publish(a, "alice", "resume", "11.0.0", src, &ps), 0);
	assert_int_equal(ps.tag_existed, 1);
	assert_true(ps.present > 0);
	assert_true(ps.created > 0);
	assert_int_equal(ps.present + ps.created, ps.files + ps.dirs);
	assert_int_equal(dbr_fetch(a, "alice", "resume", "11.0.0", dst, &fs), 0);
	same_tree(src, dst);
	dbr_client_free(a);
}

static void test_publish_refuses_bad_trees(void **state)
{
	struct dbr_client *a;
	struct dbr_publish_stats ps;
	char src[160], p[256];
	char **tags;
	size_t n;
	(void)state;
	need_server();

	a = client_as(tok_alice);
	snprintf(src, sizeof(src), "%s/badtree", work);
	mkdir(src, 0755);
	snprintf(p, sizeof(p), "%s/ok", src);
	write_file(p, 10, 1);
	snprintf(p, sizeof(p), "%s/link", src);
	assert_int_equal(symlink("ok", p), 0);
	assert_int_equal(dbr_publish(a, "alice", "pub", "3.0.0", src, &ps), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "symbolic links"));
	unlink(p);
	snprintf(p, sizeof(p), "%s/bad name", src);
	write_file(p, 1, 1);
	assert_int_equal(dbr_publish(a, "alice", "pub", "3.0.0", src, &ps), BL_EINVAL);
	assert_non_null(strstr(bl_errmsg(), "not allowed"));
	/* nothing was sent: no tag 3.0.0 */
	assert_int_equal(dbr_tag_list(a, "alice", "pub", &tags, &n), 0);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(tags[i], "3.0.0");
	dbr_tag_list_free(tags, n);
	dbr_client_free(a);
}

static void test_tag_list_sorted(void **state)
{
	struct dbr_client *a;
	struct dbr_publish_stats ps;
	const char *order[] = { "0.2.0-rc.1", "0.2.0", "0.10.0", "1.0.0", "1.0.1-alpha" };
	const char *publish[] = { "0.10.0", "1.0.1-alpha", "0.2.0", "0.2.0-rc.1" };
	char src[160], p[256];
	char **tags;
	size_t n;
	(void)state;
	need_server();

	a = client_as(tok_alice);
	snprintf(src, sizeof(src), "%s/small", work);
	mkdir(src, 0755);
	snprintf(p, sizeof(p), "%s/f", src);
	write_file(p, 100, 3);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(dbr_publish(a, "alice", "pub", publish[i], src, &ps), 0);
	assert_int_equal(dbr_tag_list(a, "alice", "pub", &tags, &n), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(tags[i], order[i]);
	dbr_tag_list_free(tags, n);
	assert_int_equal(dbr_tag_list(a, "alice", "nothere", &tags, &n), BL_ENOENT);
	dbr_client_free(a);
}

static void test_auth_failures(void **state)
{
	struct dbr_client *anon, *a, *b, *junk;
	struct dbr_publish_stats ps;
	struct dbr_fetch_stats fs;
	char src[160], dst[160];
	(void)state;
	need_server();

	snprintf(src, sizeof(src), "%s/small", work);
	snprintf(dst, sizeof(dst), "%s/authdst", work);
	anon = client_as(NULL);
	a = client_as(tok_alice);
	b = client_as(tok_bob);
	junk = client_as("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.AAAA");

	assert_int_equal(dbr_publish(anon, "alice", "pub", "5.0.0", src, &ps), BL_EPERM);
	assert_non_null(strstr(bl_errmsg(), "HTTP 401"));
	assert_int_equal(dbr_publish(b, "alice", "pub", "5.0.0", src, &ps), BL_EPERM);
	assert_non_null(strstr(bl_errmsg(), "HTTP 401"));
	assert_int_equal(dbr_publish(junk, "alice", "pub", "5.0.0", src, &ps), BL_EPERM);

	/* public: anyone reads; private: only the owner */
	assert_int_equal(dbr_fetch(anon, "alice", "pub", "0.2.0", dst, &fs), 0);
	rm_tree(dst);
	assert_int_equal(dbr_publish(a, "alice", "priv", "1.0.0", src, &ps), 0);
	assert_true(dbr_fetch(anon, "alice", "priv", "1.0.0", dst, &fs) < 0);
	assert_false(exists(dst));
	assert_true(dbr_fetch(b, "alice", "priv", "1.0.0", dst, &fs) < 0);
	assert_false(exists(dst));
	assert_int_equal(dbr_fetch(a, "alice", "priv", "1.0.0", dst, &fs), 0);
	rm_tree(dst);
	no_leftovers(work);
	dbr_client_free(anon);
	dbr_client_free(a);
	dbr_client_free(b);
	dbr_client_free(junk);
}

static void test_sharing(void **state)
{
	struct dbr_client *a, *b;
	struct dbr_publish_stats ps;
	struct dbr_fetch_stats fs;
	struct bl_buf out = BL_BUF_INIT;
	char src[160], dst[160];
	(void)state;
	need_server();

	snprintf(src, sizeof(src), "%s/small", work);
	snprintf(dst, sizeof(dst), "%s/sharedst", work);
	a = client_as(tok_alice);
	b = client_as(tok_bob);
	assert_int_equal(dbr_access_grant(a, "alice", "priv", "bob", "read"), 0);
	assert_int_equal(dbr_access_list(a, "alice", "priv", &out), 0);
	assert_non_null(strstr((char *)out.p, "bob"));
	assert_int_equal(dbr_fetch(b, "alice", "priv", "1.0.0", dst, &fs), 0);
	rm_tree(dst);
	/* read-only: no publishing, no managing */
	assert_int_equal(dbr_publish(b, "alice", "priv", "1.1.0", src, &ps), BL_EPERM);
	assert_true(dbr_access_grant(b, "alice", "priv", "bob", "write") < 0);
	assert_int_equal(dbr_access_grant(a, "alice", "priv", "bob", "write"), 0);
	assert_int_equal(dbr_publish(b, "alice", "priv", "1.1.0", src, &ps), 0);
	assert_int_equal(dbr_access_revoke(a, "alice", "priv", "bob"), 0);
	assert_true(dbr_fetch(b, "alice", "priv", "1.0.0", dst, &fs) < 0);
	assert_false(exists(dst));
	assert_int_equal(dbr_access_grant(a, "alice", "priv", "bob", "admin"), BL_EINVAL);
	bl_buf_free(&out);
	dbr_client_free(a);
	dbr_client_free(b);
}

/* Flip one byte of the blob holding `content_of` in the server's store. */
static void tamper_blob(const char *content_of)
{
	uint8_t d[32], buf[1 << 16];
	struct bl_buf hex = BL_BUF_INIT, all = BL_BUF_INIT;
	char p[512];
	FILE *f = fopen(content_of, "r");
	size_t n;
	int fd;
	uint8_t c;

	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(bl_buf_append(&all, buf, n), 0);
	fclose(f);
	assert_int_equal(bl_digest(BL_SHA256, all.p, all.len, d), 0);
	assert_int_equal(bl_hex_encode(&hex, d, 32), 0);
	snprintf(p, sizeof(p), "%s/blobs/%.2s/%s", store, (char *)hex.p, (char *)hex.p);
	if (!exists(p))
		fail_msg("blob %s not found: the store layout changed?", p);
	chmod(p, 0600);
	fd = open(p, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, 777), 1);
	c ^= 0x5a;
	assert_int_equal(pwrite(fd, &c, 1, 777), 1);
	close(fd);
	bl_buf_free(&hex);
	bl_buf_free(&all);
}

static void test_tampered_blob(void **state)
{
	struct dbr_client *a;
	struct dbr_publish_stats ps;
	struct dbr_fetch_stats fs;
	char src[160], dst[160], p[256], err[4096];
	(void)state;
	need_server();

	a = client_as(tok_alice);
	snprintf(src, sizeof(src), "%s/tamper", work);
	snprintf(dst, sizeof(dst), "%s/tamperdst", work);
	make_tree(src, 7);
	assert_int_equal(dbr_publish(a, "alice", "pub", "7.0.0", src, &ps), 0);
	snprintf(p, sizeof(p), "%s/a/b/c/d/e/deep.bin", src);
	tamper_blob(p);
	assert_int_equal(dbr_fetch(a, "alice", "pub", "7.0.0", dst, &fs), BL_EVERIFY);
	assert_non_null(strstr(bl_errmsg(), "deep.bin"));
	assert_non_null(strstr(bl_errmsg(), "mismatch"));
	assert_false(exists(dst));
	no_leftovers(work);

	/* the command says so in one line, exits 1 and leaves nothing */
	{
		char *argv[] = {
			bailey_bin, "package", "fetch", "--insecure-http", "--token-file", NULL,
			NULL,       dst,       NULL
		};
		char slug[128], tf[160];
		const char *unset[] = { "BAILEY_TOKEN", "BAILEY_REGISTRY", NULL };
		FILE *f;
		snprintf(tf, sizeof(tf), "%s/alice.tok", work);
		f = fopen(tf, "w");
		fprintf(f, "%s\n", tok_alice);
		fclose(f);
		snprintf(slug, sizeof(slug), "%s/alice/pub:7.0.0", hostport);
		argv[5] = tf;
		argv[6] = slug;
		assert_int_equal(run(argv, NULL, unset, NULL, 0, err, sizeof(err)), 1);
		assert_non_null(strstr(err, "digest mismatch"));
		assert_non_null(strstr(err, "bailey: package fetch: "));
		assert_int_equal(strchr(err, '\n') - err + 1, (long)strlen(err)); /* one line */
		assert_false(exists(dst));
		no_leftovers(work);
	}
	dbr_client_free(a);
}

/* ---------------------------------------------- a lying loopback server -- */

struct route {
	const char *path;
	const char *ctype;
	struct bl_buf body;
	int bad_digest; /* send a Content-Digest that does not match the body */
	int second_digest; /* add a second Content-Digest field line, with a wrong sha-512 */
	int huge; /* announce a Content-Length far above the body (then send the body) */
};

struct liar {
	int lfd;
	uint16_t port;
	pthread_t th;
	volatile int stop;
	struct route *routes;
	size_t nroutes;
	struct bl_buf put; /* bodies of the PUTs received, one after another */
	unsigned nput;
	volatile int saw_auth; /* a request carried an Authorization header */
	volatile unsigned nget; /* GET and HEAD requests answered */
};

static void liar_answer(struct liar *l, int fd, const char *path)
{
	struct bl_buf h = BL_BUF_INIT, cd = BL_BUF_INIT;
	struct bl_digest_set set = { 0 };

	for (size_t i = 0; i < l->nroutes; i++) {
		struct route *r = &l->routes[i];
		if (strcmp(r->path, path))
			continue;
		set.mask = 1u << BL_SHA256;
		assert_int_equal(bl_digest(BL_SHA256, r->body.p, r->body.len, set.val[BL_SHA256]),
		                 0);
		if (r->bad_digest)
			set.val[BL_SHA256][0] ^= 1;
		assert_int_equal(bl_content_digest_format(&set, &cd), 0);
		assert_int_equal(bl_buf_printf(&h,
		                               "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
		                               "Content-Digest: %s\r\nContent-Length: %zu\r\n",
		                               r->ctype, (char *)cd.p,
		                               r->huge ? (size_t)200 << 20 : r->body.len),
		                 0);
		if (r->second_digest) {
			uint8_t wrong[64] = { 0 };
			assert_int_equal(bl_buf_puts(&h, "Content-Digest: sha-512=:"), 0);
			assert_int_equal(bl_b64_encode(&h, wrong, sizeof(wrong), 0), 0);
			assert_int_equal(bl_buf_puts(&h, ":\r\n"), 0);
		}
		assert_int_equal(bl_buf_puts(&h, "\r\n"), 0);
		assert_int_equal(bl_buf_append(&h, r->body.p, r->body.len), 0);
		break;
	}
	if (!h.len)
		assert_int_equal(bl_buf_puts(&h, "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n"
		                                 "\r\nnot found"),
		                 0);
	send(fd, h.p, h.len, MSG_NOSIGNAL);
	bl_buf_free(&h);
	bl_buf_free(&cd);
}

static void *liar_main(void *arg)
{
	struct liar *l = arg;
	while (!l->stop) {
		struct pollfd p = { l->lfd, POLLIN, 0 };
		char req[8192], path[4096];
		size_t n = 0;
		int fd;
		if (poll(&p, 1, 50) <= 0)
			continue;
		fd = accept(l->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		for (;;) { /* keep-alive: one request after another */
			ssize_t k = recv(fd, req + n, sizeof(req) - 1 - n, 0);
			char *end;
			if (k <= 0)
				break;
			n += (size_t)k;
			req[n] = 0;
			while ((end = strstr(req, "\r\n\r\n"))) {
				char *cl = strcasestr(req, "\r\nContent-Length:");
				size_t blen = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
				int is_put = !strncmp(req, "PUT ", 4);
				char *auth = strcasestr(req, "\r\nAuthorization:");
				if (auth && auth < end)
					l->saw_auth = 1;
				int got_path = sscanf(req, "%*s %4095s", path) == 1;
				n -= (size_t)(end + 4 - req);
				memmove(req, end + 4, n + 1);
				if (!is_put) {
					l->nget++;
					if (got_path)
						liar_answer(l, fd, path);
					continue;
				}
				/* a PUT: keep its body, answer 201 */
				while (n < blen) {
					assert_int_equal(bl_buf_append(&l->put, req, n), 0);
					blen -= n;
					k = recv(fd, req, sizeof(req) - 1, 0);
					n = k > 0 ? (size_t)k : 0;
					if (k <= 0)
						goto out_close;
				}
				assert_int_equal(bl_buf_append(&l->put, req, blen), 0);
				n -= blen;
				memmove(req, req + blen, n);
				req[n] = 0;
				l->nput++;
				send(fd, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", 43,
				     MSG_NOSIGNAL);
			}
		}
	out_close:
		close(fd);
	}
	return NULL;
}

static void liar_start(struct liar *l)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l->lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(l->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l->lfd, 4), 0);
	getsockname(l->lfd, (struct sockaddr *)&a, &alen);
	l->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&l->th, NULL, liar_main, l), 0);
}

static void liar_stop(struct liar *l)
{
	l->stop = 1;
	pthread_join(l->th, NULL);
	close(l->lfd);
	bl_buf_free(&l->put);
}

static void test_cli(void **state)
{
	char out[8192], err[4096], cfg[160], tf[160], slug[160], p[256], dst[160];
	const char *unset[] = { "BAILEY_TOKEN", "BAILEY_REGISTRY", NULL };
	const char *env_cfg[] = { "XDG_CONFIG_HOME", cfg, NULL };
	struct stat st;
	(void)state;
	need_server();

	snprintf(cfg, sizeof(cfg), "%s/config", work);
	mkdir(cfg, 0700);
	snprintf(tf, sizeof(tf), "%s/alice.tok", work);

	/* no token at all: a clear one-line refusal, exit 1 */
	{
		char src[160];
		snprintf(src, sizeof(src), "%s/small", work);
		snprintf(slug, sizeof(slug), "%s/alice/pub:9.0.0", hostport);
		char *argv[] = { bailey_bin, "package",         "publish", slug,
			         src,        "--insecure-http", NULL };
		assert_int_equal(run(argv, env_cfg, unset, NULL, 0, err, sizeof(err)), 1);
		assert_non_null(strstr(err, "HTTP 401"));
		assert_int_equal(strchr(err, '\n') - err + 1, (long)strlen(err));
	}
	/* --insecure-http to a non-loopback host is refused before any connection: usage (2) */
	{
		char *argv[] = { bailey_bin,        "tag", "list", "example.com/alice/pub",
			         "--insecure-http", NULL };
		assert_int_equal(run(argv, env_cfg, unset, NULL, 0, err, sizeof(err)), 2);
		assert_non_null(strstr(err, "loopback"));
	}
	/* bad slugs are usage errors */
	{
		char *argv[] = { bailey_bin, "package", "info", "alice/pub", NULL };
		assert_int_equal(run(argv, env_cfg, unset, NULL, 0, err, sizeof(err)), 2);
		assert_non_null(strstr(err, "TAG"));
	}
	/* login stores the token 0600, for the registry named; later commands use it */
	{
		char *argv[] = { bailey_bin, "login", hostport, "--token-file", tf, NULL };
		assert_int_equal(run(argv, env_cfg, unset, out, sizeof(out), err, sizeof(err)), 0);
		snprintf(p, sizeof(p), "%s/bailey/token", cfg);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_null(strstr(out, tok_alice)); /* never printed */
	}
	/*
	 * Regression: the stored token went to any registry a slug named, so
	 * fetching a slug from a stranger's README handed them the token.
	 */
	{
		struct route none = { 0 };
		struct liar l = { .routes = &none, .nroutes = 0 };
		char other[160];
		liar_start(&l);
		snprintf(other, sizeof(other), "127.0.0.1:%u/alice/pub", l.port);
		char *argv[] = { bailey_bin, "tag", "list", other, "--insecure-http", NULL };
		assert_int_equal(run(argv, env_cfg, unset, out, sizeof(out), err, sizeof(err)), 1);
		assert_non_null(strstr(err, "HTTP 404"));
		assert_false(l.saw_auth);
		liar_stop(&l);
	}
	/* a token must say which registry it is for */
	{
		char *argv[] = { bailey_bin, "login", "--token-file", tf, NULL };
		assert_int_equal(run(argv, env_cfg, unset, out, sizeof(out), err, sizeof(err)), 2);
		assert_non_null(strstr(err, "HOST"));
	}
	{
		snprintf(slug, sizeof(slug), "%s/alice/priv", hostport);
		char *argv[] = {
			bailey_bin, "repo", "info", slug, "--insecure-http", "--json", NULL
		};
		assert_int_equal(run(argv, env_cfg, unset, out, sizeof(out), err, sizeof(err)), 0);
		assert_string_equal(out, "{\"public\":false}\n");
	}
	{
		snprintf(slug, sizeof(slug), "%s/alice/pub", hostport);
		char *argv[] = {
			bailey_bin, "tag", "list", slug, "--insecure-http", "--json", NULL
		};
		assert_int_equal(run(argv, env_cfg, unset, out, sizeof(out), err, sizeof(err)), 0);
		assert_string_equal(out, "[\"0.2.0-rc.1\",\"0.2.0\",\"0.10.0\",\"1.0.0\","
		                         "\"1.0.1-alpha\",\"7.0.0\"]\n");
	}
	/* publish and fetch through the command; BAILEY_REGISTRY supplies the host */
	{
		char regurl[96];
		snprintf(regurl, sizeof(regurl), "http://%s/", hostport);
		const char *env[] = { "XDG_CONFIG_HOME", cfg, "BAILEY_REGISTRY", regurl, NULL };
		const char *unset_tok[] = { "BAILEY_TOKEN", NULL };
		char src[160];
		snprintf(src, sizeof(src), "%s/src1", work);
		snprintf(dst, sizeof(dst), "%s/clidst", work);
		char *pub[] = { bailey_bin, "package",         "publish", "alice/pub:8.0.0",
			        src,        "--insecure-http", NULL };
		char *fet[] = { bailey_bin, "package",         "fetch", "alice/pub:8.0.0",
			        dst,        "--insecure-http", NULL };
		char *info[] = { bailey_bin,        "package", "info", "alice/pub:8.0.0",
			         "--insecure-http", "--json",  NULL };
		assert_int_equal(run(pub, env, unset_tok, out, sizeof(out), err, sizeof(err)), 0);
		assert_non_null(strstr(out, "6 files"));
		/* an http:// registry still needs the explicit option (a usage error, 2) */
		char *noins[] = { bailey_bin, "tag", "list", "alice/pub", NULL };
		assert_int_equal(run(noins, env, unset_tok, out, sizeof(out), err, sizeof(err)), 2);
		assert_non_null(strstr(err, "needs --insecure-http"));
		assert_int_equal(run(fet, env, unset_tok, out, sizeof(out), err, sizeof(err)), 0);
		same_tree(src, dst);
		assert_int_equal(run(info, env, unset_tok, out, sizeof(out), err, sizeof(err)), 0);
		assert_non_null(strstr(out, "\"main.wasm\":{\"digest\":{"));
		assert_non_null(strstr(out, "\"signed\":false"));
	}
	/* every command has a --help */
	{
		const char *cmds[] = { "user", "repo", "package", "tag", "login", NULL };
		for (const char **c = cmds; *c; c++) {
			char *argv[] = { bailey_bin, (char *)*c, "--help", NULL };
			assert_int_equal(run(argv, NULL, NULL, out, sizeof(out), NULL, 0), 0);
			assert_non_null(strstr(out, "usage: bailey"));
		}
	}
}

/*
 * A 64 MiB file goes up and comes back through `bailey` without the command
 * ever holding it: its peak memory stays far below the file's size. (Not
 * checked under AddressSanitizer, whose own bookkeeping dominates the figure.)
 */
static void test_big_file_bounded_memory(void **state)
{
	char src[160], dst[160], p[256], slug[160], tf[160], err[4096];
	const char *unset[] = { "BAILEY_TOKEN", "BAILEY_REGISTRY", NULL };
	size_t big = 64u * 1024 * 1024;
	uint8_t *chunk = malloc(1 << 20);
	FILE *f;
	(void)state;
	need_server();

	snprintf(src, sizeof(src), "%s/bigsrc", work);
	snprintf(dst, sizeof(dst), "%s/bigdst", work);
	snprintf(tf, sizeof(tf), "%s/alice.tok", work);
	mkdir(src, 0755);
	snprintf(p, sizeof(p), "%s/main.wasm", src);
	f = fopen(p, "w");
	for (size_t off = 0; off < big; off += 1 << 20) {
		for (size_t i = 0; i < (1u << 20); i++)
			chunk[i] = (uint8_t)((off + i) * 2654435761u >> 13);
		assert_int_equal(fwrite(chunk, 1, 1 << 20, f), 1 << 20);
	}
	fclose(f);
	free(chunk);
	snprintf(slug, sizeof(slug), "%s/alice/pub:64.0.0", hostport);
	{
		char *argv[] = { bailey_bin,        "package",      "publish", slug, src,
			         "--insecure-http", "--token-file", tf,        NULL };
		assert_int_equal(run(argv, NULL, unset, NULL, 0, err, sizeof(err)), 0);
	}
	fprintf(stderr, "# bailey package publish, 64 MiB file: peak RSS %ld KiB\n",
	        last_maxrss_kib);
#ifndef __SANITIZE_ADDRESS__
	if (last_maxrss_kib > 24 * 1024)
		fail_msg("publish of 64 MiB peaked at %ld KiB", last_maxrss_kib);
#endif
	{
		char *argv[] = {
			bailey_bin, "package", "fetch", slug, dst, "--insecure-http", NULL
		};
		assert_int_equal(run(argv, NULL, unset, NULL, 0, err, sizeof(err)), 0);
	}
	fprintf(stderr, "# bailey package fetch, 64 MiB file: peak RSS %ld KiB\n", last_maxrss_kib);
#ifndef __SANITIZE_ADDRESS__
	if (last_maxrss_kib > 24 * 1024)
		fail_msg("fetch of 64 MiB peaked at %ld KiB", last_maxrss_kib);
#endif
	same_tree(src, dst);
	rm_tree(src);
	rm_tree(dst);
}

/* ------------------------------------------------- over TLS (HTTPS) -- */

static X509 *mk_cert(const char *cn, const char *san, int ca, EVP_PKEY *key, X509 *issuer,
                     EVP_PKEY *ikey)
{
	X509 *x = X509_new();
	X509V3_CTX v3;
	X509_EXTENSION *e;
	static long serial = 100;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                           (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
	                        ca ? "critical,CA:TRUE" : "CA:FALSE");
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	if (san) {
		e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
	assert_true(X509_sign(x, ikey ? ikey : key, EVP_sha256()) > 0);
	return x;
}

static void pem_out(const char *path, X509 *x, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	if (x)
		PEM_write_X509(f, x);
	if (k)
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

/*
 * A second server on HTTPS with its own store: the client checks its
 * certificate against --ca-bundle, and a client certificate from the
 * configured CA (a Keep's, in the flow) reads a private repository.
 */
static void test_tls_server(void **state)
{
	char tdir[160], tstore[192], ca[192], crt[192], key[192], ccrt[192], ckey[192], pf[192];
	char portbuf[16] = "", turl[64], tok[4096], src[160], dst[160], err[4096];
	EVP_PKEY *cak = EVP_EC_gen("P-256"), *sk = EVP_EC_gen("P-256"), *ck = EVP_EC_gen("P-256");
	X509 *cax, *sx, *cx;
	struct dbr_publish_stats ps;
	struct dbr_fetch_stats fs;
	struct dbr_client *c;
	pid_t pid;
	(void)state;
	need_server();

	snprintf(tdir, sizeof(tdir), "%s/tls", work);
	mkdir(tdir, 0700);
	snprintf(tstore, sizeof(tstore), "%s/store", tdir);
	mkdir(tstore, 0700);
	snprintf(ca, sizeof(ca), "%s/ca.pem", tdir);
	snprintf(crt, sizeof(crt), "%s/srv.pem", tdir);
	snprintf(key, sizeof(key), "%s/srv.key", tdir);
	snprintf(ccrt, sizeof(ccrt), "%s/keep.pem", tdir);
	snprintf(ckey, sizeof(ckey), "%s/keep.key", tdir);
	snprintf(pf, sizeof(pf), "%s/port", tdir);
	cax = mk_cert("Steward CA", NULL, 1, cak, NULL, NULL);
	sx = mk_cert("registry", "DNS:localhost,IP:127.0.0.1", 0, sk, cax, cak);
	cx = mk_cert("a keep", NULL, 0, ck, cax, cak);
	pem_out(ca, cax, NULL);
	pem_out(crt, sx, NULL);
	pem_out(key, NULL, sk);
	pem_out(ccrt, cx, NULL);
	pem_out(ckey, NULL, ck);

	pid = fork();
	if (pid == 0) {
		char log[200];
		int fd;
		snprintf(log, sizeof(log), "%s/server.log", tdir);
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(server_bin, server_bin, "--store", tstore, "--dev", "--listen", "127.0.0.1:0",
		      "--port-file", pf, "--tls-cert", crt, "--tls-key", key, "--client-ca", ca,
		      "--threads", "2", "--max-file", "4194304", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 2000 && !portbuf[0]; i++) {
		FILE *f = fopen(pf, "r");
		if (f) {
			if (!fgets(portbuf, sizeof(portbuf), f))
				portbuf[0] = 0;
			fclose(f);
		}
		if (!portbuf[0])
			usleep(10000);
	}
	assert_true(portbuf[0] != 0);
	portbuf[strcspn(portbuf, "\r\n")] = 0;
	snprintf(turl, sizeof(turl), "https://127.0.0.1:%s", portbuf);
	{
		char *argv[] = { server_bin, "dev-token", "--store", tstore, "alice", NULL };
		assert_int_equal(run(argv, NULL, NULL, tok, sizeof(tok), NULL, 0), 0);
		tok[strcspn(tok, "\r\n")] = 0;
	}
	snprintf(src, sizeof(src), "%s/src1", work);
	snprintf(dst, sizeof(dst), "%s/tlsdst", work);
	{
		struct dbr_client_opts o = { .url = turl, .token = tok, .ca_file = ca };
		c = dbr_client_new(&o);
		assert_non_null(c);
		assert_int_equal(dbr_user_register(c, "alice", "alice", NULL), 0);
		assert_int_equal(dbr_repo_register(c, "alice", "secret", 0), 0);
		assert_int_equal(dbr_publish(c, "alice", "secret", "1.0.0", src, &ps), 0);
		{
			/* above the server's --max-file: 413 before the body is sent */
			char big[192], p[256];
			snprintf(big, sizeof(big), "%s/toobig", tdir);
			mkdir(big, 0755);
			snprintf(p, sizeof(p), "%s/main.wasm", big);
			write_file(p, 5u * 1024 * 1024, 5);
			assert_int_equal(dbr_publish(c, "alice", "secret", "2.0.0", big, &ps),
			                 BL_ERANGE);
			assert_non_null(strstr(bl_errmsg(), "HTTP 413"));
		}
		dbr_client_free(c);
	}
	{
		/* the system store does not know our CA */
		struct dbr_client_opts o = { .url = turl, .token = tok };
		c = dbr_client_new(&o);
		assert_non_null(c);
		assert_int_equal(dbr_fetch(c, "alice", "secret", "1.0.0", dst, &fs), BL_EVERIFY);
		assert_false(exists(dst));
		dbr_client_free(c);
	}
	{
		/* no token: a private repository is closed… */
		struct dbr_client_opts o = { .url = turl, .ca_file = ca };
		c = dbr_client_new(&o);
		assert_true(dbr_fetch(c, "alice", "secret", "1.0.0", dst, &fs) < 0);
		assert_false(exists(dst));
		dbr_client_free(c);
		/* …except to a client certificate from the configured CA */
		o.cert_file = ccrt;
		o.key_file = ckey;
		c = dbr_client_new(&o);
		assert_non_null(c);
		assert_int_equal(dbr_fetch(c, "alice", "secret", "1.0.0", dst, &fs), 0);
		same_tree(src, dst);
		rm_tree(dst);
		dbr_client_free(c);
	}
	{
		/* the command with --ca-bundle and --client-cert/--client-key */
		char slug[128];
		const char *unset[] = { "BAILEY_TOKEN", "BAILEY_REGISTRY", NULL };
		snprintf(slug, sizeof(slug), "127.0.0.1:%s/alice/secret:1.0.0", portbuf);
		char *argv[] = { bailey_bin, "package",      "fetch", slug,
			         dst,        "--ca-bundle",  ca,      "--client-cert",
			         ccrt,       "--client-key", ckey,    NULL };
		assert_int_equal(run(argv, NULL, unset, NULL, 0, err, sizeof(err)), 0);
		same_tree(src, dst);
		rm_tree(dst);
		char *noca[] = { bailey_bin, "package", "fetch", slug, dst, NULL };
		assert_int_equal(run(noca, NULL, unset, NULL, 0, err, sizeof(err)), 1);
		assert_non_null(strstr(err, "certificate"));
		assert_false(exists(dst));
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	X509_free(cax);
	X509_free(sx);
	X509_free(cx);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(ck);
}

/* ------------------------------------------------------- signed tags -- */

/* Write key's PEM to pem_path and its public JWK set ({"keys":[…]}) into jwks. */
static void ec_key_files(EVP_PKEY *k, const char *pem_path, struct bl_buf *jwks)
{
	uint8_t pub[65];
	size_t n = 0;

	pem_out(pem_path, NULL, k);
	assert_int_equal(
	    EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &n), 1);
	assert_int_equal(n, 65);
	assert_int_equal(bl_buf_puts(jwks, "{\"keys\":[{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\""),
	                 0);
	assert_int_equal(bl_b64_encode(jwks, pub + 1, 32, 1), 0);
	assert_int_equal(bl_buf_puts(jwks, "\",\"y\":\""), 0);
	assert_int_equal(bl_b64_encode(jwks, pub + 33, 32, 1), 0);
	assert_int_equal(bl_buf_puts(jwks, "\"}]}"), 0);
}

/*
 * A publisher registers a public key and publishes a signed tag (the server
 * checks the JWS); a fetch that demands that key gets it verified, one that
 * demands another key refuses and leaves nothing, and an unsigned tag is
 * refused when a key is demanded.
 */
static void test_signed_tags(void **state)
{
	EVP_PKEY *k1 = EVP_EC_gen("P-256"), *k2 = EVP_EC_gen("P-256");
	struct bl_buf jw1 = BL_BUF_INIT, jw2 = BL_BUF_INIT;
	char key1[160], key2[160], src[160], dst[160], tok[4096];
	struct dbr_publish_stats ps;
	struct dbr_fetch_stats fs;
	struct dbr_client *c;
	(void)state;
	need_server();

	snprintf(key1, sizeof(key1), "%s/sign1.pem", work);
	snprintf(key2, sizeof(key2), "%s/sign2.pem", work);
	ec_key_files(k1, key1, &jw1);
	ec_key_files(k2, key2, &jw2);
	snprintf(src, sizeof(src), "%s/src1", work);
	snprintf(dst, sizeof(dst), "%s/signeddst", work);
	dev_token("carol", tok, sizeof(tok));
	{
		struct dbr_client_opts o = { .url = url, .token = tok, .sign_key = key1 };
		c = dbr_client_new(&o);
		assert_non_null(c);
		assert_int_equal(dbr_user_register(c, "carol", "carol", (char *)jw1.p), 0);
		assert_int_equal(dbr_repo_register(c, "carol", "app", 1), 0);
		assert_int_equal(dbr_publish(c, "carol", "app", "1.0.0", src, &ps), 0);
		assert_int_equal(ps.signed_tag, 1);
		/* resumable although ECDSA signs differently each time */
		assert_int_equal(dbr_publish(c, "carol", "app", "1.0.0", src, &ps), 0);
		assert_int_equal(ps.tag_existed, 1);
		dbr_client_free(c);
	}
	{
		/* a key the user did not register: the server refuses the tag */
		struct dbr_client_opts o = { .url = url, .token = tok, .sign_key = key2 };
		c = dbr_client_new(&o);
		assert_int_equal(dbr_publish(c, "carol", "app", "2.0.0", src, &ps), BL_EINVAL);
		assert_non_null(strstr(bl_errmsg(), "HTTP 400"));
		dbr_client_free(c);
	}
	{
		/* unsigned publish for the comparison below */
		struct dbr_client_opts o = { .url = url, .token = tok };
		c = dbr_client_new(&o);
		assert_int_equal(dbr_publish(c, "carol", "app", "3.0.0", src, &ps), 0);
		/* without keys, a signed tag is fetched and reported unchecked */
		assert_int_equal(dbr_fetch(c, "carol", "app", "1.0.0", dst, &fs), 0);
		assert_int_equal(fs.signed_tag, 1);
		assert_int_equal(fs.signature_checked, 0);
		rm_tree(dst);
		dbr_client_free(c);
	}
	{
		struct dbr_client_opts o = { .url = url, .tag_jwks = (char *)jw1.p };
		c = dbr_client_new(&o);
		assert_int_equal(dbr_fetch(c, "carol", "app", "1.0.0", dst, &fs), 0);
		assert_int_equal(fs.signature_checked, 1);
		same_tree(src, dst);
		rm_tree(dst);
		assert_int_equal(dbr_fetch(c, "carol", "app", "3.0.0", dst, &fs), BL_EVERIFY);
		assert_non_null(strstr(bl_errmsg(), "not signed"));
		assert_false(exists(dst));
		dbr_client_free(c);
		o.tag_jwks = (char *)jw2.p;
		c = dbr_client_new(&o);
		assert_int_equal(dbr_fetch(c, "carol", "app", "1.0.0", dst, &fs), BL_EVERIFY);
		assert_non_null(strstr(bl_errmsg(), "signature"));
		assert_false(exists(dst));
		no_leftovers(work);
		dbr_client_free(c);
	}
	{
		/* the command: --tag-key with a JWK set file */
		char jf[160], slug[160], out[4096], err[4096];
		const char *unset[] = { "BAILEY_TOKEN", "BAILEY_REGISTRY", NULL };
		FILE *f;
		snprintf(jf, sizeof(jf), "%s/carol.jwks", work);
		f = fopen(jf, "w");
		fputs((char *)jw1.p, f);
		fclose(f);
		snprintf(slug, sizeof(slug), "%s/carol/app:1.0.0", hostport);
		char *argv[] = { bailey_bin,        "package",   "fetch", slug, dst,
			         "--insecure-http", "--tag-key", jf,      NULL };
		assert_int_equal(run(argv, NULL, unset, out, sizeof(out), err, sizeof(err)), 0);
		assert_non_null(strstr(out, "tag signature verified"));
		rm_tree(dst);
		snprintf(slug, sizeof(slug), "%s/carol/app:3.0.0", hostport);
		assert_int_equal(run(argv, NULL, unset, out, sizeof(out), err, sizeof(err)), 1);
		assert_non_null(strstr(err, "not signed"));
		assert_false(exists(dst));
	}
	bl_buf_free(&jw1);
	bl_buf_free(&jw2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

/*
 * A consistent package: tag -> root {f: file, s: dir {g: file}}. Then one
 * lie at a time, each of which fetch must refuse, leaving nothing.
 */
enum lie {
	L_NONE,
	L_FILE_BYTES,
	L_FILE_LONGER,
	L_DIR_BYTES,
	L_HDR_DIGEST,
	L_TYPE,
	L_TAG_DIGEST,
	L_SECOND_DIGEST,
	L_TAG_HUGE,
	L_DIR_HUGE,
};

static void build_package(struct route *r, enum lie lie)
{
#define P "/api/v0.1.0/u/r/_tag/1.0.0"
	struct dbr_entry ef, eg, es, eroot;
	struct dbr_dir sdir = { 0 }, root = { 0 };
	const char *f = "file f contents", *g = "file g";
	unsigned mask = (1u << BL_SHA256) | (1u << BL_SHA384);

	assert_int_equal(dbr_entry_of_bytes(f, strlen(f), "text/plain", mask, &ef), 0);
	assert_int_equal(dbr_entry_of_bytes(g, strlen(g), "text/plain", mask, &eg), 0);
	assert_int_equal(dbr_dir_add(&sdir, "g", &eg), 0);
	r[3].path = P "/tree/s";
	r[3].ctype = DBR_TYPE_DIRECTORY;
	assert_int_equal(dbr_dir_format(&sdir, &r[3].body), 0);
	assert_int_equal(
	    dbr_entry_of_bytes(r[3].body.p, r[3].body.len, DBR_TYPE_DIRECTORY, mask, &es), 0);
	assert_int_equal(dbr_dir_add(&root, "f", &ef), 0);
	assert_int_equal(dbr_dir_add(&root, "s", &es), 0);
	r[1].path = P "/tree";
	r[1].ctype = DBR_TYPE_DIRECTORY;
	assert_int_equal(dbr_dir_format(&root, &r[1].body), 0);
	assert_int_equal(
	    dbr_entry_of_bytes(r[1].body.p, r[1].body.len, DBR_TYPE_DIRECTORY, mask, &eroot), 0);
	r[0].path = P;
	r[0].ctype = DBR_TYPE_ENTRY;
	assert_int_equal(dbr_entry_format(&eroot, &r[0].body), 0);
	r[2].path = P "/tree/f";
	r[2].ctype = "text/plain";
	assert_int_equal(bl_buf_puts(&r[2].body, f), 0);
	r[4].path = P "/tree/s/g";
	r[4].ctype = "text/plain";
	assert_int_equal(bl_buf_puts(&r[4].body, g), 0);
	switch (lie) {
	case L_NONE: break;
	case L_FILE_BYTES: r[4].body.p[0] ^= 0x20; break; /* same length, other bytes */
	case L_FILE_LONGER: assert_int_equal(bl_buf_puts(&r[2].body, "!"), 0); break;
	case L_DIR_BYTES:
		/* a listing that parses but is not the one its parent hashed */
		bl_buf_reset(&r[3].body);
		assert_int_equal(bl_buf_puts(&r[3].body, "{}"), 0);
		break;
	case L_HDR_DIGEST: r[2].bad_digest = 1; break;
	case L_TYPE: r[4].ctype = "application/octet-stream"; break;
	case L_TAG_DIGEST: r[0].bad_digest = 1; break;
	/* regression: only the first Content-Digest field line was checked */
	case L_SECOND_DIGEST: r[4].second_digest = 1; break;
	/* regression: small nodes were collected up to max_file before their size was checked */
	case L_TAG_HUGE: r[0].huge = 1; break;
	case L_DIR_HUGE: r[3].huge = 1; break;
	}
	dbr_dir_free(&sdir);
	dbr_dir_free(&root);
#undef P
}

static void test_lying_server(void **state)
{
	static const char *const what[] = { "none",       "file bytes",    "file longer",
		                            "dir bytes",  "header",        "type",
		                            "tag digest", "second digest", "tag huge",
		                            "dir huge" };
	char dst[160], u[64];
	(void)state;

	if (!work[0]) {
		strcpy(work, "/tmp/bl-dbclient-XXXXXX");
		assert_non_null(mkdtemp(work));
	}
	snprintf(dst, sizeof(dst), "%s/liedst", work);
	for (int lie = L_NONE; lie <= L_DIR_HUGE; lie++) {
		struct route r[5] = { 0 };
		struct liar l = { .routes = r, .nroutes = 5 };
		/* a lie must be caught, not waited out */
		struct dbr_client_opts o = { .url = u, .timeout_ms = 3000 };
		struct dbr_client *c;
		struct dbr_fetch_stats fs;
		int rc;

		build_package(r, (enum lie)lie);
		liar_start(&l);
		snprintf(u, sizeof(u), "http://127.0.0.1:%u", l.port);
		c = dbr_client_new(&o);
		assert_non_null(c);
		rc = dbr_fetch(c, "u", "r", "1.0.0", dst, &fs);
		if (lie == L_NONE) {
			assert_int_equal(rc, 0);
			assert_int_equal(fs.files, 2);
			assert_int_equal(fs.dirs, 2);
			rm_tree(dst);
		} else {
			if (rc != BL_EVERIFY)
				fail_msg("lie '%s': rc %d (%s)", what[lie], rc, bl_errmsg());
			assert_false(exists(dst));
		}
		no_leftovers(work);
		dbr_client_free(c);
		liar_stop(&l);
		for (int i = 0; i < 5; i++)
			bl_buf_free(&r[i].body);
	}
}

/*
 * Regression: publish hashed the tree, then re-opened each file by its path
 * to upload it; O_NOFOLLOW guards only the last component, so a directory
 * swapped for a symbolic link in between sent a file from outside the tree.
 */
struct swap {
	char dir[200], outside[200];
	char fifo[220]; /* when set: replace this file by a FIFO instead */
	int done;
	volatile int finished; /* publish returned */
	volatile int unblocked; /* the watchdog had to open the FIFO's other end */
};

static void swap_cb(void *arg, uint64_t done, uint64_t total)
{
	struct swap *sw = arg;
	char moved[220];
	(void)done;
	(void)total;
	if (sw->done)
		return;
	if (sw->fifo[0]) {
		assert_int_equal(unlink(sw->fifo), 0);
		assert_int_equal(mkfifo(sw->fifo, 0600), 0);
		sw->done = 1;
		return;
	}
	snprintf(moved, sizeof(moved), "%s.orig", sw->dir);
	assert_int_equal(rename(sw->dir, moved), 0);
	assert_int_equal(symlink(sw->outside, sw->dir), 0);
	sw->done = 1;
}

static void test_publish_swap_race(void **state)
{
	struct route none = { 0 };
	struct liar l = { .routes = &none, .nroutes = 0 };
	struct swap sw = { 0 };
	struct dbr_client_opts o = { .timeout_ms = 3000, .progress = swap_cb, .progress_arg = &sw };
	struct dbr_publish_stats ps;
	struct dbr_client *c;
	char src[160], p[256], u[64];
	int rc;
	(void)state;

	if (!work[0]) {
		strcpy(work, "/tmp/bl-dbclient-XXXXXX");
		assert_non_null(mkdtemp(work));
	}
	snprintf(src, sizeof(src), "%s/swapsrc", work);
	mkdir(src, 0755);
	mkdirs(src, "b");
	snprintf(p, sizeof(p), "%s/a.txt", src);
	write_file(p, 10, 1); /* uploaded first: its progress swaps b */
	snprintf(p, sizeof(p), "%s/b/x", src);
	write_file(p, 64, 2);
	snprintf(sw.outside, sizeof(sw.outside), "%s/outside", work);
	mkdirs(work, "outside");
	snprintf(p, sizeof(p), "%s/x", sw.outside);
	{
		FILE *f = fopen(p, "w");
		assert_non_null(f);
		for (int i = 0; i < 8; i++)
			fputs("SECRET!!", f); /* 64 bytes, as b/x */
		fclose(f);
	}
	snprintf(sw.dir, sizeof(sw.dir), "%s/b", src);
	liar_start(&l);
	snprintf(u, sizeof(u), "http://127.0.0.1:%u", l.port);
	o.url = u;
	c = dbr_client_new(&o);
	assert_non_null(c);
	rc = dbr_publish(c, "u", "r", "1.0.0", src, &ps);
	assert_int_equal(sw.done, 1);
	assert_true(l.nput >= 2); /* the tag and the root listing at least */
	if (l.put.len && memmem(l.put.p, l.put.len, "SECRET!!", 8))
		fail_msg("a file outside the tree was uploaded (rc %d)", rc);
	assert_true(rc < 0);
	assert_non_null(strstr(bl_errmsg(), "b/x was replaced"));
	dbr_client_free(c);
	liar_stop(&l);
	rm_tree(src);
	snprintf(p, sizeof(p), "%s.orig", sw.dir);
	rm_tree(p);
	rm_tree(sw.outside);
}

/*
 * Regression: the library put user, repository and tag names into request
 * paths unchecked (only the CLI's slug parser checked them), so "a/../b" or
 * "x?y" reached the server as another path.
 */
static void test_names_checked(void **state)
{
	struct route none = { 0 };
	struct liar l = { .routes = &none, .nroutes = 0 };
	struct dbr_client_opts o = { .timeout_ms = 3000 };
	struct dbr_client *c;
	struct bl_buf out = BL_BUF_INIT;
	struct dbr_fetch_stats fs;
	char u[64], dst[160];
	char **tags;
	size_t n;
	(void)state;

	if (!work[0]) {
		strcpy(work, "/tmp/bl-dbclient-XXXXXX");
		assert_non_null(mkdtemp(work));
	}
	snprintf(dst, sizeof(dst), "%s/namesdst", work);
	liar_start(&l);
	snprintf(u, sizeof(u), "http://127.0.0.1:%u", l.port);
	o.url = u;
	c = dbr_client_new(&o);
	assert_non_null(c);
	/* the liar answers 404 to anything: BL_ENOENT means the request went out */
	assert_int_equal(dbr_repo_info(c, "u", "r", &out), BL_ENOENT);
	assert_int_equal(dbr_repo_info(c, "a/../b", "r", &out), BL_EINVAL);
	assert_int_equal(dbr_repo_info(c, "u", "r?x=1", &out), BL_EINVAL);
	assert_int_equal(dbr_user_info(c, "..", &out), BL_EINVAL);
	assert_int_equal(dbr_tag_list(c, "u", "", &tags, &n), BL_EINVAL);
	assert_int_equal(dbr_access_list(c, "u", "r/_tag", &out), BL_EINVAL);
	assert_int_equal(dbr_fetch(c, "u", "r", "1.0.0/../../x", dst, &fs), BL_EINVAL);
	assert_false(exists(dst));
	no_leftovers(work);
	bl_buf_free(&out);
	dbr_client_free(c);
	liar_stop(&l);
}

/* Opens the FIFO's writing end if publish is still stuck after 3 s. */
static void *fifo_watchdog(void *arg)
{
	struct swap *sw = arg;
	for (int i = 0; i < 300 && !sw->finished; i++)
		usleep(10000);
	if (!sw->finished) {
		int fd = open(sw->fifo, O_WRONLY);
		sw->unblocked = 1;
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

/* Regression: a FIFO put in a hashed file's place made publish block forever in open(2). */
static void test_publish_fifo_swap(void **state)
{
	struct route none = { 0 };
	struct liar l = { .routes = &none, .nroutes = 0 };
	struct swap sw = { 0 };
	struct dbr_client_opts o = { .timeout_ms = 3000, .progress = swap_cb, .progress_arg = &sw };
	struct dbr_publish_stats ps;
	struct dbr_client *c;
	char src[160], p[256], u[64];
	pthread_t wd;
	int rc;
	(void)state;

	if (!work[0]) {
		strcpy(work, "/tmp/bl-dbclient-XXXXXX");
		assert_non_null(mkdtemp(work));
	}
	snprintf(src, sizeof(src), "%s/fifosrc", work);
	mkdir(src, 0755);
	snprintf(p, sizeof(p), "%s/a.txt", src);
	write_file(p, 10, 1);
	snprintf(sw.fifo, sizeof(sw.fifo), "%s/b.bin", src);
	write_file(sw.fifo, 64, 2);
	liar_start(&l);
	snprintf(u, sizeof(u), "http://127.0.0.1:%u", l.port);
	o.url = u;
	c = dbr_client_new(&o);
	assert_non_null(c);
	assert_int_equal(pthread_create(&wd, NULL, fifo_watchdog, &sw), 0);
	rc = dbr_publish(c, "u", "r", "1.0.0", src, &ps);
	sw.finished = 1;
	pthread_join(wd, NULL);
	assert_int_equal(sw.done, 1);
	assert_false(sw.unblocked);
	if (rc >= 0 || !strstr(bl_errmsg(), "b.bin was replaced"))
		fail_msg("rc %d (%s)", rc, bl_errmsg());
	dbr_client_free(c);
	liar_stop(&l);
	rm_tree(src);
}

/*
 * Regression: fetch's "must not exist or be empty" check followed a symbolic
 * link, so DIR -> an empty directory passed, the whole tree was downloaded,
 * and only the final rmdir(DIR) failed. It is refused before any request.
 */
static void test_fetch_dest_checks(void **state)
{
	struct route r[5] = { 0 };
	struct liar l = { .routes = r, .nroutes = 5 };
	struct dbr_client_opts o = { .timeout_ms = 3000 };
	struct dbr_client *c;
	struct dbr_fetch_stats fs;
	char dst[160], target[160], u[64], p[256];
	(void)state;

	if (!work[0]) {
		strcpy(work, "/tmp/bl-dbclient-XXXXXX");
		assert_non_null(mkdtemp(work));
	}
	build_package(r, L_NONE);
	liar_start(&l);
	snprintf(u, sizeof(u), "http://127.0.0.1:%u", l.port);
	o.url = u;
	c = dbr_client_new(&o);
	assert_non_null(c);
	snprintf(dst, sizeof(dst), "%s/linkdst", work);
	snprintf(target, sizeof(target), "%s/linktarget", work);
	assert_int_equal(mkdir(target, 0755), 0);
	assert_int_equal(symlink(target, dst), 0);
	assert_int_equal(dbr_fetch(c, "u", "r", "1.0.0", dst, &fs), BL_EEXIST);
	assert_int_equal(l.nget, 0);
	unlink(dst);
	/* a non-empty directory is refused too, and left as it was */
	snprintf(p, sizeof(p), "%s/keep", target);
	write_file(p, 3, 1);
	assert_int_equal(dbr_fetch(c, "u", "r", "1.0.0", target, &fs), BL_EEXIST);
	assert_true(exists(p));
	unlink(p);
	/* an empty directory is replaced by the tree */
	assert_int_equal(dbr_fetch(c, "u", "r", "1.0.0", target, &fs), 0);
	snprintf(p, sizeof(p), "%s/s/g", target);
	assert_true(exists(p));
	no_leftovers(work);
	rm_tree(target);
	dbr_client_free(c);
	liar_stop(&l);
	for (int i = 0; i < 5; i++)
		bl_buf_free(&r[i].body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slug_parse),
		cmocka_unit_test(test_token_subject),
		cmocka_unit_test(test_tag_entry_parse),
		cmocka_unit_test(test_lying_server),
		cmocka_unit_test(test_publish_swap_race),
		cmocka_unit_test(test_publish_fifo_swap),
		cmocka_unit_test(test_names_checked),
		cmocka_unit_test(test_fetch_dest_checks),
		cmocka_unit_test(test_users_and_repos),
		cmocka_unit_test(test_publish_fetch_roundtrip),
		cmocka_unit_test(test_publish_refuses_bad_trees),
		cmocka_unit_test(test_publish_wrong_digest_then_resume),
		cmocka_unit_test(test_tag_list_sorted),
		cmocka_unit_test(test_auth_failures),
		cmocka_unit_test(test_sharing),
		cmocka_unit_test(test_tampered_blob),
		cmocka_unit_test(test_cli),
		cmocka_unit_test(test_tls_server),
		cmocka_unit_test(test_signed_tags),
		cmocka_unit_test(test_big_file_bounded_memory),
	};
	return cmocka_run_group_tests(tests, start_server, stop_server);
}
