/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reader of the smve.ko IED device nodes (/dev/smve<B>.<A>, kernel/README.md): opens a node,
 * returns its records one at a time as validated, typed views, resumes by (epoch, sequence),
 * and wraps the journaling-consumer and control ioctls of <linux/smve.h>.
 *
 * Ownership: a struct smve_node owns its file descriptor and a read buffer.  Every pointer in a
 * struct smve_node_record points into that buffer and stays valid only until the next
 * smve_node_read(), smve_node_seek*() or smve_node_close() on the same node.  Functions return
 * 0 (or a count) on success and a negative errno value on failure; nothing prints.  A node is
 * not thread-safe: use one per thread.
 */
#ifndef SMVE_NODE_H
#define SMVE_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/smve.h>

struct smve_node;

/* smve_node_open() flags */
#define SMVE_NODE_CONTROL	(1u << 0)	/* open read-write: consumer, commit, transact */
#define SMVE_NODE_NONBLOCK	(1u << 1)	/* reads return -EAGAIN instead of waiting */

/* One record, its header fields copied and its payload validated against its type. */
struct smve_node_record {
	uint64_t seq;		/* ring sequence; for STATE the next ring seq */
	uint64_t epoch;
	int64_t time_ns;	/* CLOCK_REALTIME when the kernel received it */
	uint16_t type;		/* SMVE_REC_*; unknown types come with only payload/len */
	uint16_t len;		/* payload bytes */
	uint32_t flags;		/* SMVE_RECF_* */
	const void *payload;
	union {
		struct {
			const struct smve_rec_state *hdr;
			const uint8_t *sv;	/* hdr->sv_len bytes */
			const uint8_t *di;	/* hdr->di_words LE words (use mara_word()) */
			const uint8_t *ai;	/* hdr->ai_words LE words */
		} state;
		const struct smve_rec_event *event;
		const struct smve_rec_status *status;
		struct {
			const struct smve_rec_command *hdr;
			const uint8_t *request;	/* hdr->req_len bytes, whole frame */
			const uint8_t *reply;	/* hdr->resp_len bytes, whole frame */
		} command;
	} u;
};

/*
 * Open @path with SMVE_NODE_* @flags.  Checks that it is an smve node of a UAPI version this
 * library understands (-ENOTTY otherwise).  On success *@out owns the descriptor.
 */
int smve_node_open(const char *path, unsigned int flags, struct smve_node **out);

/*
 * Wrap an already open descriptor (taken over: closed by smve_node_close()).  No ioctl is
 * issued, so tests can feed records through a pipe.
 */
int smve_node_from_fd(int fd, struct smve_node **out);

/* Close the descriptor and free the node; NULL is accepted. */
void smve_node_close(struct smve_node *n);

/* The descriptor, for poll()/epoll (readable when a record is pending; EPOLLHUP once detached). */
int smve_node_fd(const struct smve_node *n);

/*
 * Next record into *@rec.  Returns 1 with a record; 0 at end of file (the IED or bus went away
 * and every record was read); -EAGAIN when non-blocking and nothing is pending; -EPIPE once
 * when this reader fell behind the ring (records were overwritten: smve_node_lost() tells how
 * many; the next read continues from the oldest); -EBADMSG when the kernel returned something
 * that does not parse (the rest of that read is dropped); other negative errno values from
 * read().
 */
int smve_node_read(struct smve_node *n, struct smve_node_record *rec);

/* Node information (epoch, ring bounds, this file's cursor, consumer state). */
int smve_node_info(struct smve_node *n, struct smve_node_info *info);

/* Counters of the IED. */
int smve_node_stats(struct smve_node *n, struct smve_ied_stats *st);

/*
 * Records lost to overruns since the last call (then reset).  Call after -EPIPE.
 */
int smve_node_lost(struct smve_node *n, uint64_t *lost);

/* Position the cursor at record @seq (0 = oldest); the coalesced state is delivered again. */
int smve_node_seek(struct smve_node *n, uint64_t seq);

/* Skip everything queued: only records arriving from now on. */
int smve_node_seek_end(struct smve_node *n);

/*
 * Resume a persisted cursor: when @epoch is the ring's epoch, seek to @next_seq (the seq after
 * the last record processed) and return 0; otherwise the ring restarted since, so seek to its
 * oldest record and return 1 (the caller may have missed records kept only in the old ring).
 */
int smve_node_resume(struct smve_node *n, uint64_t epoch, uint64_t next_seq);

/* Attach (true) or detach as the node's journaling consumer (needs SMVE_NODE_CONTROL). */
int smve_node_set_consumer(struct smve_node *n, bool on);

/* Consumer: every record with seq <= @seq is durably stored; the master may acknowledge. */
int smve_node_commit(struct smve_node *n, uint64_t seq);

/*
 * Send one command frame to the IED and wait for its outcome (needs SMVE_NODE_CONTROL).
 * @cmd must not be 0x10 or 0x12; @payload_len <= MARA_PAYLOAD_MAX; @timeout_ms 0 waits until
 * done.  Fills *@t (outcome, attempts, reply frame).  -ETIMEDOUT when the wait ended first (the
 * outcome still arrives as a COMMAND record).
 */
int smve_node_transact(struct smve_node *n, uint32_t id, uint8_t cmd, const uint8_t *payload,
		       size_t payload_len, uint32_t timeout_ms, struct smve_transact *t);

/* Names for printing: "state", "event", "status", "command"; "unknown" otherwise. */
const char *smve_node_type_name(unsigned int type);
/* "online", "offline", "created", "detached", "layout"; "unknown" otherwise. */
const char *smve_node_status_name(unsigned int status);
/* "ok", "refused", "mismatch", "unknown", "failed", "aborted"; "?" otherwise. */
const char *smve_node_outcome_name(unsigned int outcome);

#endif
