/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libsmve umbrella header: everything a program needs to speak Mara.
 *   <smve/mara.h>    the shared codec: framing, reassembly, sections, events, layouts, PEH, 0x13
 *   <smve/master.h>  the sans-I/O Mara/TCP master (SEQ rules, retries, PEH) and reconnect back-off
 *   <smve/json.h>    decoded-frame view and its JSON rendering (smvectl and the REST API)
 * Link with -lsmve (pkg-config libsmve).
 */
#ifndef SMVE_SMVE_H
#define SMVE_SMVE_H

#include <smve/mara.h>
#include <smve/master.h>
#include <smve/json.h>

#endif
