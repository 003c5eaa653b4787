// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Operator writes on points: manual states of diagram elements and output control (0x13) with
 * select-before-operate.  Both are audited; control results arrive asynchronously.
 */
#include "api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "derived.h"
#include "journal.h"
#include "store.h"

void api_post_manual(struct web *w, struct http_conn *c, const struct http_request *req,
			const struct web_identity *id, const struct point *p)
{
	if (!api_write_allowed(w, c, req, id, ROLE_OPERATOR))
		return;
	json_t *b = api_body_json(c, req);

	if (!b)
		return;
	json_t *text = json_object_get(b, "text"), *value = json_object_get(b, "value");

	if (p->kind != POINT_DERIVED) {
		http_respond_error(c, 409, "not_manual", "only derived (element) points take a manual state");
	} else if ((text && !json_is_string(text)) || (value && !json_is_number(value)) ||
		   (!text && !value)) {
		http_respond_error(c, 400, "bad_json", "give \"text\" (string) and/or \"value\" (number)");
	} else if (text && json_string_length(text) >= STORE_TEXT_MAX) {
		http_respond_error(c, 400, "bad_json", "text too long");
	} else {
		char detail[512];
		json_t *d = json_pack("{s:s,s:O*,s:O*,s:O*}", "tag", p->tag, "old",
				      p->text ? json_string(p->text) : json_null(), "text", text,
				      "value", value);
		char *ds = json_dumps(d, JSON_COMPACT);

		snprintf(detail, sizeof(detail), "%s", ds ? ds : "{}");
		free(ds);
		json_decref(d);
		/* An element's text goes through the element table so its formulas follow. */
		if (!text || value ||
		    derived_set_text(w->sm->derived, p->tag, json_string_value(text)) <= 0)
			store_set_derived(w->sm->store, p->id,
					  value ? json_number_value(value) : p->value,
					  text ? json_string_value(text) : p->text, smved_now_us());
		store_set_flag(w->sm->store, p->id, POINT_F_MANUAL, true);
		web_audit(w, "manual_state", id, req->peer, detail);
		api_reply_json(c, 200, web_point_json(p), NULL);
	}
	json_decref(b);
}

/* ---- control (select-before-operate) ----------------------------------------------------- */

struct control_done {
	struct web *w;		/* NULL once the web half stopped before the result came */
	struct control_done *next;
	char tag[STORE_TAG_MAX];
	char user[AUTH_NAME_MAX];
	char role[16];
	char addr[64];
	int state;
};

/*
 * What a control result means to the operator.  "unknown": every attempt timed out (or the
 * command was handed on and its source went away), so the output may have operated: the
 * feedback point tells, and nothing may call that "failed".
 */
static const char *control_outcome(int result)
{
	switch (result) {
	case 0:
		return "executed";
	case -EPERM:
		return "refused";
	case -EPROTO:
		return "mismatch";
	case -ETIMEDOUT:
		return "unknown";
	case -ENOTCONN:
	case -ENOENT:
	case -EBUSY:
		return "not_sent";
	default:
		return "failed";
	}
}

/* The result as a "command" journal event (on the feed: the HMI's control dialog waits for it). */
static void control_journal(struct smved *sm, const struct control_done *d, int result,
			    const char *outcome)
{
	const struct point *p = store_find(sm->store, d->tag);
	char station[STORE_TAG_MAX], text[320];
	json_t *f = json_pack("{s:s,s:i,s:i,s:s,s:s}", "outcome", outcome, "result", result,
			      "state", d->state, "user", d->user,
			      "error", result ? strerror(-result) : "");
	char *fields = f ? json_dumps(f, JSON_COMPACT) : NULL;
	struct journal_new ev = { .source = p ? p->source : "", .station = station,
				  .ied = p ? p->ied : -1, .type = "command", .tag = d->tag,
				  .rx_us = smved_now_us(), .value = d->state,
				  .alarm = result != 0, .fields = fields, .text = text };

	/* Tags are "<station>.<...>". */
	snprintf(station, sizeof(station), "%.*s", (int)strcspn(d->tag, "."), d->tag);
	ev.utc_us = ev.rx_us;
	if (!strcmp(outcome, "unknown"))
		snprintf(text, sizeof(text), "%s control state %d: outcome unknown"
			 " \xe2\x80\x94 check the feedback point", d->tag, d->state);
	else
		snprintf(text, sizeof(text), "%s control state %d: %s", d->tag, d->state, outcome);
	/*
	 * A node reports results while it builds a read batch: the event joins it, in the same
	 * transaction as the COMMAND record's cursor.  Otherwise a group-commit batch of its own.
	 */
	if (journal_add_queued(sm->journal, &ev, NULL, NULL) < 0)
		smved_log(LOG_ERR, "%s: cannot journal the control result (%s)", d->tag, outcome);
	free(fields);
	json_decref(f);
}

static void control_done(int result, void *arg)
{
	struct control_done *d = arg;
	const char *outcome = control_outcome(result);
	char detail[256];
	struct web_identity id = { 0 };

	if (d->w) {
		for (struct control_done **pp = &d->w->controls; *pp; pp = &(*pp)->next)
			if (*pp == d) {
				*pp = d->next;
				break;
			}
		snprintf(id.user, sizeof(id.user), "%s", d->user);
		id.role = role_parse(d->role);
		snprintf(detail, sizeof(detail),
			 "{\"tag\":\"%s\",\"state\":%d,\"result\":%d,\"outcome\":\"%s\",\"error\":\"%s\"}",
			 d->tag, d->state, result, outcome, result ? strerror(-result) : "");
		web_audit(d->w, "control_result", &id, d->addr, detail);
		control_journal(d->w->sm, d, result, outcome);
	}
	free(d);
}

void api_controls_orphan(struct web *w)
{
	for (struct control_done *d = w->controls; d; d = d->next)
		d->w = NULL;
	w->controls = NULL;
}


void api_post_control(struct web *w, struct http_conn *c, const struct http_request *req,
			 const struct web_identity *id, const struct point *p)
{
	if (!api_write_allowed(w, c, req, id, ROLE_OPERATOR))
		return;
	json_t *b = api_body_json(c, req);

	if (!b)
		return;
	const char *action = json_string_value(json_object_get(b, "action"));
	json_t *st = json_object_get(b, "state");
	const char *token = json_string_value(json_object_get(b, "token"));
	int64_t now = smved_now_us();
	char detail[256];

	if (!action || !json_is_integer(st) || (json_integer_value(st) != 0 && json_integer_value(st) != 1)) {
		http_respond_error(c, 400, "bad_json", "need \"action\" (select|operate) and \"state\" 0 or 1");
	} else if (!*id->sid) {
		http_respond_error(c, 401, "unauthenticated", "control needs a logged-in session");
	} else if (!strcmp(action, "select")) {
		struct api_select *s = &w->selects[0];
		unsigned char rnd[16];

		for (size_t i = 0; i < API_MAX_SELECTS; i++)
			if (w->selects[i].until_us < s->until_us || !strcmp(w->selects[i].sid, id->sid)) {
				s = &w->selects[i];
				if (!strcmp(w->selects[i].sid, id->sid))
					break;
			}
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			http_respond_error(c, 503, "busy", "no randomness for the token");
			goto out;
		}
		for (int i = 0; i < 16; i++)
			sprintf(s->token + 2 * i, "%02x", rnd[i]);
		snprintf(s->sid, sizeof(s->sid), "%s", id->sid);
		snprintf(s->tag, sizeof(s->tag), "%s", p->tag);
		s->state = (int)json_integer_value(st);
		s->until_us = now + API_SELECT_TIMEOUT_S * 1000000LL;
		snprintf(detail, sizeof(detail), "{\"tag\":\"%s\",\"state\":%d}", p->tag, s->state);
		web_audit(w, "control_select", id, req->peer, detail);
		api_reply_json(c, 200, json_pack("{s:s,s:i}", "token", s->token, "expires_s",
					     API_SELECT_TIMEOUT_S), NULL);
	} else if (!strcmp(action, "operate")) {
		struct api_select *s = NULL;

		for (size_t i = 0; i < API_MAX_SELECTS; i++)
			if (!strcmp(w->selects[i].sid, id->sid))
				s = &w->selects[i];
		if (!s || !token || strcmp(s->token, token) || strcmp(s->tag, p->tag) ||
		    s->state != json_integer_value(st) || s->until_us < now) {
			http_respond_error(c, 409, "not_selected", "select the same point and state first (30 s)");
		} else {
			struct control_done *d = calloc(1, sizeof(*d));

			memset(s, 0, sizeof(*s));
			if (!d) {
				http_respond_error(c, 503, "busy", "out of memory");
				goto out;
			}
			*d = (struct control_done){ .w = w, .next = w->controls,
						    .state = (int)json_integer_value(st) };
			w->controls = d;
			snprintf(d->tag, sizeof(d->tag), "%s", p->tag);
			snprintf(d->user, sizeof(d->user), "%s", id->user);
			snprintf(d->role, sizeof(d->role), "%s", role_name(id->role));
			snprintf(d->addr, sizeof(d->addr), "%s", req->peer);
			snprintf(detail, sizeof(detail), "{\"tag\":\"%s\",\"state\":%d}", p->tag, d->state);
			web_audit(w, "control_operate", id, req->peer, detail);
			int r = smved_control(w->sm, p->tag, d->state, control_done, d);

			if (r) {
				control_done(r, d);
				http_respond_error(c, r == -ENOENT ? 404 : r == -ENOTCONN ? 503 : 409,
						   "control_failed", strerror(-r));
			} else {
				api_reply_json(c, 202, json_pack("{s:b}", "queued", 1), NULL);
			}
		}
	} else {
		http_respond_error(c, 400, "bad_json", "action must be select or operate");
	}
out:
	json_decref(b);
}
