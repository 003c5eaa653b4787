/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smve-sim: fault injection.  Every decision draws from its own seeded
 * stream, so a given --seed reproduces the same faults for the same
 * sequence of requests, independently of the generated values.
 */
#ifndef SMVE_SIM_FAULTS_H
#define SMVE_SIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define FAULTS_MAX_SILENCE	64
#define FAULTS_SPLIT_MAX	64	/* chunks per reply */

struct faults {
	struct rng rng;
	/* TCP and bus */
	double drop;		/* do not answer */
	double corrupt;		/* change one byte of a reply */
	double disconnect;	/* close the connection instead of answering */
	bool split;		/* TCP: small chunks with small delays */
	unsigned int delay_ms, jitter_ms;
	/* bus */
	double noise;		/* garbage bytes before a reply */
	double bad_bcc, wrong_addr, wrong_seq;
	bool echo;		/* echo every request, like a half-duplex adapter */
	unsigned int nsilence;
	struct {
		uint8_t addr;
		double p;
		double after_s;		/* silent only this long after the first request to addr */
		int64_t first_ns;	/* CLOCK_MONOTONIC of that request, 0 before it */
	} silence[FAULTS_MAX_SILENCE];
};

/* Seed the fault stream; call once the options (and --seed) are parsed. */
void faults_init(struct faults *f, uint64_t seed);

/*
 * Apply the long option @name with argument @arg (NULL for flags).
 * Returns false when @name is not a fault option; exits with status 2 on
 * an invalid value.
 */
bool faults_option(struct faults *f, const char *name, const char *arg);

bool faults_drop(struct faults *f);
bool faults_disconnect(struct faults *f);
/* Maybe corrupt one byte of @buf in place; true when it did. */
bool faults_corrupt(struct faults *f, uint8_t *buf, size_t len);
/* Reply delay (--delay MS[:JITTER]) in ns. */
int64_t faults_delay_ns(struct faults *f);
/*
 * Split @len bytes into chunks for --split: fills @sizes and @gaps_ns (the
 * pause before each chunk) and returns the count; 1 chunk when off.
 */
unsigned int faults_split(struct faults *f, size_t len, size_t *sizes,
			  int64_t *gaps_ns);
/* True when --silence makes IED @addr ignore this request. */
bool faults_silenced(struct faults *f, uint8_t addr);
/* Garbage (no FE byte) to write before a reply; returns its length (0: none). */
size_t faults_noise(struct faults *f, uint8_t *buf, size_t cap);
/* Bus reply faults: bad BCC, wrong SRC, wrong SEQ.  Returns a description or NULL. */
const char *faults_mangle(struct faults *f, uint8_t *frame, size_t len);

#endif
