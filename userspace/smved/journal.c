// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The event journal on SQLite.  WAL with synchronous=FULL makes every
 * commit durable before journal_commit() returns, which is what lets a
 * source advance its SEQ afterwards (spec §3.5 M1).  Ids come from an
 * AUTOINCREMENT key so that they are never reused, even after retention
 * deleted the newest rows' predecessors.  The duplicate filter keeps its
 * keys in a table of its own so that its window (dedup_days) does not
 * depend on event retention.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "smved.h"
#include "store.h"

#define DAY_US		(86400LL * 1000000LL)
#define QUERY_LIMIT_DEFAULT 100u
#define QUERY_LIMIT_MAX	10000u

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS events("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" source TEXT NOT NULL, station TEXT NOT NULL, ied INTEGER NOT NULL,"
	" type TEXT NOT NULL, tag TEXT NOT NULL, device_time TEXT NOT NULL,"
	" utc_us INTEGER NOT NULL, rx_us INTEGER NOT NULL, bad_time INTEGER NOT NULL,"
	" raw BLOB, value INTEGER NOT NULL, calif INTEGER NOT NULL,"
	" alarm INTEGER NOT NULL, fields TEXT NOT NULL, text TEXT NOT NULL,"
	" ack_user TEXT, ack_us INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS events_utc ON events(utc_us);"
	"CREATE INDEX IF NOT EXISTS events_rx ON events(rx_us);"
	"CREATE INDEX IF NOT EXISTS events_unacked ON events(id) WHERE ack_user IS NULL AND alarm;"
	"CREATE TABLE IF NOT EXISTS dedup("
	" source TEXT NOT NULL, ied INTEGER NOT NULL, raw BLOB NOT NULL,"
	" rx_us INTEGER NOT NULL, PRIMARY KEY(source, ied, raw)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS dedup_rx ON dedup(rx_us);"
	"CREATE TABLE IF NOT EXISTS source_state("
	" key TEXT PRIMARY KEY, seq INTEGER NOT NULL, complete INTEGER NOT NULL,"
	" epoch INTEGER NOT NULL, cursor INTEGER NOT NULL,"
	" last_peh_us INTEGER NOT NULL, updated_us INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS point_flags(tag TEXT PRIMARY KEY, flags INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS history("
	" tag TEXT NOT NULL, t_us INTEGER NOT NULL, value REAL NOT NULL,"
	" q INTEGER NOT NULL, stale INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS history_tag ON history(tag, t_us);"
	"CREATE INDEX IF NOT EXISTS history_t ON history(t_us);"
	"INSERT OR IGNORE INTO meta VALUES('schema', '1');";

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

static void db_error(struct journal *j, const char *what)
{
	smved_log(LOG_ERR, "journal %s: %s: %s", j->path, what,
		  sqlite3_errmsg(j->db));
}

static int exec(struct journal *j, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(j->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		smved_log(LOG_ERR, "journal %s: %s", j->path, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int prepare(struct journal *j, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v3(j->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
			       NULL) != SQLITE_OK) {
		db_error(j, "prepare");
		return -1;
	}
	return 0;
}

static void fix_opts(struct journal_opts *o)
{
	if (!o->dedup_days)
		o->dedup_days = 7;
	if (o->dedup_days > 3650)
		o->dedup_days = 3650;
}

struct journal *journal_open(const struct journal_opts *o, char *err,
			     size_t errlen)
{
	struct journal *j = calloc(1, sizeof(*j));
	int flags = o->readonly ? SQLITE_OPEN_READONLY :
		    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;

	if (!j || !(j->path = strdup(o->path))) {
		snprintf(err, errlen, "out of memory");
		free(j);
		return NULL;
	}
	j->o = *o;
	j->o.path = j->path;
	fix_opts(&j->o);
	if (sqlite3_open_v2(o->path, &j->db, flags | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", o->path,
			 j->db ? sqlite3_errmsg(j->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(j->db, 2000);
	sqlite3_extended_result_codes(j->db, 1);
	if (!o->readonly &&
	    (exec(j, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;") < 0 ||
	     exec(j, schema) < 0)) {
		snprintf(err, errlen, "%s: cannot set up the database: %s",
			 o->path, sqlite3_errmsg(j->db));
		goto fail;
	}
	if (o->readonly)
		return j;
	if (prepare(j, &j->ins_event,
		    "INSERT INTO events(source, station, ied, type, tag, device_time,"
		    " utc_us, rx_us, bad_time, raw, value, calif, alarm, fields, text)"
		    " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)") < 0 ||
	    prepare(j, &j->dedup_get,
		    "SELECT rx_us FROM dedup WHERE source=? AND ied=? AND raw=?") < 0 ||
	    prepare(j, &j->dedup_put,
		    "INSERT OR REPLACE INTO dedup VALUES(?,?,?,?)") < 0 ||
	    prepare(j, &j->state_put,
		    "INSERT OR REPLACE INTO source_state VALUES(?,?,?,?,?,?,?)") < 0 ||
	    prepare(j, &j->state_get,
		    "SELECT seq, complete, epoch, cursor, last_peh_us FROM source_state"
		    " WHERE key=?") < 0) {
		snprintf(err, errlen, "%s: %s", o->path, sqlite3_errmsg(j->db));
		goto fail;
	}
	return j;
fail:
	journal_close(j);
	return NULL;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	if (j->in_batch)
		journal_rollback(j);
	while (j->subs)
		journal_unsubscribe(j, j->subs);
	sqlite3_finalize(j->ins_event);
	sqlite3_finalize(j->dedup_get);
	sqlite3_finalize(j->dedup_put);
	sqlite3_finalize(j->state_put);
	sqlite3_finalize(j->state_get);
	if (j->db && sqlite3_close(j->db) != SQLITE_OK)
		smved_log(LOG_ERR, "journal %s: close: %s", j->path,
			  sqlite3_errmsg(j->db));
	free(j->path);
	free(j);
}

void journal_set_opts(struct journal *j, const struct journal_opts *o)
{
	j->o.dedup_days = o->dedup_days;
	j->o.retention_days = o->retention_days;
	j->o.max_rows = o->max_rows;
	j->o.history_days = o->history_days;
	fix_opts(&j->o);
}

sqlite3 *journal_db(struct journal *j)
{
	return j->db;
}

/* --- batches ---------------------------------------------------------------- */

int journal_begin(struct journal *j)
{
	if (j->in_batch) {
		smved_log(LOG_ERR, "journal: nested batch (a bug)");
		return -1;
	}
	/* IMMEDIATE: take the write lock now, not at the first insert. */
	if (exec(j, "BEGIN IMMEDIATE") < 0)
		return -1;
	j->in_batch = true;
	j->batch_first = j->batch_last = 0;
	j->commit_t0 = smved_mono_us();
	return 0;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* 1 when @ev duplicates a stored record within the window, 0 not, -1 error. */
static int dedup_check(struct journal *j, const struct journal_new *ev)
{
	sqlite3_stmt *st = j->dedup_get;
	int64_t now = ev->rx_us ? ev->rx_us : smved_now_us();
	int rc, dup = 0;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, nz(ev->source), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, ev->ied);
	sqlite3_bind_blob(st, 3, ev->raw, JOURNAL_RAW_LEN, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		dup = sqlite3_column_int64(st, 0) >=
		      now - (int64_t)j->o.dedup_days * DAY_US;
	else if (rc != SQLITE_DONE)
		dup = -1;
	sqlite3_reset(st);
	if (dup)
		return dup;
	st = j->dedup_put;
	sqlite3_bind_text(st, 1, nz(ev->source), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, ev->ied);
	sqlite3_bind_blob(st, 3, ev->raw, JOURNAL_RAW_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int journal_append(struct journal *j, const struct journal_new *ev,
		   int64_t *id)
{
	sqlite3_stmt *st = j->ins_event;
	int rc;

	if (!j->in_batch || !st)
		return -1;
	if (ev->has_raw) {
		rc = dedup_check(j, ev);
		if (rc < 0) {
			db_error(j, "duplicate filter");
			return -1;
		}
		if (rc) {
			j->st.duplicates++;
			return 0;
		}
	}
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, nz(ev->source), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ev->station && *ev->station ? ev->station :
			  nz(ev->source), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, ev->ied);
	sqlite3_bind_text(st, 4, ev->type ? ev->type : "system", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, nz(ev->tag), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, nz(ev->device_time), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, ev->utc_us ? ev->utc_us : ev->rx_us);
	sqlite3_bind_int64(st, 8, ev->rx_us);
	sqlite3_bind_int(st, 9, ev->bad_time);
	if (ev->has_raw)
		sqlite3_bind_blob(st, 10, ev->raw, JOURNAL_RAW_LEN, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 10);
	sqlite3_bind_int64(st, 11, ev->value);
	sqlite3_bind_int(st, 12, ev->calif);
	sqlite3_bind_int(st, 13, ev->alarm);
	sqlite3_bind_text(st, 14, ev->fields ? ev->fields : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, nz(ev->text), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		db_error(j, "insert event");
		return -1;
	}
	j->batch_last = sqlite3_last_insert_rowid(j->db);
	if (!j->batch_first)
		j->batch_first = j->batch_last;
	if (id)
		*id = j->batch_last;
	j->st.events++;
	return 1;
}

int journal_put_state(struct journal *j, const char *key,
		      const struct journal_state *s)
{
	sqlite3_stmt *st = j->state_put;
	int rc;

	if (!j->in_batch || !st)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, s->seq);
	sqlite3_bind_int(st, 3, s->complete);
	sqlite3_bind_int64(st, 4, (int64_t)s->epoch);
	sqlite3_bind_int64(st, 5, (int64_t)s->cursor);
	sqlite3_bind_int64(st, 6, s->last_peh_us);
	sqlite3_bind_int64(st, 7, smved_now_us());
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_error(j, "save source state");
		return -1;
	}
	return 0;
}

struct notify_ctx {
	struct journal *j;
	int64_t last;
	unsigned n;
};

static int notify_new(const struct journal_event *ev, void *arg)
{
	struct notify_ctx *c = arg;

	c->last = ev->id;
	c->n++;
	for (struct journal_sub *s = c->j->subs; s; s = s->next)
		s->fn(ev, JOURNAL_NOTE_NEW, s->arg);
	return 0;
}

int journal_commit(struct journal *j)
{
	int64_t first = j->batch_first, last = j->batch_last;
	double ms;

	if (!j->in_batch)
		return -1;
	j->in_batch = false;
	if (sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_error(j, "commit");
		j->st.commit_errors++;
		if (!sqlite3_get_autocommit(j->db))
			sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	ms = (double)(smved_mono_us() - j->commit_t0) / 1000.0;
	j->st.commits++;
	j->st.last_commit_ms = ms;
	if (ms > j->st.max_commit_ms)
		j->st.max_commit_ms = ms;
	if (first && j->subs) {
		struct journal_filter f = { .before_id = last + 1,
					    .limit = QUERY_LIMIT_MAX };
		struct notify_ctx c = { .j = j, .last = first - 1 };

		/* Page through the batch; a subscriber sees each event once, in order. */
		do {
			f.after_id = c.last;
			c.n = 0;
			if (journal_query(j, &f, notify_new, &c) < 0)
				break;
		} while (c.n && c.last < last);
	}
	return 0;
}

void journal_rollback(struct journal *j)
{
	if (!j->in_batch)
		return;
	j->in_batch = false;
	if (!sqlite3_get_autocommit(j->db))
		sqlite3_exec(j->db, "ROLLBACK", NULL, NULL, NULL);
}

int journal_add(struct journal *j, const struct journal_new *ev, int64_t *id)
{
	int r;

	if (journal_begin(j) < 0)
		return -1;
	r = journal_append(j, ev, id);
	if (r < 0) {
		journal_rollback(j);
		return -1;
	}
	return journal_commit(j) < 0 ? -1 : r;
}

int journal_get_state(struct journal *j, const char *key,
		      struct journal_state *s)
{
	sqlite3_stmt *st = j->state_get;
	int rc, found = 0;

	memset(s, 0, sizeof(*s));
	s->seq = -1;
	if (!st && prepare(j, &j->state_get,
			   "SELECT seq, complete, epoch, cursor, last_peh_us FROM"
			   " source_state WHERE key=?") < 0)
		return -1;
	st = j->state_get;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->seq = sqlite3_column_int(st, 0);
		s->complete = sqlite3_column_int(st, 1);
		s->epoch = (uint64_t)sqlite3_column_int64(st, 2);
		s->cursor = (uint64_t)sqlite3_column_int64(st, 3);
		s->last_peh_us = sqlite3_column_int64(st, 4);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		found = -1;
		db_error(j, "read source state");
	}
	sqlite3_reset(st);
	return found;
}

/* --- queries ------------------------------------------------------------------ */

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

static void row_to_event(sqlite3_stmt *st, struct journal_event *ev)
{
	const void *raw;

	memset(ev, 0, sizeof(*ev));
	ev->id = sqlite3_column_int64(st, 0);
	ev->source = col_text(st, 1);
	ev->station = col_text(st, 2);
	ev->ied = sqlite3_column_int(st, 3);
	ev->type = col_text(st, 4);
	ev->tag = col_text(st, 5);
	ev->device_time = col_text(st, 6);
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
	ev->fields = col_text(st, 14);
	ev->text = col_text(st, 15);
	ev->ack_user = sqlite3_column_type(st, 16) == SQLITE_NULL ? NULL :
		       col_text(st, 16);
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

int journal_query(struct journal *j, const struct journal_filter *f,
		  int (*fn)(const struct journal_event *ev, void *arg),
		  void *arg)
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
			       " FROM events WHERE id > ?");
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
		db_error(j, "query");
		return -1;
	}
	sqlite3_bind_int64(st, i++, f->after_id);
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
		db_error(j, "query");
		ret = -1;
	}
	sqlite3_finalize(st);
	free(like);
	return ret;
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

static int64_t scalar_i64(struct journal *j, const char *sql, int64_t dflt)
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
	return scalar_i64(j, "SELECT max(id) FROM events", 0);
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
		db_error(j, "ack");
		return -EIO;
	}
	sqlite3_bind_text(st, 1, user && *user ? user : "?", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, when_us);
	sqlite3_bind_int64(st, 3, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_error(j, "ack");
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

/* --- subscriptions --------------------------------------------------------------- */

struct journal_sub *journal_subscribe(struct journal *j, journal_notify_fn fn,
				      void *arg)
{
	struct journal_sub *s = calloc(1, sizeof(*s)), **pp;

	if (!s)
		return NULL;
	s->fn = fn;
	s->arg = arg;
	/* Append: subscribers are notified in registration order. */
	for (pp = &j->subs; *pp; pp = &(*pp)->next)
		;
	*pp = s;
	return s;
}

void journal_unsubscribe(struct journal *j, struct journal_sub *sub)
{
	if (!sub)
		return;
	for (struct journal_sub **pp = &j->subs; *pp; pp = &(*pp)->next) {
		if (*pp == sub) {
			*pp = sub->next;
			break;
		}
	}
	free(sub);
}

/* --- maintenance ------------------------------------------------------------------ */

static int delete_batch(struct journal *j, const char *sql, int64_t arg,
			unsigned batch)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(j->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_error(j, "expire");
		return -1;
	}
	sqlite3_bind_int64(st, 1, arg);
	sqlite3_bind_int(st, 2, (int)batch);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		db_error(j, "expire");
		return -1;
	}
	return sqlite3_changes(j->db);
}

int journal_expire(struct journal *j, int64_t now_us, unsigned batch)
{
	int n, total = 0;

	if (j->in_batch || j->o.readonly)
		return 0;
	if (!batch)
		batch = 500;
	if (j->o.retention_days) {
		n = delete_batch(j, "DELETE FROM events WHERE id IN (SELECT id FROM events"
				 " WHERE rx_us < ? ORDER BY id LIMIT ?)",
				 now_us - (int64_t)j->o.retention_days * DAY_US, batch);
		if (n < 0)
			return -1;
		total += n;
	}
	if (j->o.max_rows && total < (int)batch) {
		char sql[160];
		int64_t cut;

		snprintf(sql, sizeof(sql), "SELECT id FROM events ORDER BY id DESC"
			 " LIMIT 1 OFFSET %" PRIu64, j->o.max_rows);
		cut = scalar_i64(j, sql, 0);
		if (cut > 0) {
			n = delete_batch(j, "DELETE FROM events WHERE id IN (SELECT id FROM"
					 " events WHERE id <= ? ORDER BY id LIMIT ?)", cut,
					 batch - (unsigned)total);
			if (n < 0)
				return -1;
			total += n;
		}
	}
	if (total < (int)batch) {
		n = delete_batch(j, "DELETE FROM dedup WHERE (source, ied, raw) IN"
				 " (SELECT source, ied, raw FROM dedup WHERE rx_us < ? LIMIT ?)",
				 now_us - (int64_t)j->o.dedup_days * DAY_US,
				 batch - (unsigned)total);
		if (n < 0)
			return -1;
		total += n;
	}
	if (j->o.history_days && total < (int)batch) {
		n = delete_batch(j, "DELETE FROM history WHERE rowid IN (SELECT rowid FROM"
				 " history WHERE t_us < ? ORDER BY t_us LIMIT ?)",
				 now_us - (int64_t)j->o.history_days * DAY_US,
				 batch - (unsigned)total);
		if (n < 0)
			return -1;
		total += n;
	}
	j->st.expired += (uint64_t)total;
	return total;
}

void journal_get_stats(const struct journal *j, struct journal_stats *st)
{
	*st = j->st;
}

/* --- persisted point flags ----------------------------------------------------------- */

static void persist_point(const struct point *p, void *arg)
{
	struct journal *j = arg;
	sqlite3_stmt *st;

	if (j->in_batch)
		return;	/* never inside a source's batch; flags change from the web side */
	if (sqlite3_prepare_v2(j->db, "INSERT OR REPLACE INTO point_flags VALUES(?,?)",
			       -1, &st, NULL) != SQLITE_OK) {
		db_error(j, "save point flags");
		return;
	}
	sqlite3_bind_text(st, 1, p->tag, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, p->flags & (POINT_F_LATCHED | POINT_F_MANUAL));
	if (sqlite3_step(st) != SQLITE_DONE)
		db_error(j, "save point flags");
	sqlite3_finalize(st);
}

int journal_attach_store(struct journal *j, struct store *s)
{
	sqlite3_stmt *st;

	store_attach_persist(s, NULL, NULL);
	if (sqlite3_prepare_v2(j->db, "SELECT tag, flags FROM point_flags", -1, &st,
			       NULL) != SQLITE_OK) {
		db_error(j, "load point flags");
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const struct point *p = store_find(s, col_text(st, 0));
		int fl = sqlite3_column_int(st, 1);

		if (!p)
			continue;
		store_set_flag(s, p->id, POINT_F_LATCHED, fl & POINT_F_LATCHED);
		store_set_flag(s, p->id, POINT_F_MANUAL, fl & POINT_F_MANUAL);
	}
	sqlite3_finalize(st);
	store_attach_persist(s, persist_point, j);
	return 0;
}
