/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The attend/latch rules of spec §9.8, written into the texts of the
 * diagram's elements so formulas read them through int(eg.TAG.text):
 *
 *   new unattended DIGITAL event of a DI with tipodi 0 and value 1: text
 *     "1" on its element and on the breaker element whose tag replaces
 *     "51_" by "52B" (the trip mark);
 *   DIGITAL event of a tipodi-2 breaker with value 1 (closing): its trip
 *     mark is cleared (text "0");
 *   attend of a tipodi-0 event: text "0" on its element; attend of a
 *     tipodi-2 event: text "0" on it when it was not "0".
 *
 * tipodi comes from the points folder's di.csv.  Latches survive restarts
 * because they are derived from the journal: at start the unattended
 * tipodi-0 events are replayed (a breaker closing journalled after one
 * of them still clears its breaker's mark).  tipodi-1 latching (the
 * design's option, [smved] latch_tipo1 = true; off by default): a tipodi-1
 * DI then follows the tipodi-0 rules (its own text "1" on a new unattended
 * value-1 event, "0" on attend; no breaker is marked since its tag has no
 * "51_"); without it tipodi 1 does nothing.
 */
#ifndef SMVED_LATCH_H
#define SMVED_LATCH_H

struct smved;
struct latch;

/*
 * Read the tipodi of every DI of sm->cfg->points_dir/di.csv, replay the
 * journal's unattended events into sm->derived's elements and follow new
 * events and attends.  Needs sm->journal and sm->derived.  Returns NULL
 * on allocation failure (logged); a folder without di.csv or elements
 * gives a valid object that does nothing.
 */
struct latch *latch_new(struct smved *sm);
/* Stop following the journal and free.  NULL is allowed. */
void latch_free(struct latch *l);

#endif /* SMVED_LATCH_H */
