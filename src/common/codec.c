/* codec.c — base64 and hex; see codec.h. */
#include "common/codec.h"

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int bl_b64_encode(struct bl_buf *out, const void *p, size_t n, int url)
{
	const char *abc = url ? b64_url : b64_std;
	const uint8_t *in = p;
	char q[4];
	size_t i;

	BL_TRY(bl_buf_reserve(out, bl_b64_enclen(n)));
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		q[0] = abc[v >> 18];
		q[1] = abc[(v >> 12) & 63];
		q[2] = abc[(v >> 6) & 63];
		q[3] = abc[v & 63];
		BL_TRY(bl_buf_append(out, q, 4));
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		q[0] = abc[v >> 18];
		q[1] = abc[(v >> 12) & 63];
		q[2] = q[3] = '=';
		BL_TRY(bl_buf_append(out, q, url ? 2 : 4));
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		q[0] = abc[v >> 18];
		q[1] = abc[(v >> 12) & 63];
		q[2] = abc[(v >> 6) & 63];
		q[3] = '=';
		BL_TRY(bl_buf_append(out, q, url ? 3 : 4));
	}
	return 0;
}

static int b64_val(char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

int bl_b64_decode(const char *s, size_t slen, uint8_t *dst, size_t cap, size_t *outlen, int url)
{
	size_t pad = 0, body, full, rem, need, o = 0;

	if (!url) {
		if (slen % 4)
			return bl_err(BL_EINVAL, "base64: length %zu is not a multiple of 4", slen);
		while (pad < 2 && pad < slen && s[slen - 1 - pad] == '=')
			pad++;
	}
	body = slen - pad;
	full = body / 4;
	rem = body % 4;
	if (rem == 1)
		return bl_err(BL_EINVAL, "base64: impossible length %zu", slen);
	need = full * 3 + (rem ? rem - 1 : 0);
	if (need > cap)
		return bl_err(BL_ERANGE, "base64: %zu decoded bytes do not fit in %zu", need, cap);
	for (size_t i = 0; i < body; i += 4) {
		size_t k = body - i < 4 ? body - i : 4;
		uint32_t v = 0;

		for (size_t j = 0; j < 4; j++) {
			int d = 0;
			if (j < k) {
				d = b64_val(s[i + j], url);
				if (d < 0)
					return bl_err(BL_EINVAL,
					              "base64: invalid character at position %zu",
					              i + j);
			}
			v = v << 6 | (uint32_t)d;
		}
		if (k == 4) {
			dst[o++] = (uint8_t)(v >> 16);
			dst[o++] = (uint8_t)(v >> 8);
			dst[o++] = (uint8_t)v;
		} else if (k == 3) {
			if (v & 0xff)
				return bl_err(BL_EINVAL, "base64: non-zero trailing bits");
			dst[o++] = (uint8_t)(v >> 16);
			dst[o++] = (uint8_t)(v >> 8);
		} else {
			if (v & 0xffff)
				return bl_err(BL_EINVAL, "base64: non-zero trailing bits");
			dst[o++] = (uint8_t)(v >> 16);
		}
	}
	/* Standard alphabet: padding must complete the last quantum exactly. */
	if (!url && pad && (rem == 0 || pad != 4 - rem))
		return bl_err(BL_EINVAL, "base64: bad padding");
	*outlen = o;
	return 0;
}

int bl_hex_encode(struct bl_buf *out, const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *in = p;

	BL_TRY(bl_buf_reserve(out, 2 * n));
	for (size_t i = 0; i < n; i++) {
		char h[2] = { digits[in[i] >> 4], digits[in[i] & 15] };
		BL_TRY(bl_buf_append(out, h, 2));
	}
	return 0;
}

int bl_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int bl_hex_decode(const char *s, size_t slen, uint8_t *dst, size_t n)
{
	if (slen != 2 * n)
		return bl_err(BL_EINVAL, "hex: expected %zu characters, got %zu", 2 * n, slen);
	for (size_t i = 0; i < n; i++) {
		int hi = bl_hex_digit((unsigned char)s[2 * i]),
		    lo = bl_hex_digit((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return bl_err(BL_EINVAL, "hex: invalid character at position %zu",
			              hi < 0 ? 2 * i : 2 * i + 1);
		dst[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
