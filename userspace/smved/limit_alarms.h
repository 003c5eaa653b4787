/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Analog limit alarms (spec §8.4 valuemax/valuemin/deltah/deltal, texts
 * §8.6 id 7 "VALOR MIN/MAX" and id 6 "DELTA MIN/MAX"): specified by the
 * original system, never implemented there.  Rules (docs/design-notes.md
 * "Analog limit alarms"):
 *
 *   value limits, on the engineering value v = raw x escala:
 *     MAX raised when v > valuemax,  cleared when v <= valuemax - h;
 *     MIN raised when v < valuemin,  cleared when v >= valuemin + h;
 *   rate limits, on r = (v - v_prev) / (t - t_prev) in units per second
 *   between two consecutive good samples (t: the source time):
 *     DMAX raised when r > deltah,   cleared when r <= max(deltah - h, 0);
 *     DMIN raised when r < -deltal,  cleared when r >= -max(deltal - h, 0);
 *   h is the hysteresis (engineering units; for rates, units per second).
 *
 * A sample that is not good (AI qualifier q != 0, stale, never received)
 * neither raises nor clears anything: an active alarm stays active, an
 * inactive one stays inactive, until a good value decides.  The rate
 * reference is forgotten, so no rate is ever computed across a gap.
 *
 * The state machine (limit_eval) is pure; limits_new() runs it in the
 * daemon: it follows the store, journals each change as an event of type
 * "limit" (raised: an alarm needing attention; cleared: the "return to
 * normal", journalled, not an alarm) and rebuilds the active alarms from
 * the journal at start and after a reload.
 */
#ifndef SMVED_LIMIT_ALARMS_H
#define SMVED_LIMIT_ALARMS_H

#include <stdbool.h>
#include <stdint.h>

enum limit_kind {
	LIMIT_MAX = 0,		/* valuemax, text idTextoEvM value 1 */
	LIMIT_MIN = 1,		/* valuemin, text idTextoEvM value 0 */
	LIMIT_DMAX = 2,		/* deltah, text idTextoEv2 value 1 */
	LIMIT_DMIN = 3,		/* deltal, text idTextoEv2 value 0 */
	LIMIT_KINDS
};

/* Short stable names used in the events' fields: "max", "min", "delta_max", "delta_min". */
const char *limit_kind_name(enum limit_kind k);

/* The limits of one AI, from ai.csv (sheets_load.c validates them). */
struct ai_limits {
	unsigned has;		/* bit (1 << enum limit_kind) per configured limit */
	double vmax, vmin;	/* engineering units, vmin < vmax when both */
	double dmax, dmin;	/* deltah, deltal: > 0, engineering units per second */
	double hyst;		/* >= 0, smaller than vmax - vmin */
	int text_value;		/* textoevtipo id of the value limits (idTextoEvM, 7) */
	int text_rate;		/* textoevtipo id of the rate limits (idTextoEv2, 6) */
};

/* Per-point state of the machine; zero-initialise. */
struct limit_state {
	uint8_t active;		/* bit (1 << enum limit_kind) per active alarm */
	bool have_prev;		/* prev/prev_us hold the last good sample */
	double prev;
	int64_t prev_us;
};

struct limit_change {
	enum limit_kind kind;
	bool raised;		/* true: alarm raised; false: returned to normal */
	double measured;	/* the value, or the rate (units per second) */
	double threshold;	/* the limit crossed, or the return threshold */
};

/*
 * Feed one sample: value @v at source time @t_us, @good as above.
 * Writes the changes (at most one per kind, in kind order) to @out and
 * returns their number.
 */
unsigned limit_eval(const struct ai_limits *d, struct limit_state *s, double v,
		    int64_t t_us, bool good, struct limit_change out[LIMIT_KINDS]);

struct smved;
struct limits;

/*
 * Follow every AI of sm->cfg->sheets that has limits: evaluate on each
 * store change (deferred to the event loop, never inside a store batch or
 * a journal commit) and journal the changes.  The active alarms are
 * rebuilt from the journal's latest "limit" event per point and kind; one
 * whose limit was removed from the sheet is closed with a return event.
 * Returns NULL on allocation failure (logged); without limits a valid
 * object that does nothing.
 */
struct limits *limits_new(struct smved *sm);
/* Stop following the store and free.  NULL is allowed. */
void limits_free(struct limits *l);

#endif /* SMVED_LIMIT_ALARMS_H */
