/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Inside the bus sources: shared by source_node.c (nodes, records) and source_bus.c (buses, udev). */
#ifndef SMVED_SOURCE_NODE_INT_H
#define SMVED_SOURCE_NODE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "sheets.h"
#include "source_node.h"

struct smve_node;
struct smve_node_record;

#define BATCH_RECORDS	512	/* records per journal transaction */
#define BUS_TIMER_S	30	/* PEH offset (DST) and clock checks */

struct bus;

/*
 * A 0x13 written to the node, waiting for its COMMAND record.  The kernel numbers write()s per
 * IED across every file and open (kernel/README.md "Control path"), so the id in the record
 * cannot be predicted: the record is matched by its request (port, bit, state) instead, and
 * only from the ring position the node had before the write (an older record is not ours).
 */
struct ctl_wait {
	bool used;
	uint64_t min_seq;	/* next ring seq before the write */
	int64_t deadline_us;	/* monotonic: no record by then, the outcome is unknown */
	uint8_t port, bit, state;
	void (*done)(int result, void *arg);
	void *arg;
};

struct node {
	struct node *next;
	struct bus *bus;
	unsigned addr;
	int idx;			/* layout index */
	struct smve_node *sn;		/* libsmve reader (owns the descriptor) */
	bool eof;			/* the node went away */
	struct event *ev;
	char key[80];			/* journal state key "node:<tty>.<A>" */
	uint64_t epoch, cursor;		/* cursor = next record seq to read */
	bool consumer;
	bool online;
	bool online_known;		/* false until a STATE or STATUS record said which */
	/*
	 * Back-pressure: while a batch of records is with the journal's writer (inflight) or
	 * waits to be read again after a failed commit (retrying), the node is not read, so at
	 * most BATCH_RECORDS records per node are held in memory.
	 */
	bool inflight, retrying;
	bool draining;			/* inside node_drain(): completions do not re-enter */
	struct event *retry;		/* re-read after a failed commit */
	struct event *ctl_timer;	/* the earliest ctl[] deadline */
	struct ctl_wait ctl[4];
};

struct bus {
	struct bus *next;
	struct buses *bs;
	struct bus_config cfg;
	struct source_points sp;
	unsigned sv_base[MARA_LAYOUT_MAX], di_base[MARA_LAYOUT_MAX], ai_base[MARA_LAYOUT_MAX];
	struct node *nodes;
	long peh_offset;		/* last applied, LONG_MIN = never */
	int peh_enable;			/* last applied, -1 = never */
	struct smved_source_info info;
};

struct buses {
	struct smved *sm;
	struct udev *udev;
	struct udev_monitor *mon;
	struct event *mon_ev, *timer;
	struct bus *list;
};

/* source_node.c */
void bus_apply_sysfs(struct bus *b, bool full);
/* How long a 0x13 may wait for its COMMAND record (README "Control on a local bus"). */
unsigned bus_command_timeout_ms(struct bus *b);
struct node *node_new(struct bus *b, unsigned addr, struct smve_node *sn);
void node_open(struct bus *b, const char *path, unsigned addr);
void node_close(struct node *n);
/*
 * Read what is pending, a batch of at most BATCH_RECORDS at a time handed to the
 * journal's group commit with the cursor; the next batch is read when the previous one
 * is durable (and the kernel told).  Returns the records read by this call, or -1 after
 * a malformed read (the records before it are kept).
 */
int node_drain(struct node *n);

/* source_node_ctl.c: 0x13 commands written to the node, their COMMAND records, timeouts */
int node_control(struct node *n, const struct binding *bd, int state,
		 void (*done)(int result, void *arg), void *arg);
/* A COMMAND record read from the node: completes the control it answers, if any. */
void node_ctl_record(struct node *n, const struct smve_node_record *r);
/*
 * The COMMAND records of controls in flight can no longer come (@all), or of those
 * written before ring record @first_seq (an overrun dropped records below it): their
 * outcome is unknown now.  @why is logged.
 */
void node_ctl_lost(struct node *n, bool all, uint64_t first_seq, const char *why);

#endif /* SMVED_SOURCE_NODE_INT_H */
