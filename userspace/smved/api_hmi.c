// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * GET /api/v1/screens, /api/v1/elements?screen=NAME, /api/v1/colors: the station's screens,
 * diagram elements and colour table (screens.csv, eg.csv, color.csv of the points folder) as
 * JSON, so the HMI need not parse sheets.  Each file is read per request: they are small, change
 * with the drawings, and a reload must not need a restart.  Only the listed columns are
 * returned; the sheets may carry others the viewer has no business seeing.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "api.h"
#include "api_hmi.h"
#include "api_query.h"
#include "config.h"
#include "csv.h"
#include "smved.h"

#define HMI_ROWS_MAX	100000u	/* bounds a response, far above any real station */

struct column {
	const char *key;	/* JSON member */
	const char *header;	/* sheet column, case-insensitive */
	bool integer;		/* number when it parses, else null */
};

struct sheet {
	const char *file;
	const struct column *cols;
	size_t ncols;
	const char *filter_col;	/* exact match on this column when filter is set */
	const char *skip_col;	/* rows with "1" here are left out */
};

static const struct column screen_cols[] = {
	{ "name", "name", false }, { "path", "path", false },
	{ "description", "description", false }, { "prefix", "prefix", false },
	{ "parent", "parent", false },
};
static const struct column element_cols[] = {
	{ "tag", "tag", false }, { "description", "description", false },
	{ "text", "text", false }, { "fill", "fill", false }, { "stroke", "stroke", false },
	{ "mark", "mark", false }, { "screen", "screen", false },
	{ "on_click_jump", "on_click_jump", false },
	{ "on_click_text_toggle", "on_click_text_toggle", false },
	{ "linked_text_change", "linked_text_change", false },
};
static const struct column color_cols[] = {
	{ "index", "index", true }, { "name", "name", false }, { "rgb", "rgb", false },
	{ "description", "description", false },
};

static const struct sheet screens_sheet = { "screens.csv", screen_cols,
	sizeof(screen_cols) / sizeof(screen_cols[0]), NULL, NULL };
static const struct sheet elements_sheet = { "eg.csv", element_cols,
	sizeof(element_cols) / sizeof(element_cols[0]), "screen", "disabled" };
static const struct sheet colors_sheet = { "color.csv", color_cols,
	sizeof(color_cols) / sizeof(color_cols[0]), NULL, NULL };

static json_t *cell(const struct column *col, const char *v)
{
	if (col->integer) {
		char *end = NULL;
		long long x = strtoll(v, &end, 10);

		return *v && !*end ? json_integer(x) : json_null();
	}
	return json_string(v);	/* NULL (invalid UTF-8) is dropped by json_object_set_new */
}

/* Column positions of s->cols (-1 when the sheet lacks one), of the filter and skip columns. */
static void map_header(const struct sheet *s, char **f, size_t n, int *pos, int *fpos, int *spos)
{
	*fpos = *spos = -1;
	for (size_t k = 0; k < s->ncols; k++)
		pos[k] = -1;
	for (size_t i = 0; i < n && i < INT_MAX; i++) {
		for (size_t k = 0; k < s->ncols; k++)
			if (pos[k] < 0 && !strcasecmp(f[i], s->cols[k].header))
				pos[k] = (int)i;
		if (s->filter_col && *fpos < 0 && !strcasecmp(f[i], s->filter_col))
			*fpos = (int)i;
		if (s->skip_col && *spos < 0 && !strcasecmp(f[i], s->skip_col))
			*spos = (int)i;
	}
}

static void serve_sheet(struct web *w, struct http_conn *c, const struct sheet *s,
			const char *filter)
{
	const char *dir = w->sm->cfg ? w->sm->cfg->points_dir : "";
	char path[PATH_MAX + 32], err[256], *f[CSV_FIELDS_MAX];
	int pos[CSV_FIELDS_MAX], fpos, spos, r;
	size_t n = 0, rows = 0;
	unsigned line = 0;
	struct csv csv;

	if (!*dir) {
		http_respond_error(c, 404, "not_found", "no points folder configured");
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, s->file);
	if (csv_open(&csv, path, err, sizeof(err)) < 0) {
		/* The path stays in the log: a viewer need not learn the server's layout. */
		smved_log(LOG_WARNING, "api: %s", err);
		http_respond_error(c, 404, "not_found", "sheet not available");
		return;
	}
	r = csv_next(&csv, f, &n, &line);
	if (r > 0)
		map_header(s, f, n, pos, &fpos, &spos);
	json_t *arr = json_array();

	while (r > 0 && (r = csv_next(&csv, f, &n, &line)) > 0) {
		if (filter && (fpos < 0 || (size_t)fpos >= n || strcmp(f[fpos], filter) != 0))
			continue;
		if (spos >= 0 && (size_t)spos < n && !strcmp(f[spos], "1"))
			continue;
		if (++rows > HMI_ROWS_MAX) {
			r = -1;
			snprintf(csv.err, sizeof(csv.err), "%s: more than %u rows", s->file,
				 HMI_ROWS_MAX);
			break;
		}
		json_t *o = json_object();

		for (size_t k = 0; k < s->ncols; k++) {
			const char *v = pos[k] >= 0 && (size_t)pos[k] < n ? f[pos[k]] : "";

			json_object_set_new(o, s->cols[k].key, cell(&s->cols[k], v));
		}
		if (s == &screens_sheet) {
			const char *p = json_string_value(json_object_get(o, "path"));

			if (p && *p && !strstr(p, ".."))
				json_object_set_new(o, "url", json_sprintf("/screens/%s", p));
		}
		json_array_append_new(arr, o);
	}
	if (r < 0) {
		smved_log(LOG_WARNING, "api: %s: %s", s->file, csv.err);
		csv_close(&csv);
		json_decref(arr);
		http_respond_error(c, 500, "bad_sheet", "the sheet cannot be read (see the log)");
		return;
	}
	csv_close(&csv);
	api_reply_json(c, 200, arr, NULL);
}

void api_get_sheet(struct web *w, struct http_conn *c, const struct http_request *req,
		   const char *what)
{
	if (req->method != HTTP_GET && req->method != HTTP_HEAD) {
		http_respond_error(c, 405, "method_not_allowed", "use GET");
		return;
	}
	if (!strcmp(what, "screens")) {
		serve_sheet(w, c, &screens_sheet, NULL);
	} else if (!strcmp(what, "colors")) {
		serve_sheet(w, c, &colors_sheet, NULL);
	} else {
		char screen[128];
		const char *sp = NULL;

		if (api_query_str(c, req->query, "screen", false, screen, sizeof(screen), &sp))
			serve_sheet(w, c, &elements_sheet, sp);
	}
}
