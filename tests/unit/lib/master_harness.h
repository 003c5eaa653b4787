/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Harness of the sans-I/O TCP master tests: one master object driven with a fake monotonic
 * clock (now), results of the last tick()/feed() in res[0..nres), and builders of 0x10 replies
 * for a 3-IED station (layout3: 1:6,3,4 2:6,1,2 3:6,1,2).
 */
#ifndef MASTER_HARNESS_H
#define MASTER_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <smve/master.h>

#define MAXRES 16

extern struct smve_master m;
extern struct smve_master_result res[MAXRES];
extern unsigned int nres;
extern uint64_t now;
extern int clock_synced;		/* fake_clock() fails when 0 */
extern unsigned int clock_calls;
extern const struct mara_layout layout3;

/* Station clock 2014-02-06 19:35:27.5 local (a Thursday). */
int fake_clock(void *ctx, int64_t *secs, uint32_t *nsec);
/* Spec defaults with fake_clock. */
void cfg_base(struct smve_master_config *c);
/* Init from @c and @st (may be NULL) at a fixed now, and connect. */
void start(const struct smve_master_config *c, const struct smve_master_state *st);
void keep(const struct smve_master_result *r);
/* Run the timers at now; results in res[]. */
void tick(void);
/* Copy what the master wants written to @out, mark it written; returns its length. */
size_t take_output(uint8_t *out);
/* Feed bytes; results in res[]. */
void feed(const uint8_t *data, size_t len);
/* Tick, then expect exactly a poll with @seq written (a TAP check). */
bool expect_poll(uint8_t seq, const char *what);
/* Tick, then expect nothing written (a TAP check). */
bool expect_quiet(const char *what);
/* A 0x10 reply, @nev ENERGY events valued from @evbase, SV[0] = @sv0; returns its length. */
size_t build_reply(uint8_t *buf, uint8_t dst, uint8_t src, uint8_t seq, unsigned int nev,
		   uint8_t sv0, uint32_t evbase);
/* Feed a reply 0x40 <- 0x01 with @nev events valued from 100. */
void reply(uint8_t seq, unsigned int nev);
/* Poll @seq, reply, commit; the clock moves on by the poll interval. */
void transaction(uint8_t seq, const char *what);

#endif
