/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Batched non-blocking socket sends through io_uring, for the WebSocket tick fan-out: the same
 * pre-framed delta goes to hundreds of sockets, and on virtualised hosts with page-table
 * isolation one system call costs about as much as the loopback TCP work of a small send (see
 * docs/design-notes.md, "WebSocket feed costs").  Up to WS_URING_BATCH sends are submitted with
 * one io_uring_enter(); every send is flagged MSG_DONTWAIT, so the kernel runs it inline and never
 * keeps it pending: when ws_uring_flush() returns, every send has completed and been reported,
 * the buffers are no longer referenced, and a full socket is reported as -EAGAIN (nothing sent)
 * rather than waited for.  Single-threaded: one ring per event loop.
 */
#ifndef SMVED_WS_URING_H
#define SMVED_WS_URING_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define WS_URING_BATCH	256

struct ws_uring;

/*
 * The result of one send: bytes sent (possibly fewer than asked: the socket filled up), or
 * -errno (-EAGAIN: the socket was full, nothing was sent).  user and obj are as given to
 * ws_uring_send().
 */
typedef void (*ws_uring_done_fn)(void *user, void *obj, ssize_t res);

/*
 * A ring for batches of sends reported to done.  NULL with errno set when the kernel has no
 * io_uring, refuses it (seccomp, io_uring_disabled) or lacks IORING_OP_SEND: callers then send
 * with send(2).
 */
struct ws_uring *ws_uring_new(ws_uring_done_fn done);
void ws_uring_free(struct ws_uring *u);

/*
 * Queues a send of buf[0..len) on fd (len ≤ WS_URING_MAX_LEN).  buf must stay valid and fd open
 * until the send is reported, which happens in this call (when the batch is full) or in the next
 * ws_uring_flush().  Sends to one fd are made in the order queued.
 */
#define WS_URING_MAX_LEN	(1u << 30)
void ws_uring_send(struct ws_uring *u, int fd, const void *buf, size_t len, void *user, void *obj);

/*
 * Submits the queued sends and reports each one to done, in the order queued.  Returns 0, or
 * -errno when the ring itself failed: sends it may or may not have made are then reported as
 * -EIO (the caller must drop those connections: their stream position is unknown) and the ring
 * refuses further use (ws_uring_broken()).
 */
int ws_uring_flush(struct ws_uring *u);

/* True after a failure of the ring itself: free it and fall back to send(2). */
bool ws_uring_broken(const struct ws_uring *u);

#endif
