/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * GET /screens/<file>: the station's screens straight from the configured
 * points folder, so the HMI shows the diagram the daemon computes without
 * copying files into the web root.  Only a fixed set of files is served:
 * screens.csv, eg.csv, color.csv and the SVG files that screens.csv lists
 * in its "path" column (nothing else in the folder, which also holds
 * sheets an anonymous viewer has no business reading).  Files are opened
 * beneath the folder (static.c), so symlinks cannot leave it.
 */
#ifndef SMVED_SCREENS_H
#define SMVED_SCREENS_H

#include <stdbool.h>

#include "http.h"

struct screens;

/* An empty cache; NULL on ENOMEM.  Free with screens_free() (NULL allowed). */
struct screens *screens_new(void);
void screens_free(struct screens *s);

/*
 * Answer @req, whose path starts with "/screens/", from @points_dir.
 * Returns false without answering when the file is not an allowed one
 * present in the folder (or no folder is configured): the caller then
 * tries the web root's screens/ (make web-root, drawings kept elsewhere)
 * and answers 404 itself.  A malformed path is answered (400) here.  The
 * list of allowed files is re-read when @points_dir or its screens.csv
 * changes, so a reload needs no restart.
 */
bool screens_serve(struct screens *s, const char *points_dir, struct http_conn *c,
		   const struct http_request *req);

#endif /* SMVED_SCREENS_H */
