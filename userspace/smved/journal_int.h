/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Inside struct journal: shared by journal.c (writing) and journal_read.c (queries, export). */
#ifndef SMVED_JOURNAL_INT_H
#define SMVED_JOURNAL_INT_H

#include <sqlite3.h>

#include "journal.h"

struct journal_writer;

#define QUERY_LIMIT_DEFAULT 100u
#define QUERY_LIMIT_MAX	10000u
#define EVENT_COLS "id, source, station, ied, type, tag, device_time, utc_us, rx_us," \
		   " bad_time, raw, value, calif, alarm, fields, text, ack_user, ack_us"

struct journal_sub {
	struct journal_sub *next;
	journal_notify_fn fn;
	void *arg;
};

/* One connection's write statements: the loop's (journal.c) and the writer thread's own. */
struct jconn {
	sqlite3 *db;
	sqlite3_stmt *ins_event, *dedup_get, *dedup_put, *state_put, *ins_history;
};

struct journal {
	sqlite3 *db;			/* the loop's connection (== lc.db) */
	struct jconn lc;
	char *path;
	struct journal_opts o;
	bool in_batch;
	int64_t batch_first, batch_last;	/* ids appended in the open batch */
	sqlite3_stmt *state_get;
	struct journal_sub *subs;
	struct journal_stats st;	/* the loop's commits (the writer keeps its own) */
	int64_t commit_t0;
	int64_t notified;		/* highest id subscribers were told about */
	struct journal_batch *collect;	/* journal_collect(): where journal_append() goes */
	bool collect_failed;		/* an append to it failed since it was set */
	struct journal_writer *w;	/* NULL until journal_start_writer() */
};

void journal_db_error(struct journal *j, const char *what);
void journal_conn_error(struct journal *j, sqlite3 *db, const char *what);
/* Prepares @c's statements on @c->db.  0 or -1. */
int journal_conn_prepare(struct journal *j, struct jconn *c);
void journal_conn_finalize(struct jconn *c);
/* Inside an open transaction on @c: 1 stored (*id), 0 duplicate, -1 error.  No statistics. */
int journal_conn_append(struct journal *j, struct jconn *c, const struct journal_new *ev,
			int64_t *id);
int journal_conn_put_state(struct journal *j, struct jconn *c, const char *key,
			   const struct journal_state *st);
/* journal_query() with ids capped at @max_id (journal_query() caps at the last announced id). */
int journal_query_upto(struct journal *j, const struct journal_filter *f, int64_t max_id,
		       int (*fn)(const struct journal_event *ev, void *arg), void *arg);
/* Tell subscribers about every committed event up to @last_id not yet announced, in id order. */
void journal_notify_upto(struct journal *j, int64_t last_id);
/* journal_writer.c: stop the thread (committing what is queued) and free the writer. */
void journal_writer_stop(struct journal *j);
void journal_writer_stats(const struct journal *j, struct journal_stats *st);
/* Wait until every batch submitted so far has been written (committed or failed). */
void journal_writer_flush(struct journal *j);
int64_t journal_scalar_i64(struct journal *j, const char *sql, int64_t dflt);
const char *journal_col_text(sqlite3_stmt *st, int i);

#endif /* SMVED_JOURNAL_INT_H */
