// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Wiring of the formula/element engine into smved (see derived.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "derived.h"
#include "elements.h"
#include "sheets.h"
#include "smved.h"
#include "store.h"

struct derived {
	struct smved *sm;
	struct elements *t;		/* NULL: no diagram configured */
	struct formula_resolver pts;	/* must outlive t: compiled formulas keep it */
	struct store_sub *sub;
	struct event *ev;		/* deferred evaluation pass */
};

static void diag_warn(void *ctx, const char *msg)
{
	(void)ctx;
	smved_log(LOG_WARNING, "%s", msg);
}

static void fault_warn(void *ctx, const struct element_fault *f)
{
	(void)ctx;
	smved_log(LOG_WARNING, "formulas.csv:%u:%u: %s.%s: %s", f->row, f->col, f->tag,
		  element_attr_name(f->attr), f->msg);
}

void derived_update(struct derived *d)
{
	if (!d || !d->t)
		return;
	elements_store_changed(d->t, d->sub);
	elements_run(d->t, 0);
	/*
	 * Publishing dirties our own subscriber again; the pass it schedules
	 * finds only eg.* points, evaluates nothing and publishes nothing.
	 */
	elements_publish(d->t, d->sm->store, smved_now_us());
}

int derived_set_text(struct derived *d, const char *point_tag, const char *text)
{
	char tag[ELEMENT_TAG_MAX];
	size_t n;
	int idx;

	if (!d || !d->t || strncmp(point_tag, "eg.", 3))
		return 0;
	n = strlen(point_tag + 3);
	if (n <= strlen(".text") || strcmp(point_tag + 3 + n - 5, ".text") || n - 5 >= sizeof(tag))
		return 0;
	memcpy(tag, point_tag + 3, n - 5);
	tag[n - 5] = '\0';
	idx = elements_find(d->t, tag);
	if (idx < 0)
		return 0;
	if (elements_set_text(d->t, (uint32_t)idx, text) < 0)
		return -1;
	derived_update(d);
	return 1;
}

static void pass_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	derived_update(arg);
}

void derived_schedule(struct derived *d)
{
	if (d && d->ev && !event_pending(d->ev, EV_TIMEOUT, NULL))
		event_active(d->ev, EV_TIMEOUT, 0);
}

static void notify_cb(struct store_sub *sub, void *arg)
{
	(void)sub;
	/* Never evaluate inside the store's batch_end: defer to the loop. */
	derived_schedule(arg);
}

/* Load and compile the table of @dir; NULL t (and 0) when @dir has no eg.csv. */
static int load_table(struct derived *d, const char *dir)
{
	char path[PATH_MAX];
	int n;

	if (!dir[0])
		return 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/eg.csv", dir) >= sizeof(path) ||
	    access(path, F_OK) < 0) {
		smved_log(LOG_INFO, "%s: no eg.csv, no diagram elements", dir);
		return 0;
	}
	d->t = elements_new();
	if (!d->t)
		return -1;
	n = elements_load_dir(d->t, dir, diag_warn, NULL);
	if (n > 0)
		smved_log(LOG_WARNING, "%s: %d problem(s) in the element sheets, rows skipped",
			  dir, n);
	elements_store_resolver(d->sm->store, &d->pts);
	n = elements_compile(d->t, &d->pts, fault_warn, NULL);
	if (n < 0)
		return -1;
	if (n > 0)
		smved_log(LOG_WARNING, "%s: %d formula(s) do not compile; their elements keep "
			  "the sheet's values", dir, n);
	if (elements_define_points(d->t, d->sm->store) < 0) {
		smved_log(LOG_ERR, "%s: cannot define the eg.* points", dir);
		return -1;
	}
	return 0;
}

static struct derived *build(struct smved *sm)
{
	struct derived *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->sm = sm;
	if (load_table(d, sm->cfg->points_dir) < 0)
		goto fail;
	if (!d->t)
		return d;
	d->ev = event_new(sm->base, -1, 0, pass_cb, d);
	d->sub = store_subscribe(sm->store, notify_cb, d);
	if (!d->ev || !d->sub)
		goto fail;
	return d;
fail:
	derived_free(d);
	return NULL;
}

static void first_pass(struct derived *d)
{
	if (!d->t)
		return;
	elements_mark_all(d->t);
	derived_update(d);
	smved_log(LOG_INFO, "%zu diagram elements published as eg.* points",
		  elements_count(d->t));
}

struct derived *derived_new(struct smved *sm)
{
	struct derived *d = build(sm);

	if (!d) {
		smved_log(LOG_ERR, "diagram elements: cannot start");
		return NULL;
	}
	first_pass(d);
	return d;
}

int derived_reload(struct derived **dp, struct smved *sm)
{
	struct derived *d = build(sm);
	struct elements *empty = NULL;

	if (!d) {
		smved_log(LOG_ERR, "diagram elements: reload failed, keeping the previous ones");
		return -1;
	}
	/* No diagram any more: every eg.* point goes. */
	if (!d->t)
		empty = elements_new();
	if (d->t || empty)
		elements_forget_points(d->t ? d->t : empty, sm->store);
	elements_free(empty);
	derived_free(*dp);
	*dp = d;
	first_pass(d);
	return 0;
}

void derived_free(struct derived *d)
{
	if (!d)
		return;
	if (d->sub)
		store_unsubscribe(d->sm->store, d->sub);
	if (d->ev)
		event_free(d->ev);
	elements_free(d->t);
	free(d);
}

struct elements *derived_table(struct derived *d)
{
	return d ? d->t : NULL;
}

int derived_check(const struct smved_config *cfg, void (*diag)(void *ctx, const char *msg),
		  void *ctx)
{
	struct store *s;
	struct elements *t;
	struct formula_resolver pts;
	struct source_points sp;
	char path[PATH_MAX];
	int n = 0, f;

	if (!cfg->points_dir[0] ||
	    (size_t)snprintf(path, sizeof(path), "%s/eg.csv", cfg->points_dir) >= sizeof(path) ||
	    access(path, F_OK) < 0)
		return 0;
	s = store_new();
	t = elements_new();
	if (!s || !t) {
		n = -1;
		goto out;
	}
	/* The AI/DI tags formulas may name: the points the sources would define. */
	for (const struct conc_config *cc = cfg->concs; cc; cc = cc->next) {
		if (sheets_bind(cfg->sheets, s, cc->name, cc->station, &cc->layout,
				cc->comaster_id, &sp) < 0) {
			n = -1;
			goto out;
		}
		source_points_free(&sp);
	}
	for (const struct bus_config *b = cfg->buses; b; b = b->next) {
		if (sheets_bind(cfg->sheets, s, b->tty, b->station, &b->layout, -1, &sp) < 0) {
			n = -1;
			goto out;
		}
		source_points_free(&sp);
	}
	n = elements_load_dir(t, cfg->points_dir, diag, ctx);
	elements_store_resolver(s, &pts);
	f = elements_check(t, &pts, diag, ctx);
	n = f < 0 ? -1 : n + f;
out:
	elements_free(t);
	store_free(s);
	return n;
}
