/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * smvectl subcommands.  Each takes the arguments after its name (argv[0] is the subcommand)
 * and returns the process exit status: 0 success, 1 a frame or a connection failed, 2 bad
 * usage or input.
 */
#ifndef SMVECTL_H
#define SMVECTL_H

#define SMVECTL_EXIT_FAIL	1
#define SMVECTL_EXIT_USAGE	2

int cmd_decode(int argc, char **argv);
int cmd_poll(int argc, char **argv);
int cmd_bus(int argc, char **argv);
int cmd_watch(int argc, char **argv);

#endif
