// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * M3 refined (docs/design-notes.md, "Stale replies do not end the wait"): a reply with another
 * SEQ hands its events to the duplicate filter but does not end the wait for the SEQ sent; a
 * reply with events that arrives when nothing is outstanding is not dropped; no new SEQ (and no
 * PEH) goes out while handed-out events are not durable.
 */
#include <smve/master.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master_harness.h"
#include "tap.h"

/* Feed a 0x10 reply with @nev events numbered from @evbase. */
static void reply_ev(uint8_t seq, unsigned int nev, uint32_t evbase)
{
	uint8_t f[256];
	size_t n = build_reply(f, 0x40, 0x01, seq, nev, 0x44, evbase);

	feed(f, n);
}

/*
 * The event-loss race M3 invited: poll 21 is answered first by a late frame with the previous
 * SEQ 20 (the answer to a resend of 20), then by the genuine reply to 21 with new events.  A
 * stale frame must not end the wait: the genuine reply is accepted and committed, and only then
 * does 22 (which acknowledges 21's events at the concentrator) go out.
 */
static void test_stale_then_genuine(void)
{
	struct smve_master_config c;
	struct smve_master_state s;

	cfg_base(&c);
	c.peh_enabled = false;
	c.layout = layout3;
	start(&c, NULL);
	transaction(0x20, "first");
	expect_poll(0x21, "second poll");
	smve_master_take_state(&m, &s);
	now += 10;
	reply_ev(0x20, 2, 100);
	OK(nres == 1 && res[0].kind == SMVE_MR_STALE && res[0].needs_commit &&
	   res[0].event_count == 2 && !res[0].persist_complete,
	   "late SEQ 20 frame: STALE, events to the filter, persisted as still incomplete");
	IS(smve_master_commit(&m, 0x21, now), 0, "stale events committed");
	OK(smve_master_take_state(&m, &s) == 0 && s.last_seq == 0x21 && !s.complete,
	   "a stale commit does not complete SEQ 21 (a restart re-asks it)");
	OK(smve_master_pending(&m), "still waiting for the reply to 21");
	now += 60;
	expect_quiet("no new SEQ while the reply to 21 may still come");
	reply_ev(0x21, 3, 300);
	OK(nres == 1 && res[0].kind == SMVE_MR_REPLY && res[0].seq == 0x21 &&
	   res[0].event_count == 3 && res[0].events[0].value == 300 && res[0].views &&
	   res[0].persist_complete,
	   "the genuine reply to 21 after the stale frame is accepted with its events");
	now += 10;
	expect_quiet("no new SEQ before the genuine reply is committed");
	IS(smve_master_commit(&m, 0x21, now), 0, "genuine reply committed");
	OK(smve_master_take_state(&m, &s) == 1 && s.last_seq == 0x21 && s.complete,
	   "now 21 is complete");
	now += 4999;
	expect_quiet("normal poll interval after a genuine reply");
	now += 1;
	expect_poll(0x22, "22 only after 21's events are stored");
}

/*
 * M3 keeps its purpose: when only stale frames answer (a retry buffer the slave replays), the
 * master re-asks the same SEQ like after a timeout (the genuine reply may only be late), and
 * after the last attempt moves on with a new SEQ instead of giving up and looping, once the
 * stale events are durable.
 */
static void test_stale_window_ends(void)
{
	struct smve_master_config c;
	struct smve_master_state s;
	struct smve_master_stats st;

	cfg_base(&c);
	c.peh_enabled = false;
	c.retries = 1;
	start(&c, NULL);
	transaction(0x20, "first");
	expect_poll(0x21, "second poll");
	now += 10;
	reply_ev(0x20, 2, 100);
	OK(nres == 1 && res[0].kind == SMVE_MR_STALE, "stale frame");
	now += 4990;
	expect_poll(0x21, "window over, only a stale frame: the same SEQ again (M4)");
	OK(nres == 1 && res[0].kind == SMVE_MR_RETRY, "reported as a retry");
	now += 10;
	reply_ev(0x20, 2, 100);
	OK(nres == 1 && res[0].kind == SMVE_MR_STALE, "stale again");
	IS(smve_master_commit(&m, 0x21, now), 0, "first stale commit");
	now += 4990;
	tick();
	OK(nres == 0 && take_output((uint8_t[256]){ 0 }) == 0,
	   "last window over, a stale commit outstanding: no give-up, no new SEQ");
	IS(smve_master_deadline(&m), SMVE_MASTER_NO_DEADLINE, "waiting for the stale commit");
	OK(smve_master_take_state(&m, &s) >= 0 && s.last_seq == 0x21 && !s.complete,
	   "21 still incomplete");
	IS(smve_master_commit(&m, 0x21, now), 0, "stale events committed after the window");
	OK(smve_master_take_state(&m, &s) == 1 && s.last_seq == 0x21 && s.complete,
	   "M3: the transaction is over");
	now += 49;
	expect_quiet("stale guard");
	now += 1;
	expect_poll(0x22, "M3: a NEW SEQ, not a loop on the stale buffer");
	smve_master_get_stats(&m, &st);
	IS(st.retries, 1, "one resend");
	IS(st.give_ups, 0, "no give-up");

	/* the resend retrieves a late genuine reply */
	now += 10;
	reply_ev(0x21, 1, 0);
	OK(nres == 1 && res[0].kind == SMVE_MR_STALE, "stale frame for 22");
	smve_master_commit(&m, 0x22, now);
	now += 4990;
	expect_poll(0x22, "22 re-asked");
	now += 10;
	reply_ev(0x22, 1, 500);
	OK(nres == 1 && res[0].kind == SMVE_MR_REPLY && res[0].events[0].value == 500,
	   "the answer to 22 is accepted");
}

/*
 * A reply with events that arrives when nothing is outstanding (after the window, or a second
 * answer to a resend) still goes to the filter, and no new SEQ leaves before it is stored.
 */
static void test_late_reply_idle(void)
{
	struct smve_master_config c;
	struct smve_master_stats st;

	cfg_base(&c);
	c.peh_enabled = false;
	start(&c, NULL);
	transaction(0x20, "first");
	now -= 4000;
	reply_ev(0x20, 2, 100);
	OK(nres == 1 && res[0].kind == SMVE_MR_STALE && res[0].needs_commit &&
	   res[0].event_count == 2 && res[0].seq == 0x20 && res[0].persist_complete,
	   "late frame with events while idle: STALE, to the filter");
	now += 4000;
	expect_quiet("no new SEQ before the late events are stored");
	IS(smve_master_commit(&m, 0x20, now), 1, "its commit is moot for the SEQ state");
	expect_poll(0x21, "then the next SEQ");
	now += 10;
	reply_ev(0x21, 0, 0);
	smve_master_commit(&m, 0x21, now);
	reply_ev(0x21, 0, 0);
	OK(nres == 1 && res[0].kind == SMVE_MR_DROPPED &&
	   res[0].reason == SMVE_REASON_UNSOLICITED, "a late frame without events is dropped");
	smve_master_get_stats(&m, &st);
	IS(st.stale, 1, "late frames with events counted as stale");
}

/* A stale poll frame during a 0x13 neither fails nor resends the command. */
static void test_stale_during_control(void)
{
	struct smve_master_config c;
	struct mara_control ctl = { .port = 0, .bit = 3, .state = 1 };
	struct smve_master_state s;
	uint8_t out[256], f[32];

	cfg_base(&c);
	c.peh_enabled = false;
	start(&c, NULL);
	transaction(0x20, "poll before the command");
	smve_master_control(&m, &ctl, 7);
	tick();
	OK(take_output(out) == 11 && out[4] == 0x21, "command SEQ 21");
	now += 10;
	reply_ev(0x20, 2, 100);
	OK(nres == 1 && res[0].kind == SMVE_MR_STALE && res[0].needs_commit &&
	   res[0].event_count == 2 && res[0].persist_complete,
	   "stale poll frame during a command: events to the filter");
	IS(take_output(out), 0, "the command is not resent");
	IS(smve_master_commit(&m, 0x21, now), 0, "stale events committed");
	OK(smve_master_take_state(&m, &s) >= 0 && s.complete,
	   "a command in flight still counts as complete");
	mara_build(f, sizeof(f), 0x40, 0x01, 0x20, 0x13, (const uint8_t[]){ 0, 3, 1 }, 3);
	feed(f, 11);
	OK(nres == 1 && res[0].kind == SMVE_MR_DROPPED && res[0].reason == SMVE_REASON_STALE,
	   "an echo with another SEQ is dropped, no failure reported");
	tap_hex("FE 0B 40 01 21 13 00 03 01 9F DD", f, sizeof(f));
	feed(f, 11);
	OK(nres == 1 && res[0].kind == SMVE_MR_CONTROL &&
	   res[0].control_status == SMVE_CONTROL_OK, "the real echo then reports OK");
}

int main(void)
{
	test_stale_then_genuine();
	test_stale_window_ends();
	test_late_reply_idle();
	test_stale_during_control();
	return tap_done();
}
