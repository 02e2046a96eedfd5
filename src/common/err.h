/*
 * err.h — error codes and the thread-local error reason.
 *
 * Contract: every fallible function in Bailey returns 0 (or a non-negative
 * count) on success and a negative BL_E* code on failure, or a pointer that is
 * NULL on failure. Before failing it records a human-readable reason with
 * context via bl_err(); the caller may add context with bl_err_wrap() and the
 * CLI prints bl_errmsg(). The reason is per thread, so concurrent requests do
 * not see each other's messages.
 *
 * Secrets never go into a reason: callers format only names, offsets and
 * public values.
 */
#ifndef BL_COMMON_ERR_H
#define BL_COMMON_ERR_H

#include <stddef.h>

#define BL_MUST_CHECK __attribute__((warn_unused_result))
#define BL_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum bl_errcode {
	BL_OK = 0,
	BL_EINVAL = -1, /* malformed input or bad argument */
	BL_ETRUNC = -2, /* input ended before the structure did */
	BL_ENOMEM = -3, /* allocation failed or a size limit was reached */
	BL_EIO = -4, /* operating-system I/O failure */
	BL_ERANGE = -5, /* value out of the allowed range */
	BL_ENOENT = -6, /* no such thing */
	BL_EPERM = -7, /* refused by policy or authorisation */
	BL_EVERIFY = -8, /* a signature, digest or chain did not verify */
	BL_EUNSUPP = -9, /* well-formed but not supported */
	BL_EEXIST = -10, /* already exists */
	BL_ETIMEOUT = -11, /* deadline passed */
	BL_EINTERNAL = -12 /* a bug: an invariant did not hold */
};

/* Short name of a code ("EINVAL"); never NULL. */
const char *bl_errname(int code);

/*
 * Record the reason for the current failure and return `code`, so that a
 * failing path reads `return bl_err(BL_EINVAL, "tag %s: bad digest", t);`.
 * The reason is truncated to BL_ERRMSG_MAX - 1 bytes.
 */
#define BL_ERRMSG_MAX 512
int bl_err(int code, const char *fmt, ...) BL_PRINTF(2, 3);

/* Prefix the current reason with context ("config.toml: " + reason); returns code. */
int bl_err_wrap(int code, const char *fmt, ...) BL_PRINTF(2, 3);

/* The current thread's last reason; "" when none was recorded. */
const char *bl_errmsg(void);

/* Forget the current reason. */
void bl_err_clear(void);

/* Guard macros: a call either succeeds or the function returns its code. */
#define BL_TRY(expr)                                                                               \
	do {                                                                                       \
		int bl_try_rc_ = (expr);                                                           \
		if (bl_try_rc_ < 0)                                                                \
			return bl_try_rc_;                                                         \
	} while (0)

/* Variant for functions with a cleanup path: sets `rc` and jumps to `label`. */
#define BL_TRY_GOTO(rc, expr, label)                                                               \
	do {                                                                                       \
		(rc) = (expr);                                                                     \
		if ((rc) < 0)                                                                      \
			goto label;                                                                \
	} while (0)

/* Defensive checks in the SQLite manner: conditions that must hold. */
#define BL_ALWAYS(x) (__builtin_expect(!!(x), 1))
#define BL_NEVER(x) (__builtin_expect(!!(x), 0))

#endif
