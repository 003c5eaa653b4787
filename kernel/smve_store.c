// SPDX-License-Identifier: GPL-2.0
/*
 * What the bus master stores from a transaction: the coalesced state, the
 * events, status changes (with their uevents) and command outcomes, each as
 * a UAPI record in the IED's node.  Called by the bus thread under
 * bus->lock.
 */
#include <linux/kobject.h>
#include <linux/slab.h>

#include "smve_priv.h"

/* §5.12 rule 3: an AI of a lost IED is qualified (q = 1). */
static void qualify_ai(u8 *ai, unsigned int words)
{
	unsigned int i;

	for (i = 0; i < words; i++)
		ai[2 * i + 1] = (ai[2 * i + 1] & 0x3F) | 0x40;
}

static bool layout_mismatch(struct smve_bus *bus, struct smve_ied *ied,
			    const struct mara_sections *s)
{
	unsigned int i;

	for (i = 0; i < bus->layout.count; i++) {
		const struct mara_layout_ied *l = &bus->layout.ied[i];

		if (l->addr == ied->addr)
			return l->sv_bytes != s->sv_len ||
			       l->di_words != s->di_words ||
			       l->ai_words != s->ai_words;
	}
	return false;	/* not in the layout: take sections as they come */
}

/* Same values and flags as the stored state (reply SEQ and time aside)? */
static bool state_equal(const struct smve_rec *a, const struct smve_rec *b)
{
	const struct smve_rec_state *x = smve_rec_payload((struct smve_rec *)a);
	const struct smve_rec_state *y = smve_rec_payload((struct smve_rec *)b);

	return a->hdr.len == b->hdr.len && x->flags == y->flags &&
	       x->sv_len == y->sv_len && x->di_words == y->di_words &&
	       x->ai_words == y->ai_words &&
	       !memcmp(x + 1, y + 1, a->hdr.len - sizeof(*x));
}

void smve_bus_store_state(struct smve_bus *bus, struct smve_ied *ied,
			  const struct mara_sections *s, u8 seq)
{
	size_t len = sizeof(struct smve_rec_state) + s->sv_len +
		     2 * (s->di_words + s->ai_words);
	struct smve_rec_state *st;
	struct smve_rec *r;
	bool bad = layout_mismatch(bus, ied, s);
	u8 *p;

	if (bad && !ied->layout_bad)
		smve_ied_status(ied, SMVE_STATUS_LAYOUT, 0,
				(u64)s->sv_len << 16 | s->di_words << 8 |
				s->ai_words);
	ied->layout_bad = bad;

	r = smve_rec_alloc(SMVE_REC_STATE, len, SMVE_RECF_COALESCED);
	if (!r)
		return;
	st = smve_rec_payload(r);
	st->flags = SMVE_STATE_ONLINE | (bad ? SMVE_STATE_LAYOUT : 0);
	st->address = ied->addr;
	st->reply_seq = seq;
	st->sv_len = s->sv_len;
	st->di_words = s->di_words;
	st->ai_words = s->ai_words;
	st->reply_time_ns = ied->last_reply_ns;
	p = (u8 *)(st + 1);
	memcpy(p, s->sv, s->sv_len);
	p += s->sv_len;
	memcpy(p, s->di, 2 * s->di_words);
	p += 2 * s->di_words;
	memcpy(p, s->ai, 2 * s->ai_words);

	if (ied->state && state_equal(ied->state, r)) {
		kfree(r);
		return;
	}
	smve_ied_set_state(ied, r);
}

int smve_bus_store_events(struct smve_bus *bus, struct smve_ied *ied,
			  const struct mara_sections *s, u8 seq, u32 flags,
			  u64 *last)
{
	struct smve_rec_event *e;
	struct mara_event ev;
	struct smve_rec *r;
	unsigned int i;

	for (i = 0; i < s->ev_count; i++) {
		r = smve_rec_alloc(SMVE_REC_EVENT, sizeof(*e), flags);
		if (!r) {
			dev_warn_ratelimited(ied->dev, "no memory for an event\n");
			return -ENOMEM;
		}
		mara_event_decode(s->ev + i * MARA_EVENT_LEN,
				  MARA_DIALECT_FIRMWARE, &ev);
		e = smve_rec_payload(r);
		memcpy(e->raw, ev.raw, sizeof(e->raw));
		e->type = ev.type;
		e->calif = ev.calif;
		e->addr = ev.addr;
		e->source = ied->addr;
		e->status = ev.status;
		e->port = ev.port;
		e->bit = ev.bit;
		e->code = ev.code;
		e->channel = ev.channel;
		e->motive = ev.motive;
		e->year = ev.time.year;
		e->month = ev.time.month;
		e->day = ev.time.day;
		e->hour = ev.time.hour;
		e->minute = ev.time.minute;
		e->second = ev.time.second;
		e->has_seconds = ev.time.has_seconds;
		e->frac = ev.time.frac;
		e->time_valid = ev.time.valid;
		e->index = i;
		e->reply_seq = seq;
		e->value = ev.value;
		*last = smve_ied_push(ied, r);
		ied->stats.events++;
	}
	return s->ev_count;
}

/* Online/offline: status record, qualified state, KOBJ_CHANGE uevent. */
void smve_bus_online_change(struct smve_bus *bus, struct smve_ied *ied,
			    bool online, u32 reason)
{
	char env[] = "SMVE_ONLINE=0";
	char *envp[2] = { env, NULL };

	if (online) {
		env[sizeof(env) - 2] = '1';
		smve_ied_status(ied, SMVE_STATUS_ONLINE, 0, 0);
	} else {
		struct smve_rec *old = ied->state, *r;
		struct smve_rec_state *st;

		smve_ied_status(ied, SMVE_STATUS_OFFLINE, reason,
				bus->retries + 1);
		r = old ? smve_rec_alloc(SMVE_REC_STATE, old->hdr.len,
					 SMVE_RECF_COALESCED) : NULL;
		if (r) {
			memcpy(smve_rec_payload(r), smve_rec_payload(old),
			       old->hdr.len);
			st = smve_rec_payload(r);
			st->flags &= ~SMVE_STATE_ONLINE;
			st->flags |= SMVE_STATE_OFFLINE;
			qualify_ai((u8 *)(st + 1) + st->sv_len +
				   2 * st->di_words, st->ai_words);
			smve_ied_set_state(ied, r);
		}
	}
	WRITE_ONCE(ied->online, online);
	kobject_uevent_env(&ied->dev->kobj, KOBJ_CHANGE, envp);
}

/* Record the outcome, wake the waiter, drop the queue's reference. */
void smve_bus_cmd_finish(struct smve_bus *bus, struct smve_cmd *c,
			 u32 outcome)
{
	struct smve_rec_command *rc;
	struct smve_rec *r;

	if (bus->active_cmd == c)
		bus->active_cmd = NULL;
	c->outcome = outcome;
	if (outcome != SMVE_CMD_ABORTED) {
		r = smve_rec_alloc(SMVE_REC_COMMAND,
				   sizeof(*rc) + c->req_len + c->resp_len, 0);
		if (r) {
			rc = smve_rec_payload(r);
			rc->id = c->id;
			rc->outcome = outcome;
			rc->cmd = c->cmd;
			rc->seq = c->seq;
			rc->attempts = c->attempts;
			rc->req_len = c->req_len;
			rc->resp_len = c->resp_len;
			memcpy(rc + 1, c->req, c->req_len);
			memcpy((u8 *)(rc + 1) + c->req_len, c->resp,
			       c->resp_len);
			c->record_seq = smve_ied_push(c->ied, r);
		}
	}
	complete_all(&c->done);
	smve_cmd_put(c);
}
