// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Bus node records through the journal's group commit (writer thread), without a kernel: a
 * socket stands in for the node and the SMVE_IOC_COMMIT ioctl is caught below.  Checks that a
 * read batch and its cursor commit in the same transaction as another source's pending batch,
 * that the kernel is told (SMVE_IOC_COMMIT) only after that commit, and with the cursor
 * already on disk, that the node is not read while its batch is in flight (back-pressure:
 * at most one batch in memory), that every record is stored exactly once, and that a SIGKILL
 * between reading and committing loses nothing: the cursor still names the first record of
 * the lost batch, and reading again stores each of its events once.  A failed group commit:
 * the kernel is not told, the node is read again from its committed cursor after a pause, and
 * the online transition lost with the batch is journalled again.  Also the control timeout
 * derived from the bus timing when none is configured.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <linux/smve.h>
#include <sqlite3.h>
#include <smve/node.h>

#include "config.h"
#include "journal.h"
#include "smved.h"
#include "source_node.h"
#include "source_node_int.h"
#include "store.h"
#include "files.h"
#include "tap.h"

#define NREC	600	/* more than one batch (BATCH_RECORDS) */

static int dev_fd = -1;
static const char *dev_key = "node:ttyS9.2";	/* its cursor in the journal */
static long long seeked = -1;			/* the last seek on it */
static struct journal *jnl;
static int ncommits;
static uint64_t commit_seq[8];
static uint64_t cursor_at_commit[8];	/* the journal's cursor when the kernel was told */

/* The fake node's SMVE_IOC_COMMIT; every other ioctl goes to the kernel. */
int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd == dev_fd && req == SMVE_IOC_COMMIT) {
		struct journal_state js;

		if (ncommits < 8) {
			commit_seq[ncommits] = *(uint64_t *)arg;
			cursor_at_commit[ncommits] =
				journal_get_state(jnl, dev_key, &js) == 1 ? js.cursor : 0;
		}
		ncommits++;
		return 0;
	}
	return (int)syscall(SYS_ioctl, fd, req, arg);
}

/* The fake node's seek (smve_node_seek()): remembered; the test delivers the records again. */
off_t lseek(int fd, off_t off, int whence)
{
	if (fd == dev_fd && whence == SEEK_SET) {
		seeked = (long long)off;
		return off;
	}
	return (off_t)syscall(SYS_lseek, fd, off, whence);
}

static void diag(void *ctx, const char *msg)
{
	(void)ctx;
	tap_diag("%s", msg);
}

/* Records @first..@last: one EVENT each, raw bytes distinct (no duplicates among them). */
static size_t put_events_from(uint8_t *buf, size_t cap, uint64_t first, uint64_t last,
			      uint8_t src)
{
	size_t len = 0;

	for (uint64_t s = first; s <= last; s++) {
		struct smve_rec_event ev = { .raw = { 0x02, 0x93, 14, 1, 13, 16, 15,
						      (uint8_t)(s & 0xFF), (uint8_t)(s >> 8), 0x14 },
					     .source = src };
		struct smve_record h = { .seq = s, .epoch = 0x1234,
					 .time_ns = 1700000000000000000LL, .type = SMVE_REC_EVENT,
					 .len = sizeof(ev) };

		if (len + SMVE_RECORD_SIZE(sizeof(ev)) > cap)
			break;
		memset(buf + len, 0, SMVE_RECORD_SIZE(sizeof(ev)));
		memcpy(buf + len, &h, sizeof(h));
		memcpy(buf + len + sizeof(h), &ev, sizeof(ev));
		len += SMVE_RECORD_SIZE(sizeof(ev));
	}
	return len;
}

static size_t put_events(uint8_t *buf, size_t cap, uint64_t first, uint64_t last)
{
	return put_events_from(buf, cap, first, last, 2);
}

static int count_cb(const struct journal_event *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int count(struct journal *j, const char *type)
{
	struct journal_filter f = { .type = type, .limit = 10000 };
	int n = 0;

	journal_query(j, &f, count_cb, &n);
	return n;
}

struct env {
	char dir[64];
	struct smved sm;
	struct buses *bs;
};

static int env_open(struct env *e, bool writer)
{
	char p[128], err[256];
	struct journal_opts jo = { 0 };

	memset(&e->sm, 0, sizeof(e->sm));
	snprintf(p, sizeof(p), "%s/smved.conf", e->dir);
	e->sm.cfg = config_load(p, diag, NULL);
	snprintf(p, sizeof(p), "%s/j.db", e->dir);
	jo.path = p;
	jo.dedup_days = 7;
	e->sm.journal = e->sm.cfg ? journal_open(&jo, err, sizeof(err)) : NULL;
	e->sm.store = store_new();
	e->sm.base = event_base_new();
	if (!e->sm.journal || !e->sm.base ||
	    (writer && journal_start_writer(e->sm.journal, e->sm.base) < 0))
		return -1;
	e->bs = buses_new(&e->sm);
	jnl = e->sm.journal;
	return e->bs ? 0 : -1;
}

static void env_close(struct env *e)
{
	buses_free(e->bs);
	journal_close(e->sm.journal);
	event_base_free(e->sm.base);
	store_free(e->sm.store);
	config_free(e->sm.cfg);
	jnl = NULL;
}

static void other_done(void *owner, const struct journal_result *res, void *user)
{
	(void)user;
	*(int *)owner = res->status ? -1 : (int)res->stored;
}

static void test_group_commit(struct env *e)
{
	static uint8_t buf[64 * 1024];
	size_t len = put_events(buf, sizeof(buf), 1, NREC);
	struct journal_stats s0, s1;
	struct journal_state js;
	struct smve_node *sn;
	struct node *n;
	int sv[2], other = 0, got;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0 ||
	    smve_node_from_fd(sv[0], &sn) < 0 || !(n = node_new(e->bs->list, 2, sn))) {
		OK(0, "a socket standing in for IED 2's node");
		return;
	}
	dev_fd = sv[0];
	n->consumer = true;
	if (!OK(write(sv[1], buf, len) == (ssize_t)len, "%d records pending on the node", NREC))
		return;

	/* The disk is slow: the first batch waits in the writer's queue. */
	journal_writer_hold(e->sm.journal, true);
	journal_get_stats(e->sm.journal, &s0);
	IS(node_drain(n), BATCH_RECORDS, "one batch read (%d records)", BATCH_RECORDS);
	OK(n->inflight, "and handed to the writer thread");
	IS(node_drain(n), 0, "nothing more read while it is in flight (back-pressure)");
	{
		/* Another source's batch queued behind it: both go into one transaction. */
		struct journal_batch *b = journal_batch_new();
		struct journal_new ev = { .source = "E4", .station = "E4", .ied = 1,
					  .type = "comm", .rx_us = 1, .text = "other source" };

		OK(b && !journal_batch_add(b, &ev) &&
		   !journal_submit(e->sm.journal, b, &other, other_done, NULL, 0),
		   "another source's batch queued");
	}
	for (int i = 0; i < 20; i++) {
		event_base_loop(e->sm.base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	IS(ncommits, 0, "the kernel is not told before the commit");
	IS(journal_get_state(e->sm.journal, "node:ttyS9.2", &js), 0, "nor is the cursor stored");
	IS(count(e->sm.journal, "digital"), 0, "nor any event");

	journal_writer_hold(e->sm.journal, false);
	for (int i = 0; i < 5000 && (ncommits < 2 || count(e->sm.journal, "digital") < NREC); i++) {
		event_base_loop(e->sm.base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	journal_get_stats(e->sm.journal, &s1);
	IS(ncommits, 2, "the kernel told twice, once per batch");
	OK(commit_seq[0] == BATCH_RECORDS && commit_seq[1] == NREC,
	   "of the last record of each batch (%llu, %llu)", (unsigned long long)commit_seq[0],
	   (unsigned long long)commit_seq[1]);
	OK(cursor_at_commit[0] == BATCH_RECORDS + 1 && cursor_at_commit[1] == NREC + 1,
	   "each time with the cursor past it already on disk (%llu, %llu)",
	   (unsigned long long)cursor_at_commit[0], (unsigned long long)cursor_at_commit[1]);
	IS(other, 1, "the other source's batch committed");
	got = count(e->sm.journal, "digital");
	IS(got, NREC, "every record's event stored, once");
	IS((int)(s1.commits - s0.commits), 2, "two transactions: the first with the other source's batch");
	IS((int)(s1.events - s0.events), NREC + 1, "holding every event of both sources");
	OK(!n->inflight && !n->retrying, "reading again once the last batch is durable");
	close(sv[1]);
	dev_fd = -1;
}

static int ied_comm_cb(const struct journal_event *ev, void *arg)
{
	if (ev->ied == 3)
		(*(int *)arg)++;
	return 0;
}

/*
 * The group commit fails (a trigger refuses the inserts): the kernel is not told, the node is
 * not read until a second later, then again from the committed cursor; the online transition
 * lost with the batch is journalled again, and every event is stored once.
 */
static void test_commit_fails(struct env *e)
{
	static uint8_t buf[4096];
	struct smve_rec_status st = { .status = SMVE_STATUS_ONLINE };
	struct journal_filter cf = { .type = "comm" };
	struct journal_state js;
	struct smve_node *sn;
	struct node *n;
	size_t len, hl = SMVE_RECORD_SIZE(sizeof(st));
	int sv[2], commits0 = ncommits, comm = 0, found;
	int64_t t0;

	if (sqlite3_exec(journal_db(e->sm.journal), "CREATE TABLE test_fail(f);"
			 " INSERT INTO test_fail VALUES (1);"
			 " CREATE TRIGGER test_fail BEFORE INSERT ON events"
			 " WHEN (SELECT f FROM test_fail) BEGIN SELECT RAISE(ABORT, 'test'); END;",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0 ||
	    smve_node_from_fd(sv[0], &sn) < 0 || !(n = node_new(e->bs->list, 3, sn))) {
		OK(0, "a failing journal and a node for IED 3");
		return;
	}
	dev_fd = sv[0];
	dev_key = "node:ttyS9.3";
	n->consumer = true;
	/* Record 1: IED 3 online; 2..11: events. */
	{
		struct smve_record h = { .seq = 1, .epoch = 0x1234, .time_ns = 1700000000000000000LL,
					 .type = SMVE_REC_STATUS, .len = sizeof(st) };

		memset(buf, 0, hl);
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), &st, sizeof(st));
	}
	len = hl + put_events_from(buf + hl, sizeof(buf) - hl, 2, 11, 3);
	OK(write(sv[1], buf, len) == (ssize_t)len, "11 records pending on IED 3's node");
	t0 = smved_mono_us();
	IS(node_drain(n), 11, "read and handed to the writer");
	for (int i = 0; i < 5000 && n->inflight; i++) {
		event_base_loop(e->sm.base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	OK(!n->inflight && n->retrying, "the commit failed: reading again later");
	IS(ncommits, commits0, "the kernel was not told");
	IS(seeked, 0, "the node was sought back to its committed cursor (none: the oldest)");
	found = journal_get_state(e->sm.journal, "node:ttyS9.3", &js);
	IS(found, 0, "no cursor stored");
	/* The fake kernel delivers from the cursor again; the disk is fine again. */
	OK(write(sv[1], buf, len) == (ssize_t)len, "the records delivered again");
	sqlite3_exec(journal_db(e->sm.journal), "UPDATE test_fail SET f = 0", NULL, NULL, NULL);
	IS(node_drain(n), 0, "not read before the pause is over");
	for (int i = 0; i < 5000 && ncommits == commits0; i++) {
		event_base_loop(e->sm.base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	/*
	 * The pause is 1 s on libevent's clock, CLOCK_MONOTONIC_COARSE, which lags the precise
	 * clock by up to a tick; a failing disk without a pause would retry within milliseconds.
	 */
	OK(smved_mono_us() - t0 >= 900000, "read again after a pause (a failing disk does not spin)");
	OK(ncommits == commits0 + 1 && commit_seq[commits0 < 8 ? commits0 : 7] == 11,
	   "then committed and the kernel told: record 11");
	found = journal_get_state(e->sm.journal, "node:ttyS9.3", &js);
	OK(found == 1 && js.cursor == 12, "cursor 12 stored");
	IS(count(e->sm.journal, "digital"), NREC + 10, "the ten events stored once");
	journal_query(e->sm.journal, &cf, ied_comm_cb, &comm);
	IS(comm, 1, "the online transition lost with the failed batch is journalled");
	close(sv[1]);
	dev_fd = -1;
	dev_key = "node:ttyS9.2";
}

/*
 * A child reads records 601..700 through a pipe while the writer is held, and is killed
 * before the commit.  Nothing of them may be stored and the cursor must still be 601.
 */
static void test_sigkill(struct env *e, int before)
{
	static uint8_t buf[64 * 1024];
	size_t len = put_events(buf, sizeof(buf), NREC + 1, NREC + 100);
	struct journal_state js;
	int fd[2], status = 0, found;
	char res = '?';
	pid_t pid;

	if (pipe(fd) < 0) {
		OK(0, "pipe");
		return;
	}
	pid = fork();
	if (pid == 0) {
		char c;

		close(fd[0]);
		if (env_open(e, true) < 0)
			_exit(2);
		journal_writer_hold(e->sm.journal, true);
		c = buses_feed(e->bs, "ttyS9", 2, buf, len) == 100 ? 'r' : 'x';
		for (int i = 0; i < 50; i++) {
			event_base_loop(e->sm.base, EVLOOP_NONBLOCK);
			usleep(1000);
		}
		if (write(fd[1], &c, 1) != 1)
			_exit(2);
		raise(SIGKILL);
		_exit(3);
	}
	close(fd[1]);
	if (read(fd[0], &res, 1) != 1)
		res = '?';
	close(fd[0]);
	waitpid(pid, &status, 0);
	IS(res, 'r', "the child read the 100 records");
	OK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "and was killed before the commit");
	if (!OK(env_open(e, true) == 0, "restart"))
		return;
	IS(count(e->sm.journal, "digital"), before, "none of the killed batch's events stored");
	found = journal_get_state(e->sm.journal, "node:ttyS9.2", &js);
	OK(found == 1 && js.cursor == NREC + 1, "the cursor still names its first record (%llu)",
	   (unsigned long long)js.cursor);
	IS(buses_feed(e->bs, "ttyS9", 2, buf, len), 100, "read again from the cursor");
	for (int i = 0; i < 5000 && count(e->sm.journal, "digital") < before + 100; i++) {
		event_base_loop(e->sm.base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	IS(count(e->sm.journal, "digital"), before + 100, "stored now, each once");
	OK(journal_get_state(e->sm.journal, "node:ttyS9.2", &js) == 1 && js.cursor == NREC + 101,
	   "cursor past them");
	env_close(e);
}

int main(void)
{
	struct env e = { .dir = "/tmp/test_smved_node_commit.XXXXXX" };
	char cfg[512];

	if (!mkdtemp(e.dir))
		return 1;
	snprintf(cfg, sizeof(cfg), "[smved]\nstate_dir = %s\nrequire_clock_sync = false\n"
		 "[bus ttyS9]\nstation = B9\nlayout = 2:6,1,2\n", e.dir);
	if (test_write_file(e.dir, "smved.conf", cfg) < 0 || env_open(&e, true) < 0) {
		OK(0, "buses with a journal writer thread");
		return tap_done();
	}
	/* No sysfs bus ttyS9 here: (3 + 2) x (20.625 ms + 300 x 1.041667 ms) + 5 s. */
	IS(bus_command_timeout_ms(e.bs->list), 6665,
	   "command timeout derived from the kernel's default bus timing at 9600 baud");
	test_group_commit(&e);
	test_commit_fails(&e);
	env_close(&e);
	test_sigkill(&e, NREC + 10);	/* IED 2's and IED 3's events so far */
	if (test_remove_tree(e.dir))
		tap_diag("cleanup failed");
	return tap_done();
}
