/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Local RS485 buses owned by smve.ko: every /dev/smve<B>.<A> node of a
 * configured [bus TTY], found at start and followed with a libudev monitor
 * (add/remove), read as the node's journaling consumer.  The cursor (ring
 * epoch + next record sequence, keyed by tty and address) is committed in
 * the same transaction as the records' events, and only then is the kernel
 * told (SMVE_IOC_COMMIT) that it may acknowledge them to the IED.  Overruns
 * (EPIPE) and ring restarts that skipped records become "data_lost" events.
 * The bus settings of the configuration (IEDs, layout, PEH interval, UTC
 * offset kept right across DST changes, PEH enable withheld while the host
 * clock is not synchronised) are applied through sysfs.
 */
#ifndef SMVED_SOURCE_NODE_H
#define SMVED_SOURCE_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smved.h"

struct buses;

/*
 * Start following the buses of sm->cfg.  Without libudev events (no udev
 * daemon, e.g. in a container) nodes present at start are still read.
 * NULL after logging why.
 */
struct buses *buses_new(struct smved *sm);
/* Reconcile with a reloaded sm->cfg: buses added, removed or changed.  0 or -1. */
int buses_apply(struct buses *b);
void buses_free(struct buses *b);
/* Re-apply the PEH settings now (the host clock's synchronisation changed). */
void buses_refresh_peh(struct buses *b);
/* Statistics of every bus (one entry per [bus]). */
int buses_foreach(struct buses *b,
		  int (*fn)(const struct smved_source_info *si, void *arg), void *arg);
/* A 0x13 for DI point @id of a bus IED; see smved_control().  -ENOENT when not ours. */
int buses_control(struct buses *b, uint32_t id, int state,
		  void (*done)(int result, void *arg), void *arg);

/*
 * Tests without a kernel: @len bytes of whole records (as smve.ko returns
 * them, at most 64 KiB) are read through a pipe standing in for node @addr
 * of bus @tty, exactly as from the device.  Returns the records handled,
 * or -1 (a malformed record: the ones before it are kept).
 */
int buses_feed(struct buses *b, const char *tty, unsigned addr, const uint8_t *buf,
	       size_t len);

#endif /* SMVED_SOURCE_NODE_H */
