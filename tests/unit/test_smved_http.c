// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The strict HTTP/1.1 request-head parser and its helpers (userspace/smved/http_parse.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "static.h"
#include "tap.h"

static struct http_limits lim;
static struct http_request req;

/* Parses a head given as a C string (copied, the parser writes into it). */
static int parse(const char *text, const char **why)
{
	static char buf[200000];
	size_t n = strlen(text);

	memcpy(buf, text, n + 1);
	return http_parse_head(buf, n, &lim, &req, why);
}

static void test_valid(void)
{
	const char *why;
	int st = parse("GET /api/v1/points?prefix=E4&x=1 HTTP/1.1\r\nHost: a\r\n"
		       "X-Thing:   spaced value  \r\nConnection: keep-alive, Upgrade\r\n\r\n", &why);

	IS(st, 0, "valid GET parses (%s)", why);
	OK(req.method == HTTP_GET && !strcmp(req.method_str, "GET"), "method GET");
	OK(!strcmp(req.path, "/api/v1/points"), "path split at '?'");
	OK(!strcmp(req.query, "prefix=E4&x=1"), "query kept");
	IS(req.minor, 1, "HTTP/1.1");
	IS(req.nfields, 3, "three fields");
	OK(http_field(&req, "x-thing") && !strcmp(http_field(&req, "X-THING"), "spaced value"),
	   "field lookup is case-insensitive and trims OWS");
	OK(http_field_has_token(&req, "Connection", "upgrade"), "token list match");
	OK(!http_field_has_token(&req, "Connection", "close"), "absent token");
	OK(req.keep_alive, "1.1 defaults to keep-alive");

	st = parse("POST /x HTTP/1.0\r\nContent-Length: 12\r\n\r\n", &why);
	IS(st, 0, "HTTP/1.0 without Host is fine");
	IS(req.content_length, 12, "Content-Length read");
	OK(!req.keep_alive, "1.0 defaults to close");
	st = parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &why);
	OK(st == 0 && !req.keep_alive, "Connection: close honoured");
	st = parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", &why);
	OK(st == 0 && req.content_length == 5, "repeated identical Content-Length accepted");
}

static void test_rejects(void)
{
	static const struct { const char *head; int status; const char *what; } v[] = {
		{ "GET / HTTP/1.1\r\n\r\n", 400, "1.1 without Host" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "two Host fields" },
		{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP/2.0 request line" },
		{ "GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400, "garbage after version" },
		{ "GET / http/1.1\r\nHost: a\r\n\r\n", 400, "lower-case protocol name" },
		{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "double space" },
		{ "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "space in target" },
		{ "GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n", 400, "absolute-form target" },
		{ "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400, "asterisk-form target" },
		{ "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "non-token method" },
		{ "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "space before colon" },
		{ "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, "obs-fold" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400, "field without colon" },
		{ "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", 400, "empty field name" },
		{ "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n", 400, "bare LF" },
		{ "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400, "bare CR" },
		{ "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400, "control char in value" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
		  "conflicting Content-Length" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, "negative length" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", 400, "junk length" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413,
		  "overflowing length" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", 413, "body over 1 MiB" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "gzip coding" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
		  400, "Transfer-Encoding with Content-Length" },
		{ "\r\n\r\n", 400, "empty request" },
		{ "GET / HTTP/1.1\r\nHost: a\r\n", 400, "incomplete head" },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *why = NULL;
		int st = parse(v[i].head, &why);

		IS(st, v[i].status, "rejects %s with %d (%s)", v[i].what, v[i].status, why ? why : "");
	}
	/* A NUL inside the head cannot be expressed as a C string literal: build it. */
	char buf[64] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
	const char *why;

	IS(http_parse_head(buf, 29, &lim, &req, &why), 400, "NUL byte in head");
}

static void test_limits(void)
{
	char *big = malloc(100000);
	const char *why;
	size_t o;

	/* Request line exactly at the limit passes, one byte more is 414. */
	o = (size_t)sprintf(big, "GET /");
	memset(big + o, 'a', lim.max_line - o - strlen(" HTTP/1.1\r\n"));
	o = lim.max_line - strlen(" HTTP/1.1\r\n");
	sprintf(big + o, " HTTP/1.1\r\nHost: a\r\n\r\n");
	IS(parse(big, &why), 0, "request line of exactly 8 KiB accepted");
	o = (size_t)sprintf(big, "GET /");
	memset(big + o, 'a', lim.max_line - o - strlen(" HTTP/1.1\r\n") + 1);
	o = lim.max_line - strlen(" HTTP/1.1\r\n") + 1;
	sprintf(big + o, " HTTP/1.1\r\nHost: a\r\n\r\n");
	IS(parse(big, &why), 414, "request line of 8 KiB + 1 refused");

	/* 100 fields pass, 101 do not. */
	o = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 1; i < 100; i++)
		o += (size_t)sprintf(big + o, "X-%d: v\r\n", i);
	sprintf(big + o, "\r\n");
	IS(parse(big, &why), 0, "100 fields accepted");
	sprintf(big + o, "X-last: v\r\n\r\n");
	IS(parse(big, &why), 431, "101 fields refused");

	/* Header section over 32 KiB. */
	o = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
	memset(big + o, 'v', 33000);
	sprintf(big + o + 33000, "\r\n\r\n");
	IS(parse(big, &why), 431, "33 KB field refused");
	free(big);
}

static void test_helpers(void)
{
	char out[64];

	IS(http_pct_decode("/a%20b", 6, out, sizeof(out)), 4, "decode %%20");
	OK(!strcmp(out, "/a b"), "decoded text");
	IS(http_pct_decode("/a%2", 4, out, sizeof(out)), -1, "truncated escape refused");
	IS(http_pct_decode("/a%zz", 5, out, sizeof(out)), -1, "bad hex refused");
	IS(http_pct_decode("/a%00", 5, out, sizeof(out)), -1, "%%00 refused");
	IS(http_pct_decode("/a+b", 4, out, sizeof(out)), 4, "'+' kept in paths");
	IS(http_query_get("a=1&tag=E4%2E1+x&b", "tag", out, sizeof(out)), 6, "query value");
	OK(!strcmp(out, "E4.1 x"), "query value decoded with '+'");
	IS(http_query_get("a=1&b", "b", out, sizeof(out)), 0, "key without value");
	IS(http_query_get("ab=1", "a", out, sizeof(out)), -1, "no prefix match of keys");
	IS(http_query_get("a=%zz", "a", out, sizeof(out)), -2, "malformed value");
	OK(!strcmp(http_reason(431), "Request Header Fields Too Large"), "reason phrase");
}

static void test_static_paths(void)
{
	char out[256];

	IS(static_clean_path("/", out, sizeof(out)), 0, "root");
	OK(!strcmp(out, ""), "root is empty relative path");
	IS(static_clean_path("//js///app.js", out, sizeof(out)), 0, "duplicate slashes");
	OK(!strcmp(out, "js/app.js"), "normalised");
	IS(static_clean_path("/../etc/passwd", out, sizeof(out)), 400, "leading ..");
	IS(static_clean_path("/js/../../etc", out, sizeof(out)), 400, "inner ..");
	IS(static_clean_path("/js/./a", out, sizeof(out)), 400, "dot segment");
	IS(static_clean_path("/.git/config", out, sizeof(out)), 404, "hidden file");
	IS(static_clean_path("/a\\..\\b", out, sizeof(out)), 400, "backslash");
	IS(static_clean_path("/a\x01", out, sizeof(out)), 400, "control char");
	OK(!strcmp(static_mime("a/b.SVG"), "image/svg+xml"), "MIME by extension, any case");
	OK(!strcmp(static_mime("x.js"), "text/javascript; charset=utf-8"), "MIME of ES modules");
	OK(!strcmp(static_mime("noext"), "application/octet-stream"), "unknown MIME");
}

/*
 * Hostile-input sweep: 200,000 random mutations of valid requests (byte flips, inserted CR, LF,
 * NUL, ':' and spaces, cut lines).  Under ASan this catches any out-of-bounds access; every
 * result must be a refusal with a listed status, or a request that honours the invariants.
 */
static void test_mutations(void)
{
	static const char *seeds[] = {
		"GET /api/v1/events?after=1&limit=5 HTTP/1.1\r\nHost: a\r\nCookie: smve_session=x\r\n\r\n",
		"POST /api/v1/login HTTP/1.1\r\nHost: a:1\r\nContent-Type: application/json\r\n"
		"Content-Length: 20\r\nConnection: keep-alive\r\n\r\n",
		"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
	};
	static const char inject[] = "\r\n\0: \t%\x7f\xff";
	static char buf[4096];
	unsigned long long x = 88172645463325252ull;
	unsigned bad = 0, accepted = 0;

	for (int iter = 0; iter < 200000; iter++) {
		const char *seed = seeds[iter % 3];
		size_t n = strlen(seed);

		memcpy(buf, seed, n);
		int muts = 1 + iter % 4;

		for (int m = 0; m < muts && n > 8; m++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			size_t pos = (size_t)(x % (n - 4));

			switch ((x >> 32) % 3) {
			case 0:
				buf[pos] = (char)(x >> 40);
				break;
			case 1:
				buf[pos] = inject[(x >> 40) % (sizeof(inject) - 1)];
				break;
			default:	/* cut: shorten the head, keep the final empty line */
				memmove(buf + pos, buf + n - 4, 4);
				n = pos + 4;
				break;
			}
		}
		memcpy(buf + n - 4, "\r\n\r\n", 4); // NOLINT(bugprone-not-null-terminated-result)
		const char *why = NULL;
		int st = http_parse_head(buf, n, &lim, &req, &why);

		if (st == 0) {
			accepted++;
			if (!req.method_str || !req.path || req.path[0] != '/' || req.nfields > lim.max_fields ||
			    req.content_length > lim.max_body || (req.minor != 0 && req.minor != 1))
				bad++;
		} else if (!(st == 400 || st == 413 || st == 414 || st == 431 || st == 501 || st == 505) ||
			   !why || !*why) {
			bad++;
		}
	}
	IS(bad, 0, "200000 mutated requests: only listed refusals or sane requests (%u accepted)", accepted);
}

int main(void)
{
	http_limits_default(&lim);
	test_valid();
	test_rejects();
	test_limits();
	test_helpers();
	test_static_paths();
	test_mutations();
	return tap_done();
}
