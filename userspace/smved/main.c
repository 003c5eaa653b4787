// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smved: the SMVE control-centre daemon.  One libevent loop, in the
 * foreground (systemd or a terminal supervise it).  See `smved --help`.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "derived.h"
#include "history.h"
#include "latch.h"
#include "limit_alarms.h"
#include "journal.h"
#include "smved.h"
#include "sources.h"
#include "store.h"
#include "web.h"

#define DEFAULT_CONFIG	"/etc/smve/smved.conf"
#define EXPIRE_PERIOD_S	60
#define EXPIRE_BATCH	500

enum {
	OPT_CHECK = 256, OPT_SYSLOG, OPT_ADD_USER, OPT_ROLE, OPT_BACKUP, OPT_EXPORT,
	OPT_AFTER, OPT_LIMIT, OPT_FROM, OPT_TO, OPT_STATION, OPT_TAG, OPT_TYPE,
	OPT_UNACKED, OPT_VERSION, OPT_VERIFY_AUDIT,
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "verbose", no_argument, NULL, 'v' },
	{ "add-user", required_argument, NULL, OPT_ADD_USER },
	{ "role", required_argument, NULL, OPT_ROLE },
	{ "backup", required_argument, NULL, OPT_BACKUP },
	{ "export-events", required_argument, NULL, OPT_EXPORT },
	{ "verify-audit", no_argument, NULL, OPT_VERIFY_AUDIT },
	{ "after", required_argument, NULL, OPT_AFTER },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "station", required_argument, NULL, OPT_STATION },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "unacked", no_argument, NULL, OPT_UNACKED },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: smved [-c FILE] [--syslog] [-v]        run the daemon (foreground)\n"
		"       smved [-c FILE] --check-config          validate and exit\n"
		"       smved [-c FILE] --add-user NAME --role ROLE   (password on stdin)\n"
		"       smved [-c FILE] --backup FILE           online copy of the journal\n"
		"       smved [-c FILE] --verify-audit          check the audit log's hash chain\n"
		"       smved [-c FILE] --export-events CSV [--after ID] [--limit N]\n"
		"             [--from TIME] [--to TIME] [--station S] [--tag PREFIX]\n"
		"             [--type T] [--unacked]   (TIME: YYYY-MM-DD[THH:MM:SS] UTC)\n"
		"The configuration defaults to " DEFAULT_CONFIG ".\n"
		"Signals: SIGHUP reloads the configuration, SIGTERM/SIGINT stop.\n");
}

struct opts {
	const char *config;
	bool check, use_syslog, verbose, unacked, verify_audit;
	const char *add_user, *role, *backup, *export_path;
	struct journal_filter filter;
};

static void diag_stderr(void *ctx, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s\n", msg);
}

static void diag_log(void *ctx, const char *msg)
{
	(void)ctx;
	smved_log(LOG_ERR, "%s", msg);
}

static int parse_time(const char *s, int64_t *us)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
	}
	if (!end || (*end && strcmp(end, "Z")))
		return -1;
	*us = (int64_t)timegm(&tm) * 1000000;
	return 0;
}

static int parse_num(const char *s, long long max, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end || !*s || *out < 0 || *out > max ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	long long n;
	int c;

	while ((c = getopt_long(argc, argv, "c:vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'v': o->verbose = true; break;
		case 'h': usage(stdout); exit(0);
		case OPT_VERSION: printf("smved 0.1.0\n"); exit(0);
		case OPT_CHECK: o->check = true; break;
		case OPT_SYSLOG: o->use_syslog = true; break;
		case OPT_ADD_USER: o->add_user = optarg; break;
		case OPT_ROLE: o->role = optarg; break;
		case OPT_BACKUP: o->backup = optarg; break;
		case OPT_EXPORT: o->export_path = optarg; break;
		case OPT_VERIFY_AUDIT: o->verify_audit = true; break;
		case OPT_AFTER:
			if (parse_num(optarg, INT64_MAX, &n) < 0)
				goto bad;
			o->filter.after_id = n;
			break;
		case OPT_LIMIT:
			if (parse_num(optarg, 1000000000, &n) < 0)
				goto bad;
			o->filter.limit = (unsigned)n;
			break;
		case OPT_FROM:
			if (parse_time(optarg, &o->filter.from_us) < 0)
				goto bad;
			break;
		case OPT_TO:
			if (parse_time(optarg, &o->filter.to_us) < 0)
				goto bad;
			break;
		case OPT_STATION: o->filter.station = optarg; break;
		case OPT_TAG: o->filter.tag_prefix = optarg; break;
		case OPT_TYPE: o->filter.type = optarg; break;
		case OPT_UNACKED: o->filter.unacked_only = true; break;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "smved: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (o->add_user && !o->role) {
		fprintf(stderr, "smved: --add-user needs --role\n");
		return -1;
	}
	if (!o->config)
		o->config = DEFAULT_CONFIG;
	return 0;
bad:
	fprintf(stderr, "smved: invalid option value '%s'\n", optarg);
	return -1;
}

static struct journal *open_journal(const struct smved_config *cfg, bool readonly)
{
	struct journal_opts jo = {
		.dedup_days = cfg->dedup_days, .retention_days = cfg->journal_days,
		.max_rows = cfg->journal_max_rows, .history_days = cfg->history_days,
		.readonly = readonly,
	};
	char path[PATH_MAX + 16], err[PATH_MAX + 256];
	struct journal *j;

	if (!readonly && mkdir(cfg->state_dir, 0750) < 0 && errno != EEXIST) {
		smved_log(LOG_ERR, "state_dir %s: %s", cfg->state_dir, strerror(errno));
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/journal.db", cfg->state_dir);
	jo.path = path;
	j = journal_open(&jo, err, sizeof(err));
	if (!j)
		smved_log(LOG_ERR, "%s", err);
	return j;
}

/* --- one-shot commands ---------------------------------------------------------- */

static int cmd_add_user(struct smved *sm, const struct opts *o)
{
	char pw[1024], err[256] = "";
	size_t n;
	int rc;

	if (isatty(STDIN_FILENO))
		fprintf(stderr, "password for %s: ", o->add_user);
	if (!fgets(pw, sizeof(pw), stdin)) {
		fprintf(stderr, "smved: no password on stdin\n");
		return 1;
	}
	n = strlen(pw);
	if (n && pw[n - 1] == '\n')
		pw[--n] = '\0';
	if (n && pw[n - 1] == '\r')
		pw[--n] = '\0';
	sm->journal = open_journal(sm->cfg, false);
	if (!sm->journal)
		return 1;
	rc = web_add_user(sm, sm->cfg->web, o->add_user, o->role, pw, err, sizeof(err));
	explicit_bzero(pw, sizeof(pw));
	if (rc < 0) {
		fprintf(stderr, "smved: --add-user: %s\n", err);
		return 1;
	}
	return 0;
}

static int cmd_backup(struct smved *sm, const struct opts *o)
{
	char err[PATH_MAX + 256];

	sm->journal = open_journal(sm->cfg, true);
	if (!sm->journal)
		return 1;
	if (journal_backup(sm->journal, o->backup, err, sizeof(err)) < 0) {
		fprintf(stderr, "smved: --backup: %s\n", err);
		return 1;
	}
	return 0;
}

static int cmd_export(struct smved *sm, const struct opts *o)
{
	FILE *out = strcmp(o->export_path, "-") ? fopen(o->export_path, "w") : stdout;
	int rc;

	if (!out) {
		fprintf(stderr, "smved: %s: %s\n", o->export_path, strerror(errno));
		return 1;
	}
	sm->journal = open_journal(sm->cfg, true);
	if (!sm->journal) {
		if (out != stdout)
			fclose(out);
		return 1;
	}
	rc = journal_export_csv(sm->journal, &o->filter, out);
	if (out == stdout ? fflush(out) != 0 : fclose(out) != 0)
		rc = -1;
	if (rc < 0)
		fprintf(stderr, "smved: --export-events: write failed\n");
	return rc < 0;
}

/* --- the daemon ------------------------------------------------------------------- */

struct daemon {
	struct smved sm;
	struct event *sigs[4];
	struct event *expire;
	struct history *history;
	struct latch *latch;
	struct limits *limits;
};

static void reload(struct daemon *d)
{
	struct smved *sm = &d->sm;
	struct smved_config *nc, *old;
	struct journal_opts jo;

	smved_log(LOG_NOTICE, "SIGHUP: reloading %s", sm->config_path);
	nc = config_load(sm->config_path, diag_log, NULL);
	if (!nc) {
		smved_log(LOG_ERR, "reload failed: keeping the running configuration");
		return;
	}
	if (strcmp(nc->state_dir, sm->cfg->state_dir))
		smved_log(LOG_WARNING, "state_dir changed: takes effect at the next start");
	snprintf(nc->state_dir, sizeof(nc->state_dir), "%s", sm->cfg->state_dir);
	if (web_reload(sm, nc->web) < 0) {
		smved_log(LOG_ERR, "reload failed (web): keeping the running configuration");
		config_free(nc);
		return;
	}
	old = sm->cfg;
	sm->cfg = nc;
	jo = (struct journal_opts){ .dedup_days = nc->dedup_days,
				    .retention_days = nc->journal_days,
				    .max_rows = nc->journal_max_rows,
				    .history_days = nc->history_days };
	journal_set_opts(sm->journal, &jo);
	sources_apply(sm->sources);
	if (derived_reload(&sm->derived, sm) == 0) {
		/* The new table starts from the sheets: rebuild its latches from the journal. */
		latch_free(d->latch);
		d->latch = latch_new(sm);
	}
	/* New limits from the new sheets; the active alarms come back from the journal. */
	limits_free(d->limits);
	d->limits = limits_new(sm);
	config_free(old);
	{
		struct journal_new ev = { .source = "smved", .station = "smved", .ied = -1,
					  .type = "system", .rx_us = smved_now_us(),
					  .text = "configuration reloaded" };

		journal_add(sm->journal, &ev, NULL);
	}
	smved_log(LOG_NOTICE, "configuration reloaded");
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		reload(d);
		return;
	}
	smved_log(LOG_NOTICE, "%s: stopping", strsignal((int)sig));
	event_base_loopbreak(d->sm.base);
}

static void expire_cb(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = { EXPIRE_PERIOD_S, 0 };
	int n;

	(void)fd;
	(void)what;
	if (d->history)
		history_flush(d->history);
	n = journal_expire(d->sm.journal, smved_now_us(), EXPIRE_BATCH);
	/* Small batches, often, while there is a backlog: the loop is never held long. */
	if (n == EXPIRE_BATCH)
		tv = (struct timeval){ 0, 200000 };
	else if (d->history)
		tv = (struct timeval){ 1, 0 };
	evtimer_add(d->expire, &tv);
}

static int run(struct daemon *d)
{
	struct smved *sm = &d->sm;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct timeval tv = { 1, 0 };
	struct journal_new ev = { .source = "smved", .station = "smved", .ied = -1,
				  .type = "system" };
	int rc = 1;

	signal(SIGPIPE, SIG_IGN);
	sm->base = event_base_new();
	sm->store = store_new();
	if (!sm->base || !sm->store)
		goto out;
	sm->journal = open_journal(sm->cfg, false);
	if (!sm->journal)
		goto out;
	if (journal_start_writer(sm->journal, sm->base) < 0) {
		smved_log(LOG_ERR, "cannot start the journal writer thread");
		goto out;
	}
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		d->sigs[i] = evsignal_new(sm->base, sigs[i], signal_cb, d);
		if (!d->sigs[i] || evsignal_add(d->sigs[i], NULL) < 0)
			goto out;
	}
	sm->sources = sources_new(sm);
	if (!sm->sources)
		goto out;
	sources_apply(sm->sources);
	sm->derived = derived_new(sm);
	if (!sm->derived)
		goto out;
	d->latch = latch_new(sm);
	if (!d->latch)
		goto out;
	d->limits = limits_new(sm);
	if (!d->limits)
		goto out;
	d->history = history_start(sm->journal, sm->store, sm->cfg->history_deadband,
				   sm->cfg->history_min_interval_ms,
				   sm->cfg->history_max_interval_s);
	d->expire = evtimer_new(sm->base, expire_cb, d);
	if (!d->expire)
		goto out;
	evtimer_add(d->expire, &tv);
	if (web_start(sm, sm->cfg->web) < 0)
		goto out;
	ev.rx_us = smved_now_us();
	ev.text = "smved started";
	journal_add(sm->journal, &ev, NULL);
	smved_log(LOG_NOTICE, "running (journal %s/journal.db)", sm->cfg->state_dir);
	event_base_dispatch(sm->base);
	ev.rx_us = smved_now_us();
	ev.text = "smved stopped";
	journal_add(sm->journal, &ev, NULL);
	rc = 0;
out:
	web_stop(sm);
	history_stop(d->history);
	limits_free(d->limits);
	d->limits = NULL;
	latch_free(d->latch);
	d->latch = NULL;
	derived_free(sm->derived);
	sm->derived = NULL;
	sources_free(sm->sources);
	sm->sources = NULL;
	for (unsigned i = 0; i < sizeof(d->sigs) / sizeof(d->sigs[0]); i++)
		if (d->sigs[i])
			event_free(d->sigs[i]);
	if (d->expire)
		event_free(d->expire);
	journal_close(sm->journal);
	store_free(sm->store);
	if (sm->base)
		event_base_free(sm->base);
	return rc;
}

int main(int argc, char **argv)
{
	static struct daemon d;
	struct opts o = { 0 };
	int rc;

	/* A reload requested while starting must not kill us: ignored until the loop handles it. */
	signal(SIGHUP, SIG_IGN);
	if (parse_args(argc, argv, &o) < 0)
		return 2;
	smved_log_open(o.use_syslog, o.verbose ? LOG_DEBUG : LOG_INFO);
	d.sm.config_path = o.config;
	d.sm.started_us = smved_now_us();
	d.sm.cfg = config_load(o.config, o.check || !o.use_syslog ? diag_stderr : diag_log,
			       NULL);
	if (!d.sm.cfg) {
		if (o.check)
			fprintf(stderr, "%s: configuration NOT valid\n", o.config);
		return 1;
	}
	if (o.check) {
		/* Formula faults are warnings: the daemon runs, those attributes keep sheet values. */
		int w = derived_check(d.sm.cfg, diag_stderr, NULL);

		if (w > 0)
			fprintf(stderr, "%s: %d warning(s) in the diagram sheets (not fatal)\n",
				o.config, w);
		printf("%s: configuration valid\n", o.config);
		rc = w < 0;
	} else if (o.add_user) {
		rc = cmd_add_user(&d.sm, &o);
	} else if (o.backup) {
		rc = cmd_backup(&d.sm, &o);
	} else if (o.export_path) {
		rc = cmd_export(&d.sm, &o);
	} else if (o.verify_audit) {
		char err[512] = "";

		rc = web_verify_audit(&d.sm, d.sm.cfg->web, stdout, err, sizeof(err)) < 0;
		if (rc)
			fprintf(stderr, "smved: --verify-audit: %s\n", err);
	} else {
		rc = run(&d);
	}
	if (o.add_user || o.backup || o.export_path)
		journal_close(d.sm.journal);
	config_free(d.sm.cfg);
	return rc;
}
