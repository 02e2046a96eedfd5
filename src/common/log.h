/*
 * log.h — leveled logging to stderr, as text or as one JSON object a line.
 *
 * Contract: a log call never fails and never allocates more than a bounded
 * line (longer messages are cut, marked with "…"). Messages are escaped in
 * JSON mode so that a log line is always one valid JSON object. Callers must
 * not pass secrets (keys, tokens, Authorization headers): the logger cannot
 * tell them from other text.
 */
#ifndef BL_COMMON_LOG_H
#define BL_COMMON_LOG_H

#include <stdio.h>

#include "common/err.h"

enum bl_log_level { BL_LOG_DEBUG, BL_LOG_INFO, BL_LOG_WARN, BL_LOG_ERROR, BL_LOG_OFF };
enum bl_log_format { BL_LOG_TEXT, BL_LOG_JSON };

/* Process-wide settings; set them before starting threads. */
void bl_log_setup(enum bl_log_level level, enum bl_log_format format, const char *program);

/* Parse "debug|info|warn|error|off" and "text|json"; -1 when unknown. */
int bl_log_level_parse(const char *s);
int bl_log_format_parse(const char *s);

/* Redirect output (tests); NULL means stderr. */
void bl_log_set_stream(FILE *f);

int bl_log_enabled(enum bl_log_level level);

/* A message formatted with printf rules. */
void bl_log(enum bl_log_level level, const char *fmt, ...) BL_PRINTF(2, 3);

/*
 * A message with fields: pairs of key and value strings ended by NULL, e.g.
 *   bl_log_kv(BL_LOG_INFO, "request", "method", "GET", "status", "200", NULL);
 * Text: `... info request method=GET status=200`; JSON: each pair a member.
 */
void bl_log_kv(enum bl_log_level level, const char *msg, ...) __attribute__((sentinel));

#define bl_debug(...) bl_log(BL_LOG_DEBUG, __VA_ARGS__)
#define bl_info(...) bl_log(BL_LOG_INFO, __VA_ARGS__)
#define bl_warn(...) bl_log(BL_LOG_WARN, __VA_ARGS__)
#define bl_error(...) bl_log(BL_LOG_ERROR, __VA_ARGS__)

#endif
