/*
 * fuzz_attest_snp.c — SEV-SNP report parsing and checks (att_snp_verify) on
 * any bytes. When ../shared is present (BAILEY_SHARED, or ../shared from the
 * source root) the real Milan VCEK is used so that mutated reports also reach
 * the chain, TCB, chip-id and signature checks; otherwise the verifier stops
 * after the report-field checks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "attest/attest.h"

static uint8_t vcek[4096];
static size_t vcek_len;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *sh = getenv("BAILEY_SHARED");
	char path[1024];
	FILE *f;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "%s/vectors/steward/milan.vcek", sh ? sh : "../shared");
	f = fopen(path, "rb");
	if (f) {
		vcek_len = fread(vcek, 1, sizeof(vcek), f);
		fclose(f);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct att_opts o = { .at = 1675209600 };
	struct att_claims c;

	o.vcek.p = vcek;
	o.vcek.len = vcek_len;
	(void)att_snp_verify(data, size, &o, &c);
	return 0;
}
