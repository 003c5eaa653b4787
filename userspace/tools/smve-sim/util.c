// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* smve-sim: diagnostics, time and strict option parsing. */
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sim_verbose;

static void sim_vlog(const char *tag, const char *fmt, va_list ap)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "smve-sim[%lld.%03ld]: %s", (long long)ts.tv_sec,
		ts.tv_nsec / 1000000, tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void sim_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > sim_verbose)
		return;
	va_start(ap, fmt);
	sim_vlog("", fmt, ap);
	va_end(ap);
}

void sim_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sim_vlog("warning: ", fmt, ap);
	va_end(ap);
}

void sim_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("smve-sim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'smve-sim --help' for more information.\n", stderr);
	exit(SIM_EXIT_USAGE);
}

void sim_fatal(int errnum, const char *fmt, ...)
{
	va_list ap;

	fputs("smve-sim: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (errnum)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
	exit(1);
}

int64_t sim_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static int base_of(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	return s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10;
}

long long sim_parse_int(const char *s, long long min, long long max,
			const char *what)
{
	char *end;
	long long v;

	errno = 0;
	/* Decimal, or hex with 0x: a leading zero must not mean octal. */
	v = strtoll(s, &end, base_of(s));
	if (!*s || *end || errno)
		sim_usage_error("%s: '%s' is not an integer", what, s);
	if (v < min || v > max)
		sim_usage_error("%s: %lld is outside %lld..%lld", what, v, min,
				max);
	return v;
}

uint64_t sim_parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s == '-')
		sim_usage_error("%s: '%s' must not be negative", what, s);
	v = strtoull(s, &end, base_of(s));
	if (!*s || *end || errno)
		sim_usage_error("%s: '%s' is not an unsigned integer", what, s);
	return v;
}

double sim_parse_double(const char *s, double min, double max,
			const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v))
		sim_usage_error("%s: '%s' is not a number", what, s);
	if (v < min || v > max)
		sim_usage_error("%s: %g is outside %g..%g", what, v, min, max);
	return v;
}

double sim_parse_prob(const char *s, const char *what)
{
	return sim_parse_double(s, 0.0, 1.0, what);
}

void sim_hex(const uint8_t *p, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}

volatile sig_atomic_t sim_stop;
static sigset_t wait_mask;

static void on_signal(int sig)
{
	(void)sig;
	sim_stop = 1;
}

void sim_signals_init(void)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
}

const sigset_t *sim_wait_mask(void)
{
	return &wait_mask;
}
