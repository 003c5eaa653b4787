/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * REST API under /api/v1/ (JSON via jansson; reference in docs/api.md):
 *   GET  points, points/<tag>            current values
 *   POST points/<tag>/manual             manual state of a derived point (operator)
 *   POST points/<tag>/control            output control 0x13 (operator; select-before-operate)
 *   GET  events                          journal query (after, before, limit, from, to, station,
 *                                        source, tag, type, unacked, alarms, order)
 *   GET  events/<id>; POST events/<id>/ack (operator)
 *   GET  status; POST login; POST logout; GET session
 * Every write needs a role (viewer < operator < engineer < admin), a JSON body and, when the
 * browser sends one, an allowed Origin; every write is audited.
 */
#ifndef SMVED_API_H
#define SMVED_API_H

#include "web.h"

/* Limits of request parameters (also in docs/api.md). */
#define API_EVENTS_MAX_LIMIT	1000
#define API_EVENTS_DEFAULT	100
#define API_SELECT_TIMEOUT_S	30	/* select-before-operate window */

struct point;

/* Sends o (taken over) as the JSON body; headers default to "Cache-Control: no-store". */
void api_reply_json(struct http_conn *c, int status, json_t *o, const char *headers);
/*
 * Checks a write: POST, allowed Origin, a role of at least `need` (anonymous never writes beyond
 * viewer), JSON content type.  Responds and returns false when refused.
 */
bool api_write_allowed(struct web *w, struct http_conn *c, const struct http_request *req,
		       const struct web_identity *id, enum role need);
/* The request body as a JSON object; NULL after responding 400.  New reference. */
json_t *api_body_json(struct http_conn *c, const struct http_request *req);

/* POST points/<tag>/manual and points/<tag>/control (api_write.c). */
void api_post_manual(struct web *w, struct http_conn *c, const struct http_request *req,
		     const struct web_identity *id, const struct point *p);
void api_post_control(struct web *w, struct http_conn *c, const struct http_request *req,
		      const struct web_identity *id, const struct point *p);

/* The web half stops: results of controls still in flight are then dropped, not audited. */
void api_controls_orphan(struct web *w);

#endif
