// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Timing defaults (§7.4), the PEH schedule (§6.4) and the log-scale
 * latency histogram of the bus master.  Freestanding: see smve_core.h.
 */
#include "smve_core.h"

u64 smve_char_time_ns(unsigned int frame_bits, unsigned int baud)
{
	if (frame_bits == 0 || baud == 0) {
		frame_bits = SMVE_DEFAULT_FRAME_BITS;
		baud = SMVE_DEFAULT_BAUD;
	}
	/* Round up: a timeout a nanosecond long is harmless, short is not. */
	return ((u64)frame_bits * SMVE_NSEC_PER_SEC + baud - 1) / baud;
}

static u64 pick(u32 cfg_us, u64 auto_ns)
{
	return cfg_us ? (u64)cfg_us * SMVE_NSEC_PER_USEC : auto_ns;
}

void smve_timing_compute(const struct smve_timing_cfg *cfg, u64 tc_ns,
			 struct smve_timing *t)
{
	t->tc_ns = tc_ns;
	t->response_timeout_ns = pick(cfg->response_timeout_us,
				      15 * tc_ns + SMVE_SLACK_NS);
	t->interchar_ns = pick(cfg->interchar_timeout_us,
			       16 * tc_ns + SMVE_SLACK_NS);
	t->guard_ns = pick(cfg->guard_us, 5 * tc_ns);
	t->bcast_guard_ns = pick(cfg->broadcast_guard_us,
				 5 * tc_ns + SMVE_BCAST_EXTRA_NS);
}

void smve_peh_init(struct smve_peh *p)
{
	p->sent = 0;
	p->requested = 0;
	p->last_ns = 0;
}

void smve_peh_note_sv0(struct smve_peh *p, u8 sv0)
{
	if (!(sv0 & 0x40))
		p->requested = 1;
}

u64 smve_peh_next_ns(const struct smve_peh *p, u32 interval_s, bool enable)
{
	u64 next = ~0ULL;

	if (!enable)
		return next;
	if (!p->sent)
		return 0;
	if (interval_s)
		next = p->last_ns + (u64)interval_s * SMVE_NSEC_PER_SEC;
	if (p->requested && p->last_ns + SMVE_PEH_BIT6_MIN_NS < next)
		next = p->last_ns + SMVE_PEH_BIT6_MIN_NS;
	return next;
}

bool smve_peh_due(const struct smve_peh *p, u64 now, u32 interval_s,
		  bool enable)
{
	return enable && now >= smve_peh_next_ns(p, interval_s, enable);
}

void smve_peh_sent(struct smve_peh *p, u64 now)
{
	p->sent = 1;
	p->requested = 0;
	p->last_ns = now;
}

void smve_hist_reset(struct smve_hist *h)
{
	unsigned int i;

	h->count = 0;
	h->min = 0;
	h->max = 0;
	for (i = 0; i < SMVE_HIST_BUCKETS; i++)
		h->bucket[i] = 0;
}

/* Index of the highest set bit, v > 0. */
static unsigned int msb64(u64 v)
{
	unsigned int n = 0;

	while (v >>= 1)
		n++;
	return n;
}

/* Bucket 2k holds [2^k, 1.5 * 2^k), bucket 2k+1 holds [1.5 * 2^k, 2^(k+1)). */
static unsigned int bucket_of(u64 v)
{
	unsigned int k;

	if (v < 2)
		return 0;
	k = msb64(v);
	return 2 * k + (unsigned int)((v >> (k - 1)) & 1);
}

static u64 bucket_top(unsigned int b)
{
	unsigned int k = b / 2;

	if (k >= 63)
		return ~0ULL;
	if (b & 1)
		return (2ULL << k) - 1;
	return (1ULL << k) + (k ? (1ULL << (k - 1)) : 1) - 1;
}

void smve_hist_add(struct smve_hist *h, u64 v)
{
	unsigned int b = bucket_of(v);

	if (h->count == 0 || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->count++;
	h->bucket[b]++;
}

u64 smve_hist_quantile(const struct smve_hist *h, unsigned int permille)
{
	u64 rank, seen = 0;
	unsigned int b;

	if (h->count == 0)
		return 0;
	if (permille > 1000)
		permille = 1000;
	/* Smallest rank r with r >= count * permille / 1000, at least 1. */
	rank = (h->count * permille + 999) / 1000;
	if (rank == 0)
		rank = 1;
	for (b = 0; b < SMVE_HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= rank) {
			u64 top = bucket_top(b);

			if (top > h->max)
				top = h->max;
			if (top < h->min)
				top = h->min;
			return top;
		}
	}
	return h->max;
}
