// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A userspace RS485 bus master for the vm-bus benchmark, built on libsmve's
 * Mara codec over termios and poll(): the libmodbus-style design the kernel
 * master is compared with.  Each transaction writes the request, waits for
 * tcdrain(), polls for the first reply byte within the response timeout and
 * for each further byte within the inter-character limit, feeding the
 * reassembler; then it sleeps the guard time and goes on round-robin with
 * the same SEQ rules as the kernel (00/80 per IED, same SEQ on a failed
 * attempt, new SEQ after a valid reply).  Timing parameters default to the
 * kernel's automatic values (spec 7.4) so that only the design differs.
 *
 *   poller --tty /dev/ttyS1 --ieds 2-9 --seconds S [--baud B] [--fifo PRIO]
 *   poller --tty /dev/ttyS1 --marker N    (one frame to address 0x3E, CMD 0x7E,
 *                                          SEQ N: a phase marker in the
 *                                          simulator's timing log)
 *
 * Runs statically linked inside the test VM; prints a summary on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <smve/mara.h>

#define MASTER		0x01
#define MARKER_DST	0x3E
#define MARKER_CMD	0x7E
#define MAX_SAMPLES	200000

struct ied {
	u8 addr;
	u8 seq;		/* pending SEQ: kept on a failed attempt (M4) */
};

struct stats {
	unsigned long polls, replies, timeouts, bad, stale;
	unsigned int nturn;
	double turn_us[MAX_SAMPLES];	/* reply complete -> next request written */
};

static struct stats st;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000), (long)(t % 1000000000) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void usage(void)
{
	fprintf(stderr, "usage: poller --tty DEV (--ieds A-B --seconds S [--baud B] [--fifo PRIO] | --marker N)\n");
	exit(2);
}

static long num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "poller: %s must be %ld..%ld, not '%s'\n", what, lo, hi, s);
		exit(2);
	}
	return v;
}

static int open_tty(const char *path, unsigned int baud)
{
	struct termios t;
	speed_t sp = baud == 9600 ? B9600 : baud == 19200 ? B19200 : baud == 57600 ? B57600 :
		     baud == 115200 ? B115200 : 0;
	int fd;

	if (!sp) {
		fprintf(stderr, "poller: unsupported baud rate %u\n", baud);
		exit(2);
	}
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || tcgetattr(fd, &t) < 0) {
		fprintf(stderr, "poller: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	cfmakeraw(&t);
	t.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS | CSIZE);
	t.c_cflag |= CS8 | CLOCAL | CREAD;
	cfsetispeed(&t, sp);
	cfsetospeed(&t, sp);
	if (tcsetattr(fd, TCSANOW, &t) < 0 || tcflush(fd, TCIOFLUSH) < 0) {
		fprintf(stderr, "poller: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static int write_all(int fd, const u8 *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				struct pollfd pf = { .fd = fd, .events = POLLOUT };

				poll(&pf, 1, 100);
				continue;
			}
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return tcdrain(fd) < 0 ? -errno : 0;
}

/*
 * Wait for the reply frame: the first byte within @first_ms, each next one
 * within @gap_ms.  Returns the frame length (copied to @out) or 0 on
 * time-out; frames from others (echo, wrong address) are skipped.
 */
static size_t read_reply(int fd, struct mara_reasm *r, u8 addr, int first_ms, int gap_ms,
			 u8 *out, int64_t *done_ns)
{
	int wait_ms = first_ms;

	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		u8 buf[256];
		const u8 *p = buf, *f;
		size_t n, flen;
		ssize_t got;

		if (poll(&pf, 1, wait_ms) <= 0)
			return 0;
		got = read(fd, buf, sizeof(buf));
		if (got <= 0)
			continue;
		wait_ms = gap_ms;
		n = (size_t)got;
		while ((f = mara_reasm_next(r, &p, &n, &flen))) {
			if (flen < MARA_HDR_LEN || f[2] != MASTER || f[3] != addr)
				continue;
			memcpy(out, f, flen);
			*done_ns = now_ns();
			return flen;
		}
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double pct(double *v, unsigned int n, double p)
{
	unsigned int i = (unsigned int)(p / 100.0 * (n - 1) + 0.5);

	return n ? v[i < n ? i : n - 1] : 0;
}

int main(int argc, char **argv)
{
	const char *tty = NULL;
	unsigned int baud = 115200, lo = 0, hi = 0, seconds = 0;
	long marker = -1, fifo = 0;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--tty")) {
			tty = argv[++i];
		} else if (!strcmp(argv[i], "--baud")) {
			baud = (unsigned int)num(argv[++i], 1200, 230400, "--baud");
		} else if (!strcmp(argv[i], "--seconds")) {
			seconds = (unsigned int)num(argv[++i], 1, 3600, "--seconds");
		} else if (!strcmp(argv[i], "--fifo")) {
			fifo = num(argv[++i], 1, 99, "--fifo");
		} else if (!strcmp(argv[i], "--marker")) {
			marker = num(argv[++i], 0, 255, "--marker");
		} else if (!strcmp(argv[i], "--ieds")) {
			char *dash = strchr(argv[++i], '-');

			if (!dash)
				usage();
			*dash = 0;
			lo = (unsigned int)num(argv[i], 2, 254, "--ieds first");
			hi = (unsigned int)num(dash + 1, lo, 254, "--ieds last");
		} else {
			usage();
		}
	}
	if (!tty)
		usage();
	int fd = open_tty(tty, baud);

	if (marker >= 0) {
		u8 fr[16];
		int n = mara_build(fr, sizeof(fr), MARKER_DST, MASTER, (u8)marker, MARKER_CMD, NULL, 0);

		/*
		 * Four times: under TCG a frame can reach the simulator with a pause longer than its
		 * TO1 inside and be dropped (under the CPU hog even twice in a row); the report
		 * takes the last marker of each phase.
		 */
		for (int k = 0; k < 4; k++) {
			if (n < 0 || write_all(fd, fr, (size_t)n) < 0) {
				fprintf(stderr, "poller: marker write failed\n");
				return 1;
			}
			usleep(20000);	/* QEMU hands it to the simulator before the line's next user */
		}
		return 0;
	}
	if (!lo || !seconds)
		usage();
	if (fifo) {
		/* The class and priority the kernel master's thread gets from fifo=Y (sched_set_fifo: 50). */
		struct sched_param sp = { .sched_priority = (int)fifo };

		if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0) {
			fprintf(stderr, "poller: SCHED_FIFO %ld: %s\n", fifo, strerror(errno));
			return 1;
		}
	}

	/* Kernel defaults (spec 7.4 and kernel/README.md), derived from the character time. */
	double tc_us = 10.0 * 1e6 / baud;
	int64_t guard_ns = (int64_t)(5 * tc_us * 1000);
	int to3_ms = (int)((15 * tc_us + 5000) / 1000) + 1;
	int gap_ms = (int)((16 * tc_us + 5000) / 1000) + 1;
	unsigned int n = hi - lo + 1;
	static struct ied ieds[256];	/* addresses 2..254: bounded by --ieds */
	struct mara_reasm r;
	int64_t end = now_ns() + (int64_t)seconds * 1000000000, last_done = 0, t0 = now_ns();
	unsigned long cycles = 0;

	for (unsigned int i = 0; i < n; i++)
		ieds[i].addr = (u8)(lo + i);
	mara_reasm_init(&r);
	while (now_ns() < end) {
		for (unsigned int i = 0; i < n; i++) {
			struct ied *d = &ieds[i];
			u8 req[16], reply[MARA_QTY_MAX];
			struct mara_frame f;
			struct mara_sections sec;
			int64_t done = 0, before;
			size_t len;
			int qn = mara_build_poll(req, sizeof(req), d->addr, MASTER, d->seq);

			if (qn < 0)
				return 1;
			before = now_ns();
			if (last_done && st.nturn < MAX_SAMPLES)
				st.turn_us[st.nturn++] = (before - last_done) / 1000.0;
			if (write_all(fd, req, (size_t)qn) < 0) {
				perror("poller: write");
				return 1;
			}
			st.polls++;
			len = read_reply(fd, &r, d->addr, to3_ms, gap_ms, reply, &done);
			if (!len) {
				st.timeouts++;
				mara_reasm_abort(&r);
				done = now_ns();
			} else if (mara_parse(reply, len, &f) || f.cmd != MARA_CMD_POLL ||
				   mara_sections_parse(f.payload, f.payload_len, &sec)) {
				st.bad++;
			} else if (f.seq != d->seq) {
				st.stale++;
				d->seq ^= 0x80;	/* M3: a stale buffer answered; ask anew */
			} else {
				st.replies++;
				d->seq ^= 0x80;	/* M1: the reply is stored, advance */
			}
			last_done = done;
			sleep_until(done + guard_ns);
		}
		cycles++;
	}
	qsort(st.turn_us, st.nturn, sizeof(double), cmp_double);
	printf("# poller: %.1f s, %lu cycles, %lu polls, %lu replies, %lu timeouts, %lu bad, %lu stale\n",
	       (now_ns() - t0) / 1e9, cycles, st.polls, st.replies, st.timeouts, st.bad, st.stale);
	printf("# poller: own turnaround (reply read -> next request written, guard %.0f us included): "
	       "p50 %.0f p99 %.0f max %.0f us\n", guard_ns / 1000.0, pct(st.turn_us, st.nturn, 50),
	       pct(st.turn_us, st.nturn, 99), st.nturn ? st.turn_us[st.nturn - 1] : 0);
	close(fd);
	return 0;
}
