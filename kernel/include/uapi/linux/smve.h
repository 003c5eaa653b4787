/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR BSD-2-Clause */
/*
 * smve: Mara RS485 bus master line discipline -- user-space ABI.
 *
 * One bus per tty the line discipline is attached to ("smve<B>", class
 * "smve"), one character device per configured IED ("/dev/smve<B>.<A>",
 * A in decimal).  kernel/README.md describes the sysfs attributes, uevents
 * and the semantics in prose; this header is the binary contract.  Changes
 * are additive only: new record types, new ioctls, new fields appended to
 * structures whose size is part of their ioctl number.
 *
 * Device node reads return whole records: a struct smve_record header
 * followed by hdr.len payload bytes, padded with zeros to a multiple of 8
 * (SMVE_RECORD_SIZE()).  A read() buffer smaller than the next record fails
 * with EINVAL; a larger one receives as many whole records as fit.
 */
#ifndef _UAPI_LINUX_SMVE_H
#define _UAPI_LINUX_SMVE_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define SMVE_UAPI_VERSION	1
#define SMVE_LDISC_DEFAULT	29	/* N_DEVELOPMENT; module parameter "ldisc" */

/* --- records read from /dev/smve<B>.<A> ----------------------------------- */

enum smve_record_type {
	SMVE_REC_STATE = 1,	/* struct smve_rec_state + arrays (coalesced) */
	SMVE_REC_EVENT = 2,	/* struct smve_rec_event */
	SMVE_REC_STATUS = 3,	/* struct smve_rec_status */
	SMVE_REC_COMMAND = 4,	/* struct smve_rec_command + frames */
};

/* smve_record.flags */
#define SMVE_RECF_STALE		_BITUL(0)	/* from a stale reply (spec M3) */
#define SMVE_RECF_COALESCED	_BITUL(1)	/* not in the sequence (STATE) */

struct smve_record {
	__u64 seq;	/* sequence number in this node's ring, from 1 */
	__u64 epoch;	/* ring epoch: changes whenever the ring restarts */
	__s64 time_ns;	/* CLOCK_REALTIME when the kernel received it */
	__u16 type;	/* enum smve_record_type */
	__u16 len;	/* payload bytes following this header */
	__u32 flags;	/* SMVE_RECF_* */
};

#define SMVE_RECORD_ALIGN	8
#define SMVE_RECORD_SIZE(len)	\
	((sizeof(struct smve_record) + (len) + SMVE_RECORD_ALIGN - 1) & \
	 ~(__u64)(SMVE_RECORD_ALIGN - 1))
#define SMVE_RECORD_MAX		1024	/* no record is ever larger */

/*
 * SMVE_REC_STATE: the IED's current values.  Followed by sv_len SV bytes,
 * then di_words DI words, then ai_words AI words, words little-endian as on
 * the wire (2 bytes each, unaligned).  While the IED is offline the AI words
 * carry q = 1 (spec 5.12 rule 3) and SMVE_STATE_OFFLINE is set.  State is
 * coalesced: a reader gets the newest state once after open, after each
 * lseek() and whenever it changed since that reader last saw it, before any
 * ring record; its seq is the sequence number the next ring record will
 * take (the state is "as of" just before it).
 */
#define SMVE_STATE_ONLINE	_BITUL(0)
#define SMVE_STATE_OFFLINE	_BITUL(1)	/* failed, AIs qualified */
#define SMVE_STATE_NEVER	_BITUL(2)	/* no valid reply yet: no values */
#define SMVE_STATE_LAYOUT	_BITUL(3)	/* reply did not match the layout */

struct smve_rec_state {
	__u32 flags;		/* SMVE_STATE_* */
	__u8 address;
	__u8 reply_seq;		/* SEQ of the reply the values came from */
	__u8 sv_len;		/* bytes */
	__u8 di_words;
	__u8 ai_words;
	__u8 reserved[7];
	__s64 reply_time_ns;	/* CLOCK_REALTIME of that reply, 0 = none */
	/* __u8 sv[sv_len]; __u8 di[2 * di_words]; __u8 ai[2 * ai_words]; */
};

/*
 * SMVE_REC_EVENT: one 10-byte event record of a 0x10 reply, raw and decoded
 * with the firmware dialect (same field meaning as struct mara_event).
 */
struct smve_rec_event {
	__u8 raw[10];
	__u8 type;		/* 0 digital, 1 energy, 2 idle, 3 comsys */
	__u8 calif;
	__u8 addr;		/* address field of the record (5 bits) */
	__u8 source;		/* address of the IED that sent it */
	__u8 status;		/* DIGITAL */
	__u8 port;
	__u8 bit;
	__u8 code;		/* ENERGY/IDLE/COMSYS */
	__u8 channel;
	__u8 motive;
	__u16 year;
	__u8 month;
	__u8 day;
	__u8 hour;
	__u8 minute;
	__u8 second;
	__u8 has_seconds;
	__u16 frac;		/* 1/32768 s */
	__u8 time_valid;
	__u8 index;		/* position within its reply */
	__u8 reply_seq;
	__u8 reserved[3];
	__u32 value;		/* ENERGY */
};

/* SMVE_REC_STATUS */
enum smve_status {
	SMVE_STATUS_ONLINE = 1,		/* first valid reply, or recovered */
	SMVE_STATUS_OFFLINE = 2,	/* retries+1 attempts failed */
	SMVE_STATUS_CREATED = 3,	/* node (and ring) created */
	SMVE_STATUS_DETACHED = 4,	/* bus detached or IED removed */
	SMVE_STATUS_LAYOUT = 5,		/* reply layout mismatch (detail) */
};

struct smve_rec_status {
	__u32 status;		/* enum smve_status */
	__u32 detail;		/* OFFLINE: last failure (enum smve_fail) */
	__u64 value;		/* OFFLINE: failed attempts */
};

enum smve_fail {
	SMVE_FAIL_NONE = 0,
	SMVE_FAIL_TIMEOUT = 1,
	SMVE_FAIL_CHECKSUM = 2,
	SMVE_FAIL_MALFORMED = 3,
	SMVE_FAIL_COMMAND = 4,	/* reply with an unexpected CMD */
};

/*
 * SMVE_REC_COMMAND: outcome of one command transaction (SMVE_IOC_TRANSACT
 * or write()).  Followed by req_len request frame bytes and resp_len reply
 * frame bytes (whole frames, SOF to BCC).
 */
enum smve_cmd_outcome {
	SMVE_CMD_OK = 0,	/* valid reply (0x13: echo matches) */
	SMVE_CMD_REFUSED = 1,	/* 0x13 reply with Bit = FF */
	SMVE_CMD_MISMATCH = 2,	/* 0x13 echo differs from the request */
	SMVE_CMD_UNKNOWN = 3,	/* every attempt timed out: outcome unknown */
	SMVE_CMD_FAILED = 4,	/* every attempt got a bad/wrong reply */
	SMVE_CMD_ABORTED = 5,	/* bus detached / IED removed before sending */
};

struct smve_rec_command {
	__u32 id;		/* smve_transact.id, or a per-IED count of write()s from 1 */
	__u32 outcome;		/* enum smve_cmd_outcome */
	__u8 cmd;
	__u8 seq;		/* SEQ used (last attempt) */
	__u8 attempts;
	__u8 req_len;
	__u8 resp_len;
	__u8 reserved[3];
	/* __u8 request[req_len]; __u8 reply[resp_len]; */
};

/* --- ioctls on /dev/smve<B>.<A> ------------------------------------------- */

#define SMVE_IOC_MAGIC		0xE9

struct smve_node_info {
	__u32 version;		/* SMVE_UAPI_VERSION */
	__u32 bus;		/* B */
	__u32 address;		/* A */
	__u32 online;
	__u64 epoch;
	__u64 first_seq;	/* oldest record still in the ring */
	__u64 next_seq;		/* sequence number of the next record */
	__u64 cursor;		/* this file's position */
	__u32 ring_records;	/* capacity */
	__u32 consumer;		/* a journaling consumer is attached */
	__u64 committed_seq;	/* consumer's last commit */
};

/* Counters of one IED (also in sysfs, one value per file). */
struct smve_ied_stats {
	__u64 polls;		/* requests sent, retries included */
	__u64 replies;		/* valid replies with the SEQ sent */
	__u64 timeouts;
	__u64 retries;
	__u64 stale;		/* replies with SEQ != sent (M3) */
	__u64 checksum_errors;
	__u64 malformed;	/* bad sections / unexpected CMD */
	__u64 events;		/* event records stored */
	__u64 offline_count;	/* online -> offline transitions */
	__u64 ack_waits;	/* polls repeated waiting for a commit */
	__u64 commands;
	__u64 records_overrun;	/* ring records dropped by wrap-around */
};

/* Transaction of one command frame (the control path). */
struct smve_transact {
	__u32 id;		/* in: echoed in the COMMAND record */
	__u32 timeout_ms;	/* in: wait limit, 0 = until done */
	__u8 cmd;		/* in: CMD byte; 0x10 and 0x12 are refused */
	__u8 req_len;		/* in: payload bytes in req[] */
	__u8 resp_len;		/* out: reply frame bytes in resp[] */
	__u8 attempts;		/* out */
	__u32 outcome;		/* out: enum smve_cmd_outcome */
	__u64 record_seq;	/* out: seq of the COMMAND record */
	__u8 req[248];		/* in: payload (up to MARA_PAYLOAD_MAX) */
	__u8 resp[256];		/* out: whole reply frame */
};

#define SMVE_CONSUMER_DETACH	0
#define SMVE_CONSUMER_ATTACH	1

/* Fill struct smve_node_info. */
#define SMVE_IOC_INFO		_IOR(SMVE_IOC_MAGIC, 0x01, struct smve_node_info)
/* Records this file lost to overruns since the last call (then 0). */
#define SMVE_IOC_LOST		_IOR(SMVE_IOC_MAGIC, 0x02, __u64)
/* Per-IED counters. */
#define SMVE_IOC_IED_STATS	_IOR(SMVE_IOC_MAGIC, 0x03, struct smve_ied_stats)
/*
 * Attach (1) or detach (0) this file as the node's journaling consumer.
 * Needs a file opened for writing.  EBUSY if another file is attached.
 * Closing the file detaches it.
 */
#define SMVE_IOC_CONSUMER	_IOW(SMVE_IOC_MAGIC, 0x04, __u32)
/* Consumer only: every record with seq <= the argument is durably stored. */
#define SMVE_IOC_COMMIT		_IOW(SMVE_IOC_MAGIC, 0x05, __u64)
/* Control path: needs a file opened for writing; blocks until done. */
#define SMVE_IOC_TRANSACT	_IOWR(SMVE_IOC_MAGIC, 0x06, struct smve_transact)

/* --- ioctls on the tty the line discipline is attached to ----------------- */

/* smve_bus_config.mask bits: which fields SMVE_IOC_BUS_SET_CONFIG applies. */
#define SMVE_CFG_MASTER_ADDR		_BITUL(0)
#define SMVE_CFG_POLL_INTERVAL		_BITUL(1)
#define SMVE_CFG_RESPONSE_TIMEOUT	_BITUL(2)
#define SMVE_CFG_INTERCHAR_TIMEOUT	_BITUL(3)
#define SMVE_CFG_GUARD			_BITUL(4)
#define SMVE_CFG_BROADCAST_GUARD	_BITUL(5)
#define SMVE_CFG_RETRIES		_BITUL(6)
#define SMVE_CFG_OFFLINE_REPROBE	_BITUL(7)
#define SMVE_CFG_PEH_INTERVAL		_BITUL(8)
#define SMVE_CFG_PEH_UTC_OFFSET		_BITUL(9)
#define SMVE_CFG_PEH_ENABLE		_BITUL(10)

/*
 * Bus configuration.  The four timing fields accept 0 = automatic (derived
 * from the character time, recomputed on every baud change); GET returns
 * the effective values and sets the matching SMVE_CFG_* bit in auto_mask
 * for each automatic one.
 */
struct smve_bus_config {
	__u32 mask;			/* SET: fields to apply */
	__u32 auto_mask;		/* GET: fields currently automatic */
	__u32 master_addr;		/* 1..254, default 1 */
	__u32 poll_interval_us;		/* pause between polls, default 0 */
	__u32 response_timeout_us;	/* TO3, auto 15 Tc + 5 ms */
	__u32 interchar_timeout_us;	/* gap limit, auto 16 Tc + 5 ms */
	__u32 guard_us;			/* idle before a request, auto 5 Tc */
	__u32 broadcast_guard_us;	/* after PEH, auto 5 Tc + 10 ms */
	__u32 retries;			/* 0..15, default 3 */
	__u32 offline_reprobe_ms;	/* default 10000 */
	__u32 peh_interval_s;		/* default 60, 0 = periodic PEH off */
	__s32 peh_utc_offset_s;		/* station local time - UTC */
	__u32 peh_enable;		/* default 1; 0 suppresses every PEH */
	__u32 char_time_ns;		/* GET only */
	__u32 bus;			/* GET only: B of smve<B> */
	__u32 reserved;
};

/* Log-scale latency histogram summary, nanoseconds. */
struct smve_hist_summary {
	__u64 count;
	__u64 min_ns;
	__u64 p50_ns;
	__u64 p99_ns;
	__u64 max_ns;
};

struct smve_bus_stats {
	__u64 frames_sent;
	__u64 frames_received;	/* valid frames (any address) */
	__u64 checksum_errors;
	__u64 timeouts;
	__u64 retries;
	__u64 stale_replies;
	__u64 wrong_source;	/* frames from another SRC, dropped */
	__u64 unsolicited;	/* frames while nothing was pending */
	__u64 echoes;		/* own frames echoed back, dropped */
	__u64 resyncs;
	__u64 bytes_discarded;
	__u64 interchar_aborts;	/* stalled replies aborted */
	__u64 cycles;		/* completed round-robin rounds */
	__u64 peh_sent;
	__u64 rx_overruns;	/* bytes lost between tty and master */
	struct smve_hist_summary turnaround;	/* reply/timeout -> next TX */
	struct smve_hist_summary latency;	/* end of TX -> reply complete */
	struct smve_hist_summary cycle;		/* one round-robin round */
};

/* The IED set as a bitmap of addresses 1..254 (bit A of word A / 64). */
struct smve_bus_ieds {
	__u64 map[4];
};

/*
 * Layout text in the libsmve syntax ("2:6,1,2 3:6,1,2"), NUL terminated;
 * an empty text takes sections as they come.
 */
struct smve_bus_layout {
	char text[1024];
};

#define SMVE_IOC_BUS_GET_CONFIG	_IOR(SMVE_IOC_MAGIC, 0x40, struct smve_bus_config)
#define SMVE_IOC_BUS_SET_CONFIG	_IOW(SMVE_IOC_MAGIC, 0x41, struct smve_bus_config)
#define SMVE_IOC_BUS_GET_STATS	_IOR(SMVE_IOC_MAGIC, 0x42, struct smve_bus_stats)
#define SMVE_IOC_BUS_GET_IEDS	_IOR(SMVE_IOC_MAGIC, 0x43, struct smve_bus_ieds)
#define SMVE_IOC_BUS_SET_IEDS	_IOW(SMVE_IOC_MAGIC, 0x44, struct smve_bus_ieds)
#define SMVE_IOC_BUS_GET_LAYOUT	_IOR(SMVE_IOC_MAGIC, 0x45, struct smve_bus_layout)
#define SMVE_IOC_BUS_SET_LAYOUT	_IOW(SMVE_IOC_MAGIC, 0x46, struct smve_bus_layout)
/* Reset the bus counters and histograms. */
#define SMVE_IOC_BUS_RESET_STATS	_IO(SMVE_IOC_MAGIC, 0x47)

#endif /* _UAPI_LINUX_SMVE_H */
