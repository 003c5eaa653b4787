/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smved.conf: one INI file read with inih.  The core owns [smved] (apart
 * from the web keys), [concentrator NAME] and [bus TTY]; every other key
 * is offered to the web half (web_config_key()).  Unknown sections and
 * keys are errors, reported as "file:line: message".
 *
 * Ownership: config_load() returns a configuration the caller frees with
 * config_free(); everything it points to belongs to it.
 */
#ifndef SMVED_CONFIG_H
#define SMVED_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <smve/mara.h>

#define CONFIG_NAME_MAX		32	/* concentrator/bus/station names, NUL included */

struct sheets;		/* sheets.h: the nguru point sheets */
struct web_config;

struct conc_config {
	struct conc_config *next;
	char name[CONFIG_NAME_MAX];	/* [concentrator NAME] */
	char station[CONFIG_NAME_MAX];	/* station (tag prefix); default NAME */
	char host[256];
	uint16_t port;			/* 9761 */
	char timezone[64];		/* IANA name; "UTC" default */
	int comaster_id;		/* nguru comaster id in the sheets; -1 none */
	bool has_layout;		/* layout given (else from the sheets) */
	struct mara_layout layout;
	unsigned int dialect;		/* MARA_DIALECT_* */
	uint32_t poll_interval_ms;	/* 5000 */
	uint32_t timeout_ms;		/* 5000 */
	uint8_t retries;		/* 3 */
	uint32_t peh_interval_s;	/* 3600; 0 = only after connecting */
	bool peh;			/* send PEH at all (true) */
	uint8_t src, dst;		/* 0x40, 0x01 */
	unsigned line;			/* where the section starts */
};

struct bus_config {
	struct bus_config *next;
	char tty[CONFIG_NAME_MAX];	/* [bus ttyS1] */
	char station[CONFIG_NAME_MAX];	/* default: the tty name */
	char timezone[64];
	bool has_layout;
	struct mara_layout layout;	/* IEDs on the bus with their reply layouts */
	uint32_t peh_interval_s;	/* 60 */
	bool peh;
	/* A 0x13's COMMAND record not read by then: outcome unknown.  0 = derived (source_node.h). */
	uint32_t command_timeout_ms;
	unsigned line;
};

struct smved_config {
	char path[PATH_MAX];
	char state_dir[PATH_MAX];	/* default /var/lib/smve */
	char points_dir[PATH_MAX];	/* "" = generated tags only */
	bool require_clock_sync;	/* true */
	unsigned journal_days;		/* 0 = keep forever */
	uint64_t journal_max_rows;	/* 0 = no limit */
	unsigned history_days;		/* 90 */
	unsigned dedup_days;		/* 7 */
	double history_deadband;	/* engineering units, 0 = every change */
	/* Default hysteresis of analog limits, % of an AI's full scale (0.5; limit_alarms.h). */
	double limit_hysteresis_pct;
	bool latch_tipo1;		/* DI tipo 1 latches like tipo 0 (spec §9.8; false) */
	unsigned history_min_interval_ms; /* 1000 */
	unsigned history_max_interval_s; /* 900 */
	struct conc_config *concs;
	struct bus_config *buses;
	struct web_config *web;		/* owned: freed with web_config_free() */
	struct sheets *sheets;		/* loaded from points_dir (NULL when none) */
};

/*
 * Diagnostics sink: one complete message per call, already prefixed with
 * "file:line: " when a line is known.
 */
typedef void (*config_diag_fn)(void *ctx, const char *msg);

/*
 * Read and validate @path (and the point sheets it names).  Every problem
 * is reported through @diag; returns the configuration when there was
 * none, NULL otherwise.
 */
struct smved_config *config_load(const char *path, config_diag_fn diag,
				 void *ctx);
void config_free(struct smved_config *c);
/* true/yes/on/1 or false/no/off/0 (case-insensitive) into *out; -1 for anything else. */
int config_parse_bool(const char *v, bool *out);

/* Find a concentrator by name, or NULL. */
const struct conc_config *config_conc(const struct smved_config *c,
				      const char *name);
/* True when two concentrator configurations differ in anything a running source uses. */
bool config_conc_changed(const struct conc_config *a,
			 const struct conc_config *b);

#endif /* SMVED_CONFIG_H */
