/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Decoded-frame view and its JSON rendering, shared by smvectl (decode, poll, watch) and
 * smved's REST API so that both print an event exactly alike.  No JSON library: libsmve stays
 * dependency-free; the writer below escapes strings itself and never writes past its buffer.
 *
 * Format of a frame (one object, fields in this order; numbers are JSON numbers):
 *   {"ok":true,"qty":Q,"dst":D,"src":S,"seq":N,"cmd":C, ...}
 *   0x10 reply:  "sv":[bytes],"di":[words],"ai":[{"raw":R,"value":V,"q":Q}...],"events":[...]
 *                with a layout also "ieds":[{"addr":A,"sv":[..],"di":[..],"ai":[..],
 *                "complete":B}...],"layout":{...} (see smve_json_frame())
 *   0x12 PEH:    "time":"YYYY-MM-DDTHH:MM:SS.ffffff","dow":N   (+"bad_time":true)
 *   0x13:        "port":P,"bit":B,"state":S
 *   otherwise:   "payload":[bytes]
 *   failure:     {"ok":false,"error":"<mara_err_name>","message":"<mara_strerror>"}
 * Events: {"type":"digital|energy|idle|comsys","calif":C,"addr":A, type fields, "time":...}
 * (see smve_json_event()).
 */
#ifndef SMVE_JSON_H
#define SMVE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <smve/mara.h>

/* Room for the JSON of any frame up to 253 bytes with a 64-IED layout, with margin. */
#define SMVE_JSON_FRAME_MAX	32768

/* A decoded frame.  Pointers point into the caller's frame bytes and layout. */
struct smve_frame_view {
	int error;			/* 0, or -MARA_E* why the frame does not decode */
	struct mara_frame frame;	/* header and payload (valid when error is 0) */
	unsigned int dialect;		/* MARA_DIALECT_* used for the events */
	bool is_reply10;		/* 0x10 with a payload: sections, events, binding */
	struct mara_sections sections;
	struct mara_event events[MARA_EVENTS_MAX];
	unsigned int event_count;
	const struct mara_layout *layout;	/* NULL or empty: no binding */
	struct mara_ied_view views[MARA_LAYOUT_MAX];
	struct mara_bind_report bind;
	unsigned int bind_flags;	/* MARA_BIND_* */
	struct mara_time peh_time;	/* 0x12 */
	uint8_t peh_dow;		/* 0x12, as sent */
	struct mara_control control;	/* 0x13 */
};

/*
 * Verify and decode @len bytes of @buf as one frame: header, and by command the 0x10 sections
 * (a 0x10 without payload is a poll request and has none), events, layout binding (when @layout
 * is not NULL and not empty), the PEH time or the 0x13 fields.  @v keeps pointers into @buf and
 * @layout.  Returns v->error.
 */
int smve_frame_view_decode(struct smve_frame_view *v, const uint8_t *buf, size_t len,
			   const struct mara_layout *layout, unsigned int dialect);

/*
 * Format a device time: "YYYY-MM-DDTHH:MM:SS.ffffff" (microseconds = frac * 1000000 / 32768,
 * truncated) when it has seconds, "YYYY-MM-DDTHH:MM" for energy records.  Fields are printed as
 * sent even when out of range.  Returns the length or -MARA_ENOSPACE (@buf NUL terminated
 * whenever @cap > 0).  32 bytes always suffice.
 */
int smve_format_time(char *buf, size_t cap, const struct mara_time *t);

/* Name of an event type: "digital", "energy", "idle", "comsys". */
const char *smve_event_type_name(unsigned int type);

/*
 * Append-only JSON text writer over a caller buffer.  Once the buffer is full it sets
 * @overflow and writes nothing more, so a caller checks once at the end.  The text is always
 * NUL terminated (when cap > 0).
 */
struct smve_json {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

void smve_json_init(struct smve_json *w, char *buf, size_t cap);
/* Append @s verbatim (trusted JSON syntax only). */
void smve_json_raw(struct smve_json *w, const char *s);
/* Append a decimal number. */
void smve_json_uint(struct smve_json *w, unsigned long v);
/* Append @len bytes of @s as a JSON string, escaping quotes, backslashes and control bytes. */
void smve_json_string(struct smve_json *w, const char *s, size_t len);

/*
 * Append one event object.  Firmware dialect: "calif"; nguru dialect (MARA_TCD_NGURU in
 * @dialect): "q" instead, and energy adds "hnn" (code & 1) with "code" = code >> 1 (§5.13).
 * Digital: "status","port","bit"; energy: "code","channel", "value" after "time"; idle: "code";
 * comsys: "code","motive".  An out-of-range time adds "bad_time":true after "time".
 */
void smve_json_event(struct smve_json *w, const struct mara_event *ev, unsigned int dialect);

/* Append {"ok":false,"error":NAME,"message":TEXT} for -MARA_E* @err. */
void smve_json_error(struct smve_json *w, int err);

/*
 * Append the object for a decoded frame (the error object when v->error is set).  With a
 * layout, "layout" is {"match":B,"short":B,"long":B,"ieds":N,"complete_ieds":N,
 * "sv_bytes":{"expected":E,"actual":A},"di_words":{...},"ai_words":{...}}; what matches is still
 * bound in "ieds", each IED showing the elements actually present.
 */
void smve_json_frame(struct smve_json *w, const struct smve_frame_view *v);

/*
 * Decode and render one frame into @buf (NUL terminated).  Returns the length, or
 * -MARA_ENOSPACE when @cap is too small (SMVE_JSON_FRAME_MAX always suffices).
 */
int smve_json_render(char *buf, size_t cap, const uint8_t *frame, size_t len,
		     const struct mara_layout *layout, unsigned int dialect);

#endif
