// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The bus master's per-IED rules (spec §3.5 M1-M4, M6) and round-robin schedule, as compiled into
 * smve.ko (kernel/smve_link.c).
 */
#include "smve_core.h"

#include "tap.h"

#define MS 1000000ULL

static void test_seq_alternates(void)
{
	struct smve_link l;
	bool on;
	int i;

	smve_link_init(&l);
	IS(l.seq, 0x00, "first SEQ is 00");
	IS(l.state, SMVE_LINK_NEW, "new link is not yet online");
	OK(smve_link_due(&l, 0), "a new link is polled at once");
	for (i = 0; i < 4; i++) {
		u8 sent = l.seq;

		IS(smve_link_reply(&l, sent, 0, &on), SMVE_V_ACCEPT, "reply %d with the SEQ sent is accepted", i);
		IS(on, i == 0, "only the first reply brings the IED online (%d)", i);
		smve_link_stored(&l, false, 0, 0);
		IS(l.seq, sent ^ 0x80, "SEQ alternates 00/80 after reply %d is stored", i);
	}
}

static void test_retry_then_offline(void)
{
	struct smve_link l;
	bool on;
	unsigned int i;

	smve_link_init(&l);
	smve_link_reply(&l, 0x00, 0, &on);
	smve_link_stored(&l, false, 0, 0);
	IS(l.seq, 0x80, "pending SEQ 80");
	for (i = 0; i < 3; i++) {
		IS(smve_link_fail(&l, 3, 1000, 10000 * MS), SMVE_FA_RETRY, "failure %u: retry", i + 1);
		IS(l.seq, 0x80, "retry %u keeps the same SEQ (M4)", i + 1);
	}
	IS(smve_link_fail(&l, 3, 1000, 10000 * MS), SMVE_FA_OFFLINE, "4th failed attempt: offline");
	OK(!smve_link_online(&l), "link is offline");
	IS(l.seq, 0x80, "offline keeps the pending SEQ (M1)");
	OK(!smve_link_due(&l, 1000 + 9999 * MS), "not re-probed before offline_reprobe");
	OK(smve_link_due(&l, 1000 + 10000 * MS), "re-probed after offline_reprobe");
	IS(smve_link_fail(&l, 3, 20000 * MS, 10000 * MS), SMVE_FA_STILL_OFFLINE, "failed re-probe: one attempt only");
	IS(l.next_due_ns, 30000 * MS, "next re-probe one period later");
	IS(l.seq, 0x80, "re-probe used the pending SEQ");
	IS(smve_link_reply(&l, 0x80, 0, &on), SMVE_V_ACCEPT, "recovery reply accepted");
	OK(on && smve_link_online(&l), "recovery brings it online");
	IS(l.failures, 0, "failure count reset by a reply");

	smve_link_init(&l);
	IS(smve_link_fail(&l, 0, 0, MS), SMVE_FA_OFFLINE, "retries = 0: the first failure is final");
}

static void test_failures_reset_by_reply(void)
{
	struct smve_link l;
	bool on;

	smve_link_init(&l);
	smve_link_fail(&l, 3, 0, MS);
	smve_link_fail(&l, 3, 0, MS);
	smve_link_fail(&l, 3, 0, MS);
	smve_link_reply(&l, l.seq, 0, &on);
	smve_link_stored(&l, false, 0, 0);
	IS(smve_link_fail(&l, 3, 0, MS), SMVE_FA_RETRY, "a valid reply restarts the count of failed attempts");
}

static void test_stale(void)
{
	struct smve_link l;
	bool on;

	smve_link_init(&l);
	smve_link_reply(&l, 0x00, 0, &on);
	smve_link_stored(&l, false, 0, 0);
	IS(l.seq, 0x80, "pending 80");
	/* The IED compared bit 7 after a PEH with SEQ BB and answered from its buffer (SEQ 00). */
	IS(smve_link_reply(&l, 0x00, 0, &on), SMVE_V_STALE, "reply SEQ 00 to poll 80 is stale (M3)");
	IS(l.seq, 0x80, "a stale frame alone does not change the SEQ: the reply to 80 may follow");
	OK(!on, "nor does it announce anything");
	IS(smve_link_reply(&l, 0x80, 0, &on), SMVE_V_ACCEPT, "the reply to 80 right behind it is accepted");
	smve_link_stored(&l, false, 0, 0);
	IS(l.seq, 0x00, "and advances the SEQ once, normally");

	/*
	 * Only stale frames came (the genuine reply may only be late or lost): every window but
	 * the last attempt's is a timeout, resent with the same SEQ (M4); M3 after the last.
	 */
	IS(smve_link_reply(&l, 0x80, 0, &on), SMVE_V_STALE, "reply SEQ 80 to poll 00 is stale");
	IS(smve_link_timeout(&l, 3, 0, MS), SMVE_FA_RETRY, "its window closed: resend the same SEQ first");
	IS(l.seq, 0x00, "the resend carries 00 again");
	IS(smve_link_timeout(&l, 3, 0, MS), SMVE_FA_RETRY, "attempt 2 timed out: still a resend");
	IS(smve_link_timeout(&l, 3, 0, MS), SMVE_FA_RETRY, "attempt 3 timed out: still a resend");
	IS(smve_link_timeout(&l, 3, 0, MS), SMVE_FA_NEW_SEQ,
	   "attempt 4 timed out after a stale answer to attempt 1: M3, not offline");
	IS(l.seq, 0x80, "the next poll uses a new SEQ (no loop on the retry buffer)");
	OK(smve_link_online(&l), "a stale reply still proves the IED alive");
	IS(l.failures, 0, "and the new SEQ starts a fresh count");
	IS(smve_link_timeout(&l, 3, 0, MS), SMVE_FA_RETRY, "the new SEQ's first timeout is an ordinary retry");
	IS(smve_link_reply(&l, 0x80, 0, &on), SMVE_V_ACCEPT, "the next reply with the SEQ sent is accepted");
	IS(smve_link_reply(&l, 0x37, 0, &on), SMVE_V_STALE, "M2: any SEQ other than the one sent is stale");

	/* A stale frame, then the genuine reply on the resend: no M3 at all. */
	smve_link_init(&l);
	smve_link_reply(&l, 0x00, 0, &on);
	smve_link_stored(&l, false, 0, 0);
	smve_link_stale(&l);
	IS(smve_link_timeout(&l, 3, 0, MS), SMVE_FA_RETRY, "window closed: resend 80");
	IS(smve_link_reply(&l, 0x80, 0, &on), SMVE_V_ACCEPT, "the resend fetches the late reply");
	for (int i = 0; i < 3; i++)
		smve_link_fail(&l, 3, 0, MS);
	IS(smve_link_timeout(&l, 3, 0, MS), SMVE_FA_OFFLINE,
	   "a matching reply forgets the stale frame: 4 plain timeouts are a failed transaction");

	/* Without any stale frame the last window is a failure, as always. */
	smve_link_init(&l);
	IS(smve_link_timeout(&l, 0, 0, MS), SMVE_FA_OFFLINE, "retries = 0, no stale frame: offline");
	smve_link_stale(&l);
	IS(smve_link_timeout(&l, 0, 5 * MS, MS), SMVE_FA_NEW_SEQ,
	   "a re-probe answered only by a stale frame: M3 at once (one attempt per re-probe)");
	OK(smve_link_online(&l), "and the IED is back online");

	/* A checksum or CMD failure after a stale frame is no window close: M4 as always. */
	smve_link_init(&l);
	smve_link_stale(&l);
	IS(smve_link_fail(&l, 0, 0, MS), SMVE_FA_OFFLINE, "a failure other than a timeout ignores the stale frame");
	IS(l.stale, 0, "and offline forgets it");
}

static void test_durable_ack(void)
{
	struct smve_link l;
	bool on;

	smve_link_init(&l);
	IS(smve_link_reply(&l, 0x00, 0, &on), SMVE_V_ACCEPT, "reply with events accepted");
	smve_link_stored(&l, true, 42, 0);
	IS(l.seq, 0x00, "M1: SEQ held while the consumer has not committed");
	OK(!smve_link_commit(&l, 41, false), "a commit short of the last record does not release");
	IS(smve_link_reply(&l, 0x00, 0, &on), SMVE_V_REPEAT, "the resent reply while waiting stores nothing");
	IS(smve_link_fail(&l, 3, 0, MS), SMVE_FA_RETRY, "a timeout while waiting is an ordinary retry");
	IS(l.seq, 0x00, "still the held SEQ");
	OK(smve_link_commit(&l, 42, false), "commit covering the record releases");
	IS(l.seq, 0x80, "then the SEQ advances");
	OK(!smve_link_commit(&l, 100, false), "nothing held: commit is a no-op");
	IS(l.seq, 0x80, "no double advance");

	smve_link_reply(&l, 0x80, 0, &on);
	smve_link_stored(&l, true, 50, 0);
	OK(smve_link_commit(&l, 0, true), "the consumer leaving releases the SEQ (ring is the store)");
	IS(l.seq, 0x00, "advanced");

	smve_link_reply(&l, 0x00, 0, &on);
	smve_link_stored(&l, true, 60, 0);
	IS(smve_link_reply(&l, 0x80, 0, &on), SMVE_V_STALE, "stale while waiting");
	OK(l.ack_wait, "a stale frame alone keeps the hold");
	IS(smve_link_timeout(&l, 1, 0, MS), SMVE_FA_RETRY, "its window closed: the held SEQ is resent");
	OK(l.ack_wait && l.seq == 0x00, "still held");
	IS(smve_link_timeout(&l, 1, 0, MS), SMVE_FA_NEW_SEQ, "the last attempt too: M3");
	OK(!l.ack_wait, "M3 drops the hold: the IED requeued those events");
	IS(l.seq, 0x80, "and moves to a new SEQ");

	/* A broadcast changed the IED's stored SEQ: it takes the held SEQ as a new request. */
	smve_link_reply(&l, 0x80, 0x1111, &on);
	smve_link_stored(&l, true, 70, 0x1111);
	IS(smve_link_reply(&l, 0x80, 0x1111, &on), SMVE_V_REPEAT, "same SEQ, same payload: the retry buffer");
	IS(smve_link_reply(&l, 0x80, 0x2222, &on), SMVE_V_ACCEPT,
	   "same SEQ, other payload: a new reply whose events must be stored");
	OK(!l.ack_wait, "the old hold is replaced by the new reply's");
	smve_link_stored(&l, true, 75, 0x2222);
	IS(smve_link_reply(&l, 0x80, 0x2222, &on), SMVE_V_REPEAT, "its own resend is a repeat");
	OK(smve_link_commit(&l, 75, false), "committing the new reply's last record releases");
	IS(l.seq, 0x00, "advanced once");
	IS(smve_link_sum((const uint8_t *)"ab", 2) == smve_link_sum((const uint8_t *)"ba", 2), 0,
	   "the payload checksum depends on the byte order");
}

static void test_command_stream(void)
{
	struct smve_link l;
	bool on;

	smve_link_init(&l);
	smve_link_reply(&l, 0x00, 0, &on);
	smve_link_stored(&l, false, 0, 0);
	/* A 0x13 takes the pending SEQ 80; its reply completes it (M6). */
	smve_link_advance(&l);
	IS(l.seq, 0x00, "after a command the next request uses a new SEQ");
	smve_link_fail(&l, 3, 0, MS);
	smve_link_advance(&l);
	IS(l.seq, 0x80, "outcome unknown: the next request still uses a new SEQ");
	IS(l.failures, 0, "and starts a fresh count");
}

static void test_classify(void)
{
	IS(smve_classify(1, true, 2, 1, 2), SMVE_FC_REPLY, "reply from the polled IED to the master");
	IS(smve_classify(1, true, 2, 2, 1), SMVE_FC_ECHO, "own request echoed: dropped silently");
	IS(smve_classify(1, false, 2, 2, 1), SMVE_FC_ECHO, "echo of a broadcast: still silent");
	IS(smve_classify(1, true, 2, 1, 3), SMVE_FC_WRONG_PEER, "reply from another SRC: dropped, keep waiting");
	IS(smve_classify(1, true, 2, 5, 2), SMVE_FC_WRONG_PEER, "frame for another DST: dropped");
	IS(smve_classify(1, false, 2, 1, 2), SMVE_FC_UNSOLICITED, "nothing outstanding: unsolicited");
	IS(smve_classify(7, true, 2, 7, 2), SMVE_FC_REPLY, "configurable master address");
	IS(smve_classify(7, true, 2, 1, 2), SMVE_FC_WRONG_PEER, "01 is not us when master_addr is 7");
}

static void test_schedule(void)
{
	struct smve_link links[4];
	const struct smve_link *lp[4] = { &links[0], &links[1], &links[2], &links[3] };
	u64 wake = 0;
	bool wrapped;
	int i;

	for (i = 0; i < 4; i++)
		smve_link_init(&links[i]);
	IS(smve_sched_pick(lp, 4, 0, 0, &wake, &wrapped), 0, "round robin starts at 0");
	OK(!wrapped, "no wrap");
	IS(smve_sched_pick(lp, 4, 3, 0, &wake, &wrapped), 3, "next in order");
	IS(smve_sched_pick(lp, 4, 4, 0, &wake, &wrapped), 0, "wraps to the first");
	OK(wrapped, "wrap reported (cycle done)");

	links[1].state = SMVE_LINK_OFFLINE;
	links[1].next_due_ns = 500;
	IS(smve_sched_pick(lp, 4, 1, 100, &wake, &wrapped), 2, "offline IED not due is skipped");
	IS(smve_sched_pick(lp, 4, 1, 500, &wake, &wrapped), 1, "offline IED due is re-probed in turn");

	for (i = 0; i < 4; i++) {
		links[i].state = SMVE_LINK_OFFLINE;
		links[i].next_due_ns = 1000 + 100 * (u64)(4 - i);
	}
	IS(smve_sched_pick(lp, 4, 0, 0, &wake, &wrapped), -1, "all offline and not due: nothing");
	IS(wake, 1100, "earliest re-probe time reported");
	IS(smve_sched_pick(lp, 0, 0, 0, &wake, &wrapped), -1, "no IED: nothing");
}

int main(void)
{
	test_seq_alternates();
	test_retry_then_offline();
	test_failures_reset_by_reply();
	test_stale();
	test_durable_ack();
	test_command_stream();
	test_classify();
	test_schedule();
	return tap_done();
}
