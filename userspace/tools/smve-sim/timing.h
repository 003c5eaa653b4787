/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smve-sim: --timing-log FILE for the bus benchmarks.  JSON lines, times
 * in CLOCK_MONOTONIC ns as seen by the simulator (when it read the bytes
 * or finished pacing them out):
 *
 *   {"ev":"req","t":T,"end":T,"dst":5,"src":1,"seq":128,"cmd":16,"len":8,
 *    "turnaround_us":412.3}
 *      one per frame received; "t" = first byte read, "end" = last byte
 *      read; turnaround_us = t minus the end of the last reply we sent
 *      (the master's turnaround as seen on the wire; null before any reply)
 *   {"ev":"reply","t":T,"end":T,"src":5,"seq":128,"len":24}
 *      one per reply sent; "end" = estimated end of its last byte
 *   {"ev":"cycle","n":3,"t":T,"dur_us":D,"polls":11}
 *      a polling cycle ends when a 0x10 goes to an address already polled
 *      in the current cycle; "t" is the first byte of the cycle's first
 *      poll, dur_us runs to the first byte of the poll that starts the next
 *
 * Lines are flushed as written.
 */
#ifndef SMVE_SIM_TIMING_H
#define SMVE_SIM_TIMING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <smve/mara.h>

struct timing {
	FILE *f;
	int64_t last_reply_end;	/* 0: none yet */
	int64_t cycle_start;	/* 0: no cycle yet */
	uint64_t cycle_n;
	unsigned int polls;
	uint8_t seen[32];	/* addresses polled in this cycle (bitmap) */
};

/* Open @path (NULL: disabled); exits with a message on failure. */
void timing_open(struct timing *t, const char *path);
void timing_close(struct timing *t);
void timing_request(struct timing *t, const struct mara_frame *f,
		    unsigned int len, int64_t first, int64_t last);
void timing_reply(struct timing *t, uint8_t src, uint8_t seq,
		  unsigned int len, int64_t start, int64_t end);

#endif
