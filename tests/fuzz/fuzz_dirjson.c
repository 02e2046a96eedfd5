/*
 * fuzz_dirjson.c — Drawbridge directory JSON (and entry JSON) parsing.
 * Property: no crash or out-of-bounds read on any input; whatever parses as
 * a directory formats canonically, parses again to the same entries, and the
 * canonical form is a fixed point of format(parse(.)).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drawbridge/tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_entry(const struct dbr_entry *a, const struct dbr_entry *b)
{
	return a->length == b->length && strcmp(a->type, b->type) == 0 &&
	       a->digest.mask == b->digest.mask && dbr_entry_match(a, b) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bl_cur c = bl_cur_make(data, size);
	struct dbr_dir d, again;
	struct dbr_entry e;
	struct bl_buf out = BL_BUF_INIT, out2 = BL_BUF_INIT;

	if (dbr_entry_parse(&c, &e) == 0) {
		struct dbr_entry e2;
		struct bl_cur c2;
		if (dbr_entry_format(&e, &out) < 0)
			abort();
		c2 = bl_cur_make(out.p, out.len);
		if (dbr_entry_parse(&c2, &e2) < 0 || !same_entry(&e, &e2))
			abort();
		bl_buf_reset(&out);
	}
	c = bl_cur_make(data, size);
	if (dbr_dir_parse(&c, 4096, &d) < 0)
		goto out_free_bufs;
	if (dbr_dir_format(&d, &out) < 0)
		abort();
	c = bl_cur_make(out.p, out.len);
	if (dbr_dir_parse(&c, 4096, &again) < 0 || again.n != d.n)
		abort();
	for (size_t i = 0; i < d.n; i++)
		if (strcmp(d.ents[i].name, again.ents[i].name) != 0 ||
		    !same_entry(&d.ents[i].entry, &again.ents[i].entry))
			abort();
	if (dbr_dir_format(&again, &out2) < 0 || out2.len != out.len ||
	    memcmp(out.p, out2.p, out.len) != 0)
		abort();
	dbr_dir_free(&again);
	dbr_dir_free(&d);
out_free_bufs:
	bl_buf_free(&out);
	bl_buf_free(&out2);
	return 0;
}
