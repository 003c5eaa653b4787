// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* smvectl: inspect, decode and poll Mara devices.  Dispatches to one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "smvectl.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "decode", cmd_decode, "decode Mara frames given in hex (arguments or stdin)" },
	{ "poll", cmd_poll, "poll a COMaster over Mara/TCP and print its replies" },
	{ "bus", cmd_bus, "inspect and configure a local RS485 bus (smve kernel module)" },
	{ "watch", cmd_watch, "follow the records of a local IED device node" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: smvectl COMMAND [OPTIONS] [ARGS]\n"
		     "       smvectl COMMAND --help\n\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nExit status: 0 success, 1 a frame or the connection failed, "
		     "2 bad usage or input.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return SMVECTL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "smvectl: unknown command '%s' (try smvectl --help)\n", argv[1]);
	return SMVECTL_EXIT_USAGE;
}
