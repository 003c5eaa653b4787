// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The journal's group commit (journal_writer.c): batches of several sources
 * queued while the writer is busy go into ONE transaction (commits counter
 * vs events), completions run on the loop in submission order after the
 * commit, subscribers hear of the events in id order, the duplicate filter
 * works across batches, cancelled owners are never called back, and a crash
 * between submit and commit neither stores part of a batch nor lets its
 * callback (the acknowledgement) run.  Trend samples join the same commit.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "history.h"
#include "journal.h"
#include "tap.h"

static char path[256];

struct rec {
	int calls;
	int order[16];
	struct journal_result res[16];
	int64_t notified[64];
	int nnotified;
};

static struct journal *open_j(void)
{
	struct journal_opts o = { .path = path, .dedup_days = 7 };
	char err[256];
	struct journal *j = journal_open(&o, err, sizeof(err));

	if (!j)
		tap_diag("open: %s", err);
	return j;
}

static struct journal_new ev(const char *src, int ied, uint8_t b)
{
	struct journal_new e = { .source = src, .station = src, .ied = ied, .type = "digital",
				 .tag = "T", .rx_us = 1700000000000000LL, .has_raw = true,
				 .text = "text" };

	for (int i = 0; i < JOURNAL_RAW_LEN; i++)
		e.raw[i] = (uint8_t)(b + i);
	return e;
}

static void done_cb(void *owner, const struct journal_result *res, void *user)
{
	struct rec *r = owner;
	int tag;

	memcpy(&tag, user, sizeof(tag));
	if (r->calls < 16) {
		r->order[r->calls] = tag;
		r->res[r->calls] = *res;
	}
	r->calls++;
}

static void note_cb(const struct journal_event *e, enum journal_note note, void *arg)
{
	struct rec *r = arg;

	if (note == JOURNAL_NOTE_NEW && r->nnotified < 64)
		r->notified[r->nnotified++] = e->id;
}

/* A batch of @n events from @src (raw bytes from @b) and its state {seq, complete}. */
static int submit(struct journal *j, struct rec *r, const char *src, unsigned n, uint8_t b,
		  int seq, int tag)
{
	struct journal_batch *bt = journal_batch_new();
	struct journal_state st = { .seq = seq, .complete = true };
	char key[32];

	snprintf(key, sizeof(key), "tcp:%s", src);
	for (unsigned i = 0; i < n; i++) {
		struct journal_new e = ev(src, 1, (uint8_t)(b + 16 * i));

		if (journal_batch_add(bt, &e) < 0)
			return -1;
	}
	if (journal_batch_state(bt, key, &st) < 0)
		return -1;
	return journal_submit(j, bt, r, done_cb, &tag, sizeof(tag));
}

static void run_until(struct event_base *base, const struct rec *r, int calls)
{
	for (int i = 0; i < 2000 && r->calls < calls; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

static int count_cb(const struct journal_event *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int count_events(struct journal *j)
{
	struct journal_filter f = { .limit = 10000 };
	int n = 0;

	journal_query(j, &f, count_cb, &n);
	return n;
}

static void hist_cb(int64_t t_us, double v, uint8_t q, bool stale, void *arg)
{
	(void)t_us;
	(void)v;
	(void)q;
	(void)stale;
	(void)arg;
}

static int get_cb(const struct journal_event *e, void *arg)
{
	(void)e;
	(void)arg;
	return 0;
}

/*
 * last_id is exact: an event the writer committed but the loop has not broadcast yet is
 * neither counted in last_id nor listed nor fetchable; once broadcast it is all three.
 */
static void test_visible(struct journal *j, struct event_base *base)
{
	struct rec r = { 0 };
	struct journal_state st;
	int64_t before = journal_last_id(j);
	int n0 = count_events(j);

	OK(!submit(j, &r, "V", 2, 0xC0, 0x11, 7), "two more events queued");
	/* journal_get_state() waits for the writer: committed, the eventfd not yet read. */
	journal_get_state(j, "tcp:V", &st);
	IS(st.seq, 0x11, "committed by the writer");
	IS(r.calls, 0, "not yet completed on the loop");
	IS(journal_last_id(j), before, "last_id does not name them before the broadcast");
	IS(count_events(j), n0, "a list does not show them before the broadcast");
	IS(journal_get(j, before + 1, get_cb, NULL), 0, "nor does a fetch by id");
	run_until(base, &r, 1);
	IS(journal_last_id(j), before + 2, "after the broadcast last_id names the last of them");
	IS(count_events(j), n0 + 2, "and a list shows both");
	IS(journal_get(j, before + 2, get_cb, NULL), 1, "and each can be fetched");
}

static void test_group(void)
{
	struct event_base *base = event_base_new();
	struct journal *j = open_j();
	struct rec r = { 0 };
	struct journal_stats s0, s1;
	struct journal_state st;
	bool ordered = true;

	if (!base || !j || journal_start_writer(j, base) < 0) {
		OK(0, "journal with a writer thread");
		return;
	}
	journal_subscribe(j, note_cb, &r);
	journal_get_stats(j, &s0);
	/* Three sources' replies arrive while the disk is busy: one commit for all. */
	journal_writer_hold(j, true);
	OK(!submit(j, &r, "A", 2, 0x10, 0x21, 1) && !submit(j, &r, "B", 3, 0x40, 0x30, 2) &&
	   !submit(j, &r, "C", 0, 0x70, 0x55, 3), "three batches queued");
	event_base_loop(base, EVLOOP_NONBLOCK);
	IS(r.calls, 0, "no completion before the commit");
	IS(journal_last_id(j), 0, "nothing announced before the commit");
	journal_writer_hold(j, false);
	run_until(base, &r, 3);
	journal_get_stats(j, &s1);
	IS(r.calls, 3, "every batch completed");
	IS((int)(s1.commits - s0.commits), 1, "one transaction (commit) for three sources");
	IS((int)(s1.events - s0.events), 5, "five events stored in it");
	OK(r.order[0] == 1 && r.order[1] == 2 && r.order[2] == 3, "completions in submission order");
	OK(!r.res[0].status && r.res[0].stored == 2 && r.res[1].stored == 3 &&
	   !r.res[2].status && r.res[2].stored == 0, "results per batch");
	IS(r.nnotified, 5, "subscribers told of every event");
	for (int i = 1; i < r.nnotified; i++)
		ordered &= r.notified[i] == r.notified[i - 1] + 1;
	OK(ordered, "in id order");
	IS(journal_last_id(j), r.notified[4], "last id announced");
	OK(journal_get_state(j, "tcp:B", &st) == 1 && st.seq == 0x30 && st.complete,
	   "a batch with events persists its state in the same transaction");
	OK(journal_get_state(j, "tcp:C", &st) == 1 && st.seq == 0x55,
	   "a batch without events persists its state");

	/* Trend samples ride the same group commit. */
	{
		struct journal_batch *hb = journal_batch_new();
		int before = r.calls, tag = 9, n = 0;

		for (int i = 0; i < 3; i++)
			journal_batch_history(hb, "E4.1.AI0", 1700000000000000LL + i, 1.5 * i, 0, false);
		OK(!journal_submit(j, hb, &r, done_cb, &tag, sizeof(tag)), "history batch queued");
		run_until(base, &r, before + 1);
		n = history_query(j, "E4.1.AI0", 0, INT64_MAX, 0, hist_cb, NULL);
		IS(n, 3, "history samples committed by the writer");
		r.calls = before;
	}

	/* The duplicate filter sees what an earlier batch stored. */
	OK(!submit(j, &r, "A", 2, 0x10, 0x22, 4), "the same records again");
	run_until(base, &r, 4);
	OK(r.calls == 4 && !r.res[3].status && r.res[3].stored == 0 && r.res[3].duplicates == 2,
	   "dropped as duplicates by the writer");

	/* A cancelled owner is never called back; its batch still commits. */
	journal_writer_hold(j, true);
	OK(!submit(j, &r, "D", 1, 0x90, 0x23, 5), "queued");
	journal_cancel(j, &r);
	journal_writer_hold(j, false);
	for (int i = 0; i < 200 && count_events(j) < 6; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
	IS(r.calls, 4, "no callback after journal_cancel()");
	IS(count_events(j), 6, "its events are stored all the same");
	test_visible(j, base);
	journal_close(j);
	event_base_free(base);
}

/*
 * A child queues a batch while the writer is held (the disk is slow), runs its loop, reports
 * whether the completion ran, and is killed.  Nothing of the batch may be on disk, and the
 * state must be the previous one: the restart re-asks instead of skipping the SEQ.
 */
static void test_crash(void)
{
	struct journal *j = open_j();
	struct journal_batch *b = journal_batch_new();
	struct journal_state st = { .seq = 0x2F, .complete = true };
	int fd[2], status = 0;
	char called = '?';
	pid_t pid;

	journal_batch_state(b, "tcp:K", &st);
	OK(j && !journal_submit(j, b, NULL, NULL, NULL, 0), "state {2F, complete} committed");
	journal_close(j);
	if (pipe(fd) < 0) {
		OK(0, "pipe");
		return;
	}
	pid = fork();
	if (pid == 0) {
		struct event_base *base = event_base_new();
		struct rec r = { 0 };
		char c;

		close(fd[0]);
		j = open_j();
		if (!base || !j || journal_start_writer(j, base) < 0)
			_exit(2);
		journal_writer_hold(j, true);
		if (submit(j, &r, "K", 3, 0xA0, 0x30, 1) < 0)
			_exit(2);
		for (int i = 0; i < 50; i++) {
			event_base_loop(base, EVLOOP_NONBLOCK);
			usleep(1000);
		}
		c = r.calls ? 'y' : 'n';
		if (write(fd[1], &c, 1) != 1)
			_exit(2);
		raise(SIGKILL);
		_exit(3);
	}
	close(fd[1]);
	if (read(fd[0], &called, 1) != 1)
		called = '?';
	close(fd[0]);
	waitpid(pid, &status, 0);
	OK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child killed between submit and commit");
	IS(called, 'n', "its completion (the acknowledgement) never ran");
	j = open_j();
	IS(j ? count_events(j) : -1, 0, "no event of the uncommitted batch is stored");
	OK(j && journal_get_state(j, "tcp:K", &st) == 1 && st.seq == 0x2F && st.complete,
	   "the state is the last committed one: the restart re-asks, nothing is skipped");
	journal_close(j);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(path, sizeof(path), "%s/smved-jw-%d.db", tmp ? tmp : "/tmp", (int)getpid());
	test_group();
	unlink(path);
	test_crash();
	unlink(path);
	{
		char p2[300];

		snprintf(p2, sizeof(p2), "%s-wal", path);
		unlink(p2);
		snprintf(p2, sizeof(p2), "%s-shm", path);
		unlink(p2);
	}
	return tap_done();
}
