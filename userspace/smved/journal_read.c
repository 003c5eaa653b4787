// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Reading the journal: filtered queries for REST and WebSocket replay,
 * acknowledgement, CSV export and online backup.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal_int.h"
#include "smved.h"

/* --- queries ------------------------------------------------------------------ */

const char *journal_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

static void row_to_event(sqlite3_stmt *st, struct journal_event *ev)
{
	const void *raw;

	memset(ev, 0, sizeof(*ev));
	ev->id = sqlite3_column_int64(st, 0);
	ev->source = journal_col_text(st, 1);
	ev->station = journal_col_text(st, 2);
	ev->ied = sqlite3_column_int(st, 3);
	ev->type = journal_col_text(st, 4);
	ev->tag = journal_col_text(st, 5);
	ev->device_time = journal_col_text(st, 6);
	ev->utc_us = sqlite3_column_int64(st, 7);
	ev->rx_us = sqlite3_column_int64(st, 8);
	ev->bad_time = sqlite3_column_int(st, 9);
	raw = sqlite3_column_blob(st, 10);
	if (raw && sqlite3_column_bytes(st, 10) == JOURNAL_RAW_LEN) {
		ev->has_raw = true;
		memcpy(ev->raw, raw, JOURNAL_RAW_LEN);
	}
	ev->value = sqlite3_column_int64(st, 11);
	ev->calif = (uint8_t)sqlite3_column_int(st, 12);
	ev->alarm = sqlite3_column_int(st, 13);
	ev->fields = journal_col_text(st, 14);
	ev->text = journal_col_text(st, 15);
	ev->ack_user = sqlite3_column_type(st, 16) == SQLITE_NULL ? NULL :
		       journal_col_text(st, 16);
	ev->ack_us = sqlite3_column_int64(st, 17);
}

/* Escape LIKE wildcards so that a tag prefix matches literally. */
static char *like_prefix(const char *p)
{
	size_t n = strlen(p);
	char *o = malloc(2 * n + 2), *q = o;

	if (!o)
		return NULL;
	for (; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			*q++ = '\\';
		*q++ = *p;
	}
	*q++ = '%';
	*q = '\0';
	return o;
}

int journal_query_upto(struct journal *j, const struct journal_filter *f, int64_t max_id,
		       int (*fn)(const struct journal_event *ev, void *arg), void *arg)
{
	char sql[768];
	size_t len;
	sqlite3_stmt *st = NULL;
	char *like = NULL;
	unsigned limit = f->limit ? f->limit : QUERY_LIMIT_DEFAULT;
	int rc, ret = 0, i = 1;

	if (limit > QUERY_LIMIT_MAX)
		limit = QUERY_LIMIT_MAX;
	len = (size_t)snprintf(sql, sizeof(sql), "SELECT " EVENT_COLS
			       " FROM events WHERE id > ? AND id <= ?");
#define ADD(cond) (len += (size_t)snprintf(sql + len, sizeof(sql) - len, " AND " cond))
	if (f->before_id)
		ADD("id < ?");
	if (f->from_us)
		ADD("utc_us >= ?");
	if (f->to_us)
		ADD("utc_us <= ?");
	if (f->station)
		ADD("station = ?");
	if (f->source)
		ADD("source = ?");
	if (f->tag_prefix && *f->tag_prefix)
		ADD("tag LIKE ? ESCAPE '\\'");
	if (f->type)
		ADD("type = ?");
	if (f->unacked_only)
		ADD("ack_user IS NULL");
	if (f->alarms_only)
		ADD("alarm");
#undef ADD
	snprintf(sql + len, sizeof(sql) - len, " ORDER BY id %s LIMIT %u",
		 f->newest_first ? "DESC" : "ASC", limit);
	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
		journal_db_error(j, "query");
		return -1;
	}
	sqlite3_bind_int64(st, i++, f->after_id);
	sqlite3_bind_int64(st, i++, max_id);
	if (f->before_id)
		sqlite3_bind_int64(st, i++, f->before_id);
	if (f->from_us)
		sqlite3_bind_int64(st, i++, f->from_us);
	if (f->to_us)
		sqlite3_bind_int64(st, i++, f->to_us);
	if (f->station)
		sqlite3_bind_text(st, i++, f->station, -1, SQLITE_STATIC);
	if (f->source)
		sqlite3_bind_text(st, i++, f->source, -1, SQLITE_STATIC);
	if (f->tag_prefix && *f->tag_prefix) {
		like = like_prefix(f->tag_prefix);
		if (!like) {
			sqlite3_finalize(st);
			return -1;
		}
		sqlite3_bind_text(st, i++, like, -1, SQLITE_STATIC);
	}
	if (f->type)
		sqlite3_bind_text(st, i++, f->type, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct journal_event ev;

		row_to_event(st, &ev);
		ret = fn(&ev, arg);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE) {
		journal_db_error(j, "query");
		ret = -1;
	}
	sqlite3_finalize(st);
	free(like);
	return ret;
}

int journal_query(struct journal *j, const struct journal_filter *f,
		  int (*fn)(const struct journal_event *ev, void *arg),
		  void *arg)
{
	/*
	 * Readers see what was announced, no more: an event the writer thread
	 * committed becomes visible to REST, replays and exports in the same loop
	 * turn that broadcasts it and moves journal_last_id() past it, so a list
	 * never shows an id beyond the last_id it reports, and no client sees an
	 * event through REST before the feed has sent it.
	 */
	return journal_query_upto(j, f, j->o.readonly ? INT64_MAX : j->notified, fn, arg);
}

struct get_ctx {
	int (*fn)(const struct journal_event *ev, void *arg);
	void *arg;
	int found;
};

static int get_cb(const struct journal_event *ev, void *arg)
{
	struct get_ctx *c = arg;

	c->found = 1;
	c->fn(ev, c->arg);
	return 0;
}

int journal_get(struct journal *j, int64_t id,
		int (*fn)(const struct journal_event *ev, void *arg), void *arg)
{
	struct journal_filter f = { .after_id = id - 1, .before_id = id + 1,
				    .limit = 1 };
	struct get_ctx c = { fn, arg, 0 };

	if (id <= 0)
		return 0;
	if (journal_query(j, &f, get_cb, &c) < 0)
		return -1;
	return c.found;
}

static int get_nothing(const struct journal_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
	return 0;
}

int64_t journal_scalar_i64(struct journal *j, const char *sql, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v = dflt;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK)
		return dflt;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int64_t journal_last_id(struct journal *j)
{
	/*
	 * A writable journal answers with the last id announced to subscribers, which
	 * is also the last one journal_query() shows (see there): an event the writer
	 * thread committed but the loop has not announced yet is neither "last" nor
	 * listed, and one that was broadcast is both.
	 */
	if (!j->o.readonly)
		return j->notified;
	return journal_scalar_i64(j, "SELECT max(id) FROM events", 0);
}

static int notify_ack(const struct journal_event *ev, void *arg)
{
	struct journal *j = arg;

	for (struct journal_sub *s = j->subs; s; s = s->next)
		s->fn(ev, JOURNAL_NOTE_ACK, s->arg);
	return 0;
}

int journal_ack(struct journal *j, int64_t id, const char *user,
		int64_t when_us)
{
	sqlite3_stmt *st;
	int rc, changes;

	if (j->in_batch)
		return -EIO;
	if (sqlite3_prepare_v2(j->db,
			       "UPDATE events SET ack_user=?, ack_us=? WHERE id=?"
			       " AND ack_user IS NULL", -1, &st, NULL) != SQLITE_OK) {
		journal_db_error(j, "ack");
		return -EIO;
	}
	sqlite3_bind_text(st, 1, user && *user ? user : "?", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, when_us);
	sqlite3_bind_int64(st, 3, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		journal_db_error(j, "ack");
		return -EIO;
	}
	changes = sqlite3_changes(j->db);
	if (!changes) {
		int found = journal_get(j, id, get_nothing, NULL);

		return found > 0 ? -EALREADY : found < 0 ? -EIO : -ENOENT;
	}
	journal_get(j, id, notify_ack, j);
	return 0;
}

/* --- export and backup ---------------------------------------------------------- */

/*
 * RFC 4180 quoting; a cell a spreadsheet would evaluate (=, +, -, @) gets a
 * leading apostrophe, since event texts can come from the field.
 */
static void csv_cell(FILE *out, const char *s, bool last)
{
	bool formula = *s == '=' || *s == '+' || *s == '-' || *s == '@';

	fputc('"', out);
	if (formula)
		fputc('\'', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
	fputc(last ? '\n' : ',', out);
}

static void iso_utc(int64_t us, char *buf, size_t cap)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (!us || !gmtime_r(&t, &tm)) {
		snprintf(buf, cap, "%s", "");
		return;
	}
	snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(us % 1000000));
}

struct export_ctx {
	FILE *out;
	int64_t last;
	unsigned n;
};

static int export_row(const struct journal_event *ev, void *arg)
{
	struct export_ctx *c = arg;
	char num[32], utc[96], rx[96], ack[96], raw[2 * JOURNAL_RAW_LEN + 1] = "";

	c->last = ev->id;
	c->n++;
	iso_utc(ev->utc_us, utc, sizeof(utc));
	iso_utc(ev->rx_us, rx, sizeof(rx));
	iso_utc(ev->ack_us, ack, sizeof(ack));
	if (ev->has_raw)
		for (int i = 0; i < JOURNAL_RAW_LEN; i++)
			snprintf(raw + 2 * i, 3, "%02X", ev->raw[i]);
	fprintf(c->out, "%" PRId64 ",", ev->id);
	csv_cell(c->out, ev->station, false);
	csv_cell(c->out, ev->source, false);
	snprintf(num, sizeof(num), "%d", ev->ied);
	csv_cell(c->out, ev->ied >= 0 ? num : "", false);
	csv_cell(c->out, ev->type, false);
	csv_cell(c->out, ev->tag, false);
	csv_cell(c->out, ev->device_time, false);
	csv_cell(c->out, utc, false);
	csv_cell(c->out, rx, false);
	snprintf(num, sizeof(num), "%" PRId64, ev->value);
	csv_cell(c->out, num, false);
	csv_cell(c->out, ev->bad_time ? "1" : "0", false);
	csv_cell(c->out, raw, false);
	csv_cell(c->out, ev->text, false);
	csv_cell(c->out, ev->fields, false);
	csv_cell(c->out, ev->ack_user ? ev->ack_user : "", false);
	csv_cell(c->out, ack, true);
	return 0;
}

int journal_export_csv(struct journal *j, const struct journal_filter *f,
		       FILE *out)
{
	struct journal_filter page = *f;
	struct export_ctx c = { .out = out };
	uint64_t total = 0, want = f->limit ? f->limit : UINT64_MAX;

	fputs("id,station,source,ied,type,tag,device_time,utc,received,value,"
	      "bad_time,raw,text,fields,ack_user,ack_time\n", out);
	page.newest_first = false;
	/* Page through by id so that a large export never holds one huge statement. */
	for (;;) {
		uint64_t left = want - total;

		page.limit = left < QUERY_LIMIT_MAX ? (unsigned)left : QUERY_LIMIT_MAX;
		c.n = 0;
		if (journal_query(j, &page, export_row, &c) < 0)
			return -1;
		total += c.n;
		if (c.n < page.limit || total >= want)
			break;
		page.after_id = c.last;
	}
	return ferror(out) ? -1 : 0;
}

int journal_backup(struct journal *j, const char *path, char *err,
		   size_t errlen)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	if (sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 dst ? sqlite3_errmsg(dst) : "cannot open");
		sqlite3_close(dst);
		return -1;
	}
	b = sqlite3_backup_init(dst, "main", j->db, "main");
	if (!b) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return -1;
	}
	/* Whole copy in one step: a consistent snapshot of the source. */
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: backup failed: %s", path,
			 sqlite3_errstr(rc));
		sqlite3_close(dst);
		return -1;
	}
	rc = sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
	sqlite3_close(dst);
	(void)rc;
	return 0;
}

