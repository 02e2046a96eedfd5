/*
 * bench_steward.c — certificates issued per second for the real SEV-SNP CSR
 * (../shared/vectors/steward/milan.signed.crl.csr) on one thread, next to
 * the cryptography alone measured in the same run with EVP calls:
 *
 * Steward runs as bailey-steward does, with the CA key in a signer child
 * process (privilege separation) that inherits the CPU pin.
 *
 *   peer "crypto"      ECDSA P-384 verify of the CSR self-signature
 *                      + ECDSA P-384 verify of the report signature by the VCEK
 *                      + ECDSA P-384/SHA-384 CA signature over the issued TBSCertificate
 *   peer "crypto+rsa"  the above + the RSASSA-PSS verifications of the AMD chain
 *                      (ASK by ARK, VCEK by ASK, ARK self-signature, the ARK's CRL)
 *
 * usage: bench_steward CSR ASK_ARK_PKIPATH RFC3339_TIME SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attest/csr.h"
#include "attest/tlv.h"
#include "steward/config.h"
#include "steward/service.h"

static const char policy[] =
    "[snp]\nallow = true\n"
    "hash = [\"ff717ae719840c93c1fca3b7db96488454c3c21b43531488eecff51cfed3febcd91da8be87a4cbcbc"
    "52a3bae770987c3\"]\nabi = \"1.51\"\n"
    "min_tcb = { bootloader = 2, tee = 0, snp = 6, microcode = 93 }\n";

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p;
	long n;

	if (!f) {
		perror(path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n);
	if (!p || fread(p, 1, (size_t)n, f) != (size_t)n)
		exit(2);
	fclose(f);
	*len = (size_t)n;
	return p;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_steward: %s: %s\n", what, bl_errmsg());
	exit(1);
}

static int verify(EVP_PKEY *k, const EVP_MD *md, const uint8_t *sig, size_t sig_len,
                  const uint8_t *msg, size_t len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = EVP_DigestVerifyInit(c, NULL, md, NULL, k) == 1 &&
	         EVP_DigestVerify(c, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(c);
	return ok;
}

/* The raw SNP signature (r, s little-endian, 72 bytes each) as a DER ECDSA-Sig-Value. */
static size_t snp_sig_der(const uint8_t *report, uint8_t *out)
{
	uint8_t r[72], s[72];
	ECDSA_SIG *sig = ECDSA_SIG_new();
	unsigned char *p = out;
	int n;

	for (int i = 0; i < 72; i++) {
		r[i] = report[0x2a0 + 71 - i];
		s[i] = report[0x2e8 + 71 - i];
	}
	ECDSA_SIG_set0(sig, BN_bin2bn(r, 72, NULL), BN_bin2bn(s, 72, NULL));
	n = i2d_ECDSA_SIG(sig, &p);
	ECDSA_SIG_free(sig);
	return (size_t)n;
}

struct work {
	struct stw_service *svc;
	const uint8_t *csr_der;
	size_t csr_len;
	struct att_csr *csr;
	struct att_tlv *bits, *info;
	EVP_PKEY *vk;
	const uint8_t *report_sig;
	size_t report_sig_len;
	const uint8_t *report;
	X509 *ark, *ask, *vcek;
	X509_CRL *crl;
	const uint8_t *tbs;
	size_t tbs_len;
	EVP_PKEY *peer_key; /* the CA key, for the peer's in-process signature */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One unit of work: 0 Steward, 1 ECDSA crypto, 2 ECDSA + RSA crypto. */
static void step(struct work *w, int kind)
{
	struct stw_reply r;
	uint8_t sig[256];
	size_t sl = sizeof(sig);
	EVP_MD_CTX *mc;

	if (kind == 0) {
		stw_service_post(w->svc, STW_CT_PKCS10, w->csr_der, w->csr_len, &r);
		if (r.status != 200)
			die("issuance");
		stw_reply_free(&r);
		return;
	}
	mc = EVP_MD_CTX_new();
	if (!verify(w->csr->key, EVP_sha384(), w->bits->body.base + 1, w->bits->body.len - 1,
	            w->info->raw, w->info->raw_len) ||
	    !verify(w->vk, EVP_sha384(), w->report_sig, w->report_sig_len, w->report, 0x2a0))
		die("crypto");
	if (kind == 2 && (X509_verify(w->ark, X509_get0_pubkey(w->ark)) != 1 ||
	                  X509_verify(w->ask, X509_get0_pubkey(w->ark)) != 1 ||
	                  X509_verify(w->vcek, X509_get0_pubkey(w->ask)) != 1 ||
	                  X509_CRL_verify(w->crl, X509_get0_pubkey(w->ark)) != 1))
		die("rsa");
	if (EVP_DigestSignInit(mc, NULL, EVP_sha384(), NULL, w->peer_key) != 1 ||
	    EVP_DigestSign(mc, sig, &sl, w->tbs, w->tbs_len) != 1)
		die("sign");
	EVP_MD_CTX_free(mc);
}

int main(int argc, char **argv)
{
	struct stw_service svc;
	struct stw_config cfg;
	size_t csr_len, path_len;
	uint8_t *csr_der, *pkipath;
	double secs, t0, t;
	long n_issue = 0, n_crypto = 0, n_rsa = 0;

	if (argc != 5) {
		fprintf(stderr, "usage: bench_steward CSR ASK_ARK_PKIPATH TIME SECONDS\n");
		return 2;
	}
	csr_der = slurp(argv[1], &csr_len);
	pkipath = slurp(argv[2], &path_len);
	secs = atof(argv[4]);
	memset(&svc, 0, sizeof(svc));
	if (stw_parse_rfc3339(argv[3], &svc.at) < 0)
		die("time");
	if (stw_config_init(&cfg) < 0 || stw_config_parse(&cfg, policy, strlen(policy), NULL) < 0)
		die("policy");
	if (stw_ca_generate(&svc.ca, 384, "Bench CA", time(NULL) - 60, 30) < 0)
		die("CA");
	svc.policy = cfg.policy;
	svc.lifetime = 86400;
	/* As bailey-steward runs: the CA key in a signer child (on the same pinned CPU). */
	EVP_PKEY *peer_key = svc.ca.key;
	if (!EVP_PKEY_up_ref(peer_key) || stw_ca_privsep(&svc.ca) < 0)
		die("privsep");

	/* The pieces of cryptography, taken from the same request. */
	struct att_csr csr;
	if (att_csr_parse(csr_der, csr_len, &csr) < 0)
		die("CSR");
	struct bl_cur c = bl_cur_make(csr.evidence, csr.evidence_len), inner;
	struct att_tlv ev, pair, vcek_tlv, crls, report;
	if (att_tlv_expect(&c, 0x30, "evidence", &ev) < 0 ||
	    att_tlv_expect(&ev.body, 0x30, "pair", &pair) < 0 ||
	    att_tlv_expect(&pair.body, 0x30, "vcek", &vcek_tlv) < 0 ||
	    att_tlv_expect(&pair.body, 0x30, "crls", &crls) < 0 ||
	    att_tlv_expect(&ev.body, 0x04, "report", &report) < 0)
		die("evidence");
	const unsigned char *p = vcek_tlv.raw;
	X509 *vcek = d2i_X509(NULL, &p, (long)vcek_tlv.raw_len);
	uint8_t report_sig[160];
	size_t report_sig_len = snp_sig_der(report.body.base, report_sig);
	/* CSR signature: the BIT STRING at the end of the request. */
	struct bl_cur rc = bl_cur_make(csr_der, csr_len);
	struct att_tlv req, info, alg, bits;
	if (att_tlv_expect(&rc, 0x30, "req", &req) < 0 ||
	    att_tlv_expect(&req.body, 0x30, "info", &info) < 0 ||
	    att_tlv_expect(&req.body, 0x30, "alg", &alg) < 0 ||
	    att_tlv_expect(&req.body, 0x03, "sig", &bits) < 0)
		die("CSR signature");
	/* ASK and ARK (Milan) and the ARK's CRL from the evidence. */
	STACK_OF(X509) *chain = sk_X509_new_null();
	inner = bl_cur_make(pkipath, path_len);
	struct att_tlv seq, one;
	if (att_tlv_expect(&inner, 0x30, "pkipath", &seq) < 0)
		die("pkipath");
	while (!bl_cur_eof(&seq.body)) {
		if (att_tlv_expect(&seq.body, 0x30, "cert", &one) < 0)
			die("pkipath");
		p = one.raw;
		sk_X509_push(chain, d2i_X509(NULL, &p, (long)one.raw_len));
	}
	X509 *ark = sk_X509_value(chain, 0), *ask = sk_X509_value(chain, 1);
	X509_CRL *crl = NULL;
	struct att_tlv entry, url, crl_tlv;
	while (!bl_cur_eof(&crls.body)) {
		if (att_tlv_expect(&crls.body, 0x30, "crls", &entry) < 0)
			die("crl list");
		struct bl_cur e = entry.body;
		while (!bl_cur_eof(&e)) {
			if (att_tlv_expect(&e, 0x30, "crl entry", &one) < 0)
				die("crl entry");
			struct bl_cur ce = one.body;
			if (att_tlv_expect(&ce, 0x0c, "url", &url) < 0 ||
			    att_tlv_expect(&ce, 0x30, "crl", &crl_tlv) < 0)
				die("crl");
			p = crl_tlv.raw;
			X509_CRL *x = d2i_X509_CRL(NULL, &p, (long)crl_tlv.raw_len);
			if (x && !X509_NAME_cmp(X509_CRL_get_issuer(x), X509_get_subject_name(ark)))
				crl = x;
			else
				X509_CRL_free(x);
		}
	}
	if (!vcek || !ark || !ask || !crl)
		die("collateral");
	if (X509_verify(ask, X509_get0_pubkey(ark)) != 1 ||
	    X509_verify(vcek, X509_get0_pubkey(ask)) != 1)
		die("AMD chain (wrong pkipath?)");

	/* One issuance to check it works and to get a real TBSCertificate to sign. */
	struct stw_reply r;
	stw_service_post(&svc, STW_CT_PKCS10, csr_der, csr_len, &r);
	if (r.status != 200) {
		fprintf(stderr, "bench_steward: issuance failed: %u %.*s", r.status,
		        (int)r.body.len, r.body.p);
		return 1;
	}
	size_t hdr = (r.body.p[1] & 0x80) ? 2 + (r.body.p[1] & 0x7f) : 2;
	p = r.body.p + hdr;
	X509 *ca_cert = d2i_X509(NULL, &p, (long)(r.body.len - hdr));
	X509 *leaf = d2i_X509(NULL, &p, (long)(r.body.p + r.body.len - p));
	unsigned char *tbs = NULL;
	int tbs_len = i2d_re_X509_tbs(leaf, &tbs);
	stw_reply_free(&r);
	if (!ca_cert || !leaf || tbs_len <= 0)
		die("issued certificate");

	/*
	 * The machine is shared: run the three workloads interleaved in short
	 * rounds, so that load from elsewhere hits all of them alike, and report
	 * the median and the best round of each.
	 */
	struct work w = { &svc,
		          csr_der,
		          csr_len,
		          &csr,
		          &bits,
		          &info,
		          X509_get0_pubkey(vcek),
		          report_sig,
		          report_sig_len,
		          report.body.base,
		          ark,
		          ask,
		          vcek,
		          crl,
		          tbs,
		          (size_t)tbs_len,
		          peer_key };
	enum { ROUNDS = 15 };
	double rate[3][ROUNDS];
	double slice = secs / ROUNDS;
	for (int round = 0; round < ROUNDS; round++)
		for (int k = 0; k < 3; k++) {
			long n = 0;
			t0 = now_s();
			do {
				for (int i = 0; i < 5; i++)
					step(&w, k);
				n += 5;
				t = now_s() - t0;
			} while (t < slice);
			rate[k][round] = (double)n / t;
		}
	double med[3], best[3];
	for (int k = 0; k < 3; k++) {
		qsort(rate[k], ROUNDS, sizeof(double), cmp_double);
		med[k] = rate[k][ROUNDS / 2];
		best[k] = rate[k][ROUNDS - 1];
	}
	printf("%-58s %9s %9s\n", "", "median/s", "best/s");
	printf("%-58s %9.1f %9.1f\n", "steward: SNP CSR -> chain, one thread", med[0], best[0]);
	printf("%-58s %9.1f %9.1f\n", "peer: 2x ECDSA P-384 verify + P-384 CA sign", med[1],
	       best[1]);
	printf("%-58s %9.1f %9.1f\n", "peer: the above + AMD RSA-PSS chain and CRL verifies",
	       med[2], best[2]);
	printf("ratio steward / ECDSA-only crypto: median %.1f%%, best %.1f%%  (goal >= 70%%)\n",
	       100.0 * med[0] / med[1], 100.0 * best[0] / best[1]);
	printf("ratio steward / crypto incl. RSA:   median %.1f%%, best %.1f%%\n",
	       100.0 * med[0] / med[2], 100.0 * best[0] / best[2]);
	(void)n_issue;
	(void)n_crypto;
	(void)n_rsa;

	EVP_PKEY_free(peer_key);
	OPENSSL_free(tbs);
	X509_free(leaf);
	X509_free(ca_cert);
	X509_free(vcek);
	X509_CRL_free(crl);
	sk_X509_pop_free(chain, X509_free);
	att_csr_free(&csr);
	stw_ca_free(&svc.ca);
	stw_config_free(&cfg);
	free(csr_der);
	free(pkipath);
	return 0;
}
