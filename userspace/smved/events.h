/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Mara event records -> journal entries: tag and text from the source's
 * points (spec §8.5, §8.6), device time converted to UTC in the station's
 * zone (§5.11), decoded fields as JSON (libsmve's renderer, so REST and
 * smvectl print an event alike).
 */
#ifndef SMVED_EVENTS_H
#define SMVED_EVENTS_H

#include <stdint.h>

#include <smve/mara.h>

#include "journal.h"

struct store;
struct sheets;
struct source_points;

/* What a source knows that its events need. */
struct event_ctx {
	const char *source, *station, *timezone;
	unsigned int dialect;
	const struct store *store;
	const struct sheets *sheets;
	const struct source_points *sp;
};

/* Storage for the strings a struct journal_new points to. */
struct event_buf {
	char device_time[40];
	char fields[512];
	char text[384];
	char tag[48];
};

/*
 * Fill @out (pointing into @buf) for record @ev received at @rx_us.  The
 * record's own bytes go to out->raw, so the journal's duplicate filter
 * applies.
 */
void event_to_journal(const struct event_ctx *c, const struct mara_event *ev,
		      int64_t rx_us, struct event_buf *buf,
		      struct journal_new *out);

#endif /* SMVED_EVENTS_H */
