/*
 * bench_attest.c — evidence verifications per second (the Steward CSRs'
 * SNP and SGX evidence, as att_evidence_verify runs them) next to the
 * signature verifications they cannot avoid, measured in the same run with
 * EVP: one ECDSA P-384 verify for SNP, three ECDSA P-256 verifies for SGX
 * (QE report, quote, TCB info). Prints both and the ratio.
 * usage: bench_attest SHARED_DIR [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attest/attest.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;

	if (!f)
		return NULL;
	p = malloc(1 << 20);
	*n = fread(p, 1, 1 << 20, f);
	fclose(f);
	return p;
}

static int csr_ev(const char *path, enum att_kind *k, uint8_t **ev, size_t *n)
{
	size_t len;
	uint8_t *der = slurp(path, &len);
	const unsigned char *p = der;
	X509_REQ *req = der ? d2i_X509_REQ(NULL, &p, (long)len) : NULL;
	STACK_OF(X509_EXTENSION) *exts = req ? X509_REQ_get_extensions(req) : NULL;

	for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		char oid[80];

		OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(e), 1);
		if (att_kind_from_oid(oid) == ATT_KIND_NONE)
			continue;
		*k = att_kind_from_oid(oid);
		*n = (size_t)ASN1_STRING_length(X509_EXTENSION_get_data(e));
		*ev = malloc(*n);
		memcpy(*ev, ASN1_STRING_get0_data(X509_EXTENSION_get_data(e)), *n);
	}
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	free(der);
	return *ev ? 0 : -1;
}

static double rate_evidence(enum att_kind k, const uint8_t *ev, size_t n, double secs)
{
	struct att_opts o = { .at = 1675209600 }; /* 2023-02-01 */
	struct att_claims c;
	double t0 = now(), t;
	long count = 0;

	do {
		if (att_evidence_verify(k, ev, n, &o, &c) < 0) {
			fprintf(stderr, "verify failed: %s\n", bl_errmsg());
			exit(1);
		}
		count++;
	} while ((t = now()) - t0 < secs);
	return (double)count / (t - t0);
}

static double rate_ecdsa(const char *curve, double secs)
{
	EVP_PKEY *key = EVP_EC_gen(curve);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const char *md = strcmp(curve, "P-384") ? "SHA256" : "SHA384";
	unsigned char msg[1184] = { 1 }, sig[128];
	size_t siglen = sizeof(sig);
	double t0, t;
	long count = 0;

	EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, key, NULL);
	EVP_DigestSign(ctx, sig, &siglen, msg, sizeof(msg));
	t0 = now();
	do {
		EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, key, NULL);
		if (EVP_DigestVerify(ctx, sig, siglen, msg, sizeof(msg)) != 1)
			exit(1);
		count++;
	} while ((t = now()) - t0 < secs);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return (double)count / (t - t0);
}

int main(int argc, char **argv)
{
	char path[4096];
	uint8_t *snp = NULL, *sgx = NULL;
	size_t snp_n = 0, sgx_n = 0;
	enum att_kind k1, k2;
	double secs = argc > 2 ? atof(argv[2]) : 2.0, r_snp, r_sgx, r384, r256;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_attest SHARED_DIR [SECONDS]\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/vectors/steward/milan.signed.crl.csr", argv[1]);
	if (csr_ev(path, &k1, &snp, &snp_n) < 0) {
		printf("SKIP: %s absent\n", path);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/vectors/steward/icelake.signed.tcb.crl.multi.xeon.csr",
	         argv[1]);
	if (csr_ev(path, &k2, &sgx, &sgx_n) < 0)
		return 1;
	/* Interleave short rounds so that load from other processes falls on
	 * both sides of each ratio alike. */
	r_snp = r_sgx = r384 = r256 = 0;
	for (int round = 0; round < 10; round++) {
		r_snp += rate_evidence(k1, snp, snp_n, secs / 10) / 10;
		r384 += rate_ecdsa("P-384", secs / 10) / 10;
		r_sgx += rate_evidence(k2, sgx, sgx_n, secs / 10) / 10;
		r256 += rate_ecdsa("P-256", secs / 10) / 10;
	}
	printf("SNP evidence (Milan CSR)   %9.0f verifies/s\n", r_snp);
	printf("  ECDSA P-384 verify alone %9.0f /s   ratio %.2f\n", r384, r_snp / r384);
	printf("SGX evidence (Ice Lake CSR)%9.0f verifies/s\n", r_sgx);
	printf("  3x ECDSA P-256 verify    %9.0f /s   ratio %.2f\n", r256 / 3, r_sgx / (r256 / 3));
	free(snp);
	free(sgx);
	return 0;
}
