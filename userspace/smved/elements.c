// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The element table: elements, palette, formulas per (element, attribute)
 * and the resolver formulas read elements through.  Compilation, order and
 * evaluation are in elements_eval.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elements_impl.h"

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

void elements_free_graph(struct elements *t)
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
	t->graph_elems = 0;
	t->graph_forms = 0;
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
	elements_free_graph(t);
	free(t->el);
	free(t->hash);
	free(t->form_of);
	free(t->changed);
	free(t->forms);
	formula_scratch_free(t->scratch);
	free(t);
}

static size_t tag_hash(const char *tag)
{
	size_t h = 2166136261u;	/* FNV-1a */

	for (; *tag; tag++)
		h = (h ^ (unsigned char)*tag) * 16777619u;
	return h;
}

/* Index element @i; grows (rehashes) first when the table is half full. */
static int hash_insert(struct elements *t, uint32_t i)
{
	size_t mask, k;

	if (2 * (t->n + 1) >= t->hash_cap) {
		size_t cap = t->hash_cap ? t->hash_cap * 2 : 256, j;
		uint32_t *h = calloc(cap, sizeof(*h));

		if (!h)
			return -1;
		free(t->hash);
		t->hash = h;
		t->hash_cap = cap;
		for (j = 0; j < i; j++) {
			for (k = tag_hash(t->el[j].tag) & (cap - 1); h[k]; k = (k + 1) & (cap - 1))
				;
			h[k] = (uint32_t)j + 1;
		}
	}
	mask = t->hash_cap - 1;
	for (k = tag_hash(t->el[i].tag) & mask; t->hash[k]; k = (k + 1) & mask)
		;
	t->hash[k] = i + 1;
	return 0;
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
	if (!oom && hash_insert(t, (uint32_t)t->n) != 0)
		oom = true;
	if (oom) {
		free(e->description);
		free(e->text);
		free(e->screen);
		free(e->on_click_jump);
		free(e->on_click_text_toggle);
		free(e->linked_text_change);
		snprintf(err, FORMULA_ERR_MAX, "out of memory");
		return -1;
	}
	return (int)t->n++;
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
	size_t mask, k;

	if (!t->hash_cap)
		return -1;
	mask = t->hash_cap - 1;
	for (k = tag_hash(tag) & mask; t->hash[k]; k = (k + 1) & mask)
		if (strcmp(t->el[t->hash[k] - 1].tag, tag) == 0)
			return (int)t->hash[k] - 1;
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

void elements_set_err(struct eform *f, const char *msg)
{
	if (f->err && msg && strcmp(f->err, msg) == 0)
		return;
	free(f->err);
	f->err = msg ? strdup(msg) : NULL;
}


/* One "value (label)" of a toggle, trimmed, into @out; false when empty or too long. */
static bool toggle_value(const char *p, size_t n, char *out)
{
	const char *paren = memchr(p, '(', n);

	if (paren)
		n = (size_t)(paren - p);
	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if (!n || n >= ELEMENT_TEXT_MAX)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

int elements_toggle(struct elements *t, uint32_t idx, char *from, char *to, char *err)
{
	char v[2][ELEMENT_TEXT_MAX], tag[ELEMENT_TAG_MAX];
	const char *tg, *p, *cut = NULL;
	const struct element *e;
	int depth = 0, changed = 0, which, k;

	if (idx >= t->n) {
		snprintf(err, FORMULA_ERR_MAX, "no element %u", idx);
		return -1;
	}
	e = &t->el[idx];
	tg = e->on_click_text_toggle;
	/* Split at the comma outside parentheses: labels may contain commas. */
	for (p = tg; *p; p++) {
		depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
		if (*p == ',' && depth == 0) {
			if (cut) {
				cut = NULL;
				break;
			}
			cut = p;
		}
	}
	if (!cut || !toggle_value(tg, (size_t)(cut - tg), v[0]) ||
	    !toggle_value(cut + 1, strlen(cut + 1), v[1])) {
		snprintf(err, FORMULA_ERR_MAX, "%s: on_click_text_toggle '%.60s' is not \"value (label), value (label)\"",
			 e->tag, tg);
		return -1;
	}
	if (strcmp(e->text, v[0]) == 0)
		which = 1;
	else if (strcmp(e->text, v[1]) == 0)
		which = 0;
	else {
		snprintf(err, FORMULA_ERR_MAX, "%s: text '%.30s' is neither '%.30s' nor '%.30s'", e->tag, e->text,
			 v[0], v[1]);
		return -1;
	}
	if (from)
		snprintf(from, ELEMENT_TEXT_MAX, "%.*s", ELEMENT_TEXT_MAX - 1, v[1 - which]);
	if (to)
		snprintf(to, ELEMENT_TEXT_MAX, "%.*s", ELEMENT_TEXT_MAX - 1, v[which]);
	if (elements_set_text(t, idx, v[which]) != 0) {
		snprintf(err, FORMULA_ERR_MAX, "out of memory");
		return -1;
	}
	changed++;
	for (p = e->linked_text_change; *p;) {
		size_t n = strcspn(p, ",; \t");

		if (n && n < sizeof(tag)) {
			memcpy(tag, p, n);
			tag[n] = '\0';
			k = elements_find(t, tag);
			if (k >= 0 && (uint32_t)k != idx && strcmp(t->el[k].text, v[which]) != 0 &&
			    elements_set_text(t, (uint32_t)k, v[which]) == 0)
				changed++;
		}
		p += n;
		p += strspn(p, ",; \t");
	}
	return changed;
}
