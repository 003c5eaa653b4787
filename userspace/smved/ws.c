// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * WebSocket connections: the RFC 6455 opening handshake, one wslay server context per client for
 * everything the client sends (framing, masking, fragmentation, control frames, close
 * handshake), keepalive pings, and the shared, pre-framed server messages.
 *
 * wslay writes through send_cb straight into the bufferevent and never keeps a partial frame
 * (send_cb always accepts everything), so after each wslay_event_send() our own pre-framed data
 * frames can be appended without ever splitting one of wslay's frames.
 */
#include "ws_int.h"

#include "store.h"
#include "ws_uring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#define WS_MAX_MSG	(64 * 1024)
#define WS_CLOSE_WAIT_S	5

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int ws_accept_key(const char *key, char out[29])
{
	unsigned char md[SHA_DIGEST_LENGTH];
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "%s%s", key, ws_guid);

	if (n < 0 || (size_t)n >= sizeof(buf))
		return -1;
	SHA1((const unsigned char *)buf, (size_t)n, md);
	return EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH) == 28 ? 0 : -1;
}

bool ws_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t b = s[i];
		size_t n;
		uint32_t cp, min;

		if (b < 0x80) {
			i++;
			continue;
		} else if ((b & 0xE0) == 0xC0) {
			n = 1, cp = b & 0x1F, min = 0x80;
		} else if ((b & 0xF0) == 0xE0) {
			n = 2, cp = b & 0x0F, min = 0x800;
		} else if ((b & 0xF8) == 0xF0) {
			n = 3, cp = b & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (i + n >= len)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

int64_t ws_tick_due(int64_t last_due_us, int64_t now_us, int64_t period_us)
{
	int64_t due = last_due_us + period_us;

	return due < now_us ? now_us : due;
}

size_t ws_frame_header(uint8_t opcode, size_t len, uint8_t hdr[10])
{
	hdr[0] = 0x80 | (opcode & 0x0F);
	if (len < 126) {
		hdr[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xFFFF) {
		hdr[1] = 126;
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		return 4;
	}
	hdr[1] = 127;
	for (int i = 0; i < 8; i++)
		hdr[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	return 10;
}

struct ws_blob *ws_blob_text(const char *payload, size_t len)
{
	uint8_t hdr[10];
	size_t hl = ws_frame_header(WSLAY_TEXT_FRAME, len, hdr);
	struct ws_blob *b = malloc(sizeof(*b) + hl + len);

	if (!b)
		return NULL;
	b->refs = 1;
	b->len = hl + len;
	memcpy(b->data, hdr, hl);
	memcpy(b->data + hl, payload, len);
	return b;
}

void ws_blob_put(struct ws_blob *b)
{
	if (b && --b->refs == 0)
		free(b);
}

static void schedule_reap(struct ws_client *c);

static void blob_cleanup(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	ws_blob_put(arg);
}

size_t ws_client_queued(const struct ws_client *c)
{
	return evbuffer_get_length(bufferevent_get_output(c->bev));
}

size_t ws_soft_bound(const struct ws_hub *h)
{
	return (size_t)h->w->cfg.ws_queue_kib * 1024;
}

size_t ws_hard_bound(const struct ws_hub *h)
{
	return 4 * ws_soft_bound(h);
}

void ws_client_send_blob(struct ws_client *c, struct ws_blob *b)
{
	if (c->closing || c->dead)
		return;
	b->refs++;
	if (evbuffer_add_reference(c->in_recv ? c->pending : bufferevent_get_output(c->bev), b->data,
				   b->len, blob_cleanup, b)) {
		b->refs--;
		return;
	}
	c->hub->st.frames_sent++;
	c->hub->st.bytes_sent += b->len;
}

bool ws_client_direct(const struct ws_client *c, size_t queued)
{
	/*
	 * Only plain sockets (TLS must go through its bufferevent), only clients whose write
	 * callback we do not wait for (replay, resnapshot and close are driven from it), and only
	 * behind an empty queue (order).  Writing straight to the socket skips the queue entry and
	 * the write event's two epoll changes per client and tick; the rest, if the socket is
	 * full, is queued as usual.
	 */
	return !(c->closing || c->dead || c->in_recv || c->replaying || c->lagging ||
		 c->plain_fd < 0 || queued);
}

void ws_client_sent(struct ws_client *c, struct ws_blob *b, ssize_t n)
{
	if (n <= 0) {
		/* Would block, or an error the bufferevent's own write will report (on_event). */
		if (n == -EIO)
			schedule_reap(c);	/* unknown whether any of it went out */
		else
			ws_client_send_blob(c, b);
		return;
	}
	c->hub->st.frames_sent++;
	c->hub->st.bytes_sent += b->len;
	if ((size_t)n == b->len)
		return;
	b->refs++;
	if (evbuffer_add_reference(bufferevent_get_output(c->bev), b->data + n, b->len - (size_t)n,
				   blob_cleanup, b)) {
		/* Half a frame on the wire and no memory for the rest: the stream is lost. */
		b->refs--;
		schedule_reap(c);
	}
}

void ws_client_send_now(struct ws_client *c, struct ws_blob *b, size_t queued)
{
	ssize_t n;

	if (!ws_client_direct(c, queued)) {
		ws_client_send_blob(c, b);
		return;
	}
	n = send(c->plain_fd, b->data, b->len, MSG_DONTWAIT | MSG_NOSIGNAL);
	ws_client_sent(c, b, n < 0 ? -errno : n);
}

void ws_client_send_text(struct ws_client *c, const char *json, size_t len)
{
	struct ws_blob *b = ws_blob_text(json, len);

	if (b) {
		ws_client_send_blob(c, b);
		ws_blob_put(b);
	}
}

static void schedule_reap(struct ws_client *c)
{
	if (c->dead)
		return;
	c->dead = true;
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	event_active(c->hub->reaper, 0, 0);
}

static void client_free(struct ws_client *c)
{
	struct ws_hub *h = c->hub;

	ws_feed_leave(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	h->nclients--;
	wslay_event_context_free(c->ctx);
	if (c->pending)
		evbuffer_free(c->pending);
	bufferevent_free(c->bev);
	event_free(c->ping);
	event_free(c->linger);
	http_server_release(h->w->http);
	free(c);
}

static void reap(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ws_hub *h = arg;

	for (struct ws_client *c = h->clients, *n; c; c = n) {
		n = c->next;
		if (c->dead)
			client_free(c);
	}
}

/* After wslay has run: close the TCP connection once the WebSocket is finished. */
static void after_wslay(struct ws_client *c)
{
	if (c->dead)
		return;
	if (wslay_event_get_close_sent(c->ctx))
		c->closing = true;
	if (!wslay_event_want_read(c->ctx) && !wslay_event_want_write(c->ctx)) {
		/* Both closes exchanged (or a fatal error): flush what is queued, then drop. */
		bufferevent_disable(c->bev, EV_READ);
		c->closing = true;
		if (!ws_client_queued(c))
			schedule_reap(c);
	}
}

void ws_client_close(struct ws_client *c, uint16_t code, const char *reason)
{
	if (c->closing || c->dead)
		return;
	c->closing = true;
	wslay_event_queue_close(c->ctx, code, (const uint8_t *)reason, reason ? strlen(reason) : 0);
	struct timeval tv = { WS_CLOSE_WAIT_S, 0 };

	evtimer_add(c->linger, &tv);
	if (c->in_recv)
		return;	/* on_read sends it once wslay returns */
	wslay_event_send(c->ctx);
	after_wslay(c);
}

/* A frame wslay would only judge after buffering it: refuse it from its header. */
static void fail_early(struct ws_client *c, uint16_t code, const char *reason)
{
	c->hub->st.protocol_errors++;
	ws_client_close(c, code, reason);
	wslay_event_shutdown_read(c->ctx);
}

/*
 * wslay judges a frame only once its payload arrives, and answers a malformed control frame with
 * an empty close.  Walking the frame headers of the bytes we hand it lets us refuse such frames
 * from the header alone, with the code RFC 6455 asks for.  Returns false after failing c.
 */
static bool sniff(struct ws_client *c, const uint8_t *p, size_t n)
{
	while (n) {
		if (c->payload_left) {
			uint64_t k = c->payload_left < n ? c->payload_left : n;

			c->payload_left -= k;
			p += k;
			n -= (size_t)k;
			continue;
		}
		c->hdr[c->hdr_have++] = *p++;
		n--;
		if (c->hdr_have < 2)
			continue;
		uint8_t l7 = c->hdr[1] & 0x7F;
		size_t need = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0) + ((c->hdr[1] & 0x80) ? 4 : 0);

		if (c->hdr_have < need)
			continue;
		uint64_t len = l7;

		if (l7 == 126)
			len = (uint64_t)c->hdr[2] << 8 | c->hdr[3];
		if (l7 == 127) {
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | c->hdr[2 + i];
		}
		bool fin = c->hdr[0] & 0x80, control = c->hdr[0] & 0x08;
		uint8_t op = c->hdr[0] & 0x0F;

		c->hdr_have = 0;
		c->payload_left = len;
		if (control && (!fin || len > 125)) {
			fail_early(c, WSLAY_CODE_PROTOCOL_ERROR, "bad control frame");
			return false;
		}
		if (op == WSLAY_CONNECTION_CLOSE && len == 1) {
			fail_early(c, WSLAY_CODE_PROTOCOL_ERROR, "1-byte close payload");
			return false;
		}
		if (!control && len > WS_MAX_MSG) {
			fail_early(c, WSLAY_CODE_MESSAGE_TOO_BIG, "message over 64 KiB");
			return false;
		}
	}
	return true;
}

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
		       void *user)
{
	(void)flags;
	struct ws_client *c = user;
	int n = evbuffer_remove(bufferevent_get_input(c->bev), buf, len);

	if (n <= 0 || !sniff(c, buf, (size_t)n)) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	return n;
}

static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
		       void *user)
{
	(void)flags;
	struct ws_client *c = user;

	if (c->dead || evbuffer_add(bufferevent_get_output(c->bev), data, len)) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

static bool close_code_ok(uint16_t code)
{
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

static void on_msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *a,
		   void *user)
{
	(void)ctx;
	struct ws_client *c = user;

	switch (a->opcode) {
	case WSLAY_TEXT_FRAME:
		if (!ws_utf8_valid(a->msg, a->msg_length)) {
			c->hub->st.protocol_errors++;
			ws_client_close(c, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA, "invalid UTF-8");
			return;
		}
		if (!c->closing)
			ws_feed_message(c, a->msg, a->msg_length);
		break;
	case WSLAY_BINARY_FRAME:
		c->hub->st.protocol_errors++;
		ws_client_close(c, WSLAY_CODE_UNSUPPORTED_DATA, "smve.v1 uses text messages");
		break;
	case WSLAY_PONG:
		c->unanswered_pings = 0;
		break;
	case WSLAY_CONNECTION_CLOSE:
		/*
		 * wslay echoes the peer's code after this callback; a reason that is not UTF-8
		 * or a code nobody may send is a protocol error we answer first.
		 */
		if (a->msg_length > 2 && !ws_utf8_valid(a->msg + 2, a->msg_length - 2))
			ws_client_close(c, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA, "");
		else if (a->msg_length >= 2 && !close_code_ok(a->status_code))
			ws_client_close(c, WSLAY_CODE_PROTOCOL_ERROR, "");
		break;
	default:
		break;
	}
}

static const struct wslay_event_callbacks callbacks = {
	.recv_callback = recv_cb,
	.send_callback = send_cb,
	.on_msg_recv_callback = on_msg,
};

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct ws_client *c = arg;

	if (c->dead)
		return;
	c->in_recv = true;
	if (wslay_event_recv(c->ctx) && !c->closing)
		c->hub->st.protocol_errors++;
	c->in_recv = false;
	wslay_event_send(c->ctx);
	if (wslay_event_get_close_sent(c->ctx))
		evbuffer_drain(c->pending, evbuffer_get_length(c->pending));
	else
		evbuffer_add_buffer(bufferevent_get_output(c->bev), c->pending);
	after_wslay(c);
	/* wslay stops reading after a fatal error; whatever else arrives is dropped. */
	if (!wslay_event_want_read(c->ctx)) {
		struct evbuffer *in = bufferevent_get_input(c->bev);

		evbuffer_drain(in, evbuffer_get_length(in));
	}
}

static void on_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct ws_client *c = arg;

	if (c->dead)
		return;
	if (c->closing) {
		if (!ws_client_queued(c) && !wslay_event_want_read(c->ctx))
			schedule_reap(c);
		return;
	}
	ws_feed_drained(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	schedule_reap(arg);
}

static void on_linger(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	schedule_reap(arg);	/* the peer never answered our close */
}

static void on_ping(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ws_client *c = arg;

	if (c->closing || c->dead)
		return;
	if (c->unanswered_pings >= 2) {
		ws_client_close(c, WSLAY_CODE_GOING_AWAY, "no pong to 2 pings");
		return;
	}
	struct wslay_event_msg m = { WSLAY_PING, (const uint8_t *)"smve", 4 };

	wslay_event_queue_msg(c->ctx, &m);
	wslay_event_send(c->ctx);
	c->unanswered_pings++;
	after_wslay(c);
}

static bool key_ok(const char *key)
{
	unsigned char raw[24];

	if (!key || strlen(key) != 24 || key[22] != '=' || key[23] != '=')
		return false;
	for (int i = 0; i < 22; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", key[i]))
			return false;
	return EVP_DecodeBlock(raw, (const unsigned char *)key, 24) == 18;
}

void ws_handle(struct ws_hub *h, struct http_conn *hc, const struct http_request *req)
{
	struct web *w = h->w;
	const char *key = http_field(req, "Sec-WebSocket-Key");
	const char *ver = http_field(req, "Sec-WebSocket-Version");
	char accept[29];
	struct web_identity id;

	if (req->method != HTTP_GET) {
		http_respond_error(hc, 405, "method_not_allowed", "WebSocket handshakes use GET");
		return;
	}
	if (req->minor != 1 || !http_field_has_token(req, "Upgrade", "websocket") ||
	    !http_field_has_token(req, "Connection", "upgrade")) {
		static const char body[] =
			"{\"error\":\"upgrade_required\",\"message\":\"GET /ws is a WebSocket\"}\n";

		http_respond(hc, 426, "application/json", body, sizeof(body) - 1,
			     "Upgrade: websocket\r\n");
		return;
	}
	if (!ver || strcmp(ver, "13")) {
		static const char body[] =
			"{\"error\":\"bad_version\",\"message\":\"Sec-WebSocket-Version 13 only\"}\n";

		http_respond(hc, 426, "application/json", body, sizeof(body) - 1,
			     "Sec-WebSocket-Version: 13\r\n");
		return;
	}
	if (!key_ok(key) || ws_accept_key(key, accept)) {
		http_respond_error(hc, 400, "bad_key", "Sec-WebSocket-Key must be 16 bytes in base64");
		return;
	}
	if (req->content_length || req->chunked) {
		http_respond_error(hc, 400, "bad_request", "a handshake carries no body");
		return;
	}
	if (!web_origin_ok(w, req)) {
		http_respond_error(hc, 403, "bad_origin", "Origin not allowed");
		return;
	}
	web_identify(w, req, &id);
	if (id.role == ROLE_NONE) {
		http_respond_error(hc, 401, "unauthenticated", "log in first");
		return;
	}
	if (!http_field_has_token(req, "Sec-WebSocket-Protocol", "smve.v1")) {
		http_respond_error(hc, 400, "bad_subprotocol", "subprotocol smve.v1 required");
		return;
	}
	struct ws_client *c = calloc(1, sizeof(*c));

	if (!c || wslay_event_context_server_init(&c->ctx, &callbacks, c)) {
		free(c);
		http_respond_error(hc, 503, "busy", "out of memory");
		return;
	}
	c->hub = h;
	c->id = id;
	snprintf(c->peer, sizeof(c->peer), "%s", req->peer);
	c->bev = http_conn_upgrade(hc);
	c->plain_fd = c->bev && !bufferevent_openssl_get_ssl(c->bev) ? bufferevent_getfd(c->bev) : -1;
	c->ping = event_new(w->sm->base, -1, EV_PERSIST, on_ping, c);
	c->linger = evtimer_new(w->sm->base, on_linger, c);
	c->pending = evbuffer_new();
	wslay_event_config_set_max_recv_msg_length(c->ctx, WS_MAX_MSG);
	c->next = h->clients;
	if (h->clients)
		h->clients->prev = c;
	h->clients = c;
	h->nclients++;
	if (!c->ping || !c->linger || !c->pending) {
		schedule_reap(c);
		return;
	}
	evbuffer_add_printf(bufferevent_get_output(c->bev),
			    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
			    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
			    "Sec-WebSocket-Protocol: smve.v1\r\n\r\n", accept);
	struct timeval ping = { w->cfg.ws_ping_s, 0 };

	evtimer_add(c->ping, &ping);
	bufferevent_setwatermark(c->bev, EV_WRITE, ws_soft_bound(h) / 4, 0);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	ws_feed_welcome(c);
	if (evbuffer_get_length(bufferevent_get_input(c->bev)))
		on_read(c->bev, c);
}

static void uring_done(void *user, void *obj, ssize_t res)
{
	ws_client_sent(user, obj, res);
}

void ws_client_send_batched(struct ws_client *c, struct ws_blob *b, size_t queued)
{
	struct ws_uring *u = c->hub->uring;

	if (u && ws_client_direct(c, queued))
		ws_uring_send(u, c->plain_fd, b->data, b->len, c, b);
	else
		ws_client_send_now(c, b, queued);
}

void ws_client_send_batch_end(struct ws_hub *h)
{
	if (h->uring && ws_uring_flush(h->uring)) {
		smved_log(LOG_ERR, "ws: io_uring failed, sending with send() from now on");
		ws_uring_free(h->uring);
		h->uring = NULL;
	}
}

/* Creates or drops the io_uring of the tick sends as ws_io_uring says. */
static void uring_setup(struct ws_hub *h)
{
	if (!h->w->cfg.ws_io_uring) {
		if (h->uring)
			smved_log(LOG_INFO, "ws: ws_io_uring = false: tick sends use send()");
		ws_uring_free(h->uring);
		h->uring = NULL;
	} else if (!h->uring) {
		h->uring = ws_uring_new(uring_done);
		if (!h->uring)
			smved_log(LOG_NOTICE, "ws: io_uring unavailable (%s): tick sends use send()",
				  strerror(errno));
		else
			smved_log(LOG_INFO, "ws: tick sends batched through io_uring");
	}
}

struct ws_hub *ws_hub_new(struct web *w)
{
	struct ws_hub *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->w = w;
	h->reaper = event_new(w->sm->base, -1, 0, reap, h);
	if (!h->reaper || ws_feed_start(h)) {
		if (h->reaper)
			event_free(h->reaper);
		free(h);
		return NULL;
	}
	uring_setup(h);
	return h;
}

void ws_hub_free(struct ws_hub *h)
{
	if (!h)
		return;
	for (struct ws_client *c = h->clients, *next; c; c = next) {
		next = c->next;	/* client_free() unlinks only c */
		/* Best effort: the event loop is stopping, so no reply is awaited. */
		if (!c->closing && !c->dead) {
			wslay_event_queue_close(c->ctx, WSLAY_CODE_GOING_AWAY, (const uint8_t *)"shutdown", 8);
			wslay_event_send(c->ctx);
		}
		client_free(c);
	}
	ws_feed_stop(h);
	ws_uring_free(h->uring);
	event_free(h->reaper);
	free(h);
}

void ws_hub_reconfigure(struct ws_hub *h)
{
	uring_setup(h);
	for (struct ws_client *c = h->clients; c; c = c->next)
		if (!c->dead)
			bufferevent_setwatermark(c->bev, EV_WRITE, ws_soft_bound(h) / 4, 0);
}

void ws_hub_stats(const struct ws_hub *h, struct ws_stats *st)
{
	*st = h->st;
	st->clients = h->nclients;
	st->lagging = 0;
	st->queued_bytes = 0;
	st->pending_points = h->sub ? store_sub_pending(h->sub) : 0;
	for (const struct ws_client *c = h->clients; c; c = c->next) {
		st->lagging += c->lagging;
		st->queued_bytes += ws_client_queued(c);
	}
}
