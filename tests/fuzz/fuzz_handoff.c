/* fuzz_handoff.c — the handoff decoder: no crash, and slices stay inside the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "exec/handoff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const struct exec_slice *s, const uint8_t *data, size_t size)
{
	if (s->len && (s->p < data || s->p + s->len > data + size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct exec_handoff h;

	if (exec_handoff_decode(data, size, &h) < 0)
		return 0;
	inside(&h.module, data, size);
	inside(&h.config, data, size);
	for (size_t i = 0; i < h.nargs; i++)
		inside(&h.args[i], data, size);
	for (size_t i = 0; i < h.nenvs; i++)
		inside(&h.envs[i], data, size);
	for (size_t i = 0; i < h.ndirs; i++)
		inside(&h.dirs[i], data, size);
	return 0;
}
