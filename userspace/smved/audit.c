// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Append-only hash-chained audit log (format in audit.h). */
#include "audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#define HEX_LEN		64
#define MAX_LINE	(64 * 1024)

struct audit {
	int fd;
	uint64_t seq;
	char prev[HEX_LEN + 1];
};

static void sha256_hex(const void *data, size_t len, char out[HEX_LEN + 1])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

/* Checks one line (without its newline) against the chain state; NULL when valid. */
static const char *check_line(char *line, size_t len, uint64_t *seq, char prev[HEX_LEN + 1])
{
	char *tab = memrchr(line, '\t', len);
	char want[HEX_LEN + 1];

	if (!tab || (size_t)(line + len - tab - 1) != HEX_LEN)
		return "not '<json>\\t<sha256>'";
	sha256_hex(line, (size_t)(tab - line), want);
	if (memcmp(want, tab + 1, HEX_LEN))
		return "record hash does not match its content (record altered)";
	json_error_t je;
	json_t *o = json_loadb(line, (size_t)(tab - line), JSON_REJECT_DUPLICATES, &je);
	const char *why = NULL;

	if (!json_is_object(o))
		why = "record is not a JSON object";
	else if (!json_is_string(json_object_get(o, "prev")) ||
		 strcmp(json_string_value(json_object_get(o, "prev")), prev))
		why = "prev does not match the previous record (record removed or reordered)";
	else if (!json_is_integer(json_object_get(o, "seq")) ||
		 (uint64_t)json_integer_value(json_object_get(o, "seq")) != *seq + 1)
		why = "sequence number out of order";
	json_decref(o);
	if (why)
		return why;
	(*seq)++;
	memcpy(prev, tab + 1, HEX_LEN);
	prev[HEX_LEN] = '\0';
	return NULL;
}

/* Walks the file from fd's start; returns records or -1 with err. */
static long verify_fd(int fd, uint64_t *seq, char prev[HEX_LEN + 1], char *err, size_t errlen)
{
	FILE *f = fdopen(dup(fd), "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;

	*seq = 0;
	memset(prev, '0', HEX_LEN);
	prev[HEX_LEN] = '\0';
	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	rewind(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (line[n - 1] != '\n') {
			snprintf(err, errlen, "line %ld: truncated record (no newline)", lineno);
			goto bad;
		}
		if (n > MAX_LINE) {
			snprintf(err, errlen, "line %ld: record longer than %d bytes", lineno, MAX_LINE);
			goto bad;
		}
		const char *why = check_line(line, (size_t)n - 1, seq, prev);

		if (why) {
			snprintf(err, errlen, "line %ld: %s", lineno, why);
			goto bad;
		}
	}
	free(line);
	fclose(f);
	return (long)*seq;
bad:
	free(line);
	fclose(f);
	return -1;
}

struct audit *audit_open(const char *path, char *err, size_t errlen)
{
	char why[256];
	struct audit *a = calloc(1, sizeof(*a));

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (a->fd < 0) {
		snprintf(err, errlen, "audit log %s: %s", path, strerror(errno));
		free(a);
		return NULL;
	}
	if (flock(a->fd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "audit log %s is in use by another process", path);
		close(a->fd);
		free(a);
		errno = EWOULDBLOCK;	/* callers tell "smved is running" from other failures */
		return NULL;
	}
	if (verify_fd(a->fd, &a->seq, a->prev, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "audit log %s is corrupt at %s; refusing to extend it "
			 "(move it aside and keep it as evidence)", path, why);
		goto fail;
	}
	return a;
fail:
	close(a->fd);
	free(a);
	return NULL;
}

void audit_close(struct audit *a)
{
	if (!a)
		return;
	close(a->fd);
	free(a);
}

uint64_t audit_records(const struct audit *a)
{
	return a->seq;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int audit_log(struct audit *a, int64_t now_us, const char *action, const char *user,
	      const char *role, const char *addr, const char *detail)
{
	char ts[40], hash[HEX_LEN + 1];
	time_t t = (time_t)(now_us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	size_t l = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	snprintf(ts + l, sizeof(ts) - l, ".%03dZ", (int)(now_us % 1000000 / 1000));
	json_t *d = detail ? json_loads(detail, 0, NULL) : json_null();

	if (!d)
		d = json_string(detail);
	json_t *o = json_pack("{s:I,s:s,s:s,s:o,s:o,s:o,s:o,s:s}", "seq", (json_int_t)a->seq + 1,
			      "time", ts, "action", action, "user", str_or_null(user), "role",
			      str_or_null(role), "addr", str_or_null(addr), "detail", d, "prev",
			      a->prev);
	/* JSON_ENSURE_ASCII: user-controlled text cannot smuggle a raw tab or newline. */
	char *js = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	json_decref(o);
	if (!js)
		return -1;
	size_t jl = strlen(js);
	char *line = malloc(jl + HEX_LEN + 2);

	if (!line) {
		free(js);
		return -1;
	}
	sha256_hex(js, jl, hash);
	/* a length-delimited record line ("<json>\t<hash>\n"), written with its length */
	memcpy(line, js, jl); // NOLINT(bugprone-not-null-terminated-result)
	line[jl] = '\t';
	memcpy(line + jl + 1, hash, HEX_LEN);
	line[jl + 1 + HEX_LEN] = '\n';
	free(js);
	size_t total = jl + HEX_LEN + 2;
	ssize_t w = write(a->fd, line, total);

	free(line);
	if (w != (ssize_t)total || fdatasync(a->fd)) {
		/* A partial record would break the chain: cut it off again. */
		if (w > 0) {
			struct stat st;

			if (!fstat(a->fd, &st) && ftruncate(a->fd, st.st_size - w))
				return -1;
		}
		return -1;
	}
	a->seq++;
	memcpy(a->prev, hash, sizeof(hash));
	return 0;
}

long audit_verify(const char *path, FILE *out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint64_t seq;
	char prev[HEX_LEN + 1];
	char why[256];

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	long n = verify_fd(fd, &seq, prev, why, sizeof(why));

	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	if (out)
		fprintf(out, "%s: %ld records, chain intact, last hash %s\n", path, n, prev);
	return n;
}
