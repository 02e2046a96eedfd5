/*
 * cmd_attest.c — `bailey attest verify`: verify SEV-SNP, SGX or TDX evidence
 * offline, as of a given time, and print the verified claims (attest.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/attest.h"
#include "cli/cli.h"
#include "common/buf.h"

#define ATTEST_FILE_MAX (16u << 20)
#define ATTEST_MAX_LIST 16

static void attest_usage(FILE *f)
{
	fprintf(f,
	        "usage: bailey attest verify --kind snp|sgx|tdx [OPTIONS] FILE\n"
	        "       bailey attest verify --csr [OPTIONS] CSR\n\n"
	        "Verifies hardware attestation evidence as of a time and prints the verified\n"
	        "claims. FILE is a raw SEV-SNP report or an SGX/TDX quote; with --csr, the\n"
	        "evidence extension of a PKCS#10 CSR (DER or PEM) is verified with the collateral\n"
	        "it carries, and its report data must bind the CSR's public key.\n"
	        "Exit status: 0 verified, 1 a check failed (it is named), 2 bad usage or input.\n\n"
	        "  --kind KIND             snp, sgx or tdx (not with --csr)\n"
	        "  --csr                   FILE is a CSR carrying evidence\n"
	        "  --at TIME               verify as of TIME, RFC 3339 UTC (default: now)\n"
	        "  --vcek F                SNP: VCEK or VLEK certificate (DER or PEM)\n"
	        "  --ask F, --ark F        SNP: override the built-in ASK/ASVK or ARK\n"
	        "  --pck-chain F           SGX/TDX: PCK chain when the quote does not carry it\n"
	        "  --tcb-info F            SGX/TDX: Intel TCB info JSON\n"
	        "  --qe-identity F         SGX/TDX: Intel QE / TD QE identity JSON\n"
	        "  --tcb-signing-chain F   certificates that signed the TCB info / QE identity\n"
	        "  --tcb-signing-at TIME   judge the TCB signing chain at TIME (renewed certs)\n"
	        "  --crl F                 a CRL (DER or PEM); repeatable\n"
	        "  --anchor F              trust anchor replacing the built-in roots; repeatable\n"
	        "  --json                  print the claims as one JSON object\n"
	        "  -h, --help              this text\n\n"
	        "Without --tcb-info the TCB status is reported as Unknown.\n");
}

/* Read a whole file (at most ATTEST_FILE_MAX bytes) into b. */
static int read_file(const char *path, struct bl_buf *b)
{
	FILE *f = fopen(path, "rb");
	uint8_t chunk[65536];
	size_t n;
	int rc = 0;

	if (!f)
		return bl_err(BL_EIO, "%s: %s", path, strerror(errno));
	b->limit = ATTEST_FILE_MAX;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((rc = bl_buf_append(b, chunk, n)) < 0)
			break;
	if (!rc && ferror(f))
		rc = bl_err(BL_EIO, "%s: read error", path);
	fclose(f);
	if (rc < 0)
		return bl_err_wrap(rc, "%s: ", path);
	return 0;
}

struct attest_args {
	struct bl_buf files[8 + 2 * ATTEST_MAX_LIST];
	size_t nfiles;
	struct att_blob crls[ATTEST_MAX_LIST], anchors[ATTEST_MAX_LIST];
	struct att_opts o;
};

static int load_blob(struct attest_args *a, const char *path, struct att_blob *out)
{
	struct bl_buf *b;

	if (a->nfiles == sizeof(a->files) / sizeof(a->files[0]))
		return bl_err(BL_ERANGE, "too many files");
	b = &a->files[a->nfiles++];
	BL_TRY(read_file(path, b));
	out->p = b->p;
	out->len = b->len;
	return 0;
}

/* The evidence extension of a CSR: its kind, the DER value, and the DER SPKI. */
static int csr_evidence(const struct bl_buf *csr, enum att_kind *kind, struct bl_buf *value,
                        struct bl_buf *spki)
{
	const unsigned char *p = csr->p;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	unsigned char *der = NULL;
	X509_REQ *req;
	int rc = 0, found = 0, n;

	req = d2i_X509_REQ(NULL, &p, (long)csr->len);
	if (!req) {
		BIO *bio = BIO_new_mem_buf(csr->p, (int)csr->len);

		req = bio ? PEM_read_bio_X509_REQ(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
	}
	if (!req) {
		ERR_clear_error();
		return bl_err(BL_EINVAL, "not a DER or PEM PKCS#10 CSR");
	}
	if (X509_REQ_verify(req, X509_REQ_get0_pubkey(req)) != 1) {
		rc = bl_err(BL_EVERIFY, "csr.signature: the CSR's self-signature does not verify");
		goto out_free_req;
	}
	exts = X509_REQ_get_extensions(req);
	for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
		char oid[80];
		enum att_kind k;
		const ASN1_OCTET_STRING *os;

		OBJ_obj2txt(oid, sizeof(oid), X509_EXTENSION_get_object(e), 1);
		k = att_kind_from_oid(oid);
		if (k == ATT_KIND_NONE)
			continue;
		if (found++) {
			rc = bl_err(BL_EINVAL, "CSR carries more than one evidence extension");
			goto out_free_exts;
		}
		os = X509_EXTENSION_get_data(e);
		*kind = k;
		BL_TRY_GOTO(
		    rc,
		    bl_buf_append(value, ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os)),
		    out_free_exts);
	}
	if (!found) {
		rc = bl_err(BL_EINVAL, "CSR carries no evidence extension");
		goto out_free_exts;
	}
	n = i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &der);
	if (n <= 0) {
		rc = bl_err(BL_EINVAL, "CSR public key cannot be encoded");
		goto out_free_exts;
	}
	rc = bl_buf_append(spki, der, (size_t)n);
	OPENSSL_free(der);
out_free_exts:
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
out_free_req:
	X509_REQ_free(req);
	ERR_clear_error();
	return rc;
}

static int exit_for(int rc)
{
	return rc == BL_EVERIFY || rc == BL_EPERM ? CLI_FAIL : CLI_USAGE;
}

static int verify_main(int argc, char **argv)
{
	enum {
		O_AT = 256,
		O_VCEK,
		O_ASK,
		O_ARK,
		O_PCK,
		O_TCB,
		O_QEID,
		O_CHAIN,
		O_CHAIN_AT,
		O_CRL,
		O_ANCHOR,
		O_JSON,
		O_CSR,
		O_KIND
	};
	static const struct option lopts[] = {
		{ "kind", required_argument, NULL, O_KIND },
		{ "csr", no_argument, NULL, O_CSR },
		{ "at", required_argument, NULL, O_AT },
		{ "vcek", required_argument, NULL, O_VCEK },
		{ "ask", required_argument, NULL, O_ASK },
		{ "ark", required_argument, NULL, O_ARK },
		{ "pck-chain", required_argument, NULL, O_PCK },
		{ "tcb-info", required_argument, NULL, O_TCB },
		{ "qe-identity", required_argument, NULL, O_QEID },
		{ "tcb-signing-chain", required_argument, NULL, O_CHAIN },
		{ "tcb-signing-at", required_argument, NULL, O_CHAIN_AT },
		{ "crl", required_argument, NULL, O_CRL },
		{ "anchor", required_argument, NULL, O_ANCHOR },
		{ "json", no_argument, NULL, O_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct attest_args a; /* large; one use per process */
	struct bl_buf input = BL_BUF_INIT, value = BL_BUF_INIT, spki = BL_BUF_INIT,
	              out = BL_BUF_INIT;
	struct att_claims claims;
	int c, kind = -1, csr = 0, json = 0, status = CLI_USAGE, rc = 0;
	struct att_blob tmp;

	memset(&a, 0, sizeof(a));
	a.o.crls = a.crls;
	a.o.anchors = a.anchors;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case O_KIND:
			kind = att_kind_parse(optarg);
			if (kind != ATT_KIND_SNP && kind != ATT_KIND_SGX && kind != ATT_KIND_TDX) {
				fprintf(stderr,
				        "bailey: attest verify: --kind must be snp, sgx or tdx\n");
				goto out_usage;
			}
			break;
		case O_CSR: csr = 1; break;
		case O_JSON: json = 1; break;
		case O_AT:
		case O_CHAIN_AT:
			if (att_parse_time(optarg, c == O_AT ? &a.o.at : &a.o.tcb_signing_at) < 0) {
				cli_errorf("attest verify: %s",
				           c == O_AT ? "--at" : "--tcb-signing-at");
				goto out_usage;
			}
			break;
		case O_VCEK: rc = load_blob(&a, optarg, &a.o.vcek); break;
		case O_ASK: rc = load_blob(&a, optarg, &a.o.ask); break;
		case O_ARK: rc = load_blob(&a, optarg, &a.o.ark); break;
		case O_PCK: rc = load_blob(&a, optarg, &a.o.pck_chain); break;
		case O_TCB: rc = load_blob(&a, optarg, &a.o.tcb_info); break;
		case O_QEID: rc = load_blob(&a, optarg, &a.o.qe_identity); break;
		case O_CHAIN: rc = load_blob(&a, optarg, &a.o.tcb_signing_chain); break;
		case O_CRL:
		case O_ANCHOR: {
			size_t *n = c == O_CRL ? &a.o.n_crls : &a.o.n_anchors;

			if (*n == ATTEST_MAX_LIST) {
				fprintf(stderr, "bailey: attest verify: at most %d of each list\n",
				        ATTEST_MAX_LIST);
				goto out_usage;
			}
			rc = load_blob(&a, optarg, &tmp);
			(c == O_CRL ? a.crls : a.anchors)[(*n)++] = tmp;
			break;
		}
		case 'h': attest_usage(stdout); return CLI_OK;
		default: attest_usage(stderr); goto out_usage;
		}
		if (rc < 0) {
			cli_errorf("attest verify");
			goto out_usage;
		}
	}
	if (optind != argc - 1 || (csr ? kind != -1 : kind == -1)) {
		attest_usage(stderr);
		goto out_usage;
	}
	if (!a.o.at)
		a.o.at = time(NULL);
	if (read_file(argv[optind], &input) < 0) {
		cli_errorf("attest verify");
		goto out_usage;
	}
	if (csr) {
		enum att_kind k = ATT_KIND_NONE;

		rc = csr_evidence(&input, &k, &value, &spki);
		if (rc < 0) {
			cli_errorf("attest verify: %s", argv[optind]);
			status = exit_for(rc);
			goto out_free;
		}
		rc = att_evidence_verify(k, value.p, value.len, &a.o, &claims);
		if (rc == 0 && k != ATT_KIND_KVM)
			rc = att_report_data_check(&claims, spki.p, spki.len);
	} else if (kind == ATT_KIND_SNP) {
		rc = att_snp_verify(input.p, input.len, &a.o, &claims);
	} else if (kind == ATT_KIND_SGX) {
		rc = att_sgx_verify(input.p, input.len, &a.o, &claims);
	} else {
		rc = att_tdx_verify(input.p, input.len, &a.o, &claims);
	}
	if (rc < 0) {
		cli_errorf("attest verify: %s: check %s failed", argv[optind],
		           att_failed_check()[0] ? att_failed_check() : "evidence.format");
		status = exit_for(rc);
		goto out_free;
	}
	rc = json ? att_claims_json(&claims, &out) : att_claims_text(&claims, &out);
	if (rc < 0) {
		cli_errorf("attest verify");
		status = CLI_USAGE;
		goto out_free;
	}
	fputs((const char *)out.p, stdout);
	status = CLI_OK;
out_free:
	bl_buf_free(&out);
	bl_buf_free(&spki);
	bl_buf_free(&value);
	bl_buf_free(&input);
out_usage:
	for (size_t i = 0; i < a.nfiles; i++)
		bl_buf_free(&a.files[i]);
	return status;
}

int cmd_attest(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "verify"))
		return verify_main(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		attest_usage(stdout);
		return CLI_OK;
	}
	attest_usage(stderr);
	return CLI_USAGE;
}
