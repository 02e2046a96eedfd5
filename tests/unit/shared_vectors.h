/*
 * shared_vectors.h — reading ../shared in place from cmocka tests.
 *
 * slurp("vectors/…", &len) returns the file's bytes under $BAILEY_SHARED
 * (malloc'd, the caller frees them), or NULL when $BAILEY_SHARED is unset or
 * the file is absent, so that the caller can skip with a message.
 */
#ifndef BL_TESTS_SHARED_VECTORS_H
#define BL_TESTS_SHARED_VECTORS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint8_t *slurp(const char *rel, size_t *len)
{
	const char *shared = getenv("BAILEY_SHARED");
	char path[4096];
	FILE *f;
	uint8_t *p;
	long n;

	if (!shared)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", shared, rel);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

#endif
