/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The diagram element table (nguru's SVGElement, "eg"; spec §9.2-§9.4):
 * every element's text, fill and stroke, the colour palette, and the
 * formulas that compute those attributes from points and other elements.
 *
 * Life cycle (smved-core wires it; the store's AI/DI points must already
 * be defined from the point sheets):
 *   t = elements_new();
 *   elements_load_dir(t, points_dir, diag, ctx);    color.csv, eg.csv, formulas.csv
 *   elements_store_resolver(store, &pts);
 *   elements_compile(t, &pts, fault, ctx);          bind + dependency order
 *     (--check-config: elements_check(t, &pts, diag, ctx) instead)
 *   elements_define_points(t, store);                derived eg.TAG.text/fill/stroke
 *   sub = store_subscribe(store, NULL, NULL);
 *   elements_mark_all(t); elements_run(t, 0); elements_publish(t, store, now);
 * after every applied reply (after its store batch ended):
 *   elements_store_changed(t, sub); elements_run(t, 0);
 *   elements_publish(t, store, now);
 * latches (§9.8) and click toggles (§9.6) write texts with
 * elements_set_text() / elements_toggle(), then run and publish the same
 * way.  On reload: build a new table as above, elements_forget_points()
 * with it, free the old one.
 *
 * Evaluation order: formulas run in dependency order of their eg.*
 * references, so a pass is self-consistent; formulas in a dependency
 * cycle read the previous values of the others in the cycle.  Only
 * formulas whose inputs changed are evaluated.
 *
 * Ownership: the table owns every string it returns; pointers stay valid
 * until the attribute changes (text) or elements_free().  Threading: none.
 */
#ifndef SMVED_ELEMENTS_H
#define SMVED_ELEMENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formula.h"

#define ELEMENT_TAG_MAX		17	/* 16 characters (spec §8.9) + NUL */
#define ELEMENT_TEXT_MAX	256	/* text buffer, NUL included */
#define ELEMENT_COLORS_MAX	256	/* palette indexes 0..255 */
#define ELEMENT_NONE		(-1)	/* fill/stroke: no style (None) */

/* The attributes formulas compute. */
enum element_attr {
	EL_TEXT = 0,
	EL_FILL = 1,
	EL_STROKE = 2,
	EL_ATTRS
};

/* "text", "fill", "stroke"; NULL for an invalid value. */
const char *element_attr_name(enum element_attr a);

/* One element as the sheet (eg.csv) defines it; strings are copied. */
struct element_def {
	const char *tag;
	const char *description;
	const char *text;		/* NULL: "0" (nguru's default) */
	int fill, stroke;		/* colour index or ELEMENT_NONE */
	int mark;			/* 0..15, 0 when none */
	const char *screen;
	const char *on_click_jump;
	const char *on_click_text_toggle;
	const char *linked_text_change;
	bool enabled;
	unsigned int line;		/* sheet line, for messages */
};

/* An element's current state (read only for callers). */
struct element {
	char tag[ELEMENT_TAG_MAX];
	char *description;
	char *text;
	int fill, stroke;		/* colour index or ELEMENT_NONE */
	int mark;
	char *screen;
	char *on_click_jump;
	char *on_click_text_toggle;
	char *linked_text_change;
	bool enabled;
};

struct color {
	bool defined;
	uint32_t rgb;			/* 0xRRGGBB */
	char name[32];
	char description[64];
};

/* A formula that does not compile, for --check-config and logs. */
struct element_fault {
	unsigned int row;		/* line in formulas.csv (header = 1), 0 when unknown */
	unsigned int col;		/* 1-based column in the formula text */
	const char *tag;
	enum element_attr attr;
	const char *formula;
	const char *msg;
};

typedef void (*element_fault_fn)(void *ctx, const struct element_fault *f);

struct elements;

/* Empty table; NULL on ENOMEM. */
struct elements *elements_new(void);
/* NULL is allowed. */
void elements_free(struct elements *t);

/*
 * Add an element.  Returns its index (dense, 0-based, in insertion order)
 * or -1 with a message in @err (capacity FORMULA_ERR_MAX): tag empty,
 * longer than 16 characters or with characters outside [A-Za-z0-9_],
 * duplicate tag, bad mark or colour.
 */
int elements_add(struct elements *t, const struct element_def *d, char *err);
/* Define palette entry @index (0..ELEMENT_COLORS_MAX-1).  Returns 0 or -1. */
int elements_set_color(struct elements *t, unsigned int index, uint32_t rgb,
		       const char *name, const char *description);
/* Palette entry, or NULL when @index is not defined. */
const struct color *elements_color(const struct elements *t, int index);
/*
 * Attach the formula of (@tag, @attr), to be compiled by
 * elements_compile().  @row is the sheet line for messages.  Returns 0, or
 * -1 with @err set when the element does not exist, the attribute already
 * has a formula or the text is longer than FORMULA_TEXT_MAX.
 */
int elements_set_formula(struct elements *t, const char *tag, enum element_attr attr,
			 const char *text, unsigned int row, char *err);

/*
 * Compile every formula, binding ai.* and di.* references through @points
 * (its bind() and read() are used for FORMULA_NS_AI and FORMULA_NS_DI; the
 * table resolves eg.* itself; @points is copied and must stay valid), and
 * compute the evaluation order.  Every formula that does not compile is
 * reported to @fault (may be NULL) and recorded as that attribute's last
 * error; the others still work.  Dependency cycles are not faults.
 * Returns the number of faults, or -1 on allocation failure.  May be called
 * again (e.g. after points were redefined); everything is recompiled.
 * Elements and formulas added later take part only after the next call.
 */
int elements_compile(struct elements *t, const struct formula_resolver *points,
		     element_fault_fn fault, void *ctx);

/*
 * For `smved --check-config`: compile like elements_compile() and report
 * every fault to @diag as "formulas.csv:ROW:COL: TAG.attr: message", then
 * one line per dependency cycle member ("...: TAG.attr: in a dependency
 * cycle, reads previous values"; informational, not counted).  Returns the
 * number of faults, -1 on allocation failure.
 */
int elements_check(struct elements *t, const struct formula_resolver *points,
		   void (*diag)(void *ctx, const char *msg), void *ctx);

/* Number of elements; element by index; index by tag (-1 when absent). */
size_t elements_count(const struct elements *t);
const struct element *elements_get(const struct elements *t, uint32_t idx);
int elements_find(const struct elements *t, const char *tag);

/* The formula text of an attribute, or NULL when it has none. */
const char *elements_formula(const struct elements *t, uint32_t idx, enum element_attr a);
/* The sheet row of the attribute's formula, 0 when it has none. */
unsigned int elements_formula_row(const struct elements *t, uint32_t idx, enum element_attr a);
/* The attribute's last error ("Type: message"), or NULL after a success. */
const char *elements_error(const struct elements *t, uint32_t idx, enum element_attr a);
/* True when the attribute's formula is part of a dependency cycle. */
bool elements_in_cycle(const struct elements *t, uint32_t idx, enum element_attr a);

/* --- change-driven evaluation -------------------------------------------- */

/* Point (@ns AI or DI, slot as bound) changed: its readers must run. */
void elements_point_changed(struct elements *t, enum formula_ns ns, uint32_t slot);
/* Every formula must run (configuration load). */
void elements_mark_all(struct elements *t);
/*
 * Set an element's text from outside the formulas (latches §9.8, click
 * toggles §9.6).  Readers of it run on the next elements_run().  Returns
 * 0, or -1 when @idx is out of range or @text is too long.
 */
int elements_set_text(struct elements *t, uint32_t idx, const char *text);
/*
 * Click toggle (§9.6).  @idx's on_click_text_toggle reads "value (label),
 * value (label)".  When the element's text is one of the two values it
 * becomes the other one, on the element and on every existing element
 * named in linked_text_change (tags separated by commas, semicolons or
 * spaces; unknown tags are skipped).  @from and @to (capacity
 * ELEMENT_TEXT_MAX each, may be NULL) receive the old and new value for
 * the confirmation dialog and the audit log.  Returns the number of
 * elements whose text changed, or -1 with @err (capacity FORMULA_ERR_MAX)
 * set: no toggle, malformed toggle, or a text that is neither value.
 */
int elements_toggle(struct elements *t, uint32_t idx, char *from, char *to, char *err);
/*
 * Evaluate the pending formulas in dependency order.  Returns the number
 * of attributes whose value changed.  @steps bounds each formula (0: the
 * default budget).
 */
unsigned int elements_run(struct elements *t, unsigned int steps);
/*
 * Visit each attribute changed since the last call (by a formula or by
 * elements_set_text) and forget the changes.  Returns the count visited.
 */
size_t elements_drain(struct elements *t,
		      void (*visit)(void *ctx, uint32_t idx, enum element_attr a),
		      void *ctx);

/* Resolver of eg.* over this table (ai/di through the points resolver). */
const struct formula_resolver *elements_resolver(const struct elements *t);

/* --- sheets (elements_csv.c) ---------------------------------------------- */

/* Diagnostics sink: one message per call, "file:line: message". */
typedef void (*elements_diag_fn)(void *ctx, const char *msg);

/*
 * Load color.csv, eg.csv and formulas.csv (nguru's sheets, spec §8.8) from
 * @dir into @t.  A missing color.csv gives the built-in palette of §9.4; a
 * missing formulas.csv gives no formulas; a missing eg.csv is an error.
 * Returns the number of problems reported to @diag (0 = clean); rows with
 * problems are skipped, the rest is loaded.
 */
int elements_load_dir(struct elements *t, const char *dir, elements_diag_fn diag, void *ctx);

/* --- store glue (elements_store.c) ---------------------------------------- */

struct store;

/*
 * A points resolver over the store: ai.TAG.value = the 12-bit raw value,
 * .escala = the point's scale, .q = its effective qualifier; di.TAG.value
 * = the value after inversion.  Slots are store ids.  A point that never
 * received a value is an error ("no value received yet"), so the
 * attribute keeps its sheet value.
 */
void elements_store_resolver(struct store *s, struct formula_resolver *out);
/*
 * Drain @sub (a store subscriber smved-core created for the formulas) and
 * mark the readers of every changed AI or DI point.  Returns the number of
 * points visited.
 */
struct store_sub;
size_t elements_store_changed(struct elements *t, struct store_sub *sub);
/*
 * Define the derived points "eg.TAG.text", "eg.TAG.fill" and
 * "eg.TAG.stroke" for every element.  Returns 0 or -1 (store error).
 */
int elements_define_points(struct elements *t, struct store *s);
/*
 * After a configuration reload: flag removed (store_remove) every derived
 * "eg.TAG.attr" point whose element is not in @t.  Returns how many.
 */
size_t elements_forget_points(const struct elements *t, struct store *s);
/*
 * Write every changed attribute to its derived point: text points carry
 * the text (value: the number it reads as, else 0); fill/stroke points
 * carry the colour index as value (-1 for None) and "#rrggbb" as text
 * (NULL for None).  Returns the number of points written.
 */
size_t elements_publish(struct elements *t, struct store *s, int64_t now_us);

#endif /* SMVED_ELEMENTS_H */
