/*
 * toml.h — a TOML 1.0.0 parser (https://toml.io/en/v1.0.0).
 *
 * Contract: bl_toml_parse() reads the whole document from memory and returns
 * a tree of values, or NULL with a reason "line L, column C: what" (1-based)
 * for any input that TOML 1.0.0 does not allow: the parser accepts every
 * valid file of toml-test and refuses every invalid one. It never reads past
 * len, and text need not be NUL-terminated. Strings come back as UTF-8
 * (escapes decoded, may contain NUL: use the length). Integers are int64;
 * out-of-range integers are errors. Datetimes are kept as their normalised
 * RFC 3339 text plus their kind.
 *
 * Every value remembers the line and column where it was defined, so that
 * programs reading configuration can name the place of a bad value or an
 * unknown key. Columns count characters (UTF-8 sequences), from 1.
 *
 * Limits and choices: values nested more than 128 levels below the root
 * (tables, arrays, dotted-key parts together) are refused, so recursion is
 * bounded; a bare value (number, datetime) is at most 128 bytes; a float
 * beyond the binary64 range is refused rather than made infinite. Newlines
 * inside multi-line strings come back as "\n" whatever the file used.
 * Fractional seconds are kept with at least three digits ("07:32:00.600").
 *
 * Ownership: the tree belongs to the root; bl_toml_free(root) frees it all.
 * Pointers returned by the accessors live as long as the root.
 */
#ifndef BL_COMMON_TOML_H
#define BL_COMMON_TOML_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

enum bl_toml_type {
	BL_TOML_TABLE,
	BL_TOML_ARRAY,
	BL_TOML_STRING,
	BL_TOML_INTEGER,
	BL_TOML_FLOAT,
	BL_TOML_BOOL,
	BL_TOML_DATETIME, /* offset date-time */
	BL_TOML_DATETIME_LOCAL, /* local date-time */
	BL_TOML_DATE_LOCAL,
	BL_TOML_TIME_LOCAL,
};

struct bl_toml; /* one value: table, array or scalar */

/* Parse a document; the root is a table. NULL (reason in bl_errmsg()) on error. */
struct bl_toml *bl_toml_parse(const char *text, size_t len);
void bl_toml_free(struct bl_toml *root);

/* v must not be NULL. */
enum bl_toml_type bl_toml_type(const struct bl_toml *v);
/* "table", "array", "string", "integer", "float", "bool", "datetime", … */
const char *bl_toml_type_name(enum bl_toml_type t);
/* Where v was written (1-based); 0 for NULL. */
unsigned bl_toml_line(const struct bl_toml *v);
unsigned bl_toml_column(const struct bl_toml *v);

/* Tables: keys in document order. NULL when absent or v is not a table. */
size_t bl_toml_table_len(const struct bl_toml *v);
const char *bl_toml_table_key(const struct bl_toml *v, size_t i);
struct bl_toml *bl_toml_table_value(const struct bl_toml *v, size_t i);
struct bl_toml *bl_toml_get(const struct bl_toml *table, const char *key);
/* Key i with its length (quoted keys may contain NUL); *len may be NULL. */
const char *bl_toml_table_keyn(const struct bl_toml *v, size_t i, size_t *len);

/*
 * For configuration readers: 0 when v is a value of type t. Otherwise
 * BL_ENOENT "<what> is missing" when v is NULL (an absent key), or BL_EINVAL
 * "line 3, column 8: <what> must be a string, not an integer".
 */
BL_MUST_CHECK int bl_toml_expect_type(const struct bl_toml *v, enum bl_toml_type t,
                                      const char *what);

/*
 * For configuration readers: fail unless every key of `table` is one of
 * `allowed` (a NULL-terminated list). The reason names the first unknown
 * key, the line and column where it was written, and `what` ("[[files]]
 * entry"): "line 7, column 1: unknown key 'prto' in [[files]] entry".
 * BL_EINVAL also when `table` is not a table.
 */
BL_MUST_CHECK int bl_toml_check_keys(const struct bl_toml *table, const char *const *allowed,
                                     const char *what);

/* Arrays (also arrays of tables). */
size_t bl_toml_array_len(const struct bl_toml *v);
struct bl_toml *bl_toml_array_at(const struct bl_toml *v, size_t i);

/*
 * Scalars. Each returns the stored value; callers check the type first (a
 * NULL v or one of another type gives NULL, 0 or 0.0).
 */
const char *bl_toml_str(const struct bl_toml *v, size_t *len); /* also datetimes' text */
int64_t bl_toml_int(const struct bl_toml *v);
double bl_toml_float(const struct bl_toml *v);
int bl_toml_bool(const struct bl_toml *v);

#endif
