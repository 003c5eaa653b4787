/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smve-sim: the simulated station clock.  Device timestamps are station
 * local civil time (spec §5.11), so simulated time is kept as nanoseconds
 * since 1970-01-01 00:00 *local*, read as if it were UTC; it runs at
 * --time-scale times the host's monotonic clock and is re-anchored by PEH.
 */
#ifndef SMVE_SIM_SIMCLOCK_H
#define SMVE_SIM_SIMCLOCK_H

#include <stdint.h>
#include <smve/mara.h>

struct simclock {
	double scale;		/* simulated seconds per real second */
	int64_t anchor_mono;	/* CLOCK_MONOTONIC ns at the anchor */
	int64_t anchor_sim;	/* simulated ns at the anchor */
};

/* Start at @start_sim (ns, local civil) running @scale times real time. */
void simclock_init(struct simclock *c, int64_t start_sim, double scale);

/* Current simulated time in ns. */
int64_t simclock_now(const struct simclock *c);

/* Make the current simulated time @sim_ns (a PEH was received). */
void simclock_set(struct simclock *c, int64_t sim_ns);

/*
 * Simulated ns from a PEH's civil fields, or -1 when a field is out of
 * range (such a PEH is ignored, as a device would ignore garbage).
 */
int64_t simclock_from_mara(const struct mara_time *t);

/* The host's current local civil time in ns (the default start). */
int64_t simclock_host_local(void);

/*
 * Parse --start: "now" or "YYYY-MM-DDTHH:MM:SS" (local civil, years
 * 2000..2253).  Returns ns or -1.
 */
int64_t simclock_parse(const char *s);

/* Break @sim_ns into wire fields (fraction truncated to 1/128 s). */
void simclock_fields(int64_t sim_ns, struct mara_time *t);

#endif
