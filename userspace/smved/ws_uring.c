// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * io_uring batches for the tick fan-out, with the raw system calls and the kernel's UAPI header
 * (linux/io_uring.h): the ring is used for one thing only, a few dozen lines, and needs no
 * library.  Ring memory is shared with the kernel: the SQ tail we publish with a release store
 * after writing the entries, the CQ tail the kernel publishes we read with an acquire load.
 */
#include "ws_uring.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/io_uring.h>

/* Attempts to reap completions that the kernel has not posted yet (it posts them inline). */
#define REAP_RETRIES	4

struct pending {
	void *user, *obj;
	bool done;
};

struct ws_uring {
	int fd;
	ws_uring_done_fn cb;
	bool broken;
	void *sq_map, *cq_map;
	size_t sq_map_len, cq_map_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
	unsigned entries;
	unsigned nq;		/* sends queued in this batch (SQ tail not yet published) */
	unsigned sq_base;	/* the SQ tail when this batch started */
	struct pending q[WS_URING_BATCH];
};

static int sys_setup(unsigned entries, struct io_uring_params *p)
{
	return (int)syscall(__NR_io_uring_setup, entries, p);
}

static int sys_enter(int fd, unsigned submit, unsigned min_complete, unsigned flags)
{
	return (int)syscall(__NR_io_uring_enter, fd, submit, min_complete, flags, NULL, 0);
}

static int sys_register(int fd, unsigned op, void *arg, unsigned nargs)
{
	return (int)syscall(__NR_io_uring_register, fd, op, arg, nargs);
}

/* Whether the kernel knows IORING_OP_SEND (5.6 and later). */
static bool send_supported(int fd)
{
	size_t sz = sizeof(struct io_uring_probe) + 256 * sizeof(struct io_uring_probe_op);
	struct io_uring_probe *pr = calloc(1, sz);
	bool ok;

	if (!pr)
		return false;
	ok = sys_register(fd, IORING_REGISTER_PROBE, pr, 256) == 0 && pr->last_op >= IORING_OP_SEND &&
	     (pr->ops[IORING_OP_SEND].flags & IO_URING_OP_SUPPORTED);
	free(pr);
	return ok;
}

static void *at(void *base, unsigned off)
{
	return (char *)base + off;
}

void ws_uring_free(struct ws_uring *u)
{
	if (!u)
		return;
	if (u->sqes)
		munmap(u->sqes, u->sqes_len);
	if (u->cq_map && u->cq_map != u->sq_map)
		munmap(u->cq_map, u->cq_map_len);
	if (u->sq_map)
		munmap(u->sq_map, u->sq_map_len);
	if (u->fd >= 0)
		close(u->fd);
	free(u);
}

struct ws_uring *ws_uring_new(ws_uring_done_fn done)
{
	struct io_uring_params p;
	struct ws_uring *u = calloc(1, sizeof(*u));
	int err = ENOMEM;

	if (!u)
		return NULL;
	memset(&p, 0, sizeof(p));
	u->cb = done;
	u->fd = sys_setup(WS_URING_BATCH, &p);
	if (u->fd < 0) {
		err = errno;
		goto fail;
	}
	if (!send_supported(u->fd) || p.sq_entries < WS_URING_BATCH ||
	    p.cq_entries < WS_URING_BATCH) {
		err = EOPNOTSUPP;
		goto fail;
	}
	u->entries = p.sq_entries;
	u->sq_map_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	u->cq_map_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (u->cq_map_len > u->sq_map_len)
			u->sq_map_len = u->cq_map_len;
		u->cq_map_len = u->sq_map_len;
	}
	u->sq_map = mmap(NULL, u->sq_map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
			 u->fd, IORING_OFF_SQ_RING);
	if (u->sq_map == MAP_FAILED) {
		u->sq_map = NULL;
		err = errno;
		goto fail;
	}
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		u->cq_map = u->sq_map;
	} else {
		u->cq_map = mmap(NULL, u->cq_map_len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_POPULATE, u->fd, IORING_OFF_CQ_RING);
		if (u->cq_map == MAP_FAILED) {
			u->cq_map = NULL;
			err = errno;
			goto fail;
		}
	}
	u->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	u->sqes = mmap(NULL, u->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, u->fd,
		       IORING_OFF_SQES);
	if (u->sqes == MAP_FAILED) {
		u->sqes = NULL;
		err = errno;
		goto fail;
	}
	u->sq_head = at(u->sq_map, p.sq_off.head);
	u->sq_tail = at(u->sq_map, p.sq_off.tail);
	u->sq_mask = at(u->sq_map, p.sq_off.ring_mask);
	u->sq_array = at(u->sq_map, p.sq_off.array);
	u->cq_head = at(u->cq_map, p.cq_off.head);
	u->cq_tail = at(u->cq_map, p.cq_off.tail);
	u->cq_mask = at(u->cq_map, p.cq_off.ring_mask);
	u->cqes = at(u->cq_map, p.cq_off.cqes);
	u->sq_base = *u->sq_tail;
	return u;
fail:
	ws_uring_free(u);
	errno = err;
	return NULL;
}

bool ws_uring_broken(const struct ws_uring *u)
{
	return u->broken;
}

void ws_uring_send(struct ws_uring *u, int fd, const void *buf, size_t len, void *user, void *obj)
{
	if (u->nq == WS_URING_BATCH)
		ws_uring_flush(u);
	if (u->broken || len > WS_URING_MAX_LEN) {
		u->cb(user, obj, u->broken ? -EIO : -EMSGSIZE);
		return;
	}
	unsigned tail = u->sq_base + u->nq;
	unsigned idx = tail & *u->sq_mask;
	struct io_uring_sqe *sqe = &u->sqes[idx];

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = IORING_OP_SEND;
	sqe->fd = fd;
	sqe->addr = (uint64_t)(uintptr_t)buf;
	sqe->len = (uint32_t)len;
	/* MSG_DONTWAIT: completed inline (-EAGAIN when full), never parked on the socket. */
	sqe->msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
	sqe->user_data = u->nq;
	u->sq_array[idx] = idx;
	u->q[u->nq++] = (struct pending){ user, obj, false };
}

/* Reports the completions the kernel has posted; returns how many. */
static unsigned reap(struct ws_uring *u)
{
	unsigned head = *u->cq_head, tail = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);
	unsigned n = 0;

	for (; head != tail; head++) {
		const struct io_uring_cqe *cqe = &u->cqes[head & *u->cq_mask];
		uint64_t i = cqe->user_data;

		/* Only our own user_data (batch index) can appear; anything else is ignored. */
		if (i < u->nq && !u->q[i].done) {
			u->q[i].done = true;
			u->cb(u->q[i].user, u->q[i].obj, cqe->res);
			n++;
		}
	}
	__atomic_store_n(u->cq_head, head, __ATOMIC_RELEASE);
	return n;
}

int ws_uring_flush(struct ws_uring *u)
{
	unsigned n = u->nq, done = 0, idle = 0;
	int err = 0;

	if (!n)
		return 0;
	__atomic_store_n(u->sq_tail, u->sq_base + n, __ATOMIC_RELEASE);
	while (done < n) {
		unsigned left = u->sq_base + n - __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE);
		int r = sys_enter(u->fd, left, 0, left ? 0 : IORING_ENTER_GETEVENTS);

		if (r < 0 && errno != EINTR && errno != EAGAIN && errno != EBUSY) {
			err = -errno;
			break;
		}
		unsigned got = reap(u);

		done += got;
		/* Nothing submitted or completed for a while: the ring does not work as assumed. */
		idle = (got || r > 0) ? 0 : idle + 1;
		if (idle > REAP_RETRIES) {
			err = -EIO;
			break;
		}
	}
	if (err) {
		/* Sends in an unknown state: the caller drops those connections. */
		u->broken = true;
		for (unsigned i = 0; i < n; i++)
			if (!u->q[i].done)
				u->cb(u->q[i].user, u->q[i].obj, -EIO);
	}
	u->sq_base += n;
	u->nq = 0;
	return err;
}
