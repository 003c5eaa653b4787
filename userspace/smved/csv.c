// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* CSV reader; see csv.h.  Fields are unquoted in place: output never outruns input. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"

int csv_open(struct csv *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	size_t got;

	memset(c, 0, sizeof(*c));
	c->line = 1;
	c->field_max = CSV_FIELD_MAX;
	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > CSV_FILE_MAX) {
		snprintf(err, errlen, "not a regular file of at most %u bytes", CSV_FILE_MAX);
		fclose(f);
		return -1;
	}
	c->buf = malloc((size_t)st.st_size + 1);
	if (!c->buf) {
		snprintf(err, errlen, "out of memory");
		fclose(f);
		return -1;
	}
	got = fread(c->buf, 1, (size_t)st.st_size, f);
	fclose(f);
	c->len = got;
	c->buf[got] = '\0';
	if (got >= 3 && !memcmp(c->buf, "\xEF\xBB\xBF", 3))
		c->pos = 3;
	return 0;
}

void csv_close(struct csv *c)
{
	free(c->buf);
	c->buf = NULL;
}

static bool utf8_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char b = s[i];
		size_t k;
		uint32_t cp;

		if (b < 0x80) {
			if (b < 0x20 && b != '\t' && b != '\n' && b != '\r')
				return false;	/* control bytes have no place in a sheet */
			i++;
			continue;
		}
		if ((b & 0xE0) == 0xC0)
			k = 1, cp = b & 0x1F;
		else if ((b & 0xF0) == 0xE0)
			k = 2, cp = b & 0x0F;
		else if ((b & 0xF8) == 0xF0)
			k = 3, cp = b & 0x07;
		else
			return false;
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n || (s[i + j] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + j] & 0x3F);
		}
		/* Overlong forms, surrogates and beyond U+10FFFF are invalid. */
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
		    (k == 3 && cp < 0x10000) || cp > 0x10FFFF ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += k + 1;
	}
	return true;
}

int csv_next(struct csv *c, char *f[CSV_FIELDS_MAX], size_t *n, unsigned *line)
{
	char *p, *end = c->buf + c->len;

	*n = 0;
	/* Skip blank lines. */
	while (c->pos < c->len && (c->buf[c->pos] == '\n' || c->buf[c->pos] == '\r')) {
		if (c->buf[c->pos] == '\n')
			c->line++;
		c->pos++;
	}
	if (c->pos >= c->len)
		return 0;
	*line = c->line;
	p = c->buf + c->pos;
	for (;;) {
		char *out = p, *start = p;

		if (*n == CSV_FIELDS_MAX) {
			snprintf(c->err, sizeof(c->err), "more than %d fields", CSV_FIELDS_MAX);
			return -1;
		}
		if (p < end && *p == '"') {
			p++;
			for (;;) {
				if (p >= end) {
					snprintf(c->err, sizeof(c->err),
						 "quoted field not closed (opened on line %u)", *line);
					return -1;
				}
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						*out++ = '"';
						p += 2;
						continue;
					}
					p++;
					break;
				}
				if (*p == '\n')
					c->line++;
				*out++ = *p++;
			}
			if (p < end && *p != ',' && *p != '\n' && *p != '\r') {
				snprintf(c->err, sizeof(c->err),
					 "text after a closing quote in field %zu", *n + 1);
				return -1;
			}
		} else {
			while (p < end && *p != ',' && *p != '\n' && *p != '\r') {
				if (*p == '"') {
					snprintf(c->err, sizeof(c->err),
						 "quote inside an unquoted field %zu", *n + 1);
					return -1;
				}
				*out++ = *p++;
			}
		}
		if ((size_t)(out - start) > (c->field_max < CSV_FIELD_MAX_LONG ?
						  c->field_max : CSV_FIELD_MAX_LONG)) {
			snprintf(c->err, sizeof(c->err), "field %zu longer than %zu bytes",
				 *n + 1, c->field_max < CSV_FIELD_MAX_LONG ? c->field_max :
				 (size_t)CSV_FIELD_MAX_LONG);
			return -1;
		}
		if (!utf8_ok((const unsigned char *)start, (size_t)(out - start))) {
			snprintf(c->err, sizeof(c->err), "field %zu is not valid UTF-8 text",
				 *n + 1);
			return -1;
		}
		f[(*n)++] = start;
		if (p >= end) {
			*out = '\0';
			break;
		}
		if (*p == ',') {
			*out = '\0';
			p++;
			continue;
		}
		/* End of record: CRLF or LF (a lone CR too). */
		if (*p == '\r' && p + 1 < end && p[1] == '\n') {
			*out = '\0';
			p += 2;
		} else {
			*out = '\0';
			p++;
		}
		c->line++;
		break;
	}
	c->pos = (size_t)(p - c->buf);
	return 1;
}
