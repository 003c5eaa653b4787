/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers shared by the in-VM kselftest programs of smve.ko (tests/kernel/).
 * They run as root inside the test VM, where ttyS1 is connected to the host's
 * smve-sim.  Every helper returns 0 / a value on success and a negative errno
 * on failure (never exits), so that the test decides what a failure means.
 * Strings returned through caller buffers are NUL terminated and stripped of
 * the trailing newline sysfs adds.
 */
#ifndef SMVETEST_H
#define SMVETEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <termios.h>

#include <linux/smve.h>

#define SMVET_TTY	"/dev/ttyS1"	/* the bus port of the test VM */
#define SMVET_LDISC	SMVE_LDISC_DEFAULT
#define SMVET_CLASS	"/sys/class/smve"

/* One attached bus: the tty file that holds the line discipline open. */
struct smvet_bus {
	int fd;			/* tty, O_RDWR; closing it detaches */
	int index;		/* B of smve<B> */
	char dir[96];		/* /sys/class/smve/smve<B> */
};

/* Monotonic time in nanoseconds. */
int64_t smvet_now_ns(void);
void smvet_sleep_ms(unsigned int ms);

/* Map a numeric baud rate to a termios speed_t; 0 when unsupported. */
speed_t smvet_speed(unsigned int baud);

/*
 * Open @tty raw at @baud (8N1, CLOCAL) and attach the smve line discipline.
 * Fills @b (index found through sysfs).  Returns 0 or -errno.
 */
int smvet_attach(struct smvet_bus *b, const char *tty, unsigned int baud);
/* Restore N_TTY and close the tty.  Safe on a detached/zeroed @b. */
void smvet_detach(struct smvet_bus *b);
/* Change the line speed of an attached bus with tcsetattr(). */
int smvet_set_baud(struct smvet_bus *b, unsigned int baud);
/*
 * Widen the response and inter-character timeouts to @ms for tests of
 * function rather than timing: the VM runs under TCG on a shared host, where
 * a descheduled QEMU or simulator stretches gaps far beyond the defaults.
 */
int smvet_relax(struct smvet_bus *b, unsigned int ms);
/* Index B of the bus attached to tty @name ("ttyS1"), or -ENOENT. */
int smvet_bus_of_tty(const char *name);

/* Read a sysfs file into @buf (at most @n - 1 bytes).  Returns length. */
int smvet_read_file(const char *path, char *buf, size_t n);
/* Write @val to a sysfs file in one write().  Returns 0 or -errno. */
int smvet_write_file(const char *path, const char *val);
/* Parse a sysfs file as one unsigned number (decimal or 0x hex). */
int smvet_read_u64(const char *path, uint64_t *out);

/* Attribute of a bus: @attr relative to b->dir ("ieds", "statistics/cycles"). */
int smvet_bus_get(const struct smvet_bus *b, const char *attr, char *buf, size_t n);
int smvet_bus_set(const struct smvet_bus *b, const char *attr, const char *val);
int smvet_bus_u64(const struct smvet_bus *b, const char *attr, uint64_t *out);
/* Attribute of IED @addr of the bus ("online", "statistics/polls"). */
int smvet_ied_u64(const struct smvet_bus *b, unsigned int addr, const char *attr, uint64_t *out);

/* Path of the IED node, "/dev/smve<B>.<A>". */
void smvet_node_path(const struct smvet_bus *b, unsigned int addr, char *buf, size_t n);
/* open() the IED node with @flags; returns the fd or -errno. */
int smvet_node_open(const struct smvet_bus *b, unsigned int addr, int flags);

/*
 * Wait up to @timeout_ms until IED attribute @attr equals @want (polling
 * every 20 ms).  Returns 0, or -ETIMEDOUT with the last value in *last.
 */
int smvet_wait_ied(const struct smvet_bus *b, unsigned int addr, const char *attr,
		   uint64_t want, unsigned int timeout_ms, uint64_t *last);
/* Wait until IED attribute @attr is >= @min. */
int smvet_wait_ied_ge(const struct smvet_bus *b, unsigned int addr, const char *attr,
		      uint64_t min, unsigned int timeout_ms, uint64_t *last);
/* Wait until bus attribute @attr is >= @min. */
int smvet_wait_bus_ge(const struct smvet_bus *b, const char *attr, uint64_t min,
		      unsigned int timeout_ms, uint64_t *last);

/*
 * One record read from a node: the header and up to SMVE_RECORD_MAX bytes
 * of payload (smvet_read_one() reads exactly one record per read() call).
 */
struct smvet_rec {
	struct smve_record hdr;
	uint8_t payload[SMVE_RECORD_MAX];
};

/*
 * Read the next record from @fd.  The whole read() result is validated:
 * header length, SMVE_RECORD_SIZE padding, zero padding bytes.  Returns the
 * number of bytes read (0 = EOF) or -errno (EAGAIN, EPIPE, ...); -EPROTO if
 * the kernel returned a malformed record.
 */
ssize_t smvet_read_one(int fd, struct smvet_rec *r);
/*
 * Read records until one of @type arrives (others are skipped), waiting at
 * most @timeout_ms with poll().  Returns as smvet_read_one(), -ETIMEDOUT.
 */
ssize_t smvet_read_type(int fd, uint16_t type, struct smvet_rec *r, unsigned int timeout_ms);

/* The module's live-object counter (/sys/module/smve/parameters/objects). */
int smvet_objects(uint64_t *out);
/* Active objects of a slab cache from /proc/slabinfo, -ENOENT if absent. */
int smvet_slab_active(const char *cache, uint64_t *out);

/*
 * Print an EVENT record as "# SMVE-EVENT ied=A seq=S stale=F raw=HEX" for the
 * host's check against the simulator's events log (tests/vm/
 * check-sim-logs.py events).  Returns 1 if @r is an event, 0 if not, -EPROTO
 * if it is a malformed one.
 */
int smvet_print_event(const struct smvet_rec *r);

/* Kernel uevents (NETLINK_KOBJECT_UEVENT): a socket, or -errno. */
int smvet_uevent_open(void);
/*
 * Next uevent within @timeout_ms into @buf (fields NUL separated, @len set);
 * returns 1, 0 on time-out, or -errno.
 */
int smvet_uevent_read(int fd, char *buf, size_t n, size_t *len, unsigned int timeout_ms);
/* Value of KEY in a uevent buffer, or NULL. */
const char *smvet_uevent_get(const char *buf, size_t len, const char *key);

/* Encode a Mara frame (spec 2.1/2.3) into @out; returns its length. */
size_t smvet_frame(uint8_t *out, uint8_t dst, uint8_t src, uint8_t seq, uint8_t cmd,
		   const uint8_t *payload, size_t len);

/* Hex of @len bytes into @out (2*len+1 bytes). */
void smvet_hex(char *out, const uint8_t *p, size_t len);

#endif
