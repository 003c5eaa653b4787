// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reassembler: the first input byte seeds the chunking.  Invariants: every yielded frame verifies;
 * feeding the same stream in random chunks and one byte at a time yields identical frames.
 */
#include <smve/mara.h>

#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 256

struct collected {
	size_t n;
	u8 frames[MAX_FRAMES][MARA_QTY_MAX];
	size_t lens[MAX_FRAMES];
};

static void collect(const u8 *data, size_t size, unsigned int seed, struct collected *c)
{
	struct mara_reasm r;
	size_t off = 0;

	mara_reasm_init(&r);
	c->n = 0;
	while (off < size) {
		size_t chunk = seed ? 1 + (seed = seed * 1103515245u + 12345u) % 97 : 1;
		const u8 *p = data + off, *f;
		size_t n = chunk > size - off ? size - off : chunk, fl;

		off += n;
		while ((f = mara_reasm_next(&r, &p, &n, &fl))) {
			if (mara_parse(f, fl, NULL) != 0)
				abort();
			if (c->n < MAX_FRAMES) {
				memcpy(c->frames[c->n], f, fl);
				c->lens[c->n] = fl;
			}
			c->n++;
		}
		if (n)
			abort();
	}
	if (r.stats.frames != c->n)
		abort();
	mara_reasm_abort(&r);
	if (mara_reasm_busy(&r))
		abort();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static struct collected a, b;
	size_t i;

	if (size < 1)
		return 0;
	collect(data + 1, size - 1, data[0] | 1u, &a);
	collect(data + 1, size - 1, 0, &b);
	if (a.n != b.n)
		abort();
	for (i = 0; i < a.n && i < MAX_FRAMES; i++)
		if (a.lens[i] != b.lens[i] || memcmp(a.frames[i], b.frames[i], a.lens[i]) != 0)
			abort();
	return 0;
}
