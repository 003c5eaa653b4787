/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The diagram's derived points in the running daemon: the element table
 * (elements.h) loaded from the configured points folder, evaluated when
 * AI/DI points change, and published as "eg.TAG.text|fill|stroke" points
 * of the store so REST and the WebSocket feed carry them.
 *
 * Evaluation is change-driven and deferred: a store subscriber notices
 * every batch that touched a point and schedules one evaluation pass on
 * the event loop, so a burst of replies costs one pass, and sources need
 * not know about formulas.  All calls run on the daemon's event loop.
 */
#ifndef SMVED_DERIVED_H
#define SMVED_DERIVED_H

#include <stdint.h>

struct smved;
struct elements;

struct derived;

/*
 * Load the element sheets of sm->cfg->points_dir (after the sources
 * defined the AI/DI points), define and publish the derived points and
 * start following the store.  A folder without eg.csv has no diagram:
 * returns an empty, valid object.  Sheet and formula problems are logged
 * as warnings (the faulty rows or formulas are skipped; the rest works).
 * Returns NULL on allocation failure or when the store refuses the
 * points (logged).  Owned by the caller: derived_free().
 */
struct derived *derived_new(struct smved *sm);
/*
 * After a configuration reload (sources already applied): build a new
 * table from the new points folder, remove the derived points of
 * elements that went away, then replace *@dp.  On failure *@dp is kept
 * and -1 is returned (logged).
 */
int derived_reload(struct derived **dp, struct smved *sm);
/* Stop following the store and free.  NULL is allowed. */
void derived_free(struct derived *d);

/*
 * The live table (for click toggles and latches), or NULL when there is
 * no diagram.  Valid until the next derived_reload()/derived_free().
 * After changing it (elements_set_text, elements_toggle) call
 * derived_update() so readers run and the points are published.
 */
struct elements *derived_table(struct derived *d);
/* Evaluate what is pending and publish the changes now.  NULL is allowed. */
void derived_update(struct derived *d);
/*
 * An operator's manual text on the derived point @point_tag: when it is
 * "eg.TAG.text" of an element, the element's text becomes @text (so its
 * formulas and the formulas reading it follow) and is published now.
 * Returns 1 done, 0 not an element's text point (the caller writes the
 * point itself), -1 text too long.  @d NULL: 0.
 */
int derived_set_text(struct derived *d, const char *point_tag, const char *text);
/* The same, on the next loop pass (from callbacks that must not write the store). */
void derived_schedule(struct derived *d);

/*
 * --check-config: load the element sheets of @cfg's points folder against
 * the points its sources would define, and report every sheet problem and
 * formula fault to @diag ("formulas.csv:ROW:COL: TAG.attr: message").
 * These are warnings: the daemon runs with them (faulty rows are skipped,
 * faulty formulas keep the sheet's values).  Returns the number reported,
 * 0 when there is no diagram, -1 on allocation failure.
 */
struct smved_config;
int derived_check(const struct smved_config *cfg, void (*diag)(void *ctx, const char *msg),
		  void *ctx);

#endif /* SMVED_DERIVED_H */
