// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Persistent sessions (userspace/smved/sessdb.c through auth.c): a session survives a "restart"
 * (a new struct auth on the same database), logout, expiry and user changes end it on disk too,
 * last-seen writes are rate-limited, and the database never holds the token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "auth.h"
#include "sessdb.h"
#include "files.h"
#include "tap.h"

#define ITER 1000
#define S 1000000LL
#define T0 (1700000000 * S)

static char dir[64], users[128], dbpath[128];

/* One daemon lifetime: users loaded, store attached. */
struct life {
	struct auth *a;
	struct sessdb *db;
	int restored;
};

static void start(struct life *l, int64_t now)
{
	struct auth_opts o;
	char err[256];

	auth_opts_default(&o);
	o.session_idle_s = 600;
	o.session_max_s = 3600;
	o.session_touch_s = 60;
	l->a = auth_new(&o);
	auth_load_users(l->a, users, err, sizeof(err));
	l->db = sessdb_open(dbpath, err, sizeof(err));
	l->restored = l->db ? auth_attach_store(l->a, l->db, now, err, sizeof(err)) : -1;
	if (l->restored < 0)
		tap_diag("start: %s", err);
}

static void stop(struct life *l)
{
	auth_free(l->a);
	sessdb_close(l->db);
}

static int login(struct life *l, const char *user, const char *pw, int64_t now, char *sid)
{
	const struct auth_session *s;
	unsigned retry;

	return auth_login(l->a, user, pw, "192.0.2.7", now, &s, sid, &retry) == AUTH_OK ? 0 : -1;
}

/* Single-value query on the database, from outside (as an attacker with a copy would). */
static long long query(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		tap_diag("%s: %s", sql, sqlite3_errmsg(db));
	} else {
		int rc = sqlite3_step(st);

		if (rc == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		else if (rc == SQLITE_DONE)
			v = 0;
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

static bool file_contains(const char *path, const void *needle, size_t n)
{
	FILE *f = fopen(path, "rb");
	static char buf[1 << 20];
	size_t len;

	if (!f)
		return false;
	len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return memmem(buf, len, needle, n) != NULL;
}

static void hex2bin(const char *hex, unsigned char *out)
{
	for (int i = 0; i < AUTH_SID_HEX / 2; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

static void test_restart(void)
{
	struct life l;
	char sid[AUTH_SID_HEX + 1], sid2[AUTH_SID_HEX + 1], wal[160], bad[AUTH_SID_HEX + 1];
	unsigned char raw[AUTH_SID_HEX / 2];
	struct stat st;

	start(&l, T0);
	IS(l.restored, 0, "empty store");
	OK(!login(&l, "alice", "s3cret-pass", T0, sid), "alice logs in");
	OK(!login(&l, "bob", "b0b-secret-1", T0, sid2), "bob logs in");
	sessdb_flush(l.db);
	IS(query("SELECT count(*) FROM sessions"), 2, "two sessions on disk");
	IS(query("SELECT count(*) FROM sessions WHERE user='alice' AND role='operator' AND "
		 "addr='192.0.2.7' AND created_us=" "1700000000000000" " AND expires_us=1700003600000000"),
	   1, "row has user, role, address, created and expiry");
	OK(!stat(dbpath, &st) && (st.st_mode & 0777) == 0600, "sessions.db is mode 0600");
	/* Neither the hex token nor its bytes are anywhere in the database or its WAL. */
	snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	hex2bin(sid, raw);
	OK(!file_contains(dbpath, sid, AUTH_SID_HEX) && !file_contains(wal, sid, AUTH_SID_HEX) &&
	   !file_contains(dbpath, raw, sizeof(raw)) && !file_contains(wal, raw, sizeof(raw)),
	   "the token is not stored (hex or binary)");
	/* Used within the touch interval: no write; after it: one. */
	OK(auth_session_get(l.a, sid, T0 + 30 * S) != NULL, "used after 30 s");
	sessdb_flush(l.db);
	IS(query("SELECT last_seen_us FROM sessions WHERE user='alice'"), T0, "no write within 60 s");
	OK(auth_session_get(l.a, sid, T0 + 90 * S) != NULL, "used after 90 s");
	sessdb_flush(l.db);
	IS(query("SELECT last_seen_us FROM sessions WHERE user='alice'"), T0 + 90 * S,
	   "last seen written after the touch interval");
	stop(&l);

	/* Restart: both sessions come back; the cookie works, a tampered one does not. */
	start(&l, T0 + 100 * S);
	IS(l.restored, 2, "two sessions restored");
	const struct auth_session *s = auth_session_get(l.a, sid, T0 + 100 * S);

	OK(s && !strcmp(s->user, "alice") && s->role == ROLE_OPERATOR, "alice's cookie works after restart");
	memcpy(bad, sid, sizeof(bad));
	bad[10] = bad[10] == 'a' ? 'b' : 'a';
	OK(auth_session_get(l.a, bad, T0 + 100 * S) == NULL, "a tampered token is not a session");
	/* Logout deletes the row: after the next restart the token is dead. */
	OK(auth_logout(l.a, sid), "alice logs out");
	sessdb_flush(l.db);
	IS(query("SELECT count(*) FROM sessions WHERE user='alice'"), 0, "logout deleted the row");
	stop(&l);
	start(&l, T0 + 110 * S);
	IS(l.restored, 1, "one session restored");
	OK(auth_session_get(l.a, sid, T0 + 110 * S) == NULL, "logged-out token fails after restart");
	OK(auth_session_get(l.a, sid2, T0 + 110 * S) != NULL, "bob's still works");
	stop(&l);

	/* Idle: bob last seen (and stored) at T0 + 110 s; 600 s later he is gone, and his row. */
	start(&l, T0 + 709 * S);
	IS(l.restored, 1, "a session idle for 599 s is restored");
	stop(&l);
	start(&l, T0 + 711 * S);
	IS(l.restored, 0, "idle-expired session not restored");
	sessdb_flush(l.db);
	IS(query("SELECT count(*) FROM sessions"), 0, "expired row deleted at load");
	stop(&l);
}

static void test_absolute_and_revocation(void)
{
	struct life l;
	char a1[AUTH_SID_HEX + 1], b1[AUTH_SID_HEX + 1], c1[AUTH_SID_HEX + 1], err[256];

	start(&l, T0);
	OK(!login(&l, "alice", "s3cret-pass", T0, a1) && !login(&l, "bob", "b0b-secret-1", T0, b1) &&
	   !login(&l, "carol", "c4rol-secret", T0, c1), "three logins");
	/* Keep them used, so only the absolute lifetime can end them. */
	for (int64_t t = T0 + 500 * S; t < T0 + 3600 * S; t += 500 * S)
		auth_session_get(l.a, a1, t);
	stop(&l);
	start(&l, T0 + 3599 * S);
	OK(l.restored == 1 && auth_session_get(l.a, a1, T0 + 3599 * S), "alice (kept busy) restored");
	stop(&l);
	start(&l, T0 + 3601 * S);
	IS(l.restored, 0, "absolute lifetime ends a busy session across a restart");
	stop(&l);

	/* Password change, role change and removal in the users file each revoke, on disk too. */
	start(&l, T0);
	OK(!login(&l, "alice", "s3cret-pass", T0, a1) && !login(&l, "bob", "b0b-secret-1", T0, b1) &&
	   !login(&l, "carol", "c4rol-secret", T0, c1), "three logins again");
	stop(&l);
	auth_users_file_set(users, "alice", ROLE_OPERATOR, "n3w-secret-77", ITER, err, sizeof(err));
	auth_users_file_set(users, "bob", ROLE_ADMIN, "b0b-secret-1", ITER, err, sizeof(err));
	start(&l, T0 + 1 * S);
	IS(l.restored, 1, "only carol restored after alice's password and bob's role changed");
	OK(!auth_session_get(l.a, a1, T0 + S) && !auth_session_get(l.a, b1, T0 + S) &&
	   auth_session_get(l.a, c1, T0 + S), "alice and bob are logged out, carol is not");
	/* Remove carol while running: the reload ends her session and deletes its row. */
	FILE *f = fopen(users, "r"), *g;
	char line[512], tmp[160];

	snprintf(tmp, sizeof(tmp), "%s.new", users);
	g = fopen(tmp, "w");
	if (!f || !g) {
		OK(false, "rewrite the users file");
		if (f)
			fclose(f);
		if (g)
			fclose(g);
		stop(&l);
		return;
	}
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "carol:", 6))
			fputs(line, g);
	if (f)
		fclose(f);
	if (g)
		fclose(g);
	rename(tmp, users);
	auth_load_users(l.a, users, err, sizeof(err));
	OK(!auth_session_get(l.a, c1, T0 + 2 * S), "removed user logged out at reload");
	sessdb_flush(l.db);
	IS(query("SELECT count(*) FROM sessions"), 0, "and no row is left");
	stop(&l);
}

static void test_hostile_rows(void)
{
	struct life l;
	char a1[AUTH_SID_HEX + 1], err[256];

	auth_users_file_set(users, "carol", ROLE_VIEWER, "c4rol-secret", ITER, err, sizeof(err));
	start(&l, T0);
	OK(!login(&l, "carol", "c4rol-secret", T0, a1), "carol logs in");
	stop(&l);
	/* Rows from elsewhere: a short key, a future creation time, an unknown role. */
	IS(query("INSERT INTO sessions SELECT x'00', user, role, pw_tag, created_us, last_seen_us,"
		 " expires_us, addr FROM sessions"), 0, "short-key row planted");
	IS(query("UPDATE sessions SET created_us = created_us + 86400000000 WHERE length(key) = 32"), 0,
	   "creation time moved into the future");
	start(&l, T0 + S);
	IS(l.restored, 0, "neither the planted row nor the future one is restored");
	sessdb_flush(l.db);
	IS(query("SELECT count(*) FROM sessions"), 0, "both deleted");
	stop(&l);
}

int main(void)
{
	char err[256];

	snprintf(dir, sizeof(dir), "/tmp/smve-sess-XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	snprintf(users, sizeof(users), "%s/users", dir);
	snprintf(dbpath, sizeof(dbpath), "%s/sessions.db", dir);
	auth_users_file_set(users, "alice", ROLE_OPERATOR, "s3cret-pass", ITER, err, sizeof(err));
	auth_users_file_set(users, "bob", ROLE_VIEWER, "b0b-secret-1", ITER, err, sizeof(err));
	auth_users_file_set(users, "carol", ROLE_VIEWER, "c4rol-secret", ITER, err, sizeof(err));
	test_restart();
	test_absolute_and_revocation();
	test_hostile_rows();
	if (test_remove_tree(dir))
		tap_diag("could not remove %s", dir);
	return tap_done();
}
