/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smve-sim: the parsed command line of both modes.  main.c fills these;
 * concentrator.c and bus.c only read them.
 */
#ifndef SMVE_SIM_CONFIG_H
#define SMVE_SIM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <smve/mara.h>

#include "faults.h"
#include "gen.h"
#include "ied.h"

/* Options shared by both modes. */
struct sim_common {
	const char *name;	/* in the events log */
	const char *events_log;
	double time_scale;
	int64_t start_ns;	/* initial simulated time, local civil ns */
	struct gen_params gen;
	enum bcast_seq bcast;
	struct faults faults;
};

struct co_config {
	struct sim_common c;
	const char *listen;	/* ADDR:PORT */
	struct mara_layout layout;
	bool have_layout;
	const char *replay;
	bool replay_loop;
	uint8_t addr;		/* our address, DST of requests (default 1) */
	bool reset_on_connect;
	unsigned int max_clients;
	unsigned int queue;	/* events held before refusing */
};

#define BUS_MAX_IEDS	MARA_LAYOUT_MAX

struct bus_config {
	struct sim_common c;
	bool pty;
	const char *socket;	/* unix socket path when !pty */
	unsigned int baud;
	unsigned int bits;	/* per character: 10 for 8N1 */
	enum seq_cmp seq_cmp;
	struct mara_layout layout;	/* one entry per --ied, in order */
	int64_t delay_ns[BUS_MAX_IEDS];	/* per-IED reply delay; <0: 5 Tc */
	int64_t to1_ns;		/* <0: 3 Tc */
	const char *timing_log;
};

/* Run the modes; they return the process exit status. */
int concentrator_run(struct co_config *cfg);
int bus_run(struct bus_config *cfg);

#endif
