// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The chunked request-body decoder (userspace/smved/http_chunked.c) and the Transfer-Encoding
 * rules of the head parser: every body is decoded whole, split in two at every byte position and
 * fed byte by byte, and all three must agree, for valid and malformed bodies alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "tap.h"

#define BIG (1u << 20)

struct result {
	int status;		/* 1 done, 0 incomplete, else the error status */
	size_t used;		/* input bytes consumed in total */
	size_t len;
	char body[256];
};

/* Feeds `in` in pieces starting at the given cut offsets (sorted, may be empty). */
static void decode(const char *in, size_t len, const size_t *cuts, size_t ncuts, size_t max_body,
		   struct result *r)
{
	struct http_chunked ch;
	size_t off = 0;

	http_chunked_init(&ch, max_body, 1024, 32768);
	memset(r, 0, sizeof(*r));
	for (size_t k = 0; k <= ncuts && r->status == 0; k++) {
		size_t end = k < ncuts ? cuts[k] : len, used = 0;
		const char *why;

		r->status = http_chunked_feed(&ch, in + off, end - off, &used, &why);
		r->used += used;
		if (r->status == 0 && used != end - off)
			r->status = -1;		/* "needs more" must consume everything */
		if (r->status > 1 && (!why || !*why))
			r->status = -2;		/* every refusal says why */
		off = end;
	}
	if (r->status == 1) {
		size_t n;
		char *b = http_chunked_take(&ch, &n);

		r->len = n;
		if (b && n < sizeof(r->body) && b[n] == '\0')
			memcpy(r->body, b, n + 1);
		else if (b && n >= sizeof(r->body))
			snprintf(r->body, sizeof(r->body), "(%zu bytes)", n);
		free(b);
	}
	http_chunked_free(&ch);
}

/* Whole, every two-piece split and byte by byte: the same status, consumption and body. */
static bool consistent(const char *in, size_t len, size_t max_body, struct result *whole)
{
	struct result r;
	size_t *cuts = malloc((len + 1) * sizeof(*cuts));
	bool same = true;

	decode(in, len, NULL, 0, max_body, whole);
	for (size_t cut = 1; cut < len && same; cut++) {
		decode(in, len, &cut, 1, max_body, &r);
		same = r.status == whole->status && r.used == whole->used &&
		       r.len == whole->len && !memcmp(r.body, whole->body, sizeof(r.body));
		if (!same)
			tap_diag("split at %zu: status %d used %zu, whole: status %d used %zu", cut,
			     r.status, r.used, whole->status, whole->used);
	}
	for (size_t i = 0; i + 1 < len; i++)
		cuts[i] = i + 1;
	if (same && len > 1) {
		decode(in, len, cuts, len - 1, max_body, &r);
		same = r.status == whole->status && r.used == whole->used && r.len == whole->len &&
		       !memcmp(r.body, whole->body, sizeof(r.body));
	}
	free(cuts);
	return same;
}

static void test_valid(void)
{
	static const char wiki[] =
		"4;ext=1\r\nWiki\r\n5 ; a=\"b c\" ;flag\r\npedia\r\ne\r\n in\r\n\r\nchunks.\r\n"
		"000\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n";
	struct result r;
	char buf[512];

	OK(consistent(wiki, strlen(wiki), BIG, &r), "valid body: every split decodes the same");
	IS(r.status, 1, "complete");
	OK(!strcmp(r.body, "Wiki" "pedia" " in\r\n\r\nchunks."), "decoded body (%zu bytes)", r.len);
	IS(r.used, strlen(wiki), "consumed exactly the body");

	/* The next pipelined request stays in the input. */
	snprintf(buf, sizeof(buf), "%sGET / HTTP/1.1\r\n", wiki);
	OK(consistent(buf, strlen(buf), BIG, &r), "body followed by a request: every split agrees");
	OK(r.status == 1 && r.used == strlen(wiki), "stops at the end of the body (%zu)", r.used);

	OK(consistent("0\r\n\r\n", 5, BIG, &r) && r.status == 1 && r.len == 0, "empty body");
	OK(consistent("A\r\n0123456789\r\n0\r\n\r\n", 20, BIG, &r) && r.len == 10,
	   "upper-case hex size");
	OK(consistent("0010\r\n0123456789abcdef\r\n0\r\n\r\n", 30, 16, &r) && r.status == 1 &&
	   r.len == 16, "body of exactly max_body with leading zeros");
	OK(consistent("5\r\nabc", 6, BIG, &r) && r.status == 0, "truncated body waits for more");
}

static void test_malformed(void)
{
	static const struct { const char *in; int status; const char *what; } v[] = {
		{ "\r\n", 400, "empty size line" },
		{ "x\r\n", 400, "non-hex size" },
		{ "-1\r\n", 400, "negative size" },
		{ "0x5\r\n", 400, "0x prefix" },
		{ " 5\r\nabcde\r\n", 400, "whitespace before the size" },
		{ "5\nabcde\r\n0\r\n\r\n", 400, "bare LF after the size" },
		{ "5\r\rabcde", 400, "CR CR after the size" },
		{ "4\r\nWikiX\r\n", 400, "data longer than the size" },
		{ "4\r\nWik\r\n0\r\n\r\n", 400, "data shorter than the size" },
		{ "4\r\nWiki\n0\r\n\r\n", 400, "bare LF after data" },
		{ "4 x\r\nWiki\r\n", 400, "junk after the size" },
		{ "4;a\x01\r\nWiki\r\n", 400, "control character in an extension" },
		{ "0\r\nX: a\nY: b\r\n\r\n", 400, "bare LF in trailers" },
		{ "0\r\nX: \x02\r\n\r\n", 400, "control character in a trailer" },
		{ "0\r\n\r\r", 400, "bad end of the trailer section" },
		{ "100001\r\n", 413, "one chunk over 1 MiB" },
		{ "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\r\n", 413, "size that would overflow 64 bits" },
		{ "80000\r\n", 0, "512 KiB chunk announced: fine so far" },
	};
	struct result r;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bool same = consistent(v[i].in, strlen(v[i].in), BIG, &r);

		OK(same && r.status == v[i].status, "%s -> %d at every split (got %d)", v[i].what,
		   v[i].status, r.status);
	}
	/* The NUL byte cannot be in a string literal's middle for strlen(): give the length. */
	OK(consistent("4;\0\r\nWiki\r\n", 11, BIG, &r) && r.status == 400, "NUL in an extension");
	OK(consistent("8\r\n12345678\r\n8\r\n12345678\r\n1\r\n", 33, 16, &r) && r.status == 413,
	   "chunks summing past max_body -> 413");
}

static void test_bounds(void)
{
	char *big = malloc(200000);
	struct result r;
	size_t o;

	/* A size line of exactly 1024 bytes (CRLF excluded) passes, 1025 does not. */
	o = (size_t)sprintf(big, "1;");
	memset(big + o, 'e', 1024 - o);
	o = 1024 + (size_t)sprintf(big + 1024, "\r\nx\r\n0\r\n\r\n");
	OK(consistent(big, o, BIG, &r) && r.status == 1, "1 KiB chunk-size line accepted");
	o = (size_t)sprintf(big, "1;");
	memset(big + o, 'e', 1025 - o);
	o = 1025 + (size_t)sprintf(big + 1025, "\r\nx\r\n0\r\n\r\n");
	decode(big, o, NULL, 0, BIG, &r);
	IS(r.status, 400, "1 KiB + 1 chunk-size line refused");

	/* Trailer section over its bound (32 KiB here). */
	o = (size_t)sprintf(big, "0\r\n");
	for (int i = 0; i < 400; i++)
		o += (size_t)sprintf(big + o, "X-%03d: %090d\r\n", i, i);
	o += (size_t)sprintf(big + o, "\r\n");
	decode(big, o, NULL, 0, BIG, &r);
	IS(r.status, 431, "trailer section over 32 KiB -> 431");

	/* 1-byte chunks with long extensions: framing bounded even when the body is small. */
	o = 0;
	for (int i = 0; i < 70; i++) {
		o += (size_t)sprintf(big + o, "1;");
		memset(big + o, 'e', 1000);
		o += 1000;
		o += (size_t)sprintf(big + o, "\r\nx\r\n");
	}
	decode(big, o, NULL, 0, 1000, &r);
	IS(r.status, 413, "70 KB of framing for 70 bytes of body -> 413");
	free(big);
}

/* Transfer-Encoding in the head: the only accepted coding is one chunked, never with a length. */
static void test_head(void)
{
	static const struct { const char *head; int status; bool chunked; const char *what; } v[] = {
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 0, true,
		  "chunked" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  CHUNKED \r\n\r\n", 0, true,
		  "coding names are case-insensitive" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, false,
		  "gzip then chunked" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501, false, "gzip" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", 501, false,
		  "chunked with a parameter" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400,
		  false, "chunked twice" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n", 400, false, "chunked in two fields" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip"
		  "\r\n\r\n", 501, false, "chunked then gzip in a second field" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", 400, false,
		  "empty Transfer-Encoding" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		  400, false, "Content-Length with Transfer-Encoding (smuggling)" },
		{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n",
		  400, false, "Transfer-Encoding with Content-Length 0" },
		{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, false,
		  "Transfer-Encoding in HTTP/1.0" },
	};
	struct http_limits lim;
	struct http_request req;
	static char buf[1024];

	http_limits_default(&lim);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *why = NULL;

		snprintf(buf, sizeof(buf), "%s", v[i].head);
		int st = http_parse_head(buf, strlen(buf), &lim, &req, &why);

		OK(st == v[i].status && (st || req.chunked == v[i].chunked), "%s -> %d (%d: %s)",
		   v[i].what, v[i].status, st, why ? why : "");
	}
}

int main(void)
{
	test_valid();
	test_malformed();
	test_bounds();
	test_head();
	return tap_done();
}
