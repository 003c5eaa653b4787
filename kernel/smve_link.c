// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-IED SEQ, retry and offline rules of the bus master (§3.5) and the
 * round-robin schedule.  Freestanding: see smve_core.h.
 */
#include "smve_core.h"

/* Every SEQ change starts a new transaction. */
static void link_new_seq(struct smve_link *l)
{
	l->seq ^= SMVE_SEQ_TOGGLE;
	l->stale = 0;
}

void smve_link_init(struct smve_link *l)
{
	l->seq = SMVE_SEQ_FIRST;
	l->state = SMVE_LINK_NEW;
	l->failures = 0;
	l->ack_wait = 0;
	l->stale = 0;
	l->ack_seq = 0;
	l->ack_sum = 0;
	l->next_due_ns = 0;
}

bool smve_link_online(const struct smve_link *l)
{
	return l->state == SMVE_LINK_ONLINE;
}

u64 smve_link_sum(const u8 *p, size_t len)
{
	u64 h = 0xcbf29ce484222325ULL;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

enum smve_verdict smve_link_reply(struct smve_link *l, u8 reply_seq, u64 sum,
				  bool *came_online)
{
	/*
	 * A stale frame may be a late answer to an earlier request, with the
	 * IED's reply to our SEQ still to come: acting on it now (new SEQ)
	 * would acknowledge that reply unseen.  The caller decides when.
	 */
	if (reply_seq != l->seq) {
		smve_link_stale(l);
		*came_online = false;
		return SMVE_V_STALE;
	}
	*came_online = l->state != SMVE_LINK_ONLINE;
	l->state = SMVE_LINK_ONLINE;
	l->failures = 0;
	l->stale = 0;
	if (l->ack_wait && sum == l->ack_sum)
		return SMVE_V_REPEAT;
	/*
	 * A new reply under the held SEQ: the IED acknowledged the held
	 * events itself (they are in the ring) and queued new ones, which
	 * only this reply carries.
	 */
	l->ack_wait = 0;
	return SMVE_V_ACCEPT;
}

void smve_link_stale(struct smve_link *l)
{
	l->stale = 1;
}

void smve_link_stored(struct smve_link *l, bool need_ack, u64 ack_seq,
		      u64 sum)
{
	if (need_ack) {
		l->ack_wait = 1;
		l->ack_seq = ack_seq;
		l->ack_sum = sum;
		return;
	}
	link_new_seq(l);
}

bool smve_link_commit(struct smve_link *l, u64 committed, bool no_consumer)
{
	if (!l->ack_wait)
		return false;
	if (!no_consumer && committed < l->ack_seq)
		return false;
	l->ack_wait = 0;
	link_new_seq(l);
	return true;
}

enum smve_fail_action smve_link_fail(struct smve_link *l, unsigned int retries,
				     u64 now, u64 reprobe_ns)
{
	if (l->state == SMVE_LINK_OFFLINE) {
		/* One attempt per re-probe; the SEQ stays pending (M1). */
		l->next_due_ns = now + reprobe_ns;
		return SMVE_FA_STILL_OFFLINE;
	}
	if (l->failures < 255)
		l->failures++;
	if (l->failures <= retries)
		return SMVE_FA_RETRY;
	l->state = SMVE_LINK_OFFLINE;
	l->failures = 0;
	l->stale = 0;
	l->next_due_ns = now + reprobe_ns;
	return SMVE_FA_OFFLINE;
}

enum smve_fail_action smve_link_timeout(struct smve_link *l,
					unsigned int retries, u64 now,
					u64 reprobe_ns)
{
	if (!l->stale || (l->state != SMVE_LINK_OFFLINE && l->failures < retries))
		return smve_link_fail(l, retries, now, reprobe_ns);
	l->state = SMVE_LINK_ONLINE;
	l->failures = 0;
	/*
	 * A held acknowledgment is moot too: the IED took our SEQ for a
	 * repeat, so its pending events are still queued there and come
	 * again under the new SEQ.
	 */
	l->ack_wait = 0;
	link_new_seq(l);
	return SMVE_FA_NEW_SEQ;
}

void smve_link_advance(struct smve_link *l)
{
	l->failures = 0;
	link_new_seq(l);
}

enum smve_frame_class smve_classify(u8 master, bool waiting, u8 peer, u8 dst,
				    u8 src)
{
	/* Half-duplex adapters hear themselves: not an error (§2.4). */
	if (src == master)
		return SMVE_FC_ECHO;
	if (!waiting)
		return SMVE_FC_UNSOLICITED;
	if (dst != master || src != peer)
		return SMVE_FC_WRONG_PEER;
	return SMVE_FC_REPLY;
}

bool smve_link_due(const struct smve_link *l, u64 now)
{
	return l->state != SMVE_LINK_OFFLINE || now >= l->next_due_ns;
}

int smve_sched_pick(const struct smve_link *const *links, unsigned int n,
		    unsigned int start, u64 now, u64 *wake_ns, bool *wrapped)
{
	u64 wake = ~0ULL;
	unsigned int i;

	*wrapped = false;
	if (n == 0) {
		*wake_ns = wake;
		return -1;
	}
	if (start >= n) {
		start = 0;
		*wrapped = true;
	}
	for (i = 0; i < n; i++) {
		unsigned int k = start + i;

		if (k >= n) {
			k -= n;
			*wrapped = true;
		}
		if (smve_link_due(links[k], now))
			return (int)k;
		if (links[k]->next_due_ns < wake)
			wake = links[k]->next_due_ns;
	}
	*wrapped = false;
	*wake_ns = wake;
	return -1;
}
