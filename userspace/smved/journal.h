/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The event journal: one SQLite database (WAL, synchronous=FULL) in the
 * state directory holding every event with a monotonic id, the per-source
 * protocol state (last SEQ and whether it completed, node cursors), the
 * persisted point flags, and the analog history (history.h).
 *
 * Durability contract (spec §3.5 M1): a source opens a batch, appends the
 * events of one reply and its new protocol state, and commits.  Only when
 * journal_commit() returns 0 are the events on disk together with the
 * state; only then may the source acknowledge them to the peer (new SEQ,
 * node ack).  If the commit fails nothing of the batch is stored and the
 * source must re-ask with the same SEQ.
 *
 * Duplicate filter (spec §3.6): an event carrying raw record bytes is
 * dropped when an event with the same source, IED address and the same 10
 * record bytes was stored within the last dedup_days.
 *
 * Group commit (journal_submit): sources on the hot path hand a batch
 * (events + protocol state) to a writer thread instead.  The thread commits
 * everything queued, from every source, in ONE transaction (one fsync),
 * on its own connection, and the loop is told through an eventfd: each
 * batch's completion callback runs on the loop thread, after the commit
 * is durable, in submission order.  Until its callback reports success a
 * batch may be lost (crash) or rolled back (error) as a whole; the source
 * must therefore not acknowledge its events (new SEQ, node ack) before.
 *
 * Threading: every function here is called from the loop thread only; the
 * writer thread is internal.  Notifications run on the loop thread.
 * Times are microseconds since 1970-01-01 UTC; 0 means unknown.
 */
#ifndef SMVED_JOURNAL_H
#define SMVED_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sqlite3;

#define JOURNAL_RAW_LEN		10	/* a Mara event record */

/*
 * One event.  In query results and notifications every string points into
 * storage owned by the journal and is valid only during the callback; copy
 * what you keep.  Strings are never NULL ("" when absent) except ack_user,
 * which is NULL while the event is unacknowledged.
 */
struct journal_event {
	int64_t id;		/* monotonic, > 0; the REST/WebSocket resume cursor */
	const char *source;	/* concentrator or bus name ("" for smved itself) */
	const char *station;	/* station name (defaults to the source name) */
	int ied;		/* IED address, -1 when the event is not about one */
	/*
	 * "digital", "energy", "idle", "comsys" (Mara records) or smved's own:
	 * "comm" (source/IED online or offline), "data_lost" (node overrun or
	 * epoch gap), "clock" (host clock not synchronised / back), "layout"
	 * (reply does not match the configured layout), "system" (start,
	 * stop, reload), "command" (0x13 control results).
	 */
	const char *type;
	const char *tag;	/* the point it concerns, "" when none */
	/* Device time as sent, station local, "YYYY-MM-DD hh:mm:ss.ffffff" ("" none). */
	const char *device_time;
	int64_t utc_us;		/* device time in UTC; rx_us when bad or none */
	int64_t rx_us;		/* when smved received it */
	bool bad_time;		/* device time out of range (§5.11) */
	bool has_raw;
	uint8_t raw[JOURNAL_RAW_LEN]; /* the record as received (when has_raw) */
	int64_t value;		/* DIGITAL: status after maskinv; ENERGY: 24-bit value; COMM: 1 online/0 offline; else 0 */
	uint8_t calif;		/* event qualifier (§5.6) */
	bool alarm;		/* listed in the alarm grid (needs attention) */
	const char *fields;	/* decoded fields as a JSON object text ("{}" when none) */
	const char *text;	/* human text (sheet description + state text) */
	const char *ack_user;	/* NULL until acknowledged */
	int64_t ack_us;		/* acknowledgement time, 0 until acknowledged */
};

struct journal_opts {
	const char *path;	/* database file; created when missing */
	unsigned dedup_days;	/* duplicate window (default 7) */
	unsigned retention_days; /* events older than this are deleted (0 = keep) */
	uint64_t max_rows;	/* keep at most this many events (0 = no limit) */
	unsigned history_days;	/* analog history retention (0 = keep) */
	bool readonly;		/* --backup / --export-events: never writes */
};

struct journal;

/*
 * Open (creating and migrating the schema when needed).  On failure
 * returns NULL and writes a message naming the file into @err.
 */
struct journal *journal_open(const struct journal_opts *o, char *err,
			     size_t errlen);
/* Close; a batch still open is rolled back.  NULL is allowed. */
void journal_close(struct journal *j);
/* Change retention/dedup settings after a reload (path is ignored). */
void journal_set_opts(struct journal *j, const struct journal_opts *o);

/*
 * The underlying connection, for other smved modules that keep small
 * tables of their own in the same file (users, sessions, audit).  Rules:
 * prefix your tables ("web_..."), never leave a transaction open across
 * event-loop iterations, and never call this between journal_begin() and
 * journal_commit().
 */
struct sqlite3 *journal_db(struct journal *j);

/* --- writing (sources) ------------------------------------------------- */

/* A new event: the same fields as struct journal_event, minus id and ack. */
struct journal_new {
	const char *source, *station;
	int ied;
	const char *type;
	const char *tag;
	const char *device_time;
	int64_t utc_us, rx_us;
	bool bad_time;
	bool has_raw;		/* raw[] is set: subject to the duplicate filter */
	uint8_t raw[JOURNAL_RAW_LEN];
	int64_t value;
	uint8_t calif;
	bool alarm;
	const char *fields;	/* JSON object text; NULL = "{}" */
	const char *text;
};

/* Protocol state of one source, persisted with its events. */
struct journal_state {
	int seq;		/* last SEQ sent, -1 when none */
	bool complete;		/* its transaction completed (events stored) */
	uint64_t epoch;		/* node ring epoch (buses) */
	uint64_t cursor;	/* next node record sequence to read (buses) */
	int64_t last_peh_us;	/* last PEH sent */
};

/*
 * Open a batch (a SQLite transaction).  Batches do not nest; returns 0 or
 * -1 (database error, logged).
 */
int journal_begin(struct journal *j);
/*
 * Append an event to the open batch.  Returns 1 when stored (its id in
 * *@id when @id is not NULL), 0 when dropped as a duplicate, -1 on error
 * (the batch must then be rolled back).  With no batch open but a
 * journal_collect() batch set, the event is copied into that one instead:
 * 1 (*@id = 0: the id and the duplicate verdict come with its result), or
 * -1 on allocation failure.  Without either: -1.
 */
int journal_append(struct journal *j, const struct journal_new *ev,
		   int64_t *id);
/* Record @key's protocol state in the open batch.  0 or -1. */
int journal_put_state(struct journal *j, const char *key,
		      const struct journal_state *st);
/*
 * Commit the batch durably.  Returns 0 (subscribers are then notified of
 * each new event, in id order) or -1 (rolled back: nothing stored).
 */
int journal_commit(struct journal *j);
/* Abandon the open batch. */
void journal_rollback(struct journal *j);

/* Convenience: one event in its own batch.  Same returns as journal_append(). */
int journal_add(struct journal *j, const struct journal_new *ev, int64_t *id);

/* --- group commit (writer thread) ------------------------------------- */

/* A batch under construction: events and protocol states, committed atomically. */
struct journal_batch;

#define JOURNAL_BATCH_STATES	4	/* protocol states per batch */
#define JOURNAL_BATCH_USER	64	/* bytes of caller data carried to the callback */

/* What became of a submitted batch. */
struct journal_result {
	int status;		/* 0 committed durably, -1 rolled back (nothing stored) */
	unsigned stored;	/* events stored */
	unsigned duplicates;	/* events dropped by the duplicate filter */
	int64_t last_id;	/* id of the last stored event (0 when none) */
};

/*
 * Runs on the loop thread once the batch's transaction ended.  @owner and
 * @user are what was given to journal_submit() (@user points to a copy).
 */
typedef void (*journal_done_fn)(void *owner, const struct journal_result *res,
				void *user);

/* A new empty batch, or NULL on allocation failure. */
struct journal_batch *journal_batch_new(void);
/* Copy @ev (and its strings) into @b.  0, or -1 on allocation failure. */
int journal_batch_add(struct journal_batch *b, const struct journal_new *ev);
/* Record @key's state in @b (the last one for a key wins).  0, or -1 when full. */
int journal_batch_state(struct journal_batch *b, const char *key,
			const struct journal_state *st);
/*
 * Add an analog history sample (history.c) to @b: trends ride the same
 * group commit instead of an fsync of their own on the loop.  0 or -1.
 */
int journal_batch_history(struct journal_batch *b, const char *tag, int64_t t_us,
			  double value, uint8_t q, bool stale);
/* Number of events in @b. */
unsigned journal_batch_count(const struct journal_batch *b);
/* Free a batch that was not submitted.  NULL is allowed. */
void journal_batch_free(struct journal_batch *b);

/*
 * Queue @b (ownership passes to the journal, also on failure) for the next
 * group commit; @done (may be NULL) is called with @owner and a copy of
 * @ulen bytes of @user (at most JOURNAL_BATCH_USER).  Without a writer
 * thread (journal_start_writer() not called) the batch is committed
 * synchronously and @done runs before this returns.  Returns 0, or -1
 * when the batch could not be queued (then @done is not called).
 */
int journal_submit(struct journal *j, struct journal_batch *b, void *owner,
		   journal_done_fn done, const void *user, size_t ulen);
/*
 * Collect into @b (NULL stops; @b stays the caller's): while set,
 * journal_append() outside a synchronous batch adds to @b, so that code
 * run while a source handles its input (a control result, say) joins the
 * source's group-commit batch and its transaction.  Returns -1 when an
 * append into the batch set until now failed (the batch is incomplete:
 * do not submit it), else 0.
 */
int journal_collect(struct journal *j, struct journal_batch *b);
/*
 * One event in a group-commit batch of its own (no fsync on the loop);
 * @owner and @done as journal_submit() (@done may be NULL).  0, or -1 when
 * it could not even be queued.
 */
int journal_submit_one(struct journal *j, const struct journal_new *ev, void *owner,
		       journal_done_fn done);
/*
 * One event nobody waits for: into the open or collected batch when there
 * is one (journal_append(); @done is then not called for it: the batch's
 * own completion counts it), else journal_submit_one().  0, or -1 when it
 * could not even be queued.
 */
int journal_add_queued(struct journal *j, const struct journal_new *ev, void *owner,
		       journal_done_fn done);
/* No callback will run for @owner's batches any more (they still commit). */
void journal_cancel(struct journal *j, void *owner);

struct event_base;
/* Start the writer thread; completions are delivered through @base.  0 or -1. */
int journal_start_writer(struct journal *j, struct event_base *base);

/*
 * Tests only: while held, the writer queues batches but does not begin
 * their transaction (simulates a slow disk, and a crash before commit).
 */
void journal_writer_hold(struct journal *j, bool hold);

/*
 * Read @key's persisted state, after waiting for the batches already
 * submitted (a restarted source must see its predecessor's last word).
 * Returns 1 found, 0 none (*st = defaults), -1 error.
 */
int journal_get_state(struct journal *j, const char *key,
		      struct journal_state *st);

/* --- reading (REST, WebSocket, export) --------------------------------- */

struct journal_filter {
	int64_t after_id;	/* only ids > after_id (0 = from the start) */
	int64_t before_id;	/* only ids < before_id (0 = no bound) */
	unsigned limit;		/* at most this many (0 = 100; capped at 10000) */
	bool newest_first;	/* descending ids (the latest page) */
	int64_t from_us, to_us;	/* utc_us range, inclusive (0 = unbounded) */
	const char *station;	/* exact match, NULL = any */
	const char *source;	/* exact match, NULL = any */
	const char *tag_prefix;	/* prefix match, NULL = any */
	const char *type;	/* exact match, NULL = any */
	bool unacked_only;	/* only events with ack_user NULL */
	bool alarms_only;	/* only events with alarm set */
};

/*
 * Call @fn for each matching event, in id order (descending with
 * newest_first).  A non-zero return from @fn stops and is returned.
 * Returns 0, the callback's value, or -1 on a database error.  A writable
 * journal shows events up to journal_last_id() only: what the writer
 * thread committed appears when the loop announces it, never before.
 */
int journal_query(struct journal *j, const struct journal_filter *f,
		  int (*fn)(const struct journal_event *ev, void *arg),
		  void *arg);
/* One event by id: 1 found (@fn called), 0 not found, -1 error. */
int journal_get(struct journal *j, int64_t id,
		int (*fn)(const struct journal_event *ev, void *arg), void *arg);
/*
 * Highest id stored and announced to subscribers (0 when empty).  An event
 * the writer thread committed counts once the loop has announced it; from
 * then on journal_query() and journal_get() return it too.  So the id is
 * exact for clients: every event up to it can be fetched, and none beyond
 * it has been broadcast.
 */
int64_t journal_last_id(struct journal *j);

/*
 * Acknowledge (attend) an event: records @user and @when_us.  Returns 0,
 * -ENOENT (no such id) or -EALREADY (already acknowledged; the first
 * acknowledgement is kept), or -EIO.  Subscribers get JOURNAL_NOTE_ACK.
 */
int journal_ack(struct journal *j, int64_t id, const char *user,
		int64_t when_us);

/* Write matching events as CSV (header line first) to @out.  0 or -1. */
int journal_export_csv(struct journal *j, const struct journal_filter *f,
		       FILE *out);
/* Online consistent copy of the whole database to @path (sqlite3_backup). */
int journal_backup(struct journal *j, const char *path, char *err,
		   size_t errlen);

/* --- notification -------------------------------------------------------- */

enum journal_note {
	JOURNAL_NOTE_NEW = 0,	/* a committed new event */
	JOURNAL_NOTE_ACK = 1,	/* an event was acknowledged */
};

struct journal_sub;
typedef void (*journal_notify_fn)(const struct journal_event *ev,
				  enum journal_note note, void *arg);

/*
 * Register @fn; it is called synchronously after each commit, once per
 * new event in id order, and after each acknowledgement.  It must not
 * call journal_begin()/journal_commit() (queue work instead) nor free its
 * own subscription.  Returns NULL on allocation failure.
 */
struct journal_sub *journal_subscribe(struct journal *j, journal_notify_fn fn,
				      void *arg);
/* NULL is allowed. */
void journal_unsubscribe(struct journal *j, struct journal_sub *sub);

/* --- maintenance and statistics ---------------------------------------- */

/*
 * Delete at most @batch expired rows (events by retention_days and
 * max_rows, history by history_days, dedup keys).  Returns the number
 * deleted (0 when nothing is left to do) or -1.  Called from a timer so
 * that the loop is never blocked for long.
 */
int journal_expire(struct journal *j, int64_t now_us, unsigned batch);

struct journal_stats {
	uint64_t events;	/* appended since open */
	uint64_t duplicates;	/* dropped by the duplicate filter */
	uint64_t commits, commit_errors;
	uint64_t expired;	/* rows deleted by retention */
	double last_commit_ms;	/* duration of the last commit */
	double max_commit_ms;
};
void journal_get_stats(const struct journal *j, struct journal_stats *st);

/*
 * Load the persisted point flags (latched, manual) into @s and save every
 * later change of them.  Call again after a reload defined new points.
 */
struct store;
int journal_attach_store(struct journal *j, struct store *s);

#endif /* SMVED_JOURNAL_H */
