// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libsmve's device-node reader (userspace/libsmve/src/node.c) against records fed through a
 * pipe: typed views of each record type, validation of hostile lengths, EOF, non-blocking
 * reads, and the ioctl wrappers failing cleanly on something that is not a node.
 */
#include <smve/mara.h>
#include <smve/node.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

static uint8_t out[8192];
static size_t out_len;

/* Append one record as the kernel lays it out: header, payload, zero padding to 8. */
static void put(uint16_t type, uint64_t seq, uint32_t flags, const void *payload, uint16_t len)
{
	struct smve_record h = {
		.seq = seq, .epoch = 0x1122334455667788ULL, .time_ns = 1700000000123456789LL,
		.type = type, .len = len, .flags = flags,
	};
	size_t size = SMVE_RECORD_SIZE(len);

	memset(out + out_len, 0, size);
	memcpy(out + out_len, &h, sizeof(h));
	memcpy(out + out_len + sizeof(h), payload, len);
	out_len += size;
}

static struct smve_node *feed(int *wfd)
{
	struct smve_node *n = NULL;
	int p[2];

	if (pipe(p)) {
		perror("pipe");
		exit(2);
	}
	if (write(p[1], out, out_len) != (ssize_t)out_len) {
		perror("write");
		exit(2);
	}
	out_len = 0;
	if (wfd)
		*wfd = p[1];
	else
		close(p[1]);
	if (smve_node_from_fd(p[0], &n)) {
		fprintf(stderr, "smve_node_from_fd failed\n");
		exit(2);
	}
	return n;
}

static void test_types(void)
{
	static const uint8_t values[12] = { 0x43, 0x01, 0, 0, 0, 0, 0x3c, 0x00, 0x3b, 0x42, 0x00, 0x40 };
	uint8_t st[sizeof(struct smve_rec_state) + 6 + 2 + 4];
	struct smve_rec_state *s = (void *)st;
	struct smve_rec_event ev = { .raw = { 0x22 }, .type = 0, .addr = 2, .source = 2,
				     .port = 1, .bit = 3, .status = 1, .year = 2024 };
	struct smve_rec_status stat = { .status = SMVE_STATUS_OFFLINE, .detail = SMVE_FAIL_TIMEOUT,
					.value = 4 };
	uint8_t cmd[sizeof(struct smve_rec_command) + 11 + 11];
	struct smve_rec_command *c = (void *)cmd;
	uint8_t unknown[5] = { 1, 2, 3, 4, 5 };
	struct smve_node_record r;
	struct smve_node *n;

	memset(st, 0, sizeof(st));
	s->flags = SMVE_STATE_ONLINE;
	s->address = 2;
	s->sv_len = 6;
	s->di_words = 1;
	s->ai_words = 2;
	memcpy(st + sizeof(*s), values, sizeof(values));
	memset(cmd, 0, sizeof(cmd));
	c->id = 7;
	c->outcome = SMVE_CMD_REFUSED;
	c->cmd = 0x13;
	c->req_len = 11;
	c->resp_len = 11;
	cmd[sizeof(*c)] = 0xFE;
	cmd[sizeof(*c) + 11] = 0xFE;
	cmd[sizeof(*c) + 11 + 1] = 0x0B;

	put(SMVE_REC_STATE, 5, SMVE_RECF_COALESCED, st, sizeof(st));
	put(SMVE_REC_EVENT, 5, SMVE_RECF_STALE, &ev, sizeof(ev));
	put(SMVE_REC_STATUS, 6, 0, &stat, sizeof(stat));
	put(SMVE_REC_COMMAND, 7, 0, cmd, sizeof(cmd));
	put(99, 8, 0, unknown, sizeof(unknown));
	n = feed(NULL);

	IS(smve_node_read(n, &r), 1, "state record read");
	IS(r.type, SMVE_REC_STATE, "type state");
	IS(r.seq, 5, "seq");
	OK(r.epoch == 0x1122334455667788ULL, "epoch");
	OK(r.time_ns == 1700000000123456789LL, "time");
	IS(r.flags, SMVE_RECF_COALESCED, "coalesced flag");
	IS(r.u.state.hdr->sv_len, 6, "sv_len");
	IS(r.u.state.sv[0], 0x43, "SV byte 0");
	IS(mara_word(r.u.state.di, 0), 0x003c, "DI word");
	IS(mara_word(r.u.state.ai, 0), 0x423b, "AI word 0");
	IS(mara_ai_q(mara_word(r.u.state.ai, 1)), 1, "AI word 1 qualifier");

	IS(smve_node_read(n, &r), 1, "event record read");
	IS(r.type, SMVE_REC_EVENT, "type event");
	IS(r.flags, SMVE_RECF_STALE, "stale flag survives");
	IS(r.u.event->bit, 3, "event bit");
	IS(r.u.event->year, 2024, "event year");

	IS(smve_node_read(n, &r), 1, "status record read");
	IS(r.u.status->status, SMVE_STATUS_OFFLINE, "status offline");
	OK(!strcmp(smve_node_status_name(r.u.status->status), "offline"), "status name");
	IS(r.u.status->value, 4, "failed attempts");

	IS(smve_node_read(n, &r), 1, "command record read");
	IS(r.u.command.hdr->outcome, SMVE_CMD_REFUSED, "outcome");
	OK(!strcmp(smve_node_outcome_name(r.u.command.hdr->outcome), "refused"), "outcome name");
	IS(r.u.command.request[0], 0xFE, "request frame");
	IS(r.u.command.reply[1], 0x0B, "reply frame follows the request");

	IS(smve_node_read(n, &r), 1, "unknown type still read (forward compatible)");
	IS(r.type, 99, "its type");
	IS(r.len, 5, "its length");
	IS(((const uint8_t *)r.payload)[4], 5, "its payload");
	OK(!strcmp(smve_node_type_name(99), "unknown"), "unknown type name");

	IS(smve_node_read(n, &r), 0, "EOF after the last record");
	smve_node_close(n);
}

static void test_hostile(void)
{
	uint8_t st[sizeof(struct smve_rec_state)] = { 0 };
	struct smve_rec_state *s = (void *)st;
	uint8_t cmd[sizeof(struct smve_rec_command)] = { 0 };
	struct smve_rec_command *c = (void *)cmd;
	struct smve_node_record r;
	struct smve_node *n;
	struct smve_record h = { .len = 2000 };

	s->sv_len = 200;	/* claims more than the record holds */
	put(SMVE_REC_STATE, 1, 0, st, sizeof(st));
	n = feed(NULL);
	IS(smve_node_read(n, &r), -EBADMSG, "state whose arrays overrun the record is rejected");
	smve_node_close(n);

	c->req_len = 11;
	put(SMVE_REC_COMMAND, 1, 0, cmd, sizeof(cmd));
	n = feed(NULL);
	IS(smve_node_read(n, &r), -EBADMSG, "command whose frames overrun the record is rejected");
	smve_node_close(n);

	put(SMVE_REC_EVENT, 1, 0, "abc", 3);
	n = feed(NULL);
	IS(smve_node_read(n, &r), -EBADMSG, "short event payload is rejected");
	smve_node_close(n);

	memcpy(out, &h, sizeof(h));
	out_len = sizeof(h);
	n = feed(NULL);
	IS(smve_node_read(n, &r), -EBADMSG, "length beyond the data read is rejected");
	IS(smve_node_read(n, &r), 0, "and the reader continues (EOF here)");
	smve_node_close(n);

	memset(out, 0xAB, 10);
	out_len = 10;
	n = feed(NULL);
	IS(smve_node_read(n, &r), -EBADMSG, "a read shorter than a header is rejected");
	smve_node_close(n);
}

static void test_nonblock_and_ioctls(void)
{
	struct smve_node_record r;
	struct smve_node_info info;
	struct smve_transact t;
	struct smve_node *n;
	uint64_t lost;
	int wfd;

	n = feed(&wfd);
	fcntl(smve_node_fd(n), F_SETFL, O_NONBLOCK);
	IS(smve_node_read(n, &r), -EAGAIN, "non-blocking read with nothing pending");
	IS(smve_node_info(n, &info), -ENOTTY, "info on a pipe: ENOTTY, no crash");
	IS(smve_node_lost(n, &lost), -ENOTTY, "lost on a pipe: ENOTTY");
	IS(smve_node_commit(n, 1), -ENOTTY, "commit on a pipe: ENOTTY");
	IS(smve_node_transact(n, 1, 0x10, NULL, 0, 0, &t), -EINVAL, "0x10 is refused before the kernel");
	IS(smve_node_transact(n, 1, 0x12, NULL, 0, 0, &t), -EINVAL, "0x12 is refused before the kernel");
	IS(smve_node_transact(n, 1, 0x13, NULL, 300, 0, &t), -EINVAL, "oversized payload refused");
	IS(smve_node_seek(n, 3), -ESPIPE, "seek on a pipe: ESPIPE");
	close(wfd);
	smve_node_close(n);
	IS(smve_node_open("/nonexistent/smve0.2", 0, &n), -ENOENT, "open of a missing node");
	IS(smve_node_open("/dev/null", 0, &n), -ENOTTY, "open of something that is not a node");
	IS(smve_node_open("/dev/null", 0x80, &n), -EINVAL, "unknown flags refused");
}

int main(void)
{
	test_types();
	test_hostile();
	test_nonblock_and_ioctls();
	return tap_done();
}
