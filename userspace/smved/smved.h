/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The smved process: its top-level context, logging and clock helpers, and
 * the interface between the core (configuration, sources, store, journal;
 * owned by "smved-core") and the web half (HTTP, REST, WebSocket, auth,
 * audit, metrics; owned by "smved-web").
 *
 * The core calls the web_* hooks declared below; the web half implements
 * them (weak stand-ins in web_stub.c keep the daemon linkable without it).
 * Everything runs on one libevent event_base in one thread.
 */
#ifndef SMVED_SMVED_H
#define SMVED_SMVED_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>

struct event_base;
struct event;
struct smved_config;	/* config.h, owned by the core */
struct store;		/* store.h */
struct journal;		/* journal.h */
struct sources;		/* the set of running sources (sources.h) */
struct derived;		/* diagram elements (derived.h) */
struct web;		/* opaque, owned by the web half */
struct web_config;	/* opaque, owned by the web half */

struct smved {
	struct event_base *base;
	struct smved_config *cfg;	/* current configuration (replaced on SIGHUP) */
	struct store *store;
	struct journal *journal;
	struct sources *sources;
	struct web *web;		/* set by web_start(), cleared by web_stop() */
	struct derived *derived;	/* diagram elements (derived.h), NULL before start */
	const char *config_path;	/* as given with -c */
	int64_t started_us;		/* process start, UTC */
};

/* --- logging -------------------------------------------------------------- */

/*
 * Log a message at a syslog priority (LOG_ERR, LOG_WARNING, LOG_NOTICE,
 * LOG_INFO, LOG_DEBUG).  Goes to stderr ("smved: warning: ...") unless
 * smved_log_open() selected syslog.  Messages are one line; a trailing
 * newline is not needed.
 */
void smved_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void smved_vlog(int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Select syslog (true) or stderr; @max_prio filters (LOG_INFO default, LOG_DEBUG with -v). */
void smved_log_open(bool use_syslog, int max_prio);

/* --- clocks ---------------------------------------------------------------- */

/* CLOCK_REALTIME in microseconds since the epoch. */
int64_t smved_now_us(void);
/* CLOCK_MONOTONIC in microseconds. */
int64_t smved_mono_us(void);

/*
 * The default web root: the source tree's web/ when the binary runs in
 * place from <tree>/build*\/bin, else PREFIX/share/smve/web.  Static
 * storage; never NULL.
 */
const char *smved_default_web_root(void);
/*
 * Where the vendored browser libraries are (served under /vendor/):
 * <tree>/<build>/web-vendor in place, else PREFIX/share/smve/web-vendor.
 */
const char *smved_default_vendor_root(void);

/* --- sources, as seen by metrics and REST ---------------------------------- */

struct smved_source_info {
	const char *name;	/* concentrator name or bus tty */
	const char *kind;	/* "concentrator" or "bus" */
	const char *station;
	bool online;
	int64_t last_reply_us;	/* last valid reply / record, 0 never */
	uint64_t polls, replies, timeouts, retries, stale_replies;
	uint64_t bad_frames;	/* checksum, framing, malformed payload */
	uint64_t layout_errors, connects, disconnects, peh_sent;
	uint64_t events;	/* events journalled (duplicates excluded) */
	uint64_t duplicates;	/* events dropped by the duplicate filter */
	uint64_t data_lost;	/* node overruns / epoch gaps */
};

/*
 * Call @fn for every configured source.  A non-zero return stops and is
 * returned.  @sm->sources may be NULL (nothing running): returns 0.
 */
int smved_sources_foreach(struct smved *sm,
			  int (*fn)(const struct smved_source_info *si,
				    void *arg),
			  void *arg);

/*
 * Output control (0x13, spec §4.1) on the DI point @tag's IED, port and
 * bit: @state 0/1.  Asynchronous: @done is called exactly once, later,
 * with 0 (the IED echoed the command), -EPERM (refused, Bit = FF),
 * -ETIMEDOUT (outcome unknown: every attempt timed out, or the command
 * was handed on and its node or connection went away; it may have
 * operated), -EPROTO (mismatching echo), -EIO (every attempt got a bad
 * reply), -ENOENT (no such point or not controllable), -ENOTCONN (not
 * sent: source offline, bus detached first) or -ENOSYS (not supported by
 * this source).  Returns 0 when queued, else the negative error and @done
 * is not called.  Authorisation and the audit record are the caller's.
 */
int smved_control(struct smved *sm, const char *tag, int state,
		  void (*done)(int result, void *arg), void *arg);

/* --- hooks implemented by the web half -------------------------------------- */

/* A fresh web configuration with defaults; NULL on allocation failure. */
struct web_config *web_config_new(void);
/* NULL is allowed. */
void web_config_free(struct web_config *wc);
/*
 * One INI key the core does not own ([smved] listen, tls_*, anonymous,
 * web_root, users, ws_tick_ms, origins, ...; or any key of a section the
 * core does not know, e.g. [web]).  @section is the whole section name as
 * written ("smved", "web", ...).  Returns 0 accepted, 1 not a web key
 * (the core then reports "unknown key"), -1 invalid value with a message
 * (without file:line; the core adds it) in @err.
 */
int web_config_key(struct web_config *wc, const char *section,
		   const char *key, const char *value, char *err,
		   size_t errlen);
/*
 * Called once after the whole file was read: check cross-key rules and
 * fill defaults.  0, or -1 with a message in @err.
 */
int web_config_finish(struct web_config *wc, char *err, size_t errlen);

/*
 * Start serving (listen sockets, subscriptions to sm->store and
 * sm->journal).  Called after the sources are set up; sets sm->web.
 * Returns 0, or -1 after logging why (smved then exits).
 */
int web_start(struct smved *sm, const struct web_config *wc);
/*
 * Apply a reloaded web configuration.  Returns 0, or -1 after logging
 * why; the previous web configuration then stays in force.
 */
int web_reload(struct smved *sm, const struct web_config *wc);
/* Stop serving and free sm->web (then NULL).  Safe when not started. */
void web_stop(struct smved *sm);
/*
 * `smved --add-user NAME --role ROLE`: create or update a user.
 * @sm has its configuration and journal open but no event loop
 * (sm->base is NULL).  Returns 0, or -1 with a message in @err.
 */
int web_add_user(struct smved *sm, const struct web_config *wc,
		 const char *name, const char *role, const char *password,
		 char *err, size_t errlen);

#endif /* SMVED_SMVED_H */
