/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Options shared by smvectl's subcommands (layout, dialect) and the frame renderers. */
#ifndef SMVECTL_OPTS_H
#define SMVECTL_OPTS_H

#include <stdio.h>

#include <smve/json.h>
#include <smve/mara.h>

/*
 * Parse --layout text into @l.  On error prints "smvectl CMD: bad layout ..." with the column
 * and a caret under the offending character to stderr and returns -1.
 */
int opt_layout(const char *cmd, const char *text, struct mara_layout *l);

/* Parse --dialect firmware|nguru into MARA_DIALECT_* flags; prints and returns -1 on error. */
int opt_dialect(const char *cmd, const char *text, unsigned int *dialect);

/* Human-readable multi-line rendering of a decoded frame (smvectl's default output). */
void render_text(FILE *out, const struct smve_frame_view *v);

/* One line of a decoded event, without a newline ("energy addr 3 ..."). */
void render_event_line(FILE *out, const struct mara_event *ev, unsigned int dialect);

/* Print the JSON object of @v and a newline.  Returns 0, or -1 if it did not fit. */
int render_json_line(FILE *out, const struct smve_frame_view *v);

#endif
