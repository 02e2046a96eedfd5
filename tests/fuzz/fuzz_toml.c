/*
 * fuzz_toml.c — the TOML parser on arbitrary bytes. Properties: no read
 * outside the input (ASan; the input is not NUL-terminated), no crash or
 * unbounded recursion, every refusal names a line and column, and an accepted
 * document is a well-formed tree (walked in full, then freed without leaks).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const struct bl_toml *v, unsigned depth)
{
	size_t len;

	if (depth > 1024 || bl_toml_line(v) == 0 || bl_toml_column(v) == 0)
		abort();
	switch (bl_toml_type(v)) {
	case BL_TOML_TABLE:
		for (size_t i = 0; i < bl_toml_table_len(v); i++) {
			const char *k = bl_toml_table_keyn(v, i, &len);
			if (!k || k[len] != '\0')
				abort();
			walk(bl_toml_table_value(v, i), depth + 1);
		}
		break;
	case BL_TOML_ARRAY:
		for (size_t i = 0; i < bl_toml_array_len(v); i++)
			walk(bl_toml_array_at(v, i), depth + 1);
		break;
	case BL_TOML_INTEGER:
	case BL_TOML_FLOAT:
	case BL_TOML_BOOL: break;
	default:
		if (!bl_toml_str(v, &len) || bl_toml_str(v, NULL)[len] != '\0')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size ? size : 1); /* exactly size bytes: no terminator */
	struct bl_toml *root;

	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	root = bl_toml_parse(copy, size);
	if (root) {
		walk(root, 0);
		bl_toml_free(root);
	} else if (strncmp(bl_errmsg(), "line ", 5) != 0 && !strstr(bl_errmsg(), "memory")) {
		abort();
	}
	free(copy);
	return 0;
}
