/*
 * fuzz_attest_tcbinfo.c — Intel TCB info and QE identity JSON: the signed-span
 * finder, the JSON parse and TCB level selection, with the signature check
 * skipped (att_intel_json_eval) so mutated files reach them. The first byte
 * picks TCB info or QE identity, SGX or TDX.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "attest/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct att_claims c;

	if (size < 1)
		return 0;
	memset(&c, 0, sizeof(c));
	c.kind = data[0] & 2 ? ATT_KIND_TDX : ATT_KIND_SGX;
	memcpy(c.pck.fmspc, "\x00\x60\x6a\x00\x00\x00", 6);
	c.pck.cpusvn_comp[0] = 4;
	c.pck.pcesvn = 11;
	c.tdx.tee_tcb_svn[1] = data[0] >> 4;
	(void)att_intel_json_eval(data + 1, size - 1, data[0] & 1, (data[0] & 2) != 0, 1675209600,
	                          &c);
	return 0;
}
