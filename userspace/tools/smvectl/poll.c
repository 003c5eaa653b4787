// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>

#include "smvectl.h"

int cmd_poll(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "smvectl poll: not implemented yet\n");
	return 2;
}
