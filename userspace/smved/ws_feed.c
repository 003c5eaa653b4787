// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The smve.v1 feed: one store subscription and one journal subscription for all clients.  Each
 * tick drains the changed points once, builds one delta frame per subscription group and shares
 * it by reference with every client of the group.  Events are framed once and sent to every live
 * client in id order; clients catching up (resume) are fed from the journal in pages as their
 * output drains, so a replay never holds more than about one soft bound in memory.
 */
#include "ws_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "journal.h"
#include "store.h"

#define MAX_PREFIXES	64
#define MAX_TAGS	4096
#define REPLAY_PAGE	100
#define WS_CODE_TRY_AGAIN_LATER 1013	/* RFC 6455 registry; wslay has no name for it */

/* ---- a small append-only JSON text builder for the hot path ------------------------------ */

struct jb {
	char *p;
	size_t len, cap;
	bool oom;
};

static void jb_add(struct jb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);

		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

__attribute__((format(printf, 2, 3)))
static void jb_printf(struct jb *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);

	va_end(ap);
	if (n > 0)
		jb_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void jb_str(struct jb *b, const char *s)
{
	jb_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			jb_printf(b, "\\%c", ch);
		else if (ch < 0x20)
			jb_printf(b, "\\u%04x", ch);
		else
			jb_add(b, s, 1);
	}
	jb_add(b, "\"", 1);
}

/*
 * Decimal digits of @v, with at least @min_digits (zero padded).  The delta hot path formats a
 * few integers per point: printf's format parsing was most of a delta's cost.
 */
static void jb_u64(struct jb *b, uint64_t v, int min_digits)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v || (int)sizeof(tmp) - i < min_digits);
	jb_add(b, tmp + i, sizeof(tmp) - (size_t)i);
}

static void jb_num(struct jb *b, double v)
{
	/* Integral values below 1e10 print exactly as %.10g would, without printf. */
	if (v > -1e10 && v < 1e10 && v == (double)(int64_t)v) {
		if (v < 0) {
			jb_add(b, "-", 1);
			v = -v;
		}
		jb_u64(b, (uint64_t)v, 1);
	} else if (isfinite(v)) {
		jb_printf(b, "%.10g", v);
	} else {
		jb_add(b, "null", 4);
	}
}

/* One point in a snapshot or delta: [id, value, raw, q, stale, source_ms(, text)]. */
static void point_entry(struct jb *b, const struct point *p)
{
	jb_add(b, "[", 1);
	jb_u64(b, p->id, 1);
	if (p->flags & POINT_F_REMOVED) {
		jb_add(b, ",null]", 6);
		return;
	}
	jb_add(b, ",", 1);
	if (p->flags & POINT_F_NEVER)
		jb_add(b, "null", 4);
	else
		jb_num(b, p->value);
	jb_add(b, ",", 1);
	jb_u64(b, p->raw, 1);
	jb_add(b, ",", 1);
	jb_u64(b, p->q, 1);
	jb_add(b, (p->flags & POINT_F_STALE) ? ",1," : ",0,", 3);
	/* Milliseconds with microsecond fraction: latency measurements need sub-ms resolution. */
	if (p->src_us > 0) {
		jb_u64(b, (uint64_t)(p->src_us / 1000), 1);
		jb_add(b, ".", 1);
		jb_u64(b, (uint64_t)(p->src_us % 1000), 3);
	} else {
		jb_add(b, "null", 4);
	}
	if (p->kind == POINT_DERIVED && p->text) {
		jb_add(b, ",", 1);
		jb_str(b, p->text);
	}
	jb_add(b, "]", 1);
}

/* ---- groups ------------------------------------------------------------------------------ */

static bool group_match(const struct ws_group *g, const struct point *p)
{
	if (g->all)
		return true;
	for (unsigned i = 0; i < g->nprefixes; i++)
		if (!strncmp(p->tag, g->prefixes[i], strlen(g->prefixes[i])))
			return true;
	unsigned lo = 0, hi = g->nids;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (g->ids[mid] == p->id)
			return true;
		if (g->ids[mid] < p->id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void group_free(struct ws_group *g)
{
	ws_blob_put(g->dict_blob);
	ws_blob_put(g->snap_blob);
	for (unsigned i = 0; i < g->nprefixes; i++)
		free(g->prefixes[i]);
	free(g->prefixes);
	free(g->ids);
	free(g->key);
	free(g);
}

static void group_put(struct ws_hub *h, struct ws_group *g)
{
	if (!g || --g->nclients)
		return;
	for (struct ws_group **pp = &h->groups; *pp; pp = &(*pp)->next)
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	group_free(g);
}

/* Finds the group with the key of `proto` or adopts proto as a new one; NULL frees proto. */
static struct ws_group *group_join(struct ws_hub *h, struct ws_group *proto)
{
	for (struct ws_group *g = h->groups; g; g = g->next)
		if (!strcmp(g->key, proto->key)) {
			group_free(proto);
			g->nclients++;
			return g;
		}
	proto->nclients = 1;
	proto->next = h->groups;
	h->groups = proto;
	return proto;
}

static struct ws_group *group_all(void)
{
	struct ws_group *g = calloc(1, sizeof(*g));

	if (g && !(g->key = strdup("all"))) {
		free(g);
		return NULL;
	}
	if (g)
		g->all = true;
	return g;
}

/* ---- messages ---------------------------------------------------------------------------- */

struct build {
	struct jb *b;
	const struct ws_group *g;
	bool first;
	bool dict;
};

static int build_visit(const struct point *p, void *arg)
{
	struct build *x = arg;

	if (!group_match(x->g, p))
		return 0;
	if (!x->first)
		jb_add(x->b, ",", 1);
	x->first = false;
	if (x->dict) {
		jb_printf(x->b, "{\"id\":%u,\"tag\":", p->id);
		jb_str(x->b, p->tag);
		jb_printf(x->b, ",\"kind\":\"%s\",\"unit\":", point_kind_name((enum point_kind)p->kind));
		jb_str(x->b, p->unit ? p->unit : "");
		jb_add(x->b, ",\"description\":", 15);
		jb_str(x->b, p->description ? p->description : "");
		jb_add(x->b, "}", 1);
	} else {
		point_entry(x->b, p);
	}
	return 0;
}

static void send_jb(struct ws_client *c, struct jb *b)
{
	if (!b->oom && b->p)
		ws_client_send_text(c, b->p, b->len);
	free(b->p);
	*b = (struct jb){ 0 };
}

/* The group's text of kind dict or snapshot, built by walking the store. */
static struct ws_blob *group_build(struct ws_hub *h, const struct ws_group *g, bool dict)
{
	struct store *s = h->w->sm->store;
	struct jb b = { 0 };
	struct build x = { &b, g, true, dict };
	struct ws_blob *blob = NULL;

	if (dict)
		jb_printf(&b, "{\"type\":\"dict\",\"gen\":%llu,\"points\":[",
			  (unsigned long long)(s ? store_dict_gen(s) : 0));
	else
		jb_printf(&b, "{\"type\":\"snapshot\",\"seq\":%llu,\"time\":%lld,\"points\":[",
			  (unsigned long long)h->seq, (long long)(smved_now_us() / 1000));
	if (s)
		store_foreach(s, build_visit, &x);
	jb_add(&b, "]}", 2);
	if (!b.oom && b.p)
		blob = ws_blob_text(b.p, b.len);
	free(b.p);
	h->st.state_builds++;
	return blob;
}

/*
 * dict + snapshot of the client's group.  Both are built once per group and shared while
 * nothing changed (dictionary generation; store version and delta seq): with 20k points each is
 * megabytes, and clients connecting together (or resnapshotting after a reload) must not each
 * hold a private copy in their output queue.
 */
static void send_state(struct ws_client *c)
{
	struct ws_hub *h = c->hub;
	struct store *s = h->w->sm->store;
	struct ws_group *g = c->group;
	uint64_t gen = s ? store_dict_gen(s) : 0, ver = s ? store_version(s) : 0;

	/* Never pile a snapshot onto a client that is not reading: it gets one once drained. */
	if (ws_client_queued(c) > ws_soft_bound(h)) {
		if (!c->lagging)
			h->st.lagged++;
		c->lagging = true;
		return;
	}
	if (!g->dict_blob || g->dict_gen != gen) {
		ws_blob_put(g->dict_blob);
		g->dict_blob = group_build(h, g, true);
		g->dict_gen = gen;
	}
	if (!g->snap_blob || g->snap_gen != gen || g->snap_version != ver || g->snap_seq != h->seq) {
		ws_blob_put(g->snap_blob);
		g->snap_blob = group_build(h, g, false);
		g->snap_gen = gen;
		g->snap_version = ver;
		g->snap_seq = h->seq;
	}
	if (g->dict_blob)
		ws_client_send_blob(c, g->dict_blob);
	if (g->snap_blob)
		ws_client_send_blob(c, g->snap_blob);
	c->lagging = false;
	h->st.snapshots++;
}

static void send_error(struct ws_client *c, const char *msg)
{
	struct jb b = { 0 };

	jb_add(&b, "{\"type\":\"error\",\"message\":", 26);
	jb_str(&b, msg);
	jb_add(&b, "}", 1);
	send_jb(c, &b);
}

void ws_feed_welcome(struct ws_client *c)
{
	struct ws_hub *h = c->hub;
	struct journal *j = h->w->sm->journal;
	char now[32];
	struct jb b = { 0 };

	c->cursor = j ? journal_last_id(j) : 0;
	web_iso_time(smved_now_us(), now);
	jb_printf(&b, "{\"type\":\"hello\",\"protocol\":\"smve.v1\",\"server\":\"%s\",\"time\":\"%s\","
		  "\"last_event_id\":%lld,\"tick_ms\":%u,\"user\":", WEB_VERSION, now,
		  (long long)c->cursor, h->w->cfg.ws_tick_ms);
	if (c->id.anonymous)
		jb_add(&b, "null", 4);
	else
		jb_str(&b, c->id.user);
	jb_printf(&b, ",\"role\":\"%s\"}", role_name(c->id.role));
	send_jb(c, &b);
	c->group = group_all();
	if (!c->group) {
		ws_client_close(c, WSLAY_CODE_INTERNAL_SERVER_ERROR, "out of memory");
		return;
	}
	c->group = group_join(h, c->group);
	send_state(c);
}

void ws_feed_leave(struct ws_client *c)
{
	group_put(c->hub, c->group);
	c->group = NULL;
}

/* ---- events ------------------------------------------------------------------------------ */

static struct ws_blob *event_blob(const struct journal_event *ev)
{
	json_t *o = json_pack("{s:s,s:o}", "type", "event", "event", web_event_json(ev));
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	struct ws_blob *b = s ? ws_blob_text(s, strlen(s)) : NULL;

	free(s);
	json_decref(o);
	return b;
}

static void overflow(struct ws_client *c)
{
	struct jb b = { 0 };

	jb_printf(&b, "{\"type\":\"overflow\",\"reason\":\"events\",\"last_id\":%lld}",
		  (long long)c->cursor);
	send_jb(c, &b);
	c->hub->st.overflows++;
	ws_client_close(c, WS_CODE_TRY_AGAIN_LATER, "too slow for events; resume after last_id");
}

static int replay_visit(const struct journal_event *ev, void *arg)
{
	struct ws_client *c = arg;
	struct ws_blob *b = event_blob(ev);

	if (!b)
		return -1;
	ws_client_send_blob(c, b);
	ws_blob_put(b);
	c->cursor = ev->id;
	return 0;
}

static void pump(struct ws_client *c)
{
	struct journal *j = c->hub->w->sm->journal;

	while (c->replaying && !c->closing && ws_client_queued(c) < ws_soft_bound(c->hub)) {
		int64_t before = c->cursor;
		struct journal_filter f = { .after_id = c->cursor, .limit = REPLAY_PAGE };

		if (!j || journal_query(j, &f, replay_visit, c) < 0) {
			ws_client_close(c, WSLAY_CODE_INTERNAL_SERVER_ERROR, "journal unavailable");
			return;
		}
		if (c->cursor == before || !journal_last_id(j) || c->cursor >= journal_last_id(j)) {
			struct jb b = { 0 };

			c->replaying = false;
			jb_printf(&b, "{\"type\":\"replayed\",\"last_id\":%lld}", (long long)c->cursor);
			send_jb(c, &b);
		}
	}
}

static void on_journal(const struct journal_event *ev, enum journal_note note, void *arg)
{
	struct ws_hub *h = arg;
	struct ws_blob *b;

	if (note == JOURNAL_NOTE_ACK) {
		char t[32];
		struct jb jb = { 0 };

		web_iso_time(ev->ack_us, t);
		jb_printf(&jb, "{\"type\":\"ack\",\"id\":%lld,\"user\":", (long long)ev->id);
		jb_str(&jb, ev->ack_user ? ev->ack_user : "");
		jb_printf(&jb, ",\"time\":\"%s\"}", t);
		b = jb.oom ? NULL : ws_blob_text(jb.p, jb.len);
		free(jb.p);
		if (!b)
			return;
		for (struct ws_client *c = h->clients; c; c = c->next)
			ws_client_send_blob(c, b);
		ws_blob_put(b);
		return;
	}
	b = NULL;
	for (struct ws_client *c = h->clients; c; c = c->next) {
		if (c->closing || c->dead || c->replaying || ev->id <= c->cursor)
			continue;
		if (ws_client_queued(c) > ws_hard_bound(h)) {
			overflow(c);
			continue;
		}
		if (!b && !(b = event_blob(ev)))
			return;
		ws_client_send_blob(c, b);
		c->cursor = ev->id;
	}
	ws_blob_put(b);
}

/* ---- ticks ------------------------------------------------------------------------------- */

struct changed {
	const struct point **v;
	size_t n, cap;
};

static void collect(const struct point *p, void *arg)
{
	struct changed *ch = arg;

	if (ch->n == ch->cap) {
		size_t cap = ch->cap ? 2 * ch->cap : 256;
		/* an array of pointers: sizeof(*nv) is the pointer size on purpose */
		const struct point **nv = realloc(ch->v, cap * sizeof(*nv)); // NOLINT(bugprone-sizeof-expression)

		if (!nv)
			return;	/* the point is lost for this tick only; next snapshot repairs */
		ch->v = nv;
		ch->cap = cap;
	}
	ch->v[ch->n++] = p;
}

struct ws_blob *ws_delta_frame(const struct ws_group *g, const struct point *const *v, size_t n,
			       uint64_t seq, long long now_ms)
{
	struct jb jb = { 0 };
	struct ws_blob *b = NULL;
	bool any = false;

	jb_printf(&jb, "{\"type\":\"delta\",\"seq\":%llu,\"time\":%lld,\"points\":[",
		  (unsigned long long)seq, now_ms);
	for (size_t i = 0; i < n; i++) {
		if (!group_match(g, v[i]))
			continue;
		if (any)
			jb_add(&jb, ",", 1);
		any = true;
		point_entry(&jb, v[i]);
	}
	jb_add(&jb, "]}", 2);
	if (any && !jb.oom)
		b = ws_blob_text(jb.p, jb.len);
	free(jb.p);
	return b;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ws_hub *h = arg;
	struct store *s = h->w->sm->store;
	struct changed ch = { 0 };

	h->tick_pending = false;
	h->st.ticks++;
	h->seq++;
	if (store_dict_gen(s) != h->dict_gen) {
		/* Points were added or removed: everybody gets the new dictionary and state. */
		h->dict_gen = store_dict_gen(s);
		store_sub_set_dict_gen(h->sub, h->dict_gen);
		store_sub_drain(h->sub, collect, &ch);
		free(ch.v);
		for (struct ws_client *c = h->clients; c; c = c->next)
			if (!c->closing && !c->dead)
				send_state(c);
		return;
	}
	store_sub_drain(h->sub, collect, &ch);
	if (!ch.n) {
		free(ch.v);
		return;
	}
	long long now = (long long)(smved_now_us() / 1000);

	for (struct ws_client *c = h->clients; c; c = c->next) {
		if (c->closing || c->dead || c->lagging)
			continue;
		size_t queued = ws_client_queued(c);

		if (queued > ws_soft_bound(h)) {
			h->st.lagged++;
			c->lagging = true;	/* resnapshot when drained (ws_feed_drained) */
			continue;
		}
		struct ws_group *g = c->group;

		/* One frame per group per tick, built for the group's first ready client. */
		if (g->tick_seq != h->seq) {
			g->tick_seq = h->seq;
			g->tick_blob = ws_delta_frame(g, ch.v, ch.n, h->seq, now);
			h->st.frames_built += g->tick_blob != NULL;
		}
		if (g->tick_blob)
			ws_client_send_batched(c, g->tick_blob, queued);
	}
	ws_client_send_batch_end(h);	/* before the frames are released */
	for (struct ws_group *g = h->groups; g; g = g->next) {
		ws_blob_put(g->tick_blob);
		g->tick_blob = NULL;
	}
	free(ch.v);
}

static void schedule_tick(struct ws_hub *h)
{
	if (h->tick_pending)
		return;
	h->tick_pending = true;
	if (h->w->cfg.ws_tick_ms == 0) {
		event_active(h->tick, 0, 0);
		return;
	}
	/* On a grid, not a tick after the next change (docs/design-notes.md, "WebSocket feed"). */
	int64_t now = smved_mono_us();
	int64_t due = ws_tick_due(h->tick_due_us, now, (int64_t)h->w->cfg.ws_tick_ms * 1000);
	int64_t delay = due - now;

	h->tick_due_us = due;
	struct timeval tv = { (time_t)(delay / 1000000), (suseconds_t)(delay % 1000000) };

	if (delay == 0)
		event_active(h->tick, 0, 0);
	else
		evtimer_add(h->tick, &tv);
}

static void discard(const struct point *p, void *arg)
{
	(void)p;
	(void)arg;
}

static void on_store(struct store_sub *sub, void *arg)
{
	(void)sub;
	struct ws_hub *h = arg;

	if (h->nclients)
		schedule_tick(h);
	else
		store_sub_drain(h->sub, discard, NULL);	/* nobody to tell */
}

int ws_feed_start(struct ws_hub *h)
{
	struct smved *sm = h->w->sm;

	h->tick = event_new(sm->base, -1, 0, on_tick, h);
	if (!h->tick)
		return -1;
	if (sm->store) {
		h->sub = store_subscribe(sm->store, on_store, h);
		if (!h->sub)
			return -1;
		h->dict_gen = store_dict_gen(sm->store);
		store_sub_set_dict_gen(h->sub, h->dict_gen);
	}
	if (sm->journal && !(h->jsub = journal_subscribe(sm->journal, on_journal, h)))
		return -1;
	return 0;
}

void ws_feed_stop(struct ws_hub *h)
{
	if (h->sub)
		store_unsubscribe(h->w->sm->store, h->sub);
	if (h->jsub)
		journal_unsubscribe(h->w->sm->journal, h->jsub);
	if (h->tick)
		event_free(h->tick);
	while (h->groups) {
		struct ws_group *g = h->groups;

		h->groups = g->next;
		group_free(g);
	}
}

void ws_feed_drained(struct ws_client *c)
{
	if (c->replaying)
		pump(c);
	if (c->lagging && ws_client_queued(c) <= ws_soft_bound(c->hub) / 4)
		send_state(c);
}

/* ---- client messages --------------------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Builds a group from {"prefix":..}/{"prefixes":[..]}/{"tags":[..]}; NULL with *why on error. */
static struct ws_group *parse_subscription(struct ws_hub *h, json_t *m, const char **why)
{
	json_t *pfx = json_object_get(m, "prefixes"), *one = json_object_get(m, "prefix");
	json_t *tags = json_object_get(m, "tags");
	struct ws_group *g = calloc(1, sizeof(*g));
	struct jb key = { 0 };
	size_t i;
	json_t *v;

	*why = "out of memory";
	if (!g)
		return NULL;
	if ((pfx && !json_is_array(pfx)) || (tags && !json_is_array(tags)) ||
	    (one && !json_is_string(one))) {
		*why = "prefix must be a string, prefixes and tags arrays of strings";
		goto fail;
	}
	size_t np = (pfx ? json_array_size(pfx) : 0) + (one ? 1 : 0);
	size_t nt = tags ? json_array_size(tags) : 0;

	if (np > MAX_PREFIXES || nt > MAX_TAGS) {
		*why = "too many prefixes (64) or tags (4096)";
		goto fail;
	}
	g->prefixes = calloc(np + 1, sizeof(char *));
	g->ids = calloc(nt + 1, sizeof(uint32_t));
	if (!g->prefixes || !g->ids)
		goto fail;
	if (one)
		g->prefixes[g->nprefixes++] = strdup(json_string_value(one));
	json_array_foreach(pfx, i, v) {
		if (!json_is_string(v) || json_string_length(v) >= STORE_TAG_MAX) {
			*why = "each prefix must be a string shorter than a tag";
			goto fail;
		}
		g->prefixes[g->nprefixes++] = strdup(json_string_value(v));
	}
	for (i = 0; i < g->nprefixes; i++)
		if (!g->prefixes[i])
			goto fail;
	json_array_foreach(tags, i, v) {
		const struct point *p = json_is_string(v) && h->w->sm->store
						? store_find(h->w->sm->store, json_string_value(v))
						: NULL;

		if (!json_is_string(v)) {
			*why = "each tag must be a string";
			goto fail;
		}
		if (p)
			g->ids[g->nids++] = p->id;	/* unknown tags are ignored, not an error */
	}
	qsort(g->prefixes, g->nprefixes, sizeof(char *), cmp_str);
	qsort(g->ids, g->nids, sizeof(uint32_t), cmp_u32);
	g->all = !one && !pfx && !tags;
	if (g->all) {
		jb_add(&key, "all", 3);
	} else {
		for (i = 0; i < g->nprefixes; i++) {
			jb_add(&key, "p", 1);
			jb_str(&key, g->prefixes[i]);
		}
		for (i = 0; i < g->nids; i++)
			jb_printf(&key, "t%u", g->ids[i]);
		jb_add(&key, ".", 1);
	}
	if (key.oom)
		goto fail;
	g->key = key.p;
	return g;
fail:
	free(key.p);
	group_free(g);
	return NULL;
}

void ws_feed_message(struct ws_client *c, const uint8_t *msg, size_t len)
{
	json_error_t je;
	json_t *m = json_loadb((const char *)msg, len, JSON_REJECT_DUPLICATES, &je);
	const char *type = json_string_value(json_object_get(m, "type"));
	const char *why;

	if (!json_is_object(m) || !type) {
		send_error(c, "expected a JSON object with a \"type\"");
	} else if (!strcmp(type, "subscribe")) {
		struct ws_group *g = parse_subscription(c->hub, m, &why);

		if (!g) {
			send_error(c, why);
		} else {
			group_put(c->hub, c->group);
			c->group = group_join(c->hub, g);
			send_state(c);
		}
	} else if (!strcmp(type, "resume")) {
		json_t *after = json_object_get(m, "after");
		struct journal *j = c->hub->w->sm->journal;

		if (!json_is_integer(after) || json_integer_value(after) < 0) {
			send_error(c, "resume needs \"after\": a non-negative event id");
		} else {
			int64_t last = j ? journal_last_id(j) : 0;

			c->cursor = json_integer_value(after) < last ? json_integer_value(after) : last;
			c->replaying = true;
			pump(c);
		}
	} else if (!strcmp(type, "ping")) {
		ws_client_send_text(c, "{\"type\":\"pong\"}", 15);
	} else {
		send_error(c, "unknown message type");
	}
	json_decref(m);
}
