// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smvectl decode: decode frames given in hex, as arguments (one frame each) or one per line on
 * stdin.  Every input line gives exactly one output (one JSON object with --json), so output
 * lines can be matched to input lines even when some fail.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "smvectl.h"
#include "toolutil.h"

/* Longer lines cannot be a frame (253 bytes are at most ~760 characters); refuse them early. */
#define LINE_MAX_CHARS	4096
#define FRAME_BYTES_MAX	1024

struct decode_opts {
	bool json;
	unsigned int dialect;
	struct mara_layout layout;
	int worst;		/* exit status so far */
	unsigned int count;	/* frames printed, for blank-line separation */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: smvectl decode [--layout L] [--json] [--dialect firmware|nguru] [HEX...]\n"
		"\n"
		"Decode Mara frames.  Each HEX argument is one frame (\"FE 08 01 40 80 10 80 A7\" or\n"
		"\"FE08014080 1080A7\"); without arguments, frames are read from stdin, one per line;\n"
		"blank lines and lines starting with # are ignored.\n"
		"\n"
		"  --layout L     bind 0x10 replies to a layout \"addr:sv,di,ai ...\" in frame order,\n"
		"                 e.g. '1:6,3,4 2:6,1,2'; shows values per IED and any mismatch\n"
		"  --json         one JSON object per frame (the format of smved's REST API); a\n"
		"                 frame that does not decode gives {\"ok\":false,\"error\":NAME,...}\n"
		"                 with NAME sof, length, checksum, sections, truncated or command,\n"
		"                 and an input that is not hex gives NAME hex\n"
		"  --dialect D    firmware (default, normative) or nguru (archived nguru data, §5.13)\n"
		"  -h, --help     this text\n"
		"\n"
		"Exit status: 0 all frames decoded, 1 some frame failed to decode, 2 bad usage or\n"
		"bad hex.\n");
}

static void worse(struct decode_opts *o, int status)
{
	if (status > o->worst)
		o->worst = status;
}

static void bad_hex(struct decode_opts *o, const char *where, size_t col, const char *why)
{
	fprintf(stderr, "smvectl decode: %s: %s at column %zu\n", where, why, col + 1);
	if (o->json)
		printf("{\"ok\":false,\"error\":\"hex\",\"message\":\"%s at column %zu\"}\n", why,
		       col + 1);
	worse(o, SMVECTL_EXIT_USAGE);
}

static void decode_one(struct decode_opts *o, const char *text, const char *where)
{
	static uint8_t buf[FRAME_BYTES_MAX];
	struct smve_frame_view v;
	size_t col = 0;
	int n = tool_hex_parse(text, buf, sizeof(buf), &col);

	if (n < 0) {
		bad_hex(o, where, col, col >= 2 * FRAME_BYTES_MAX ? "input too long" : "bad hex");
		return;
	}
	if (n == 0) {
		bad_hex(o, where, 0, "no bytes");
		return;
	}
	smve_frame_view_decode(&v, buf, (size_t)n, &o->layout, o->dialect);
	if (v.error)
		worse(o, SMVECTL_EXIT_FAIL);
	if (o->json) {
		if (render_json_line(stdout, &v)) {
			fprintf(stderr, "smvectl decode: %s: JSON output too large\n", where);
			worse(o, SMVECTL_EXIT_FAIL);
		}
		return;
	}
	if (o->count++)
		putchar('\n');
	render_text(stdout, &v);
}

static void decode_stdin(struct decode_opts *o)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long lineno = 0;
	char where[32];

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		snprintf(where, sizeof(where), "line %lu", lineno);
		if ((size_t)len > LINE_MAX_CHARS) {
			bad_hex(o, where, LINE_MAX_CHARS, "line too long");
			continue;
		}
		if (tool_line_is_blank_or_comment(line))
			continue;
		decode_one(o, line, where);
	}
	free(line);
	if (ferror(stdin)) {
		perror("smvectl decode: stdin");
		worse(o, SMVECTL_EXIT_USAGE);
	}
}

int cmd_decode(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "layout", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "dialect", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct decode_opts o = { .dialect = MARA_DIALECT_FIRMWARE };
	char where[32];
	int c, i;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (opt_layout("decode", optarg, &o.layout))
				return SMVECTL_EXIT_USAGE;
			break;
		case 'j':
			o.json = true;
			break;
		case 'd':
			if (opt_dialect("decode", optarg, &o.dialect))
				return SMVECTL_EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "smvectl decode: option '%s' needs a value\n",
				argv[optind - 1]);
			return SMVECTL_EXIT_USAGE;
		default:
			fprintf(stderr, "smvectl decode: unknown option '%s' (try --help)\n",
				argv[optind - 1]);
			return SMVECTL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		decode_stdin(&o);
	} else {
		for (i = optind; i < argc; i++) {
			snprintf(where, sizeof(where), "argument %d", i - optind + 1);
			decode_one(&o, argv[i], where);
		}
	}
	if (fflush(stdout)) {
		perror("smvectl decode: stdout");
		worse(&o, SMVECTL_EXIT_FAIL);
	}
	return o.worst;
}
