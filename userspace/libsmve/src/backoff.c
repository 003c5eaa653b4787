// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Reconnect back-off of the TCP master (spec §7.3); see <smve/master.h>. */
#include <smve/master.h>

void smve_backoff_init(struct smve_backoff *b, uint32_t seed)
{
	b->base_ms = 1000;
	b->max_ms = 60000;
	b->cur_ms = b->base_ms;
	/* xorshift32 has a fixed point at 0 */
	b->rng = seed ? seed : 0x9E3779B9u;
}

static uint32_t xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

uint32_t smve_backoff_next(struct smve_backoff *b)
{
	uint32_t d = b->cur_ms;
	/* uniform in [-20 %, +20 %] of the current step */
	uint32_t span = d / 5;
	uint32_t r = span ? xorshift32(&b->rng) % (2 * span + 1) : 0;

	b->cur_ms = b->cur_ms >= b->max_ms / 2 ? b->max_ms : b->cur_ms * 2;
	return d - span + r;
}

void smve_backoff_reset(struct smve_backoff *b)
{
	b->cur_ms = b->base_ms;
}
