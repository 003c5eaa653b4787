// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smvectl bus: inspect and configure a local RS485 bus run by smve.ko through its sysfs
 * attributes (kernel/README.md), save that configuration to /etc/smve/<tty>.conf and re-apply
 * it (the smve-bus@<tty>.service unit runs --attach and --load).  The kernel validates every
 * value; this tool checks names and the layout syntax first so that mistakes get a precise
 * message, and prints the kernel's refusal otherwise.
 *
 * The sysfs root and the configuration directory can be moved with SMVE_SYSFS_CLASS and
 * SMVE_CONF_DIR (tests run against a fake tree).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <smve/mara.h>

#include "opts.h"
#include "smvectl.h"
#include "toolutil.h"

#define PATH_MAX_LEN	512
#define VALUE_MAX	1024
#define MAX_SETS	32
#define LOAD_WAIT_MS	10000
#define CLOCK_CHECK_S	10

/* Writable bus attributes, in the order --load applies them (ieds last: polling starts then). */
static const char *const cfg_names[] = {
	"master_addr", "poll_interval_us", "response_timeout_us", "interchar_timeout_us",
	"guard_us", "broadcast_guard_us", "retries", "offline_reprobe_ms", "peh_interval_s",
	"peh_utc_offset_s", "peh_enable", "layout", "ieds",
};
#define NCFG (sizeof(cfg_names) / sizeof(cfg_names[0]))

static const char *const stat_names[] = {
	"frames_sent", "frames_received", "checksum_errors", "timeouts", "retries",
	"stale_replies", "wrong_source", "unsolicited", "echoes", "resyncs", "bytes_discarded",
	"interchar_aborts", "cycles", "peh_sent", "rx_overruns",
};
#define NSTATS (sizeof(stat_names) / sizeof(stat_names[0]))

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

/* "ttyS1" from "/dev/ttyS1" or "ttyS1"; refuses anything that could escape a path. */
static int tty_name(const char *arg, char *out, size_t cap)
{
	const char *b = strrchr(arg, '/');

	b = b ? b + 1 : arg;
	if (!*b || strlen(b) >= cap || !strcmp(b, ".") || !strcmp(b, ".."))
		return -1;
	strcpy(out, b);
	return 0;
}

/* Read one sysfs value without its trailing newline.  Returns 0 or -errno. */
static int read_attr(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, cap - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

static int write_attr(const char *path, const char *value)
{
	size_t len = strlen(value);
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	/* sysfs takes the value in one write; an empty one must still reach the kernel. */
	if (write(fd, len ? value : "\n", len ? len : 1) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

/* The bus device (smve<B>, not an IED smve<B>.<A>) whose tty attribute is @tty. */
static int find_bus(const char *tty, char *dir, size_t cap)
{
	const char *root = env_or("SMVE_SYSFS_CLASS", "/sys/class/smve");
	char path[PATH_MAX_LEN], val[64];
	struct dirent *de;
	DIR *d = opendir(root);
	int ret = -ENODEV;

	if (!d)
		return -ENODEV;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "smve", 4) != 0 || strchr(de->d_name, '.'))
			continue;
		snprintf(path, sizeof(path), "%s/%s/tty", root, de->d_name);
		if (read_attr(path, val, sizeof(val)) || strcmp(val, tty) != 0)
			continue;
		if ((size_t)snprintf(dir, cap, "%s/%s", root, de->d_name) < cap)
			ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

/* "@a/@b" into @out; -1 when it does not fit (never a truncated path). */
static int join(char *out, size_t cap, const char *a, const char *b)
{
	int n = snprintf(out, cap, "%s/%s", a, b);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static bool known_cfg(const char *name)
{
	size_t i;

	for (i = 0; i < NCFG; i++)
		if (!strcmp(name, cfg_names[i]))
			return true;
	return false;
}

static int set_attr(const char *dir, const char *name, const char *value)
{
	char path[PATH_MAX_LEN];
	int ret;

	ret = join(path, sizeof(path), dir, name) ? -ENAMETOOLONG : write_attr(path, value);
	if (ret)
		fprintf(stderr, "smvectl bus: %s = '%s' refused: %s\n", name, value, strerror(-ret));
	return ret;
}

static void show(const char *dir, const char *tty)
{
	char path[PATH_MAX_LEN], val[VALUE_MAX];
	size_t i;

	printf("bus %s on %s\n", strrchr(dir, '/') + 1, tty);
	if (!join(path, sizeof(path), dir, "char_time_ns") && !read_attr(path, val, sizeof(val)))
		printf("  %-22s %s\n", "char_time_ns", val);
	for (i = 0; i < NCFG; i++) {
		if (!join(path, sizeof(path), dir, cfg_names[i]) &&
		    !read_attr(path, val, sizeof(val)))
			printf("  %-22s %s\n", cfg_names[i], val);
	}
}

static void stats(const char *dir)
{
	static const char *const timing[] = { "turnaround", "latency", "cycle" };
	char path[PATH_MAX_LEN], sub[PATH_MAX_LEN], val[VALUE_MAX];
	unsigned long long c, mn, p50, p99, mx;
	size_t i;

	if (join(sub, sizeof(sub), dir, "statistics"))
		return;
	for (i = 0; i < NSTATS; i++)
		if (!join(path, sizeof(path), sub, stat_names[i]) &&
		    !read_attr(path, val, sizeof(val)))
			printf("  %-22s %s\n", stat_names[i], val);
	if (join(sub, sizeof(sub), dir, "timing"))
		return;
	for (i = 0; i < 3; i++) {
		if (join(path, sizeof(path), sub, timing[i]) || read_attr(path, val, sizeof(val)) ||
		    sscanf(val, "%llu %llu %llu %llu %llu", &c, &mn, &p50, &p99, &mx) != 5)
			continue;
		printf("  %-22s n=%llu min=%.1fus p50=%.1fus p99=%.1fus max=%.1fus\n", timing[i],
		       c, mn / 1e3, p50 / 1e3, p99 / 1e3, mx / 1e3);
	}
}

static void conf_path(const char *tty, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s.conf", env_or("SMVE_CONF_DIR", "/etc/smve"), tty);
}

/* Line speed of /dev/<tty> as a number, 0 when unknown. */
static unsigned long tty_speed(const char *tty)
{
	static const struct { speed_t s; unsigned long v; } map[] = {
		{ B1200, 1200 }, { B2400, 2400 }, { B4800, 4800 }, { B9600, 9600 },
		{ B19200, 19200 }, { B38400, 38400 }, { B57600, 57600 }, { B115200, 115200 },
		{ B230400, 230400 }, { B460800, 460800 }, { B921600, 921600 },
	};
	char path[PATH_MAX_LEN];
	struct termios t;
	unsigned long v = 0;
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "/dev/%s", tty);
	fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (!tcgetattr(fd, &t))
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (cfgetospeed(&t) == map[i].s)
				v = map[i].v;
	close(fd);
	return v;
}

/* NTP's view (adjtimex, read-only): synchronised, no STA_UNSYNC, not TIME_ERROR. */
static bool clock_is_synced(void)
{
	struct timex tx = { .modes = 0 };
	int state = adjtimex(&tx);

	return state >= 0 && state != TIME_ERROR && !(tx.status & STA_UNSYNC);
}

static int load_conf(const char *tty, char vals[][VALUE_MAX], bool have[],
		     unsigned long *speed, bool *clock_manual);

/*
 * Write every writable attribute and the line speed; atomically (temp file + rename).  While
 * the clock is unsynchronised, peh_enable in sysfs is --run's gate rather than the operator's
 * choice, so the previously saved value (default 1) is kept.
 */
static void saved_peh_enable(const char *tty, char *val, size_t cap);

static int save(const char *dir, const char *tty, const char *peh_set)
{
	char path[PATH_MAX_LEN], tmp[PATH_MAX_LEN + 8], attr[PATH_MAX_LEN], val[VALUE_MAX];
	unsigned long speed = tty_speed(tty);
	FILE *f;
	size_t i;
	int ret = 0;

	conf_path(tty, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "smvectl bus: cannot write %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "# smve bus configuration for /dev/%s, written by smvectl bus --save.\n"
		   "# Applied by smve-bus@%s.service (smvectl bus /dev/%s --attach / --load).\n",
		tty, tty, tty);
	fprintf(f, "speed=%lu\n", speed ? speed : 115200ul);
	fprintf(f, "# clock=follow: --run keeps peh_utc_offset_s at the local zone's offset and\n"
		   "# sends PEH only while the clock is synchronised; clock=manual keeps the values.\n"
		   "clock=follow\n");
	for (i = 0; i < NCFG && !ret; i++) {
		ret = join(attr, sizeof(attr), dir, cfg_names[i]) ? -ENAMETOOLONG :
		      read_attr(attr, val, sizeof(val));
		if (!ret && !strcmp(cfg_names[i], "peh_enable") && !clock_is_synced()) {
			if (peh_set)	/* set by this very command */
				snprintf(val, sizeof(val), "%s", peh_set);
			else
				saved_peh_enable(tty, val, sizeof(val));
		}
		if (!ret)
			fprintf(f, "%s=%s\n", cfg_names[i], val);
	}
	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		fprintf(stderr, "smvectl bus: saving %s failed: %s\n", path, strerror(-ret));
		unlink(tmp);
		return -1;
	}
	printf("saved %s\n", path);
	return 0;
}

/*
 * Read the saved configuration: "name=value" lines, '#' comments.  Unknown names are errors
 * (a typo must not be silently ignored).  Fills @vals (indexed like cfg_names) and @speed.
 */
static int load_conf(const char *tty, char vals[][VALUE_MAX], bool have[],
		     unsigned long *speed, bool *clock_manual)
{
	char path[PATH_MAX_LEN], line[VALUE_MAX + 64];
	unsigned int lineno = 0;
	FILE *f;
	size_t i;

	conf_path(tty, path, sizeof(path));
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "smvectl bus: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	memset(have, 0, NCFG * sizeof(have[0]));
	*speed = 115200;
	*clock_manual = false;
	while (fgets(line, sizeof(line), f)) {
		char *eq, *v;
		size_t len = strlen(line);

		lineno++;
		if (len && line[len - 1] != '\n' && !feof(f))
			goto bad;
		line[strcspn(line, "\n")] = '\0';
		if (tool_line_is_blank_or_comment(line))
			continue;
		eq = strchr(line, '=');
		if (!eq)
			goto bad;
		*eq = '\0';
		v = eq + 1;
		if (!strcmp(line, "speed")) {
			if (tool_parse_uint(v, 50, 4000000, speed))
				goto bad;
			continue;
		}
		if (!strcmp(line, "clock")) {
			if (strcmp(v, "follow") != 0 && strcmp(v, "manual") != 0)
				goto bad;
			*clock_manual = !strcmp(v, "manual");
			continue;
		}
		for (i = 0; i < NCFG && strcmp(line, cfg_names[i]) != 0; i++)
			;
		if (i == NCFG || strlen(v) >= VALUE_MAX)
			goto bad;
		strcpy(vals[i], v);
		have[i] = true;
	}
	fclose(f);
	return 0;
bad:
	fprintf(stderr, "smvectl bus: %s:%u: expected name=value with a known name\n", path,
		lineno);
	fclose(f);
	return -1;
}

/* The operator's peh_enable from the saved configuration, "1" when there is none. */
static void saved_peh_enable(const char *tty, char *val, size_t cap)
{
	char (*vals)[VALUE_MAX] = calloc(NCFG, VALUE_MAX);
	bool have[NCFG], manual;
	unsigned long speed;
	size_t i;

	snprintf(val, cap, "1");
	if (!vals)
		return;
	if (!load_conf(tty, vals, have, &speed, &manual))
		for (i = 0; i < NCFG; i++)
			if (have[i] && !strcmp(cfg_names[i], "peh_enable"))
				snprintf(val, cap, "%s", vals[i]);
	free(vals);
}

static int wait_bus(const char *tty, char *dir, size_t cap)
{
	uint64_t end = tool_monotonic_ms() + LOAD_WAIT_MS;

	while (find_bus(tty, dir, cap)) {
		if (tool_monotonic_ms() >= end)
			return -1;
		usleep(100 * 1000);
	}
	return 0;
}

/* Exec ldattach in the foreground with the saved speed (the unit owns the attachment). */
static int attach(const char *tty)
{
	char vals[NCFG][VALUE_MAX], dev[PATH_MAX_LEN], speed_s[16], ldisc[16] = "29";
	bool have[NCFG], manual;
	unsigned long speed;

	if (load_conf(tty, vals, have, &speed, &manual))
		return SMVECTL_EXIT_USAGE;
	if (read_attr("/sys/module/smve/parameters/ldisc", ldisc, sizeof(ldisc)))
		strcpy(ldisc, "29");
	snprintf(speed_s, sizeof(speed_s), "%lu", speed);
	snprintf(dev, sizeof(dev), "/dev/%s", tty);
	execlp("ldattach", "ldattach", "-d", "-s", speed_s, ldisc, dev, (char *)NULL);
	fprintf(stderr, "smvectl bus: cannot run ldattach: %s\n", strerror(errno));
	return SMVECTL_EXIT_FAIL;
}

static int apply_conf(const char *dir, char vals[NCFG][VALUE_MAX], const bool have[NCFG])
{
	int rc = 0;
	size_t i;

	for (i = 0; i < NCFG; i++)
		if (have[i] && set_attr(dir, cfg_names[i], vals[i]))
			rc = -1;
	return rc;
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/*
 * The kernel cannot see the NTP status (nothing exported to modules), so PEH gating is done
 * here: peh_enable follows "saved value AND clock synchronised" (adjtimex: no STA_UNSYNC, no
 * TIME_ERROR), and peh_utc_offset_s follows the local zone, daylight saving included.
 */
static void follow_clock(const char *dir, bool want_peh, int *last_en, long *last_off)
{
	int en = want_peh && clock_is_synced();
	time_t now = time(NULL);
	struct tm tm;
	char v[32];

	if (localtime_r(&now, &tm) && tm.tm_gmtoff != *last_off) {
		snprintf(v, sizeof(v), "%ld", (long)tm.tm_gmtoff);
		if (!set_attr(dir, "peh_utc_offset_s", v))
			*last_off = tm.tm_gmtoff;
	}
	if (en != *last_en && !set_attr(dir, "peh_enable", en ? "1" : "0"))
		*last_en = en;
}

/*
 * --run, the systemd unit's main process: ldattach -d as a child (the attachment lives as
 * long as it does), the saved configuration applied once the bus exists, then the clock
 * follower until ldattach ends or a signal arrives (forwarded to ldattach, which detaches).
 */
static int run(const char *tty)
{
	char vals[NCFG][VALUE_MAX], dir[PATH_MAX_LEN], dev[PATH_MAX_LEN], speed_s[16];
	char ldisc[16] = "29";
	bool have[NCFG], manual, want_peh = true;
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned long speed;
	long last_off = -1000000;
	int last_en = -1, status = 0, rc = 0;
	unsigned int tick = 0;
	size_t i;
	pid_t pid;

	if (load_conf(tty, vals, have, &speed, &manual))
		return SMVECTL_EXIT_USAGE;
	for (i = 0; i < NCFG; i++)
		if (have[i] && !strcmp(cfg_names[i], "peh_enable"))
			want_peh = strcmp(vals[i], "0") != 0;
	if (read_attr("/sys/module/smve/parameters/ldisc", ldisc, sizeof(ldisc)))
		strcpy(ldisc, "29");
	snprintf(speed_s, sizeof(speed_s), "%lu", speed);
	snprintf(dev, sizeof(dev), "/dev/%s", tty);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "smvectl bus: fork: %s\n", strerror(errno));
		return SMVECTL_EXIT_FAIL;
	}
	if (pid == 0) {
		execlp("ldattach", "ldattach", "-d", "-s", speed_s, ldisc, dev, (char *)NULL);
		fprintf(stderr, "smvectl bus: cannot run ldattach: %s\n", strerror(errno));
		_exit(127);
	}
	if (wait_bus(tty, dir, sizeof(dir))) {
		fprintf(stderr, "smvectl bus: no smve bus appeared on %s\n", tty);
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
		return SMVECTL_EXIT_FAIL;
	}
	if (apply_conf(dir, vals, have))
		rc = SMVECTL_EXIT_FAIL;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (stop_signal) {
			kill(pid, SIGTERM);
			stop_signal = 0;
		}
		if (!manual && tick++ % CLOCK_CHECK_S == 0)
			follow_clock(dir, want_peh, &last_en, &last_off);
		sleep(1);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) && !rc)
		rc = SMVECTL_EXIT_FAIL;
	return rc;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: smvectl bus TTY [--ieds LIST] [--layout TEXT] [--set NAME=VALUE]...\n"
		"                       [--show] [--stats] [--reset-stats] [--save] [--load] [--attach]\n"
		"                       [--run]\n"
		"Configure the RS485 bus that smve.ko runs on TTY (/dev/ttyS1 or ttyS1).\n"
		"It needs the smve kernel module attached to TTY (ldattach 29 TTY, or smve-bus@TTY).\n"
		"  --ieds LIST        IED addresses, e.g. \"2 3 5-9\" (replaces the set)\n"
		"  --layout TEXT      per-IED reply layout \"2:6,1,2 3:6,1,2\" (\"\" = as they come)\n"
		"  --set NAME=VALUE   any writable attribute: master_addr poll_interval_us\n"
		"                     response_timeout_us interchar_timeout_us guard_us\n"
		"                     broadcast_guard_us retries offline_reprobe_ms peh_interval_s\n"
		"                     peh_utc_offset_s peh_enable (timing 0 = automatic)\n"
		"  --show             print the configuration (default without other options)\n"
		"  --stats            print counters and timing histograms\n"
		"  --reset-stats      clear counters and histograms\n"
		"  --save             write the configuration to /etc/smve/TTY.conf\n"
		"  --load             apply /etc/smve/TTY.conf (waits up to 10 s for the bus)\n"
		"  --attach           exec ldattach -d with the saved speed\n"
		"  --run              ldattach + --load + keep PEH gated on clock sync and the UTC\n"
		"                     offset current until stopped (smve-bus@TTY.service)\n");
}

int cmd_bus(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "ieds", required_argument, NULL, 'i' }, { "layout", required_argument, NULL, 'l' },
		{ "set", required_argument, NULL, 's' }, { "show", no_argument, NULL, 'S' },
		{ "stats", no_argument, NULL, 't' }, { "reset-stats", no_argument, NULL, 'R' },
		{ "save", no_argument, NULL, 'w' }, { "load", no_argument, NULL, 'L' },
		{ "attach", no_argument, NULL, 'a' }, { "run", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ieds = NULL, *layout = NULL, *sets[MAX_SETS], *peh_set = NULL;
	bool do_show = false, do_stats = false, do_reset = false, do_save = false;
	bool do_load = false, do_attach = false, do_run = false;
	char tty[64], dir[PATH_MAX_LEN];
	struct mara_layout l;
	size_t nsets = 0, i;
	int c, rc = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': ieds = optarg; break;
		case 'l': layout = optarg; break;
		case 's':
			if (nsets == MAX_SETS) {
				fprintf(stderr, "smvectl bus: at most %d --set options\n", MAX_SETS);
				return SMVECTL_EXIT_USAGE;
			}
			sets[nsets++] = optarg;
			break;
		case 'S': do_show = true; break;
		case 't': do_stats = true; break;
		case 'R': do_reset = true; break;
		case 'w': do_save = true; break;
		case 'L': do_load = true; break;
		case 'a': do_attach = true; break;
		case 'r': do_run = true; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "smvectl bus: bad option '%s'\n", argv[optind - 1]);
			usage(stderr);
			return SMVECTL_EXIT_USAGE;
		}
	}
	if (optind != argc - 1 || tty_name(argv[optind], tty, sizeof(tty))) {
		fprintf(stderr, "smvectl bus: give exactly one TTY\n");
		usage(stderr);
		return SMVECTL_EXIT_USAGE;
	}
	if (layout && opt_layout("bus", layout, &l))
		return SMVECTL_EXIT_USAGE;
	for (i = 0; i < nsets; i++) {
		const char *eq = sets[i] ? strchr(sets[i], '=') : NULL;
		char name[64];

		if (!eq || (size_t)(eq - sets[i]) >= sizeof(name)) {
			fprintf(stderr, "smvectl bus: --set needs NAME=VALUE, got '%s'\n", sets[i]);
			return SMVECTL_EXIT_USAGE;
		}
		memcpy(name, sets[i], eq - sets[i]);
		name[eq - sets[i]] = '\0';
		if (!known_cfg(name)) {
			fprintf(stderr, "smvectl bus: unknown attribute '%s' (see --help)\n", name);
			return SMVECTL_EXIT_USAGE;
		}
		if (!strcmp(name, "peh_enable"))
			peh_set = eq + 1;
	}
	if (do_attach)
		return attach(tty);
	if (do_run)
		return run(tty);

	if (do_load ? wait_bus(tty, dir, sizeof(dir)) : find_bus(tty, dir, sizeof(dir))) {
		fprintf(stderr, "smvectl bus: no smve bus on %s (is smve.ko attached: ldattach 29 /dev/%s?)\n",
			tty, tty);
		return SMVECTL_EXIT_FAIL;
	}
	if (do_load) {
		char vals[NCFG][VALUE_MAX];
		bool have[NCFG], manual;
		unsigned long speed;

		if (load_conf(tty, vals, have, &speed, &manual))
			return SMVECTL_EXIT_USAGE;
		if (apply_conf(dir, vals, have))
			rc = SMVECTL_EXIT_FAIL;
	}
	for (i = 0; i < nsets; i++) {
		char name[64];
		const char *eq = strchr(sets[i], '=');

		memcpy(name, sets[i], eq - sets[i]);
		name[eq - sets[i]] = '\0';
		if (set_attr(dir, name, eq + 1))
			rc = SMVECTL_EXIT_FAIL;
	}
	if (layout && set_attr(dir, "layout", layout))
		rc = SMVECTL_EXIT_FAIL;
	if (ieds && set_attr(dir, "ieds", ieds))
		rc = SMVECTL_EXIT_FAIL;
	if (do_reset && set_attr(dir, "reset_statistics", "1"))
		rc = SMVECTL_EXIT_FAIL;
	if (do_save && !rc && save(dir, tty, peh_set))
		rc = SMVECTL_EXIT_FAIL;
	if (do_show || (!ieds && !layout && !nsets && !do_stats && !do_reset && !do_save && !do_load))
		show(dir, tty);
	if (do_stats)
		stats(dir);
	return rc;
}
