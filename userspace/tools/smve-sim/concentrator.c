// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * smve-sim concentrator: a COMaster on Mara/TCP.  One poll() loop serves
 * any number of clients (up to --max-clients at once); they all talk to the
 * same slave state, so the stored SEQ, the retry buffer and the event queue
 * survive reconnects, as on the real device.  Replies leave through a
 * per-client queue of timed chunks so that --delay and --split never block
 * the other clients.
 */
#include "config.h"
#include "station.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define OUTQ_LEN	256	/* chunks queued per client before it is dropped */
#define TICK_NS		(100 * NSEC_PER_MSEC)	/* model advance period */
#define READ_CHUNK	4096

struct chunk {
	int64_t due;		/* CLOCK_MONOTONIC ns */
	uint16_t len, off;
	bool close_after;	/* --disconnect: close once this is written */
	uint8_t data[MARA_QTY_MAX];
};

struct client {
	int fd;
	char peer[NI_MAXHOST + NI_MAXSERV + 2];
	struct mara_reasm rs;
	unsigned int head, count;
	bool blocked;		/* the socket buffer is full: wait for POLLOUT */
	struct chunk *out;	/* OUTQ_LEN entries, owned */
};

struct co {
	struct co_config *cfg;
	struct station st;
	struct slave slave;
	struct target tgt;
	struct faults *faults;
	int lfd;
	struct client *cl;	/* cfg->max_clients entries */
	uint64_t requests, replies;
};

static void sink(void *ctx, unsigned int index, const uint8_t *raw)
{
	struct co *co = ctx;

	slave_push_event(&co->slave, &co->st.log, co->st.gen.ied[index].addr,
			 raw);
}

static int listen_on(const char *spec)
{
	char host[256], port[16], *colon;
	struct addrinfo hints, *res, *ai;
	int fd = -1, one = 1, err;
	size_t hl;

	colon = strrchr(spec, ':');
	if (!colon || !colon[1] || strlen(colon + 1) >= sizeof(port))
		sim_usage_error("--listen: '%s' is not ADDR:PORT", spec);
	hl = (size_t)(colon - spec);
	if (hl >= sizeof(host))
		sim_usage_error("--listen: address too long");
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	strcpy(port, colon + 1);
	sim_parse_int(port, 0, 65535, "--listen PORT");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	err = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (err)
		sim_usage_error("--listen: cannot resolve '%s': %s", host,
				gai_strerror(err));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
					       SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 16) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	freeaddrinfo(res);
	if (fd < 0)
		sim_fatal(errno, "cannot listen on %s", spec);
	return fd;
}

static void print_listen_address(int fd)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl = sizeof(ss);
	char host[NI_MAXHOST], serv[NI_MAXSERV];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) ||
	    getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv,
			sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV))
		return;
	/* Tests bind port 0 and read the real one here. */
	printf(ss.ss_family == AF_INET6 ? "listen [%s]:%s\n" : "listen %s:%s\n",
	       host, serv);
	fflush(stdout);
}

static void client_close(struct client *c, const char *why)
{
	sim_log(1, "client %s closed: %s", c->peer, why);
	close(c->fd);
	c->fd = -1;
	c->head = c->count = 0;
	free(c->out);
	c->out = NULL;
}

static void accept_clients(struct co *co)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char host[NI_MAXHOST], serv[NI_MAXSERV];
		struct client *c = NULL;
		unsigned int i;
		int fd, one = 1;

		fd = accept4(co->lfd, (struct sockaddr *)&ss, &sl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				sim_warn("accept: %s", strerror(errno));
			return;
		}
		if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host),
				serv, sizeof(serv),
				NI_NUMERICHOST | NI_NUMERICSERV))
			strcpy(host, "?"), strcpy(serv, "?");
		for (i = 0; i < co->cfg->max_clients; i++)
			if (co->cl[i].fd < 0) {
				c = &co->cl[i];
				break;
			}
		if (!c) {
			sim_warn("refusing %s:%s: %u clients already connected",
				 host, serv, co->cfg->max_clients);
			close(fd);
			continue;
		}
		/* Queues are allocated per connection: --max-clients costs nothing idle. */
		c->out = malloc(OUTQ_LEN * sizeof(*c->out));
		if (!c->out) {
			sim_warn("refusing %s:%s: out of memory", host, serv);
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		snprintf(c->peer, sizeof(c->peer), "%s:%s", host, serv);
		mara_reasm_init(&c->rs);
		c->head = c->count = 0;
		c->blocked = false;
		if (co->cfg->reset_on_connect)
			slave_reset(&co->slave);
		sim_log(1, "client %s connected", c->peer);
	}
}

static struct chunk *chunk_add(struct client *c)
{
	struct chunk *k;

	if (!c->out)
		return NULL;	/* closed meanwhile */
	if (c->count == OUTQ_LEN) {
		client_close(c, "not reading its replies");
		return NULL;
	}
	k = &c->out[(c->head + c->count++) % OUTQ_LEN];
	memset(k, 0, offsetof(struct chunk, data));
	return k;
}

/* Queue @frame for @c with the configured delay, splitting and closing. */
static void send_reply(struct co *co, struct client *c, const uint8_t *frame,
		       unsigned int len, bool close_after)
{
	size_t sizes[FAULTS_SPLIT_MAX], off = 0;
	int64_t gaps[FAULTS_SPLIT_MAX];
	int64_t due = sim_mono_ns() + faults_delay_ns(co->faults);
	unsigned int n, i;

	n = len ? faults_split(co->faults, len, sizes, gaps) : 0;
	/* Chunks never overtake what is already queued. */
	if (c->count) {
		int64_t last = c->out[(c->head + c->count - 1) % OUTQ_LEN].due;

		if (due < last)
			due = last;
	}
	for (i = 0; i < n; i++) {
		struct chunk *k = chunk_add(c);

		if (!k)
			return;
		due += gaps[i];
		k->due = due;
		k->len = (uint16_t)sizes[i];
		memcpy(k->data, frame + off, sizes[i]);
		off += sizes[i];
	}
	if (close_after) {
		struct chunk *k = chunk_add(c);

		if (k) {
			k->due = due;
			k->close_after = true;
		}
	}
}

static void handle_frame(struct co *co, struct client *c, const uint8_t *fr,
			 size_t flen)
{
	struct mara_frame f;
	uint8_t out[MARA_QTY_MAX];
	unsigned int len = 0;
	enum req_result res;
	bool disconnect;

	if (mara_parse(fr, flen, &f))
		return;
	co->requests++;
	if (f.dst == MARA_ADDR_BROADCAST) {
		station_broadcast(&co->st, &f, &co->slave, 1);
		return;
	}
	if (f.dst != co->cfg->addr) {
		sim_log(1, "frame for %02X from %s ignored (we are %02X)", f.dst,
			c->peer, co->cfg->addr);
		return;
	}
	disconnect = faults_disconnect(co->faults);
	res = station_request(&co->st, &co->tgt, &f, out, &len);
	if (res == REQ_IGNORED)
		return;
	sim_log(1, "%s CMD %02X SEQ %02X from %s: %u-byte %s reply",
		res == REQ_RETRY ? "retry" : "new", f.cmd, f.seq, c->peer, len,
		res == REQ_RETRY ? "stored" : "fresh");
	if (disconnect) {
		sim_log(1, "fault: closing %s instead of answering", c->peer);
		send_reply(co, c, out, 0, true);
		return;
	}
	if (faults_drop(co->faults)) {
		sim_log(1, "fault: reply to SEQ %02X dropped", f.seq);
		return;
	}
	if (faults_corrupt(co->faults, out, len))
		sim_log(1, "fault: reply to SEQ %02X corrupted", f.seq);
	co->replies++;
	send_reply(co, c, out, len, false);
}

static void read_client(struct co *co, struct client *c)
{
	uint8_t buf[READ_CHUNK];
	ssize_t n = read(c->fd, buf, sizeof(buf));
	const uint8_t *p = buf, *fr;
	size_t left, flen;

	if (n == 0) {
		client_close(c, "end of stream");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			client_close(c, strerror(errno));
		return;
	}
	left = (size_t)n;
	while (c->fd >= 0 && (fr = mara_reasm_next(&c->rs, &p, &left, &flen)))
		handle_frame(co, c, fr, flen);
}

/*
 * Write what is due; returns the next due time (INT64_MAX: nothing queued
 * or blocked until POLLOUT).
 */
static int64_t flush_client(struct client *c, int64_t now)
{
	c->blocked = false;
	while (c->fd >= 0 && c->count) {
		struct chunk *k = &c->out[c->head];
		ssize_t n;

		if (k->due > now)
			return k->due;
		if (k->close_after) {
			client_close(c, "--disconnect fault");
			break;
		}
		n = write(c->fd, k->data + k->off, k->len - k->off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			client_close(c, strerror(errno));
			break;
		}
		if (n > 0)
			k->off = (uint16_t)(k->off + n);
		if (n < 0 || k->off < k->len) {
			c->blocked = true;
			return INT64_MAX;
		}
		c->head = (c->head + 1) % OUTQ_LEN;
		c->count--;
	}
	return INT64_MAX;
}

static void co_loop(struct co *co)
{
	unsigned int nmax = co->cfg->max_clients, i;
	struct pollfd *pfd = calloc(nmax + 1, sizeof(*pfd));

	if (!pfd)
		sim_fatal(0, "out of memory");
	while (!sim_stop) {
		int64_t now = sim_mono_ns(), next = now + TICK_NS, wait;
		struct timespec ts;
		unsigned int n = 1;

		gen_advance(&co->st.gen);
		for (i = 0; i < nmax; i++) {
			int64_t d = flush_client(&co->cl[i], now);

			if (d < next)
				next = d;
		}
		pfd[0].fd = co->lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < nmax; i++) {
			pfd[n].fd = co->cl[i].fd;	/* -1 entries are skipped */
			pfd[n].events = POLLIN | (co->cl[i].blocked ? POLLOUT : 0);
			pfd[n].revents = 0;
			n++;
		}
		wait = next - now;
		if (wait < 0)
			wait = 0;
		ts.tv_sec = wait / NSEC_PER_SEC;
		ts.tv_nsec = wait % NSEC_PER_SEC;
		if (ppoll(pfd, n, &ts, sim_wait_mask()) < 0) {
			if (errno == EINTR)
				continue;
			sim_fatal(errno, "ppoll");
		}
		if (pfd[0].revents & POLLIN)
			accept_clients(co);
		for (i = 0; i < nmax; i++) {
			struct client *c = &co->cl[i];

			if (c->fd < 0 || pfd[i + 1].fd != c->fd)
				continue;
			/* POLLOUT needs nothing here: the next pass flushes. */
			if (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR))
				read_client(co, c);
		}
	}
	free(pfd);
}

int concentrator_run(struct co_config *cfg)
{
	struct co co;
	struct mara_layout empty = { 0 };
	const struct mara_layout *l = cfg->have_layout ? &cfg->layout : &empty;
	unsigned int i;
	int own;

	memset(&co, 0, sizeof(co));
	co.cfg = cfg;
	co.faults = &cfg->c.faults;
	simclock_init(&co.st.clock, cfg->c.start_ns, cfg->c.time_scale);
	eventlog_open(&co.st.log, cfg->c.events_log, cfg->c.name);
	slave_init(&co.slave, cfg->queue, SEQ_CMP_BYTE, cfg->c.bcast);
	if (cfg->replay) {
		replay_load(&co.st.replay, cfg->replay, cfg->have_layout ?
				&cfg->layout : NULL, cfg->replay_loop);
		co.st.replaying = true;
		/* Replayed frames carry their own values: no model runs. */
		l = &empty;
	}
	gen_init(&co.st.gen, l, cfg->addr, true, &cfg->c.gen, &co.st.clock,
		 sink, &co);
	own = gen_find(&co.st.gen, cfg->addr);
	co.tgt = (struct target){ .slave = &co.slave, .addr = cfg->addr,
				  .first = 0, .n = co.st.gen.count,
				  .ctl_index = own,
				  .max_events = MARA_EVENTS_MAX };
	co.cl = calloc(cfg->max_clients, sizeof(*co.cl));
	if (!co.cl)
		sim_fatal(0, "out of memory");
	for (i = 0; i < cfg->max_clients; i++)
		co.cl[i].fd = -1;
	co.lfd = listen_on(cfg->listen);
	print_listen_address(co.lfd);
	sim_log(1, "concentrator %02X listening on %s, %u IEDs%s", cfg->addr,
		cfg->listen, co.st.gen.count, cfg->replay ? ", replay" : "");

	co_loop(&co);

	sim_log(0, "concentrator: %llu frames received, %llu replies sent, %llu events refused",
		(unsigned long long)co.requests,
		(unsigned long long)co.replies,
		(unsigned long long)co.slave.q.refused);
	for (i = 0; i < cfg->max_clients; i++)
		if (co.cl[i].fd >= 0)
			client_close(&co.cl[i], "shutting down");
	free(co.cl);
	close(co.lfd);
	gen_free(&co.st.gen);
	if (co.st.replaying)
		replay_free(&co.st.replay);
	slave_free(&co.slave);
	eventlog_close(&co.st.log);
	return 0;
}
