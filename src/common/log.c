/* log.c — see log.h. */
#include "common/log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#define LINE_MAX_BYTES 4096

static enum bl_log_level g_level = BL_LOG_INFO;
static enum bl_log_format g_format = BL_LOG_TEXT;
static const char *g_program = "bailey";
static FILE *g_stream;

static const char *const level_names[] = { "debug", "info", "warn", "error", "off" };

void bl_log_setup(enum bl_log_level level, enum bl_log_format format, const char *program)
{
	g_level = level;
	g_format = format;
	if (program)
		g_program = program;
}

static int parse_name(const char *s, const char *const *names, int n)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int bl_log_level_parse(const char *s)
{
	return parse_name(s, level_names, 5);
}

int bl_log_format_parse(const char *s)
{
	static const char *const names[] = { "text", "json" };
	return parse_name(s, names, 2);
}

void bl_log_set_stream(FILE *f)
{
	g_stream = f;
}

int bl_log_enabled(enum bl_log_level level)
{
	return level >= g_level && level < BL_LOG_OFF;
}

/*
 * A fixed-size line builder that truncates instead of failing. RESERVE bytes
 * are always kept free so that a cut line can still be closed: "…", a closing
 * quote, "}" and the newline. Once cut, nothing more is added but closers, so
 * a JSON line stays one valid object.
 */
#define RESERVE 16

struct line {
	char s[LINE_MAX_BYTES];
	size_t n;
	int cut;
};

static size_t line_room(const struct line *l)
{
	return sizeof(l->s) - RESERVE - l->n;
}

static void line_cut(struct line *l)
{
	if (!l->cut) {
		memcpy(l->s + l->n, "\xe2\x80\xa6", 3); /* "…" */
		l->n += 3;
		l->cut = 1;
	}
}

static void line_add(struct line *l, const char *p, size_t n)
{
	if (l->cut)
		return;
	if (n > line_room(l)) {
		line_cut(l);
		return;
	}
	memcpy(l->s + l->n, p, n);
	l->n += n;
}

static void line_str(struct line *l, const char *s)
{
	line_add(l, s, strlen(s));
}

/* Closers are written even after a cut; RESERVE leaves room for them. */
static void line_close(struct line *l, const char *s)
{
	size_t n = strlen(s);

	if (l->n + n <= sizeof(l->s)) {
		memcpy(l->s + l->n, s, n);
		l->n += n;
	}
}

/* Append s, JSON-escaped when json is set; a cut ends inside the string. */
static void line_text(struct line *l, const char *s, int json)
{
	for (; *s && !l->cut; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (!json) {
			esc[0] = (c == '\n' || c == '\r') ? ' ' : (char)c;
			line_add(l, esc, 1);
		} else if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			line_add(l, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			line_add(l, esc, 6);
		} else {
			line_add(l, (const char *)&c, 1);
		}
	}
}

/* A quoted JSON string member ,"k":"v" — or " k=v" in text mode. */
static void line_member(struct line *l, const char *k, const char *v, int json)
{
	if (l->cut)
		return;
	/* A key is never cut: without room for it and a little value, stop here. */
	if (line_room(l) < strlen(k) * 6 + 16) {
		l->cut = 1;
		return;
	}
	if (json) {
		line_str(l, ",\"");
		line_text(l, k, 1);
		line_str(l, "\":\"");
		line_text(l, v, 1);
		line_close(l, "\"");
	} else {
		line_str(l, " ");
		line_text(l, k, 0);
		line_str(l, "=");
		line_text(l, v, 0);
	}
}

static void line_start(struct line *l, enum bl_log_level level, const char *msg)
{
	char ts[96];
	struct timespec now;
	struct tm tm;
	int json = g_format == BL_LOG_JSON;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         now.tv_nsec / 1000000);
	l->n = 0;
	l->cut = 0;
	if (json) {
		line_str(l, "{\"ts\":\"");
		line_str(l, ts);
		line_str(l, "\",\"level\":\"");
		line_str(l, level_names[level]);
		line_str(l, "\",\"prog\":\"");
		line_text(l, g_program, 1);
		line_str(l, "\",\"msg\":\"");
		line_text(l, msg, 1);
		line_close(l, "\"");
	} else {
		line_str(l, ts);
		line_str(l, " ");
		line_str(l, g_program);
		line_str(l, " ");
		line_str(l, level_names[level]);
		line_str(l, " ");
		line_text(l, msg, 0);
	}
}

static void line_finish(struct line *l)
{
	FILE *f = g_stream ? g_stream : stderr;

	if (g_format == BL_LOG_JSON)
		line_close(l, "}");
	line_close(l, "\n");
	fwrite(l->s, 1, l->n, f);
	fflush(f);
}

void bl_log(enum bl_log_level level, const char *fmt, ...)
{
	char msg[LINE_MAX_BYTES];
	struct line l;
	va_list ap;

	if (!bl_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	line_start(&l, level, msg);
	line_finish(&l);
}

void bl_log_kv(enum bl_log_level level, const char *msg, ...)
{
	struct line l;
	const char *k;
	va_list ap;

	if (!bl_log_enabled(level))
		return;
	line_start(&l, level, msg);
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		line_member(&l, k, v ? v : "", g_format == BL_LOG_JSON);
	}
	va_end(ap);
	line_finish(&l);
}
