// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Binding a source's reply arrays to points (spec §8.5): by position
 * computed from the layout, never by row order as nguru did, so that a
 * missing sheet row cannot shift every later value.  Every position gets a
 * point; sheet rows only name, scale and invert them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sheets_int.h"
#include "smved.h"

/* §8.6 seed texts, used when the sheets bring no textoevtipo.csv. */
static const struct {
	int id;
	const char *t0, *t1;
} seed_texts[] = {
	{ 0, "CERRADO", "ABIERTO" },
	{ 1, "ALTA", "BAJA" },
	{ 2, "CONECTADO", "DESCONECTADO" },
	{ 4, "ACTUADA", "NORMAL" },
	{ 5, "ACTUADO", "NORMAL" },
	{ 6, "DELTA MIN", "DELTA MAX" },
	{ 7, "VALOR MIN", "VALOR MAX" },
};

const char *sheets_state_text(const struct sheets *sh, int text_id, int value)
{
	if (text_id < 0 || (value != 0 && value != 1))
		return NULL;
	if (sh && sh->ntexts) {
		for (size_t i = 0; i < sh->ntexts; i++)
			if (sh->texts[i].id == text_id && sh->texts[i].value == value)
				return sh->texts[i].text;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(seed_texts) / sizeof(seed_texts[0]); i++)
		if (seed_texts[i].id == text_id)
			return value ? seed_texts[i].t1 : seed_texts[i].t0;
	return NULL;
}

int sheets_foreach_ai_limits(const struct sheets *sh,
			     int (*fn)(const char *tag, const struct ai_limits *lim,
				       void *arg),
			     void *arg)
{
	int r;

	for (size_t i = 0; sh && i < sh->npts; i++)
		if (sh->pts[i].kind == POINT_AI && sh->pts[i].lim.has &&
		    (r = fn(sh->pts[i].tag, &sh->pts[i].lim, arg)) != 0)
			return r;
	return 0;
}

struct bind_ctx {
	struct store *s;
	const char *source, *station;
	struct source_points *sp;
	size_t cap;
	int failed;
};

static void add(struct bind_ctx *c, const struct point_def *d, uint8_t ied_idx,
		uint16_t elem, uint16_t local)
{
	struct binding *b;
	int64_t id = store_define(c->s, d);

	if (id < 0) {
		smved_log(LOG_ERR, "%s: cannot define point %s", c->source, d->tag);
		c->failed = 1;
		return;
	}
	if (c->sp->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 256;
		struct binding *nb = realloc(c->sp->b, ncap * sizeof(*nb));

		if (!nb) {
			c->failed = 1;
			return;
		}
		c->sp->b = nb;
		c->cap = ncap;
	}
	b = &c->sp->b[c->sp->n++];
	b->id = (uint32_t)id;
	b->kind = d->kind;
	b->ied_idx = ied_idx;
	b->addr = (uint8_t)d->ied;
	b->bit = (int8_t)d->bit;
	b->elem = elem;
	b->local = local;
	b->tipo = -1;
}

/* The sheet row naming this position, or NULL. */
static const struct sheet_point *sheet_row(const struct sheets *sh,
					   const struct sheet_ied *si, uint8_t kind,
					   int index, int bit)
{
	if (!sh || !si)
		return NULL;
	for (size_t i = 0; i < sh->npts; i++) {
		const struct sheet_point *p = &sh->pts[i];

		if (p->kind == kind && p->ied_id == si->id && p->index == index &&
		    p->bit == bit)
			return p;
	}
	return NULL;
}

static void def_from_row(struct point_def *d, const struct sheet_point *r)
{
	if (r->tag[0])
		d->tag = r->tag;	/* else the generated one (varsys rows have no tag) */
	d->description = r->description;
	d->unit = r->unit;
	d->scale = r->scale;
	d->scale_e = r->scale_e;
	d->invert = r->invert;
	d->channel = r->channel;
	d->text_id = r->text_id;
	d->flags = 0;
}

static int cmp_binding(const void *a, const void *b)
{
	const struct binding *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind - y->kind;
	if (x->elem != y->elem)
		return x->elem - y->elem;
	return x->bit - y->bit;
}

int sheets_bind(const struct sheets *sh, struct store *s, const char *source,
		const char *station, const struct mara_layout *l,
		int comaster_id, struct source_points *sp)
{
	struct bind_ctx c = { .s = s, .source = source, .station = station, .sp = sp };
	unsigned sv_base = 0, di_base = 0, ai_base = 0;
	char tag[STORE_TAG_MAX], desc[96];
	struct point_def d;
	int64_t id;

	memset(sp, 0, sizeof(*sp));
	snprintf(tag, sizeof(tag), "%s.COMM", station);
	snprintf(desc, sizeof(desc), "%s: communication with %s", station, source);
	d = (struct point_def){ .tag = tag, .kind = POINT_COMM, .description = desc,
				.source = source, .ied = -1, .index = -1, .bit = -1,
				.channel = -1, .text_id = 2 };
	id = store_define(s, &d);
	if (id < 0)
		return -1;
	sp->comm_id = (uint32_t)id;
	for (unsigned i = 0; i < l->count && !c.failed; i++) {
		const struct mara_layout_ied *li = &l->ied[i];
		const struct sheet_ied *si = NULL;

		for (size_t k = 0; sh && k < sh->nieds; k++)
			if (sh->ieds[k].comaster_id == comaster_id &&
			    sh->ieds[k].addr == li->addr)
				si = &sh->ieds[k];
		snprintf(tag, sizeof(tag), "%s.%u.COMM", station, li->addr);
		snprintf(desc, sizeof(desc), "%s: IED %u responding", station, li->addr);
		d = (struct point_def){ .tag = tag, .kind = POINT_COMM, .description = desc,
					.source = source, .ied = li->addr, .index = -1,
					.bit = -1, .channel = -1, .text_id = 2 };
		id = store_define(s, &d);
		if (id < 0)
			return -1;
		sp->ied_comm[i] = (uint32_t)id;
		for (unsigned j = 0; j < li->sv_bytes; j++) {
			const struct sheet_point *r = sheet_row(sh, si, POINT_SV, (int)j, -1);

			snprintf(tag, sizeof(tag), "%s.%u.SV%u", station, li->addr, j);
			d = (struct point_def){ .tag = tag, .kind = POINT_SV, .source = source,
						.ied = li->addr, .index = (int)j, .bit = -1,
						.channel = -1, .text_id = -1,
						.flags = POINT_F_UNMAPPED };
			if (r)
				def_from_row(&d, r);
			add(&c, &d, (uint8_t)i, (uint16_t)(sv_base + j), (uint16_t)j);
			/* Bit rows of varsys.csv are extra points on the same byte. */
			for (size_t k = 0; sh && si && k < sh->npts; k++) {
				const struct sheet_point *b = &sh->pts[k];

				if (b->kind != POINT_SV || b->ied_id != si->id ||
				    b->index != (int)j || b->bit < 0)
					continue;
				snprintf(tag, sizeof(tag), "%s.%u.SV%u.%d", station, li->addr,
					 j, b->bit);
				d = (struct point_def){ .tag = tag, .kind = POINT_SV,
							.source = source, .ied = li->addr,
							.index = (int)j, .bit = b->bit };
				def_from_row(&d, b);
				add(&c, &d, (uint8_t)i, (uint16_t)(sv_base + j), (uint16_t)j);
			}
		}
		for (unsigned p = 0; p < li->di_words; p++) {
			for (int bit = 0; bit < 16; bit++) {
				const struct sheet_point *r = sheet_row(sh, si, POINT_DI,
									(int)p, bit);

				snprintf(tag, sizeof(tag), "%s.%u.DI%u.%d", station, li->addr,
					 p, bit);
				d = (struct point_def){ .tag = tag, .kind = POINT_DI,
							.source = source, .ied = li->addr,
							.index = (int)p, .bit = bit, .channel = -1,
							.text_id = -1, .flags = POINT_F_UNMAPPED };
				if (r)
					def_from_row(&d, r);
				add(&c, &d, (uint8_t)i, (uint16_t)(di_base + p), (uint16_t)p);
				if (r && !c.failed)
					c.sp->b[c.sp->n - 1].tipo = (int8_t)r->tipo;
			}
		}
		for (unsigned n = 0; n < li->ai_words; n++) {
			const struct sheet_point *r = sheet_row(sh, si, POINT_AI,
								(int)(ai_base + n), -1);

			snprintf(tag, sizeof(tag), "%s.%u.AI%u", station, li->addr, n);
			d = (struct point_def){ .tag = tag, .kind = POINT_AI, .source = source,
						.ied = li->addr, .index = (int)n, .bit = -1,
						.channel = -1, .text_id = -1,
						.flags = POINT_F_UNMAPPED };
			if (r)
				def_from_row(&d, r);
			add(&c, &d, (uint8_t)i, (uint16_t)(ai_base + n), (uint16_t)n);
		}
		sv_base += li->sv_bytes;
		di_base += li->di_words;
		ai_base += li->ai_words;
	}
	if (c.failed) {
		source_points_free(sp);
		return -1;
	}
	qsort(sp->b, sp->n, sizeof(*sp->b), cmp_binding);
	return 0;
}

void source_points_free(struct source_points *sp)
{
	free(sp->b);
	memset(sp, 0, sizeof(*sp));
}

const struct binding *sheets_find_di(const struct source_points *sp,
				     uint8_t addr, unsigned port, unsigned bit)
{
	for (size_t i = 0; i < sp->n; i++) {
		const struct binding *b = &sp->b[i];

		if (b->kind == POINT_DI && b->addr == addr && b->local == port &&
		    b->bit == (int)bit)
			return b;
	}
	return NULL;
}

const struct binding *sheets_find_energy(const struct source_points *sp,
					 const struct store *s, uint8_t addr,
					 unsigned channel)
{
	for (size_t i = 0; i < sp->n; i++) {
		const struct binding *b = &sp->b[i];
		const struct point *p;

		if (b->kind != POINT_AI || b->addr != addr)
			continue;
		p = store_get(s, b->id);
		if (p && p->channel == (int)channel)
			return b;
	}
	return NULL;
}
