/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the Mara/TCP concentrator source: shared by source_tcp.c (connection, bytes, timer,
 * controls) and source_tcp_commit.c (what a reply does: values, events and the SEQ state,
 * journalled through the group commit).
 */
#ifndef SMVED_SOURCE_TCP_INT_H
#define SMVED_SOURCE_TCP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <smve/master.h>

#include "config.h"
#include "sheets.h"
#include "smved.h"
#include "journal.h"
#include "source_tcp.h"
#include "sources.h"

enum conn_state { ST_WAIT, ST_CONNECTING, ST_UP };

struct ctl_slot {
	bool used;
	uint32_t tag;
	void (*done)(int result, void *arg);
	void *arg;
};

struct source_tcp {
	struct smved *sm;
	struct conc_config cfg;
	char key[64];			/* journal state key */
	struct smve_master m;
	struct smve_backoff bo;
	struct bufferevent *bev;
	struct event *timer;		/* connect timeout, master deadline or reconnect */
	enum conn_state st;
	size_t tx_inflight;		/* bytes handed to the socket, not yet drained */
	struct source_points sp;
	bool online;
	bool conn_replied;		/* a valid reply on this connection */
	bool ied_nr[MARA_LAYOUT_MAX];	/* SV bit 4: IED not responding */
	bool layout_bad;
	struct smve_master_state saved;	/* what the journal holds (durably) */
	bool saved_valid;
	struct journal_batch *batch;	/* the reply's batch while it is built */
	bool persisting;		/* a state-only batch in flight: nothing goes out */
	struct ctl_slot ctl[SMVE_MASTER_CONTROL_QUEUE];
	uint32_t next_tag;
	struct smved_source_info info;
	uint64_t events, duplicates;
};

static inline uint64_t source_tcp_now_ms(void)
{
	return (uint64_t)(smved_mono_us() / 1000);
}

/* Sends what the master has to send, when the journal can recover it; rearms the timer. */
void source_tcp_drive(struct source_tcp *s);

/* Drops the connection (why: logged and journalled) and schedules the reconnect. */
void source_tcp_close(struct source_tcp *s, const char *why);

/*
 * The concentrator's online state: store points (offline: every value stale) and a comm event,
 * inside the reply's batch being built (in_batch) or in a batch of its own.
 */
void source_tcp_set_online(struct source_tcp *s, bool online, const char *why, bool in_batch);

/*
 * Can the request about to go out be recovered after a crash?  1 yes (send it), 0 its state
 * was queued for the journal (source_tcp_drive() runs again when it is durable), -1 error.
 */
int source_tcp_persist_state(struct source_tcp *s);

/* A REPLY or STALE that needs a commit: values applied, events and state journalled. */
void source_tcp_on_reply(struct source_tcp *s, const struct smve_master_result *r);

#endif
