/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Shared between ws.c (handshake, connection, wslay, client messages) and ws_feed.c (the hub:
 * subscriptions, ticks, dict/snapshot/delta/event messages).  Not for other modules.
 */
#ifndef SMVED_WS_INT_H
#define SMVED_WS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <wslay/wslay.h>

#include "web.h"
#include "ws.h"

struct bufferevent;
struct event;
struct store_sub;
struct journal_sub;
struct point;

/* A framed server message shared by reference among clients' output buffers. */
struct ws_blob {
	unsigned refs;
	size_t len;
	uint8_t data[];
};

/* Frames a text message (copied). refs = 1 for the caller. NULL on allocation failure. */
struct ws_blob *ws_blob_text(const char *payload, size_t len);
void ws_blob_put(struct ws_blob *b);

/* Clients that asked for the same set of points share one group and one delta frame. */
struct ws_group {
	char *key;		/* canonical description of the set */
	bool all;
	char **prefixes;
	unsigned nprefixes;
	uint32_t *ids;		/* sorted store ids */
	unsigned nids;
	unsigned nclients;
	uint64_t tick_seq;		/* tick for which tick_blob was built */
	struct ws_blob *tick_blob;	/* this tick's delta (NULL: nothing for this group) */
	/* The last dict and snapshot sent, shared while still current (see ws_feed.c send_state). */
	struct ws_blob *dict_blob, *snap_blob;
	uint64_t dict_gen, snap_gen, snap_version, snap_seq;
	struct ws_group *next;
};

struct ws_client {
	struct ws_hub *hub;
	struct bufferevent *bev;
	int plain_fd;		/* the socket when not TLS (ticks write to it directly), else -1 */
	wslay_event_context_ptr ctx;
	struct ws_client *prev, *next;
	struct ws_group *group;
	struct event *ping, *linger;
	/*
	 * Our replies produced while wslay parses input wait here, so that they follow the pongs
	 * wslay queued for pings received before them (and never follow a close frame).
	 */
	struct evbuffer *pending;
	bool in_recv;
	/* Frame-header sniffer over the bytes handed to wslay (see ws.c sniff()). */
	uint8_t hdr[14];
	uint8_t hdr_have;
	uint64_t payload_left;
	struct web_identity id;
	char peer[64];
	int64_t cursor;		/* last event id sent (or asked to resume after) */
	bool replaying;		/* catching up from the journal before going live */
	bool lagging;		/* deltas suspended until a fresh snapshot */
	bool closing;		/* close queued: send nothing more */
	bool dead;		/* freed at the next safe point */
	unsigned unanswered_pings;
};

struct ws_hub {
	struct web *w;
	struct ws_client *clients;
	struct ws_group *groups;
	struct store_sub *sub;
	struct journal_sub *jsub;
	struct event *tick;
	struct event *reaper;	/* frees dead clients outside of any iteration */
	struct ws_uring *uring;	/* tick sends batched through io_uring (NULL: send(2) each) */
	bool tick_pending;
	int64_t tick_due_us;	/* monotonic time the last tick was due at */
	uint64_t dict_gen;
	uint64_t seq;		/* delta sequence number */
	struct ws_stats st;
	unsigned nclients;
};

/* ws.c */
void ws_client_send_blob(struct ws_client *c, struct ws_blob *b);
void ws_client_send_text(struct ws_client *c, const char *json, size_t len);
/*
 * Like ws_client_send_blob(), but when the client's queue is empty the frame goes straight to the
 * socket (plain TCP, clients not driven by their write callback); what does not fit is queued.
 * queued is ws_client_queued(c), which the caller has just read (one look at the queue per
 * client and tick: with 1,000 clients these are cache misses that showed in profiles).
 */
void ws_client_send_now(struct ws_client *c, struct ws_blob *b, size_t queued);
/* Whether ws_client_send_now() would write to the socket itself (queued as there). */
bool ws_client_direct(const struct ws_client *c, size_t queued);
/*
 * Accounts a direct write of b that sent n bytes (< 0: -errno, nothing sent): queues what did
 * not go out; -EIO (a write in an unknown state) drops the client.
 */
void ws_client_sent(struct ws_client *c, struct ws_blob *b, ssize_t n);
/*
 * Like ws_client_send_now(), but a direct write may be deferred to a batch (io_uring, when
 * available) that ws_client_send_batch_end() submits: until then b must stay alive and nothing
 * else may be written to c.
 */
void ws_client_send_batched(struct ws_client *c, struct ws_blob *b, size_t queued);
void ws_client_send_batch_end(struct ws_hub *h);
/* Starts the close handshake with code and reason (reason: UTF-8, < 123 bytes). */
void ws_client_close(struct ws_client *c, uint16_t code, const char *reason);
size_t ws_client_queued(const struct ws_client *c);
size_t ws_soft_bound(const struct ws_hub *h);
size_t ws_hard_bound(const struct ws_hub *h);

/* ws_feed.c */
int ws_feed_start(struct ws_hub *h);
void ws_feed_stop(struct ws_hub *h);
/*
 * The delta frame of group @g for the changed points @v[0..n) (those the group matches), or
 * NULL when none matches.  Built once per tick and group; shared by reference.
 */
struct ws_blob *ws_delta_frame(const struct ws_group *g, const struct point *const *v, size_t n,
			       uint64_t seq, long long now_ms);
/* A new client: hello, dict, snapshot of everything (group "all"). */
void ws_feed_welcome(struct ws_client *c);
/* A text message from the client (valid UTF-8, ≤ 64 KiB). */
void ws_feed_message(struct ws_client *c, const uint8_t *msg, size_t len);
/* The client's output drained below the low watermark: resume replay or resnapshot. */
void ws_feed_drained(struct ws_client *c);
/* The client is going away: leave its group. */
void ws_feed_leave(struct ws_client *c);

#endif
