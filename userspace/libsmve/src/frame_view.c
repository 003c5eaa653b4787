// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One decoded view of a frame for the renderers (JSON here, smvectl's text), so that both
 * apply the same rules: what counts as a poll request, which payloads are checked, how a layout
 * binds.
 */
#include <smve/json.h>

#include <stdio.h>
#include <string.h>

int smve_frame_view_decode(struct smve_frame_view *v, const uint8_t *buf, size_t len,
			   const struct mara_layout *layout, unsigned int dialect)
{
	const struct mara_frame *f = &v->frame;
	unsigned int i;
	int err;

	memset(v, 0, sizeof(*v));
	v->dialect = dialect;
	v->layout = layout && layout->count ? layout : NULL;
	err = mara_parse(buf, len, &v->frame);
	if (err)
		goto out;
	switch (f->cmd) {
	case MARA_CMD_POLL:
		/* a request has no payload; only replies carry sections */
		if (!f->payload_len)
			break;
		err = mara_sections_parse(f->payload, f->payload_len, &v->sections);
		if (err)
			break;
		v->is_reply10 = true;
		for (i = 0; i < v->sections.ev_count && i < MARA_EVENTS_MAX; i++)
			mara_event_decode(v->sections.ev + i * MARA_EVENT_LEN, dialect,
					  &v->events[i]);
		v->event_count = i;
		if (v->layout)
			v->bind_flags = mara_layout_bind(v->layout, &v->sections, v->views,
							 &v->bind);
		break;
	case MARA_CMD_PEH:
		err = mara_decode_peh(f, &v->peh_time, &v->peh_dow);
		break;
	case MARA_CMD_CONTROL:
		err = mara_decode_control(f, &v->control);
		break;
	default:
		break;
	}
out:
	v->error = err;
	return err;
}

int smve_format_time(char *buf, size_t cap, const struct mara_time *t)
{
	int n;

	if (t->has_seconds) {
		/* §5.11: 1/32768 s units; truncation keeps 1/128 s steps exact (…156250) */
		unsigned long us = (unsigned long)t->frac * 1000000ul / MARA_FRAC_ONE;

		n = snprintf(buf, cap, "%04u-%02u-%02uT%02u:%02u:%02u.%06lu", t->year, t->month,
			     t->day, t->hour, t->minute, t->second, us);
	} else {
		n = snprintf(buf, cap, "%04u-%02u-%02uT%02u:%02u", t->year, t->month, t->day,
			     t->hour, t->minute);
	}
	if (n < 0 || (size_t)n >= cap)
		return -MARA_ENOSPACE;
	return n;
}

const char *smve_event_type_name(unsigned int type)
{
	static const char *const names[] = { "digital", "energy", "idle", "comsys" };

	return type < 4 ? names[type] : "?";
}
