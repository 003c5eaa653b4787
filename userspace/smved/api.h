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

#endif
