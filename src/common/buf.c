/* buf.c — growable buffer; see buf.h. */
#include "common/buf.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bl_buf_reserve(struct bl_buf *b, size_t extra)
{
	size_t limit = b->limit ? b->limit : SIZE_MAX / 2;
	size_t need, cap;
	uint8_t *p;

	if (extra > limit || b->len > limit - extra)
		return bl_err(BL_ENOMEM, "buffer limit of %zu bytes reached", limit);
	need = b->len + extra;
	if (need <= b->cap && b->p)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > limit / 2 ? limit : cap * 2;
	p = realloc(b->p, cap + 1);
	if (!p)
		return bl_err(BL_ENOMEM, "out of memory growing a buffer to %zu bytes", cap);
	b->p = p;
	b->cap = cap;
	b->p[b->len] = '\0';
	return 0;
}

int bl_buf_append(struct bl_buf *b, const void *p, size_t n)
{
	BL_TRY(bl_buf_reserve(b, n));
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int bl_buf_putc(struct bl_buf *b, uint8_t c)
{
	return bl_buf_append(b, &c, 1);
}

int bl_buf_puts(struct bl_buf *b, const char *s)
{
	return bl_buf_append(b, s, strlen(s));
}

int bl_buf_vprintf(struct bl_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return bl_err(BL_EINVAL, "bad format string");
	BL_TRY(bl_buf_reserve(b, (size_t)n));
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int bl_buf_printf(struct bl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = bl_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int bl_buf_put16be(struct bl_buf *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	return bl_buf_append(b, x, 2);
}

int bl_buf_put32be(struct bl_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return bl_buf_append(b, x, 4);
}

int bl_buf_put32le(struct bl_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	return bl_buf_append(b, x, 4);
}

int bl_buf_put64le(struct bl_buf *b, uint64_t v)
{
	BL_TRY(bl_buf_put32le(b, (uint32_t)v));
	return bl_buf_put32le(b, (uint32_t)(v >> 32));
}

void bl_buf_reset(struct bl_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void bl_buf_free(struct bl_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void bl_buf_free_secret(struct bl_buf *b)
{
	if (b->p)
		OPENSSL_cleanse(b->p, b->cap + 1);
	bl_buf_free(b);
}

uint8_t *bl_buf_steal(struct bl_buf *b, size_t *len)
{
	uint8_t *p;

	if (!b->p && bl_buf_reserve(b, 0) < 0)
		return NULL;
	p = b->p;
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}
