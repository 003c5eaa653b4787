// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Placeholder until the CSV loader lands: sheets are reported as unsupported. */
#include <stdio.h>
#include <stdlib.h>

#include "sheets_int.h"

int sheets_check_layouts(struct smved_config *c, config_diag_fn diag, void *ctx)
{
	char msg[PATH_MAX + 256];
	int errors = 0;

	for (struct conc_config *cc = c->concs; cc; cc = cc->next) {
		if (cc->has_layout)
			continue;
		snprintf(msg, sizeof(msg), "%s:%u: [concentrator %s]: no layout, and no"
			 " points sheets to take it from", c->path, cc->line, cc->name);
		diag(ctx, msg);
		errors++;
	}
	return errors;
}

struct sheets *sheets_load(struct smved_config *c, config_diag_fn diag,
			   void *ctx, int *errors)
{
	char msg[PATH_MAX + 64];

	snprintf(msg, sizeof(msg), "%s: points sheets are not supported yet", c->points_dir);
	diag(ctx, msg);
	*errors = 1;
	return NULL;
}

void sheets_free(struct sheets *sh)
{
	free(sh);
}
