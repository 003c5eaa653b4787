// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Mara event records as journal entries; see events.h. */
#include <stdio.h>
#include <string.h>

#include <smve/json.h>

#include "events.h"
#include "sheets.h"
#include "store.h"
#include "tz.h"

static const char *const comsys_text[16] = {
	[2] = "connection COMaster-IED",
	[3] = "IED start",
	[4] = "communications start",
	[6] = "IED RAM values returned",
	[7] = "forced digital event (port 7)",
};

void event_to_journal(const struct event_ctx *c, const struct mara_event *ev,
		      int64_t rx_us, struct event_buf *buf,
		      struct journal_new *out)
{
	const struct point *p = NULL;
	const struct binding *b;
	struct smve_json w;
	int64_t utc;

	memset(out, 0, sizeof(*out));
	out->source = c->source;
	out->station = c->station;
	out->ied = ev->addr;
	out->type = smve_event_type_name(ev->type);
	out->rx_us = rx_us;
	out->has_raw = true;
	memcpy(out->raw, ev->raw, MARA_EVENT_LEN);
	out->calif = ev->calif;
	tz_format_device(&ev->time, buf->device_time, sizeof(buf->device_time));
	out->device_time = buf->device_time;
	if (tz_device_to_utc(c->timezone, &ev->time, &utc) == 0) {
		out->utc_us = utc;
	} else {
		/* §5.11: journalled with a flag and the receive time, never dropped. */
		out->bad_time = true;
		out->utc_us = rx_us;
	}
	smve_json_init(&w, buf->fields, sizeof(buf->fields));
	smve_json_event(&w, ev, c->dialect);
	if (w.overflow)
		snprintf(buf->fields, sizeof(buf->fields), "{}");
	out->fields = buf->fields;
	buf->tag[0] = '\0';
	switch (ev->type) {
	case MARA_EV_DIGITAL: {
		const char *state;
		int v;

		b = c->sp ? sheets_find_di(c->sp, ev->addr, ev->port, ev->bit) : NULL;
		p = b ? store_get(c->store, b->id) : NULL;
		v = (ev->status & 1) ^ (p ? p->invert : 0);
		out->value = v;
		/*
		 * §9.8: a feeder protection's return to normal (tipodi 0, value 0)
		 * is journalled and listed but is no alarm: no attention, no sound.
		 */
		out->alarm = !(b && b->tipo == 0 && v == 0);
		state = p ? sheets_state_text(c->sheets, p->text_id == 0xFFFF ? -1 :
					      p->text_id, v) : NULL;
		if (p && !(p->flags & POINT_F_UNMAPPED))
			snprintf(buf->text, sizeof(buf->text), "%s %s",
				 p->description[0] ? p->description : p->tag,
				 state ? state : v ? "1" : "0");
		else
			/* §5.7: an unmapped DI is journalled, not dropped. */
			snprintf(buf->text, sizeof(buf->text),
				 "unmapped DI: IED %u port %u bit %u = %d", ev->addr,
				 ev->port, ev->bit, v);
		break;
	}
	case MARA_EV_ENERGY:
		b = c->sp ? sheets_find_energy(c->sp, c->store, ev->addr,
					       ev->channel) : NULL;
		p = b ? store_get(c->store, b->id) : NULL;
		out->value = ev->value;
		/* §5.8: engineering value = value x escala_e of the energy point. */
		snprintf(buf->text, sizeof(buf->text), "energy %s ch %u code %u: %u (x %g = %g%s%s)%s",
			 p ? p->tag : "(no point)", ev->channel, ev->code, (unsigned)ev->value,
			 p ? p->scale_e : 1.0, ev->value * (p ? p->scale_e : 1.0),
			 p && p->unit[0] ? " " : "", p ? p->unit : "",
			 ev->code == 2 || ev->code > 3 ? " (undefined code)" : "");
		break;
	case MARA_EV_COMSYS: {
		unsigned int code = ev->code & 15;

		out->value = ev->raw[1];
		out->alarm = true;
		snprintf(buf->text, sizeof(buf->text), "IED %u: %s (%02X)", ev->addr,
			 comsys_text[code] ? comsys_text[code] : "COMSYS code",
			 ev->raw[1]);
		break;
	}
	default:
		snprintf(buf->text, sizeof(buf->text), "IDLE event, IED %u", ev->addr);
		break;
	}
	if (p)
		snprintf(buf->tag, sizeof(buf->tag), "%s", p->tag);
	out->tag = buf->tag;
	out->text = buf->text;
}
