/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smved's HTTP/1.1 server: a strict, bounded request parser (http_parse.c) and a connection
 * manager on evconnlistener + bufferevents (http.c), optionally over TLS.  evhttp is not used
 * because the WebSocket upgrade must share the listening port and because its limits are too
 * coarse for hostile clients (no total header deadline, no field count bound).
 *
 * Ownership: the server owns every connection.  A handler receives a request that lives until it
 * has responded (http_respond*) or taken the connection over (http_conn_upgrade); nothing in the
 * request may be kept after that.  Handlers run on the event loop thread and must not block.
 */
#ifndef SMVED_HTTP_H
#define SMVED_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct bufferevent;
struct http_server;
struct http_conn;

#define HTTP_MAX_FIELDS_CAP 100	/* hard upper bound of header fields per request */

/* Limits; http_limits_default() fills the documented defaults (docs/api.md, "Limits"). */
struct http_limits {
	size_t max_line;		/* request line, bytes incl. CRLF (8 KiB) */
	size_t max_head;		/* header fields after the request line, bytes (32 KiB) */
	unsigned max_fields;		/* header fields (100, at most HTTP_MAX_FIELDS_CAP) */
	size_t max_body;		/* request body (1 MiB), decoded when chunked */
	size_t max_chunk_line;		/* chunk-size line incl. extensions, bytes (1 KiB) */
	unsigned header_timeout_ms;	/* whole head must arrive within this (10 s): slowloris */
	unsigned body_timeout_ms;	/* whole body must arrive within this (30 s) */
	unsigned idle_timeout_ms;	/* keep-alive connection with no request (15 s) */
	unsigned write_timeout_ms;	/* a response that the peer does not read (30 s) */
	unsigned max_connections;	/* open HTTP + WebSocket connections (1024) */
	size_t max_pending_output;	/* stop reading pipelined requests above this (256 KiB) */
};

void http_limits_default(struct http_limits *l);

struct http_field {
	const char *name;	/* NUL-terminated, as received (compare case-insensitively) */
	const char *value;	/* NUL-terminated, leading/trailing whitespace removed */
};

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_OPTIONS,
		   HTTP_OTHER };

struct http_request {
	enum http_method method;
	const char *method_str;
	const char *target;	/* request-target as received (origin-form) */
	const char *path;	/* target up to '?', still percent-encoded */
	const char *query;	/* after '?', or "" */
	int minor;		/* HTTP/1.<minor>: 0 or 1 */
	struct http_field fields[HTTP_MAX_FIELDS_CAP];
	unsigned nfields;
	size_t content_length;	/* 0 when absent; the decoded length once a chunked body is in */
	bool chunked;		/* Transfer-Encoding: chunked (the only coding accepted) */
	bool keep_alive;	/* after the version's default and Connection: */
	const char *body;	/* content_length bytes, NUL-terminated copy; "" when none */
	/* Set by the server, not the parser. */
	const char *peer;	/* client address "a.b.c.d" or "v6addr", no port */
	bool tls;
};

/*
 * Parses one request head in place.  `buf` holds exactly `len` bytes ending with the empty line
 * (CRLF CRLF); the parser NUL-terminates tokens inside it, so `req`'s strings point into `buf`.
 * Returns 0, or the HTTP status that rejects the request: 400 malformed (also Content-Length
 * together with Transfer-Encoding, RFC 9112 §6.3, and Transfer-Encoding in HTTP/1.0), 413 body
 * too large, 414 request line too long, 431 header section too large or too many fields, 501
 * a transfer coding other than chunked, 505 unsupported version.  `*why` (static text) says what
 * was wrong.
 */
int http_parse_head(char *buf, size_t len, const struct http_limits *lim,
		    struct http_request *req, const char **why);

/*
 * Incremental decoder of a chunked request body (http_chunked.c).  Bytes may arrive split at any
 * position; extensions and trailers are validated, bounded and dropped.  The decoded body is
 * collected in a buffer the decoder owns until http_chunked_take().  Bounds: decoded body
 * max_body (413), each chunk-size line incl. extensions max_line (400), the trailer section
 * max_trailer (431), framing bytes max(max_body, 64 KiB) (413).  max_body must stay below
 * SIZE_MAX / 16 (the size digits accumulate against it without overflowing).
 */
struct http_chunked {
	int state;
	bool digits, trailer_line;
	size_t remaining;	/* of the current chunk's data, or the size being read */
	size_t line;		/* bytes of the current size line, or of the trailer section */
	size_t overhead;	/* framing bytes so far */
	size_t max_body, max_line, max_trailer;
	char *buf;
	size_t len, cap;
};

void http_chunked_init(struct http_chunked *ch, size_t max_body, size_t max_line,
		       size_t max_trailer);
/*
 * Consumes bytes from in[0..len): *used says how many (less than len only when the body ended
 * or on error; the rest belongs to the next request).  Returns 0 when more input is needed, 1
 * when the last chunk and trailer section are complete, or an HTTP error status with *why.
 */
int http_chunked_feed(struct http_chunked *ch, const char *in, size_t len, size_t *used,
		      const char **why);
/* Hands over the decoded body (NUL-terminated, caller frees) and its length; NULL on ENOMEM. */
char *http_chunked_take(struct http_chunked *ch, size_t *len);
/* Frees whatever the decoder still holds; it may be initialised again afterwards. */
void http_chunked_free(struct http_chunked *ch);

/* Case-insensitive field lookup; NULL if absent.  Repeated fields: the first. */
const char *http_field(const struct http_request *req, const char *name);

/* True if the comma-separated field `name` contains `token` (case-insensitive). */
bool http_field_has_token(const struct http_request *req, const char *name, const char *token);

/* Value of one hexadecimal digit (either case), or -1. */
int http_hex_digit(int ch);

/* Decodes %XX in [s, s+len) into out (cap bytes incl. NUL); rejects %00 and bad escapes.
 * Returns the decoded length or -1. '+' is left alone (this is for paths). */
int http_pct_decode(const char *s, size_t len, char *out, size_t cap);

/* Finds `key` in a query string and decodes its value (also '+' → ' ') into out.
 * Returns the length, -1 when absent, -2 when malformed or too long. */
int http_query_get(const char *query, const char *key, char *out, size_t cap);

/* Status reason phrase ("OK", "Not Found", ...). */
const char *http_reason(int status);

/* ---- server ---------------------------------------------------------------------------- */

typedef void (*http_handler)(struct http_conn *c, struct http_request *req, void *arg);

struct http_server_opts {
	const char *listen;		/* "host:port", "[v6]:port" or "port" (127.0.0.1) */
	const char *tls_cert, *tls_key;	/* both set: TLS on every connection */
	struct http_limits limits;
	http_handler handler;
	void *arg;
};

/* Binds and starts accepting.  NULL with a message in err on failure. */
struct http_server *http_server_new(struct event_base *base, const struct http_server_opts *o,
				    char *err, size_t errlen);
/* Closes the listener and every connection still owned by the server. */
void http_server_free(struct http_server *s);
/* The bound port (useful with port 0 in tests). */
int http_server_port(const struct http_server *s);
/* Open connections, including upgraded ones not yet released. */
unsigned http_server_connections(const struct http_server *s);
bool http_server_tls(const struct http_server *s);
/* An upgraded connection ended: gives its slot back (see http_conn_upgrade). */
void http_server_release(struct http_server *s);
struct http_server *http_conn_server(const struct http_conn *c);

/*
 * Queues a complete response.  `headers` is NULL or extra "Name: value\r\n" lines built by the
 * caller from trusted text.  HEAD requests get the headers only.  Closes the connection after the
 * response when the request or the status demands it.
 */
void http_respond(struct http_conn *c, int status, const char *ctype, const void *body,
		  size_t len, const char *headers);
/* Like http_respond with a file body sent from fd (taken over and closed), `len` bytes. */
void http_respond_fd(struct http_conn *c, int status, const char *ctype, int fd, size_t len,
		     const char *headers);
/* Convenience: {"error":"<code>","message":"<msg>"} with the status. */
void http_respond_error(struct http_conn *c, int status, const char *code, const char *msg);

/*
 * Takes the connection over for a protocol switch: the caller owns the returned bufferevent
 * (already holding any bytes received after the head in its input) and must call
 * http_server_release() when it frees it.  The http_conn is gone after this call.
 */
struct bufferevent *http_conn_upgrade(struct http_conn *c);

#endif
