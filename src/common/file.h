/*
 * file.h — whole-file reads and atomic writes.
 *
 * bl_file_read() reads a file (or "-" for standard input) into a buffer,
 * refusing directories and anything larger than `limit` bytes, so that a
 * configuration or evidence file can never exhaust memory.
 * bl_file_write_atomic() writes to a temporary file beside the target,
 * fsyncs it, renames it into place and fsyncs the directory: a crash leaves
 * the old file or the new one, never a half-written one.
 */
#ifndef BL_COMMON_FILE_H
#define BL_COMMON_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/err.h"

/* Append the file's bytes to out; BL_ENOMEM past limit (0 = no limit). */
BL_MUST_CHECK int bl_file_read(const char *path, size_t limit, struct bl_buf *out);

/* Replace path with p[0..n), created with `mode` (e.g. 0600 for secrets). */
BL_MUST_CHECK int bl_file_write_atomic(const char *path, const void *p, size_t n, mode_t mode);

#endif
