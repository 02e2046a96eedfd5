/* handoff.c — host-to-guest handoff; see handoff.h. */
#include "exec/handoff.h"

#include <string.h>

#include "common/cursor.h"

int exec_handoff_start(struct bl_buf *out)
{
	BL_TRY(bl_buf_append(out, "BLYH", 4));
	BL_TRY(bl_buf_putc(out, 1));
	BL_TRY(bl_buf_putc(out, 0));
	BL_TRY(bl_buf_putc(out, 0));
	return bl_buf_putc(out, 0);
}

int exec_handoff_put(struct bl_buf *out, enum exec_handoff_tag tag, const void *p, size_t len)
{
	if (len > UINT32_MAX)
		return bl_err(BL_ERANGE, "handoff: record of %zu bytes is too large", len);
	BL_TRY(bl_buf_putc(out, (uint8_t)tag));
	BL_TRY(bl_buf_putc(out, (uint8_t)((unsigned)tag >> 8)));
	BL_TRY(bl_buf_put32le(out, (uint32_t)len));
	return bl_buf_append(out, p, len);
}

/* Text records must not hold NUL: they become C strings in the guest. */
static int text_ok(const struct exec_slice *s, size_t off)
{
	if (memchr(s->p, '\0', s->len))
		return bl_err(BL_EINVAL, "handoff: record at offset %zu contains a NUL byte", off);
	return 0;
}

static int add_item(struct exec_slice *arr, size_t *n, const struct exec_slice *s, size_t off,
                    const char *what)
{
	if (*n == EXEC_HO_MAX_ITEMS)
		return bl_err(BL_ERANGE, "handoff: more than %d %s records", EXEC_HO_MAX_ITEMS,
		              what);
	BL_TRY(text_ok(s, off));
	arr[(*n)++] = *s;
	return 0;
}

int exec_handoff_decode(const uint8_t *p, size_t len, struct exec_handoff *out)
{
	struct bl_cur c = bl_cur_make(p, len);
	const uint8_t *magic;
	uint16_t version, reserved;
	int have_module = 0;

	memset(out, 0, sizeof(*out));
	if (bl_cur_bytes(&c, 4, &magic) < 0 || memcmp(magic, "BLYH", 4) != 0)
		return bl_err(BL_EINVAL, "handoff: bad magic (not a Bailey handoff)");
	BL_TRY(bl_cur_u16le(&c, &version));
	BL_TRY(bl_cur_u16le(&c, &reserved));
	if (version != 1 || reserved != 0)
		return bl_err(BL_EUNSUPP, "handoff: version %u is not supported (want 1)", version);
	while (!bl_cur_eof(&c)) {
		size_t off = bl_cur_offset(&c);
		struct exec_slice s;
		uint16_t tag;
		uint32_t n;

		BL_TRY(bl_cur_u16le(&c, &tag));
		BL_TRY(bl_cur_u32le(&c, &n));
		if (bl_cur_bytes(&c, n, &s.p) < 0)
			return bl_err_wrap(BL_EINVAL, "handoff: record at offset %zu: ", off);
		s.len = n;
		switch (tag) {
		case EXEC_HO_MODULE:
			if (have_module++)
				return bl_err(BL_EINVAL, "handoff: second module at offset %zu",
				              off);
			out->module = s;
			break;
		case EXEC_HO_CONFIG:
			if (out->has_config++)
				return bl_err(BL_EINVAL, "handoff: second config at offset %zu",
				              off);
			out->config = s;
			break;
		case EXEC_HO_ARG: BL_TRY(add_item(out->args, &out->nargs, &s, off, "arg")); break;
		case EXEC_HO_ENV:
			BL_TRY(add_item(out->envs, &out->nenvs, &s, off, "env"));
			if (!memchr(s.p, '=', s.len) || s.p[0] == '=')
				return bl_err(BL_EINVAL,
				              "handoff: env record at offset %zu is not "
				              "KEY=VALUE",
				              off);
			break;
		case EXEC_HO_DIR:
			BL_TRY(add_item(out->dirs, &out->ndirs, &s, off, "dir"));
			if (!s.len)
				return bl_err(BL_EINVAL, "handoff: empty dir at offset %zu", off);
			break;
		default:
			return bl_err(BL_EINVAL, "handoff: unknown record tag %u at offset %zu",
			              tag, off);
		}
	}
	if (!have_module)
		return bl_err(BL_EINVAL, "handoff: no module");
	return 0;
}
