/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Mara 1.4 codec: framing, checksum, streaming reassembly and payload
 * decoding.  One source, compiled into smve.ko and into libsmve, so it is
 * freestanding: no libc, no kernel API beyond fixed-width types.  Nothing
 * here allocates, sleeps or keeps global state; every function is safe in
 * atomic context and reentrant on distinct objects.
 *
 * Ownership: every pointer returned or stored by a decoder points into the
 * caller's buffer (or, for the reassembler, into the reassembler object) and
 * lives as long as that storage does, unless a comment says otherwise.
 *
 * The wire format is specified in shared/spec/mara.md; section numbers
 * below refer to it.
 */
#ifndef SMVE_MARA_H
#define SMVE_MARA_H

#ifdef __KERNEL__
#include <linux/bits.h>
#include <linux/types.h>
#else
#include <smve/mara_types.h>
#endif

#define MARA_SOF		0xFE
#define MARA_QTY_MIN		8
#define MARA_QTY_MAX		253
#define MARA_HDR_LEN		6	/* SOF QTY DST SRC SEQ CMD */
#define MARA_BCC_LEN		2
#define MARA_PAYLOAD_MAX	(MARA_QTY_MAX - MARA_HDR_LEN - MARA_BCC_LEN)
#define MARA_EVENT_LEN		10
#define MARA_EVENTS_MAX		(MARA_PAYLOAD_MAX / MARA_EVENT_LEN)

#define MARA_ADDR_COMASTER	0x01
#define MARA_ADDR_PC		0x40
#define MARA_ADDR_BROADCAST	0xFF
#define MARA_SEQ_PEH		0xBB	/* §3.3: a value no poll ever uses */

#define MARA_CMD_POLL		0x10
#define MARA_CMD_PEH		0x12
#define MARA_CMD_CONTROL	0x13

#define MARA_PEH_PAYLOAD_LEN	9
#define MARA_PEH_FRAME_LEN	(MARA_HDR_LEN + MARA_PEH_PAYLOAD_LEN + MARA_BCC_LEN)
#define MARA_CONTROL_FRAME_LEN	(MARA_HDR_LEN + 3 + MARA_BCC_LEN)
#define MARA_CONTROL_BIT_ERROR	0xFF	/* §4.1: Bit = FF in a 0x13 reply */

/*
 * Error codes.  Functions return 0 or a negative MARA_E* value; the names
 * are stable (smvectl prints them in JSON) and mara_strerror() gives a
 * sentence.
 */
enum mara_err {
	MARA_OK = 0,
	MARA_ESOF = 1,		/* first byte is not FE */
	MARA_ELENGTH,		/* QTY outside 8..253, or more bytes than QTY */
	MARA_ECHECKSUM,		/* BCC does not verify */
	MARA_ESECTIONS,		/* 0x10 sections malformed (§5.1) */
	MARA_ETRUNCATED,	/* fewer bytes than QTY, or a payload too short */
	MARA_ECOMMAND,		/* not the command this decoder handles */
	MARA_ENOSPACE,		/* output buffer too small */
	MARA_EINVAL,		/* argument out of range */
	MARA_ELAYOUT,		/* layout text does not parse */
	MARA_EREFUSED,		/* 0x13 reply: Bit = FF, nothing written */
	MARA_EMISMATCH,		/* 0x13 reply: echo differs from the request */
	MARA_ERR_COUNT
};

/* Short stable name of an error ("checksum"); "?" for unknown codes. */
const char *mara_err_name(int err);
/* One-sentence description of an error, for logs and messages. */
const char *mara_strerror(int err);

/* --- frames -------------------------------------------------------------- */

/* Parsed header of a verified frame.  payload points into the frame. */
struct mara_frame {
	u8 qty;
	u8 dst;
	u8 src;
	u8 seq;
	u8 cmd;
	u8 payload_len;
	const u8 *payload;
};

/* §2.3: 0xFFFF minus the modulo-65536 sum of big-endian words over @len. */
u16 mara_bcc(const u8 *buf, size_t len);

/*
 * Verify one frame given exactly: SOF, QTY range, @len == QTY, BCC.  Fills
 * @f when it is not NULL.  Returns 0 or -MARA_ESOF/ELENGTH/ETRUNCATED/
 * ECHECKSUM.
 */
int mara_parse(const u8 *buf, size_t len, struct mara_frame *f);

/*
 * Build a frame into @buf (capacity @cap).  Returns its length (8..253) or
 * -MARA_ENOSPACE / -MARA_EINVAL (payload longer than MARA_PAYLOAD_MAX).
 */
int mara_build(u8 *buf, size_t cap, u8 dst, u8 src, u8 seq, u8 cmd,
	       const u8 *payload, size_t payload_len);

/* A 0x10 poll (8 bytes).  Returns 8 or a negative error. */
int mara_build_poll(u8 *buf, size_t cap, u8 dst, u8 src, u8 seq);

/* --- streaming reassembly (§2.4) ------------------------------------------ */

struct mara_reasm_stats {
	u32 frames;		/* valid frames delivered */
	u32 noise_bytes;	/* bytes discarded while waiting for SOF */
	u32 bad_qty;		/* QTY bytes outside 8..253 (framing errors) */
	u32 bad_bcc;		/* frames whose checksum failed */
	u32 resyncs;		/* rescans after a false SOF or a bad BCC */
	u32 aborted;		/* partial frames dropped by mara_reasm_abort() */
	u32 aborted_bytes;	/* bytes in those partial frames */
};

enum mara_reasm_state {
	MARA_RS_WAIT_SOF,
	MARA_RS_WAIT_QTY,
	MARA_RS_CONSUME,
};

/*
 * Byte-stream reassembler.  Treat the fields as private; read statistics
 * through @stats.  The object is self-contained (no pointers), so it may be
 * copied or embedded anywhere.
 */
struct mara_reasm {
	struct mara_reasm_stats stats;
	u8 state;		/* enum mara_reasm_state */
	u8 len;			/* bytes held in buf */
	u8 qty;			/* QTY of the frame being consumed */
	u8 delivered;		/* buf holds a frame handed to the caller */
	u8 rescan_len;		/* bytes waiting in rescan[] */
	u8 rescan_pos;
	u8 buf[MARA_QTY_MAX];
	u8 rescan[MARA_QTY_MAX];
};

/* Initialise (or fully reset, statistics included). */
void mara_reasm_init(struct mara_reasm *r);

/*
 * Drop any partial frame and pending rescan bytes, counting them as
 * aborted (RS485 gap rule, TCP disconnect or reply timeout).  Statistics
 * are kept.
 */
void mara_reasm_abort(struct mara_reasm *r);

/* True while a frame is partly received (the caller's gap timer runs). */
bool mara_reasm_busy(const struct mara_reasm *r);

/*
 * Bytes the partial frame still lacks once its QTY is known (0 before
 * that, or when no frame is partly received): with the character time it
 * tells when the frame could complete on the wire.
 */
size_t mara_reasm_missing(const struct mara_reasm *r);

/*
 * Consume input until a valid frame is complete or the input is exhausted.
 * *@data and *@len are advanced past what was consumed.  Returns a pointer
 * to the frame (its length in *@frame_len) or NULL when more input is
 * needed.  The frame is valid until the next call on @r and may point into
 * the caller's input (zero-copy when a whole frame arrives in one chunk) or
 * into @r.  Call in a loop until it returns NULL:
 *
 *	while ((f = mara_reasm_next(r, &p, &n, &flen)))
 *		handle(f, flen);
 *
 * Each valid frame is yielded exactly once; after a bad BCC the bytes
 * following the false SOF are rescanned, so a valid frame hidden behind
 * garbage is never lost.
 */
const u8 *mara_reasm_next(struct mara_reasm *r, const u8 **data, size_t *len,
			  size_t *frame_len);

/* --- 0x10 reply payload (§5) ---------------------------------------------- */

/*
 * The four sections of a 0x10 reply.  Pointers point into the payload; the
 * counts are element counts (bytes for SV, 16-bit words for DI and AI,
 * 10-byte records for events).
 */
struct mara_sections {
	const u8 *sv;
	const u8 *di;
	const u8 *ai;
	const u8 *ev;
	u8 sv_len;
	u8 di_words;
	u8 ai_words;
	u8 ev_count;
};

/*
 * Split a 0x10 payload into its sections, checking every count byte
 * against the payload length (§5.1).  Returns 0, -MARA_ESECTIONS (count 0,
 * count-1 not a multiple of the element size, sections not ending exactly
 * at the BCC) or -MARA_ETRUNCATED (a count runs past the payload).
 */
int mara_sections_parse(const u8 *payload, size_t len,
			struct mara_sections *s);

/* Little-endian DI or AI word @i of a section (no bounds check: i < count). */
static inline u16 mara_word(const u8 *section, unsigned int i)
{
	return (u16)(section[2 * i] | (section[2 * i + 1] << 8));
}

/* §5.5: AI qualifier (bits 15-14) and 12-bit value of a raw AI word. */
static inline u8 mara_ai_q(u16 raw)
{
	return raw >> 14;
}

static inline u16 mara_ai_value(u16 raw)
{
	return raw & 0x0FFF;
}

/* --- events (§5.6-§5.11) -------------------------------------------------- */

enum mara_event_type {
	MARA_EV_DIGITAL = 0,
	MARA_EV_ENERGY = 1,
	MARA_EV_IDLE = 2,
	MARA_EV_COMSYS = 3,
};

/*
 * Dialect flags (§5.13).  0 is the firmware (normative) format; the others
 * reproduce nguru's readings for archived data.
 */
#define MARA_DIALECT_FIRMWARE	0u
#define MARA_TCD_NGURU		BIT(0)	/* type(2) q(2) addr(4) */
#define MARA_FRAC_BE		BIT(1)	/* fraction big-endian */
#define MARA_DOW_MONDAY0	BIT(2)	/* PEH weekday 0..6 */
#define MARA_DIALECT_NGURU	(MARA_TCD_NGURU | MARA_FRAC_BE | MARA_DOW_MONDAY0)

#define MARA_FRAC_ONE		32768u	/* fraction units per second */

/* A device timestamp: station local civil time, fields as on the wire. */
struct mara_time {
	u16 year;		/* 2000 + byte */
	u8 month;
	u8 day;
	u8 hour;
	u8 minute;
	u8 second;		/* 0 for energy records (minute resolution) */
	u16 frac;		/* 1/32768 s; 0 for energy records */
	u8 has_seconds;		/* 0 for energy records */
	u8 valid;		/* every field in range (§5.11 "bad time") */
};

struct mara_event {
	u8 raw[MARA_EVENT_LEN];
	u8 type;		/* enum mara_event_type */
	u8 calif;		/* firmware: bit 5; nguru dialect: 2-bit q */
	u8 addr;		/* 5 bits (4 in the nguru dialect) */
	struct mara_time time;
	/* DIGITAL */
	u8 status;
	u8 port;
	u8 bit;
	/* ENERGY: 3-bit code and channel; IDLE: code; COMSYS: code, motive */
	u8 code;
	u8 channel;
	u8 motive;
	u32 value;		/* ENERGY: 24-bit value (§5.8 byte order) */
};

/* Decode one 10-byte record with the given dialect flags.  Never fails. */
void mara_event_decode(const u8 *rec, unsigned int dialect,
		       struct mara_event *ev);

/* --- layouts (§8.3) -------------------------------------------------------- */

#define MARA_LAYOUT_MAX		64	/* IEDs per layout */

struct mara_layout_ied {
	u8 addr;
	u8 sv_bytes;
	u8 di_words;
	u8 ai_words;
};

/* A reply layout: per IED in frame order, its contribution to each array. */
struct mara_layout {
	u8 count;
	struct mara_layout_ied ied[MARA_LAYOUT_MAX];
};

/*
 * Parse "addr:sv,di,ai addr:sv,di,ai ...": IEDs separated by whitespace,
 * the three counts by commas, addresses 1..254 and unique.  @len bytes of
 * @text are read (need not be NUL terminated).  On error returns
 * -MARA_ELAYOUT and, when @errpos is not NULL, the offset of the offending
 * character.  An empty text gives an empty layout.
 */
int mara_layout_parse(struct mara_layout *l, const char *text, size_t len,
		      size_t *errpos);

/*
 * Format @l into @buf (capacity @cap, NUL terminated).  Returns the length
 * without the NUL, or -MARA_ENOSPACE.
 */
int mara_layout_format(const struct mara_layout *l, char *buf, size_t cap);

/* Where one IED's values sit in a reply, and how much of them is there. */
struct mara_ied_view {
	u8 addr;
	u8 complete;		/* every element the layout declares is there */
	u16 sv_off, sv_len;	/* byte offset in the SV array / bytes present */
	u16 di_off, di_len;	/* word offset in the DI array / words present */
	u16 ai_off, ai_len;	/* word offset in the AI array / words present */
};

#define MARA_BIND_OK		0
#define MARA_BIND_SHORT		BIT(0)	/* reply has fewer elements */
#define MARA_BIND_LONG		BIT(1)	/* reply has more elements */

/* Expected and actual totals, for a precise layout-mismatch report. */
struct mara_bind_report {
	u16 sv_expected, sv_actual;
	u16 di_expected, di_actual;
	u16 ai_expected, ai_actual;
	u8 complete_ieds;	/* IEDs fully present */
	u8 flags;		/* MARA_BIND_* */
};

/*
 * Bind a reply's sections to the layout: fills @views[0..l->count) (each
 * IED's offsets and the part actually present) and @rep.  Returns
 * MARA_BIND_OK when the sections match exactly, otherwise the flags; what
 * matches is still bound.  @views may be NULL to get only the report.
 */
unsigned int mara_layout_bind(const struct mara_layout *l,
			      const struct mara_sections *s,
			      struct mara_ied_view *views,
			      struct mara_bind_report *rep);

/* --- PEH (0x12, §6) ------------------------------------------------------- */

/*
 * Civil time from seconds since 1970-01-01 (already shifted to station
 * local time by the caller) plus nanoseconds; fraction truncated to 1/128 s
 * as §6.1 decides.  Sets *dow to 1 = Monday .. 7 = Sunday.  Years outside
 * 2000..2253 give -MARA_EINVAL.
 */
int mara_time_from_unix(s64 secs, u32 nsec, struct mara_time *t, u8 *dow);

/*
 * Build a PEH broadcast (DST FF, SEQ BB) from @src.  @dow is 1..7 (Monday =
 * 1); with MARA_DOW_MONDAY0 in @dialect it is sent as 0..6.  Returns 17 or
 * a negative error.
 */
int mara_build_peh(u8 *buf, size_t cap, u8 src, const struct mara_time *t,
		   u8 dow, unsigned int dialect);

/*
 * Decode a PEH payload (9 bytes).  *dow gets the byte as sent.  Returns 0,
 * -MARA_ECOMMAND (not 0x12) or -MARA_ETRUNCATED.
 */
int mara_decode_peh(const struct mara_frame *f, struct mara_time *t, u8 *dow);

/* --- output control (0x13, §4.1) ------------------------------------------ */

struct mara_control {
	u8 port;
	u8 bit;
	u8 state;
};

/* Build a 0x13 request.  Returns 11 or a negative error. */
int mara_build_control(u8 *buf, size_t cap, u8 dst, u8 src, u8 seq,
		       const struct mara_control *c);

/* Decode a 0x13 payload (request or reply).  0, -ECOMMAND, -ETRUNCATED. */
int mara_decode_control(const struct mara_frame *f, struct mara_control *c);

/*
 * Check a 0x13 reply against the request it answers: 0 when the echo
 * matches, -MARA_EREFUSED when Bit = FF, -MARA_EMISMATCH otherwise, or a
 * decode error.
 */
int mara_control_check(const struct mara_frame *reply,
		       const struct mara_control *req);

#endif /* SMVE_MARA_H */
