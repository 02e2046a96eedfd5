/*
 * fuzz_dbr_client.c — the registry client's own parsers over arbitrary
 * bytes: slugs (dbr_slug_parse), the JWT subject (dbr_token_subject) and tag
 * bodies, plain or JWS (dbr_tag_entry_parse). The first byte picks which.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drawbridge/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dbr_slug s;
	struct dbr_entry e;
	struct bl_buf out = BL_BUF_INIT;
	char *str;
	int signed_tag = 0, rc;

	if (size < 1)
		return 0;
	str = malloc(size);
	if (!str)
		return 0;
	memcpy(str, data + 1, size - 1);
	str[size - 1] = 0; /* the C-string parsers see text up to the first NUL */
	switch (data[0] % 5) {
	case 0:
	case 1:
	case 2:
		rc = dbr_slug_parse(str, (enum dbr_slug_kind)(data[0] % 3), &s);
		/* what a slug yields must itself be valid */
		if (rc == 0 && !dbr_user_name_ok(s.user, strlen(s.user)))
			__builtin_trap();
		if (rc == 0 && s.repo[0] && !dbr_repo_name_ok(s.repo, strlen(s.repo)))
			__builtin_trap();
		break;
	case 3:
		rc = dbr_token_subject(str, &out);
		if (rc == 0 && out.len == 0)
			__builtin_trap();
		break;
	default:
		rc = dbr_tag_entry_parse(data[0] & 8 ? DBR_TYPE_JWS : DBR_TYPE_ENTRY, data + 1,
		                         size - 1, &e, &signed_tag);
		if (rc == 0 && !e.digest.mask)
			__builtin_trap();
		break;
	}
	bl_buf_free(&out);
	free(str);
	return 0;
}
