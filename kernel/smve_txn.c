// SPDX-License-Identifier: GPL-2.0
/*
 * Transactions of the bus master: sending a request (poll, command, PEH),
 * taking in the reply, judging its window and gap limit (spec §7.4) and
 * applying its outcome through the freestanding link rules (smve_link.c,
 * spec §3.5).  Everything here runs in the bus thread under bus->lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/tty_flip.h>
#include <linux/workqueue.h>

#include "smve_priv.h"

/* --- transmission ---------------------------------------------------------- */

void smve_txn_tx_more(struct smve_bus *bus, u64 now)
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
	bus->rx_count = 0;
	spin_unlock_irq(&bus->rx_lock);
	memcpy(bus->tx_buf, buf, len);
	bus->tx_len = len;
	bus->tx_done = 0;
	bus->tx_end_ns = now;
	/* Bounds a driver that never drains; replaced once all is queued. */
	bus->deadline_ns = now + (u64)len * bus->timing.tc_ns +
			   bus->timing.response_timeout_ns;
	bus->stats.frames_sent++;
	smve_txn_tx_more(bus, now);
}

void smve_txn_send_poll(struct smve_bus *bus, struct smve_ied *ied, u64 now)
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
	bus->stale_seen = 0;
	ied->stats.polls++;
	bus_tx(bus, buf, len, now);
}

bool smve_txn_send_cmd(struct smve_bus *bus, struct smve_cmd *c, u64 now)
{
	struct smve_ied *ied = c->ied;
	int len = mara_build(c->req, sizeof(c->req), ied->addr,
			     bus->master_addr, ied->link.seq, c->cmd,
			     c->payload, c->payload_len);

	if (len < 0) {
		smve_bus_cmd_finish(bus, c, SMVE_CMD_FAILED);
		return false;
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
	bus->stale_seen = 0;
	ied->stats.commands++;
	bus_tx(bus, c->req, len, now);
	return true;
}

/* §6.4: PEH from CLOCK_REALTIME shifted to station local time. */
bool smve_txn_send_peh(struct smve_bus *bus, u64 now)
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
		return false;
	}
	len = mara_build_peh(buf, sizeof(buf), bus->master_addr, &t, dow,
			     MARA_DIALECT_FIRMWARE);
	if (len < 0)
		return false;
	bus->cur = NULL;
	bus->cur_cmd = NULL;
	bus->stats.peh_sent++;
	bus_tx(bus, buf, len, now);
	return true;
}

/* --- transaction outcomes --------------------------------------------------- */

void smve_txn_end(struct smve_bus *bus, u64 end_ns, bool retry)
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
		smve_txn_end(bus, now, true);
		return;		/* bus->active_cmd is resent with the same SEQ */
	}
	/* M6: whatever happened, the next request takes a new SEQ. */
	smve_link_advance(&ied->link);
	smve_bus_cmd_finish(bus, c, c->timeouts == c->attempts ?
			    SMVE_CMD_UNKNOWN : SMVE_CMD_FAILED);
	smve_txn_end(bus, now, false);
}

static void bus_count_fail(struct smve_bus *bus, struct smve_ied *ied,
			   u32 reason)
{
	if (reason == SMVE_FAIL_TIMEOUT) {
		bus->stats.timeouts++;
		ied->stats.timeouts++;
	} else if (reason == SMVE_FAIL_CHECKSUM) {
		ied->stats.checksum_errors++;
	} else {
		ied->stats.malformed++;
	}
}

/*
 * A failed attempt of the request in flight (M4): the same SEQ is resent,
 * also after a reply window that only stale frames answered (a command's
 * like any timeout).  For a poll, M3 applies only after the last attempt:
 * see smve_link_timeout() and docs/design-notes.md.
 */
static void bus_fail(struct smve_bus *bus, u32 reason, u64 now)
{
	u64 reprobe = (u64)bus->offline_reprobe_ms * NSEC_PER_MSEC;
	struct smve_ied *ied = bus->cur;
	enum smve_fail_action act;
	bool was_online;

	if (bus->cur_cmd) {
		bus_count_fail(bus, ied, reason);
		bus_cmd_fail(bus, reason, now);
		return;
	}
	was_online = smve_link_online(&ied->link);
	if (reason == SMVE_FAIL_TIMEOUT)
		act = smve_link_timeout(&ied->link, bus->retries, now, reprobe);
	else
		act = smve_link_fail(&ied->link, bus->retries, now, reprobe);
	if (act == SMVE_FA_NEW_SEQ) {
		/* The IED answered (stale): no timeout, retry or offline. */
		if (!was_online)
			smve_bus_online_change(bus, ied, true, 0);
		smve_txn_end(bus, now, false);
		return;
	}
	bus_count_fail(bus, ied, reason);
	if (act == SMVE_FA_RETRY) {
		bus->stats.retries++;
		ied->stats.retries++;
		bus->retry = ied;
	} else if (act == SMVE_FA_OFFLINE) {
		ied->stats.offline_count++;
		smve_bus_online_change(bus, ied, false, reason);
	}
	smve_txn_end(bus, now, act == SMVE_FA_RETRY);
}

/*
 * A frame with a SEQ other than the one sent.  It may be a late answer to
 * an earlier request (a resend after a timeout is answered twice) with the
 * IED's reply to our SEQ right behind it, and a slave answers in order: so
 * the window restarts from the end of this frame, at most SMVE_STALE_WAITS
 * times per attempt; one more stale frame closes it at once.  A window so
 * closed is a failed attempt (bus_fail).
 */
static void bus_stale(struct smve_bus *bus, const struct mara_frame *f,
		      u64 rx_ns)
{
	struct mara_sections s;
	u64 last;

	/* M3: values discarded, events to the duplicate filter. */
	if (f->cmd == MARA_CMD_POLL &&
	    !mara_sections_parse(f->payload, f->payload_len, &s))
		smve_bus_store_events(bus, bus->cur, &s, f->seq,
				      SMVE_RECF_STALE, &last);
	bus->stats.stale_replies++;
	bus->cur->stats.stale++;
	/* A command is never failed or moved to a new SEQ by a stale frame. */
	if (!bus->cur_cmd)
		smve_link_stale(&bus->cur->link);
	if (++bus->stale_seen > SMVE_STALE_WAITS) {
		bus_fail(bus, SMVE_FAIL_TIMEOUT, rx_ns);
		return;
	}
	bus->deadline_ns = rx_ns + bus->timing.response_timeout_ns;
}

static void bus_poll_reply(struct smve_bus *bus, const struct mara_frame *f,
			   u64 rx_ns)
{
	struct smve_ied *ied = bus->cur;
	struct mara_sections s;
	enum smve_verdict v;
	bool came_online;
	u64 last = 0, sum;
	int n;

	if (f->cmd != MARA_CMD_POLL) {
		bus_fail(bus, SMVE_FAIL_COMMAND, rx_ns);
		return;
	}
	if (mara_sections_parse(f->payload, f->payload_len, &s)) {
		bus_fail(bus, SMVE_FAIL_MALFORMED, rx_ns);
		return;
	}
	sum = smve_link_sum(f->payload, f->payload_len);
	v = smve_link_reply(&ied->link, f->seq, sum, &came_online);
	switch (v) {
	case SMVE_V_STALE:	/* not reached: bus_frame judges the SEQ first */
		bus_stale(bus, f, rx_ns);
		return;
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
					 last, sum);
		if (s.sv_len && ied->addr != MARA_ADDR_COMASTER)
			smve_peh_note_sv0(&bus->peh, s.sv[0]);
		break;
	}
	/* Announced once the values are stored: a reader seeing "online" finds them. */
	if (came_online)
		smve_bus_online_change(bus, ied, true, 0);
	smve_txn_end(bus, rx_ns, false);
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
	smve_txn_end(bus, rx_ns, false);
}

/* One verified frame from the reassembler. */
static void bus_frame(struct smve_bus *bus, const u8 *raw, size_t len,
		      u64 rx_ns)
{
	struct mara_frame f;
	u64 first, tx_end;

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
	tx_end = bus->tx_end_ns;
	/*
	 * SEQ first, whatever the CMD: a late answer to an earlier request
	 * (a poll's during a command, or the reverse) says nothing about
	 * this one.  A command is thus never judged failed while its reply
	 * may still come.
	 */
	if (f.seq != bus->sent_seq)
		bus_stale(bus, &f, rx_ns);
	else if (bus->cur_cmd)
		bus_cmd_reply(bus, &f, raw, len, rx_ns);
	else
		bus_poll_reply(bus, &f, rx_ns);
	/* One sample per request: a stale frame that left it open is none. */
	if (bus->phase != SMVE_WAIT_REPLY && rx_ns > tx_end)
		smve_hist_add(&bus->h_latency, rx_ns - tx_end);
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
	 * once the line is quiet (see smve_txn_check_reply) so that a valid reply
	 * hidden behind the bad bytes still wins.
	 */
	if (bus->reasm.stats.bad_bcc != bus->bcc_base) {
		bus->bcc_base = bus->reasm.stats.bad_bcc;
		if (bus->phase == SMVE_WAIT_REPLY)
			bus->bcc_seen = true;
	}
}

/* Returns true when bytes came in. */
bool smve_txn_drain_rx(struct smve_bus *bus)
{
	bool got = false;
	u16 tmp[128];
	u8 bytes[128];
	unsigned int n, i, nb;
	u64 last;

	for (;;) {
		spin_lock_irq(&bus->rx_lock);
		n = kfifo_out(&bus->rx, tmp, ARRAY_SIZE(tmp));
		last = bus->rx_last_ns;
		bus->rx_wire_ns = bus->rx_first_ns +
				  (u64)bus->rx_count * bus->timing.tc_ns;
		spin_unlock_irq(&bus->rx_lock);
		if (!n)
			return got;
		got = true;
		bus->last_rx_ns = last;
		for (i = 0, nb = 0; i < n; i++) {
			if (tmp[i] <= 0xFF) {
				bytes[nb++] = tmp[i];
				continue;
			}
			/* A byte lost to a line error breaks the frame it was in. */
			bus_feed(bus, bytes, nb, last);
			nb = 0;
			bus->stats.bytes_discarded++;
			mara_reasm_abort(&bus->reasm);
		}
		bus_feed(bus, bytes, nb, last);
	}
}

/*
 * Before the thread declares silence (a reply window or a gap limit ran
 * out), it takes in what the UART already received: those bytes may only
 * be waiting for the flip-buffer worker, a normal-priority kworker that a
 * CPU hog delays by milliseconds.  tty_buffer_flush_work() does this for
 * n_tty but is not exported; flush_work() on the same work item is.  The
 * worker never takes bus->lock (receive_buf only queues and wakes), and
 * while the ldisc is being closed it skips delivery, so waiting here under
 * bus->lock cannot deadlock.  Returns true when bytes came in.
 */
bool smve_txn_pull_rx(struct smve_bus *bus)
{
	struct tty_port *port = bus->tty->port;

	if (port)
		flush_work(&port->buf.work);
	bus->stats_pulls++;
	if (!smve_txn_drain_rx(bus))
		return false;
	bus->stats_pulled++;
	return true;
}

/*
 * End of the silence that cuts a partial reply (§7.4): the gap limit counts
 * from when its bytes could have arrived, not from when they were
 * delivered.  On the wire the bytes since the request took at least one
 * character time each, and the frame's QTY tells how many are still due,
 * so the frame cannot be complete before its first byte plus that many
 * characters (the spec's whole-reply deadline).  Bursty delivery (UART
 * FIFOs, USB adapters, emulators, a late flip-buffer worker) therefore
 * never cuts a reply that is still arriving at line speed.
 */
static u64 bus_reply_gap_end(struct smve_bus *bus)
{
	u64 wire = bus->rx_wire_ns +
		   (u64)mara_reasm_missing(&bus->reasm) * bus->timing.tc_ns;

	return max(bus->last_rx_ns, wire) + bus->timing.interchar_ns;
}

/*
 * A request is in flight: apply the gap limit and the reply window.  With
 * @final false a deadline that passed only returns true, so that the
 * caller pulls pending input (smve_txn_pull_rx) and calls again to judge.
 */
bool smve_txn_check_reply(struct smve_bus *bus, u64 now, u64 *wake,
			  bool final)
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
		return false;
	}
	if (mara_reasm_busy(&bus->reasm)) {
		gap_end = bus_reply_gap_end(bus);
		/* Bounds endless noise: the longest frame after the window. */
		hard = bus->deadline_ns + MARA_QTY_MAX * bus->timing.tc_ns +
		       bus->timing.interchar_ns;
		if (now < gap_end && now < hard) {
			*wake = min(gap_end, hard);
			return false;
		}
		if (!final)
			return true;
		mara_reasm_abort(&bus->reasm);
		bus->stats.interchar_aborts++;
		bus_fail(bus, now >= gap_end ? SMVE_FAIL_MALFORMED :
			 SMVE_FAIL_TIMEOUT, now);
		return false;
	}
	if (bus->bcc_seen) {
		bus_fail(bus, SMVE_FAIL_CHECKSUM, bus->last_rx_ns);
		return false;
	}
	if (now < bus->deadline_ns) {
		*wake = bus->deadline_ns;
		return false;
	}
	if (!final)
		return true;
	bus_fail(bus, SMVE_FAIL_TIMEOUT, now);
	return false;
}
