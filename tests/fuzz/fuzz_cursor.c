/*
 * fuzz_cursor.c — drives the checked cursor with an input-chosen sequence of
 * reads. Property: no read ever goes outside the input (ASan), a failed read
 * leaves the position unchanged, and positions only grow.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bl_cur c = bl_cur_make(data, size), sub;
	uint8_t op;

	while (bl_cur_u8(&c, &op) == 0) {
		size_t before = c.pos;
		uint8_t u8;
		uint16_t u16;
		uint32_t u32;
		uint64_t u64;
		int32_t s32;
		int64_t s64;
		const uint8_t *p;
		int rc = 0;

		switch (op % 16) {
		case 0: rc = bl_cur_u16le(&c, &u16); break;
		case 1: rc = bl_cur_u16be(&c, &u16); break;
		case 2: rc = bl_cur_u32le(&c, &u32); break;
		case 3: rc = bl_cur_u32be(&c, &u32); break;
		case 4: rc = bl_cur_u64le(&c, &u64); break;
		case 5: rc = bl_cur_u64be(&c, &u64); break;
		case 6: rc = bl_cur_leb_u32(&c, &u32); break;
		case 7: rc = bl_cur_leb_u64(&c, &u64); break;
		case 8: rc = bl_cur_leb_s32(&c, &s32); break;
		case 9: rc = bl_cur_leb_s33(&c, &s64); break;
		case 10: rc = bl_cur_leb_s64(&c, &s64); break;
		case 11:
			rc = bl_cur_bytes(&c, op >> 4, &p);
			if (rc == 0 && (p < data || p + (op >> 4) > data + size))
				abort();
			break;
		case 12:
			/* A sub-cursor from a length byte; read it to the end. */
			if (bl_cur_u8(&c, &u8) < 0)
				return 0;
			before = c.pos;
			rc = bl_cur_sub(&c, u8, &sub);
			if (rc == 0) {
				while (bl_cur_leb_u32(&sub, &u32) == 0)
					;
				if (sub.pos > sub.len)
					abort();
			}
			break;
		case 13: rc = bl_cur_skip(&c, op >> 3); break;
		case 14: rc = bl_cur_peek(&c, &u8); break;
		default: rc = bl_cur_expect_end(&c, "fuzz"); break;
		}
		if (rc < 0 && c.pos != before)
			abort();
		if (c.pos < before || c.pos > c.len)
			abort();
	}
	return 0;
}
