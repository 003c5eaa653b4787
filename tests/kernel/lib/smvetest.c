// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Helpers of the in-VM smve.ko tests; see smvetest.h. */
#include "smvetest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <time.h>
#include <unistd.h>

int64_t smvet_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void smvet_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

speed_t smvet_speed(unsigned int baud)
{
	switch (baud) {
	case 2400: return B2400;
	case 9600: return B9600;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 115200: return B115200;
	case 230400: return B230400;
	default: return 0;
	}
}

static int set_termios(int fd, unsigned int baud)
{
	struct termios t;
	speed_t sp = smvet_speed(baud);

	if (!sp)
		return -EINVAL;
	if (tcgetattr(fd, &t) < 0)
		return -errno;
	cfmakeraw(&t);
	t.c_cflag &= ~(CSTOPB | PARENB | CRTSCTS | CSIZE);
	t.c_cflag |= CS8 | CLOCAL | CREAD;
	cfsetispeed(&t, sp);
	cfsetospeed(&t, sp);
	if (tcsetattr(fd, TCSANOW, &t) < 0)
		return -errno;
	return 0;
}

int smvet_relax(struct smvet_bus *b, unsigned int ms)
{
	char val[32];
	int rc;

	snprintf(val, sizeof(val), "%u", ms * 1000);
	rc = smvet_bus_set(b, "response_timeout_us", val);
	return rc ? rc : smvet_bus_set(b, "interchar_timeout_us", val);
}

int smvet_bus_of_tty(const char *name)
{
	DIR *d = opendir(SMVET_CLASS);
	struct dirent *e;
	int found = -ENOENT;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char path[300], val[64];
		int idx, end = 0;

		/* Bus devices are "smve<B>"; IED devices "smve<B>.<A>" share the class. */
		if (sscanf(e->d_name, "smve%d%n", &idx, &end) != 1 || e->d_name[end])
			continue;
		snprintf(path, sizeof(path), SMVET_CLASS "/%s/tty", e->d_name);
		if (smvet_read_file(path, val, sizeof(val)) >= 0 && !strcmp(val, name)) {
			found = idx;
			break;
		}
	}
	closedir(d);
	return found;
}

int smvet_attach(struct smvet_bus *b, const char *tty, unsigned int baud)
{
	int ldisc = SMVET_LDISC, rc;
	const char *base = strrchr(tty, '/');

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->index = -1;
	b->fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (b->fd < 0)
		return -errno;
	rc = set_termios(b->fd, baud);
	if (rc)
		goto fail;
	if (ioctl(b->fd, TIOCSETD, &ldisc) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = smvet_bus_of_tty(base ? base + 1 : tty);
	if (rc < 0)
		goto fail;
	b->index = rc;
	snprintf(b->dir, sizeof(b->dir), SMVET_CLASS "/smve%d", b->index);
	return 0;
fail:
	close(b->fd);
	b->fd = -1;
	return rc;
}

void smvet_detach(struct smvet_bus *b)
{
	int ntty = N_TTY;

	if (b->fd >= 0) {
		ioctl(b->fd, TIOCSETD, &ntty);
		close(b->fd);
	}
	b->fd = -1;
}

int smvet_set_baud(struct smvet_bus *b, unsigned int baud)
{
	return set_termios(b->fd, baud);
}

int smvet_read_file(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		return -errno;
	len = read(fd, buf, n - 1);
	if (len < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	close(fd);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	buf[len] = 0;
	return (int)len;
}

int smvet_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len;
	size_t n = strlen(val);

	if (fd < 0)
		return -errno;
	len = write(fd, val, n);
	if (len < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	close(fd);
	return (size_t)len == n ? 0 : -EIO;
}

int smvet_read_u64(const char *path, uint64_t *out)
{
	char buf[64], *end;
	int rc = smvet_read_file(path, buf, sizeof(buf));

	if (rc < 0)
		return rc;
	errno = 0;
	*out = strtoull(buf, &end, 0);
	if (errno || end == buf || *end)
		return -EPROTO;
	return 0;
}

int smvet_bus_get(const struct smvet_bus *b, const char *attr, char *buf, size_t n)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", b->dir, attr);
	return smvet_read_file(path, buf, n);
}

int smvet_bus_set(const struct smvet_bus *b, const char *attr, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", b->dir, attr);
	return smvet_write_file(path, val);
}

int smvet_bus_u64(const struct smvet_bus *b, const char *attr, uint64_t *out)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", b->dir, attr);
	return smvet_read_u64(path, out);
}

int smvet_ied_u64(const struct smvet_bus *b, unsigned int addr, const char *attr, uint64_t *out)
{
	char path[256];

	snprintf(path, sizeof(path), SMVET_CLASS "/smve%d.%u/%s", b->index, addr, attr);
	return smvet_read_u64(path, out);
}

void smvet_node_path(const struct smvet_bus *b, unsigned int addr, char *buf, size_t n)
{
	snprintf(buf, n, "/dev/smve%d.%u", b->index, addr);
}

int smvet_node_open(const struct smvet_bus *b, unsigned int addr, int flags)
{
	char path[64];
	int fd;

	smvet_node_path(b, addr, path, sizeof(path));
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int wait_u64(const char *path, uint64_t want, bool at_least, unsigned int timeout_ms,
		    uint64_t *last)
{
	int64_t end = smvet_now_ns() + (int64_t)timeout_ms * 1000000;
	uint64_t v = 0, dummy;
	int rc;

	if (!last)
		last = &dummy;
	for (;;) {
		rc = smvet_read_u64(path, &v);
		*last = v;
		if (!rc && (at_least ? v >= want : v == want))
			return 0;
		if (smvet_now_ns() > end)
			return rc ? rc : -ETIMEDOUT;
		smvet_sleep_ms(20);
	}
}

int smvet_wait_ied(const struct smvet_bus *b, unsigned int addr, const char *attr,
		   uint64_t want, unsigned int timeout_ms, uint64_t *last)
{
	char path[256];

	snprintf(path, sizeof(path), SMVET_CLASS "/smve%d.%u/%s", b->index, addr, attr);
	return wait_u64(path, want, false, timeout_ms, last);
}

int smvet_wait_ied_ge(const struct smvet_bus *b, unsigned int addr, const char *attr,
		      uint64_t min, unsigned int timeout_ms, uint64_t *last)
{
	char path[256];

	snprintf(path, sizeof(path), SMVET_CLASS "/smve%d.%u/%s", b->index, addr, attr);
	return wait_u64(path, min, true, timeout_ms, last);
}

int smvet_wait_bus_ge(const struct smvet_bus *b, const char *attr, uint64_t min,
		      unsigned int timeout_ms, uint64_t *last)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", b->dir, attr);
	return wait_u64(path, min, true, timeout_ms, last);
}

/*
 * A record's size is not known before reading it, and a buffer smaller than
 * the next record gets EINVAL (README "Reading a node").  Growing the buffer
 * in 8-byte steps from the smallest record reads exactly one record per
 * call and exercises that rule on every read.
 */
ssize_t smvet_read_one(int fd, struct smvet_rec *r)
{
	size_t sz = SMVE_RECORD_SIZE(8);
	uint8_t *p = (uint8_t *)r;
	ssize_t n;

	for (;;) {
		n = read(fd, r, sz);
		if (n >= 0)
			break;
		if (errno != EINVAL || sz >= sizeof(*r))
			return -errno;
		sz += SMVE_RECORD_ALIGN;
	}
	if (n == 0)
		return 0;
	if ((size_t)n < sizeof(r->hdr) || r->hdr.len > SMVE_RECORD_MAX ||
	    (size_t)n != SMVE_RECORD_SIZE(r->hdr.len))
		return -EPROTO;
	for (size_t i = sizeof(r->hdr) + r->hdr.len; i < (size_t)n; i++)
		if (p[i])
			return -EPROTO;	/* padding must be zero: no kernel memory leaks out */
	return n;
}

ssize_t smvet_read_type(int fd, uint16_t type, struct smvet_rec *r, unsigned int timeout_ms)
{
	int64_t end = smvet_now_ns() + (int64_t)timeout_ms * 1000000;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = (end - smvet_now_ns()) / 1000000;
		ssize_t n;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) < 0)
			return -errno;
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = smvet_read_one(fd, r);
		if (n <= 0 || r->hdr.type == type)
			return n;
	}
}

int smvet_objects(uint64_t *out)
{
	return smvet_read_u64("/sys/module/smve/parameters/objects", out);
}

int smvet_slab_active(const char *cache, uint64_t *out)
{
	FILE *f = fopen("/proc/slabinfo", "re");
	char line[512], name[128];
	unsigned long long active;
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %llu", name, &active) == 2 && !strcmp(name, cache)) {
			*out = active;
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

size_t smvet_frame(uint8_t *out, uint8_t dst, uint8_t src, uint8_t seq, uint8_t cmd,
		   const uint8_t *payload, size_t len)
{
	uint32_t sum = 0;
	size_t n = 6 + len, i;

	out[0] = 0xFE;
	out[1] = (uint8_t)(n + 2);
	out[2] = dst;
	out[3] = src;
	out[4] = seq;
	out[5] = cmd;
	if (len)
		memcpy(out + 6, payload, len);
	/* Spec 2.3: big-endian words, odd tail padded with 0, sum mod 65536, 0xFFFF - sum. */
	for (i = 0; i < n; i += 2)
		sum += (uint32_t)out[i] << 8 | (i + 1 < n ? out[i + 1] : 0);
	sum = 0xFFFF - (sum & 0xFFFF);
	out[n] = (uint8_t)(sum >> 8);
	out[n + 1] = (uint8_t)sum;
	return n + 2;
}

void smvet_hex(char *out, const uint8_t *p, size_t len)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * len] = 0;
}

int smvet_print_event(const struct smvet_rec *r)
{
	struct smve_rec_event ev;
	char hex[2 * sizeof(ev.raw) + 1];

	if (r->hdr.type != SMVE_REC_EVENT)
		return 0;
	if (r->hdr.len < sizeof(ev))
		return -EPROTO;
	memcpy(&ev, r->payload, sizeof(ev));
	smvet_hex(hex, ev.raw, sizeof(ev.raw));
	printf("# SMVE-EVENT ied=%u seq=%u stale=%d raw=%s\n", ev.source, ev.reply_seq,
	       !!(r->hdr.flags & SMVE_RECF_STALE), hex);
	return 1;
}

int smvet_uevent_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 };
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	return fd;
}

int smvet_uevent_read(int fd, char *buf, size_t n, size_t *len, unsigned int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t r;
	int rc = poll(&p, 1, (int)timeout_ms);

	if (rc <= 0)
		return rc < 0 ? -errno : 0;
	r = recv(fd, buf, n - 1, 0);
	if (r < 0)
		return -errno;
	buf[r] = 0;
	*len = (size_t)r;
	return 1;
}

const char *smvet_uevent_get(const char *buf, size_t len, const char *key)
{
	size_t kl = strlen(key);

	for (size_t off = 0; off < len; off += strlen(buf + off) + 1)
		if (!strncmp(buf + off, key, kl) && buf[off + kl] == '=')
			return buf + off + kl + 1;
	return NULL;
}
