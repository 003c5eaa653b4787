/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Small helpers shared by the command-line tools (smvectl, smve-sim): hex text, numeric
 * arguments, durations and clocks.  Everything here is reentrant, allocates nothing and never
 * prints; callers turn the returned error positions into their own messages.
 */
#ifndef SMVE_TOOLUTIL_H
#define SMVE_TOOLUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parse hex bytes such as "FE 08 01 40" or "FE080140" (pairs of hex digits; blanks, tabs and
 * a trailing newline may separate bytes but never split one).  Writes at most @cap bytes to
 * @out.  Returns the number of bytes, or -1 on bad text with *@errpos (when not NULL) set to the
 * offset of the offending character (or of the byte that would overflow @cap).
 */
int tool_hex_parse(const char *text, uint8_t *out, size_t cap, size_t *errpos);

/* True when @line holds only blanks or is a comment (first non-blank character is '#'). */
bool tool_line_is_blank_or_comment(const char *line);

/*
 * Parse an unsigned integer argument, decimal or 0x-prefixed hex, that must lie in
 * [@min, @max].  Returns 0 and sets *@out, or -1 (not a number, trailing junk, out of range).
 */
int tool_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/*
 * Parse a duration in seconds with an optional fraction ("5", "0.25") into milliseconds, which
 * must lie in [@min_ms, @max_ms].  Returns 0 and sets *@ms, or -1.
 */
int tool_parse_seconds(const char *s, uint64_t min_ms, uint64_t max_ms, uint64_t *ms);

/*
 * Split "HOST[:PORT]" or "[V6ADDR]:PORT" into @host (capacity @hcap, NUL terminated) and *@port
 * (left unchanged when the text has no port).  Returns 0, or -1 (empty host, host too long,
 * bad port, unbalanced brackets).
 */
int tool_split_host_port(const char *s, char *host, size_t hcap, uint16_t *port);

/* CLOCK_MONOTONIC in milliseconds: for timers, never for timestamps. */
uint64_t tool_monotonic_ms(void);

/*
 * Local wall-clock time "YYYY-MM-DD HH:MM:SS.mmm" into @buf (capacity @cap, at least 24).
 * Returns @buf; on failure the buffer holds "?".
 */
char *tool_format_wall_time(char *buf, size_t cap);

#endif
