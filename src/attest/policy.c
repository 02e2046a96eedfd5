/* policy.c — per-kind acceptance rules from TOML; see policy.h for the contract. */
#include "attest/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "common/buf.h"
#include "common/codec.h"

#define HEX_MAX 64

struct hexlist {
	size_t n;
	size_t len; /* bytes per entry */
	uint8_t (*v)[HEX_MAX];
};

struct strlist {
	size_t n;
	char **v;
};

struct fwlist {
	size_t n;
	struct att_fwid *v;
};

struct rules {
	int present, allow;
	int require_crls; /* default 1 for the hardware kinds */
	int has_min_eval;
	unsigned min_eval; /* Intel tcbEvaluationDataNumber minimum */
	unsigned vmpl_mask; /* SNP: bit per permitted VMPL; default VMPL 0 only */
	struct hexlist signer, hash, hash_blacklist;
	struct fwlist wl_wasm, wl_config, wl_tree;
	struct strlist dns_names;
	/* Intel */
	unsigned tcb_status_mask; /* bit per enum att_tcb_status */
	int has_advisories;
	struct strlist advisories;
	/* SNP */
	struct hexlist id_key, id_key_blacklist;
	int has_abi;
	unsigned abi_major, abi_minor;
	unsigned policy_flags; /* permitted: SNPF_* */
	uint64_t platform_info_required;
	int has_min_snp;
	struct att_snp_tcb min_snp;
	/* SGX */
	uint64_t features_permitted;
	int has_isvsvn, has_prodid;
	unsigned min_isvsvn, prodid;
	uint32_t misc_permitted;
	int has_min_comp, has_min_pcesvn, has_min_tee;
	uint8_t min_comp[16], min_tee[16];
	unsigned min_pcesvn;
	/* TDX */
	int debug;
	struct hexlist mrconfigid, mrowner;
};

struct att_policy {
	struct rules r[ATT_KIND_TDX + 1];
};

enum { SNPF_SMT = 1, SNPF_MIGRATE_MA = 2, SNPF_DEBUG = 4, SNPF_SINGLE_SOCKET = 8 };

struct flagname {
	const char *name;
	uint64_t bit;
};

static const struct flagname snp_policy_names[] = {
	{ "SMT", SNPF_SMT },
	{ "MigrateMA", SNPF_MIGRATE_MA },
	{ "Debug", SNPF_DEBUG },
	{ "SingleSocket", SNPF_SINGLE_SOCKET },
	{ NULL, 0 },
};
/* SEV-SNP ABI 1.55 table 24, PLATFORM_INFO. */
static const struct flagname snp_platform_names[] = {
	{ "SMT", 1u << 0 },
	{ "TSME", 1u << 1 },
	{ "ECC", 1u << 2 },
	{ "RAPL_DIS", 1u << 3 },
	{ "CIPHERTEXT_HIDING", 1u << 4 },
	{ NULL, 0 },
};
/* Intel SDM vol. 3D §38.7.1, SECS.ATTRIBUTES. */
#define SGX_INIT (1u << 0)
#define SGX_DEBUG (1u << 1)
#define SGX_MODE64 (1u << 2)
static const struct flagname sgx_feature_names[] = {
	{ "Debug", SGX_DEBUG },
	{ "ProvisioningKey", 1u << 4 },
	{ "EInitKey", 1u << 5 },
	{ "CET", 1u << 6 },
	{ "KSS", 1u << 7 },
	{ "AEXNotify", 1u << 10 },
	{ NULL, 0 },
};
/* §38.7.2, MISCSELECT. */
static const struct flagname sgx_misc_names[] = {
	{ "EXINFO", 1u << 0 },
	{ "CPINFO", 1u << 1 },
	{ NULL, 0 },
};

struct att_policy *att_policy_new(void)
{
	struct att_policy *p = calloc(1, sizeof(*p));

	if (!p)
		bl_err(BL_ENOMEM, "policy: out of memory");
	return p;
}

static void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static void rules_free(struct rules *r)
{
	free(r->signer.v);
	free(r->hash.v);
	free(r->hash_blacklist.v);
	free(r->id_key.v);
	free(r->id_key_blacklist.v);
	free(r->mrconfigid.v);
	free(r->mrowner.v);
	free(r->wl_wasm.v);
	free(r->wl_config.v);
	free(r->wl_tree.v);
	strlist_free(&r->dns_names);
	strlist_free(&r->advisories);
	memset(r, 0, sizeof(*r));
}

void att_policy_free(struct att_policy *p)
{
	if (!p)
		return;
	for (size_t k = 0; k <= ATT_KIND_TDX; k++)
		rules_free(&p->r[k]);
	free(p);
}

/* ---- reading TOML ---------------------------------------------------- */

struct ctx {
	const char *sect; /* "snp" */
	const char *key;
	const struct bl_toml *v;
};

static int bad(const struct ctx *c, const char *what)
{
	return bl_err(BL_EINVAL, "line %u: [%s] %s: %s", bl_toml_line(c->v), c->sect, c->key, what);
}

static int want_type(const struct ctx *c, enum bl_toml_type t)
{
	if (bl_toml_type(c->v) != t)
		return bl_err(BL_EINVAL, "line %u: [%s] %s: expected %s, found %s",
		              bl_toml_line(c->v), c->sect, c->key, bl_toml_type_name(t),
		              bl_toml_type_name(bl_toml_type(c->v)));
	return 0;
}

static int get_bool(const struct ctx *c, int *out)
{
	BL_TRY(want_type(c, BL_TOML_BOOL));
	*out = bl_toml_bool(c->v) != 0;
	return 0;
}

static int get_uint(const struct ctx *c, const struct bl_toml *v, int64_t max, unsigned *out)
{
	struct ctx e = { c->sect, c->key, v };
	BL_TRY(want_type(&e, BL_TOML_INTEGER));
	int64_t i = bl_toml_int(v);
	if (i < 0 || i > max) {
		char m[64];
		snprintf(m, sizeof(m), "%lld is outside 0..%lld", (long long)i, (long long)max);
		return bad(&e, m);
	}
	*out = (unsigned)i;
	return 0;
}

/* An array of strings, each passed to fn(c, index, string, len). */
static int each_string(const struct ctx *c,
                       int (*fn)(const struct ctx *, size_t, const char *, size_t, void *),
                       void *arg)
{
	BL_TRY(want_type(c, BL_TOML_ARRAY));
	for (size_t i = 0; i < bl_toml_array_len(c->v); i++) {
		const struct bl_toml *e = bl_toml_array_at(c->v, i);
		struct ctx ec = { c->sect, c->key, e };
		size_t len;
		const char *s;
		BL_TRY(want_type(&ec, BL_TOML_STRING));
		s = bl_toml_str(e, &len);
		BL_TRY(fn(&ec, i, s, len, arg));
	}
	return 0;
}

static int hex_entry(const struct ctx *c, size_t i, const char *s, size_t len, void *arg)
{
	struct hexlist *l = arg;
	char m[96];

	if (len != 2 * l->len || bl_hex_decode(s, len, l->v[i], l->len) < 0) {
		snprintf(m, sizeof(m), "entry %zu is not %zu hex digits", i + 1, 2 * l->len);
		return bad(c, m);
	}
	for (size_t j = 0; j < i; j++)
		if (!memcmp(l->v[j], l->v[i], l->len))
			return bad(c, "duplicate entry");
	l->n = i + 1;
	return 0;
}

static int get_hexlist(const struct ctx *c, size_t bytes, struct hexlist *l)
{
	BL_TRY(want_type(c, BL_TOML_ARRAY));
	free(l->v);
	l->n = 0;
	l->len = bytes;
	l->v = calloc(bl_toml_array_len(c->v) + 1, sizeof(*l->v));
	if (!l->v)
		return bl_err(BL_ENOMEM, "policy: out of memory");
	return each_string(c, hex_entry, l);
}

static int fw_entry(const struct ctx *c, size_t i, const char *s, size_t len, void *arg)
{
	struct fwlist *l = arg;
	struct att_fwid *f = &l->v[i];

	switch (len) {
	case 64: f->alg = BL_SHA256; break;
	case 96: f->alg = BL_SHA384; break;
	case 128: f->alg = BL_SHA512; break;
	default: return bad(c, "digests are 64, 96 or 128 hex digits (SHA-256/384/512)");
	}
	if (bl_hex_decode(s, len, f->digest, len / 2) < 0)
		return bad(c, "not hex");
	f->present = 1;
	l->n = i + 1;
	return 0;
}

static int get_fwlist(const struct ctx *c, struct fwlist *l)
{
	BL_TRY(want_type(c, BL_TOML_ARRAY));
	free(l->v);
	l->n = 0;
	l->v = calloc(bl_toml_array_len(c->v) + 1, sizeof(*l->v));
	if (!l->v)
		return bl_err(BL_ENOMEM, "policy: out of memory");
	return each_string(c, fw_entry, l);
}

static int valid_dns_pattern(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || len > ATT_CSR_MAX_NAME_LEN)
		return 0;
	if (len > 2 && s[0] == '*' && s[1] == '.')
		i = 2;
	for (; i < len; i++) {
		char ch = s[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'))
			return 0;
	}
	return 1;
}

struct strctx {
	struct strlist *l;
	int dns;
};

static int str_entry(const struct ctx *c, size_t i, const char *s, size_t len, void *arg)
{
	struct strctx *sc = arg;

	if (memchr(s, 0, len))
		return bad(c, "entry contains NUL");
	if (sc->dns && !valid_dns_pattern(s, len))
		return bad(c, "not a DNS name or *.suffix pattern");
	sc->l->v[i] = strndup(s, len);
	if (!sc->l->v[i])
		return bl_err(BL_ENOMEM, "policy: out of memory");
	sc->l->n = i + 1;
	return 0;
}

static int get_strlist(const struct ctx *c, struct strlist *l, int dns)
{
	struct strctx sc = { l, dns };

	BL_TRY(want_type(c, BL_TOML_ARRAY));
	strlist_free(l);
	l->v = calloc(bl_toml_array_len(c->v) + 1, sizeof(char *));
	if (!l->v)
		return bl_err(BL_ENOMEM, "policy: out of memory");
	return each_string(c, str_entry, &sc);
}

struct flagctx {
	const struct flagname *names;
	uint64_t bits;
};

static int flag_entry(const struct ctx *c, size_t i, const char *s, size_t len, void *arg)
{
	struct flagctx *fc = arg;
	char m[160];
	(void)i;

	for (const struct flagname *f = fc->names; f->name; f++)
		if (strlen(f->name) == len && !memcmp(f->name, s, len)) {
			fc->bits |= f->bit;
			return 0;
		}
	snprintf(m, sizeof(m), "unknown flag \"%.*s\"", (int)(len > 40 ? 40 : len), s);
	return bad(c, m);
}

/* A flag list: an array of names, or (as Steward allowed) one name as a string. */
static int get_flags(const struct ctx *c, const struct flagname *names, uint64_t *out)
{
	struct flagctx fc = { names, 0 };

	if (bl_toml_type(c->v) == BL_TOML_STRING) {
		size_t len;
		const char *s = bl_toml_str(c->v, &len);
		BL_TRY(flag_entry(c, 0, s, len, &fc));
	} else {
		BL_TRY(each_string(c, flag_entry, &fc));
	}
	*out = fc.bits;
	return 0;
}

static int status_entry(const struct ctx *c, size_t i, const char *s, size_t len, void *arg)
{
	unsigned *mask = arg;
	char name[64];
	int st;
	(void)i;

	if (len >= sizeof(name))
		return bad(c, "unknown TCB status");
	memcpy(name, s, len);
	name[len] = 0;
	st = att_tcb_status_parse(name);
	if (st < 0)
		return bad(c, "unknown TCB status");
	*mask |= 1u << st;
	return 0;
}

/* vmpl = N (VMPL 0..N permitted) or [a, b, …] (exactly those). */
static int get_vmpl(const struct ctx *c, unsigned *mask)
{
	unsigned v;

	if (bl_toml_type(c->v) == BL_TOML_INTEGER) {
		BL_TRY(get_uint(c, c->v, 3, &v));
		*mask = (2u << v) - 1;
		return 0;
	}
	BL_TRY(want_type(c, BL_TOML_ARRAY));
	*mask = 0;
	for (size_t i = 0; i < bl_toml_array_len(c->v); i++) {
		BL_TRY(get_uint(c, bl_toml_array_at(c->v, i), 3, &v));
		*mask |= 1u << v;
	}
	if (!*mask)
		return bad(c, "an empty list would refuse everything; use allow = false");
	return 0;
}

static int get_abi(const struct ctx *c, struct rules *r)
{
	size_t len;
	const char *s;
	char buf[32], *end;
	unsigned long maj, min;

	BL_TRY(want_type(c, BL_TOML_STRING));
	s = bl_toml_str(c->v, &len);
	if (len == 0 || len >= sizeof(buf))
		return bad(c, "expected \"major.minor\"");
	memcpy(buf, s, len);
	buf[len] = 0;
	if (buf[0] < '0' || buf[0] > '9')
		return bad(c, "expected \"major.minor\"");
	maj = strtoul(buf, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return bad(c, "expected \"major.minor\"");
	min = strtoul(end + 1, &end, 10);
	if (*end || maj > 255 || min > 255)
		return bad(c, "expected \"major.minor\" with parts 0..255");
	r->has_abi = 1;
	r->abi_major = (unsigned)maj;
	r->abi_minor = (unsigned)min;
	return 0;
}

static int get_svn16(const struct ctx *c, const struct bl_toml *v, uint8_t out[16])
{
	struct ctx e = { c->sect, c->key, v };

	BL_TRY(want_type(&e, BL_TOML_ARRAY));
	if (bl_toml_array_len(v) != 16)
		return bad(&e, "expected 16 SVNs");
	for (size_t i = 0; i < 16; i++) {
		unsigned u;
		BL_TRY(get_uint(&e, bl_toml_array_at(v, i), 255, &u));
		out[i] = (uint8_t)u;
	}
	return 0;
}

static int get_min_tcb(const struct ctx *c, enum att_kind kind, struct rules *r)
{
	BL_TRY(want_type(c, BL_TOML_TABLE));
	for (size_t i = 0; i < bl_toml_table_len(c->v); i++) {
		const char *k = bl_toml_table_key(c->v, i);
		const struct bl_toml *v = bl_toml_table_value(c->v, i);
		struct ctx e = { c->sect, "min_tcb", v };
		unsigned u;

		if (kind == ATT_KIND_SNP) {
			static const char *const names[] = { "bootloader", "tee", "snp",
				                             "microcode", "fmc" };
			uint8_t *dst[] = { &r->min_snp.bootloader, &r->min_snp.tee, &r->min_snp.snp,
				           &r->min_snp.microcode, &r->min_snp.fmc };
			size_t j;
			for (j = 0; j < 5 && strcmp(k, names[j]); j++)
				;
			if (j == 5)
				goto unknown;
			BL_TRY(get_uint(&e, v, 255, &u));
			*dst[j] = (uint8_t)u;
			r->has_min_snp = 1;
		} else if (!strcmp(k, "comp")) {
			BL_TRY(get_svn16(&e, v, r->min_comp));
			r->has_min_comp = 1;
		} else if (!strcmp(k, "pcesvn")) {
			BL_TRY(get_uint(&e, v, 65535, &r->min_pcesvn));
			r->has_min_pcesvn = 1;
		} else if (kind == ATT_KIND_TDX && !strcmp(k, "tee_tcb_svn")) {
			BL_TRY(get_svn16(&e, v, r->min_tee));
			r->has_min_tee = 1;
		} else {
			goto unknown;
		}
		continue;
	unknown:
		return bl_err(BL_EINVAL, "line %u: [%s] min_tcb: unknown key '%s'", bl_toml_line(v),
		              c->sect, k);
	}
	return 0;
}

/* Which keys each kind knows. */
enum {
	K_KVM = 1 << ATT_KIND_KVM,
	K_SGX = 1 << ATT_KIND_SGX,
	K_SNP = 1 << ATT_KIND_SNP,
	K_TDX = 1 << ATT_KIND_TDX,
	K_HW = K_SGX | K_SNP | K_TDX,
	K_ALL = K_HW | K_KVM
};

static int set_key(struct rules *r, enum att_kind kind, const struct ctx *c)
{
	const char *k = c->key;
	uint64_t bits;
	size_t meas = kind == ATT_KIND_SGX ? 32 : 48;
	unsigned mask = 1u << kind;

#define IS(name, kinds) (!strcmp(k, name) && ((kinds)&mask))
	if (IS("allow", K_ALL))
		return get_bool(c, &r->allow);
	if (IS("require_crls", K_HW))
		return get_bool(c, &r->require_crls);
	if (IS("dns_names", K_ALL))
		return get_strlist(c, &r->dns_names, 1);
	if (IS("workload_wasm", K_ALL))
		return get_fwlist(c, &r->wl_wasm);
	if (IS("workload_config", K_ALL))
		return get_fwlist(c, &r->wl_config);
	if (IS("workload_tree", K_ALL))
		return get_fwlist(c, &r->wl_tree);
	if (IS("signer", K_SNP | K_SGX))
		return get_hexlist(c, meas, &r->signer);
	if (IS("hash", K_HW))
		return get_hexlist(c, meas, &r->hash);
	if (IS("hash_blacklist", K_HW))
		return get_hexlist(c, meas, &r->hash_blacklist);
	if (IS("id_key_digest", K_SNP))
		return get_hexlist(c, 48, &r->id_key);
	if (IS("id_key_digest_blacklist", K_SNP))
		return get_hexlist(c, 48, &r->id_key_blacklist);
	if (IS("vmpl", K_SNP))
		return get_vmpl(c, &r->vmpl_mask);
	if (IS("min_tcb_evaluation_data_number", K_SGX | K_TDX)) {
		r->has_min_eval = 1;
		return get_uint(c, c->v, UINT32_MAX, &r->min_eval);
	}
	if (IS("abi", K_SNP))
		return get_abi(c, r);
	if (IS("policy_flags", K_SNP)) {
		BL_TRY(get_flags(c, snp_policy_names, &bits));
		r->policy_flags = (unsigned)bits;
		return 0;
	}
	if (IS("platform_info_flags", K_SNP))
		return get_flags(c, snp_platform_names, &r->platform_info_required);
	if (IS("min_tcb", K_HW))
		return get_min_tcb(c, kind, r);
	if (IS("features", K_SGX))
		return get_flags(c, sgx_feature_names, &r->features_permitted);
	if (IS("misc_select", K_SGX)) {
		BL_TRY(get_flags(c, sgx_misc_names, &bits));
		r->misc_permitted = (uint32_t)bits;
		return 0;
	}
	if (IS("enclave_security_version", K_SGX)) {
		r->has_isvsvn = 1;
		return get_uint(c, c->v, 65535, &r->min_isvsvn);
	}
	if (IS("enclave_product_id", K_SGX)) {
		r->has_prodid = 1;
		return get_uint(c, c->v, 65535, &r->prodid);
	}
	if (IS("allowed_tcb_status", K_SGX | K_TDX)) {
		r->tcb_status_mask = 0;
		BL_TRY(each_string(c, status_entry, &r->tcb_status_mask));
		if (!r->tcb_status_mask)
			return bad(c, "an empty list would refuse everything; use allow = false");
		return 0;
	}
	if (IS("allowed_advisories", K_SGX | K_TDX)) {
		r->has_advisories = 1;
		return get_strlist(c, &r->advisories, 0);
	}
	if (IS("debug", K_TDX))
		return get_bool(c, &r->debug);
	if (IS("mrconfigid", K_TDX))
		return get_hexlist(c, 48, &r->mrconfigid);
	if (IS("mrowner", K_TDX))
		return get_hexlist(c, 48, &r->mrowner);
#undef IS
	return bl_err(BL_EINVAL, "line %u: [%s] unknown key '%s'", bl_toml_line(c->v), c->sect, k);
}

int att_policy_set(struct att_policy *p, enum att_kind kind, const struct bl_toml *table)
{
	struct rules *r;
	const char *sect = att_csr_kind_name(kind);
	int rc;

	if (kind < ATT_KIND_KVM || kind > ATT_KIND_TDX)
		return bl_err(BL_EINVAL, "policy: no such kind");
	if (bl_toml_type(table) != BL_TOML_TABLE)
		return bl_err(BL_EINVAL, "line %u: [%s] must be a table", bl_toml_line(table),
		              sect);
	r = &p->r[kind];
	rules_free(r);
	r->present = 1;
	r->tcb_status_mask = 1u << ATT_TCB_UP_TO_DATE;
	r->policy_flags = SNPF_SMT | SNPF_SINGLE_SOCKET;
	r->require_crls = kind != ATT_KIND_KVM;
	r->vmpl_mask = 1u << 0;
	for (size_t i = 0; i < bl_toml_table_len(table); i++) {
		struct ctx c = { sect, bl_toml_table_key(table, i), bl_toml_table_value(table, i) };
		BL_TRY_GOTO(rc, set_key(r, kind, &c), out_reset);
	}
	if (r->allow && kind != ATT_KIND_KVM && !r->signer.n && !r->hash.n &&
	    !r->hash_blacklist.n) {
		rc = bl_err(BL_EINVAL,
		            "line %u: [%s] one of signer, hash or hash_blacklist is "
		            "required",
		            bl_toml_line(table), sect);
		goto out_reset;
	}
	for (size_t i = 0; i < r->hash.n; i++)
		for (size_t j = 0; j < r->hash_blacklist.n; j++)
			if (!memcmp(r->hash.v[i], r->hash_blacklist.v[j], r->hash.len)) {
				rc = bl_err(BL_EINVAL,
				            "line %u: [%s] the same digest is in hash "
				            "and hash_blacklist",
				            bl_toml_line(table), sect);
				goto out_reset;
			}
	return 0;

out_reset:
	rules_free(r);
	return rc;
}

int att_policy_allows(const struct att_policy *p, enum att_kind kind)
{
	return p && kind >= ATT_KIND_KVM && kind <= ATT_KIND_TDX && p->r[kind].present &&
	       p->r[kind].allow;
}

/* ---- deciding --------------------------------------------------------- */

static int in_hexlist(const struct hexlist *l, const uint8_t *v)
{
	for (size_t i = 0; i < l->n; i++)
		if (!CRYPTO_memcmp(l->v[i], v, l->len))
			return 1;
	return 0;
}

/* "name: <hex prefix>… is not allowed" */
static int refuse_hex(const char *kind, const char *check, const char *what, const uint8_t *v,
                      size_t n)
{
	char hex[17];

	for (size_t i = 0; i < 8 && i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", v[i]);
	return bl_err(BL_EPERM, "%s.%s: %s %s… is not allowed", kind, check, what, hex);
}

static int check_list(const char *kind, const char *check, const char *what,
                      const struct hexlist *allow, const struct hexlist *deny, const uint8_t *v,
                      size_t n)
{
	if (deny && deny->n && deny->len == n && in_hexlist(deny, v))
		return refuse_hex(kind, check, what, v, n);
	if (allow->n && (allow->len != n || !in_hexlist(allow, v)))
		return refuse_hex(kind, check, what, v, n);
	return 0;
}

static int check_fw(const char *kind, const char *name, const struct fwlist *l,
                    const struct att_fwid *f)
{
	if (!l->n)
		return 0;
	if (!f->present)
		return bl_err(BL_EPERM, "%s.%s: the request carries no such workload digest", kind,
		              name);
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].alg == f->alg &&
		    !CRYPTO_memcmp(l->v[i].digest, f->digest, bl_dig_size(f->alg)))
			return 0;
	return refuse_hex(kind, name, "digest", f->digest, bl_dig_size(f->alg));
}

static int dns_match(const char *pat, const char *name, size_t len)
{
	size_t plen = strlen(pat);

	if (plen > 2 && pat[0] == '*' && pat[1] == '.') {
		/* One whole leftmost label: "*.example.com" matches "a.example.com" only. */
		const char *dot = memchr(name, '.', len);
		if (!dot || dot == name)
			return 0;
		size_t rest = len - (size_t)(dot - name);
		return rest == plen - 1 && !strncasecmp(dot, pat + 1, rest);
	}
	return plen == len && !strncasecmp(pat, name, len);
}

/* A DNS name as a commonName may hold it: letters, digits, '-' and '.', no wildcard. */
static int cn_is_dns_name(uint8_t tag, const uint8_t *p, size_t len)
{
	if (tag != 0x0c && tag != 0x13 && tag != 0x16) /* UTF8String, PrintableString, IA5String */
		return 0;
	if (len == 0 || len > ATT_CSR_MAX_NAME_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '.'))
			return 0;
	return 1;
}

/*
 * The subject is copied into the certificate. X509_check_host() matches a
 * certificate without DNS SANs against its subject commonName, and
 * X509_check_email() one without email SANs against its emailAddress: so a
 * commonName is granted exactly like a requested DNS name, and an
 * emailAddress (no policy grants one) is refused.
 */
static int check_subject(const struct rules *r, const char *kind, const struct att_csr *csr)
{
	if (csr->subject_email)
		return bl_err(BL_EPERM,
		              "csr.subject: an emailAddress in the subject is not granted "
		              "(name checks accept it as the certificate's address)");
	for (size_t i = 0; i < csr->n_subject_cns; i++) {
		const uint8_t *p = csr->subject_cns[i].p;
		size_t len = csr->subject_cns[i].len, j;

		if (!cn_is_dns_name(csr->subject_cns[i].tag, p, len))
			return bl_err(BL_EPERM,
			              "%s.dns_names: the subject commonName is not a DNS name "
			              "(name checks would match it as one)",
			              kind);
		for (j = 0; j < r->dns_names.n; j++)
			if (dns_match(r->dns_names.v[j], (const char *)p, len))
				break;
		if (j == r->dns_names.n)
			return bl_err(BL_EPERM,
			              "%s.dns_names: the subject commonName \"%.*s\" is not "
			              "granted",
			              kind, (int)len, (const char *)p);
	}
	return 0;
}

static int check_common(const struct rules *r, const char *kind, const struct att_csr *csr)
{
	static const struct att_fwid none = { 0 };
	const struct att_workload *w = &csr->workload;

	BL_TRY(check_fw(kind, "workload_wasm", &r->wl_wasm, w->present ? &w->wasm : &none));
	BL_TRY(check_fw(kind, "workload_config", &r->wl_config, w->present ? &w->config : &none));
	BL_TRY(check_fw(kind, "workload_tree", &r->wl_tree, w->present ? &w->tree : &none));
	for (size_t i = 0; i < csr->n_names; i++) {
		size_t j;
		for (j = 0; j < r->dns_names.n; j++)
			if (dns_match(r->dns_names.v[j], csr->names[i].p, csr->names[i].len))
				break;
		if (j == r->dns_names.n)
			return bl_err(BL_EPERM, "%s.dns_names: the name \"%.*s\" is not granted",
			              kind, (int)csr->names[i].len, csr->names[i].p);
	}
	return check_subject(r, kind, csr);
}

static int check_intel_tcb(const struct rules *r, const char *kind, const struct att_claims *c)
{
	/* Intel raises tcbEvaluationDataNumber when it re-grades TCB levels (TCB
	 * recovery); older TCB info may still call a now-vulnerable level good.
	 * Without TCB info the number is 0. */
	if (r->has_min_eval && c->tcb_eval_num < r->min_eval)
		return bl_err(BL_EPERM,
		              "%s.min_tcb_evaluation_data_number: TCB info evaluation data "
		              "number %u is below %u",
		              kind, c->tcb_eval_num, r->min_eval);
	if ((unsigned)c->tcb_status >= ATT_TCB_STATUS_COUNT ||
	    !(r->tcb_status_mask & (1u << c->tcb_status)))
		return bl_err(BL_EPERM, "%s.allowed_tcb_status: TCB status %s is not allowed", kind,
		              att_tcb_status_name(c->tcb_status));
	/* Steward checked only advisories once a list was set; both are checked here. */
	if (r->has_advisories)
		for (size_t i = 0; i < c->n_advisories; i++) {
			size_t j;
			for (j = 0; j < r->advisories.n; j++)
				if (!strcmp(r->advisories.v[j], c->advisories[i]))
					break;
			if (j == r->advisories.n)
				return bl_err(
				    BL_EPERM,
				    "%s.allowed_advisories: advisory %.32s is not allowed", kind,
				    c->advisories[i]);
		}
	if (c->qe_status != ATT_TCB_UNKNOWN && !(r->tcb_status_mask & (1u << c->qe_status)))
		return bl_err(BL_EPERM,
		              "%s.allowed_tcb_status: QE identity status %s is not "
		              "allowed",
		              kind, att_tcb_status_name(c->qe_status));
	if (r->has_min_comp)
		for (int i = 0; i < 16; i++)
			if (c->pck.cpusvn_comp[i] < r->min_comp[i])
				return bl_err(BL_EPERM,
				              "%s.min_tcb: component %d SVN %u is below %u", kind,
				              i + 1, c->pck.cpusvn_comp[i], r->min_comp[i]);
	if (r->has_min_pcesvn && c->pck.pcesvn < r->min_pcesvn)
		return bl_err(BL_EPERM, "%s.min_tcb: PCE SVN %u is below %u", kind, c->pck.pcesvn,
		              r->min_pcesvn);
	return 0;
}

static int check_snp(const struct rules *r, const struct att_claims *c)
{
	const struct att_snp_claims *s = &c->snp;
	unsigned have =
	    (s->policy_smt ? SNPF_SMT : 0) | (s->policy_migrate_ma ? SNPF_MIGRATE_MA : 0) |
	    (s->policy_debug ? SNPF_DEBUG : 0) | (s->policy_single_socket ? SNPF_SINGLE_SOCKET : 0);
	unsigned extra = have & ~r->policy_flags;

	BL_TRY(check_list("snp", "hash", "measurement", &r->hash, &r->hash_blacklist,
	                  c->measurement, c->measurement_len));
	BL_TRY(check_list("snp", "signer", "author key digest", &r->signer, NULL, c->signer,
	                  c->signer_len));
	BL_TRY(check_list("snp", "id_key_digest", "ID key digest", &r->id_key, &r->id_key_blacklist,
	                  s->id_key_digest, 48));
	/* VMPL 0 is the most privileged level: a report requested from a higher
	 * one comes from code that the guest's VMPL-0 software (an SVSM, a
	 * paravisor) can observe and alter. */
	if (s->vmpl > 31 || !(r->vmpl_mask & (1u << s->vmpl)))
		return bl_err(BL_EPERM, "snp.vmpl: the report was requested at VMPL %u", s->vmpl);
	if (r->has_abi &&
	    att_version_cmp(s->abi_major, s->abi_minor, r->abi_major, r->abi_minor) < 0)
		return bl_err(BL_EPERM, "snp.abi: guest policy ABI %u.%u is below %u.%u",
		              s->abi_major, s->abi_minor, r->abi_major, r->abi_minor);
	for (const struct flagname *f = snp_policy_names; f->name; f++)
		if (extra & f->bit)
			return bl_err(BL_EPERM, "snp.policy_flags: guest policy allows %s",
			              f->name);
	if (c->debug && !(r->policy_flags & SNPF_DEBUG))
		return bl_err(BL_EPERM, "snp.policy_flags: guest policy allows Debug");
	for (const struct flagname *f = snp_platform_names; f->name; f++)
		if ((r->platform_info_required & f->bit) && !(s->platform_info & f->bit))
			return bl_err(BL_EPERM, "snp.platform_info_flags: %s is not enabled",
			              f->name);
	if (r->has_min_snp) {
		const struct att_snp_tcb *t = &s->reported_tcb;
		const char *names[] = { "bootloader", "tee", "snp", "microcode", "fmc" };
		const uint8_t have_v[] = { t->bootloader, t->tee, t->snp, t->microcode, t->fmc };
		const uint8_t want_v[] = { r->min_snp.bootloader, r->min_snp.tee, r->min_snp.snp,
			                   r->min_snp.microcode, r->min_snp.fmc };
		for (int i = 0; i < 5; i++)
			if (have_v[i] < want_v[i])
				return bl_err(BL_EPERM,
				              "snp.min_tcb: reported %s SVN %u is below %u",
				              names[i], have_v[i], want_v[i]);
	}
	return 0;
}

static int check_sgx(const struct rules *r, const struct att_claims *c)
{
	const struct att_sgx_claims *s = &c->sgx;
	uint64_t flags = 0;
	uint64_t permitted = r->features_permitted | SGX_INIT | SGX_MODE64;

	for (int i = 7; i >= 0; i--)
		flags = (flags << 8) | s->attributes[i];
	BL_TRY(
	    check_list("sgx", "hash", "MRENCLAVE", &r->hash, &r->hash_blacklist, s->mrenclave, 32));
	BL_TRY(check_list("sgx", "signer", "MRSIGNER", &r->signer, NULL, s->mrsigner, 32));
	if ((flags & (SGX_INIT | SGX_MODE64)) != (SGX_INIT | SGX_MODE64))
		return bl_err(BL_EPERM, "sgx.features: INIT and MODE64BIT must be set");
	if (flags & ~permitted) {
		for (const struct flagname *f = sgx_feature_names; f->name; f++)
			if (flags & ~permitted & f->bit)
				return bl_err(BL_EPERM, "sgx.features: %s is set", f->name);
		return bl_err(BL_EPERM, "sgx.features: attribute flags 0x%llx are set",
		              (unsigned long long)(flags & ~permitted));
	}
	if (c->debug && !(r->features_permitted & SGX_DEBUG))
		return bl_err(BL_EPERM, "sgx.features: Debug is set");
	if (s->misc_select & ~r->misc_permitted)
		return bl_err(BL_EPERM, "sgx.misc_select: MISCSELECT bits 0x%x are set",
		              s->misc_select & ~r->misc_permitted);
	if (r->has_isvsvn && s->isv_svn < r->min_isvsvn)
		return bl_err(BL_EPERM, "sgx.enclave_security_version: ISVSVN %u is below %u",
		              s->isv_svn, r->min_isvsvn);
	if (r->has_prodid && s->isv_prod_id != r->prodid)
		return bl_err(BL_EPERM, "sgx.enclave_product_id: ISVPRODID %u is not %u",
		              s->isv_prod_id, r->prodid);
	return check_intel_tcb(r, "sgx", c);
}

static int check_tdx(const struct rules *r, const struct att_claims *c)
{
	const struct att_tdx_claims *t = &c->tdx;

	BL_TRY(check_list("tdx", "hash", "MRTD", &r->hash, &r->hash_blacklist, t->mrtd, 48));
	BL_TRY(
	    check_list("tdx", "mrconfigid", "MRCONFIGID", &r->mrconfigid, NULL, t->mrconfigid, 48));
	BL_TRY(check_list("tdx", "mrowner", "MROWNER", &r->mrowner, NULL, t->mrowner, 48));
	if ((c->debug || (t->td_attributes & 1)) && !r->debug)
		return bl_err(BL_EPERM, "tdx.debug: the TD is debuggable");
	if (r->has_min_tee)
		for (int i = 0; i < 16; i++)
			if (t->tee_tcb_svn[i] < r->min_tee[i])
				return bl_err(
				    BL_EPERM,
				    "tdx.min_tcb: TEE TCB SVN component %d is %u, below %u", i + 1,
				    t->tee_tcb_svn[i], r->min_tee[i]);
	return check_intel_tcb(r, "tdx", c);
}

/*
 * Revocation: the CRLs inside evidence are the client's choice, so leaving
 * them out would skip every revocation check. Required: a CRL checked for
 * each certificate below the root whose issuer publishes one. Intel
 * publishes CRLs of the root (for the PCK CAs) and of each PCK CA (for the
 * PCKs): every link. AMD publishes one CRL per product, signed by the ARK,
 * listing revoked ASKs/ASVKs; no CRL lists VCEKs or VLEKs (a bad chip is
 * handled by its TCB version): every link but the leaf.
 */
static int check_crls(const struct rules *r, const char *kind, const struct att_claims *c)
{
	unsigned from = c->kind == ATT_KIND_SNP ? 1 : 0;

	if (!r->require_crls)
		return 0;
	if (c->chain_len <= from)
		return bl_err(BL_EPERM,
		              "%s.require_crls: no certificate chain was checked for "
		              "revocation",
		              kind);
	for (unsigned i = from; i < c->chain_len; i++)
		if (i >= 32 || !(c->crl_checked & (1u << i)))
			return bl_err(BL_EPERM,
			              "%s.require_crls: no CRL of the issuer of certificate %u "
			              "of the chain (0 = %s) was given, so its revocation was not "
			              "checked",
			              kind, i, c->kind == ATT_KIND_SNP ? "VCEK/VLEK" : "PCK");
	return 0;
}

int att_policy_check(const struct att_policy *p, const struct att_claims *c,
                     const struct att_csr *csr)
{
	/* A nil Keep (no evidence) is judged by the [kvm] rules: neither has hardware. */
	enum att_kind rk = c->kind == ATT_KIND_NONE ? ATT_KIND_KVM : c->kind;
	const char *kind = att_csr_kind_name(rk);
	const struct rules *r;

	if (c->kind != csr->kind)
		return bl_err(BL_EPERM, "kind: evidence is %s but the request says %s",
		              att_csr_kind_name(c->kind), att_csr_kind_name(csr->kind));
	if (!att_policy_allows(p, rk))
		return bl_err(BL_EPERM, "%s.allow: %s evidence is not accepted by this policy",
		              kind, att_csr_kind_name(c->kind));
	r = &p->r[rk];
	switch (c->kind) {
	case ATT_KIND_SNP: BL_TRY(check_snp(r, c)); break;
	case ATT_KIND_SGX: BL_TRY(check_sgx(r, c)); break;
	case ATT_KIND_TDX: BL_TRY(check_tdx(r, c)); break;
	case ATT_KIND_KVM:
	case ATT_KIND_NONE: break;
	default: return bl_err(BL_EPERM, "kind: unknown evidence kind");
	}
	if (c->kind == ATT_KIND_SNP || c->kind == ATT_KIND_SGX || c->kind == ATT_KIND_TDX)
		BL_TRY(check_crls(r, kind, c));
	return check_common(r, kind, csr);
}
