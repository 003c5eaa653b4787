// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smve.ko in the test VM: record stream semantics of /dev/smve<B>.<A> (per
 * open cursor, coalesced STATE, lseek, EPIPE once on overrun with a loss
 * count, several readers, poll(), O_NONBLOCK, buffer too small, access
 * rules of read-only files).  Records are produced deterministically by
 * queueing 0x13 commands with write() to IED 9, which the simulator does not
 * serve: each ends as a COMMAND record with outcome UNKNOWN.  The module is
 * loaded with ring_records=16 (tests/vm/scenarios/20-stream).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smvetest.h"

#define SERVED	2
#define ABSENT	9	/* configured on the bus, never answers */

FIXTURE(stream) {
	struct smvet_bus b;
	int ctl;	/* O_RDWR file of IED ABSENT, used to queue commands */
};

FIXTURE_SETUP(stream)
{
	ASSERT_EQ(0, smvet_attach(&self->b, SMVET_TTY, 115200));
	/* No resends: each command to the silent IED costs one response timeout only. */
	ASSERT_EQ(0, smvet_bus_set(&self->b, "retries", "0"));
	ASSERT_EQ(0, smvet_relax(&self->b, 30));
	ASSERT_EQ(0, smvet_bus_set(&self->b, "ieds", "2 9"));
	self->ctl = smvet_node_open(&self->b, ABSENT, O_RDWR);
	ASSERT_LE(0, self->ctl);
	/* The silent IED's OFFLINE status record is out of the way before a test counts records. */
	ASSERT_EQ(0, smvet_wait_ied_ge(&self->b, ABSENT, "statistics/offline_count", 1, 20000, NULL));
}

FIXTURE_TEARDOWN(stream)
{
	if (self->ctl >= 0)
		close(self->ctl);
	smvet_detach(&self->b);
}

/* Queue @n 0x13 commands and wait until their COMMAND records are in the ring. */
static int make_records(int ctl, unsigned int n)
{
	struct smve_node_info info;
	uint64_t want;
	int64_t end = smvet_now_ns() + 20000000000LL;

	if (ioctl(ctl, SMVE_IOC_INFO, &info) < 0)
		return -errno;
	want = info.next_seq + n;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t cmd[4] = { 0x13, 0x00, (uint8_t)(i & 7), 1 };

		if (write(ctl, cmd, sizeof(cmd)) != (ssize_t)sizeof(cmd))
			return -errno;
	}
	while (smvet_now_ns() < end) {
		if (ioctl(ctl, SMVE_IOC_INFO, &info) < 0)
			return -errno;
		if (info.next_seq >= want)
			return 0;
		smvet_sleep_ms(20);
	}
	return -ETIMEDOUT;
}

/* Read ring records (skipping coalesced STATE) without blocking, up to @max; returns count or -errno. */
static int drain(int fd, uint64_t *seqs, int max)
{
	struct smvet_rec r;
	int n = 0;

	for (;;) {
		ssize_t len = smvet_read_one(fd, &r);

		if (len == -EAGAIN)
			return n;
		if (len <= 0)
			return len ? (int)len : -ENODATA;
		if (r.hdr.flags & SMVE_RECF_COALESCED)
			continue;
		if (n < max && seqs)
			seqs[n] = r.hdr.seq;
		n++;
	}
}

TEST_F(stream, open_starts_with_a_coalesced_state_record)
{
	struct smve_node_info info;
	struct smvet_rec r;
	int fd = smvet_node_open(&self->b, SERVED, O_RDONLY | O_NONBLOCK);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, smvet_wait_ied(&self->b, SERVED, "online", 1, 20000, NULL));
	ASSERT_EQ(0, ioctl(fd, SMVE_IOC_INFO, &info));
	ASSERT_LT(0, smvet_read_one(fd, &r));
	EXPECT_EQ(SMVE_REC_STATE, r.hdr.type);
	EXPECT_TRUE(r.hdr.flags & SMVE_RECF_COALESCED);
	EXPECT_EQ(info.epoch, r.hdr.epoch);
	EXPECT_LE(sizeof(struct smve_rec_state), r.hdr.len);
	close(fd);
}

TEST_F(stream, each_open_file_has_its_own_cursor)
{
	uint64_t a[64], b[64];
	int fa, fb, na, nb;

	ASSERT_EQ(0, make_records(self->ctl, 5));
	fa = smvet_node_open(&self->b, ABSENT, O_RDONLY | O_NONBLOCK);
	fb = smvet_node_open(&self->b, ABSENT, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fa);
	ASSERT_LE(0, fb);
	na = drain(fa, a, 64);
	ASSERT_LE(5, na);
	/* A's reading moved nothing for B: B reads the very same records. */
	nb = drain(fb, b, 64);
	ASSERT_EQ(na, nb);
	for (int i = 0; i < na; i++) {
		EXPECT_EQ(a[i], b[i]);
		if (i) {
			EXPECT_EQ(a[i - 1] + 1, a[i]);
		}
	}
	/* New records reach both, exactly once each. */
	ASSERT_EQ(0, make_records(self->ctl, 3));
	EXPECT_EQ(3, drain(fa, a, 64));
	EXPECT_EQ(3, drain(fb, b, 64));
	EXPECT_EQ(a[0], b[0]);
	close(fa);
	close(fb);
}

TEST_F(stream, lseek_set_end_and_cur)
{
	struct smve_node_info info;
	struct smvet_rec r;
	uint64_t seqs[64];
	off_t pos;
	int fd, n;

	ASSERT_EQ(0, make_records(self->ctl, 6));
	fd = smvet_node_open(&self->b, ABSENT, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, SMVE_IOC_INFO, &info));
	ASSERT_LE(info.first_seq + 5, info.next_seq);

	pos = lseek(fd, (off_t)info.next_seq - 3, SEEK_SET);
	EXPECT_EQ((off_t)info.next_seq - 3, pos);
	EXPECT_EQ(pos, lseek(fd, 0, SEEK_CUR));
	n = drain(fd, seqs, 64);
	ASSERT_EQ(3, n);
	EXPECT_EQ(info.next_seq - 3, seqs[0]);
	EXPECT_EQ((off_t)info.next_seq, lseek(fd, 0, SEEK_CUR));

	/* After a seek the newest state is delivered again, ahead of ring records. */
	ASSERT_EQ((off_t)info.next_seq - 1, lseek(fd, (off_t)info.next_seq - 1, SEEK_SET));
	ASSERT_LT(0, smvet_read_one(fd, &r));
	EXPECT_EQ(SMVE_REC_STATE, r.hdr.type);
	EXPECT_LE(info.next_seq, r.hdr.seq) TH_LOG("state seq is the seq the next ring record will take");

	/* SEEK_END skips to new records. */
	EXPECT_EQ((off_t)info.next_seq, lseek(fd, 0, SEEK_END));
	EXPECT_EQ(0, drain(fd, seqs, 64));
	/* Beyond the end is clamped. */
	EXPECT_EQ((off_t)info.next_seq, lseek(fd, (off_t)info.next_seq + 1000, SEEK_SET));
	/* Before the oldest record: either refused or moved to the oldest, never below. */
	pos = lseek(fd, 0, SEEK_SET);
	if (pos >= 0) {
		EXPECT_LE((off_t)info.first_seq, pos);
	}
	EXPECT_EQ(-1, lseek(fd, -1, SEEK_SET));
	close(fd);
}

TEST_F(stream, overrun_gives_epipe_once_and_a_loss_count)
{
	struct smve_node_info info;
	struct smvet_rec r;
	struct smve_ied_stats st;
	uint64_t lost = 0, seqs[64];
	int fd, n, epipe = 0;
	ssize_t len;

	fd = smvet_node_open(&self->b, ABSENT, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, SMVE_IOC_INFO, &info));
	ASSERT_GE(64, info.ring_records) TH_LOG("load the module with ring_records=16 for this test");
	ASSERT_EQ((off_t)info.first_seq, lseek(fd, (off_t)info.first_seq, SEEK_SET));
	ASSERT_EQ(0, make_records(self->ctl, info.ring_records + 8));

	for (;;) {
		len = smvet_read_one(fd, &r);
		if (len == -EPIPE) {
			epipe++;
			continue;
		}
		if (len < 0 || !(r.hdr.flags & SMVE_RECF_COALESCED))
			break;
	}
	EXPECT_EQ(1, epipe);
	ASSERT_LT(0, len);
	ASSERT_EQ(0, ioctl(fd, SMVE_IOC_LOST, &lost));
	EXPECT_LE(8, lost);
	ASSERT_EQ(0, ioctl(fd, SMVE_IOC_LOST, &lost));
	EXPECT_EQ(0, lost) TH_LOG("the loss count is cleared by reading it");
	/* Reading continues from the oldest record without another EPIPE. */
	n = drain(fd, seqs, 64);
	EXPECT_LE(1, n);
	for (int i = 1; i < n && i < 64; i++) {
		EXPECT_EQ(seqs[i - 1] + 1, seqs[i]);
	}
	ASSERT_EQ(0, ioctl(self->ctl, SMVE_IOC_IED_STATS, &st));
	EXPECT_LE(8, st.records_overrun);
	close(fd);
}

TEST_F(stream, buffer_smaller_than_a_record_is_einval)
{
	char small[16];
	int fd = smvet_node_open(&self->b, SERVED, O_RDONLY | O_NONBLOCK);

	ASSERT_LE(0, fd);
	/* The state record is always pending right after open. */
	EXPECT_EQ(-1, read(fd, small, sizeof(small)));
	EXPECT_EQ(EINVAL, errno);
	/* ... and still there afterwards. */
	struct smvet_rec r;

	ASSERT_LT(0, smvet_read_one(fd, &r));
	EXPECT_EQ(SMVE_REC_STATE, r.hdr.type);
	close(fd);
}

TEST_F(stream, several_records_fit_in_one_read)
{
	uint8_t buf[4096];
	ssize_t n;
	size_t off = 0;
	off_t end;
	int fd, count = 0;

	ASSERT_EQ(0, make_records(self->ctl, 4));
	fd = smvet_node_open(&self->b, ABSENT, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd);
	end = lseek(fd, 0, SEEK_END);
	ASSERT_LE(4, end);
	ASSERT_EQ(end - 4, lseek(fd, end - 4, SEEK_SET));
	n = read(fd, buf, sizeof(buf));
	ASSERT_LT(0, n);
	while (off < (size_t)n) {
		struct smve_record h;

		ASSERT_LE(off + sizeof(h), (size_t)n);
		memcpy(&h, buf + off, sizeof(h));
		ASSERT_GE(SMVE_RECORD_MAX, h.len);
		off += SMVE_RECORD_SIZE(h.len);
		count++;
	}
	EXPECT_EQ((size_t)n, off);
	EXPECT_LE(5, count) TH_LOG("state + 4 command records in one read");
	close(fd);
}

TEST_F(stream, poll_and_nonblocking_read)
{
	struct pollfd pfd;
	struct smvet_rec r;
	int fd = smvet_node_open(&self->b, ABSENT, O_RDONLY | O_NONBLOCK);

	ASSERT_LE(0, fd);
	/* Let the silent IED settle offline so that its state stops changing. */
	ASSERT_EQ(0, smvet_wait_ied_ge(&self->b, ABSENT, "statistics/offline_count", 1, 15000, NULL));
	smvet_sleep_ms(200);
	lseek(fd, 0, SEEK_END);
	drain(fd, NULL, 0);
	EXPECT_EQ(-EAGAIN, smvet_read_one(fd, &r));
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	EXPECT_EQ(0, poll(&pfd, 1, 300));
	ASSERT_EQ(0, make_records(self->ctl, 1));
	pfd.revents = 0;
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	ASSERT_EQ(0, drain(fd, NULL, 0) - 1);
	EXPECT_EQ(-EAGAIN, smvet_read_one(fd, &r));
	close(fd);
}

struct blocked_reader {
	int fd;
	ssize_t len;
	struct smvet_rec r;
};

static void *blocked_read(void *arg)
{
	struct blocked_reader *br = arg;

	do {
		br->len = smvet_read_one(br->fd, &br->r);
	} while (br->len > 0 && br->r.hdr.type != SMVE_REC_COMMAND);
	return NULL;
}

TEST_F(stream, blocking_read_wakes_on_a_new_record)
{
	struct blocked_reader br = { .len = -1 };
	pthread_t th;

	br.fd = smvet_node_open(&self->b, ABSENT, O_RDONLY);
	ASSERT_LE(0, br.fd);
	lseek(br.fd, 0, SEEK_END);
	ASSERT_EQ(0, pthread_create(&th, NULL, blocked_read, &br));
	smvet_sleep_ms(300);
	ASSERT_EQ(0, make_records(self->ctl, 1));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_LT(0, br.len);
	EXPECT_EQ(SMVE_REC_COMMAND, br.r.hdr.type);
	close(br.fd);
}

TEST_F(stream, command_record_reports_unknown_outcome)
{
	struct smvet_rec r;
	struct smve_rec_command c;
	int fd = smvet_node_open(&self->b, ABSENT, O_RDONLY | O_NONBLOCK);

	ASSERT_LE(0, fd);
	lseek(fd, 0, SEEK_END);
	ASSERT_EQ(0, make_records(self->ctl, 1));
	ASSERT_LT(0, smvet_read_type(fd, SMVE_REC_COMMAND, &r, 5000));
	ASSERT_LE(sizeof(c), r.hdr.len);
	memcpy(&c, r.payload, sizeof(c));
	EXPECT_EQ(SMVE_CMD_UNKNOWN, c.outcome);
	EXPECT_EQ(0x13, c.cmd);
	EXPECT_EQ(1, c.attempts) TH_LOG("retries=0: one attempt");
	EXPECT_EQ(11, c.req_len);
	EXPECT_EQ(0, c.resp_len);
	EXPECT_EQ(sizeof(c) + c.req_len + c.resp_len, r.hdr.len);
	close(fd);
}

TEST_F(stream, read_only_files_cannot_operate)
{
	uint8_t cmd[4] = { 0x13, 0, 1, 1 };
	struct smve_transact tr;
	uint32_t on = SMVE_CONSUMER_ATTACH;
	int fd = smvet_node_open(&self->b, ABSENT, O_RDONLY);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, write(fd, cmd, sizeof(cmd)));
	EXPECT_EQ(EBADF, errno);
	memset(&tr, 0, sizeof(tr));
	tr.cmd = 0x13;
	tr.req_len = 3;
	EXPECT_EQ(-1, ioctl(fd, SMVE_IOC_TRANSACT, &tr));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(fd, SMVE_IOC_CONSUMER, &on));
	EXPECT_TRUE(errno == EPERM || errno == EBADF) TH_LOG("errno %d", errno);
	close(fd);
}

TEST_F(stream, control_path_refuses_poll_peh_and_bad_lengths)
{
	struct smve_transact tr;
	uint8_t w[300];

	memset(&tr, 0, sizeof(tr));
	tr.cmd = 0x10;
	EXPECT_EQ(-1, ioctl(self->ctl, SMVE_IOC_TRANSACT, &tr));
	EXPECT_EQ(EINVAL, errno);
	tr.cmd = 0x12;
	tr.req_len = 9;
	EXPECT_EQ(-1, ioctl(self->ctl, SMVE_IOC_TRANSACT, &tr));
	EXPECT_EQ(EINVAL, errno);
	tr.cmd = 0x13;
	tr.req_len = 249;	/* more than a frame can carry */
	EXPECT_EQ(-1, ioctl(self->ctl, SMVE_IOC_TRANSACT, &tr));
	EXPECT_TRUE(errno == EINVAL || errno == EMSGSIZE) TH_LOG("errno %d", errno);
	memset(w, 0, sizeof(w));
	w[0] = 0x13;
	EXPECT_EQ(-1, write(self->ctl, w, sizeof(w)));
	EXPECT_TRUE(errno == EINVAL || errno == EMSGSIZE) TH_LOG("errno %d", errno);
	/* A zero-length write queues nothing: 0, or EINVAL for "no CMD byte". */
	errno = 0;
	ssize_t zero = write(self->ctl, w, 0);

	EXPECT_TRUE(zero == 0 || (zero == -1 && errno == EINVAL)) TH_LOG("%zd errno %d", zero, errno);
	w[0] = 0x10;
	EXPECT_EQ(-1, write(self->ctl, w, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_HARNESS_MAIN
