/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Internal interface of smved's web half: its configuration, its top-level object and the
 * helpers shared by the router (web.c), REST (api.c), WebSocket (ws.c) and metrics (metrics.c).
 * The core sees only the opaque struct web and the hooks in smved.h.
 */
#ifndef SMVED_WEB_H
#define SMVED_WEB_H

#include <limits.h>
#include <sys/types.h>
#include <time.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "auth.h"
#include "http.h"
#include "smved.h"

#define WEB_MAX_ORIGINS	16
#define WEB_VERSION	"smved 0.1.0"

struct web_config {
	char listen[128];		/* listen = host:port ("127.0.0.1:8080") */
	char tls_cert[PATH_MAX];	/* tls_cert / tls_key: both or neither */
	char tls_key[PATH_MAX];
	enum role anonymous;		/* anonymous = none | viewer (default viewer) */
	char web_root[PATH_MAX];	/* web_root (default smved_default_web_root()) */
	char users[PATH_MAX];		/* users = path of the users file */
	char audit[PATH_MAX];		/* audit = path of the audit log */
	unsigned ws_tick_ms;		/* ws_tick_ms (100; 0 = every loop iteration) */
	unsigned ws_queue_kib;		/* ws_queue_kib: per-client soft bound (1024) */
	unsigned ws_ping_s;		/* ws_ping_s (20) */
	bool ws_io_uring;		/* ws_io_uring: batch tick sends through io_uring (true) */
	char origins[WEB_MAX_ORIGINS][256];	/* origins = comma list ("" = same host only) */
	unsigned norigins;
	unsigned pbkdf2_iter;		/* pbkdf2_iterations (AUTH_DEFAULT_ITER) */
	struct http_limits http;	/* max_connections, header_timeout_s, idle_timeout_s, max_body_kib */
	struct auth_opts auth;		/* session_idle_s, session_max_s, login_max_failures,
					   login_max_failures_addr, login_window_s */
};

/* A pending select-before-operate (api_write.c): one per session. */
#define API_MAX_SELECTS	64
struct api_select {
	char sid[AUTH_SID_HEX + 1];
	char tag[48];		/* STORE_TAG_MAX */
	char token[33];
	int state;
	int64_t until_us;
};

struct ws_hub;
struct static_root;
struct screens;
struct control_done;
struct audit;

struct web_counters {
	uint64_t requests, responses_4xx, responses_5xx;
	uint64_t logins, login_failures, login_limited;
	uint64_t acks;
	int64_t rate_prev_us;		/* events/s gauge: previous scrape */
	uint64_t rate_prev_events;
	double events_rate;
};

struct web {
	struct smved *sm;
	struct web_config cfg;
	struct http_server *http;
	struct static_root *root;
	struct static_root *vendor;	/* /vendor/, NULL: from root */
	struct screens *screens;	/* /screens/ from the points folder */
	struct auth *auth;
	struct sessdb *sessions;	/* <state_dir>/sessions.db; NULL without a state_dir */
	struct event *users_watch;	/* re-reads the users file when it changes */
	struct timespec users_mtime;
	ino_t users_ino;
	off_t users_size;
	struct audit *audit;
	struct ws_hub *ws;
	struct web_counters n;
	struct api_select selects[API_MAX_SELECTS];
	struct control_done *controls;	/* control results still to come (api_write.c) */
};

/* Who is asking: a session user, the anonymous viewer, or nobody. */
struct web_identity {
	enum role role;			/* ROLE_NONE: not allowed at all */
	bool anonymous;
	char user[AUTH_NAME_MAX];	/* "" when anonymous */
	char sid[AUTH_SID_HEX + 1];	/* "" when no session */
};

/* Resolves the request's identity from its session cookie and the anonymous setting. */
void web_identify(struct web *w, const struct http_request *req, struct web_identity *id);

/* True when the request's Origin (if any) is the same host or in the allow-list. */
bool web_origin_ok(const struct web *w, const struct http_request *req);

/* Appends an audit record; logs (LOG_ERR) when it could not be made durable. */
void web_audit(struct web *w, const char *action, const struct web_identity *id,
	       const char *addr, const char *detail);

/* Formats microseconds since the epoch as ISO 8601 UTC with milliseconds ("...T..:..:..mmmZ"). */
void web_iso_time(int64_t us, char out[32]);
/* Parses "YYYY-MM-DDThh:mm:ss[.fff]Z" (or a plain integer of ms since the epoch); -1 if bad. */
int64_t web_parse_time(const char *s);

struct point;
struct journal_event;
/* An ISO 8601 UTC time string with milliseconds, or null for 0.  New reference. */
json_t *web_time_json(int64_t us);
/* The REST representation of a point (also used by the WebSocket dictionary). New reference. */
json_t *web_point_json(const struct point *p);
/* The REST representation of an event (also the WebSocket "event" message). New reference. */
json_t *web_event_json(const struct journal_event *ev);

/*
 * `smved --verify-audit`: checks the hash chain of the configured audit log and prints one
 * summary line to out.  0 when intact, -1 with "file: line N: reason" in err.  (For the core's
 * option parser; smved.h has no hook for it yet.)
 */
int web_verify_audit(struct smved *sm, const struct web_config *wc, FILE *out, char *err,
		     size_t errlen);

/* REST API (api.c): handles everything under /api/v1/. */
void api_handle(struct web *w, struct http_conn *c, const struct http_request *req);
/* Prometheus exposition (metrics.c): GET /metrics. */
void metrics_handle(struct web *w, struct http_conn *c, const struct http_request *req);

#endif
