/*
 * toml_decoder.c — the decoder toml-test drives (../shared/toml-test/README.md):
 * TOML on stdin; for valid input the "tagged JSON" on stdout and exit 0; for
 * invalid input the parser's reason on stderr and exit 1.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/buf.h"
#include "common/toml.h"

static json_t *tagged(const char *type, const char *value, size_t len)
{
	return json_pack("{s:s, s:s%}", "type", type, "value", value, len);
}

/* Recursion is bounded by the parser's nesting limit. */
static json_t *to_json(const struct bl_toml *v)
{
	enum bl_toml_type t = bl_toml_type(v);
	char num[64];
	json_t *j;

	switch (t) {
	case BL_TOML_TABLE:
		j = json_object();
		for (size_t i = 0; j && i < bl_toml_table_len(v); i++) {
			size_t klen;
			const char *k = bl_toml_table_keyn(v, i, &klen);
			json_t *c = to_json(bl_toml_table_value(v, i));
			if (!c || json_object_setn_new(j, k, klen, c) < 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	case BL_TOML_ARRAY:
		j = json_array();
		for (size_t i = 0; j && i < bl_toml_array_len(v); i++) {
			json_t *c = to_json(bl_toml_array_at(v, i));
			if (!c || json_array_append_new(j, c) < 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	case BL_TOML_INTEGER:
		snprintf(num, sizeof(num), "%" PRId64, bl_toml_int(v));
		return tagged("integer", num, strlen(num));
	case BL_TOML_FLOAT: {
		double d = bl_toml_float(v);
		if (isnan(d))
			snprintf(num, sizeof(num), "nan");
		else if (isinf(d))
			snprintf(num, sizeof(num), "%sinf", d < 0 ? "-" : "");
		else
			snprintf(num, sizeof(num), "%.17g", d);
		return tagged("float", num, strlen(num));
	}
	case BL_TOML_BOOL: {
		const char *b = bl_toml_bool(v) ? "true" : "false";
		return tagged("bool", b, strlen(b));
	}
	default: {
		size_t len;
		const char *s = bl_toml_str(v, &len);
		return tagged(bl_toml_type_name(t), s, len);
	}
	}
}

int main(void)
{
	struct bl_buf in = BL_BUF_INIT;
	char chunk[65536];
	struct bl_toml *root;
	json_t *j;
	size_t n;
	int rc = 1;

	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (bl_buf_append(&in, chunk, n) < 0) {
			fprintf(stderr, "toml-decoder: %s\n", bl_errmsg());
			goto out_free_in;
		}
	}
	if (ferror(stdin)) {
		fprintf(stderr, "toml-decoder: cannot read stdin\n");
		goto out_free_in;
	}
	root = bl_toml_parse((const char *)in.p, in.len);
	if (!root) {
		fprintf(stderr, "toml-decoder: %s\n", bl_errmsg());
		goto out_free_in;
	}
	j = to_json(root);
	if (!j) {
		fprintf(stderr, "toml-decoder: out of memory building JSON\n");
		goto out_free_root;
	}
	if (json_dumpf(j, stdout, JSON_INDENT(1)) == 0 && putchar('\n') != EOF)
		rc = 0;
	json_decref(j);
out_free_root:
	bl_toml_free(root);
out_free_in:
	bl_buf_free(&in);
	return rc;
}
