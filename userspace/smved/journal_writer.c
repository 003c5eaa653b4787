// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Group commit off the event loop.  Sources queue batches (events + protocol
 * state); one writer thread with a connection of its own takes everything
 * queued, writes it in ONE transaction and commits (the only fsync), then
 * hands the batches back through an eventfd.  The loop announces the new
 * events to subscribers and runs each batch's callback, in submission order.
 *
 * Why a thread and not just batching on the loop: a synchronous=FULL commit
 * waits for the disk (ms to tens of ms); on the loop that wait delays every
 * WebSocket frame and every poll of every source.  Why one transaction for
 * all sources: the fsync, not the inserts, is the cost, so N sources pay
 * one fsync per round instead of N.
 *
 * Sharing: the writer touches only the batches it took (events, states,
 * result) and its own connection; owner/done are read and changed under the
 * mutex only.  The loop's connection and the writer's serialise through
 * SQLite's write lock (busy timeout), so ids stay in commit order.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "journal_int.h"
#include "smved.h"
#include "store.h"

struct journal_batch {
	struct journal_batch *next;
	void *owner;
	journal_done_fn done;
	union {
		uint8_t bytes[JOURNAL_BATCH_USER];
		uint64_t align;
	} user;
	struct journal_new **evs;	/* each one allocation: struct + its strings */
	unsigned nev, cap;
	struct {
		char key[64];
		struct journal_state st;
	} states[JOURNAL_BATCH_STATES];
	unsigned nstates;
	struct hist_row {
		char tag[STORE_TAG_MAX];
		int64_t t_us;
		double value;
		uint8_t q;
		bool stale;
	} *hist;
	size_t nhist, hcap;
	struct journal_result res;
};

struct journal_writer {
	struct journal *j;
	struct jconn wc;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_cond_t idle;			/* queue and inflight empty */
	struct journal_batch *queue, **qtail;	/* waiting for the next group */
	struct journal_batch *inflight;		/* being written (owner/done under mu) */
	struct journal_batch *done, **dtail;	/* committed or failed, for the loop */
	bool stop, hold;
	int efd;
	struct event *ev;
	struct journal_stats st;		/* under mu */
};

/* --- batches ------------------------------------------------------------------------- */

struct journal_batch *journal_batch_new(void)
{
	return calloc(1, sizeof(struct journal_batch));
}

unsigned journal_batch_count(const struct journal_batch *b)
{
	return b->nev;
}

void journal_batch_free(struct journal_batch *b)
{
	if (!b)
		return;
	for (unsigned i = 0; i < b->nev; i++)
		free(b->evs[i]);
	free(b->evs);
	free(b->hist);
	free(b);
}

static size_t slen(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* Copies @src into the string area at *@pos; NULL stays NULL. */
static const char *put_str(char **pos, const char *src)
{
	char *d = *pos;
	size_t n = slen(src);

	if (!src)
		return NULL;
	memcpy(d, src, n);
	*pos += n;
	return d;
}

int journal_batch_add(struct journal_batch *b, const struct journal_new *ev)
{
	size_t strs = slen(ev->source) + slen(ev->station) + slen(ev->type) + slen(ev->tag) +
		      slen(ev->device_time) + slen(ev->fields) + slen(ev->text);
	struct journal_new *c;
	char *pos;

	if (b->nev == b->cap) {
		unsigned cap = b->cap ? 2 * b->cap : 8;
		/* an array of pointers: the element is the pointer on purpose */
		struct journal_new **n = realloc(b->evs, cap * sizeof(*n)); // NOLINT(bugprone-sizeof-expression)

		if (!n)
			return -1;
		b->evs = n;
		b->cap = cap;
	}
	c = malloc(sizeof(*c) + strs);
	if (!c)
		return -1;
	*c = *ev;
	pos = (char *)(c + 1);
	c->source = put_str(&pos, ev->source);
	c->station = put_str(&pos, ev->station);
	c->type = put_str(&pos, ev->type);
	c->tag = put_str(&pos, ev->tag);
	c->device_time = put_str(&pos, ev->device_time);
	c->fields = put_str(&pos, ev->fields);
	c->text = put_str(&pos, ev->text);
	b->evs[b->nev++] = c;
	return 0;
}

int journal_batch_history(struct journal_batch *b, const char *tag, int64_t t_us,
			  double value, uint8_t q, bool stale)
{
	struct hist_row *r;

	if (strlen(tag) >= STORE_TAG_MAX)
		return -1;
	if (b->nhist == b->hcap) {
		size_t cap = b->hcap ? 2 * b->hcap : 64;
		struct hist_row *n = realloc(b->hist, cap * sizeof(*n));

		if (!n)
			return -1;
		b->hist = n;
		b->hcap = cap;
	}
	r = &b->hist[b->nhist++];
	memcpy(r->tag, tag, strlen(tag) + 1);
	r->t_us = t_us;
	r->value = value;
	r->q = q;
	r->stale = stale;
	return 0;
}

int journal_batch_state(struct journal_batch *b, const char *key,
			const struct journal_state *st)
{
	unsigned i;

	if (strlen(key) >= sizeof(b->states[0].key))
		return -1;
	for (i = 0; i < b->nstates; i++)
		if (!strcmp(b->states[i].key, key))
			break;
	if (i == JOURNAL_BATCH_STATES)
		return -1;
	if (i == b->nstates) {
		memcpy(b->states[i].key, key, strlen(key) + 1);
		b->nstates++;
	}
	b->states[i].st = *st;
	return 0;
}

/* --- writing one group ------------------------------------------------------------- */

static int exec_on(struct journal *j, sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		journal_conn_error(j, db, sql);
		return -1;
	}
	return 0;
}

/* Writes one batch into the open transaction; fills its result.  0 or -1. */
static int write_batch(struct journal *j, struct jconn *c, struct journal_batch *b)
{
	b->res = (struct journal_result){ 0 };
	for (unsigned i = 0; i < b->nev; i++) {
		int64_t id = 0;
		int rc = journal_conn_append(j, c, b->evs[i], &id);

		if (rc < 0)
			return -1;
		if (rc) {
			b->res.stored++;
			b->res.last_id = id;
		} else {
			b->res.duplicates++;
		}
	}
	for (unsigned i = 0; i < b->nstates; i++)
		if (journal_conn_put_state(j, c, b->states[i].key, &b->states[i].st) < 0)
			return -1;
	for (size_t i = 0; i < b->nhist; i++) {
		sqlite3_stmt *st = c->ins_history;
		int rc;

		sqlite3_bind_text(st, 1, b->hist[i].tag, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, b->hist[i].t_us);
		sqlite3_bind_double(st, 3, b->hist[i].value);
		sqlite3_bind_int(st, 4, b->hist[i].q);
		sqlite3_bind_int(st, 5, b->hist[i].stale);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			journal_conn_error(j, c->db, "insert history");
			return -1;
		}
	}
	return 0;
}

/*
 * One transaction for the whole list: either every batch is durable or none
 * is (each then reports -1 and its source re-asks).  Updates @st.
 */
static void write_group(struct journal *j, struct jconn *c, struct journal_batch *list,
			struct journal_stats *st, pthread_mutex_t *mu)
{
	int64_t t0 = smved_mono_us();
	int rc = exec_on(j, c->db, "BEGIN IMMEDIATE");
	uint64_t ev = 0, dup = 0;
	double ms;

	for (struct journal_batch *b = list; b && !rc; b = b->next)
		rc = write_batch(j, c, b);
	if (!rc)
		rc = exec_on(j, c->db, "COMMIT");
	if (rc && !sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	for (struct journal_batch *b = list; b; b = b->next) {
		if (rc) {
			b->res = (struct journal_result){ .status = -1 };
			continue;
		}
		ev += b->res.stored;
		dup += b->res.duplicates;
	}
	ms = (double)(smved_mono_us() - t0) / 1000.0;
	if (mu)
		pthread_mutex_lock(mu);
	if (rc) {
		st->commit_errors++;
	} else {
		st->commits++;
		st->events += ev;
		st->duplicates += dup;
		st->last_commit_ms = ms;
		if (ms > st->max_commit_ms)
			st->max_commit_ms = ms;
	}
	if (mu)
		pthread_mutex_unlock(mu);
}

static void *writer_main(void *arg)
{
	struct journal_writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->stop && (!w->queue || w->hold))
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->queue)
			break;	/* stopping with nothing left */
		/* Everything queued so far goes into this one transaction. */
		w->inflight = w->queue;
		w->queue = NULL;
		w->qtail = &w->queue;
		pthread_mutex_unlock(&w->mu);
		write_group(w->j, &w->wc, w->inflight, &w->st, &w->mu);
		pthread_mutex_lock(&w->mu);
		*w->dtail = w->inflight;
		while (*w->dtail)
			w->dtail = &(*w->dtail)->next;
		w->inflight = NULL;
		if (!w->queue)
			pthread_cond_broadcast(&w->idle);
		pthread_mutex_unlock(&w->mu);
		{
			uint64_t one = 1;

			/* A full counter (never in practice) still leaves the fd readable. */
			if (write(w->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
				smved_log(LOG_ERR, "journal: cannot wake the loop: %s", strerror(errno));
		}
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* --- the loop side ----------------------------------------------------------------- */

static void finish(struct journal *j, struct journal_batch *b)
{
	if (!b->res.status && b->res.last_id)
		journal_notify_upto(j, b->res.last_id);
	if (b->done)
		b->done(b->owner, &b->res, b->user.bytes);
	journal_batch_free(b);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct journal *j = arg;
	struct journal_writer *w = j->w;
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		smved_log(LOG_ERR, "journal: eventfd: %s", strerror(errno));
	/*
	 * One at a time: a callback may free another owner, whose batches must
	 * still be reachable by journal_cancel() in w->done.
	 */
	for (;;) {
		struct journal_batch *b;

		pthread_mutex_lock(&w->mu);
		b = w->done;
		if (b) {
			w->done = b->next;
			if (!w->done)
				w->dtail = &w->done;
		}
		pthread_mutex_unlock(&w->mu);
		if (!b)
			break;
		b->next = NULL;
		finish(j, b);
	}
}

int journal_submit(struct journal *j, struct journal_batch *b, void *owner,
		   journal_done_fn done, const void *user, size_t ulen)
{
	struct journal_writer *w = j->w;

	if (ulen > sizeof(b->user.bytes) || j->o.readonly) {
		journal_batch_free(b);
		return -1;
	}
	b->owner = owner;
	b->done = done;
	if (ulen)
		memcpy(b->user.bytes, user, ulen);
	b->next = NULL;
	if (!w) {
		/* No writer thread (tools, tests): commit now, on the loop's connection. */
		if (j->in_batch) {
			journal_batch_free(b);
			return -1;
		}
		write_group(j, &j->lc, b, &j->st, NULL);
		finish(j, b);
		return 0;
	}
	pthread_mutex_lock(&w->mu);
	*w->qtail = b;
	w->qtail = &b->next;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static void cancel_list(struct journal_batch *b, void *owner)
{
	for (; b; b = b->next)
		if (b->owner == owner) {
			b->owner = NULL;
			b->done = NULL;
		}
}

void journal_cancel(struct journal *j, void *owner)
{
	struct journal_writer *w = j->w;

	if (!w || !owner)
		return;
	pthread_mutex_lock(&w->mu);
	cancel_list(w->queue, owner);
	cancel_list(w->inflight, owner);
	cancel_list(w->done, owner);
	pthread_mutex_unlock(&w->mu);
}

void journal_writer_flush(struct journal *j)
{
	struct journal_writer *w = j->w;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	while ((w->queue && !w->hold) || w->inflight)
		pthread_cond_wait(&w->idle, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

void journal_writer_hold(struct journal *j, bool hold)
{
	struct journal_writer *w = j->w;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->hold = hold;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void journal_writer_stats(const struct journal *j, struct journal_stats *st)
{
	struct journal_writer *w = j->w;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	*st = w->st;
	pthread_mutex_unlock(&w->mu);
}

int journal_start_writer(struct journal *j, struct event_base *base)
{
	struct journal_writer *w;

	if (j->w || j->o.readonly)
		return j->w ? 0 : -1;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -1;
	w->j = j;
	w->qtail = &w->queue;
	w->dtail = &w->done;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0)
		goto fail_fd;
	if (sqlite3_open_v2(j->path, &w->wc.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		journal_conn_error(j, w->wc.db, "open the writer connection");
		goto fail_db;
	}
	/* The loop may hold the write lock briefly (acks, history, sessions): wait for it. */
	sqlite3_busy_timeout(w->wc.db, 10000);
	sqlite3_extended_result_codes(w->wc.db, 1);
	if (exec_on(j, w->wc.db, "PRAGMA synchronous=FULL") < 0 ||
	    journal_conn_prepare(j, &w->wc) < 0)
		goto fail_db;
	w->ev = event_new(base, w->efd, EV_READ | EV_PERSIST, on_done, j);
	if (!w->ev || event_add(w->ev, NULL) < 0)
		goto fail_ev;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	pthread_cond_init(&w->idle, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w)) {
		pthread_cond_destroy(&w->idle);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		goto fail_ev;
	}
	j->w = w;
	return 0;
fail_ev:
	if (w->ev)
		event_free(w->ev);
fail_db:
	journal_conn_finalize(&w->wc);
	sqlite3_close(w->wc.db);
	close(w->efd);
fail_fd:
	free(w);
	return -1;
}

void journal_writer_stop(struct journal *j)
{
	struct journal_writer *w = j->w;
	struct journal_batch *list;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	w->hold = false;	/* what is queued is committed before the thread ends */
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	/* Owners are gone by now (they cancel when freed); announce what was stored. */
	list = w->done;
	while (list) {
		struct journal_batch *b = list;

		list = b->next;
		b->done = NULL;
		finish(j, b);
	}
	event_free(w->ev);
	close(w->efd);
	journal_conn_finalize(&w->wc);
	if (sqlite3_close(w->wc.db) != SQLITE_OK)
		journal_conn_error(j, w->wc.db, "close the writer connection");
	pthread_cond_destroy(&w->idle);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w);
	j->w = NULL;
}
