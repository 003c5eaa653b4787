// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Incremental decoder of the chunked transfer coding of request bodies (RFC 9112 §7.1).  It is a
 * byte-at-a-time state machine so that a body split anywhere across reads decodes the same, and so
 * that no line is ever buffered: chunk extensions and trailer fields are checked for forbidden
 * bytes, counted against their bounds and dropped.  The chunk size is accumulated against the
 * remaining body budget, so a huge or overlong hexadecimal size is refused before it can overflow.
 */
#include "http.h"

#include <stdlib.h>
#include <string.h>

enum {
	CH_SIZE,	/* hex digits of the chunk size */
	CH_SIZE_WS,	/* BWS after the size, before ';' or CR */
	CH_EXT,		/* chunk extension: ignored up to CR */
	CH_SIZE_LF,	/* CR of the size line seen */
	CH_DATA,
	CH_DATA_CR,	/* CRLF after the chunk data */
	CH_DATA_LF,
	CH_TRAILER,	/* a trailer line (or the final empty line) */
	CH_TRAILER_LF,
	CH_DONE,
};

void http_chunked_init(struct http_chunked *ch, size_t max_body, size_t max_line,
		       size_t max_trailer)
{
	memset(ch, 0, sizeof(*ch));
	ch->state = CH_SIZE;
	ch->max_body = max_body;
	ch->max_line = max_line;
	ch->max_trailer = max_trailer;
}

void http_chunked_free(struct http_chunked *ch)
{
	free(ch->buf);
	ch->buf = NULL;
	ch->len = ch->cap = 0;
}

char *http_chunked_take(struct http_chunked *ch, size_t *len)
{
	char *b = ch->buf;

	if (!b) {
		b = malloc(1);
		if (!b)
			return NULL;
	}
	b[ch->len] = '\0';
	*len = ch->len;
	ch->buf = NULL;
	ch->len = ch->cap = 0;
	return b;
}

static int fail(const char **why, const char *msg, int status)
{
	*why = msg;
	return status;
}

/* Makes room for `n` more body bytes plus the terminating NUL; n fits the body budget already. */
static int reserve(struct http_chunked *ch, size_t n)
{
	size_t need = ch->len + n + 1;

	if (need <= ch->cap)
		return 0;
	size_t cap = ch->cap ? ch->cap : 256;

	while (cap < need)
		cap *= 2;
	if (cap > ch->max_body + 1)
		cap = ch->max_body + 1;
	char *b = realloc(ch->buf, cap);

	if (!b)
		return -1;
	ch->buf = b;
	ch->cap = cap;
	return 0;
}

/* One byte of a size line, extension or trailer: counts it against the line bound. */
static int line_byte(struct http_chunked *ch, size_t bound, const char **why)
{
	if (++ch->line > bound)
		return fail(why, ch->state >= CH_TRAILER ? "chunked trailer section too large"
							 : "chunk size line too long",
			    ch->state >= CH_TRAILER ? 431 : 400);
	return 0;
}

int http_chunked_feed(struct http_chunked *ch, const char *in, size_t len, size_t *used,
		      const char **why)
{
	size_t i = 0;
	int st = 0;

	*why = "";
	while (i < len && ch->state != CH_DONE && !st) {
		unsigned char c = (unsigned char)in[i];

		if (ch->state == CH_DATA) {
			size_t n = len - i < ch->remaining ? len - i : (size_t)ch->remaining;

			if (reserve(ch, n)) {
				st = fail(why, "out of memory", 503);
				break;
			}
			memcpy(ch->buf + ch->len, in + i, n);
			ch->len += n;
			ch->remaining -= n;
			i += n;
			if (!ch->remaining)
				ch->state = CH_DATA_CR;
			continue;
		}
		i++;
		/* Framing bytes are bounded too: 1-byte chunks with long extensions are still work. */
		if (++ch->overhead > (ch->max_body > 65536 ? ch->max_body : 65536)) {
			st = fail(why, "too much chunked framing for the body it carries", 413);
			break;
		}
		if (c == '\r' && ch->state >= CH_SIZE && ch->state <= CH_EXT) {
			/* The end of a size line; its bound counts the bytes before the CRLF. */
			if (ch->state == CH_SIZE && !ch->digits)
				st = fail(why, "chunk size is not hexadecimal", 400);
			ch->state = CH_SIZE_LF;
			continue;
		}
		if (ch->state <= CH_EXT && (st = line_byte(ch, ch->max_line, why)))
			break;
		switch (ch->state) {
		case CH_SIZE: {
			int d = http_hex_digit(c);

			if (d >= 0) {
				/* Bounded by the budget at every digit: cannot overflow. */
				ch->remaining = ch->remaining * 16 + (unsigned)d;
				ch->digits = true;
				if (ch->remaining > ch->max_body - ch->len)
					st = fail(why, "request body too large", 413);
				break;
			}
			if (!ch->digits)
				st = fail(why, "chunk size is not hexadecimal", 400);
			else if (c == ' ' || c == '\t')
				ch->state = CH_SIZE_WS;
			else if (c == ';')
				ch->state = CH_EXT;
			else
				st = fail(why, "bad character after chunk size", 400);
			break;
		}
		case CH_SIZE_WS:
			if (c == ';')
				ch->state = CH_EXT;
			else if (c != ' ' && c != '\t')
				st = fail(why, "bad character after chunk size", 400);
			break;
		case CH_EXT:
			if (c != '\t' && (c < 0x20 || c == 0x7f))
				st = fail(why, "control character in chunk extension", 400);
			break;
		case CH_SIZE_LF:
			if (c != '\n') {
				st = fail(why, "chunk size line not terminated by CRLF", 400);
				break;
			}
			ch->line = 0;
			ch->digits = false;
			ch->state = ch->remaining ? CH_DATA : CH_TRAILER;
			break;
		case CH_DATA_CR:
		case CH_DATA_LF:
			if (c != (ch->state == CH_DATA_CR ? '\r' : '\n'))
				st = fail(why, "chunk data not followed by CRLF", 400);
			else
				ch->state = ch->state == CH_DATA_CR ? CH_DATA_LF : CH_SIZE;
			break;
		case CH_TRAILER:
			if (c == '\r') {
				ch->state = CH_TRAILER_LF;
				break;
			}
			ch->trailer_line = true;
			if ((st = line_byte(ch, ch->max_trailer, why)))
				break;
			if (c != '\t' && (c < 0x20 || c == 0x7f))
				st = fail(why, "control character in trailer field", 400);
			break;
		case CH_TRAILER_LF:
			if (c != '\n') {
				st = fail(why, "trailer line not terminated by CRLF", 400);
				break;
			}
			/* The trailer bound covers the whole section, so `line` keeps counting. */
			ch->state = ch->trailer_line ? CH_TRAILER : CH_DONE;
			ch->trailer_line = false;
			if (ch->state == CH_TRAILER)
				st = line_byte(ch, ch->max_trailer, why);
			break;
		default:
			st = fail(why, "internal decoder state", 500);
			break;
		}
	}
	*used = i;
	if (st)
		return st;
	return ch->state == CH_DONE ? 1 : 0;
}
