/*
 * tcbinfo.c — Intel TCB info and QE identity collateral (internal.h).
 *
 * Formats: Intel PCS API v3/v4, "TCB Info" (tcbInfo v2 and v3, SGX and TDX)
 * and "Enclave Identity" (enclaveIdentity v2, QE and TD_QE). Each file is
 * {"tcbInfo"|"enclaveIdentity": {...}, "signature": "<hex r||s>"}; the
 * ECDSA P-256 SHA-256 signature covers the exact bytes of the inner object as
 * they appear in the file, so the object's span is found in the raw text
 * (json_span, through the cursor) and that span — and only that span — is
 * what gets parsed and used. TCB level selection follows Intel's QVL: the
 * first level (in file order) whose every SGX component SVN and PCESVN the
 * PCK meets (and, for TDX, every TEE_TCB_SVN byte, the first two left to
 * the TDX module identity when TEE_TCB_SVN[1] > 0).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "attest/internal.h"
#include "common/codec.h"

/* ---- finding the signed span --------------------------------------------- */

static void ws(struct bl_cur *c)
{
	uint8_t b = 0;

	while (bl_cur_peek(c, &b) == 0 && (b == ' ' || b == '\t' || b == '\n' || b == '\r'))
		c->pos++;
}

/* Skip a JSON string (the opening quote is next); s and n get its raw contents. */
static int skip_string(struct bl_cur *c, const uint8_t **s, size_t *n)
{
	uint8_t b = 0;
	size_t start;

	BL_TRY(bl_cur_u8(c, &b));
	if (b != '"')
		return bl_err(BL_EINVAL, "JSON: expected a string at offset %zu", bl_cur_offset(c));
	start = c->pos;
	for (;;) {
		BL_TRY(bl_cur_u8(c, &b));
		if (b == '\\') {
			BL_TRY(bl_cur_skip(c, 1));
			continue;
		}
		if (b == '"')
			break;
	}
	*s = c->base + start;
	*n = c->pos - 1 - start;
	return 0;
}

/* Skip one JSON value of any kind (nesting bounded by the input length). */
static int skip_value(struct bl_cur *c)
{
	size_t depth = 0;
	const uint8_t *s;
	size_t n;
	uint8_t b = 0;

	for (;;) {
		BL_TRY(bl_cur_peek(c, &b));
		if (b == '"') {
			BL_TRY(skip_string(c, &s, &n));
		} else if (b == '{' || b == '[') {
			depth++;
			c->pos++;
		} else if (b == '}' || b == ']') {
			if (depth == 0)
				return 0;
			depth--;
			c->pos++;
		} else if (b == ',' && depth == 0) {
			return 0;
		} else {
			c->pos++;
		}
		if (depth == 0) {
			ws(c);
			BL_TRY(bl_cur_peek(c, &b));
			if (b == ',' || b == '}' || b == ']')
				return 0;
		}
	}
}

/* The raw bytes of the value of top-level member `key` (exactly once). */
static int json_span(const uint8_t *p, size_t len, const char *key, struct bl_cur *span)
{
	struct bl_cur c = bl_cur_make(p, len);
	size_t klen = strlen(key);
	int found = 0;
	uint8_t b = 0;

	ws(&c);
	BL_TRY(bl_cur_u8(&c, &b));
	if (b != '{')
		return bl_err(BL_EINVAL, "JSON: not an object");
	for (;;) {
		const uint8_t *s;
		size_t n, start;

		ws(&c);
		BL_TRY(skip_string(&c, &s, &n));
		ws(&c);
		BL_TRY(bl_cur_u8(&c, &b));
		if (b != ':')
			return bl_err(BL_EINVAL, "JSON: expected ':' at offset %zu",
			              bl_cur_offset(&c));
		ws(&c);
		start = c.pos;
		BL_TRY(skip_value(&c));
		if (n == klen && !memcmp(s, key, n)) {
			if (found++)
				return bl_err(BL_EINVAL, "JSON: member \"%s\" appears twice", key);
			*span = bl_cur_make(p + start, c.pos - start);
			/* trim trailing whitespace inside the span */
			while (span->len && (span->base[span->len - 1] == ' ' ||
			                     span->base[span->len - 1] == '\n' ||
			                     span->base[span->len - 1] == '\r' ||
			                     span->base[span->len - 1] == '\t'))
				span->len--;
		}
		ws(&c);
		BL_TRY(bl_cur_u8(&c, &b));
		if (b == '}')
			break;
		if (b != ',')
			return bl_err(BL_EINVAL, "JSON: expected ',' at offset %zu",
			              bl_cur_offset(&c));
	}
	if (!found)
		return bl_err(BL_EINVAL, "JSON: no \"%s\" member", key);
	return 0;
}

/* ---- small JSON accessors -------------------------------------------------- */

static int get_hex(const json_t *o, const char *k, uint8_t *dst, size_t n, const char *check)
{
	const char *s = json_string_value(json_object_get(o, k));

	if (!s || strlen(s) != 2 * n || bl_hex_decode(s, 2 * n, dst, n) < 0)
		return att_fail(BL_EINVAL, check, "\"%s\" is not %zu bytes of hex", k, n);
	return 0;
}

static int get_uint(const json_t *o, const char *k, json_int_t max, json_int_t *out,
                    const char *check)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return att_fail(BL_EINVAL, check, "\"%s\" is not an integer 0..%lld", k,
		                (long long)max);
	*out = json_integer_value(v);
	return 0;
}

static int check_dates(const json_t *o, time_t at, const char *check)
{
	const char *is = json_string_value(json_object_get(o, "issueDate"));
	const char *nu = json_string_value(json_object_get(o, "nextUpdate"));
	time_t ti, tn;
	char chk[48];

	if (att_parse_time(is, &ti) < 0 || att_parse_time(nu, &tn) < 0)
		return att_fail(BL_EINVAL, check, "bad issueDate or nextUpdate");
	snprintf(chk, sizeof(chk), "%s.expired", check);
	if (at < ti || at > tn)
		return att_fail(BL_EVERIFY, chk,
		                "valid from %s to %s, not at the verification time", is, nu);
	return 0;
}

/*
 * Verify `key`'s signature over the span of member `member` and parse that
 * span. *obj is owned by the caller (json_decref).
 */
static int signed_json(const struct att_blob *b, const char *member, EVP_PKEY *key,
                       const char *check, json_t **obj)
{
	struct bl_cur span = { 0 };
	json_error_t jerr;
	json_t *doc, *inner;
	const char *sig;
	uint8_t rs[64];
	char chk[48];
	int rc;

	rc = json_span(b->p, b->len, member, &span);
	if (rc < 0)
		return att_fail_wrap(rc, check);
	doc = json_loadb((const char *)b->p, b->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc || !json_is_object(doc))
		rc = att_fail(BL_EINVAL, check, "not a JSON object: %s", jerr.text);
	else if (json_object_size(doc) != 2)
		rc =
		    att_fail(BL_EINVAL, check, "expected exactly \"%s\" and \"signature\"", member);
	if (rc < 0)
		goto out_free_doc;
	sig = json_string_value(json_object_get(doc, "signature"));
	if (!sig || strlen(sig) != 128 || bl_hex_decode(sig, 128, rs, 64) < 0) {
		rc = att_fail(BL_EINVAL, check, "\"signature\" is not 64 bytes of hex");
		goto out_free_doc;
	}
	snprintf(chk, sizeof(chk), "%s.signature", check);
	if (key) /* NULL only from att_intel_json_eval (fuzzing) */
		BL_TRY_GOTO(rc,
		            att_ecdsa_verify_raw(key, "SHA256", span.base, span.len, rs, rs + 32,
		                                 32, 0, chk),
		            out_free_doc);
	inner = json_loadb((const char *)span.base, span.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!inner || !json_is_object(inner)) {
		json_decref(inner);
		rc = att_fail(BL_EINVAL, check, "\"%s\" is not an object", member);
		goto out_free_doc;
	}
	*obj = inner;
out_free_doc:
	json_decref(doc);
	return rc;
}

/* ---- status and advisories ------------------------------------------------- */

static int parse_status(const json_t *level, const char *check, enum att_tcb_status *st)
{
	const char *s = json_string_value(json_object_get(level, "tcbStatus"));
	int v = att_tcb_status_parse(s);

	if (v <= 0)
		return att_fail(BL_EINVAL, check, "unknown tcbStatus \"%s\"", s ? s : "");
	*st = (enum att_tcb_status)v;
	return 0;
}

static int add_advisories(const json_t *level, const char *check, struct att_claims *out)
{
	const json_t *arr = json_object_get(level, "advisoryIDs");
	size_t i;
	json_t *v;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return att_fail(BL_EINVAL, check, "advisoryIDs is not an array");
	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(v);
		size_t n = s ? strlen(s) : 0, k;

		if (!n || n >= ATT_ADVISORY_LEN ||
		    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
		              "klmnopqrstuvwxyz0123456789-") != n)
			return att_fail(BL_EINVAL, check, "bad advisory ID");
		for (k = 0; k < out->n_advisories; k++)
			if (!strcmp(out->advisories[k], s))
				break;
		if (k < out->n_advisories)
			continue;
		if (out->n_advisories == ATT_ADVISORY_MAX)
			return att_fail(BL_EUNSUPP, check, "more than %d advisories",
			                ATT_ADVISORY_MAX);
		memcpy(out->advisories[out->n_advisories++], s, n + 1);
	}
	return 0;
}

/*
 * Fold a component's status (QE identity, TDX module) into the platform's,
 * as Intel's QVL converges them: a revoked component revokes; an out-of-date
 * one makes an up-to-date (or hardening-needed) platform OutOfDate and a
 * configuration-needed one OutOfDateConfigurationNeeded.
 */
static enum att_tcb_status fold(enum att_tcb_status platform, enum att_tcb_status part)
{
	if (part == ATT_TCB_REVOKED)
		return ATT_TCB_REVOKED;
	if (part == ATT_TCB_OUT_OF_DATE || part == ATT_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED) {
		switch (platform) {
		case ATT_TCB_UP_TO_DATE:
		case ATT_TCB_SW_HARDENING_NEEDED: return ATT_TCB_OUT_OF_DATE;
		case ATT_TCB_CONFIGURATION_NEEDED:
		case ATT_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED:
			return ATT_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
		default: return platform;
		}
	}
	return platform;
}

/* ---- TCB info ------------------------------------------------------------------ */

static int comp_svn(const json_t *tcb, int version, const char *array, int i, json_int_t *out)
{
	char k[32];

	if (version == 2) {
		snprintf(k, sizeof(k), "sgxtcbcomp%02dsvn", i + 1);
		return get_uint(tcb, k, 65535, out, "tcb_info");
	}
	const json_t *arr = json_object_get(tcb, array);

	if (!json_is_array(arr) || json_array_size(arr) != 16)
		return att_fail(BL_EINVAL, "tcb_info", "\"%s\" is not 16 components", array);
	return get_uint(json_array_get(arr, (size_t)i), "svn", 65535, out, "tcb_info");
}

/* Does the PCK meet the level's SGX components and PCESVN? 1 yes, 0 no, <0 malformed. */
static int sgx_met(const json_t *level, int version, const struct att_claims *c)
{
	const json_t *tcb = json_object_get(level, "tcb");
	json_int_t v;
	int met = 1;

	if (!json_is_object(tcb))
		return att_fail(BL_EINVAL, "tcb_info", "TCB level without \"tcb\"");
	for (int i = 0; i < 16; i++) {
		BL_TRY(comp_svn(tcb, version, "sgxtcbcomponents", i, &v));
		if (c->pck.cpusvn_comp[i] < v)
			met = 0;
	}
	BL_TRY(get_uint(tcb, "pcesvn", 65535, &v, "tcb_info"));
	if (c->pck.pcesvn < v)
		met = 0;
	return met;
}

/*
 * Does TEE_TCB_SVN meet the level's tdxtcbcomponents? Components 0 and 1
 * are the TDX module's SVN and major version: when the major version
 * (TEE_TCB_SVN[1]) is not 0, the module identity grades them instead.
 */
static int tdx_met(const json_t *level, const struct att_claims *c)
{
	const json_t *tcb = json_object_get(level, "tcb");
	int first = c->tdx.tee_tcb_svn[1] > 0 ? 2 : 0, met = 1;
	json_int_t v;

	for (int i = 0; i < 16; i++) {
		BL_TRY(comp_svn(tcb, 3, "tdxtcbcomponents", i, &v));
		if (i >= first && c->tdx.tee_tcb_svn[i] < v)
			met = 0;
	}
	return met;
}

/*
 * Level selection as Intel's QVL (TcbLevelCheck.cpp, matchTcbLevels): the
 * first level, in the file's order, whose SGX components and PCESVN the PCK
 * meets and — for TDX — whose TDX components TEE_TCB_SVN meets too. A
 * revoked level is chosen like any other (its status says Revoked). The
 * chosen level goes to *out.
 */
static int select_level(const json_t *levels, int version, int tdx, const struct att_claims *c,
                        const json_t **out)
{
	const json_t *lv;
	int sgx_found = 0, rc;
	size_t i;

	json_array_foreach(levels, i, lv)
	{
		BL_TRY(rc = sgx_met(lv, version, c));
		if (!rc)
			continue;
		sgx_found = 1;
		if (tdx)
			BL_TRY(rc = tdx_met(lv, c));
		if (rc) {
			*out = lv;
			return 0;
		}
	}
	return att_fail(BL_EVERIFY, "tcb_info.level", "the platform's %s meets no TCB level",
	                sgx_found ? "TEE_TCB_SVN" : "TCB (PCK components and PCESVN)");
}

static int check_seam(const json_t *m, const struct att_claims *c, const char *what)
{
	uint8_t mrsigner[48], attr[8], mask[8], have[8];

	BL_TRY(get_hex(m, "mrsigner", mrsigner, 48, "tcb_info"));
	BL_TRY(get_hex(m, "attributes", attr, 8, "tcb_info"));
	BL_TRY(get_hex(m, "attributesMask", mask, 8, "tcb_info"));
	for (int i = 0; i < 8; i++)
		have[i] = (uint8_t)(c->tdx.seam_attributes >> (8 * i));
	if (memcmp(mrsigner, c->tdx.mrsignerseam, 48))
		return att_fail(BL_EVERIFY, "tcb_info.tdx_module", "%s: MRSIGNERSEAM differs",
		                what);
	for (int i = 0; i < 8; i++)
		if ((have[i] & mask[i]) != (attr[i] & mask[i]))
			return att_fail(BL_EVERIFY, "tcb_info.tdx_module",
			                "%s: SEAM attributes differ under the mask", what);
	return 0;
}

/* TDX module identity for TEE_TCB_SVN[1] (the module's major version) > 0. */
static int tdx_module_identity(const json_t *ti, struct att_claims *c)
{
	const json_t *ids = json_object_get(ti, "tdxModuleIdentities"), *m, *lv;
	char want[16];
	size_t i;

	if (c->tdx.tee_tcb_svn[1] == 0)
		return 0;
	if (!json_is_array(ids))
		return att_fail(
		    BL_EVERIFY, "tcb_info.tdx_module",
		    "TCB info has no tdxModuleIdentities for TDX module major version %u",
		    c->tdx.tee_tcb_svn[1]);
	snprintf(want, sizeof(want), "TDX_%02X", c->tdx.tee_tcb_svn[1]);
	json_array_foreach(ids, i, m)
	{
		const char *id = json_string_value(json_object_get(m, "id"));
		const json_t *levels = json_object_get(m, "tcbLevels");
		size_t k;

		if (!id || strcmp(id, want))
			continue;
		BL_TRY(check_seam(m, c, want));
		json_array_foreach(levels, k, lv)
		{
			json_int_t isvsvn;
			enum att_tcb_status st;

			BL_TRY(get_uint(json_object_get(lv, "tcb"), "isvsvn", 255, &isvsvn,
			                "tcb_info"));
			if (c->tdx.tee_tcb_svn[0] < isvsvn)
				continue;
			BL_TRY(parse_status(lv, "tcb_info", &st));
			c->tcb_status = fold(c->tcb_status, st);
			return add_advisories(lv, "tcb_info", c);
		}
		return att_fail(BL_EVERIFY, "tcb_info.tdx_module",
		                "TDX module %s SVN %u meets no level", want, c->tdx.tee_tcb_svn[0]);
	}
	return att_fail(BL_EVERIFY, "tcb_info.tdx_module", "no identity for TDX module %s", want);
}

static int apply_tcb_info(const struct att_blob *b, EVP_PKEY *key, time_t at, int tdx,
                          struct att_claims *c)
{
	const char *want_id = tdx ? "TDX" : "SGX", *id, *date;
	const json_t *levels, *lv = NULL;
	uint8_t fmspc[6], pceid[2];
	json_int_t version;
	json_t *ti = NULL;
	int rc;

	BL_TRY(signed_json(b, "tcbInfo", key, "tcb_info", &ti));
	id = json_string_value(json_object_get(ti, "id"));
	BL_TRY_GOTO(rc, get_uint(ti, "version", 1000, &version, "tcb_info"), out_free_ti);
	if (id ? strcmp(id, want_id) != 0 : tdx) {
		rc = att_fail(BL_EVERIFY, "tcb_info.id", "TCB info is for \"%s\", not %s",
		              id ? id : "SGX", want_id);
		goto out_free_ti;
	}
	if (version != 2 && version != 3) {
		rc = att_fail(BL_EUNSUPP, "tcb_info.version", "TCB info version %lld",
		              (long long)version);
		goto out_free_ti;
	}
	if (tdx && version != 3) {
		rc = att_fail(BL_EUNSUPP, "tcb_info.version", "TDX TCB info must be version 3");
		goto out_free_ti;
	}
	if (json_object_get(ti, "tcbType")) {
		json_int_t type;

		BL_TRY_GOTO(rc, get_uint(ti, "tcbType", 1000, &type, "tcb_info"), out_free_ti);
		if (type != 0) {
			rc = att_fail(BL_EUNSUPP, "tcb_info.version", "tcbType %lld (0 supported)",
			              (long long)type);
			goto out_free_ti;
		}
	}
	BL_TRY_GOTO(rc, check_dates(ti, at, "tcb_info"), out_free_ti);
	if (json_object_get(ti, "tcbEvaluationDataNumber")) {
		json_int_t num;

		BL_TRY_GOTO(rc,
		            get_uint(ti, "tcbEvaluationDataNumber", UINT32_MAX, &num, "tcb_info"),
		            out_free_ti);
		c->tcb_eval_num = (uint32_t)num;
	}
	BL_TRY_GOTO(rc, get_hex(ti, "fmspc", fmspc, 6, "tcb_info"), out_free_ti);
	BL_TRY_GOTO(rc, get_hex(ti, "pceId", pceid, 2, "tcb_info"), out_free_ti);
	if (memcmp(fmspc, c->pck.fmspc, 6)) {
		rc = att_fail(BL_EVERIFY, "tcb_info.fmspc",
		              "TCB info FMSPC %02x%02x%02x%02x%02x%02x is not the PCK's", fmspc[0],
		              fmspc[1], fmspc[2], fmspc[3], fmspc[4], fmspc[5]);
		goto out_free_ti;
	}
	if (memcmp(pceid, c->pck.pceid, 2)) {
		rc = att_fail(BL_EVERIFY, "tcb_info.pceid", "TCB info PCE ID is not the PCK's");
		goto out_free_ti;
	}
	/* SEAM identity: tdxModule for module major version 0, else the
	 * "TDX_nn" module identity (checked with its level below). */
	if (tdx && c->tdx.tee_tcb_svn[1] == 0) {
		if (!json_is_object(json_object_get(ti, "tdxModule"))) {
			rc = att_fail(BL_EVERIFY, "tcb_info.tdx_module",
			              "TDX TCB info has no tdxModule to check the SEAM identity");
			goto out_free_ti;
		}
		BL_TRY_GOTO(rc, check_seam(json_object_get(ti, "tdxModule"), c, "tdxModule"),
		            out_free_ti);
	}
	levels = json_object_get(ti, "tcbLevels");
	if (!json_is_array(levels)) {
		rc = att_fail(BL_EINVAL, "tcb_info", "no tcbLevels array");
		goto out_free_ti;
	}
	BL_TRY_GOTO(rc, select_level(levels, (int)version, tdx, c, &lv), out_free_ti);
	BL_TRY_GOTO(rc, parse_status(lv, "tcb_info", &c->tcb_status), out_free_ti);
	date = json_string_value(json_object_get(lv, "tcbDate"));
	if (date && (strlen(date) >= sizeof(c->tcb_date) ||
	             strspn(date, "0123456789-:.TZ") != strlen(date))) {
		rc = att_fail(BL_EINVAL, "tcb_info", "bad tcbDate");
		goto out_free_ti;
	}
	snprintf(c->tcb_date, sizeof(c->tcb_date), "%s", date ? date : "");
	BL_TRY_GOTO(rc, add_advisories(lv, "tcb_info", c), out_free_ti);
	if (tdx && c->tcb_status != ATT_TCB_REVOKED)
		BL_TRY_GOTO(rc, tdx_module_identity(ti, c), out_free_ti);
	rc = 0;
out_free_ti:
	json_decref(ti);
	return rc;
}

/* ---- QE identity ------------------------------------------------------------------ */

static int apply_qe_identity(const struct att_blob *b, EVP_PKEY *key, time_t at, int tdx,
                             struct att_claims *c)
{
	const char *want_id = tdx ? "TD_QE" : "QE", *id;
	uint8_t misc[4], misc_mask[4], attr[16], attr_mask[16], mrsigner[32];
	const json_t *levels, *lv;
	json_int_t version, prodid;
	uint32_t m, mm;
	json_t *qi = NULL;
	size_t i;
	int rc;

	BL_TRY(signed_json(b, "enclaveIdentity", key, "qe_identity", &qi));
	id = json_string_value(json_object_get(qi, "id"));
	if (!id || strcmp(id, want_id)) {
		rc = att_fail(BL_EVERIFY, "qe_identity.id", "identity is \"%s\", not %s",
		              id ? id : "", want_id);
		goto out_free_qi;
	}
	BL_TRY_GOTO(rc, get_uint(qi, "version", 1000, &version, "qe_identity"), out_free_qi);
	if (version != 2) {
		rc = att_fail(BL_EUNSUPP, "qe_identity.version", "QE identity version %lld",
		              (long long)version);
		goto out_free_qi;
	}
	BL_TRY_GOTO(rc, check_dates(qi, at, "qe_identity"), out_free_qi);
	BL_TRY_GOTO(rc, get_hex(qi, "miscselect", misc, 4, "qe_identity"), out_free_qi);
	BL_TRY_GOTO(rc, get_hex(qi, "miscselectMask", misc_mask, 4, "qe_identity"), out_free_qi);
	BL_TRY_GOTO(rc, get_hex(qi, "attributes", attr, 16, "qe_identity"), out_free_qi);
	BL_TRY_GOTO(rc, get_hex(qi, "attributesMask", attr_mask, 16, "qe_identity"), out_free_qi);
	BL_TRY_GOTO(rc, get_hex(qi, "mrsigner", mrsigner, 32, "qe_identity"), out_free_qi);
	BL_TRY_GOTO(rc, get_uint(qi, "isvprodid", 65535, &prodid, "qe_identity"), out_free_qi);
	/* The hex is the report's MISCSELECT bytes in memory order (as Intel's
	 * sample collateral shows), i.e. the little-endian u32. */
	m = bl_dec32le(misc);
	mm = bl_dec32le(misc_mask);
	rc = 0;
	if ((c->pck.qe_misc_select & mm) != (m & mm))
		rc = att_fail(BL_EVERIFY, "qe_identity.miscselect", "QE MISCSELECT differs");
	for (int k = 0; k < 16 && !rc; k++)
		if ((c->pck.qe_attributes[k] & attr_mask[k]) != (attr[k] & attr_mask[k]))
			rc = att_fail(BL_EVERIFY, "qe_identity.attributes",
			              "QE ATTRIBUTES differ under the mask");
	if (!rc && memcmp(mrsigner, c->pck.qe_mrsigner, 32))
		rc = att_fail(BL_EVERIFY, "qe_identity.mrsigner", "QE MRSIGNER differs");
	if (!rc && prodid != c->pck.qe_isvprodid)
		rc = att_fail(BL_EVERIFY, "qe_identity.isvprodid", "QE ISVPRODID %u is not %lld",
		              c->pck.qe_isvprodid, (long long)prodid);
	if (rc < 0)
		goto out_free_qi;
	levels = json_object_get(qi, "tcbLevels");
	json_array_foreach(levels, i, lv)
	{
		json_int_t isvsvn;

		BL_TRY_GOTO(
		    rc,
		    get_uint(json_object_get(lv, "tcb"), "isvsvn", 65535, &isvsvn, "qe_identity"),
		    out_free_qi);
		if (c->pck.qe_isvsvn < isvsvn)
			continue;
		BL_TRY_GOTO(rc, parse_status(lv, "qe_identity", &c->qe_status), out_free_qi);
		if (c->tcb_status != ATT_TCB_UNKNOWN)
			c->tcb_status = fold(c->tcb_status, c->qe_status);
		rc = add_advisories(lv, "qe_identity", c);
		goto out_free_qi;
	}
	rc = att_fail(BL_EVERIFY, "qe_identity.level", "QE ISVSVN %u meets no level",
	              c->pck.qe_isvsvn);
out_free_qi:
	json_decref(qi);
	return rc;
}

int att_intel_tcb_apply(const struct att_intel_collateral *col, STACK_OF(X509) * anchors,
                        STACK_OF(X509_CRL) * crls, time_t at, int tdx, struct att_claims *out)
{
	EVP_PKEY *key;

	if (!col->tcb_info.len && !col->qe_identity.len)
		return 0;
	if (!col->tcb_chain || sk_X509_num(col->tcb_chain) < 1)
		return att_fail(BL_EINVAL, "tcb_signing.chain",
		                "TCB info or QE identity given without the TCB signing chain");
	BL_TRY(att_chain_verify(col->tcb_chain, anchors, crls, col->chain_at ? col->chain_at : at,
	                        "tcb_signing"));
	/* Only Intel's TCB signing certificate, issued by the root itself, signs
	 * collateral: a PCK key (which a platform holds) must not. */
	{
		const X509 *leaf = sk_X509_value(col->tcb_chain, 0);
		char cn[96] = "";
		int n = sk_X509_num(col->tcb_chain);

		X509_NAME_get_text_by_NID(X509_get_subject_name(leaf), NID_commonName, cn,
		                          sizeof(cn));
		/* After att_chain_verify the chain is in issuing order and a
		 * self-issued last certificate is an anchor: the leaf stands alone
		 * (its issuer an anchor) or is followed by that anchor only. */
		const X509 *up = n == 2 ? sk_X509_value(col->tcb_chain, 1) : NULL;

		if (strcmp(cn, "Intel SGX TCB Signing") || n > 2 ||
		    (up && X509_NAME_cmp(X509_get_subject_name(up), X509_get_issuer_name(up))))
			return att_fail(BL_EVERIFY, "tcb_signing.chain",
			                "'%s' (chain of %d) is not the Intel SGX TCB Signing "
			                "certificate under the root",
			                cn, n);
	}
	key = X509_get0_pubkey(sk_X509_value(col->tcb_chain, 0));
	if (!key || !EVP_PKEY_is_a(key, "EC"))
		return att_fail(BL_EVERIFY, "tcb_signing.key", "TCB signing key is not ECDSA");
	if (col->tcb_info.len)
		BL_TRY(apply_tcb_info(&col->tcb_info, key, at, tdx, out));
	if (col->qe_identity.len)
		BL_TRY(apply_qe_identity(&col->qe_identity, key, at, tdx, out));
	return 0;
}

int att_intel_json_eval(const uint8_t *p, size_t len, int qe, int tdx, time_t at,
                        struct att_claims *c)
{
	struct att_blob b = { p, len };

	att_reset();
	return qe ? apply_qe_identity(&b, NULL, at, tdx, c) : apply_tcb_info(&b, NULL, at, tdx, c);
}
