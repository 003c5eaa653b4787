// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Users file, PBKDF2 password hashes, sessions and login rate limiting (see auth.h). */
#include "auth.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define SALT_LEN	16
#define HASH_LEN	32
#define MAX_USERS	10000
#define MAX_LIMITERS	4096
#define LINE_MAX_LEN	512

struct user {
	char name[AUTH_NAME_MAX];
	enum role role;
	char hash[200];
};

/* Failure counter of one user name or client address ("u:name" / "a:addr"). */
struct limiter {
	char key[80];
	unsigned fails;
	int64_t window_start_us;
};

struct auth {
	struct auth_opts o;
	struct user *users;
	unsigned nusers;
	struct auth_session *sess;
	unsigned nsess;
	struct sessdb *db;	/* NULL: sessions live in memory only */
	auth_change_cb on_change;
	void *change_arg;
	struct limiter lim[MAX_LIMITERS];
	unsigned nlim;
	char dummy[200];	/* checked for unknown users: same cost as a real user's hash */
};

static const char *const role_names[] = { "viewer", "operator", "engineer", "admin" };

const char *role_name(enum role r)
{
	return r >= ROLE_VIEWER && r <= ROLE_ADMIN ? role_names[r] : "none";
}

enum role role_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, role_names[i]))
			return (enum role)i;
	return ROLE_NONE;
}

void auth_opts_default(struct auth_opts *o)
{
	o->session_idle_s = 1800;
	o->session_max_s = 43200;
	o->max_sessions = 1024;
	o->fail_per_user = 5;
	o->fail_per_addr = 20;
	o->fail_window_s = 300;
	o->session_touch_s = 60;
}

struct auth *auth_new(const struct auth_opts *o)
{
	struct auth *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->o = *o;
	a->sess = calloc(o->max_sessions ? o->max_sessions : 1, sizeof(*a->sess));
	if (!a->sess) {
		free(a);
		return NULL;
	}
	return a;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	OPENSSL_cleanse(a->sess, sizeof(*a->sess) * (a->o.max_sessions ? a->o.max_sessions : 1));
	free(a->sess);
	free(a->users);
	free(a);
}

void auth_set_opts(struct auth *a, const struct auth_opts *o)
{
	unsigned keep = a->o.max_sessions;

	a->o = *o;
	a->o.max_sessions = keep;	/* the session table is sized once */
}

bool auth_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n >= AUTH_NAME_MAX)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
			return false;
	return true;
}

static int b64enc(const unsigned char *in, int len, char *out, size_t cap)
{
	if (len < 0 || 4 * (((size_t)len + 2) / 3) + 1 > cap)
		return -1;
	return EVP_EncodeBlock((unsigned char *)out, in, len);
}

/* Decodes exactly want bytes of base64 (with padding); -1 on anything else. */
static int b64dec(const char *in, unsigned char *out, int want)
{
	size_t l = strlen(in);
	unsigned char tmp[128];

	if (l == 0 || l % 4 || l > 4 * sizeof(tmp) / 3)
		return -1;
	int n = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)l);

	if (n < 0)
		return -1;
	n -= (in[l - 1] == '=') + (in[l - 2] == '=');
	if (n != want)
		return -1;
	memcpy(out, tmp, (size_t)want);
	return want;
}

int auth_hash_password(const char *pw, unsigned iter, char *out, size_t cap)
{
	unsigned char salt[SALT_LEN], dk[HASH_LEN];
	char s64[64], h64[64];

	if (iter < AUTH_MIN_ITER || RAND_bytes(salt, sizeof(salt)) != 1 ||
	    PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, sizeof(salt), (int)iter, EVP_sha256(),
			      sizeof(dk), dk) != 1)
		return -1;
	if (b64enc(salt, sizeof(salt), s64, sizeof(s64)) < 0 ||
	    b64enc(dk, sizeof(dk), h64, sizeof(h64)) < 0)
		return -1;
	OPENSSL_cleanse(dk, sizeof(dk));
	int n = snprintf(out, cap, "pbkdf2-sha256:%u:%s:%s", iter, s64, h64);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

bool auth_check_password(const char *stored, const char *pw)
{
	char buf[200];
	unsigned char salt[SALT_LEN], want[HASH_LEN], got[HASH_LEN];

	if (strlen(stored) >= sizeof(buf) || strncmp(stored, "pbkdf2-sha256:", 14))
		return false;
	strcpy(buf, stored + 14);
	char *iter_s = strtok(buf, ":"), *s64 = strtok(NULL, ":"), *h64 = strtok(NULL, ":");
	char *end;
	unsigned long iter = iter_s ? strtoul(iter_s, &end, 10) : 0;

	if (!iter_s || *end || !s64 || !h64 || strtok(NULL, ":") || iter < AUTH_MIN_ITER ||
	    iter > 100000000ul || b64dec(s64, salt, SALT_LEN) < 0 || b64dec(h64, want, HASH_LEN) < 0)
		return false;
	if (PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, sizeof(salt), (int)iter, EVP_sha256(),
			      sizeof(got), got) != 1)
		return false;
	bool ok = CRYPTO_memcmp(got, want, HASH_LEN) == 0;

	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

/* Parses one users-file line; 1 user, 0 blank/comment, -1 error. */
static int parse_user_line(char *line, struct user *u, const char **why)
{
	line[strcspn(line, "\r\n")] = '\0';
	char *p = line;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p || *p == '#')
		return 0;
	char *c1 = strchr(p, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

	if (!c2) {
		*why = "expected name:role:hash";
		return -1;
	}
	*c1 = *c2 = '\0';
	if (!auth_valid_name(p)) {
		*why = "bad user name (1-32 of A-Z a-z 0-9 . _ -)";
		return -1;
	}
	if ((u->role = role_parse(c1 + 1)) == ROLE_NONE) {
		*why = "unknown role (viewer, operator, engineer, admin)";
		return -1;
	}
	if (strncmp(c2 + 1, "pbkdf2-sha256:", 14) || strlen(c2 + 1) >= sizeof(u->hash)) {
		*why = "unsupported password hash (need pbkdf2-sha256)";
		return -1;
	}
	strcpy(u->name, p);
	strcpy(u->hash, c2 + 1);
	return 1;
}

static struct user *find_user(struct auth *a, const char *name)
{
	for (unsigned i = 0; i < a->nusers; i++)
		if (!strcmp(a->users[i].name, name))
			return &a->users[i];
	return NULL;
}

/* SHA-256 of a token: what smved keeps and stores instead of the token. */
static int sid_key(const char *sid, uint8_t key[SESSDB_KEY_LEN])
{
	unsigned n = 0;

	return EVP_Digest(sid, AUTH_SID_HEX, key, &n, EVP_sha256(), NULL) == 1 &&
	       n == SESSDB_KEY_LEN ? 0 : -1;
}

/* Fingerprint of a user's stored password hash: it changes with every new password. */
static void pw_tag(const struct user *u, uint8_t tag[SESSDB_TAG_LEN])
{
	uint8_t h[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (EVP_Digest(u->hash, strlen(u->hash), h, &n, EVP_sha256(), NULL) != 1 ||
	    n < SESSDB_TAG_LEN)
		memset(h, 0, sizeof(h));	/* matches no real fingerprint of a stored session */
	memcpy(tag, h, SESSDB_TAG_LEN);
}

/* A session stays valid only for the same user, role and password it was opened with. */
static bool session_matches_user(struct auth *a, const struct auth_session *s)
{
	const struct user *u = find_user(a, s->user);
	uint8_t tag[SESSDB_TAG_LEN];

	if (!u || u->role != s->role)
		return false;
	pw_tag(u, tag);
	return !CRYPTO_memcmp(tag, s->pw_tag, SESSDB_TAG_LEN);
}

/* Ends session i in memory and in the store. */
static void drop_session(struct auth *a, unsigned i)
{
	sessdb_delete(a->db, a->sess[i].key);
	OPENSSL_cleanse(&a->sess[i], sizeof(a->sess[i]));
	a->sess[i] = a->sess[--a->nsess];
}

void auth_set_change_cb(struct auth *a, auth_change_cb cb, void *arg)
{
	a->on_change = cb;
	a->change_arg = arg;
}

/* Tells the owner which users a new users file adds, changes or removes. */
static void report_changes(struct auth *a, const struct user *nu, unsigned n)
{
	if (!a->on_change)
		return;
	for (unsigned i = 0; i < n; i++) {
		const struct user *old = find_user(a, nu[i].name);

		if (!old || old->role != nu[i].role || strcmp(old->hash, nu[i].hash))
			a->on_change(a->change_arg, nu[i].name, nu[i].role,
				     !old ? "added" : old->role != nu[i].role ? "role" : "password");
	}
	for (unsigned i = 0; i < a->nusers; i++) {
		bool kept = false;

		for (unsigned k = 0; k < n && !kept; k++)
			kept = !strcmp(nu[k].name, a->users[i].name);
		if (!kept)
			a->on_change(a->change_arg, a->users[i].name, ROLE_NONE, "removed");
	}
}

int auth_load_users(struct auth *a, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	struct user *users = NULL;
	unsigned n = 0, lineno = 0;
	char line[LINE_MAX_LEN];

	if (!f && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (f && fgets(line, sizeof(line), f)) {
		struct user u;
		const char *why = "";

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			goto fail;
		}
		int r = parse_user_line(line, &u, &why);

		if (r < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto fail;
		}
		if (!r)
			continue;
		for (unsigned i = 0; i < n; i++)
			if (!strcmp(users[i].name, u.name)) {
				snprintf(err, errlen, "%s:%u: user '%s' defined twice", path, lineno, u.name);
				goto fail;
			}
		if (n >= MAX_USERS) {
			snprintf(err, errlen, "%s: more than %d users", path, MAX_USERS);
			goto fail;
		}
		struct user *nu = realloc(users, (n + 1) * sizeof(*users));

		if (!nu) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		users = nu;
		users[n++] = u;
	}
	if (f)
		fclose(f);
	report_changes(a, users, n);
	free(a->users);
	a->users = users;
	a->nusers = n;
	unsigned iter = n ? (unsigned)strtoul(users[0].hash + 14, NULL, 10) : AUTH_MIN_ITER;

	if (auth_hash_password("not a password", iter < AUTH_MIN_ITER ? AUTH_MIN_ITER : iter,
			       a->dummy, sizeof(a->dummy)))
		a->dummy[0] = '\0';
	/* Sessions follow the file: removed users, new roles and new passwords log out. */
	for (unsigned i = 0; i < a->nsess;) {
		if (session_matches_user(a, &a->sess[i]))
			i++;
		else
			drop_session(a, i);
	}
	return (int)n;
fail:
	fclose(f);
	free(users);
	return -1;
}

unsigned auth_user_count(const struct auth *a)
{
	return a->nusers;
}

int auth_users_file_set(const char *path, const char *name, enum role role, const char *pw,
			unsigned iter, char *err, size_t errlen)
{
	char hash[200], tmp[4096], line[LINE_MAX_LEN];

	if (!auth_valid_name(name)) {
		snprintf(err, errlen, "bad user name '%s' (1-32 of A-Z a-z 0-9 . _ -)", name);
		return -1;
	}
	if (role == ROLE_NONE) {
		snprintf(err, errlen, "unknown role (viewer, operator, engineer, admin)");
		return -1;
	}
	if (strlen(pw) < 8 || strlen(pw) > AUTH_PASSWORD_MAX || strstr(pw, name)) {
		snprintf(err, errlen, "password must be 8-%d characters and not contain the user name",
			 AUTH_PASSWORD_MAX);
		return -1;
	}
	if (auth_hash_password(pw, iter, hash, sizeof(hash))) {
		snprintf(err, errlen, "cannot hash the password (iterations >= %u)", AUTH_MIN_ITER);
		return -1;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;
	FILE *in = fopen(path, "re");
	bool replaced = false;

	if (!out) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		if (in)
			fclose(in);
		return -1;
	}
	while (in && fgets(line, sizeof(line), in)) {
		size_t nl = strlen(name);

		if (!strncmp(line, name, nl) && line[nl] == ':') {
			if (!replaced)
				fprintf(out, "%s:%s:%s\n", name, role_name(role), hash);
			replaced = true;
			continue;
		}
		fputs(line, out);
	}
	if (in)
		fclose(in);
	if (!replaced)
		fprintf(out, "%s:%s:%s\n", name, role_name(role), hash);
	if (fflush(out) || fsync(fileno(out)) || fclose(out) || rename(tmp, path)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* ---- rate limiting ---------------------------------------------------------------------- */

static struct limiter *limiter(struct auth *a, const char *kind, const char *id, int64_t now,
			       bool create)
{
	char key[80];
	int64_t win = (int64_t)a->o.fail_window_s * 1000000;
	unsigned oldest = 0;

	snprintf(key, sizeof(key), "%s:%s", kind, id);
	for (unsigned i = 0; i < a->nlim; i++) {
		if (!strcmp(a->lim[i].key, key)) {
			if (now - a->lim[i].window_start_us >= win) {
				a->lim[i].fails = 0;	/* window over: start afresh */
				a->lim[i].window_start_us = now;
			}
			return &a->lim[i];
		}
		if (a->lim[i].window_start_us < a->lim[oldest].window_start_us)
			oldest = i;
	}
	if (!create)
		return NULL;
	/* Table full: reuse the entry whose window started longest ago. */
	struct limiter *l = a->nlim < MAX_LIMITERS ? &a->lim[a->nlim++] : &a->lim[oldest];

	snprintf(l->key, sizeof(l->key), "%s", key);
	l->fails = 0;
	l->window_start_us = now;
	return l;
}

static bool limited(struct auth *a, const char *kind, const char *id, unsigned max, int64_t now,
		    unsigned *retry_s)
{
	struct limiter *l = limiter(a, kind, id, now, false);

	if (!l || l->fails < max)
		return false;
	int64_t left = l->window_start_us + (int64_t)a->o.fail_window_s * 1000000 - now;

	*retry_s = (unsigned)((left + 999999) / 1000000);
	return true;
}

static void count_failure(struct auth *a, const char *user, const char *addr, int64_t now)
{
	struct limiter *l = limiter(a, "a", addr, now, true);

	l->fails++;
	if (auth_valid_name(user)) {
		l = limiter(a, "u", user, now, true);
		l->fails++;
	}
}

/* ---- sessions --------------------------------------------------------------------------- */

static bool expired(const struct auth *a, const struct auth_session *s, int64_t now)
{
	return now - s->used_us > (int64_t)a->o.session_idle_s * 1000000 ||
	       now - s->created_us > (int64_t)a->o.session_max_s * 1000000;
}

static void purge(struct auth *a, int64_t now)
{
	for (unsigned i = 0; i < a->nsess;) {
		if (expired(a, &a->sess[i], now))
			drop_session(a, i);
		else
			i++;
	}
}

static void store_put(struct auth *a, const struct auth_session *s)
{
	struct sessdb_row r = { .created_us = s->created_us, .last_seen_us = s->used_us };

	if (!a->db)
		return;
	memcpy(r.key, s->key, SESSDB_KEY_LEN);
	memcpy(r.pw_tag, s->pw_tag, SESSDB_TAG_LEN);
	snprintf(r.user, sizeof(r.user), "%s", s->user);
	snprintf(r.role, sizeof(r.role), "%s", role_name(s->role));
	snprintf(r.addr, sizeof(r.addr), "%s", s->addr);
	r.expires_us = s->created_us + (int64_t)a->o.session_max_s * 1000000;
	sessdb_put(a->db, &r);
}

enum auth_result auth_login(struct auth *a, const char *user, const char *pw, const char *addr,
			    int64_t now_us, const struct auth_session **out,
			    char sid[AUTH_SID_HEX + 1], unsigned *retry_s)
{
	/* Checked before hashing so that a flood of guesses costs us nothing. */
	if (limited(a, "a", addr, a->o.fail_per_addr, now_us, retry_s))
		return AUTH_LIMITED;
	if (auth_valid_name(user) && limited(a, "u", user, a->o.fail_per_user, now_us, retry_s)) {
		/* Guessing at a locked account still counts against the guessing address. */
		limiter(a, "a", addr, now_us, true)->fails++;
		return AUTH_LIMITED;
	}
	struct user *u = auth_valid_name(user) ? find_user(a, user) : NULL;
	/* Unknown users cost one PBKDF2 too, so timing does not reveal which names exist. */
	bool ok = strlen(pw) <= AUTH_PASSWORD_MAX &&
		  auth_check_password(u ? u->hash : a->dummy, pw) && u;

	if (!ok) {
		count_failure(a, user, addr, now_us);
		return AUTH_BAD;
	}
	purge(a, now_us);
	if (a->nsess >= a->o.max_sessions) {
		unsigned oldest = 0;

		for (unsigned i = 1; i < a->nsess; i++)
			if (a->sess[i].used_us < a->sess[oldest].used_us)
				oldest = i;
		drop_session(a, oldest);
	}
	struct auth_session *s = &a->sess[a->nsess];
	unsigned char rnd[AUTH_SID_HEX / 2];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return AUTH_BAD;
	for (size_t i = 0; i < sizeof(rnd); i++)
		sprintf(sid + 2 * i, "%02x", rnd[i]);
	OPENSSL_cleanse(rnd, sizeof(rnd));
	memset(s, 0, sizeof(*s));
	if (sid_key(sid, s->key))
		return AUTH_BAD;
	snprintf(s->user, sizeof(s->user), "%s", u->name);
	snprintf(s->addr, sizeof(s->addr), "%s", addr ? addr : "");
	s->role = u->role;
	pw_tag(u, s->pw_tag);
	s->created_us = s->used_us = s->stored_us = now_us;
	a->nsess++;
	store_put(a, s);
	/* A success clears this user's failures but not the address's (one address, many users). */
	struct limiter *l = limiter(a, "u", user, now_us, false);

	if (l)
		l->fails = 0;
	*out = s;
	return AUTH_OK;
}

/* Index of the session with token sid, or -1. */
static int find_session(const struct auth *a, const char *sid)
{
	uint8_t key[SESSDB_KEY_LEN];

	if (!sid || strlen(sid) != AUTH_SID_HEX || sid_key(sid, key))
		return -1;
	for (unsigned i = 0; i < a->nsess; i++)
		if (!CRYPTO_memcmp(a->sess[i].key, key, SESSDB_KEY_LEN))
			return (int)i;
	return -1;
}

const struct auth_session *auth_session_get(struct auth *a, const char *sid, int64_t now_us)
{
	int i = find_session(a, sid);

	if (i < 0)
		return NULL;
	struct auth_session *s = &a->sess[i];

	if (expired(a, s, now_us)) {
		drop_session(a, (unsigned)i);
		return NULL;
	}
	s->used_us = now_us;
	/* Last-seen only matters for the idle lifetime across a restart: write it rarely. */
	if (a->db && now_us - s->stored_us >= (int64_t)a->o.session_touch_s * 1000000) {
		sessdb_touch(a->db, s->key, now_us);
		s->stored_us = now_us;
	}
	return s;
}

bool auth_logout(struct auth *a, const char *sid)
{
	int i = find_session(a, sid);

	if (i < 0)
		return false;
	drop_session(a, (unsigned)i);
	return true;
}

struct restore {
	struct auth *a;
	int64_t now;
	int n;
};

static void restore_one(void *arg, const struct sessdb_row *r)
{
	struct restore *rs = arg;
	struct auth *a = rs->a;
	struct auth_session s = { .role = role_parse(r->role) };

	memcpy(s.key, r->key, SESSDB_KEY_LEN);
	memcpy(s.pw_tag, r->pw_tag, SESSDB_TAG_LEN);
	snprintf(s.user, sizeof(s.user), "%s", r->user);
	snprintf(s.addr, sizeof(s.addr), "%s", r->addr);
	s.created_us = r->created_us;
	s.used_us = s.stored_us = r->last_seen_us;
	bool dup = false;

	for (unsigned i = 0; i < a->nsess && !dup; i++)
		dup = !CRYPTO_memcmp(a->sess[i].key, s.key, SESSDB_KEY_LEN);
	/* A clock set back must not make a session young again: future times are refused too. */
	if (dup || a->nsess >= a->o.max_sessions || s.role == ROLE_NONE ||
	    !session_matches_user(a, &s) || expired(a, &s, rs->now) || s.created_us > rs->now ||
	    s.used_us > rs->now || s.used_us < s.created_us) {
		if (!dup)
			sessdb_delete(a->db, s.key);
		return;
	}
	a->sess[a->nsess++] = s;
	rs->n++;
}

int auth_attach_store(struct auth *a, struct sessdb *db, int64_t now_us, char *err, size_t errlen)
{
	struct restore rs = { a, now_us, 0 };

	a->db = db;
	if (sessdb_load(db, a->o.max_sessions, restore_one, &rs, err, errlen) < 0)
		return -1;
	return rs.n;
}

unsigned auth_session_count(const struct auth *a)
{
	return a->nsess;
}

bool auth_cookie_sid(const char *cookie, char sid[AUTH_SID_HEX + 1])
{
	static const char name[] = AUTH_COOKIE "=";
	const char *p = cookie;

	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (!strncmp(p, name, sizeof(name) - 1)) {
			p += sizeof(name) - 1;
			size_t n = strcspn(p, "; ");

			if (n != AUTH_SID_HEX)
				return false;
			for (size_t i = 0; i < n; i++)
				if (!isxdigit((unsigned char)p[i]))
					return false;
			memcpy(sid, p, n);
			sid[n] = '\0';
			return true;
		}
		p = strchr(p, ';');
	}
	return false;
}
