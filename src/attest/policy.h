/*
 * policy.h — which verified evidence Steward accepts, per Keep kind.
 *
 * A policy holds one rule set per kind (kvm, sgx, snp, tdx), each read from
 * a TOML table ([kvm], [sgx], [snp], [tdx] in the Steward configuration;
 * docs/steward.md lists every key). A kind is refused unless its table says
 * `allow = true`. Requests without evidence (nil Keeps, kind NONE) follow
 * the [kvm] rules. Every key is enforced; an unknown key, a value of the
 * wrong type or length, or a conflict (the same digest allowed and
 * blacklisted) is an error naming the line ("line 12: [snp] hash: ...").
 *
 * Keys (all optional except allow):
 *   every kind   allow, dns_names, workload_wasm, workload_config, workload_tree
 *   snp sgx tdx  signer, hash, hash_blacklist (one of them is required when allowed),
 *                require_crls (default true: a CRL checked for every link of the
 *                evidence key's chain whose issuer publishes one; SNP: the ASK/ASVK
 *                by the ARK's CRL; SGX/TDX: the PCK CA and the PCK)
 *   snp          id_key_digest, id_key_digest_blacklist, abi ("major.minor" minimum,
 *                compared as a version), policy_flags (permitted guest policy
 *                flags: "SMT", "MigrateMA", "Debug", "SingleSocket"; default
 *                ["SMT", "SingleSocket"]), platform_info_flags (flags that must
 *                be set: "SMT", "TSME", "ECC", "RAPL_DIS", "CIPHERTEXT_HIDING"),
 *                min_tcb = { bootloader, tee, snp, microcode, fmc },
 *                vmpl (N: VMPL 0..N permitted, or a list of levels; default 0)
 *   sgx          features (permitted ATTRIBUTES flags besides INIT and MODE64BIT:
 *                "Debug", "ProvisioningKey", "EInitKey", "CET", "KSS", "AEXNotify"),
 *                enclave_security_version (minimum ISVSVN), enclave_product_id
 *                (exact ISVPRODID), misc_select (permitted MISCSELECT bits:
 *                "EXINFO", "CPINFO"), min_tcb = { comp = [16 SVNs], pcesvn }
 *   sgx tdx      allowed_tcb_status (Intel spellings; default ["UpToDate"]),
 *                allowed_advisories (every advisory of the TCB level must be listed;
 *                absent: any advisory is accepted only if the status is),
 *                min_tcb_evaluation_data_number (TCB info's tcbEvaluationDataNumber)
 *   tdx          debug (TD_ATTRIBUTES.DEBUG permitted; default false), mrconfigid,
 *                mrowner, min_tcb = { comp = [16], pcesvn, tee_tcb_svn = [16] }
 *
 * dns_names grants both the subjectAltName DNS names a CSR requests and the
 * commonNames of its subject (copied into the certificate, where TLS name
 * checks fall back to them); a subject emailAddress is refused (csr.subject).
 *
 * att_policy_check() decides for verified claims and the request that carried
 * them; on refusal it returns BL_EPERM and a reason that begins with the
 * name of the failed check ("snp.hash: measurement 1234… is not allowed").
 * It does not verify evidence (attest.h does) and does not read files.
 */
#ifndef BL_ATTEST_POLICY_H
#define BL_ATTEST_POLICY_H

#include <stddef.h>

#include "attest/attest.h"
#include "attest/csr.h"
#include "common/err.h"
#include "common/toml.h"

struct att_policy;

/* An empty policy (refuses every kind). NULL when out of memory. */
struct att_policy *att_policy_new(void);
void att_policy_free(struct att_policy *p);

/* Read the rules for `kind` from a TOML table. Fails naming the line. */
BL_MUST_CHECK int att_policy_set(struct att_policy *p, enum att_kind kind,
                                 const struct bl_toml *table);

/* 1 when the policy has `allow = true` for kind. */
int att_policy_allows(const struct att_policy *p, enum att_kind kind);

/* Decide. 0 accepted; BL_EPERM with the failed check's name otherwise. */
BL_MUST_CHECK int att_policy_check(const struct att_policy *p, const struct att_claims *c,
                                   const struct att_csr *csr);

#endif
