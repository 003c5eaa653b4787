// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The station's screens under /screens/ (see screens.h).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csv.h"
#include "screens.h"
#include "smved.h"
#include "static.h"

#define SCREENS_MAX	256	/* screens.csv rows honoured; more is not a real station */
#define SCREEN_PATH_MAX	256

struct screens {
	char dir[PATH_MAX];		/* folder the cache was built for, "" none */
	struct timespec mtime;		/* of its screens.csv (0 when absent) */
	bool built;
	struct static_root *root;
	char (*allowed)[SCREEN_PATH_MAX];
	size_t n;
};

static const char *const fixed[] = { "screens.csv", "eg.csv", "color.csv" };

struct screens *screens_new(void)
{
	return calloc(1, sizeof(struct screens));
}

static void reset(struct screens *s)
{
	static_root_close(s->root);
	s->root = NULL;
	free(s->allowed);
	s->allowed = NULL;
	s->n = 0;
	s->built = false;
}

void screens_free(struct screens *s)
{
	if (!s)
		return;
	reset(s);
	free(s);
}

static void allow(struct screens *s, const char *rel)
{
	char clean[SCREEN_PATH_MAX + 1], in[SCREEN_PATH_MAX + 2];
	const char *dot;

	/* Same cleaning as the request path gets, so the comparison is exact. */
	if ((size_t)snprintf(in, sizeof(in), "/%s", rel) >= sizeof(in) ||
	    static_clean_path(in, clean, sizeof(clean)) || !clean[0] ||
	    strlen(clean) >= SCREEN_PATH_MAX)
		return;
	dot = strrchr(clean, '.');
	if (!dot || strcasecmp(dot, ".svg"))
		return;	/* screens are SVG drawings, never other files */
	if (s->n < SCREENS_MAX)
		memcpy(s->allowed[s->n++], clean, strlen(clean) + 1);
}

static void build(struct screens *s, const char *dir, const struct timespec *mt)
{
	char path[PATH_MAX + 16], err[200];
	char *f[CSV_FIELDS_MAX];
	struct csv c;
	size_t nf, col = 0;
	unsigned line;
	int r;

	reset(s);
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->mtime = *mt;
	s->built = true;
	if (!dir[0])
		return;
	s->root = static_root_open(dir, err, sizeof(err));
	s->allowed = calloc(SCREENS_MAX, sizeof(*s->allowed));
	if (!s->root || !s->allowed) {
		smved_log(LOG_WARNING, "/screens/: %s", s->root ? "out of memory" : err);
		reset(s);
		s->built = true;
		return;
	}
	snprintf(path, sizeof(path), "%s/screens.csv", dir);
	if (csv_open(&c, path, err, sizeof(err)) < 0)
		return;	/* no screens: only eg.csv and color.csv */
	for (bool head = true; (r = csv_next(&c, f, &nf, &line)) == 1; head = false) {
		if (head) {
			for (col = 0; col < nf && strcasecmp(f[col], "path"); col++)
				;
			if (col == nf) {
				smved_log(LOG_WARNING, "%s:1: no \"path\" column: no screen served", path);
				break;
			}
			continue;
		}
		if (col < nf && f[col][0])
			allow(s, f[col]);
	}
	if (r < 0)
		smved_log(LOG_WARNING, "%s:%u: %s", path, line, c.err);
	csv_close(&c);
}

static bool allowed(const struct screens *s, const char *rel)
{
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		if (!strcmp(rel, fixed[i]))
			return true;
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(rel, s->allowed[i]))
			return true;
	return false;
}

bool screens_serve(struct screens *s, const char *points_dir, struct http_conn *c,
		   const struct http_request *req)
{
	char path[PATH_MAX + 1040], dec[1024], rel[1024];
	struct timespec mt = { 0, 0 };
	struct stat st;
	struct http_request sub;
	const char *tail = req->path + strlen("/screens");

	snprintf(path, sizeof(path), "%s/screens.csv", points_dir);
	if (points_dir[0] && stat(path, &st) == 0)
		mt = st.st_mtim;
	if (!s->built || strcmp(s->dir, points_dir) || mt.tv_sec != s->mtime.tv_sec ||
	    mt.tv_nsec != s->mtime.tv_nsec)
		build(s, points_dir, &mt);
	if (http_pct_decode(tail, strlen(tail), dec, sizeof(dec)) < 0 ||
	    static_clean_path(dec, rel, sizeof(rel))) {
		http_respond_error(c, 400, "bad_path", "path not allowed");
		return true;
	}
	/* Drawings kept beside the sheets' folder are the web root's business. */
	snprintf(path, sizeof(path), "%s/%s", points_dir, rel);
	if (!s->root || !allowed(s, rel) || stat(path, &st) != 0)
		return false;
	sub = *req;
	sub.path = tail;
	static_serve(s->root, c, &sub);
	return true;
}
