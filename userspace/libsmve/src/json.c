// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* JSON rendering of decoded frames and events; the format is specified in <smve/json.h>. */
#include <smve/json.h>

#include <stdio.h>
#include <string.h>

void smve_json_init(struct smve_json *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->overflow = cap == 0;
	if (cap)
		buf[0] = '\0';
}

static void put(struct smve_json *w, const char *s, size_t n)
{
	if (w->overflow)
		return;
	/* keep one byte for the terminating NUL */
	if (n >= w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

void smve_json_raw(struct smve_json *w, const char *s)
{
	put(w, s, strlen(s));
}

void smve_json_uint(struct smve_json *w, unsigned long v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%lu", v);

	put(w, tmp, (size_t)n);
}

void smve_json_string(struct smve_json *w, const char *s, size_t len)
{
	size_t i;

	put(w, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(w, esc, 2);
		} else if (c < 0x20 || c == 0x7F) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(w, esc, 6);
		} else {
			put(w, (const char *)&s[i], 1);
		}
	}
	put(w, "\"", 1);
}

/* ,"key":value */
static void field(struct smve_json *w, const char *key, unsigned long v)
{
	put(w, ",\"", 2);
	smve_json_raw(w, key);
	put(w, "\":", 2);
	smve_json_uint(w, v);
}

static void bool_field(struct smve_json *w, const char *key, bool b)
{
	put(w, ",\"", 2);
	smve_json_raw(w, key);
	smve_json_raw(w, b ? "\":true" : "\":false");
}

static void time_field(struct smve_json *w, const struct mara_time *t)
{
	char tmp[40];

	smve_format_time(tmp, sizeof(tmp), t);
	smve_json_raw(w, ",\"time\":");
	smve_json_string(w, tmp, strlen(tmp));
	if (!t->valid)
		smve_json_raw(w, ",\"bad_time\":true");
}

void smve_json_event(struct smve_json *w, const struct mara_event *ev, unsigned int dialect)
{
	bool nguru = dialect & MARA_TCD_NGURU;

	smve_json_raw(w, "{\"type\":\"");
	smve_json_raw(w, smve_event_type_name(ev->type));
	smve_json_raw(w, "\"");
	field(w, nguru ? "q" : "calif", ev->calif);
	field(w, "addr", ev->addr);
	switch (ev->type) {
	case MARA_EV_DIGITAL:
		field(w, "status", ev->status);
		field(w, "port", ev->port);
		field(w, "bit", ev->bit);
		time_field(w, &ev->time);
		break;
	case MARA_EV_ENERGY:
		if (nguru) {
			/* §5.8: nguru's (code, hnn) pair is derived from the 3-bit code */
			field(w, "code", ev->code >> 1);
			field(w, "hnn", ev->code & 1);
		} else {
			field(w, "code", ev->code);
		}
		field(w, "channel", ev->channel);
		time_field(w, &ev->time);
		field(w, "value", ev->value);
		break;
	case MARA_EV_IDLE:
		field(w, "code", ev->code);
		time_field(w, &ev->time);
		break;
	default:
		field(w, "code", ev->code);
		field(w, "motive", ev->motive);
		time_field(w, &ev->time);
		break;
	}
	smve_json_raw(w, "}");
}

void smve_json_error(struct smve_json *w, int err)
{
	const char *msg = mara_strerror(err);

	smve_json_raw(w, "{\"ok\":false,\"error\":\"");
	smve_json_raw(w, mara_err_name(err));
	smve_json_raw(w, "\",\"message\":");
	smve_json_string(w, msg, strlen(msg));
	smve_json_raw(w, "}");
}

static void byte_array(struct smve_json *w, const char *key, const uint8_t *p, unsigned int n)
{
	unsigned int i;

	put(w, ",\"", 2);
	smve_json_raw(w, key);
	put(w, "\":[", 3);
	for (i = 0; i < n; i++) {
		if (i)
			put(w, ",", 1);
		smve_json_uint(w, p[i]);
	}
	put(w, "]", 1);
}

/* DI words @first..@first+@n of the section, as numbers. */
static void di_array(struct smve_json *w, const uint8_t *di, unsigned int first, unsigned int n)
{
	unsigned int i;

	smve_json_raw(w, ",\"di\":[");
	for (i = 0; i < n; i++) {
		if (i)
			put(w, ",", 1);
		smve_json_uint(w, mara_word(di, first + i));
	}
	put(w, "]", 1);
}

static void ai_array(struct smve_json *w, const uint8_t *ai, unsigned int first, unsigned int n)
{
	unsigned int i;

	smve_json_raw(w, ",\"ai\":[");
	for (i = 0; i < n; i++) {
		uint16_t raw = mara_word(ai, first + i);

		if (i)
			put(w, ",", 1);
		smve_json_raw(w, "{\"raw\":");
		smve_json_uint(w, raw);
		field(w, "value", mara_ai_value(raw));
		field(w, "q", mara_ai_q(raw));
		put(w, "}", 1);
	}
	put(w, "]", 1);
}

static void expect_actual(struct smve_json *w, const char *key, unsigned int e, unsigned int a)
{
	put(w, ",\"", 2);
	smve_json_raw(w, key);
	smve_json_raw(w, "\":{\"expected\":");
	smve_json_uint(w, e);
	field(w, "actual", a);
	put(w, "}", 1);
}

static void layout_part(struct smve_json *w, const struct smve_frame_view *v)
{
	const struct mara_sections *s = &v->sections;
	const struct mara_bind_report *r = &v->bind;
	unsigned int i;

	smve_json_raw(w, ",\"ieds\":[");
	for (i = 0; i < v->layout->count; i++) {
		const struct mara_ied_view *iv = &v->views[i];

		if (i)
			put(w, ",", 1);
		smve_json_raw(w, "{\"addr\":");
		smve_json_uint(w, iv->addr);
		byte_array(w, "sv", s->sv + iv->sv_off, iv->sv_len);
		di_array(w, s->di, iv->di_off, iv->di_len);
		ai_array(w, s->ai, iv->ai_off, iv->ai_len);
		bool_field(w, "complete", iv->complete);
		put(w, "}", 1);
	}
	smve_json_raw(w, "],\"layout\":{\"match\":");
	smve_json_raw(w, v->bind_flags ? "false" : "true");
	bool_field(w, "short", v->bind_flags & MARA_BIND_SHORT);
	bool_field(w, "long", v->bind_flags & MARA_BIND_LONG);
	field(w, "ieds", v->layout->count);
	field(w, "complete_ieds", r->complete_ieds);
	expect_actual(w, "sv_bytes", r->sv_expected, r->sv_actual);
	expect_actual(w, "di_words", r->di_expected, r->di_actual);
	expect_actual(w, "ai_words", r->ai_expected, r->ai_actual);
	put(w, "}", 1);
}

static void reply10_part(struct smve_json *w, const struct smve_frame_view *v)
{
	const struct mara_sections *s = &v->sections;
	unsigned int i;

	byte_array(w, "sv", s->sv, s->sv_len);
	di_array(w, s->di, 0, s->di_words);
	ai_array(w, s->ai, 0, s->ai_words);
	smve_json_raw(w, ",\"events\":[");
	for (i = 0; i < v->event_count; i++) {
		if (i)
			put(w, ",", 1);
		smve_json_event(w, &v->events[i], v->dialect);
	}
	put(w, "]", 1);
	if (v->layout)
		layout_part(w, v);
}

void smve_json_frame(struct smve_json *w, const struct smve_frame_view *v)
{
	const struct mara_frame *f = &v->frame;

	if (v->error) {
		smve_json_error(w, v->error);
		return;
	}
	smve_json_raw(w, "{\"ok\":true");
	field(w, "qty", f->qty);
	field(w, "dst", f->dst);
	field(w, "src", f->src);
	field(w, "seq", f->seq);
	field(w, "cmd", f->cmd);
	if (v->is_reply10) {
		reply10_part(w, v);
	} else if (f->cmd == MARA_CMD_PEH) {
		time_field(w, &v->peh_time);
		field(w, "dow", v->peh_dow);
	} else if (f->cmd == MARA_CMD_CONTROL) {
		field(w, "port", v->control.port);
		field(w, "bit", v->control.bit);
		field(w, "state", v->control.state);
	} else {
		byte_array(w, "payload", f->payload, f->payload_len);
	}
	put(w, "}", 1);
}

int smve_json_render(char *buf, size_t cap, const uint8_t *frame, size_t len,
		     const struct mara_layout *layout, unsigned int dialect)
{
	/* the view is about 1.5 KiB; static storage would break reentrancy */
	struct smve_frame_view v;
	struct smve_json w;

	smve_frame_view_decode(&v, frame, len, layout, dialect);
	smve_json_init(&w, buf, cap);
	smve_json_frame(&w, &v);
	if (w.overflow)
		return -MARA_ENOSPACE;
	return (int)w.len;
}
