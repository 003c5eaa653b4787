// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs attributes of the bus device (smve<B>) and of the IED devices
 * (smve<B>.<A>).  Names and formats are in kernel/README.md.  IED
 * attributes never take bus->lock: devices are removed while it is free,
 * but their counters are plain words read without tearing on 64-bit.
 */
#include <linux/bitmap.h>
#include <linux/device.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "smve_priv.h"

/* --- bus: configuration -------------------------------------------------- */

static ssize_t tty_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct smve_bus *bus = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", bus->tty_name);
}
static DEVICE_ATTR_RO(tty);

static ssize_t char_time_ns_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	struct smve_bus *bus = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%llu\n", READ_ONCE(bus->tc_ns));
}
static DEVICE_ATTR_RO(char_time_ns);

/*
 * "<pulls> <found>": reply deadlines at which the thread flushed the
 * tty's pending input, and how many of those found bytes that had been
 * received but not yet delivered (a late flip-buffer worker).
 */
static ssize_t rx_late_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct smve_bus *bus = dev_get_drvdata(dev);
	u64 pulls, found;

	mutex_lock(&bus->lock);
	pulls = bus->stats_pulls;
	found = bus->stats_pulled;
	mutex_unlock(&bus->lock);
	return sysfs_emit(buf, "%llu %llu\n", pulls, found);
}
static DEVICE_ATTR_RO(rx_late);

/* "2 3 5-9": decimal addresses and ranges, separated by blanks or commas. */
int smve_parse_ieds(const char *buf, size_t len, unsigned long *map)
{
	size_t i = 0;

	bitmap_zero(map, 256);
	while (i < len) {
		unsigned int lo = 0, hi, digits = 0;

		if (buf[i] == ' ' || buf[i] == ',' || buf[i] == '\t' ||
		    buf[i] == '\n') {
			i++;
			continue;
		}
		while (i < len && buf[i] >= '0' && buf[i] <= '9' && digits < 4) {
			lo = lo * 10 + (buf[i++] - '0');
			digits++;
		}
		if (!digits || lo > 255)
			return -EINVAL;
		hi = lo;
		if (i < len && buf[i] == '-') {
			i++;
			hi = 0;
			digits = 0;
			while (i < len && buf[i] >= '0' && buf[i] <= '9' &&
			       digits < 4) {
				hi = hi * 10 + (buf[i++] - '0');
				digits++;
			}
			if (!digits || hi > 255 || hi < lo)
				return -EINVAL;
		}
		if (i < len && buf[i] != ' ' && buf[i] != ',' &&
		    buf[i] != '\t' && buf[i] != '\n')
			return -EINVAL;
		bitmap_set(map, lo, hi - lo + 1);
	}
	return 0;
}

static ssize_t ieds_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct smve_bus *bus = dev_get_drvdata(dev);
	unsigned int i, j, len = 0;

	mutex_lock(&bus->lock);
	for (i = 0; i < bus->n_ieds; i = j) {
		/* Runs of consecutive addresses print as ranges. */
		for (j = i + 1; j < bus->n_ieds &&
		     bus->ieds[j]->addr == bus->ieds[j - 1]->addr + 1; j++)
			;
		len += sysfs_emit_at(buf, len, i ? " %u" : "%u",
				     bus->ieds[i]->addr);
		if (j - i > 1)
			len += sysfs_emit_at(buf, len, "-%u",
					     bus->ieds[j - 1]->addr);
	}
	mutex_unlock(&bus->lock);
	len += sysfs_emit_at(buf, len, "\n");
	return len;
}

static ssize_t ieds_store(struct device *dev, struct device_attribute *attr,
			  const char *buf, size_t count)
{
	struct smve_bus *bus = dev_get_drvdata(dev);
	DECLARE_BITMAP(map, 256);
	int ret = smve_parse_ieds(buf, count, map);

	if (!ret)
		ret = smve_bus_set_ieds(bus, map);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(ieds);

static ssize_t layout_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct smve_bus *bus = dev_get_drvdata(dev);
	int n = smve_bus_get_layout(bus, buf, PAGE_SIZE - 1);

	if (n < 0)
		return n;
	buf[n] = '\n';
	return n + 1;
}

static ssize_t layout_store(struct device *dev, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct smve_bus *bus = dev_get_drvdata(dev);
	size_t len = count;
	int ret;

	while (len && buf[len - 1] == '\n')
		len--;
	ret = smve_bus_set_layout(bus, buf, len);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(layout);

/*
 * One config field per attribute, through the same path as the ioctl:
 * cfg_fields[i] describes cfg_attrs[i].
 */
struct cfg_field {
	size_t off;		/* in struct smve_bus_config */
	u32 bit;		/* SMVE_CFG_* */
	bool is_signed;
};

#define CFG_FIELD(f, b, s) { offsetof(struct smve_bus_config, f), b, s }

static const struct cfg_field cfg_fields[] = {
	CFG_FIELD(master_addr, SMVE_CFG_MASTER_ADDR, false),
	CFG_FIELD(poll_interval_us, SMVE_CFG_POLL_INTERVAL, false),
	CFG_FIELD(response_timeout_us, SMVE_CFG_RESPONSE_TIMEOUT, false),
	CFG_FIELD(interchar_timeout_us, SMVE_CFG_INTERCHAR_TIMEOUT, false),
	CFG_FIELD(guard_us, SMVE_CFG_GUARD, false),
	CFG_FIELD(broadcast_guard_us, SMVE_CFG_BROADCAST_GUARD, false),
	CFG_FIELD(retries, SMVE_CFG_RETRIES, false),
	CFG_FIELD(offline_reprobe_ms, SMVE_CFG_OFFLINE_REPROBE, false),
	CFG_FIELD(peh_interval_s, SMVE_CFG_PEH_INTERVAL, false),
	CFG_FIELD(peh_utc_offset_s, SMVE_CFG_PEH_UTC_OFFSET, true),
	CFG_FIELD(peh_enable, SMVE_CFG_PEH_ENABLE, false),
};

static ssize_t cfg_show(struct device *dev, struct device_attribute *attr,
			char *buf);
static ssize_t cfg_store(struct device *dev, struct device_attribute *attr,
			 const char *buf, size_t count);

#define CFG_ATTR(n) \
	static struct device_attribute cfg_attr_##n = __ATTR(n, 0644, cfg_show, cfg_store)

CFG_ATTR(master_addr);
CFG_ATTR(poll_interval_us);
CFG_ATTR(response_timeout_us);
CFG_ATTR(interchar_timeout_us);
CFG_ATTR(guard_us);
CFG_ATTR(broadcast_guard_us);
CFG_ATTR(retries);
CFG_ATTR(offline_reprobe_ms);
CFG_ATTR(peh_interval_s);
CFG_ATTR(peh_utc_offset_s);
CFG_ATTR(peh_enable);

static struct device_attribute *cfg_attrs[] = {
	&cfg_attr_master_addr,
	&cfg_attr_poll_interval_us,
	&cfg_attr_response_timeout_us,
	&cfg_attr_interchar_timeout_us,
	&cfg_attr_guard_us,
	&cfg_attr_broadcast_guard_us,
	&cfg_attr_retries,
	&cfg_attr_offline_reprobe_ms,
	&cfg_attr_peh_interval_s,
	&cfg_attr_peh_utc_offset_s,
	&cfg_attr_peh_enable,
};

static_assert(ARRAY_SIZE(cfg_attrs) == ARRAY_SIZE(cfg_fields));

static const struct cfg_field *cfg_field_of(struct device_attribute *attr)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cfg_attrs); i++)
		if (cfg_attrs[i] == attr)
			return &cfg_fields[i];
	return NULL;
}

static ssize_t cfg_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	const struct cfg_field *f = cfg_field_of(attr);
	struct smve_bus_config c;
	u32 v;

	if (!f)
		return -EIO;
	smve_bus_config_get(dev_get_drvdata(dev), &c);
	memcpy(&v, (u8 *)&c + f->off, sizeof(v));
	if (f->is_signed)
		return sysfs_emit(buf, "%d\n", (s32)v);
	return sysfs_emit(buf, "%u\n", v);
}

static ssize_t cfg_store(struct device *dev, struct device_attribute *attr,
			 const char *buf, size_t count)
{
	const struct cfg_field *f = cfg_field_of(attr);
	struct smve_bus_config c = { 0 };
	u32 v;
	int ret;

	if (!f)
		return -EIO;
	if (f->is_signed)
		ret = kstrtos32(buf, 0, (s32 *)&v);
	else
		ret = kstrtou32(buf, 0, &v);
	if (ret)
		return ret;
	c.mask = f->bit;
	memcpy((u8 *)&c + f->off, &v, sizeof(v));
	ret = smve_bus_config_set(dev_get_drvdata(dev), &c);
	return ret ? ret : count;
}

static ssize_t reset_statistics_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t count)
{
	bool v;
	int ret = kstrtobool(buf, &v);

	if (ret)
		return ret;
	if (v)
		smve_bus_stats_reset(dev_get_drvdata(dev));
	return count;
}
static DEVICE_ATTR_WO(reset_statistics);

static struct attribute *bus_attrs[] = {
	&dev_attr_tty.attr,
	&dev_attr_char_time_ns.attr,
	&dev_attr_rx_late.attr,
	&dev_attr_ieds.attr,
	&dev_attr_layout.attr,
	&cfg_attr_master_addr.attr,
	&cfg_attr_poll_interval_us.attr,
	&cfg_attr_response_timeout_us.attr,
	&cfg_attr_interchar_timeout_us.attr,
	&cfg_attr_guard_us.attr,
	&cfg_attr_broadcast_guard_us.attr,
	&cfg_attr_retries.attr,
	&cfg_attr_offline_reprobe_ms.attr,
	&cfg_attr_peh_interval_s.attr,
	&cfg_attr_peh_utc_offset_s.attr,
	&cfg_attr_peh_enable.attr,
	&dev_attr_reset_statistics.attr,
	NULL
};

static const struct attribute_group bus_group = {
	.attrs = bus_attrs,
};

/* --- bus: statistics and timing ------------------------------------------- */

/*
 * Counter attributes: the i-th attribute of a group shows the i-th u64 of
 * its structure (struct smve_bus_stats, struct smve_ied_stats), checked at
 * build time with static_assert.
 */
static int attr_index(struct attribute **attrs, struct device_attribute *a)
{
	int i;

	for (i = 0; attrs[i]; i++)
		if (attrs[i] == &a->attr)
			return i;
	return -1;
}

static ssize_t bus_stat_show(struct device *dev, struct device_attribute *a,
			     char *buf);

#define BUS_STAT(n) \
	static struct device_attribute bus_stat_##n = __ATTR(n, 0444, bus_stat_show, NULL)

BUS_STAT(frames_sent);
BUS_STAT(frames_received);
BUS_STAT(checksum_errors);
BUS_STAT(timeouts);
BUS_STAT(retries);
BUS_STAT(stale_replies);
BUS_STAT(wrong_source);
BUS_STAT(unsolicited);
BUS_STAT(echoes);
BUS_STAT(resyncs);
BUS_STAT(bytes_discarded);
BUS_STAT(interchar_aborts);
BUS_STAT(cycles);
BUS_STAT(peh_sent);
BUS_STAT(rx_overruns);
BUS_STAT(turnaround);
BUS_STAT(latency);
BUS_STAT(cycle);

static_assert(offsetof(struct smve_bus_stats, rx_overruns) == 14 * sizeof(u64));
static_assert(offsetof(struct smve_bus_stats, turnaround) == 15 * sizeof(u64));
static_assert(offsetof(struct smve_bus_stats, cycle) ==
	      offsetof(struct smve_bus_stats, turnaround) +
	      2 * sizeof(struct smve_hist_summary));

static struct attribute *bus_stat_attrs[] = {
	&bus_stat_frames_sent.attr,
	&bus_stat_frames_received.attr,
	&bus_stat_checksum_errors.attr,
	&bus_stat_timeouts.attr,
	&bus_stat_retries.attr,
	&bus_stat_stale_replies.attr,
	&bus_stat_wrong_source.attr,
	&bus_stat_unsolicited.attr,
	&bus_stat_echoes.attr,
	&bus_stat_resyncs.attr,
	&bus_stat_bytes_discarded.attr,
	&bus_stat_interchar_aborts.attr,
	&bus_stat_cycles.attr,
	&bus_stat_peh_sent.attr,
	&bus_stat_rx_overruns.attr,
	NULL
};

static const struct attribute_group bus_stat_group = {
	.name = "statistics",
	.attrs = bus_stat_attrs,
};

static struct attribute *bus_timing_attrs[] = {
	&bus_stat_turnaround.attr,
	&bus_stat_latency.attr,
	&bus_stat_cycle.attr,
	NULL
};

static const struct attribute_group bus_timing_group = {
	.name = "timing",
	.attrs = bus_timing_attrs,
};

static ssize_t bus_stat_show(struct device *dev, struct device_attribute *a,
			     char *buf)
{
	int i = attr_index(bus_stat_attrs, a);
	int t = attr_index(bus_timing_attrs, a);
	struct smve_bus_stats *st;
	ssize_t ret = -EIO;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	smve_bus_stats_fill(dev_get_drvdata(dev), st);
	if (i >= 0) {
		ret = sysfs_emit(buf, "%llu\n", ((u64 *)st)[i]);
	} else if (t >= 0) {
		const struct smve_hist_summary *h = &st->turnaround + t;

		ret = sysfs_emit(buf, "%llu %llu %llu %llu %llu\n", h->count,
				 h->min_ns, h->p50_ns, h->p99_ns, h->max_ns);
	}
	kfree(st);
	return ret;
}

const struct attribute_group *smve_bus_groups[] = {
	&bus_group,
	&bus_stat_group,
	&bus_timing_group,
	NULL
};

/* --- IED ------------------------------------------------------------------ */

static ssize_t address_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct smve_ied *ied = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%u\n", ied->addr);
}
static DEVICE_ATTR_RO(address);

static ssize_t ied_tty_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	struct smve_ied *ied = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%s\n", ied->bus->tty_name);
}

static struct device_attribute dev_attr_ied_tty = __ATTR(tty, 0444, ied_tty_show, NULL);

static ssize_t online_show(struct device *dev, struct device_attribute *attr,
			   char *buf)
{
	struct smve_ied *ied = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%d\n", READ_ONCE(ied->online));
}
static DEVICE_ATTR_RO(online);

static ssize_t seq_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	struct smve_ied *ied = dev_get_drvdata(dev);

	return sysfs_emit(buf, "0x%02x\n", READ_ONCE(ied->link.seq));
}
static DEVICE_ATTR_RO(seq);

static ssize_t last_reply_ns_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct smve_ied *ied = dev_get_drvdata(dev);

	return sysfs_emit(buf, "%lld\n", READ_ONCE(ied->last_reply_ns));
}
static DEVICE_ATTR_RO(last_reply_ns);

/* Ring position and consumer, under the IED lock for a coherent view. */
static ssize_t ring_show(struct device *dev, char *buf, int what)
{
	struct smve_ied *ied = dev_get_drvdata(dev);
	u64 v[5];

	spin_lock(&ied->lock);
	v[0] = ied->epoch;
	v[1] = ied->first;
	v[2] = ied->next;
	v[3] = !!ied->consumer;
	v[4] = ied->committed;
	spin_unlock(&ied->lock);
	return sysfs_emit(buf, what ? "%llu\n" : "%016llx\n", v[what]);
}

#define RING_ATTR(name, what)						\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	return ring_show(dev, buf, what);				\
}									\
static DEVICE_ATTR_RO(name)

RING_ATTR(epoch, 0);
RING_ATTR(first_seq, 1);
RING_ATTR(next_seq, 2);
RING_ATTR(consumer, 3);
RING_ATTR(committed_seq, 4);

static struct attribute *ied_attrs[] = {
	&dev_attr_address.attr,
	&dev_attr_ied_tty.attr,
	&dev_attr_online.attr,
	&dev_attr_seq.attr,
	&dev_attr_last_reply_ns.attr,
	&dev_attr_epoch.attr,
	&dev_attr_first_seq.attr,
	&dev_attr_next_seq.attr,
	&dev_attr_consumer.attr,
	&dev_attr_committed_seq.attr,
	NULL
};

static const struct attribute_group ied_group = {
	.attrs = ied_attrs,
};

static ssize_t ied_stat_show(struct device *dev, struct device_attribute *a,
			     char *buf);

#define IED_STAT(n) \
	static struct device_attribute ied_stat_##n = __ATTR(n, 0444, ied_stat_show, NULL)

IED_STAT(polls);
IED_STAT(replies);
IED_STAT(timeouts);
IED_STAT(retries);
IED_STAT(stale);
IED_STAT(checksum_errors);
IED_STAT(malformed);
IED_STAT(events);
IED_STAT(offline_count);
IED_STAT(ack_waits);
IED_STAT(commands);
IED_STAT(records_overrun);

static struct attribute *ied_stat_attrs[] = {
	&ied_stat_polls.attr,
	&ied_stat_replies.attr,
	&ied_stat_timeouts.attr,
	&ied_stat_retries.attr,
	&ied_stat_stale.attr,
	&ied_stat_checksum_errors.attr,
	&ied_stat_malformed.attr,
	&ied_stat_events.attr,
	&ied_stat_offline_count.attr,
	&ied_stat_ack_waits.attr,
	&ied_stat_commands.attr,
	&ied_stat_records_overrun.attr,
	NULL
};

static ssize_t ied_stat_show(struct device *dev, struct device_attribute *a,
			     char *buf)
{
	struct smve_ied *ied = dev_get_drvdata(dev);
	int i = attr_index(ied_stat_attrs, a);

	if (i < 0)
		return -EIO;
	return sysfs_emit(buf, "%llu\n", READ_ONCE(((u64 *)&ied->stats)[i]));
}

static_assert(offsetof(struct smve_ied_stats, records_overrun) == 11 * sizeof(u64));

static const struct attribute_group ied_stat_group = {
	.name = "statistics",
	.attrs = ied_stat_attrs,
};

const struct attribute_group *smve_ied_groups[] = {
	&ied_group,
	&ied_stat_group,
	NULL
};
