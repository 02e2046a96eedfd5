/* t_args_env.c — argv and environment as Enarx.toml and `bailey run` set them. */
#include <stdlib.h>

#include "check.h"

int main(int argc, char **argv)
{
	const char *foo = getenv("FOO"), *names = getenv("FD_NAMES"), *count = getenv("FD_COUNT");

	CHECK(argc == 4, "argc is 4 (got %d)", argc);
	CHECK(argc > 0 && !strcmp(argv[0], "main.wasm"), "argv[0] is main.wasm");
	CHECK(argc > 1 && !strcmp(argv[1], "from-config"), "argv[1] comes from Enarx.toml");
	CHECK(argc > 2 && !strcmp(argv[2], "two words"), "argv[2] keeps its space");
	CHECK(argc > 3 && !strcmp(argv[3], "from-cli"), "argv[3] comes from the command line");
	CHECK(foo && !strcmp(foo, "overridden"), "FOO=overridden (--env beats Enarx.toml)");
	CHECK(getenv("BAR") && !strcmp(getenv("BAR"), "from config"), "BAR from Enarx.toml");
	CHECK(count && !strcmp(count, "4"), "FD_COUNT=4 (got %s)", count ? count : "unset");
	CHECK(names && !strcmp(names, "stdin:stdout:stderr:/data"),
	      "FD_NAMES=stdin:stdout:stderr:/data (got %s)", names ? names : "unset");
	return failures;
}
