// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* JSON representations of points and events, shared by REST (api.c) and the feed (ws_feed.c). */
#include "web.h"

#include <string.h>

#include "journal.h"
#include "store.h"

json_t *web_time_json(int64_t us)
{
	char t[32];

	if (!us)
		return json_null();
	web_iso_time(us, t);
	return json_string(t);
}

json_t *web_point_json(const struct point *p)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_integer(p->id));
	json_object_set_new(o, "tag", json_string(p->tag));
	json_object_set_new(o, "kind", json_string(point_kind_name((enum point_kind)p->kind)));
	json_object_set_new(o, "value", (p->flags & POINT_F_NEVER) ? json_null() : json_real(p->value));
	/* Integral values print as integers so that "value":855 reads as the wire value. */
	if (!(p->flags & POINT_F_NEVER) && p->value == (double)(long long)p->value &&
	    p->value > -1e15 && p->value < 1e15)
		json_object_set_new(o, "value", json_integer((json_int_t)p->value));
	json_object_set_new(o, "raw", json_integer(p->raw));
	json_object_set_new(o, "q", json_integer(p->q));
	json_object_set_new(o, "stale", json_boolean(p->flags & POINT_F_STALE));
	json_object_set_new(o, "source_time", web_time_json(p->src_us));
	json_object_set_new(o, "time", web_time_json(p->rx_us));
	json_object_set_new(o, "unit", json_string(p->unit ? p->unit : ""));
	json_object_set_new(o, "description", json_string(p->description ? p->description : ""));
	if (p->kind == POINT_DERIVED)
		json_object_set_new(o, "text", p->text ? json_string(p->text) : json_null());
	if (p->flags & POINT_F_MANUAL)
		json_object_set_new(o, "manual", json_true());
	if (p->flags & POINT_F_LATCHED)
		json_object_set_new(o, "latched", json_true());
	return o;
}

json_t *web_event_json(const struct journal_event *ev)
{
	json_t *fields = json_loads(ev->fields ? ev->fields : "{}", 0, NULL);
	json_t *o = json_object();

	if (!fields)
		fields = json_object();	/* the journal stores what libsmve rendered: never expected */
	json_object_set_new(o, "id", json_integer(ev->id));
	json_object_set_new(o, "station", json_string(ev->station));
	json_object_set_new(o, "source", json_string(ev->source));
	json_object_set_new(o, "ied", ev->ied >= 0 ? json_integer(ev->ied) : json_null());
	json_object_set_new(o, "type", json_string(ev->type));
	json_object_set_new(o, "tag", *ev->tag ? json_string(ev->tag) : json_null());
	json_object_set_new(o, "time", web_time_json(ev->utc_us));
	json_object_set_new(o, "device_time", *ev->device_time ? json_string(ev->device_time)
							       : json_null());
	json_object_set_new(o, "bad_time", json_boolean(ev->bad_time));
	json_object_set_new(o, "received", web_time_json(ev->rx_us));
	json_object_set_new(o, "value", json_integer(ev->value));
	json_object_set_new(o, "alarm", json_boolean(ev->alarm));
	json_object_set_new(o, "fields", fields);
	json_object_set_new(o, "text", json_string(ev->text));
	if (ev->ack_user)
		json_object_set_new(o, "ack", json_pack("{s:s,s:o}", "user", ev->ack_user, "time",
							web_time_json(ev->ack_us)));
	else
		json_object_set_new(o, "ack", json_null());
	return o;
}
