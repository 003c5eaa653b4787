// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* smve-sim: replay of recorded reply frames (see replay.h). */
#include "replay.h"
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* More than any capture we know of; bounds memory for a hostile file. */
#define REPLAY_MAX_FRAMES	100000
#define REPLAY_MAX_LINE		4096

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parse hex bytes; returns the count or -1 with *why set. */
static int parse_hex_line(const char *s, uint8_t *out, const char **why)
{
	int n = 0;

	while (*s) {
		int hi, lo;

		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		hi = hexval((unsigned char)s[0]);
		lo = s[1] ? hexval((unsigned char)s[1]) : -1;
		if (hi < 0 || lo < 0) {
			*why = "not a hex byte";
			return -1;
		}
		if (n >= MARA_QTY_MAX) {
			*why = "more than 253 bytes";
			return -1;
		}
		out[n++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	return n;
}

static void verify(const char *path, unsigned int lineno, const uint8_t *b,
		   int n, const struct mara_layout *layout)
{
	struct mara_frame f;
	struct mara_sections sec;
	struct mara_bind_report rep;
	int err = mara_parse(b, (size_t)n, &f);

	if (err)
		sim_usage_error("%s:%u: invalid frame: %s", path, lineno,
				mara_strerror(-err));
	if (f.cmd != MARA_CMD_POLL)
		sim_usage_error("%s:%u: CMD %02X is not a 0x10 reply", path,
				lineno, f.cmd);
	err = mara_sections_parse(f.payload, f.payload_len, &sec);
	if (err)
		sim_usage_error("%s:%u: malformed sections: %s", path, lineno,
				mara_strerror(-err));
	if (layout && mara_layout_bind(layout, &sec, NULL, &rep) != MARA_BIND_OK)
		sim_usage_error("%s:%u: sections (SV %u, DI %u, AI %u) do not match the layout (SV %u, DI %u, AI %u)",
				path, lineno, rep.sv_actual, rep.di_actual,
				rep.ai_actual, rep.sv_expected, rep.di_expected,
				rep.ai_expected);
}

void replay_load(struct replay *r, const char *path,
		 const struct mara_layout *layout, bool loop)
{
	char line[REPLAY_MAX_LINE];
	unsigned int lineno = 0, cap = 0;
	FILE *f = fopen(path, "r");

	memset(r, 0, sizeof(*r));
	r->loop = loop;
	if (!f) {
		fprintf(stderr, "smve-sim: cannot open replay file '%s': %s\n",
			path, strerror(errno));
		exit(SIM_EXIT_USAGE);
	}
	while (fgets(line, sizeof(line), f)) {
		uint8_t buf[MARA_QTY_MAX];
		const char *why = NULL, *p = line;
		int n;

		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			sim_usage_error("%s:%u: line longer than %d characters",
					path, lineno, REPLAY_MAX_LINE - 1);
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		n = parse_hex_line(p, buf, &why);
		if (n < 0)
			sim_usage_error("%s:%u: %s", path, lineno, why);
		verify(path, lineno, buf, n, layout);
		if (r->count == REPLAY_MAX_FRAMES)
			sim_usage_error("%s: more than %d frames", path,
					REPLAY_MAX_FRAMES);
		if (r->count == cap) {
			cap = cap ? cap * 2 : 64;
			r->frame = realloc(r->frame, cap * sizeof(*r->frame));
			r->len = realloc(r->len, cap);
			if (!r->frame || !r->len)
				sim_fatal(0, "out of memory loading '%s'", path);
		}
		memcpy(r->frame[r->count], buf, (size_t)n);
		r->len[r->count++] = (uint8_t)n;
	}
	if (ferror(f))
		sim_fatal(errno, "reading '%s'", path);
	fclose(f);
	if (!r->count)
		sim_usage_error("%s: no frames", path);
}

void replay_free(struct replay *r)
{
	free(r->frame);
	free(r->len);
	r->frame = NULL;
	r->len = NULL;
}

int replay_next(struct replay *r, uint8_t *out, uint8_t dst, uint8_t src,
		uint8_t seq)
{
	unsigned int len;
	uint16_t bcc;

	if (r->next >= r->count) {
		if (!r->loop)
			return 0;
		r->next = 0;
	}
	len = r->len[r->next];
	memcpy(out, r->frame[r->next], len);
	r->next++;
	r->served++;
	out[2] = dst;
	out[3] = src;
	out[4] = seq;
	bcc = mara_bcc(out, len - MARA_BCC_LEN);
	out[len - 2] = (uint8_t)(bcc >> 8);
	out[len - 1] = (uint8_t)bcc;
	return (int)len;
}
