/* test_policy.c — policy TOML reading and every rule it enforces (src/attest/policy.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "attest/policy.h"
#include "common/toml.h"

/* Parse a document whose tables are kind sections; NULL on error (reason in bl_errmsg). */
static struct att_policy *load(const char *text)
{
	struct bl_toml *root = bl_toml_parse(text, strlen(text));
	struct att_policy *p;
	int rc = 0;

	if (!root)
		return NULL;
	p = att_policy_new();
	assert_non_null(p);
	for (size_t i = 0; i < bl_toml_table_len(root) && rc == 0; i++) {
		int k = att_kind_parse(bl_toml_table_key(root, i));
		assert_true(k > 0);
		rc = att_policy_set(p, (enum att_kind)k, bl_toml_table_value(root, i));
	}
	bl_toml_free(root);
	if (rc) {
		att_policy_free(p);
		return NULL;
	}
	return p;
}

static void expect_error(const char *text, const char *needle)
{
	struct att_policy *p = load(text);
	if (p)
		fail_msg("accepted: %s", text);
	if (!strstr(bl_errmsg(), needle))
		fail_msg("reason \"%s\" lacks \"%s\"", bl_errmsg(), needle);
}

#define H48A                                                                                       \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaa"
#define H48B                                                                                       \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" \
	"bbbbbbbb"
#define H32A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define H32C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static void test_parse_errors(void **state)
{
	(void)state;
	expect_error("[snp]\nallow = true\nhash = [\"" H48A "\"]\nbogus = 1\n", "line 4");
	expect_error("[snp]\nallow = true\nhash = [\"" H48A "\"]\nbogus = 1\n",
	             "unknown key 'bogus'");
	expect_error("[snp]\nallow = true\n", "one of signer, hash or hash_blacklist");
	expect_error("[snp]\nallow = \"yes\"\nhash = [\"" H48A "\"]\n", "expected bool");
	expect_error("[snp]\nallow = true\nhash = [\"" H32A "\"]\n", "96 hex digits");
	expect_error("[snp]\nallow = true\nhash = [\"" H48A "\", \"" H48A "\"]\n", "duplicate");
	expect_error("[snp]\nallow = true\nhash = [\"" H48A "\"]\nhash_blacklist = [\"" H48A
	             "\"]\n",
	             "hash and hash_blacklist");
	expect_error("[snp]\nallow = true\nhash = [\"" H48A "\"]\npolicy_flags = [\"Bogus\"]\n",
	             "unknown flag");
	expect_error("[snp]\nallow = true\nhash = [\"" H48A "\"]\nabi = \"1\"\n", "major.minor");
	expect_error("[snp]\nallow = true\nhash = [\"" H48A "\"]\nmin_tcb = { snp = 300 }\n",
	             "outside 0..255");
	expect_error("[snp]\nallow = true\nhash = [\"" H48A "\"]\nmin_tcb = { ucode = 3 }\n",
	             "min_tcb: unknown key 'ucode'");
	/* Keys of one kind are unknown in another. */
	expect_error("[sgx]\nallow = true\nhash = [\"" H32A "\"]\nabi = \"1.0\"\n",
	             "unknown key 'abi'");
	expect_error("[kvm]\nallow = true\nhash = [\"" H48A "\"]\n", "unknown key 'hash'");
	expect_error("[sgx]\nallow = true\nhash = [\"" H32A
	             "\"]\nallowed_tcb_status = [\"Fine\"]\n",
	             "unknown TCB status");
	expect_error("[sgx]\nallow = true\nhash = [\"" H32A "\"]\nmin_tcb = { comp = [1, 2] }\n",
	             "16 SVNs");
	expect_error("[kvm]\nallow = true\ndns_names = [\"bad name\"]\n", "DNS name");
	expect_error("[kvm]\nallow = true\nworkload_wasm = [\"abcd\"]\n", "64, 96 or 128");
}

static struct att_csr csr_of(enum att_kind k)
{
	struct att_csr csr;
	memset(&csr, 0, sizeof(csr));
	csr.kind = k;
	return csr;
}

static void snp_claims(struct att_claims *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = ATT_KIND_SNP;
	c->chain_len = 2; /* VCEK, ASK: the ARK's CRL checked the ASK */
	c->crl_checked = 2;
	memset(c->measurement, 0xaa, 48);
	c->measurement_len = 48;
	memset(c->signer, 0xbb, 48);
	c->signer_len = 48;
	c->snp.abi_major = 1;
	c->snp.abi_minor = 51;
	c->snp.policy_smt = true;
	c->snp.platform_info = 1; /* SMT */
	c->snp.reported_tcb.bootloader = 3;
	c->snp.reported_tcb.snp = 8;
	c->snp.reported_tcb.microcode = 115;
}

static void expect_refused(const struct att_policy *p, const struct att_claims *c,
                           const struct att_csr *csr, const char *check)
{
	int rc = att_policy_check(p, c, csr);
	if (rc != BL_EPERM)
		fail_msg("expected refusal by %s, got %d", check, rc);
	if (strncmp(bl_errmsg(), check, strlen(check)))
		fail_msg("reason \"%s\" does not begin with \"%s\"", bl_errmsg(), check);
}

static void test_snp(void **state)
{
	(void)state;
	struct att_policy *p = load("[snp]\nallow = true\nhash = [\"" H48A "\"]\nsigner = [\"" H48B
	                            "\"]\nabi = \"1.9\"\nplatform_info_flags = \"SMT\"\n"
	                            "min_tcb = { bootloader = 3, snp = 8, microcode = 115 }\n");
	struct att_claims c;
	struct att_csr csr = csr_of(ATT_KIND_SNP);

	assert_non_null(p);
	snp_claims(&c);
	assert_int_equal(att_policy_check(p, &c, &csr), 0);
	/* ABI 1.51 meets a 1.9 minimum as a version (Steward compared parts separately). */
	c.snp.abi_minor = 8;
	expect_refused(p, &c, &csr, "snp.abi");
	snp_claims(&c);
	c.snp.abi_major = 0;
	c.snp.abi_minor = 99;
	expect_refused(p, &c, &csr, "snp.abi");
	snp_claims(&c);
	c.measurement[47] ^= 1;
	expect_refused(p, &c, &csr, "snp.hash");
	snp_claims(&c);
	c.signer[0] ^= 1;
	expect_refused(p, &c, &csr, "snp.signer");
	snp_claims(&c);
	c.snp.policy_debug = true;
	c.debug = true;
	expect_refused(p, &c, &csr, "snp.policy_flags");
	snp_claims(&c);
	c.snp.policy_migrate_ma = true;
	expect_refused(p, &c, &csr, "snp.policy_flags");
	snp_claims(&c);
	c.snp.platform_info = 2; /* TSME without SMT */
	expect_refused(p, &c, &csr, "snp.platform_info_flags");
	snp_claims(&c);
	c.snp.reported_tcb.microcode = 114;
	expect_refused(p, &c, &csr, "snp.min_tcb");
	snp_claims(&c);
	c.kind = ATT_KIND_SGX;
	expect_refused(p, &c, &csr, "kind");
	att_policy_free(p);

	/* Debug permitted when listed; the ID key blacklist; SMT refused when not listed. */
	p = load("[snp]\nallow = true\nhash_blacklist = [\"" H48B "\"]\n"
	         "policy_flags = [\"Debug\"]\nid_key_digest_blacklist = [\"" H48A "\"]\n");
	assert_non_null(p);
	snp_claims(&c);
	c.snp.policy_smt = false;
	c.snp.policy_debug = c.debug = true;
	assert_int_equal(att_policy_check(p, &c, &csr), 0);
	c.snp.policy_smt = true;
	expect_refused(p, &c, &csr, "snp.policy_flags");
	c.snp.policy_smt = false;
	memset(c.snp.id_key_digest, 0xaa, 48);
	expect_refused(p, &c, &csr, "snp.id_key_digest");
	memset(c.snp.id_key_digest, 0, 48);
	memset(c.measurement, 0xbb, 48);
	expect_refused(p, &c, &csr, "snp.hash");
	att_policy_free(p);

	/* A policy without [snp], or with allow = false, refuses SNP. */
	p = load("[kvm]\nallow = true\n");
	snp_claims(&c);
	expect_refused(p, &c, &csr, "snp.allow");
	att_policy_free(p);
	p = load("[snp]\nallow = false\n");
	expect_refused(p, &c, &csr, "snp.allow");
	att_policy_free(p);
}

static void sgx_claims(struct att_claims *c)
{
	memset(c, 0, sizeof(*c));
	c->kind = ATT_KIND_SGX;
	c->chain_len = 2; /* PCK, PCK CA: both CRLs checked */
	c->crl_checked = 3;
	memset(c->sgx.mrenclave, 0xaa, 32);
	memset(c->sgx.mrsigner, 0xcc, 32);
	c->sgx.attributes[0] = 0x05; /* INIT | MODE64BIT */
	c->sgx.isv_svn = 2;
	c->sgx.isv_prod_id = 7;
	c->tcb_status = ATT_TCB_SW_HARDENING_NEEDED;
	c->n_advisories = 2;
	strcpy(c->advisories[0], "INTEL-SA-00615");
	strcpy(c->advisories[1], "INTEL-SA-00657");
	c->pck.cpusvn_comp[0] = 7;
	c->pck.pcesvn = 13;
}

static void test_sgx(void **state)
{
	(void)state;
	struct att_policy *p =
	    load("[sgx]\nallow = true\nhash = [\"" H32A "\"]\nsigner = [\"" H32C "\"]\n"
	         "enclave_security_version = 2\nenclave_product_id = 7\n"
	         "allowed_tcb_status = [\"UpToDate\", \"SWHardeningNeeded\"]\n"
	         "allowed_advisories = [\"INTEL-SA-00615\", \"INTEL-SA-00657\"]\n"
	         "min_tcb = { comp = [7,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0], pcesvn = 13 }\n");
	struct att_claims c;
	struct att_csr csr = csr_of(ATT_KIND_SGX);

	assert_non_null(p);
	sgx_claims(&c);
	assert_int_equal(att_policy_check(p, &c, &csr), 0);
	c.tcb_status = ATT_TCB_OUT_OF_DATE;
	expect_refused(p, &c, &csr, "sgx.allowed_tcb_status");
	sgx_claims(&c);
	strcpy(c.advisories[1], "INTEL-SA-00999");
	expect_refused(p, &c, &csr, "sgx.allowed_advisories");
	sgx_claims(&c);
	c.sgx.attributes[0] |= 0x02; /* DEBUG */
	c.debug = true;
	expect_refused(p, &c, &csr, "sgx.features");
	sgx_claims(&c);
	c.sgx.attributes[0] = 0x01; /* no MODE64BIT */
	expect_refused(p, &c, &csr, "sgx.features");
	sgx_claims(&c);
	c.sgx.misc_select = 1;
	expect_refused(p, &c, &csr, "sgx.misc_select");
	sgx_claims(&c);
	c.sgx.isv_svn = 1;
	expect_refused(p, &c, &csr, "sgx.enclave_security_version");
	sgx_claims(&c);
	c.sgx.isv_prod_id = 8;
	expect_refused(p, &c, &csr, "sgx.enclave_product_id");
	sgx_claims(&c);
	c.sgx.mrsigner[3] = 0;
	expect_refused(p, &c, &csr, "sgx.signer");
	sgx_claims(&c);
	c.pck.cpusvn_comp[0] = 6;
	expect_refused(p, &c, &csr, "sgx.min_tcb");
	sgx_claims(&c);
	c.pck.pcesvn = 12;
	expect_refused(p, &c, &csr, "sgx.min_tcb");
	sgx_claims(&c);
	c.tcb_status = ATT_TCB_UNKNOWN;
	expect_refused(p, &c, &csr, "sgx.allowed_tcb_status");
	att_policy_free(p);

	/* Default allowed_tcb_status is UpToDate only; features and misc_select permit. */
	p = load("[sgx]\nallow = true\nsigner = [\"" H32C "\"]\nfeatures = [\"Debug\"]\n"
	         "misc_select = [\"EXINFO\"]\n");
	assert_non_null(p);
	sgx_claims(&c);
	c.sgx.attributes[0] |= 0x02;
	c.debug = true;
	c.sgx.misc_select = 1;
	expect_refused(p, &c, &csr, "sgx.allowed_tcb_status");
	c.tcb_status = ATT_TCB_UP_TO_DATE;
	assert_int_equal(att_policy_check(p, &c, &csr), 0);
	att_policy_free(p);
}

static void test_tdx(void **state)
{
	(void)state;
	struct att_policy *p =
	    load("[tdx]\nallow = true\nhash = [\"" H48A "\"]\n"
	         "mrconfigid = [\"" H48B "\"]\n"
	         "allowed_tcb_status = [\"UpToDate\"]\n"
	         "min_tcb = { tee_tcb_svn = [3,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0] }\n");
	struct att_claims c;
	struct att_csr csr = csr_of(ATT_KIND_TDX);

	assert_non_null(p);
	memset(&c, 0, sizeof(c));
	c.kind = ATT_KIND_TDX;
	c.chain_len = 2;
	c.crl_checked = 3;
	memset(c.tdx.mrtd, 0xaa, 48);
	memset(c.tdx.mrconfigid, 0xbb, 48);
	c.tdx.tee_tcb_svn[0] = 3;
	c.tcb_status = ATT_TCB_UP_TO_DATE;
	assert_int_equal(att_policy_check(p, &c, &csr), 0);
	c.tdx.td_attributes = 1;
	expect_refused(p, &c, &csr, "tdx.debug");
	c.tdx.td_attributes = 0;
	c.tdx.mrconfigid[0] = 0;
	expect_refused(p, &c, &csr, "tdx.mrconfigid");
	c.tdx.mrconfigid[0] = 0xbb;
	c.tdx.tee_tcb_svn[0] = 2;
	expect_refused(p, &c, &csr, "tdx.min_tcb");
	att_policy_free(p);
}

static void test_workload_and_names(void **state)
{
	(void)state;
	struct att_policy *p = load("[kvm]\nallow = true\n"
	                            "dns_names = [\"app.example.com\", \"*.apps.example.org\"]\n"
	                            "workload_wasm = [\"" H32A "\"]\n");
	struct att_claims c;
	struct att_csr csr = csr_of(ATT_KIND_KVM);

	assert_non_null(p);
	memset(&c, 0, sizeof(c));
	c.kind = ATT_KIND_KVM;
	/* No workload in the request while the policy names one. */
	expect_refused(p, &c, &csr, "kvm.workload_wasm");
	csr.workload.present = 1;
	csr.workload.wasm.present = 1;
	csr.workload.wasm.alg = BL_SHA256;
	memset(csr.workload.wasm.digest, 0xaa, 32);
	assert_int_equal(att_policy_check(p, &c, &csr), 0);
	csr.workload.wasm.digest[31] = 0;
	expect_refused(p, &c, &csr, "kvm.workload_wasm");
	csr.workload.wasm.digest[31] = 0xaa;
	/* Same bytes under another algorithm are another digest. */
	csr.workload.wasm.alg = BL_SHA384;
	expect_refused(p, &c, &csr, "kvm.workload_wasm");
	csr.workload.wasm.alg = BL_SHA256;

	const char *ok[] = { "APP.example.com", "x.apps.example.org" };
	const char *bad[] = { "apps.example.org", "a.b.apps.example.org", "app.example.com.evil" };
	for (int i = 0; i < 2; i++) {
		csr.n_names = 1;
		csr.names[0].p = ok[i];
		csr.names[0].len = strlen(ok[i]);
		assert_int_equal(att_policy_check(p, &c, &csr), 0);
	}
	for (int i = 0; i < 3; i++) {
		csr.names[0].p = bad[i];
		csr.names[0].len = strlen(bad[i]);
		expect_refused(p, &c, &csr, "kvm.dns_names");
	}
	att_policy_free(p);
}

/* Regression (review of issue 5, HIGH): the evidence's CRLs are the client's choice; by
 * default every link that has a CRL must have been checked against one. */
static void test_require_crls(void **state)
{
	(void)state;
	struct att_policy *p = load("[snp]\nallow = true\nhash = [\"" H48A "\"]\n"
	                            "policy_flags = [\"SMT\"]\n"
	                            "[sgx]\nallow = true\nhash = [\"" H32A "\"]\n"
	                            "allowed_tcb_status = [\"SWHardeningNeeded\"]\n");
	struct att_policy *off =
	    load("[snp]\nallow = true\nhash = [\"" H48A "\"]\n"
	         "policy_flags = [\"SMT\"]\nrequire_crls = false\n"
	         "[sgx]\nallow = true\nhash = [\"" H32A "\"]\n"
	         "allowed_tcb_status = [\"SWHardeningNeeded\"]\nrequire_crls = false\n");
	struct att_claims c;
	struct att_csr snp = csr_of(ATT_KIND_SNP), sgx = csr_of(ATT_KIND_SGX);

	assert_non_null(p);
	assert_non_null(off);
	snp_claims(&c);
	assert_int_equal(att_policy_check(p, &c, &snp), 0);
	c.crl_checked = 0; /* no ARK CRL: a revoked ASK would pass */
	expect_refused(p, &c, &snp, "snp.require_crls");
	assert_int_equal(att_policy_check(off, &c, &snp), 0);
	c.crl_checked = 1; /* an ASK CRL does not stand in for the ARK's */
	expect_refused(p, &c, &snp, "snp.require_crls");
	c.chain_len = 0; /* no chain checked at all */
	expect_refused(p, &c, &snp, "snp.require_crls");

	sgx_claims(&c);
	assert_int_equal(att_policy_check(p, &c, &sgx), 0);
	c.crl_checked = 2; /* the PCK CA's CRL missing: a revoked PCK would pass */
	expect_refused(p, &c, &sgx, "sgx.require_crls");
	c.crl_checked = 1; /* the root's CRL missing: a revoked PCK CA would pass */
	expect_refused(p, &c, &sgx, "sgx.require_crls");
	c.crl_checked = 0;
	expect_refused(p, &c, &sgx, "sgx.require_crls");
	assert_int_equal(att_policy_check(off, &c, &sgx), 0);
	c.chain_len = 3; /* a longer chain needs every link */
	c.crl_checked = 3;
	expect_refused(p, &c, &sgx, "sgx.require_crls");
	expect_error("[kvm]\nallow = true\nrequire_crls = true\n", "unknown key 'require_crls'");
	expect_error("[sgx]\nallow = true\nhash = [\"" H32A "\"]\nrequire_crls = 1\n",
	             "expected bool");
	att_policy_free(p);
	att_policy_free(off);
}

/* Review of issue 5: the VMPL the report was requested at, and Intel's TCB evaluation data
 * number, are policy. */
static void test_vmpl_and_tcb_evaluation(void **state)
{
	(void)state;
	const char *snp_base = "[snp]\nallow = true\nhash = [\"" H48A "\"]\n"
	                       "policy_flags = [\"SMT\"]\n";
	char text[512];
	struct att_policy *p;
	struct att_claims c;
	struct att_csr snp = csr_of(ATT_KIND_SNP), sgx = csr_of(ATT_KIND_SGX),
	               tdx = csr_of(ATT_KIND_TDX);

	/* Default: VMPL 0 only. */
	p = load(snp_base);
	assert_non_null(p);
	snp_claims(&c);
	assert_int_equal(att_policy_check(p, &c, &snp), 0);
	c.snp.vmpl = 1;
	expect_refused(p, &c, &snp, "snp.vmpl");
	att_policy_free(p);
	/* vmpl = N: 0..N. */
	snprintf(text, sizeof(text), "%svmpl = 2\n", snp_base);
	p = load(text);
	assert_non_null(p);
	c.snp.vmpl = 2;
	assert_int_equal(att_policy_check(p, &c, &snp), 0);
	c.snp.vmpl = 3;
	expect_refused(p, &c, &snp, "snp.vmpl");
	att_policy_free(p);
	/* vmpl = [..]: exactly those. */
	snprintf(text, sizeof(text), "%svmpl = [1, 3]\n", snp_base);
	p = load(text);
	assert_non_null(p);
	c.snp.vmpl = 3;
	assert_int_equal(att_policy_check(p, &c, &snp), 0);
	c.snp.vmpl = 0;
	expect_refused(p, &c, &snp, "snp.vmpl");
	att_policy_free(p);
	snprintf(text, sizeof(text), "%svmpl = 4\n", snp_base);
	expect_error(text, "outside 0..3");
	snprintf(text, sizeof(text), "%svmpl = []\n", snp_base);
	expect_error(text, "empty list");
	expect_error("[sgx]\nallow = true\nhash = [\"" H32A "\"]\nvmpl = 0\n",
	             "unknown key 'vmpl'");
	expect_error("[snp]\nallow = true\nhash = [\"" H48A "\"]\n"
	             "min_tcb_evaluation_data_number = 1\n",
	             "unknown key 'min_tcb_evaluation_data_number'");

	/* SGX and TDX: TCB info at least this evaluation number; none (0) is below any. */
	p = load("[sgx]\nallow = true\nhash = [\"" H32A "\"]\n"
	         "allowed_tcb_status = [\"SWHardeningNeeded\"]\n"
	         "min_tcb_evaluation_data_number = 17\n"
	         "[tdx]\nallow = true\nhash = [\"" H48A "\"]\n"
	         "min_tcb_evaluation_data_number = 17\n");
	assert_non_null(p);
	sgx_claims(&c);
	c.tcb_eval_num = 17;
	assert_int_equal(att_policy_check(p, &c, &sgx), 0);
	c.tcb_eval_num = 16;
	expect_refused(p, &c, &sgx, "sgx.min_tcb_evaluation_data_number");
	c.tcb_eval_num = 0;
	expect_refused(p, &c, &sgx, "sgx.min_tcb_evaluation_data_number");
	memset(&c, 0, sizeof(c));
	c.kind = ATT_KIND_TDX;
	c.chain_len = 2;
	c.crl_checked = 3;
	memset(c.tdx.mrtd, 0xaa, 48);
	c.tcb_status = ATT_TCB_UP_TO_DATE;
	c.tcb_eval_num = 18;
	assert_int_equal(att_policy_check(p, &c, &tdx), 0);
	c.tcb_eval_num = 3;
	expect_refused(p, &c, &tdx, "tdx.min_tcb_evaluation_data_number");
	att_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_snp),
		cmocka_unit_test(test_sgx),
		cmocka_unit_test(test_tdx),
		cmocka_unit_test(test_workload_and_names),
		cmocka_unit_test(test_require_crls),
		cmocka_unit_test(test_vmpl_and_tcb_evaluation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
