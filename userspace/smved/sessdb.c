// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The session table on disk (see sessdb.h).  The event loop only appends to an in-memory queue
 * under a mutex; a writer thread takes the whole queue at once and commits it as one transaction,
 * so a burst of logins costs one fsync and the loop never waits for the disk.  Touches (last-seen
 * updates) are advisory and are dropped when the queue is long; puts and deletes never are.
 */
#include "sessdb.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sqlite3.h>

#include "smved.h"

#define MAX_PENDING_TOUCHES 4096

enum op_kind { OP_PUT, OP_TOUCH, OP_DELETE };

struct op {
	enum op_kind kind;
	struct sessdb_row row;
	struct op *next;
};

struct sessdb {
	sqlite3 *db;
	sqlite3_stmt *put, *touch, *del;
	pthread_t writer;
	pthread_mutex_t mu;
	pthread_cond_t work, idle;
	struct op *head, **tail;
	unsigned pending;
	bool busy, stop, started;
	unsigned long failures;
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"CREATE TABLE IF NOT EXISTS sessions ("
	" key BLOB PRIMARY KEY,"		/* SHA-256 of the token; the token is never stored */
	" user TEXT NOT NULL, role TEXT NOT NULL, pw_tag BLOB NOT NULL,"
	" created_us INTEGER NOT NULL, last_seen_us INTEGER NOT NULL,"
	" expires_us INTEGER NOT NULL, addr TEXT NOT NULL) WITHOUT ROWID;";

static int exec_op(struct sessdb *d, const struct op *o)
{
	sqlite3_stmt *s = o->kind == OP_PUT ? d->put : o->kind == OP_TOUCH ? d->touch : d->del;
	const struct sessdb_row *r = &o->row;

	sqlite3_reset(s);
	sqlite3_bind_blob(s, 1, r->key, SESSDB_KEY_LEN, SQLITE_STATIC);
	if (o->kind == OP_PUT) {
		sqlite3_bind_text(s, 2, r->user, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, r->role, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 4, r->pw_tag, SESSDB_TAG_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(s, 5, r->created_us);
		sqlite3_bind_int64(s, 6, r->last_seen_us);
		sqlite3_bind_int64(s, 7, r->expires_us);
		sqlite3_bind_text(s, 8, r->addr, -1, SQLITE_STATIC);
	} else if (o->kind == OP_TOUCH) {
		sqlite3_bind_int64(s, 2, r->last_seen_us);
	}
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void write_batch(struct sessdb *d, struct op *list)
{
	bool ok = sqlite3_exec(d->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;

	for (const struct op *o = list; o && ok; o = o->next)
		ok = !exec_op(d, o);
	if (!ok || sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		smved_log(LOG_ERR, "sessions: cannot save session changes: %s", sqlite3_errmsg(d->db));
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
		pthread_mutex_lock(&d->mu);
		d->failures++;
		pthread_mutex_unlock(&d->mu);
	}
	while (list) {
		struct op *n = list->next;

		free(list);
		list = n;
	}
}

static void *writer(void *arg)
{
	struct sessdb *d = arg;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->head && !d->stop)
			pthread_cond_wait(&d->work, &d->mu);
		if (!d->head)
			break;
		struct op *list = d->head;

		d->head = NULL;
		d->tail = &d->head;
		d->pending = 0;
		d->busy = true;
		pthread_mutex_unlock(&d->mu);
		write_batch(d, list);
		pthread_mutex_lock(&d->mu);
		d->busy = false;
		pthread_cond_broadcast(&d->idle);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

static void enqueue(struct sessdb *d, enum op_kind kind, const struct sessdb_row *r)
{
	if (!d)
		return;
	struct op *o = calloc(1, sizeof(*o));

	if (!o) {
		smved_log(LOG_ERR, "sessions: out of memory; a session change is not saved");
		return;
	}
	o->kind = kind;
	o->row = *r;
	pthread_mutex_lock(&d->mu);
	if (kind == OP_TOUCH && d->pending >= MAX_PENDING_TOUCHES) {
		pthread_mutex_unlock(&d->mu);
		free(o);
		return;
	}
	*d->tail = o;
	d->tail = &o->next;
	d->pending++;
	pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->mu);
}

void sessdb_put(struct sessdb *db, const struct sessdb_row *r)
{
	enqueue(db, OP_PUT, r);
}

void sessdb_touch(struct sessdb *db, const uint8_t key[SESSDB_KEY_LEN], int64_t last_seen_us)
{
	struct sessdb_row r = { .last_seen_us = last_seen_us };

	memcpy(r.key, key, SESSDB_KEY_LEN);
	enqueue(db, OP_TOUCH, &r);
}

void sessdb_delete(struct sessdb *db, const uint8_t key[SESSDB_KEY_LEN])
{
	struct sessdb_row r = { .created_us = 0 };

	memcpy(r.key, key, SESSDB_KEY_LEN);
	enqueue(db, OP_DELETE, &r);
}

void sessdb_flush(struct sessdb *db)
{
	if (!db || !db->started)
		return;
	pthread_mutex_lock(&db->mu);
	while (db->head || db->busy)
		pthread_cond_wait(&db->idle, &db->mu);
	pthread_mutex_unlock(&db->mu);
}

unsigned long sessdb_failures(struct sessdb *db)
{
	unsigned long n;

	pthread_mutex_lock(&db->mu);
	n = db->failures;
	pthread_mutex_unlock(&db->mu);
	return n;
}

struct sessdb *sessdb_open(const char *path, char *err, size_t errlen)
{
	struct sessdb *d = calloc(1, sizeof(*d));
	/* Created 0600 before SQLite sees it: the table names who is logged in from where. */
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (!d || fd < 0) {
		snprintf(err, errlen, "%s: %s", path, d ? strerror(errno) : "out of memory");
		if (fd >= 0)
			close(fd);
		free(d);
		return NULL;
	}
	close(fd);
	d->tail = &d->head;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->work, NULL);
	pthread_cond_init(&d->idle, NULL);
	if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
		    SQLITE_OK ||
	    sqlite3_busy_timeout(d->db, 2000) != SQLITE_OK ||
	    sqlite3_exec(d->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d->db,
			       "INSERT OR REPLACE INTO sessions VALUES (?1,?2,?3,?4,?5,?6,?7,?8)", -1,
			       &d->put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d->db, "UPDATE sessions SET last_seen_us = ?2 WHERE key = ?1", -1,
			       &d->touch, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(d->db, "DELETE FROM sessions WHERE key = ?1", -1, &d->del, NULL) !=
		    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, d->db ? sqlite3_errmsg(d->db) : "cannot open");
		sessdb_close(d);
		return NULL;
	}
	return d;
}

/* After the load: from here on the connection belongs to the writer thread. */
static int start_writer(struct sessdb *d, char *err, size_t errlen)
{
	if (d->started)
		return 0;
	if (pthread_create(&d->writer, NULL, writer, d)) {
		snprintf(err, errlen, "sessions: cannot start the writer thread");
		return -1;
	}
	d->started = true;
	return 0;
}

void sessdb_close(struct sessdb *d)
{
	if (!d)
		return;
	if (d->started) {
		pthread_mutex_lock(&d->mu);
		d->stop = true;
		pthread_cond_signal(&d->work);
		pthread_mutex_unlock(&d->mu);
		pthread_join(d->writer, NULL);	/* it drains the queue before it stops */
	} else if (d->head && d->db) {
		write_batch(d, d->head);	/* never loaded (tools, tests): write in place */
		d->head = NULL;
	}
	sqlite3_finalize(d->put);
	sqlite3_finalize(d->touch);
	sqlite3_finalize(d->del);
	sqlite3_close(d->db);
	pthread_cond_destroy(&d->work);
	pthread_cond_destroy(&d->idle);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

static void copy_text(char *dst, size_t cap, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

int sessdb_load(struct sessdb *db, unsigned max, void (*cb)(void *arg, const struct sessdb_row *r),
		void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int n = 0, rc;

	if (sqlite3_prepare_v2(db->db,
			       "SELECT key, user, role, pw_tag, created_us, last_seen_us, expires_us,"
			       " addr FROM sessions ORDER BY last_seen_us DESC", -1, &s, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "sessions: %s", sqlite3_errmsg(db->db));
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sessdb_row r = { .created_us = 0 };
		bool sane = sqlite3_column_bytes(s, 0) == SESSDB_KEY_LEN &&
			    sqlite3_column_bytes(s, 3) == SESSDB_TAG_LEN;

		if (sane) {
			memcpy(r.key, sqlite3_column_blob(s, 0), SESSDB_KEY_LEN);
			memcpy(r.pw_tag, sqlite3_column_blob(s, 3), SESSDB_TAG_LEN);
		}
		copy_text(r.user, sizeof(r.user), s, 1);
		copy_text(r.role, sizeof(r.role), s, 2);
		r.created_us = sqlite3_column_int64(s, 4);
		r.last_seen_us = sqlite3_column_int64(s, 5);
		r.expires_us = sqlite3_column_int64(s, 6);
		copy_text(r.addr, sizeof(r.addr), s, 7);
		if (!sane) {
			/* A row this version did not write: drop it by its stored key, whatever size. */
			sqlite3_stmt *del = NULL;

			if (sqlite3_prepare_v2(db->db, "DELETE FROM sessions WHERE key = ?1", -1, &del,
					       NULL) == SQLITE_OK) {
				sqlite3_bind_value(del, 1, sqlite3_column_value(s, 0));
				sqlite3_step(del);
			}
			sqlite3_finalize(del);
			continue;
		}
		if ((unsigned)n >= max) {
			sessdb_delete(db, r.key);	/* the least recently used beyond the table */
			continue;
		}
		cb(arg, &r);
		n++;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "sessions: %s", sqlite3_errmsg(db->db));
		n = -1;
	}
	sqlite3_finalize(s);
	if (n >= 0 && start_writer(db, err, errlen))
		n = -1;
	return n;
}
