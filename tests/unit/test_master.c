// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sans-I/O TCP master against fabricated replies and a fake clock: every §3.5 rule, PEH
 * timing (§6.4), 0x13 outcomes, persisted-state recovery and the §11.3 BugPeH scenario.
 */
#include <smve/master.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "master_harness.h"
#include "tap.h"

static void test_seq_range(void)
{
	struct smve_master_config c;
	unsigned int i;
	bool good = true;

	IS(smve_master_seq_next(0x20), 0x21, "next(20)");
	IS(smve_master_seq_next(0x7E), 0x7F, "next(7E)");
	IS(smve_master_seq_next(0x7F), 0x20, "next(7F) wraps to 20");
	IS(smve_master_seq_next(0x00), 0x20, "next(00) enters the range");
	IS(smve_master_seq_next(0xBB), 0x20, "next(BB) enters the range");
	cfg_base(&c);
	c.retries = SMVE_MASTER_RETRIES_MAX + 1;
	IS(smve_master_init(&m, &c, NULL), -MARA_EINVAL, "too many retries refused");
	cfg_base(&c);
	c.reply_timeout_ms = 0;
	IS(smve_master_init(&m, &c, NULL), -MARA_EINVAL, "zero reply timeout refused");
	cfg_base(&c);
	c.dst = 0x40;
	IS(smve_master_init(&m, &c, NULL), -MARA_EINVAL, "src == dst refused");

	cfg_base(&c);
	c.peh_enabled = false;
	start(&c, NULL);
	/* 96 values, then the wrap: 20..7F, 20, 21 */
	for (i = 0; i < 98 && good; i++) {
		uint8_t seq = (uint8_t)(0x20 + i % 96);
		char what[32];

		snprintf(what, sizeof(what), "transaction %u", i);
		tick();
		good = nres == 0;
		transaction(seq, what);
	}
	OK(good, "SEQ runs 20..7F and wraps to 20 without other results");
}

static void test_retry_and_give_up(void)
{
	struct smve_master_config c;
	struct smve_master_stats st;
	unsigned int a;

	cfg_base(&c);
	c.peh_enabled = false;
	start(&c, NULL);
	expect_poll(0x20, "first attempt");
	now += 4999;
	tick();
	IS(nres, 0, "no timeout before reply_timeout_ms");
	for (a = 1; a <= 3; a++) {
		now += 1;
		tick();
		OK(nres == 1 && res[0].kind == SMVE_MR_RETRY &&
		   res[0].reason == SMVE_REASON_TIMEOUT && res[0].attempt == a &&
		   res[0].seq == 0x20, "timeout of attempt %u gives RETRY", a);
		expect_poll(0x20, "retry keeps the same SEQ");
		now += 4999;
	}
	now += 1;
	tick();
	OK(nres == 1 && res[0].kind == SMVE_MR_GIVE_UP && res[0].attempt == 4,
	   "4th timeout gives GIVE_UP");
	expect_quiet("nothing after giving up");
	smve_master_get_stats(&m, &st);
	IS(st.timeouts, 4, "4 timeouts counted");
	IS(st.retries, 3, "3 retries counted");
	IS(st.polls, 4, "4 polls written");
	IS(st.give_ups, 1, "1 give-up");

	/* M1 across reconnects: the same SEQ, with a fresh attempt budget */
	smve_master_disconnected(&m, now);
	now += 1000;
	smve_master_connected(&m, now);
	expect_poll(0x20, "after reconnect the incomplete SEQ is re-asked");
	smve_master_get_stats(&m, &st);
	IS(st.reconnects, 1, "reconnect counted");
}

static void test_timeout_from_write(void)
{
	struct smve_master_config c;
	const uint8_t *p;

	cfg_base(&c);
	c.peh_enabled = false;
	start(&c, NULL);
	tick();
	IS(smve_master_output(&m, &p), 8, "poll waiting to be written");
	now += 10000;
	tick();
	IS(nres, 0, "no timeout while the request is not written");
	smve_master_written(&m, 3, now);
	now += 10000;
	tick();
	IS(nres, 0, "no timeout after a partial write");
	IS(smve_master_output(&m, &p), 5, "5 bytes left");
	smve_master_written(&m, 5, now);
	IS(smve_master_deadline(&m), now + 5000, "deadline = end of write + reply timeout");
}

static void test_bad_replies_retry(void)
{
	struct smve_master_config c;
	struct smve_master_stats st;
	uint8_t f[256];
	size_t n;

	cfg_base(&c);
	c.peh_enabled = false;
	start(&c, NULL);
	expect_poll(0x20, "poll");
	n = build_reply(f, 0x40, 0x01, 0x20, 1, 0x44, 1);
	f[n - 1] ^= 0xFF;
	feed(f, n);
	OK(nres == 1 && res[0].kind == SMVE_MR_RETRY && res[0].reason == SMVE_REASON_CHECKSUM,
	   "bad BCC gives an immediate RETRY");
	expect_poll(0x20, "resent after a bad BCC");

	mara_build(f, sizeof(f), 0x40, 0x01, 0x20, 0x16, NULL, 0);
	feed(f, 8);
	OK(nres == 1 && res[0].kind == SMVE_MR_RETRY && res[0].reason == SMVE_REASON_COMMAND,
	   "wrong CMD gives RETRY");
	expect_poll(0x20, "resent after a wrong CMD");

	/* sections that do not end at the BCC */
	{
		static const uint8_t bad[] = { 0x01, 0x01, 0x03, 0x00 };

		n = (size_t)mara_build(f, sizeof(f), 0x40, 0x01, 0x20, 0x10, bad, sizeof(bad));
	}
	feed(f, n);
	OK(nres == 1 && res[0].kind == SMVE_MR_RETRY && res[0].reason == SMVE_REASON_MALFORMED &&
	   res[0].error == -MARA_ESECTIONS && res[0].attempt == 3, "malformed payload gives RETRY");
	expect_poll(0x20, "resent after a malformed payload");
	feed(f, n);
	OK(nres == 1 && res[0].kind == SMVE_MR_GIVE_UP && res[0].reason == SMVE_REASON_MALFORMED &&
	   res[0].attempt == 4, "4th failed attempt gives GIVE_UP");
	smve_master_get_stats(&m, &st);
	IS(st.retries, 3, "checksum, command and malformed each counted as a retry");
	IS(st.framing.bad_bcc, 1, "reassembler counted the BCC error");
	IS(st.bad_cmd, 1, "bad CMD counted");
	IS(st.malformed, 2, "malformed counted");
}

static void test_drops(void)
{
	struct smve_master_config c;
	struct smve_master_stats st;
	uint8_t f[256];
	size_t n;

	cfg_base(&c);
	c.peh_enabled = false;
	start(&c, NULL);
	n = build_reply(f, 0x40, 0x01, 0x20, 0, 0x44, 0);
	feed(f, n);
	OK(nres == 1 && res[0].kind == SMVE_MR_DROPPED && res[0].reason == SMVE_REASON_UNSOLICITED,
	   "frame while nothing is outstanding is dropped");
	expect_poll(0x20, "poll");
	n = build_reply(f, 0x41, 0x01, 0x20, 0, 0x44, 0);
	feed(f, n);
	OK(nres == 1 && res[0].kind == SMVE_MR_DROPPED && res[0].reason == SMVE_REASON_WRONG_DST,
	   "wrong DST dropped");
	n = build_reply(f, 0x40, 0x02, 0x20, 0, 0x44, 0);
	feed(f, n);
	OK(nres == 1 && res[0].kind == SMVE_MR_DROPPED && res[0].reason == SMVE_REASON_WRONG_SRC,
	   "wrong SRC dropped");
	OK(smve_master_pending(&m), "still waiting for the reply");
	/* the right reply, byte by byte, after noise */
	{
		static const uint8_t noise[] = { 0x00, 0x13, 0x37 };
		unsigned int i, got = 0;

		feed(noise, sizeof(noise));
		n = build_reply(f, 0x40, 0x01, 0x20, 2, 0x44, 0);
		for (i = 0; i < n; i++) {
			feed(f + i, 1);
			got += nres == 1 && res[0].kind == SMVE_MR_REPLY;
		}
		IS(got, 1, "reply split in single bytes yields one REPLY");
	}
	smve_master_get_stats(&m, &st);
	IS(st.dropped, 3, "3 drops counted");
	IS(st.framing.noise_bytes, 3, "noise counted by the reassembler");
}

static void test_commit_rules(void)
{
	struct smve_master_config c;
	struct smve_master_state s;

	cfg_base(&c);
	c.peh_enabled = false;
	start(&c, NULL);
	OK(smve_master_take_state(&m, &s) == 0, "no state change before any request");
	expect_poll(0x20, "poll");
	OK(smve_master_take_state(&m, &s) == 1 && s.last_seq == 0x20 && !s.complete,
	   "state: 20 sent, incomplete");
	reply(0x20, 3);
	OK(nres == 1 && res[0].kind == SMVE_MR_REPLY && res[0].needs_commit &&
	   res[0].event_count == 3 && res[0].events[2].value == 102,
	   "REPLY with its 3 events, needs commit");
	now += 60000;
	expect_quiet("no new poll before commit (M1)");
	IS(smve_master_deadline(&m), SMVE_MASTER_NO_DEADLINE, "no deadline while waiting commit");
	/* a reconnect before the commit re-asks the same SEQ */
	smve_master_disconnected(&m, now);
	smve_master_connected(&m, now);
	expect_poll(0x20, "re-ask after reconnect without commit");
	reply(0x20, 3);
	IS(smve_master_commit(&m, 0x21, now), -MARA_EINVAL, "commit of another SEQ refused");
	IS(smve_master_commit(&m, 0x20, now), 0, "commit accepted");
	IS(smve_master_commit(&m, 0x20, now), 1, "a second commit of the same SEQ is moot");
	OK(smve_master_take_state(&m, &s) == 1 && s.last_seq == 0x20 && s.complete,
	   "state: 20 complete");
	now += 4999;
	expect_quiet("poll interval counts from the commit");
	now += 1;
	expect_poll(0x21, "next SEQ after commit");
	IS(smve_master_commit(&m, 0x20, now), 1, "a late commit of the previous SEQ is moot");
	IS(smve_master_commit(&m, 0x1F, now), -MARA_EINVAL, "an unknown SEQ is refused");
	IS(smve_master_commit(&m, 0x21, now), -MARA_EINVAL,
	   "the current SEQ cannot be committed before its reply (M1)");
}

static void test_persisted_state(void)
{
	struct smve_master_config c;
	struct smve_master_state s;

	cfg_base(&c);
	c.peh_enabled = false;
	s.last_seq = 0x45;
	s.complete = false;
	start(&c, &s);
	expect_poll(0x45, "incomplete persisted SEQ is re-asked");
	s.complete = true;
	start(&c, &s);
	expect_poll(0x46, "complete persisted SEQ: the next one");
	s.last_seq = 0x7F;
	start(&c, &s);
	expect_poll(0x20, "complete 7F: wraps to 20");
	s.last_seq = 0x05;
	s.complete = false;
	start(&c, &s);
	expect_poll(0x20, "out-of-range persisted SEQ ignored");
	start(&c, NULL);
	expect_poll(0x20, "no state: 20");
}

static void test_stale(void)
{
	struct smve_master_config c;
	struct smve_master_stats st;
	uint8_t f[256];
	size_t n;

	cfg_base(&c);
	c.peh_enabled = false;
	c.layout = layout3;
	c.retries = 0;		/* one window; resends: test_master_stale */
	start(&c, NULL);
	transaction(0x20, "first");
	expect_poll(0x21, "second poll");
	n = build_reply(f, 0x40, 0x01, 0x20, 4, 0x44, 7);
	feed(f, n);
	OK(nres == 1 && res[0].kind == SMVE_MR_STALE && res[0].seq == 0x21 &&
	   res[0].frame.seq == 0x20 && res[0].event_count == 4 && res[0].events[0].value == 7 &&
	   res[0].views == NULL && res[0].needs_commit,
	   "SEQ mismatch is STALE: events handed over, no values bound");
	now += 1000;
	expect_quiet("no re-poll before the stale events are committed");
	IS(smve_master_commit(&m, 0x21, now), 0, "commit of the stale events");
	now += 3999;
	expect_quiet("the reply to 21 is awaited for the whole reply timeout");
	now += 1;
	expect_quiet("window over: 50 ms guard");
	now += 50;
	expect_poll(0x22, "re-poll uses a NEW SEQ derived from the SEQ sent (M2, M3)");
	smve_master_get_stats(&m, &st);
	IS(st.stale, 1, "stale counted");
}

static void test_reasm_cleared_on_timeout(void)
{
	struct smve_master_config c;
	uint8_t f[256];
	size_t n;

	cfg_base(&c);
	c.peh_enabled = false;
	start(&c, NULL);
	expect_poll(0x20, "poll");
	n = build_reply(f, 0x40, 0x01, 0x20, 1, 0x44, 1);
	feed(f, n / 2);
	IS(nres, 0, "half a reply gives nothing");
	now += 5000;
	tick();
	OK(nres == 1 && res[0].kind == SMVE_MR_RETRY, "timeout");
	expect_poll(0x20, "retry");
	feed(f, n);
	OK(nres == 1 && res[0].kind == SMVE_MR_REPLY, "whole reply after the timeout accepted "
	   "(the stale half was discarded)");
}

static bool is_peh(const uint8_t *out, size_t n)
{
	struct mara_frame f;

	return n == MARA_PEH_FRAME_LEN && !mara_parse(out, n, &f) && f.dst == 0xFF &&
	       f.src == 0x40 && f.seq == MARA_SEQ_PEH && f.cmd == MARA_CMD_PEH;
}

static void test_peh(void)
{
	struct smve_master_config c;
	uint8_t out[256];
	size_t n;

	cfg_base(&c);
	c.poll_interval_ms = 10;
	c.peh_interval_s = 100;
	c.reply_timeout_ms = 1000000;
	start(&c, NULL);
	expect_poll(0x20, "first poll of the connection: no PEH before a reply");
	reply(0x20, 0);
	smve_master_commit(&m, 0x20, now);
	tick();
	OK(nres == 1 && res[0].kind == SMVE_MR_PEH && res[0].peh_dow == 4 &&
	   res[0].peh_time.year == 2014 && res[0].peh_time.second == 27 &&
	   res[0].peh_time.frac == 0x4000, "PEH after the first valid reply (Thursday = 4)");
	n = take_output(out);
	OK(is_peh(out, n), "PEH frame: DST FF, SEQ BB, CMD 12");
	{
		uint8_t want[32];

		IS(tap_hex("FE 11 FF 40 BB 12 0E 02 06 13 23 1B 00 40 04 0C 2C", want, 32), 17,
		   "vector parses");
		OK(n == 17 && !memcmp(out, want, 17), "PEH bytes equal the §11.2 normative vector");
	}
	now += 10;
	expect_quiet("poll interval over, but within the 50 ms PEH guard");
	now += 40;
	expect_poll(0x21, "poll after the guard, SEQ not consumed by PEH");
	reply(0x21, 0);
	smve_master_commit(&m, 0x21, now);
	now += 10;
	expect_poll(0x22, "no second PEH on the same connection before the interval");
	now += 100000;
	reply(0x22, 0);
	tick();
	IS(nres, 0, "interval passed, but the reply is not committed: no PEH (M5)");
	smve_master_commit(&m, 0x22, now);
	tick();
	OK(nres == 1 && res[0].kind == SMVE_MR_PEH, "periodic PEH right after the commit");
	take_output(out);
	now += 50;
	expect_poll(0x23, "poll after periodic PEH");
	/* interval passes while a request is pending: PEH waits for the commit */
	now += 100000;
	tick();
	OK(nres == 0 && smve_master_pending(&m), "no PEH while a request is pending");
	reply(0x23, 0);
	smve_master_commit(&m, 0x23, now);
	tick();
	OK(nres == 1 && res[0].kind == SMVE_MR_PEH, "PEH only after the pending one completed");
	take_output(out);

	/* a new connection: PEH again after its first reply */
	smve_master_disconnected(&m, now);
	now += 1000;
	smve_master_connected(&m, now);
	expect_poll(0x24, "reconnect");
	reply(0x24, 0);
	smve_master_commit(&m, 0x24, now);
	tick();
	OK(nres == 1 && res[0].kind == SMVE_MR_PEH, "PEH after the first reply of a new connection");
}

static void test_peh_withheld(void)
{
	struct smve_master_config c;
	uint8_t out[256];

	cfg_base(&c);
	c.poll_interval_ms = 10;
	start(&c, NULL);
	clock_synced = 0;
	transaction(0x20, "first");
	expect_poll(0x21, "clock not synchronised: PEH withheld, polling goes on");
	reply(0x21, 0);
	smve_master_commit(&m, 0x21, now);
	clock_synced = 1;
	tick();
	OK(nres == 1 && res[0].kind == SMVE_MR_PEH, "withheld PEH goes once the clock is synced");
	take_output(out);

	c.peh_enabled = false;
	start(&c, NULL);
	clock_calls = 0;
	transaction(0x20, "disabled");
	expect_poll(0x21, "PEH disabled: never sent");
	IS(clock_calls, 0, "disabled PEH never reads the clock");
}

static void test_peh_sv_bit6(void)
{
	struct smve_master_config c;
	uint8_t f[256], out[256];
	size_t n;

	cfg_base(&c);
	c.layout = layout3;
	c.peh_interval_s = 0;
	start(&c, NULL);
	expect_poll(0x20, "poll");
	n = build_reply(f, 0x40, 0x01, 0x20, 0, 0x00, 0);
	feed(f, n);
	OK(nres == 1 && res[0].kind == SMVE_MR_REPLY && res[0].bind_flags == 0 &&
	   res[0].view_count == 3 && res[0].bind.complete_ieds == 3, "reply bound to the layout");
	smve_master_commit(&m, 0x20, now);
	tick();
	OK(nres == 1 && res[0].kind == SMVE_MR_PEH, "first PEH of the connection");
	take_output(out);
	now += 5000;
	expect_poll(0x21, "poll");
	n = build_reply(f, 0x40, 0x01, 0x21, 0, 0x00, 0);
	feed(f, n);
	smve_master_commit(&m, 0x21, now);
	now += 5000;
	expect_poll(0x22, "bit 6 = 0 again within a minute: no PEH (rate limit)");
	now += 60000;
	n = build_reply(f, 0x40, 0x01, 0x22, 0, 0x00, 0);
	feed(f, n);
	smve_master_commit(&m, 0x22, now);
	tick();
	OK(nres == 1 && res[0].kind == SMVE_MR_PEH, "bit 6 = 0 after a minute: PEH");
	take_output(out);
	now += 5000;
	expect_poll(0x23, "poll");
	n = build_reply(f, 0x40, 0x01, 0x23, 0, 0x40, 0);
	feed(f, n);
	smve_master_commit(&m, 0x23, now + 70000);
	now += 70000;
	tick();
	OK(nres == 0, "bit 6 = 1: no PEH");
}

static void test_control(void)
{
	struct smve_master_config c;
	struct mara_control ctl = { .port = 0, .bit = 3, .state = 1 };
	uint8_t out[256] = { 0 }, f[32];
	size_t n;

	cfg_base(&c);
	c.peh_enabled = false;
	start(&c, NULL);
	transaction(0x20, "poll before the command");
	now -= m.cfg.poll_interval_ms; /* right after the commit */
	IS(smve_master_control(&m, &ctl, 7), 0, "command queued");
	tick();
	n = take_output(out);
	IS(tap_hex("FE 0B 01 40 21 13 00 03 01 DE 9E", f, sizeof(f)), 11, "vector");
	OK(n == 11 && !memcmp(out, f, 11), "0x13 goes out between polls with the next SEQ (21)");
	tap_hex("FE 0B 40 01 21 13 00 03 01 9F DD", f, sizeof(f));
	feed(f, 11);
	OK(nres == 1 && res[0].kind == SMVE_MR_CONTROL && res[0].control_status ==
	   SMVE_CONTROL_OK && res[0].control_tag == 7, "matching echo: OK");
	now += 5000;
	expect_poll(0x22, "the poll after the command takes the next SEQ");
	reply(0x22, 0);
	smve_master_commit(&m, 0x22, now);

	smve_master_control(&m, &ctl, 8);
	tick();
	take_output(out);
	OK(out[4] == 0x23, "second command SEQ 23");
	mara_build(f, sizeof(f), 0x40, 0x01, 0x23, 0x13, (const uint8_t[]){ 0, 0xFF, 1 }, 3);
	feed(f, 11);
	OK(nres == 1 && res[0].control_status == SMVE_CONTROL_REFUSED, "Bit = FF: refused");

	smve_master_control(&m, &ctl, 9);
	tick();
	take_output(out);
	mara_build(f, sizeof(f), 0x40, 0x01, 0x24, 0x13, (const uint8_t[]){ 0, 4, 1 }, 3);
	feed(f, 11);
	OK(nres == 1 && res[0].control_status == SMVE_CONTROL_MISMATCH, "other echo: mismatch");

	smve_master_control(&m, &ctl, 10);
	tick();
	take_output(out);
	OK(out[4] == 0x25, "fourth command SEQ 25");
	now += 5000;
	tick();
	OK(nres == 1 && res[0].kind == SMVE_MR_RETRY, "command timeout: retry");
	n = take_output(out);
	OK(n == 11 && out[4] == 0x25, "retry of a command keeps its SEQ");
	now += 5000;
	tick();
	take_output(out);
	now += 5000;
	tick();
	take_output(out);
	now += 5000;
	tick();
	OK(nres == 2 && res[0].kind == SMVE_MR_CONTROL &&
	   res[0].control_status == SMVE_CONTROL_UNKNOWN && res[0].control_tag == 10 &&
	   res[1].kind == SMVE_MR_GIVE_UP, "every attempt timed out: outcome UNKNOWN, then give up");
	smve_master_disconnected(&m, now);
	smve_master_connected(&m, now);
	expect_poll(0x26, "an abandoned command is never re-sent; the next SEQ follows");
	IS(smve_master_control(&m, &(struct mara_control){ 0, 1, 2 }, 1), -MARA_EINVAL,
	   "state 2 refused");
}

/*
 * §11.3: poll 7A, fresh reply with 10 events; PEH; poll 7B answered by the retry buffer of 7A.
 * SMVE sends the PEH with SEQ BB, recognises the replayed 7A reply as stale (no values applied,
 * its events only offered to the duplicate filter), and moves on with 7C.
 */
static void test_bugpeh(void)
{
	struct smve_master_config c;
	struct smve_master_state s = { .last_seq = 0x79, .complete = true };
	uint8_t reply7a[256], out[256];
	size_t n7a, n;
	unsigned int i;

	cfg_base(&c);
	c.layout = layout3;
	start(&c, &s);
	expect_poll(0x7A, "#1 poll SEQ 7A");
	n7a = build_reply(reply7a, 0x40, 0x01, 0x7A, 10, 0x44, 500);
	feed(reply7a, n7a);
	OK(nres == 1 && res[0].kind == SMVE_MR_REPLY && res[0].event_count == 10,
	   "#2 fresh reply with 10 events");
	smve_master_commit(&m, 0x7A, now);
	tick();
	n = take_output(out);
	OK(n == 17 && out[4] == 0xBB && out[2] == 0xFF, "#3 PEH carries SEQ BB, not 7B");
	now += 5000;
	expect_poll(0x7B, "#4 poll SEQ 7B");
	feed(reply7a, n7a);
	OK(nres == 1 && res[0].kind == SMVE_MR_STALE && res[0].event_count == 10 &&
	   res[0].frame.seq == 0x7A && !res[0].views,
	   "#5 the replayed 7A reply is STALE: values discarded, events to the filter");
	smve_master_commit(&m, 0x7B, now);
	for (i = 0; i < 3; i++) {
		/* each window ends without an answer to 7B: resent (M4), replayed again */
		now += 5000;
		expect_poll(0x7B, "#5 window over, only the stale buffer came: 7B again");
		feed(reply7a, n7a);
		smve_master_commit(&m, 0x7B, now);
	}
	now += 5000;		/* the last window ends, */
	tick();
	now += 50;		/* then the stale guard */
	expect_poll(0x7C, "#6 after the last attempt, a new SEQ 7C instead of a loop (M3)");
}

static void test_backoff(void)
{
	struct smve_backoff b;
	static const uint32_t steps[] = { 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000 };
	unsigned int i;
	bool inrange = true, varied = false;
	uint32_t d, first = 0;

	smve_backoff_init(&b, 12345);
	for (i = 0; i < 8; i++) {
		d = smve_backoff_next(&b);
		inrange &= d >= steps[i] * 8 / 10 && d <= steps[i] * 12 / 10;
	}
	OK(inrange, "delays 1 s doubling to 60 s, each within ±20 %%");
	smve_backoff_reset(&b);
	d = smve_backoff_next(&b);
	OK(d >= 800 && d <= 1200, "reset: back to 1 s (%u ms)", d);
	for (i = 0; i < 20; i++) {
		smve_backoff_reset(&b);
		d = smve_backoff_next(&b);
		if (!i)
			first = d;
		varied |= d != first;
	}
	OK(varied, "jitter varies between attempts");
}

int main(void)
{
	test_seq_range();
	test_retry_and_give_up();
	test_timeout_from_write();
	test_bad_replies_retry();
	test_drops();
	test_commit_rules();
	test_persisted_state();
	test_stale();
	test_reasm_cleared_on_timeout();
	test_peh();
	test_peh_withheld();
	test_peh_sv_bit6();
	test_control();
	test_bugpeh();
	test_backoff();
	return tap_done();
}
