// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The web half's entry points (smved.h hooks): configuration keys, start/reload/stop, the
 * request router, identities, Origin checks, the audit helper and `--add-user`.
 */
#include "web.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>

#include "api.h"
#include "audit.h"
#include "config.h"
#include "screens.h"
#include "static.h"
#include "ws.h"

struct web_config *web_config_new(void)
{
	struct web_config *wc = calloc(1, sizeof(*wc));

	if (!wc)
		return NULL;
	snprintf(wc->listen, sizeof(wc->listen), "127.0.0.1:8080");
	wc->anonymous = ROLE_VIEWER;
	wc->ws_tick_ms = 100;
	wc->ws_queue_kib = 1024;
	wc->ws_ping_s = 20;
	wc->ws_io_uring = true;
	wc->pbkdf2_iter = AUTH_DEFAULT_ITER;
	http_limits_default(&wc->http);
	auth_opts_default(&wc->auth);
	return wc;
}

void web_config_free(struct web_config *wc)
{
	free(wc);
}

static int set_str(char *dst, size_t cap, const char *v, const char *key, char *err, size_t el)
{
	if (strlen(v) >= cap) {
		snprintf(err, el, "%s: value too long (max %zu)", key, cap - 1);
		return -1;
	}
	strcpy(dst, v);
	return 0;
}

static int set_uint(unsigned *dst, const char *v, unsigned min, unsigned max, const char *key,
		    char *err, size_t el)
{
	char *end;

	errno = 0;
	unsigned long n = strtoul(v, &end, 10);

	if (!*v || *end || errno || *v == '-' || n < min || n > max) {
		snprintf(err, el, "%s: expected an integer in [%u, %u], got '%s'", key, min, max, v);
		return -1;
	}
	*dst = (unsigned)n;
	return 0;
}

static int set_origins(struct web_config *wc, const char *v, char *err, size_t el)
{
	char buf[WEB_MAX_ORIGINS * 256];
	char *save = NULL;

	if (set_str(buf, sizeof(buf), v, "origins", err, el))
		return -1;
	wc->norigins = 0;
	for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		if (wc->norigins >= WEB_MAX_ORIGINS) {
			snprintf(err, el, "origins: at most %d", WEB_MAX_ORIGINS);
			return -1;
		}
		if ((strncmp(t, "http://", 7) && strncmp(t, "https://", 8)) || strlen(t) >= 256 ||
		    strchr(strchr(t, ':') + 3, '/')) {
			snprintf(err, el, "origins: '%s' is not scheme://host[:port]", t);
			return -1;
		}
		strcpy(wc->origins[wc->norigins++], t);
	}
	return 0;
}

int web_config_key(struct web_config *wc, const char *section, const char *key, const char *v,
		   char *err, size_t el)
{
	unsigned u;

	if (strcmp(section, "smved") && strcmp(section, "web"))
		return 1;
	if (!strcmp(key, "listen"))
		return set_str(wc->listen, sizeof(wc->listen), v, key, err, el);
	if (!strcmp(key, "tls_cert"))
		return set_str(wc->tls_cert, sizeof(wc->tls_cert), v, key, err, el);
	if (!strcmp(key, "tls_key"))
		return set_str(wc->tls_key, sizeof(wc->tls_key), v, key, err, el);
	if (!strcmp(key, "web_root"))
		return set_str(wc->web_root, sizeof(wc->web_root), v, key, err, el);
	if (!strcmp(key, "users"))
		return set_str(wc->users, sizeof(wc->users), v, key, err, el);
	if (!strcmp(key, "audit"))
		return set_str(wc->audit, sizeof(wc->audit), v, key, err, el);
	if (!strcmp(key, "origins"))
		return set_origins(wc, v, err, el);
	if (!strcmp(key, "anonymous")) {
		if (strcmp(v, "none") && strcmp(v, "viewer")) {
			snprintf(err, el, "anonymous: 'none' or 'viewer' (read-only), got '%s'", v);
			return -1;
		}
		wc->anonymous = strcmp(v, "none") ? ROLE_VIEWER : ROLE_NONE;
		return 0;
	}
	if (!strcmp(key, "ws_tick_ms"))
		return set_uint(&wc->ws_tick_ms, v, 0, 10000, key, err, el);
	if (!strcmp(key, "ws_queue_kib"))
		return set_uint(&wc->ws_queue_kib, v, 16, 1 << 20, key, err, el);
	if (!strcmp(key, "ws_ping_s"))
		return set_uint(&wc->ws_ping_s, v, 1, 3600, key, err, el);
	if (!strcmp(key, "ws_io_uring")) {
		if (config_parse_bool(v, &wc->ws_io_uring)) {
			snprintf(err, el, "ws_io_uring: expected true or false, got '%s'", v);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "pbkdf2_iterations"))
		return set_uint(&wc->pbkdf2_iter, v, AUTH_MIN_ITER, 100000000, key, err, el);
	if (!strcmp(key, "max_connections"))
		return set_uint(&wc->http.max_connections, v, 1, 1000000, key, err, el);
	if (!strcmp(key, "header_timeout_s") || !strcmp(key, "idle_timeout_s") ||
	    !strcmp(key, "body_timeout_s")) {
		if (set_uint(&u, v, 1, 3600, key, err, el))
			return -1;
		*(key[0] == 'h' ? &wc->http.header_timeout_ms
		  : key[0] == 'i' ? &wc->http.idle_timeout_ms : &wc->http.body_timeout_ms) = u * 1000;
		return 0;
	}
	if (!strcmp(key, "max_body_kib")) {
		if (set_uint(&u, v, 1, 64 * 1024, key, err, el))
			return -1;
		wc->http.max_body = (size_t)u * 1024;
		return 0;
	}
	if (!strcmp(key, "session_idle_s"))
		return set_uint(&wc->auth.session_idle_s, v, 10, 86400 * 30, key, err, el);
	if (!strcmp(key, "session_touch_s"))
		return set_uint(&wc->auth.session_touch_s, v, 1, 3600, key, err, el);
	if (!strcmp(key, "session_max_s"))
		return set_uint(&wc->auth.session_max_s, v, 10, 86400 * 365, key, err, el);
	if (!strcmp(key, "login_max_failures"))
		return set_uint(&wc->auth.fail_per_user, v, 1, 1000, key, err, el);
	if (!strcmp(key, "login_max_failures_addr"))
		return set_uint(&wc->auth.fail_per_addr, v, 1, 100000, key, err, el);
	if (!strcmp(key, "login_window_s"))
		return set_uint(&wc->auth.fail_window_s, v, 1, 86400, key, err, el);
	return 1;
}

int web_config_finish(struct web_config *wc, char *err, size_t el)
{
	if (!*wc->tls_cert != !*wc->tls_key) {
		snprintf(err, el, "tls_cert and tls_key go together");
		return -1;
	}
	if (!*wc->web_root)
		snprintf(wc->web_root, sizeof(wc->web_root), "%s", smved_default_web_root());
	return 0;
}

/* The users file defaults to the configuration's directory, the audit log to the state directory. */
static void default_path(char *dst, size_t cap, const char *config_path, const char *name)
{
	const char *slash = config_path ? strrchr(config_path, '/') : NULL;

	if (*dst)
		return;
	if (slash)
		snprintf(dst, cap, "%.*s/%s", (int)(slash - config_path), config_path, name);
	else
		snprintf(dst, cap, "%s", name);
}

static void default_audit(char *dst, size_t cap, const struct smved *sm)
{
	if (*dst)
		return;
	if (sm->cfg && sm->cfg->state_dir[0])
	{
		if ((size_t)snprintf(dst, cap, "%s/audit.log", sm->cfg->state_dir) >= cap)
			dst[0] = '\0';	/* web_open then fails with a clear message */
	} else
		default_path(dst, cap, sm->config_path, "audit.log");
}

/* ---- helpers shared by api.c, ws.c, metrics.c -------------------------------------------- */

void web_iso_time(int64_t us, char out[32])
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	size_t l = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);

	snprintf(out + l, 32 - l, ".%03dZ", (int)((us % 1000000) / 1000));
}

int64_t web_parse_time(const char *s)
{
	struct tm tm = { 0 };
	char *end;
	long ms = 0;

	if (!strchr(s, '-')) {
		errno = 0;
		long long v = strtoll(s, &end, 10);

		return *s && !*end && !errno && v >= 0 ? v : -1;
	}
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	if (!p)
		return -1;
	if (*p == '.') {
		int digits = 0;

		for (p++; *p >= '0' && *p <= '9' && digits < 3; p++, digits++)
			ms = ms * 10 + (*p - '0');
		if (!digits)
			return -1;
		while (digits++ < 3)
			ms *= 10;
	}
	if (strcmp(p, "Z"))
		return -1;
	time_t t = timegm(&tm);

	return t < 0 ? -1 : (int64_t)t * 1000 + ms;
}

void web_identify(struct web *w, const struct http_request *req, struct web_identity *id)
{
	const struct auth_session *s;

	memset(id, 0, sizeof(*id));
	id->role = w->cfg.anonymous;
	id->anonymous = true;
	for (unsigned i = 0; i < req->nfields; i++) {
		if (strcasecmp(req->fields[i].name, "Cookie") ||
		    !auth_cookie_sid(req->fields[i].value, id->sid))
			continue;
		s = auth_session_get(w->auth, id->sid, smved_now_us());
		if (s) {
			id->role = s->role;
			id->anonymous = false;
			snprintf(id->user, sizeof(id->user), "%s", s->user);
			return;
		}
	}
	id->sid[0] = '\0';
}

bool web_origin_ok(const struct web *w, const struct http_request *req)
{
	const char *o = http_field(req, "Origin");
	const char *host = http_field(req, "Host");

	/* Non-browser clients send no Origin; they cannot be tricked into acting for a page. */
	if (!o)
		return true;
	for (unsigned i = 0; i < w->cfg.norigins; i++)
		if (!strcasecmp(o, w->cfg.origins[i]))
			return true;
	const char *scheme = req->tls ? "https://" : "http://";
	size_t sl = strlen(scheme);

	return host && !strncasecmp(o, scheme, sl) && !strcasecmp(o + sl, host);
}

void web_audit(struct web *w, const char *action, const struct web_identity *id,
	       const char *addr, const char *detail)
{
	const char *user = id && *id->user ? id->user : NULL;
	const char *role = id && id->role != ROLE_NONE && user ? role_name(id->role) : NULL;

	if (!w->audit)
		return;
	if (audit_log(w->audit, smved_now_us(), action, user, role, addr, detail))
		smved_log(LOG_ERR, "audit: cannot record '%s' by %s from %s", action,
			  user ? user : "-", addr ? addr : "-");
}

/* ---- routing ----------------------------------------------------------------------------- */

/* Serve @req from @r with the first @skip characters of its path (a route prefix) removed. */
static void serve_under(struct static_root *r, struct http_conn *c,
			const struct http_request *req, size_t skip)
{
	struct http_request sub = *req;

	sub.path = req->path + skip;
	static_serve(r, c, &sub);
}

static void route(struct http_conn *c, struct http_request *req, void *arg)
{
	struct web *w = arg;

	w->n.requests++;
	if (!strncmp(req->path, "/api/v1/", 8))
		api_handle(w, c, req);
	else if (!strcmp(req->path, "/ws"))
		ws_handle(w->ws, c, req);
	else if (!strcmp(req->path, "/metrics"))
		metrics_handle(w, c, req);
	else if (!strncmp(req->path, "/screens/", 9) &&
		 screens_serve(w->screens, w->sm->cfg->points_dir, c, req))
		return;
	else if (!strncmp(req->path, "/vendor/", 8) && w->vendor)
		serve_under(w->vendor, c, req, 7);
	else if (w->root)
		static_serve(w->root, c, req);
	else
		http_respond_error(c, 404, "not_found", "no web root configured");
}

/* Many idle WebSocket clients need many descriptors: raise the soft limit to the hard one. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		smved_log(LOG_WARNING, "cannot raise RLIMIT_NOFILE: %s", strerror(errno));
}

/* Identity of the users file's current version; zeros when it is missing. */
static void users_stat(const char *path, struct timespec *mtime, ino_t *ino, off_t *size)
{
	struct stat st;

	if (stat(path, &st))
		memset(&st, 0, sizeof(st));
	*mtime = st.st_mtim;
	*ino = st.st_ino;
	*size = st.st_size;
}

/*
 * `smved --add-user` and hand edits change the users file under a running smved: re-read it
 * when its identity changes, so that removed users, new roles and new passwords end their
 * sessions within seconds, not at the next SIGHUP.
 */
static void on_users_watch(evutil_socket_t fd, short what, void *arg)
{
	struct web *w = arg;
	struct timespec mt;
	ino_t ino;
	off_t size;
	char err[512];

	(void)fd;
	(void)what;
	users_stat(w->cfg.users, &mt, &ino, &size);
	if (mt.tv_sec == w->users_mtime.tv_sec && mt.tv_nsec == w->users_mtime.tv_nsec &&
	    ino == w->users_ino && size == w->users_size)
		return;
	w->users_mtime = mt;
	w->users_ino = ino;
	w->users_size = size;
	unsigned before = auth_session_count(w->auth);

	if (auth_load_users(w->auth, w->cfg.users, err, sizeof(err)) < 0) {
		smved_log(LOG_ERR, "web: users file changed but is not valid, keeping the old "
			  "users: %s", err);
		return;
	}
	smved_log(LOG_NOTICE, "web: users file changed: %u users, %u sessions ended",
		  auth_user_count(w->auth), before - auth_session_count(w->auth));
}

/* A users file change seen by a running smved (watch, SIGHUP): audited like --add-user. */
static void on_user_change(void *arg, const char *user, enum role role, const char *change)
{
	struct web *w = arg;
	char detail[160];

	snprintf(detail, sizeof(detail), "{\"user\":\"%s\",\"role\":\"%s\",\"change\":\"%s\","
		 "\"source\":\"users file\"}", user, role_name(role), change);
	web_audit(w, strcmp(change, "removed") ? "user_set" : "user_removed", NULL, "local", detail);
}

/* Sessions survive restarts in the state directory (sessdb.h). */
static int open_sessions(struct web *w, char *err, size_t el)
{
	const char *dir = w->sm->cfg ? w->sm->cfg->state_dir : "";
	char path[PATH_MAX];

	if (!*dir) {
		smved_log(LOG_WARNING, "web: no state_dir: sessions end when smved stops");
		return 0;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/sessions.db", dir) >= sizeof(path)) {
		snprintf(err, el, "state_dir too long");
		return -1;
	}
	if (!(w->sessions = sessdb_open(path, err, el)))
		return -1;
	int n = auth_attach_store(w->auth, w->sessions, smved_now_us(), err, el);

	if (n < 0)
		return -1;
	smved_log(LOG_INFO, "web: %d sessions restored from %s", n, path);
	return 0;
}

static int web_open(struct web *w, char *err, size_t el)
{
	struct web_config *wc = &w->cfg;

	default_path(wc->users, sizeof(wc->users), w->sm->config_path, "users");
	default_audit(wc->audit, sizeof(wc->audit), w->sm);
	if (!(w->auth = auth_new(&wc->auth))) {
		snprintf(err, el, "out of memory");
		return -1;
	}
	if (auth_load_users(w->auth, wc->users, err, el) < 0)
		return -1;
	users_stat(wc->users, &w->users_mtime, &w->users_ino, &w->users_size);
	if (open_sessions(w, err, el))
		return -1;
	if (!(w->audit = audit_open(wc->audit, err, el)))
		return -1;
	auth_set_change_cb(w->auth, on_user_change, w);
	if (*wc->web_root && !(w->root = static_root_open(wc->web_root, err, el))) {
		/* No HMI is not fatal: REST and WebSocket still work. */
		smved_log(LOG_WARNING, "%s; static files disabled", err);
	}
	/*
	 * /vendor/ (uPlot) from the build or install tree; a web root holding
	 * its own vendor/ (make web-root) is used when that is absent.
	 */
	if (!(w->vendor = static_root_open(smved_default_vendor_root(), err, el)))
		smved_log(LOG_INFO, "%s; /vendor/ served from the web root", err);
	if (!(w->screens = screens_new())) {
		snprintf(err, el, "out of memory");
		return -1;
	}
	return 0;
}

int web_start(struct smved *sm, const struct web_config *wc)
{
	char err[512];
	struct web *w = calloc(1, sizeof(*w));

	if (!w) {
		smved_log(LOG_ERR, "web: out of memory");
		return -1;
	}
	w->sm = sm;
	w->cfg = *wc;
	raise_nofile();
	if (web_open(w, err, sizeof(err)))
		goto fail;
	if (!(w->ws = ws_hub_new(w))) {
		snprintf(err, sizeof(err), "cannot start the WebSocket feed");
		goto fail;
	}
	struct http_server_opts o = {
		.listen = wc->listen,
		.tls_cert = *wc->tls_cert ? wc->tls_cert : NULL,
		.tls_key = *wc->tls_key ? wc->tls_key : NULL,
		.limits = wc->http,
		.handler = route,
		.arg = w,
	};

	if (!(w->http = http_server_new(sm->base, &o, err, sizeof(err))))
		goto fail;
	w->users_watch = event_new(sm->base, -1, EV_PERSIST, on_users_watch, w);
	if (!w->users_watch || event_add(w->users_watch, &(struct timeval){ 2, 0 })) {
		snprintf(err, sizeof(err), "cannot start the users file watch");
		goto fail;
	}
	sm->web = w;
	smved_log(LOG_NOTICE, "web: listening on %s (port %d)%s, %u users, anonymous %s",
		  wc->listen, http_server_port(w->http), *wc->tls_cert ? " with TLS" : "",
		  auth_user_count(w->auth), role_name(wc->anonymous));
	web_audit(w, "start", NULL, NULL, NULL);
	return 0;
fail:
	smved_log(LOG_ERR, "web: %s", err);
	sm->web = w;
	web_stop(sm);
	return -1;
}

int web_reload(struct smved *sm, const struct web_config *wc)
{
	struct web *w = sm->web;
	char err[512];

	if (!w)
		return web_start(sm, wc);
	if (strcmp(wc->listen, w->cfg.listen) || strcmp(wc->tls_cert, w->cfg.tls_cert) ||
	    strcmp(wc->tls_key, w->cfg.tls_key) || strcmp(wc->audit, w->cfg.audit))
		smved_log(LOG_WARNING, "web: listen, tls_* and audit changes need a restart");
	struct web_config nc = *wc;

	/* Keep what only a restart can change; take everything else. */
	memcpy(nc.listen, w->cfg.listen, sizeof(nc.listen));
	memcpy(nc.tls_cert, w->cfg.tls_cert, sizeof(nc.tls_cert));
	memcpy(nc.tls_key, w->cfg.tls_key, sizeof(nc.tls_key));
	memcpy(nc.audit, w->cfg.audit, sizeof(nc.audit));
	nc.http = w->cfg.http;
	default_path(nc.users, sizeof(nc.users), sm->config_path, "users");
	if (auth_load_users(w->auth, nc.users, err, sizeof(err)) < 0) {
		smved_log(LOG_ERR, "web: reload: %s", err);
		return -1;
	}
	users_stat(nc.users, &w->users_mtime, &w->users_ino, &w->users_size);
	auth_set_opts(w->auth, &nc.auth);
	if (strcmp(nc.web_root, w->cfg.web_root)) {
		struct static_root *r = static_root_open(nc.web_root, err, sizeof(err));

		if (!r) {
			smved_log(LOG_ERR, "web: reload: %s", err);
			return -1;
		}
		static_root_close(w->root);
		w->root = r;
	}
	w->cfg = nc;
	ws_hub_reconfigure(w->ws);
	web_audit(w, "config_reload", NULL, NULL, NULL);
	return 0;
}

void web_stop(struct smved *sm)
{
	struct web *w = sm->web;

	if (!w)
		return;
	api_controls_orphan(w);
	if (w->audit && w->http)
		web_audit(w, "stop", NULL, NULL, NULL);
	ws_hub_free(w->ws);
	http_server_free(w->http);
	static_root_close(w->root);
	static_root_close(w->vendor);
	screens_free(w->screens);
	audit_close(w->audit);
	if (w->users_watch)
		event_free(w->users_watch);
	auth_free(w->auth);
	sessdb_close(w->sessions);	/* after auth: every change it queued is written */
	free(w);
	sm->web = NULL;
}

int web_add_user(struct smved *sm, const struct web_config *wc, const char *name,
		 const char *role, const char *password, char *err, size_t errlen)
{
	char users[PATH_MAX], audit_path[PATH_MAX];
	enum role r = role_parse(role ? role : "");

	snprintf(users, sizeof(users), "%s", wc->users);
	snprintf(audit_path, sizeof(audit_path), "%s", wc->audit);
	default_path(users, sizeof(users), sm->config_path, "users");
	default_audit(audit_path, sizeof(audit_path), sm);
	struct audit *a = audit_open(audit_path, err, errlen);
	bool running = !a && errno == EWOULDBLOCK;
	char detail[128];

	if (!a && !running)
		return -1;
	if (auth_users_file_set(users, name, r, password, wc->pbkdf2_iter, err, errlen)) {
		audit_close(a);
		return -1;
	}
	if (running) {
		/* Its users file watch applies the change, ends the sessions and audits it. */
		smved_log(LOG_NOTICE, "smved is running: it applies this change within seconds, "
			  "ends %s's sessions and records the change in its audit log", name);
		return 0;
	}
	snprintf(detail, sizeof(detail), "{\"user\":\"%s\",\"role\":\"%s\"}", name, role_name(r));
	int rc = audit_log(a, smved_now_us(), "user_set", NULL, NULL, "local", detail);

	audit_close(a);
	if (rc)
		snprintf(err, errlen, "user saved but the audit record failed");
	return rc;
}

int web_verify_audit(struct smved *sm, const struct web_config *wc, FILE *out, char *err,
		     size_t errlen)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s", wc->audit);
	default_audit(path, sizeof(path), sm);
	return audit_verify(path, out, err, errlen) < 0 ? -1 : 0;
}
