/*
 * fuzz_content_digest.c — RFC 9530 Content-Digest parsing. Property: no
 * crash or out-of-bounds read on any input, and whatever parses formats and
 * parses again to the same set.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bl_digest_set set, again;
	struct bl_buf out = BL_BUF_INIT;

	if (bl_content_digest_parse((const char *)data, size, &set) < 0)
		return 0;
	if (bl_content_digest_format(&set, &out) < 0)
		abort();
	if (bl_content_digest_parse((const char *)out.p, out.len, &again) < 0)
		abort();
	if (again.mask != set.mask || bl_dset_verify(&set, &again) < 0)
		abort();
	bl_buf_free(&out);
	return 0;
}
