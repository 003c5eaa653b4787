// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Logging and clocks of the smved process.  stderr by default (one line per
 * message, prefixed with the priority so that journald's and a terminal's
 * readers both see the severity), syslog with --syslog.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "smved.h"

static bool log_syslog;
static int log_max = LOG_INFO;

void smved_log_open(bool use_syslog, int max_prio)
{
	if (log_syslog && !use_syslog)
		closelog();
	log_syslog = use_syslog;
	log_max = max_prio;
	if (use_syslog)
		openlog("smved", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void smved_vlog(int prio, const char *fmt, va_list ap)
{
	static const char *const names[] = {
		"emergency", "alert", "critical", "error", "warning", "notice",
		"info", "debug"
	};
	char line[1024];

	if (prio > log_max)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One message, one line: a newline from hostile input must not forge records. */
	for (char *c = line; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	if (log_syslog)
		syslog(prio, "%s", line);
	else
		fprintf(stderr, "smved: %s: %s\n", names[prio & 7], line);
}

void smved_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	smved_vlog(prio, fmt, ap);
	va_end(ap);
}

int64_t smved_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t smved_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#ifndef SMVE_PREFIX
#define SMVE_PREFIX "/usr/local"
#endif

/*
 * The build directory when the binary runs in place as <tree>/<build>/bin/smved
 * and <tree>/web exists: @tree and @build get the two paths.  False otherwise.
 */
static bool in_place(char tree[PATH_MAX], char build[PATH_MAX])
{
	char exe[PATH_MAX], probe[PATH_MAX + 8];
	char *slash;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	slash = strrchr(exe, '/');
	if (!slash || strcmp(slash, "/bin"))
		return false;
	*slash = '\0';
	memcpy(build, exe, strlen(exe) + 1);
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	snprintf(probe, sizeof(probe), "%s/web", exe);
	if (access(probe, R_OK | X_OK) != 0)
		return false;
	memcpy(tree, exe, strlen(exe) + 1);
	return true;
}

const char *smved_default_web_root(void)
{
	static char root[PATH_MAX];
	char tree[PATH_MAX], build[PATH_MAX];

	if (root[0])
		return root;
	snprintf(root, sizeof(root), "%s/share/smve/web", SMVE_PREFIX);
	if (in_place(tree, build)) {
		int n = snprintf(root, sizeof(root), "%s/web", tree);

		if (n < 0 || (size_t)n >= sizeof(root))	/* too long: keep the installed one */
			snprintf(root, sizeof(root), "%s/share/smve/web", SMVE_PREFIX);
	}
	return root;
}

const char *smved_default_vendor_root(void)
{
	static char root[PATH_MAX];
	char tree[PATH_MAX], build[PATH_MAX];

	if (root[0])
		return root;
	snprintf(root, sizeof(root), "%s/share/smve/web-vendor", SMVE_PREFIX);
	if (in_place(tree, build)) {
		int n = snprintf(root, sizeof(root), "%s/web-vendor", build);

		if (n < 0 || (size_t)n >= sizeof(root))	/* too long: keep the installed one */
			snprintf(root, sizeof(root), "%s/share/smve/web-vendor", SMVE_PREFIX);
	}
	return root;
}
