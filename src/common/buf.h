/*
 * buf.h — a growable byte buffer with an optional size limit.
 *
 * Contract: the buffer owns its storage (free with bl_buf_free). Appends grow
 * it geometrically; when growth would pass `limit` (0 = SIZE_MAX/2) or
 * allocation fails, the append fails with BL_ENOMEM and the contents stay as
 * they were. The bytes are always followed by a NUL that is not counted in
 * `len`, so text built here can be used as a C string.
 */
#ifndef BL_COMMON_BUF_H
#define BL_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct bl_buf {
	uint8_t *p; /* owned; NULL until the first append */
	size_t len; /* bytes in use */
	size_t cap; /* bytes allocated (excluding the NUL) */
	size_t limit; /* maximum len, 0 for no limit */
};

#define BL_BUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

/* Make room for `extra` more bytes. */
BL_MUST_CHECK int bl_buf_reserve(struct bl_buf *b, size_t extra);
BL_MUST_CHECK int bl_buf_append(struct bl_buf *b, const void *p, size_t n);
BL_MUST_CHECK int bl_buf_putc(struct bl_buf *b, uint8_t c);
BL_MUST_CHECK int bl_buf_puts(struct bl_buf *b, const char *s);
BL_MUST_CHECK int bl_buf_printf(struct bl_buf *b, const char *fmt, ...) BL_PRINTF(2, 3);
BL_MUST_CHECK int bl_buf_vprintf(struct bl_buf *b, const char *fmt, va_list ap);
BL_MUST_CHECK int bl_buf_put16be(struct bl_buf *b, uint16_t v);
BL_MUST_CHECK int bl_buf_put32be(struct bl_buf *b, uint32_t v);
BL_MUST_CHECK int bl_buf_put32le(struct bl_buf *b, uint32_t v);
BL_MUST_CHECK int bl_buf_put64le(struct bl_buf *b, uint64_t v);

/* Empty the buffer, keeping its storage. */
void bl_buf_reset(struct bl_buf *b);

/* Free the storage; the buffer is empty and reusable afterwards. */
void bl_buf_free(struct bl_buf *b);

/* Wipe (OPENSSL_cleanse) then free: for buffers that held secrets. */
void bl_buf_free_secret(struct bl_buf *b);

/*
 * Hand the storage to the caller (who frees it with free()); *len gets the
 * length. Returns a valid NUL-terminated pointer even for an empty buffer, or
 * NULL when out of memory. The buffer is empty afterwards.
 */
uint8_t *bl_buf_steal(struct bl_buf *b, size_t *len);

#endif
