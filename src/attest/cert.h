/*
 * cert.h — verified claims as a TCG DICE MultiTcbInfo certificate extension.
 *
 * Encoding follows TCG DICE Attestation Architecture v1.00 §6.1.1 and §6.1.2:
 *
 *   tcg-dice-MultiTcbInfo OBJECT IDENTIFIER ::= { 2 23 133 5 4 5 }
 *   DiceTcbInfoSeq ::= SEQUENCE SIZE (1..MAX) OF DiceTcbInfo
 *   DiceTcbInfo ::= SEQUENCE {
 *       vendor     [0] IMPLICIT UTF8String OPTIONAL,
 *       model      [1] IMPLICIT UTF8String OPTIONAL,
 *       version    [2] IMPLICIT UTF8String OPTIONAL,
 *       svn        [3] IMPLICIT INTEGER OPTIONAL,
 *       layer      [4] IMPLICIT INTEGER OPTIONAL,
 *       index      [5] IMPLICIT INTEGER OPTIONAL,
 *       fwids      [6] IMPLICIT FWIDLIST OPTIONAL,
 *       flags      [7] IMPLICIT OperationalFlags OPTIONAL,
 *       vendorInfo [8] IMPLICIT OCTET STRING OPTIONAL,
 *       type       [9] IMPLICIT OCTET STRING OPTIONAL }
 *   FWIDLIST ::= SEQUENCE SIZE (1..MAX) OF FWID
 *   FWID ::= SEQUENCE { hashAlg OBJECT IDENTIFIER, digest OCTET STRING }
 *   OperationalFlags ::= BIT STRING { notConfigured(0), notSecure(1),
 *                                     recovery(2), debug(3) }
 *
 * How Bailey fills it (docs/steward.md, "Claims"): the first DiceTcbInfo is
 * the platform (vendor "AMD"/"Intel"/"Bailey", model "SEV-SNP"/"SGX"/"TDX"/
 * "KVM", version the firmware or TCB text, svn the platform TCB, fwids the
 * launch measurement, flags debug when the platform allows debugging,
 * vendorInfo the raw platform TCB bytes, type "bailey.platform.v1"); the second,
 * present when the CSR carried a workload, is the workload (vendor "Bailey",
 * model "wasm", layer 1, fwids in this order: main.wasm, Enarx.toml, package
 * tree, type "bailey.workload.v1").
 *
 * The decoder borrows the input; strings are (pointer, length) pairs and are
 * not NUL-terminated. It accepts exactly the subset the encoder writes plus
 * the other optional fields, in order, nothing else.
 */
#ifndef BL_ATTEST_CERT_H
#define BL_ATTEST_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "attest/csr.h"
#include "common/buf.h"
#include "common/err.h"

extern const uint8_t att_oid_multitcbinfo[6];

#define ATT_TCB_MAX_FWIDS 8
#define ATT_TCB_MAX_INFOS 8

enum {
	ATT_TCB_FLAG_NOT_CONFIGURED = 1u << 0,
	ATT_TCB_FLAG_NOT_SECURE = 1u << 1,
	ATT_TCB_FLAG_RECOVERY = 1u << 2,
	ATT_TCB_FLAG_DEBUG = 1u << 3,
};

struct att_bytes {
	const uint8_t *p; /* NULL when absent */
	size_t len;
};

struct att_tcbinfo {
	struct att_bytes vendor, model, version; /* UTF-8 text */
	int has_svn, has_layer, has_index, has_flags;
	uint64_t svn, layer, index;
	uint32_t flags; /* ATT_TCB_FLAG_* (bit n = named bit n) */
	size_t n_fwids;
	struct att_fwid fwids[ATT_TCB_MAX_FWIDS];
	struct att_bytes vendor_info, type;
};

/* A C string as att_bytes (NULL stays absent). */
struct att_bytes att_bytes_str(const char *s);

/* Append the DER DiceTcbInfoSeq of infos[0..n) (the extension's value) to out. */
BL_MUST_CHECK int att_multitcb_encode(const struct att_tcbinfo *infos, size_t n,
                                      struct bl_buf *out);

/* Decode a DiceTcbInfoSeq into infos[0..max); *n gets the count. */
BL_MUST_CHECK int att_multitcb_decode(const uint8_t *der, size_t len, struct att_tcbinfo *infos,
                                      size_t max, size_t *n);

#endif
