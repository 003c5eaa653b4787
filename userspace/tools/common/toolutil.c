// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Shared helpers of the command-line tools; see toolutil.h for the contracts. */
#include "toolutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int tool_hex_parse(const char *text, uint8_t *out, size_t cap, size_t *errpos)
{
	size_t i = 0, n = 0;

	while (text[i]) {
		int hi, lo;

		if (is_blank(text[i])) {
			i++;
			continue;
		}
		hi = hex_digit(text[i]);
		if (hi < 0)
			goto bad;
		lo = hex_digit(text[i + 1]);
		if (lo < 0) {
			/* a lone digit is ambiguous ("8" could mean 08 or 80): point at it */
			if (text[i + 1] && !is_blank(text[i + 1]))
				i++;
			goto bad;
		}
		if (n >= cap)
			goto bad;
		out[n++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	if (n > (size_t)INT32_MAX)
		goto bad;
	return (int)n;
bad:
	if (errpos)
		*errpos = i;
	return -1;
}

bool tool_line_is_blank_or_comment(const char *line)
{
	while (is_blank(*line))
		line++;
	return *line == '\0' || *line == '#';
}

int tool_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	const char *digits = s;
	unsigned long v;
	char *end;
	int base = 10;

	if (!s)
		return -1;
	/* base 0 would read "010" as octal 8: only decimal or an explicit 0x prefix */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		digits = s + 2;
		base = 16;
	}
	/* strtoul accepts a sign and leading blanks, which no argument here should have */
	if (base == 16 ? !isxdigit((unsigned char)digits[0]) : !isdigit((unsigned char)digits[0]))
		return -1;
	errno = 0;
	v = strtoul(digits, &end, base);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int tool_parse_seconds(const char *s, uint64_t min_ms, uint64_t max_ms, uint64_t *ms)
{
	uint64_t whole = 0, frac = 0, scale = 1000;
	size_t i = 0;

	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	for (; isdigit((unsigned char)s[i]); i++) {
		whole = whole * 10 + (uint64_t)(s[i] - '0');
		/* a century in seconds is far beyond any sane timer */
		if (whole > 3155760000ull)
			return -1;
	}
	if (s[i] == '.') {
		i++;
		if (!isdigit((unsigned char)s[i]))
			return -1;
		for (; isdigit((unsigned char)s[i]); i++) {
			/* digits below a millisecond are accepted and truncated */
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(s[i] - '0') * scale;
			}
		}
	}
	if (s[i])
		return -1;
	whole = whole * 1000 + frac;
	if (whole < min_ms || whole > max_ms)
		return -1;
	*ms = whole;
	return 0;
}

int tool_split_host_port(const char *s, char *host, size_t hcap, uint16_t *port)
{
	const char *colon, *hend;
	unsigned long p;

	if (s[0] == '[') {
		hend = strchr(s, ']');
		if (!hend)
			return -1;
		s++;
		colon = hend[1] == ':' ? hend + 1 : NULL;
		if (hend[1] && !colon)
			return -1;
	} else {
		colon = strrchr(s, ':');
		/* several colons without brackets: a bare IPv6 address, no port */
		if (colon && strchr(s, ':') != colon)
			colon = NULL;
		hend = colon ? colon : s + strlen(s);
	}
	if (hend == s || (size_t)(hend - s) >= hcap)
		return -1;
	memcpy(host, s, (size_t)(hend - s));
	host[hend - s] = '\0';
	if (colon) {
		if (tool_parse_uint(colon + 1, 1, 65535, &p))
			return -1;
		*port = (uint16_t)p;
	}
	return 0;
}

uint64_t tool_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

char *tool_format_wall_time(char *buf, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	char tmp[32];

	if (cap < 2)
		return buf;
	if (clock_gettime(CLOCK_REALTIME, &ts) || !localtime_r(&ts.tv_sec, &tm) ||
	    !strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S", &tm)) {
		snprintf(buf, cap, "?");
		return buf;
	}
	snprintf(buf, cap, "%s.%03ld", tmp, ts.tv_nsec / 1000000L);
	return buf;
}
