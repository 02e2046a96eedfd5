/* util.c — failure reasons, X.509 chains and CRLs, times (internal.h). */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "attest/internal.h"
#include "attest/roots.h"
#include "common/buf.h"
#include "common/codec.h"
#include "common/digest.h"

static _Thread_local char att_check_buf[64];

static int cert_sig_ok(X509 *x, const X509 *issuer);
static int pem_next(struct bl_cur *c, const char *label, struct bl_buf *der);
static int crl_sig_ok(X509_CRL *crl, const X509 *issuer);

const char *att_failed_check(void)
{
	return att_check_buf;
}

void att_reset(void)
{
	att_check_buf[0] = 0;
	bl_err_clear();
}

int att_start(const struct att_opts *o, struct att_claims *out)
{
	memset(out, 0, sizeof(*out));
	att_reset();
	if (!o || !o->at)
		return att_fail(BL_EINVAL, "options", "no verification time given");
	return 0;
}

int att_fail(int code, const char *check, const char *fmt, ...)
{
	char msg[BL_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(att_check_buf, sizeof(att_check_buf), "%s", check);
	ERR_clear_error();
	return bl_err(code, "%s: %s", check, msg);
}

int att_fail_wrap(int code, const char *check)
{
	if (!att_check_buf[0])
		snprintf(att_check_buf, sizeof(att_check_buf), "%s", check);
	return bl_err_wrap(code, "%s: ", check);
}

/* ---- times ---------------------------------------------------------------- */

int att_parse_time(const char *s, time_t *out)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	struct tm tm = { 0 }, back;
	const char *p;
	int n = 0;

	/* Digits where digits belong: sscanf's %d would take signs and spaces. */
	for (size_t i = 0; s && i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return bl_err(BL_EINVAL, "time '%s': not RFC 3339 (YYYY-MM-DDTHH:MM:SSZ)",
			              s);
	if (!s ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
	           &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19)
		return bl_err(BL_EINVAL, "time '%s': not RFC 3339 (YYYY-MM-DDTHH:MM:SSZ)",
		              s ? s : "");
	p = s + n;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return bl_err(BL_EINVAL, "time '%s': bad fraction", s);
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (strcmp(p, "Z") && strcmp(p, "z") && strcmp(p, "+00:00"))
		return bl_err(BL_EINVAL, "time '%s': only UTC (Z) is accepted", s);
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 || tm.tm_year < 1970)
		return bl_err(BL_EINVAL, "time '%s': field out of range", s);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	back = tm;
	*out = timegm(&back);
	/* timegm normalises (February 30 becomes March 2): refuse what moved. */
	if (tm.tm_sec < 60 &&
	    (back.tm_mday != tm.tm_mday || back.tm_mon != tm.tm_mon || back.tm_year != tm.tm_year))
		return bl_err(BL_EINVAL, "time '%s': no such date", s);
	return 0;
}

/* ---- X.509 ---------------------------------------------------------------- */

static int is_pem(const uint8_t *p, size_t n)
{
	static const char tag[] = "-----BEGIN ";
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
		i++;
	return n - i >= sizeof(tag) - 1 && !memcmp(p + i, tag, sizeof(tag) - 1);
}

/*
 * Parsed certificates by SHA-256 of their DER: decoding a certificate costs
 * more than verifying its signature under OpenSSL 3.0, and the same chains
 * (PCK CAs, TCB signing, VCEKs of known hosts) come back with every request.
 * Entries hold a reference; bounded, round-robin, shared under a mutex. A
 * parsed X509 is not modified afterwards (OpenSSL computes its cached
 * extension data under its own lock).
 */
#define X509_CACHE 64
static struct {
	uint8_t dig[32];
	X509 *x;
} x509_cache[X509_CACHE];
static unsigned x509_cache_next;
static pthread_mutex_t x509_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static X509 *x509_cache_get(const uint8_t dig[32])
{
	X509 *x = NULL;

	pthread_mutex_lock(&x509_cache_lock);
	for (unsigned i = 0; i < X509_CACHE && !x; i++)
		if (x509_cache[i].x && !memcmp(x509_cache[i].dig, dig, 32) &&
		    X509_up_ref(x509_cache[i].x))
			x = x509_cache[i].x;
	pthread_mutex_unlock(&x509_cache_lock);
	return x;
}

static void x509_cache_put(const uint8_t dig[32], X509 *x)
{
	X509 *old;

	if (!X509_up_ref(x))
		return;
	pthread_mutex_lock(&x509_cache_lock);
	old = x509_cache[x509_cache_next].x;
	memcpy(x509_cache[x509_cache_next].dig, dig, 32);
	x509_cache[x509_cache_next].x = x;
	x509_cache_next = (x509_cache_next + 1) % X509_CACHE;
	pthread_mutex_unlock(&x509_cache_lock);
	X509_free(old);
}

static X509 *der_to_x509(const uint8_t *p, size_t n)
{
	const unsigned char *q = p;
	uint8_t dig[32];
	int have_dig = bl_digest(BL_SHA256, p, n, dig) == 0;
	X509 *x = have_dig ? x509_cache_get(dig) : NULL;

	if (x)
		return x;
	x = d2i_X509(NULL, &q, (long)n);
	if (x && q != p + n) {
		X509_free(x);
		x = NULL;
	}
	if (x && have_dig)
		x509_cache_put(dig, x);
	return x;
}

X509 *att_x509_load(const uint8_t *p, size_t n, const char *what)
{
	X509 *x = NULL;

	if (!p || !n || n > INT32_MAX) {
		bl_err(BL_EINVAL, "%s: empty certificate", what);
		return NULL;
	}
	if (is_pem(p, n)) {
		struct bl_cur c = bl_cur_make(p, n);
		struct bl_buf der = BL_BUF_INIT;

		if (pem_next(&c, "CERTIFICATE", &der) > 0)
			x = der_to_x509(der.p, der.len);
		bl_buf_free(&der);
	} else {
		x = der_to_x509(p, n);
	}
	if (!x)
		bl_err(BL_EINVAL, "%s: not a DER or PEM X.509 certificate", what);
	ERR_clear_error();
	return x;
}

/*
 * The next PEM block labelled `label` in c, base64-decoded into *der
 * (replacing its contents). Blocks may follow each other without a newline,
 * as in the PCK chains real quotes carry. Returns 1, 0 at the end, or <0.
 */
static int pem_next(struct bl_cur *c, const char *label, struct bl_buf *der)
{
	char begin[64], end[64];
	const uint8_t *rest = c->base + c->pos, *b, *e;
	size_t left = bl_cur_left(c), bl, el, outlen;
	struct bl_buf text = BL_BUF_INIT;
	int rc;

	bl = (size_t)snprintf(begin, sizeof(begin), "-----BEGIN %s-----", label);
	el = (size_t)snprintf(end, sizeof(end), "-----END %s-----", label);
	b = memmem(rest, left, begin, bl);
	if (!b)
		return 0;
	e = memmem(b + bl, left - (size_t)(b + bl - rest), end, el);
	if (!e)
		return bl_err(BL_EINVAL, "PEM: no END line");
	for (const uint8_t *q = b + bl; q < e; q++)
		if (*q != '\n' && *q != '\r' && *q != ' ' && *q != '\t')
			BL_TRY_GOTO(rc, bl_buf_putc(&text, *q), out_free_text);
	bl_buf_reset(der);
	BL_TRY_GOTO(rc, bl_buf_reserve(der, text.len / 4 * 3 + 3), out_free_text);
	BL_TRY_GOTO(rc, bl_b64_decode((const char *)text.p, text.len, der->p, der->cap, &outlen, 0),
	            out_free_text);
	der->len = outlen;
	c->pos = (size_t)(e + el - c->base);
	rc = 1;
out_free_text:
	bl_buf_free(&text);
	return rc;
}

int att_x509_load_many(const uint8_t *p, size_t n, STACK_OF(X509) * *sk, const char *what)
{
	int rc = 0;

	if (!p || !n || n > INT32_MAX)
		return bl_err(BL_EINVAL, "%s: empty certificate list", what);
	if (!*sk && !(*sk = sk_X509_new_null()))
		return bl_err(BL_ENOMEM, "%s: out of memory", what);
	if (is_pem(p, n)) {
		struct bl_cur c = bl_cur_make(p, n);
		struct bl_buf der = BL_BUF_INIT;
		int count = 0;

		while ((rc = pem_next(&c, "CERTIFICATE", &der)) > 0) {
			X509 *x = att_x509_load(der.p, der.len, what);

			if (!x) {
				rc = BL_EINVAL;
				break;
			}
			if (!sk_X509_push(*sk, x)) {
				X509_free(x);
				rc = bl_err(BL_ENOMEM, "%s: out of memory", what);
				break;
			}
			count++;
		}
		bl_buf_free(&der);
		if (!rc && count == 0)
			rc = bl_err(BL_EINVAL, "%s: no PEM certificate", what);
		return rc;
	}
	/* DER: one or more Certificates back to back (SEQUENCE { SEQUENCE tbs
	 * ... }), or one SEQUENCE OF Certificate (SEQUENCE { SEQUENCE { SEQUENCE
	 * tbs ... } ... }). */
	struct bl_cur c = bl_cur_make(p, n), list, outer, first, inner;
	uint8_t t = 0;

	list = c;
	BL_TRY(att_der_get(&c, DER_SEQUENCE, &outer, NULL));
	first = outer;
	BL_TRY(att_der_get(&first, DER_SEQUENCE, &inner, NULL));
	BL_TRY(att_der_peek(&inner, &t));
	if (t == DER_SEQUENCE) {
		BL_TRY(bl_cur_expect_end(&c, what));
		list = outer;
	}
	while (!bl_cur_eof(&list)) {
		struct bl_cur v, whole;
		X509 *x;

		BL_TRY(att_der_get(&list, DER_SEQUENCE, &v, &whole));
		x = att_x509_load(whole.base, whole.len, what);
		if (!x)
			return BL_EINVAL;
		if (!sk_X509_push(*sk, x)) {
			X509_free(x);
			return bl_err(BL_ENOMEM, "%s: out of memory", what);
		}
	}
	if (sk_X509_num(*sk) == 0)
		return bl_err(BL_EINVAL, "%s: empty certificate list", what);
	return 0;
}

/* Parsed CRLs by SHA-256 of their DER, as for certificates above. */
#define CRL_CACHE 16
static struct {
	uint8_t dig[32];
	X509_CRL *crl;
} crl_cache[CRL_CACHE];
static unsigned crl_cache_next;
static pthread_mutex_t crl_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static X509_CRL *der_to_crl(const uint8_t *p, size_t n)
{
	const unsigned char *q = p;
	X509_CRL *crl = NULL, *old = NULL;
	uint8_t dig[32];
	int have_dig = bl_digest(BL_SHA256, p, n, dig) == 0;

	pthread_mutex_lock(&crl_cache_lock);
	for (unsigned i = 0; have_dig && i < CRL_CACHE && !crl; i++)
		if (crl_cache[i].crl && !memcmp(crl_cache[i].dig, dig, 32) &&
		    X509_CRL_up_ref(crl_cache[i].crl))
			crl = crl_cache[i].crl;
	pthread_mutex_unlock(&crl_cache_lock);
	if (crl)
		return crl;
	crl = d2i_X509_CRL(NULL, &q, (long)n);
	if (crl && q != p + n) {
		X509_CRL_free(crl);
		return NULL;
	}
	if (crl && have_dig && X509_CRL_up_ref(crl)) {
		pthread_mutex_lock(&crl_cache_lock);
		old = crl_cache[crl_cache_next].crl;
		memcpy(crl_cache[crl_cache_next].dig, dig, 32);
		crl_cache[crl_cache_next].crl = crl;
		crl_cache_next = (crl_cache_next + 1) % CRL_CACHE;
		pthread_mutex_unlock(&crl_cache_lock);
		X509_CRL_free(old);
	}
	return crl;
}

int att_crl_load(const uint8_t *p, size_t n, STACK_OF(X509_CRL) * *sk, const char *what)
{
	X509_CRL *crl = NULL;

	if (!p || !n || n > INT32_MAX)
		return bl_err(BL_EINVAL, "%s: empty CRL", what);
	if (!*sk && !(*sk = sk_X509_CRL_new_null()))
		return bl_err(BL_ENOMEM, "%s: out of memory", what);
	if (is_pem(p, n)) {
		BIO *b = BIO_new_mem_buf(p, (int)n);

		if (b)
			crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
		BIO_free(b);
	} else {
		crl = der_to_crl(p, n);
	}
	ERR_clear_error();
	if (!crl)
		return bl_err(BL_EINVAL, "%s: not a DER or PEM CRL", what);
	if (!sk_X509_CRL_push(*sk, crl)) {
		X509_CRL_free(crl);
		return bl_err(BL_ENOMEM, "%s: out of memory", what);
	}
	return 0;
}

static int time_in(const ASN1_TIME *nb, const ASN1_TIME *na, time_t at)
{
	/* ASN1_TIME_cmp_time_t: -1 when the ASN.1 time is before t, 1 after, -2 error. */
	int a = ASN1_TIME_cmp_time_t(nb, at), b = na ? ASN1_TIME_cmp_time_t(na, at) : 1;

	return a != -2 && b != -2 && a <= 0 && b >= 0;
}

static void subject_cn(const X509 *x, char *buf, size_t n)
{
	buf[0] = 0;
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf, (int)n) < 0)
		snprintf(buf, n, "(no CN)");
}

/* *checked becomes 1 when at least one CRL of `issuer` was checked (and passed). */
static int check_crls(const X509 *cert, const X509 *issuer, STACK_OF(X509_CRL) * crls, time_t at,
                      const char *prefix, int *checked)
{
	char cn[96], chk[64];

	*checked = 0;

	for (int i = 0; crls && i < sk_X509_CRL_num(crls); i++) {
		X509_CRL *crl = sk_X509_CRL_value(crls, i);
		X509_REVOKED *rev = NULL;
		EVP_PKEY *key;

		if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)))
			continue;
		subject_cn(issuer, cn, sizeof(cn));
		snprintf(chk, sizeof(chk), "%s.crl", prefix);
		key = X509_get0_pubkey(issuer);
		if (!key || !crl_sig_ok(crl, issuer))
			return att_fail(BL_EVERIFY, chk, "CRL of '%s': signature does not verify",
			                cn);
		/* A CRL without nextUpdate (RFC 5280 §5.1.2.5 requires it) would be
		 * current forever: an old one could hide later revocations. */
		if (!X509_CRL_get0_nextUpdate(crl) ||
		    !time_in(X509_CRL_get0_lastUpdate(crl), X509_CRL_get0_nextUpdate(crl), at))
			return att_fail(BL_EVERIFY, chk,
			                "CRL of '%s' is not current at the verification time", cn);
		if (X509_CRL_get0_by_cert(crl, &rev, (X509 *)cert) == 1) {
			char sub[96];

			subject_cn(cert, sub, sizeof(sub));
			snprintf(chk, sizeof(chk), "%s.revoked", prefix);
			return att_fail(BL_EVERIFY, chk,
			                "certificate '%s' is revoked by the CRL of '%s'", sub, cn);
		}
		*checked = 1;
	}
	return 0;
}

static X509 *find_anchor(STACK_OF(X509) * anchors, const X509 *x, int self)
{
	for (int i = 0; i < sk_X509_num(anchors); i++) {
		X509 *a = sk_X509_value(anchors, i);

		if (self ? !X509_cmp(a, x)
		         : !X509_NAME_cmp(X509_get_subject_name(a), X509_get_issuer_name(x)))
			return a;
	}
	return NULL;
}

/*
 * Find the leaf and put the certificates after it in issuing order (some collateral lists
 * the root before the intermediate); certificates off the path are dropped.
 */
static int order_chain(STACK_OF(X509) * chain, const char *prefix)
{
	char chk[64];
	int n = sk_X509_num(chain);
	STACK_OF(X509) *rest = sk_X509_new_null();
	X509 *cur;

	if (!rest)
		return bl_err(BL_ENOMEM, "out of memory");
	/* The leaf is the first certificate that issued none of the others. */
	for (int i = 0; i < n; i++) {
		X509 *x = sk_X509_value(chain, i);
		int issuer = 0;

		for (int j = 0; j < n && !issuer; j++)
			issuer =
			    j != i && !X509_NAME_cmp(X509_get_subject_name(x),
			                             X509_get_issuer_name(sk_X509_value(chain, j)));
		if (!issuer) {
			if (i)
				sk_X509_unshift(chain, sk_X509_delete(chain, i));
			break;
		}
	}
	while (sk_X509_num(chain) > 1)
		sk_X509_push(rest, sk_X509_pop(chain)); /* cannot fail: capacity exists */
	cur = sk_X509_value(chain, 0);
	for (int k = 1; k < n; k++) {
		int found = -1;

		if (!X509_NAME_cmp(X509_get_subject_name(cur), X509_get_issuer_name(cur)))
			break;
		for (int i = 0; i < sk_X509_num(rest); i++)
			if (!X509_NAME_cmp(X509_get_subject_name(sk_X509_value(rest, i)),
			                   X509_get_issuer_name(cur))) {
				found = i;
				break;
			}
		if (found < 0)
			break;
		cur = sk_X509_delete(rest, found);
		if (!sk_X509_push(chain, cur)) {
			X509_free(cur);
			sk_X509_pop_free(rest, X509_free);
			return bl_err(BL_ENOMEM, "out of memory");
		}
	}
	if (sk_X509_num(rest)) {
		char cn[96];

		subject_cn(sk_X509_value(rest, 0), cn, sizeof(cn));
		snprintf(chk, sizeof(chk), "%s.chain", prefix);
		sk_X509_pop_free(rest, X509_free);
		return att_fail(BL_EVERIFY, chk, "'%s' is not on the path from the leaf", cn);
	}
	sk_X509_pop_free(rest, X509_free);
	return 0;
}

int att_chain_verify(STACK_OF(X509) * chain, STACK_OF(X509) * anchors, STACK_OF(X509_CRL) * crls,
                     time_t at, const char *prefix)
{
	return att_chain_verify_crls(chain, anchors, crls, at, prefix, NULL, NULL);
}

int att_chain_verify_crls(STACK_OF(X509) * chain, STACK_OF(X509) * anchors,
                          STACK_OF(X509_CRL) * crls, time_t at, const char *prefix,
                          uint8_t *n_below, uint32_t *crl_checked)
{
	char chk[64], cn[96];
	int n = sk_X509_num(chain), checked;
	X509 *top, *anchor;

	if (n_below)
		*n_below = 0;
	if (crl_checked)
		*crl_checked = 0;

	if (n < 1)
		return att_fail(BL_EINVAL, prefix, "empty certificate chain");
	BL_TRY(order_chain(chain, prefix));
	n = sk_X509_num(chain);
	top = sk_X509_value(chain, n - 1);
	if (!X509_NAME_cmp(X509_get_subject_name(top), X509_get_issuer_name(top))) {
		anchor = find_anchor(anchors, top, 1);
		n--; /* the anchor is checked below, once */
	} else {
		anchor = find_anchor(anchors, top, 0);
	}
	if (!anchor) {
		subject_cn(top, cn, sizeof(cn));
		snprintf(chk, sizeof(chk), "%s.root", prefix);
		return att_fail(BL_EVERIFY, chk, "chain ends at '%s', not a trusted root", cn);
	}
	snprintf(chk, sizeof(chk), "%s.chain", prefix);
	if (!cert_sig_ok(anchor, anchor))
		return att_fail(BL_EVERIFY, chk, "root is not self-signed");
	for (int i = 0; i <= n; i++) {
		X509 *x = i < n ? sk_X509_value(chain, i) : anchor;
		X509 *iss = i + 1 < n ? sk_X509_value(chain, i + 1) : anchor;

		subject_cn(x, cn, sizeof(cn));
		if (!time_in(X509_get0_notBefore(x), X509_get0_notAfter(x), at)) {
			snprintf(chk, sizeof(chk), "%s.expired", prefix);
			return att_fail(BL_EVERIFY, chk,
			                "certificate '%s' is not valid at the verification time",
			                cn);
		}
		if (i == n)
			break;
		snprintf(chk, sizeof(chk), "%s.chain", prefix);
		if (X509_NAME_cmp(X509_get_subject_name(iss), X509_get_issuer_name(x)))
			return att_fail(BL_EVERIFY, chk,
			                "'%s' is not issued by the next certificate", cn);
		if (X509_check_ca(iss) < 1)
			return att_fail(BL_EVERIFY, chk, "issuer of '%s' is not a CA", cn);
		if (!cert_sig_ok(x, iss))
			return att_fail(BL_EVERIFY, chk, "signature of '%s' does not verify", cn);
		BL_TRY(check_crls(x, iss, crls, at, prefix, &checked));
		if (checked && crl_checked && i < 32)
			*crl_checked |= 1u << i;
	}
	if (n_below)
		*n_below = (uint8_t)(n > 255 ? 255 : n);
	ERR_clear_error();
	return 0;
}

/* ---- built-in certificates, parsed once --------------------------------------- */

static const char *const builtin_pem[ATT_BUILTIN_COUNT] = {
	[ATT_BI_MILAN_ARK] = att_root_milan_ark,   [ATT_BI_MILAN_ASK] = att_root_milan_ask,
	[ATT_BI_MILAN_ASVK] = att_root_milan_asvk, [ATT_BI_GENOA_ARK] = att_root_genoa_ark,
	[ATT_BI_GENOA_ASK] = att_root_genoa_ask,   [ATT_BI_GENOA_ASVK] = att_root_genoa_asvk,
	[ATT_BI_TURIN_ARK] = att_root_turin_ark,   [ATT_BI_TURIN_ASK] = att_root_turin_ask,
	[ATT_BI_TURIN_ASVK] = att_root_turin_asvk, [ATT_BI_INTEL_ROOT] = att_root_intel_sgx,
};
static X509 *builtin_x509[ATT_BUILTIN_COUNT];
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_init(void)
{
	for (int i = 0; i < ATT_BUILTIN_COUNT; i++)
		builtin_x509[i] = att_x509_load((const uint8_t *)builtin_pem[i],
		                                strlen(builtin_pem[i]), "built-in certificate");
}

X509 *att_builtin(enum att_builtin which)
{
	X509 *x;

	pthread_once(&builtin_once, builtin_init);
	x = (unsigned)which < ATT_BUILTIN_COUNT ? builtin_x509[which] : NULL;
	if (!x || !X509_up_ref(x)) {
		bl_err(BL_EINTERNAL, "built-in certificate %d unavailable", which);
		return NULL;
	}
	return x;
}

static int push_builtin(STACK_OF(X509) * sk, enum att_builtin which)
{
	X509 *x = att_builtin(which);

	if (!x)
		return BL_EINTERNAL;
	if (!sk_X509_push(sk, x)) {
		X509_free(x);
		return bl_err(BL_ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- verified-signature cache -------------------------------------------------- */

/*
 * A signature that verified once verifies forever: remember (signed object,
 * issuer key) pairs that did, keyed by SHA-256 of the object's DER and of
 * the issuer's public key. Only successes are stored; validity times, CRLs
 * and names are still checked on every call. Bounded (SIG_CACHE entries,
 * replaced round-robin) and shared by threads under a mutex.
 */
#define SIG_CACHE 256
static uint8_t sig_cache[SIG_CACHE][32];
static unsigned sig_cache_next, sig_cache_used;
static pthread_mutex_t sig_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static int sig_key(const uint8_t *der, size_t n, const X509 *issuer, uint8_t out[32])
{
	uint8_t kd[EVP_MAX_MD_SIZE];
	unsigned kl = 0;
	EVP_MD_CTX *ctx;
	int ok;

	if (X509_pubkey_digest(issuer, EVP_sha256(), kd, &kl) != 1)
		return 0;
	ctx = EVP_MD_CTX_new();
	ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, der, n) == 1 && EVP_DigestUpdate(ctx, kd, kl) == 1 &&
	     EVP_DigestFinal_ex(ctx, out, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

static int sig_cached(const uint8_t key[32])
{
	int hit = 0;

	pthread_mutex_lock(&sig_cache_lock);
	for (unsigned i = 0; i < sig_cache_used && !hit; i++)
		hit = !CRYPTO_memcmp(sig_cache[i], key, 32);
	pthread_mutex_unlock(&sig_cache_lock);
	return hit;
}

static void sig_remember(const uint8_t key[32])
{
	pthread_mutex_lock(&sig_cache_lock);
	memcpy(sig_cache[sig_cache_next], key, 32);
	sig_cache_next = (sig_cache_next + 1) % SIG_CACHE;
	if (sig_cache_used < SIG_CACHE)
		sig_cache_used++;
	pthread_mutex_unlock(&sig_cache_lock);
}

/* X509_verify / X509_CRL_verify through the cache: 1 verified, 0 not. */
static int cert_sig_ok(X509 *x, const X509 *issuer)
{
	unsigned char *der = NULL;
	uint8_t key[32];
	int n = i2d_X509(x, &der), ok, keyed;

	keyed = n > 0 && sig_key(der, (size_t)n, issuer, key);
	OPENSSL_free(der);
	if (keyed && sig_cached(key))
		return 1;
	ok = X509_verify(x, X509_get0_pubkey(issuer)) == 1;
	if (ok && keyed)
		sig_remember(key);
	return ok;
}

static int crl_sig_ok(X509_CRL *crl, const X509 *issuer)
{
	unsigned char *der = NULL;
	uint8_t key[32];
	int n = i2d_X509_CRL(crl, &der), ok, keyed;

	keyed = n > 0 && sig_key(der, (size_t)n, issuer, key);
	OPENSSL_free(der);
	if (keyed && sig_cached(key))
		return 1;
	ok = X509_CRL_verify(crl, X509_get0_pubkey(issuer)) == 1;
	if (ok && keyed)
		sig_remember(key);
	return ok;
}

int att_anchors(const struct att_opts *o, int intel, STACK_OF(X509) * *out)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	int rc = 0;

	if (!sk)
		return bl_err(BL_ENOMEM, "out of memory");
	if (o->n_anchors) {
		for (size_t i = 0; i < o->n_anchors; i++) {
			X509 *x = att_x509_load(o->anchors[i].p, o->anchors[i].len, "trust anchor");

			if (!x) {
				rc = BL_EINVAL;
				goto out_free_sk;
			}
			if (!sk_X509_push(sk, x)) {
				X509_free(x);
				rc = bl_err(BL_ENOMEM, "out of memory");
				goto out_free_sk;
			}
		}
	} else if (intel) {
		BL_TRY_GOTO(rc, push_builtin(sk, ATT_BI_INTEL_ROOT), out_free_sk);
	} else {
		BL_TRY_GOTO(rc, push_builtin(sk, ATT_BI_MILAN_ARK), out_free_sk);
		BL_TRY_GOTO(rc, push_builtin(sk, ATT_BI_GENOA_ARK), out_free_sk);
		BL_TRY_GOTO(rc, push_builtin(sk, ATT_BI_TURIN_ARK), out_free_sk);
	}
	*out = sk;
	return 0;
out_free_sk:
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

int att_crls_from_opts(const struct att_opts *o, STACK_OF(X509_CRL) * extra,
                       STACK_OF(X509_CRL) * *out)
{
	STACK_OF(X509_CRL) *sk = sk_X509_CRL_new_null();
	int rc;

	if (!sk)
		return bl_err(BL_ENOMEM, "out of memory");
	for (size_t i = 0; i < o->n_crls; i++)
		BL_TRY_GOTO(rc, att_crl_load(o->crls[i].p, o->crls[i].len, &sk, "CRL"),
		            out_free_sk);
	for (int i = 0; extra && i < sk_X509_CRL_num(extra); i++) {
		X509_CRL *crl = sk_X509_CRL_value(extra, i);

		if (!X509_CRL_up_ref(crl)) {
			rc = bl_err(BL_ENOMEM, "out of memory");
			goto out_free_sk;
		}
		if (!sk_X509_CRL_push(sk, crl)) {
			X509_CRL_free(crl);
			rc = bl_err(BL_ENOMEM, "out of memory");
			goto out_free_sk;
		}
	}
	*out = sk;
	return 0;
out_free_sk:
	sk_X509_CRL_pop_free(sk, X509_CRL_free);
	return rc;
}

const ASN1_OCTET_STRING *att_x509_ext(const X509 *x, const char *dotted)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(dotted, 1);
	int idx;

	if (!obj)
		return NULL;
	idx = X509_get_ext_by_OBJ(x, obj, -1);
	ASN1_OBJECT_free(obj);
	if (idx < 0)
		return NULL;
	return X509_EXTENSION_get_data(X509_get_ext(x, idx));
}

int att_ecdsa_verify_raw(EVP_PKEY *key, const char *md, const uint8_t *msg, size_t msg_len,
                         const uint8_t *r, const uint8_t *s, size_t n, int little_endian,
                         const char *check)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *br, *bs;
	unsigned char *der = NULL;
	EVP_MD_CTX *ctx = NULL;
	int der_len, rc = 0, ok;

	if (!sig)
		return bl_err(BL_ENOMEM, "out of memory");
	br = little_endian ? BN_lebin2bn(r, (int)n, NULL) : BN_bin2bn(r, (int)n, NULL);
	bs = little_endian ? BN_lebin2bn(s, (int)n, NULL) : BN_bin2bn(s, (int)n, NULL);
	if (!br || !bs || !ECDSA_SIG_set0(sig, br, bs)) {
		BN_free(br);
		BN_free(bs);
		rc = bl_err(BL_ENOMEM, "out of memory");
		goto out_free_sig;
	}
	der_len = i2d_ECDSA_SIG(sig, &der);
	if (der_len <= 0) {
		rc = bl_err(BL_ENOMEM, "out of memory");
		goto out_free_sig;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		rc = bl_err(BL_ENOMEM, "out of memory");
		goto out_free_der;
	}
	ok = EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, key, NULL) == 1 &&
	     EVP_DigestVerify(ctx, der, (size_t)der_len, msg, msg_len) == 1;
	if (!ok)
		rc = att_fail(BL_EVERIFY, check, "ECDSA signature does not verify");
	EVP_MD_CTX_free(ctx);
out_free_der:
	OPENSSL_free(der);
out_free_sig:
	ECDSA_SIG_free(sig);
	ERR_clear_error();
	return rc;
}

EVP_PKEY *att_p256_from_xy(const uint8_t xy[64])
{
	uint8_t pt[65];
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	OSSL_PARAM params[3];

	pt[0] = 4;
	memcpy(pt + 1, xy, 64);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt));
	params[2] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return key;
}
