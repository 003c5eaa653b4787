// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smve.ko device-node reader (see <smve/node.h>).  The kernel returns whole records per read(),
 * but every byte is still checked before a typed view is handed out: a record that does not
 * fit its own length, or a payload shorter than its type needs, ends the batch with -EBADMSG
 * instead of letting a caller read past the buffer.
 */
#include <smve/node.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <smve/mara.h>

/* Big enough for many records per system call; the kernel never returns a partial one. */
#define NODE_BUF	(64 * 1024)

struct smve_node {
	int fd;
	size_t start, end;	/* unread bytes of buf */
	_Alignas(8) uint8_t buf[NODE_BUF];
};

static int node_alloc(int fd, struct smve_node **out)
{
	struct smve_node *n = malloc(sizeof(*n));

	if (!n)
		return -ENOMEM;
	n->fd = fd;
	n->start = n->end = 0;
	*out = n;
	return 0;
}

int smve_node_from_fd(int fd, struct smve_node **out)
{
	if (fd < 0 || !out)
		return -EINVAL;
	return node_alloc(fd, out);
}

int smve_node_open(const char *path, unsigned int flags, struct smve_node **out)
{
	struct smve_node_info info;
	int fd, ret;

	if (!path || !out || (flags & ~(SMVE_NODE_CONTROL | SMVE_NODE_NONBLOCK)))
		return -EINVAL;
	fd = open(path, ((flags & SMVE_NODE_CONTROL) ? O_RDWR : O_RDONLY) | O_CLOEXEC |
		  ((flags & SMVE_NODE_NONBLOCK) ? O_NONBLOCK : 0));
	if (fd < 0)
		return -errno;
	/* Refuse anything that is not a node of a UAPI we understand. */
	if (ioctl(fd, SMVE_IOC_INFO, &info) < 0) {
		ret = errno == EINVAL ? -ENOTTY : -errno;
		close(fd);
		return ret;
	}
	if (info.version != SMVE_UAPI_VERSION) {
		close(fd);
		return -EPROTO;
	}
	ret = node_alloc(fd, out);
	if (ret)
		close(fd);
	return ret;
}

void smve_node_close(struct smve_node *n)
{
	if (!n)
		return;
	close(n->fd);
	free(n);
}

int smve_node_fd(const struct smve_node *n)
{
	return n->fd;
}

/* Check the payload against its type and fill the typed view. */
static int node_view(struct smve_node_record *rec)
{
	const uint8_t *p = rec->payload;
	size_t need;

	memset(&rec->u, 0, sizeof(rec->u));
	switch (rec->type) {
	case SMVE_REC_STATE: {
		const struct smve_rec_state *st = rec->payload;

		if (rec->len < sizeof(*st))
			return -EBADMSG;
		need = sizeof(*st) + st->sv_len + 2u * st->di_words + 2u * st->ai_words;
		if (rec->len < need)
			return -EBADMSG;
		rec->u.state.hdr = st;
		rec->u.state.sv = p + sizeof(*st);
		rec->u.state.di = rec->u.state.sv + st->sv_len;
		rec->u.state.ai = rec->u.state.di + 2u * st->di_words;
		return 0;
	}
	case SMVE_REC_EVENT:
		if (rec->len < sizeof(struct smve_rec_event))
			return -EBADMSG;
		rec->u.event = rec->payload;
		return 0;
	case SMVE_REC_STATUS:
		if (rec->len < sizeof(struct smve_rec_status))
			return -EBADMSG;
		rec->u.status = rec->payload;
		return 0;
	case SMVE_REC_COMMAND: {
		const struct smve_rec_command *c = rec->payload;

		if (rec->len < sizeof(*c) || rec->len < sizeof(*c) + c->req_len + c->resp_len)
			return -EBADMSG;
		rec->u.command.hdr = c;
		rec->u.command.request = p + sizeof(*c);
		rec->u.command.reply = rec->u.command.request + c->req_len;
		return 0;
	}
	default:
		return 0;	/* newer record type: payload only */
	}
}

/* Take the record at n->start if the buffer holds it whole: 1, 0 (need more), -EBADMSG. */
static int node_take(struct smve_node *n, struct smve_node_record *rec)
{
	size_t avail = n->end - n->start, size;
	struct smve_record hdr;

	if (avail == 0)
		return 0;
	if (avail < sizeof(hdr))
		return -EBADMSG;
	memcpy(&hdr, n->buf + n->start, sizeof(hdr));
	size = SMVE_RECORD_SIZE(hdr.len);
	if (size > SMVE_RECORD_MAX || size > avail)
		return -EBADMSG;
	rec->seq = hdr.seq;
	rec->epoch = hdr.epoch;
	rec->time_ns = hdr.time_ns;
	rec->type = hdr.type;
	rec->len = hdr.len;
	rec->flags = hdr.flags;
	rec->payload = n->buf + n->start + sizeof(hdr);
	n->start += size;
	return node_view(rec) ? -EBADMSG : 1;
}

int smve_node_read(struct smve_node *n, struct smve_node_record *rec)
{
	ssize_t got;
	int ret;

	if (!n || !rec)
		return -EINVAL;
	ret = node_take(n, rec);
	if (ret) {
		if (ret < 0)
			n->start = n->end = 0;
		return ret;
	}
	n->start = n->end = 0;
	do {
		got = read(n->fd, n->buf, sizeof(n->buf));
	} while (got < 0 && errno == EINTR);
	if (got < 0)
		return -errno;
	if (got == 0)
		return 0;
	n->end = (size_t)got;
	ret = node_take(n, rec);
	if (ret <= 0) {
		n->start = n->end = 0;
		return -EBADMSG;	/* a read that returned bytes but no whole record */
	}
	return ret;
}

static int node_ioctl(struct smve_node *n, unsigned long req, void *arg)
{
	if (!n)
		return -EINVAL;
	return ioctl(n->fd, req, arg) < 0 ? -errno : 0;
}

int smve_node_info(struct smve_node *n, struct smve_node_info *info)
{
	return node_ioctl(n, SMVE_IOC_INFO, info);
}

int smve_node_stats(struct smve_node *n, struct smve_ied_stats *st)
{
	return node_ioctl(n, SMVE_IOC_IED_STATS, st);
}

int smve_node_lost(struct smve_node *n, uint64_t *lost)
{
	return node_ioctl(n, SMVE_IOC_LOST, lost);
}

static int node_lseek(struct smve_node *n, off_t off, int whence)
{
	if (!n)
		return -EINVAL;
	n->start = n->end = 0;	/* records already read belong to the old position */
	return lseek(n->fd, off, whence) < 0 ? -errno : 0;
}

int smve_node_seek(struct smve_node *n, uint64_t seq)
{
	if (seq > INT64_MAX)
		return -EINVAL;
	return node_lseek(n, (off_t)seq, SEEK_SET);
}

int smve_node_seek_end(struct smve_node *n)
{
	return node_lseek(n, 0, SEEK_END);
}

int smve_node_resume(struct smve_node *n, uint64_t epoch, uint64_t next_seq)
{
	struct smve_node_info info;
	int ret = smve_node_info(n, &info);

	if (ret)
		return ret;
	if (info.epoch != epoch) {
		ret = smve_node_seek(n, 0);
		return ret ? ret : 1;
	}
	return smve_node_seek(n, next_seq);
}

int smve_node_set_consumer(struct smve_node *n, bool on)
{
	uint32_t v = on ? SMVE_CONSUMER_ATTACH : SMVE_CONSUMER_DETACH;

	return node_ioctl(n, SMVE_IOC_CONSUMER, &v);
}

int smve_node_commit(struct smve_node *n, uint64_t seq)
{
	return node_ioctl(n, SMVE_IOC_COMMIT, &seq);
}

int smve_node_transact(struct smve_node *n, uint32_t id, uint8_t cmd, const uint8_t *payload,
		       size_t payload_len, uint32_t timeout_ms, struct smve_transact *t)
{
	if (!t || payload_len > MARA_PAYLOAD_MAX || (payload_len && !payload) ||
	    cmd == MARA_CMD_POLL || cmd == MARA_CMD_PEH)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->timeout_ms = timeout_ms;
	t->cmd = cmd;
	t->req_len = (uint8_t)payload_len;
	if (payload_len)
		memcpy(t->req, payload, payload_len);
	return node_ioctl(n, SMVE_IOC_TRANSACT, t);
}

const char *smve_node_type_name(unsigned int type)
{
	switch (type) {
	case SMVE_REC_STATE: return "state";
	case SMVE_REC_EVENT: return "event";
	case SMVE_REC_STATUS: return "status";
	case SMVE_REC_COMMAND: return "command";
	default: return "unknown";
	}
}

const char *smve_node_status_name(unsigned int status)
{
	switch (status) {
	case SMVE_STATUS_ONLINE: return "online";
	case SMVE_STATUS_OFFLINE: return "offline";
	case SMVE_STATUS_CREATED: return "created";
	case SMVE_STATUS_DETACHED: return "detached";
	case SMVE_STATUS_LAYOUT: return "layout";
	default: return "unknown";
	}
}

const char *smve_node_outcome_name(unsigned int outcome)
{
	static const char *const names[] = {
		[SMVE_CMD_OK] = "ok", [SMVE_CMD_REFUSED] = "refused",
		[SMVE_CMD_MISMATCH] = "mismatch", [SMVE_CMD_UNKNOWN] = "unknown",
		[SMVE_CMD_FAILED] = "failed", [SMVE_CMD_ABORTED] = "aborted",
	};

	return outcome < sizeof(names) / sizeof(names[0]) ? names[outcome] : "?";
}
