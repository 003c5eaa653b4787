/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The master's persisted SEQ state (spec §3.5 Decision) in a small text file, so that
 * successive `smvectl poll --state FILE` runs continue the SEQ stream instead of restarting at
 * 0x20, and re-ask a SEQ whose reply was never printed.  Format, one line:
 *	seq=0x2A complete=1
 */
#ifndef SMVECTL_STATEFILE_H
#define SMVECTL_STATEFILE_H

#include <stdbool.h>

#include <smve/master.h>

/*
 * Read @path into @st.  Returns 1 when loaded, 0 when the file does not exist (no state), -1
 * on a read error or bad content (a message is printed to stderr).
 */
int statefile_load(const char *path, struct smve_master_state *st);

/* Write @st to @path atomically (temporary file, fsync, rename).  Returns 0 or -1 (printed). */
int statefile_save(const char *path, const struct smve_master_state *st);

#endif
