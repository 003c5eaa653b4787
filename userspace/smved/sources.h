/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The set of running sources (concentrators now; local buses through
 * source_node), started from the configuration and reconciled with it on
 * reload, plus what they share: the DNS resolver and the host clock check.
 */
#ifndef SMVED_SOURCES_H
#define SMVED_SOURCES_H

#include <stdbool.h>

#include "smved.h"

struct evdns_base;

/* Create the (empty) set for @sm.  NULL after logging why. */
struct sources *sources_new(struct smved *sm);
/*
 * Make the running sources match sm->cfg: start new ones, restart changed
 * ones, stop removed ones, rebind the points of unchanged ones (the sheets
 * may have changed).  Points no source defines any more are removed from
 * the store.  Returns 0, or -1 when a source could not start (logged; the
 * others run).
 */
int sources_apply(struct sources *ss);
/* Stop every source.  NULL is allowed. */
void sources_free(struct sources *ss);

struct evdns_base *sources_dns(struct sources *ss);

/*
 * Whether PEH may be sent: true when require_clock_sync is off or the host
 * clock is synchronised.  Journals a "clock" event and sets the
 * SMVED.CLOCK_SYNC point when that changes.
 */
bool sources_clock_ok(struct smved *sm);

#endif /* SMVED_SOURCES_H */
