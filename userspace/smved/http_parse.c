// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Strict HTTP/1.1 request-head parser (RFC 9110/9112).  It never allocates and never reads past
 * the given bytes; everything a client can vary is bounded by struct http_limits.  Leniency that
 * has caused request smuggling elsewhere is refused outright: bare LF line ends, obsolete line
 * folding, whitespace before the colon, conflicting Content-Length, Content-Length together
 * with Transfer-Encoding, Transfer-Encoding in HTTP/1.0, and any transfer coding but chunked.
 */
#include "http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void http_limits_default(struct http_limits *l)
{
	l->max_line = 8192;
	l->max_head = 32768;
	l->max_fields = 100;
	l->max_body = 1 << 20;
	l->max_chunk_line = 1024;
	l->header_timeout_ms = 10000;
	l->body_timeout_ms = 30000;
	l->idle_timeout_ms = 15000;
	l->write_timeout_ms = 30000;
	l->max_connections = 1024;
	l->max_pending_output = 256 * 1024;
}

/* RFC 9110 tchar */
static bool is_tchar(unsigned char ch)
{
	return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* field-vchar / obs-text / SP / HTAB: anything but CTLs other than HTAB. */
static bool is_field_char(unsigned char ch)
{
	return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

static const struct { const char *s; enum http_method m; } methods[] = {
	{ "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "POST", HTTP_POST }, { "PUT", HTTP_PUT },
	{ "DELETE", HTTP_DELETE }, { "OPTIONS", HTTP_OPTIONS },
};

static int parse_request_line(char *line, struct http_request *req, const char **why)
{
	char *sp1 = strchr(line, ' ');
	char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;

	if (!sp1 || !sp2 || strchr(sp2 + 1, ' ')) {
		*why = "request line must be 'METHOD target HTTP/1.x'";
		return 400;
	}
	*sp1 = *sp2 = '\0';
	if (!*line || sp1 - line > 16) {
		*why = "bad method";
		return 400;
	}
	for (char *p = line; *p; p++)
		if (!is_tchar((unsigned char)*p)) {
			*why = "bad method";
			return 400;
		}
	req->method_str = line;
	req->method = HTTP_OTHER;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(line, methods[i].s))
			req->method = methods[i].m;

	char *t = sp1 + 1;

	/* Only origin-form: absolute-form is for proxies, authority-form for CONNECT. */
	if (t[0] != '/') {
		*why = "request target must start with '/'";
		return 400;
	}
	for (char *p = t; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '#') {
			*why = "bad character in request target";
			return 400;
		}
	req->target = t;

	const char *v = sp2 + 1;

	if (strncmp(v, "HTTP/", 5) || !isdigit((unsigned char)v[5]) || v[6] != '.' ||
	    !isdigit((unsigned char)v[7]) || v[8]) {
		*why = "bad HTTP version";
		return 400;
	}
	if (v[5] != '1') {
		*why = "only HTTP/1.0 and HTTP/1.1 are supported";
		return 505;
	}
	req->minor = v[7] - '0';
	if (req->minor > 1)
		req->minor = 1;	/* a higher minor version is 1.1-compatible by definition */
	return 0;
}

static int parse_field(char *line, struct http_request *req, const struct http_limits *lim,
		       const char **why)
{
	char *colon = strchr(line, ':');

	if (line[0] == ' ' || line[0] == '\t') {
		*why = "obsolete line folding is not accepted";
		return 400;
	}
	if (!colon || colon == line) {
		*why = "header field without a name";
		return 400;
	}
	for (char *p = line; p < colon; p++)
		if (!is_tchar((unsigned char)*p)) {
			*why = "bad character in header field name";
			return 400;
		}
	*colon = '\0';
	char *v = colon + 1;

	while (*v == ' ' || *v == '\t')
		v++;
	char *end = v + strlen(v);

	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	for (char *p = v; p < end; p++)
		if (!is_field_char((unsigned char)*p)) {
			*why = "control character in header field value";
			return 400;
		}
	if (req->nfields >= lim->max_fields || req->nfields >= HTTP_MAX_FIELDS_CAP) {
		*why = "too many header fields";
		return 431;
	}
	req->fields[req->nfields].name = line;
	req->fields[req->nfields].value = v;
	req->nfields++;
	return 0;
}

/*
 * Next non-empty element of a comma-separated field value (RFC 9110 §5.6.1) with its optional
 * whitespace removed: returns its start and length in *n and advances *p, or NULL at the end.
 */
static const char *next_list_item(const char **p, size_t *n)
{
	const char *q = *p;

	while (*q == ' ' || *q == '\t' || *q == ',')
		q++;
	if (!*q) {
		*p = q;
		return NULL;
	}
	const char *s = q;	/* neither whitespace nor comma: the item is not empty */

	while (*q && *q != ',')
		q++;
	const char *e = q;

	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*p = q;
	*n = (size_t)(e - s);
	return s;
}

/*
 * Transfer-Encoding, over every field line (RFC 9112 §6.1): the codings form one list, and the
 * only one accepted is a single "chunked", which is then necessarily the final coding.
 */
static int check_transfer_coding(struct http_request *req, const char **why)
{
	unsigned chunked = 0, fields = 0;

	for (unsigned i = 0; i < req->nfields; i++) {
		if (strcasecmp(req->fields[i].name, "Transfer-Encoding"))
			continue;
		fields++;
		const char *p = req->fields[i].value, *s;
		size_t n;

		while ((s = next_list_item(&p, &n))) {
			if (n != 7 || strncasecmp(s, "chunked", 7)) {
				*why = "unsupported transfer coding (only chunked is accepted)";
				return 501;
			}
			chunked++;
		}
	}
	if (!fields)
		return 0;
	if (chunked != 1) {
		*why = chunked ? "chunked applied more than once" : "empty Transfer-Encoding";
		return 400;
	}
	if (req->minor == 0) {
		*why = "Transfer-Encoding in an HTTP/1.0 request";
		return 400;
	}
	if (http_field(req, "Content-Length")) {
		*why = "Content-Length together with Transfer-Encoding";
		return 400;
	}
	req->chunked = true;
	return 0;
}

static int check_semantics(struct http_request *req, const struct http_limits *lim,
			   const char **why)
{
	bool have_cl = false;
	int te = check_transfer_coding(req, why);

	if (te)
		return te;
	for (unsigned i = 0; i < req->nfields; i++) {
		const struct http_field *f = &req->fields[i];

		if (strcasecmp(f->name, "Content-Length"))
			continue;
		const char *p = f->value;
		size_t n = 0;

		if (!*p) {
			*why = "empty Content-Length";
			return 400;
		}
		for (; *p; p++) {
			if (!isdigit((unsigned char)*p)) {
				*why = "Content-Length is not a number";
				return 400;
			}
			if (n > (SIZE_MAX - 9) / 10) {
				*why = "Content-Length too large";
				return 413;
			}
			n = n * 10 + (size_t)(*p - '0');
		}
		if (have_cl && n != req->content_length) {
			*why = "conflicting Content-Length fields";
			return 400;
		}
		have_cl = true;
		req->content_length = n;
	}
	if (req->content_length > lim->max_body) {
		*why = "request body too large";
		return 413;
	}
	unsigned hosts = 0;

	for (unsigned i = 0; i < req->nfields; i++)
		hosts += !strcasecmp(req->fields[i].name, "Host");
	if (hosts > 1 || (req->minor == 1 && hosts == 0)) {
		*why = "HTTP/1.1 needs exactly one Host field";
		return 400;
	}
	if (req->minor == 1)
		req->keep_alive = !http_field_has_token(req, "Connection", "close");
	else
		req->keep_alive = http_field_has_token(req, "Connection", "keep-alive");
	return 0;
}

int http_parse_head(char *buf, size_t len, const struct http_limits *lim,
		    struct http_request *req, const char **why)
{
	memset(req, 0, sizeof(*req));
	req->query = "";
	req->body = "";
	*why = "";
	if (len < 4 || memcmp(buf + len - 4, "\r\n\r\n", 4)) {
		*why = "incomplete request head";
		return 400;
	}
	if (memchr(buf, '\0', len)) {
		*why = "NUL byte in request head";
		return 400;
	}
	buf[len - 2] = '\0';	/* the final CRLF; every line below ends with its own CRLF */

	char *line = buf;
	bool first = true;
	size_t head_bytes = 0;

	while (*line) {
		char *eol = strstr(line, "\r\n");

		if (!eol) {
			*why = "line not terminated by CRLF";
			return 400;
		}
		*eol = '\0';
		if (strchr(line, '\r') || strchr(line, '\n')) {
			*why = "bare CR or LF inside a line";
			return 400;
		}
		size_t l = (size_t)(eol - line) + 2;
		int st;

		if (first) {
			if (l > lim->max_line) {
				*why = "request line too long";
				return 414;
			}
			st = parse_request_line(line, req, why);
			first = false;
		} else {
			head_bytes += l;
			if (head_bytes > lim->max_head) {
				*why = "header section too large";
				return 431;
			}
			st = parse_field(line, req, lim, why);
		}
		if (st)
			return st;
		line = eol + 2;
	}
	if (first) {
		*why = "empty request";
		return 400;
	}
	char *q = strchr((char *)req->target, '?');

	/* path and query are views of the target; split a copy-free way by reusing the '?'. */
	if (q) {
		req->query = q + 1;
		*q = '\0';
		req->path = req->target;
	} else {
		req->path = req->target;
	}
	return check_semantics(req, lim, why);
}

const char *http_field(const struct http_request *req, const char *name)
{
	for (unsigned i = 0; i < req->nfields; i++)
		if (!strcasecmp(req->fields[i].name, name))
			return req->fields[i].value;
	return NULL;
}

bool http_field_has_token(const struct http_request *req, const char *name, const char *token)
{
	size_t tl = strlen(token);

	for (unsigned i = 0; i < req->nfields; i++) {
		if (strcasecmp(req->fields[i].name, name))
			continue;
		const char *p = req->fields[i].value, *s;
		size_t n;

		while ((s = next_list_item(&p, &n)))
			if (n == tl && !strncasecmp(s, token, tl))
				return true;
	}
	return false;
}

int http_hex_digit(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static int decode(const char *s, size_t len, char *out, size_t cap, bool plus)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int ch = (unsigned char)s[i];

		if (ch == '%') {
			if (i + 2 >= len)
				return -1;
			int h = http_hex_digit((unsigned char)s[i + 1]);
			int l = http_hex_digit((unsigned char)s[i + 2]);

			if (h < 0 || l < 0)
				return -1;
			ch = h * 16 + l;
			if (!ch)
				return -1;
			i += 2;
		} else if (ch == '+' && plus) {
			ch = ' ';
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return (int)o;
}

int http_pct_decode(const char *s, size_t len, char *out, size_t cap)
{
	return decode(s, len, out, cap, false);
}

int http_query_get(const char *query, const char *key, char *out, size_t cap)
{
	size_t kl = strlen(key);
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t seg = amp ? (size_t)(amp - p) : strlen(p);

		if (seg >= kl && !strncmp(p, key, kl) && (seg == kl || p[kl] == '=')) {
			const char *v = seg == kl ? p + kl : p + kl + 1;
			size_t vl = seg == kl ? 0 : seg - kl - 1;
			int n = decode(v, vl, out, cap, true);

			return n < 0 ? -2 : n;
		}
		p = amp ? amp + 1 : NULL;
	}
	return -1;
}

const char *http_reason(int status)
{
	switch (status) {
	case 101: return "Switching Protocols";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 426: return "Upgrade Required";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}
