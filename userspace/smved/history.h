/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Analog history for trends: AI (and numeric derived) values recorded in
 * the journal's database with a per-point deadband and minimum interval,
 * kept for history_days (journal_opts).
 */
#ifndef SMVED_HISTORY_H
#define SMVED_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

struct journal;
struct store;
struct history;

/*
 * Start recording the points of @s into @j: AI points by default (their
 * engineering value).  A sample is written when the value moved by more
 * than @deadband (absolute, engineering units) since the last recorded
 * sample, or the quality changed, and at least @min_interval_ms passed;
 * every @max_interval_s a sample is written anyway.  Writes are batched
 * into one transaction per second.  Returns NULL on failure (logged).
 */
struct history *history_start(struct journal *j, struct store *s,
			      double deadband, unsigned min_interval_ms,
			      unsigned max_interval_s);
/* Flush what is pending and stop.  NULL is allowed. */
void history_stop(struct history *h);
/* Write pending samples now (called from a 1 s timer and on exit). 0 or -1. */
int history_flush(struct history *h);

/*
 * Samples of @tag in [from_us, to_us], in time order.  At most @max
 * samples (0 = 10000) are visited.  Returns the number visited or -1.
 */
int history_query(struct journal *j, const char *tag, int64_t from_us,
		  int64_t to_us, unsigned max,
		  void (*visit)(int64_t t_us, double value, uint8_t q,
				bool stale, void *arg),
		  void *arg);

#endif /* SMVED_HISTORY_H */
