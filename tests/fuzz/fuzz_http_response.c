/*
 * fuzz_http_response.c — the HTTP response parser (http.h) over arbitrary
 * bytes: the first byte picks where the input is split in two feeds, HEAD
 * semantics and a small limit, so framing across reads is exercised too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/http.h"

static int count_body(void *arg, const void *p, size_t n)
{
	uint64_t *total = arg;

	(void)p;
	*total += n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bl_http_opts o = { .max_header_bytes = 4096, .max_body = 1u << 20 };
	struct bl_http_resp r;
	struct bl_http_rparser *rp;
	uint64_t total = 0;
	size_t cut;
	uint8_t ctl;
	int rc, stream;

	if (size < 1)
		return 0;
	ctl = data[0];
	data++;
	size--;
	cut = size ? (ctl * 131u) % (size + 1) : 0;
	stream = ctl & 1;
	rp = bl_http_rparser_new(ctl & 2 ? &o : NULL, (ctl & 4) != 0, &r,
	                         stream ? count_body : NULL, &total);
	if (!rp)
		return 0;
	rc = bl_http_rparser_feed(rp, data, cut);
	if (rc == 0)
		rc = bl_http_rparser_feed(rp, data + cut, size - cut);
	if (rc == 0)
		rc = bl_http_rparser_eof(rp);
	if (rc >= 0 && r.status) {
		/* what the parser kept must be consistent */
		size_t hlen = 0;

		for (size_t i = 0; i < r.nheaders; i++)
			hlen += strlen(r.names[i]) + strlen(r.values[i]);
		if ((ctl & 2) && hlen > o.max_header_bytes)
			__builtin_trap();
		if (!stream && r.body.len != r.body_bytes)
			__builtin_trap();
		if (stream && total != r.body_bytes)
			__builtin_trap();
	}
	bl_http_rparser_free(rp);
	bl_http_resp_free(&r);
	return 0;
}
