// SPDX-License-Identifier: GPL-2.0
/*
 * Bus configuration, IED set and statistics: one implementation behind both
 * the sysfs attributes and the tty ioctls.
 */
#include <linux/bitmap.h>
#include <linux/slab.h>

#include "smve_priv.h"

#define TIMING_MAX_US	10000000U	/* 10 s: beyond that it is a typo */

void smve_bus_config_get(struct smve_bus *bus, struct smve_bus_config *c)
{
	memset(c, 0, sizeof(*c));
	mutex_lock(&bus->lock);
	c->master_addr = bus->master_addr;
	c->poll_interval_us = bus->poll_interval_us;
	c->response_timeout_us = bus->timing.response_timeout_ns / NSEC_PER_USEC;
	c->interchar_timeout_us = bus->timing.interchar_ns / NSEC_PER_USEC;
	c->guard_us = bus->timing.guard_ns / NSEC_PER_USEC;
	c->broadcast_guard_us = bus->timing.bcast_guard_ns / NSEC_PER_USEC;
	if (!bus->tcfg.response_timeout_us)
		c->auto_mask |= SMVE_CFG_RESPONSE_TIMEOUT;
	if (!bus->tcfg.interchar_timeout_us)
		c->auto_mask |= SMVE_CFG_INTERCHAR_TIMEOUT;
	if (!bus->tcfg.guard_us)
		c->auto_mask |= SMVE_CFG_GUARD;
	if (!bus->tcfg.broadcast_guard_us)
		c->auto_mask |= SMVE_CFG_BROADCAST_GUARD;
	c->retries = bus->retries;
	c->offline_reprobe_ms = bus->offline_reprobe_ms;
	c->peh_interval_s = bus->peh_interval_s;
	c->peh_utc_offset_s = bus->peh_utc_offset_s;
	c->peh_enable = bus->peh_enable;
	c->char_time_ns = READ_ONCE(bus->tc_ns);
	c->bus = bus->index;
	mutex_unlock(&bus->lock);
}

static bool addr_is_ied(struct smve_bus *bus, u32 addr)
{
	unsigned int i;

	for (i = 0; i < bus->n_ieds; i++)
		if (bus->ieds[i]->addr == addr)
			return true;
	return false;
}

/* Validate everything first, so that a rejected request changes nothing. */
int smve_bus_config_set(struct smve_bus *bus, const struct smve_bus_config *c)
{
	u32 m = c->mask;
	int ret = 0;

	if (m & ~(SMVE_CFG_PEH_ENABLE * 2 - 1))
		return -EINVAL;
	if ((m & SMVE_CFG_RESPONSE_TIMEOUT && c->response_timeout_us > TIMING_MAX_US) ||
	    (m & SMVE_CFG_INTERCHAR_TIMEOUT && c->interchar_timeout_us > TIMING_MAX_US) ||
	    (m & SMVE_CFG_GUARD && c->guard_us > TIMING_MAX_US) ||
	    (m & SMVE_CFG_BROADCAST_GUARD && c->broadcast_guard_us > TIMING_MAX_US) ||
	    (m & SMVE_CFG_POLL_INTERVAL && c->poll_interval_us > 100 * TIMING_MAX_US) ||
	    (m & SMVE_CFG_RETRIES && c->retries > SMVE_RETRIES_MAX) ||
	    (m & SMVE_CFG_OFFLINE_REPROBE &&
	     (c->offline_reprobe_ms < 10 || c->offline_reprobe_ms > 3600000)) ||
	    (m & SMVE_CFG_PEH_INTERVAL && c->peh_interval_s > 86400) ||
	    (m & SMVE_CFG_PEH_UTC_OFFSET &&
	     (c->peh_utc_offset_s < -86400 || c->peh_utc_offset_s > 86400)) ||
	    (m & SMVE_CFG_PEH_ENABLE && c->peh_enable > 1) ||
	    (m & SMVE_CFG_MASTER_ADDR &&
	     (c->master_addr < 1 || c->master_addr > 254)))
		return -EINVAL;

	mutex_lock(&bus->lock);
	if (test_bit(SMVE_BUS_DEAD, &bus->flags)) {
		ret = -ENODEV;
		goto out;
	}
	if (m & SMVE_CFG_MASTER_ADDR && addr_is_ied(bus, c->master_addr)) {
		ret = -EADDRINUSE;
		goto out;
	}
	if (m & SMVE_CFG_MASTER_ADDR)
		bus->master_addr = c->master_addr;
	if (m & SMVE_CFG_POLL_INTERVAL)
		bus->poll_interval_us = c->poll_interval_us;
	if (m & SMVE_CFG_RESPONSE_TIMEOUT)
		bus->tcfg.response_timeout_us = c->response_timeout_us;
	if (m & SMVE_CFG_INTERCHAR_TIMEOUT)
		bus->tcfg.interchar_timeout_us = c->interchar_timeout_us;
	if (m & SMVE_CFG_GUARD)
		bus->tcfg.guard_us = c->guard_us;
	if (m & SMVE_CFG_BROADCAST_GUARD)
		bus->tcfg.broadcast_guard_us = c->broadcast_guard_us;
	if (m & SMVE_CFG_RETRIES)
		bus->retries = c->retries;
	if (m & SMVE_CFG_OFFLINE_REPROBE)
		bus->offline_reprobe_ms = c->offline_reprobe_ms;
	if (m & SMVE_CFG_PEH_INTERVAL)
		bus->peh_interval_s = c->peh_interval_s;
	if (m & SMVE_CFG_PEH_UTC_OFFSET)
		bus->peh_utc_offset_s = c->peh_utc_offset_s;
	if (m & SMVE_CFG_PEH_ENABLE)
		bus->peh_enable = c->peh_enable;
	smve_bus_timing_update(bus);
out:
	mutex_unlock(&bus->lock);
	if (!ret)
		smve_bus_kick(bus);
	return ret;
}

static void hist_summary(const struct smve_hist *h, struct smve_hist_summary *s)
{
	s->count = h->count;
	s->min_ns = h->min;
	s->p50_ns = smve_hist_quantile(h, 500);
	s->p99_ns = smve_hist_quantile(h, 990);
	s->max_ns = h->max;
}

void smve_bus_stats_fill(struct smve_bus *bus, struct smve_bus_stats *st)
{
	const struct mara_reasm_stats *r = &bus->reasm.stats;
	const struct mara_reasm_stats *b = &bus->reasm_base;

	mutex_lock(&bus->lock);
	*st = bus->stats;
	/* The reassembler counts framing; its counters never reset. */
	st->frames_received = r->frames - b->frames;
	st->checksum_errors = r->bad_bcc - b->bad_bcc;
	st->resyncs = r->resyncs - b->resyncs;
	st->bytes_discarded += (r->noise_bytes - b->noise_bytes) +
			       (r->aborted_bytes - b->aborted_bytes);
	hist_summary(&bus->h_turnaround, &st->turnaround);
	hist_summary(&bus->h_latency, &st->latency);
	hist_summary(&bus->h_cycle, &st->cycle);
	mutex_unlock(&bus->lock);
	spin_lock_irq(&bus->rx_lock);
	st->rx_overruns = bus->rx_overruns;
	spin_unlock_irq(&bus->rx_lock);
}

void smve_bus_stats_reset(struct smve_bus *bus)
{
	mutex_lock(&bus->lock);
	memset(&bus->stats, 0, sizeof(bus->stats));
	bus->stats_pulls = 0;
	bus->stats_pulled = 0;
	bus->reasm_base = bus->reasm.stats;
	smve_hist_reset(&bus->h_turnaround);
	smve_hist_reset(&bus->h_latency);
	smve_hist_reset(&bus->h_cycle);
	mutex_unlock(&bus->lock);
	spin_lock_irq(&bus->rx_lock);
	bus->rx_overruns = 0;
	spin_unlock_irq(&bus->rx_lock);
}

/* bus->lock held: forget @ied in the master state before it goes. */
static void bus_forget(struct smve_bus *bus, struct smve_ied *ied)
{
	smve_bus_abort_cmds(bus, ied);
	if (bus->retry == ied)
		bus->retry = NULL;
	if (bus->cur == ied) {
		/* Let a reply in flight pass before the next request. */
		bus->phase = SMVE_IDLE;
		bus->cur = NULL;
		bus->cur_cmd = NULL;
		bus->earliest_tx_ns = ktime_get_ns() +
				      bus->timing.response_timeout_ns;
	}
}

/*
 * Replace the IED set with @map (bits 0..255).  Addresses kept keep their
 * node, ring and SEQ; devices are created and destroyed outside bus->lock
 * because sysfs removal waits for attribute readers.
 */
int smve_bus_set_ieds(struct smve_bus *bus, const unsigned long *map)
{
	LIST_HEAD(gone);
	struct smve_ied *ied, *tmp, **fresh;
	unsigned int a, i, n = 0, k;
	int ret = 0;

	if (test_bit(0, map) || test_bit(1, map) || test_bit(255, map))
		return -EINVAL;
	fresh = kcalloc(SMVE_MAX_IEDS, sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return -ENOMEM;

	mutex_lock(&bus->ieds_mutex);
	if (test_bit(SMVE_BUS_DEAD, &bus->flags)) {
		ret = -ENODEV;
		goto out;
	}
	if (test_bit(bus->master_addr, map)) {
		ret = -EADDRINUSE;
		goto out;
	}
	/* Create the new ones first: on failure nothing changes. */
	for_each_set_bit(a, map, 256) {
		if (addr_is_ied(bus, a))
			continue;
		ied = smve_ied_create(bus, a);
		if (IS_ERR(ied)) {
			ret = PTR_ERR(ied);
			goto undo;
		}
		fresh[n++] = ied;
	}

	mutex_lock(&bus->lock);
	for (i = 0; i < bus->n_ieds; i++) {
		ied = bus->ieds[i];
		if (!test_bit(ied->addr, map)) {
			bus_forget(bus, ied);
			list_add_tail(&ied->dead_node, &gone);
		}
	}
	/* Merge kept and new IEDs in address order (the polling order). */
	k = 0;
	for_each_set_bit(a, map, 256) {
		ied = NULL;
		for (i = 0; i < bus->n_ieds && !ied; i++)
			if (bus->ieds[i]->addr == a)
				ied = bus->ieds[i];
		for (i = 0; i < n && !ied; i++)
			if (fresh[i]->addr == a)
				ied = fresh[i];
		bus->ieds[k] = ied;
		bus->links[k] = &ied->link;
		k++;
	}
	bus->n_ieds = k;
	if (bus->rr_next > k)
		bus->rr_next = 0;
	mutex_unlock(&bus->lock);
	smve_bus_kick(bus);
	n = 0;
undo:
	while (n)
		list_add_tail(&fresh[--n]->dead_node, &gone);
out:
	mutex_unlock(&bus->ieds_mutex);
	list_for_each_entry_safe(ied, tmp, &gone, dead_node) {
		list_del_init(&ied->dead_node);
		smve_ied_kill(ied);
		smve_ied_put(ied);
	}
	kfree(fresh);
	return ret;
}

int smve_bus_set_layout(struct smve_bus *bus, const char *text, size_t len)
{
	struct mara_layout *l;
	size_t errpos = 0;
	int ret = 0;

	l = kzalloc(sizeof(*l), GFP_KERNEL);
	if (!l)
		return -ENOMEM;
	if (mara_layout_parse(l, text, len, &errpos)) {
		dev_info(bus->dev, "layout: error at offset %zu\n", errpos);
		ret = -EINVAL;
	} else {
		mutex_lock(&bus->lock);
		bus->layout = *l;
		mutex_unlock(&bus->lock);
	}
	kfree(l);
	return ret;
}

int smve_bus_get_layout(struct smve_bus *bus, char *buf, size_t cap)
{
	int ret;

	mutex_lock(&bus->lock);
	ret = mara_layout_format(&bus->layout, buf, cap);
	mutex_unlock(&bus->lock);
	return ret < 0 ? -ENOSPC : ret;
}
