/* test_wasmcfg.c — Enarx.toml: Enarx-compatible defaults, Bailey's dir kind, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exec/wasmcfg.h"

static int parse(const char *text, struct exec_config *cfg)
{
	return exec_config_parse(text, strlen(text), "Enarx.toml", cfg);
}

/* The example of Enarx's own enarx-config tests, with its expected values. */
static void test_enarx_example(void **state)
{
	(void)state;
	static const char text[] = "[[files]]\nkind = \"stdin\"\n\n"
	                           "[[files]]\nname = \"X\"\nkind = \"listen\"\nprot = \"tcp\"\n"
	                           "port = 9000\n\n"
	                           "[[files]]\nkind = \"stdout\"\n\n"
	                           "[[files]]\nkind = \"null\"\n\n"
	                           "[[files]]\nkind = \"stderr\"\n\n"
	                           "[[files]]\nkind = \"connect\"\nhost = \"example.com\"\n";
	struct exec_config cfg;
	struct bl_buf names = BL_BUF_INIT;

	assert_int_equal(parse(text, &cfg), 0);
	assert_int_equal(cfg.nfiles, 6);
	assert_int_equal(cfg.files[1].kind, EXEC_FILE_LISTEN);
	assert_int_equal(cfg.files[1].port, 9000);
	assert_int_equal(cfg.files[1].prot, EXEC_PROT_TCP);
	assert_string_equal(cfg.files[1].addr, "::");
	assert_int_equal(cfg.files[5].kind, EXEC_FILE_CONNECT);
	assert_int_equal(cfg.files[5].port, 443);
	assert_int_equal(cfg.files[5].prot, EXEC_PROT_TLS);
	assert_int_equal(exec_config_fd_names(&cfg, &names), 0);
	assert_string_equal((char *)names.p, "stdin:X:stdout:null:stderr:example.com");
	assert_null(cfg.steward);
	assert_int_equal(cfg.nargs, 0);
	bl_buf_free(&names);
	exec_config_free(&cfg);
}

static void test_args_env_steward_dir(void **state)
{
	(void)state;
	static const char text[] =
	    "steward = \"https://steward.example.com\"\n"
	    "args = [\"--a\", \"b c\"]\n"
	    "[env]\nFOO = \"bar\"\nEMPTY = \"\"\n"
	    "[[files]]\nkind = \"dir\"\npath = \"/srv/data\"\nguest = \"/data\"\n"
	    "readonly = true\n";
	struct exec_config cfg;

	assert_int_equal(parse(text, &cfg), 0);
	assert_string_equal(cfg.steward, "https://steward.example.com");
	assert_int_equal(cfg.nargs, 2);
	assert_string_equal(cfg.args[1], "b c");
	assert_int_equal(cfg.nenv, 2);
	assert_string_equal(cfg.env[0], "FOO=bar");
	assert_string_equal(cfg.env[1], "EMPTY=");
	assert_int_equal(cfg.nfiles, 1);
	assert_int_equal(cfg.files[0].kind, EXEC_FILE_DIR);
	assert_string_equal(cfg.files[0].path, "/srv/data");
	assert_string_equal(cfg.files[0].guest, "/data");
	assert_string_equal(cfg.files[0].name, "/data");
	assert_true(cfg.files[0].readonly);
	exec_config_free(&cfg);
}

static void test_defaults_without_files(void **state)
{
	(void)state;
	struct exec_config cfg;
	struct bl_buf names = BL_BUF_INIT;

	assert_int_equal(parse("args = []\n", &cfg), 0);
	assert_int_equal(cfg.nfiles, 3);
	assert_int_equal(exec_config_fd_names(&cfg, &names), 0);
	assert_string_equal((char *)names.p, "stdin:stdout:stderr");
	bl_buf_free(&names);
	exec_config_free(&cfg);
	assert_int_equal(exec_config_default(&cfg), 0);
	assert_int_equal(cfg.nfiles, 3);
	assert_int_equal(cfg.files[2].kind, EXEC_FILE_STDERR);
	exec_config_free(&cfg);
}

/* Each bad file is refused with the line and key named in the reason. */
static void test_refusals(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		const char *reason;
	} bad[] = {
		{ "stewart = \"https://x\"\n", "Enarx.toml:1: stewart: unknown key" },
		{ "args = \"--a\"\n", "Enarx.toml:1: args: expected an array of strings" },
		{ "args = [\"a\", 1]\n", "args[1]: expected a string" },
		{ "steward = \"ftp://x\"\n", "steward: 'ftp://x' is not an http(s) URL" },
		{ "[env]\nA = 1\n", "Enarx.toml:2: env.A: expected a string" },
		{ "\n[[files]]\nkind = \"pipe\"\n",
		  "Enarx.toml:3: files[0].kind: unknown kind 'pipe'" },
		{ "[[files]]\nname = \"x\"\n", "files[0].kind: missing" },
		{ "[[files]]\nkind = \"listen\"\nport = 80\n", "files[0].name: required" },
		{ "[[files]]\nkind = \"listen\"\nname = \"L\"\nport = 70000\n",
		  "Enarx.toml:4: files[0].port: port must be 0-65535" },
		{ "[[files]]\nkind = \"listen\"\nname = \"L\"\nport = \"80\"\n",
		  "files[0].port: expected an integer port" },
		{ "[[files]]\nkind = \"listen\"\nname = \"L\"\nprot = \"udp\"\n",
		  "files[0].prot: 'udp' is not tls or tcp" },
		{ "[[files]]\nkind = \"connect\"\nport = 443\n", "files[0].host: required" },
		{ "[[files]]\nkind = \"connect\"\nhost = \"h\"\nport = 0\n",
		  "port must be 1-65535" },
		{ "[[files]]\nkind = \"stdin\"\nport = 1\n",
		  "Enarx.toml:3: files[0].port: unknown key for kind 'stdin'" },
		{ "[[files]]\nkind = \"null\"\nname = \"a:b\"\n",
		  "files[0].name: 'a:b' contains ':'" },
		{ "[[files]]\nkind = \"dir\"\nguest = \"/d\"\n", "files[0].path: required" },
		{ "[[files]]\nkind = \"dir\"\npath = \"/d\"\nreadonly = \"yes\"\n",
		  "files[0].readonly: expected true or false" },
		{ "files = 3\n", "files: expected an array of tables" },
		{ "args = [\"unterminated\n", "Enarx.toml: " },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct exec_config cfg;
		int rc = parse(bad[i].text, &cfg);

		if (rc >= 0)
			fail_msg("accepted bad config %zu:\n%s", i, bad[i].text);
		if (!strstr(bl_errmsg(), bad[i].reason))
			fail_msg("config %zu: reason '%s' lacks '%s'", i, bl_errmsg(),
			         bad[i].reason);
		assert_int_equal(cfg.nfiles, 0);
		assert_null(cfg.files);
	}
}

/* The template `bailey config init` writes is itself a valid config. */
static void test_template_parses(void **state)
{
	(void)state;
	struct exec_config cfg;
	const char *t = exec_config_template();

	assert_int_equal(exec_config_parse(t, strlen(t), "template", &cfg), 0);
	assert_int_equal(cfg.nfiles, 3);
	exec_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enarx_example),
		cmocka_unit_test(test_args_env_steward_dir),
		cmocka_unit_test(test_defaults_without_files),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_template_parses),
	};
	return cmocka_run_group_tests_name("wasmcfg", tests, NULL, NULL);
}
