// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * HTTP/1.1 connection manager: accepts on one evconnlistener (plain or TLS), reads one request at
 * a time under a whole-head deadline (a slowloris client trickling bytes cannot extend it), hands
 * complete requests to one handler, and closes politely.  Pipelined requests are served in order;
 * reading pauses while a peer does not drain its responses so output cannot grow without bound.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

enum conn_state { ST_IDLE, ST_HEAD, ST_BODY, ST_DISPATCH, ST_CLOSING, ST_LINGER };

struct http_conn {
	struct http_server *srv;
	struct bufferevent *bev;
	struct event *timer;
	struct http_conn *prev, *next;
	enum conn_state st;
	char peer[INET6_ADDRSTRLEN];
	char *head;		/* the current request's head, parsed in place */
	char *body;
	struct http_request req;
	struct http_chunked chunk;	/* the current request's chunked body decoder */
	bool responded, upgraded, close_after;
	size_t scanned;		/* bytes of the current head already searched for its end */
};

struct http_server {
	struct event_base *base;
	struct evconnlistener *lis;
	struct event *resume;	/* re-enables accepting after EMFILE */
	SSL_CTX *ssl;
	struct http_limits lim;
	http_handler handler;
	void *arg;
	struct http_conn *conns;
	unsigned nconns;	/* includes upgraded connections not yet released */
	int port;
};

static void conn_free(struct http_conn *c)
{
	struct http_server *s = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->bev)
		bufferevent_free(c->bev);
	if (!c->upgraded)
		s->nconns--;
	event_free(c->timer);
	free(c->head);
	free(c->body);
	http_chunked_free(&c->chunk);
	free(c);
}

static void arm(struct http_conn *c, unsigned ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(c->timer, &tv);
}

static void add_date(struct evbuffer *out)
{
	char buf[64];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	evbuffer_add_printf(out, "Date: %s\r\n", buf);
}

static bool status_closes(int status)
{
	return status == 400 || status == 408 || status == 413 || status == 414 || status == 417 ||
	       status == 431 || status == 501 || status == 505 || status == 503;
}

static void respond_head(struct http_conn *c, int status, const char *ctype, size_t len,
			 const char *headers)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	c->responded = true;
	if (status_closes(status) || !c->req.keep_alive || c->st != ST_DISPATCH)
		c->close_after = true;
	evbuffer_add_printf(out, "HTTP/1.1 %d %s\r\n", status, http_reason(status));
	add_date(out);
	evbuffer_add_printf(out, "Server: smved\r\nX-Content-Type-Options: nosniff\r\n");
	if (ctype)
		evbuffer_add_printf(out, "Content-Type: %s\r\n", ctype);
	if (status != 304 && status != 204)
		evbuffer_add_printf(out, "Content-Length: %zu\r\n", len);
	if (headers)
		evbuffer_add(out, headers, strlen(headers));
	if (c->close_after)
		evbuffer_add_printf(out, "Connection: close\r\n");
	evbuffer_add(out, "\r\n", 2);
}

static bool wants_body(const struct http_conn *c, int status)
{
	return c->req.method != HTTP_HEAD && status != 304 && status != 204;
}

void http_respond(struct http_conn *c, int status, const char *ctype, const void *body,
		  size_t len, const char *headers)
{
	if (c->responded || c->upgraded)
		return;
	respond_head(c, status, ctype, len, headers);
	if (len && wants_body(c, status))
		evbuffer_add(bufferevent_get_output(c->bev), body, len);
}

void http_respond_fd(struct http_conn *c, int status, const char *ctype, int fd, size_t len,
		     const char *headers)
{
	if (c->responded || c->upgraded) {
		close(fd);
		return;
	}
	respond_head(c, status, ctype, len, headers);
	if (len && wants_body(c, status)) {
		/* evbuffer_add_file takes the fd and uses sendfile where it can. */
		if (evbuffer_add_file(bufferevent_get_output(c->bev), fd, 0, (ev_off_t)len))
			c->close_after = true;	/* headers promised a length we cannot send */
	} else {
		close(fd);
	}
}

void http_respond_error(struct http_conn *c, int status, const char *code, const char *msg)
{
	char buf[512];
	char esc[256];
	size_t o = 0;

	/* msg is server text, but escape it anyway so JSON stays valid whatever it holds. */
	for (const char *p = msg; *p && o + 7 < sizeof(esc); p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '"' || ch == '\\')
			o += (size_t)snprintf(esc + o, sizeof(esc) - o, "\\%c", ch);
		else if (ch < 0x20)
			o += (size_t)snprintf(esc + o, sizeof(esc) - o, "\\u%04x", ch);
		else
			esc[o++] = (char)ch;
	}
	esc[o] = '\0';
	int n = snprintf(buf, sizeof(buf), "{\"error\":\"%s\",\"message\":\"%s\"}\n", code, esc);

	if (n < 0 || (size_t)n >= sizeof(buf))
		n = snprintf(buf, sizeof(buf), "{\"error\":\"%s\"}\n", code);
	http_respond(c, status, "application/json", buf, (size_t)n,
		     status == 405 ? "Allow: GET, HEAD, POST\r\n" : NULL);
}

/* A response to a request we could not parse: no request context, always closes. */
static void reject(struct http_conn *c, int status, const char *why)
{
	c->st = ST_CLOSING;
	c->req.keep_alive = false;
	c->req.method = HTTP_GET;
	http_respond_error(c, status, status == 408 ? "timeout" : "bad_request", why);
}

struct bufferevent *http_conn_upgrade(struct http_conn *c)
{
	struct bufferevent *bev = c->bev;

	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	bufferevent_set_timeouts(bev, NULL, NULL);
	c->bev = NULL;
	c->upgraded = true;
	c->responded = true;
	return bev;
}

static void start_closing(struct http_conn *c)
{
	c->st = ST_CLOSING;
	bufferevent_disable(c->bev, EV_READ);
	arm(c, c->srv->lim.write_timeout_ms);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		bufferevent_trigger(c->bev, EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS);
}

/* Returns false when the connection was handed over (upgrade) and c is gone. */
static bool dispatch(struct http_conn *c)
{
	c->st = ST_DISPATCH;
	c->responded = c->close_after = false;
	c->req.peer = c->peer;
	c->req.tls = c->srv->ssl != NULL;
	evtimer_del(c->timer);
	c->srv->handler(c, &c->req, c->srv->arg);
	if (c->upgraded) {
		conn_free(c);
		return false;
	}
	if (!c->responded)
		http_respond_error(c, 500, "internal", "handler produced no response");
	free(c->head);
	free(c->body);
	c->head = c->body = NULL;
	if (c->close_after) {
		start_closing(c);
		return true;
	}
	c->st = ST_IDLE;
	arm(c, c->srv->lim.idle_timeout_ms);
	return true;
}

enum step { STEP_WAIT, STEP_MORE, STEP_GONE };

static enum step read_head(struct http_conn *c, struct evbuffer *in)
{
	const struct http_limits *l = &c->srv->lim;
	size_t avail = evbuffer_get_length(in);
	/* RFC 9112 2.2: ignore a few empty lines before a request (old clients after a POST). */
	for (int i = 0; i < 4 && avail >= 2; i++) {
		unsigned char two[2];

		evbuffer_copyout(in, two, 2);
		if (two[0] != '\r' || two[1] != '\n')
			break;
		evbuffer_drain(in, 2);
		avail -= 2;
		c->scanned = 0;	/* positions moved */
	}
	if (!avail)
		return STEP_WAIT;
	if (c->st == ST_IDLE) {
		c->st = ST_HEAD;
		arm(c, l->header_timeout_ms);
	}
	size_t cap = l->max_line + l->max_head + 4;
	struct evbuffer_ptr from, end;

	/* Resume the search where the previous read left off: a byte-by-byte trickle stays linear. */
	evbuffer_ptr_set(in, &from, c->scanned > 3 ? c->scanned - 3 : 0, EVBUFFER_PTR_SET);
	end = evbuffer_search(in, "\r\n\r\n", 4, &from);
	c->scanned = avail;

	if (end.pos < 0 || (size_t)end.pos + 4 > cap) {
		struct evbuffer_ptr eol = evbuffer_search(in, "\r\n", 2, NULL);

		if ((eol.pos < 0 && avail > l->max_line) || (eol.pos >= 0 && (size_t)eol.pos + 2 > l->max_line))
			reject(c, 414, "request line too long");
		else if (avail >= cap)
			reject(c, 431, "header section too large");
		else
			return STEP_WAIT;
		start_closing(c);
		return STEP_WAIT;
	}
	size_t hl = (size_t)end.pos + 4;

	c->scanned = 0;
	c->head = malloc(hl + 1);
	if (!c->head) {
		reject(c, 503, "out of memory");
		start_closing(c);
		return STEP_WAIT;
	}
	evbuffer_remove(in, c->head, hl);
	c->head[hl] = '\0';

	const char *why;
	int st = http_parse_head(c->head, hl, l, &c->req, &why);

	if (st) {
		reject(c, st, why);
		start_closing(c);
		return STEP_WAIT;
	}
	if (c->req.content_length || c->req.chunked) {
		const char *expect = http_field(&c->req, "Expect");

		if (expect && strcasecmp(expect, "100-continue")) {
			reject(c, 417, "only Expect: 100-continue is supported");
			start_closing(c);
			return STEP_WAIT;
		}
		/* The body passed every limit already: let a waiting client send it now. */
		if (expect)
			evbuffer_add_printf(bufferevent_get_output(c->bev), "HTTP/1.1 100 Continue\r\n\r\n");
		if (c->req.chunked)
			http_chunked_init(&c->chunk, l->max_body, l->max_chunk_line, l->max_head);
		c->st = ST_BODY;
		arm(c, l->body_timeout_ms);
		return STEP_MORE;
	}
	return dispatch(c) ? STEP_MORE : STEP_GONE;
}

/*
 * Feeds what has arrived of a chunked body to its decoder, one contiguous piece of the input at
 * a time (no copy of the framing).  True once the body is complete and in c->req.
 */
static bool read_chunked(struct http_conn *c, struct evbuffer *in)
{
	size_t n;

	while ((n = evbuffer_get_contiguous_space(in))) {
		const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
		const char *why;
		size_t used = 0;
		int r = p ? http_chunked_feed(&c->chunk, p, n, &used, &why) : 503;

		if (!p)
			why = "out of memory";
		evbuffer_drain(in, used);
		if (r == 0)
			continue;
		if (r == 1) {
			c->body = http_chunked_take(&c->chunk, &c->req.content_length);
			if (c->body) {
				c->req.body = c->body;
				return true;
			}
			r = 503;
			why = "out of memory";
		}
		http_chunked_free(&c->chunk);
		reject(c, r, why);
		start_closing(c);
		return false;
	}
	return false;
}

static void process(struct http_conn *c)
{
	for (;;) {
		struct evbuffer *in = bufferevent_get_input(c->bev);

		if (c->st == ST_CLOSING || c->st == ST_DISPATCH)
			return;
		if (c->st == ST_LINGER) {
			evbuffer_drain(in, evbuffer_get_length(in));
			return;
		}
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) > c->srv->lim.max_pending_output) {
			bufferevent_disable(c->bev, EV_READ);
			return;
		}
		if (c->st == ST_IDLE || c->st == ST_HEAD) {
			if (read_head(c, in) != STEP_MORE)
				return;
			continue;
		}
		/* ST_BODY */
		if (c->req.chunked) {
			if (!read_chunked(c, in) || !dispatch(c))
				return;
			continue;
		}
		size_t need = c->req.content_length;

		if (evbuffer_get_length(in) < need)
			return;
		c->body = malloc(need + 1);
		if (!c->body) {
			reject(c, 503, "out of memory");
			start_closing(c);
			return;
		}
		evbuffer_remove(in, c->body, need);
		c->body[need] = '\0';
		c->req.body = c->body;
		if (!dispatch(c))
			return;
	}
}

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	process(arg);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)))
		return;
	if (c->st == ST_CLOSING) {
		/*
		 * Half-close and drain what the peer still sends for a moment, so that our response
		 * is not destroyed by a TCP reset caused by unread request bytes.
		 */
		if (c->srv->ssl) {
			conn_free(c);
			return;
		}
		shutdown(bufferevent_getfd(bev), SHUT_WR);
		c->st = ST_LINGER;
		bufferevent_enable(bev, EV_READ);
		arm(c, 2000);
		return;
	}
	if (!(bufferevent_get_enabled(bev) & EV_READ) && c->st != ST_LINGER) {
		bufferevent_enable(bev, EV_READ);
		process(c);
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	/* The TLS handshake finishing is reported here too; it is no reason to close. */
	if (what & BEV_EVENT_CONNECTED)
		return;
	/* EOF, error or write timeout: nothing useful can be sent any more. */
	conn_free(arg);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct http_conn *c = arg;

	if (c->st == ST_HEAD || c->st == ST_BODY) {
		reject(c, 408, c->st == ST_HEAD ? "request head not received in time"
						 : "request body not received in time");
		start_closing(c);
		return;
	}
	conn_free(c);	/* idle keep-alive, linger or stuck close */
}

static void refuse(evutil_socket_t fd, bool tls)
{
	static const char busy[] =
		"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
		"Content-Length: 63\r\nRetry-After: 5\r\nConnection: close\r\n\r\n"
		"{\"error\":\"busy\",\"message\":\"too many connections, retry later\"}";

	if (!tls) {
		ssize_t n = send(fd, busy, sizeof(busy) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);

		(void)n;
		shutdown(fd, SHUT_WR);
	}
	evutil_closesocket(fd);
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	(void)lis;
	(void)salen;
	struct http_server *s = arg;

	if (s->nconns >= s->lim.max_connections) {
		refuse(fd, s->ssl != NULL);
		return;
	}
	struct http_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		refuse(fd, s->ssl != NULL);
		return;
	}
	c->srv = s;
	/* Deltas are small and latency-bound: never hold one back waiting for an ACK (Nagle). */
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, c->peer, sizeof(c->peer));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, c->peer, sizeof(c->peer));
	else
		snprintf(c->peer, sizeof(c->peer), "local");
	if (s->ssl) {
		SSL *ssl = SSL_new(s->ssl);

		c->bev = ssl ? bufferevent_openssl_socket_new(s->base, fd, ssl,
							       BUFFEREVENT_SSL_ACCEPTING,
							       BEV_OPT_CLOSE_ON_FREE)
			     : NULL;
		if (c->bev)
			bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
		else if (ssl)
			SSL_free(ssl);
	} else {
		c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	c->timer = evtimer_new(s->base, on_timer, c);
	if (!c->bev || !c->timer) {
		if (c->bev)
			bufferevent_free(c->bev);
		else
			evutil_closesocket(fd);
		if (c->timer)
			event_free(c->timer);
		free(c);
		return;
	}
	s->nconns++;
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	struct timeval wt = { s->lim.write_timeout_ms / 1000, (s->lim.write_timeout_ms % 1000) * 1000 };

	bufferevent_set_timeouts(c->bev, NULL, &wt);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->st = ST_IDLE;
	arm(c, s->lim.idle_timeout_ms);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct http_server *s = arg;

	evconnlistener_enable(s->lis);
}

static void on_accept_error(struct evconnlistener *lis, void *arg)
{
	struct http_server *s = arg;
	int err = EVUTIL_SOCKET_ERROR();

	/* Out of descriptors: pause accepting instead of spinning on the pending connection. */
	if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
		struct timeval tv = { 0, 250000 };

		evconnlistener_disable(lis);
		evtimer_add(s->resume, &tv);
	}
}

static int parse_listen(const char *spec, struct sockaddr_storage *ss, int *sslen)
{
	char buf[300];
	char *end;
	long port = strtol(spec, &end, 10);

	*sslen = sizeof(*ss);
	memset(ss, 0, sizeof(*ss));
	if (*spec && !*end) {
		if (port < 0 || port > 65535)
			return -1;
		snprintf(buf, sizeof(buf), "127.0.0.1:%ld", port);
		spec = buf;
	}
	return evutil_parse_sockaddr_port(spec, (struct sockaddr *)ss, sslen);
}

static SSL_CTX *tls_ctx(const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (!ctx) {
		snprintf(err, errlen, "TLS: cannot create context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		char e[256];

		ERR_error_string_n(ERR_get_error(), e, sizeof(e));
		snprintf(err, errlen, "TLS: cannot load %s / %s: %s", cert, key, e);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

struct http_server *http_server_new(struct event_base *base, const struct http_server_opts *o,
				    char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int sslen;

	if (parse_listen(o->listen ? o->listen : "127.0.0.1:8080", &ss, &sslen)) {
		snprintf(err, errlen, "listen: cannot parse '%s' (use host:port, [v6]:port or port)",
			 o->listen);
		return NULL;
	}
	if (!!o->tls_cert != !!o->tls_key) {
		snprintf(err, errlen, "TLS needs both tls_cert and tls_key");
		return NULL;
	}
	struct http_server *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base = base;
	s->lim = o->limits;
	if (s->lim.max_fields > HTTP_MAX_FIELDS_CAP)
		s->lim.max_fields = HTTP_MAX_FIELDS_CAP;
	s->handler = o->handler;
	s->arg = o->arg;
	if (o->tls_cert && !(s->ssl = tls_ctx(o->tls_cert, o->tls_key, err, errlen))) {
		free(s);
		return NULL;
	}
	s->resume = evtimer_new(base, on_resume, s);
	s->lis = evconnlistener_new_bind(base, on_accept, s,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
					 1024, (struct sockaddr *)&ss, sslen);
	if (!s->lis || !s->resume) {
		snprintf(err, errlen, "listen on %s: %s", o->listen ? o->listen : "127.0.0.1:8080",
			 strerror(errno));
		http_server_free(s);
		return NULL;
	}
	evconnlistener_set_error_cb(s->lis, on_accept_error);
	struct sockaddr_storage bound;
	socklen_t bl = sizeof(bound);

	memset(&bound, 0, sizeof(bound));
	if (!getsockname(evconnlistener_get_fd(s->lis), (struct sockaddr *)&bound, &bl)) {
		struct sockaddr_in6 a6;
		struct sockaddr_in a4;

		if (bound.ss_family == AF_INET6) {
			memcpy(&a6, &bound, sizeof(a6));
			s->port = ntohs(a6.sin6_port);
		} else {
			memcpy(&a4, &bound, sizeof(a4));
			s->port = ntohs(a4.sin_port);
		}
	}
	return s;
}

void http_server_free(struct http_server *s)
{
	if (!s)
		return;
	/* conn_free() unlinks each connection from s->conns (c->srv == s), so this terminates. */
	while (s->conns)
		conn_free(s->conns); // NOLINT(clang-analyzer-unix.Malloc)
	if (s->lis)
		evconnlistener_free(s->lis);
	if (s->resume)
		event_free(s->resume);
	SSL_CTX_free(s->ssl);
	free(s);
}

int http_server_port(const struct http_server *s)
{
	return s->port;
}

unsigned http_server_connections(const struct http_server *s)
{
	return s->nconns;
}

bool http_server_tls(const struct http_server *s)
{
	return s->ssl != NULL;
}

void http_server_release(struct http_server *s)
{
	if (s->nconns)
		s->nconns--;
}

struct http_server *http_conn_server(const struct http_conn *c)
{
	return c->srv;
}
