/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Read-only endpoints the web HMI uses for trends and energy (docs/api.md, "Trends and energy").
 * All need at least the viewer role, checked by api_handle() before calling these; all answer
 * GET and HEAD only.
 *   GET history?tag=&from=&to=&points=N        (api_history.c)
 *   GET energy/meters|curve|export|max|month   (api_energy.c; computations in energy_report.c)
 *   GET screens, elements?screen=, colors      (api_hmi.c: the points folder's sheets)
 */
#ifndef SMVED_API_HMI_H
#define SMVED_API_HMI_H

#include "web.h"

/* GET /api/v1/history. */
void api_get_history(struct web *w, struct http_conn *c, const struct http_request *req);
/* GET /api/v1/energy/<what>; @what is the path after "energy/". */
void api_get_energy(struct web *w, struct http_conn *c, const struct http_request *req,
		    const char *what);
/* GET /api/v1/screens, /api/v1/elements[?screen=NAME], /api/v1/colors; @what names which. */
void api_get_sheet(struct web *w, struct http_conn *c, const struct http_request *req,
		   const char *what);

#endif /* SMVED_API_HMI_H */
