/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The WebSocket feed (GET /ws, subprotocol smve.v1; protocol in docs/api.md).
 *
 * Handshake: our own (RFC 6455 section 4.2), on the HTTP server's port.  Framing: wslay parses
 * every client frame and handles control frames and the close handshake; server data messages
 * are framed here once and shared by reference among all clients that get the same bytes.
 *
 * Flow per client: hello, dict, snapshot, then one coalesced delta per tick (only points that
 * changed and that the client subscribed to) and every journal event in id order.  A client whose
 * output exceeds its bound stops receiving deltas and gets a fresh snapshot when it has drained;
 * events are never skipped: a client too slow even for those is told ("overflow", with the last
 * id it was sent) and closed, and resumes with {"type":"resume","after":id}.
 */
#ifndef SMVED_WS_H
#define SMVED_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

struct web;
struct ws_hub;

/* Creates the hub: subscribes to the store and the journal of w->sm.  NULL on failure (logged). */
struct ws_hub *ws_hub_new(struct web *w);
/* Closes every client (going away) and unsubscribes.  NULL is allowed. */
void ws_hub_free(struct ws_hub *h);
/* Applies a changed tick / queue bound / ping interval from w->cfg. */
void ws_hub_reconfigure(struct ws_hub *h);

/* Handles GET /ws: validates the handshake and either upgrades or answers with an error. */
void ws_handle(struct ws_hub *h, struct http_conn *c, const struct http_request *req);

struct ws_stats {
	unsigned clients;
	unsigned lagging;		/* waiting for a fresh snapshot */
	size_t queued_bytes;		/* sum of client output buffers */
	size_t pending_points;		/* changed points waiting for the next tick */
	uint64_t frames_built, frames_sent, bytes_sent;
	uint64_t state_builds;		/* dict and snapshot texts built (shared per group) */
	uint64_t snapshots, overflows, protocol_errors;
	uint64_t lagged;		/* times a client was marked lagging */
	uint64_t ticks;
};
void ws_hub_stats(const struct ws_hub *h, struct ws_stats *st);

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)) into out (29 bytes incl. NUL). */
int ws_accept_key(const char *key, char out[29]);
/* Strict UTF-8 check (no overlongs, surrogates or code points above U+10FFFF). */
bool ws_utf8_valid(const uint8_t *s, size_t len);
/* Frames a server-to-client message (unmasked, FIN): header into hdr, returns its length. */
size_t ws_frame_header(uint8_t opcode, size_t len, uint8_t hdr[10]);

/*
 * When the next delta tick is due (monotonic microseconds): one period after the last one was
 * due, so that ticks keep a grid under a steady feed, and never before now (after a quiet spell
 * longer than a period, at once).
 */
int64_t ws_tick_due(int64_t last_due_us, int64_t now_us, int64_t period_us);

#endif
