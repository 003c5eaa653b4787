// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Static files from the web root (see static.h for the containment rules). */
#include "static.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct static_root {
	int dirfd;
	char real[PATH_MAX];
	bool no_openat2;	/* kernel without openat2: fall back to realpath checks */
};

struct static_root *static_root_open(const char *dir, char *err, size_t errlen)
{
	struct static_root *r = calloc(1, sizeof(*r));
	struct stat st;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!realpath(dir, r->real) ||
	    (r->dirfd = open(r->real, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(r->dirfd, &st)) {
		snprintf(err, errlen, "web_root %s: %s", dir, strerror(errno));
		free(r);
		return NULL;
	}
	return r;
}

void static_root_close(struct static_root *r)
{
	if (!r)
		return;
	close(r->dirfd);
	free(r);
}

static const struct { const char *ext, *type; } mime[] = {
	{ "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" }, { "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" }, { "json", "application/json" },
	{ "map", "application/json" }, { "svg", "image/svg+xml" }, { "png", "image/png" },
	{ "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" }, { "gif", "image/gif" },
	{ "ico", "image/vnd.microsoft.icon" }, { "webp", "image/webp" }, { "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" }, { "wav", "audio/wav" }, { "woff", "font/woff" },
	{ "woff2", "font/woff2" }, { "ttf", "font/ttf" }, { "txt", "text/plain; charset=utf-8" },
	{ "csv", "text/csv; charset=utf-8" }, { "webmanifest", "application/manifest+json" },
	{ "wasm", "application/wasm" }, { "pdf", "application/pdf" },
};

const char *static_mime(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof(mime) / sizeof(mime[0]); i++)
			if (!strcasecmp(dot + 1, mime[i].ext))
				return mime[i].type;
	return "application/octet-stream";
}

int static_clean_path(const char *p, char *out, size_t cap)
{
	size_t o = 0;

	if (p[0] != '/')
		return 400;
	if (strchr(p, '\\'))
		return 400;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);

		/* ".." and "." are refused, never resolved: a client has no business sending them. */
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return 400;
		if (p[0] == '.')
			return 404;	/* hidden files (.git, .htpasswd...) are never served */
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
				return 400;
		if (o + n + 2 > cap)
			return 404;
		if (o)
			out[o++] = '/';
		memcpy(out + o, p, n);
		o += n;
		p = e;
	}
	out[o] = '\0';
	return 0;
}

static int open_beneath(struct static_root *r, const char *rel)
{
	if (!r->no_openat2) {
		struct open_how how = {
			.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		int fd = (int)syscall(SYS_openat2, r->dirfd, rel, &how, sizeof(how));

		if (fd >= 0 || errno != ENOSYS)
			return fd;
		r->no_openat2 = true;
	}
	char full[PATH_MAX], real[PATH_MAX];
	size_t rl = strlen(r->real);

	if ((size_t)snprintf(full, sizeof(full), "%s/%s", r->real, rel) >= sizeof(full)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!realpath(full, real))
		return -1;
	if (strncmp(real, r->real, rl) || (real[rl] != '/' && real[rl] != '\0')) {
		errno = EXDEV;
		return -1;
	}
	return open(real, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

static void http_date(time_t t, char *buf, size_t cap)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void static_serve(struct static_root *r, struct http_conn *c, const struct http_request *req)
{
	char dec[1024], rel[1024], etag[96], lm[64], hdr[512];
	struct stat st;

	if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		http_respond_error(c, 405, "method_not_allowed", "static files are GET/HEAD only");
		return;
	}
	if (http_pct_decode(req->path, strlen(req->path), dec, sizeof(dec)) < 0) {
		http_respond_error(c, 400, "bad_path", "malformed percent-encoding in path");
		return;
	}
	int st_code = static_clean_path(dec, rel, sizeof(rel));

	if (st_code) {
		http_respond_error(c, st_code, st_code == 404 ? "not_found" : "bad_path",
				   st_code == 404 ? "no such file" : "path not allowed");
		return;
	}
	if (!rel[0])
		strcpy(rel, "index.html");
	int fd = open_beneath(r, rel);

	if (fd >= 0 && !fstat(fd, &st) && S_ISDIR(st.st_mode)) {
		/* A directory: serve its index.html. */
		close(fd);
		size_t l = strlen(rel);

		if (l + sizeof("/index.html") > sizeof(rel)) {
			http_respond_error(c, 404, "not_found", "no such file");
			return;
		}
		strcpy(rel + l, "/index.html");
		fd = open_beneath(r, rel);
	}
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		if (fd < 0 && (e == EXDEV || e == ELOOP || e == EACCES))
			http_respond_error(c, 403, "forbidden", "path leaves the web root");
		else
			http_respond_error(c, 404, "not_found", "no such file");
		return;
	}
	snprintf(etag, sizeof(etag), "\"%lx-%lx-%lx\"", (unsigned long)st.st_ino,
		 (unsigned long)st.st_size, (unsigned long)st.st_mtime);
	http_date(st.st_mtime, lm, sizeof(lm));
	snprintf(hdr, sizeof(hdr), "ETag: %s\r\nLast-Modified: %s\r\nCache-Control: no-cache\r\n",
		 etag, lm);
	const char *inm = http_field(req, "If-None-Match");
	const char *ims = http_field(req, "If-Modified-Since");
	bool fresh = false;

	if (inm) {
		fresh = strstr(inm, etag) != NULL || !strcmp(inm, "*");
	} else if (ims) {
		struct tm tm = { 0 };
		const char *end = strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm);

		fresh = end && !*end && timegm(&tm) >= st.st_mtime;
	}
	if (fresh) {
		close(fd);
		http_respond(c, 304, NULL, NULL, 0, hdr);
		return;
	}
	http_respond_fd(c, 200, static_mime(rel), fd, (size_t)st.st_size, hdr);
}
