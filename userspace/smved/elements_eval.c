// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Compiling the element formulas, their dependency order and their
 * change-driven evaluation (see elements.h).
 *
 * A formula is a node of a graph whose edges go from a formula to the
 * formulas that read its attribute (eg.TAG.attr, or every element through
 * `eg` in FILTRAR).  Tarjan's algorithm orders the strongly connected
 * components topologically; a component of more than one formula (or one
 * that reads itself) is a cycle, evaluated in sheet order, each member
 * reading the previous values of the members not yet evaluated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elements_impl.h"

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
	scc = calloc(nf + 1, sizeof(*scc));
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
	elements_free_graph(t);
	for (i = 0; i < t->nforms; i++) {
		struct eform *f = &t->forms[i];
		struct formula_error fe;

		formula_free(f->f);
		f->f = NULL;
		f->cyclic = false;
		f->dirty = true;
		elements_set_err(f, NULL);
		if (formula_compile(f->text, strlen(f->text), &t->res, &f->f, &fe) == 0)
			continue;
		{
			char msg[FORMULA_ERR_MAX + 32];
			struct element_fault ef = {
				.row = f->row, .col = fe.col, .tag = t->el[f->elem].tag,
				.attr = f->attr, .formula = f->text, .msg = fe.msg,
			};

			snprintf(msg, sizeof(msg), "CompileError: column %u: %s", fe.col, fe.msg);
			elements_set_err(f, msg);
			faults++;
			if (fault)
				fault(ctx, &ef);
		}
	}
	if (build_readers(t) || order_formulas(t)) {
		elements_free_graph(t);
		return -1;
	}
	t->graph_elems = t->n;
	t->graph_forms = t->nforms;
	return faults;
}

/* --- evaluation ----------------------------------------------------------------- */

static void mark_readers(struct elements *t, uint32_t elem, enum element_attr a)
{
	size_t key = (size_t)elem * EL_ATTRS + a;
	uint32_t i;

	if (!t->rd_start || elem >= t->graph_elems)
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
	for (pos = 0; pos < t->graph_forms; pos++) {
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
			elements_set_err(f, err);
			continue;
		}
		rc = apply(t, f, &v, err);
		if (rc < 0) {
			elements_set_err(f, err);
			continue;
		}
		elements_set_err(f, NULL);
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

struct check_ctx {
	void (*diag)(void *ctx, const char *msg);
	void *ctx;
};

static void check_fault(void *ctx, const struct element_fault *f)
{
	const struct check_ctx *cc = ctx;
	char msg[FORMULA_ERR_MAX + 96];

	snprintf(msg, sizeof(msg), "formulas.csv:%u:%u: %s.%s: %s", f->row, f->col, f->tag,
		 element_attr_name(f->attr), f->msg);
	if (cc->diag)
		cc->diag(cc->ctx, msg);
}

int elements_check(struct elements *t, const struct formula_resolver *points,
		   void (*diag)(void *ctx, const char *msg), void *ctx)
{
	struct check_ctx cc = { diag, ctx };
	int faults = elements_compile(t, points, check_fault, &cc);
	size_t i;

	for (i = 0; faults >= 0 && i < t->graph_forms; i++) {
		const struct eform *f = &t->forms[i];
		char msg[128];

		if (!f->cyclic || !diag)
			continue;
		snprintf(msg, sizeof(msg), "formulas.csv:%u: %s.%s: in a dependency cycle, reads previous values",
			 f->row, t->el[f->elem].tag, element_attr_name(f->attr));
		diag(ctx, msg);
	}
	return faults;
}
