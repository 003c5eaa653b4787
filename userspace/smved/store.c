// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The point store.  Points live in an array of pointers so that a
 * `const struct point *` handed out stays valid while the array grows;
 * tags are found through an open-addressing hash table of ids.
 * Subscribers keep one dirty bit per id, so a burst of changes to one
 * point costs one bit and the WebSocket layer sends it once per tick.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define POINT_F_PERSISTED	(POINT_F_LATCHED | POINT_F_MANUAL)
/* Internal: not confirmed during a reload (never visible to readers). */
#define POINT_F_UNCONFIRMED	(1u << 15)

struct store_sub {
	struct store_sub *next;
	struct store *store;
	store_notify_fn notify;
	void *arg;
	uint64_t *dirty;	/* one bit per id */
	size_t ndirty;		/* bits set */
	bool pending;		/* dirtied since the last notify */
	uint64_t dict_gen;
};

struct store {
	struct point **pts;
	size_t count, cap;
	uint32_t *hash;		/* id + 1, 0 = empty slot */
	size_t hash_cap;	/* power of two, > 2 * count */
	uint64_t version;
	uint64_t dict_gen;
	bool dict_changed;	/* since the last notify */
	int batch;
	struct store_sub *subs;
	void (*persist)(const struct point *p, void *arg);
	void *persist_arg;
};

const char *point_kind_name(enum point_kind k)
{
	static const char *const names[] = { "sv", "di", "ai", "derived",
					     "comm" };

	return (unsigned int)k < sizeof(names) / sizeof(names[0]) ?
	       names[k] : "?";
}

static uint32_t tag_hash(const char *t)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	while (*t)
		h = (h ^ (uint8_t)*t++) * 16777619u;
	return h;
}

struct store *store_new(void)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->hash_cap = 64;
	s->hash = calloc(s->hash_cap, sizeof(*s->hash));
	if (!s->hash) {
		free(s);
		return NULL;
	}
	return s;
}

static void point_free(struct point *p)
{
	free((char *)p->description);
	free((char *)p->unit);
	free(p->text);
	free(p);
}

void store_free(struct store *s)
{
	if (!s)
		return;
	while (s->subs)
		store_unsubscribe(s, s->subs);
	for (size_t i = 0; i < s->count; i++)
		point_free(s->pts[i]);
	free(s->pts);
	free(s->hash);
	free(s);
}

size_t store_count(const struct store *s)
{
	return s->count;
}

const struct point *store_get(const struct store *s, uint32_t id)
{
	return id < s->count ? s->pts[id] : NULL;
}

static int64_t find_id(const struct store *s, const char *tag)
{
	size_t mask = s->hash_cap - 1;

	for (size_t i = tag_hash(tag) & mask;; i = (i + 1) & mask) {
		uint32_t v = s->hash[i];

		if (!v)
			return -1;
		if (!strcmp(s->pts[v - 1]->tag, tag))
			return v - 1;
	}
}

const struct point *store_find(const struct store *s, const char *tag)
{
	int64_t id;

	if (!tag)
		return NULL;
	id = find_id(s, tag);
	if (id < 0 || (s->pts[id]->flags & POINT_F_REMOVED))
		return NULL;
	return s->pts[id];
}

int store_foreach(const struct store *s,
		  int (*fn)(const struct point *p, void *arg), void *arg)
{
	for (size_t i = 0; i < s->count; i++) {
		int r;

		if (s->pts[i]->flags & POINT_F_REMOVED)
			continue;
		r = fn(s->pts[i], arg);
		if (r)
			return r;
	}
	return 0;
}

uint64_t store_dict_gen(const struct store *s)
{
	return s->dict_gen;
}

uint64_t store_version(const struct store *s)
{
	return s->version;
}

/* --- subscribers ------------------------------------------------------- */

static size_t words_for(size_t bits)
{
	return (bits + 63) / 64;
}

static void notify_all(struct store *s)
{
	bool dict = s->dict_changed;

	s->dict_changed = false;
	for (struct store_sub *sub = s->subs, *next; sub; sub = next) {
		next = sub->next;	/* notify may unsubscribe others later, never itself now */
		if ((sub->pending || dict) && sub->notify) {
			sub->pending = false;
			sub->notify(sub, sub->arg);
		} else {
			sub->pending = false;
		}
	}
}

static void mark_dirty(struct store *s, uint32_t id)
{
	for (struct store_sub *sub = s->subs; sub; sub = sub->next) {
		uint64_t bit = 1ull << (id % 64);

		if (!(sub->dirty[id / 64] & bit)) {
			sub->dirty[id / 64] |= bit;
			sub->ndirty++;
		}
		sub->pending = true;
	}
	if (!s->batch)
		notify_all(s);
}

static void dict_bump(struct store *s)
{
	s->dict_gen++;
	s->dict_changed = true;
}

struct store_sub *store_subscribe(struct store *s, store_notify_fn notify,
				  void *arg)
{
	struct store_sub *sub = calloc(1, sizeof(*sub));
	size_t words = words_for(s->cap ? s->cap : 64);

	if (!sub)
		return NULL;
	sub->dirty = calloc(words, sizeof(uint64_t));
	if (!sub->dirty) {
		free(sub);
		return NULL;
	}
	sub->store = s;
	sub->notify = notify;
	sub->arg = arg;
	sub->dict_gen = s->dict_gen;
	sub->next = s->subs;
	s->subs = sub;
	return sub;
}

void store_unsubscribe(struct store *s, struct store_sub *sub)
{
	if (!sub)
		return;
	for (struct store_sub **pp = &s->subs; *pp; pp = &(*pp)->next) {
		if (*pp == sub) {
			*pp = sub->next;
			break;
		}
	}
	free(sub->dirty);
	free(sub);
}

size_t store_sub_drain(struct store_sub *sub,
		       void (*visit)(const struct point *p, void *arg),
		       void *arg)
{
	struct store *s = sub->store;
	size_t n = 0;

	if (!sub->ndirty)
		return 0;
	for (size_t w = 0; w < words_for(s->count); w++) {
		uint64_t bits = sub->dirty[w];

		sub->dirty[w] = 0;
		while (bits) {
			size_t id = w * 64 + (size_t)__builtin_ctzll(bits);

			bits &= bits - 1;
			if (id < s->count) {
				visit(s->pts[id], arg);
				n++;
			}
		}
	}
	sub->ndirty = 0;
	return n;
}

size_t store_sub_pending(const struct store_sub *sub)
{
	return sub->ndirty;
}

void store_sub_mark_all(struct store_sub *sub)
{
	struct store *s = sub->store;

	for (size_t id = 0; id < s->count; id++)
		sub->dirty[id / 64] |= 1ull << (id % 64);
	sub->ndirty = s->count;
}

uint64_t store_sub_dict_gen(const struct store_sub *sub)
{
	return sub->dict_gen;
}

void store_sub_set_dict_gen(struct store_sub *sub, uint64_t gen)
{
	sub->dict_gen = gen;
}

/* --- defining ------------------------------------------------------------ */

static int grow(struct store *s)
{
	size_t ncap = s->cap ? s->cap * 2 : 64;
	struct point **np;

	if (ncap > UINT32_MAX / 2)
		return -1;
	np = realloc(s->pts, ncap * sizeof(*np)); // NOLINT(bugprone-sizeof-expression): array of pointers
	if (!np)
		return -1;
	s->pts = np;
	/* Every subscriber's bitmap must cover every id. */
	for (struct store_sub *sub = s->subs; sub; sub = sub->next) {
		size_t ow = words_for(s->cap ? s->cap : 64), nw = words_for(ncap);
		uint64_t *nd = realloc(sub->dirty, nw * sizeof(uint64_t));

		if (!nd)
			return -1;
		if (nw > ow)
			memset(nd + ow, 0, (nw - ow) * sizeof(uint64_t));
		sub->dirty = nd;
	}
	s->cap = ncap;
	if (s->hash_cap < ncap * 2) {
		size_t hcap = s->hash_cap;
		uint32_t *nh;

		while (hcap < ncap * 2)
			hcap *= 2;
		nh = calloc(hcap, sizeof(*nh));
		if (!nh)
			return -1;
		for (size_t id = 0; id < s->count; id++) {
			size_t i = tag_hash(s->pts[id]->tag) & (hcap - 1);

			while (nh[i])
				i = (i + 1) & (hcap - 1);
			nh[i] = (uint32_t)id + 1;
		}
		free(s->hash);
		s->hash = nh;
		s->hash_cap = hcap;
	}
	return 0;
}

static int set_str(const char **dst, const char *src)
{
	char *c;

	if (!src)
		src = "";
	if (*dst && !strcmp(*dst, src))
		return 0;
	c = strdup(src);
	if (!c)
		return -1;
	free((char *)*dst);
	*dst = c;
	return 1;
}

static bool valid_tag(const char *t)
{
	size_t n = t ? strlen(t) : 0;

	if (!n || n >= STORE_TAG_MAX)
		return false;
	for (; *t; t++)
		if ((unsigned char)*t <= ' ' || *t == '"' || *t == '\\' ||
		    (unsigned char)*t == 0x7F)
			return false;
	return true;
}

static int clamp_i(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int64_t store_define(struct store *s, const struct point_def *d)
{
	struct point *p;
	int64_t id;
	int changed = 0, r;

	if (!valid_tag(d->tag) || d->kind > POINT_COMM) {
		errno = EINVAL;
		return -1;
	}
	id = find_id(s, d->tag);
	if (id < 0) {
		size_t i, mask;

		if (s->count == s->cap && grow(s) < 0) {
			errno = ENOMEM;
			return -1;
		}
		p = calloc(1, sizeof(*p));
		if (!p) {
			errno = ENOMEM;
			return -1;
		}
		p->id = (uint32_t)s->count;
		memcpy(p->tag, d->tag, strlen(d->tag) + 1);
		p->flags = POINT_F_NEVER | POINT_F_STALE;
		s->pts[s->count] = p;
		mask = s->hash_cap - 1;
		for (i = tag_hash(p->tag) & mask; s->hash[i]; i = (i + 1) & mask)
			;
		s->hash[i] = p->id + 1;
		id = (int64_t)s->count++;
		changed = 1;
	}
	p = s->pts[id];
	if (p->flags & POINT_F_REMOVED)
		changed = 1;
	p->flags &= (uint16_t)~(POINT_F_REMOVED | POINT_F_UNCONFIRMED |
				POINT_F_UNMAPPED);
	p->flags |= d->flags & POINT_F_UNMAPPED;
	if (p->kind != d->kind)
		changed = 1;
	p->kind = d->kind;
	r = set_str(&p->description, d->description);
	if (r < 0 || set_str(&p->unit, d->unit) < 0) {
		errno = ENOMEM;
		return -1;
	}
	changed |= r;
	p->scale = d->scale != 0 ? d->scale : 1.0;
	p->scale_e = d->scale_e != 0 ? d->scale_e : 1.0;
	snprintf(p->source, sizeof(p->source), "%s", d->source ? d->source : "");
	p->ied = (int16_t)clamp_i(d->ied, -1, 255);
	p->index = (int16_t)clamp_i(d->index, -1, 4096);
	p->bit = (int8_t)clamp_i(d->bit, -1, 15);
	p->invert = d->invert ? 1 : 0;
	p->channel = (int8_t)clamp_i(d->channel, -1, 7);
	p->text_id = d->text_id < 0 ? 0xFFFF : (uint16_t)clamp_i(d->text_id, 0, 0xFFFE);
	if (changed) {
		dict_bump(s);
		p->version = ++s->version;
		mark_dirty(s, p->id);
	}
	return id;
}

void store_mark_begin(struct store *s)
{
	for (size_t i = 0; i < s->count; i++)
		if (s->pts[i]->kind != POINT_DERIVED)
			s->pts[i]->flags |= POINT_F_UNCONFIRMED;
}

void store_mark_end(struct store *s)
{
	store_batch_begin(s);
	for (size_t i = 0; i < s->count; i++) {
		struct point *p = s->pts[i];

		if (!(p->flags & POINT_F_UNCONFIRMED))
			continue;
		p->flags &= (uint16_t)~POINT_F_UNCONFIRMED;
		if (!(p->flags & POINT_F_REMOVED))
			store_remove(s, p->id);
	}
	store_batch_end(s);
}

void store_remove(struct store *s, uint32_t id)
{
	struct point *p;

	if (id >= s->count || (s->pts[id]->flags & POINT_F_REMOVED))
		return;
	p = s->pts[id];
	p->flags |= POINT_F_REMOVED;
	p->version = ++s->version;
	dict_bump(s);
	mark_dirty(s, id);
}

/* --- values -------------------------------------------------------------- */

static double engineering(const struct point *p, uint32_t raw)
{
	switch (p->kind) {
	case POINT_DI:
		return (double)((raw & 1) ^ p->invert);
	case POINT_AI:
		return (double)(raw & 0x0FFF) * p->scale;
	default:
		return (double)raw;
	}
}

static void changed(struct store *s, struct point *p)
{
	p->version = ++s->version;
	mark_dirty(s, p->id);
}

void store_set_raw(struct store *s, uint32_t id, uint32_t raw, uint8_t q,
		   int64_t src_us, int64_t rx_us)
{
	struct point *p;
	uint16_t flags;
	double v;

	if (id >= s->count)
		return;
	p = s->pts[id];
	v = engineering(p, raw);
	flags = p->flags & (uint16_t)~(POINT_F_STALE | POINT_F_NEVER |
				      POINT_F_BADTIME);
	if (!src_us)
		flags |= POINT_F_BADTIME;
	q &= 3;
	/* Receive time alone is not news; the source time is (a fresh sample). */
	if (p->raw == raw && p->value == v && p->q == q && p->flags == flags &&
	    p->src_us == src_us) {
		p->rx_us = rx_us;
		return;
	}
	p->raw = raw;
	p->value = v;
	p->q = q;
	p->flags = flags;
	p->src_us = src_us ? src_us : rx_us;
	p->rx_us = rx_us;
	changed(s, p);
}

void store_set_derived(struct store *s, uint32_t id, double value,
		       const char *text, int64_t now_us)
{
	struct point *p;
	bool same_text;

	if (id >= s->count)
		return;
	p = s->pts[id];
	same_text = (!text && !p->text) ||
		    (text && p->text && !strncmp(text, p->text, STORE_TEXT_MAX - 1));
	if (p->value == value && same_text && !(p->flags & POINT_F_NEVER))
		return;
	if (!same_text) {
		free(p->text);
		p->text = text ? strndup(text, STORE_TEXT_MAX - 1) : NULL;
	}
	p->value = value;
	p->flags &= (uint16_t)~(POINT_F_STALE | POINT_F_NEVER);
	p->src_us = p->rx_us = now_us;
	changed(s, p);
}

void store_set_stale(struct store *s, const char *source, int ied, bool stale)
{
	store_batch_begin(s);
	for (size_t i = 0; i < s->count; i++) {
		struct point *p = s->pts[i];

		if (p->kind == POINT_DERIVED || p->kind == POINT_COMM ||
		    strcmp(p->source, source) || (ied >= 0 && p->ied != ied))
			continue;
		if (!!(p->flags & POINT_F_STALE) == stale)
			continue;
		if (stale)
			p->flags |= POINT_F_STALE;
		else if (!(p->flags & POINT_F_NEVER))
			p->flags &= (uint16_t)~POINT_F_STALE;
		else
			continue;	/* never received: stays stale */
		changed(s, p);
	}
	store_batch_end(s);
}

void store_set_flag(struct store *s, uint32_t id, uint16_t flag, bool on)
{
	struct point *p;
	uint16_t nf;

	if (id >= s->count || (flag & ~POINT_F_PERSISTED))
		return;
	p = s->pts[id];
	nf = on ? (uint16_t)(p->flags | flag) : (uint16_t)(p->flags & ~flag);
	if (nf == p->flags)
		return;
	p->flags = nf;
	changed(s, p);
	if (s->persist)
		s->persist(p, s->persist_arg);
}

void store_attach_persist(struct store *s,
			  void (*fn)(const struct point *p, void *arg), void *arg)
{
	s->persist = fn;
	s->persist_arg = arg;
}

void store_batch_begin(struct store *s)
{
	s->batch++;
}

void store_batch_end(struct store *s)
{
	if (s->batch > 0 && --s->batch == 0)
		notify_all(s);
}
