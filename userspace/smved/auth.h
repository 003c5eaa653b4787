/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Users, passwords, sessions and login rate limiting for smved's web side.
 *
 * Users live in a text file (one "name:role:pbkdf2-sha256:<iterations>:<salt b64>:<hash b64>"
 * line each, '#' comments), written only by `smved --add-user` and read at start and on reload.
 * Passwords are hashed with PBKDF2-HMAC-SHA256 (OpenSSL), a 16-byte random salt per user and
 * AUTH_DEFAULT_ITER iterations; comparison is constant-time.
 *
 * A session is a 256-bit random token, shown to the browser as 64 hex digits in an HttpOnly
 * SameSite=Strict cookie, with an idle and an absolute lifetime.  smved keeps only the token's
 * SHA-256, in memory and, once a store is attached (auth_attach_store), in <state_dir>/sessions.db
 * so that sessions survive a restart; last-seen times reach the store at most every
 * session_touch_s.  A session ends on logout, expiry, or when its user disappears from the users
 * file or changes role or password (checked at every load of the users file).  Failed logins are counted per client address and per user name; past the limit a
 * login is refused without even checking the password until the window has passed.
 *
 * All strings passed in are copied; returned pointers belong to struct auth and stay valid until
 * the next call that changes sessions or users.
 */
#ifndef SMVED_AUTH_H
#define SMVED_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sessdb.h"

#define AUTH_DEFAULT_ITER	210000u	/* OWASP 2023 floor for PBKDF2-HMAC-SHA256 is 600k; see api.md */
#define AUTH_MIN_ITER		1000u	/* refuse weaker stored hashes */
#define AUTH_NAME_MAX		33	/* user name buffer: 1..32 of [A-Za-z0-9._-] */
#define AUTH_PASSWORD_MAX	256
#define AUTH_SID_HEX		64	/* session id: 32 random bytes as hex */
#define AUTH_COOKIE		"smve_session"

enum role { ROLE_NONE = -1, ROLE_VIEWER = 0, ROLE_OPERATOR = 1, ROLE_ENGINEER = 2, ROLE_ADMIN = 3 };

/* "viewer", "operator", "engineer", "admin" ("none" for ROLE_NONE). */
const char *role_name(enum role r);
/* Parses a role name; ROLE_NONE when unknown (and for "none"). */
enum role role_parse(const char *s);

struct auth_opts {
	unsigned session_idle_s;	/* idle lifetime (1800) */
	unsigned session_max_s;		/* absolute lifetime (43200) */
	unsigned max_sessions;		/* oldest is evicted beyond this (1024) */
	unsigned fail_per_user;		/* failures per user name in the window (5) */
	unsigned fail_per_addr;		/* failures per client address in the window (20) */
	unsigned fail_window_s;		/* window and lockout length (300) */
	unsigned session_touch_s;	/* last-seen reaches the store at most this often (60) */
};
void auth_opts_default(struct auth_opts *o);

struct auth_session {
	uint8_t key[SESSDB_KEY_LEN];	/* SHA-256 of the token; the token itself is not kept */
	char user[AUTH_NAME_MAX];
	enum role role;
	uint8_t pw_tag[SESSDB_TAG_LEN];	/* fingerprint of the user's password hash at login */
	char addr[46];			/* client address at login */
	int64_t created_us, used_us;
	int64_t stored_us;		/* last-seen time last queued to the store */
};

struct auth;

struct auth *auth_new(const struct auth_opts *o);
void auth_free(struct auth *a);
void auth_set_opts(struct auth *a, const struct auth_opts *o);

/*
 * (Re)loads the users file.  A missing file means no users (only anonymous access, if enabled).
 * Sessions of users that disappeared are dropped, roles of the others updated.  Returns the
 * number of users or -1 with "path:line: reason" in err (the previous users stay).
 */
int auth_load_users(struct auth *a, const char *path, char *err, size_t errlen);
unsigned auth_user_count(const struct auth *a);

/*
 * Called by auth_load_users for every user the new file adds, changes or removes; `change` is
 * "added", "role", "password" or "removed" (then role is ROLE_NONE).  The user's sessions are
 * ended right after (except for "added").
 */
typedef void (*auth_change_cb)(void *arg, const char *user, enum role role, const char *change);
void auth_set_change_cb(struct auth *a, auth_change_cb cb, void *arg);

/* True if name is a valid user name. */
bool auth_valid_name(const char *name);

/* Hashes pw into out ("pbkdf2-sha256:<iter>:<salt>:<hash>").  0 or -1. */
int auth_hash_password(const char *pw, unsigned iter, char *out, size_t cap);
/* Checks pw against a stored hash string, in constant time for a given iteration count. */
bool auth_check_password(const char *stored, const char *pw);

/*
 * Creates or updates user `name` in the users file at path (atomically: temp file, fsync,
 * rename; mode 0600).  Returns 0, or -1 with a message.
 */
int auth_users_file_set(const char *path, const char *name, enum role role, const char *pw,
			unsigned iter, char *err, size_t errlen);

enum auth_result { AUTH_OK = 0, AUTH_BAD = 1, AUTH_LIMITED = 2 };

/*
 * Password login from client address addr.  On AUTH_OK *out is the new session and sid its
 * token (64 hex digits, for the cookie; not kept anywhere by smved).  On AUTH_LIMITED *retry_s
 * says when to come back.  Every failure is counted.
 */
enum auth_result auth_login(struct auth *a, const char *user, const char *pw, const char *addr,
			    int64_t now_us, const struct auth_session **out,
			    char sid[AUTH_SID_HEX + 1], unsigned *retry_s);
/* Looks a session up by id (and refreshes its idle timer); NULL when unknown or expired. */
const struct auth_session *auth_session_get(struct auth *a, const char *sid, int64_t now_us);
/* Ends a session; false when it did not exist. */
bool auth_logout(struct auth *a, const char *sid);
unsigned auth_session_count(const struct auth *a);

/*
 * Attaches the session store (owned by the caller, outlives `a`) and loads its sessions: those
 * of unknown users, with another role or password than the users file now has, or expired under
 * the current lifetimes are deleted instead.  Call after auth_load_users, before serving.
 * Returns the number of sessions restored, or -1 with err.
 */
int auth_attach_store(struct auth *a, struct sessdb *db, int64_t now_us, char *err, size_t errlen);

/* Extracts the session id from a Cookie header into sid; false when absent or malformed. */
bool auth_cookie_sid(const char *cookie, char sid[AUTH_SID_HEX + 1]);

#endif
