/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smve-sim: --events-log, one JSON object per line, flushed after every
 * line so that a test reading the file concurrently sees complete lines:
 *
 *   {"t":"out","src":"co1","ied":3,"id":17,"seq":122,"raw":"43000e...",
 *    "type":"ENERGY","time":"2014-01-13 16:15:00.000","code":0,
 *    "channel":0,"value":1475}
 *
 * "out" is written each time an event is handed out in a fresh reply
 * (again if it is handed out anew after --reset-on-connect), "ack" once
 * when a following new SEQ acknowledges it, "refused" when a full queue
 * refused it.  "id" is unique per simulator run; "ied" is the IED the
 * event belongs to; "seq" the SEQ of the reply that carried it (or of the
 * request that acknowledged it).
 */
#ifndef SMVE_SIM_EVENTLOG_H
#define SMVE_SIM_EVENTLOG_H

#include <stdint.h>
#include <stdio.h>

struct eventlog {
	FILE *f;
	char name[64];
};

/*
 * Open @path for appending (NULL path: logging disabled).  @name (the
 * simulator's --name) is copied.  Exits with a message when the file
 * cannot be opened.
 */
void eventlog_open(struct eventlog *log, const char *path, const char *name);
void eventlog_close(struct eventlog *log);

/* Write one line; @what is "out", "ack" or "refused". */
void eventlog_write(struct eventlog *log, const char *what, unsigned int ied,
		    uint64_t id, int seq, const uint8_t raw[10]);

#endif
