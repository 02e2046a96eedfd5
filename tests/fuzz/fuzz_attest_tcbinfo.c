/*
 * fuzz_attest_tcbinfo.c — Intel TCB info and QE identity JSON: the signed-span
 * finder, the JSON parse and TCB level selection, with the signature check
 * skipped (att_intel_json_eval) so mutated files reach them. The first byte
 * chooses: bit 0 QE identity (else TCB info), bit 1 TDX (else SGX), bits 2-3
 * which FMSPC the platform has, bit 6 a platform above every level, bit 7 a
 * TDX module major version of 3.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "attest/internal.h"
#include "common/cursor.h"

/* FMSPCs of the real and sample collateral, so that seeds pass the FMSPC check. */
static const uint8_t fmspcs[3][6] = {
	{ 0x00, 0x60, 0x6a, 0x00, 0x00, 0x00 },
	{ 0x00, 0x70, 0x7f, 0x00, 0x00, 0x00 },
	{ 0x00, 0xa0, 0x6d, 0x08, 0x00, 0x00 },
};

/* The QE fields of the seeds' identities (Intel's SGX sample, the real TD QE). */
struct qe_fields {
	uint8_t misc[4], attr[16], mrsigner[32];
	uint16_t prodid;
};
static const struct qe_fields qes[2] = {
	{ { 0xd1, 0x82, 0xb1, 0x8c },
	  { 0x70, 0xc8, 0xcb, 0xf4, 0x8b, 0xd7, 0x6e, 0xab, 0x9c, 0x81, 0x26, 0xce, 0x95, 0xe9,
	    0x6c, 0x90 },
	  { 0x8c, 0x4f, 0x57, 0x75, 0xd7, 0x96, 0x50, 0x3e, 0x96, 0x13, 0x7f,
	    0x77, 0xc6, 0x8a, 0x82, 0x9a, 0x00, 0x56, 0xac, 0x8d, 0xed, 0x70,
	    0x14, 0x0b, 0x08, 0x1b, 0x09, 0x44, 0x90, 0xc5, 0x7b, 0xff },
	  1 },
	{ { 0x00, 0x00, 0x00, 0x00 },
	  { 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	    0x00, 0x00 },
	  { 0xdc, 0x9e, 0x2a, 0x7c, 0x6f, 0x94, 0x8f, 0x17, 0x47, 0x4e, 0x34,
	    0xa7, 0xfc, 0x43, 0xed, 0x03, 0x0f, 0x7c, 0x15, 0x63, 0xf1, 0xba,
	    0xbd, 0xdf, 0x63, 0x40, 0xc8, 0x2e, 0x0e, 0x54, 0xa8, 0xc5 },
	  2 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct qe_fields *q;
	struct att_claims c;
	int tdx;

	if (size < 1)
		return 0;
	tdx = (data[0] & 2) != 0;
	q = &qes[tdx];
	memset(&c, 0, sizeof(c));
	c.kind = tdx ? ATT_KIND_TDX : ATT_KIND_SGX;
	memcpy(c.pck.fmspc, fmspcs[((data[0] >> 2) & 3) % 3], 6);
	memset(c.pck.cpusvn_comp, data[0] & 0x40 ? 0xff : 4, 16);
	c.pck.pcesvn = data[0] & 0x40 ? 0xffff : 11;
	c.pck.qe_isvsvn = 8;
	c.pck.qe_misc_select = bl_dec32le(q->misc);
	memcpy(c.pck.qe_attributes, q->attr, 16);
	memcpy(c.pck.qe_mrsigner, q->mrsigner, 32);
	c.pck.qe_isvprodid = q->prodid;
	c.tdx.tee_tcb_svn[0] = 5;
	c.tdx.tee_tcb_svn[1] = data[0] & 0x80 ? 3 : 0;
	(void)att_intel_json_eval(data + 1, size - 1, data[0] & 1, tdx,
	                          tdx ? 1761955200 : 1675209600, &c);
	return 0;
}
