/*
 * fuzz_steward_service.c — the whole request path of Steward without HTTP:
 * the first byte picks the media type (pkcs10 or the bundle), the rest is the
 * body. A dev-mode service (KVM allowed) with a policy for every kind, so that
 * inputs reach the evidence verifiers, the policy, the claims and the CA.
 * Any status is fine; crashes, leaks and 500s are not.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "steward/config.h"
#include "steward/service.h"

static struct stw_service svc;
static struct stw_config cfg;

static const char policy[] =
    "[kvm]\nallow = true\ndns_names = [\"*.example.com\"]\n"
    "[snp]\nallow = true\nhash_blacklist = [\"00000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000\"]\n"
    "[sgx]\nallow = true\nhash_blacklist = [\"0000000000000000000000000000000000000000000000"
    "000000000000000000\"]\nallowed_tcb_status = [\"UpToDate\", \"OutOfDate\", \"Unknown\"]\n"
    "[tdx]\nallow = true\nhash_blacklist = [\"00000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000\"]\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (stw_config_init(&cfg) < 0 || stw_config_parse(&cfg, policy, strlen(policy), NULL) < 0 ||
	    stw_ca_generate(&svc.ca, 256, "Fuzz CA", time(NULL) - 60, 2) < 0)
		abort();
	svc.policy = cfg.policy;
	svc.dev = 1;
	svc.lifetime = 3600;
	svc.at = 1675209600; /* 2023-02-01, when the real collateral was valid */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stw_reply r;

	if (size < 1)
		return 0;
	stw_service_post(&svc, data[0] & 1 ? STW_CT_BUNDLE : STW_CT_PKCS10, data + 1, size - 1, &r);
	if (r.status == 500)
		abort();
	stw_reply_free(&r);
	return 0;
}
