// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* smve-sim: paced transmission on the simulated line (see wire.h). */
#include "wire.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Aim for one write per ~500 us: small enough to look like a line, few syscalls. */
#define WIRE_GROUP_NS	(500 * NSEC_PER_USEC)

void wire_init(struct wire *w, unsigned int baud, unsigned int bits)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->tc_ns = (int64_t)bits * NSEC_PER_SEC / baud;
	if (w->tc_ns < 1)
		w->tc_ns = 1;
	w->group = (unsigned int)(WIRE_GROUP_NS / w->tc_ns);
	if (w->group < 1)
		w->group = 1;
}

void wire_sleep_until(int64_t deadline)
{
	struct timespec ts = { .tv_sec = deadline / NSEC_PER_SEC,
			       .tv_nsec = deadline % NSEC_PER_SEC };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

int wire_send(struct wire *w, const uint8_t *buf, size_t len, int64_t start)
{
	int64_t now = sim_mono_ns();
	size_t i = 0;

	if (w->fd < 0)
		return -1;
	/* The transmitter is busy until our previous byte has left. */
	if (start < w->tx_end)
		start = w->tx_end;
	if (start < now)
		start = now;
	while (i < len) {
		size_t n = len - i < w->group ? len - i : w->group;
		ssize_t r;

		wire_sleep_until(start + (int64_t)i * w->tc_ns);
		r = write(w->fd, buf + i, n);
		if (r < 0) {
			if (errno == EAGAIN) {
				w->dropped += n;	/* nobody is listening */
			} else if (errno != EINTR) {
				sim_log(1, "line write failed: %s",
					strerror(errno));
				return -1;
			} else {
				continue;
			}
		} else if ((size_t)r < n) {
			w->dropped += n - (size_t)r;
		}
		i += n;
	}
	w->tx_end = start + (int64_t)len * w->tc_ns;
	wire_sleep_until(w->tx_end);
	return 0;
}
