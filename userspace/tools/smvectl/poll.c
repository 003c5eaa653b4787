// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smvectl poll: poll one COMaster over Mara/TCP with the libsmve master and print what comes
 * back.  This file is only the I/O shell (socket, poll(), signals, reconnect back-off); every
 * protocol decision (SEQ, retries, stale replies, PEH) is the master's, so this tool behaves as
 * smved does.  Replies are committed as soon as they are printed: there is no journal here.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include <smve/json.h>
#include <smve/master.h>

#include "net.h"
#include "opts.h"
#include "statefile.h"
#include "smvectl.h"
#include "toolutil.h"

#define DEFAULT_PORT		9761
#define MS_PER_S		1000u
#define DAY_MS			(86400ull * MS_PER_S)

struct poll_opts {
	char host[256];
	uint16_t port;
	struct smve_master_config cfg;
	uint64_t connect_timeout_ms;
	unsigned long count;		/* replies to print; 0 = until interrupted */
	unsigned long max_connects;	/* connection attempts; 0 = unlimited */
	bool json;
	bool peh_force;
	const char *state_path;		/* --state FILE, or NULL */
	struct mara_control control;	/* --control */
	bool has_control;
};

struct poll_run {
	struct poll_opts *o;
	struct smve_master m;
	struct smve_backoff backoff;
	int fd;
	bool need_backoff;		/* a connection was lost: wait before reconnecting */
	unsigned long replies;
	unsigned long attempts;		/* connection attempts */
	bool control_queued;
	bool control_done;
	FILE *info;			/* status lines: stdout, or stderr with --json */
	int status;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: smvectl poll HOST[:PORT] [OPTIONS]\n"
		"\n"
		"Poll a COMaster over Mara/TCP (default port %u) and print each reply, with lines for\n"
		"timeouts, retries, stale replies (SEQ mismatch), PEH and reconnects.  Stops after\n"
		"--count replies or on SIGINT/SIGTERM, then prints the statistics on stderr.\n"
		"\n"
		"  --layout L           bind replies to the layout \"addr:sv,di,ai ...\" (frame order);\n"
		"                       also enables the PEH trigger on the COMaster's SV bit 6\n"
		"  --interval S         poll interval after each reply, seconds (default 5)\n"
		"  --timeout S          reply timeout from the end of the request, seconds (default 5)\n"
		"  --connect-timeout S  TCP connect timeout, seconds (default 5)\n"
		"  --retries N          resends of one SEQ before giving up and reconnecting (default 3)\n"
		"  --count N            exit 0 after N replies (default 0: run until interrupted)\n"
		"  --max-connects N     exit 1 after N failed connection attempts in a row\n"
		"                       (default 0: keep reconnecting with back-off 1 s..60 s)\n"
		"  --src A, --dst A     our address and the COMaster's (default 0x40 and 0x01)\n"
		"  --peh-interval S     PEH period in seconds (default 3600; 0: only after connecting)\n"
		"  --no-peh             never send PEH (do not touch the COMaster's clock)\n"
		"  --peh-force          send PEH even when the host clock is not known to be\n"
		"                       synchronised (by default PEH is withheld then)\n"
		"  --dialect D          firmware (default) or nguru, for events and PEH\n"
		"  --json               one JSON object per reply on stdout; status lines on stderr\n"
		"  --control P:B:S      after the first reply, set output port P bit B to state S\n"
		"                       with 0x13 and print the outcome (ok, refused, mismatch, or\n"
		"                       unknown when no attempt was answered)\n"
		"  --state FILE         keep the SEQ state in FILE (read at start, written before\n"
		"                       each new SEQ goes out) so a later run re-asks an unprinted\n"
		"                       reply and continues the SEQ stream instead of restarting at 20\n"
		"  -h, --help           this text\n"
		"\n"
		"Every new SEQ acknowledges the events of the previous reply (spec §3.1): do not poll\n"
		"a COMaster that smved is polling too, or events meant for the journal end up here.\n"
		"\n"
		"Exit status: 0 after --count replies or a signal, 1 connection given up or --control\n"
		"not confirmed, 2 bad usage.\n",
		(unsigned int)DEFAULT_PORT);
}

/*
 * PEH time source: station local time = CLOCK_REALTIME shifted by the host's zone offset, which
 * is the station's when smvectl runs with the station's TZ.  Withheld while the kernel says the
 * clock is unsynchronised (§6.4), unless --peh-force.
 */
static int peh_clock(void *ctx, int64_t *secs, uint32_t *nsec)
{
	const struct poll_opts *o = ctx;
	struct timex tx = { 0 };
	struct timespec ts;
	struct tm tm;

	if (!o->peh_force && ntp_adjtime(&tx) == TIME_ERROR)
		return -1;
	if (clock_gettime(CLOCK_REALTIME, &ts) || !localtime_r(&ts.tv_sec, &tm))
		return -1;
	*secs = (int64_t)ts.tv_sec + tm.tm_gmtoff;
	*nsec = (uint32_t)ts.tv_nsec;
	return 0;
}

static int parse_addr(const char *opt, const char *s, uint8_t *out)
{
	unsigned long v;

	if (tool_parse_uint(s, 0, 255, &v)) {
		fprintf(stderr, "smvectl poll: %s must be an address 0..255 (decimal, or 0x00..0xFF), "
			"not '%s'\n", opt, s);
		return -1;
	}
	*out = (uint8_t)v;
	return 0;
}

static int parse_secs(const char *opt, const char *s, uint64_t min_ms, uint64_t max_ms,
		      uint64_t *ms)
{
	if (tool_parse_seconds(s, min_ms, max_ms, ms)) {
		fprintf(stderr, "smvectl poll: %s must be seconds between %.3f and %.0f, not '%s'\n",
			opt, (double)min_ms / MS_PER_S, (double)max_ms / MS_PER_S, s);
		return -1;
	}
	return 0;
}

static int parse_count(const char *opt, const char *s, unsigned long max, unsigned long *out)
{
	if (tool_parse_uint(s, 0, max, out)) {
		fprintf(stderr, "smvectl poll: %s must be a number 0..%lu, not '%s'\n", opt, max, s);
		return -1;
	}
	return 0;
}

/* "PORT:BIT:STATE", each a number; the device decides which ports exist (§4.1). */
static int parse_control(const char *s, struct mara_control *c)
{
	unsigned int port, bit, state;
	char extra;

	if (sscanf(s, "%u:%u:%u%c", &port, &bit, &state, &extra) != 3 || port > 255 ||
	    bit > 254 || state > 1) {
		fprintf(stderr, "smvectl poll: --control must be PORT:BIT:STATE (port 0..255, bit "
			"0..254, state 0 or 1), not '%s'\n", s);
		return -1;
	}
	c->port = (uint8_t)port;
	c->bit = (uint8_t)bit;
	c->state = (uint8_t)state;
	return 0;
}

static int parse_options(int argc, char **argv, struct poll_opts *o)
{
	enum { O_INTERVAL = 256, O_TIMEOUT, O_CTIMEOUT, O_RETRIES, O_COUNT, O_MAXCONN, O_SRC,
	       O_DST, O_PEHINT, O_NOPEH, O_PEHFORCE, O_DIALECT, O_STATE, O_CONTROL };
	static const struct option longopts[] = {
		{ "layout", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "connect-timeout", required_argument, NULL, O_CTIMEOUT },
		{ "retries", required_argument, NULL, O_RETRIES },
		{ "count", required_argument, NULL, O_COUNT },
		{ "max-connects", required_argument, NULL, O_MAXCONN },
		{ "src", required_argument, NULL, O_SRC },
		{ "dst", required_argument, NULL, O_DST },
		{ "peh-interval", required_argument, NULL, O_PEHINT },
		{ "no-peh", no_argument, NULL, O_NOPEH },
		{ "peh-force", no_argument, NULL, O_PEHFORCE },
		{ "dialect", required_argument, NULL, O_DIALECT },
		{ "state", required_argument, NULL, O_STATE },
		{ "control", required_argument, NULL, O_CONTROL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	uint64_t ms;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (opt_layout("poll", optarg, &o->cfg.layout))
				return -1;
			break;
		case 'j':
			o->json = true;
			break;
		case O_INTERVAL:
			if (parse_secs("--interval", optarg, 10, DAY_MS, &ms))
				return -1;
			o->cfg.poll_interval_ms = (uint32_t)ms;
			break;
		case O_TIMEOUT:
			if (parse_secs("--timeout", optarg, 10, 3600 * MS_PER_S, &ms))
				return -1;
			o->cfg.reply_timeout_ms = (uint32_t)ms;
			break;
		case O_CTIMEOUT:
			if (parse_secs("--connect-timeout", optarg, 10, 3600 * MS_PER_S,
				       &o->connect_timeout_ms))
				return -1;
			break;
		case O_RETRIES:
			if (parse_count("--retries", optarg, 20, &v))
				return -1;
			o->cfg.retries = (uint8_t)v;
			break;
		case O_COUNT:
			if (parse_count("--count", optarg, 1000000000ul, &o->count))
				return -1;
			break;
		case O_MAXCONN:
			if (parse_count("--max-connects", optarg, 1000000000ul, &o->max_connects))
				return -1;
			break;
		case O_SRC:
			if (parse_addr("--src", optarg, &o->cfg.src))
				return -1;
			break;
		case O_DST:
			if (parse_addr("--dst", optarg, &o->cfg.dst))
				return -1;
			break;
		case O_PEHINT:
			if (parse_secs("--peh-interval", optarg, 0, 7 * DAY_MS, &ms))
				return -1;
			o->cfg.peh_interval_s = (uint32_t)(ms / MS_PER_S);
			break;
		case O_NOPEH:
			o->cfg.peh_enabled = false;
			break;
		case O_PEHFORCE:
			o->peh_force = true;
			break;
		case O_DIALECT:
			if (opt_dialect("poll", optarg, &o->cfg.dialect))
				return -1;
			break;
		case O_STATE:
			o->state_path = optarg;
			break;
		case O_CONTROL:
			if (parse_control(optarg, &o->control))
				return -1;
			o->has_control = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			fprintf(stderr, "smvectl poll: option '%s' needs a value\n",
				argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "smvectl poll: unknown option '%s' (try --help)\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "smvectl poll: %s (try --help)\n",
			optind >= argc ? "missing HOST[:PORT]" : "too many arguments");
		return -1;
	}
	if (tool_split_host_port(argv[optind], o->host, sizeof(o->host), &o->port)) {
		fprintf(stderr, "smvectl poll: bad HOST[:PORT] '%s'\n", argv[optind]);
		return -1;
	}
	if (o->cfg.src == o->cfg.dst || o->cfg.dst == MARA_ADDR_BROADCAST) {
		fprintf(stderr, "smvectl poll: --src and --dst must differ and --dst cannot be "
			"the broadcast address FF\n");
		return -1;
	}
	return 0;
}

static void info(struct poll_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void info(struct poll_run *r, const char *fmt, ...)
{
	char ts[40];
	va_list ap;

	fprintf(r->info, "# %s ", tool_format_wall_time(ts, sizeof(ts)));
	va_start(ap, fmt);
	vfprintf(r->info, fmt, ap);
	va_end(ap);
	fputc('\n', r->info);
	fflush(r->info);
}

static void print_frame(struct poll_run *r, const struct smve_master_result *res)
{
	struct smve_frame_view v;

	smve_frame_view_decode(&v, res->raw, res->raw_len, &r->o->cfg.layout, r->o->cfg.dialect);
	if (r->o->json) {
		if (render_json_line(stdout, &v))
			info(r, "reply too large for JSON output");
	} else {
		render_text(stdout, &v);
	}
	fflush(stdout);
}

static void close_conn(struct poll_run *r, uint64_t now)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->need_backoff = true;
	smve_master_disconnected(&r->m, now);
}

static void handle(struct poll_run *r, const struct smve_master_result *res, uint64_t now)
{
	unsigned int total = r->o->cfg.retries + 1u;
	char t[40];

	switch (res->kind) {
	case SMVE_MR_REPLY:
		if (!r->o->json)
			info(r, "reply SEQ %02X (attempt %u), %u events%s", res->seq, res->attempt,
			     res->event_count, res->bind_flags ? ", LAYOUT MISMATCH" : "");
		print_frame(r, res);
		smve_backoff_reset(&r->backoff);
		smve_master_commit(&r->m, res->seq, now);
		r->replies++;
		if (r->o->has_control && !r->control_queued) {
			r->control_queued = true;
			smve_master_control(&r->m, &r->o->control, 1);
		}
		if (r->o->count && r->replies >= r->o->count &&
		    (!r->o->has_control || r->control_done))
			stop_signal = -1;
		break;
	case SMVE_MR_STALE:
		info(r, "stale reply: SEQ %02X answers a request we did not send (sent %02X); "
		     "values discarded, %u events to the duplicate filter; still waiting for the reply "
		     "to the SEQ sent",
		     res->frame.seq, res->seq, res->event_count);
		smve_master_commit(&r->m, res->seq, now);
		break;
	case SMVE_MR_RETRY:
		info(r, "%s on SEQ %02X (attempt %u of %u); resending the same SEQ",
		     smve_master_reason_name(res->reason), res->seq, res->attempt, total);
		break;
	case SMVE_MR_GIVE_UP:
		info(r, "%s on SEQ %02X (attempt %u of %u): giving up, closing the connection",
		     smve_master_reason_name(res->reason), res->seq, res->attempt, total);
		close_conn(r, now);
		break;
	case SMVE_MR_PEH:
		smve_format_time(t, sizeof(t), &res->peh_time);
		info(r, "PEH broadcast (SEQ BB): %s, day of week %u", t, res->peh_dow);
		break;
	case SMVE_MR_DROPPED:
		info(r, "dropped frame (%s): DST %02X SRC %02X SEQ %02X CMD %02X",
		     smve_master_reason_name(res->reason), res->frame.dst, res->frame.src,
		     res->frame.seq, res->frame.cmd);
		break;
	case SMVE_MR_CONTROL:
		info(r, "output control SEQ %02X port %u bit %u state %u: %s", res->seq,
		     res->control.port, res->control.bit, res->control.state,
		     smve_control_status_name(res->control_status));
		r->control_done = true;
		if (res->control_status != SMVE_CONTROL_OK)
			r->status = SMVECTL_EXIT_FAIL;
		if (r->o->count && r->replies >= r->o->count)
			stop_signal = -1;
		break;
	default:
		break;
	}
}

/* Write what the master has to say.  Returns -1 when the connection broke. */
static int flush_output(struct poll_run *r, uint64_t now)
{
	const uint8_t *p;
	size_t n;

	while ((n = smve_master_output(&r->m, &p))) {
		ssize_t w = send(r->fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			info(r, "write failed: %s; closing", strerror(errno));
			return -1;
		}
		smve_master_written(&r->m, (size_t)w, now);
	}
	return 0;
}

static int read_input(struct poll_run *r, uint64_t now)
{
	uint8_t buf[4096];
	struct smve_master_result res;
	const uint8_t *p = buf;
	size_t len;
	ssize_t n = recv(r->fd, buf, sizeof(buf), 0);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n <= 0) {
		info(r, "connection %s", n == 0 ? "closed by the COMaster" : strerror(errno));
		return -1;
	}
	len = (size_t)n;
	while (r->fd >= 0 && smve_master_input(&r->m, now, &p, &len, &res))
		handle(r, &res, now);
	return 0;
}

/* Sleep @ms unless a signal arrives. */
static void nap(uint64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int connect_loop(struct poll_run *r)
{
	char err[512];

	uint32_t delay;

	if (r->need_backoff) {
		r->need_backoff = false;
		delay = smve_backoff_next(&r->backoff);
		info(r, "reconnecting in %.1f s", delay / 1000.0);
		nap(delay);
	}
	while (!stop_signal) {
		r->attempts++;
		r->fd = net_connect(r->o->host, r->o->port, r->o->connect_timeout_ms, err,
				    sizeof(err));
		if (r->fd >= 0) {
			info(r, "connected to %s port %u", r->o->host, r->o->port);
			r->attempts = 0;
			smve_master_connected(&r->m, tool_monotonic_ms());
			return 0;
		}
		if (r->fd == -2)
			break;
		r->fd = -1;
		if (r->o->max_connects && r->attempts >= r->o->max_connects) {
			info(r, "%s; giving up after %lu attempts", err, r->attempts);
			return -1;
		}
		delay = smve_backoff_next(&r->backoff);
		info(r, "%s; reconnecting in %.1f s", err, delay / 1000.0);
		nap(delay);
	}
	return 0;
}

/* §3.5: the state reaches the disk before the request that depends on it reaches the wire. */
static int persist_state(struct poll_run *r)
{
	struct smve_master_state st;

	if (!smve_master_take_state(&r->m, &st) || !r->o->state_path)
		return 0;
	return statefile_save(r->o->state_path, &st);
}

static void run_loop(struct poll_run *r)
{
	struct smve_master_result res;

	while (!stop_signal) {
		struct pollfd pfd;
		uint64_t now, dl;
		const uint8_t *p;
		int timeout;

		if (r->fd < 0) {
			if (connect_loop(r)) {
				r->status = SMVECTL_EXIT_FAIL;
				return;
			}
			continue;
		}
		now = tool_monotonic_ms();
		while (r->fd >= 0 && smve_master_tick(&r->m, now, &res))
			handle(r, &res, now);
		if (r->fd < 0)
			continue;
		if (persist_state(r)) {
			r->status = SMVECTL_EXIT_FAIL;
			return;
		}
		if (flush_output(r, now)) {
			close_conn(r, now);
			continue;
		}
		dl = smve_master_deadline(&r->m);
		timeout = dl == SMVE_MASTER_NO_DEADLINE ? 1000 :
			  dl <= now ? 0 : dl - now > 1000 ? 1000 : (int)(dl - now);
		pfd.fd = r->fd;
		pfd.events = POLLIN | (smve_master_output(&r->m, &p) ? POLLOUT : 0);
		pfd.revents = 0;
		if (poll(&pfd, 1, timeout) < 0) {
			if (errno == EINTR)
				continue;
			info(r, "poll: %s", strerror(errno));
			r->status = SMVECTL_EXIT_FAIL;
			return;
		}
		now = tool_monotonic_ms();
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			if (read_input(r, now))
				close_conn(r, now);
		}
	}
}

static void print_stats(const struct smve_master *m)
{
	struct smve_master_stats s;

	smve_master_get_stats(m, &s);
	fprintf(stderr, "polls %u, replies %u, timeouts %u, retries %u, stale %u, bad cmd %u, "
		"malformed %u, dropped %u, checksum errors %u, framing errors %u, noise bytes %u, "
		"PEH sent %u, reconnects %u, layout errors %u\n", s.polls, s.replies, s.timeouts,
		s.retries, s.stale, s.bad_cmd, s.malformed, s.dropped, s.framing.bad_bcc,
		s.framing.bad_qty, s.framing.noise_bytes, s.peh_sent, s.reconnects,
		s.layout_errors);
}

int cmd_poll(int argc, char **argv)
{
	static struct poll_opts o;
	static struct poll_run r;
	struct smve_master_state st;
	struct sigaction sa;
	int have_state = 0;

	memset(&o, 0, sizeof(o));
	smve_master_config_defaults(&o.cfg);
	o.port = DEFAULT_PORT;
	o.connect_timeout_ms = 5 * MS_PER_S;
	if (parse_options(argc, argv, &o))
		return SMVECTL_EXIT_USAGE;
	o.cfg.clock = peh_clock;
	o.cfg.clock_ctx = &o;

	memset(&r, 0, sizeof(r));
	r.o = &o;
	r.fd = -1;
	r.info = o.json ? stderr : stdout;
	if (o.state_path) {
		have_state = statefile_load(o.state_path, &st);
		if (have_state < 0)
			return SMVECTL_EXIT_USAGE;
	}
	if (smve_master_init(&r.m, &o.cfg, have_state > 0 ? &st : NULL)) {
		fprintf(stderr, "smvectl poll: invalid master configuration\n");
		return SMVECTL_EXIT_USAGE;
	}
	smve_backoff_init(&r.backoff, (uint32_t)getpid() ^ (uint32_t)tool_monotonic_ms());

	/* no SA_RESTART: a signal must interrupt poll() and connect() so the loop can stop */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	stop_signal = 0;

	run_loop(&r);
	if (r.fd >= 0)
		close_conn(&r, tool_monotonic_ms());
	/* the commits of the last replies may not have been saved yet */
	if (persist_state(&r))
		r.status = SMVECTL_EXIT_FAIL;
	print_stats(&r.m);
	return r.status;
}
