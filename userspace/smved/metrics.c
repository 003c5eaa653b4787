// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * GET /metrics: Prometheus text exposition (format 0.0.4) of sources, journal, store, WebSocket,
 * HTTP and authentication counters.  Everything is read through the owners' accessors at scrape
 * time; nothing here keeps state except the previous scrape's event count for the events/s gauge.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "audit.h"
#include "journal.h"
#include "store.h"
#include "web.h"
#include "ws.h"

static void esc(struct evbuffer *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			evbuffer_add_printf(b, "\\%c", *s);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, s, 1);
	}
}

static void head(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(struct evbuffer *b, const char *name, const char *type, const char *help,
		double v)
{
	head(b, name, type, help);
	evbuffer_add_printf(b, "%s %.17g\n", name, v);
}

struct src_arg {
	struct evbuffer *b;
	int field;
};

static const struct {
	const char *name, *type, *help;
} src_metrics[] = {
	{ "smve_source_up", "gauge", "1 when the source answers" },
	{ "smve_source_last_reply_timestamp_seconds", "gauge", "time of the last valid reply" },
	{ "smve_source_polls_total", "counter", "polls sent" },
	{ "smve_source_replies_total", "counter", "valid replies" },
	{ "smve_source_timeouts_total", "counter", "reply timeouts" },
	{ "smve_source_retries_total", "counter", "same-SEQ retries" },
	{ "smve_source_stale_replies_total", "counter", "replies with a stale SEQ, discarded" },
	{ "smve_source_bad_frames_total", "counter", "checksum, framing or payload errors" },
	{ "smve_source_layout_errors_total", "counter", "replies not matching the layout" },
	{ "smve_source_connects_total", "counter", "connections established" },
	{ "smve_source_disconnects_total", "counter", "connections lost" },
	{ "smve_source_peh_sent_total", "counter", "time-set frames sent" },
	{ "smve_source_events_total", "counter", "events journalled" },
	{ "smve_source_duplicates_total", "counter", "events dropped as duplicates" },
	{ "smve_source_data_lost_total", "counter", "node overruns and epoch gaps" },
};

static int src_line(const struct smved_source_info *si, void *arg)
{
	struct src_arg *a = arg;
	double v[] = {
		si->online, si->last_reply_us / 1e6, (double)si->polls, (double)si->replies,
		(double)si->timeouts, (double)si->retries, (double)si->stale_replies,
		(double)si->bad_frames, (double)si->layout_errors, (double)si->connects,
		(double)si->disconnects, (double)si->peh_sent, (double)si->events,
		(double)si->duplicates, (double)si->data_lost,
	};

	evbuffer_add_printf(a->b, "%s{source=\"", src_metrics[a->field].name);
	esc(a->b, si->name);
	evbuffer_add(a->b, "\",kind=\"", 8);
	esc(a->b, si->kind);
	evbuffer_add(a->b, "\",station=\"", 11);
	esc(a->b, si->station);
	evbuffer_add_printf(a->b, "\"} %.17g\n", v[a->field]);
	return 0;
}

void metrics_handle(struct web *w, struct http_conn *c, const struct http_request *req)
{
	struct web_identity id;
	struct ws_stats ws = { 0 };
	struct journal_stats js = { 0 };
	int64_t now = smved_now_us();

	if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		http_respond_error(c, 405, "method_not_allowed", "use GET");
		return;
	}
	/* Scrapers have no session: loopback may always scrape, others need the viewer role. */
	web_identify(w, req, &id);
	if (id.role == ROLE_NONE && strcmp(req->peer, "127.0.0.1") && strcmp(req->peer, "::1")) {
		http_respond_error(c, 401, "unauthenticated", "log in or scrape from loopback");
		return;
	}
	struct evbuffer *b = evbuffer_new();

	if (!b) {
		http_respond_error(c, 503, "busy", "out of memory");
		return;
	}
	for (size_t i = 0; i < sizeof(src_metrics) / sizeof(src_metrics[0]); i++) {
		struct src_arg a = { b, (int)i };

		head(b, src_metrics[i].name, src_metrics[i].type, src_metrics[i].help);
		smved_sources_foreach(w->sm, src_line, &a);
	}
	if (w->sm->journal) {
		journal_get_stats(w->sm->journal, &js);
		double secs = (now - w->n.rate_prev_us) / 1e6;

		/* events/s over the interval since the previous scrape (at least 1 s). */
		if (w->n.rate_prev_us && secs >= 1) {
			w->n.events_rate = (double)(js.events - w->n.rate_prev_events) / secs;
			w->n.rate_prev_us = now;
			w->n.rate_prev_events = js.events;
		} else if (!w->n.rate_prev_us) {
			w->n.rate_prev_us = now;
			w->n.rate_prev_events = js.events;
		}
		one(b, "smve_journal_events_total", "counter", "events appended", (double)js.events);
		one(b, "smve_events_per_second", "gauge", "events appended per second since the previous scrape",
		    w->n.events_rate);
		one(b, "smve_journal_duplicates_total", "counter", "duplicates dropped", (double)js.duplicates);
		one(b, "smve_journal_commits_total", "counter", "commits", (double)js.commits);
		one(b, "smve_journal_commit_errors_total", "counter", "failed commits", (double)js.commit_errors);
		one(b, "smve_journal_expired_total", "counter", "rows deleted by retention", (double)js.expired);
		one(b, "smve_journal_commit_seconds_last", "gauge", "duration of the last commit",
		    js.last_commit_ms / 1e3);
		one(b, "smve_journal_commit_seconds_max", "gauge", "longest commit", js.max_commit_ms / 1e3);
		one(b, "smve_journal_last_event_id", "gauge", "highest event id",
		    (double)journal_last_id(w->sm->journal));
	}
	if (w->sm->store)
		one(b, "smve_store_points", "gauge", "point ids allocated", (double)store_count(w->sm->store));
	if (w->ws)
		ws_hub_stats(w->ws, &ws);
	one(b, "smve_ws_clients", "gauge", "WebSocket clients", ws.clients);
	one(b, "smve_ws_lagging_clients", "gauge", "clients waiting for a fresh snapshot", ws.lagging);
	one(b, "smve_ws_queued_bytes", "gauge", "bytes queued to WebSocket clients", (double)ws.queued_bytes);
	one(b, "smve_ws_pending_points", "gauge", "changed points waiting for the next tick",
	    (double)ws.pending_points);
	one(b, "smve_ws_ticks_total", "counter", "delta ticks", (double)ws.ticks);
	one(b, "smve_ws_frames_built_total", "counter", "delta frames built (shared)", (double)ws.frames_built);
	one(b, "smve_ws_frames_sent_total", "counter", "frames queued to clients", (double)ws.frames_sent);
	one(b, "smve_ws_bytes_sent_total", "counter", "bytes queued to clients", (double)ws.bytes_sent);
	one(b, "smve_ws_snapshots_total", "counter", "snapshots sent", (double)ws.snapshots);
	one(b, "smve_ws_state_builds_total", "counter", "dict and snapshot texts built (shared)",
	    (double)ws.state_builds);
	one(b, "smve_ws_lagged_total", "counter", "times a client fell behind and had its deltas suspended",
	    (double)ws.lagged);
	one(b, "smve_ws_overflows_total", "counter", "clients closed for not keeping up with events",
	    (double)ws.overflows);
	one(b, "smve_ws_protocol_errors_total", "counter", "clients that broke RFC 6455 or smve.v1",
	    (double)ws.protocol_errors);
	one(b, "smve_http_connections", "gauge", "open connections (HTTP and WebSocket)",
	    http_server_connections(w->http));
	one(b, "smve_http_requests_total", "counter", "requests routed", (double)w->n.requests);
	one(b, "smve_sessions", "gauge", "open sessions", auth_session_count(w->auth));
	one(b, "smve_session_store_failures_total", "counter",
	    "batches of session changes sessions.db could not commit",
	    w->sessions ? (double)sessdb_failures(w->sessions) : 0);
	one(b, "smve_logins_total", "counter", "successful logins", (double)w->n.logins);
	one(b, "smve_login_failures_total", "counter", "failed logins", (double)w->n.login_failures);
	one(b, "smve_login_limited_total", "counter", "logins refused by rate limiting",
	    (double)w->n.login_limited);
	one(b, "smve_acks_total", "counter", "events acknowledged", (double)w->n.acks);
	one(b, "smve_audit_records", "gauge", "records in the audit log",
	    w->audit ? (double)audit_records(w->audit) : 0);
	one(b, "smve_uptime_seconds", "gauge", "seconds since start", (now - w->sm->started_us) / 1e6);

	size_t len = evbuffer_get_length(b);
	char *text = malloc(len + 1);

	if (text) {
		evbuffer_remove(b, text, len);
		http_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", text, len,
			     "Cache-Control: no-store\r\n");
		free(text);
	} else {
		http_respond_error(c, 503, "busy", "out of memory");
	}
	evbuffer_free(b);
}
