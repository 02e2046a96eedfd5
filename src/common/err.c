/* err.c — thread-local error reasons. */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char bl_errbuf[BL_ERRMSG_MAX];

const char *bl_errname(int code)
{
	switch (code) {
	case BL_OK: return "OK";
	case BL_EINVAL: return "EINVAL";
	case BL_ETRUNC: return "ETRUNC";
	case BL_ENOMEM: return "ENOMEM";
	case BL_EIO: return "EIO";
	case BL_ERANGE: return "ERANGE";
	case BL_ENOENT: return "ENOENT";
	case BL_EPERM: return "EPERM";
	case BL_EVERIFY: return "EVERIFY";
	case BL_EUNSUPP: return "EUNSUPP";
	case BL_EEXIST: return "EEXIST";
	case BL_ETIMEOUT: return "ETIMEOUT";
	case BL_EINTERNAL: return "EINTERNAL";
	default: return "EUNKNOWN";
	}
}

int bl_err(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(bl_errbuf, sizeof(bl_errbuf), fmt, ap);
	va_end(ap);
	return code;
}

int bl_err_wrap(int code, const char *fmt, ...)
{
	char prefix[BL_ERRMSG_MAX];
	char old[BL_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, bl_errbuf, sizeof(old));
	/* prefix + old reason, cut to the buffer (truncation is intended). */
	{
		size_t np = strlen(prefix), no = strlen(old);

		if (np > sizeof(bl_errbuf) - 1)
			np = sizeof(bl_errbuf) - 1;
		if (no > sizeof(bl_errbuf) - 1 - np)
			no = sizeof(bl_errbuf) - 1 - np;
		memcpy(bl_errbuf, prefix, np);
		memcpy(bl_errbuf + np, old, no);
		bl_errbuf[np + no] = '\0';
	}
	return code;
}

const char *bl_errmsg(void)
{
	return bl_errbuf;
}

void bl_err_clear(void)
{
	bl_errbuf[0] = '\0';
}
