/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The audit log: an append-only, hash-chained record of security-relevant actions (logins and
 * their failures, logouts, event acknowledgements, manual states, commands, configuration
 * reloads), each with user, role, client address and time.
 *
 * File format, one record per line:
 *     <json>\t<sha256 hex of the json bytes>\n
 * where <json> is a compact JSON object {"seq":N,"time":"...Z","action":...,"user":...,
 * "role":...,"addr":...,"detail":...,"prev":"<hash of the previous line, 64 zeros first>"}.
 * Hashing the exact bytes written (not a re-serialisation) keeps verification independent of any
 * JSON library.  Each record is fsync'd before the action it describes is reported as done.
 */
#ifndef SMVED_AUDIT_H
#define SMVED_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct audit;

/*
 * Opens (creating, mode 0600) the log at path, verifies the whole chain and takes an exclusive
 * lock so that two daemons cannot interleave.  NULL with a message when the file is corrupt,
 * locked or unwritable: smved refuses to run with an audit log it cannot extend honestly.
 * errno is EWOULDBLOCK when another process (a running smved) holds the lock.
 */
struct audit *audit_open(const char *path, char *err, size_t errlen);
void audit_close(struct audit *a);

/*
 * Appends one record.  user/role/addr may be NULL (stored as null); detail is NULL or a JSON
 * object text built by the caller (stored as a nested object; invalid JSON is stored as a string).
 * Returns 0, or -1 when the record could not be made durable (logged by the caller).
 */
int audit_log(struct audit *a, int64_t now_us, const char *action, const char *user,
	      const char *role, const char *addr, const char *detail);

/* Records appended so far (including those found at open). */
uint64_t audit_records(const struct audit *a);

/*
 * Verifies the chain of the file at path without modifying it.  Returns the number of valid
 * records, or -1 with "line N: what is wrong" in err.  When out is not NULL one summary line is
 * printed there.
 */
long audit_verify(const char *path, FILE *out, char *err, size_t errlen);

#endif
