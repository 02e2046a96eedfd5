/*
 * attest.h — verification of hardware attestation evidence: AMD SEV-SNP
 * reports, Intel SGX DCAP quotes (v3) and Intel TDX quotes (v4, v5), with the
 * vendor collateral that goes with them, and the decoding of the evidence
 * extensions that Enarx/Steward CSRs carry.
 *
 * What it guarantees. When a verify function returns 0, every cryptographic
 * and structural check below held AS OF opts->at, and *out holds the claims
 * read from the now-authenticated evidence:
 *   SNP  (AMD SEV-SNP ABI spec 1.55, §7.3 table 22 ATTESTATION_REPORT;
 *         AMD VCEK spec 0.51 §3 for the certificate extensions)
 *        report version 2 or 3; signature algorithm 1 (ECDSA P-384 SHA-384)
 *        over bytes 0x000..0x29F; the VCEK (or VLEK) key signed it; VCEK/VLEK
 *        <- ASK/ASVK <- ARK, all RSASSA-PSS SHA-384, ARK self-signed and equal
 *        to a built-in AMD root for Milan, Genoa or Turin (or to an anchor in
 *        opts->anchors); every certificate valid at opts->at; CRLs given are
 *        checked (signed by the ARK/ASK they claim, current at opts->at, the
 *        certificate not listed) and which ones were is in the claims
 *        (crl_checked); reported_tcb equal to the VCEK's SPL
 *        extensions (bootloader, tee, snp, microcode, fmc for Turin);
 *        with a VCEK, chip_id equal to its hwID (a VLEK has no hwID; there
 *        chip_id is not checked); the report's signing-key field matches the
 *        certificate type (0 = VCEK, 1 = VLEK); MASK_CHIP_KEY clear (else
 *        there is no signature); VMPL <= 3; policy bit 17 (reserved, must
 *        be one) set.
 *   SGX  (Intel SGX ECDSA Quote Library API, A.4 "Quote format" v3)
 *        quote version 3, attestation key type 2 (ECDSA P-256), Intel's QE
 *        vendor ID; the PCK chain from certification data type 5 (PEM or
 *        DER, any order) or opts->pck_chain: a leaf named "Intel SGX PCK
 *        Certificate" <- "Intel SGX PCK Processor CA" or "... Platform CA"
 *        <- the built-in Intel SGX Root CA (or opts->anchors), each valid at
 *        opts->at, no certificate off the path, CRLs given checked; the PCK's
 *        SGX extensions (FMSPC, PCE ID, TCB components, PPID) read; the QE
 *        report signed by the PCK key; the QE
 *        report data [0..32] = SHA-256(attestation key || QE auth data) and
 *        [32..64] zero; without QE identity collateral, the QE's MRSIGNER
 *        and ISVPRODID equal Intel's production QE3 (TDX: TD QE), built in, and
 *        its ATTRIBUTES.DEBUG clear
 *        (the PCE signs the report of ANY enclave holding PROVISIONKEY, so a
 *        PCK-signed QE report alone proves nothing); the quote signature
 *        (header || ISV report) by the attestation key. With TCB info: its signature by the TCB signing
 *        chain (a leaf named "Intel SGX TCB Signing" issued by the root
 *        itself, valid at opts->at or opts->tcb_signing_at) over the exact
 *        bytes of the
 *        "tcbInfo" object, id, version 2/3, tcbType 0, FMSPC and PCE ID equal
 *        to the PCK's, opts->at within issueDate..nextUpdate, and the TCB
 *        level chosen from the PCK's
 *        CPUSVN components and PCESVN (the first level, in the file's order,
 *        that the PCK meets): its status, date and advisory IDs land in the
 *        claims.
 *        With QE identity: its signature by the same chain, MRSIGNER,
 *        ISVPRODID, MISCSELECT/ATTRIBUTES under their masks, and the QE's
 *        ISVSVN level (its status is then folded into the TCB status).
 *   TDX  (Intel TDX DCAP Quote Generation Library, A.3 "Quote format" v4;
 *        v5 adds a body type and TD 1.5 fields) the same PCK, QE-report and
 *        quote-signature checks; certification data type 6 (QE report
 *        certification data) wrapping type 5; TDX TCB info ("id":"TDX"):
 *        as Intel's QVL, the first level whose SGX components and PCESVN
 *        the PCK meets and whose tdxtcbcomponents TEE_TCB_SVN meets (from
 *        index 2 when TEE_TCB_SVN[1], the module major version, is not 0:
 *        the "TDX_nn" module identity then grades TEE_TCB_SVN[0] and gives
 *        the expected MRSIGNERSEAM and SEAM attributes, which tdxModule
 *        gives for major version 0); and the TD QE identity ("TD_QE").
 *
 * Without TCB info the TCB status is ATT_TCB_UNKNOWN and nothing else
 * changes. Parsing is bounded by the structures' own length fields: bytes
 * after the signature data of a quote are ignored, not an error (real quotes
 * carry them). All untrusted bytes are read through struct bl_cur.
 *
 * What it does not do. It applies NO policy: which measurements, signers,
 * TCB statuses, advisories, debug flags, VMPLs, ABI versions or policy bits
 * are acceptable is the caller's decision (src/attest/policy.c). The helpers
 * att_version_cmp() and the decoded fields below make that easy. It fetches
 * nothing from the network: collateral comes from the caller or from inside
 * the evidence. It does not check that report data binds a key: call
 * att_report_data_check() for that.
 *
 * Errors. 0 on success. On failure a negative BL_E* code and a reason (see
 * err.h) that begins with the name of the failed check ("snp.signature: ..."),
 * also returned by att_failed_check():
 *   BL_EINVAL / BL_ETRUNC / BL_EUNSUPP — malformed or unsupported input
 *                                        (HTTP 400 at Steward);
 *   BL_EVERIFY — well-formed but a check failed: signature, chain, expiry,
 *                revocation, a mismatch (HTTP 403);
 *   BL_ENOMEM — out of memory.
 * *out is zeroed first and is meaningful only on success.
 *
 * Check names (att_failed_check()); tests/unit/test_attest*.c provoke
 * nearly all of them (the chain ones once each on a generated PKI):
 *   options                      no verification time
 *   snp.format .version .signature_algo .mask_chip_key .vmpl .policy
 *   snp.vcek .vcek_key .signing_key .product .tcb .chip_id .signature
 *   snp.chain .root .expired .crl .revoked        (VCEK <- ASK <- ARK)
 *   quote.format .version .qe_vendor .qe_report_signature .qe_report_data
 *   quote.attestation_key .signature .qe_signer
 *   pck.chain .root .expired .crl .revoked .key .extensions
 *   tcb_signing.chain .root .expired .crl .revoked .key
 *   tcb_info (malformed) .signature .id .version .expired .fmspc .pceid
 *   tcb_info.level .tdx_module
 *   qe_identity (malformed) .signature .id .version .expired .miscselect
 *   qe_identity.attributes .mrsigner .isvprodid .level
 *   evidence.format .kind .report_data
 *
 * Thread safety: every function is reentrant. Memory: the library keeps
 * bounded process-wide caches, each under a mutex — the built-in roots
 * parsed once, up to 64 parsed certificates and 16 CRLs keyed by SHA-256 of
 * their DER, and up to 256 (signed object, issuer key) pairs whose signature
 * verified. A cache never skips a time, name, CRL or policy check.
 */
#ifndef BL_ATTEST_ATTEST_H
#define BL_ATTEST_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "common/err.h"

/* ---- kinds and evidence OIDs ------------------------------------------ */

enum att_kind {
	ATT_KIND_NONE = 0, /* no evidence */
	ATT_KIND_KVM = 1, /* 1.3.6.1.4.1.58270.1.1: empty value, no hardware evidence */
	ATT_KIND_SGX = 2, /* 1.3.6.1.4.1.58270.1.2 */
	ATT_KIND_SNP = 3, /* 1.3.6.1.4.1.58270.1.3 */
	ATT_KIND_TDX = 4, /* 1.3.6.1.4.1.58270.1.4: Bailey's addition under Enarx's arc */
};

/*
 * Dotted OIDs of the CSR evidence extensions. The Enarx private arc is
 * 1.3.6.1.4.1.58270; .1.1-.1.3 are Enarx/Steward's; .1.4 (TDX) is ours.
 */
#define ATT_OID_KVM "1.3.6.1.4.1.58270.1.1"
#define ATT_OID_SGX "1.3.6.1.4.1.58270.1.2"
#define ATT_OID_SNP "1.3.6.1.4.1.58270.1.3"
#define ATT_OID_TDX "1.3.6.1.4.1.58270.1.4"

/* "kvm", "sgx", "snp", "tdx", "none"; never NULL. */
const char *att_kind_name(enum att_kind k);
/* Parse a kind name ("snp"…); -1 when unknown. */
int att_kind_parse(const char *s);
/* The dotted OID of a kind's evidence extension; NULL for ATT_KIND_NONE. */
const char *att_kind_oid(enum att_kind k);
/* The kind whose evidence OID is `dotted`; ATT_KIND_NONE when none. */
enum att_kind att_kind_from_oid(const char *dotted);

/* ---- TCB status (Intel TCB info "tcbStatus" values) ------------------- */

enum att_tcb_status {
	ATT_TCB_UNKNOWN = 0, /* no TCB info given (always so for SNP) */
	ATT_TCB_UP_TO_DATE,
	ATT_TCB_SW_HARDENING_NEEDED,
	ATT_TCB_CONFIGURATION_NEEDED,
	ATT_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
	ATT_TCB_OUT_OF_DATE,
	ATT_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
	ATT_TCB_REVOKED,
	ATT_TCB_STATUS_COUNT
};

/*
 * Intel's spelling ("UpToDate", "SWHardeningNeeded", …) or "Unknown". A
 * platform that meets no TCB level of the TCB info given fails verification
 * ("tcb_info.level"); it is not a status.
 */
const char *att_tcb_status_name(enum att_tcb_status s);
/* Parse Intel's spelling; -1 when unknown. */
int att_tcb_status_parse(const char *s);

/* ---- claims ------------------------------------------------------------ */

#define ATT_MEAS_MAX 48
#define ATT_ADVISORY_MAX 64 /* advisory IDs kept; more is an error (EUNSUPP) */
#define ATT_ADVISORY_LEN 32 /* "INTEL-SA-00615" fits with room */

/* AMD SEV-SNP products whose roots are built in. */
enum att_snp_product {
	ATT_SNP_UNKNOWN = 0,
	ATT_SNP_MILAN,
	ATT_SNP_GENOA,
	ATT_SNP_TURIN,
};
/* "Milan", "Genoa", "Turin", "unknown". */
const char *att_snp_product_name(enum att_snp_product p);

/*
 * An SNP TCB_VERSION (ABI 1.55 table 3) decoded; `raw` is the 64-bit value as
 * stored little-endian in the report. Milan/Genoa: byte 0 bootloader, 1 tee,
 * 6 snp, 7 microcode; Turin: 0 fmc, 1 bootloader, 2 tee, 3 snp, 7 microcode.
 */
struct att_snp_tcb {
	uint64_t raw;
	uint8_t bootloader, tee, snp, microcode, fmc; /* fmc is 0 before Turin */
};

/* Decode a raw TCB_VERSION for a product (Turin has its own layout). */
void att_snp_tcb_decode(uint64_t raw, enum att_snp_product prod, struct att_snp_tcb *out);

struct att_snp_claims {
	enum att_snp_product product;
	uint32_t version; /* report version, 2 or 3 */
	uint32_t guest_svn;
	uint64_t policy; /* GUEST_POLICY, raw */
	uint8_t abi_major, abi_minor; /* policy bits 15:8 and 7:0 */
	bool policy_smt, policy_migrate_ma, policy_debug, policy_single_socket;
	uint8_t family_id[16], image_id[16];
	uint32_t vmpl;
	uint32_t signature_algo;
	uint64_t platform_info; /* PLATFORM_INFO, raw (bit 0 SMT enabled, 1 TSME, …) */
	bool author_key_en, mask_chip_key;
	uint32_t signing_key; /* 0 VCEK, 1 VLEK (bits 4:2 of the flags word) */
	uint8_t host_data[32];
	uint8_t id_key_digest[48], author_key_digest[48];
	uint8_t report_id[32], report_id_ma[32];
	uint8_t chip_id[64];
	struct att_snp_tcb current_tcb, reported_tcb, committed_tcb, launch_tcb;
	uint8_t current_build, current_minor, current_major;
	uint8_t committed_build, committed_minor, committed_major;
	uint8_t cpuid_fam, cpuid_mod, cpuid_step; /* v3 only; 0 in v2 */
};

/* Fields common to SGX and TDX: what the quote's PCK certificate says. */
struct att_pck_claims {
	uint8_t fmspc[6];
	uint8_t pceid[2];
	uint8_t ppid[16];
	uint8_t cpusvn_comp[16]; /* SGX TCB comp 01..16 SVNs of the PCK */
	uint16_t pcesvn;
	bool platform_ca; /* issued by the Platform CA (else the Processor CA) */
	uint16_t qe_isvsvn, qe_isvprodid; /* from the QE report */
	uint8_t qe_mrenclave[32], qe_mrsigner[32];
	uint32_t qe_misc_select;
	uint8_t qe_attributes[16];
};

struct att_sgx_claims {
	uint16_t version; /* 3 */
	uint8_t cpusvn[16];
	uint32_t misc_select;
	uint8_t attributes[16]; /* flags (u64 le) || xfrm (u64 le) */
	uint8_t mrenclave[32], mrsigner[32];
	uint8_t config_id[64];
	uint16_t isv_prod_id, isv_svn, config_svn;
	uint8_t isv_family_id[16], isv_ext_prod_id[16];
};

struct att_tdx_claims {
	uint16_t version; /* 4 or 5 */
	uint16_t body_type; /* v5: 2 TD 1.0, 3 TD 1.5; v4: 2 */
	uint8_t tee_tcb_svn[16];
	uint8_t tee_tcb_svn2[16]; /* TD 1.5 body only */
	uint8_t mrseam[48], mrsignerseam[48];
	uint64_t seam_attributes;
	uint64_t td_attributes; /* bit 0 DEBUG */
	uint64_t xfam;
	uint8_t mrtd[48], mrconfigid[48], mrowner[48], mrownerconfig[48];
	uint8_t rtmr[4][48];
	uint8_t mrservicetd[48]; /* TD 1.5 body only */
};

struct att_claims {
	enum att_kind kind;
	/* MEASUREMENT (SNP), MRTD (TDX): 48 bytes; MRENCLAVE (SGX): 32. */
	uint8_t measurement[ATT_MEAS_MAX];
	size_t measurement_len;
	/* MRSIGNER (SGX, 32); SNP: AUTHOR_KEY_DIGEST when author_key_en, else
	 * ID_KEY_DIGEST (48); TDX: MROWNER is not a signer, so 0 length. */
	uint8_t signer[ATT_MEAS_MAX];
	size_t signer_len;
	uint8_t report_data[64];
	bool debug; /* SNP policy bit 19; SGX ATTRIBUTES.DEBUG; TDX TD_ATTRIBUTES bit 0 */

	/* TCB as matched against Intel TCB info (SGX, TDX); SNP: UNKNOWN. */
	enum att_tcb_status tcb_status;
	char tcb_date[32]; /* the chosen level's tcbDate, "" when none */
	uint32_t tcb_eval_num; /* TCB info's tcbEvaluationDataNumber, 0 when none */
	size_t n_advisories;
	char advisories[ATT_ADVISORY_MAX][ATT_ADVISORY_LEN];
	/* The QE identity's verdict on the QE's ISVSVN (UNKNOWN when not given). */
	enum att_tcb_status qe_status;

	/* How far revocation was checked on the chain that certifies the
	 * evidence key (SNP: VCEK/VLEK <- ASK/ASVK <- ARK; SGX/TDX: PCK <- PCK
	 * CA <- Intel root), in issuing order from the leaf (0): chain_len
	 * certificates below the trust anchor, and bit i of crl_checked set when
	 * a CRL of certificate i's issuer was checked (signed by it, current at
	 * opts->at, not listing certificate i). CRLs are optional to the
	 * verifier: whether missing ones are acceptable is policy
	 * (`require_crls`). */
	uint8_t chain_len;
	uint32_t crl_checked;

	struct att_snp_claims snp; /* kind SNP */
	struct att_pck_claims pck; /* kind SGX or TDX */
	struct att_sgx_claims sgx; /* kind SGX */
	struct att_tdx_claims tdx; /* kind TDX */
};

/* ---- options ------------------------------------------------------------ */

/* A borrowed byte string (DER, PEM or JSON as each field says). */
struct att_blob {
	const uint8_t *p;
	size_t len;
};

struct att_opts {
	/* The verification time: certificates, CRLs and TCB info are judged as
	 * of this instant. Required: 0 is refused (BL_EINVAL) so that no caller
	 * verifies "now" by accident; pass time(NULL) for now. */
	time_t at;

	/* SNP: the VCEK or VLEK certificate (DER or PEM). Required for
	 * att_snp_verify; att_evidence_verify uses the one in the evidence when
	 * this is empty. */
	struct att_blob vcek;
	/* SNP: ASK/ASVK and ARK override (DER or PEM). When empty, the built-in
	 * pair for the product is used. A given ARK must still equal a built-in
	 * root or an entry of `anchors`. */
	struct att_blob ask, ark;

	/* Intel: the PCK certificate chain (PCK first; PEM, concatenated DER or
	 * a DER SEQUENCE OF Certificate). Required when the quote's
	 * certification data does not carry it (types 1-4: encrypted or clear
	 * PPID); when given, it replaces the chain carried in the quote. */
	struct att_blob pck_chain;

	/* CRLs (DER or PEM), any issuer: each is used for the certificates its
	 * issuer issued; a CRL whose issuer is in the chain must verify and be
	 * current at `at`. CRLs carried inside CSR evidence are added to these. */
	const struct att_blob *crls;
	size_t n_crls;

	/* Intel: TCB info JSON file bytes (SGX "tcbInfo" v2/v3 or TDX), the QE
	 * identity JSON ("enclaveIdentity" QE or TD_QE), and the TCB signing
	 * chain (PEM with one or more certificates, a DER certificate, or a DER
	 * SEQUENCE OF Certificate). Each optional; the signing chain is required
	 * when either JSON is given. */
	struct att_blob tcb_info;
	struct att_blob qe_identity;
	struct att_blob tcb_signing_chain;
	/* When not 0: the time at which the TCB signing chain's certificates
	 * (not the TCB info or QE identity themselves, which are still judged at
	 * `at`) must be valid. Intel renews the TCB signing certificate with the
	 * same key; this lets collateral be checked with a copy of the chain that
	 * has since expired. An explicit choice: never set by default. */
	time_t tcb_signing_at;

	/* Trust anchors REPLACING the built-in roots (PEM or DER, one
	 * certificate each): for tests with Intel's sample collateral. */
	const struct att_blob *anchors;
	size_t n_anchors;
};

/* ---- entry points ------------------------------------------------------- */

/* Verify a raw SEV-SNP ATTESTATION_REPORT of exactly 0x4A0 bytes. */
BL_MUST_CHECK int att_snp_verify(const uint8_t *report, size_t len, const struct att_opts *opts,
                                 struct att_claims *out);

/* Verify an SGX DCAP quote v3 (trailing bytes after the signature data are ignored). */
BL_MUST_CHECK int att_sgx_verify(const uint8_t *quote, size_t len, const struct att_opts *opts,
                                 struct att_claims *out);

/* Verify a TDX quote v4 or v5. */
BL_MUST_CHECK int att_tdx_verify(const uint8_t *quote, size_t len, const struct att_opts *opts,
                                 struct att_claims *out);

/*
 * Verify the DER value (the contents of the extension's OCTET STRING) of a
 * CSR evidence extension of `kind`, as vectors/README.md describes:
 *   KVM: empty. Succeeds with out->kind = KVM and nothing else; whether KVM
 *        is acceptable is policy.
 *   SNP: SEQUENCE { SEQUENCE { vcek Certificate, crl CrlList }, report OCTET STRING }
 *   SGX: SEQUENCE { quote OCTET STRING, crl CrlList,
 *                   tcb SEQUENCE { crts SEQUENCE OF Certificate, report OCTET STRING } }
 *   TDX: (ours) the SGX layout with the TDX quote, TDX TCB info and, optionally,
 *        a trailing [0] EXPLICIT OCTET STRING holding the TD QE identity JSON.
 *        SGX accepts the same optional trailing QE identity.
 *   CrlList ::= SEQUENCE { crls SEQUENCE OF SEQUENCE { url UTF8String,
 *                                                   crl CertificateList } }
 * The collateral inside is used (CRLs added to opts->crls; the TCB chain and
 * TCB info used unless opts gives its own); opts->at still decides time.
 */
BL_MUST_CHECK int att_evidence_verify(enum att_kind kind, const uint8_t *der, size_t len,
                                      const struct att_opts *opts, struct att_claims *out);

/*
 * Check that verified claims bind the subject public key whose DER
 * SubjectPublicKeyInfo is spki[0..len): SNP and TDX report_data[0..48] ==
 * SHA-384(SPKI), SGX report_data[0..32] == SHA-256(SPKI) (constant-time
 * compare). BL_EVERIFY ("evidence.report_data: ...") when not; KVM and NONE
 * have nothing to bind: BL_EINVAL.
 */
BL_MUST_CHECK int att_report_data_check(const struct att_claims *c, const uint8_t *spki,
                                        size_t len);

/* The name of the check that failed last on this thread ("snp.signature"), "" if none. */
const char *att_failed_check(void);

/*
 * Parse an RFC 3339 time in UTC, "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00)"
 * (the fraction is dropped), as `--at` takes it and Intel collateral writes it.
 */
BL_MUST_CHECK int att_parse_time(const char *s, time_t *out);

/* Compare versions a.b with c.d as versions: <0, 0, >0 (for ABI minimums). */
static inline int att_version_cmp(unsigned a_major, unsigned a_minor, unsigned b_major,
                                  unsigned b_minor)
{
	if (a_major != b_major)
		return a_major < b_major ? -1 : 1;
	if (a_minor != b_minor)
		return a_minor < b_minor ? -1 : 1;
	return 0;
}

/*
 * Append the claims as one JSON object (compact, keys in a fixed order; byte
 * strings in lower-case hex): kind, measurement, signer, report_data, debug,
 * tcb {status, date, advisories, and the kind's components}, ids and the
 * kind-specific fields.
 */
BL_MUST_CHECK int att_claims_json(const struct att_claims *c, struct bl_buf *out);

/* Append the claims as readable "key: value" lines. */
BL_MUST_CHECK int att_claims_text(const struct att_claims *c, struct bl_buf *out);

#endif
