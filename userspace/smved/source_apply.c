// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A concentrator reply's values into the store: the hot half of ingest (the other is the
 * codec).  One store batch per reply; the store itself drops repeats, so only changed points
 * reach the WebSocket delta.  Kept apart from source_tcp.c so that bench/smved/ingest.c runs
 * exactly this code.
 */
#include <smve/master.h>

#include "sheets.h"
#include "source_tcp.h"
#include "store.h"

void source_apply_values(struct store *st, const struct source_points *sp,
			 const struct smve_master_result *r, unsigned layout_count,
			 const bool *ied_nr, int64_t now)
{
	const struct mara_sections *sec = &r->sections;

	if (r->view_count != layout_count)
		return;
	store_batch_begin(st);
	for (unsigned i = 0; i < r->view_count; i++)
		if (r->views[i].complete && r->views[i].sv_len)
			store_set_raw(st, sp->ied_comm[i], !ied_nr[i], 0, now, now);
	for (size_t k = 0; k < sp->n; k++) {
		const struct binding *b = &sp->b[k];
		uint32_t raw;
		uint8_t q = 0;

		if (b->ied_idx >= r->view_count || !r->views[b->ied_idx].complete)
			continue;
		switch (b->kind) {
		case POINT_SV:
			if (b->elem >= sec->sv_len)
				continue;
			raw = sec->sv[b->elem];
			if (b->bit >= 0)
				raw = (raw >> b->bit) & 1;
			break;
		case POINT_DI:
			if (b->elem >= sec->di_words)
				continue;
			raw = ((unsigned)mara_word(sec->di, b->elem) >> b->bit) & 1;
			break;
		case POINT_AI:
			if (b->elem >= sec->ai_words)
				continue;
			raw = mara_word(sec->ai, b->elem);
			/* §5.12 rule 1: a not-responding IED's AIs are qualified. */
			q = ied_nr[b->ied_idx] ? 1 : mara_ai_q((u16)raw);
			break;
		default:
			continue;
		}
		store_set_raw(st, b->id, raw, q, now, now);
	}
	store_batch_end(st);
}
