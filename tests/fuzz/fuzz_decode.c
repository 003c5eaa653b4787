// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Frame decoders: the input is a frame body (its checksum is fixed up so the decoders behind the
 * BCC check are reached) decoded as 0x10 sections, events in both dialects, bound to a layout,
 * and as PEH and 0x13.  Any out-of-bounds read is caught by ASan.
 */
#include <smve/mara.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const char layout_text[] = "1:6,3,4 2:6,1,2 3:6,1,2";
	struct mara_layout l;
	struct mara_ied_view views[MARA_LAYOUT_MAX];
	struct mara_bind_report rep;
	struct mara_sections s;
	struct mara_frame f;
	struct mara_time t;
	struct mara_control c;
	u8 *buf, dow;
	u16 bcc;
	int i;

	/* Verbatim first: arbitrary bytes must be rejected cleanly. */
	(void)mara_parse(data, size, &f);
	if (size < MARA_HDR_LEN || size > MARA_QTY_MAX - MARA_BCC_LEN)
		return 0;
	buf = malloc(size + MARA_BCC_LEN);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[0] = MARA_SOF;
	buf[1] = (u8)(size + MARA_BCC_LEN);
	bcc = mara_bcc(buf, size);
	buf[size] = bcc >> 8;
	buf[size + 1] = bcc & 0xFF;
	if (mara_parse(buf, size + MARA_BCC_LEN, &f) != 0 || f.payload_len != size - MARA_HDR_LEN)
		abort();
	if (mara_sections_parse(f.payload, f.payload_len, &s) == 0) {
		if (s.sv + s.sv_len > f.payload + f.payload_len ||
		    s.ev + (size_t)s.ev_count * MARA_EVENT_LEN != f.payload + f.payload_len)
			abort();
		for (i = 0; i < s.ev_count; i++) {
			struct mara_event ev;

			mara_event_decode(s.ev + MARA_EVENT_LEN * i, MARA_DIALECT_FIRMWARE, &ev);
			mara_event_decode(s.ev + MARA_EVENT_LEN * i, MARA_DIALECT_NGURU, &ev);
		}
		for (i = 0; i < s.di_words; i++)
			(void)mara_word(s.di, (unsigned int)i);
		for (i = 0; i < s.ai_words; i++)
			(void)mara_ai_value(mara_word(s.ai, (unsigned int)i));
		mara_layout_parse(&l, layout_text, sizeof(layout_text) - 1, NULL);
		mara_layout_bind(&l, &s, views, &rep);
		for (i = 0; i < l.count; i++) {
			const struct mara_ied_view *v = &views[i];

			if ((v->sv_len && v->sv_off + v->sv_len > s.sv_len) ||
			    (v->di_len && v->di_off + v->di_len > s.di_words) ||
			    (v->ai_len && v->ai_off + v->ai_len > s.ai_words) ||
			    v->ai_len > l.ied[i].ai_words)
				abort();
		}
	}
	(void)mara_decode_peh(&f, &t, &dow);
	if (mara_decode_control(&f, &c) == 0)
		(void)mara_control_check(&f, &c);
	free(buf);
	return 0;
}
