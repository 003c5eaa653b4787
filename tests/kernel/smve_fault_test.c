// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smve.ko in the test VM against a faulty bus (tests/vm/scenarios/40-faults:
 * smve-sim with --silence 4:P, --wrong-seq, --bad-bcc, --wrong-addr, --noise
 * and --echo).  One long test: every fault is counted where the README says,
 * polling of the healthy IEDs goes on, the flaky IED 4 goes offline and back
 * online with STATUS records, an offline STATE (AIs qualified) and
 * "change" uevents carrying SMVE_ONLINE, and every event is printed for the
 * host's check that nothing acknowledged was lost and nothing duplicated
 * without the stale flag.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smvetest.h"

static const unsigned int addrs[] = { 2, 3, 4 };
#define NIEDS	(sizeof(addrs) / sizeof(addrs[0]))
#define FLAKY	4	/* --silence 4:P in the scenario */

struct seen {
	int events, offline_rec, online_rec, offline_state, ai_qualified;
	int uevent_off, uevent_on, detached, stale;
	uint64_t offline_attempts;
};

static int take(const struct smvet_rec *r, unsigned int addr, struct seen *s)
{
	int rc = smvet_print_event(r);

	if (rc < 0)
		return rc;
	if (rc) {
		s->events++;
		s->stale += !!(r->hdr.flags & SMVE_RECF_STALE);
		return 0;
	}
	if (r->hdr.type == SMVE_REC_STATUS && addr == FLAKY) {
		struct smve_rec_status st;

		if (r->hdr.len < sizeof(st))
			return -EPROTO;
		memcpy(&st, r->payload, sizeof(st));
		if (st.status == SMVE_STATUS_OFFLINE) {
			s->offline_rec++;
			s->offline_attempts = st.value;
		} else if (st.status == SMVE_STATUS_ONLINE) {
			s->online_rec++;
		}
	}
	if (r->hdr.type == SMVE_REC_STATUS && r->hdr.len >= 4) {
		uint32_t status;

		memcpy(&status, r->payload, sizeof(status));
		s->detached += status == SMVE_STATUS_DETACHED;
	}
	if (r->hdr.type == SMVE_REC_STATE && addr == FLAKY) {
		struct smve_rec_state st;

		if (r->hdr.len < sizeof(st))
			return -EPROTO;
		memcpy(&st, r->payload, sizeof(st));
		if ((st.flags & SMVE_STATE_OFFLINE) && !(st.flags & SMVE_STATE_NEVER)) {
			const uint8_t *ai = r->payload + sizeof(st) + st.sv_len + 2 * st.di_words;
			int all_q1 = st.ai_words > 0;

			if (sizeof(st) + st.sv_len + 2u * (st.di_words + st.ai_words) > r->hdr.len)
				return -EPROTO;
			for (unsigned int i = 0; i < st.ai_words; i++)
				all_q1 &= (ai[2 * i + 1] >> 6) == 1;	/* spec 5.5: q = word >> 14 */
			s->offline_state++;
			s->ai_qualified += all_q1;
		}
	}
	return 0;
}

FIXTURE(faults) {
	int unused;
};

FIXTURE_SETUP(faults)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(faults)
{
}

TEST_F_TIMEOUT(faults, counted_survived_and_nothing_lost, 150)
{
	struct smvet_bus b;
	struct seen s = { 0 };
	int fds[NIEDS], ue;
	char devpath_tail[32];
	uint64_t v, replies2, replies3;
	int64_t end;

	ASSERT_EQ(0, smvet_attach(&b, SMVET_TTY, 115200));
	ASSERT_EQ(0, smvet_relax(&b, 30));
	ASSERT_EQ(0, smvet_bus_set(&b, "offline_reprobe_ms", "300"));
	ASSERT_EQ(0, smvet_bus_set(&b, "layout", "2:6,1,2 3:6,1,2 4:6,1,2"));
	ue = smvet_uevent_open();
	ASSERT_LE(0, ue);
	ASSERT_EQ(0, smvet_bus_set(&b, "ieds", "2 3 4"));
	snprintf(devpath_tail, sizeof(devpath_tail), "/smve%d.%d", b.index, FLAKY);
	for (size_t i = 0; i < NIEDS; i++) {
		fds[i] = smvet_node_open(&b, addrs[i], O_RDONLY | O_NONBLOCK);
		ASSERT_LE(0, fds[i]);
	}

	end = smvet_now_ns() + 30000000000LL;
	while (smvet_now_ns() < end) {
		struct pollfd p[NIEDS + 1];
		char msg[4096];
		size_t len;

		for (size_t i = 0; i < NIEDS; i++)
			p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		p[NIEDS] = (struct pollfd){ .fd = ue, .events = POLLIN };
		ASSERT_LE(0, poll(p, NIEDS + 1, 500));
		for (size_t i = 0; i < NIEDS; i++) {
			struct smvet_rec r;
			ssize_t n;

			if (!(p[i].revents & POLLIN))
				continue;
			while ((n = smvet_read_one(fds[i], &r)) > 0)
				ASSERT_EQ(0, take(&r, addrs[i], &s));
			ASSERT_EQ(-EAGAIN, n);
		}
		while (smvet_uevent_read(ue, msg, sizeof(msg), &len, 0) == 1) {
			const char *action = smvet_uevent_get(msg, len, "ACTION");
			const char *dp = smvet_uevent_get(msg, len, "DEVPATH");
			const char *on = smvet_uevent_get(msg, len, "SMVE_ONLINE");
			size_t tl = strlen(devpath_tail);

			if (!action || !dp || !on || strcmp(action, "change") ||
			    strlen(dp) < tl || strcmp(dp + strlen(dp) - tl, devpath_tail))
				continue;
			s.uevent_off += !strcmp(on, "0");
			s.uevent_on += !strcmp(on, "1");
		}
	}

	/* Each fault shows in its counter. */
	static const char *const counters[] = {
		"statistics/checksum_errors", "statistics/stale_replies", "statistics/wrong_source",
		"statistics/bytes_discarded", "statistics/echoes", "statistics/timeouts",
		"statistics/retries",
	};
	for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
		ASSERT_EQ(0, smvet_bus_u64(&b, counters[i], &v));
		EXPECT_LT(0, v) TH_LOG("%s stayed 0", counters[i]);
		printf("# %s = %llu\n", counters[i], (unsigned long long)v);
	}
	ASSERT_EQ(0, smvet_ied_u64(&b, 2, "statistics/replies", &replies2));
	ASSERT_EQ(0, smvet_ied_u64(&b, 3, "statistics/replies", &replies3));
	EXPECT_LT(100, replies2);
	EXPECT_LT(100, replies3);
	ASSERT_EQ(0, smvet_ied_u64(&b, FLAKY, "statistics/offline_count", &v));
	EXPECT_LT(0, v);
	printf("# IED 4: %llu offline transitions; records: %d offline, %d online; uevents: %d/%d\n",
	       (unsigned long long)v, s.offline_rec, s.online_rec, s.uevent_off, s.uevent_on);

	smvet_detach(&b);
	for (size_t i = 0; i < NIEDS; i++) {
		struct smvet_rec r;
		ssize_t n;

		while ((n = smvet_read_one(fds[i], &r)) > 0)
			ASSERT_EQ(0, take(&r, addrs[i], &s));
		EXPECT_EQ(0, n);
		close(fds[i]);
	}
	close(ue);
	fflush(stdout);

	EXPECT_LT(0, s.offline_rec) TH_LOG("no STATUS OFFLINE record for IED 4");
	EXPECT_LT(0, s.online_rec) TH_LOG("no STATUS ONLINE record for IED 4");
	EXPECT_LE(4, s.offline_attempts) TH_LOG("OFFLINE after retries+1 = 4 failed attempts");
	EXPECT_LT(0, s.offline_state) TH_LOG("no STATE with SMVE_STATE_OFFLINE for IED 4");
	EXPECT_EQ(s.offline_state, s.ai_qualified) TH_LOG("offline AIs carry q = 1");
	EXPECT_LT(0, s.uevent_off) TH_LOG("no change uevent SMVE_ONLINE=0 for IED 4");
	EXPECT_LT(0, s.uevent_on) TH_LOG("no change uevent SMVE_ONLINE=1 for IED 4");
	EXPECT_EQ((int)NIEDS, s.detached);
	EXPECT_LT(0, s.events);
}

TEST_HARNESS_MAIN
