// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Output control (0x13) on a local bus IED: the request is write()n to its
 * node, the kernel queues and sends it and reports the outcome as a COMMAND
 * record in the node's stream, which is matched here to the control waiting
 * for it.  A record that can no longer come (ring overrun, ring restarted,
 * node gone) or does not come in time ends the wait as "outcome unknown":
 * the request may have been sent and the output may have operated, so it is
 * never called "failed".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <linux/smve.h>
#include <smve/mara.h>
#include <smve/node.h>

#include "sheets.h"
#include "smved.h"

#include "source_node_int.h"

#define NCTL (sizeof(((struct node *)0)->ctl) / sizeof(((struct node *)0)->ctl[0]))

/* The smved_control() result of a COMMAND record's outcome (enum smve_cmd_outcome). */
static int command_result(uint32_t outcome)
{
	switch (outcome) {
	case SMVE_CMD_OK:
		return 0;
	case SMVE_CMD_REFUSED:
		return -EPERM;
	case SMVE_CMD_MISMATCH:
		return -EPROTO;
	case SMVE_CMD_FAILED:
		return -EIO;
	case SMVE_CMD_ABORTED:
		return -ENOTCONN;	/* never sent */
	default:
		return -ETIMEDOUT;	/* SMVE_CMD_UNKNOWN, or an outcome this smved does not know */
	}
}

/* End @w with @result; the slot is free before the callback runs (it may queue another). */
static void ctl_finish(struct ctl_wait *w, int result)
{
	void (*done)(int result, void *arg) = w->done;
	void *arg = w->arg;

	w->used = false;
	if (done)
		done(result, arg);
}

/* Arm the timer for the earliest deadline still waiting (or stop it). */
static void ctl_arm(struct node *n)
{
	int64_t first = 0, now = smved_mono_us();
	struct timeval tv;

	for (unsigned i = 0; i < NCTL; i++)
		if (n->ctl[i].used && (!first || n->ctl[i].deadline_us < first))
			first = n->ctl[i].deadline_us;
	if (!n->ctl_timer)
		return;
	if (!first) {
		evtimer_del(n->ctl_timer);
		return;
	}
	first = first > now ? first - now : 0;
	tv.tv_sec = (time_t)(first / 1000000);
	tv.tv_usec = (suseconds_t)(first % 1000000);
	evtimer_add(n->ctl_timer, &tv);
}

void node_ctl_record(struct node *n, const struct smve_node_record *r)
{
	const struct smve_rec_command *c = r->u.command.hdr;
	struct ctl_wait *w = NULL;
	struct mara_frame f;
	struct mara_control mc;

	if (c->cmd != MARA_CMD_CONTROL ||
	    mara_parse(r->u.command.request, c->req_len, &f) || mara_decode_control(&f, &mc))
		return;	/* another command, or not a whole 0x13 request */
	/* The oldest matching wait: the kernel sends one IED's commands in order. */
	for (unsigned i = 0; i < NCTL; i++) {
		struct ctl_wait *x = &n->ctl[i];

		if (x->used && r->seq >= x->min_seq && x->port == mc.port && x->bit == mc.bit &&
		    x->state == mc.state && (!w || x->min_seq < w->min_seq))
			w = x;
	}
	if (!w)
		return;	/* someone else's command (smvectl, a test), or one that timed out */
	smved_log(LOG_NOTICE, "bus %s IED %u: control port %u bit %u state %u: %s after %u attempt(s)",
		  n->bus->cfg.tty, n->addr, mc.port, mc.bit, mc.state,
		  smve_node_outcome_name(c->outcome), c->attempts);
	ctl_finish(w, command_result(c->outcome));
	ctl_arm(n);
}

void node_ctl_lost(struct node *n, bool all, uint64_t first_seq, const char *why)
{
	for (unsigned i = 0; i < NCTL; i++) {
		struct ctl_wait *w = &n->ctl[i];

		if (!w->used || (!all && w->min_seq >= first_seq))
			continue;
		smved_log(LOG_WARNING, "bus %s IED %u: control port %u bit %u state %u: outcome"
			  " unknown (%s)", n->bus->cfg.tty, n->addr, w->port, w->bit, w->state, why);
		ctl_finish(w, -ETIMEDOUT);
	}
	ctl_arm(n);
}

static void ctl_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct node *n = arg;
	int64_t now = smved_mono_us();

	(void)fd;
	(void)what;
	for (unsigned i = 0; i < NCTL; i++) {
		struct ctl_wait *w = &n->ctl[i];

		if (!w->used || w->deadline_us > now)
			continue;
		smved_log(LOG_WARNING, "bus %s IED %u: control port %u bit %u state %u: no COMMAND"
			  " record in time: outcome unknown", n->bus->cfg.tty, n->addr, w->port,
			  w->bit, w->state);
		ctl_finish(w, -ETIMEDOUT);
	}
	ctl_arm(n);
}

/* 0x13 through write(): queued without blocking, the outcome comes as a COMMAND record. */
int node_control(struct node *n, const struct binding *bd, int state,
		 void (*done)(int result, void *arg), void *arg)
{
	uint8_t req[4] = { MARA_CMD_CONTROL, (uint8_t)bd->local, (uint8_t)bd->bit, (uint8_t)state };
	struct smve_node_info info;
	struct ctl_wait *w = NULL;
	int64_t budget;
	unsigned ahead = 0;
	int rc;

	if (!n->sn)
		return -ENOTCONN;
	for (unsigned i = 0; i < NCTL; i++) {
		if (n->ctl[i].used)
			ahead++;
		else if (!w)
			w = &n->ctl[i];
	}
	if (!w)
		return -EBUSY;
	if (!n->ctl_timer) {
		n->ctl_timer = evtimer_new(n->bus->bs->sm->base, ctl_timeout, n);
		if (!n->ctl_timer)
			return -ENOMEM;
	}
	rc = smve_node_info(n->sn, &info);
	if (rc < 0)
		return rc == -ENODEV ? -ENOTCONN : rc;
	if (write(smve_node_fd(n->sn), req, sizeof(req)) != (ssize_t)sizeof(req))
		return errno == EBADF ? -EPERM : errno == ENODEV ? -ENOTCONN : -errno;
	/* The kernel sends this IED's commands one after the other: those ahead come first. */
	budget = (int64_t)bus_command_timeout_ms(n->bus) * 1000 * (ahead + 1);
	*w = (struct ctl_wait){ .used = true, .min_seq = info.next_seq,
				.deadline_us = smved_mono_us() + budget, .port = req[1],
				.bit = req[2], .state = req[3], .done = done, .arg = arg };
	ctl_arm(n);
	return 0;
}
