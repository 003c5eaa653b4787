/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Decision logic of the smve bus master, kept free of kernel APIs so that
 * the same objects run in smve.ko and in the host unit tests
 * (tests/unit/test_bus*.c).  Nothing here allocates, sleeps, locks or reads
 * a clock: every function takes "now" (monotonic nanoseconds) from the
 * caller, which owns the locking.  Section numbers refer to
 * shared/spec/mara.md.
 */
#ifndef SMVE_CORE_H
#define SMVE_CORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <smve/mara_types.h>
#endif

#define SMVE_NSEC_PER_USEC	1000ULL
#define SMVE_NSEC_PER_MSEC	1000000ULL
#define SMVE_NSEC_PER_SEC	1000000000ULL

/* --- timing (§7.4) --------------------------------------------------------- */

#define SMVE_SLACK_NS		(5 * SMVE_NSEC_PER_MSEC)
#define SMVE_BCAST_EXTRA_NS	(10 * SMVE_NSEC_PER_MSEC)
#define SMVE_DEFAULT_BAUD	115200U
#define SMVE_DEFAULT_FRAME_BITS	10U

/* Configured timing in microseconds; 0 means "derive from Tc". */
struct smve_timing_cfg {
	u32 response_timeout_us;
	u32 interchar_timeout_us;
	u32 guard_us;
	u32 broadcast_guard_us;
};

/* Effective timing in nanoseconds. */
struct smve_timing {
	u64 tc_ns;
	u64 response_timeout_ns;	/* TO3 = TO2 + 10 Tc + slack = 15 Tc + 5 ms */
	u64 interchar_ns;		/* 16 Tc + slack */
	u64 guard_ns;			/* 5 Tc */
	u64 bcast_guard_ns;		/* 5 Tc + 10 ms */
};

/*
 * Character time for @frame_bits bits per character (start + data + parity
 * + stop, as tty_get_frame_size() counts them) at @baud.  A zero baud (B0,
 * or a driver that reports none) or frame size falls back to 115200 8N1
 * so that the timeouts stay finite.
 */
u64 smve_char_time_ns(unsigned int frame_bits, unsigned int baud);

/* Fill @t from @cfg and the character time. */
void smve_timing_compute(const struct smve_timing_cfg *cfg, u64 tc_ns,
			 struct smve_timing *t);

/*
 * Estimated end of transmission of @len bytes handed to the driver at
 * @queued_ns: the response timeout starts there, not at the write call.
 */
static inline u64 smve_tx_end_ns(u64 queued_ns, unsigned int len, u64 tc_ns)
{
	return queued_ns + (u64)len * tc_ns;
}

/* --- per-IED link: SEQ rules M1-M4, M6 (§3.5) ------------------------------ */

#define SMVE_SEQ_FIRST		0x00
#define SMVE_SEQ_TOGGLE		0x80	/* RS485: alternate 00 / 80 per IED */

enum smve_link_state {
	SMVE_LINK_NEW = 0,	/* never answered: polled in the rotation */
	SMVE_LINK_ONLINE,
	SMVE_LINK_OFFLINE,	/* re-probed every offline_reprobe_ms */
};

struct smve_link {
	u8 seq;			/* SEQ of the outstanding / next request */
	u8 state;		/* enum smve_link_state */
	u8 failures;		/* failed attempts on @seq so far */
	u8 ack_wait;		/* reply stored, waiting for the consumer */
	u8 stale;		/* a stale frame answered an attempt on @seq */
	u64 ack_seq;		/* ring seq the consumer must commit */
	u64 ack_sum;		/* smve_link_sum() of that reply's payload */
	u64 next_due_ns;	/* offline: time of the next re-probe */
};

/* What the master does with a poll reply. */
enum smve_verdict {
	SMVE_V_ACCEPT,		/* store values and events, then smve_link_stored */
	SMVE_V_STALE,		/* SEQ != sent: values discarded, keep listening */
	SMVE_V_REPEAT,		/* repeat of a reply awaiting commit: store nothing */
};

/* What the master does after a failed attempt. */
enum smve_fail_action {
	SMVE_FA_RETRY,		/* resend the same SEQ at once */
	SMVE_FA_OFFLINE,	/* this failure took the IED offline */
	SMVE_FA_STILL_OFFLINE,	/* failed re-probe: wait for the next one */
	SMVE_FA_NEW_SEQ,	/* M3 after the last attempt: new SEQ, online */
};

void smve_link_init(struct smve_link *l);

/* True once the IED answered and has not gone offline since. */
bool smve_link_online(const struct smve_link *l);

/*
 * Checksum of a reply payload (64-bit FNV-1a): tells a slave's byte-for-byte
 * resend of its retry buffer from a new reply carrying the same SEQ.
 */
u64 smve_link_sum(const u8 *p, size_t len);

/*
 * A valid, well-formed poll reply from the polled IED carrying @reply_seq
 * and a payload with smve_link_sum() @sum arrived.  M2/M3: the SEQ sent
 * decides.  A stale reply (SEQ != sent) is only noted (smve_link_stale()):
 * the caller keeps listening for the reply to its SEQ, and a window that
 * closes without one is smve_link_timeout().  Otherwise the link is online
 * afterwards; *@came_online tells whether this reply changed that.  While a
 * reply is held for the consumer a reply with the held SEQ is a REPEAT only
 * if its payload is that reply's: a different one means the IED took the
 * held SEQ as new (its stored SEQ changed, e.g. by a broadcast) and must be
 * stored (ACCEPT).
 */
enum smve_verdict smve_link_reply(struct smve_link *l, u8 reply_seq, u64 sum,
				  bool *came_online);

/*
 * A stale frame answered the poll in flight.  Nothing changes now (the
 * reply to the SEQ sent may follow); smve_link_timeout() remembers it.
 */
void smve_link_stale(struct smve_link *l);

/*
 * The values and events of an accepted reply (payload checksum @sum) are
 * stored.  With @need_ack (events were stored and a journaling consumer is
 * attached) the SEQ is held until smve_link_commit() with the last record's
 * ring seq @ack_seq (M1); otherwise it advances at once.
 */
void smve_link_stored(struct smve_link *l, bool need_ack, u64 ack_seq,
		      u64 sum);

/*
 * Release a held SEQ when the consumer committed @committed (or left:
 * pass @no_consumer).  Returns true when the SEQ advanced.
 */
bool smve_link_commit(struct smve_link *l, u64 committed, bool no_consumer);

/*
 * A failed attempt (timeout, bad BCC, malformed reply, wrong CMD), M4:
 * retry the same SEQ until @retries resends failed, then offline with the
 * next re-probe at @now + @reprobe_ns.  The pending SEQ is kept (M1).
 */
enum smve_fail_action smve_link_fail(struct smve_link *l, unsigned int retries,
				     u64 now, u64 reprobe_ns);

/*
 * The reply window of a poll closed without the reply to the SEQ sent:
 * a failed attempt as smve_link_fail(), stale frames or not (M4 first: the
 * reply may only be late or lost, and a resend of the same SEQ fetches it
 * from the slave's retry buffer without acknowledging anything).  Only when
 * this was the last attempt (or an offline re-probe) and a stale frame
 * answered one of the attempts on this SEQ does M3 apply instead: returns
 * SMVE_FA_NEW_SEQ, the link is online (the IED answered, from a retry
 * buffer it took our SEQ to match) and the next request takes a new SEQ
 * (re-asking with the same one would loop on that buffer).
 */
enum smve_fail_action smve_link_timeout(struct smve_link *l,
					unsigned int retries, u64 now,
					u64 reprobe_ns);

/*
 * A command transaction on the link's SEQ stream (M6).  The caller sends
 * with l->seq; on a reply with the SEQ sent, or after the last attempt
 * failed (outcome unknown), the next request must carry a new SEQ.
 */
void smve_link_advance(struct smve_link *l);

/* --- frame acceptance (§2.4 validation order, §3.5) ------------------------ */

enum smve_frame_class {
	SMVE_FC_REPLY,		/* from the polled IED to us: judge it */
	SMVE_FC_ECHO,		/* our own transmission: drop silently */
	SMVE_FC_UNSOLICITED,	/* nothing outstanding: drop and count */
	SMVE_FC_WRONG_PEER,	/* other SRC or DST: drop, count, keep waiting */
};

/*
 * Classify a verified frame with @dst/@src while the master (address
 * @master) is @waiting for a reply from @peer.
 */
enum smve_frame_class smve_classify(u8 master, bool waiting, u8 peer, u8 dst,
				    u8 src);

/* --- schedule -------------------------------------------------------------- */

/* True when @l may be polled at @now (online/new, or offline and due). */
bool smve_link_due(const struct smve_link *l, u64 now);

/*
 * Round-robin choice of the next IED among the @n links @links[i] starting
 * at index @start (wrapping).  Returns the index, or -1 when every IED is offline and
 * not yet due; then *@wake_ns is the earliest re-probe time.  Sets
 * *@wrapped when the choice wrapped past the end (a cycle completed).
 */
int smve_sched_pick(const struct smve_link *const *links, unsigned int n,
		    unsigned int start, u64 now, u64 *wake_ns, bool *wrapped);

/* --- PEH schedule (§6.4, RS485) ------------------------------------------- */

#define SMVE_PEH_BIT6_MIN_NS	(5 * SMVE_NSEC_PER_SEC)

struct smve_peh {
	u8 sent;		/* at least one PEH since the bus started */
	u8 requested;		/* an IED reported SV byte 0 bit 6 = 0 */
	u64 last_ns;		/* when the last PEH went out */
};

void smve_peh_init(struct smve_peh *p);

/* Note SV byte 0 of a meter IED's reply (bit 6 = 0: no PEH received). */
void smve_peh_note_sv0(struct smve_peh *p, u8 sv0);

/*
 * True when a PEH is due at @now: at bus start, every @interval_s (0 =
 * never periodically), and when requested at most once per 5 s.  Never
 * when @enable is 0.  The caller sends only when nothing is pending (M5).
 */
bool smve_peh_due(const struct smve_peh *p, u64 now, u32 interval_s,
		  bool enable);

/* When the next PEH becomes due (for the timer); U64_MAX-like ~0 = never. */
u64 smve_peh_next_ns(const struct smve_peh *p, u32 interval_s, bool enable);

void smve_peh_sent(struct smve_peh *p, u64 now);

/* --- log-scale histogram --------------------------------------------------- */

/* Two buckets per octave from 1 ns up to 2^63 ns. */
#define SMVE_HIST_BUCKETS	128

struct smve_hist {
	u64 count;
	u64 min;
	u64 max;
	u64 bucket[SMVE_HIST_BUCKETS];
};

void smve_hist_reset(struct smve_hist *h);
void smve_hist_add(struct smve_hist *h, u64 v);

/*
 * Value at @permille of the samples (500 = median, 990 = p99): the upper
 * bound of the bucket holding that rank, clamped to [min, max]; 0 when
 * empty.  Relative error below 42 % (a half octave).
 */
u64 smve_hist_quantile(const struct smve_hist *h, unsigned int permille);

/* --- record ring cursor arithmetic ----------------------------------------- */

/*
 * A ring holds sequence numbers [first, next); it is empty when first ==
 * next and holds at most @cap records.  Readers keep a cursor; these
 * helpers decide what a read sees.
 */
enum smve_ring_check {
	SMVE_RING_DATA,		/* record at *cursor is available */
	SMVE_RING_EMPTY,	/* cursor == next: nothing new */
	SMVE_RING_OVERRUN,	/* cursor < first: *lost set, cursor moved */
};

static inline enum smve_ring_check
smve_ring_check(u64 first, u64 next, u64 *cursor, u64 *lost)
{
	if (*cursor < first) {
		*lost = first - *cursor;
		*cursor = first;
		return SMVE_RING_OVERRUN;
	}
	if (*cursor >= next) {
		*cursor = next;
		return SMVE_RING_EMPTY;
	}
	return SMVE_RING_DATA;
}

/*
 * Position for lseek(SEEK_SET): a target past the newest record is clamped
 * to next; one older than the oldest is kept, so the next read reports the
 * loss (EPIPE) instead of skipping silently; 0 means "the oldest".
 */
static inline u64 smve_ring_seek(u64 first, u64 next, u64 target)
{
	if (target == 0)
		return first;
	return target > next ? next : target;
}

/*
 * Append: returns the seq given to the new record.  *@first advances (and
 * *@evicted is set) when the ring was full, the slot of the evicted record
 * being reused.
 */
static inline u64 smve_ring_push(u64 *first, u64 *next, u32 cap, bool *evicted)
{
	u64 seq = (*next)++;

	*evicted = *next - *first > cap;
	if (*evicted)
		(*first)++;
	return seq;
}

#endif /* SMVE_CORE_H */
