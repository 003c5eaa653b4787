// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* REST API /api/v1/... (see api.h and docs/api.md). */
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_hmi.h"
#include "audit.h"
#include "journal.h"
#include "store.h"
#include "ws.h"


/* ---- helpers ----------------------------------------------------------------------------- */

void api_reply_json(struct http_conn *c, int status, json_t *o, const char *headers)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	if (!s) {
		http_respond_error(c, 500, "internal", "cannot encode the response");
		return;
	}
	size_t l = strlen(s);

	s[l] = '\0';
	http_respond(c, status, "application/json", s, l,
		     headers ? headers : "Cache-Control: no-store\r\n");
	free(s);
}

/* Checks a write: role, JSON content type, Origin.  Responds and returns false when refused. */
bool api_write_allowed(struct web *w, struct http_conn *c, const struct http_request *req,
			  const struct web_identity *id, enum role need)
{
	const char *ct = http_field(req, "Content-Type");

	if (req->method != HTTP_POST) {
		http_respond_error(c, 405, "method_not_allowed", "use POST");
		return false;
	}
	if (!web_origin_ok(w, req)) {
		http_respond_error(c, 403, "bad_origin", "Origin not allowed");
		return false;
	}
	if (id->role == ROLE_NONE || (id->anonymous && need > ROLE_VIEWER)) {
		http_respond_error(c, 401, "unauthenticated", "log in first");
		return false;
	}
	if (id->role < need) {
		char msg[96];

		snprintf(msg, sizeof(msg), "needs role %s or higher", role_name(need));
		http_respond_error(c, 403, "forbidden", msg);
		return false;
	}
	/* A JSON content type cannot be sent cross-site without a CORS preflight we never grant. */
	if (req->content_length && (!ct || strncasecmp(ct, "application/json", 16))) {
		http_respond_error(c, 415, "bad_content_type", "send Content-Type: application/json");
		return false;
	}
	return true;
}

json_t *api_body_json(struct http_conn *c, const struct http_request *req)
{
	json_error_t je;
	json_t *o = json_loadb(req->body, req->content_length, JSON_REJECT_DUPLICATES, &je);

	if (!json_is_object(o)) {
		char msg[200];

		snprintf(msg, sizeof(msg), "body must be a JSON object (%s at %d)",
			 o ? "not an object" : je.text, o ? 0 : je.position);
		json_decref(o);
		http_respond_error(c, 400, "bad_json", msg);
		return NULL;
	}
	return o;
}

/* ---- points ------------------------------------------------------------------------------ */

struct list_arg {
	json_t *arr;
	const char *prefix;
};

static int list_point(const struct point *p, void *arg)
{
	struct list_arg *a = arg;

	if (!a->prefix || !strncmp(p->tag, a->prefix, strlen(a->prefix)))
		json_array_append_new(a->arr, web_point_json(p));
	return 0;
}

static void get_points(struct web *w, struct http_conn *c, const struct http_request *req)
{
	char prefix[STORE_TAG_MAX];
	int n = http_query_get(req->query, "prefix", prefix, sizeof(prefix));
	struct list_arg a = { json_array(), n >= 0 ? prefix : NULL };

	if (n == -2) {
		json_decref(a.arr);
		http_respond_error(c, 400, "bad_parameter", "prefix: malformed or too long");
		return;
	}
	if (w->sm->store)
		store_foreach(w->sm->store, list_point, &a);
	api_reply_json(c, 200, a.arr, NULL);
}

static const struct point *find_point(struct web *w, struct http_conn *c, const char *enc,
				      size_t len)
{
	char tag[STORE_TAG_MAX];
	const struct point *p = NULL;

	if (http_pct_decode(enc, len, tag, sizeof(tag)) < 0) {
		http_respond_error(c, 404, "not_found", "no such point");
		return NULL;
	}
	if (w->sm->store)
		p = store_find(w->sm->store, tag);
	if (!p)
		http_respond_error(c, 404, "not_found", "no such point");
	return p;
}


static void points(struct web *w, struct http_conn *c, const struct http_request *req,
		   const struct web_identity *id, const char *rest)
{
	if (!*rest) {
		if (req->method != HTTP_GET && req->method != HTTP_HEAD)
			http_respond_error(c, 405, "method_not_allowed", "use GET");
		else
			get_points(w, c, req);
		return;
	}
	const char *slash = strchr(rest, '/');
	size_t tl = slash ? (size_t)(slash - rest) : strlen(rest);
	const struct point *p = find_point(w, c, rest, tl);

	if (!p)
		return;
	if (!slash) {
		if (req->method != HTTP_GET && req->method != HTTP_HEAD)
			http_respond_error(c, 405, "method_not_allowed", "use GET");
		else
			api_reply_json(c, 200, web_point_json(p), NULL);
	} else if (!strcmp(slash, "/manual")) {
		api_post_manual(w, c, req, id, p);
	} else if (!strcmp(slash, "/control")) {
		api_post_control(w, c, req, id, p);
	} else {
		http_respond_error(c, 404, "not_found", "no such resource");
	}
}

/* ---- events ------------------------------------------------------------------------------ */

static int add_event(const struct journal_event *ev, void *arg)
{
	json_array_append_new(arg, web_event_json(ev));
	return 0;
}

/* Reads an optional integer parameter in [min, max]; false after responding 400. */
static bool int_param(struct http_conn *c, const char *query, const char *key, int64_t min,
		      int64_t max, int64_t *out)
{
	char buf[32], *end, msg[128];
	int n = http_query_get(query, key, buf, sizeof(buf));

	if (n == -1)
		return true;
	errno = 0;
	long long v = n > 0 ? strtoll(buf, &end, 10) : 0;

	if (n <= 0 || *end || errno || v < min || v > max) {
		snprintf(msg, sizeof(msg), "%s must be an integer in [%lld, %lld]", key,
			 (long long)min, (long long)max);
		http_respond_error(c, 400, "bad_parameter", msg);
		return false;
	}
	*out = v;
	return true;
}

static bool str_param(struct http_conn *c, const char *query, const char *key, char *buf,
		      size_t cap, const char **out)
{
	int n = http_query_get(query, key, buf, cap);
	char msg[96];

	if (n == -1)
		return true;
	if (n < 0) {
		snprintf(msg, sizeof(msg), "%s: malformed or too long", key);
		http_respond_error(c, 400, "bad_parameter", msg);
		return false;
	}
	*out = buf;
	return true;
}

static bool time_param(struct http_conn *c, const char *query, const char *key, int64_t *out)
{
	char buf[64], msg[128];
	const char *v = NULL;

	if (!str_param(c, query, key, buf, sizeof(buf), &v))
		return false;
	if (!v)
		return true;
	int64_t ms = web_parse_time(v);

	if (ms < 0) {
		snprintf(msg, sizeof(msg), "%s: use YYYY-MM-DDThh:mm:ss[.fff]Z or milliseconds", key);
		http_respond_error(c, 400, "bad_parameter", msg);
		return false;
	}
	*out = ms * 1000;
	return true;
}

static bool bool_param(struct http_conn *c, const char *query, const char *key, bool *out)
{
	int64_t v = 0;

	if (!int_param(c, query, key, 0, 1, &v))
		return false;
	*out = v;
	return true;
}

static void get_events(struct web *w, struct http_conn *c, const struct http_request *req)
{
	struct journal_filter f = { 0 };
	int64_t after = 0, before = 0, limit = API_EVENTS_DEFAULT;
	char station[64], source[64], tag[STORE_TAG_MAX], type[32], order[8];
	const char *ord = NULL;
	const char *q = req->query;

	if (!int_param(c, q, "after", 0, INT64_MAX, &after) ||
	    !int_param(c, q, "before", 0, INT64_MAX, &before) ||
	    !int_param(c, q, "limit", 1, API_EVENTS_MAX_LIMIT, &limit) ||
	    !time_param(c, q, "from", &f.from_us) || !time_param(c, q, "to", &f.to_us) ||
	    !str_param(c, q, "station", station, sizeof(station), &f.station) ||
	    !str_param(c, q, "source", source, sizeof(source), &f.source) ||
	    !str_param(c, q, "tag", tag, sizeof(tag), &f.tag_prefix) ||
	    !str_param(c, q, "type", type, sizeof(type), &f.type) ||
	    !bool_param(c, q, "unacked", &f.unacked_only) ||
	    !bool_param(c, q, "alarms", &f.alarms_only) ||
	    !str_param(c, q, "order", order, sizeof(order), &ord))
		return;
	if (ord && strcmp(ord, "asc") && strcmp(ord, "desc")) {
		http_respond_error(c, 400, "bad_parameter", "order must be asc or desc");
		return;
	}
	f.after_id = after;
	f.before_id = before;
	f.limit = (unsigned)limit;
	f.newest_first = ord && !strcmp(ord, "desc");
	json_t *arr = json_array();

	if (!w->sm->journal || journal_query(w->sm->journal, &f, add_event, arr) < 0) {
		json_decref(arr);
		http_respond_error(c, 503, "journal_unavailable", "cannot read the journal");
		return;
	}
	api_reply_json(c, 200, json_pack("{s:o,s:I}", "events", arr, "last_id",
				     (json_int_t)journal_last_id(w->sm->journal)), NULL);
}

static int one_event(const struct journal_event *ev, void *arg)
{
	*(json_t **)arg = web_event_json(ev);
	return 0;
}

static void post_ack(struct web *w, struct http_conn *c, const struct http_request *req,
		     const struct web_identity *id, int64_t eid)
{
	char detail[128];
	json_t *ev = NULL;

	if (!api_write_allowed(w, c, req, id, ROLE_OPERATOR))
		return;
	int r = journal_ack(w->sm->journal, eid, id->user, smved_now_us());

	snprintf(detail, sizeof(detail), "{\"event\":%lld,\"result\":\"%s\"}", (long long)eid,
		 r == 0 ? "ok" : r == -ENOENT ? "not_found" : r == -EALREADY ? "already" : "error");
	if (r == 0 || r == -EALREADY)
		web_audit(w, "ack", id, req->peer, detail);
	if (r == -ENOENT) {
		http_respond_error(c, 404, "not_found", "no such event");
		return;
	}
	if (r && r != -EALREADY) {
		http_respond_error(c, 503, "journal_unavailable", "cannot record the acknowledgement");
		return;
	}
	w->n.acks += r == 0;
	journal_get(w->sm->journal, eid, one_event, &ev);
	api_reply_json(c, r == 0 ? 200 : 409, ev, NULL);
}

static void events(struct web *w, struct http_conn *c, const struct http_request *req,
		   const struct web_identity *id, const char *rest)
{
	if (!w->sm->journal) {
		http_respond_error(c, 503, "journal_unavailable", "no journal");
		return;
	}
	if (!*rest) {
		if (req->method != HTTP_GET && req->method != HTTP_HEAD)
			http_respond_error(c, 405, "method_not_allowed", "use GET");
		else
			get_events(w, c, req);
		return;
	}
	char *end;

	errno = 0;
	long long eid = strtoll(rest, &end, 10);

	if (rest[0] < '1' || rest[0] > '9' || errno || (*end && *end != '/')) {
		http_respond_error(c, 404, "not_found", "no such event");
		return;
	}
	if (!strcmp(end, "/ack")) {
		post_ack(w, c, req, id, eid);
	} else if (*end) {
		http_respond_error(c, 404, "not_found", "no such resource");
	} else if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		http_respond_error(c, 405, "method_not_allowed", "use GET");
	} else {
		json_t *ev = NULL;
		int r = journal_get(w->sm->journal, eid, one_event, &ev);

		if (r == 1 && ev)
			api_reply_json(c, 200, ev, NULL);
		else
			http_respond_error(c, r < 0 ? 503 : 404, r < 0 ? "journal_unavailable" : "not_found",
					   r < 0 ? "cannot read the journal" : "no such event");
	}
}

/* ---- status ------------------------------------------------------------------------------ */

static int add_source(const struct smved_source_info *si, void *arg)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:o}", "name", si->name, "kind", si->kind,
			      "station", si->station ? si->station : "", "online", si->online,
			      "last_reply", web_time_json(si->last_reply_us));
	json_t *n = json_object();

	json_object_set_new(n, "polls", json_integer((json_int_t)si->polls));
	json_object_set_new(n, "replies", json_integer((json_int_t)si->replies));
	json_object_set_new(n, "timeouts", json_integer((json_int_t)si->timeouts));
	json_object_set_new(n, "retries", json_integer((json_int_t)si->retries));
	json_object_set_new(n, "stale_replies", json_integer((json_int_t)si->stale_replies));
	json_object_set_new(n, "bad_frames", json_integer((json_int_t)si->bad_frames));
	json_object_set_new(n, "layout_errors", json_integer((json_int_t)si->layout_errors));
	json_object_set_new(n, "connects", json_integer((json_int_t)si->connects));
	json_object_set_new(n, "disconnects", json_integer((json_int_t)si->disconnects));
	json_object_set_new(n, "peh_sent", json_integer((json_int_t)si->peh_sent));
	json_object_set_new(n, "events", json_integer((json_int_t)si->events));
	json_object_set_new(n, "duplicates", json_integer((json_int_t)si->duplicates));
	json_object_set_new(n, "data_lost", json_integer((json_int_t)si->data_lost));
	json_object_set_new(o, "counters", n);
	json_object_set_new(o, "ieds", json_array());
	json_array_append_new(arg, o);
	return 0;
}

/* IED online states come from the COMM points (ied >= 0) of each source. */
static int add_ied(const struct point *p, void *arg)
{
	json_t *sources = arg;
	size_t i;
	json_t *s;

	if (p->kind != POINT_COMM || p->ied < 0)
		return 0;
	json_array_foreach(sources, i, s) {
		if (strcmp(json_string_value(json_object_get(s, "name")), p->source))
			continue;
		json_array_append_new(json_object_get(s, "ieds"),
				      json_pack("{s:i,s:s,s:b,s:b,s:o}", "address", p->ied, "tag", p->tag,
						"online", !(p->flags & POINT_F_NEVER) && p->value != 0,
						"stale", (p->flags & POINT_F_STALE) != 0,
						"last_change", web_time_json(p->src_us)));
		break;
	}
	return 0;
}

static void get_status(struct web *w, struct http_conn *c)
{
	json_t *sources = json_array();
	struct ws_stats ws = { 0 };
	int64_t now = smved_now_us();

	smved_sources_foreach(w->sm, add_source, sources);
	if (w->sm->store)
		store_foreach(w->sm->store, add_ied, sources);
	if (w->ws)
		ws_hub_stats(w->ws, &ws);
	json_t *server = json_pack("{s:s,s:o,s:I,s:I,s:i,s:i,s:i,s:b}", "version", WEB_VERSION,
				   "time", web_time_json(now), "uptime_s",
				   (json_int_t)((now - w->sm->started_us) / 1000000), "last_event_id",
				   (json_int_t)(w->sm->journal ? journal_last_id(w->sm->journal) : 0),
				   "connections", http_server_connections(w->http), "ws_clients",
				   ws.clients, "sessions", auth_session_count(w->auth), "tls",
				   http_server_tls(w->http));

	api_reply_json(c, 200, json_pack("{s:o,s:o}", "server", server, "sources", sources), NULL);
}

/* ---- login, logout, session -------------------------------------------------------------- */

static void session_reply(struct http_conn *c, int status, const struct web_identity *id,
			  const char *headers)
{
	api_reply_json(c, status, json_pack("{s:o,s:s,s:b}", "user",
					id->anonymous ? json_null() : json_string(id->user), "role",
					role_name(id->role), "anonymous", id->anonymous),
		   headers);
}

static void post_login(struct web *w, struct http_conn *c, const struct http_request *req)
{
	struct web_identity id = { .role = ROLE_NONE };

	if (!api_write_allowed(w, c, req, &(struct web_identity){ .role = ROLE_VIEWER }, ROLE_VIEWER))
		return;
	json_t *b = api_body_json(c, req);

	if (!b)
		return;
	const char *user = json_string_value(json_object_get(b, "user"));
	const char *pw = json_string_value(json_object_get(b, "password"));
	const struct auth_session *s = NULL;
	unsigned retry = 0;
	char detail[128], hdr[320];

	if (!user || !pw || !auth_valid_name(user) || strlen(pw) > AUTH_PASSWORD_MAX) {
		http_respond_error(c, 400, "bad_json", "need \"user\" (1-32 of A-Z a-z 0-9 . _ -) and "
				   "\"password\" (string, at most 256 bytes)");
		json_decref(b);
		return;
	}
	snprintf(id.user, sizeof(id.user), "%s", user);
	char sid[AUTH_SID_HEX + 1];
	enum auth_result r = auth_login(w->auth, user, pw, req->peer, smved_now_us(), &s, sid,
					&retry);

	if (r == AUTH_LIMITED) {
		w->n.login_limited++;
		snprintf(detail, sizeof(detail), "{\"retry_after_s\":%u}", retry);
		web_audit(w, "login_limited", &id, req->peer, detail);
		snprintf(hdr, sizeof(hdr), "Retry-After: %u\r\nCache-Control: no-store\r\n", retry);
		api_reply_json(c, 429, json_pack("{s:s,s:s,s:i}", "error", "rate_limited", "message",
					     "too many failed logins; wait", "retry_after_s", retry),
			   hdr);
	} else if (r != AUTH_OK) {
		w->n.login_failures++;
		web_audit(w, "login_failed", &id, req->peer, NULL);
		http_respond_error(c, 401, "bad_credentials", "wrong user name or password");
	} else {
		w->n.logins++;
		id.role = s->role;
		snprintf(id.sid, sizeof(id.sid), "%s", sid);
		web_audit(w, "login", &id, req->peer, NULL);
		snprintf(hdr, sizeof(hdr),
			 "Set-Cookie: " AUTH_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%u%s\r\n"
			 "Cache-Control: no-store\r\n", sid, w->cfg.auth.session_max_s,
			 req->tls ? "; Secure" : "");
		session_reply(c, 200, &id, hdr);
	}
	json_decref(b);
}

static void post_logout(struct web *w, struct http_conn *c, const struct http_request *req,
			const struct web_identity *id)
{
	if (!api_write_allowed(w, c, req, id, ROLE_VIEWER))
		return;
	if (*id->sid && auth_logout(w->auth, id->sid))
		web_audit(w, "logout", id, req->peer, NULL);
	http_respond(c, 204, NULL, NULL, 0,
		     "Set-Cookie: " AUTH_COOKIE "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\r\n"
		     "Cache-Control: no-store\r\n");
}

/* ---- dispatch ---------------------------------------------------------------------------- */

void api_handle(struct web *w, struct http_conn *c, const struct http_request *req)
{
	const char *p = req->path + strlen("/api/v1/");
	struct web_identity id;
	bool get = req->method == HTTP_GET || req->method == HTTP_HEAD;

	web_identify(w, req, &id);
	if (!strcmp(p, "login")) {
		post_login(w, c, req);
		return;
	}
	if (!strcmp(p, "logout")) {
		post_logout(w, c, req, &id);
		return;
	}
	if (!strcmp(p, "session")) {
		if (!get)
			http_respond_error(c, 405, "method_not_allowed", "use GET");
		else if (id.role == ROLE_NONE)
			http_respond_error(c, 401, "unauthenticated", "not logged in");
		else
			session_reply(c, 200, &id, NULL);
		return;
	}
	/* Everything else needs at least the viewer role (a session or anonymous = viewer). */
	if (id.role == ROLE_NONE) {
		http_respond_error(c, 401, "unauthenticated", "log in first");
		return;
	}
	if (!strcmp(p, "points") || !strncmp(p, "points/", 7)) {
		points(w, c, req, &id, p[6] ? p + 7 : "");
	} else if (!strcmp(p, "events") || !strncmp(p, "events/", 7)) {
		events(w, c, req, &id, p[6] ? p + 7 : "");
	} else if (!strcmp(p, "history")) {
		if (!get)
			http_respond_error(c, 405, "method_not_allowed", "use GET");
		else
			api_get_history(w, c, req);
	} else if (!strncmp(p, "energy/", 7)) {
		api_get_energy(w, c, req, p + 7);
	} else if (!strcmp(p, "screens") || !strcmp(p, "elements") || !strcmp(p, "colors")) {
		api_get_sheet(w, c, req, p);
	} else if (!strcmp(p, "status")) {
		if (!get)
			http_respond_error(c, 405, "method_not_allowed", "use GET");
		else
			get_status(w, c);
	} else {
		http_respond_error(c, 404, "not_found", "no such API resource");
	}
}

