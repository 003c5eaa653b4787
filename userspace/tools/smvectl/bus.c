// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smvectl bus: inspect and configure a local RS485 bus run by smve.ko.
 * Placeholder until the kernel module's UAPI exists; owned by the kernel engineer.
 */
#include <stdio.h>

#include "smvectl.h"

int cmd_bus(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "smvectl bus: needs the smve kernel module support (not implemented yet)\n");
	return 2;
}
