/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Points of a source: tags generated from the reply layout
 * (E4.1.DI0.5, E4.2.AI1, E4.1.SV3, spec §8.9 convention for unnamed
 * points) overridden by nguru-style CSV sheets (ied.csv, di.csv, ai.csv,
 * varsys.csv, textoevtipo.csv; spec §8.4-§8.6), bound by position computed
 * from the layout (§8.5).
 *
 * Ownership: struct sheets belongs to the configuration that loaded it;
 * binding arrays returned by sheets_bind() belong to the caller (free()).
 */
#ifndef SMVED_SHEETS_H
#define SMVED_SHEETS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct store;
struct sheets;

/*
 * Load the sheets of c->points_dir, fill the layout of every concentrator
 * that has a comaster_id and no layout of its own, and check the sheets
 * against the layouts (unknown columns, duplicates, points that do not fit
 * the layout, energy channel clashes).  Problems go to @diag as
 * "file:line: message"; *@errors gets their count.  Returns the sheets or
 * NULL (then *@errors > 0).
 */
struct sheets *sheets_load(struct smved_config *c, config_diag_fn diag,
			   void *ctx, int *errors);
/* Without sheets: report concentrators that have no layout.  Returns the error count. */
int sheets_check_layouts(struct smved_config *c, config_diag_fn diag, void *ctx);
/* NULL is allowed. */
void sheets_free(struct sheets *sh);

/* Where one point takes its value from in a reply of its source. */
struct binding {
	uint32_t id;		/* store id */
	uint8_t kind;		/* POINT_SV, POINT_DI, POINT_AI */
	uint8_t ied_idx;	/* index of the IED in the layout */
	uint8_t addr;		/* IED address */
	int8_t bit;		/* SV/DI bit, -1 for the whole byte/word */
	uint16_t elem;		/* SV byte / DI word / AI word within the reply array */
	uint16_t local;		/* byte / port / AI index within the IED */
	int8_t tipo;		/* DI: tipodi of di.csv (spec §9.8), -1 when none */
};

/* Points of one source and their bindings. */
struct source_points {
	struct binding *b;	/* sorted by kind, then elem, then bit */
	size_t n;
	uint32_t comm_id;	/* the source's own online point */
	uint32_t ied_comm[MARA_LAYOUT_MAX]; /* per layout IED: online point */
};

/*
 * Define in @s every point of the source named @source (station @station,
 * layout @l, nguru comaster id @comaster_id or -1) and fill @sp.  Points
 * the sheets name get their tag, description, unit, scale, inversion and
 * text id; the others get generated tags flagged POINT_F_UNMAPPED.
 * Returns 0 or -1 (allocation failure, logged).
 */
int sheets_bind(const struct sheets *sh, struct store *s, const char *source,
		const char *station, const struct mara_layout *l,
		int comaster_id, struct source_points *sp);
void source_points_free(struct source_points *sp);

/* The DI binding of DIGITAL event (addr, port, bit), or NULL. */
const struct binding *sheets_find_di(const struct source_points *sp,
				     uint8_t addr, unsigned port, unsigned bit);
/* The AI point of an ENERGY event (addr, channel), or NULL. */
const struct binding *sheets_find_energy(const struct source_points *sp,
					 const struct store *s, uint8_t addr,
					 unsigned channel);

/*
 * The state text for a value of a point with nguru text id @text_id
 * (textoevtipo.csv, else the built-in seed table of §8.6), or NULL.
 */
const char *sheets_state_text(const struct sheets *sh, int text_id, int value);

struct ai_limits;
/*
 * Call @fn for every AI of ai.csv that has at least one limit (limit_alarms.h),
 * in sheet order.  A non-zero return stops and is returned.  @sh NULL: 0.
 */
int sheets_foreach_ai_limits(const struct sheets *sh,
			     int (*fn)(const char *tag, const struct ai_limits *lim,
				       void *arg),
			     void *arg);

#endif /* SMVED_SHEETS_H */
