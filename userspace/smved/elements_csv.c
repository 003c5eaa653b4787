// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * nguru's element sheets (spec §8.8): color.csv, eg.csv and formulas.csv,
 * as exported from the EstructuraBDD workbook.  Columns are found by header name (case-insensitive),
 * so exports with extra or reordered columns load the same.  Records come
 * from smved's CSV reader (csv.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "csv.h"
#include "elements.h"

/* Every record of @path to @row; a non-zero return from @row stops. */
static int read_sheet(const char *path,
		      int (*row)(void *ctx, unsigned int line, char **f, unsigned int n),
		      void *ctx, char *err, size_t errcap)
{
	struct csv c;
	char *f[CSV_FIELDS_MAX];
	size_t n;
	unsigned int line;
	int rc;

	if (csv_open(&c, path, err, errcap) != 0)
		return -1;
	/*
	 * Formulas may be FORMULA_TEXT_MAX long; twice that lets an over-long
	 * one be refused on its own row instead of stopping the whole sheet.
	 */
	c.field_max = 2 * FORMULA_TEXT_MAX;
	while ((rc = csv_next(&c, f, &n, &line)) == 1) {
		rc = row(ctx, line, f, (unsigned int)n);
		if (rc)
			break;
	}
	if (rc < 0)
		snprintf(err, errcap, "%s", c.err);
	csv_close(&c);
	return rc;
}

/* --- sheets ---------------------------------------------------------------- */

struct sheet {
	struct elements *t;
	const char *file;
	elements_diag_fn diag;
	void *ctx;
	int problems;
	bool header_seen;
	int col[8];		/* column of each wanted name, -1 when absent */
	const char *const *want;
	unsigned int nwant;
};

__attribute__((format(printf, 3, 4)))
static void problem(struct sheet *s, unsigned int line, const char *fmt, ...)
{
	char msg[320];
	int n;
	va_list ap;

	n = line ? snprintf(msg, sizeof(msg), "%s:%u: ", s->file, line)
		 : snprintf(msg, sizeof(msg), "%s: ", s->file);
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	s->problems++;
	if (s->diag)
		s->diag(s->ctx, msg);
}

/* Map the header; false when a required column (marked with '!') is missing. */
static bool header(struct sheet *s, unsigned int line, char **f, unsigned int n)
{
	unsigned int i, j;
	bool ok = true;

	s->header_seen = true;
	for (i = 0; i < s->nwant; i++) {
		const char *w = s->want[i] + (s->want[i][0] == '!');

		s->col[i] = -1;
		for (j = 0; j < n; j++)
			if (strcasecmp(f[j], w) == 0)
				s->col[i] = (int)j;
		if (s->col[i] < 0 && s->want[i][0] == '!') {
			problem(s, line, "missing column '%s'", w);
			ok = false;
		}
	}
	return ok;
}

static const char *cell(const struct sheet *s, char **f, unsigned int n, unsigned int which)
{
	int c = s->col[which];

	return c >= 0 && (unsigned int)c < n ? f[c] : "";
}

/* An integer cell: empty gives @dflt; returns false when malformed. */
static bool int_cell(const char *v, long lo, long hi, long dflt, long *out)
{
	char *end;
	long x;

	while (*v == ' ')
		v++;
	if (!*v) {
		*out = dflt;
		return true;
	}
	errno = 0;
	x = strtol(v, &end, 10);
	/* Spreadsheet exports write integers as "3.0" at times. */
	if (end[0] == '.' && end[1] == '0' && end[2] == '\0')
		end += 2;
	while (*end == ' ')
		end++;
	if (errno || *end || x < lo || x > hi)
		return false;
	*out = x;
	return true;
}

static const char *const color_cols[] = { "!index", "name", "!rgb", "description" };

static int color_row(void *ctx, unsigned int line, char **f, unsigned int n)
{
	struct sheet *s = ctx;
	const char *rgb;
	long idx;
	unsigned int v;
	char extra;

	if (!s->header_seen)
		return header(s, line, f, n) ? 0 : 1;
	rgb = cell(s, f, n, 2);
	if (!int_cell(cell(s, f, n, 0), 0, ELEMENT_COLORS_MAX - 1, -1, &idx) || idx < 0) {
		problem(s, line, "colour index must be 0..%d", ELEMENT_COLORS_MAX - 1);
		return 0;
	}
	if (rgb[0] != '#' || strlen(rgb) != 7 || sscanf(rgb + 1, "%6x%c", &v, &extra) != 1) {
		problem(s, line, "rgb must be #rrggbb, not '%.20s'", rgb);
		return 0;
	}
	elements_set_color(s->t, (unsigned int)idx, v, cell(s, f, n, 1), cell(s, f, n, 3));
	return 0;
}

static const char *const eg_cols[] = {
	"!tag", "description", "text", "fill", "stroke", "mark", "screen", "disabled",
};
/* Optional click columns (§9.6) of newer exports. */
static const char *const eg_click_cols[] = {
	"on_click_jump", "on_click_text_toggle", "linked_text_change", "enabled",
};

struct eg_sheet {
	struct sheet s;
	struct sheet click;
};

static int eg_row(void *ctx, unsigned int line, char **f, unsigned int n)
{
	struct eg_sheet *es = ctx;
	struct sheet *s = &es->s;
	struct element_def d;
	long fill, stroke, mark, dis = 0, en = 1;
	char err[FORMULA_ERR_MAX];

	if (!s->header_seen) {
		header(&es->click, line, f, n);
		return header(s, line, f, n) ? 0 : 1;
	}
	memset(&d, 0, sizeof(d));
	d.tag = cell(s, f, n, 0);
	if (!d.tag[0]) {
		problem(s, line, "row without a tag");
		return 0;
	}
	if (!int_cell(cell(s, f, n, 3), 0, ELEMENT_COLORS_MAX - 1, ELEMENT_NONE, &fill) ||
	    !int_cell(cell(s, f, n, 4), 0, ELEMENT_COLORS_MAX - 1, ELEMENT_NONE, &stroke) ||
	    !int_cell(cell(s, f, n, 5), 0, 15, 0, &mark) ||
	    !int_cell(cell(s, f, n, 7), 0, 1, 0, &dis) ||
	    !int_cell(cell(&es->click, f, n, 3), 0, 1, 1, &en)) {
		problem(s, line, "%s: fill and stroke must be colour indexes, mark 0..15, disabled/enabled 0 or 1",
			d.tag);
		return 0;
	}
	d.description = cell(s, f, n, 1);
	d.text = cell(s, f, n, 2);
	d.fill = (int)fill;
	d.stroke = (int)stroke;
	d.mark = (int)mark;
	d.screen = cell(s, f, n, 6);
	d.on_click_jump = cell(&es->click, f, n, 0);
	d.on_click_text_toggle = cell(&es->click, f, n, 1);
	d.linked_text_change = cell(&es->click, f, n, 2);
	d.enabled = !dis && en;
	d.line = line;
	if (elements_add(s->t, &d, err) < 0)
		problem(s, line, "%s", err);
	return 0;
}

static const char *const formula_cols[] = { "tabla", "!tag", "!atributo", "!formula" };

static int formula_row(void *ctx, unsigned int line, char **f, unsigned int n)
{
	struct sheet *s = ctx;
	const char *tabla, *tag, *attr, *text;
	char err[FORMULA_ERR_MAX];
	int a;

	if (!s->header_seen)
		return header(s, line, f, n) ? 0 : 1;
	tabla = cell(s, f, n, 0);
	tag = cell(s, f, n, 1);
	attr = cell(s, f, n, 2);
	text = cell(s, f, n, 3);
	if (!text[0])
		return 0;	/* the sheet lists every attribute, most without formula */
	if (tabla[0] && strcasecmp(tabla, "eg.") != 0 && strcasecmp(tabla, "eg") != 0) {
		problem(s, line, "formulas of table '%.20s' are not supported (only eg)", tabla);
		return 0;
	}
	for (a = 0; a < EL_ATTRS; a++)
		if (strcasecmp(attr, element_attr_name((enum element_attr)a)) == 0)
			break;
	if (a == EL_ATTRS) {
		problem(s, line, "%s: attribute '%.20s' is not text, fill or stroke", tag, attr);
		return 0;
	}
	if (elements_set_formula(s->t, tag, (enum element_attr)a, text, line, err) < 0)
		problem(s, line, "%s", err);
	return 0;
}

/* §9.4, used when the sheets bring no color.csv. */
static void default_palette(struct elements *t)
{
	static const struct { uint32_t rgb; const char *name, *desc; } pal[] = {
		{ 0xC0C0C0, "gris", "Calificador > 0" }, { 0xFFCC00, "ocre", "Tension 13.2Kv" },
		{ 0xCC99FF, "violeta", "Tension 33KV" }, { 0xFFFFFF, "blanco", "neutro" },
		{ 0xFFFF99, "amarillo", "fondo texto Medidas" }, { 0x3366FF, "azul", "int abierto" },
		{ 0xFF0000, "rojo", "int abierto disparo" }, { 0x000000, "negro", "color de blinking" },
		{ 0xFFFFFF, "blanco", "Color normal texto" }, { 0x99CCFF, "turquesa", "Color tension > 100" },
		{ 0x000000, "negro", "Negro BAK- color FORE blanco" }, { 0x99CC00, "verde", "Otro neutro" },
		{ 0xC0C0C0, "gris", "" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(pal) / sizeof(pal[0]); i++)
		elements_set_color(t, i, pal[i].rgb, pal[i].name, pal[i].desc);
}

static int load_one(struct sheet *s, const char *dir,
		    int (*row)(void *ctx, unsigned int line, char **f, unsigned int n),
		    void *ctx, bool required)
{
	char path[PATH_MAX], err[PATH_MAX + 128];
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, s->file) >= (int)sizeof(path)) {
		problem(s, 0, "path too long");
		return -1;
	}
	if (!required && access(path, F_OK) != 0 && errno == ENOENT)
		return 1;
	rc = read_sheet(path, row, ctx, err, sizeof(err));
	if (rc > 0)
		return -1;	/* stopped by a row handler, which reported why */
	if (rc < 0) {
		problem(s, 0, "%s", err);
		return -1;
	}
	if (!s->header_seen)
		problem(s, 1, "empty sheet");
	return 0;
}

int elements_load_dir(struct elements *t, const char *dir, elements_diag_fn diag, void *ctx)
{
	struct sheet color = { .t = t, .file = "color.csv", .diag = diag, .ctx = ctx,
			       .want = color_cols, .nwant = 4 };
	struct eg_sheet eg = {
		.s = { .t = t, .file = "eg.csv", .diag = diag, .ctx = ctx, .want = eg_cols, .nwant = 8 },
		.click = { .t = t, .file = "eg.csv", .want = eg_click_cols, .nwant = 4 },
	};
	struct sheet form = { .t = t, .file = "formulas.csv", .diag = diag, .ctx = ctx,
			      .want = formula_cols, .nwant = 4 };

	if (load_one(&color, dir, color_row, &color, false) == 1)
		default_palette(t);
	load_one(&eg.s, dir, eg_row, &eg, true);
	load_one(&form, dir, formula_row, &form, false);
	return color.problems + eg.s.problems + form.problems;
}
