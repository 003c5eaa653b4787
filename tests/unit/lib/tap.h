/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Minimal TAP producer for the unit tests: one "ok N name" / "not ok N name" line per check, a
 * diagnostic with file and line on failure, and the plan at the end.  The exit status is non-zero
 * when any check failed, so a crash or a failed check can never pass silently.
 */
#ifndef SMVE_TAP_H
#define SMVE_TAP_H

#include <stdbool.h>
#include <stddef.h>

/* Record one check. Returns cond so callers can stop early on failure. */
bool tap_check(bool cond, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Record a check that @got equals @want; on failure print both. Returns the result. */
bool tap_is(long long got, long long want, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Record a skipped check with the reason. */
void tap_skip(const char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print a "# " diagnostic line. */
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the plan and return the process exit status (0 only if nothing failed). */
int tap_done(void);
/* Parse hex bytes ("FE 08 01" or "FE0801"); returns the count or -1 on bad input. */
int tap_hex(const char *text, unsigned char *out, size_t cap);

#define OK(cond, ...) tap_check((cond), __FILE__, __LINE__, __VA_ARGS__)
/* Like OK(got == want), printing both values on failure; each argument is evaluated once. */
#define IS(a, b, ...) tap_is((long long)(a), (long long)(b), __FILE__, __LINE__, __VA_ARGS__)

#endif
