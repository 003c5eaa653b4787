/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smve-sim: --replay FILE, recorded 0x10 reply frames served in order.
 * The file holds one frame per line as hex bytes (spaces optional; empty
 * lines and lines starting with '#' are skipped), like the production
 * capture.  Every frame is verified when loaded: SOF, QTY, BCC, CMD 0x10,
 * sections, and the layout when one is given.
 */
#ifndef SMVE_SIM_REPLAY_H
#define SMVE_SIM_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <smve/mara.h>

struct replay {
	unsigned int count;
	unsigned int next;	/* index of the frame the next fresh reply serves */
	bool loop;		/* false: after the last frame, stop answering */
	unsigned int served;	/* fresh replies served so far */
	uint8_t (*frame)[MARA_QTY_MAX];	/* owned */
	uint8_t *len;		/* owned */
};

/*
 * Load @path.  @layout may be NULL.  On any invalid line exits with status
 * 2 and a message naming the line and the reason.
 */
void replay_load(struct replay *r, const char *path,
		 const struct mara_layout *layout, bool loop);
void replay_free(struct replay *r);

/*
 * Copy the next frame into @out rewritten to answer a request (DST, SRC,
 * SEQ, BCC) and advance.  Returns its length, or 0 when the file is
 * exhausted and not looping.
 */
int replay_next(struct replay *r, uint8_t *out, uint8_t dst, uint8_t src,
		uint8_t seq);

#endif
