// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smved's HTTP request-head parser on arbitrary bytes, plus the percent and query decoders on
 * every parsed path and query, plus the chunked body decoder.  The input is a head, optionally
 * followed by CRLF CRLF and body bytes; without the empty line the head is completed as the
 * server would hand it over.  A chunked body is fed in pieces whose sizes come from the body's
 * first byte, so split reads are explored too.  The parser works in place on a private copy;
 * ASan catches any read past it.
 */
#include "../../userspace/smved/http_parse.c" // NOLINT(bugprone-suspicious-include)
#include "../../userspace/smved/http_chunked.c" // NOLINT(bugprone-suspicious-include)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_body(const struct http_limits *lim, const uint8_t *body, size_t len)
{
	struct http_chunked ch;
	size_t piece = len ? 1 + body[0] % 16 : 1, off = 0, used, n;
	const char *why;
	int st = 0;

	http_chunked_init(&ch, 4096, lim->max_chunk_line, 1024);
	while (off < len && st == 0) {
		size_t k = len - off < piece ? len - off : piece;

		st = http_chunked_feed(&ch, (const char *)body + off, k, &used, &why);
		if (used > k || (st == 0 && used != k) || (st > 1 && (!why || !*why)) ||
		    (st > 1 && st != 400 && st != 413 && st != 431 && st != 503))
			abort();
		off += used;
	}
	if (st == 1) {
		char *b = http_chunked_take(&ch, &n);

		if (b && (n > 4096 || b[n]))
			abort();
		free(b);
	}
	http_chunked_free(&ch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_limits lim;
	struct http_request req;
	const char *why = NULL;
	char *buf, out[256];
	const uint8_t *end = size >= 4 ? memmem(data, size, "\r\n\r\n", 4) : NULL;
	size_t hl = end ? (size_t)(end - data) : size;
	int status;

	if (size > 70000)
		return 0;
	buf = malloc(hl + 5);
	if (!buf)
		return 0;
	memcpy(buf, data, hl);
	memcpy(buf + hl, "\r\n\r\n", 5);
	http_limits_default(&lim);
	memset(&req, 0, sizeof(req));
	status = http_parse_head(buf, hl + 4, &lim, &req, &why);
	if (status == 0) {
		if (req.path)
			(void)http_pct_decode(req.path, strlen(req.path), out, sizeof(out));
		if (req.query) {
			(void)http_query_get(req.query, "after", out, sizeof(out));
			(void)http_query_get(req.query, "", out, sizeof(out));
		}
		(void)http_field(&req, "host");
		(void)http_field_has_token(&req, "connection", "upgrade");
		if (req.chunked && req.content_length)
			abort();
		if (req.chunked && end)
			fuzz_body(&lim, end + 4, size - hl - 4);
	} else if (!why || status < 400 || status > 599) {
		abort();
	}
	free(buf);
	return 0;
}
