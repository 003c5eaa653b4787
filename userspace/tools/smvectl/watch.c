// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smvectl watch: follow the records of a local IED device node.
 * Placeholder until the kernel module's UAPI exists; owned by the kernel engineer.
 */
#include <stdio.h>

#include "smvectl.h"

int cmd_watch(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "smvectl watch: needs the smve kernel module support (not implemented yet)\n");
	return 2;
}
