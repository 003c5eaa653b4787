// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* smve-sim: JSON-lines event log (see eventlog.h for the format). */
#include "eventlog.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <smve/mara.h>

static const char *const type_names[4] = { "DIGITAL", "ENERGY", "IDLE",
					   "COMSYS" };

void eventlog_open(struct eventlog *log, const char *path, const char *name)
{
	log->f = NULL;
	snprintf(log->name, sizeof(log->name), "%s", name);
	if (!path)
		return;
	log->f = fopen(path, "a");
	if (!log->f)
		sim_fatal(errno, "cannot open events log '%s'", path);
}

void eventlog_close(struct eventlog *log)
{
	if (log->f)
		fclose(log->f);
	log->f = NULL;
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void eventlog_write(struct eventlog *log, const char *what, unsigned int ied,
		    uint64_t id, int seq, const uint8_t raw[10])
{
	struct mara_event ev;
	char hex[2 * MARA_EVENT_LEN + 1];
	FILE *f = log->f;

	if (!f)
		return;
	mara_event_decode(raw, MARA_DIALECT_FIRMWARE, &ev);
	sim_hex(raw, MARA_EVENT_LEN, hex);
	fprintf(f, "{\"t\":\"%s\",\"src\":", what);
	json_string(f, log->name);
	fprintf(f, ",\"ied\":%u,\"id\":%llu,\"seq\":%d,\"raw\":\"%s\",\"type\":\"%s\","
		"\"time\":\"%04u-%02u-%02u %02u:%02u:%02u.%03u\"",
		ied, (unsigned long long)id, seq, hex, type_names[ev.type & 3],
		ev.time.year, ev.time.month, ev.time.day, ev.time.hour,
		ev.time.minute, ev.time.second,
		(unsigned int)((ev.time.frac * 1000u) / MARA_FRAC_ONE));
	switch (ev.type) {
	case MARA_EV_DIGITAL:
		fprintf(f, ",\"port\":%u,\"bit\":%u,\"status\":%u", ev.port,
			ev.bit, ev.status);
		break;
	case MARA_EV_ENERGY:
		fprintf(f, ",\"code\":%u,\"channel\":%u,\"value\":%u", ev.code,
			ev.channel, ev.value);
		break;
	case MARA_EV_COMSYS:
		fprintf(f, ",\"code\":%u,\"motive\":%u", ev.code, ev.motive);
		break;
	default:
		fprintf(f, ",\"code\":%u", ev.code);
		break;
	}
	fputs("}\n", f);
	if (fflush(f) != 0)
		sim_warn("events log write failed: %s", strerror(errno));
}
