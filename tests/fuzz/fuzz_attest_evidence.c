/* fuzz_attest_evidence.c — CSR evidence extension DER (SNP, SGX, TDX layouts) on any bytes. */
#include <stddef.h>
#include <stdint.h>

#include "attest/attest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct att_opts o = { .at = 1675209600 };
	struct att_claims c;

	if (size < 1)
		return 0;
	(void)att_evidence_verify((enum att_kind)(1 + data[0] % 4), data + 1, size - 1, &o, &c);
	return 0;
}
