// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The hash-chained audit log (userspace/smved/audit.c): append, reopen, and tamper detection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "tap.h"

static char path[128];

static char *slurp(size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);

	*len = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}

static void spit(const char *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	fwrite(buf, 1, len, f);
	fclose(f);
}

int main(void)
{
	char dir[64] = "/tmp/smve-audit-XXXXXX", err[256];
	int64_t t = 1763950000000000LL;

	if (!mkdtemp(dir))
		return 2;
	snprintf(path, sizeof(path), "%s/audit.log", dir);

	struct audit *a = audit_open(path, err, sizeof(err));

	OK(a != NULL, "new log opens (%s)", a ? "" : err);
	IS(audit_log(a, t, "login", "alice", "operator", "10.0.0.1", NULL), 0, "record 1");
	IS(audit_log(a, t + 1000, "ack", "alice", "operator", "10.0.0.1", "{\"event\":7}"), 0, "record 2");
	IS(audit_log(a, t + 2000, "login_failed", "evil\tname\n{", NULL, "::1", "not json"), 0,
	   "record 3 with hostile text");
	OK(audit_open(path, err, sizeof(err)) == NULL && strstr(err, "in use"),
	   "a second writer is refused");
	audit_close(a);

	struct stat st;

	OK(!stat(path, &st) && (st.st_mode & 0777) == 0600, "log is mode 0600");
	IS(audit_verify(path, NULL, err, sizeof(err)), 3, "chain of 3 verifies");
	a = audit_open(path, err, sizeof(err));
	OK(a && audit_records(a) == 3, "reopen continues at 3");
	IS(audit_log(a, t + 3000, "logout", "alice", "operator", "10.0.0.1", NULL), 0, "record 4");
	audit_close(a);
	IS(audit_verify(path, NULL, err, sizeof(err)), 4, "chain of 4 verifies");

	size_t len;
	char *orig = slurp(&len);
	char *copy = malloc(len + 1);
	int lines = 0;

	for (size_t i = 0; i < len; i++)
		lines += orig[i] == '\n';
	IS(lines, 4, "one line per record (hostile text escaped)");
	OK(strstr(orig, "\"prev\":\"0000000000") != NULL, "first record chains to zeros");

	/* Change one character of record 2's content. */
	memcpy(copy, orig, len);
	char *p = strstr(copy, "\"event\":7");

	p[8] = '8';
	spit(copy, len);
	IS(audit_verify(path, NULL, err, sizeof(err)), -1, "altered record detected");
	OK(strstr(err, "line 2") != NULL, "error names line 2 (%s)", err);
	OK(audit_open(path, err, sizeof(err)) == NULL, "daemon refuses to extend a corrupt log");

	/* Remove record 2 entirely. */
	char *l2 = strchr(orig, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
	size_t n = 0;

	memcpy(copy, orig, (size_t)(l2 - orig));
	n = (size_t)(l2 - orig);
	memcpy(copy + n, l3, len - (size_t)(l3 - orig));
	n += len - (size_t)(l3 - orig);
	spit(copy, n);
	IS(audit_verify(path, NULL, err, sizeof(err)), -1, "removed record detected (%s)", err);

	/* Cut the last record in the middle. */
	spit(orig, len - 10);
	IS(audit_verify(path, NULL, err, sizeof(err)), -1, "truncated record detected (%s)", err);

	/* Drop the last record: a valid shorter chain (tail truncation needs an external anchor). */
	char *last = orig + len - 1;

	while (last > orig && last[-1] != '\n')
		last--;
	spit(orig, (size_t)(last - orig));
	IS(audit_verify(path, NULL, err, sizeof(err)), 3, "prefix of a chain still verifies");

	spit(orig, len);
	IS(audit_verify(path, NULL, err, sizeof(err)), 4, "original verifies again");
	free(orig);
	free(copy);
	unlink(path);
	rmdir(dir);
	return tap_done();
}
