/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A Mara/TCP concentrator source: libsmve's sans-I/O master driven by a
 * libevent bufferevent and one timer.  Values go to the store, events and
 * the SEQ state to the journal in one transaction, and the master's SEQ
 * advances only after that transaction is durable (spec §3.5 M1).
 */
#ifndef SMVED_SOURCE_TCP_H
#define SMVED_SOURCE_TCP_H

#include "config.h"
#include "smved.h"

struct source_tcp;
struct source_points;
struct smve_master_result;
struct store;

/*
 * Apply a valid reply's SV/DI/AI values to @st through the bindings @sp
 * (one store batch): nothing when the reply does not have @layout_count
 * IEDs; an IED flagged in @ied_nr (not responding) has its AIs qualified.
 * Exposed for the ingest benchmark (bench/smved/ingest.c).
 */
void source_apply_values(struct store *st, const struct source_points *sp,
			 const struct smve_master_result *r, unsigned layout_count,
			 const bool *ied_nr, int64_t now);

/*
 * Create and start (connect) the source for @cc (copied).  Its points are
 * defined in sm->store from the layout and sm->cfg->sheets.  Returns NULL
 * after logging why.
 */
struct source_tcp *source_tcp_new(struct smved *sm, const struct conc_config *cc);
/*
 * Stop: close the connection, mark its points stale.  Nothing is lost:
 * every reply's events were committed before its SEQ advanced.  NULL is
 * allowed.
 */
void source_tcp_free(struct source_tcp *s);
/* The configuration the source runs with. */
const struct conc_config *source_tcp_config(const struct source_tcp *s);
/* Re-define its points after a reload changed only the sheets.  0 or -1. */
int source_tcp_rebind(struct source_tcp *s);
void source_tcp_info(const struct source_tcp *s, struct smved_source_info *si);
/*
 * Queue a 0x13 command for DI point @id (see smved_control()).  Returns 0,
 * -ENOENT (not a point of this source), -ENOTCONN, -EBUSY (queue full).
 */
int source_tcp_control(struct source_tcp *s, uint32_t id, int state,
		       void (*done)(int result, void *arg), void *arg);
#endif /* SMVED_SOURCE_TCP_H */
