// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Attend/latch rules (see latch.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "csv.h"
#include "derived.h"
#include "elements.h"
#include "journal.h"
#include "latch.h"
#include "smved.h"

#define LATCH_DI_MAX	65536	/* di.csv rows honoured */
#define REPLAY_MAX	10000	/* unattended events replayed at start */

struct tipo {
	char tag[ELEMENT_TAG_MAX];
	int tipo;
};

struct latch {
	struct smved *sm;
	struct journal_sub *sub;
	struct tipo *di;	/* sorted by tag */
	size_t n;
};

static int cmp_tipo(const void *a, const void *b)
{
	return strcmp(((const struct tipo *)a)->tag, ((const struct tipo *)b)->tag);
}

/*
 * tipodi of @tag, -1 when unknown.  With latch_tipo1 a tipodi-1 DI
 * (transformer protection / alarm) follows the tipodi-0 rules.
 */
static int tipo_of(const struct latch *l, const char *tag)
{
	struct tipo key = { .tipo = -1 };
	const struct tipo *t;

	if (!tag || strlen(tag) >= sizeof(key.tag))
		return -1;
	memcpy(key.tag, tag, strlen(tag) + 1);
	t = bsearch(&key, l->di, l->n, sizeof(*l->di), cmp_tipo);
	if (t && t->tipo == 1 && l->sm->cfg->latch_tipo1)
		return 0;
	return t ? t->tipo : -1;
}

static int load_tipos(struct latch *l, const char *dir)
{
	char path[PATH_MAX + 16], err[200];
	char *f[CSV_FIELDS_MAX];
	struct csv c;
	size_t nf, ctag = 0, ctipo = 0;
	unsigned line = 0;
	bool head = true;
	int r;

	snprintf(path, sizeof(path), "%s/di.csv", dir);
	if (!dir[0] || csv_open(&c, path, err, sizeof(err)) < 0)
		return 0;
	while ((r = csv_next(&c, f, &nf, &line)) == 1) {
		if (head) {
			head = false;
			for (ctag = 0; ctag < nf && strcasecmp(f[ctag], "tag"); ctag++)
				;
			for (ctipo = 0; ctipo < nf && strcasecmp(f[ctipo], "tipodi"); ctipo++)
				;
			if (ctag == nf || ctipo == nf)
				break;	/* sheets.c reports malformed sheets */
			continue;
		}
		if (ctag >= nf || ctipo >= nf || !f[ctag][0] ||
		    strlen(f[ctag]) >= ELEMENT_TAG_MAX || l->n >= LATCH_DI_MAX)
			continue;
		if (!(l->n & (l->n + 1)) || !l->di) {
			/* Grow at 0, 1, 3, 7, ...: doubling. */
			struct tipo *nd = realloc(l->di, (l->n + 1) * 2 * sizeof(*nd));

			if (!nd) {
				csv_close(&c);
				return -1;
			}
			l->di = nd;
		}
		memcpy(l->di[l->n].tag, f[ctag], strlen(f[ctag]) + 1);
		l->di[l->n].tipo = (int)strtol(f[ctipo], NULL, 10);
		l->n++;
	}
	if (r < 0)
		smved_log(LOG_WARNING, "%s:%u: %s (latches from the rows before)", path, line, c.err);
	csv_close(&c);
	if (l->n)
		qsort(l->di, l->n, sizeof(*l->di), cmp_tipo);
	return 0;
}

/* Set @tag's element text; true when an element took it. */
static bool set_text(struct latch *l, const char *tag, const char *text, bool only_if_not_zero)
{
	struct elements *t = derived_table(l->sm->derived);
	int idx = t ? elements_find(t, tag) : -1;

	if (idx < 0)
		return false;
	if (only_if_not_zero && !strcmp(elements_get(t, (uint32_t)idx)->text, "0"))
		return false;
	return elements_set_text(t, (uint32_t)idx, text) == 0;
}

/* "E9251_01" -> "E9252B01": the breaker a feeder protection trips. */
static bool breaker_of(const char *tag, char out[ELEMENT_TAG_MAX])
{
	const char *p = strstr(tag, "51_");

	if (!p || strlen(tag) >= ELEMENT_TAG_MAX)
		return false;
	snprintf(out, ELEMENT_TAG_MAX, "%.*s52B%s", (int)(p - tag), tag, p + 3);
	return true;
}

static bool is_digital(const struct journal_event *ev)
{
	return !strcasecmp(ev->type, "digital") && ev->tag[0];
}

static void on_new(struct latch *l, const struct journal_event *ev)
{
	char br[ELEMENT_TAG_MAX];

	switch (tipo_of(l, ev->tag)) {
	case 0:
		if (ev->value != 1 || ev->ack_user)
			break;
		set_text(l, ev->tag, "1", false);
		if (breaker_of(ev->tag, br))
			set_text(l, br, "1", false);
		break;
	case 2:
		if (ev->value == 1)
			set_text(l, ev->tag, "0", false);
		break;
	default:
		break;
	}
}

static void on_ack(struct latch *l, const struct journal_event *ev)
{
	switch (tipo_of(l, ev->tag)) {
	case 0:
		set_text(l, ev->tag, "0", false);
		break;
	case 2:
		set_text(l, ev->tag, "0", true);
		break;
	default:
		break;
	}
}

static void notify(const struct journal_event *ev, enum journal_note note, void *arg)
{
	struct latch *l = arg;

	if (!is_digital(ev))
		return;
	if (note == JOURNAL_NOTE_NEW)
		on_new(l, ev);
	else
		on_ack(l, ev);
	/* Publishing is deferred to the loop: no store writes inside a journal commit. */
	derived_schedule(l->sm->derived);
}

static int replay_one(const struct journal_event *ev, void *arg)
{
	if (is_digital(ev))
		on_new(arg, ev);
	return 0;
}

/*
 * Rebuild the latches from the journal: every digital event since the
 * oldest unattended one, in order, with the rules of a new event (an
 * attended tipodi-0 event latches nothing).  Bounded by REPLAY_MAX.
 */
static int first_unacked(const struct journal_event *ev, void *arg)
{
	*(int64_t *)arg = ev->id;
	return 1;
}

static void replay(struct latch *l)
{
	struct journal_filter f = { .type = "digital", .unacked_only = true, .limit = 1 };
	int64_t first = 0;

	if (journal_query(l->sm->journal, &f, first_unacked, &first) < 0 || !first)
		return;
	f = (struct journal_filter){ .type = "digital", .after_id = first - 1, .limit = REPLAY_MAX };
	journal_query(l->sm->journal, &f, replay_one, l);
	derived_update(l->sm->derived);
}

struct latch *latch_new(struct smved *sm)
{
	struct latch *l = calloc(1, sizeof(*l));

	if (!l || load_tipos(l, sm->cfg->points_dir) < 0) {
		smved_log(LOG_ERR, "latches: out of memory");
		latch_free(l);
		return NULL;
	}
	l->sm = sm;
	if (!l->n || !derived_table(sm->derived))
		return l;
	replay(l);
	l->sub = journal_subscribe(sm->journal, notify, l);
	if (!l->sub) {
		smved_log(LOG_ERR, "latches: out of memory");
		latch_free(l);
		return NULL;
	}
	return l;
}

void latch_free(struct latch *l)
{
	if (!l)
		return;
	if (l->sub)
		journal_unsubscribe(l->sm->journal, l->sub);
	free(l->di);
	free(l);
}
