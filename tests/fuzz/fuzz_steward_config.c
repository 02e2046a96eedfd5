/* fuzz_steward_config.c — the Steward configuration and policy parser (TOML) on arbitrary text. */
#include <stddef.h>
#include <stdint.h>

#include "steward/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stw_config c;

	if (stw_config_init(&c) < 0)
		return 0;
	(void)stw_config_parse(&c, (const char *)data, size, "/base");
	stw_config_free(&c);
	return 0;
}
