/* SPDX-License-Identifier: GPL-2.0 */
/*
 * smve.ko internals shared by its files.
 *
 * Objects and lifetimes:
 *  - struct smve_bus: one per attached tty, kref'd.  The ldisc holds the
 *    initial reference (tty->disc_data) and drops it on close; every IED
 *    holds one.  bus->lock (a mutex) guards configuration, the IED table
 *    and the master state; the bus thread holds it while it works and
 *    never sleeps on anything else with it held.
 *  - struct smve_ied: one per configured address, kref'd.  The bus table
 *    holds one reference until the IED is removed (or the bus shuts down);
 *    each open file and each queued command holds one.  ied->lock (a
 *    spinlock, taken inside bus->lock) guards the ring, state and readers.
 *  - struct smve_cmd: one per control transaction, kref'd by its waiter
 *    and by the bus queue.
 * A dead IED or bus keeps its memory until the last reference goes, so a
 * file of a detached bus stays safe to read (EOF) and close.
 */
#ifndef SMVE_PRIV_H
#define SMVE_PRIV_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/kfifo.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/tty.h>
#include <linux/wait.h>
#include <linux/smve.h>

#include "mara.h"
#include "smve_compat.h"
#include "smve_core.h"

#define SMVE_ADDR_MIN		2
#define SMVE_ADDR_MAX		254
#define SMVE_MAX_IEDS		(SMVE_ADDR_MAX - SMVE_ADDR_MIN + 1)
#define SMVE_RX_FIFO		4096	/* u16 entries: bytes and error marks */
#define SMVE_RX_ERR		0x100	/* fifo entry: byte with a line error */
#define SMVE_MINORS		1024
#define SMVE_RETRIES_MAX	15
#define SMVE_CMDS_MAX		64	/* queued control transactions per bus */
#define SMVE_STALE_WAITS	2	/* stale frames that restart a reply window */

extern atomic_long_t smve_objects;
extern struct class *smve_class;
extern unsigned int smve_ring_records;
extern bool smve_fifo;

/* A stored record: the UAPI header and payload, padded, ready to copy. */
struct smve_rec {
	u32 size;		/* SMVE_RECORD_SIZE(hdr.len) */
	struct smve_record hdr;	/* payload follows */
};

static inline void *smve_rec_payload(struct smve_rec *r)
{
	return &r->hdr + 1;
}

struct smve_file;

struct smve_ied {
	struct kref kref;
	struct smve_bus *bus;		/* referenced */
	u8 addr;
	int minor;
	struct device *dev;

	/* bus->lock */
	struct list_head dead_node;	/* removal, outside bus->lock */
	struct smve_link link;
	struct smve_ied_stats stats;
	s64 last_reply_ns;
	bool layout_bad;
	bool online;			/* published after state and status */

	spinlock_t lock;		/* everything below */
	wait_queue_head_t wq;
	bool dead;
	u64 epoch;
	u32 cap;
	struct smve_rec **slots;	/* seq % cap */
	u64 first, next;
	struct smve_rec *state;		/* coalesced STATE record */
	u64 state_gen;
	struct smve_file *consumer;
	u64 committed;
	u64 cmd_ids;			/* write() transaction ids */
};

struct smve_file {
	struct smve_ied *ied;		/* referenced */
	struct mutex read_lock;		/* one reader per file at a time */
	u64 cursor;
	u64 lost;
	u64 state_seen;
	u8 buf[SMVE_RECORD_MAX];
};

struct smve_cmd {
	struct kref kref;
	struct list_head node;		/* bus->cmds, bus->lock */
	struct smve_ied *ied;		/* referenced */
	struct completion done;
	u32 id;
	u8 cmd;
	u8 payload_len;
	u8 payload[MARA_PAYLOAD_MAX];
	/* results, valid after done */
	u32 outcome;
	u8 seq;
	u8 attempts;
	u8 timeouts;
	u8 req_len;
	u8 resp_len;
	u8 req[MARA_QTY_MAX];
	u8 resp[MARA_QTY_MAX];
	u64 record_seq;
};

enum smve_phase {
	SMVE_IDLE,
	SMVE_WAIT_REPLY,
};

/* Counters of struct smve_bus_stats live in bus->stats (bus->lock). */
struct smve_bus {
	struct kref kref;
	struct mutex lock;		/* see the top of this file */
	struct tty_struct *tty;		/* NULL once shut down */
	char tty_name[64];
	int index;
	struct device *dev;
	struct task_struct *thread;	/* referenced task */
	unsigned long flags;		/* SMVE_BUS_* bits */
	struct hrtimer timer;

	spinlock_t rx_lock;		/* rx, rx_last_ns, rx_first_ns, rx_count, rx_overruns */
	DECLARE_KFIFO(rx, u16, SMVE_RX_FIFO);
	u64 rx_last_ns;			/* delivery time of the newest bytes */
	u64 rx_first_ns;		/* first byte since the last request */
	u32 rx_count;			/* bytes delivered since the last request */
	u64 rx_overruns;

	/* configuration, bus->lock */
	u8 master_addr;
	u32 poll_interval_us;
	struct smve_timing_cfg tcfg;
	u32 retries;
	u32 offline_reprobe_ms;
	u32 peh_interval_s;
	s32 peh_utc_offset_s;
	u32 peh_enable;
	struct mara_layout layout;
	u64 tc_ns;			/* written by set_termios */
	struct smve_timing timing;

	/* IEDs in address order, bus->lock */
	struct mutex ieds_mutex;	/* serialises IED set changes */
	struct smve_ied *ieds[SMVE_MAX_IEDS];
	const struct smve_link *links[SMVE_MAX_IEDS];
	unsigned int n_ieds;

	/* master state, bus thread under bus->lock */
	enum smve_phase phase;
	struct smve_ied *cur;		/* target of the request in flight */
	struct smve_cmd *cur_cmd;	/* when that request is a command */
	struct smve_ied *retry;		/* resend to this IED next */
	struct smve_cmd *active_cmd;	/* taken off cmds, not finished */
	struct list_head cmds;
	unsigned int n_cmds;		/* entries in cmds */
	u8 tx_buf[MARA_QTY_MAX];
	u8 tx_len, tx_done, sent_seq, sent_cmd;
	bool bcc_seen;			/* bad BCC while waiting */
	u8 stale_seen;			/* stale frames in this attempt */
	u32 bcc_base;
	u64 last_rx_ns;
	u64 rx_wire_ns;			/* rx_first_ns + rx_count * Tc, drained */
	u64 stats_pulls;		/* deadlines that flushed pending input */
	u64 stats_pulled;		/* ... and found bytes: a late worker */
	u64 tx_end_ns;			/* estimated end of transmission */
	u64 deadline_ns;		/* reply window */
	u64 earliest_tx_ns;
	u64 txn_end_ns;			/* for the turnaround statistic */
	u64 cycle_start_ns;
	unsigned int rr_next;
	struct mara_reasm reasm;
	struct mara_reasm_stats reasm_base;
	struct smve_peh peh;
	struct smve_bus_stats stats;
	struct smve_hist h_turnaround, h_latency, h_cycle;
};

#define SMVE_BUS_KICK		0
#define SMVE_BUS_DEAD		1
#define SMVE_BUS_TERMIOS	2

/* smve_bus.c: lifetime and hand-over from the tty hooks */
struct smve_bus *smve_bus_create(struct tty_struct *tty);
void smve_bus_shutdown(struct smve_bus *bus);
void smve_bus_put(struct smve_bus *bus);
void smve_bus_kick(struct smve_bus *bus);
void smve_bus_rx(struct smve_bus *bus, const u8 *cp, const u8 *fp,
		 size_t count);
void smve_bus_termios(struct smve_bus *bus);
void smve_bus_config_changed(struct smve_bus *bus);
int smve_bus_set_ieds(struct smve_bus *bus, const unsigned long *map);
int smve_bus_queue_cmd(struct smve_bus *bus, struct smve_cmd *c);
void smve_bus_abort_cmds(struct smve_bus *bus, struct smve_ied *ied);
void smve_bus_timing_update(struct smve_bus *bus);

/* smve_txn.c: the bus thread, bus->lock held */
void smve_txn_tx_more(struct smve_bus *bus, u64 now);
void smve_txn_send_poll(struct smve_bus *bus, struct smve_ied *ied, u64 now);
/* These two return false when nothing went out (a command is then finished). */
bool smve_txn_send_cmd(struct smve_bus *bus, struct smve_cmd *c, u64 now);
bool smve_txn_send_peh(struct smve_bus *bus, u64 now);
void smve_txn_end(struct smve_bus *bus, u64 end_ns, bool retry);
bool smve_txn_drain_rx(struct smve_bus *bus);
bool smve_txn_pull_rx(struct smve_bus *bus);
bool smve_txn_check_reply(struct smve_bus *bus, u64 now, u64 *wake,
			  bool final);

/* smve_sched.c */
int smve_sched_thread(void *data);

/* smve_store.c */
void smve_bus_store_state(struct smve_bus *bus, struct smve_ied *ied,
			  const struct mara_sections *s, u8 seq);
int smve_bus_store_events(struct smve_bus *bus, struct smve_ied *ied,
			  const struct mara_sections *s, u8 seq, u32 flags,
			  u64 *last);
void smve_bus_online_change(struct smve_bus *bus, struct smve_ied *ied,
			    bool online, u32 reason);
void smve_bus_cmd_finish(struct smve_bus *bus, struct smve_cmd *c,
			 u32 outcome);
void smve_bus_stats_fill(struct smve_bus *bus, struct smve_bus_stats *st);
void smve_bus_stats_reset(struct smve_bus *bus);
void smve_bus_config_get(struct smve_bus *bus, struct smve_bus_config *c);
int smve_bus_config_set(struct smve_bus *bus, const struct smve_bus_config *c);

/* smve_ied.c */
struct smve_ied *smve_ied_create(struct smve_bus *bus, u8 addr);
void smve_ied_kill(struct smve_ied *ied);
void smve_ied_put(struct smve_ied *ied);
struct smve_rec *smve_rec_alloc(u16 type, u16 len, u32 flags);
u64 smve_ied_push(struct smve_ied *ied, struct smve_rec *r);
void smve_ied_set_state(struct smve_ied *ied, struct smve_rec *r);
void smve_ied_status(struct smve_ied *ied, u32 status, u32 detail, u64 value);
bool smve_ied_consumer(struct smve_ied *ied, u64 *committed);
void smve_cmd_put(struct smve_cmd *c);
int smve_ied_chrdev_init(void);
void smve_ied_chrdev_exit(void);

/* smve_sysfs.c */
extern const struct attribute_group *smve_bus_groups[];
extern const struct attribute_group *smve_ied_groups[];
int smve_parse_ieds(const char *buf, size_t len, unsigned long *map);
int smve_bus_set_layout(struct smve_bus *bus, const char *text, size_t len);
int smve_bus_get_layout(struct smve_bus *bus, char *buf, size_t cap);

/* smve_ldisc.c */
int smve_ldisc_register(int num);
void smve_ldisc_unregister(void);

#endif /* SMVE_PRIV_H */
