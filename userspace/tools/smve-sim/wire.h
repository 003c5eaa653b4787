/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smve-sim: the simulated RS485 line as seen by the IEDs' transmitters.
 * Bytes leave at the character time Tc = bits / baud: they are written in
 * small groups, each at an absolute CLOCK_MONOTONIC deadline
 * (clock_nanosleep), so the average rate is the baud rate whatever the
 * scheduling jitter.  A line does not buffer: bytes the peer cannot take
 * (full pty, no reader) are dropped.
 */
#ifndef SMVE_SIM_WIRE_H
#define SMVE_SIM_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct wire {
	int fd;			/* -1: nobody connected */
	int64_t tc_ns;		/* character time */
	unsigned int group;	/* bytes per write */
	int64_t tx_end;		/* estimated end of the last byte we sent */
	uint64_t dropped;	/* bytes the peer could not take */
};

/* Character time and write grouping for @baud and @bits per character. */
void wire_init(struct wire *w, unsigned int baud, unsigned int bits);

/*
 * Send @len bytes, the first starting at @start (CLOCK_MONOTONIC ns; the
 * past means now), paced at Tc.  Returns when the last byte has left the
 * simulated line (w->tx_end), or -1 when the peer is gone.
 */
int wire_send(struct wire *w, const uint8_t *buf, size_t len, int64_t start);

/* Sleep until @deadline (CLOCK_MONOTONIC ns). */
void wire_sleep_until(int64_t deadline);

#endif
