/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Sans-I/O Mara/TCP master: the state machine of one control-centre connection to a COMaster
 * (spec §3.5 "TCP master", §6.4, §7.3).  It does no I/O, reads no clock, allocates nothing and
 * keeps no global state, so one event loop (smved's libevent, smvectl's poll()) or a unit test
 * with a fake clock drives it the same way:
 *
 *	smve_master_init(&m, &cfg, persisted_state_or_NULL);
 *	... after connect():      smve_master_connected(&m, now);
 *	loop {
 *		while (smve_master_tick(&m, now, &r))           handle(&r);
 *		if (smve_master_take_state(&m, &st))            persist st (before writing);
 *		if ((n = smve_master_output(&m, &p)))           write p[0..n), then
 *			smve_master_written(&m, bytes_written, now);
 *		sleep until smve_master_deadline(&m) or readable;
 *		on data:  while (smve_master_input(&m, now, &d, &len, &r))  handle(&r);
 *		on REPLY/STALE results: store the events durably, then smve_master_commit(&m, r.seq, now);
 *		on GIVE_UP or a socket error: close, smve_master_disconnected(&m, now),
 *			reconnect after smve_backoff_next().
 *	}
 *
 * Time is a caller-supplied monotonic millisecond count (any origin, never decreasing).
 *
 * Ownership: every pointer in a struct smve_master_result points into the master object and is
 * valid until the next call of any smve_master_* function on it.  Copy what must outlive that.
 * The configuration is copied at init (the layout included); the clock callback's context
 * pointer is stored and must outlive the master.
 *
 * SEQ rules (§3.5): polls and 0x13 commands share one SEQ stream 0x20..0x7F (0x7F wraps to
 * 0x20).  A new SEQ is used only after smve_master_commit() confirms that the events of the
 * reply are durably stored (M1); until then every attempt, reconnect or restart re-asks the same
 * SEQ.  The next SEQ derives from the SEQ sent, never from a reply (M2).  A reply carrying another
 * SEQ is stale (M3), refined (docs/design-notes.md, "Stale replies do not end the wait"): its
 * values are discarded and its events handed over for the journal's duplicate filter, but the
 * master keeps waiting for the reply to the SEQ it sent until the reply timeout, because that
 * reply may still follow with new events; a matching reply is accepted normally, a window that
 * ends without one is a timeout (the same SEQ is resent, M4), and only when the last attempt
 * saw stale frames does the next poll use a new SEQ instead of a give-up (which would re-ask it
 * and loop on a stale retry buffer).  A 0x10 reply with events that arrives while nothing is
 * handed over the same way.  No new SEQ and no PEH go out while any REPLY or STALE result is not
 * yet committed.  A 0x13 is never failed, resent or switched to a new SEQ by a stale frame.
 */
#ifndef SMVE_MASTER_H
#define SMVE_MASTER_H

#include <stdbool.h>
#include <stdint.h>

#include <smve/mara.h>

#define SMVE_MASTER_SEQ_FIRST		0x20
#define SMVE_MASTER_SEQ_LAST		0x7F
#define SMVE_MASTER_CONTROL_QUEUE	4	/* 0x13 commands waiting for their turn */
#define SMVE_MASTER_RETRIES_MAX		100
#define SMVE_MASTER_COMMITS_MAX		16	/* results awaiting commit before GIVE_UP */
#define SMVE_MASTER_NO_DEADLINE		UINT64_MAX

/*
 * Station-local wall clock for PEH: seconds since 1970-01-01 in the station's civil time (UTC
 * plus the zone offset) and nanoseconds.  Return 0 when the clock is synchronised, non-zero to
 * withhold PEH (it stays due and is tried again after the next completed transaction).
 */
typedef int (*smve_master_clock_fn)(void *ctx, int64_t *local_secs, uint32_t *nsec);

struct smve_master_config {
	uint8_t src;			/* our address, SRC of requests (default 0x40) */
	uint8_t dst;			/* the COMaster, DST of requests (default 0x01) */
	unsigned int dialect;		/* MARA_DIALECT_* flags for events and PEH */
	struct mara_layout layout;	/* reply layout; count 0 = none (no binding, no bit-6 PEH) */
	uint32_t poll_interval_ms;	/* after a commit, before the next poll (5000) */
	uint32_t reply_timeout_ms;	/* from the end of the request write (5000) */
	uint32_t stale_guard_ms;	/* re-poll delay after a stale reply (50) */
	uint32_t peh_interval_s;	/* periodic PEH; 0 = only the per-connection one (3600) */
	uint32_t peh_guard_ms;		/* quiet time after a PEH (50) */
	uint32_t peh_sv_min_interval_s;	/* rate limit of the bit-6 trigger (60) */
	uint8_t retries;		/* resends of one SEQ before giving up (3: 4 attempts);
					 * at most SMVE_MASTER_RETRIES_MAX */
	bool peh_enabled;		/* false: never send PEH (e.g. --no-peh) */
	smve_master_clock_fn clock;	/* NULL: PEH withheld */
	void *clock_ctx;
};

/* Fill @cfg with the spec defaults (§7.3): 0x40 -> 0x01, firmware dialect, no layout. */
void smve_master_config_defaults(struct smve_master_config *cfg);

/*
 * What a caller persists per COMaster (§3.5 Decision) so that a restart re-asks an incomplete
 * SEQ instead of acknowledging events it never stored.
 */
struct smve_master_state {
	uint8_t last_seq;	/* last SEQ sent (0x20..0x7F) */
	bool complete;		/* its transaction completed (events committed); a 0x13 in
				 * flight counts as complete: it has no events to lose */
};

struct smve_master_stats {
	uint32_t polls;		/* 0x10 requests written (first attempts and resends) */
	uint32_t replies;	/* valid replies accepted (0x10 and 0x13) */
	uint32_t timeouts;	/* reply timeouts */
	uint32_t retries;	/* resends of a SEQ (timeout, BCC error, wrong CMD, malformed) */
	uint32_t stale;		/* replies whose SEQ differed from the SEQ sent */
	uint32_t bad_cmd;	/* replies with a CMD other than the request's */
	uint32_t malformed;	/* replies whose payload did not decode */
	uint32_t dropped;	/* wrong DST or SRC, or nothing outstanding */
	uint32_t peh_sent;
	uint32_t controls;	/* 0x13 requests written (first attempts and resends) */
	uint32_t give_ups;	/* transactions abandoned after the last retry */
	uint32_t connects;
	uint32_t reconnects;	/* connects after the first */
	uint32_t layout_errors;	/* replies whose sections differ from the layout */
	struct mara_reasm_stats framing; /* checksum and framing errors, noise (§2.4) */
};

enum smve_master_kind {
	SMVE_MR_NONE = 0,
	SMVE_MR_REPLY,		/* a valid 0x10 reply: apply values, store events, then commit */
	SMVE_MR_STALE,		/* SEQ differs (M3) or nothing was outstanding: values
				 * discarded; filter+store events, commit */
	SMVE_MR_RETRY,		/* an attempt failed (see reason); the same SEQ is resent */
	SMVE_MR_GIVE_UP,	/* retries exhausted: close the connection and reconnect (backoff) */
	SMVE_MR_CONTROL,	/* a 0x13 command finished: see control and control_status */
	SMVE_MR_PEH,		/* a PEH was handed out for writing (time in peh_time) */
	SMVE_MR_DROPPED,	/* a frame was dropped (see reason); informational */
};

/* Why an attempt failed or a frame was dropped. */
enum smve_master_reason {
	SMVE_REASON_NONE = 0,
	SMVE_REASON_TIMEOUT,		/* no reply within reply_timeout_ms */
	SMVE_REASON_CHECKSUM,		/* only frames with a bad BCC arrived */
	SMVE_REASON_COMMAND,		/* reply CMD differs from the request's */
	SMVE_REASON_MALFORMED,		/* reply payload does not decode (see error) */
	SMVE_REASON_WRONG_DST,		/* DST is not our address */
	SMVE_REASON_WRONG_SRC,		/* SRC is not the configured COMaster */
	SMVE_REASON_UNSOLICITED,	/* nothing was outstanding */
	SMVE_REASON_STALE,		/* a reply with another SEQ that carries no events */
	SMVE_REASON_OVERRUN,		/* SMVE_MASTER_COMMITS_MAX results await commit */
};

/* Outcome of a 0x13 command (M6). */
enum smve_control_status {
	SMVE_CONTROL_OK = 0,		/* echo matches: written */
	SMVE_CONTROL_REFUSED,		/* Bit = FF: the device wrote nothing */
	SMVE_CONTROL_MISMATCH,		/* echo differs from the request: an error */
	SMVE_CONTROL_UNKNOWN,		/* no valid answer to any attempt: it may or may not have acted */
};

struct smve_master_result {
	enum smve_master_kind kind;
	enum smve_master_reason reason;	/* RETRY, GIVE_UP, DROPPED */
	int error;			/* -MARA_E* detail for MALFORMED, 0 otherwise */
	uint8_t seq;			/* SEQ of the transaction (as sent) */
	uint8_t attempt;		/* 1-based attempt the result refers to */
	bool needs_commit;		/* REPLY and STALE: call smve_master_commit(seq) */
	bool persist_complete;		/* REPLY and STALE: persist {seq, persist_complete}
					 * with the events (see smve_master_commit()) */

	/* The frame (REPLY, STALE, CONTROL, DROPPED, RETRY on a bad frame); NULL otherwise. */
	const uint8_t *raw;
	size_t raw_len;
	struct mara_frame frame;	/* header and payload of raw (valid when raw != NULL) */

	/* REPLY and STALE: sections and decoded events. */
	struct mara_sections sections;
	const struct mara_event *events;
	unsigned int event_count;

	/* REPLY with a layout: per-IED views (layout order) and the match report. */
	const struct mara_ied_view *views;
	unsigned int view_count;
	unsigned int bind_flags;	/* MARA_BIND_* (0 = exact match) */
	struct mara_bind_report bind;

	/* CONTROL */
	uint32_t control_tag;		/* the caller's tag from smve_master_control() */
	struct mara_control control;	/* the request */
	enum smve_control_status control_status;

	/* PEH */
	struct mara_time peh_time;
	uint8_t peh_dow;
};

/* The master.  Treat every field as private; use the accessors below. */
struct smve_master {
	struct smve_master_config cfg;
	struct smve_master_stats stats;
	struct mara_reasm reasm;
	uint8_t phase;			/* enum in master.c */
	uint8_t seq;			/* current transaction's SEQ */
	uint8_t prev_seq;		/* the SEQ before it, completed when seq_complete_prev */
	bool seq_complete_prev;
	bool reply_handed;		/* a REPLY/STALE for seq was handed out (commit allowed) */
	bool seq_complete;		/* current transaction committed */
	bool state_dirty;
	uint8_t attempt;		/* attempts made on seq in this connection */
	uint8_t req_cmd;		/* CMD of the outstanding request */
	bool ever_connected;
	bool peh_first_due;		/* after the first valid reply of this connection */
	bool peh_sv_due;		/* bit 6 of the COMaster group was 0 */
	bool peh_ever;
	bool pending_give_up;
	bool pending_ctl_unknown;	/* report ctl_q[ctl_head] as UNKNOWN, then dequeue */
	bool conn_replied;		/* a valid reply arrived on this connection */
	bool peh_check;			/* a transaction just completed: PEH may go now */
	bool stale_seen;		/* a stale 0x10 answered the poll in flight (M3) */
	bool stale_done;		/* its last reply window ended with no matching reply */
	uint8_t commit_out;		/* REPLY/STALE results of seq not yet committed */
	uint64_t poll_at;		/* IDLE: the next poll is due */
	uint64_t guard_until;		/* IDLE: no request before (PEH or stale guard) */
	uint64_t deadline;		/* WAIT_REPLY: reply timeout (once written) */
	uint64_t last_peh_ms;
	uint32_t bcc_mark;		/* framing.bad_bcc when the request went out */
	uint8_t tx[MARA_QTY_MAX];
	uint8_t tx_len, tx_done;
	bool tx_is_request;		/* tx needs a reply (not a PEH) */
	uint8_t rx[MARA_QTY_MAX];
	struct mara_event events[MARA_EVENTS_MAX];
	struct mara_ied_view views[MARA_LAYOUT_MAX];
	struct {
		struct mara_control c;
		uint32_t tag;
	} ctl_q[SMVE_MASTER_CONTROL_QUEUE];
	uint8_t ctl_head, ctl_count;
	bool ctl_active;		/* the current transaction is ctl_q[ctl_head] */
};

/*
 * Initialise @m from @cfg (copied).  @st is the persisted state, or NULL for none (first SEQ
 * 0x20).  A state whose last_seq lies outside 0x20..0x7F is ignored (first SEQ 0x20): a hostile
 * or corrupt file must not select a SEQ outside the range.  Returns 0, or -MARA_EINVAL for an
 * impossible configuration (zero reply timeout, retries above SMVE_MASTER_RETRIES_MAX, layout
 * count above MARA_LAYOUT_MAX, src == dst, dst broadcast).
 */
int smve_master_init(struct smve_master *m, const struct smve_master_config *cfg,
		     const struct smve_master_state *st);

/*
 * The TCP connection is established: the reassembler is cleared, a PEH becomes due after the
 * first valid reply, and the first request (the incomplete SEQ, else the next one) goes out on
 * the next smve_master_tick().
 */
void smve_master_connected(struct smve_master *m, uint64_t now_ms);

/*
 * The connection is gone (closed by either side, or after GIVE_UP).  Clears the reassembler and
 * any unwritten output.  An outstanding request stays incomplete and is re-asked with the same
 * SEQ on the next connection (M1); an outstanding 0x13 is an exception: its outcome is reported
 * as SMVE_CONTROL_UNKNOWN by the next smve_master_tick() and it is never re-sent, because a
 * command acting long after the operator was told "unknown" is worse than not acting.
 */
void smve_master_disconnected(struct smve_master *m, uint64_t now_ms);

/*
 * Feed received bytes.  *@data and *@len are advanced past what was consumed.  Returns 1 with
 * @res filled when something happened (call again with the rest), 0 when the input is exhausted.
 * Frames are validated in the §2.4 order: DST, SRC (dropped and counted), then CMD and SEQ
 * against the outstanding request, then the payload.
 */
int smve_master_input(struct smve_master *m, uint64_t now_ms, const uint8_t **data, size_t *len,
		      struct smve_master_result *res);

/*
 * Advance timers to @now_ms: reply timeouts, retries, give-up, and the start of the next
 * request or PEH (whose bytes then wait in smve_master_output()).  Returns 1 with @res filled
 * when something happened (call again until it returns 0), 0 otherwise.
 */
int smve_master_tick(struct smve_master *m, uint64_t now_ms, struct smve_master_result *res);

/*
 * Bytes waiting to be written: sets *@buf (pointing into @m, valid until the next call) and
 * returns their count, 0 when there is nothing to write.
 */
size_t smve_master_output(const struct smve_master *m, const uint8_t **buf);

/*
 * @n bytes of the output were written at @now_ms (partial writes allowed).  The reply timeout
 * starts when the last byte of a request has been written (§7.3); a PEH's guard starts then.
 */
void smve_master_written(struct smve_master *m, size_t n, uint64_t now_ms);

/*
 * The events of a REPLY or STALE result with SEQ @seq (res.seq) are durably stored, together with
 * the state {seq, res.persist_complete}.  Every result that needs a commit gets exactly one (a
 * result whose storing failed gets none: close the connection instead).  Once every result of
 * the transaction is committed and it has ended (a REPLY, or the last attempt's stale window
 * without a matching reply), the transaction is complete and the next request may use a new SEQ; a STALE result's
 * commit alone never completes it.  Returns 0; 1 when the commit was moot (the transaction was
 * already complete: a late frame, or a duplicate reply to a SEQ re-asked after a reconnect,
 * possibly committed after the master moved on); -MARA_EINVAL when @seq is neither the current
 * nor the previous transaction's SEQ, or no reply of it was handed out yet.  Allowed while
 * disconnected.
 */
int smve_master_commit(struct smve_master *m, uint8_t seq, uint64_t now_ms);

/*
 * Queue a 0x13 command (M6).  It goes out between polls, after the current transaction is
 * complete, with a new SEQ of the shared stream; its result comes as SMVE_MR_CONTROL with @tag.
 * Returns 0, -MARA_EINVAL (state > 1) or -MARA_ENOSPACE (queue full).
 */
int smve_master_control(struct smve_master *m, const struct mara_control *c, uint32_t tag);

/*
 * Absolute time (same clock as now_ms) at which smve_master_tick() must next be called, or
 * SMVE_MASTER_NO_DEADLINE when only input, a commit or a connection can move the machine.
 */
uint64_t smve_master_deadline(const struct smve_master *m);

/* True while a request is outstanding (written or waiting to be written). */
bool smve_master_pending(const struct smve_master *m);

/* Statistics, with the reassembler's framing counters copied in. */
void smve_master_get_stats(const struct smve_master *m, struct smve_master_stats *st);

/*
 * The state to persist.  Returns 1 when it changed since the previous call (persist it before
 * acting further), 0 when unchanged; @st is filled either way.
 */
int smve_master_take_state(struct smve_master *m, struct smve_master_state *st);

/* Human names for logs: "timeout", "checksum", ... and "ok", "refused", ... */
const char *smve_master_reason_name(enum smve_master_reason r);
const char *smve_control_status_name(enum smve_control_status s);

/* Next SEQ after @seq in the TCP range (0x7F wraps to 0x20; outside the range gives 0x20). */
uint8_t smve_master_seq_next(uint8_t seq);

/* --- reconnect back-off (§7.3) ----------------------------------------------------------- */

/*
 * Exponential back-off: 1 s, doubling, capped at 60 s, each delay jittered by ±20 %.  Reset it
 * after a valid reply.  The jitter comes from a small PRNG seeded by the caller, so tests are
 * reproducible and separate masters do not reconnect in lockstep.
 */
struct smve_backoff {
	uint32_t base_ms;	/* first delay (1000) */
	uint32_t max_ms;	/* cap (60000) */
	uint32_t cur_ms;	/* next un-jittered delay */
	uint32_t rng;		/* xorshift32 state, never 0 */
};

/* Initialise with the §7.3 values and a seed (any value; 0 is replaced). */
void smve_backoff_init(struct smve_backoff *b, uint32_t seed);
/* The delay to wait before the next connection attempt; doubles the next one. */
uint32_t smve_backoff_next(struct smve_backoff *b);
/* Back to the first delay (after a valid reply). */
void smve_backoff_reset(struct smve_backoff *b);

#endif
