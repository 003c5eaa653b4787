// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Loading nguru's point sheets (the CSV export of its EstructuraBDD
 * workbook, spec §8.3-§8.6) and checking them against the concentrators'
 * layouts.  What the real E4 export taught (shared/data/e4):
 *  - ied.csv can_varsys/can_dis/can_ais count BYTES (6 DI bytes = 3 words);
 *  - ai.csv and varsys.csv `offset` is the 1-based position in the
 *    concentrator's whole AI / SV array, not within the IED;
 *  - di.csv port/bit are within the IED; rows with an empty tag are spares;
 *  - the sheet may list an IED that replies do not carry yet (the 12th E4
 *    IED): a layout taken from the sheet then runs short, which the source
 *    reports at run time while binding what is there.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "sheets_int.h"

struct load {
	struct smved_config *c;
	struct sheets *sh;
	config_diag_fn diag;
	void *ctx;
	int errors;
	size_t pts_cap;
};

static void __attribute__((format(printf, 4, 5)))
lerr(struct load *l, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[512], full[PATH_MAX + 700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(full, sizeof(full), "%s/%s:%u: %s", l->sh->dir, file, line, msg);
	else
		snprintf(full, sizeof(full), "%s/%s: %s", l->sh->dir, file, msg);
	l->diag(l->ctx, full);
	l->errors++;
}

/* --- generic table reading ------------------------------------------------------- */

struct column {
	const char *name;
	bool required;
};

struct table {
	const char *file;
	const struct column *cols;
	size_t ncols;
	int map[CSV_FIELDS_MAX];	/* CSV field -> column index, -1 ignored */
	struct csv csv;
	char *f[CSV_FIELDS_MAX];
	size_t nf;
	unsigned line;
	const char *val[CSV_FIELDS_MAX];	/* by column index ("" when absent) */
};

/* Open and read the header.  1 ready, 0 file absent (not an error), -1 error. */
static int table_open(struct load *l, struct table *t, bool required)
{
	char path[PATH_MAX + 32], err[160];
	bool seen[CSV_FIELDS_MAX] = { false };
	int r;

	snprintf(path, sizeof(path), "%s/%s", l->sh->dir, t->file);
	if (csv_open(&t->csv, path, err, sizeof(err)) < 0) {
		if (!required && errno == ENOENT)
			return 0;
		lerr(l, t->file, 0, "%s", err);
		return -1;
	}
	r = csv_next(&t->csv, t->f, &t->nf, &t->line);
	if (r <= 0) {
		lerr(l, t->file, t->line, "%s", r < 0 ? t->csv.err : "empty file (no header)");
		csv_close(&t->csv);
		return -1;
	}
	for (size_t i = 0; i < t->nf; i++) {
		t->map[i] = -1;
		for (size_t k = 0; k < t->ncols; k++) {
			if (!strcasecmp(t->f[i], t->cols[k].name)) {
				if (seen[k])
					lerr(l, t->file, t->line, "column \"%s\" appears twice", t->f[i]);
				seen[k] = true;
				t->map[i] = (int)k;
			}
		}
		if (t->map[i] < 0)
			lerr(l, t->file, t->line, "unknown column \"%s\"", t->f[i]);
	}
	for (size_t k = 0; k < t->ncols; k++)
		if (t->cols[k].required && !seen[k])
			lerr(l, t->file, t->line, "required column \"%s\" missing", t->cols[k].name);
	return 1;
}

/* Next data row into t->val.  1, 0 at the end, -1 on a CSV error (reported). */
static int table_row(struct load *l, struct table *t)
{
	int r = csv_next(&t->csv, t->f, &t->nf, &t->line);

	if (r < 0) {
		lerr(l, t->file, t->line, "%s", t->csv.err);
		return -1;
	}
	if (!r)
		return 0;
	for (size_t k = 0; k < t->ncols; k++)
		t->val[k] = "";
	for (size_t i = 0; i < t->nf; i++)
		if (t->map[i] >= 0)
			t->val[t->map[i]] = t->f[i];
	return 1;
}

/* Integer cell: empty gives @dflt; junk or out of range is an error (returns false). */
static bool cell_int(struct load *l, struct table *t, size_t col, long min,
		     long max, long dflt, long *out)
{
	const char *s = t->val[col];
	char *end;
	long v;

	if (!*s) {
		*out = dflt;
		return true;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	/* Spreadsheets export whole numbers as "3.0" now and then. */
	if (end != s && !strcmp(end, ".0"))
		end += 2;
	if (errno || *end || v < min || v > max) {
		lerr(l, t->file, t->line, "%s: \"%s\" is not an integer in %ld..%ld",
		     t->cols[col].name, s, min, max);
		return false;
	}
	*out = v;
	return true;
}

static bool cell_num(struct load *l, struct table *t, size_t col, double *out)
{
	const char *s = t->val[col];
	char *end;
	double v;

	if (!*s) {
		*out = 0;
		return true;
	}
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v > -1e12 && v < 1e12)) {
		lerr(l, t->file, t->line, "%s: \"%s\" is not a number", t->cols[col].name, s);
		return false;
	}
	*out = v;
	return true;
}

/* --- the sheets ------------------------------------------------------------------ */

enum { I_ID, I_CO, I_OFF, I_SV, I_DI, I_AI, I_ADDR };
static const struct column ied_cols[] = {
	{ "id", true }, { "comaster_id", true }, { "offset", true },
	{ "can_varsys", true }, { "can_dis", true }, { "can_ais", true },
	{ "rs485_address", true },
};

enum { D_ID, D_IED, D_OFF, D_PORT, D_BIT, D_TAG, D_TRAS, D_DESC, D_Q, D_VAL, D_INV,
       D_TIPO, D_NRO, D_TXT, D_PAH, D_PAL };
static const struct column di_cols[] = {
	{ "id", false }, { "ied_id", true }, { "offset", false }, { "port", true },
	{ "bit", true }, { "tag", true }, { "trasducer", false }, { "description", false },
	{ "q", false }, { "value", false }, { "maskinv", false }, { "tipodi", false },
	{ "nrodi", false }, { "idTextoEv2", false }, { "pesoaccionH", false },
	{ "pesoaccionL", false },
};

enum { A_ID, A_IED, A_OFF, A_CH, A_TRAS, A_DESC, A_TAG, A_UNIT, A_MULT, A_DIV, A_TV, A_TI,
       A_R33, A_ESC, A_ESCE, A_Q, A_VAL, A_NRO, A_VMAX, A_VMIN, A_TXTM, A_DH, A_DL, A_TXT,
       A_PAH, A_PAL, A_HYST };
static const struct column ai_cols[] = {
	{ "id", false }, { "ied_id", true }, { "offset", true }, { "channel", false },
	{ "trasducer", false }, { "description", false }, { "tag", true }, { "unit", false },
	{ "multip_asm", false }, { "divider", false }, { "RelTV", false }, { "RelTI", false },
	{ "Rel33-13", false }, { "escala", false }, { "escE", false }, { "q", false },
	{ "value", false }, { "nroai", false }, { "valuemax", false }, { "valuemin", false },
	{ "idTextoEvM", false }, { "deltah", false }, { "deltal", false },
	{ "idTextoEv2", false }, { "pesoaccionH", false }, { "pesoaccionL", false },
	{ "hysteresis", false },
};

enum { V_ID, V_IED, V_OFF, V_BIT, V_PARAM, V_DESC, V_VAL, V_TAG };
static const struct column sv_cols[] = {
	{ "id", false }, { "ied_id", true }, { "offset", true }, { "bit", false },
	{ "param", false }, { "description", false }, { "value", false }, { "tag", false },
};

enum { T_ID, T_TXT, T_VAL, T_TEXT };
static const struct column txt_cols[] = {
	{ "id", false }, { "IdTextoEv2", true }, { "Value", true }, { "TextoEv2", true },
};

#define TABLE(f, c) { .file = f, .cols = c, .ncols = sizeof(c) / sizeof(c[0]) }

static const struct sheet_ied *ied_by_id(const struct sheets *sh, long id)
{
	for (size_t i = 0; i < sh->nieds; i++)
		if (sh->ieds[i].id == id)
			return &sh->ieds[i];
	return NULL;
}

static void *grow(void *arr, size_t *cap, size_t n, size_t size)
{
	void *na;

	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 64;
	na = realloc(arr, *cap * size);
	if (!na)
		free(arr);
	return na;
}

static void load_ieds(struct load *l)
{
	struct table t = TABLE("ied.csv", ied_cols);
	size_t cap = 0;

	if (table_open(l, &t, true) <= 0)
		return;
	while (table_row(l, &t) > 0) {
		long v[7];
		struct sheet_ied *si;
		bool ok = true;

		ok &= cell_int(l, &t, I_ID, 0, 1000000, -1, &v[0]);
		ok &= cell_int(l, &t, I_CO, 0, 1000000, -1, &v[1]);
		ok &= cell_int(l, &t, I_OFF, 0, 1000, -1, &v[2]);
		ok &= cell_int(l, &t, I_SV, 0, 250, 0, &v[3]);
		ok &= cell_int(l, &t, I_DI, 0, 250, 0, &v[4]);
		ok &= cell_int(l, &t, I_AI, 0, 250, 0, &v[5]);
		ok &= cell_int(l, &t, I_ADDR, 1, 254, -1, &v[6]);
		if (!ok)
			continue;
		if (v[0] < 0 || v[1] < 0 || v[6] < 0) {
			lerr(l, t.file, t.line, "id, comaster_id and rs485_address are required");
			continue;
		}
		if ((v[4] | v[5]) & 1) {
			lerr(l, t.file, t.line, "can_dis and can_ais count bytes: they must be even");
			continue;
		}
		if (ied_by_id(l->sh, v[0])) {
			lerr(l, t.file, t.line, "IED id %ld listed twice", v[0]);
			continue;
		}
		l->sh->ieds = grow(l->sh->ieds, &cap, l->sh->nieds, sizeof(*si));
		if (!l->sh->ieds) {
			l->sh->nieds = 0;
			lerr(l, t.file, t.line, "out of memory");
			break;
		}
		si = &l->sh->ieds[l->sh->nieds++];
		*si = (struct sheet_ied){ .id = (int)v[0], .comaster_id = (int)v[1],
					  .offset = (int)v[2], .addr = (int)v[6],
					  .sv_bytes = (int)v[3], .di_words = (int)v[4] / 2,
					  .ai_words = (int)v[5] / 2, .line = t.line };
		for (size_t k = 0; k + 1 < l->sh->nieds; k++) {
			const struct sheet_ied *o = &l->sh->ieds[k];

			if (o->comaster_id != si->comaster_id)
				continue;
			if (o->addr == si->addr)
				lerr(l, t.file, t.line, "rs485_address %d already used by the IED"
				     " on line %u of the same comaster", si->addr, o->line);
			if (o->offset == si->offset)
				lerr(l, t.file, t.line, "offset %d already used by the IED on"
				     " line %u of the same comaster", si->offset, o->line);
		}
	}
	csv_close(&t.csv);
}

static struct sheet_point *new_point(struct load *l, const char *file, unsigned line)
{
	struct sheet_point *p;

	l->sh->pts = grow(l->sh->pts, &l->pts_cap, l->sh->npts, sizeof(*p));
	if (!l->sh->pts) {
		l->sh->npts = 0;
		lerr(l, file, line, "out of memory");
		return NULL;
	}
	p = &l->sh->pts[l->sh->npts++];
	memset(p, 0, sizeof(*p));
	p->file = file;
	p->line = line;
	p->bit = -1;
	p->channel = -1;
	p->text_id = -1;
	p->tipo = -1;
	return p;
}

static bool set_tag(struct load *l, struct table *t, struct sheet_point *p, const char *tag)
{
	size_t n = strlen(tag);

	if (n >= STORE_TAG_MAX || strpbrk(tag, " \t\"\\")) {
		lerr(l, t->file, t->line, "tag \"%s\": at most %d characters, no blanks or"
		     " quotes", tag, STORE_TAG_MAX - 1);
		return false;
	}
	memcpy(p->tag, tag, n + 1);
	return true;
}

static void load_di(struct load *l)
{
	struct table t = TABLE("di.csv", di_cols);

	if (table_open(l, &t, false) <= 0)
		return;
	while (table_row(l, &t) > 0) {
		long ied, port, bit, inv, txt, tipo;
		struct sheet_point *p;
		bool ok = true;

		if (!*t.val[D_TAG])
			continue;	/* a spare contact */
		ok &= cell_int(l, &t, D_IED, 0, 1000000, -1, &ied);
		ok &= cell_int(l, &t, D_PORT, 0, 7, -1, &port);
		ok &= cell_int(l, &t, D_BIT, 0, 15, -1, &bit);
		ok &= cell_int(l, &t, D_INV, 0, 1, 0, &inv);
		ok &= cell_int(l, &t, D_TXT, 0, 65534, -1, &txt);
		ok &= cell_int(l, &t, D_TIPO, 0, 2, -1, &tipo);
		if (!ok)
			continue;
		if (ied < 0 || port < 0 || bit < 0 || !ied_by_id(l->sh, ied)) {
			lerr(l, t.file, t.line, "ied_id, port and bit must name a point of an"
			     " IED listed in ied.csv");
			continue;
		}
		p = new_point(l, t.file, t.line);
		if (!p || !set_tag(l, &t, p, t.val[D_TAG])) {
			if (p)
				l->sh->npts--;
			continue;
		}
		p->kind = POINT_DI;
		p->ied_id = (int)ied;
		p->index = (int)port;
		p->bit = (int)bit;
		p->invert = (int)inv;
		p->text_id = (int)txt;
		p->tipo = (int)tipo;
		p->description = strdup(t.val[D_DESC]);
	}
	csv_close(&t.csv);
}

/* A number cell that may be empty: 1 set, 0 empty, -1 junk (reported). */
static int cell_opt(struct load *l, struct table *t, size_t col, double *out)
{
	if (!*t->val[col])
		return 0;
	return cell_num(l, t, col, out) ? 1 : -1;
}

/*
 * valuemax, valuemin, deltah, deltal, hysteresis and the text ids of one
 * AI row into p->lim (limit_alarms.h), checked: false when the row is invalid.
 * A value limit the 12-bit word cannot reach ((0..4095) x escala) is an
 * error: the engineer meant something else.
 */
static bool load_limits(struct load *l, struct table *t, struct sheet_point *p)
{
	struct ai_limits *m = &p->lim;
	double fs = 4095 * p->scale, lo = fs < 0 ? fs : 0, hi = fs < 0 ? 0 : fs;
	long tm;
	int r[5];
	bool ok;

	r[0] = cell_opt(l, t, A_VMAX, &m->vmax);
	r[1] = cell_opt(l, t, A_VMIN, &m->vmin);
	r[2] = cell_opt(l, t, A_DH, &m->dmax);
	r[3] = cell_opt(l, t, A_DL, &m->dmin);
	r[4] = cell_opt(l, t, A_HYST, &m->hyst);
	ok = cell_int(l, t, A_TXTM, 0, 65534, 7, &tm);
	for (int i = 0; i < 5; i++)
		ok &= r[i] >= 0;
	if (!ok)
		return false;
	m->has = (r[0] ? 1u << LIMIT_MAX : 0) | (r[1] ? 1u << LIMIT_MIN : 0) |
		 (r[2] ? 1u << LIMIT_DMAX : 0) | (r[3] ? 1u << LIMIT_DMIN : 0);
	m->text_value = (int)tm;
	m->text_rate = p->text_id >= 0 ? p->text_id : 6;
	if (r[0] && r[1] && !(m->vmin < m->vmax)) {
		lerr(l, t->file, t->line, "%s: valuemin %g must be below valuemax %g", p->tag,
		     m->vmin, m->vmax);
		ok = false;
	}
	if (r[0] && m->vmax >= hi) {
		lerr(l, t->file, t->line, "%s: valuemax %g can never be exceeded: the values"
		     " span %g..%g (0..4095 x escala)", p->tag, m->vmax, lo, hi);
		ok = false;
	}
	if (r[1] && m->vmin <= lo) {
		lerr(l, t->file, t->line, "%s: valuemin %g can never be undershot: the values"
		     " span %g..%g (0..4095 x escala)", p->tag, m->vmin, lo, hi);
		ok = false;
	}
	if ((r[2] && !(m->dmax > 0)) || (r[3] && !(m->dmin > 0))) {
		lerr(l, t->file, t->line, "%s: deltah and deltal are rates (units per second):"
		     " they must be > 0", p->tag);
		ok = false;
	}
	if (r[4] && !(m->hyst >= 0)) {
		lerr(l, t->file, t->line, "%s: hysteresis %g must be >= 0", p->tag, m->hyst);
		ok = false;
	}
	if (!r[4]) {
		/* Default: a share of the full scale, at most a quarter of the band. */
		m->hyst = l->c->limit_hysteresis_pct / 100 * (hi - lo);
		if (r[0] && r[1] && m->hyst > (m->vmax - m->vmin) / 4)
			m->hyst = (m->vmax - m->vmin) / 4;
	} else if (r[0] && r[1] && ok && !(m->hyst < m->vmax - m->vmin)) {
		lerr(l, t->file, t->line, "%s: hysteresis %g must be smaller than valuemax -"
		     " valuemin (%g)", p->tag, m->hyst, m->vmax - m->vmin);
		ok = false;
	}
	if (!ok)
		free(p->description);
	return ok;
}

static void load_ai(struct load *l)
{
	struct table t = TABLE("ai.csv", ai_cols);

	if (table_open(l, &t, false) <= 0)
		return;
	while (table_row(l, &t) > 0) {
		long ied, off, ch, txt;
		double mult, div, tv, ti, esc, esce;
		struct sheet_point *p;
		bool ok = true;

		if (!*t.val[A_TAG])
			continue;
		ok &= cell_int(l, &t, A_IED, 0, 1000000, -1, &ied);
		ok &= cell_int(l, &t, A_OFF, 1, 4096, -1, &off);
		ok &= cell_int(l, &t, A_CH, 0, 7, -1, &ch);
		ok &= cell_int(l, &t, A_TXT, 0, 65534, -1, &txt);
		ok &= cell_num(l, &t, A_MULT, &mult) && cell_num(l, &t, A_DIV, &div);
		ok &= cell_num(l, &t, A_TV, &tv) && cell_num(l, &t, A_TI, &ti);
		ok &= cell_num(l, &t, A_ESC, &esc) && cell_num(l, &t, A_ESCE, &esce);
		if (!ok)
			continue;
		if (ied < 0 || off < 1 || !ied_by_id(l->sh, ied)) {
			lerr(l, t.file, t.line, "ied_id and offset must name an AI of an IED"
			     " listed in ied.csv");
			continue;
		}
		p = new_point(l, t.file, t.line);
		if (!p || !set_tag(l, &t, p, t.val[A_TAG])) {
			if (p)
				l->sh->npts--;
			continue;
		}
		p->kind = POINT_AI;
		p->ied_id = (int)ied;
		p->index = (int)off - 1;
		p->channel = (int)ch;
		p->text_id = (int)txt;
		/* §8.4: escala is authoritative; else multip_asm * RelTV * RelTI / divider. */
		if (esc == 0 && mult != 0 && div != 0)
			esc = mult * (tv ? tv : 1) * (ti ? ti : 1) / div;
		p->scale = esc != 0 ? esc : 1;
		p->scale_e = esce != 0 ? esce : 1;
		snprintf(p->unit, sizeof(p->unit), "%s", t.val[A_UNIT]);
		p->description = strdup(t.val[A_DESC]);
		if (!load_limits(l, &t, p))
			l->sh->npts--;
	}
	csv_close(&t.csv);
}

static void load_sv(struct load *l)
{
	struct table t = TABLE("varsys.csv", sv_cols);

	if (table_open(l, &t, false) <= 0)
		return;
	while (table_row(l, &t) > 0) {
		long ied, off, bit;
		struct sheet_point *p;
		char desc[160];
		bool ok = true;

		ok &= cell_int(l, &t, V_IED, 0, 1000000, -1, &ied);
		ok &= cell_int(l, &t, V_OFF, 1, 4096, -1, &off);
		ok &= cell_int(l, &t, V_BIT, 0, 7, -1, &bit);
		if (!ok)
			continue;
		if (ied < 0 || off < 1 || !ied_by_id(l->sh, ied)) {
			lerr(l, t.file, t.line, "ied_id and offset must name an SV byte of an IED"
			     " listed in ied.csv");
			continue;
		}
		p = new_point(l, t.file, t.line);
		if (!p)
			continue;
		if (*t.val[V_TAG] && !set_tag(l, &t, p, t.val[V_TAG])) {
			l->sh->npts--;
			continue;
		}
		p->kind = POINT_SV;
		p->ied_id = (int)ied;
		p->index = (int)off - 1;	/* global until checked against the layout */
		p->bit = (int)bit;
		snprintf(desc, sizeof(desc), "%s%s%s", t.val[V_PARAM],
			 *t.val[V_PARAM] && *t.val[V_DESC] ? ": " : "", t.val[V_DESC]);
		p->description = strdup(desc);
	}
	csv_close(&t.csv);
}

static void load_texts(struct load *l)
{
	struct table t = TABLE("textoevtipo.csv", txt_cols);
	size_t cap = 0;

	if (table_open(l, &t, false) <= 0)
		return;
	while (table_row(l, &t) > 0) {
		long id, val;
		struct sheet_text *x;

		if (!cell_int(l, &t, T_TXT, 0, 65534, -1, &id) ||
		    !cell_int(l, &t, T_VAL, 0, 1, -1, &val))
			continue;
		if (id < 0 || val < 0)
			continue;	/* e.g. id 3: "the raw value as text" (COMSYS) */
		l->sh->texts = grow(l->sh->texts, &cap, l->sh->ntexts, sizeof(*x));
		if (!l->sh->texts) {
			l->sh->ntexts = 0;
			lerr(l, t.file, t.line, "out of memory");
			break;
		}
		x = &l->sh->texts[l->sh->ntexts++];
		x->id = (int)id;
		x->value = (int)val;
		x->text = strdup(t.val[T_TEXT]);
		for (size_t k = 0; k + 1 < l->sh->ntexts; k++)
			if (l->sh->texts[k].id == id && l->sh->texts[k].value == val)
				lerr(l, t.file, t.line, "text %ld value %ld defined twice", id, val);
	}
	csv_close(&t.csv);
}

/* --- checks against the layouts ---------------------------------------------------- */

static int cmp_ied_offset(const void *a, const void *b)
{
	const struct sheet_ied *x = *(const struct sheet_ied *const *)a;
	const struct sheet_ied *y = *(const struct sheet_ied *const *)b;

	return x->offset - y->offset;
}

/* Layout of @cc from ied.csv when it has none; check it against the sheet otherwise. */
static void check_conc(struct load *l, struct conc_config *cc)
{
	const struct sheet_ied *list[MARA_LAYOUT_MAX];
	unsigned n = 0, sv_base[MARA_LAYOUT_MAX], ai_base[MARA_LAYOUT_MAX];
	unsigned svb = 0, aib = 0;

	for (size_t i = 0; i < l->sh->nieds; i++) {
		if (l->sh->ieds[i].comaster_id != cc->comaster_id)
			continue;
		if (n == MARA_LAYOUT_MAX) {
			lerr(l, "ied.csv", l->sh->ieds[i].line, "more than %d IEDs for comaster %d",
			     MARA_LAYOUT_MAX, cc->comaster_id);
			return;
		}
		list[n++] = &l->sh->ieds[i];
	}
	if (!n) {
		lerr(l, "ied.csv", 0, "no IED with comaster_id %d ([concentrator %s])",
		     cc->comaster_id, cc->name);
		return;
	}
	qsort(list, n, sizeof(list[0]), cmp_ied_offset); // NOLINT(bugprone-sizeof-expression): array of pointers
	if (!cc->has_layout) {
		cc->layout.count = (u8)n;
		for (unsigned i = 0; i < n; i++)
			cc->layout.ied[i] = (struct mara_layout_ied){
				.addr = (u8)list[i]->addr, .sv_bytes = (u8)list[i]->sv_bytes,
				.di_words = (u8)list[i]->di_words,
				.ai_words = (u8)list[i]->ai_words };
		cc->has_layout = true;
	}
	/* Every sheet IED must be in the layout with the same contribution, in order. */
	for (unsigned i = 0; i < n; i++) {
		const struct mara_layout_ied *li = i < cc->layout.count ? &cc->layout.ied[i] : NULL;

		if (!li || li->addr != list[i]->addr || li->sv_bytes != list[i]->sv_bytes ||
		    li->di_words != list[i]->di_words || li->ai_words != list[i]->ai_words)
			lerr(l, "ied.csv", list[i]->line, "IED %d (position %u: %d SV bytes,"
			     " %d DI words, %d AI words) does not match the layout of"
			     " [concentrator %s] (%s:%u)", list[i]->addr, i + 1,
			     list[i]->sv_bytes, list[i]->di_words, list[i]->ai_words, cc->name,
			     l->c->path, cc->line);
	}
	for (unsigned i = 0; i < cc->layout.count; i++) {
		sv_base[i] = svb;
		ai_base[i] = aib;
		svb += cc->layout.ied[i].sv_bytes;
		aib += cc->layout.ied[i].ai_words;
	}
	/* Points: they must fit their IED's part of the arrays. */
	for (size_t k = 0; k < l->sh->npts; k++) {
		struct sheet_point *p = &l->sh->pts[k];
		const struct sheet_ied *si = ied_by_id(l->sh, p->ied_id);
		int li = -1;

		if (!si || si->comaster_id != cc->comaster_id)
			continue;
		for (unsigned i = 0; i < cc->layout.count; i++)
			if (cc->layout.ied[i].addr == si->addr)
				li = (int)i;
		if (li < 0)
			continue;	/* its IED was reported above */
		switch (p->kind) {
		case POINT_DI:
			if (p->index >= cc->layout.ied[li].di_words)
				lerr(l, p->file, p->line, "%s: port %d, but IED %d has %u DI"
				     " words", p->tag, p->index, si->addr,
				     cc->layout.ied[li].di_words);
			break;
		case POINT_AI:
			if (p->index < (int)ai_base[li] ||
			    p->index >= (int)(ai_base[li] + cc->layout.ied[li].ai_words))
				lerr(l, p->file, p->line, "%s: AI offset %d is outside IED %d's"
				     " words %u..%u of the AI array", p->tag, p->index + 1,
				     si->addr, ai_base[li] + 1,
				     ai_base[li] + cc->layout.ied[li].ai_words);
			break;
		case POINT_SV:
			if (p->index < (int)sv_base[li] ||
			    p->index >= (int)(sv_base[li] + cc->layout.ied[li].sv_bytes))
				lerr(l, p->file, p->line, "SV offset %d is outside IED %d's bytes"
				     " %u..%u of the SV array", p->index + 1, si->addr,
				     sv_base[li] + 1, sv_base[li] + cc->layout.ied[li].sv_bytes);
			else
				p->index -= (int)sv_base[li];	/* byte within the IED */
			break;
		}
	}
}

static void check_points(struct load *l)
{
	for (size_t a = 0; a < l->sh->npts; a++) {
		const struct sheet_point *p = &l->sh->pts[a];
		const struct sheet_ied *si = ied_by_id(l->sh, p->ied_id);

		for (size_t b = 0; b < a; b++) {
			const struct sheet_point *q = &l->sh->pts[b];

			if (p->tag[0] && !strcmp(p->tag, q->tag))
				lerr(l, p->file, p->line, "tag %s already defined (%s:%u)", p->tag,
				     q->file, q->line);
			else if (p->kind == q->kind && p->ied_id == q->ied_id &&
				 p->index == q->index && p->bit == q->bit)
				lerr(l, p->file, p->line, "the same position is already %s (%s:%u)",
				     q->tag[0] ? q->tag : "defined", q->file, q->line);
			/*
			 * §8.5: an ENERGY event names (address, channel).  The COMaster's
			 * own group (bus voltages, all channel 0) integrates nothing.
			 */
			else if (p->kind == POINT_AI && q->kind == POINT_AI &&
				 p->ied_id == q->ied_id && p->channel >= 0 &&
				 p->channel == q->channel && si && si->addr != MARA_ADDR_COMASTER)
				lerr(l, p->file, p->line, "%s: IED %d already has an AI on channel"
				     " %d (%s, %s:%u); energy events could not be bound", p->tag,
				     si->addr, p->channel, q->tag, q->file, q->line);
		}
	}
}

struct sheets *sheets_load(struct smved_config *c, config_diag_fn diag,
			   void *ctx, int *errors)
{
	struct load l = { .c = c, .diag = diag, .ctx = ctx };

	l.sh = calloc(1, sizeof(*l.sh));
	if (!l.sh) {
		diag(ctx, "out of memory");
		*errors = 1;
		return NULL;
	}
	snprintf(l.sh->dir, sizeof(l.sh->dir), "%s", c->points_dir);
	load_ieds(&l);
	load_di(&l);
	load_ai(&l);
	load_sv(&l);
	load_texts(&l);
	check_points(&l);
	for (struct conc_config *cc = c->concs; cc; cc = cc->next) {
		if (cc->comaster_id >= 0)
			check_conc(&l, cc);
		else if (!cc->has_layout)
			lerr(&l, "ied.csv", 0, "[concentrator %s] has neither a layout nor a"
			     " comaster_id", cc->name);
	}
	*errors = l.errors;
	if (l.errors) {
		sheets_free(l.sh);
		return NULL;
	}
	return l.sh;
}

int sheets_check_layouts(struct smved_config *c, config_diag_fn diag, void *ctx)
{
	char msg[PATH_MAX + 256];
	int errors = 0;

	for (struct conc_config *cc = c->concs; cc; cc = cc->next) {
		if (cc->has_layout)
			continue;
		snprintf(msg, sizeof(msg), "%s:%u: [concentrator %s]: no layout, and no"
			 " points sheets to take it from", c->path, cc->line, cc->name);
		diag(ctx, msg);
		errors++;
	}
	return errors;
}

void sheets_free(struct sheets *sh)
{
	if (!sh)
		return;
	for (size_t i = 0; i < sh->npts; i++)
		free(sh->pts[i].description);
	for (size_t i = 0; i < sh->ntexts; i++)
		free(sh->texts[i].text);
	free(sh->pts);
	free(sh->ieds);
	free(sh->texts);
	free(sh);
}
