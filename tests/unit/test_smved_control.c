// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * 0x13 output control through a bus node without a kernel: a socket stands in for the device
 * (what smved write()s arrives at the other end, COMMAND records are written back as smve.ko
 * queues them) and SMVE_IOC_INFO is answered by the ioctl() below.  Checks the request bytes,
 * that a COMMAND record is matched by its request and ring position (the kernel numbers
 * write()s per IED across every file, so its id cannot be predicted), each outcome's result
 * (every attempt timed out: -ETIMEDOUT, "outcome unknown"), other writers' commands and older
 * records ignored, and a node that goes away with a command in flight: outcome unknown too.
 * A record that never comes ends the wait after command_timeout_ms as unknown (a late one
 * completes nothing more); so does an overrun that may have dropped it (EPIPE, faked through
 * read() below: only commands written before the ring's new first record) and a ring restart
 * (a record of another epoch), at once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <event2/event.h>
#include <linux/smve.h>
#include <smve/mara.h>
#include <smve/node.h>

#include "config.h"
#include "journal.h"
#include "smved.h"
#include "source_node.h"
#include "source_node_int.h"
#include "store.h"
#include "files.h"
#include "tap.h"

static int dev_fd = -1;		/* smved's end of the socket */
static uint64_t next_seq = 1;	/* the fake ring's next record */
static uint64_t first_seq = 1;	/* and its oldest */
static uint64_t epoch = 0x1234;
static bool overrun;		/* the next read() of the device fails with EPIPE */

/* The fake device's SMVE_IOC_INFO and SMVE_IOC_LOST; everything else is not a tty-ish ioctl here. */
int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd == dev_fd && req == SMVE_IOC_LOST) {
		*(uint64_t *)arg = 4;
		return 0;
	}
	if (fd != dev_fd || req != SMVE_IOC_INFO) {
		errno = ENOTTY;
		return -1;
	}
	struct smve_node_info *in = arg;

	memset(in, 0, sizeof(*in));
	in->version = SMVE_UAPI_VERSION;
	in->address = 2;
	in->first_seq = first_seq;
	in->next_seq = next_seq;
	return 0;
}

/* The device's read(): EPIPE once when told (the reader fell behind the ring). */
ssize_t read(int fd, void *buf, size_t len)
{
	if (fd == dev_fd && overrun) {
		overrun = false;
		errno = EPIPE;
		return -1;
	}
	return syscall(SYS_read, fd, buf, len);
}

static void diag(void *ctx, const char *msg)
{
	(void)ctx;
	tap_diag("%s", msg);
}

struct result {
	int calls;
	int last;
};

static void done(int result, void *arg)
{
	struct result *r = arg;

	r->calls++;
	r->last = result;
}

/* Write one COMMAND record (seq, outcome, 0x13 request port/bit/state) to the device end. */
static void put_command(int peer, uint64_t seq, uint32_t outcome, uint8_t port, uint8_t bit,
			uint8_t state)
{
	struct mara_control c = { .port = port, .bit = bit, .state = state };
	uint8_t rec[256] = { 0 }, frame[32];
	struct smve_rec_command cmd = { .id = 999, .outcome = outcome, .cmd = MARA_CMD_CONTROL,
					.attempts = 1 };
	int flen = mara_build_control(frame, sizeof(frame), 2, 1, 0x80, &c);
	uint16_t len = (uint16_t)(sizeof(cmd) + (size_t)flen);
	struct smve_record h = { .seq = seq, .epoch = epoch, .time_ns = 1700000000000000000LL,
				 .type = SMVE_REC_COMMAND, .len = len };

	cmd.req_len = (uint8_t)flen;
	memcpy(rec, &h, sizeof(h));
	memcpy(rec + sizeof(h), &cmd, sizeof(cmd));
	memcpy(rec + sizeof(h) + sizeof(cmd), frame, (size_t)flen);
	if (write(peer, rec, SMVE_RECORD_SIZE(len)) != (ssize_t)SMVE_RECORD_SIZE(len))
		tap_diag("short write of a record");
	next_seq = seq + 1;
}

/* The request smved wrote, as "CMD port bit state" bytes; 0 when there was none. */
static int take_request(int peer, uint8_t out[4])
{
	return read(peer, out, 4) == 4;
}

static int count_cb(const struct journal_event *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

/* COMMAND records that do not come, or can no longer come: outcome unknown. */
static void test_lost(struct smved *sm, struct buses *bs, struct node *n, int peer,
		      const struct point *pt, const struct point *pt4)
{
	struct result rt = { 0 }, ra = { 0 }, rb = { 0 }, re = { 0 };
	struct journal_filter jf = { .type = "data_lost" };
	int64_t t0 = smved_mono_us();
	uint8_t req[4];
	int lost = 0;

	IS(buses_control(bs, pt->id, 1, done, &rt), 0, "queued; its record will not come");
	take_request(peer, req);
	for (int i = 0; i < 10000 && !rt.calls; i++) {
		event_base_loop(sm->base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	IS(rt.calls, 1, "completed by smved's own timeout");
	IS(rt.last, -ETIMEDOUT, "as outcome unknown, never \"failed\"");
	OK(smved_mono_us() - t0 >= 300000, "not before command_timeout_ms (300 ms)");
	put_command(peer, next_seq, SMVE_CMD_OK, 0, 3, 1);
	node_drain(n);
	IS(rt.calls, 1, "its record coming late completes nothing more");

	/* An overrun: the ring's oldest record is now past the first command's position. */
	IS(buses_control(bs, pt->id, 0, done, &ra), 0, "a command written at ring record %llu",
	   (unsigned long long)next_seq);
	take_request(peer, req);
	next_seq += 6;
	IS(buses_control(bs, pt4->id, 1, done, &rb), 0, "another at ring record %llu",
	   (unsigned long long)next_seq);
	take_request(peer, req);
	first_seq = next_seq - 2;
	overrun = true;
	node_drain(n);
	IS(ra.calls, 1, "EPIPE: the first one's record may be lost: completed at once");
	IS(ra.last, -ETIMEDOUT, "as outcome unknown");
	IS(rb.calls, 0, "the second one's record is still ahead in the ring: it waits");
	journal_query(sm->journal, &jf, count_cb, &lost);
	IS(lost, 1, "the overrun is journalled as data_lost");
	put_command(peer, next_seq, SMVE_CMD_OK, 0, 4, 1);
	node_drain(n);
	OK(rb.calls == 1 && rb.last == 0, "and completes with its record");

	/* A record of another epoch: the ring restarted, older commands' records are gone. */
	IS(buses_control(bs, pt->id, 1, done, &re), 0, "a command in flight");
	take_request(peer, req);
	epoch = 0x5678;
	put_command(peer, 1, SMVE_CMD_REFUSED, 0, 5, 1);
	node_drain(n);
	IS(re.calls, 1, "a record of a new epoch completes it at once");
	IS(re.last, -ETIMEDOUT, "as outcome unknown");
	first_seq = 1;
}

int main(void)
{
	char tmpl[] = "/tmp/test_smved_control.XXXXXX", p[128];
	struct smved sm = { 0 };
	struct journal_opts jo = { 0 };
	struct result r1 = { 0 }, r2 = { 0 }, r3 = { 0 };
	const struct point *pt, *pt4;
	struct smve_node *sn;
	struct buses *bs;
	struct node *n = NULL;
	uint8_t req[4];
	char err[256];
	int sv[2] = { -1, -1 };
	FILE *f;

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(p, sizeof(p), "%s/smved.conf", tmpl);
	f = fopen(p, "w");
	fprintf(f, "[smved]\nstate_dir = %s\nrequire_clock_sync = false\n[bus ttyS9]\n"
		"station = B9\nlayout = 2:6,1,2\ncommand_timeout_ms = 300\n", tmpl);
	fclose(f);
	sm.cfg = config_load(p, diag, NULL);
	snprintf(p, sizeof(p), "%s/j.db", tmpl);
	jo.path = p;
	sm.journal = sm.cfg ? journal_open(&jo, err, sizeof(err)) : NULL;
	sm.store = store_new();
	sm.base = event_base_new();
	bs = sm.journal ? buses_new(&sm) : NULL;
	if (!bs || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0 ||
	    smve_node_from_fd(sv[0], &sn) < 0 || !(n = node_new(bs->list, 2, sn))) {
		OK(0, "buses, and a socket standing in for IED 2's node");
		return tap_done();
	}
	OK(1, "buses, and a socket standing in for IED 2's node");
	dev_fd = sv[0];
	pt = store_find(sm.store, "B9.2.DI0.3");
	pt4 = store_find(sm.store, "B9.2.DI0.4");
	if (!OK(pt && pt4, "DI points of IED 2"))
		return tap_done();

	/* Executed: the write carries CMD 13, port 0, bit 3, state 1. */
	next_seq = 5;
	IS(buses_control(bs, pt->id, 1, done, &r1), 0, "control queued");
	OK(take_request(sv[1], req) && !memcmp(req, "\x13\x00\x03\x01", 4),
	   "write(): 13 00 03 01 (CMD, port, bit, state)");
	/* A record from before the write with the same request is somebody else's. */
	put_command(sv[1], 4, SMVE_CMD_REFUSED, 0, 3, 1);
	/* Another writer's command (smvectl) on the same IED, after ours was queued. */
	put_command(sv[1], 5, SMVE_CMD_REFUSED, 0, 4, 1);
	node_drain(n);
	IS(r1.calls, 0, "an older record and another request's record are not this control's");
	put_command(sv[1], 6, SMVE_CMD_OK, 0, 3, 1);
	node_drain(n);
	IS(r1.calls, 1, "the matching COMMAND record completes it once");
	IS(r1.last, 0, "executed: 0");
	put_command(sv[1], 7, SMVE_CMD_OK, 0, 3, 1);
	node_drain(n);
	IS(r1.calls, 1, "a later identical record completes nothing more");

	/* Two in flight with the same request: completed in the kernel's (FIFO) order. */
	IS(buses_control(bs, pt4->id, 0, done, &r1), 0, "first of two queued");
	IS(buses_control(bs, pt4->id, 0, done, &r2), 0, "second of two queued");
	OK(take_request(sv[1], req) && take_request(sv[1], req) && !memcmp(req, "\x13\x00\x04\x00", 4),
	   "both written");
	put_command(sv[1], 8, SMVE_CMD_UNKNOWN, 0, 4, 0);
	node_drain(n);
	IS(r1.calls, 2, "the first completes first");
	IS(r1.last, -ETIMEDOUT, "every attempt timed out: -ETIMEDOUT (outcome unknown)");
	IS(r2.calls, 0, "the second still waits");
	put_command(sv[1], 9, SMVE_CMD_REFUSED, 0, 4, 0);
	node_drain(n);
	IS(r2.calls, 1, "the second completes");
	IS(r2.last, -EPERM, "refused (Bit = FF): -EPERM");

	/* The other outcomes. */
	IS(buses_control(bs, pt->id, 0, done, &r2), 0, "queued");
	put_command(sv[1], 10, SMVE_CMD_FAILED, 0, 3, 0);
	node_drain(n);
	IS(r2.last, -EIO, "every attempt got a bad reply: -EIO");
	IS(buses_control(bs, pt->id, 0, done, &r2), 0, "queued");
	put_command(sv[1], 11, SMVE_CMD_ABORTED, 0, 3, 0);
	node_drain(n);
	IS(r2.last, -ENOTCONN, "aborted before sending: -ENOTCONN");
	IS(buses_control(bs, pt->id, 0, done, &r2), 0, "queued");
	put_command(sv[1], 12, 77, 0, 3, 0);
	node_drain(n);
	IS(r2.last, -ETIMEDOUT, "an outcome this smved does not know: unknown, never \"failed\"");
	IS(r2.calls, 4, "each of those four completed exactly once");

	test_lost(&sm, bs, n, sv[1], pt, pt4);

	/* At most four in flight per node. */
	for (int i = 0; i < 4; i++)
		buses_control(bs, pt->id, 1, done, &r3);
	IS(buses_control(bs, pt->id, 1, done, &r3), -EBUSY, "a fifth in flight: -EBUSY");
	/* The node goes away with them in flight: they may have been sent. */
	node_close(n);
	IS(r3.calls, 4, "closing the node completes the four");
	IS(r3.last, -ETIMEDOUT, "as outcome unknown");
	IS(buses_control(bs, pt->id, 1, done, &r3), -ENOTCONN, "no node: -ENOTCONN");
	IS(r3.calls, 4, "and no callback for a control that was not queued");

	close(sv[1]);
	buses_free(bs);
	event_base_free(sm.base);
	journal_close(sm.journal);
	store_free(sm.store);
	config_free(sm.cfg);
	if (test_remove_tree(tmpl))
		tap_diag("cleanup failed");
	return tap_done();
}
