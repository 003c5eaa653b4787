// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smve.ko in the test VM: attach/detach, the bus device and its sysfs
 * attributes, the IED set creating and removing nodes, configuration by
 * sysfs and by ioctl, counters; the reply gap limit and the SEQ rules for
 * stale and resent replies on a pty where the test plays the IED.  Needs
 * smve-sim serving IEDs 2 and 3 on ttyS1 (tests/vm/scenarios/10-bus).
 */
#define _GNU_SOURCE	/* posix_openpt, grantpt, unlockpt */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "smvetest.h"

#define SERVED	2	/* answered by the simulator */

/* Expand "2 3 5-7" into a bitmap of addresses 0..255; -1 on a syntax error. */
static int parse_set(const char *s, uint8_t set[256])
{
	memset(set, 0, 256);
	while (*s) {
		char *end;
		long a, b;

		if (*s == ' ' || *s == ',' || *s == '\n') {
			s++;
			continue;
		}
		a = strtol(s, &end, 10);
		if (end == s || a < 0 || a > 255)
			return -1;
		b = a;
		if (*end == '-') {
			s = end + 1;
			b = strtol(s, &end, 10);
			if (end == s || b < a || b > 255)
				return -1;
		}
		for (long i = a; i <= b; i++)
			set[i] = 1;
		s = end;
	}
	return 0;
}

static int node_exists(const struct smvet_bus *b, unsigned int addr)
{
	char path[64];
	struct stat st;

	smvet_node_path(b, addr, path, sizeof(path));
	return stat(path, &st) == 0 && S_ISCHR(st.st_mode);
}

/* Character time of @bits per character at @baud: 1e9 * bits / baud, truncated or rounded. */
static int near(unsigned int bits, unsigned int baud, uint64_t ns)
{
	uint64_t lo = (uint64_t)bits * 1000000000 / baud;

	return ns == lo || ns == lo + 1;
}

FIXTURE(bus) {
	struct smvet_bus b;
};

FIXTURE_SETUP(bus)
{
	ASSERT_EQ(0, smvet_attach(&self->b, SMVET_TTY, 115200));
}

FIXTURE_TEARDOWN(bus)
{
	smvet_detach(&self->b);
}

TEST(attach_creates_and_detach_removes_the_bus)
{
	struct smvet_bus b;
	char val[64];
	uint64_t objs0, objs;
	struct stat st;

	ASSERT_EQ(0, smvet_objects(&objs0));
	ASSERT_EQ(0, smvet_attach(&b, SMVET_TTY, 115200));
	ASSERT_EQ(0, stat(b.dir, &st));
	ASSERT_LT(0, smvet_bus_get(&b, "tty", val, sizeof(val)));
	EXPECT_STREQ("ttyS1", val);
	ASSERT_EQ(0, smvet_objects(&objs));
	EXPECT_LT(objs0, objs);
	/* Attaching twice to the same tty is a no-op for the tty layer; the bus stays one. */
	smvet_detach(&b);
	EXPECT_NE(0, stat(b.dir, &st));
	EXPECT_EQ(-ENOENT, smvet_bus_of_tty("ttyS1"));
	ASSERT_EQ(0, smvet_objects(&objs));
	EXPECT_EQ(objs0, objs);
}

TEST_F(bus, char_time_follows_termios)
{
	struct smve_bus_config cfg;
	uint64_t ct, guard;
	struct termios t;

	ASSERT_EQ(0, smvet_bus_u64(&self->b, "char_time_ns", &ct));
	EXPECT_TRUE(near(10, 115200, ct)) TH_LOG("char_time_ns %llu", (unsigned long long)ct);
	memset(&cfg, 0, sizeof(cfg));
	ASSERT_EQ(0, ioctl(self->b.fd, SMVE_IOC_BUS_GET_CONFIG, &cfg));
	EXPECT_EQ(ct, cfg.char_time_ns);
	EXPECT_EQ((unsigned int)self->b.index, cfg.bus);
	EXPECT_TRUE(cfg.auto_mask & SMVE_CFG_GUARD);

	ASSERT_EQ(0, smvet_set_baud(&self->b, 9600));
	ASSERT_EQ(0, smvet_bus_u64(&self->b, "char_time_ns", &ct));
	EXPECT_TRUE(near(10, 9600, ct)) TH_LOG("char_time_ns %llu", (unsigned long long)ct);
	/* Automatic timing follows the new char time: guard = 5 Tc (allow the bus thread a moment). */
	for (int i = 0; i < 100; i++) {
		ASSERT_EQ(0, smvet_bus_u64(&self->b, "guard_us", &guard));
		if (guard + 1 >= 5 * ct / 1000)
			break;
		smvet_sleep_ms(20);
	}
	EXPECT_LE(5 * ct / 1000 - 1, guard);
	EXPECT_GE(5 * ct / 1000 + 1, guard);

	/* 8E1 is 11 bits per character (tty_get_frame_size). */
	ASSERT_EQ(0, tcgetattr(self->b.fd, &t));
	t.c_cflag |= PARENB;
	ASSERT_EQ(0, tcsetattr(self->b.fd, TCSANOW, &t));
	ASSERT_EQ(0, smvet_bus_u64(&self->b, "char_time_ns", &ct));
	EXPECT_TRUE(near(11, 9600, ct)) TH_LOG("char_time_ns %llu", (unsigned long long)ct);

	ASSERT_EQ(0, smvet_set_baud(&self->b, 115200));
	ASSERT_EQ(0, smvet_bus_u64(&self->b, "char_time_ns", &ct));
	EXPECT_TRUE(near(10, 115200, ct)) TH_LOG("char_time_ns %llu", (unsigned long long)ct);
}

TEST_F(bus, ieds_create_and_remove_nodes)
{
	uint8_t set[256];
	char val[256];
	char epoch3[64], epoch3b[64], path3[96];
	struct smve_bus_ieds map;

	ASSERT_EQ(0, smvet_bus_set(&self->b, "ieds", "2 3 5-7"));
	ASSERT_LT(0, smvet_bus_get(&self->b, "ieds", val, sizeof(val)));
	ASSERT_EQ(0, parse_set(val, set));
	for (int a = 0; a < 256; a++) {
		EXPECT_EQ(a == 2 || a == 3 || (a >= 5 && a <= 7), set[a]) TH_LOG("address %d in '%s'", a, val);
	}
	EXPECT_TRUE(node_exists(&self->b, 2));
	EXPECT_TRUE(node_exists(&self->b, 6));
	EXPECT_FALSE(node_exists(&self->b, 4));
	ASSERT_EQ(0, ioctl(self->b.fd, SMVE_IOC_BUS_GET_IEDS, &map));
	EXPECT_EQ((1ULL << 2) | (1ULL << 3) | (1ULL << 5) | (1ULL << 6) | (1ULL << 7), map.map[0]);
	EXPECT_EQ(0, map.map[1] | map.map[2] | map.map[3]);

	snprintf(path3, sizeof(path3), SMVET_CLASS "/smve%d.3/epoch", self->b.index);
	ASSERT_LT(0, smvet_read_file(path3, epoch3, sizeof(epoch3)));
	/* Replacing the set keeps what stays (same ring, same epoch) and removes the rest. */
	ASSERT_EQ(0, smvet_bus_set(&self->b, "ieds", "3 6"));
	EXPECT_FALSE(node_exists(&self->b, 2));
	EXPECT_FALSE(node_exists(&self->b, 5));
	EXPECT_FALSE(node_exists(&self->b, 7));
	EXPECT_TRUE(node_exists(&self->b, 3));
	EXPECT_TRUE(node_exists(&self->b, 6));
	ASSERT_LT(0, smvet_read_file(path3, epoch3b, sizeof(epoch3b)));
	EXPECT_STREQ(epoch3, epoch3b);

	/* The ioctl does the same. */
	memset(&map, 0, sizeof(map));
	map.map[0] = 1ULL << 9;
	ASSERT_EQ(0, ioctl(self->b.fd, SMVE_IOC_BUS_SET_IEDS, &map));
	EXPECT_TRUE(node_exists(&self->b, 9));
	EXPECT_FALSE(node_exists(&self->b, 3));

	/* A write of zero bytes never reaches sysfs: "empty" is a lone newline. */
	ASSERT_EQ(0, smvet_bus_set(&self->b, "ieds", "\n"));
	EXPECT_FALSE(node_exists(&self->b, 9));
}

TEST_F(bus, ieds_rejects_invalid_sets)
{
	static const char *const bad[] = {
		"0", "1", "255", "256", "abc", "7-3", "2 3 x", "-", "2-", "99999999999999999999", "2,,3x",
	};
	char before[256], after[256];
	struct smve_bus_ieds map;

	ASSERT_EQ(0, smvet_bus_set(&self->b, "ieds", "2 3"));
	ASSERT_LT(0, smvet_bus_get(&self->b, "ieds", before, sizeof(before)));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, smvet_bus_set(&self->b, "ieds", bad[i])) TH_LOG("ieds '%s'", bad[i]);
		ASSERT_LT(0, smvet_bus_get(&self->b, "ieds", after, sizeof(after)));
		EXPECT_STREQ(before, after);
	}
	/* The master's own address and broadcast are not IEDs. */
	memset(&map, 0, sizeof(map));
	map.map[0] = 1ULL << 1;
	EXPECT_NE(0, ioctl(self->b.fd, SMVE_IOC_BUS_SET_IEDS, &map));
	memset(&map, 0, sizeof(map));
	map.map[3] = 1ULL << 63;
	EXPECT_NE(0, ioctl(self->b.fd, SMVE_IOC_BUS_SET_IEDS, &map));
	EXPECT_TRUE(node_exists(&self->b, 2));
}

TEST_F(bus, layout_reads_back_and_rejects_garbage)
{
	struct smve_bus_layout lay;
	char val[1024];

	ASSERT_EQ(0, smvet_bus_set(&self->b, "layout", "2:6,1,2 3:4,2,4"));
	ASSERT_LT(0, smvet_bus_get(&self->b, "layout", val, sizeof(val)));
	EXPECT_STREQ("2:6,1,2 3:4,2,4", val);
	memset(&lay, 0, sizeof(lay));
	ASSERT_EQ(0, ioctl(self->b.fd, SMVE_IOC_BUS_GET_LAYOUT, &lay));
	EXPECT_STREQ("2:6,1,2 3:4,2,4", lay.text);
	EXPECT_EQ(-EINVAL, smvet_bus_set(&self->b, "layout", "2:x"));
	EXPECT_EQ(-EINVAL, smvet_bus_set(&self->b, "layout", "2:6,1,2 2:6,1,2 :"));
	ASSERT_LT(0, smvet_bus_get(&self->b, "layout", val, sizeof(val)));
	EXPECT_STREQ("2:6,1,2 3:4,2,4", val);
	/* An unterminated ioctl text is refused, not read past its end. */
	memset(lay.text, '2', sizeof(lay.text));
	EXPECT_NE(0, ioctl(self->b.fd, SMVE_IOC_BUS_SET_LAYOUT, &lay));
	ASSERT_EQ(0, smvet_bus_set(&self->b, "layout", "\n"));
	ASSERT_EQ(0, smvet_bus_get(&self->b, "layout", val, sizeof(val)));
}

TEST_F(bus, timing_parameters_set_and_auto)
{
	static const struct { const char *name; uint32_t bit; } p[] = {
		{ "response_timeout_us", SMVE_CFG_RESPONSE_TIMEOUT },
		{ "interchar_timeout_us", SMVE_CFG_INTERCHAR_TIMEOUT },
		{ "guard_us", SMVE_CFG_GUARD },
		{ "broadcast_guard_us", SMVE_CFG_BROADCAST_GUARD },
	};
	struct smve_bus_config cfg;
	uint64_t autoval, v;

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		ASSERT_EQ(0, smvet_bus_u64(&self->b, p[i].name, &autoval));
		EXPECT_LT(0, autoval) TH_LOG("%s", p[i].name);
		ASSERT_EQ(0, smvet_bus_set(&self->b, p[i].name, "12345"));
		ASSERT_EQ(0, smvet_bus_u64(&self->b, p[i].name, &v));
		EXPECT_EQ(12345, v);
		ASSERT_EQ(0, ioctl(self->b.fd, SMVE_IOC_BUS_GET_CONFIG, &cfg));
		EXPECT_FALSE(cfg.auto_mask & p[i].bit) TH_LOG("%s", p[i].name);
		ASSERT_EQ(0, smvet_bus_set(&self->b, p[i].name, "0"));
		ASSERT_EQ(0, smvet_bus_u64(&self->b, p[i].name, &v));
		EXPECT_EQ(autoval, v) TH_LOG("%s back to auto", p[i].name);
		ASSERT_EQ(0, ioctl(self->b.fd, SMVE_IOC_BUS_GET_CONFIG, &cfg));
		EXPECT_TRUE(cfg.auto_mask & p[i].bit) TH_LOG("%s", p[i].name);
		EXPECT_EQ(-EINVAL, smvet_bus_set(&self->b, p[i].name, "-5"));
		EXPECT_EQ(-EINVAL, smvet_bus_set(&self->b, p[i].name, "12abc"));
	}
	ASSERT_EQ(0, smvet_bus_set(&self->b, "retries", "5"));
	ASSERT_EQ(0, smvet_bus_u64(&self->b, "retries", &v));
	EXPECT_EQ(5, v);
	EXPECT_EQ(-EINVAL, smvet_bus_set(&self->b, "retries", "16"));
	EXPECT_EQ(-EINVAL, smvet_bus_set(&self->b, "master_addr", "0"));
	EXPECT_EQ(-EINVAL, smvet_bus_set(&self->b, "master_addr", "255"));
	ASSERT_EQ(0, smvet_bus_set(&self->b, "peh_utc_offset_s", "-10800"));
	ASSERT_LT(0, smvet_bus_get(&self->b, "peh_utc_offset_s", (char[32]){ 0 }, 32));
}

TEST_F(bus, config_ioctl_applies_only_the_mask)
{
	struct smve_bus_config before, set, after;

	ASSERT_EQ(0, ioctl(self->b.fd, SMVE_IOC_BUS_GET_CONFIG, &before));
	memset(&set, 0xA5, sizeof(set));	/* garbage everywhere but the masked field */
	set.mask = SMVE_CFG_RETRIES | SMVE_CFG_POLL_INTERVAL;
	set.retries = 2;
	set.poll_interval_us = 1000;
	ASSERT_EQ(0, ioctl(self->b.fd, SMVE_IOC_BUS_SET_CONFIG, &set));
	ASSERT_EQ(0, ioctl(self->b.fd, SMVE_IOC_BUS_GET_CONFIG, &after));
	EXPECT_EQ(2, after.retries);
	EXPECT_EQ(1000, after.poll_interval_us);
	EXPECT_EQ(before.master_addr, after.master_addr);
	EXPECT_EQ(before.response_timeout_us, after.response_timeout_us);
	EXPECT_EQ(before.guard_us, after.guard_us);
	EXPECT_EQ(before.peh_interval_s, after.peh_interval_s);
	EXPECT_EQ(before.auto_mask, after.auto_mask);
	/* Out-of-range values in the mask are refused as a whole. */
	set.mask = SMVE_CFG_RETRIES | SMVE_CFG_MASTER_ADDR;
	set.retries = 1;
	set.master_addr = 0;
	EXPECT_EQ(-1, ioctl(self->b.fd, SMVE_IOC_BUS_SET_CONFIG, &set));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, ioctl(self->b.fd, SMVE_IOC_BUS_GET_CONFIG, &after));
	EXPECT_EQ(2, after.retries);
}

TEST_F(bus, counters_move_and_reset)
{
	struct smve_bus_stats st;
	uint64_t v, sent;
	char line[256];
	unsigned long long c, mn, p50, p99, mx;

	ASSERT_EQ(0, smvet_relax(&self->b, 30));
	ASSERT_EQ(0, smvet_bus_set(&self->b, "ieds", "2"));
	ASSERT_EQ(0, smvet_wait_ied(&self->b, SERVED, "online", 1, 20000, &v));
	ASSERT_EQ(0, smvet_wait_bus_ge(&self->b, "statistics/cycles", 20, 20000, &v));
	ASSERT_EQ(0, smvet_bus_u64(&self->b, "statistics/frames_sent", &sent));
	EXPECT_LE(20, sent);
	ASSERT_EQ(0, smvet_bus_u64(&self->b, "statistics/frames_received", &v));
	EXPECT_LE(19, v);
	ASSERT_EQ(0, ioctl(self->b.fd, SMVE_IOC_BUS_GET_STATS, &st));
	EXPECT_LE(sent, st.frames_sent);
	EXPECT_LE(19, st.latency.count);
	EXPECT_LE(st.latency.min_ns, st.latency.p50_ns);
	EXPECT_LE(st.latency.p50_ns, st.latency.p99_ns);
	EXPECT_LE(st.latency.p99_ns, st.latency.max_ns);
	ASSERT_LT(0, smvet_bus_get(&self->b, "timing/turnaround", line, sizeof(line)));
	ASSERT_EQ(5, sscanf(line, "%llu %llu %llu %llu %llu", &c, &mn, &p50, &p99, &mx));
	EXPECT_LT(0, c);
	EXPECT_LE(mn, p50);
	EXPECT_LE(p99, mx);
	ASSERT_EQ(0, smvet_ied_u64(&self->b, SERVED, "statistics/polls", &v));
	EXPECT_LE(20, v);
	ASSERT_EQ(0, smvet_ied_u64(&self->b, SERVED, "statistics/replies", &v));
	EXPECT_LE(19, v);

	ASSERT_EQ(0, smvet_bus_set(&self->b, "ieds", "\n"));
	ASSERT_EQ(0, smvet_bus_set(&self->b, "reset_statistics", "1"));
	ASSERT_EQ(0, smvet_bus_u64(&self->b, "statistics/frames_sent", &v));
	EXPECT_GT(5, v);
	ASSERT_EQ(0, ioctl(self->b.fd, SMVE_IOC_BUS_GET_STATS, &st));
	EXPECT_GT(5, st.latency.count);
}

TEST_F(bus, node_info_names_the_node)
{
	struct smve_node_info info;
	int fd;

	ASSERT_EQ(0, smvet_bus_set(&self->b, "ieds", "2"));
	fd = smvet_node_open(&self->b, SERVED, O_RDONLY);
	ASSERT_LE(0, fd);
	memset(&info, 0xff, sizeof(info));
	ASSERT_EQ(0, ioctl(fd, SMVE_IOC_INFO, &info));
	EXPECT_EQ(SMVE_UAPI_VERSION, info.version);
	EXPECT_EQ((unsigned int)self->b.index, info.bus);
	EXPECT_EQ(SERVED, info.address);
	EXPECT_NE(0, info.epoch);
	EXPECT_LE(info.first_seq, info.next_seq);
	EXPECT_LE(16, info.ring_records);
	/* An unknown ioctl is refused. */
	EXPECT_EQ(-1, ioctl(fd, _IOR(SMVE_IOC_MAGIC, 0x3f, uint64_t), &info.epoch));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

TEST(rmmod_is_refused_while_a_node_is_open)
{
	struct smvet_bus b;
	int fd;

	ASSERT_EQ(0, smvet_attach(&b, SMVET_TTY, 115200));
	ASSERT_EQ(0, smvet_bus_set(&b, "ieds", "2"));
	fd = smvet_node_open(&b, SERVED, O_RDONLY);
	ASSERT_LE(0, fd);
	smvet_detach(&b);
	/* The bus is gone but the open file pins the module. */
	EXPECT_EQ(-1, syscall(SYS_delete_module, "smve", O_NONBLOCK));
	EXPECT_TRUE(errno == EBUSY || errno == EWOULDBLOCK) TH_LOG("errno %d", errno);
	close(fd);
	/* The caller's shell script checks that rmmod works once everything is closed. */
}

/*
 * A pty stands in for the line: the test is the IED, and chooses when each byte of a reply
 * arrives.  Returns 0 with @b attached to the slave and *@master open, or a negative errno.
 */
static int pty_attach(struct smvet_bus *b, int *master, unsigned int baud)
{
	int ldisc = SMVET_LDISC, n, rc;
	char path[64], name[32];

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->index = -1;
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (*master < 0)
		return -errno;
	if (grantpt(*master) || unlockpt(*master) || ioctl(*master, TIOCGPTN, &n) < 0)
		goto fail_errno;
	snprintf(path, sizeof(path), "/dev/pts/%d", n);
	b->fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (b->fd < 0)
		goto fail_errno;
	rc = smvet_set_baud(b, baud);
	if (rc)
		goto fail;
	if (ioctl(b->fd, TIOCSETD, &ldisc) < 0)
		goto fail_errno;
	snprintf(name, sizeof(name), "pts%d", n);
	rc = smvet_bus_of_tty(name);
	if (rc < 0)
		goto fail;
	b->index = rc;
	snprintf(b->dir, sizeof(b->dir), SMVET_CLASS "/smve%d", b->index);
	return 0;
fail_errno:
	rc = -errno;
fail:
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
	close(*master);
	return rc;
}

/* The next 8-byte poll request the master wrote, within @ms. */
static int read_poll(int master, uint8_t *req, unsigned int ms)
{
	size_t got = 0;

	while (got < 8) {
		struct pollfd pf = { .fd = master, .events = POLLIN };
		ssize_t n;

		if (poll(&pf, 1, (int)ms) <= 0)
			return -ETIMEDOUT;
		n = read(master, req + got, 8 - got);
		if (n <= 0)
			return n ? -errno : -EIO;
		got += (size_t)n;
		/* Resynchronise on SOF: the master only ever writes whole polls here. */
		if (req[0] != 0xFE)
			memmove(req, req + 1, --got);
	}
	return req[5] == 0x10 ? 0 : -EPROTO;
}

/* Write @len bytes of @p to the master side. */
static int put(int master, const uint8_t *p, size_t len)
{
	return write(master, p, len) == (ssize_t)len ? 0 : -EIO;
}

/*
 * spec 7.4: a reply's gap limit counts from when its bytes could have arrived.  At 2400 baud
 * (Tc 4.2 ms) a 22-byte reply cannot be complete before its first byte plus 92 ms, so bytes
 * that the line (here a pty) delivers in two bursts 50 ms apart, longer than a 20 ms gap
 * limit, make a valid reply; a reply stalled for 500 ms is cut (interchar_aborts, malformed)
 * and the master resends the same SEQ.
 */
TEST(gap_limit_counts_from_wire_time_and_cuts_a_stalled_reply)
{
	static const uint8_t payload[] = { 11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 1, 1 };
	uint8_t req[8], rep[64];
	uint64_t v, replies;
	struct smvet_bus b;
	size_t len;
	int master;
	uint8_t seq;

	ASSERT_EQ(0, pty_attach(&b, &master, 2400));
	ASSERT_EQ(0, smvet_bus_set(&b, "peh_enable", "0"));
	ASSERT_EQ(0, smvet_bus_set(&b, "interchar_timeout_us", "20000"));
	ASSERT_EQ(0, smvet_bus_set(&b, "response_timeout_us", "3000000"));
	ASSERT_EQ(0, smvet_bus_set(&b, "ieds", "2"));

	ASSERT_EQ(0, read_poll(master, req, 5000));
	ASSERT_EQ(2, req[2]);
	len = smvet_frame(rep, 1, 2, req[4], 0x10, payload, sizeof(payload));
	ASSERT_EQ(22, len);
	ASSERT_EQ(0, put(master, rep, 5));
	smvet_sleep_ms(50);
	ASSERT_EQ(0, put(master, rep + 5, len - 5));
	ASSERT_EQ(0, smvet_wait_ied_ge(&b, 2, "statistics/replies", 1, 5000, &replies));
	ASSERT_EQ(0, smvet_bus_u64(&b, "statistics/interchar_aborts", &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, smvet_ied_u64(&b, 2, "statistics/malformed", &v));
	EXPECT_EQ(0, v);

	/* The reply was accepted, so the next poll carries the other SEQ. */
	ASSERT_EQ(0, read_poll(master, req, 5000));
	seq = req[4];
	EXPECT_EQ(rep[4] ^ 0x80, seq);
	len = smvet_frame(rep, 1, 2, seq, 0x10, payload, sizeof(payload));
	ASSERT_EQ(0, put(master, rep, 5));
	smvet_sleep_ms(500);
	ASSERT_EQ(0, put(master, rep + 5, len - 5));
	ASSERT_EQ(0, smvet_wait_bus_ge(&b, "statistics/interchar_aborts", 1, 5000, &v));
	EXPECT_EQ(1, v);
	ASSERT_EQ(0, smvet_ied_u64(&b, 2, "statistics/malformed", &v));
	EXPECT_EQ(1, v);
	ASSERT_EQ(0, smvet_ied_u64(&b, 2, "statistics/replies", &v));
	EXPECT_EQ(replies, v);
	/* M4: the failed attempt is resent with the same SEQ. */
	ASSERT_EQ(0, read_poll(master, req, 5000));
	EXPECT_EQ(seq, req[4]);
	smvet_detach(&b);
	close(master);
}

/*
 * The pty IED of the SEQ tests: IED 2 at 9600 baud, no PEH, a 1 s reply window.  Returns
 * the node opened with @flags and positioned at its end, with the SEQ of the master's first
 * poll (already read) in *@seq; or a negative errno.
 */
static int seq_setup(struct smvet_bus *b, int *master, int flags, uint8_t *seq)
{
	int rc = pty_attach(b, master, 9600), fd;
	uint8_t req[8];

	if (rc)
		return rc;
	if (smvet_bus_set(b, "peh_enable", "0") || smvet_bus_set(b, "response_timeout_us", "1000000") ||
	    smvet_bus_set(b, "ieds", "2"))
		return -EIO;
	fd = smvet_node_open(b, 2, flags);
	if (fd < 0)
		return fd;
	lseek(fd, 0, SEEK_END);
	rc = read_poll(*master, req, 5000);
	if (rc) {
		close(fd);
		return rc;
	}
	*seq = req[4];
	return fd;
}

/* Answer as IED 2 with SEQ @seq and one DIGITAL event whose EPB byte is @epb (its tag). */
static int answer(int master, uint8_t seq, uint8_t epb)
{
	const uint8_t payload[] = { 1, 1, 1, 11, 0x02, epb, 26, 11, 24, 5, 30, 0, 0, 0 };
	uint8_t rep[64];
	size_t len = smvet_frame(rep, 1, 2, seq, 0x10, payload, sizeof(payload));

	return put(master, rep, len);
}

/* The next EVENT record's tag (EPB byte) and flags, or -1 when none comes within @ms. */
static int next_tag(int fd, uint32_t *flags, unsigned int ms)
{
	struct smvet_rec r;
	const struct smve_rec_event *e = (const void *)r.payload;

	*flags = 0;
	if (smvet_read_type(fd, SMVE_REC_EVENT, &r, ms) <= 0)
		return -1;
	*flags = r.hdr.flags;
	return e->raw[1];
}

/*
 * spec 3.5 M3 as refined (kernel/README.md): a stale frame (a late answer to an earlier
 * request) followed by the IED's reply to the SEQ sent, first in one burst (as a late
 * flip-buffer worker delivers them), then 100 ms apart.  The reply must be accepted: its
 * events stored unflagged, and the next poll takes the SEQ after it.  Ending the
 * transaction at the stale frame dropped the burst's reply as unsolicited, and the next poll
 * then acknowledged its events to the IED: lost.
 */
TEST(stale_frame_then_the_reply_to_the_seq_sent_is_accepted)
{
	uint8_t req[8], seq, tag;
	struct smvet_bus b;
	uint32_t flags;
	uint64_t v;
	int master, fd, round;

	fd = seq_setup(&b, &master, O_RDONLY | O_NONBLOCK, &seq);
	ASSERT_LE(0, fd);
	for (round = 0; round < 2; round++) {
		tag = 0x81 + 2 * round;
		ASSERT_EQ(0, answer(master, seq ^ 0x80, tag));
		if (round)
			smvet_sleep_ms(100);
		ASSERT_EQ(0, answer(master, seq, tag + 1));

		EXPECT_EQ(tag, next_tag(fd, &flags, 5000));
		EXPECT_TRUE(flags & SMVE_RECF_STALE) TH_LOG("the stale frame's event goes to the duplicate filter");
		EXPECT_EQ(tag + 1, next_tag(fd, &flags, 5000)) TH_LOG("round %d: the reply to the SEQ sent was lost", round);
		EXPECT_FALSE(flags & SMVE_RECF_STALE) TH_LOG("round %d: the reply to the SEQ sent was not accepted", round);
		/* Accepted once: the next poll acknowledges it with the other SEQ. */
		ASSERT_EQ(0, read_poll(master, req, 5000));
		EXPECT_EQ(seq ^ 0x80, req[4]);
		seq = req[4];
	}
	ASSERT_EQ(0, smvet_bus_u64(&b, "statistics/stale_replies", &v));
	EXPECT_EQ(2, v);
	ASSERT_EQ(0, smvet_bus_u64(&b, "statistics/unsolicited", &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, smvet_ied_u64(&b, 2, "statistics/replies", &v));
	EXPECT_EQ(2, v);
	close(fd);
	smvet_detach(&b);
	close(master);
}

/*
 * Resend first (M4), then M3 (docs/design-notes.md): a window that only a stale frame answered
 * is a timeout, and the next attempt resends the same SEQ, because the genuine reply may only
 * be late or lost to noise and the slave's retry buffer gives it back without acknowledging
 * anything.  Here the resend is answered with the reply to that SEQ: its event is stored
 * unflagged and the next poll takes the SEQ after it.  Moving to a new SEQ at the first
 * window close acknowledged that reply unseen.  Only a lower bound on the wait is asserted.
 */
TEST(stale_window_resends_the_same_seq_which_fetches_the_reply)
{
	uint8_t req[8], seq;
	struct smvet_bus b;
	uint32_t flags;
	int64_t t0;
	uint64_t v;
	int master, fd;

	fd = seq_setup(&b, &master, O_RDONLY | O_NONBLOCK, &seq);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, answer(master, seq ^ 0x80, 0x83));
	t0 = smvet_now_ns();
	ASSERT_EQ(0, read_poll(master, req, 10000));
	EXPECT_LE(500000000, smvet_now_ns() - t0) TH_LOG("the master did not wait for the reply to its SEQ");
	EXPECT_EQ(seq, req[4]) TH_LOG("window closed: the master moved to a new SEQ instead of resending");
	ASSERT_EQ(0, answer(master, req[4], 0x84));
	EXPECT_EQ(0x83, next_tag(fd, &flags, 5000));
	EXPECT_TRUE(flags & SMVE_RECF_STALE);
	EXPECT_EQ(0x84, next_tag(fd, &flags, 5000)) TH_LOG("the reply fetched by the resend was lost");
	EXPECT_FALSE(flags & SMVE_RECF_STALE);
	ASSERT_EQ(0, read_poll(master, req, 5000));
	EXPECT_EQ(seq ^ 0x80, req[4]) TH_LOG("the accepted reply advances the SEQ once");
	ASSERT_EQ(0, answer(master, req[4], 0x85));
	/* As the libsmve master counts it: the stale window was a timeout and its resend a retry. */
	ASSERT_EQ(0, smvet_bus_u64(&b, "statistics/timeouts", &v));
	EXPECT_EQ(1, v);
	ASSERT_EQ(0, smvet_bus_u64(&b, "statistics/retries", &v));
	EXPECT_EQ(1, v);
	close(fd);
	smvet_detach(&b);
	close(master);
}

/*
 * Only stale frames come: the IED answers our SEQ from a retry buffer (the PEH BB case of
 * spec 3.5).  Every attempt resends the same SEQ; after the last one (retries = 2 here: three
 * attempts) M3 applies: the next poll takes a new SEQ and the IED, which answered, stays
 * online.  The two earlier windows count as timeouts and retries, the last one as nothing.
 */
TEST(stale_windows_move_to_a_new_seq_only_after_the_last_attempt)
{
	uint8_t req[8], seq;
	struct smvet_bus b;
	uint64_t v;
	int master, fd, attempt;

	fd = seq_setup(&b, &master, O_RDONLY | O_NONBLOCK, &seq);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, smvet_bus_set(&b, "retries", "2"));
	for (attempt = 1; attempt <= 3; attempt++) {
		ASSERT_EQ(0, answer(master, seq ^ 0x80, 0x83));
		ASSERT_EQ(0, read_poll(master, req, 10000));
		if (attempt < 3)
			EXPECT_EQ(seq, req[4]) TH_LOG("attempt %d: new SEQ before the last attempt", attempt);
	}
	EXPECT_EQ(seq ^ 0x80, req[4]) TH_LOG("after the last attempt M3 takes a new SEQ");
	/* Answered at once, so that no timeout of this poll can blur the counters below. */
	ASSERT_EQ(0, answer(master, req[4], 0x86));
	ASSERT_EQ(0, smvet_wait_ied_ge(&b, 2, "statistics/replies", 1, 5000, &v));
	ASSERT_EQ(0, smvet_bus_u64(&b, "statistics/timeouts", &v));
	EXPECT_EQ(2, v);
	ASSERT_EQ(0, smvet_bus_u64(&b, "statistics/retries", &v));
	EXPECT_EQ(2, v);
	ASSERT_EQ(0, smvet_ied_u64(&b, 2, "statistics/stale", &v));
	EXPECT_EQ(3, v);
	ASSERT_EQ(0, smvet_ied_u64(&b, 2, "statistics/offline_count", &v));
	EXPECT_EQ(0, v);
	ASSERT_EQ(0, smvet_ied_u64(&b, 2, "online", &v));
	EXPECT_EQ(1, v);
	close(fd);
	smvet_detach(&b);
	close(master);
}

/*
 * While a reply waits for the consumer's commit the master re-polls with the held SEQ.  An
 * IED whose stored SEQ changed meanwhile (a broadcast: spec 3.1 rule 4) takes that poll as
 * new: it acknowledges the held events itself and answers with new ones under the same
 * SEQ.  Those must be stored, not dropped as a repeat; only a byte-identical resend is one.
 */
TEST(held_seq_answered_with_a_new_reply_stores_its_events)
{
	uint32_t on = SMVE_CONSUMER_ATTACH, flags;
	struct smvet_rec r;
	uint8_t req[8], seq;
	struct smvet_bus b;
	uint64_t v, last;
	int master, fd, i;

	fd = seq_setup(&b, &master, O_RDWR | O_NONBLOCK, &seq);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, SMVE_IOC_CONSUMER, &on));
	ASSERT_EQ(0, answer(master, seq, 0x84));
	EXPECT_EQ(0x84, next_tag(fd, &flags, 5000));
	/* Not committed: the SEQ is held and the byte-identical resend stores nothing. */
	ASSERT_EQ(0, read_poll(master, req, 5000));
	ASSERT_EQ(seq, req[4]);
	ASSERT_EQ(0, answer(master, seq, 0x84));
	ASSERT_EQ(0, smvet_wait_ied_ge(&b, 2, "statistics/ack_waits", 1, 5000, &v));
	ASSERT_EQ(0, read_poll(master, req, 5000));
	ASSERT_EQ(seq, req[4]);
	ASSERT_EQ(0, answer(master, seq, 0x85));
	EXPECT_EQ(0x85, next_tag(fd, &flags, 5000)) TH_LOG("a new reply under the held SEQ was dropped");
	EXPECT_FALSE(flags & SMVE_RECF_STALE);
	ASSERT_EQ(0, smvet_ied_u64(&b, 2, "statistics/replies", &v));
	EXPECT_EQ(2, v);
	/* Committing the new reply's record releases the SEQ. */
	ASSERT_LE(0, lseek(fd, 0, SEEK_SET));
	last = 0;
	while (smvet_read_type(fd, SMVE_REC_EVENT, &r, 100) > 0)
		last = r.hdr.seq;
	ASSERT_LT(0, last);
	ASSERT_EQ(0, ioctl(fd, SMVE_IOC_COMMIT, &last));
	/* A poll already out with the held SEQ is answered from the retry buffer, as an IED does. */
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, read_poll(master, req, 5000));
		if (req[4] != seq)
			break;
		ASSERT_EQ(0, answer(master, seq, 0x85));
	}
	EXPECT_EQ(seq ^ 0x80, req[4]);
	close(fd);
	smvet_detach(&b);
	close(master);
}

/*
 * A host without a battery-backed clock boots in 1970, outside the years a PEH can carry
 * (2000..2253): the start-up PEH is skipped, and polling must go on.  The thread used to
 * return from that PEH with nothing sent and no wake-up armed, and slept until an unrelated
 * kick: no poll at all.  The guest clock is put back before anything is asserted.
 */
TEST(a_clock_outside_the_peh_years_does_not_stop_polling)
{
	struct timespec saved, mono0, mono1, past = { .tv_sec = 631152000 };	/* 1990-01-01 */
	struct smvet_bus b;
	uint8_t req[8];
	int master, rc;

	ASSERT_EQ(0, clock_gettime(CLOCK_REALTIME, &saved));
	ASSERT_EQ(0, clock_gettime(CLOCK_MONOTONIC, &mono0));
	ASSERT_EQ(0, clock_settime(CLOCK_REALTIME, &past));
	rc = pty_attach(&b, &master, 9600);
	if (!rc) {
		rc = smvet_bus_set(&b, "ieds", "2") ? -EIO : read_poll(master, req, 5000);
		smvet_detach(&b);
		close(master);
	}
	clock_gettime(CLOCK_MONOTONIC, &mono1);
	saved.tv_sec += mono1.tv_sec - mono0.tv_sec;
	saved.tv_nsec += mono1.tv_nsec - mono0.tv_nsec;
	if (saved.tv_nsec < 0) {
		saved.tv_nsec += 1000000000L;
		saved.tv_sec--;
	} else if (saved.tv_nsec >= 1000000000L) {
		saved.tv_nsec -= 1000000000L;
		saved.tv_sec++;
	}
	ASSERT_EQ(0, clock_settime(CLOCK_REALTIME, &saved));
	ASSERT_EQ(0, rc) TH_LOG("no poll within 5 s (%d): the skipped PEH stopped the bus thread", rc);
}

TEST_HARNESS_MAIN
