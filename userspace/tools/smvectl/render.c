// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Human-readable rendering of decoded frames: one header line, then each section on its own
 * lines, so an engineer can read a reply against the spec without a calculator.
 */
#include "opts.h"

#include <string.h>

static const char *cmd_name(unsigned int cmd, unsigned int payload_len)
{
	switch (cmd) {
	case MARA_CMD_POLL:
		return payload_len ? "poll reply" : "poll";
	case MARA_CMD_PEH:
		return "PEH (time set)";
	case MARA_CMD_CONTROL:
		return "output control";
	default:
		return "other";
	}
}

static void hex_bytes(FILE *out, const char *indent, const uint8_t *p, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (i % 16 == 0)
			fprintf(out, "%s%s", i ? "\n" : "", indent);
		fprintf(out, "%s%02X", i % 16 ? " " : "", p[i]);
	}
	if (n)
		fputc('\n', out);
}

static void di_word(FILE *out, const uint8_t *di, unsigned int idx, unsigned int port)
{
	uint16_t w = mara_word(di, idx);
	unsigned int b;
	bool any = false;

	fprintf(out, "    port %2u: 0x%04X", port, w);
	for (b = 0; b < 16; b++) {
		if (!(w & (1u << b)))
			continue;
		fprintf(out, "%s%u", any ? "," : "  bits ", b);
		any = true;
	}
	fputc('\n', out);
}

static void ai_word(FILE *out, const uint8_t *ai, unsigned int idx, unsigned int n)
{
	uint16_t raw = mara_word(ai, idx);

	fprintf(out, "    AI %2u: raw 0x%04X  value %4u  q %u\n", n, raw, mara_ai_value(raw),
		mara_ai_q(raw));
}

void render_event_line(FILE *out, const struct mara_event *ev, unsigned int dialect)
{
	char t[40];
	bool nguru = dialect & MARA_TCD_NGURU;

	smve_format_time(t, sizeof(t), &ev->time);
	fprintf(out, "%-7s addr %2u %s %u", smve_event_type_name(ev->type), ev->addr,
		nguru ? "q" : "calif", ev->calif);
	switch (ev->type) {
	case MARA_EV_DIGITAL:
		fprintf(out, "  status %u port %u bit %2u  %s", ev->status, ev->port, ev->bit, t);
		break;
	case MARA_EV_ENERGY:
		if (nguru)
			fprintf(out, "  code %u hnn %u", (unsigned int)(ev->code >> 1), (unsigned int)(ev->code & 1));
		else
			fprintf(out, "  code %u", ev->code);
		fprintf(out, " channel %u  %s  value %lu", ev->channel, t,
			(unsigned long)ev->value);
		break;
	case MARA_EV_IDLE:
		fprintf(out, "  code %u  %s", ev->code, t);
		break;
	default:
		fprintf(out, "  code %u motive %u  %s", ev->code, ev->motive, t);
		break;
	}
	if (!ev->time.valid)
		fprintf(out, "  (bad time)");
}

static void render_layout(FILE *out, const struct smve_frame_view *v)
{
	const struct mara_bind_report *r = &v->bind;
	const struct mara_sections *s = &v->sections;
	unsigned int i, j;

	fprintf(out, "  layout: %u IEDs, %s: SV bytes %u/%u, DI words %u/%u, AI words %u/%u "
		"(actual/expected), %u complete\n", v->layout->count,
		!v->bind_flags ? "match" :
		v->bind_flags == MARA_BIND_SHORT ? "MISMATCH (reply short)" :
		v->bind_flags == MARA_BIND_LONG ? "MISMATCH (reply long)" :
		"MISMATCH (short and long)",
		r->sv_actual, r->sv_expected, r->di_actual, r->di_expected, r->ai_actual,
		r->ai_expected, r->complete_ieds);
	for (i = 0; i < v->layout->count; i++) {
		const struct mara_ied_view *iv = &v->views[i];

		fprintf(out, "    IED %3u%s SV", iv->addr, iv->complete ? ":" : " (incomplete):");
		for (j = 0; j < iv->sv_len; j++)
			fprintf(out, " %02X", s->sv[iv->sv_off + j]);
		fprintf(out, " | DI");
		for (j = 0; j < iv->di_len; j++)
			fprintf(out, " 0x%04X", mara_word(s->di, iv->di_off + j));
		fprintf(out, " | AI");
		for (j = 0; j < iv->ai_len; j++) {
			uint16_t raw = mara_word(s->ai, iv->ai_off + j);

			fprintf(out, " %u(q%u)", mara_ai_value(raw), mara_ai_q(raw));
		}
		fputc('\n', out);
	}
}

static void render_reply10(FILE *out, const struct smve_frame_view *v)
{
	const struct mara_sections *s = &v->sections;
	unsigned int i;

	fprintf(out, "  SV (%u bytes):\n", s->sv_len);
	hex_bytes(out, "    ", s->sv, s->sv_len);
	fprintf(out, "  DI (%u words):\n", s->di_words);
	for (i = 0; i < s->di_words; i++)
		di_word(out, s->di, i, i);
	fprintf(out, "  AI (%u words):\n", s->ai_words);
	for (i = 0; i < s->ai_words; i++)
		ai_word(out, s->ai, i, i);
	fprintf(out, "  events (%u):\n", v->event_count);
	for (i = 0; i < v->event_count; i++) {
		fprintf(out, "    %2u ", i + 1);
		render_event_line(out, &v->events[i], v->dialect);
		fputc('\n', out);
	}
	if (v->layout)
		render_layout(out, v);
}

void render_text(FILE *out, const struct smve_frame_view *v)
{
	const struct mara_frame *f = &v->frame;
	char t[40];

	if (v->error) {
		fprintf(out, "error: %s: %s\n", mara_err_name(v->error), mara_strerror(v->error));
		return;
	}
	fprintf(out, "frame: QTY %u  DST %02X  SRC %02X  SEQ %02X  CMD %02X (%s)\n", f->qty,
		f->dst, f->src, f->seq, f->cmd, cmd_name(f->cmd, f->payload_len));
	if (v->is_reply10) {
		render_reply10(out, v);
	} else if (f->cmd == MARA_CMD_PEH) {
		smve_format_time(t, sizeof(t), &v->peh_time);
		fprintf(out, "  time %s  day of week %u%s\n", t, v->peh_dow,
			v->peh_time.valid ? "" : "  (bad time)");
	} else if (f->cmd == MARA_CMD_CONTROL) {
		fprintf(out, "  port %u  bit %u%s  state %u\n", v->control.port, v->control.bit,
			v->control.bit == MARA_CONTROL_BIT_ERROR ? " (error: nothing written)" : "",
			v->control.state);
	} else if (f->payload_len) {
		fprintf(out, "  payload (%u bytes):\n", f->payload_len);
		hex_bytes(out, "    ", f->payload, f->payload_len);
	}
}
