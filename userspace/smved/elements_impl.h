/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the element table: shared by elements.c (table, resolver) and
 * elements_eval.c (compilation, order, evaluation) only.
 */
#ifndef SMVED_ELEMENTS_IMPL_H
#define SMVED_ELEMENTS_IMPL_H

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
	uint32_t *hash;			/* open addressing: index + 1, 0 = empty */
	size_t hash_cap;		/* power of two, > 2 * n */
	size_t n, cap;
	int32_t (*form_of)[EL_ATTRS];	/* per element: formula index or -1 */
	uint8_t *changed;		/* per element: bit mask of attributes */

	struct eform *forms;
	size_t nforms, formcap;
	uint32_t *order;		/* evaluation order (formula indexes) */
	/* What the graph was built for: later additions wait for a recompile. */
	size_t graph_elems, graph_forms;

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

/* Replace a formula's last error (NULL clears it). */
void elements_set_err(struct eform *f, const char *msg);
/* Drop the dependency graph and order (before recompiling, or on free). */
void elements_free_graph(struct elements *t);

#endif /* SMVED_ELEMENTS_IMPL_H */
