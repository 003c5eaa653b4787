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
	/* Energy reports (§9.10, api_energy.c) read one source and IED over a time range. */
	"CREATE INDEX IF NOT EXISTS events_energy ON events(source, ied, utc_us) WHERE type = 'energy';"
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

#include "journal_int.h"

void journal_conn_error(struct journal *j, sqlite3 *db, const char *what)
{
	smved_log(LOG_ERR, "journal %s: %s: %s", j->path, what, sqlite3_errmsg(db));
}

void journal_db_error(struct journal *j, const char *what)
{
	journal_conn_error(j, j->db, what);
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

static int prepare_on(struct journal *j, sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
			       NULL) != SQLITE_OK) {
		journal_conn_error(j, db, "prepare");
		return -1;
	}
	return 0;
}

static int prepare(struct journal *j, sqlite3_stmt **st, const char *sql)
{
	return prepare_on(j, j->db, st, sql);
}

int journal_conn_prepare(struct journal *j, struct jconn *c)
{
	if (prepare_on(j, c->db, &c->ins_event,
		       "INSERT INTO events(source, station, ied, type, tag, device_time,"
		       " utc_us, rx_us, bad_time, raw, value, calif, alarm, fields, text)"
		       " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)") < 0 ||
	    prepare_on(j, c->db, &c->dedup_get,
		       "SELECT rx_us FROM dedup WHERE source=? AND ied=? AND raw=?") < 0 ||
	    prepare_on(j, c->db, &c->dedup_put,
		       "INSERT OR REPLACE INTO dedup VALUES(?,?,?,?)") < 0 ||
	    prepare_on(j, c->db, &c->state_put,
		       "INSERT OR REPLACE INTO source_state VALUES(?,?,?,?,?,?,?)") < 0 ||
	    prepare_on(j, c->db, &c->ins_history,
		       "INSERT INTO history VALUES(?,?,?,?,?)") < 0)
		return -1;
	return 0;
}

void journal_conn_finalize(struct jconn *c)
{
	sqlite3_finalize(c->ins_event);
	sqlite3_finalize(c->dedup_get);
	sqlite3_finalize(c->dedup_put);
	sqlite3_finalize(c->state_put);
	sqlite3_finalize(c->ins_history);
	*c = (struct jconn){ .db = c->db };
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
	j->lc.db = j->db;
	if (o->readonly)
		return j;
	j->notified = journal_scalar_i64(j, "SELECT max(id) FROM events", 0);
	if (journal_conn_prepare(j, &j->lc) < 0 ||
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
	journal_writer_stop(j);
	while (j->subs)
		journal_unsubscribe(j, j->subs);
	journal_conn_finalize(&j->lc);
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
static int dedup_check(struct journal *j, struct jconn *c, const struct journal_new *ev)
{
	sqlite3_stmt *st = c->dedup_get;
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
	st = c->dedup_put;
	sqlite3_bind_text(st, 1, nz(ev->source), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, ev->ied);
	sqlite3_bind_blob(st, 3, ev->raw, JOURNAL_RAW_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, now);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int journal_conn_append(struct journal *j, struct jconn *c, const struct journal_new *ev,
			int64_t *id)
{
	sqlite3_stmt *st = c->ins_event;
	int rc;

	if (!st)
		return -1;
	if (ev->has_raw) {
		rc = dedup_check(j, c, ev);
		if (rc < 0) {
			journal_conn_error(j, c->db, "duplicate filter");
			return -1;
		}
		if (rc)
			return 0;
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
		journal_conn_error(j, c->db, "insert event");
		return -1;
	}
	*id = sqlite3_last_insert_rowid(c->db);
	return 1;
}

int journal_append(struct journal *j, const struct journal_new *ev,
		   int64_t *id)
{
	int64_t nid = 0;
	int rc;

	if (!j->in_batch) {
		if (!j->collect)
			return -1;
		if (journal_batch_add(j->collect, ev) < 0) {
			j->collect_failed = true;
			return -1;
		}
		if (id)
			*id = 0;
		return 1;
	}
	rc = journal_conn_append(j, &j->lc, ev, &nid);
	if (rc == 0)
		j->st.duplicates++;
	if (rc <= 0)
		return rc;
	j->batch_last = nid;
	if (!j->batch_first)
		j->batch_first = nid;
	if (id)
		*id = nid;
	j->st.events++;
	return 1;
}

int journal_conn_put_state(struct journal *j, struct jconn *c, const char *key,
			   const struct journal_state *s)
{
	sqlite3_stmt *st = c->state_put;
	int rc;

	if (!st)
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
		journal_conn_error(j, c->db, "save source state");
		return -1;
	}
	return 0;
}

int journal_put_state(struct journal *j, const char *key,
		      const struct journal_state *s)
{
	return j->in_batch ? journal_conn_put_state(j, &j->lc, key, s) : -1;
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
	c->j->notified = ev->id;
	c->n++;
	for (struct journal_sub *s = c->j->subs; s; s = s->next)
		s->fn(ev, JOURNAL_NOTE_NEW, s->arg);
	return 0;
}

void journal_notify_upto(struct journal *j, int64_t last)
{
	struct journal_filter f = { .before_id = last + 1, .limit = QUERY_LIMIT_MAX };
	struct notify_ctx c = { .j = j, .last = j->notified };

	if (last <= j->notified)
		return;
	if (!j->subs) {
		j->notified = last;
		return;
	}
	/*
	 * Page through what is new; a subscriber sees each event once, in id order,
	 * whichever connection (loop or writer thread) committed it.
	 */
	do {
		f.after_id = c.last;
		c.n = 0;
		if (journal_query_upto(j, &f, last, notify_new, &c) < 0)
			break;
	} while (c.n && c.last < last);
	if (j->notified < last)
		j->notified = last;	/* ids lost to a rollback elsewhere are never announced */
}

int journal_commit(struct journal *j)
{
	int64_t first = j->batch_first, last = j->batch_last;
	double ms;

	if (!j->in_batch)
		return -1;
	j->in_batch = false;
	if (sqlite3_exec(j->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		journal_db_error(j, "commit");
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
	if (first)
		journal_notify_upto(j, last);
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

int journal_collect(struct journal *j, struct journal_batch *b)
{
	int rc = j->collect_failed ? -1 : 0;

	j->collect = b;
	j->collect_failed = false;
	return rc;
}

int journal_submit_one(struct journal *j, const struct journal_new *ev, void *owner,
		       journal_done_fn done)
{
	struct journal_batch *b = journal_batch_new();

	if (!b || journal_batch_add(b, ev) < 0) {
		journal_batch_free(b);
		return -1;
	}
	return journal_submit(j, b, owner, done, NULL, 0);
}

int journal_add_queued(struct journal *j, const struct journal_new *ev, void *owner,
		       journal_done_fn done)
{
	if (journal_append(j, ev, NULL) >= 0)
		return 0;
	return journal_submit_one(j, ev, owner, done);
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

	/* A source restarted by a reload must see what its predecessor queued. */
	journal_writer_flush(j);
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
		journal_db_error(j, "read source state");
	}
	sqlite3_reset(st);
	return found;
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
		journal_db_error(j, "expire");
		return -1;
	}
	sqlite3_bind_int64(st, 1, arg);
	sqlite3_bind_int(st, 2, (int)batch);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		journal_db_error(j, "expire");
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
		cut = journal_scalar_i64(j, sql, 0);
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
	struct journal_stats w = { 0 };

	*st = j->st;
	journal_writer_stats(j, &w);
	st->events += w.events;
	st->duplicates += w.duplicates;
	st->commits += w.commits;
	st->commit_errors += w.commit_errors;
	if (w.commits)
		st->last_commit_ms = w.last_commit_ms;	/* the writer commits nearly everything */
	if (w.max_commit_ms > st->max_commit_ms)
		st->max_commit_ms = w.max_commit_ms;
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
		journal_db_error(j, "save point flags");
		return;
	}
	sqlite3_bind_text(st, 1, p->tag, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, p->flags & (POINT_F_LATCHED | POINT_F_MANUAL));
	if (sqlite3_step(st) != SQLITE_DONE)
		journal_db_error(j, "save point flags");
	sqlite3_finalize(st);
}

int journal_attach_store(struct journal *j, struct store *s)
{
	sqlite3_stmt *st;

	store_attach_persist(s, NULL, NULL);
	if (sqlite3_prepare_v2(j->db, "SELECT tag, flags FROM point_flags", -1, &st,
			       NULL) != SQLITE_OK) {
		journal_db_error(j, "load point flags");
		return -1;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		const struct point *p = store_find(s, journal_col_text(st, 0));
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
