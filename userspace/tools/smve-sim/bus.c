// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smve-sim bus: IEDs on one RS485 line.  The line is a pseudo-terminal
 * (--pty, for userspace tests) or a unix stream socket that QEMU's
 * "-chardev socket" connects to (--socket).  Single-threaded and half
 * duplex like the line itself: read a request (TO1 drops a stalled partial
 * frame), wait TO2, pace the reply out at the baud rate, repeat.
 */
#include "config.h"
#include "station.h"
#include "timing.h"
#include "util.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define TICK_NS		(100 * NSEC_PER_MSEC)
#define IED_STACK	5	/* §5.2: events an IED holds */
#define IED_PER_REPLY	2	/* §5.2: events per IED reply */
#define READ_CHUNK	1024

struct bus {
	struct bus_config *cfg;
	struct station st;
	struct slave *slaves;	/* one per IED */
	struct target *tgt;
	struct faults *faults;
	struct wire wire;
	struct timing timing;
	struct mara_reasm rs;
	int lfd;		/* listening socket (--socket) */
	int pty_slave;		/* kept open so the pty never hangs up */
	int64_t to1_ns, to2_ns;
	int64_t last_rx;	/* time of the last byte read */
	int64_t frame_first;	/* time the current frame's first byte was read */
	uint64_t requests, replies, to1_drops;
};

static void sink(void *ctx, unsigned int index, const uint8_t *raw)
{
	struct bus *b = ctx;

	slave_push_event(&b->slaves[index], &b->st.log,
			 b->st.gen.ied[index].addr, raw);
}

static speed_t baud_constant(unsigned int baud)
{
	switch (baud) {
	case 1200: return B1200;
	case 2400: return B2400;
	case 4800: return B4800;
	case 9600: return B9600;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 115200: return B115200;
	case 230400: return B230400;
	default: return B9600;	/* cosmetic on a pty: pacing does the timing */
	}
}

static void open_pty(struct bus *b)
{
	struct termios tio;
	char name[128];
	int m, s;

	if (openpty(&m, &s, name, NULL, NULL) < 0)
		sim_fatal(errno, "openpty");
	if (tcgetattr(s, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetspeed(&tio, baud_constant(b->cfg->baud));
		tcsetattr(s, TCSANOW, &tio);
	}
	fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK);
	fcntl(m, F_SETFD, FD_CLOEXEC);
	fcntl(s, F_SETFD, FD_CLOEXEC);
	b->wire.fd = m;
	b->pty_slave = s;
	printf("pty %s\n", name);
	fflush(stdout);
}

static void open_socket(struct bus *b)
{
	struct sockaddr_un sa;
	const char *path = b->cfg->socket;
	struct stat st;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		sim_usage_error("--socket: path longer than %zu bytes",
				sizeof(sa.sun_path) - 1);
	strcpy(sa.sun_path, path);
	/* Replace a stale socket from an earlier run, never another file. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			sim_usage_error("--socket: '%s' exists and is not a socket",
					path);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		sim_fatal(errno, "socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 4) < 0)
		sim_fatal(errno, "cannot listen on %s", path);
	b->lfd = fd;
	printf("socket %s\n", path);
	fflush(stdout);
}

static void accept_peer(struct bus *b)
{
	int fd = accept4(b->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	b->wire.fd = fd;
	mara_reasm_abort(&b->rs);	/* keeps the statistics across peers */
	sim_log(1, "line peer connected");
}

static void peer_gone(struct bus *b, const char *why)
{
	if (b->cfg->pty)
		return;		/* our own slave fd keeps the pty alive */
	sim_log(1, "line peer disconnected: %s", why);
	close(b->wire.fd);
	b->wire.fd = -1;
	mara_reasm_abort(&b->rs);
}

static void send_frame(struct bus *b, const uint8_t *buf, unsigned int len,
		       int64_t start, uint8_t src, uint8_t seq)
{
	int64_t t0 = start > sim_mono_ns() ? start : sim_mono_ns();

	if (t0 < b->wire.tx_end)
		t0 = b->wire.tx_end;
	if (wire_send(&b->wire, buf, len, start) < 0) {
		peer_gone(b, "write failed");
		return;
	}
	timing_reply(&b->timing, src, seq, len, t0, b->wire.tx_end);
}

static void handle_frame(struct bus *b, const uint8_t *fr, size_t flen,
			 int64_t t_last)
{
	struct mara_frame f;
	uint8_t out[MARA_QTY_MAX], noise[16];
	unsigned int len = 0;
	enum req_result res;
	const char *mangled;
	int64_t due;
	size_t nn;
	int idx;

	if (mara_parse(fr, flen, &f))
		return;
	b->requests++;
	timing_request(&b->timing, &f, (unsigned int)flen, b->frame_first,
		       t_last);
	if (b->faults->echo && wire_send(&b->wire, fr, flen, 0) < 0) {
		peer_gone(b, "write failed");
		return;
	}
	if (f.dst == MARA_ADDR_BROADCAST) {
		station_broadcast(&b->st, &f, b->slaves, b->st.gen.count);
		return;
	}
	idx = gen_find(&b->st.gen, f.dst);
	if (idx < 0) {
		sim_log(2, "frame for %02X: not one of our IEDs", f.dst);
		return;
	}
	if (faults_silenced(b->faults, f.dst)) {
		sim_log(1, "fault: IED %02X silent", f.dst);
		return;
	}
	res = station_request(&b->st, &b->tgt[idx], &f, out, &len);
	if (res == REQ_IGNORED)
		return;
	sim_log(1, "IED %02X: %s CMD %02X SEQ %02X, %u-byte reply", f.dst,
		res == REQ_RETRY ? "retry" : "new", f.cmd, f.seq, len);
	if (faults_drop(b->faults)) {
		sim_log(1, "fault: IED %02X reply dropped", f.dst);
		return;
	}
	mangled = faults_mangle(b->faults, out, len);
	if (mangled)
		sim_log(1, "fault: IED %02X reply with %s", f.dst, mangled);
	if (faults_corrupt(b->faults, out, len))
		sim_log(1, "fault: IED %02X reply corrupted", f.dst);
	/* TO2 (or the IED's own delay) after the request's last byte. */
	due = t_last + (b->cfg->delay_ns[idx] >= 0 ? b->cfg->delay_ns[idx] :
						      b->to2_ns) +
	      faults_delay_ns(b->faults);
	nn = faults_noise(b->faults, noise, sizeof(noise));
	if (nn) {
		sim_log(1, "fault: %zu noise bytes before the reply", nn);
		if (wire_send(&b->wire, noise, nn, due) < 0) {
			peer_gone(b, "write failed");
			return;
		}
	}
	b->replies++;
	send_frame(b, out, len, due, f.dst, out[4]);
}

static void read_line(struct bus *b)
{
	uint8_t buf[READ_CHUNK];
	const uint8_t *p = buf, *fr;
	size_t left, flen;
	ssize_t n = read(b->wire.fd, buf, sizeof(buf));
	int64_t now = sim_mono_ns();

	if (n <= 0) {
		if (n == 0)
			peer_gone(b, "end of stream");
		else if (errno != EAGAIN && errno != EINTR)
			peer_gone(b, strerror(errno));
		return;
	}
	if (mara_reasm_busy(&b->rs) && now - b->last_rx > b->to1_ns) {
		sim_log(1, "TO1: %.3f ms gap inside a frame, partial frame dropped",
			(now - b->last_rx) / 1e6);
		mara_reasm_abort(&b->rs);
		b->to1_drops++;
	}
	if (!mara_reasm_busy(&b->rs))
		b->frame_first = now;
	b->last_rx = now;
	left = (size_t)n;
	while ((fr = mara_reasm_next(&b->rs, &p, &left, &flen))) {
		handle_frame(b, fr, flen, now);
		if (b->wire.fd < 0)
			return;
		/* A later frame in the same chunk started when we read it. */
		b->frame_first = now;
	}
}

static void bus_loop(struct bus *b)
{
	while (!sim_stop) {
		struct pollfd pfd;
		struct timespec ts;
		int64_t now = sim_mono_ns(), wait = TICK_NS;
		bool busy;
		int r;

		gen_advance(&b->st.gen);
		busy = b->wire.fd >= 0 && mara_reasm_busy(&b->rs);
		if (busy) {
			wait = b->last_rx + b->to1_ns - now;
			if (wait < 0)
				wait = 0;
		}
		pfd.fd = b->wire.fd >= 0 ? b->wire.fd : b->lfd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		ts.tv_sec = wait / NSEC_PER_SEC;
		ts.tv_nsec = wait % NSEC_PER_SEC;
		r = ppoll(&pfd, 1, &ts, sim_wait_mask());
		if (r < 0) {
			if (errno == EINTR)
				continue;
			sim_fatal(errno, "ppoll");
		}
		if (r == 0) {
			if (busy && sim_mono_ns() - b->last_rx > b->to1_ns) {
				sim_log(1, "TO1 expired, partial frame dropped");
				mara_reasm_abort(&b->rs);
				b->to1_drops++;
			}
			continue;
		}
		if (b->wire.fd < 0)
			accept_peer(b);
		else if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			read_line(b);
	}
}

int bus_run(struct bus_config *cfg)
{
	struct bus b;
	unsigned int i, n = cfg->layout.count;

	memset(&b, 0, sizeof(b));
	b.cfg = cfg;
	b.faults = &cfg->c.faults;
	b.lfd = -1;
	b.pty_slave = -1;
	wire_init(&b.wire, cfg->baud, cfg->bits);
	b.to1_ns = cfg->to1_ns >= 0 ? cfg->to1_ns : 3 * b.wire.tc_ns;
	b.to2_ns = 5 * b.wire.tc_ns;
	simclock_init(&b.st.clock, cfg->c.start_ns, cfg->c.time_scale);
	eventlog_open(&b.st.log, cfg->c.events_log, cfg->c.name);
	timing_open(&b.timing, cfg->timing_log);
	mara_reasm_init(&b.rs);
	b.slaves = calloc(n, sizeof(*b.slaves));
	b.tgt = calloc(n, sizeof(*b.tgt));
	if (!b.slaves || !b.tgt)
		sim_fatal(0, "out of memory");
	for (i = 0; i < n; i++) {
		slave_init(&b.slaves[i], IED_STACK, cfg->seq_cmp, cfg->c.bcast);
	}
	/* IEDs start unsynchronised: SV bit 6 = 0 until their first PEH. */
	gen_init(&b.st.gen, &cfg->layout, 0, false, &cfg->c.gen, &b.st.clock,
		 sink, &b);
	for (i = 0; i < n; i++)
		b.tgt[i] = (struct target){ .slave = &b.slaves[i],
					    .addr = cfg->layout.ied[i].addr,
					    .first = i, .n = 1,
					    .ctl_index = (int)i,
					    .max_events = IED_PER_REPLY,
					    .report_overflow = true };
	if (cfg->pty)
		open_pty(&b);
	else
		open_socket(&b);
	sim_log(1, "bus: %u IEDs, %u baud, Tc %.1f us, TO1 %.1f us, TO2 %.1f us",
		n, cfg->baud, b.wire.tc_ns / 1e3, b.to1_ns / 1e3,
		b.to2_ns / 1e3);

	bus_loop(&b);

	/* Always printed: the first thing to read when a master test fails. */
	sim_log(0, "bus: %llu frames received, %llu replies, %llu partial frames dropped by TO1, %u bad BCC, %u noise bytes, %llu reply bytes unread by the peer",
		(unsigned long long)b.requests, (unsigned long long)b.replies,
		(unsigned long long)b.to1_drops, b.rs.stats.bad_bcc,
		b.rs.stats.noise_bytes, (unsigned long long)b.wire.dropped);
	if (b.wire.fd >= 0)
		close(b.wire.fd);
	if (b.pty_slave >= 0)
		close(b.pty_slave);
	if (b.lfd >= 0) {
		close(b.lfd);
		unlink(cfg->socket);
	}
	for (i = 0; i < n; i++)
		slave_free(&b.slaves[i]);
	free(b.slaves);
	free(b.tgt);
	gen_free(&b.st.gen);
	timing_close(&b.timing);
	eventlog_close(&b.st.log);
	return 0;
}
