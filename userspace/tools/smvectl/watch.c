// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smvectl watch: follow the records of a local IED device node (/dev/smve<B>.<A>) through
 * libsmve's node reader and print each as it arrives, as text or as one JSON object per line.
 * Events are rendered with the same code (and so the same field names) as smvectl decode.
 * Watching only reads: it never becomes the journaling consumer, so it cannot hold back an
 * IED's acknowledgments.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <smve/json.h>
#include <smve/mara.h>
#include <smve/node.h>

#include "opts.h"
#include "smvectl.h"
#include "toolutil.h"

struct watch_opts {
	const char *path;
	bool json;
	bool from_set;
	bool from_end;
	bool dump;		/* exit once nothing more is queued */
	uint64_t from;
	unsigned long count;	/* records to print; 0 = no limit */
};

/* "2026-11-24T01:02:03.123456Z" from CLOCK_REALTIME nanoseconds. */
static void iso_time(char *buf, size_t cap, int64_t ns)
{
	time_t s = (time_t)(ns / 1000000000);
	struct tm tm;

	if (ns < 0 || !gmtime_r(&s, &tm)) {
		snprintf(buf, cap, "?");
		return;
	}
	/* Years past 9999 do not fit: say so rather than truncate silently. */
	if (tm.tm_year > 9999 - 1900 ||
	    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", tm.tm_year + 1900,
		     (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
		     tm.tm_sec % 100, (int)((ns % 1000000000) / 1000)) >= (int)cap)
		snprintf(buf, cap, "?");
}

static void json_bytes(struct smve_json *w, const uint8_t *p, size_t n)
{
	size_t i;

	smve_json_raw(w, "[");
	for (i = 0; i < n; i++) {
		if (i)
			smve_json_raw(w, ",");
		smve_json_uint(w, p[i]);
	}
	smve_json_raw(w, "]");
}

static void json_state(struct smve_json *w, const struct smve_node_record *r)
{
	const struct smve_rec_state *st = r->u.state.hdr;
	unsigned int i;

	smve_json_raw(w, ",\"address\":");
	smve_json_uint(w, st->address);
	smve_json_raw(w, st->flags & SMVE_STATE_ONLINE ? ",\"online\":true" : ",\"online\":false");
	if (st->flags & SMVE_STATE_OFFLINE)
		smve_json_raw(w, ",\"offline\":true");
	if (st->flags & SMVE_STATE_NEVER)
		smve_json_raw(w, ",\"never\":true");
	if (st->flags & SMVE_STATE_LAYOUT)
		smve_json_raw(w, ",\"layout_mismatch\":true");
	smve_json_raw(w, ",\"reply_seq\":");
	smve_json_uint(w, st->reply_seq);
	smve_json_raw(w, ",\"sv\":");
	json_bytes(w, r->u.state.sv, st->sv_len);
	smve_json_raw(w, ",\"di\":[");
	for (i = 0; i < st->di_words; i++) {
		if (i)
			smve_json_raw(w, ",");
		smve_json_uint(w, mara_word(r->u.state.di, i));
	}
	smve_json_raw(w, "],\"ai\":[");
	for (i = 0; i < st->ai_words; i++) {
		uint16_t raw = mara_word(r->u.state.ai, i);

		smve_json_raw(w, i ? ",{\"raw\":" : "{\"raw\":");
		smve_json_uint(w, raw);
		smve_json_raw(w, ",\"value\":");
		smve_json_uint(w, mara_ai_value(raw));
		smve_json_raw(w, ",\"q\":");
		smve_json_uint(w, mara_ai_q(raw));
		smve_json_raw(w, "}");
	}
	smve_json_raw(w, "]");
}

static void json_command(struct smve_json *w, const struct smve_node_record *r)
{
	const struct smve_rec_command *c = r->u.command.hdr;
	const char *outcome = smve_node_outcome_name(c->outcome);
	struct smve_frame_view *v;

	smve_json_raw(w, ",\"id\":");
	smve_json_uint(w, c->id);
	smve_json_raw(w, ",\"outcome\":");
	smve_json_string(w, outcome, strlen(outcome));
	smve_json_raw(w, ",\"cmd\":");
	smve_json_uint(w, c->cmd);
	smve_json_raw(w, ",\"seq\":");
	smve_json_uint(w, c->seq);
	smve_json_raw(w, ",\"attempts\":");
	smve_json_uint(w, c->attempts);
	smve_json_raw(w, ",\"request\":");
	json_bytes(w, r->u.command.request, c->req_len);
	if (!c->resp_len)
		return;
	v = malloc(sizeof(*v));
	if (!v)
		return;
	smve_frame_view_decode(v, r->u.command.reply, c->resp_len, NULL, MARA_DIALECT_FIRMWARE);
	smve_json_raw(w, ",\"reply\":");
	smve_json_frame(w, v);
	free(v);
}

static int print_json(const struct smve_node_record *r)
{
	static char buf[SMVE_JSON_FRAME_MAX];
	const char *type = smve_node_type_name(r->type);
	struct smve_json w;
	struct mara_event ev;
	char t[40], epoch[24];

	smve_json_init(&w, buf, sizeof(buf));
	iso_time(t, sizeof(t), r->time_ns);
	snprintf(epoch, sizeof(epoch), "%016" PRIx64, r->epoch);
	smve_json_raw(&w, "{\"seq\":");
	smve_json_uint(&w, r->seq);
	smve_json_raw(&w, ",\"epoch\":");
	smve_json_string(&w, epoch, strlen(epoch));
	smve_json_raw(&w, ",\"time\":");
	smve_json_string(&w, t, strlen(t));
	smve_json_raw(&w, ",\"type\":");
	smve_json_string(&w, type, strlen(type));
	if (r->flags & SMVE_RECF_STALE)
		smve_json_raw(&w, ",\"stale\":true");
	switch (r->type) {
	case SMVE_REC_STATE:
		json_state(&w, r);
		break;
	case SMVE_REC_EVENT:
		mara_event_decode(r->u.event->raw, MARA_DIALECT_FIRMWARE, &ev);
		smve_json_raw(&w, ",\"source\":");
		smve_json_uint(&w, r->u.event->source);
		smve_json_raw(&w, ",\"event\":");
		smve_json_event(&w, &ev, MARA_DIALECT_FIRMWARE);
		break;
	case SMVE_REC_STATUS: {
		const char *s = smve_node_status_name(r->u.status->status);

		smve_json_raw(&w, ",\"status\":");
		smve_json_string(&w, s, strlen(s));
		smve_json_raw(&w, ",\"detail\":");
		smve_json_uint(&w, r->u.status->detail);
		smve_json_raw(&w, ",\"value\":");
		smve_json_uint(&w, (unsigned long)r->u.status->value);
		break;
	}
	case SMVE_REC_COMMAND:
		json_command(&w, r);
		break;
	default:
		smve_json_raw(&w, ",\"payload\":");
		json_bytes(&w, r->payload, r->len);
	}
	smve_json_raw(&w, "}");
	if (w.overflow)
		return -1;
	printf("%s\n", buf);
	return 0;
}

static void print_text(const struct smve_node_record *r)
{
	struct mara_event ev;
	char t[40];

	iso_time(t, sizeof(t), r->time_ns);
	printf("%-6" PRIu64 " %s %-7s%s ", r->seq, t, smve_node_type_name(r->type),
	       r->flags & SMVE_RECF_STALE ? " (stale)" : "");
	switch (r->type) {
	case SMVE_REC_STATE: {
		const struct smve_rec_state *st = r->u.state.hdr;
		unsigned int i;

		printf("ied %u %s sv", st->address,
		       st->flags & SMVE_STATE_NEVER ? "no reply yet" :
		       st->flags & SMVE_STATE_OFFLINE ? "OFFLINE" : "online");
		for (i = 0; i < st->sv_len; i++)
			printf(" %02X", r->u.state.sv[i]);
		printf(" di");
		for (i = 0; i < st->di_words; i++)
			printf(" %04X", mara_word(r->u.state.di, i));
		printf(" ai");
		for (i = 0; i < st->ai_words; i++) {
			uint16_t raw = mara_word(r->u.state.ai, i);

			printf(" %u/q%u", mara_ai_value(raw), mara_ai_q(raw));
		}
		break;
	}
	case SMVE_REC_EVENT:
		mara_event_decode(r->u.event->raw, MARA_DIALECT_FIRMWARE, &ev);
		render_event_line(stdout, &ev, MARA_DIALECT_FIRMWARE);
		break;
	case SMVE_REC_STATUS:
		printf("%s detail %u value %" PRIu64, smve_node_status_name(r->u.status->status),
		       r->u.status->detail, (uint64_t)r->u.status->value);
		break;
	case SMVE_REC_COMMAND:
		printf("id %u cmd 0x%02X %s after %u attempt(s), SEQ 0x%02X",
		       r->u.command.hdr->id, r->u.command.hdr->cmd,
		       smve_node_outcome_name(r->u.command.hdr->outcome),
		       r->u.command.hdr->attempts, r->u.command.hdr->seq);
		break;
	default:
		printf("%u payload bytes", r->len);
	}
	printf("\n");
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: smvectl watch NODE [--from SEQ | --new] [--json] [--count N] [--dump]\n"
		"Print the records of an smve IED node (/dev/smve0.2 or /dev/smve/ttyS1/2) as they\n"
		"arrive; needs the smve kernel module.\n"
		"  --from SEQ   start at record SEQ (default: the oldest still kept)\n"
		"  --new        only records arriving from now on\n"
		"  --json       one JSON object per record (event fields as smvectl decode --json)\n"
		"  --count N    stop after N records\n"
		"  --dump       print what is queued and exit instead of waiting\n");
}

static int parse(int argc, char **argv, struct watch_opts *o)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' }, { "new", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' }, { "count", required_argument, NULL, 'c' },
		{ "dump", no_argument, NULL, 'd' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (tool_parse_uint(optarg, 0, (unsigned long)INT64_MAX, &v)) {
				fprintf(stderr, "smvectl watch: bad --from '%s'\n", optarg);
				return -1;
			}
			o->from = v;
			o->from_set = true;
			break;
		case 'n': o->from_end = true; break;
		case 'j': o->json = true; break;
		case 'c':
			if (tool_parse_uint(optarg, 1, 1000000000ul, &o->count)) {
				fprintf(stderr, "smvectl watch: bad --count '%s'\n", optarg);
				return -1;
			}
			break;
		case 'd': o->dump = true; break;
		case 'h': usage(stdout); exit(0);
		default:
			fprintf(stderr, "smvectl watch: bad option '%s'\n", argv[optind - 1]);
			return -1;
		}
	}
	if (optind != argc - 1 || (o->from_set && o->from_end)) {
		fprintf(stderr, "smvectl watch: give one NODE and at most one of --from/--new\n");
		return -1;
	}
	o->path = argv[optind];
	return 0;
}

int cmd_watch(int argc, char **argv)
{
	struct smve_node_record r;
	struct watch_opts o;
	struct smve_node *n;
	unsigned long printed = 0;
	uint64_t lost;
	int ret;

	if (parse(argc, argv, &o)) {
		usage(stderr);
		return SMVECTL_EXIT_USAGE;
	}
	ret = smve_node_open(o.path, o.dump ? SMVE_NODE_NONBLOCK : 0, &n);
	if (ret) {
		fprintf(stderr, "smvectl watch: %s: %s\n", o.path,
			ret == -ENOTTY ? "not an smve IED node" : strerror(-ret));
		return SMVECTL_EXIT_FAIL;
	}
	ret = o.from_end ? smve_node_seek_end(n) : o.from_set ? smve_node_seek(n, o.from) : 0;
	if (ret) {
		fprintf(stderr, "smvectl watch: seek: %s\n", strerror(-ret));
		smve_node_close(n);
		return SMVECTL_EXIT_FAIL;
	}
	for (;;) {
		ret = smve_node_read(n, &r);
		if (ret == -EPIPE) {
			if (smve_node_lost(n, &lost))
				lost = 0;
			if (o.json)
				printf("{\"type\":\"lost\",\"count\":%" PRIu64 "}\n", lost);
			else
				printf("# fell behind: %" PRIu64 " record(s) lost\n", lost);
			fflush(stdout);
			continue;
		}
		if (ret == -EAGAIN && o.dump) {
			ret = 0;
			break;
		}
		if (ret == -EBADMSG) {
			fprintf(stderr, "smvectl watch: malformed record skipped\n");
			continue;
		}
		if (ret < 0) {
			fprintf(stderr, "smvectl watch: read: %s\n", strerror(-ret));
			break;
		}
		if (ret == 0) {
			fprintf(stderr, "smvectl watch: %s went away (bus detached or IED removed)\n",
				o.path);
			break;
		}
		if (o.json) {
			if (print_json(&r))
				fprintf(stderr, "smvectl watch: record %" PRIu64 " too large to print\n",
					r.seq);
		} else {
			print_text(&r);
		}
		fflush(stdout);
		if (o.count && ++printed >= o.count) {
			ret = 0;
			break;
		}
	}
	smve_node_close(n);
	return ret < 0 ? SMVECTL_EXIT_FAIL : 0;
}
