// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Local buses: smve.ko device nodes read as journaling consumer, through
 * libsmve's node reader (<smve/node.h>: validated records, resume, ioctls).
 *
 * Durability per read batch:  BEGIN; events (duplicate filter); cursor
 * {epoch, next seq}; COMMIT;  then SMVE_IOC_COMMIT(last seq).  A crash
 * between the two re-reads records already stored: the duplicate filter
 * drops them.  A crash before the COMMIT loses nothing: the kernel keeps
 * polling with the same SEQ until it is told.
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

static void bus_event(struct bus *b, int ied, const char *type, int64_t value, bool alarm,
		      const char *text)
{
	struct journal_new ev = { .source = b->cfg.tty, .station = b->cfg.station, .ied = ied,
				  .type = type, .rx_us = smved_now_us(), .value = value,
				  .alarm = alarm, .text = text };

	int rc = journal_append(b->bs->sm->journal, &ev, NULL);

	/* Outside a read batch (a node went away): an event of its own. */
	if (rc < 0)
		rc = journal_add(b->bs->sm->journal, &ev, NULL);
	if (rc > 0)
		b->info.events++;
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
	int rc;

	mara_event_decode(re->raw, MARA_DIALECT_FIRMWARE, &me);
	/* §5.6: on RS485 the event's IED is the reply's SRC. */
	me.addr = re->source;
	event_to_journal(&ec, &me, rx_us, &buf, &ev);
	rc = journal_append(SM(b)->journal, &ev, NULL);
	if (rc > 0)
		b->info.events++;
	else if (rc == 0)
		b->info.duplicates++;
	(void)stale;	/* stale events go through the duplicate filter like all others */
}

/* The smved_control() result of a COMMAND record's outcome (enum smve_cmd_outcome). */
static int command_result(uint32_t outcome)
{
	switch (outcome) {
	case SMVE_CMD_OK:
		return 0;
	case SMVE_CMD_REFUSED:
		return -EPERM;
	case SMVE_CMD_MISMATCH:
		return -EPROTO;
	case SMVE_CMD_FAILED:
		return -EIO;
	case SMVE_CMD_ABORTED:
		return -ENOTCONN;	/* never sent */
	default:
		return -ETIMEDOUT;	/* SMVE_CMD_UNKNOWN, or an outcome this smved does not know */
	}
}

static void rec_command(struct node *n, const struct smve_node_record *r)
{
	const struct smve_rec_command *c = r->u.command.hdr;
	struct ctl_wait *w = NULL;
	struct mara_frame f;
	struct mara_control mc;

	if (c->cmd != MARA_CMD_CONTROL ||
	    mara_parse(r->u.command.request, c->req_len, &f) || mara_decode_control(&f, &mc))
		return;	/* another command, or not a whole 0x13 request */
	/* The oldest matching wait: the kernel sends one IED's commands in order. */
	for (unsigned i = 0; i < sizeof(n->ctl) / sizeof(n->ctl[0]); i++) {
		struct ctl_wait *x = &n->ctl[i];

		if (x->used && r->seq >= x->min_seq && x->port == mc.port && x->bit == mc.bit &&
		    x->state == mc.state && (!w || x->min_seq < w->min_seq))
			w = x;
	}
	if (!w)
		return;	/* someone else's command (smvectl, a test) */
	w->used = false;
	smved_log(LOG_NOTICE, "bus %s IED %u: control port %u bit %u state %u: %s after %u attempt(s)",
		  n->bus->cfg.tty, n->addr, mc.port, mc.bit, mc.state,
		  smve_node_outcome_name(c->outcome), c->attempts);
	if (w->done)
		w->done(command_result(c->outcome), w->arg);
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
		rec_command(n, r);
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

/*
 * Read what is pending, in batches of at most BATCH_RECORDS: each batch's
 * events and cursor are committed together, then the kernel is told.
 * Returns the records handled, or -1 after a malformed read (the records
 * before it are kept; the rest of that read is reported lost).
 */
int node_drain(struct node *n)
{
	struct journal *j = SM(n->bus)->journal;
	int total = 0;
	bool more = true, bad = false;

	while (more && n->sn) {
		struct smve_node_record r;
		struct journal_state js = { .seq = -1 };
		uint64_t last = 0;
		int count = 0, rc;

		if (journal_begin(j) < 0)
			return -1;
		while (count < BATCH_RECORDS && (rc = smve_node_read(n->sn, &r)) > 0) {
			handle_record(n, &r);
			if (!(r.flags & SMVE_RECF_COALESCED)) {
				last = r.seq;
				if (!n->epoch)
					n->epoch = r.epoch;
			}
			count++;
		}
		more = count == BATCH_RECORDS;
		if (!more && rc == -EPIPE) {
			uint64_t lost = 0;

			smve_node_lost(n->sn, &lost);
			data_lost(n, lost, "reader overrun");
			more = true;	/* the cursor moved to the oldest record: read on */
		} else if (!more && rc == -EBADMSG) {
			data_lost(n, 0, "malformed record from the kernel");
			bad = true;
		} else if (!more && rc == 0) {
			n->eof = true;
		} else if (!more && rc != -EAGAIN) {
			smved_log(LOG_ERR, "bus %s IED %u: read: %s", n->bus->cfg.tty, n->addr,
				  strerror(-rc));
			n->eof = true;
		}
		if (last) {
			js.epoch = n->epoch;
			js.cursor = last + 1;
			if (journal_put_state(j, n->key, &js) < 0) {
				journal_rollback(j);
				return -1;
			}
		}
		if (journal_commit(j) < 0)
			return -1;
		total += count;
		if (last) {
			n->cursor = last + 1;
			n->bus->info.last_reply_us = smved_now_us();
			if (n->consumer && smve_node_commit(n->sn, last) < 0)
				smved_log(LOG_WARNING, "bus %s IED %u: commit of record %llu refused",
					  n->bus->cfg.tty, n->addr, (unsigned long long)last);
		}
	}
	return bad ? -1 : total;
}

static void node_readable(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;

	(void)fd;
	(void)what;
	if (node_drain(n) < 0 && !n->eof && n->cursor) {
		/* What was not stored is read again from the committed cursor. */
		if (smve_node_seek(n->sn, n->cursor) < 0)
			n->eof = true;
	}
	if (n->eof) {
		node_online(n, false, "node removed");
		node_close(n);
	}
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
	/* Written to the kernel, perhaps sent: nobody can say whether the output operated. */
	for (unsigned i = 0; i < sizeof(n->ctl) / sizeof(n->ctl[0]); i++)
		if (n->ctl[i].used && n->ctl[i].done)
			n->ctl[i].done(-ETIMEDOUT, n->ctl[i].arg);
	store_set_stale(SM(b)->store, b->cfg.tty, (int)n->addr, true);
	if (n->ev)
		event_free(n->ev);
	smve_node_close(n->sn);	/* closing detaches the consumer */
	free(n);
}

struct node *node_new(struct bus *b, unsigned addr, struct smve_node *sn)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
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

/* 0x13 through write(): queued without blocking, the outcome comes as a COMMAND record. */
int node_control(struct node *n, const struct binding *bd, int state,
		 void (*done)(int result, void *arg), void *arg)
{
	uint8_t req[4] = { MARA_CMD_CONTROL, (uint8_t)bd->local, (uint8_t)bd->bit, (uint8_t)state };
	struct smve_node_info info;
	struct ctl_wait *w = NULL;
	int rc;

	if (!n->sn)
		return -ENOTCONN;
	for (unsigned i = 0; i < sizeof(n->ctl) / sizeof(n->ctl[0]) && !w; i++)
		if (!n->ctl[i].used)
			w = &n->ctl[i];
	if (!w)
		return -EBUSY;
	rc = smve_node_info(n->sn, &info);
	if (rc < 0)
		return rc == -ENODEV ? -ENOTCONN : rc;
	if (write(smve_node_fd(n->sn), req, sizeof(req)) != (ssize_t)sizeof(req))
		return errno == EBADF ? -EPERM : errno == ENODEV ? -ENOTCONN : -errno;
	*w = (struct ctl_wait){ .used = true, .min_seq = info.next_seq, .port = req[1],
				.bit = req[2], .state = req[3], .done = done, .arg = arg };
	return 0;
}
