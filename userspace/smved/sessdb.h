/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Persistent web sessions: one small SQLite table in <state_dir>/sessions.db, so that a restart
 * of smved does not log everybody out.  Only the SHA-256 of a session token is stored, never the
 * token: a copy of the file does not let anybody in.
 *
 * Writes never run on the event loop: the loop queues them and one writer thread commits each
 * batch in a transaction (WAL, synchronous=FULL, so a logout survives a power cut).  Reading
 * (sessdb_load) happens once at start, before the loop runs.
 *
 * Ownership: the caller owns the struct sessdb; every function but sessdb_load may be called
 * from the event loop and returns without waiting for the disk (sessdb_flush and sessdb_close
 * wait).  Rows passed in are copied.
 */
#ifndef SMVED_SESSDB_H
#define SMVED_SESSDB_H

#include <stddef.h>
#include <stdint.h>

#define SESSDB_KEY_LEN	32	/* SHA-256 of the token */
#define SESSDB_TAG_LEN	16	/* fingerprint of the user's password hash at login */

struct sessdb_row {
	uint8_t key[SESSDB_KEY_LEN];
	char user[33];
	char role[16];			/* role name */
	uint8_t pw_tag[SESSDB_TAG_LEN];
	int64_t created_us, last_seen_us;
	int64_t expires_us;		/* absolute end (created + session_max_s at login) */
	char addr[46];			/* client address at login */
};

struct sessdb;

/* Opens (creating, mode 0600) the database.  NULL with err on failure. */
struct sessdb *sessdb_open(const char *path, char *err, size_t errlen);
/* Drains the queue, stops the writer and closes the database.  NULL is a no-op. */
void sessdb_close(struct sessdb *db);

/*
 * Calls cb for at most `max` stored sessions, most recently used first (those beyond `max` are
 * deleted), then starts the writer thread: once, at start-up, before queueing anything that must
 * be written while the loop runs (until then sessdb_flush does not wait).  Returns the number
 * of rows read or -1 with err.
 */
int sessdb_load(struct sessdb *db, unsigned max, void (*cb)(void *arg, const struct sessdb_row *r),
		void *arg, char *err, size_t errlen);

/* Queue a new session, a last-seen update, or a deletion (logout, expiry, revocation). */
void sessdb_put(struct sessdb *db, const struct sessdb_row *r);
void sessdb_touch(struct sessdb *db, const uint8_t key[SESSDB_KEY_LEN], int64_t last_seen_us);
void sessdb_delete(struct sessdb *db, const uint8_t key[SESSDB_KEY_LEN]);

/* Waits until everything queued so far is committed (tests, shutdown). */
void sessdb_flush(struct sessdb *db);
/* Batches that failed to commit (logged; the in-memory sessions stay authoritative). */
unsigned long sessdb_failures(struct sessdb *db);

#endif
