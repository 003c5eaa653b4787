// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Local buses: smve.ko device nodes read as journaling consumer, through
 * libsmve's node reader (<smve/node.h>: validated records, resume, ioctls).
 *
 * Durability per read batch: the records' events and the cursor {epoch,
 * next seq} go to the journal's writer thread as one batch (group commit
 * with every other source's pending batch, off the loop); only its
 * completion calls SMVE_IOC_COMMIT(last seq), and only then is the next
 * batch read.  A crash before the commit loses nothing: the kernel keeps
 * polling with the same SEQ until it is told, and the restart reads again
 * from the committed cursor.  A crash between the commit and the ioctl
 * re-reads nothing (the cursor moved with the events); the kernel holds
 * the IED's SEQ only as long as its consumer is attached.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <event2/event.h>
#include <linux/smve.h>
#include <smve/node.h>

#include "config.h"
#include "events.h"
#include "journal.h"
#include "sheets.h"
#include "source_node.h"
#include "sources.h"
#include "store.h"
#include "tz.h"

#include "source_node_int.h"

/* --- sysfs ---------------------------------------------------------------------------- */

/* The sysfs directory of the bus attached to @tty, or -1 when none is. */
static int bus_sysdir(const char *tty, char *dir, size_t cap)
{
	DIR *d = opendir("/sys/class/smve");
	struct dirent *de;
	int found = -1;

	if (!d)
		return -1;
	while (found < 0 && (de = readdir(d))) {
		char p[512], t[64] = "";
		FILE *f;

		if (strncmp(de->d_name, "smve", 4) || strchr(de->d_name, '.'))
			continue;
		snprintf(p, sizeof(p), "/sys/class/smve/%s/tty", de->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fgets(t, sizeof(t), f))
			t[strcspn(t, "\n")] = '\0';
		fclose(f);
		if (!strcmp(t, tty)) {
			snprintf(dir, cap, "/sys/class/smve/%s", de->d_name);
			found = 0;
		}
	}
	closedir(d);
	return found;
}

static int sysfs_write(const char *dir, const char *attr, const char *val)
{
	char p[600];
	int fd, rc = 0;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, attr);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n != (ssize_t)strlen(val))
		rc = n < 0 ? -errno : -EIO;
	close(fd);
	return rc;
}

/* An unsigned sysfs attribute of the bus in @dir, or @dflt when it cannot be read. */
static unsigned long long sysfs_ull(const char *dir, const char *attr, unsigned long long dflt)
{
	char p[600];
	unsigned long long v;
	FILE *f;
	int n;

	snprintf(p, sizeof(p), "%s/%s", dir, attr);
	f = fopen(p, "r");
	if (!f)
		return dflt;
	n = fscanf(f, "%llu", &v);
	fclose(f);
	return n == 1 ? v : dflt;
}

/*
 * Unless configured: every attempt of the command (retries + 1) plus the transaction the
 * bus may be in, each the response timeout and the longest frames on the wire (a request,
 * a 255-byte reply, turnaround: 300 characters), and CTL_MARGIN_MS for what else may come
 * first on the bus (a PEH, the consumer's commit of a held reply) and a loaded host.
 * Without the bus's sysfs (a test, or the bus detached) the kernel's defaults at 9600 baud.
 */
#define CTL_MARGIN_MS	5000
unsigned bus_command_timeout_ms(struct bus *b)
{
	/* retries 3; response timeout auto = 15 Tc + 5 ms; Tc of 10 bits at 9600 baud */
	unsigned long long retries = 3, resp_us = 20625, char_ns = 1041667, ms;
	char dir[300];

	if (b->cfg.command_timeout_ms)
		return b->cfg.command_timeout_ms;
	if (bus_sysdir(b->cfg.tty, dir, sizeof(dir)) == 0) {
		retries = sysfs_ull(dir, "retries", retries);
		resp_us = sysfs_ull(dir, "response_timeout_us", resp_us);
		char_ns = sysfs_ull(dir, "char_time_ns", char_ns);
	}
	/* Bounded by the attributes' own ranges (retries <= 15); clamp anyway: input is input. */
	if (retries > 15)
		retries = 15;
	if (resp_us > 60000000ULL)
		resp_us = 60000000ULL;
	if (char_ns > 100000000ULL)
		char_ns = 100000000ULL;
	ms = (retries + 2) * (resp_us + 300 * char_ns / 1000) / 1000 + CTL_MARGIN_MS;
	return ms > 600000 ? 600000 : (unsigned)ms;
}

/* Apply the configuration's bus settings; PEH settings are refreshed by the timer. */
void bus_apply_sysfs(struct bus *b, bool full)
{
	char dir[300], val[1100];
	long off = tz_offset(b->cfg.timezone, time(NULL));
	int enable = b->cfg.peh && sources_clock_ok(b->bs->sm);
	int rc;

	if (bus_sysdir(b->cfg.tty, dir, sizeof(dir)) < 0)
		return;
	if (full) {
		val[0] = '\0';
		for (unsigned i = 0; i < b->cfg.layout.count; i++)
			snprintf(val + strlen(val), sizeof(val) - strlen(val), "%s%u", i ? " " : "",
				 b->cfg.layout.ied[i].addr);
		rc = sysfs_write(dir, "ieds", val);
		if (!rc && mara_layout_format(&b->cfg.layout, val, sizeof(val)) >= 0)
			rc = sysfs_write(dir, "layout", val);
		snprintf(val, sizeof(val), "%u", b->cfg.peh_interval_s);
		if (!rc)
			rc = sysfs_write(dir, "peh_interval_s", val);
		if (rc)
			smved_log(LOG_WARNING, "bus %s: cannot apply the configuration in %s: %s",
				  b->cfg.tty, dir, strerror(-rc));
	}
	/* The kernel sends station time as CLOCK_REALTIME + this offset: keep it right across DST. */
	if (off != b->peh_offset) {
		snprintf(val, sizeof(val), "%ld", off);
		if (!sysfs_write(dir, "peh_utc_offset_s", val))
			b->peh_offset = off;
	}
	if (enable != b->peh_enable) {
		if (!sysfs_write(dir, "peh_enable", enable ? "1" : "0")) {
			b->peh_enable = enable;
			smved_log(LOG_INFO, "bus %s: PEH %s", b->cfg.tty,
				  enable ? "enabled" : "withheld (clock not synchronised or peh = false)");
		}
	}
}

/* --- journal helpers --------------------------------------------------------------------- */

static void side_done(void *owner, const struct journal_result *res, void *user)
{
	struct bus *b = owner;

	(void)user;
	b->info.events += res->stored;
}

/*
 * Inside a read batch the event joins it (counted with its result); outside one (a node
 * opened or gone) it is a group-commit batch of its own.
 */
static void bus_event(struct bus *b, int ied, const char *type, int64_t value, bool alarm,
		      const char *text)
{
	struct journal_new ev = { .source = b->cfg.tty, .station = b->cfg.station, .ied = ied,
				  .type = type, .rx_us = smved_now_us(), .value = value,
				  .alarm = alarm, .text = text };

	if (journal_add_queued(b->bs->sm->journal, &ev, b, side_done) < 0)
		smved_log(LOG_ERR, "bus %s: event \"%s\" could not be queued for the journal",
			  b->cfg.tty, text);
}

static struct smved *SM(const struct bus *b)
{
	return b->bs->sm;
}

static void node_online(struct node *n, bool online, const char *why)
{
	struct bus *b = n->bus;
	int64_t now = smved_now_us();
	char text[200];

	if (n->online_known && n->online == online)
		return;
	n->online = online;
	n->online_known = true;
	store_batch_begin(SM(b)->store);
	if (n->idx >= 0)
		store_set_raw(SM(b)->store, b->sp.ied_comm[n->idx], online, 0, now, now);
	store_set_stale(SM(b)->store, b->cfg.tty, (int)n->addr, !online);
	store_batch_end(SM(b)->store);
	snprintf(text, sizeof(text), "bus %s IED %u %s%s%s", b->cfg.tty, n->addr,
		 online ? "online" : "offline", why ? ": " : "", why ? why : "");
	bus_event(b, (int)n->addr, "comm", online, !online, text);
}

/* --- records ---------------------------------------------------------------------------------- */

static void apply_state(struct node *n, const struct smve_rec_state *st, const uint8_t *sv,
			const uint8_t *di, const uint8_t *ai, int64_t t_us)
{
	struct bus *b = n->bus;
	struct store *s = SM(b)->store;

	/*
	 * The coalesced STATE a reader gets first after open or seek carries the IED's current
	 * online state: after a restart it is the only news of an IED whose last transition
	 * (a STATUS record) lies before the cursor.
	 */
	if (st->flags & SMVE_STATE_ONLINE)
		node_online(n, true, NULL);
	else if (st->flags & SMVE_STATE_OFFLINE)
		node_online(n, false, "not responding");
	if (n->idx < 0 || (st->flags & SMVE_STATE_NEVER))
		return;
	store_batch_begin(s);
	for (size_t k = 0; k < b->sp.n; k++) {
		const struct binding *bd = &b->sp.b[k];
		unsigned e;
		uint32_t raw;

		if (bd->ied_idx != n->idx)
			continue;
		switch (bd->kind) {
		case POINT_SV:
			e = bd->elem - b->sv_base[n->idx];
			if (e >= st->sv_len)
				continue;
			raw = bd->bit >= 0 ? (sv[e] >> bd->bit) & 1u : sv[e];
			store_set_raw(s, bd->id, raw, 0, t_us, smved_now_us());
			break;
		case POINT_DI:
			e = bd->elem - b->di_base[n->idx];
			if (e >= st->di_words)
				continue;
			raw = ((unsigned)mara_word(di, e) >> bd->bit) & 1u;
			store_set_raw(s, bd->id, raw, 0, t_us, smved_now_us());
			break;
		case POINT_AI:
			e = bd->elem - b->ai_base[n->idx];
			if (e >= st->ai_words)
				continue;
			raw = mara_word(ai, e);
			/* The kernel already qualifies an offline IED's AIs (rule 3). */
			store_set_raw(s, bd->id, raw, mara_ai_q((u16)raw), t_us, smved_now_us());
			break;
		}
	}
	if (st->flags & SMVE_STATE_OFFLINE)
		store_set_stale(s, b->cfg.tty, (int)n->addr, true);
	store_batch_end(s);
}

static void rec_event(struct node *n, const struct smve_rec_event *re, int64_t rx_us, bool stale)
{
	struct bus *b = n->bus;
	struct event_ctx ec = { .source = b->cfg.tty, .station = b->cfg.station,
				.timezone = b->cfg.timezone, .dialect = MARA_DIALECT_FIRMWARE,
				.store = SM(b)->store, .sheets = SM(b)->cfg->sheets, .sp = &b->sp };
	struct mara_event me;
	struct event_buf buf;
	struct journal_new ev;

	mara_event_decode(re->raw, MARA_DIALECT_FIRMWARE, &me);
	/* §5.6: on RS485 the event's IED is the reply's SRC. */
	me.addr = re->source;
	event_to_journal(&ec, &me, rx_us, &buf, &ev);
	/* Into the read batch; a failed copy fails the batch (journal_collect()). */
	journal_append(SM(b)->journal, &ev, NULL);
	(void)stale;	/* stale events go through the duplicate filter like all others */
}

static void rec_status(struct node *n, const struct smve_rec_status *st)
{
	char text[160];

	switch (st->status) {
	case SMVE_STATUS_ONLINE:
		node_online(n, true, NULL);
		break;
	case SMVE_STATUS_OFFLINE:
		snprintf(text, sizeof(text), "%llu failed attempts",
			 (unsigned long long)st->value);
		node_online(n, false, text);
		break;
	case SMVE_STATUS_DETACHED:
		node_online(n, false, "detached");
		break;
	case SMVE_STATUS_LAYOUT:
		n->bus->info.layout_errors++;
		snprintf(text, sizeof(text), "bus %s IED %u: reply layout SV %u DI %u AI %u does"
			 " not match the configuration", n->bus->cfg.tty, n->addr,
			 (unsigned)(st->value >> 16) & 0xFF, (unsigned)(st->value >> 8) & 0xFF,
			 (unsigned)st->value & 0xFF);
		bus_event(n->bus, (int)n->addr, "layout", 0, true, text);
		break;
	default:
		break;
	}
}

/* One record inside the open batch. */
static void handle_record(struct node *n, const struct smve_node_record *r)
{
	switch (r->type) {
	case SMVE_REC_STATE:
		apply_state(n, r->u.state.hdr, r->u.state.sv, r->u.state.di, r->u.state.ai,
			    r->time_ns / 1000);
		break;
	case SMVE_REC_EVENT:
		rec_event(n, r->u.event, r->time_ns / 1000, r->flags & SMVE_RECF_STALE);
		break;
	case SMVE_REC_STATUS:
		rec_status(n, r->u.status);
		break;
	case SMVE_REC_COMMAND:
		node_ctl_record(n, r);
		break;
	default:
		break;	/* additive ABI: unknown types are skipped */
	}
}

static void data_lost(struct node *n, uint64_t count, const char *why)
{
	char text[200];

	n->bus->info.data_lost += count;
	if (count)
		snprintf(text, sizeof(text), "bus %s IED %u: %llu record(s) lost (%s)",
			 n->bus->cfg.tty, n->addr, (unsigned long long)count, why);
	else
		snprintf(text, sizeof(text), "bus %s IED %u: records lost (%s)", n->bus->cfg.tty,
			 n->addr, why);
	smved_log(LOG_ERR, "%s", text);
	bus_event(n->bus, (int)n->addr, "data_lost", (int64_t)count, true, text);
}

/* What a read batch carries to its completion (journal_submit's user data). */
struct drain_ctx {
	uint64_t last;			/* last ring record in the batch, 0 = none */
	uint64_t epoch;			/* n->epoch before the batch */
	bool online, online_known;	/* before the batch: a lost batch must tell them again */
	bool bad;			/* the read ended in a malformed record */
};

/*
 * Read again from the committed cursor (what the lost batch held is re-read, so nothing is
 * skipped), after a pause when @later: a failing disk must not spin the loop.
 */
static void node_rewind(struct node *n, bool later)
{
	struct timeval tv = { 1, 0 };

	if (!n->sn || smve_node_seek(n->sn, n->cursor) < 0) {
		n->eof = true;
		return;
	}
	if (later && n->retry) {
		n->retrying = true;
		evtimer_add(n->retry, &tv);
	}
}

static void node_pump(struct node *n);

/* The batch is durable (or failed): only now may the kernel acknowledge its records. */
static void batch_done(void *owner, const struct journal_result *res, void *user)
{
	struct node *n = owner;
	struct drain_ctx cx;

	memcpy(&cx, user, sizeof(cx));
	n->inflight = false;
	if (res->status < 0) {
		n->online = cx.online;
		n->online_known = cx.online_known;
		n->epoch = cx.epoch;
		smved_log(LOG_ERR, "bus %s IED %u: journal commit failed: reading record %llu again",
			  n->bus->cfg.tty, n->addr, (unsigned long long)n->cursor);
		node_rewind(n, true);
	} else {
		n->bus->info.events += res->stored;
		n->bus->info.duplicates += res->duplicates;
		if (cx.last) {
			n->cursor = cx.last + 1;
			n->bus->info.last_reply_us = smved_now_us();
			if (n->consumer && smve_node_commit(n->sn, cx.last) < 0)
				smved_log(LOG_WARNING, "bus %s IED %u: commit of record %llu refused",
					  n->bus->cfg.tty, n->addr, (unsigned long long)cx.last);
		}
		if (cx.bad && n->ev)
			node_rewind(n, true);	/* the rest of the malformed read, unhurried */
	}
	if (!n->draining)
		node_pump(n);
}

/*
 * Read one batch and hand it to the journal.  Returns the records read, or -1 when the
 * batch could not be built or queued (read again from the cursor later).  *@more: a full
 * batch or an overrun, more may be pending.
 */
static int drain_batch(struct node *n, bool *more, bool *bad)
{
	struct journal *j = SM(n->bus)->journal;
	struct drain_ctx cx = { .epoch = n->epoch, .online = n->online,
				.online_known = n->online_known };
	struct journal_batch *b = journal_batch_new();
	struct smve_node_record r;
	int count = 0, rc = -EAGAIN;
	bool failed = !b;

	journal_collect(j, b);
	while (b && count < BATCH_RECORDS && (rc = smve_node_read(n->sn, &r)) > 0) {
		if (!(r.flags & SMVE_RECF_COALESCED)) {
			if (n->epoch && r.epoch != n->epoch)
				node_ctl_lost(n, true, 0, "the ring restarted");
			n->epoch = r.epoch;
			cx.last = r.seq;
		}
		handle_record(n, &r);
		count++;
	}
	*more = count == BATCH_RECORDS;
	if (!*more && rc == -EPIPE) {
		struct smve_node_info info;
		uint64_t lost = 0;

		smve_node_lost(n->sn, &lost);
		data_lost(n, lost, "reader overrun");
		if (smve_node_info(n->sn, &info) == 0)
			node_ctl_lost(n, false, info.first_seq, "its record may be overwritten");
		else
			node_ctl_lost(n, true, 0, "its record may be overwritten");
		*more = true;	/* the cursor moved to the oldest record: read on */
	} else if (!*more && rc == -EBADMSG) {
		data_lost(n, 0, "malformed record from the kernel");
		*bad = cx.bad = true;
	} else if (!*more && rc == 0) {
		n->eof = true;
	} else if (!*more && rc != -EAGAIN) {
		smved_log(LOG_ERR, "bus %s IED %u: read: %s", n->bus->cfg.tty, n->addr,
			  strerror(-rc));
		n->eof = true;
	}
	if (cx.last) {
		struct journal_state js = { .seq = -1, .epoch = n->epoch, .cursor = cx.last + 1 };

		failed |= journal_batch_state(b, n->key, &js) < 0;
	}
	failed |= journal_collect(j, NULL) < 0;
	if (!failed && !cx.last && !journal_batch_count(b)) {
		journal_batch_free(b);	/* nothing to store (the coalesced state, or no record) */
		return count;
	}
	if (!failed) {
		n->inflight = true;
		if (journal_submit(j, b, n, batch_done, &cx, sizeof(cx)) == 0)
			return count;
		n->inflight = false;
		b = NULL;	/* freed by journal_submit() */
	}
	journal_batch_free(b);
	n->online = cx.online;
	n->online_known = cx.online_known;
	n->epoch = cx.epoch;
	smved_log(LOG_ERR, "bus %s IED %u: cannot queue records for the journal: reading record"
		  " %llu again", n->bus->cfg.tty, n->addr, (unsigned long long)n->cursor);
	node_rewind(n, true);
	return -1;
}

int node_drain(struct node *n)
{
	int total = 0;
	bool more = true, bad = false;

	if (n->draining)
		return 0;
	n->draining = true;
	/* A synchronous journal (no writer thread) completes inside drain_batch(): read on. */
	while (more && n->sn && !n->inflight && !n->retrying && !n->eof) {
		int rc = drain_batch(n, &more, &bad);

		if (rc < 0)
			break;
		total += rc;
	}
	n->draining = false;
	if (n->ev) {
		if (n->inflight || n->retrying || n->eof)
			event_del(n->ev);	/* back-pressure: the kernel's ring holds the rest */
		else
			event_add(n->ev, NULL);
	}
	return bad ? -1 : total;
}

/*
 * Drain, and close a device node that went away.  A node fed by buses_feed() (no event)
 * stays until the next feed.
 */
static void node_pump(struct node *n)
{
	node_drain(n);
	if (n->eof && n->ev) {
		node_online(n, false, "node removed");
		node_close(n);
	}
}

static void node_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	node_pump(arg);
}

static void node_retry(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;

	(void)fd;
	(void)what;
	n->retrying = false;
	node_pump(n);
}

void node_close(struct node *n)
{
	struct bus *b = n->bus;

	for (struct node **pp = &b->nodes; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	}
	/* A batch in flight still commits (with its cursor); nobody must be called back. */
	journal_cancel(SM(b)->journal, n);
	/* Written to the kernel, perhaps sent: nobody can say whether the output operated. */
	node_ctl_lost(n, true, 0, "the node closed");
	store_set_stale(SM(b)->store, b->cfg.tty, (int)n->addr, true);
	if (n->ev)
		event_free(n->ev);
	if (n->retry)
		event_free(n->retry);
	if (n->ctl_timer)
		event_free(n->ctl_timer);
	smve_node_close(n->sn);	/* closing detaches the consumer */
	free(n);
}

struct node *node_new(struct bus *b, unsigned addr, struct smve_node *sn)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->retry = evtimer_new(SM(b)->base, node_retry, n);
	if (!n->retry) {
		free(n);
		return NULL;
	}
	n->bus = b;
	n->addr = addr;
	n->sn = sn;
	n->idx = -1;
	for (unsigned i = 0; i < b->cfg.layout.count; i++)
		if (b->cfg.layout.ied[i].addr == addr)
			n->idx = (int)i;
	snprintf(n->key, sizeof(n->key), "node:%s.%u", b->cfg.tty, addr);
	n->next = b->nodes;
	b->nodes = n;
	return n;
}

/* Open /dev node @path of IED @addr on bus @b and resume from the persisted cursor. */
void node_open(struct bus *b, const char *path, unsigned addr)
{
	struct smve_node_info info;
	struct journal_state js;
	struct smve_node *sn;
	struct node *n;
	int rc, found;

	for (n = b->nodes; n; n = n->next)
		if (n->addr == addr)
			return;	/* already open */
	rc = smve_node_open(path, SMVE_NODE_CONTROL | SMVE_NODE_NONBLOCK, &sn);
	if (rc == -EACCES || rc == -EPERM) {
		rc = smve_node_open(path, SMVE_NODE_NONBLOCK, &sn);
		if (!rc)
			smved_log(LOG_WARNING, "%s: read-only: events are not acknowledged durably"
				  " (grant smved write access in the udev rule)", path);
	}
	if (rc < 0) {
		smved_log(LOG_ERR, "%s: %s", path, rc == -ENOTTY || rc == -EPROTO ?
			  "not an smve node of a UAPI version smved understands" : strerror(-rc));
		return;
	}
	if (smve_node_info(sn, &info) < 0 || !(n = node_new(b, addr, sn))) {
		smve_node_close(sn);
		return;
	}
	n->epoch = info.epoch;
	found = journal_get_state(SM(b)->journal, n->key, &js);
	if (found > 0 && js.epoch == info.epoch) {
		n->cursor = js.cursor;
		if (js.cursor < info.first_seq)
			data_lost(n, info.first_seq - js.cursor, "overwritten while smved was away");
	} else {
		n->cursor = 0;	/* the oldest record */
		if (found > 0 && info.first_seq > 1)
			data_lost(n, info.first_seq - 1, "ring restarted and wrapped before smved read it");
		else if (found > 0)
			smved_log(LOG_NOTICE, "%s: ring restarted (new epoch): reading it whole", path);
	}
	if (smve_node_seek(sn, n->cursor) < 0)
		smved_log(LOG_WARNING, "%s: cannot seek to record %llu", path,
			  (unsigned long long)n->cursor);
	n->consumer = smve_node_set_consumer(sn, true) == 0;
	if (!n->consumer)
		smved_log(LOG_WARNING, "%s: not the journaling consumer: acknowledgements do not"
			  " wait for the journal", path);
	n->ev = event_new(SM(b)->base, smve_node_fd(sn), EV_READ | EV_PERSIST, node_readable, n);
	if (!n->ev) {
		node_close(n);
		return;
	}
	event_add(n->ev, NULL);
	b->info.connects++;
	smved_log(LOG_INFO, "%s: reading from record %llu (epoch %llx)", path,
		  (unsigned long long)n->cursor, (unsigned long long)n->epoch);
	node_readable(smve_node_fd(sn), EV_READ, n);
}
