// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smve.ko in the test VM: polling against smve-sim (tests/vm/scenarios/
 * 30-poll): values reach the nodes as STATE records shaped by the layout,
 * SEQ alternates 00/80, periodic PEH and peh_enable (the clock-sync gate is
 * userspace's: smve_pehgate_test.c), the 0x13 control path (executed, refused and
 * outcome unknown) with its effect visible in the IED's DI word.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smvetest.h"

/* Must match SIM_ARGS of tests/vm/scenarios/30-poll. */
static const struct { unsigned int addr, sv, di, ai; } ieds[] = {
	{ 2, 6, 1, 2 }, { 3, 4, 2, 4 }, { 4, 2, 1, 1 },
};
#define NIEDS	(sizeof(ieds) / sizeof(ieds[0]))
#define ABSENT	9
#define LAYOUT	"2:6,1,2 3:4,2,4 4:2,1,1"

/* Mark the guest clock NTP-synchronised (or not); the master sends PEH only when it is. */
static int clock_synced(int on)
{
	struct timex tx = { .modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR };

	if (adjtimex(&tx) < 0)
		return -errno;
	tx.modes = ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR;
	tx.status = on ? (tx.status & ~STA_UNSYNC) : (tx.status | STA_UNSYNC);
	tx.maxerror = on ? 1000 : 16000000;
	tx.esterror = on ? 100 : 16000000;
	return adjtimex(&tx) < 0 ? -errno : 0;
}

FIXTURE(poll) {
	struct smvet_bus b;
};

FIXTURE_SETUP(poll)
{
	ASSERT_EQ(0, clock_synced(1));
	ASSERT_EQ(0, smvet_attach(&self->b, SMVET_TTY, 115200));
	ASSERT_EQ(0, smvet_bus_set(&self->b, "layout", LAYOUT));
	ASSERT_EQ(0, smvet_bus_set(&self->b, "ieds", "2 3 4"));
}

FIXTURE_TEARDOWN(poll)
{
	smvet_detach(&self->b);
}

static int read_state(int fd, struct smvet_rec *r, struct smve_rec_state *st, unsigned int ms)
{
	ssize_t n = smvet_read_type(fd, SMVE_REC_STATE, r, ms);

	if (n <= 0)
		return n ? (int)n : -ENODATA;
	if (r->hdr.len < sizeof(*st))
		return -EPROTO;
	memcpy(st, r->payload, sizeof(*st));
	return 0;
}

TEST_F(poll, values_reach_the_nodes_shaped_by_the_layout)
{
	for (size_t i = 0; i < NIEDS; i++) {
		struct smve_rec_state st = { 0 };
		struct smvet_rec r;
		struct timespec now;
		int fd;

		ASSERT_EQ(0, smvet_wait_ied(&self->b, ieds[i].addr, "online", 1, 20000, NULL));
		fd = smvet_node_open(&self->b, ieds[i].addr, O_RDONLY | O_NONBLOCK);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, read_state(fd, &r, &st, 5000));
		/*
		 * "online" may flip a moment before the state holding the reply's values is
		 * published (seen on PREEMPT_RT): a state without values is followed by one.
		 */
		for (int k = 0; k < 10 && (st.flags & SMVE_STATE_NEVER); k++) {
			TH_LOG("IED %u: online=1 but the state says NEVER; waiting for the next", ieds[i].addr);
			ASSERT_EQ(0, read_state(fd, &r, &st, 5000));
		}
		clock_gettime(CLOCK_REALTIME, &now);
		EXPECT_TRUE(st.flags & SMVE_STATE_ONLINE);
		EXPECT_FALSE(st.flags & (SMVE_STATE_OFFLINE | SMVE_STATE_NEVER | SMVE_STATE_LAYOUT));
		EXPECT_EQ(ieds[i].addr, st.address);
		EXPECT_EQ(ieds[i].sv, st.sv_len);
		EXPECT_EQ(ieds[i].di, st.di_words);
		EXPECT_EQ(ieds[i].ai, st.ai_words);
		EXPECT_EQ(sizeof(st) + st.sv_len + 2 * (st.di_words + st.ai_words), r.hdr.len);
		EXPECT_TRUE(st.reply_seq == 0x00 || st.reply_seq == 0x80);
		EXPECT_LT(now.tv_sec * 1000000000LL + now.tv_nsec - 10000000000LL, st.reply_time_ns);
		EXPECT_GE(now.tv_sec * 1000000000LL + now.tv_nsec, st.reply_time_ns);
		/*
		 * Values move (the simulator's AIs random-walk), so a state from a newer reply
		 * usually follows; a state may also be re-sent for a flag change (offline for a
		 * moment on a loaded host) with the same reply time.  Never the same one twice.
		 */
		struct smve_rec_state st2 = { 0 };
		struct smvet_rec first = r;
		int newer = 0;

		for (int k = 0; k < 20 && !newer; k++) {
			if (read_state(fd, &r, &st2, 5000))
				break;
			newer = st2.reply_time_ns > st.reply_time_ns;
			/* Coalescing means an unchanged state is never delivered twice. */
			EXPECT_FALSE(r.hdr.len == first.hdr.len &&
				     !memcmp(r.payload, first.payload, r.hdr.len))
				TH_LOG("IED %u: the same state delivered twice", ieds[i].addr);
			first = r;
		}
		/* Unchanged values need not produce a new state (coalescing): only note it. */
		if (!newer)
			TH_LOG("IED %u: no state from a newer reply within 5 s", ieds[i].addr);
		close(fd);
	}
}

TEST_F(poll, seq_alternates_between_00_and_80)
{
	int seen00 = 0, seen80 = 0;

	ASSERT_EQ(0, smvet_wait_ied(&self->b, 2, "online", 1, 20000, NULL));
	for (int i = 0; i < 200 && !(seen00 && seen80); i++) {
		uint64_t seq;

		ASSERT_EQ(0, smvet_ied_u64(&self->b, 2, "seq", &seq));
		ASSERT_TRUE(seq == 0x00 || seq == 0x80) TH_LOG("seq 0x%llx", (unsigned long long)seq);
		seen00 |= seq == 0x00;
		seen80 |= seq == 0x80;
		smvet_sleep_ms(7);
	}
	EXPECT_TRUE(seen00 && seen80);
}

TEST_F(poll, peh_periodic_and_suppressed_by_peh_enable)
{
	uint64_t before, after;

	ASSERT_EQ(0, smvet_bus_set(&self->b, "peh_interval_s", "1"));
	ASSERT_EQ(0, smvet_wait_bus_ge(&self->b, "statistics/peh_sent", 1, 5000, &before));
	ASSERT_EQ(0, smvet_wait_bus_ge(&self->b, "statistics/peh_sent", before + 2, 6000, &after));
	ASSERT_EQ(0, smvet_bus_set(&self->b, "peh_enable", "0"));
	smvet_sleep_ms(1500);
	ASSERT_EQ(0, smvet_bus_u64(&self->b, "statistics/peh_sent", &before));
	smvet_sleep_ms(3000);
	ASSERT_EQ(0, smvet_bus_u64(&self->b, "statistics/peh_sent", &after));
	EXPECT_EQ(before, after) TH_LOG("PEH sent with peh_enable=0");
	ASSERT_EQ(0, smvet_bus_set(&self->b, "peh_enable", "1"));
	EXPECT_EQ(0, smvet_wait_bus_ge(&self->b, "statistics/peh_sent", after + 1, 5000, NULL));
}

/*
 * A value the simulator derives from the master's own traffic: SV byte 0 bit 6
 * ("PrimeraPeH", spec 5.3) is 0 until the IED has processed a PEH.  The STATE
 * records must show it turn 1 once the master has broadcast one.
 */
TEST_F(poll, sv_shows_the_ied_received_the_peh)
{
	struct smve_rec_state st = { 0 };
	struct smvet_rec r;
	int fd;

	ASSERT_EQ(0, smvet_wait_bus_ge(&self->b, "statistics/peh_sent", 1, 10000, NULL));
	ASSERT_EQ(0, smvet_wait_ied(&self->b, 2, "online", 1, 20000, NULL));
	/* Polls continue every few ms: a second later the newest state is from after the PEH. */
	smvet_sleep_ms(1000);
	fd = smvet_node_open(&self->b, 2, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	/* Right after open the newest state is pending. */
	ASSERT_EQ(0, read_state(fd, &r, &st, 5000));
	ASSERT_LE(1, st.sv_len);
	EXPECT_TRUE(r.payload[sizeof(st)] & 0x40) TH_LOG("SV byte 0 = 0x%02x", r.payload[sizeof(st)]);
	close(fd);
}

static int transact(int fd, uint32_t id, uint8_t port, uint8_t bit, uint8_t state,
		    struct smve_transact *tr)
{
	memset(tr, 0, sizeof(*tr));
	tr->id = id;
	tr->timeout_ms = 10000;
	tr->cmd = 0x13;
	tr->req_len = 3;
	tr->req[0] = port;
	tr->req[1] = bit;
	tr->req[2] = state;
	return ioctl(fd, SMVE_IOC_TRANSACT, tr) < 0 ? -errno : 0;
}

/* DI word @w of the newest state of IED fd (after @after_ns). */
static int di_word(int fd, unsigned int w, int64_t after_ns, uint16_t *out)
{
	int64_t end = smvet_now_ns() + 5000000000LL;

	while (smvet_now_ns() < end) {
		struct smvet_rec r;
		struct smve_rec_state st = { 0 };
		int rc = read_state(fd, &r, &st, 1000);

		if (rc == -ETIMEDOUT)
			continue;
		if (rc)
			return rc;
		if (st.reply_time_ns <= after_ns || w >= st.di_words)
			continue;
		if (sizeof(st) + st.sv_len + 2 * (w + 1) > r.hdr.len)
			return -EPROTO;
		const uint8_t *di = r.payload + sizeof(st) + st.sv_len + 2 * w;

		*out = (uint16_t)(di[0] | di[1] << 8);
		return 0;
	}
	return -ETIMEDOUT;
}

TEST_F(poll, control_round_trip_changes_the_di_word)
{
	struct smve_transact tr;
	struct smvet_rec r;
	struct smve_rec_command c;
	struct timespec now;
	uint16_t di;
	int fd, rd;

	ASSERT_EQ(0, smvet_wait_ied(&self->b, 2, "online", 1, 20000, NULL));
	fd = smvet_node_open(&self->b, 2, O_RDWR);
	rd = smvet_node_open(&self->b, 2, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, rd);
	lseek(rd, 0, SEEK_END);

	ASSERT_EQ(0, transact(fd, 77, 0, 3, 1, &tr));
	EXPECT_EQ(SMVE_CMD_OK, tr.outcome);
	EXPECT_LE(1, tr.attempts);
	ASSERT_EQ(11, tr.resp_len);
	EXPECT_EQ(0xFE, tr.resp[0]);
	EXPECT_EQ(11, tr.resp[1]);
	EXPECT_EQ(1, tr.resp[2]) TH_LOG("reply DST is the master");
	EXPECT_EQ(2, tr.resp[3]) TH_LOG("reply SRC is the IED");
	EXPECT_EQ(0x13, tr.resp[5]);
	EXPECT_EQ(0, memcmp(tr.resp + 6, (uint8_t[]){ 0, 3, 1 }, 3));
	/* The COMMAND record carries the same id and outcome. */
	ASSERT_LT(0, smvet_read_type(rd, SMVE_REC_COMMAND, &r, 5000));
	memcpy(&c, r.payload, sizeof(c));
	EXPECT_EQ(77, c.id);
	EXPECT_EQ(SMVE_CMD_OK, c.outcome);
	EXPECT_EQ(tr.record_seq, r.hdr.seq);
	EXPECT_EQ(11, c.req_len);
	EXPECT_EQ(11, c.resp_len);
	EXPECT_EQ(0, memcmp(r.payload + sizeof(c) + c.req_len, tr.resp, 11));

	/* The simulator drives DI word 0 bit 3 from that output. */
	clock_gettime(CLOCK_REALTIME, &now);
	ASSERT_EQ(0, di_word(rd, 0, now.tv_sec * 1000000000LL + now.tv_nsec, &di));
	EXPECT_TRUE(di & (1 << 3));
	ASSERT_EQ(0, transact(fd, 78, 0, 3, 0, &tr));
	EXPECT_EQ(SMVE_CMD_OK, tr.outcome);
	clock_gettime(CLOCK_REALTIME, &now);
	ASSERT_EQ(0, di_word(rd, 0, now.tv_sec * 1000000000LL + now.tv_nsec, &di));
	EXPECT_FALSE(di & (1 << 3));

	/* Port 5 has no DI word on this IED: the simulator answers Bit = FF. */
	ASSERT_EQ(0, transact(fd, 79, 5, 3, 1, &tr));
	EXPECT_EQ(SMVE_CMD_REFUSED, tr.outcome);
	close(rd);
	close(fd);
}

TEST_F(poll, control_to_a_silent_ied_is_outcome_unknown)
{
	struct smve_transact tr;
	struct smve_rec_command c;
	struct smvet_rec r;
	uint64_t retries, seq_after;
	int fd, rd;

	ASSERT_EQ(0, smvet_bus_set(&self->b, "ieds", "2 3 4 9"));
	ASSERT_EQ(0, smvet_bus_u64(&self->b, "retries", &retries));
	fd = smvet_node_open(&self->b, ABSENT, O_RDWR);
	rd = smvet_node_open(&self->b, ABSENT, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_LE(0, rd);
	lseek(rd, 0, SEEK_END);
	ASSERT_EQ(0, transact(fd, 5, 0, 1, 1, &tr));
	EXPECT_EQ(SMVE_CMD_UNKNOWN, tr.outcome);
	EXPECT_EQ(retries + 1, tr.attempts);
	EXPECT_EQ(0, tr.resp_len);
	ASSERT_LT(0, smvet_read_type(rd, SMVE_REC_COMMAND, &r, 5000));
	memcpy(&c, r.payload, sizeof(c));
	EXPECT_EQ(SMVE_CMD_UNKNOWN, c.outcome);
	EXPECT_EQ(retries + 1, c.attempts);
	/* The slave may have executed it: the next request must not reuse that SEQ. */
	ASSERT_EQ(0, smvet_ied_u64(&self->b, ABSENT, "seq", &seq_after));
	EXPECT_NE(c.seq, seq_after);
	close(rd);
	close(fd);
}

/*
 * spec §7.4: on a healthy idle bus (every IED answers valid frames, nothing else on the line)
 * the default gap limit does not cut replies that the UART, TCG and the flip-buffer worker
 * deliver in bursts: the gap counts from when the bytes could have arrived.  Default timing
 * here, not smvet_relax(): that is the point.  On real hardware the count is 0.  Under TCG on a
 * shared host a descheduled simulator or QEMU thread makes real silences on the emulated line
 * longer than the 5 ms slack (the simulator's own 3 Tc TO1 drops some of the master's requests
 * for the same reason), and how many depends on the host's load.  The same silences make
 * replies miss their window, so the check is relative to the timeouts of the same window:
 * judging gaps by delivery time cut 0.3..0.6 replies per timeout (bench/vm-bus, before
 * kernel/smve_txn.c's wire-time rule), the wire-time rule 0..0.25 (1 of 13, 4 of 112, 20 of
 * 111, 6 of 24), so at most a third of the timeouts, plus 3.  A statistical check, then; the
 * exact case is smve_bus_test's gap_limit_counts_from_wire_time_and_cuts_a_stalled_reply.
 */
struct idle_window {
	uint64_t replies, aborts, malformed, timeouts;
};

/* Counter deltas of the whole bus over one idle window of @ms. */
static int idle_window(struct smvet_bus *b, unsigned int ms, struct idle_window *w)
{
	uint64_t ab0, ab1, to0, to1, m0[NIEDS], m1[NIEDS], rp0[NIEDS], rp1[NIEDS];
	char late[64] = "";

	memset(w, 0, sizeof(*w));
	if (smvet_bus_u64(b, "statistics/interchar_aborts", &ab0) ||
	    smvet_bus_u64(b, "statistics/timeouts", &to0))
		return -1;
	for (size_t i = 0; i < NIEDS; i++)
		if (smvet_ied_u64(b, ieds[i].addr, "statistics/malformed", &m0[i]) ||
		    smvet_ied_u64(b, ieds[i].addr, "statistics/replies", &rp0[i]))
			return -1;
	smvet_sleep_ms(ms);
	if (smvet_bus_u64(b, "statistics/interchar_aborts", &ab1) ||
	    smvet_bus_u64(b, "statistics/timeouts", &to1))
		return -1;
	smvet_bus_get(b, "rx_late", late, sizeof(late));
	for (size_t i = 0; i < NIEDS; i++) {
		if (smvet_ied_u64(b, ieds[i].addr, "statistics/malformed", &m1[i]) ||
		    smvet_ied_u64(b, ieds[i].addr, "statistics/replies", &rp1[i]))
			return -1;
		w->malformed += m1[i] - m0[i];
		w->replies += rp1[i] - rp0[i];
	}
	w->aborts = ab1 - ab0;
	w->timeouts = to1 - to0;
	printf("# %u ms idle: %llu replies, %llu gap aborts, %llu malformed, %llu timeouts, rx_late %s\n",
	       ms, (unsigned long long)w->replies, (unsigned long long)w->aborts,
	       (unsigned long long)w->malformed, (unsigned long long)w->timeouts, late);
	fflush(stdout);
	return 0;
}

/* Up to three 10 s windows after the IEDs come online: beyond the harness's default 30 s. */
TEST_F_TIMEOUT(poll, idle_healthy_bus_cuts_no_reply, 120)
{
	struct idle_window w;
	int tries;

	for (size_t i = 0; i < NIEDS; i++)
		ASSERT_EQ(0, smvet_wait_ied(&self->b, ieds[i].addr, "online", 1, 20000, NULL));
	/*
	 * 115200 baud gives ~2000 replies in 10 s.  Far fewer, or more than 10 % of the polls
	 * missing their window (each one a stall beyond the spec's 5 ms slack), means the host
	 * starves the VM too much to judge the gap limit: such a window is measured again (a
	 * busy host's stalls come in spells), and only three bad windows in a row give up.  The
	 * bounds below scale with the timeouts, so a few percent of them still judge fairly
	 * (PREEMPT_RT guests under TCG run at 3-4 %).
	 */
	for (tries = 0; tries < 3; tries++) {
		ASSERT_EQ(0, idle_window(&self->b, 10000, &w));
		if (w.replies >= 300 && w.timeouts * 10 <= w.replies)
			break;
	}
	if (tries == 3)
		SKIP(return, "%llu replies and %llu timeouts in 10 s, three times: host too loaded to judge",
		     (unsigned long long)w.replies, (unsigned long long)w.timeouts);
	EXPECT_GE(w.timeouts / 3 + 3, w.aborts);
	EXPECT_GE(w.timeouts / 3 + 3, w.malformed);
}

TEST_HARNESS_MAIN
