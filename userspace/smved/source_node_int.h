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
struct node *node_new(struct bus *b, unsigned addr, struct smve_node *sn);
void node_open(struct bus *b, const char *path, unsigned addr);
void node_close(struct node *n);
int node_drain(struct node *n);
int node_control(struct node *n, const struct binding *bd, int state,
		 void (*done)(int result, void *arg), void *arg);

#endif /* SMVED_SOURCE_NODE_INT_H */
