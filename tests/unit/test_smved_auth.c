// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Users file, PBKDF2 hashes, sessions and login rate limiting (userspace/smved/auth.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "tap.h"

#define ITER 1000	/* the floor: keeps the test fast; production uses AUTH_DEFAULT_ITER */
#define S 1000000LL

static char dir[64], users[128];
static char tok[AUTH_SID_HEX + 1];	/* the token of the last login */

static void write_file(const char *text)
{
	FILE *f = fopen(users, "w");

	fputs(text, f);
	fclose(f);
}

static void test_hash(void)
{
	char h[200], h2[200];

	IS(auth_hash_password("correct horse", ITER, h, sizeof(h)), 0, "hash");
	OK(!strncmp(h, "pbkdf2-sha256:1000:", 19), "hash names algorithm and iterations");
	OK(auth_check_password(h, "correct horse"), "right password verifies");
	OK(!auth_check_password(h, "correct hors"), "wrong password fails");
	OK(!auth_check_password(h, ""), "empty password fails");
	IS(auth_hash_password("correct horse", ITER, h2, sizeof(h2)), 0, "hash again");
	OK(strcmp(h, h2), "per-hash random salt");
	h[strlen(h) - 3] ^= 1;
	OK(!auth_check_password(h, "correct horse"), "tampered hash fails");
	OK(!auth_check_password("pbkdf2-sha256:10:AAAA:BBBB", "x"), "too few iterations refused");
	OK(!auth_check_password("md5:x", "x"), "unknown scheme refused");
	OK(!auth_check_password("pbkdf2-sha256:1000:!!!!:????", "x"), "bad base64 refused");
	IS(auth_hash_password("x", 10, h, sizeof(h)), -1, "weak iteration count refused");
}

static void test_users_file(struct auth *a)
{
	char err[256];

	IS(auth_load_users(a, users, err, sizeof(err)), 0, "missing users file = no users");
	IS(auth_users_file_set(users, "alice", ROLE_OPERATOR, "alicepass1", ITER, err, sizeof(err)),
	   -1, "password containing the user name refused");
	IS(auth_users_file_set(users, "bad name", ROLE_OPERATOR, "longenough1", ITER, err,
			       sizeof(err)), -1, "bad user name refused");
	IS(auth_users_file_set(users, "alice", ROLE_OPERATOR, "short", ITER, err, sizeof(err)), -1,
	   "short password refused");
	IS(auth_users_file_set(users, "alice", ROLE_OPERATOR, "s3cret-pass", ITER, err, sizeof(err)),
	   0, "alice added (%s)", err);
	IS(auth_users_file_set(users, "bob", ROLE_VIEWER, "b0-secret-1x", ITER, err, sizeof(err)) +
	   auth_users_file_set(users, "bob", ROLE_ADMIN, "n3w-secret-99", ITER, err, sizeof(err)),
	   0, "bob added, then updated");
	struct stat st;

	OK(!stat(users, &st) && (st.st_mode & 0777) == 0600, "users file is mode 0600");
	IS(auth_load_users(a, users, err, sizeof(err)), 2, "two users loaded (%s)", err);

	struct auth *b = auth_new(&(struct auth_opts){ 60, 600, 4, 5, 20, 300, 60 });

	write_file("# comment\n\nalice:operator:pbkdf2-sha256:1000:AAAA:BBBB\nbroken line\n");
	IS(auth_load_users(b, users, err, sizeof(err)), -1, "malformed line refused");
	OK(strstr(err, ":4:") != NULL, "error names line 4 (%s)", err);
	write_file("carol:superuser:pbkdf2-sha256:1000:AAAA:BBBB\n");
	IS(auth_load_users(b, users, err, sizeof(err)), -1, "unknown role refused");
	write_file("carol:viewer:pbkdf2-sha256:1:A:B\ncarol:viewer:pbkdf2-sha256:1:A:B\n");
	IS(auth_load_users(b, users, err, sizeof(err)), -1, "duplicate user refused");
	auth_free(b);
}

static void test_sessions(struct auth *a)
{
	const struct auth_session *s = NULL;
	unsigned retry = 0;
	char sid[AUTH_SID_HEX + 1];
	int64_t t = 1700000000 * S;

	IS(auth_login(a, "alice", "s3cret-pass", "10.0.0.1", t, &s, tok, &retry), AUTH_OK, "login");
	OK(s && strlen(tok) == 64 && s->role == ROLE_OPERATOR, "64-hex session, role operator");
	snprintf(sid, sizeof(sid), "%s", tok);
	OK(auth_session_get(a, sid, t + 10 * S) != NULL, "session found");
	OK(auth_session_get(a, "00", t) == NULL, "short id not found");
	IS(auth_login(a, "bob", "n3w-secret-99", "10.0.0.1", t, &s, tok, &retry), AUTH_OK, "bob login");
	IS(s->role, ROLE_ADMIN, "bob has the updated role");
	OK(auth_session_get(a, sid, t + 10 * S + 1801 * S) == NULL, "idle session expired");
	IS(auth_login(a, "alice", "s3cret-pass", "10.0.0.1", t, &s, tok, &retry), AUTH_OK, "login again");
	snprintf(sid, sizeof(sid), "%s", tok);
	OK(auth_logout(a, sid), "logout");
	OK(auth_session_get(a, sid, t) == NULL, "session gone after logout");
	OK(!auth_logout(a, sid), "second logout is a no-op");

	char c[200];

	snprintf(c, sizeof(c), "a=b; " AUTH_COOKIE "=%064d; z=1", 7);
	OK(auth_cookie_sid(c, sid) && sid[63] == '7', "cookie parsed among others");
	OK(!auth_cookie_sid("smve_session=abc", sid), "short cookie refused");
	OK(!auth_cookie_sid("other=1", sid), "absent cookie");
}

static void test_rate_limit(struct auth *a)
{
	const struct auth_session *s;
	unsigned retry = 0;
	int64_t t = 1800000000 * S;

	for (int i = 0; i < 5; i++)
		IS(auth_login(a, "alice", "guess", "10.0.0.2", t, &s, tok, &retry), AUTH_BAD, "failure %d", i);
	IS(auth_login(a, "alice", "s3cret-pass", "10.0.0.3", t, &s, tok, &retry), AUTH_LIMITED,
	   "user locked even with the right password from another address");
	OK(retry > 0 && retry <= 300, "retry-after given (%u s)", retry);
	IS(auth_login(a, "bob", "n3w-secret-99", "10.0.0.2", t, &s, tok, &retry), AUTH_OK,
	   "another user from the same address is not locked yet");
	IS(auth_login(a, "alice", "s3cret-pass", "10.0.0.3", t + 301 * S, &s, tok, &retry), AUTH_OK,
	   "window over: login works again");
	for (int i = 0; i < 20; i++)
		auth_login(a, i % 2 ? "nobody" : "zed", "x", "10.9.9.9", t, &s, tok, &retry);
	IS(auth_login(a, "bob", "n3w-secret-99", "10.9.9.9", t, &s, tok, &retry), AUTH_LIMITED,
	   "address locked after 20 failures on any names");
}

static void test_eviction(void)
{
	struct auth *a = auth_new(&(struct auth_opts){ 600, 6000, 3, 5, 20, 300, 60 });
	const struct auth_session *s;
	unsigned retry;
	char first[AUTH_SID_HEX + 1], err[256];

	write_file("");
	auth_users_file_set(users, "bob", ROLE_ADMIN, "n3w-secret-99", ITER, err, sizeof(err));
	IS(auth_load_users(a, users, err, sizeof(err)), 1, "one user");
	if (auth_login(a, "bob", "n3w-secret-99", "1.1.1.1", 1 * S, &s, tok, &retry) != AUTH_OK) {
		OK(false, "login for the eviction test");
		auth_free(a);
		return;
	}
	snprintf(first, sizeof(first), "%s", tok);
	for (int i = 2; i <= 4; i++)
		auth_login(a, "bob", "n3w-secret-99", "1.1.1.1", i * S, &s, tok, &retry);
	IS(auth_session_count(a), 3, "session table bounded");
	OK(auth_session_get(a, first, 5 * S) == NULL, "oldest session evicted");
	/* Removing a user from the file logs it out. */
	write_file("");
	auth_load_users(a, users, err, sizeof(err));
	IS(auth_session_count(a), 0, "sessions of removed users dropped");
	auth_free(a);
}

int main(void)
{
	struct auth_opts o;

	snprintf(dir, sizeof(dir), "/tmp/smve-auth-XXXXXX");
	if (!mkdtemp(dir))
		return 2;
	snprintf(users, sizeof(users), "%s/users", dir);
	auth_opts_default(&o);
	struct auth *a = auth_new(&o);

	OK(role_parse("engineer") == ROLE_ENGINEER && role_parse("root") == ROLE_NONE, "roles");
	OK(ROLE_VIEWER < ROLE_OPERATOR && ROLE_OPERATOR < ROLE_ENGINEER && ROLE_ENGINEER < ROLE_ADMIN,
	   "roles are ordered");
	test_hash();
	test_users_file(a);
	test_sessions(a);
	test_rate_limit(a);
	test_eviction();
	auth_free(a);
	unlink(users);
	rmdir(dir);
	return tap_done();
}
