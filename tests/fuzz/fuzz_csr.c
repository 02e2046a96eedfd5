/* fuzz_csr.c — the PKCS#10 parser and the workload and claims decoders on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "attest/cert.h"
#include "attest/csr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct att_csr csr;
	struct att_workload w;
	struct att_tcbinfo t[ATT_TCB_MAX_INFOS];
	size_t n;

	if (att_csr_parse(data, size, &csr) == 0) {
		uint8_t rd[64] = { 0 };
		(void)att_csr_check_key_type(&csr);
		(void)att_csr_check_binding(&csr, rd, sizeof(rd));
		att_csr_free(&csr);
	}
	(void)att_workload_parse(data, size, &w);
	(void)att_multitcb_decode(data, size, t, ATT_TCB_MAX_INFOS, &n);
	return 0;
}
