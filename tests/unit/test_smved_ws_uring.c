// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * io_uring send batches (userspace/smved/ws_uring.c): every send reported once, in order, with
 * what the kernel really sent; a full socket reported as -EAGAIN or a short count, never waited
 * for; batches larger than the ring flushed on the way; errors per send.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"
#include "ws_uring.h"

#define NSOCK	(WS_URING_BATCH + 44)	/* more than one batch */

struct report {
	int order[2 * NSOCK];
	ssize_t res[2 * NSOCK];
	int n;
};

static struct report rep;
static int tags[2 * NSOCK];	/* user pointers: &tags[j] reports as j */

static void done(void *user, void *obj, ssize_t res)
{
	free(obj);	/* the first batches' texts: the kernel has copied them */
	if (rep.n < 2 * NSOCK) {
		rep.order[rep.n] = (int)((int *)user - tags);
		rep.res[rep.n] = res;
	}
	rep.n++;
}

int main(void)
{
	static int sv[NSOCK][2];
	char msg[64], got[128];
	struct ws_uring *u = ws_uring_new(done);

	if (!u) {
		tap_skip(strerror(errno), "io_uring unavailable here: smved falls back to send()");
		return tap_done();
	}
	for (int i = 0; i < NSOCK; i++)
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]) || fcntl(sv[i][1], F_SETFL, O_NONBLOCK)) {
			OK(0, "socketpair %d: %s", i, strerror(errno));
			return tap_done();
		}

	/* Two messages per socket, more sends than one ring holds: order and content per socket. */
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < NSOCK; i++) {
			snprintf(msg, sizeof(msg), "m%d.%d;", i, k);
			char *copy = strdup(msg);

			ws_uring_send(u, sv[i][0], copy, strlen(copy), &tags[k * NSOCK + i], copy);
		}
	OK(rep.n >= WS_URING_BATCH, "a full batch is submitted on the way (%d reported before flush)",
	   rep.n);
	IS(ws_uring_flush(u), 0, "flush");
	IS(rep.n, 2 * NSOCK, "every send reported exactly once");
	bool in_order = true, all_sent = true, content = true;

	for (int j = 0; j < 2 * NSOCK && j < rep.n; j++) {
		in_order &= rep.order[j] == j;
		snprintf(msg, sizeof(msg), "m%d.%d;", j % NSOCK, j / NSOCK);
		all_sent &= rep.res[j] == (ssize_t)strlen(msg);
	}
	for (int i = 0; i < NSOCK; i++) {
		char want[128];
		ssize_t n = read(sv[i][1], got, sizeof(got) - 1);

		snprintf(want, sizeof(want), "m%d.0;m%d.1;", i, i);
		content &= n == (ssize_t)strlen(want) && !memcmp(got, want, (size_t)n);
	}
	OK(in_order, "reported in the order queued");
	OK(all_sent, "each report carries the bytes sent");
	OK(content, "each socket received its two messages, in order");

	/* A full socket: never waited for; -EAGAIN or a short count, and exactly that much arrives. */
	static char big[1 << 16];
	int a = sv[0][0], b = sv[0][1];
	ssize_t total = 0, res = 1;

	memset(big, 'x', sizeof(big));
	rep.n = 0;
	for (int round = 0; round < 64 && res > 0; round++) {
		ws_uring_send(u, a, big, sizeof(big), &tags[0], NULL);
		ws_uring_flush(u);
		res = rep.res[rep.n - 1];
		if (res > 0)
			total += res;
	}
	OK(res == -EAGAIN || (res >= 0 && res < (ssize_t)sizeof(big)),
	   "a full socket is reported (-EAGAIN or short), not waited for (last %zd)", res);
	ssize_t drained = 0, n;

	while ((n = read(b, big, sizeof(big))) > 0)
		drained += n;
	IS(drained, total, "the bytes reported sent are the bytes received");

	/* Errors are reported per send: a closed peer gives EPIPE, the next send still works. */
	close(sv[1][1]);
	rep.n = 0;
	ws_uring_send(u, sv[1][0], "x", 1, &tags[1], NULL);
	ws_uring_send(u, sv[2][0], "y", 1, &tags[2], NULL);
	IS(ws_uring_flush(u), 0, "flush with a failing send");
	IS(rep.n, 2, "both reported");
	OK(rep.res[0] == -EPIPE || rep.res[0] == -ECONNRESET, "closed peer: %zd", rep.res[0]);
	IS(rep.res[1], 1, "the other send is unaffected");
	IS(read(sv[2][1], got, sizeof(got)), 1, "and arrived");
	OK(!ws_uring_broken(u), "the ring is still usable");
	IS(ws_uring_flush(u), 0, "an empty flush is a no-op");

	ws_uring_free(u);
	for (int i = 0; i < NSOCK; i++) {
		close(sv[i][0]);
		if (i != 1)
			close(sv[i][1]);
	}
	return tap_done();
}
