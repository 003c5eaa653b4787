/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Inside struct journal: shared by journal.c (writing) and journal_read.c (queries, export). */
#ifndef SMVED_JOURNAL_INT_H
#define SMVED_JOURNAL_INT_H

#include <sqlite3.h>

#include "journal.h"

#define QUERY_LIMIT_DEFAULT 100u
#define QUERY_LIMIT_MAX	10000u
#define EVENT_COLS "id, source, station, ied, type, tag, device_time, utc_us, rx_us," \
		   " bad_time, raw, value, calif, alarm, fields, text, ack_user, ack_us"

struct journal_sub {
	struct journal_sub *next;
	journal_notify_fn fn;
	void *arg;
};

struct journal {
	sqlite3 *db;
	char *path;
	struct journal_opts o;
	bool in_batch;
	int64_t batch_first, batch_last;	/* ids appended in the open batch */
	sqlite3_stmt *ins_event, *dedup_get, *dedup_put, *state_put, *state_get;
	struct journal_sub *subs;
	struct journal_stats st;
	int64_t commit_t0;
};

void journal_db_error(struct journal *j, const char *what);
int64_t journal_scalar_i64(struct journal *j, const char *sql, int64_t dflt);
const char *journal_col_text(sqlite3_stmt *st, int i);

#endif /* SMVED_JOURNAL_INT_H */
