// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smve.ko in the test VM: the journaling consumer (durable acknowledgement,
 * spec 3.5 M1; tests/vm/scenarios/50-consumer, smve-sim generating events
 * on IED 2).  While a consumer is attached, a reply that carried events is
 * acknowledged (next poll with a new SEQ) only after SMVE_IOC_COMMIT covers
 * its last event record; the repeated reply is not stored again.  Events
 * are printed for the host's check against the simulator's events log.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smvetest.h"

#define IED	2

FIXTURE(consumer) {
	struct smvet_bus b;
};

FIXTURE_SETUP(consumer)
{
	ASSERT_EQ(0, smvet_attach(&self->b, SMVET_TTY, 115200));
	ASSERT_EQ(0, smvet_relax(&self->b, 30));
	/*
	 * What is tested is the hold, not offline handling (40-faults): should the emulated line
	 * lose four requests in a row, the IED is back within 200 ms instead of the default 10 s.
	 */
	ASSERT_EQ(0, smvet_bus_set(&self->b, "offline_reprobe_ms", "200"));
	ASSERT_EQ(0, smvet_bus_set(&self->b, "ieds", "2"));
	ASSERT_EQ(0, smvet_wait_ied(&self->b, IED, "online", 1, 20000, NULL));
}

FIXTURE_TEARDOWN(consumer)
{
	smvet_detach(&self->b);
}

TEST_F(consumer, one_consumer_per_node)
{
	uint32_t on = SMVE_CONSUMER_ATTACH, off = SMVE_CONSUMER_DETACH;
	struct smve_node_info info;
	uint64_t v;
	int a = smvet_node_open(&self->b, IED, O_RDWR);
	int c = smvet_node_open(&self->b, IED, O_RDWR);

	ASSERT_LE(0, a);
	ASSERT_LE(0, c);
	ASSERT_EQ(0, ioctl(a, SMVE_IOC_CONSUMER, &on));
	ASSERT_EQ(0, smvet_ied_u64(&self->b, IED, "consumer", &v));
	EXPECT_EQ(1, v);
	ASSERT_EQ(0, ioctl(c, SMVE_IOC_INFO, &info));
	EXPECT_EQ(1, info.consumer);
	EXPECT_EQ(-1, ioctl(c, SMVE_IOC_CONSUMER, &on));
	EXPECT_EQ(EBUSY, errno);
	/* Only the consumer commits. */
	uint64_t seq = 1;

	EXPECT_EQ(-1, ioctl(c, SMVE_IOC_COMMIT, &seq));
	/* Closing the consumer's file detaches it; the other file may take over. */
	close(a);
	ASSERT_EQ(0, smvet_ied_u64(&self->b, IED, "consumer", &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, ioctl(c, SMVE_IOC_CONSUMER, &on));
	ASSERT_EQ(0, ioctl(c, SMVE_IOC_CONSUMER, &off));
	ASSERT_EQ(0, smvet_ied_u64(&self->b, IED, "consumer", &v));
	EXPECT_EQ(0, v);
	close(c);
}

/* The master's counters, printed when a check failed: they tell a stall from a protocol answer. */
static void dump_counters(const struct smvet_bus *b)
{
	static const char *const ied_attrs[] = {
		"online", "seq", "statistics/polls", "statistics/replies", "statistics/timeouts",
		"statistics/retries", "statistics/stale", "statistics/offline_count",
		"statistics/ack_waits", "statistics/events",
	};
	static const char *const bus_attrs[] = {
		"statistics/frames_sent", "statistics/frames_received", "statistics/timeouts",
		"statistics/stale_replies", "statistics/unsolicited", "statistics/interchar_aborts",
		"statistics/bytes_discarded", "statistics/peh_sent", "rx_late",
	};
	char val[128];
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(ied_attrs) / sizeof(ied_attrs[0]); i++)
		if (!smvet_ied_u64(b, IED, ied_attrs[i], &v))
			printf("# IED %d %s = %llu\n", IED, ied_attrs[i], (unsigned long long)v);
	for (i = 0; i < sizeof(bus_attrs) / sizeof(bus_attrs[0]); i++)
		if (smvet_bus_get(b, bus_attrs[i], val, sizeof(val)) >= 0)
			printf("# bus %s = %s\n", bus_attrs[i], val);
	fflush(stdout);
}

/* Next EVENT record (printed for the host); its seq, or 0 on time-out. */
static uint64_t next_event(int fd, unsigned int ms)
{
	struct smvet_rec r;

	if (smvet_read_type(fd, SMVE_REC_EVENT, &r, ms) <= 0)
		return 0;
	smvet_print_event(&r);
	fflush(stdout);
	return r.hdr.seq;
}

TEST_F_TIMEOUT(consumer, events_wait_for_the_commit, 120)
{
	uint32_t on = SMVE_CONSUMER_ATTACH;
	uint64_t ev, seq0, seq1, waits0, waits1, events0, events1, committed;
	struct smve_node_info info;
	int fd = smvet_node_open(&self->b, IED, O_RDWR | O_NONBLOCK);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, SMVE_IOC_CONSUMER, &on));
	lseek(fd, 0, SEEK_END);
	ev = next_event(fd, 30000);
	ASSERT_LT(0, ev) TH_LOG("no event within 30 s: is smve-sim generating events?");
	/* Give the master time to have stored the whole reply (up to 2 events). */
	smvet_sleep_ms(300);
	while (next_event(fd, 10))
		;
	ASSERT_EQ(0, smvet_ied_u64(&self->b, IED, "seq", &seq0));
	ASSERT_EQ(0, smvet_ied_u64(&self->b, IED, "statistics/ack_waits", &waits0));
	ASSERT_EQ(0, smvet_ied_u64(&self->b, IED, "statistics/events", &events0));

	/* Not committed: the master keeps re-asking with the same SEQ and stores nothing twice. */
	smvet_sleep_ms(2000);
	ASSERT_EQ(0, smvet_ied_u64(&self->b, IED, "seq", &seq1));
	ASSERT_EQ(0, smvet_ied_u64(&self->b, IED, "statistics/ack_waits", &waits1));
	ASSERT_EQ(0, smvet_ied_u64(&self->b, IED, "statistics/events", &events1));
	EXPECT_EQ(seq0, seq1) TH_LOG("SEQ advanced without a commit");
	EXPECT_LT(waits0 + 5, waits1) TH_LOG("ack_waits %llu -> %llu", (unsigned long long)waits0,
					     (unsigned long long)waits1);
	EXPECT_EQ(events0, events1) TH_LOG("repeated reply stored again");
	EXPECT_EQ(0, next_event(fd, 10)) TH_LOG("an event arrived while the previous ones were uncommitted");
	if (waits1 <= waits0 + 5)
		dump_counters(&self->b);

	/* Commit everything read: the master acknowledges and events flow again. */
	ASSERT_EQ(0, ioctl(fd, SMVE_IOC_INFO, &info));
	committed = info.next_seq - 1;
	ASSERT_EQ(0, ioctl(fd, SMVE_IOC_COMMIT, &committed));
	ASSERT_EQ(0, ioctl(fd, SMVE_IOC_INFO, &info));
	EXPECT_EQ(committed, info.committed_seq);
	smvet_sleep_ms(500);
	ASSERT_EQ(0, smvet_ied_u64(&self->b, IED, "seq", &seq1));
	EXPECT_NE(seq0, seq1) TH_LOG("SEQ did not advance after the commit");
	if (seq0 == seq1)
		dump_counters(&self->b);
	/* A commit beyond the ring is refused. */
	uint64_t beyond = info.next_seq + 100;

	EXPECT_EQ(-1, ioctl(fd, SMVE_IOC_COMMIT, &beyond));
	/* Keep committing what arrives for a while: the host checks nothing acknowledged was lost. */
	int64_t end = smvet_now_ns() + 10000000000LL;
	int more = 0;

	while (smvet_now_ns() < end) {
		ev = next_event(fd, 500);
		if (!ev)
			continue;
		more++;
		ASSERT_EQ(0, ioctl(fd, SMVE_IOC_COMMIT, &ev));
	}
	EXPECT_LT(0, more);
	/* Without a consumer the ring is the store again: closing lets the master acknowledge. */
	close(fd);
	ASSERT_EQ(0, smvet_ied_u64(&self->b, IED, "seq", &seq0));
	smvet_sleep_ms(3000);
	ASSERT_EQ(0, smvet_ied_u64(&self->b, IED, "statistics/ack_waits", &waits0));
	smvet_sleep_ms(1000);
	ASSERT_EQ(0, smvet_ied_u64(&self->b, IED, "statistics/ack_waits", &waits1));
	EXPECT_EQ(waits0, waits1) TH_LOG("still waiting for a commit after the consumer closed");
}

TEST_HARNESS_MAIN
