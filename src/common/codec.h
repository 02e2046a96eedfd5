/*
 * codec.h — base64 (RFC 4648 §4 and §5) and hex.
 *
 * Decoders are strict: only the alphabet, padding exactly where RFC 4648
 * puts it (the standard alphabet requires it, base64url forbids it), and the
 * unused low bits of the last symbol must be zero, so every byte string has
 * exactly one accepted encoding. They write into caller buffers of stated
 * size and allocate nothing.
 */
#ifndef BL_COMMON_CODEC_H
#define BL_COMMON_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

/* Length of the base64 text for n bytes (padded), without NUL. */
static inline size_t bl_b64_enclen(size_t n)
{
	return (n + 2) / 3 * 4;
}

/* Append the encoding of p[0..n) to out. url selects base64url without padding. */
BL_MUST_CHECK int bl_b64_encode(struct bl_buf *out, const void *p, size_t n, int url);

/*
 * Decode text s[0..slen) into dst (capacity cap). *outlen gets the length.
 * BL_EINVAL for any character outside the alphabet, bad padding or non-zero
 * trailing bits; BL_ERANGE when cap is too small.
 */
BL_MUST_CHECK int bl_b64_decode(const char *s, size_t slen, uint8_t *dst, size_t cap,
                                size_t *outlen, int url);

/* The value 0..15 of the hex digit c (either case); -1 for any other c (EOF too). */
int bl_hex_digit(int c);

/* Lower-case hex of p[0..n) appended to out. */
BL_MUST_CHECK int bl_hex_encode(struct bl_buf *out, const void *p, size_t n);

/* Hex (either case) of exactly 2*n characters into dst[0..n). */
BL_MUST_CHECK int bl_hex_decode(const char *s, size_t slen, uint8_t *dst, size_t n);

#endif
