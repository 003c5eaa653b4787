/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The point store: every value smved knows (raw SV bytes, DI bits, AI words,
 * communication status and derived points computed by formulas), its
 * quality and its times.  Sources write, subscribers (WebSocket, REST,
 * formulas) read.
 *
 * Threading: smved is single-threaded; nothing here locks.
 *
 * Identity: each point has a tag (unique, case-sensitive, <= STORE_TAG_MAX-1
 * bytes) and a small integer id (dense, 0-based).  An id is never reused
 * for another tag during the life of the process: when a configuration
 * reload removes a point it stays in the table flagged POINT_F_REMOVED,
 * and a reload that brings the tag back revives the same id.  Clients can
 * therefore cache the id -> tag dictionary and refresh it only when
 * store_dict_gen() changes.
 *
 * Ownership: struct point objects and every string they point to belong
 * to the store.  A `const struct point *` stays valid until store_free();
 * its string fields (description, unit) stay valid until the next
 * configuration reload (store_dict_gen() changes).
 *
 * Times are microseconds since 1970-01-01 UTC (int64_t, "_us"); 0 means
 * unknown.
 */
#ifndef SMVED_STORE_H
#define SMVED_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_TAG_MAX		48	/* tag buffer size, NUL included */
#define STORE_TEXT_MAX		256	/* derived text buffer, NUL included */

enum point_kind {
	POINT_SV = 0,		/* one SV byte, or one bit of it */
	POINT_DI = 1,		/* one DI bit (value after maskinv) */
	POINT_AI = 2,		/* one AI word: value = 12-bit raw * escala */
	POINT_DERIVED = 3,	/* computed (formulas); may carry a text */
	POINT_COMM = 4,		/* online (1) / offline (0) of a source or IED */
};

/* Short stable name of a kind: "sv", "di", "ai", "derived", "comm". */
const char *point_kind_name(enum point_kind k);

/* Point flags (struct point.flags). */
#define POINT_F_STALE	(1u << 0)	/* source down: last known value, not fresh */
#define POINT_F_NEVER	(1u << 1)	/* no value received since start */
#define POINT_F_REMOVED	(1u << 2)	/* dropped by a reload; skipped by iteration */
#define POINT_F_BADTIME	(1u << 3)	/* source time invalid; rx time used */
#define POINT_F_LATCHED	(1u << 4)	/* latched by the attend rules (persisted) */
#define POINT_F_MANUAL	(1u << 5)	/* value set manually by an operator (persisted) */
#define POINT_F_UNMAPPED (1u << 6)	/* no sheet entry: generated tag */

struct point {
	uint32_t id;
	uint8_t kind;		/* enum point_kind */
	/*
	 * Effective qualifier 0..3 (spec §5.12): for AIs the wire bits 15-14,
	 * forced to 1 when the IED is flagged not-responding; 0 otherwise.
	 */
	uint8_t q;
	uint16_t flags;		/* POINT_F_* */
	char tag[STORE_TAG_MAX];
	const char *description; /* "" when none */
	const char *unit;	/* "" when none */
	/*
	 * As on the wire: SV byte (or the bit 0/1), DI bit before inversion,
	 * AI 16-bit word with its qualifier bits, COMM 0/1.
	 */
	uint32_t raw;
	double value;		/* engineering value (AI: (raw & 0xFFF) * scale) */
	double scale;		/* AI escala (1 when unscaled) */
	char *text;		/* DERIVED only: text value or NULL */
	int64_t src_us;		/* source (device or poll) time, UTC */
	int64_t rx_us;		/* when smved received it */
	uint64_t version;	/* store-wide change counter at the last change */
	/* Binding (what sources use to find it); -1/"" for derived points. */
	char source[32];	/* concentrator or bus name */
	int16_t ied;		/* IED address, -1 for the source itself */
	int16_t index;		/* SV byte, DI word, AI index within the IED */
	int8_t bit;		/* SV/DI bit, -1 for a whole byte or word */
	uint8_t invert;		/* DI maskinv */
	int8_t channel;		/* AI channel (energy binding), -1 when none */
	uint16_t text_id;	/* nguru idTextoEv2, 0xFFFF when none */
	double scale_e;		/* AI: escala_e, energy records' factor (1 when none) */
};

struct store;

/* Create an empty store.  Returns NULL on allocation failure. */
struct store *store_new(void);
/* Free the store and every point and subscriber.  NULL is allowed. */
void store_free(struct store *s);

/* Number of ids ever allocated (ids are 0 .. store_count()-1). */
size_t store_count(const struct store *s);
/* Point by id, or NULL when out of range.  Removed points are returned too. */
const struct point *store_get(const struct store *s, uint32_t id);
/* Live (not removed) point by tag, or NULL. */
const struct point *store_find(const struct store *s, const char *tag);
/*
 * Call @fn for every point not flagged POINT_F_REMOVED, in id order.  A
 * non-zero return from @fn stops the iteration and is returned.
 */
int store_foreach(const struct store *s,
		  int (*fn)(const struct point *p, void *arg), void *arg);
/* Changes whenever points are added, removed or renamed (dictionary). */
uint64_t store_dict_gen(const struct store *s);
/* Store-wide change counter (the latest point.version). */
uint64_t store_version(const struct store *s);

/* --- defining points (config, sources) -------------------------------- */

/*
 * Definition of a point; strings are copied.  Used by the configuration
 * loader and by sources for generated (unmapped) tags.
 */
struct point_def {
	const char *tag;
	uint8_t kind;
	const char *description;
	const char *unit;
	double scale;		/* 0 means 1 */
	const char *source;
	int ied, index, bit;	/* -1 where not applicable */
	int invert;
	int channel;		/* -1 when none */
	int text_id;		/* -1 when none */
	uint16_t flags;		/* only POINT_F_UNMAPPED is taken */
	double scale_e;		/* 0 means 1 */
};

/*
 * Add a point, or update the definition of an existing tag (reviving a
 * removed one).  The value, quality and times of an existing point are
 * kept.  Returns the id, or -1 with errno set (EINVAL: bad tag or kind;
 * ENOMEM).
 */
int64_t store_define(struct store *s, const struct point_def *d);

/*
 * Reload support: store_mark_begin() flags every point of kind SV, DI,
 * AI or COMM as "unconfirmed"; every store_define() during the reload
 * confirms its tag; store_mark_end() flags the unconfirmed ones
 * POINT_F_REMOVED and bumps the dictionary generation if anything changed.
 * Derived points are left to their owner (store_remove()).
 */
void store_mark_begin(struct store *s);
void store_mark_end(struct store *s);
/* Flag one point removed (e.g. a derived point whose formula went away). */
void store_remove(struct store *s, uint32_t id);

/* --- updating values (sources, formulas, operators) -------------------- */

/*
 * Set a point's raw value and quality.  The engineering value is derived
 * from the kind (DI: bit XOR invert; AI: (raw & 0xFFF) * scale; others:
 * raw).  Clears POINT_F_STALE and POINT_F_NEVER; sets POINT_F_BADTIME when
 * @src_us is 0.  Subscribers are marked dirty only when something visible
 * changed (value, raw, q, flags or the source time).
 */
void store_set_raw(struct store *s, uint32_t id, uint32_t raw, uint8_t q,
		   int64_t src_us, int64_t rx_us);
/* Set a derived point's number and optional text (copied, truncated to STORE_TEXT_MAX-1). */
void store_set_derived(struct store *s, uint32_t id, double value,
		       const char *text, int64_t now_us);
/*
 * Mark every point bound to @source (and, when @ied >= 0, only that IED's)
 * stale or fresh again.  Used on communication loss; values are kept.
 */
void store_set_stale(struct store *s, const char *source, int ied, bool stale);
/*
 * Latch and manual flags, persisted by the journal (store_attach_persist)
 * so that the HMI shows the same after a restart.
 */
void store_set_flag(struct store *s, uint32_t id, uint16_t flag, bool on);

/*
 * Persistence hook: called whenever a persisted flag (LATCHED, MANUAL)
 * changes, so that journal.c can save it.  One hook; NULL detaches.
 */
void store_attach_persist(struct store *s,
			  void (*fn)(const struct point *p, void *arg), void *arg);

/*
 * Group updates: between store_batch_begin() and store_batch_end() changes
 * only mark subscribers dirty; the notify callbacks run once, at the end.
 * Batches nest.  Outside a batch each change notifies immediately.
 */
void store_batch_begin(struct store *s);
void store_batch_end(struct store *s);

/* --- change subscription ------------------------------------------------ */

/*
 * A subscriber has a dirty set (one bit per id).  @notify (may be NULL)
 * is called after a batch that dirtied at least one point of this
 * subscriber, or when the dictionary changed; it must not free the
 * subscriber itself (defer with an event) and typically just schedules the
 * next tick.  The WebSocket layer calls store_sub_drain() once per tick to
 * send coalesced deltas: each changed point is visited once, however many
 * times it changed.
 */
struct store_sub;
typedef void (*store_notify_fn)(struct store_sub *sub, void *arg);

struct store_sub *store_subscribe(struct store *s, store_notify_fn notify,
				  void *arg);
/* Detach and free a subscriber.  NULL is allowed. */
void store_unsubscribe(struct store *s, struct store_sub *sub);
/*
 * Visit (in id order) every point dirtied since the last drain and clear
 * the set.  Removed points are visited too (so clients can drop them).
 * Returns the number of points visited.
 */
size_t store_sub_drain(struct store_sub *sub,
		       void (*visit)(const struct point *p, void *arg),
		       void *arg);
/* Number of dirty points waiting in @sub. */
size_t store_sub_pending(const struct store_sub *sub);
/* Mark every point dirty for @sub (a client that needs a full snapshot). */
void store_sub_mark_all(struct store_sub *sub);
/* Dictionary generation @sub last saw; compare with store_dict_gen(). */
uint64_t store_sub_dict_gen(const struct store_sub *sub);
void store_sub_set_dict_gen(struct store_sub *sub, uint64_t gen);

#endif /* SMVED_STORE_H */
