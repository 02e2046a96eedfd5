/*
 * fuzz_wasmcfg.c — Enarx.toml parsing (TOML parser + config rules). Property:
 * no crash or leak on any input; an accepted config has a name for every file
 * and no name containing ':'.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exec/wasmcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exec_config cfg;

	if (exec_config_parse((const char *)data, size, "fuzz", &cfg) < 0)
		return 0;
	for (size_t i = 0; i < cfg.nfiles; i++)
		if (!cfg.files[i].name || strchr(cfg.files[i].name, ':'))
			abort();
	exec_config_free(&cfg);
	return 0;
}
