// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Sans-I/O Mara/TCP master (spec §3.5, §6.4, §7.3).  See <smve/master.h> for the contract;
 * this file only holds the state machine.  Every transition that changes which SEQ the next
 * request carries is funnelled through begin_request() and complete_transaction(), so the M1/M2
 * rules live in two places only.
 */
#include <smve/master.h>

#include <string.h>

enum phase {
	PH_DOWN = 0,		/* no connection */
	PH_IDLE,		/* connected, between transactions */
	PH_WAIT_REPLY,		/* a request is outstanding */
	PH_WAIT_COMMIT,		/* the wait is over; handed-out events are being stored */
	PH_OFFLINE,		/* gave up; waiting for the caller to close */
};

void smve_master_config_defaults(struct smve_master_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->src = MARA_ADDR_PC;
	cfg->dst = MARA_ADDR_COMASTER;
	cfg->dialect = MARA_DIALECT_FIRMWARE;
	cfg->poll_interval_ms = 5000;
	cfg->reply_timeout_ms = 5000;
	cfg->stale_guard_ms = 50;
	cfg->peh_interval_s = 3600;
	cfg->peh_guard_ms = 50;
	cfg->peh_sv_min_interval_s = 60;
	cfg->retries = 3;
	cfg->peh_enabled = true;
}

uint8_t smve_master_seq_next(uint8_t seq)
{
	if (seq < SMVE_MASTER_SEQ_FIRST || seq >= SMVE_MASTER_SEQ_LAST)
		return SMVE_MASTER_SEQ_FIRST;
	return (uint8_t)(seq + 1);
}

int smve_master_init(struct smve_master *m, const struct smve_master_config *cfg,
		     const struct smve_master_state *st)
{
	/* attempts are counted in a byte: keep retries far from wrapping it */
	if (!cfg->reply_timeout_ms || cfg->retries > SMVE_MASTER_RETRIES_MAX ||
	    cfg->layout.count > MARA_LAYOUT_MAX ||
	    cfg->src == cfg->dst || cfg->dst == MARA_ADDR_BROADCAST)
		return -MARA_EINVAL;
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	mara_reasm_init(&m->reasm);
	m->phase = PH_DOWN;
	if (st && st->last_seq >= SMVE_MASTER_SEQ_FIRST && st->last_seq <= SMVE_MASTER_SEQ_LAST) {
		m->seq = st->last_seq;
		m->seq_complete = st->complete;
	} else {
		/* "completed 0x7F" makes the first new SEQ 0x20, as §3.5 wants without state */
		m->seq = SMVE_MASTER_SEQ_LAST;
		m->seq_complete = true;
	}
	return 0;
}

static void result_clear(struct smve_master_result *res)
{
	memset(res, 0, sizeof(*res));
}

static void result_frame(struct smve_master *m, struct smve_master_result *res, size_t len)
{
	res->raw = m->rx;
	res->raw_len = len;
	/* the reassembler only yields verified frames, so this cannot fail */
	mara_parse(m->rx, len, &res->frame);
}

static void reset_output(struct smve_master *m)
{
	m->tx_len = 0;
	m->tx_done = 0;
	m->tx_is_request = false;
}

static bool output_busy(const struct smve_master *m)
{
	return m->tx_done < m->tx_len;
}

static void ctl_dequeue(struct smve_master *m)
{
	m->ctl_head = (uint8_t)((m->ctl_head + 1) % SMVE_MASTER_CONTROL_QUEUE);
	m->ctl_count--;
	m->ctl_active = false;
}

/* The current SEQ's transaction is over: the next request takes a new SEQ (M1). */
static void complete_transaction(struct smve_master *m)
{
	m->seq_complete = true;
	m->state_dirty = true;
	m->peh_check = true;
}

/* Put the current request (m->tx) on the wire again or for the first time. */
static void send_request(struct smve_master *m)
{
	m->tx_done = 0;
	m->tx_is_request = true;
	m->attempt++;
	m->bcc_mark = m->reasm.stats.bad_bcc;
	m->deadline = SMVE_MASTER_NO_DEADLINE;
	m->phase = PH_WAIT_REPLY;
	if (m->req_cmd == MARA_CMD_POLL)
		m->stats.polls++;
	else
		m->stats.controls++;
}

/*
 * Build the next request: the incomplete SEQ again (M1), else a new SEQ derived from the one
 * sent (M2).  A 0x13 only ever starts a new transaction, never re-asks an old one.
 */
static void begin_request(struct smve_master *m, bool control)
{
	int n;

	if (m->seq_complete) {
		m->prev_seq = m->seq;
		m->seq_complete_prev = true;
		m->seq = smve_master_seq_next(m->seq);
		m->seq_complete = false;
		m->reply_handed = false;
		m->state_dirty = true;
	}
	m->stale_seen = false;
	m->stale_done = false;
	m->attempt = 0;
	if (control) {
		m->req_cmd = MARA_CMD_CONTROL;
		m->ctl_active = true;
		n = mara_build_control(m->tx, sizeof(m->tx), m->cfg.dst, m->cfg.src, m->seq,
				       &m->ctl_q[m->ctl_head].c);
	} else {
		m->req_cmd = MARA_CMD_POLL;
		m->ctl_active = false;
		n = mara_build_poll(m->tx, sizeof(m->tx), m->cfg.dst, m->cfg.src, m->seq);
	}
	/* both builders only fail on a short buffer or a bad state, which init and queue rule out */
	m->tx_len = (uint8_t)(n > 0 ? n : 0);
	send_request(m);
}

static void fill_control(const struct smve_master *m, struct smve_master_result *res,
			 enum smve_control_status status)
{
	res->kind = SMVE_MR_CONTROL;
	res->seq = m->seq;
	res->attempt = m->attempt;
	res->control = m->ctl_q[m->ctl_head].c;
	res->control_tag = m->ctl_q[m->ctl_head].tag;
	res->control_status = status;
}

/* Results that a previous call decided on but could not return (one result per call). */
static int take_pending(struct smve_master *m, struct smve_master_result *res)
{
	if (m->pending_ctl_unknown) {
		m->pending_ctl_unknown = false;
		result_clear(res);
		fill_control(m, res, SMVE_CONTROL_UNKNOWN);
		ctl_dequeue(m);
		return 1;
	}
	if (m->pending_give_up) {
		m->pending_give_up = false;
		result_clear(res);
		res->kind = SMVE_MR_GIVE_UP;
		res->seq = m->seq;
		res->attempt = m->attempt;
		return 1;
	}
	return 0;
}

/*
 * Abandon the connection.  A 0x13 that got no valid answer is abandoned with outcome "unknown"
 * (see smve_master_disconnected()); a poll stays incomplete and is re-asked after the reconnect.
 */
static int give_up(struct smve_master *m, enum smve_master_reason why,
		   struct smve_master_result *res)
{
	m->stats.give_ups++;
	m->phase = PH_OFFLINE;
	reset_output(m);
	mara_reasm_abort(&m->reasm);
	res->reason = why;
	res->seq = m->seq;
	res->attempt = m->attempt;
	if (m->ctl_active) {
		complete_transaction(m);
		fill_control(m, res, SMVE_CONTROL_UNKNOWN);
		res->reason = why;
		ctl_dequeue(m);
		m->pending_give_up = true;
		return 1;
	}
	res->kind = SMVE_MR_GIVE_UP;
	return 1;
}

/* An attempt failed (M4): resend the same SEQ, or give up after the last retry. */
static int fail_attempt(struct smve_master *m, enum smve_master_reason why, int error,
			struct smve_master_result *res)
{
	res->reason = why;
	res->error = error;
	res->seq = m->seq;
	res->attempt = m->attempt;
	if (m->attempt > m->cfg.retries)
		return give_up(m, why, res);
	m->stats.retries++;
	res->kind = SMVE_MR_RETRY;
	send_request(m);
	return 1;
}

void smve_master_connected(struct smve_master *m, uint64_t now_ms)
{
	mara_reasm_abort(&m->reasm);
	reset_output(m);
	if (m->ever_connected)
		m->stats.reconnects++;
	m->ever_connected = true;
	m->stats.connects++;
	m->phase = PH_IDLE;
	m->attempt = 0;
	m->poll_at = now_ms;
	m->guard_until = now_ms;
	m->conn_replied = false;
	m->peh_first_due = false;
	m->peh_sv_due = false;
	m->peh_check = false;
	m->pending_give_up = false;
}

void smve_master_disconnected(struct smve_master *m, uint64_t now_ms)
{
	(void)now_ms;
	mara_reasm_abort(&m->reasm);
	reset_output(m);
	if (m->phase == PH_WAIT_REPLY && m->ctl_active) {
		complete_transaction(m);
		m->pending_ctl_unknown = true;
	}
	/* a GIVE_UP the caller has not collected is moot once the connection is gone */
	m->pending_give_up = false;
	/*
	 * A result whose batch failed is never committed (the caller closes instead), so the
	 * count cannot be trusted across connections; the re-asked SEQ's replies restart it.
	 */
	m->commit_out = 0;
	m->phase = PH_DOWN;
}

/* §6.4: decide whether the COMaster's own group (address 1) asks for a PEH (bit 6 = 0). */
static void check_sv_peh(struct smve_master *m, const struct mara_sections *s,
			 unsigned int nviews, uint64_t now_ms)
{
	unsigned int i;

	for (i = 0; i < nviews; i++) {
		const struct mara_ied_view *v = &m->views[i];

		if (v->addr != MARA_ADDR_COMASTER || v->sv_len < 1)
			continue;
		if (s->sv[v->sv_off] & 0x40)
			return;
		if (!m->peh_ever ||
		    now_ms - m->last_peh_ms >= (uint64_t)m->cfg.peh_sv_min_interval_s * 1000u)
			m->peh_sv_due = true;
		return;
	}
}

static void decode_events(struct smve_master *m, struct smve_master_result *res)
{
	unsigned int i;

	for (i = 0; i < res->sections.ev_count && i < MARA_EVENTS_MAX; i++)
		mara_event_decode(res->sections.ev + i * MARA_EVENT_LEN, m->cfg.dialect,
				  &m->events[i]);
	res->events = m->events;
	res->event_count = i;
}

static void note_valid_reply(struct smve_master *m)
{
	m->stats.replies++;
	if (!m->conn_replied) {
		m->conn_replied = true;
		m->peh_first_due = true;
	}
}

static int handle_poll_reply(struct smve_master *m, struct smve_master_result *res,
			     uint64_t now_ms)
{
	const struct mara_frame *f = &res->frame;
	int err = mara_sections_parse(f->payload, f->payload_len, &res->sections);

	if (err) {
		m->stats.malformed++;
		return fail_attempt(m, SMVE_REASON_MALFORMED, err, res);
	}
	decode_events(m, res);
	note_valid_reply(m);
	if (m->cfg.layout.count) {
		res->bind_flags = mara_layout_bind(&m->cfg.layout, &res->sections, m->views,
						   &res->bind);
		res->views = m->views;
		res->view_count = m->cfg.layout.count;
		if (res->bind_flags)
			m->stats.layout_errors++;
		check_sv_peh(m, &res->sections, res->view_count, now_ms);
	}
	res->kind = SMVE_MR_REPLY;
	res->seq = m->seq;
	res->attempt = m->attempt;
	res->needs_commit = true;
	res->persist_complete = true;
	m->reply_handed = true;
	m->commit_out++;
	m->phase = PH_WAIT_COMMIT;
	return 1;
}

static int handle_control_reply(struct smve_master *m, struct smve_master_result *res,
				uint64_t now_ms)
{
	int err = mara_control_check(&res->frame, &m->ctl_q[m->ctl_head].c);
	if (err == -MARA_ETRUNCATED || err == -MARA_ECOMMAND) {
		m->stats.malformed++;
		return fail_attempt(m, SMVE_REASON_MALFORMED, err, res);
	}
	note_valid_reply(m);
	fill_control(m, res, err == 0 ? SMVE_CONTROL_OK :
			     err == -MARA_EREFUSED ? SMVE_CONTROL_REFUSED : SMVE_CONTROL_MISMATCH);
	res->error = err;
	ctl_dequeue(m);
	complete_transaction(m);
	m->phase = PH_IDLE;
	/* a command between polls does not move the poll schedule, but it is a transaction */
	if (m->guard_until < now_ms)
		m->guard_until = now_ms;
	return 1;
}

static int drop_frame(struct smve_master *m, enum smve_master_reason why,
		      struct smve_master_result *res)
{
	m->stats.dropped++;
	res->kind = SMVE_MR_DROPPED;
	res->reason = why;
	return 1;
}

/*
 * Hand out the events of a 0x10 reply that is not the answer to the request in flight (its
 * sections are parsed): M3's stale reply, or a late one.  Values are never bound; the events go
 * to the duplicate filter, and no new SEQ goes out before their commit, because a new SEQ
 * acknowledges at the concentrator whatever it last sent.
 */
static int hand_stale(struct smve_master *m, struct smve_master_result *res)
{
	/* a peer flooding replies faster than they can be stored: re-ask from a clean slate */
	if (m->commit_out >= SMVE_MASTER_COMMITS_MAX)
		return give_up(m, SMVE_REASON_OVERRUN, res);
	m->stats.stale++;
	decode_events(m, res);
	res->kind = SMVE_MR_STALE;
	res->seq = m->seq;
	res->attempt = m->attempt;
	res->needs_commit = true;
	/* what the SEQ state will be once this and every earlier result are committed */
	res->persist_complete = m->seq_complete || m->ctl_active ||
				(m->phase == PH_WAIT_COMMIT && (m->reply_handed || m->stale_done));
	m->commit_out++;
	return 1;
}

/*
 * A reply with another SEQ while a request is in flight (M3, refined): it does not end the
 * wait, because the genuine answer to the SEQ sent may still follow it (a late answer to an
 * earlier resend overtaking it), and dropping that answer before sending a new SEQ would lose
 * its events.  A 0x13 is neither failed nor resent for it.
 */
static int handle_stale(struct smve_master *m, struct smve_master_result *res)
{
	const struct mara_frame *f = &res->frame;

	if (f->cmd != MARA_CMD_POLL ||
	    mara_sections_parse(f->payload, f->payload_len, &res->sections)) {
		m->stats.stale++;
		return drop_frame(m, SMVE_REASON_STALE, res);
	}
	if (m->req_cmd == MARA_CMD_POLL)
		m->stale_seen = true;
	return hand_stale(m, res);
}

/* A frame while nothing is outstanding: only events matter (see hand_stale()). */
static int handle_late(struct smve_master *m, struct smve_master_result *res)
{
	const struct mara_frame *f = &res->frame;

	if (m->phase == PH_OFFLINE || f->cmd != MARA_CMD_POLL ||
	    mara_sections_parse(f->payload, f->payload_len, &res->sections) ||
	    !res->sections.ev_count) {
		memset(&res->sections, 0, sizeof(res->sections));
		return drop_frame(m, SMVE_REASON_UNSOLICITED, res);
	}
	return hand_stale(m, res);
}

/* Validate one verified frame in the §2.4 order and turn it into a result. */
static int handle_frame(struct smve_master *m, size_t len, uint64_t now_ms,
			struct smve_master_result *res)
{
	const struct mara_frame *f = &res->frame;

	result_clear(res);
	result_frame(m, res, len);
	res->seq = m->seq;
	if (f->dst != m->cfg.src)
		return drop_frame(m, SMVE_REASON_WRONG_DST, res);
	if (f->src != m->cfg.dst)
		return drop_frame(m, SMVE_REASON_WRONG_SRC, res);
	if (m->phase != PH_WAIT_REPLY)
		return handle_late(m, res);
	if (f->seq != m->seq)
		return handle_stale(m, res);
	if (f->cmd != m->req_cmd) {
		m->stats.bad_cmd++;
		return fail_attempt(m, SMVE_REASON_COMMAND, -MARA_ECOMMAND, res);
	}
	if (m->req_cmd == MARA_CMD_CONTROL)
		return handle_control_reply(m, res, now_ms);
	return handle_poll_reply(m, res, now_ms);
}

int smve_master_input(struct smve_master *m, uint64_t now_ms, const uint8_t **data, size_t *len,
		      struct smve_master_result *res)
{
	const uint8_t *frame;
	size_t flen;

	if (take_pending(m, res))
		return 1;
	if (m->phase == PH_DOWN) {
		/* bytes after a close are meaningless; swallow them */
		*data += *len;
		*len = 0;
		return 0;
	}
	frame = mara_reasm_next(&m->reasm, data, len, &flen);
	if (frame) {
		memcpy(m->rx, frame, flen);
		return handle_frame(m, flen, now_ms, res);
	}
	/*
	 * Input exhausted.  A reply that failed its BCC, with nothing else arriving after it, is
	 * an attempt that failed (M4): resend now rather than wait for the timeout.
	 */
	if (m->phase == PH_WAIT_REPLY && m->reasm.stats.bad_bcc != m->bcc_mark &&
	    !mara_reasm_busy(&m->reasm)) {
		result_clear(res);
		m->bcc_mark = m->reasm.stats.bad_bcc;
		return fail_attempt(m, SMVE_REASON_CHECKSUM, -MARA_ECHECKSUM, res);
	}
	return 0;
}

/* PEH due now (§6.4)?  Only called between a completed transaction and the next request. */
static bool peh_due(const struct smve_master *m, uint64_t now_ms)
{
	/* §6.4: every PEH of a connection follows its first valid reply, periodic ones included */
	if (!m->cfg.peh_enabled || !m->cfg.clock || !m->conn_replied)
		return false;
	if (m->peh_first_due || m->peh_sv_due)
		return true;
	return m->cfg.peh_interval_s && m->peh_ever &&
	       now_ms - m->last_peh_ms >= (uint64_t)m->cfg.peh_interval_s * 1000u;
}

static int try_peh(struct smve_master *m, uint64_t now_ms, struct smve_master_result *res)
{
	int64_t secs;
	uint32_t nsec;
	struct mara_time t;
	uint8_t dow;
	int n;

	if (!peh_due(m, now_ms))
		return 0;
	/* an unsynchronised clock withholds PEH; it stays due for the next opportunity */
	if (m->cfg.clock(m->cfg.clock_ctx, &secs, &nsec) ||
	    mara_time_from_unix(secs, nsec, &t, &dow))
		return 0;
	n = mara_build_peh(m->tx, sizeof(m->tx), m->cfg.src, &t, dow, m->cfg.dialect);
	if (n < 0)
		return 0;
	m->tx_len = (uint8_t)n;
	m->tx_done = 0;
	m->tx_is_request = false;
	m->peh_first_due = false;
	m->peh_sv_due = false;
	m->peh_ever = true;
	m->last_peh_ms = now_ms;
	m->stats.peh_sent++;
	/* the guard also holds until the PEH is actually written (smve_master_written) */
	m->guard_until = now_ms + m->cfg.peh_guard_ms;
	result_clear(res);
	res->kind = SMVE_MR_PEH;
	res->seq = MARA_SEQ_PEH;
	res->peh_time = t;
	res->peh_dow = dow;
	res->raw = m->tx;
	res->raw_len = (size_t)n;
	mara_parse(m->tx, (size_t)n, &res->frame);
	return 1;
}

static int tick_idle(struct smve_master *m, uint64_t now_ms, struct smve_master_result *res)
{
	bool want_control, want_poll;

	/* handed-out events not yet durable: neither a new SEQ nor a PEH may acknowledge them */
	if (output_busy(m) || now_ms < m->guard_until || m->commit_out)
		return 0;
	if (!m->seq_complete) {
		/* M1: the incomplete SEQ is re-asked before anything else, PEH included */
		if (now_ms < m->poll_at)
			return 0;
		begin_request(m, false);
		return 0;
	}
	want_control = m->ctl_count > 0;
	want_poll = now_ms >= m->poll_at;
	if (m->peh_check || want_control || want_poll) {
		m->peh_check = false;
		if (try_peh(m, now_ms, res))
			return 1;
	}
	if (want_control)
		begin_request(m, true);
	else if (want_poll)
		begin_request(m, false);
	return 0;
}

/* Every result of the transaction is durable: it is complete, the next SEQ may follow. */
static void finish_commit(struct smve_master *m, uint64_t now_ms)
{
	complete_transaction(m);
	m->phase = PH_IDLE;
	/* §7.3: after a stale window re-poll after a short guard, with a new SEQ */
	m->poll_at = now_ms + (m->stale_done ? m->cfg.stale_guard_ms : m->cfg.poll_interval_ms);
}

int smve_master_tick(struct smve_master *m, uint64_t now_ms, struct smve_master_result *res)
{
	if (take_pending(m, res))
		return 1;
	switch (m->phase) {
	case PH_IDLE:
		return tick_idle(m, now_ms, res);
	case PH_WAIT_REPLY:
		if (output_busy(m) || now_ms < m->deadline)
			return 0;
		/* §2.4: a stalled partial frame must not prefix the next reply */
		mara_reasm_abort(&m->reasm);
		if (m->stale_seen && m->attempt > m->cfg.retries) {
			/*
			 * M3: every attempt got only a replayed buffer, never the answer to the
			 * SEQ sent: move on with a new SEQ instead of giving up, which would
			 * re-ask it after the reconnect and loop on that buffer.  Earlier windows
			 * end like timeouts (M4): the genuine answer may only be late, and a
			 * resend of the same SEQ retrieves it without acknowledging anything.
			 */
			m->stale_done = true;
			m->phase = PH_WAIT_COMMIT;
			if (!m->commit_out)
				finish_commit(m, now_ms);
			return 0;
		}
		m->stats.timeouts++;
		result_clear(res);
		return fail_attempt(m, SMVE_REASON_TIMEOUT, 0, res);
	default:
		return 0;
	}
}

size_t smve_master_output(const struct smve_master *m, const uint8_t **buf)
{
	if (!output_busy(m)) {
		*buf = NULL;
		return 0;
	}
	*buf = m->tx + m->tx_done;
	return (size_t)(m->tx_len - m->tx_done);
}

void smve_master_written(struct smve_master *m, size_t n, uint64_t now_ms)
{
	size_t left = (size_t)(m->tx_len - m->tx_done);

	if (n > left)
		n = left;
	m->tx_done = (uint8_t)(m->tx_done + n);
	if (output_busy(m))
		return;
	if (m->tx_is_request && m->phase == PH_WAIT_REPLY)
		m->deadline = now_ms + m->cfg.reply_timeout_ms;
	else if (!m->tx_is_request)
		m->guard_until = now_ms + m->cfg.peh_guard_ms;
}

int smve_master_commit(struct smve_master *m, uint8_t seq, uint64_t now_ms)
{
	bool moot;

	if (seq == m->seq && m->commit_out) {
		moot = m->seq_complete;
		m->commit_out--;
		if (!m->commit_out && m->phase == PH_WAIT_COMMIT)
			finish_commit(m, now_ms);
		return moot ? 1 : 0;
	}

	/*
	 * A commit can trail the machine: when a reconnect re-asks a SEQ whose first reply is
	 * being stored, both replies come back for commit, and the master may already have moved
	 * on to the next SEQ once the first commit arrived.  Such commits are harmless.
	 */
	if (seq != m->seq || m->ctl_active)
		return seq == m->prev_seq && m->seq_complete_prev ? 1 : -MARA_EINVAL;
	/* committing what was never handed out would acknowledge events nobody stored (M1) */
	if (!m->reply_handed)
		return -MARA_EINVAL;
	moot = m->seq_complete;
	if (m->phase == PH_WAIT_COMMIT)
		finish_commit(m, now_ms);
	else
		complete_transaction(m);
	return moot ? 1 : 0;
}

int smve_master_control(struct smve_master *m, const struct mara_control *c, uint32_t tag)
{
	unsigned int slot;

	if (c->state > 1)
		return -MARA_EINVAL;
	if (m->ctl_count >= SMVE_MASTER_CONTROL_QUEUE)
		return -MARA_ENOSPACE;
	slot = (m->ctl_head + m->ctl_count) % SMVE_MASTER_CONTROL_QUEUE;
	m->ctl_q[slot].c = *c;
	m->ctl_q[slot].tag = tag;
	m->ctl_count++;
	return 0;
}

uint64_t smve_master_deadline(const struct smve_master *m)
{
	uint64_t t;

	if (m->pending_ctl_unknown || m->pending_give_up)
		return 0;
	switch (m->phase) {
	case PH_IDLE:
		if (output_busy(m) || m->commit_out)
			return SMVE_MASTER_NO_DEADLINE;
		if (m->seq_complete && (m->peh_check || m->ctl_count))
			t = 0;
		else
			t = m->poll_at;
		return t > m->guard_until ? t : m->guard_until;
	case PH_WAIT_REPLY:
		return output_busy(m) ? SMVE_MASTER_NO_DEADLINE : m->deadline;
	default:
		return SMVE_MASTER_NO_DEADLINE;
	}
}

bool smve_master_pending(const struct smve_master *m)
{
	return m->phase == PH_WAIT_REPLY;
}

void smve_master_get_stats(const struct smve_master *m, struct smve_master_stats *st)
{
	*st = m->stats;
	st->framing = m->reasm.stats;
}

int smve_master_take_state(struct smve_master *m, struct smve_master_state *st)
{
	int changed = m->state_dirty;

	st->last_seq = m->seq;
	/*
	 * A 0x13 carries no events, so nothing is at stake if it is never re-asked; and re-asking
	 * its SEQ with a poll after a restart would only fetch its echo (wrong CMD) forever.
	 */
	st->complete = m->seq_complete || m->ctl_active;
	m->state_dirty = false;
	return changed;
}

const char *smve_master_reason_name(enum smve_master_reason r)
{
	static const char *const names[] = {
		[SMVE_REASON_NONE] = "none",
		[SMVE_REASON_TIMEOUT] = "timeout",
		[SMVE_REASON_CHECKSUM] = "checksum",
		[SMVE_REASON_COMMAND] = "command",
		[SMVE_REASON_MALFORMED] = "malformed",
		[SMVE_REASON_WRONG_DST] = "wrong-dst",
		[SMVE_REASON_WRONG_SRC] = "wrong-src",
		[SMVE_REASON_UNSOLICITED] = "unsolicited",
		[SMVE_REASON_STALE] = "stale",
		[SMVE_REASON_OVERRUN] = "overrun",
	};

	return (unsigned int)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

const char *smve_control_status_name(enum smve_control_status s)
{
	static const char *const names[] = {
		[SMVE_CONTROL_OK] = "ok",
		[SMVE_CONTROL_REFUSED] = "refused",
		[SMVE_CONTROL_MISMATCH] = "mismatch",
		[SMVE_CONTROL_UNKNOWN] = "unknown",
	};

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}
