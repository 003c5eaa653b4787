// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* smve-sim: fault decisions (see faults.h). */
#include "faults.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <smve/mara.h>

void faults_init(struct faults *f, uint64_t seed)
{
	rng_seed(&f->rng, seed, 2);
}

static void parse_delay(struct faults *f, const char *arg)
{
	char buf[64], *colon;

	if (strlen(arg) >= sizeof(buf))
		sim_usage_error("--delay: '%s' is too long", arg);
	strcpy(buf, arg);
	colon = strchr(buf, ':');
	if (colon)
		*colon++ = '\0';
	f->delay_ms = (unsigned int)sim_parse_int(buf, 0, 60000, "--delay MS");
	f->jitter_ms = colon ? (unsigned int)sim_parse_int(colon, 0, 60000,
							   "--delay JITTER") : 0;
}

static void parse_silence(struct faults *f, const char *arg)
{
	char buf[64], *colon, *at;

	if (f->nsilence == FAULTS_MAX_SILENCE)
		sim_usage_error("--silence: at most %d addresses",
				FAULTS_MAX_SILENCE);
	if (strlen(arg) >= sizeof(buf))
		sim_usage_error("--silence: '%s' is too long", arg);
	strcpy(buf, arg);
	at = strchr(buf, '@');
	if (at) {
		*at++ = '\0';
		f->silence[f->nsilence].after_s =
			sim_parse_double(at, 0, 86400, "--silence AFTER_S");
	}
	colon = strchr(buf, ':');
	if (colon)
		*colon++ = '\0';
	f->silence[f->nsilence].addr =
		(uint8_t)sim_parse_int(buf, 1, 254, "--silence ADDR");
	f->silence[f->nsilence].p =
		colon ? sim_parse_prob(colon, "--silence P") : 1.0;
	f->nsilence++;
}

bool faults_option(struct faults *f, const char *name, const char *arg)
{
	if (!strcmp(name, "drop"))
		f->drop = sim_parse_prob(arg, "--drop");
	else if (!strcmp(name, "corrupt"))
		f->corrupt = sim_parse_prob(arg, "--corrupt");
	else if (!strcmp(name, "disconnect"))
		f->disconnect = sim_parse_prob(arg, "--disconnect");
	else if (!strcmp(name, "split"))
		f->split = true;
	else if (!strcmp(name, "delay"))
		parse_delay(f, arg);
	else if (!strcmp(name, "noise"))
		f->noise = sim_parse_prob(arg, "--noise");
	else if (!strcmp(name, "bad-bcc"))
		f->bad_bcc = sim_parse_prob(arg, "--bad-bcc");
	else if (!strcmp(name, "wrong-addr"))
		f->wrong_addr = sim_parse_prob(arg, "--wrong-addr");
	else if (!strcmp(name, "wrong-seq"))
		f->wrong_seq = sim_parse_prob(arg, "--wrong-seq");
	else if (!strcmp(name, "echo"))
		f->echo = true;
	else if (!strcmp(name, "silence"))
		parse_silence(f, arg);
	else
		return false;
	return true;
}

bool faults_drop(struct faults *f)
{
	return rng_chance(&f->rng, f->drop);
}

bool faults_disconnect(struct faults *f)
{
	return rng_chance(&f->rng, f->disconnect);
}

bool faults_corrupt(struct faults *f, uint8_t *buf, size_t len)
{
	if (!len || !rng_chance(&f->rng, f->corrupt))
		return false;
	/* XOR with a non-zero value: the byte always changes. */
	buf[rng_below(&f->rng, (uint32_t)len)] ^=
		(uint8_t)(1 + rng_below(&f->rng, 255));
	return true;
}

int64_t faults_delay_ns(struct faults *f)
{
	uint32_t ms = f->delay_ms;

	if (f->jitter_ms)
		ms += rng_below(&f->rng, f->jitter_ms + 1);
	return (int64_t)ms * NSEC_PER_MSEC;
}

unsigned int faults_split(struct faults *f, size_t len, size_t *sizes,
			  int64_t *gaps_ns)
{
	unsigned int n = 0;

	if (!f->split) {
		sizes[0] = len;
		gaps_ns[0] = 0;
		return 1;
	}
	while (len) {
		size_t c = 1 + rng_below(&f->rng, 16);

		if (c > len || n == FAULTS_SPLIT_MAX - 1)
			c = len;
		sizes[n] = c;
		/* Up to 5 ms between chunks: Nagle-free TCP segments, reassembled by the master. */
		gaps_ns[n] = n ? (int64_t)rng_below(&f->rng, 5000) * NSEC_PER_USEC : 0;
		len -= c;
		n++;
	}
	return n;
}

bool faults_silenced(struct faults *f, uint8_t addr)
{
	unsigned int i;

	for (i = 0; i < f->nsilence; i++) {
		if (f->silence[i].addr != addr)
			continue;
		if (f->silence[i].after_s > 0) {
			/* An IED that answers for a while, then goes away: offline mid-run. */
			struct timespec ts;
			int64_t now;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
			if (!f->silence[i].first_ns)
				f->silence[i].first_ns = now;
			if (now - f->silence[i].first_ns < (int64_t)(f->silence[i].after_s * 1e9))
				return false;
		}
		return rng_chance(&f->rng, f->silence[i].p);
	}
	return false;
}

size_t faults_noise(struct faults *f, uint8_t *buf, size_t cap)
{
	size_t n, i;

	if (!cap || !rng_chance(&f->rng, f->noise))
		return 0;
	n = 1 + rng_below(&f->rng, 16);
	if (n > cap)
		n = cap;
	for (i = 0; i < n; i++) {
		buf[i] = (uint8_t)rng_below(&f->rng, 255);	/* 0..FD */
		if (buf[i] == MARA_SOF)
			buf[i] = 0;
	}
	return n;
}

static void rebcc(uint8_t *frame, size_t len)
{
	uint16_t bcc = mara_bcc(frame, len - MARA_BCC_LEN);

	frame[len - 2] = (uint8_t)(bcc >> 8);
	frame[len - 1] = (uint8_t)bcc;
}

const char *faults_mangle(struct faults *f, uint8_t *frame, size_t len)
{
	if (len < MARA_QTY_MIN)
		return NULL;
	if (rng_chance(&f->rng, f->wrong_addr)) {
		frame[3] ^= (uint8_t)(1 + rng_below(&f->rng, 0x3E));
		rebcc(frame, len);
		return "wrong SRC";
	}
	if (rng_chance(&f->rng, f->wrong_seq)) {
		frame[4] ^= 0x80;
		rebcc(frame, len);
		return "wrong SEQ";
	}
	if (rng_chance(&f->rng, f->bad_bcc)) {
		frame[len - 1] ^= 0x01;
		return "bad BCC";
	}
	return NULL;
}
