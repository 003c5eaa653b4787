/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside struct sheets: shared by the loader (sheets_load.c) and the
 * binder (sheets.c) only.
 */
#ifndef SMVED_SHEETS_INT_H
#define SMVED_SHEETS_INT_H

#include "limit_alarms.h"
#include "sheets.h"
#include "store.h"

struct sheet_ied {
	int id, comaster_id, offset, addr;
	int sv_bytes, di_words, ai_words;	/* converted from the sheet's bytes */
	unsigned line;
};

struct sheet_point {
	uint8_t kind;		/* POINT_SV, POINT_DI, POINT_AI */
	int ied_id;		/* ied.csv id */
	/*
	 * SV: byte 0.. within the IED (varsys offset - 1); DI: port; AI: the
	 * 0-based word in the concentrator's AI array (ai.csv offset - 1).
	 */
	int index;
	int bit;		/* -1 for a whole SV byte */
	char tag[STORE_TAG_MAX];
	char *description;
	char unit[8];
	double scale, scale_e;
	int invert, channel, text_id;
	int tipo;		/* DI tipodi (spec §9.8), -1 when none */
	struct ai_limits lim;	/* AI limits (limit_alarms.h); lim.has 0 when none */
	unsigned line;
	const char *file;	/* "di.csv", ... (static) */
};

struct sheet_text {
	int id, value;
	char *text;
};

struct sheets {
	char dir[PATH_MAX];
	struct sheet_ied *ieds;
	size_t nieds;
	struct sheet_point *pts;
	size_t npts;
	struct sheet_text *texts;
	size_t ntexts;
};

#endif /* SMVED_SHEETS_INT_H */
