// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Timing defaults (spec §7.4), PEH schedule (§6.4), the latency histogram and the record-ring
 * cursor rules of smve.ko (kernel/smve_timing.c, kernel/smve_core.h).
 */
#include "smve_core.h"

#include <stdlib.h>

#include "tap.h"

#define US 1000ULL
#define MS 1000000ULL
#define S 1000000000ULL

static void test_timing(void)
{
	struct smve_timing_cfg cfg = { 0 };
	struct smve_timing t;
	u64 tc = smve_char_time_ns(10, 115200);

	IS(tc, 86806, "Tc at 115200 8N1 (rounded up)");
	IS(smve_char_time_ns(10, 9600), 1041667, "Tc at 9600 8N1");
	IS(smve_char_time_ns(11, 9600), 1145834, "Tc at 9600 8E1 (11 bits)");
	IS(smve_char_time_ns(10, 0), 86806, "B0 falls back to 115200 8N1");
	smve_timing_compute(&cfg, tc, &t);
	IS(t.response_timeout_ns, 15 * tc + 5 * MS, "TO3 = TO2 + 10 Tc + slack");
	OK(t.response_timeout_ns / US == 6302, "TO3 at 115200 is 6.3 ms (%llu us)", (unsigned long long)(t.response_timeout_ns / US));
	IS(t.interchar_ns, 16 * tc + 5 * MS, "gap limit 16 Tc + slack");
	IS(t.guard_ns, 5 * tc, "guard 5 Tc");
	IS(t.bcast_guard_ns, 5 * tc + 10 * MS, "broadcast guard 5 Tc + 10 ms");
	smve_timing_compute(&cfg, smve_char_time_ns(10, 9600), &t);
	OK(t.response_timeout_ns / 100000 == 206, "TO3 at 9600 is 20.6 ms");
	OK(t.interchar_ns / 100000 == 216 || t.interchar_ns / 100000 == 217, "gap limit at 9600 ~21.7 ms");
	cfg.response_timeout_us = 2500;
	cfg.guard_us = 1;
	smve_timing_compute(&cfg, tc, &t);
	IS(t.response_timeout_ns, 2500 * US, "configured TO3 wins over auto");
	IS(t.guard_ns, 1 * US, "configured guard wins");
	IS(t.interchar_ns, 16 * tc + 5 * MS, "other values stay automatic");
	IS(smve_tx_end_ns(1000, 8, tc), 1000 + 8 * tc, "estimated end of an 8-byte poll");
}

static void test_peh(void)
{
	struct smve_peh p;

	smve_peh_init(&p);
	OK(smve_peh_due(&p, 0, 60, true), "PEH due at bus start");
	OK(!smve_peh_due(&p, 0, 60, false), "never while peh_enable = 0");
	OK(!smve_peh_due(&p, 0, 0, false), "disabled even at start");
	smve_peh_sent(&p, 1 * S);
	OK(!smve_peh_due(&p, 60 * S, 60, true), "not before the interval");
	OK(smve_peh_due(&p, 61 * S, 60, true), "due every peh_interval_s");
	IS(smve_peh_next_ns(&p, 60, true), 61 * S, "next due time for the timer");
	OK(!smve_peh_due(&p, 1000 * S, 0, true), "interval 0: no periodic PEH");
	IS(smve_peh_next_ns(&p, 0, true), ~0ULL, "interval 0: never due");
	smve_peh_note_sv0(&p, 0x43);
	OK(!p.requested, "bit 6 set: no request");
	smve_peh_note_sv0(&p, 0x03);
	OK(p.requested, "bit 6 clear: PEH requested");
	OK(!smve_peh_due(&p, 5 * S, 0, true), "at most once per 5 s");
	OK(smve_peh_due(&p, 6 * S, 0, true), "requested PEH after 5 s");
	OK(!smve_peh_due(&p, 6 * S, 0, false), "requested PEH suppressed when disabled");
	smve_peh_sent(&p, 6 * S);
	OK(!p.requested, "sending clears the request");
	OK(!smve_peh_due(&p, 100 * S, 0, true), "no further PEH without a new request");
}

static void test_hist(void)
{
	struct smve_hist h;
	u64 v;
	int i;

	smve_hist_reset(&h);
	IS(smve_hist_quantile(&h, 500), 0, "empty histogram gives 0");
	smve_hist_add(&h, 1000);
	IS(h.min, 1000, "min");
	IS(h.max, 1000, "max");
	IS(smve_hist_quantile(&h, 500), 1000, "single sample: clamped to it");
	smve_hist_reset(&h);
	for (i = 1; i <= 1000; i++)
		smve_hist_add(&h, (u64)i * 1000);
	IS(h.count, 1000, "count");
	IS(h.min, 1000, "min of 1..1000 us");
	IS(h.max, 1000000, "max of 1..1000 us");
	v = smve_hist_quantile(&h, 500);
	OK(v >= 500000 && v < 500000 * 3 / 2, "p50 within a half octave above 500 us (%llu)", (unsigned long long)v);
	v = smve_hist_quantile(&h, 990);
	OK(v >= 990000 && v <= 1000000, "p99 near 990 us, clamped to max (%llu)", (unsigned long long)v);
	IS(smve_hist_quantile(&h, 1000), 1000000, "p100 is the max");
	smve_hist_add(&h, ~0ULL);
	IS(h.max, ~0ULL, "largest value accepted");
	smve_hist_add(&h, 0);
	IS(h.min, 0, "zero accepted");
}

static void test_ring(void)
{
	u64 first = 1, next = 1, cur = 1, lost = 0, seq;
	bool ev;
	int i;

	IS(smve_ring_check(first, next, &cur, &lost), SMVE_RING_EMPTY, "empty ring");
	for (i = 0; i < 4; i++) {
		seq = smve_ring_push(&first, &next, 4, &ev);
		IS(seq, (u64)i + 1, "push gives seq %d", i + 1);
		OK(!ev, "no eviction below capacity");
	}
	IS(smve_ring_check(first, next, &cur, &lost), SMVE_RING_DATA, "record at cursor");
	seq = smve_ring_push(&first, &next, 4, &ev);
	OK(ev && first == 2 && seq == 5, "full ring evicts the oldest");
	IS(smve_ring_check(first, next, &cur, &lost), SMVE_RING_OVERRUN, "reader behind the oldest: overrun");
	IS(lost, 1, "one record lost");
	IS(cur, 2, "cursor moved to the oldest");
	IS(smve_ring_check(first, next, &cur, &lost), SMVE_RING_DATA, "then continues");
	IS(smve_ring_seek(first, next, 100), next, "seek past the end clamps to next");
	IS(smve_ring_seek(first, next, 1), 1, "seek before the oldest is kept (EPIPE on read)");
	IS(smve_ring_seek(first, next, 0), first, "seek 0 is the oldest");
	cur = 50;
	IS(smve_ring_check(first, next, &cur, &lost), SMVE_RING_EMPTY, "cursor beyond next is empty");
	IS(cur, next, "and clamped");
}

int main(void)
{
	test_timing();
	test_peh();
	test_hist();
	test_ring();
	return tap_done();
}
