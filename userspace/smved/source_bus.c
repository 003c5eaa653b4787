// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The configured buses and their nodes' comings and goings: libudev
 * enumeration at start and a monitor for add/remove, the bus settings
 * applied through sysfs, and a timer that keeps each bus's PEH UTC offset
 * right across DST changes and withholds PEH while the host clock is not
 * synchronised.
 */
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <smve/node.h>

#include "journal.h"
#include "source_node_int.h"
#include "store.h"

static struct bus *bus_find(struct buses *bs, const char *tty)
{
	for (struct bus *b = bs->list; b; b = b->next)
		if (!strcmp(b->cfg.tty, tty))
			return b;
	return NULL;
}

/* An IED device "smve<B>.<A>": its node, address and bus tty. */
static void udev_node(struct buses *bs, struct udev_device *d, bool add)
{
	const char *sys = udev_device_get_sysname(d);
	const char *node = udev_device_get_devnode(d);
	const char *tty = udev_device_get_sysattr_value(d, "tty");
	const char *dot = sys ? strchr(sys, '.') : NULL;
	struct bus *b;
	char *end;
	unsigned long addr;

	if (!dot || strncmp(sys, "smve", 4))
		return;		/* a bus device, not an IED */
	addr = strtoul(dot + 1, &end, 10);
	if (*end || addr < 1 || addr > 254)
		return;
	if (!tty) {
		/* On remove the attributes are gone: find the node by its path. */
		for (b = bs->list; b; b = b->next)
			for (struct node *n = b->nodes; n; n = n->next)
				if (n->addr == addr && !add) {
					node_close(n);
					return;
				}
		return;
	}
	b = bus_find(bs, tty);
	if (!b) {
		smved_log(LOG_DEBUG, "%s: bus %s is not configured: ignored", sys, tty);
		return;
	}
	if (add && node) {
		node_open(b, node, (unsigned)addr);
	} else if (!add) {
		for (struct node *n = b->nodes; n; n = n->next)
			if (n->addr == addr) {
				node_close(n);
				break;
			}
	}
}

static void monitor_cb(evutil_socket_t fd, short what, void *arg)
{
	struct buses *bs = arg;
	struct udev_device *d = udev_monitor_receive_device(bs->mon);
	const char *action;

	(void)fd;
	(void)what;
	if (!d)
		return;
	action = udev_device_get_action(d);
	if (action && !strcmp(action, "add")) {
		udev_node(bs, d, true);
	} else if (action && !strcmp(action, "remove")) {
		udev_node(bs, d, false);
	} else if (action && !strcmp(action, "change")) {
		/* A bus re-attached or reconfigured: make sure our settings hold. */
		const char *tty = udev_device_get_sysattr_value(d, "tty");
		struct bus *b = tty ? bus_find(bs, tty) : NULL;

		if (b && !strchr(udev_device_get_sysname(d), '.'))
			bus_apply_sysfs(b, true);
	}
	udev_device_unref(d);
}

static void enumerate(struct buses *bs)
{
	struct udev_enumerate *e = udev_enumerate_new(bs->udev);
	struct udev_list_entry *it;

	if (!e)
		return;
	udev_enumerate_add_match_subsystem(e, "smve");
	udev_enumerate_scan_devices(e);
	udev_list_entry_foreach(it, udev_enumerate_get_list_entry(e)) {
		struct udev_device *d = udev_device_new_from_syspath(bs->udev,
								     udev_list_entry_get_name(it));

		if (d) {
			udev_node(bs, d, true);
			udev_device_unref(d);
		}
	}
	udev_enumerate_unref(e);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct buses *bs = arg;

	(void)fd;
	(void)what;
	for (struct bus *b = bs->list; b; b = b->next)
		bus_apply_sysfs(b, false);
}

void buses_refresh_peh(struct buses *bs)
{
	for (struct bus *b = bs ? bs->list : NULL; b; b = b->next)
		bus_apply_sysfs(b, false);
}

static struct bus *bus_new(struct buses *bs, const struct bus_config *bc)
{
	struct bus *b = calloc(1, sizeof(*b));
	unsigned sv = 0, di = 0, ai = 0;

	if (!b)
		return NULL;
	b->bs = bs;
	b->cfg = *bc;
	b->cfg.next = NULL;
	b->peh_offset = LONG_MIN;
	b->peh_enable = -1;
	b->info.name = b->cfg.tty;
	b->info.kind = "bus";
	b->info.station = b->cfg.station;
	for (unsigned i = 0; i < bc->layout.count; i++) {
		b->sv_base[i] = sv;
		b->di_base[i] = di;
		b->ai_base[i] = ai;
		sv += bc->layout.ied[i].sv_bytes;
		di += bc->layout.ied[i].di_words;
		ai += bc->layout.ied[i].ai_words;
	}
	if (sheets_bind(bs->sm->cfg->sheets, bs->sm->store, b->cfg.tty, b->cfg.station,
			&b->cfg.layout, -1, &b->sp) < 0) {
		free(b);
		return NULL;
	}
	store_set_stale(bs->sm->store, b->cfg.tty, -1, true);
	bus_apply_sysfs(b, true);
	return b;
}

static void bus_free(struct bus *b)
{
	while (b->nodes)
		node_close(b->nodes);
	journal_cancel(b->bs->sm->journal, b);	/* its own events still commit */
	source_points_free(&b->sp);
	free(b);
}

struct buses *buses_new(struct smved *sm)
{
	struct buses *bs = calloc(1, sizeof(*bs));
	struct timeval tv = { BUS_TIMER_S, 0 };

	if (!bs)
		return NULL;
	bs->sm = sm;
	bs->timer = event_new(sm->base, -1, EV_PERSIST, timer_cb, bs);
	if (!bs->timer) {
		buses_free(bs);
		return NULL;
	}
	evtimer_add(bs->timer, &tv);
	bs->udev = udev_new();
	if (bs->udev) {
		bs->mon = udev_monitor_new_from_netlink(bs->udev, "udev");
		if (bs->mon && udev_monitor_filter_add_match_subsystem_devtype(bs->mon, "smve",
									       NULL) >= 0 &&
		    udev_monitor_enable_receiving(bs->mon) >= 0) {
			bs->mon_ev = event_new(sm->base, udev_monitor_get_fd(bs->mon),
					       EV_READ | EV_PERSIST, monitor_cb, bs);
			if (bs->mon_ev)
				event_add(bs->mon_ev, NULL);
		} else {
			smved_log(LOG_WARNING, "udev monitor unavailable: bus nodes appearing"
				  " later are not followed");
		}
	}
	buses_apply(bs);
	return bs;
}

int buses_apply(struct buses *bs)
{
	const struct smved_config *cfg = bs->sm->cfg;
	int rc = 0;

	/* Drop removed or changed buses. */
	for (struct bus **pp = &bs->list; *pp;) {
		struct bus *b = *pp;
		const struct bus_config *nc = NULL;

		for (const struct bus_config *c = cfg->buses; c; c = c->next)
			if (!strcmp(c->tty, b->cfg.tty))
				nc = c;
		if (!nc || strcmp(nc->station, b->cfg.station) ||
		    strcmp(nc->timezone, b->cfg.timezone) || nc->peh != b->cfg.peh ||
		    nc->peh_interval_s != b->cfg.peh_interval_s ||
		    memcmp(&nc->layout, &b->cfg.layout, sizeof(nc->layout))) {
			*pp = b->next;
			bus_free(b);
			continue;
		}
		b->cfg.command_timeout_ms = nc->command_timeout_ms;
		/* Kept: define its points again (the sheets may have changed; see store_mark_*). */
		{
			struct source_points sp;

			if (sheets_bind(cfg->sheets, bs->sm->store, b->cfg.tty, b->cfg.station,
					&b->cfg.layout, -1, &sp) == 0) {
				source_points_free(&b->sp);
				b->sp = sp;
			}
		}
		pp = &b->next;
	}
	for (const struct bus_config *c = cfg->buses; c; c = c->next) {
		struct bus *b;

		if (bus_find(bs, c->tty))
			continue;
		b = bus_new(bs, c);
		if (!b) {
			smved_log(LOG_ERR, "bus %s: cannot start", c->tty);
			rc = -1;
			continue;
		}
		b->next = bs->list;
		bs->list = b;
	}
	if (bs->udev && cfg->buses)
		enumerate(bs);
	return rc;
}

void buses_free(struct buses *bs)
{
	if (!bs)
		return;
	while (bs->list) {
		struct bus *n = bs->list->next;

		bus_free(bs->list);
		bs->list = n;
	}
	if (bs->mon_ev)
		event_free(bs->mon_ev);
	if (bs->timer)
		event_free(bs->timer);
	if (bs->mon)
		udev_monitor_unref(bs->mon);
	if (bs->udev)
		udev_unref(bs->udev);
	free(bs);
}

int buses_foreach(struct buses *bs,
		  int (*fn)(const struct smved_source_info *si, void *arg), void *arg)
{
	for (struct bus *b = bs ? bs->list : NULL; b; b = b->next) {
		struct smved_source_info si = b->info;
		int r;

		si.online = false;
		for (struct node *n = b->nodes; n; n = n->next)
			si.online |= n->online;
		r = fn(&si, arg);
		if (r)
			return r;
	}
	return 0;
}

int buses_control(struct buses *bs, uint32_t id, int state,
		  void (*done)(int result, void *arg), void *arg)
{
	for (struct bus *b = bs ? bs->list : NULL; b; b = b->next) {
		for (size_t k = 0; k < b->sp.n; k++) {
			const struct binding *bd = &b->sp.b[k];

			if (bd->id != id || bd->kind != POINT_DI)
				continue;
			if (bd->local > 7 || state < 0 || state > 1)
				return -ENOENT;
			for (struct node *n = b->nodes; n; n = n->next)
				if (n->addr == bd->addr)
					return node_control(n, bd, state, done, arg);
			return -ENOTCONN;
		}
	}
	return -ENOENT;
}

int buses_feed(struct buses *bs, const char *tty, unsigned addr, const uint8_t *buf,
	       size_t len)
{
	struct bus *b = bus_find(bs, tty);
	struct smve_node *sn;
	struct node *n;
	int fds[2], rc;

	if (!b || pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	/* A pipe stands in for the device: smve_node_from_fd() issues no ioctl. */
	if ((size_t)write(fds[1], buf, len) != len || smve_node_from_fd(fds[0], &sn) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	close(fds[1]);
	for (n = b->nodes; n; n = n->next)
		if (n->addr == addr)
			break;
	if (n) {
		smve_node_close(n->sn);
		n->sn = sn;
		n->eof = false;
	} else if (!(n = node_new(b, addr, sn))) {
		smve_node_close(sn);
		return -1;
	}
	rc = node_drain(n);
	return rc;
}
