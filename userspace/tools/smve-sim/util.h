/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smve-sim: small shared helpers: diagnostics on stderr, monotonic time,
 * strict number parsing for command-line options.  Nothing here keeps
 * state beyond the verbosity level and the program name.
 */
#ifndef SMVE_SIM_UTIL_H
#define SMVE_SIM_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define NSEC_PER_SEC	1000000000LL
#define NSEC_PER_MSEC	1000000LL
#define NSEC_PER_USEC	1000LL

/* Exit status for every invalid option, layout or file given by the user. */
#define SIM_EXIT_USAGE	2

/* Verbosity: 0 = warnings and errors only, 1 = -v, 2 = -vv. */
extern int sim_verbose;

/* printf-style diagnostics on stderr, prefixed with "smve-sim: ". */
void sim_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sim_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Print "smve-sim: <message>" and a hint to run --help, then exit(2).  Used
 * for every invalid user input so that scripts can tell misuse from
 * runtime failure.
 */
void sim_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* Print a runtime error (with errno text when errnum != 0) and exit(1). */
void sim_fatal(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t sim_mono_ns(void);

/*
 * Strict parsers for option values: the whole string must be consumed and
 * the value must lie in [min, max]; on failure they call sim_usage_error()
 * naming @what.  They never return on bad input.
 */
long long sim_parse_int(const char *s, long long min, long long max,
			const char *what);
uint64_t sim_parse_u64(const char *s, const char *what);
double sim_parse_double(const char *s, double min, double max,
			const char *what);
/* A probability 0..1. */
double sim_parse_prob(const char *s, const char *what);

/* Lower-case hex of @len bytes into @out (capacity >= 2 * len + 1). */
void sim_hex(const uint8_t *p, size_t len, char *out);

/* --- signals ------------------------------------------------------------- */

#include <signal.h>

/* Set by SIGINT/SIGTERM; main loops check it and shut down cleanly. */
extern volatile sig_atomic_t sim_stop;

/*
 * Install the handlers, ignore SIGPIPE, and block SIGINT/SIGTERM so that
 * they are only delivered inside ppoll() with *sim_wait_mask() (no lost
 * wake-up between the check of sim_stop and the wait).
 */
void sim_signals_init(void);
const sigset_t *sim_wait_mask(void);

#endif
