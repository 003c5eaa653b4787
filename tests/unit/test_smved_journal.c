// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The journal: duplicate filter (§3.6) inside and outside its window,
 * source state (SEQ and node cursors) persisted with the events and
 * surviving a reopen, rollback storing nothing, queries and filters,
 * acknowledgements, notifications after commit, retention in batches,
 * ids never reused, CSV export quoting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "files.h"
#include "tap.h"

#define DAY (86400LL * 1000000LL)

static char path[256];

static struct journal *open_j(unsigned retention_days, uint64_t max_rows)
{
	struct journal_opts o = { .path = path, .dedup_days = 7,
				  .retention_days = retention_days, .max_rows = max_rows };
	char err[256];
	struct journal *j = journal_open(&o, err, sizeof(err));

	if (!j)
		tap_diag("open: %s", err);
	return j;
}

static struct journal_new ev(int ied, uint8_t b, int64_t rx)
{
	struct journal_new e = { .source = "E4", .station = "E4", .ied = ied,
				 .type = "digital", .tag = "E4252B05", .rx_us = rx,
				 .utc_us = rx, .has_raw = true, .text = "Interruptor ABIERTO",
				 .alarm = true };

	for (int i = 0; i < JOURNAL_RAW_LEN; i++)
		e.raw[i] = (uint8_t)(b + i);
	return e;
}

static int count_cb(const struct journal_event *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int query_count(struct journal *j, const struct journal_filter *f)
{
	int n = 0;

	journal_query(j, f, count_cb, &n);
	return n;
}

static int notes_new, notes_ack;
static int64_t last_note_id;
static void on_note(const struct journal_event *e, enum journal_note note, void *arg)
{
	(void)arg;
	if (note == JOURNAL_NOTE_NEW)
		notes_new++;
	else
		notes_ack++;
	last_note_id = e->id;
}

static char ack_user[32];
static int get_cb(const struct journal_event *e, void *arg)
{
	(void)arg;
	snprintf(ack_user, sizeof(ack_user), "%s", e->ack_user ? e->ack_user : "(null)");
	return 0;
}

int main(void)
{
	struct journal *j;
	struct journal_new e;
	struct journal_state st = { .seq = 0x33, .complete = false, .epoch = 7, .cursor = 1234 };
	struct journal_state got;
	struct journal_filter f = { 0 };
	int64_t id = 0, now = 1700000000LL * 1000000;
	char tmpl[] = "/tmp/test_smved_journal.XXXXXX";

	if (!mkdtemp(tmpl)) {
		OK(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	snprintf(path, sizeof(path), "%s/j.db", tmpl);
	j = open_j(0, 0);
	if (!OK(j != NULL, "journal opens"))
		return tap_done();
	journal_subscribe(j, on_note, NULL);

	/* One batch: events + state, visible only after commit. */
	OK(journal_begin(j) == 0, "begin");
	e = ev(3, 0x10, now);
	IS(journal_append(j, &e, &id), 1, "first event stored");
	IS(journal_append(j, &e, NULL), 0, "the same record in the same batch is a duplicate");
	e = ev(4, 0x10, now);
	IS(journal_append(j, &e, NULL), 1, "same bytes from another IED are another event");
	IS(notes_new, 0, "no notification before the commit");
	OK(journal_put_state(j, "tcp:E4", &st) == 0, "state in the batch");
	IS(journal_commit(j), 0, "commit");
	IS(notes_new, 2, "one notification per stored event after the commit");
	IS(last_note_id, id + 1, "in id order");

	/* A rolled-back batch stores nothing, neither events nor state. */
	journal_begin(j);
	e = ev(3, 0x40, now);
	journal_append(j, &e, NULL);
	st.seq = 0x34;
	journal_put_state(j, "tcp:E4", &st);
	journal_rollback(j);
	IS(journal_last_id(j), id + 1, "rollback: no event");
	IS(journal_get_state(j, "tcp:E4", &got), 1, "state found");
	IS(got.seq, 0x33, "rollback: the state is the committed one");
	e = ev(3, 0x40, now);
	IS(journal_add(j, &e, NULL), 1, "the rolled-back record is not remembered by the filter");

	/* Reopen: state and dedup survive. */
	journal_close(j);
	j = open_j(0, 0);
	journal_subscribe(j, on_note, NULL);
	IS(journal_get_state(j, "tcp:E4", &got), 1, "state after reopen");
	IS(got.seq, 0x33, "SEQ persisted");
	IS(got.complete, 0, "incomplete persisted");
	IS((long long)got.epoch, 7, "node epoch persisted");
	IS((long long)got.cursor, 1234, "node cursor persisted");
	IS(journal_get_state(j, "tcp:nope", &got), 0, "unknown key");
	IS(got.seq, -1, "defaults for an unknown key");
	e = ev(3, 0x10, now + DAY);
	IS(journal_add(j, &e, NULL), 0, "duplicate within 7 days after a reopen is dropped");
	e = ev(3, 0x10, now + 8 * DAY);
	IS(journal_add(j, &e, &id), 1, "the same bytes after the window are a new event");

	/* Non-record events are never filtered. */
	e = (struct journal_new){ .source = "E4", .ied = -1, .type = "comm", .rx_us = now,
				  .text = "offline" };
	IS(journal_add(j, &e, NULL), 1, "comm event");
	IS(journal_add(j, &e, NULL), 1, "identical comm event stored again");

	/* Queries. */
	f = (struct journal_filter){ .type = "digital" };
	IS(query_count(j, &f), 4, "filter by type");
	f = (struct journal_filter){ .tag_prefix = "E425" };
	IS(query_count(j, &f), 4, "filter by tag prefix");
	f = (struct journal_filter){ .tag_prefix = "E4_5" };
	IS(query_count(j, &f), 0, "'_' in a prefix is literal, not a wildcard");
	f = (struct journal_filter){ .after_id = 2, .limit = 2 };
	IS(query_count(j, &f), 2, "after + limit");
	f = (struct journal_filter){ .from_us = now + DAY, .to_us = now + 9 * DAY };
	IS(query_count(j, &f), 1, "time range");
	f = (struct journal_filter){ .unacked_only = true, .alarms_only = true };
	IS(query_count(j, &f), 4, "unacknowledged alarms");

	/* Acknowledgement. */
	IS(journal_ack(j, 1, "oper", now), 0, "ack");
	IS(notes_ack, 1, "ack notified");
	IS(journal_ack(j, 1, "other", now + 1), -EALREADY, "second ack refused");
	journal_get(j, 1, get_cb, NULL);
	OK(!strcmp(ack_user, "oper"), "the first ack is kept (%s)", ack_user);
	IS(journal_ack(j, 99999, "oper", now), -ENOENT, "ack of an unknown id");
	IS(query_count(j, &f), 3, "one alarm fewer unacknowledged");

	/* Retention by rows, in batches; ids never reused. */
	journal_close(j);
	j = open_j(0, 2);
	{
		int64_t last = journal_last_id(j), nid;
		int n1 = journal_expire(j, now, 1), n2;

		IS(n1, 1, "expire removes at most the batch");
		n2 = journal_expire(j, now, 100);
		OK(n2 >= 1, "then the rest (%d)", n2);
		f = (struct journal_filter){ 0 };
		IS(query_count(j, &f), 2, "max_rows kept");
		e = ev(9, 0x77, now);
		journal_add(j, &e, &nid);
		OK(nid > last, "ids stay monotonic after deletions (%lld > %lld)",
		   (long long)nid, (long long)last);
	}
	journal_close(j);
	j = open_j(1, 0);
	IS(journal_expire(j, now + 30 * DAY, 1000) >= 2, 1, "retention by days deletes old rows");

	/* CSV export: formula-looking cells are defused. */
	{
		char csvp[300], line[1024];
		FILE *out;
		int found = 0;

		e = ev(5, 0x01, now + 30 * DAY);
		e.text = "=HYPERLINK(\"x\")";
		journal_add(j, &e, NULL);
		snprintf(csvp, sizeof(csvp), "%s/e.csv", tmpl);
		out = fopen(csvp, "w");
		f = (struct journal_filter){ 0 };
		IS(journal_export_csv(j, &f, out), 0, "export");
		fclose(out);
		out = fopen(csvp, "r");
		while (out && fgets(line, sizeof(line), out))
			if (strstr(line, "\"'=HYPERLINK(\"\"x\"\")\""))
				found = 1;
		if (out)
			fclose(out);
		OK(found, "a cell starting with '=' is quoted and prefixed");
	}
	journal_close(j);
	if (test_remove_tree(tmpl))
		tap_diag("cleanup failed");
	return tap_done();
}
