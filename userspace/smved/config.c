// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smved.conf reader.  inih as packaged by Debian calls its handler without
 * a line number, so the file is fed through ini_parse_stream() with a
 * reader that counts lines: when the handler runs, the counter holds the
 * line of the key being handled.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "sheets.h"
#include "smved.h"

struct diag_msg {
	unsigned line;
	char *text;
};

struct parse {
	struct smved_config *c;
	struct diag_msg *msgs;		/* sorted by line before they are reported */
	size_t nmsgs, capmsgs;
	FILE *f;
	unsigned line;
	bool long_line;
	int errors;
	config_diag_fn diag;
	void *ctx;
	char cur_section[128];
	unsigned section_line;
	bool skip_section;		/* its header was rejected: its keys are not checked */
	struct conc_config *conc;	/* current [concentrator] */
	struct bus_config *bus;		/* current [bus] */
	char **seen;			/* "section\nkey" already given */
	size_t nseen, capseen;
};

static void __attribute__((format(printf, 3, 4)))
perr(struct parse *p, unsigned line, const char *fmt, ...)
{
	char msg[768], full[PATH_MAX + 800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(full, sizeof(full), "%s:%u: %s", p->c->path, line, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", p->c->path, msg);
	p->errors++;
	if (p->nmsgs == p->capmsgs) {
		size_t nc = p->capmsgs ? p->capmsgs * 2 : 16;
		struct diag_msg *nm = realloc(p->msgs, nc * sizeof(*nm));

		if (!nm) {
			p->diag(p->ctx, full);
			return;
		}
		p->msgs = nm;
		p->capmsgs = nc;
	}
	p->msgs[p->nmsgs].line = line;
	p->msgs[p->nmsgs].text = strdup(full);
	if (!p->msgs[p->nmsgs].text)
		p->diag(p->ctx, full);
	else
		p->nmsgs++;
}

static void flush_msgs(struct parse *p)
{
	struct diag_msg *m = p->msgs;

	for (size_t i = 1; i < p->nmsgs; i++) {
		struct diag_msg t = m[i];
		size_t k = i;

		/* Insertion sort: messages are few, and it keeps one line's in order. */
		while (k > 0 && m[k - 1].line > t.line) {
			m[k] = m[k - 1];
			k--;
		}
		m[k] = t;
	}
	for (size_t i = 0; i < p->nmsgs; i++) {
		p->diag(p->ctx, m[i].text);
		free(m[i].text);
	}
	free(p->msgs);
	p->msgs = NULL;
	p->nmsgs = p->capmsgs = 0;
}

static void new_section(struct parse *p, const char *section);

/* fgets-alike for ini_parse_stream that counts lines and spots overlong ones. */
static char *reader(char *buf, int size, void *stream)
{
	struct parse *p = stream;
	char *r = fgets(buf, size, p->f);
	size_t n;

	if (!r)
		return NULL;
	n = strlen(buf);
	if (n && buf[n - 1] == '\n') {
		p->line++;
		p->long_line = false;
	} else if (!feof(p->f)) {
		/* inih would parse the rest as a new line: refuse instead. */
		if (!p->long_line)
			perr(p, p->line + 1, "line longer than %d characters", size - 2);
		p->long_line = true;
		buf[0] = '\0';
		return r;
	} else {
		p->line++;
	}
	if (p->long_line) {
		buf[0] = '\0';
		return r;
	}
	/*
	 * inih calls the handler only for keys, so a section header is seen
	 * here, with its own line: a repeated or empty section is still noticed.
	 */
	{
		const char *q = buf;
		const char *end;

		while (*q == ' ' || *q == '\t')
			q++;
		if (*q == '[' && (end = strchr(q, ']')) != NULL) {
			char name[128];
			size_t len = (size_t)(end - q - 1);

			if (len < sizeof(name)) {
				memcpy(name, q + 1, len);
				name[len] = '\0';
				new_section(p, name);
			}
		}
	}
	return r;
}

/* --- value parsers ----------------------------------------------------------- */

static int parse_u64(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (!*v || *v == '-' || *v == '+')
		return -1;
	errno = 0;
	x = strtoull(v, &end, 0);
	if (errno || *end || x < min || x > max)
		return -1;
	*out = x;
	return 0;
}

int config_parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") ||
	    !strcasecmp(v, "on"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
		 !strcmp(v, "0") || !strcasecmp(v, "off"))
		*out = false;
	else
		return -1;
	return 0;
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= CONFIG_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		      *s == '.'))
			return false;
	return true;
}

/* An IANA zone name that exists in the TZ database ("UTC" always does). */
static bool valid_tz(const char *tz)
{
	char path[128];

	if (!strcmp(tz, "UTC"))
		return true;
	if (!*tz || strlen(tz) > 60 || strstr(tz, "..") || *tz == '/')
		return false;
	for (const char *c = tz; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || strchr("/_-+", *c)))
			return false;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	return access(path, R_OK) == 0;
}

static int copy_str(char *dst, size_t cap, const char *v)
{
	if (strlen(v) >= cap)
		return -1;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int parse_layout(struct parse *p, const char *v, struct mara_layout *l)
{
	size_t pos = 0;

	if (mara_layout_parse(l, v, strlen(v), &pos) < 0) {
		perr(p, p->line, "layout: bad IED entry at character %zu (expected"
		     " \"addr:sv,di,ai addr:sv,di,ai ...\")", pos + 1);
		return -1;
	}
	if (!l->count) {
		perr(p, p->line, "layout: no IED");
		return -1;
	}
	return 0;
}

/* "firmware", "nguru", or "firmware" plus item overrides (tcd_nguru frac_be dow_monday0). */
static int parse_dialect(const char *v, unsigned int *out)
{
	char buf[128], *save = NULL, *tok;
	unsigned int d = 0;

	if (copy_str(buf, sizeof(buf), v) < 0)
		return -1;
	for (tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		if (!strcmp(tok, "firmware"))
			d |= MARA_DIALECT_FIRMWARE;
		else if (!strcmp(tok, "nguru"))
			d |= MARA_DIALECT_NGURU;
		else if (!strcmp(tok, "tcd_nguru"))
			d |= MARA_TCD_NGURU;
		else if (!strcmp(tok, "frac_be"))
			d |= MARA_FRAC_BE;
		else if (!strcmp(tok, "dow_monday0"))
			d |= MARA_DOW_MONDAY0;
		else
			return -1;
	}
	*out = d;
	return 0;
}

/* --- sections ------------------------------------------------------------------ */

static bool already(struct parse *p, const char *section, const char *key)
{
	size_t n = strlen(section) + strlen(key) + 2;
	char *k = malloc(n);

	if (!k)
		return false;
	snprintf(k, n, "%s\n%s", section, key);
	for (size_t i = 0; i < p->nseen; i++) {
		if (!strcmp(p->seen[i], k)) {
			free(k);
			return true;
		}
	}
	if (p->nseen == p->capseen) {
		size_t nc = p->capseen ? p->capseen * 2 : 32;
		char **ns = realloc(p->seen, nc * sizeof(*ns));

		if (!ns) {
			free(k);
			return false;
		}
		p->seen = ns;
		p->capseen = nc;
	}
	p->seen[p->nseen++] = k;
	return false;
}

static void new_section(struct parse *p, const char *section)
{
	const char *sp = strchr(section, ' ');
	const char *name = sp ? sp + 1 : "";
	size_t kw = sp ? (size_t)(sp - section) : strlen(section);

	snprintf(p->cur_section, sizeof(p->cur_section), "%s", section);
	p->section_line = p->line;
	p->conc = NULL;
	p->bus = NULL;
	p->skip_section = false;
	if (kw == 12 && !strncmp(section, "concentrator", kw)) {
		struct conc_config *cc, **pp;

		if (!valid_name(name)) {
			perr(p, p->line, "[concentrator NAME]: the name must be 1-%d"
			     " letters, digits, '_', '-' or '.'", CONFIG_NAME_MAX - 1);
			p->skip_section = true;
			return;
		}
		for (pp = &p->c->concs; *pp; pp = &(*pp)->next) {
			if (!strcmp((*pp)->name, name)) {
				perr(p, p->line, "concentrator \"%s\" already defined at line %u",
				     name, (*pp)->line);
				p->skip_section = true;
			return;
			}
		}
		cc = calloc(1, sizeof(*cc));
		if (!cc) {
			perr(p, p->line, "out of memory");
			p->skip_section = true;
			return;
		}
		snprintf(cc->name, sizeof(cc->name), "%s", name);
		snprintf(cc->station, sizeof(cc->station), "%s", name);
		snprintf(cc->timezone, sizeof(cc->timezone), "UTC");
		cc->port = 9761;
		cc->comaster_id = -1;
		cc->poll_interval_ms = 5000;
		cc->timeout_ms = 5000;
		cc->retries = 3;
		cc->peh_interval_s = 3600;
		cc->peh = true;
		cc->src = MARA_ADDR_PC;
		cc->dst = MARA_ADDR_COMASTER;
		cc->line = p->line;
		*pp = cc;
		p->conc = cc;
	} else if (kw == 3 && !strncmp(section, "bus", kw)) {
		struct bus_config *b, **pp;

		if (!valid_name(name)) {
			perr(p, p->line, "[bus TTY]: the tty must be a name such as ttyS1");
			p->skip_section = true;
			return;
		}
		for (pp = &p->c->buses; *pp; pp = &(*pp)->next) {
			if (!strcmp((*pp)->tty, name)) {
				perr(p, p->line, "bus \"%s\" already defined at line %u",
				     name, (*pp)->line);
				p->skip_section = true;
			return;
			}
		}
		b = calloc(1, sizeof(*b));
		if (!b) {
			perr(p, p->line, "out of memory");
			p->skip_section = true;
			return;
		}
		snprintf(b->tty, sizeof(b->tty), "%s", name);
		snprintf(b->station, sizeof(b->station), "%s", name);
		snprintf(b->timezone, sizeof(b->timezone), "UTC");
		b->peh_interval_s = 60;
		b->peh = true;
		b->line = p->line;
		*pp = b;
		p->bus = b;
	}
}

#define BAD(fmt, ...) do { perr(p, p->line, fmt, ##__VA_ARGS__); return 1; } while (0)

static int key_smved(struct parse *p, const char *k, const char *v)
{
	struct smved_config *c = p->c;
	uint64_t u;
	bool b;

	if (!strcmp(k, "state_dir")) {
		if (*v != '/' || copy_str(c->state_dir, sizeof(c->state_dir), v) < 0)
			BAD("state_dir must be an absolute path");
	} else if (!strcmp(k, "points")) {
		const char *slash = strrchr(c->path, '/');
		int dl = slash ? (int)(slash - c->path) : 1;

		/* Relative to the configuration file, so that a tree can be moved whole. */
		if (!*v || (size_t)snprintf(c->points_dir, sizeof(c->points_dir), "%.*s%s%s",
					    *v == '/' ? 0 : dl, slash ? c->path : ".",
					    *v == '/' ? "" : "/", v) >= sizeof(c->points_dir))
			BAD("points: a folder of nguru CSV sheets is expected");
	} else if (!strcmp(k, "require_clock_sync")) {
		if (config_parse_bool(v, &b) < 0)
			BAD("require_clock_sync must be true or false");
		c->require_clock_sync = b;
	} else if (!strcmp(k, "journal_days")) {
		if (parse_u64(v, 0, 36500, &u) < 0)
			BAD("journal_days must be 0 (keep) .. 36500");
		c->journal_days = (unsigned)u;
	} else if (!strcmp(k, "journal_max_rows")) {
		if (parse_u64(v, 0, (uint64_t)1 << 40, &u) < 0)
			BAD("journal_max_rows must be a row count (0 = no limit)");
		c->journal_max_rows = u;
	} else if (!strcmp(k, "history_days")) {
		if (parse_u64(v, 0, 36500, &u) < 0)
			BAD("history_days must be 0 (keep) .. 36500");
		c->history_days = (unsigned)u;
	} else if (!strcmp(k, "dedup_days")) {
		if (parse_u64(v, 1, 3650, &u) < 0)
			BAD("dedup_days must be 1 .. 3650");
		c->dedup_days = (unsigned)u;
	} else if (!strcmp(k, "history_deadband")) {
		char *end;
		double d;

		errno = 0;
		d = strtod(v, &end);
		if (errno || *end || !*v || !(d >= 0 && d < 1e9))
			BAD("history_deadband must be a number >= 0");
		c->history_deadband = d;
	} else if (!strcmp(k, "limit_hysteresis")) {
		char *end;
		double d;

		errno = 0;
		d = strtod(v, &end);
		if (errno || *end || !*v || !(d >= 0 && d <= 50))
			BAD("limit_hysteresis must be a percentage of full scale, 0 .. 50");
		c->limit_hysteresis_pct = d;
	} else if (!strcmp(k, "latch_tipo1")) {
		if (config_parse_bool(v, &b) < 0)
			BAD("latch_tipo1 must be true or false");
		c->latch_tipo1 = b;
	} else if (!strcmp(k, "history_min_interval_ms")) {
		if (parse_u64(v, 0, 3600000, &u) < 0)
			BAD("history_min_interval_ms must be 0 .. 3600000");
		c->history_min_interval_ms = (unsigned)u;
	} else if (!strcmp(k, "history_max_interval_s")) {
		if (parse_u64(v, 1, 86400, &u) < 0)
			BAD("history_max_interval_s must be 1 .. 86400");
		c->history_max_interval_s = (unsigned)u;
	} else {
		return 0;
	}
	return 1;
}

static int key_conc(struct parse *p, struct conc_config *cc, const char *k,
		    const char *v)
{
	uint64_t u;
	bool b;

	if (!strcmp(k, "host")) {
		if (!*v || copy_str(cc->host, sizeof(cc->host), v) < 0 || strchr(v, ' '))
			BAD("host must be a host name or address");
	} else if (!strcmp(k, "port")) {
		if (parse_u64(v, 1, 65535, &u) < 0)
			BAD("port must be 1 .. 65535");
		cc->port = (uint16_t)u;
	} else if (!strcmp(k, "station")) {
		if (!valid_name(v))
			BAD("station must be 1-%d letters, digits, '_', '-' or '.'",
			    CONFIG_NAME_MAX - 1);
		snprintf(cc->station, sizeof(cc->station), "%s", v);
	} else if (!strcmp(k, "timezone")) {
		if (!valid_tz(v))
			BAD("timezone \"%s\" is not in the TZ database (/usr/share/zoneinfo)", v);
		snprintf(cc->timezone, sizeof(cc->timezone), "%s", v);
	} else if (!strcmp(k, "comaster_id")) {
		if (parse_u64(v, 0, 1000000, &u) < 0)
			BAD("comaster_id must be the concentrator's id in the sheets");
		cc->comaster_id = (int)u;
	} else if (!strcmp(k, "layout")) {
		cc->has_layout = true;	/* given: a bad one is reported once, here */
		parse_layout(p, v, &cc->layout);
	} else if (!strcmp(k, "dialect")) {
		if (parse_dialect(v, &cc->dialect) < 0)
			BAD("dialect must be firmware, nguru, or firmware with tcd_nguru,"
			    " frac_be, dow_monday0");
	} else if (!strcmp(k, "poll_interval_ms")) {
		if (parse_u64(v, 10, 3600000, &u) < 0)
			BAD("poll_interval_ms must be 10 .. 3600000");
		cc->poll_interval_ms = (uint32_t)u;
	} else if (!strcmp(k, "timeout_ms")) {
		if (parse_u64(v, 10, 600000, &u) < 0)
			BAD("timeout_ms must be 10 .. 600000");
		cc->timeout_ms = (uint32_t)u;
	} else if (!strcmp(k, "retries")) {
		if (parse_u64(v, 0, 20, &u) < 0)
			BAD("retries must be 0 .. 20");
		cc->retries = (uint8_t)u;
	} else if (!strcmp(k, "peh_interval_s")) {
		if (parse_u64(v, 0, 7 * 86400, &u) < 0)
			BAD("peh_interval_s must be 0 (only after connecting) .. 604800");
		cc->peh_interval_s = (uint32_t)u;
	} else if (!strcmp(k, "peh")) {
		if (config_parse_bool(v, &b) < 0)
			BAD("peh must be true or false");
		cc->peh = b;
	} else if (!strcmp(k, "src") || !strcmp(k, "dst")) {
		if (parse_u64(v, 1, 254, &u) < 0)
			BAD("%s must be a Mara address 1 .. 254 (0x01 .. 0xFE)", k);
		*(k[0] == 's' ? &cc->src : &cc->dst) = (uint8_t)u;
	} else {
		return 0;
	}
	return 1;
}

static int key_bus(struct parse *p, struct bus_config *b, const char *k,
		   const char *v)
{
	uint64_t u;
	bool on;

	if (!strcmp(k, "station")) {
		if (!valid_name(v))
			BAD("station must be 1-%d letters, digits, '_', '-' or '.'",
			    CONFIG_NAME_MAX - 1);
		snprintf(b->station, sizeof(b->station), "%s", v);
	} else if (!strcmp(k, "timezone")) {
		if (!valid_tz(v))
			BAD("timezone \"%s\" is not in the TZ database", v);
		snprintf(b->timezone, sizeof(b->timezone), "%s", v);
	} else if (!strcmp(k, "layout") || !strcmp(k, "ieds")) {
		b->has_layout = true;
		parse_layout(p, v, &b->layout);
	} else if (!strcmp(k, "peh_interval_s")) {
		if (parse_u64(v, 1, 255, &u) < 0)
			BAD("peh_interval_s must be 1 .. 255 (the bus master's range)");
		b->peh_interval_s = (uint32_t)u;
	} else if (!strcmp(k, "peh")) {
		if (config_parse_bool(v, &on) < 0)
			BAD("peh must be true or false");
		b->peh = on;
	} else if (!strcmp(k, "command_timeout_ms")) {
		if (parse_u64(v, 0, 600000, &u) < 0 || (u && u < 100))
			BAD("command_timeout_ms must be 0 (derived from the bus timing) or 100 .. 600000");
		b->command_timeout_ms = (uint32_t)u;
	} else {
		return 0;
	}
	return 1;
}

static int handler(void *user, const char *section, const char *key,
		   const char *value)
{
	struct parse *p = user;
	char err[256] = "";
	int r;

	if (p->skip_section)
		return 1;
	if (already(p, section, key)) {
		perr(p, p->line, "[%s] %s given twice", section, key);
		return 1;
	}
	if (!strcmp(section, "smved") && key_smved(p, key, value))
		return 1;
	if (p->conc && key_conc(p, p->conc, key, value))
		return 1;
	if (p->bus && key_bus(p, p->bus, key, value))
		return 1;
	if (!strncmp(section, "concentrator ", 13) || !strncmp(section, "bus ", 4)) {
		if (p->conc || p->bus)
			perr(p, p->line, "unknown key \"%s\" in [%s]", key, section);
		return 1;	/* a bad section header was already reported */
	}
	r = web_config_key(p->c->web, section, key, value, err, sizeof(err));
	if (r < 0)
		perr(p, p->line, "%s: %s", key, err[0] ? err : "invalid value");
	else if (r > 0)
		perr(p, p->line, "unknown key \"%s\" in [%s]", key, section);
	return 1;
}

static void check_concs(struct parse *p)
{
	for (struct conc_config *cc = p->c->concs; cc; cc = cc->next) {
		if (!cc->host[0])
			perr(p, cc->line, "[concentrator %s]: host is required", cc->name);
		if (!cc->has_layout && cc->comaster_id < 0)
			perr(p, cc->line, "[concentrator %s]: give a layout, or a"
			     " comaster_id with points sheets", cc->name);
		if (cc->src == cc->dst)
			perr(p, cc->line, "[concentrator %s]: src and dst must differ",
			     cc->name);
		for (struct conc_config *o = cc->next; o; o = o->next)
			if (!strcmp(o->host, cc->host) && o->port == cc->port &&
			    o->dst == cc->dst)
				perr(p, o->line, "[concentrator %s] polls the same peer as"
				     " [concentrator %s] (line %u)", o->name, cc->name,
				     cc->line);
	}
	for (struct bus_config *b = p->c->buses; b; b = b->next)
		if (!b->has_layout)
			perr(p, b->line, "[bus %s]: layout (the IEDs on the bus) is required",
			     b->tty);
}

static void seen_free(struct parse *p)
{
	for (size_t i = 0; i < p->nseen; i++)
		free(p->seen[i]);
	free(p->seen);
}

struct smved_config *config_load(const char *path, config_diag_fn diag,
				 void *ctx)
{
	struct smved_config *c = calloc(1, sizeof(*c));
	struct parse p = { .c = c, .diag = diag, .ctx = ctx };
	char err[256] = "";
	int r;

	if (!c) {
		diag(ctx, "out of memory");
		return NULL;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/smve");
	c->require_clock_sync = true;
	c->history_days = 90;
	c->dedup_days = 7;
	c->history_min_interval_ms = 1000;
	c->history_max_interval_s = 900;
	c->limit_hysteresis_pct = 0.5;
	c->web = web_config_new();
	if (!c->web) {
		diag(ctx, "out of memory");
		config_free(c);
		return NULL;
	}
	p.f = fopen(path, "r");
	if (!p.f) {
		perr(&p, 0, "%s", strerror(errno));
		flush_msgs(&p);
		config_free(c);
		return NULL;
	}
	r = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.f);
	if (r > 0)
		perr(&p, (unsigned)r, "syntax error (expected [section], key = value"
		     " or a ; comment)");
	else if (r < 0)
		perr(&p, 0, "cannot read the file");
	check_concs(&p);
	if (web_config_finish(c->web, err, sizeof(err)) < 0)
		perr(&p, 0, "%s", err);
	if (c->points_dir[0] && !p.errors) {
		c->sheets = sheets_load(c, diag, ctx, &r);
		if (r)
			p.errors += r;
	} else if (!p.errors) {
		p.errors += sheets_check_layouts(c, diag, ctx);
	}
	seen_free(&p);
	flush_msgs(&p);
	if (p.errors) {
		config_free(c);
		return NULL;
	}
	return c;
}

void config_free(struct smved_config *c)
{
	if (!c)
		return;
	while (c->concs) {
		struct conc_config *n = c->concs->next;

		free(c->concs);
		c->concs = n;
	}
	while (c->buses) {
		struct bus_config *n = c->buses->next;

		free(c->buses);
		c->buses = n;
	}
	web_config_free(c->web);
	sheets_free(c->sheets);
	free(c);
}

const struct conc_config *config_conc(const struct smved_config *c,
				      const char *name)
{
	for (const struct conc_config *cc = c->concs; cc; cc = cc->next)
		if (!strcmp(cc->name, name))
			return cc;
	return NULL;
}

bool config_conc_changed(const struct conc_config *a,
			 const struct conc_config *b)
{
	/* Everything but the list link and the line number. */
	return strcmp(a->station, b->station) || strcmp(a->host, b->host) ||
	       a->port != b->port || strcmp(a->timezone, b->timezone) ||
	       a->comaster_id != b->comaster_id || a->has_layout != b->has_layout ||
	       memcmp(&a->layout, &b->layout, sizeof(a->layout)) ||
	       a->dialect != b->dialect || a->poll_interval_ms != b->poll_interval_ms ||
	       a->timeout_ms != b->timeout_ms || a->retries != b->retries ||
	       a->peh_interval_s != b->peh_interval_s || a->peh != b->peh ||
	       a->src != b->src || a->dst != b->dst;
}
