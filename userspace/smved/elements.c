// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The element table: elements, palette, formulas per (element, attribute),
 * their dependency order and change-driven evaluation (see elements.h).
 *
 * A formula is a node of a graph whose edges go from a formula to the
 * formulas that read its attribute (eg.TAG.attr, or every element through
 * `eg` in FILTRAR).  Tarjan's algorithm orders the strongly connected
 * components topologically; a component of more than one formula (or one
 * that reads itself) is a cycle, evaluated in sheet order, each member
 * reading the previous values of the members not yet evaluated.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elements.h"

struct eform {
	char *text;
	unsigned int row;
	uint32_t elem;
	uint8_t attr;		/* enum element_attr */
	bool dirty;
	bool cyclic;
	struct formula *f;	/* NULL when it does not compile */
	char *err;		/* last error, NULL after a success */
};

/* A reader of a point: (ns, slot) -> formula. */
struct pdep {
	uint8_t ns;
	uint32_t slot;
	uint32_t form;
};

struct elements {
	struct element *el;
	size_t n, cap;
	int32_t (*form_of)[EL_ATTRS];	/* per element: formula index or -1 */
	uint8_t *changed;		/* per element: bit mask of attributes */

	struct eform *forms;
	size_t nforms, formcap;
	uint32_t *order;		/* evaluation order (formula indexes) */

	/* Readers of (element, attribute): CSR over elem * EL_ATTRS + attr. */
	uint32_t *rd_start;		/* n * EL_ATTRS + 1 */
	uint32_t *rd;
	struct pdep *pdeps;		/* sorted by (ns, slot) */
	size_t npdeps;

	struct color colors[ELEMENT_COLORS_MAX];
	bool has_colors;
	struct formula_resolver points;
	struct formula_resolver res;	/* eg.* here, ai/di via points */
	struct formula_scratch *scratch;
};

const char *element_attr_name(enum element_attr a)
{
	static const char *const names[EL_ATTRS] = { "text", "fill", "stroke" };

	return (unsigned int)a < EL_ATTRS ? names[a] : NULL;
}

/* --- resolver -------------------------------------------------------------- */

static int res_bind(void *ctx, enum formula_ns ns, const char *tag, uint32_t *slot)
{
	struct elements *t = ctx;
	int i;

	if (ns != FORMULA_NS_EG)
		return t->points.bind ? t->points.bind(t->points.ctx, ns, tag, slot) : -1;
	i = elements_find(t, tag);
	if (i < 0)
		return -1;
	*slot = (uint32_t)i;
	return 0;
}

static void set_str(struct formula_value *v, const char *s)
{
	v->type = FV_STR;
	v->s.p = s ? s : "";
	v->s.len = s ? (uint32_t)strlen(s) : 0;
}

static void set_color(struct formula_value *v, int c)
{
	if (c == ELEMENT_NONE) {
		v->type = FV_NONE;
	} else {
		v->type = FV_INT;
		v->i = c;
	}
}

static int res_read(void *ctx, enum formula_ns ns, uint32_t slot, enum formula_attr attr,
		    struct formula_value *out, char *err)
{
	struct elements *t = ctx;
	const struct element *e;

	if (ns != FORMULA_NS_EG) {
		if (!t->points.read) {
			snprintf(err, FORMULA_ERR_MAX, "no point source");
			return -1;
		}
		return t->points.read(t->points.ctx, ns, slot, attr, out, err);
	}
	if (slot >= t->n) {
		snprintf(err, FORMULA_ERR_MAX, "element %u does not exist", slot);
		return -1;
	}
	e = &t->el[slot];
	switch (attr) {
	case FORMULA_A_TEXT: set_str(out, e->text); return 0;
	case FORMULA_A_FILL: set_color(out, e->fill); return 0;
	case FORMULA_A_STROKE: set_color(out, e->stroke); return 0;
	case FORMULA_A_MARK: out->type = FV_INT; out->i = e->mark; return 0;
	case FORMULA_A_TAG: set_str(out, e->tag); return 0;
	case FORMULA_A_DESCRIPTION: set_str(out, e->description); return 0;
	default:
		snprintf(err, FORMULA_ERR_MAX, "elements have no attribute '%s'",
			 formula_attr_name(attr));
		return -1;
	}
}

static uint32_t res_count(void *ctx)
{
	const struct elements *t = ctx;

	return (uint32_t)t->n;
}

const struct formula_resolver *elements_resolver(const struct elements *t)
{
	return &t->res;
}

/* --- table ------------------------------------------------------------------ */

struct elements *elements_new(void)
{
	struct elements *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->scratch = formula_scratch_new(0);
	if (!t->scratch) {
		free(t);
		return NULL;
	}
	t->res.bind = res_bind;
	t->res.read = res_read;
	t->res.element_count = res_count;
	t->res.ctx = t;
	return t;
}

static void free_graph(struct elements *t)
{
	free(t->order);
	free(t->rd_start);
	free(t->rd);
	free(t->pdeps);
	t->order = NULL;
	t->rd_start = NULL;
	t->rd = NULL;
	t->pdeps = NULL;
	t->npdeps = 0;
}

void elements_free(struct elements *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		struct element *e = &t->el[i];

		free(e->description);
		free(e->text);
		free(e->screen);
		free(e->on_click_jump);
		free(e->on_click_text_toggle);
		free(e->linked_text_change);
	}
	for (i = 0; i < t->nforms; i++) {
		free(t->forms[i].text);
		free(t->forms[i].err);
		formula_free(t->forms[i].f);
	}
	free_graph(t);
	free(t->el);
	free(t->form_of);
	free(t->changed);
	free(t->forms);
	formula_scratch_free(t->scratch);
	free(t);
}

static bool valid_tag(const char *tag)
{
	size_t i, n = strlen(tag);

	if (!n || n >= ELEMENT_TAG_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = tag[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

static char *dupstr(const char *s, bool *oom)
{
	char *d = strdup(s ? s : "");

	if (!d)
		*oom = true;
	return d;
}

int elements_add(struct elements *t, const struct element_def *d, char *err)
{
	struct element *e;
	bool oom = false;

	if (!d->tag || !valid_tag(d->tag)) {
		snprintf(err, FORMULA_ERR_MAX, "tag '%.40s' must be 1..%d characters of A-Z, a-z, 0-9, _",
			 d->tag ? d->tag : "", ELEMENT_TAG_MAX - 1);
		return -1;
	}
	if (elements_find(t, d->tag) >= 0) {
		snprintf(err, FORMULA_ERR_MAX, "duplicate element '%s'", d->tag);
		return -1;
	}
	if (d->mark < 0 || d->mark > 15 || d->fill < ELEMENT_NONE || d->fill >= ELEMENT_COLORS_MAX ||
	    d->stroke < ELEMENT_NONE || d->stroke >= ELEMENT_COLORS_MAX) {
		snprintf(err, FORMULA_ERR_MAX, "element '%s': mark must be 0..15 and colours 0..%d",
			 d->tag, ELEMENT_COLORS_MAX - 1);
		return -1;
	}
	if (d->text && strlen(d->text) >= ELEMENT_TEXT_MAX) {
		snprintf(err, FORMULA_ERR_MAX, "element '%s': text longer than %d bytes", d->tag,
			 ELEMENT_TEXT_MAX - 1);
		return -1;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct element *el = realloc(t->el, cap * sizeof(*el));
		int32_t (*fo)[EL_ATTRS];
		uint8_t *ch;

		if (el)
			t->el = el;
		fo = el ? realloc(t->form_of, cap * sizeof(*fo)) : NULL;
		if (fo)
			t->form_of = fo;
		ch = fo ? realloc(t->changed, cap) : NULL;
		if (!ch) {
			snprintf(err, FORMULA_ERR_MAX, "out of memory");
			return -1;
		}
		t->changed = ch;
		t->cap = cap;
	}
	e = &t->el[t->n];
	memset(e, 0, sizeof(*e));
	strcpy(e->tag, d->tag);
	e->description = dupstr(d->description, &oom);
	e->text = dupstr(d->text ? d->text : "0", &oom);
	e->screen = dupstr(d->screen, &oom);
	e->on_click_jump = dupstr(d->on_click_jump, &oom);
	e->on_click_text_toggle = dupstr(d->on_click_text_toggle, &oom);
	e->linked_text_change = dupstr(d->linked_text_change, &oom);
	e->fill = d->fill;
	e->stroke = d->stroke;
	e->mark = d->mark;
	e->enabled = d->enabled;
	t->form_of[t->n][EL_TEXT] = t->form_of[t->n][EL_FILL] = t->form_of[t->n][EL_STROKE] = -1;
	t->changed[t->n] = (1u << EL_ATTRS) - 1;	/* the sheet's value is news */
	t->n++;
	if (oom) {
		snprintf(err, FORMULA_ERR_MAX, "out of memory");
		return -1;
	}
	return (int)t->n - 1;
}

int elements_set_color(struct elements *t, unsigned int index, uint32_t rgb,
		       const char *name, const char *description)
{
	struct color *c;

	if (index >= ELEMENT_COLORS_MAX || rgb > 0xFFFFFF)
		return -1;
	c = &t->colors[index];
	c->defined = true;
	c->rgb = rgb;
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
	snprintf(c->description, sizeof(c->description), "%s", description ? description : "");
	t->has_colors = true;
	return 0;
}

const struct color *elements_color(const struct elements *t, int index)
{
	if (index < 0 || index >= ELEMENT_COLORS_MAX || !t->colors[index].defined)
		return NULL;
	return &t->colors[index];
}

int elements_set_formula(struct elements *t, const char *tag, enum element_attr attr,
			 const char *text, unsigned int row, char *err)
{
	int i = elements_find(t, tag);
	struct eform *f;

	if (i < 0) {
		snprintf(err, FORMULA_ERR_MAX, "formula for unknown element '%.20s'", tag);
		return -1;
	}
	if ((unsigned int)attr >= EL_ATTRS) {
		snprintf(err, FORMULA_ERR_MAX, "bad attribute");
		return -1;
	}
	if (t->form_of[i][attr] >= 0) {
		snprintf(err, FORMULA_ERR_MAX, "%s.%s already has a formula (row %u)", tag,
			 element_attr_name(attr), t->forms[t->form_of[i][attr]].row);
		return -1;
	}
	if (strlen(text) > FORMULA_TEXT_MAX) {
		snprintf(err, FORMULA_ERR_MAX, "formula longer than %d bytes", FORMULA_TEXT_MAX);
		return -1;
	}
	if (t->nforms == t->formcap) {
		size_t cap = t->formcap ? t->formcap * 2 : 64;
		struct eform *nf = realloc(t->forms, cap * sizeof(*nf));

		if (!nf) {
			snprintf(err, FORMULA_ERR_MAX, "out of memory");
			return -1;
		}
		t->forms = nf;
		t->formcap = cap;
	}
	f = &t->forms[t->nforms];
	memset(f, 0, sizeof(*f));
	f->text = strdup(text);
	if (!f->text) {
		snprintf(err, FORMULA_ERR_MAX, "out of memory");
		return -1;
	}
	f->row = row;
	f->elem = (uint32_t)i;
	f->attr = (uint8_t)attr;
	t->form_of[i][attr] = (int32_t)t->nforms++;
	return 0;
}

size_t elements_count(const struct elements *t)
{
	return t->n;
}

const struct element *elements_get(const struct elements *t, uint32_t idx)
{
	return idx < t->n ? &t->el[idx] : NULL;
}

int elements_find(const struct elements *t, const char *tag)
{
	size_t i;

	/* Linear: tables have hundreds of elements and lookups happen at
	 * configuration time only (evaluation uses bound slots). */
	for (i = 0; i < t->n; i++)
		if (strcmp(t->el[i].tag, tag) == 0)
			return (int)i;
	return -1;
}

static const struct eform *form_at(const struct elements *t, uint32_t idx, enum element_attr a)
{
	if (idx >= t->n || (unsigned int)a >= EL_ATTRS || t->form_of[idx][a] < 0)
		return NULL;
	return &t->forms[t->form_of[idx][a]];
}

const char *elements_formula(const struct elements *t, uint32_t idx, enum element_attr a)
{
	const struct eform *f = form_at(t, idx, a);

	return f ? f->text : NULL;
}

unsigned int elements_formula_row(const struct elements *t, uint32_t idx, enum element_attr a)
{
	const struct eform *f = form_at(t, idx, a);

	return f ? f->row : 0;
}

const char *elements_error(const struct elements *t, uint32_t idx, enum element_attr a)
{
	const struct eform *f = form_at(t, idx, a);

	return f ? f->err : NULL;
}

bool elements_in_cycle(const struct elements *t, uint32_t idx, enum element_attr a)
{
	const struct eform *f = form_at(t, idx, a);

	return f && f->cyclic;
}

static void set_err(struct eform *f, const char *msg)
{
	if (f->err && msg && strcmp(f->err, msg) == 0)
		return;
	free(f->err);
	f->err = msg ? strdup(msg) : NULL;
}

/* --- compilation and dependency order --------------------------------------- */

static int el_attr_of(unsigned int a)
{
	switch (a) {
	case FORMULA_A_TEXT: return EL_TEXT;
	case FORMULA_A_FILL: return EL_FILL;
	case FORMULA_A_STROKE: return EL_STROKE;
	default: return -1;	/* mark, tag, description never change */
	}
}

/*
 * Call @fn(t, key, form) for every (element attribute key, reader) pair of
 * compiled formula @g: its eg.TAG.attr references and, when it iterates
 * over `eg`, every element's attributes its lambdas read.
 */
static void for_each_read(struct elements *t, uint32_t g,
			  void (*fn)(struct elements *t, size_t key, uint32_t g, void *arg), void *arg)
{
	const struct formula *f = t->forms[g].f;
	const struct formula_ref *refs;
	size_t nrefs, i, e;
	int a;

	refs = formula_refs(f, &nrefs);
	for (i = 0; i < nrefs; i++)
		if (refs[i].ns == FORMULA_NS_EG && (a = el_attr_of(refs[i].attr)) >= 0 &&
		    refs[i].slot < t->n)
			fn(t, (size_t)refs[i].slot * EL_ATTRS + (size_t)a, g, arg);
	if (!formula_uses_all(f))
		return;
	for (a = 0; a < FORMULA_A_COUNT; a++) {
		int ea = el_attr_of((unsigned int)a);

		if (ea < 0 || !(formula_all_attrs(f) >> a & 1))
			continue;
		for (e = 0; e < t->n; e++)
			fn(t, e * EL_ATTRS + (size_t)ea, g, arg);
	}
}

static void count_read(struct elements *t, size_t key, uint32_t g, void *arg)
{
	(void)g;
	(void)arg;
	t->rd_start[key + 1]++;
}

static void fill_read(struct elements *t, size_t key, uint32_t g, void *arg)
{
	uint32_t *pos = arg;

	t->rd[pos[key]++] = g;
}

static int cmp_pdep(const void *a, const void *b)
{
	const struct pdep *x = a, *y = b;

	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static int build_readers(struct elements *t)
{
	size_t nkeys = t->n * EL_ATTRS, i, j, cap = 0;
	uint32_t g, *pos;

	t->rd_start = calloc(nkeys + 1, sizeof(*t->rd_start));
	if (!t->rd_start)
		return -1;
	for (g = 0; g < t->nforms; g++)
		if (t->forms[g].f)
			for_each_read(t, g, count_read, NULL);
	for (i = 0; i < nkeys; i++)
		t->rd_start[i + 1] += t->rd_start[i];
	t->rd = malloc((t->rd_start[nkeys] ? t->rd_start[nkeys] : 1) * sizeof(*t->rd));
	pos = malloc((nkeys ? nkeys : 1) * sizeof(*pos));
	if (!t->rd || !pos) {
		free(pos);
		return -1;
	}
	memcpy(pos, t->rd_start, nkeys * sizeof(*pos));
	for (g = 0; g < t->nforms; g++)
		if (t->forms[g].f)
			for_each_read(t, g, fill_read, pos);
	free(pos);

	for (g = 0; g < t->nforms; g++) {
		const struct formula_ref *refs;
		size_t nrefs;

		if (!t->forms[g].f)
			continue;
		refs = formula_refs(t->forms[g].f, &nrefs);
		for (j = 0; j < nrefs; j++) {
			if (refs[j].ns == FORMULA_NS_EG)
				continue;
			if (t->npdeps == cap) {
				struct pdep *p;

				cap = cap ? cap * 2 : 64;
				p = realloc(t->pdeps, cap * sizeof(*p));
				if (!p)
					return -1;
				t->pdeps = p;
			}
			t->pdeps[t->npdeps++] = (struct pdep){ refs[j].ns, refs[j].slot, g };
		}
	}
	if (t->npdeps)
		qsort(t->pdeps, t->npdeps, sizeof(*t->pdeps), cmp_pdep);
	return 0;
}

/* Readers of formula @v's attribute: the successors of @v in the graph. */
static void succ(const struct elements *t, uint32_t v, uint32_t *lo, uint32_t *hi)
{
	size_t key = (size_t)t->forms[v].elem * EL_ATTRS + t->forms[v].attr;

	*lo = t->rd_start[key];
	*hi = t->rd_start[key + 1];
}

struct frame {
	uint32_t v, it;
};

/* Iterative Tarjan: hostile sheets may chain thousands of formulas. */
static int order_formulas(struct elements *t)
{
	size_t nf = t->nforms;
	uint32_t *idx, *low, *stk, *scc, counter = 0, sp = 0, nscc = 0, s, i;
	struct frame *cs;
	bool *on;
	size_t csp;
	int rc = -1;

	idx = malloc((nf + 1) * sizeof(*idx));
	low = malloc((nf + 1) * sizeof(*low));
	stk = malloc((nf + 1) * sizeof(*stk));
	scc = malloc((nf + 1) * sizeof(*scc));
	cs = malloc((nf + 1) * sizeof(*cs));
	on = calloc(nf + 1, sizeof(*on));
	t->order = malloc((nf + 1) * sizeof(*t->order));
	if (!idx || !low || !stk || !scc || !cs || !on || !t->order)
		goto out;
	for (i = 0; i < nf; i++)
		idx[i] = UINT32_MAX;
	for (s = 0; s < nf; s++) {
		if (idx[s] != UINT32_MAX)
			continue;
		csp = 0;
		idx[s] = low[s] = counter++;
		stk[sp++] = s;
		on[s] = true;
		cs[csp].v = s;
		succ(t, s, &cs[csp].it, &i);
		csp++;
		while (csp) {
			struct frame *top = &cs[csp - 1];
			uint32_t v = top->v, lo, hi;

			succ(t, v, &lo, &hi);
			if (top->it < hi) {
				uint32_t w = t->rd[top->it++];

				if (idx[w] == UINT32_MAX) {
					idx[w] = low[w] = counter++;
					stk[sp++] = w;
					on[w] = true;
					cs[csp].v = w;
					succ(t, w, &cs[csp].it, &i);
					csp++;
				} else if (on[w] && idx[w] < low[v]) {
					low[v] = idx[w];
				}
				continue;
			}
			csp--;
			if (csp && low[v] < low[cs[csp - 1].v])
				low[cs[csp - 1].v] = low[v];
			if (low[v] == idx[v]) {
				uint32_t w, size = 0, first = sp;
				bool self = false;

				do {
					w = stk[--first];
					size++;
				} while (w != v);
				for (i = lo; i < hi; i++)
					self |= t->rd[i] == v;
				while (sp > first) {
					w = stk[--sp];
					on[w] = false;
					scc[w] = nscc;
					t->forms[w].cyclic = size > 1 || self;
				}
				nscc++;
			}
		}
	}
	/*
	 * Tarjan emits a component after everything that reads it: reverse
	 * the component order, keeping sheet order inside a component.
	 */
	{
		uint32_t *start = calloc((size_t)nscc + 1, sizeof(*start));

		if (!start)
			goto out;
		for (i = 0; i < nf; i++)
			start[nscc - 1 - scc[i] + 1]++;
		for (i = 0; i < nscc; i++)
			start[i + 1] += start[i];
		for (i = 0; i < nf; i++)
			t->order[start[nscc - 1 - scc[i]]++] = i;
		free(start);
	}
	rc = 0;
out:
	free(idx);
	free(low);
	free(stk);
	free(scc);
	free(cs);
	free(on);
	return rc;
}

int elements_compile(struct elements *t, const struct formula_resolver *points,
		     element_fault_fn fault, void *ctx)
{
	int faults = 0;
	size_t i;

	if (points)
		t->points = *points;
	else
		memset(&t->points, 0, sizeof(t->points));
	free_graph(t);
	for (i = 0; i < t->nforms; i++) {
		struct eform *f = &t->forms[i];
		struct formula_error fe;

		formula_free(f->f);
		f->f = NULL;
		f->cyclic = false;
		f->dirty = true;
		set_err(f, NULL);
		if (formula_compile(f->text, strlen(f->text), &t->res, &f->f, &fe) == 0)
			continue;
		{
			char msg[FORMULA_ERR_MAX + 32];
			struct element_fault ef = {
				.row = f->row, .col = fe.col, .tag = t->el[f->elem].tag,
				.attr = f->attr, .formula = f->text, .msg = fe.msg,
			};

			snprintf(msg, sizeof(msg), "CompileError: column %u: %s", fe.col, fe.msg);
			set_err(f, msg);
			faults++;
			if (fault)
				fault(ctx, &ef);
		}
	}
	if (build_readers(t) || order_formulas(t)) {
		free_graph(t);
		return -1;
	}
	return faults;
}

/* --- evaluation ----------------------------------------------------------------- */

static void mark_readers(struct elements *t, uint32_t elem, enum element_attr a)
{
	size_t key = (size_t)elem * EL_ATTRS + a;
	uint32_t i;

	if (!t->rd_start)
		return;
	for (i = t->rd_start[key]; i < t->rd_start[key + 1]; i++)
		t->forms[t->rd[i]].dirty = true;
}

void elements_point_changed(struct elements *t, enum formula_ns ns, uint32_t slot)
{
	size_t lo = 0, hi = t->npdeps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pdep *p = &t->pdeps[mid];

		if (p->ns < ns || (p->ns == ns && p->slot < slot))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->npdeps && t->pdeps[lo].ns == ns && t->pdeps[lo].slot == slot; lo++)
		t->forms[t->pdeps[lo].form].dirty = true;
}

void elements_mark_all(struct elements *t)
{
	size_t i;

	for (i = 0; i < t->nforms; i++)
		t->forms[i].dirty = true;
}

int elements_set_text(struct elements *t, uint32_t idx, const char *text)
{
	char *d;

	if (idx >= t->n || !text || strlen(text) >= ELEMENT_TEXT_MAX)
		return -1;
	if (strcmp(t->el[idx].text, text) == 0)
		return 0;
	d = strdup(text);
	if (!d)
		return -1;
	free(t->el[idx].text);
	t->el[idx].text = d;
	t->changed[idx] |= 1u << EL_TEXT;
	mark_readers(t, idx, EL_TEXT);
	return 0;
}

/* Store a result in the attribute; returns 1 when it changed, 0, or -1. */
static int apply(struct elements *t, const struct eform *f, const struct formula_value *v,
		 char *err)
{
	struct element *e = &t->el[f->elem];
	int *slot, c;

	if (f->attr == EL_TEXT) {
		char buf[ELEMENT_TEXT_MAX];
		int n = formula_str(v, &t->res, buf, sizeof(buf));
		char *d;

		if (n < 0)
			return snprintf(err, FORMULA_ERR_MAX, "TypeError: cannot convert the result to str"), -1;
		if (n >= ELEMENT_TEXT_MAX)
			return snprintf(err, FORMULA_ERR_MAX, "ValueError: text longer than %d bytes",
					ELEMENT_TEXT_MAX - 1), -1;
		if (strcmp(e->text, buf) == 0)
			return 0;
		d = strdup(buf);
		if (!d)
			return snprintf(err, FORMULA_ERR_MAX, "MemoryError: out of memory"), -1;
		free(e->text);
		e->text = d;
		return 1;
	}
	slot = f->attr == EL_FILL ? &e->fill : &e->stroke;
	if (v->type == FV_NONE) {
		c = ELEMENT_NONE;
	} else if (v->type == FV_INT || v->type == FV_BOOL) {
		if (v->i < 0 || v->i >= ELEMENT_COLORS_MAX ||
		    (t->has_colors && !t->colors[v->i].defined))
			return snprintf(err, FORMULA_ERR_MAX, "ValueError: colour %lld is not in the palette",
					(long long)v->i), -1;
		c = (int)v->i;
	} else {
		static const char *const tn[] = { "NoneType", "bool", "int", "float", "str", "list",
						  "element" };

		return snprintf(err, FORMULA_ERR_MAX, "TypeError: %s must be an integer or None, not '%s'",
				element_attr_name(f->attr), v->type < 7 ? tn[v->type] : "?"), -1;
	}
	if (*slot == c)
		return 0;
	*slot = c;
	return 1;
}

unsigned int elements_run(struct elements *t, unsigned int steps)
{
	unsigned int changes = 0;
	size_t pos;

	if (!t->order)
		return 0;
	for (pos = 0; pos < t->nforms; pos++) {
		struct eform *f = &t->forms[t->order[pos]];
		struct formula_value v;
		char err[FORMULA_ERR_MAX];
		int rc;

		if (!f->dirty)
			continue;
		f->dirty = false;
		if (!f->f)
			continue;
		if (formula_eval(f->f, &t->res, t->scratch, steps, &v, err) != 0) {
			set_err(f, err);
			continue;
		}
		rc = apply(t, f, &v, err);
		if (rc < 0) {
			set_err(f, err);
			continue;
		}
		set_err(f, NULL);
		if (rc > 0) {
			changes++;
			t->changed[f->elem] |= 1u << f->attr;
			/* Later readers run in this pass; earlier ones (a cycle)
			 * in the next, reading this value. */
			mark_readers(t, f->elem, f->attr);
		}
	}
	return changes;
}

size_t elements_drain(struct elements *t,
		      void (*visit)(void *ctx, uint32_t idx, enum element_attr a), void *ctx)
{
	size_t i, count = 0;
	int a;

	for (i = 0; i < t->n; i++) {
		if (!t->changed[i])
			continue;
		for (a = 0; a < EL_ATTRS; a++)
			if (t->changed[i] >> a & 1) {
				if (visit)
					visit(ctx, (uint32_t)i, (enum element_attr)a);
				count++;
			}
		t->changed[i] = 0;
	}
	return count;
}
