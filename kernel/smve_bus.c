// SPDX-License-Identifier: GPL-2.0
/*
 * The bus master.  One kthread per bus owns the line: it transmits every
 * request, runs every timeout (one hrtimer that only wakes it) and applies
 * the rules of spec §3.5 through the freestanding core (smve_link.c).  The
 * tty hooks only queue received bytes and wake it, so nothing here runs in
 * atomic context except smve_bus_rx() and smve_bus_kick().
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/idr.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "smve_priv.h"

static DEFINE_IDA(smve_bus_ida);

#define NEVER	U64_MAX

static void bus_release(struct kref *kref)
{
	struct smve_bus *bus = container_of(kref, struct smve_bus, kref);

	if (bus->thread)
		put_task_struct(bus->thread);
	kfree(bus);
	atomic_long_dec(&smve_objects);
}

void smve_bus_put(struct smve_bus *bus)
{
	kref_put(&bus->kref, bus_release);
}

/* Safe from any context: the task is referenced until the bus is freed. */
void smve_bus_kick(struct smve_bus *bus)
{
	set_bit(SMVE_BUS_KICK, &bus->flags);
	if (bus->thread)
		wake_up_process(bus->thread);
}

static enum hrtimer_restart bus_timer_fn(struct hrtimer *t)
{
	smve_bus_kick(container_of(t, struct smve_bus, timer));
	return HRTIMER_NORESTART;
}

void smve_bus_rx(struct smve_bus *bus, const u8 *cp, const u8 *fp,
		 size_t count)
{
	u64 now = ktime_get_ns();
	unsigned long flags;
	size_t i;

	spin_lock_irqsave(&bus->rx_lock, flags);
	/*
	 * Mark the silence here, where the arrival time is exact, so that a
	 * stalled frame is cut even if the thread sees both chunks at once.
	 */
	if (bus->rx_last_ns && now - bus->rx_last_ns > READ_ONCE(bus->gap_ns))
		kfifo_put(&bus->rx, SMVE_RX_GAP);
	if (!bus->rx_first_ns)
		bus->rx_first_ns = now;
	for (i = 0; i < count; i++) {
		u16 v = cp[i];

		if (fp && fp[i] != TTY_NORMAL)
			v = SMVE_RX_ERR;
		if (!kfifo_put(&bus->rx, v)) {
			bus->rx_overruns += count - i;
			break;
		}
	}
	bus->rx_last_ns = now;
	spin_unlock_irqrestore(&bus->rx_lock, flags);
	smve_bus_kick(bus);
}

/* Character time from the tty's current termios. */
static u64 bus_tty_char_time(struct tty_struct *tty)
{
	return smve_char_time_ns(tty_get_frame_size(tty->termios.c_cflag),
				 tty_get_baud_rate(tty));
}

void smve_bus_termios(struct smve_bus *bus)
{
	struct tty_struct *tty = READ_ONCE(bus->tty);

	if (!tty)
		return;
	WRITE_ONCE(bus->tc_ns, bus_tty_char_time(tty));
	set_bit(SMVE_BUS_TERMIOS, &bus->flags);
	smve_bus_kick(bus);
}

/* bus->lock held. */
void smve_bus_timing_update(struct smve_bus *bus)
{
	smve_timing_compute(&bus->tcfg, READ_ONCE(bus->tc_ns), &bus->timing);
	WRITE_ONCE(bus->gap_ns, bus->timing.interchar_ns);
}

/* --- transmission ---------------------------------------------------------- */

static void bus_tx_more(struct smve_bus *bus, u64 now)
{
	struct tty_struct *tty = bus->tty;
	int n;

	set_bit(TTY_DO_WRITE_WAKEUP, &tty->flags);
	n = tty->ops->write(tty, bus->tx_buf + bus->tx_done,
			    bus->tx_len - bus->tx_done);
	if (n < 0)
		n = 0;
	/* The driver queues behind what it already holds. */
	bus->tx_end_ns = max(bus->tx_end_ns, now) + (u64)n * bus->timing.tc_ns;
	bus->tx_done += n;
	if (bus->tx_done == bus->tx_len) {
		clear_bit(TTY_DO_WRITE_WAKEUP, &tty->flags);
		if (bus->phase == SMVE_WAIT_REPLY)
			bus->deadline_ns = bus->tx_end_ns +
					   bus->timing.response_timeout_ns;
		else	/* broadcast: nobody answers, slaves need time */
			bus->earliest_tx_ns = bus->tx_end_ns +
					      bus->timing.bcast_guard_ns;
	}
}

static void bus_tx(struct smve_bus *bus, const u8 *buf, int len, u64 now)
{
	if (bus->txn_end_ns) {
		smve_hist_add(&bus->h_turnaround, now - bus->txn_end_ns);
		bus->txn_end_ns = 0;
	}
	/* A partial frame from before the request cannot be its reply. */
	if (mara_reasm_busy(&bus->reasm))
		mara_reasm_abort(&bus->reasm);
	spin_lock_irq(&bus->rx_lock);
	bus->rx_first_ns = 0;
	spin_unlock_irq(&bus->rx_lock);
	memcpy(bus->tx_buf, buf, len);
	bus->tx_len = len;
	bus->tx_done = 0;
	bus->tx_end_ns = now;
	/* Bounds a driver that never drains; replaced once all is queued. */
	bus->deadline_ns = now + (u64)len * bus->timing.tc_ns +
			   bus->timing.response_timeout_ns;
	bus->stats.frames_sent++;
	bus_tx_more(bus, now);
}

static void bus_send_poll(struct smve_bus *bus, struct smve_ied *ied, u64 now)
{
	u8 buf[MARA_HDR_LEN + MARA_BCC_LEN];
	int len = mara_build_poll(buf, sizeof(buf), ied->addr,
				  bus->master_addr, ied->link.seq);

	if (len < 0)
		return;
	bus->phase = SMVE_WAIT_REPLY;
	bus->cur = ied;
	bus->cur_cmd = NULL;
	bus->sent_seq = ied->link.seq;
	bus->sent_cmd = MARA_CMD_POLL;
	bus->bcc_seen = false;
	ied->stats.polls++;
	bus_tx(bus, buf, len, now);
}

static void bus_send_cmd(struct smve_bus *bus, struct smve_cmd *c, u64 now)
{
	struct smve_ied *ied = c->ied;
	int len = mara_build(c->req, sizeof(c->req), ied->addr,
			     bus->master_addr, ied->link.seq, c->cmd,
			     c->payload, c->payload_len);

	if (len < 0) {
		smve_bus_cmd_finish(bus, c, SMVE_CMD_FAILED);
		return;
	}
	c->req_len = len;
	c->seq = ied->link.seq;
	c->attempts++;
	bus->phase = SMVE_WAIT_REPLY;
	bus->cur = ied;
	bus->cur_cmd = c;
	bus->sent_seq = ied->link.seq;
	bus->sent_cmd = c->cmd;
	bus->bcc_seen = false;
	ied->stats.commands++;
	bus_tx(bus, c->req, len, now);
}

/* §6.4: PEH from CLOCK_REALTIME shifted to station local time. */
static void bus_send_peh(struct smve_bus *bus, u64 now)
{
	u8 buf[MARA_PEH_FRAME_LEN];
	struct timespec64 ts;
	struct mara_time t;
	int len;
	u8 dow;

	smve_peh_sent(&bus->peh, now);
	ktime_get_real_ts64(&ts);
	if (mara_time_from_unix(ts.tv_sec + bus->peh_utc_offset_s,
				ts.tv_nsec, &t, &dow)) {
		dev_warn_ratelimited(bus->dev, "clock outside 2000..2253: no PEH\n");
		return;
	}
	len = mara_build_peh(buf, sizeof(buf), bus->master_addr, &t, dow,
			     MARA_DIALECT_FIRMWARE);
	if (len < 0)
		return;
	bus->cur = NULL;
	bus->cur_cmd = NULL;
	bus->stats.peh_sent++;
	bus_tx(bus, buf, len, now);
}

/* --- transaction outcomes --------------------------------------------------- */

static void bus_end_txn(struct smve_bus *bus, u64 end_ns, bool retry)
{
	u64 pause = bus->timing.guard_ns;

	if (!retry)
		pause = max_t(u64, pause,
			      (u64)bus->poll_interval_us * NSEC_PER_USEC);
	bus->phase = SMVE_IDLE;
	bus->cur = NULL;
	bus->cur_cmd = NULL;
	bus->txn_end_ns = end_ns;
	bus->earliest_tx_ns = end_ns + pause;
}

static void bus_cmd_fail(struct smve_bus *bus, u32 reason, u64 now)
{
	struct smve_cmd *c = bus->cur_cmd;
	struct smve_ied *ied = bus->cur;

	if (reason == SMVE_FAIL_TIMEOUT)
		c->timeouts++;
	if (c->attempts <= bus->retries) {
		bus->stats.retries++;
		ied->stats.retries++;
		bus_end_txn(bus, now, true);
		return;		/* bus->active_cmd is resent with the same SEQ */
	}
	/* M6: whatever happened, the next request takes a new SEQ. */
	smve_link_advance(&ied->link);
	smve_bus_cmd_finish(bus, c, c->timeouts == c->attempts ?
			    SMVE_CMD_UNKNOWN : SMVE_CMD_FAILED);
	bus_end_txn(bus, now, false);
}

/* A failed attempt of the request in flight (M4). */
static void bus_fail(struct smve_bus *bus, u32 reason, u64 now)
{
	struct smve_ied *ied = bus->cur;
	enum smve_fail_action act;

	if (reason == SMVE_FAIL_TIMEOUT) {
		bus->stats.timeouts++;
		ied->stats.timeouts++;
	} else if (reason == SMVE_FAIL_CHECKSUM) {
		ied->stats.checksum_errors++;
	} else {
		ied->stats.malformed++;
	}
	if (bus->cur_cmd) {
		bus_cmd_fail(bus, reason, now);
		return;
	}
	act = smve_link_fail(&ied->link, bus->retries, now,
			     (u64)bus->offline_reprobe_ms * NSEC_PER_MSEC);
	if (act == SMVE_FA_RETRY) {
		bus->stats.retries++;
		ied->stats.retries++;
		bus->retry = ied;
	} else if (act == SMVE_FA_OFFLINE) {
		ied->stats.offline_count++;
		smve_bus_online_change(bus, ied, false, reason);
	}
	bus_end_txn(bus, now, act == SMVE_FA_RETRY);
}

static void bus_poll_reply(struct smve_bus *bus, const struct mara_frame *f,
			   u64 rx_ns)
{
	struct smve_ied *ied = bus->cur;
	struct mara_sections s;
	enum smve_verdict v;
	bool came_online;
	u64 last = 0;
	int n;

	if (f->cmd != MARA_CMD_POLL) {
		bus_fail(bus, SMVE_FAIL_COMMAND, rx_ns);
		return;
	}
	if (mara_sections_parse(f->payload, f->payload_len, &s)) {
		bus_fail(bus, SMVE_FAIL_MALFORMED, rx_ns);
		return;
	}
	v = smve_link_reply(&ied->link, f->seq, &came_online);
	switch (v) {
	case SMVE_V_STALE:
		/* M3: values discarded, events to the duplicate filter. */
		bus->stats.stale_replies++;
		ied->stats.stale++;
		smve_bus_store_events(bus, ied, &s, f->seq, SMVE_RECF_STALE,
				      &last);
		break;
	case SMVE_V_REPEAT:
		ied->stats.ack_waits++;
		break;
	case SMVE_V_ACCEPT:
		ied->stats.replies++;
		WRITE_ONCE(ied->last_reply_ns, ktime_get_real_ns());
		smve_bus_store_state(bus, ied, &s, f->seq);
		n = smve_bus_store_events(bus, ied, &s, f->seq, 0, &last);
		/* Not everything stored: keep the SEQ, the IED resends (M1). */
		if (n >= 0)
			smve_link_stored(&ied->link,
					 n > 0 && smve_ied_consumer(ied, NULL),
					 last);
		if (s.sv_len && ied->addr != MARA_ADDR_COMASTER)
			smve_peh_note_sv0(&bus->peh, s.sv[0]);
		break;
	}
	/* Announced once the values are stored: a reader seeing "online" finds them. */
	if (came_online)
		smve_bus_online_change(bus, ied, true, 0);
	bus_end_txn(bus, rx_ns, false);
}

static void bus_cmd_reply(struct smve_bus *bus, const struct mara_frame *f,
			  const u8 *raw, size_t len, u64 rx_ns)
{
	struct smve_cmd *c = bus->cur_cmd;
	struct smve_ied *ied = bus->cur;
	struct mara_frame req;
	struct mara_control ctl;
	u32 outcome = SMVE_CMD_OK;

	if (f->cmd != c->cmd) {
		bus_fail(bus, SMVE_FAIL_COMMAND, rx_ns);
		return;
	}
	if (f->seq != bus->sent_seq) {
		/* A retry buffer answered: the command was not executed. */
		bus->stats.stale_replies++;
		ied->stats.stale++;
		smve_link_advance(&ied->link);
		if (c->attempts <= bus->retries) {
			bus_end_txn(bus, rx_ns, true);
			return;
		}
		smve_bus_cmd_finish(bus, c, SMVE_CMD_FAILED);
		bus_end_txn(bus, rx_ns, false);
		return;
	}
	memcpy(c->resp, raw, len);
	c->resp_len = len;
	if (c->cmd == MARA_CMD_CONTROL && !mara_parse(c->req, c->req_len, &req) &&
	    !mara_decode_control(&req, &ctl)) {
		int r = mara_control_check(f, &ctl);

		if (r == -MARA_EREFUSED)
			outcome = SMVE_CMD_REFUSED;
		else if (r)
			outcome = SMVE_CMD_MISMATCH;
	}
	smve_link_advance(&ied->link);
	smve_bus_cmd_finish(bus, c, outcome);
	bus_end_txn(bus, rx_ns, false);
}

/* One verified frame from the reassembler. */
static void bus_frame(struct smve_bus *bus, const u8 *raw, size_t len,
		      u64 rx_ns)
{
	struct mara_frame f;
	u64 first;

	if (mara_parse(raw, len, &f))
		return;
	switch (smve_classify(bus->master_addr,
			      bus->phase == SMVE_WAIT_REPLY && bus->cur &&
			      bus->tx_done == bus->tx_len,
			      bus->cur ? bus->cur->addr : 0, f.dst, f.src)) {
	case SMVE_FC_ECHO:
		bus->stats.echoes++;
		return;
	case SMVE_FC_UNSOLICITED:
		bus->stats.unsolicited++;
		return;
	case SMVE_FC_WRONG_PEER:
		bus->stats.wrong_source++;	/* keep waiting */
		return;
	case SMVE_FC_REPLY:
		break;
	}
	/*
	 * FIFOs, USB adapters and emulators deliver in bursts: a reply cannot
	 * have ended before its first byte plus its length in characters, so
	 * the guard counts from whichever is later.
	 */
	spin_lock_irq(&bus->rx_lock);
	first = bus->rx_first_ns;
	spin_unlock_irq(&bus->rx_lock);
	if (first)
		rx_ns = max(rx_ns, first + (u64)len * bus->timing.tc_ns);
	if (rx_ns > bus->tx_end_ns)
		smve_hist_add(&bus->h_latency, rx_ns - bus->tx_end_ns);
	if (bus->cur_cmd)
		bus_cmd_reply(bus, &f, raw, len, rx_ns);
	else
		bus_poll_reply(bus, &f, rx_ns);
}

/* --- reception ---------------------------------------------------------------- */

static void bus_feed(struct smve_bus *bus, const u8 *p, size_t n, u64 rx_ns)
{
	const u8 *frame;
	size_t flen;

	for (;;) {
		frame = mara_reasm_next(&bus->reasm, &p, &n, &flen);
		if (!frame)
			break;
		bus_frame(bus, frame, flen, rx_ns);
	}
	/*
	 * A checksum failure while waiting is a failed attempt (M4), decided
	 * once the line is quiet (see bus_check_reply) so that a valid reply
	 * hidden behind the bad bytes still wins.
	 */
	if (bus->reasm.stats.bad_bcc != bus->bcc_base) {
		bus->bcc_base = bus->reasm.stats.bad_bcc;
		if (bus->phase == SMVE_WAIT_REPLY)
			bus->bcc_seen = true;
	}
}

static void bus_drain_rx(struct smve_bus *bus)
{
	u16 tmp[128];
	u8 bytes[128];
	unsigned int n, i, nb;
	u64 last;

	for (;;) {
		spin_lock_irq(&bus->rx_lock);
		n = kfifo_out(&bus->rx, tmp, ARRAY_SIZE(tmp));
		last = bus->rx_last_ns;
		spin_unlock_irq(&bus->rx_lock);
		if (!n)
			return;
		bus->last_rx_ns = last;
		for (i = 0, nb = 0; i < n; i++) {
			if (tmp[i] <= 0xFF) {
				bytes[nb++] = tmp[i];
				continue;
			}
			bus_feed(bus, bytes, nb, last);
			nb = 0;
			if (tmp[i] == SMVE_RX_ERR)
				bus->stats.bytes_discarded++;
			if (mara_reasm_busy(&bus->reasm)) {
				mara_reasm_abort(&bus->reasm);
				bus->stats.interchar_aborts++;
			}
		}
		bus_feed(bus, bytes, nb, last);
	}
}

/* --- the owner thread ----------------------------------------------------- */

/* Release a held acknowledgment once the consumer committed or left. */
static void bus_resolve_ack(struct smve_ied *ied)
{
	u64 committed = 0;
	bool consumer;

	if (!ied->link.ack_wait)
		return;
	consumer = smve_ied_consumer(ied, &committed);
	smve_link_commit(&ied->link, committed, !consumer);
}

/* First queued command whose IED may take a new request now. */
static struct smve_cmd *bus_next_cmd(struct smve_bus *bus)
{
	struct smve_cmd *c;

	list_for_each_entry(c, &bus->cmds, node) {
		bus_resolve_ack(c->ied);
		/* A new SEQ would acknowledge events not yet committed. */
		if (!c->ied->link.ack_wait)
			return c;
	}
	return NULL;
}

/* Nothing in flight: choose and send the next request (§3.5, M5). */
static void bus_idle(struct smve_bus *bus, u64 now, u64 *wake)
{
	struct smve_ied *ied;
	struct smve_cmd *c;
	bool wrapped;
	u64 wk;
	int idx;

	/* §7.4 guard: the bus stays quiet that long after any received byte. */
	bus->earliest_tx_ns = max(bus->earliest_tx_ns,
				  bus->last_rx_ns + bus->timing.guard_ns);
	if (now < bus->earliest_tx_ns) {
		*wake = bus->earliest_tx_ns;
		return;
	}
	if (bus->active_cmd) {		/* same-SEQ resend of a command */
		bus_send_cmd(bus, bus->active_cmd, now);
		return;
	}
	if (bus->retry) {		/* same-SEQ resend of a poll */
		ied = bus->retry;
		bus->retry = NULL;
		bus_send_poll(bus, ied, now);
		return;
	}
	if (!bus->n_ieds)
		return;
	/* Nothing is pending here, so a PEH cannot eat a retry (§3.3). */
	if (smve_peh_due(&bus->peh, now, bus->peh_interval_s,
			 bus->peh_enable)) {
		bus_send_peh(bus, now);
		return;
	}
	c = bus_next_cmd(bus);
	if (c) {
		list_del_init(&c->node);
		bus->n_cmds--;
		bus->active_cmd = c;
		bus_send_cmd(bus, c, now);
		return;
	}
	idx = smve_sched_pick(bus->links, bus->n_ieds, bus->rr_next, now, &wk,
			      &wrapped);
	if (idx < 0) {
		*wake = min(wk, smve_peh_next_ns(&bus->peh, bus->peh_interval_s,
						 bus->peh_enable));
		return;
	}
	if (wrapped || !bus->cycle_start_ns) {
		if (bus->cycle_start_ns) {
			bus->stats.cycles++;
			smve_hist_add(&bus->h_cycle, now - bus->cycle_start_ns);
		}
		bus->cycle_start_ns = now;
	}
	bus->rr_next = idx + 1;
	ied = bus->ieds[idx];
	bus_resolve_ack(ied);
	bus_send_poll(bus, ied, now);
}

/* A request is in flight: apply the gap limit and the reply window. */
static void bus_check_reply(struct smve_bus *bus, u64 now, u64 *wake)
{
	u64 gap_end, hard;

	if (bus->tx_done < bus->tx_len) {
		if (now >= bus->deadline_ns) {
			/* The driver does not drain: drop the rest, never resume it later. */
			tty_driver_flush_buffer(bus->tty);
			bus->tx_len = bus->tx_done;
			bus_fail(bus, SMVE_FAIL_TIMEOUT, now);
		} else {
			*wake = bus->deadline_ns;
		}
		return;
	}
	if (mara_reasm_busy(&bus->reasm)) {
		gap_end = bus->last_rx_ns + bus->timing.interchar_ns;
		/* §7.4: whole-reply deadline, bounding endless noise too. */
		hard = bus->deadline_ns + MARA_QTY_MAX * bus->timing.tc_ns +
		       bus->timing.interchar_ns;
		if (now >= gap_end || now >= hard) {
			mara_reasm_abort(&bus->reasm);
			bus->stats.interchar_aborts++;
			bus_fail(bus, now >= gap_end ? SMVE_FAIL_MALFORMED :
				 SMVE_FAIL_TIMEOUT, now);
		} else {
			*wake = min(gap_end, hard);
		}
		return;
	}
	if (bus->bcc_seen) {
		bus_fail(bus, SMVE_FAIL_CHECKSUM, bus->last_rx_ns);
		return;
	}
	if (now >= bus->deadline_ns)
		bus_fail(bus, SMVE_FAIL_TIMEOUT, now);
	else
		*wake = bus->deadline_ns;
}

static void bus_step(struct smve_bus *bus)
{
	u64 wake = NEVER, now;

	if (test_and_clear_bit(SMVE_BUS_TERMIOS, &bus->flags))
		smve_bus_timing_update(bus);
	bus_drain_rx(bus);
	now = ktime_get_ns();
	if (bus->tx_done < bus->tx_len)
		bus_tx_more(bus, now);
	if (bus->phase == SMVE_WAIT_REPLY)
		bus_check_reply(bus, now, &wake);
	if (bus->phase == SMVE_IDLE && bus->tx_done == bus->tx_len) {
		wake = NEVER;
		bus_idle(bus, now, &wake);
		if (bus->phase == SMVE_WAIT_REPLY)
			wake = bus->deadline_ns;
		else if (bus->tx_done == bus->tx_len && bus->earliest_tx_ns > now)
			wake = min(wake, bus->earliest_tx_ns);
	}
	if (wake != NEVER)
		hrtimer_start(&bus->timer, ns_to_ktime(wake),
			      HRTIMER_MODE_ABS_HARD);
}

static int bus_thread(void *data)
{
	struct smve_bus *bus = data;

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!test_bit(SMVE_BUS_KICK, &bus->flags) &&
		    !kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
		clear_bit(SMVE_BUS_KICK, &bus->flags);
		if (kthread_should_stop())
			break;
		mutex_lock(&bus->lock);
		bus_step(bus);
		mutex_unlock(&bus->lock);
	}
	return 0;
}

/* --- lifetime ------------------------------------------------------------- */

struct smve_bus *smve_bus_create(struct tty_struct *tty)
{
	struct task_struct *t;
	struct smve_bus *bus;
	int ret;

	bus = kzalloc(sizeof(*bus), GFP_KERNEL);
	if (!bus)
		return ERR_PTR(-ENOMEM);
	atomic_long_inc(&smve_objects);
	kref_init(&bus->kref);
	mutex_init(&bus->lock);
	mutex_init(&bus->ieds_mutex);
	spin_lock_init(&bus->rx_lock);
	INIT_KFIFO(bus->rx);
	INIT_LIST_HEAD(&bus->cmds);
	hrtimer_init(&bus->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	bus->timer.function = bus_timer_fn;
	bus->tty = tty;
	strscpy(bus->tty_name, tty->name, sizeof(bus->tty_name));
	bus->master_addr = MARA_ADDR_COMASTER;
	bus->retries = 3;
	bus->offline_reprobe_ms = 10000;
	bus->peh_interval_s = 60;
	bus->peh_enable = 1;
	bus->tc_ns = bus_tty_char_time(tty);
	smve_bus_timing_update(bus);
	mara_reasm_init(&bus->reasm);
	smve_peh_init(&bus->peh);
	smve_hist_reset(&bus->h_turnaround);
	smve_hist_reset(&bus->h_latency);
	smve_hist_reset(&bus->h_cycle);

	ret = ida_alloc_max(&smve_bus_ida, 9999, GFP_KERNEL);
	if (ret < 0)
		goto err;
	bus->index = ret;

	t = kthread_create(bus_thread, bus, "smve%d", bus->index);
	if (IS_ERR(t)) {
		ret = PTR_ERR(t);
		goto err_ida;
	}
	get_task_struct(t);
	bus->thread = t;
	if (smve_fifo)
		sched_set_fifo(t);

	bus->dev = device_create_with_groups(smve_class, NULL, MKDEV(0, 0),
					     bus, smve_bus_groups, "smve%d",
					     bus->index);
	if (IS_ERR(bus->dev)) {
		ret = PTR_ERR(bus->dev);
		bus->dev = NULL;
		kthread_stop(t);
		goto err_ida;
	}
	wake_up_process(t);
	smve_bus_kick(bus);
	return bus;

err_ida:
	ida_free(&smve_bus_ida, bus->index);
err:
	smve_bus_put(bus);
	return ERR_PTR(ret);
}

/* Detach, hangup or close: idempotent; wakes every reader with EOF. */
void smve_bus_shutdown(struct smve_bus *bus)
{
	LIST_HEAD(dead);
	struct smve_ied *ied, *tmp;

	if (test_and_set_bit(SMVE_BUS_DEAD, &bus->flags))
		return;
	kthread_stop(bus->thread);
	hrtimer_cancel(&bus->timer);

	mutex_lock(&bus->ieds_mutex);
	mutex_lock(&bus->lock);
	smve_bus_abort_cmds(bus, NULL);
	while (bus->n_ieds) {
		ied = bus->ieds[--bus->n_ieds];
		list_add(&ied->dead_node, &dead);
	}
	bus->cur = NULL;
	bus->retry = NULL;
	WRITE_ONCE(bus->tty, NULL);
	mutex_unlock(&bus->lock);
	mutex_unlock(&bus->ieds_mutex);

	/* Outside bus->lock: removing sysfs files waits for their readers. */
	list_for_each_entry_safe(ied, tmp, &dead, dead_node) {
		list_del_init(&ied->dead_node);
		smve_ied_kill(ied);
		smve_ied_put(ied);
	}
	device_unregister(bus->dev);
	ida_free(&smve_bus_ida, bus->index);
}

/* Hand a control transaction to the thread; takes a reference on @c. */
int smve_bus_queue_cmd(struct smve_bus *bus, struct smve_cmd *c)
{
	int ret = 0;

	mutex_lock(&bus->lock);
	if (test_bit(SMVE_BUS_DEAD, &bus->flags)) {
		ret = -ENODEV;
	} else if (bus->n_cmds >= SMVE_CMDS_MAX) {
		ret = -EAGAIN;	/* bounded: a writer cannot exhaust memory */
	} else {
		kref_get(&c->kref);
		list_add_tail(&c->node, &bus->cmds);
		bus->n_cmds++;
	}
	mutex_unlock(&bus->lock);
	if (!ret)
		smve_bus_kick(bus);
	return ret;
}

/* bus->lock held: abort the commands of @ied (NULL: all) unsent or active. */
void smve_bus_abort_cmds(struct smve_bus *bus, struct smve_ied *ied)
{
	struct smve_cmd *c, *tmp;

	list_for_each_entry_safe(c, tmp, &bus->cmds, node) {
		if (ied && c->ied != ied)
			continue;
		list_del_init(&c->node);
		bus->n_cmds--;
		smve_bus_cmd_finish(bus, c, SMVE_CMD_ABORTED);
	}
	c = bus->active_cmd;
	if (c && (!ied || c->ied == ied)) {
		if (bus->cur_cmd == c)
			bus_end_txn(bus, ktime_get_ns(), false);
		smve_bus_cmd_finish(bus, c, SMVE_CMD_ABORTED);
	}
}
