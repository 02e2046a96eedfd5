/* test_cert.c — DICE MultiTcbInfo encoding (src/attest/cert.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "attest/cert.h"

/* Bytes worked out by hand from TCG DICE Attestation Architecture §6.1.1. */
static void test_exact_der(void **state)
{
	(void)state;
	struct att_tcbinfo t = { 0 };
	struct bl_buf b = BL_BUF_INIT;
	static const uint8_t want[] = {
		0x30, 0x0e, /* DiceTcbInfoSeq */
		0x30, 0x0c, /* DiceTcbInfo */
		0x80, 0x03, 'A',  'M',  'D', /* vendor [0] */
		0x83, 0x01, 0x05, /* svn [3] 5 */
		0x87, 0x02, 0x04, 0x10, /* flags [7]: debug(3) set, 4 unused bits */
	};

	t.vendor = att_bytes_str("AMD");
	t.has_svn = 1;
	t.svn = 5;
	t.has_flags = 1;
	t.flags = ATT_TCB_FLAG_DEBUG;
	assert_int_equal(att_multitcb_encode(&t, 1, &b), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.p, want, sizeof(want));

	/* A large SVN keeps INTEGER positive (leading zero before a set top bit). */
	bl_buf_reset(&b);
	memset(&t, 0, sizeof(t));
	t.has_svn = 1;
	t.svn = 0x80;
	t.has_flags = 1;
	t.flags = 0;
	static const uint8_t want2[] = { 0x30, 0x09, 0x30, 0x07, 0x83, 0x02,
		                         0x00, 0x80, 0x87, 0x01, 0x00 };
	assert_int_equal(att_multitcb_encode(&t, 1, &b), 0);
	assert_int_equal(b.len, sizeof(want2));
	assert_memory_equal(b.p, want2, sizeof(want2));
	bl_buf_free(&b);
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct att_tcbinfo in[2] = { 0 }, out[4];
	struct bl_buf b = BL_BUF_INIT;
	size_t n;

	in[0].vendor = att_bytes_str("AMD");
	in[0].model = att_bytes_str("SEV-SNP");
	in[0].version = att_bytes_str("1.51");
	in[0].has_svn = 1;
	in[0].svn = 0x5d00000000000006ull;
	in[0].n_fwids = 1;
	in[0].fwids[0].alg = BL_SHA384;
	memset(in[0].fwids[0].digest, 0xab, 48);
	in[0].has_flags = 1;
	in[0].flags = ATT_TCB_FLAG_DEBUG | ATT_TCB_FLAG_NOT_SECURE;
	in[0].vendor_info.p = (const uint8_t *)"\x01\x02";
	in[0].vendor_info.len = 2;
	in[0].type = att_bytes_str("bailey.platform.v1");
	in[1].vendor = att_bytes_str("Bailey");
	in[1].has_layer = 1;
	in[1].layer = 1;
	in[1].n_fwids = 3;
	for (int i = 0; i < 3; i++) {
		in[1].fwids[i].alg = BL_SHA256;
		memset(in[1].fwids[i].digest, i + 1, 32);
	}
	assert_int_equal(att_multitcb_encode(in, 2, &b), 0);
	assert_int_equal(att_multitcb_decode(b.p, b.len, out, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].model.len, 7);
	assert_memory_equal(out[0].model.p, "SEV-SNP", 7);
	assert_int_equal(out[0].svn, 0x5d00000000000006ull);
	assert_int_equal(out[0].flags, ATT_TCB_FLAG_DEBUG | ATT_TCB_FLAG_NOT_SECURE);
	assert_int_equal(out[0].n_fwids, 1);
	assert_int_equal(out[0].fwids[0].digest[47], 0xab);
	assert_int_equal(out[0].vendor_info.len, 2);
	assert_false(out[1].has_svn);
	assert_true(out[1].has_layer);
	assert_int_equal(out[1].n_fwids, 3);
	assert_int_equal(out[1].fwids[2].digest[0], 3);
	/* Too small an output array, truncation and trailing bytes are errors. */
	assert_int_equal(att_multitcb_decode(b.p, b.len, out, 1, &n), BL_ERANGE);
	for (size_t k = 0; k < b.len; k += 3)
		assert_true(att_multitcb_decode(b.p, k, out, 4, &n) < 0);
	assert_int_equal(bl_buf_putc(&b, 0), 0);
	assert_true(att_multitcb_decode(b.p, b.len, out, 4, &n) < 0);
	bl_buf_free(&b);
}

static void test_refusals(void **state)
{
	(void)state;
	struct att_tcbinfo out[2];
	size_t n;
	/* Fields out of order (svn before vendor). */
	static const uint8_t order[] = { 0x30, 0x0a, 0x30, 0x08, 0x83, 0x01,
		                         0x05, 0x80, 0x03, 'A',  'M',  'D' };
	/* An empty sequence. */
	static const uint8_t empty[] = { 0x30, 0x00 };
	/* FWID with an unknown hash OID. */
	static const uint8_t fwid[] = { 0x30, 0x0c, 0x30, 0x0a, 0xa6, 0x08, 0x30,
		                        0x06, 0x06, 0x01, 0x2a, 0x04, 0x01, 0x00 };
	/* Negative svn. */
	static const uint8_t neg[] = { 0x30, 0x05, 0x30, 0x03, 0x83, 0x01, 0xff };
	struct att_tcbinfo none[1];

	assert_true(att_multitcb_decode(order, sizeof(order), out, 2, &n) < 0);
	assert_true(att_multitcb_decode(empty, sizeof(empty), out, 2, &n) < 0);
	assert_true(att_multitcb_decode(fwid, sizeof(fwid), out, 2, &n) < 0);
	assert_true(att_multitcb_decode(neg, sizeof(neg), out, 2, &n) < 0);
	struct bl_buf b = BL_BUF_INIT;
	assert_int_equal(att_multitcb_encode(none, 0, &b), BL_EINVAL);
	bl_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_der),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
