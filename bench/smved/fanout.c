// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * WebSocket fan-out load client for bench/smved (bench.py runs it against smved and against the
 * Node.js reference server, so both are measured with the same client).
 *
 * Opens N smve.v1 clients over at most two threads (epoll, non-blocking; the bench machines have
 * two cores and the server under test needs one), waits until every client has its snapshot,
 * then for SECONDS counts delta messages and bytes on all clients.  On 10 clients spread over the
 * connection order (a server serves its clients in some order: sampling only the first would
 * favour a server that serves in connection order) every delta is parsed to measure latency:
 *   e2e    = receipt - source_time_ms of each entry (the frame's arrival at smved)
 *   fanout = receipt - delta.time (beyond the coalescing tick: from the frame's build)
 * The other clients only look at the first bytes of each message (its type), so that the client
 * costs little per message.  Its own CPU time is measured per thread over the window: a thread
 * over 85% of a core means the client may be what limits the numbers, and the output says so.
 *
 * On the sampled clients it also records how many bytes were already waiting in the socket when
 * it read (client_backlog_*): a client that falls behind measures its own queue.
 *
 * Prints "measuring" when the window starts (bench.py samples the server's CPU time from there)
 * and one JSON line at the end.  Usage: fanout HOST:PORT N SECONDS
 */
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 2
#define MAX_INFLIGHT 64         /* connects + handshakes per thread: no accept-queue overruns */
#define HEAD_KEEP 32            /* bytes of a message kept to learn its type */
#define MAX_MESSAGE (64u << 20) /* longer frames are a protocol error here */
#define SATURATED_PCT 85.0

/* RFC 6455's sample key and its accept value: a constant key is fine for a load client. */
#define WS_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define WS_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

enum cstate { C_CONNECTING, C_HANDSHAKE, C_OPEN, C_DEAD };

struct conn {
	int fd;
	int idx;
	enum cstate st;
	bool sampled, ready;
	char hs[4096];          /* handshake response until its blank line */
	size_t hslen;
	unsigned char hdr[14];  /* frame header being read */
	size_t hdrlen, hdrneed;
	uint64_t left;          /* payload bytes of the current frame still to come */
	int op;                 /* opcode of the current frame */
	bool fin;
	int msgop;              /* opcode of the message being assembled */
	unsigned char *msg;     /* whole message (sampled clients) or its first HEAD_KEEP bytes */
	size_t mlen, mcap, mtotal;
	unsigned char ctl[125];
	size_t ctllen;
};

struct dvec {
	double *v;
	size_t n, cap;
};

struct worker {
	pthread_t th;
	int id, ep;
	struct conn *conns;     /* this thread's clients: global index id, id + NTHREADS, ... */
	int nconn, opened, inflight;
	uint64_t msgs, bytes, entries, snapshots, closed;
	struct dvec e2e, fan;
	struct dvec backlog;    /* KiB already waiting in a sampled client's socket when it reads */
	double cpu0, cpu1;      /* own CPU seconds at the window's start and end */
	bool started, ended;
	char err[240];
};

static struct sockaddr_storage g_addr;
static socklen_t g_addrlen;
static char g_host[256];
static int g_n, g_step, g_sampled;
static atomic_int g_ready, g_failed, g_phase; /* phase 0 connecting, 1 measuring, 2 done */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double thread_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void push(struct dvec *d, double x)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 4096;
		double *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n++] = x;
}

static void kill_conn(struct worker *w, struct conn *c, const char *why)
{
	if (c->st == C_DEAD)
		return;
	if (c->st != C_OPEN)
		w->inflight--;
	if (why && !w->err[0])
		snprintf(w->err, sizeof(w->err), "client %d: %s", c->idx, why);
	if (atomic_load(&g_phase) == 1)
		w->closed++;
	else if (!c->ready)
		atomic_fetch_add(&g_failed, 1);
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->st = C_DEAD;
}

/* Client frames are masked (RFC 6455 5.3); a zero key keeps the payload as it is. */
static void send_frame(struct conn *c, int op, const unsigned char *p, size_t n)
{
	unsigned char f[6 + 125];

	f[0] = (unsigned char)(0x80 | op);
	f[1] = (unsigned char)(0x80 | n);
	memset(f + 2, 0, 4);
	memcpy(f + 6, p, n);
	/* A control frame is tiny: a short write only happens on a socket already dying. */
	if (send(c->fd, f, 6 + n, MSG_NOSIGNAL) < 0 && errno != EAGAIN)
		return;
}

static void on_message(struct worker *w, struct conn *c, double t)
{
	const char *head = (const char *)c->msg;
	size_t hl = c->mlen < HEAD_KEEP ? c->mlen : HEAD_KEEP;
	bool snap = memmem(head, hl, "\"snapshot\"", 10) != NULL;

	if (c->msgop != 1)
		return;
	if (atomic_load(&g_phase) == 0) {
		if (!c->ready && snap) {
			c->ready = true;
			atomic_fetch_add(&g_ready, 1);
		}
		return;
	}
	if (atomic_load(&g_phase) != 1)
		return;
	if (snap)
		w->snapshots++;
	if (!memmem(head, hl, "\"delta\"", 7))
		return;
	w->msgs++;
	w->bytes += c->mtotal;
	if (!c->sampled)
		return;

	json_error_t je;
	json_t *m = json_loadb(head, c->mlen, 0, &je), *pts = json_object_get(m, "points"), *e;
	size_t i;

	if (!m || !json_is_array(pts)) {
		snprintf(w->err, sizeof(w->err), "client %d: bad delta: %s", c->idx, je.text);
		json_decref(m);
		return;
	}
	push(&w->fan, t - json_number_value(json_object_get(m, "time")));
	json_array_foreach(pts, i, e) {
		json_t *st = json_array_get(e, 5);

		w->entries++;
		if (json_is_number(st))
			push(&w->e2e, t - json_number_value(st));
	}
	json_decref(m);
}

/* Feeds bytes of the frame stream; returns false when the connection is to be dropped. */
static bool feed(struct worker *w, struct conn *c, const unsigned char *p, size_t n, double t)
{
	while (n) {
		if (c->hdrlen < c->hdrneed) {
			c->hdr[c->hdrlen++] = *p++;
			n--;
			if (c->hdrlen == 2) {
				if (c->hdr[1] & 0x80) {
					kill_conn(w, c, "masked server frame");
					return false;
				}
				unsigned l7 = c->hdr[1] & 0x7f;

				c->hdrneed = 2 + (l7 == 126 ? 2 : l7 == 127 ? 8 : 0);
			}
			if (c->hdrlen < c->hdrneed)
				continue;
			uint64_t len = c->hdr[1] & 0x7f;

			if (len == 126)
				len = (uint64_t)c->hdr[2] << 8 | c->hdr[3];
			else if (len == 127)
				for (len = 0, c->hdrlen = 2; c->hdrlen < 10; c->hdrlen++)
					len = len << 8 | c->hdr[c->hdrlen];
			c->op = c->hdr[0] & 0x0f;
			c->fin = c->hdr[0] & 0x80;
			c->left = len;
			c->hdrlen = c->hdrneed = 0; /* in payload */
			if (len > MAX_MESSAGE || (c->op >= 8 && (len > 125 || !c->fin))) {
				kill_conn(w, c, "bad frame length");
				return false;
			}
			if (c->op >= 8) {
				c->ctllen = 0;
			} else if (c->op != 0) {
				c->msgop = c->op;
				c->mlen = c->mtotal = 0;
			}
		}
		size_t k = c->left < n ? (size_t)c->left : n;

		if (c->op >= 8) {
			memcpy(c->ctl + c->ctllen, p, k);
			c->ctllen += k;
		} else {
			size_t want = c->sampled ? k : (c->mlen < HEAD_KEEP ? HEAD_KEEP - c->mlen : 0);

			if (want > k)
				want = k;
			if (c->mlen + want > c->mcap) {
				size_t cap = c->mcap ? c->mcap : 256;
				unsigned char *m;

				while (cap < c->mlen + want)
					cap *= 2;
				m = realloc(c->msg, cap);
				if (!m) {
					kill_conn(w, c, "out of memory");
					return false;
				}
				c->msg = m;
				c->mcap = cap;
			}
			memcpy(c->msg + c->mlen, p, want);
			c->mlen += want;
			c->mtotal += k;
		}
		p += k;
		n -= k;
		c->left -= k;
		if (c->left)
			continue;
		c->hdrneed = 2; /* next frame */
		if (c->op == 9) {
			send_frame(c, 10, c->ctl, c->ctllen);
		} else if (c->op == 8) {
			send_frame(c, 8, c->ctl, c->ctllen >= 2 ? 2 : 0);
			kill_conn(w, c, atomic_load(&g_phase) < 2 ? "closed by the server" : NULL);
			return false;
		} else if (c->op < 8 && c->fin) {
			on_message(w, c, t);
		}
	}
	return true;
}

static void start_conn(struct worker *w, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	int one = 1;

	c->fd = socket(g_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	w->inflight++;
	c->st = C_CONNECTING;
	if (c->fd < 0) {
		kill_conn(w, c, strerror(errno));
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&g_addr, g_addrlen) < 0 && errno != EINPROGRESS) {
		kill_conn(w, c, strerror(errno));
		return;
	}
	epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void on_writable(struct worker *w, struct conn *c)
{
	char req[512];
	int err = 0, len;
	socklen_t el = sizeof(err);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
	if (err) {
		kill_conn(w, c, strerror(err));
		return;
	}
	len = snprintf(req, sizeof(req),
		       "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		       "Sec-WebSocket-Key: " WS_KEY "\r\nSec-WebSocket-Version: 13\r\n"
		       "Sec-WebSocket-Protocol: smve.v1\r\n\r\n", g_host);
	if (send(c->fd, req, (size_t)len, MSG_NOSIGNAL) != len) {
		kill_conn(w, c, "handshake request not sent");
		return;
	}
	c->st = C_HANDSHAKE;
	epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static bool header_is(const char *resp, const char *name, const char *value)
{
	for (const char *l = strstr(resp, "\r\n"); l && l[2] != '\r'; l = strstr(l + 2, "\r\n")) {
		size_t nl = strlen(name);

		if (!strncasecmp(l + 2, name, nl) && l[2 + nl] == ':') {
			const char *v = l + 3 + nl;

			while (*v == ' ')
				v++;
			return !strncmp(v, value, strlen(value)) && v[strlen(value)] == '\r';
		}
	}
	return false;
}

/* Consumes the 101 response; bytes after it are the first frames. */
static void on_handshake(struct worker *w, struct conn *c, const unsigned char *p, size_t n, double t)
{
	size_t k = n < sizeof(c->hs) - 1 - c->hslen ? n : sizeof(c->hs) - 1 - c->hslen;
	char *end;

	memcpy(c->hs + c->hslen, p, k);
	c->hslen += k;
	c->hs[c->hslen] = 0;
	end = strstr(c->hs, "\r\n\r\n");
	if (!end) {
		if (c->hslen == sizeof(c->hs) - 1)
			kill_conn(w, c, "handshake response too long");
		return;
	}
	end[2] = 0;
	if (strncmp(c->hs, "HTTP/1.1 101", 12) || !header_is(c->hs, "Sec-WebSocket-Accept", WS_ACCEPT) ||
	    !header_is(c->hs, "Sec-WebSocket-Protocol", "smve.v1")) {
		kill_conn(w, c, "handshake refused");
		return;
	}
	size_t used = (size_t)(end + 4 - c->hs) - (c->hslen - k);

	c->st = C_OPEN;
	c->hdrneed = 2;
	w->inflight--;
	feed(w, c, p + used, n - used, t);
}

static void on_readable(struct worker *w, struct conn *c, unsigned char *buf, size_t cap)
{
	int waiting = 0;

	/*
	 * Bytes the kernel holds for us when we get to read: more than a few frames means this client
	 * is behind and the latency it measures includes its own queue, whatever its CPU use (a
	 * thread starved by other processes is behind without being busy).
	 */
	if (c->sampled && atomic_load(&g_phase) == 1 && !ioctl(c->fd, FIONREAD, &waiting))
		push(&w->backlog, waiting / 1024.0);
	ssize_t r = recv(c->fd, buf, cap, 0);
	double t = now_ms();

	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		kill_conn(w, c, atomic_load(&g_phase) < 2 ? (r ? strerror(errno) : "connection closed") : NULL);
		return;
	}
	if (r < 0)
		return;
	if (c->st == C_HANDSHAKE)
		on_handshake(w, c, buf, (size_t)r, t);
	else
		feed(w, c, buf, (size_t)r, t);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	static const size_t bufcap = 256 << 10;
	unsigned char *buf = malloc(bufcap);
	struct epoll_event evs[256];

	if (!buf)
		return NULL;
	while (atomic_load(&g_phase) < 2) {
		while (w->opened < w->nconn && w->inflight < MAX_INFLIGHT)
			start_conn(w, &w->conns[w->opened++]);
		int n = epoll_wait(w->ep, evs, 256, 20);

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->st == C_CONNECTING)
				on_writable(w, c);
			else if (c->st != C_DEAD)
				on_readable(w, c, buf, bufcap);
		}
		if (!w->started && atomic_load(&g_phase) >= 1) {
			w->started = true;
			w->cpu0 = thread_cpu_s();
		}
	}
	w->cpu1 = thread_cpu_s();
	w->ended = true;
	free(buf);
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void print_pct(const char *name, struct dvec *d, double p, bool comma)
{
	if (!d->n) {
		printf("\"%s\":null%s", name, comma ? "," : "");
		return;
	}
	size_t i = (size_t)(d->n * p);

	printf("\"%s\":%.3f%s", name, d->v[i < d->n ? i : d->n - 1], comma ? "," : "");
}

static void free_workers(struct worker *ws, int nth)
{
	for (int t = 0; t < nth; t++) {
		for (int k = 0; ws[t].conns && k < ws[t].nconn; k++) {
			if (ws[t].conns[k].fd >= 0)
				close(ws[t].conns[k].fd);
			free(ws[t].conns[k].msg);
		}
		free(ws[t].conns);
		free(ws[t].e2e.v);
		free(ws[t].fan.v);
		free(ws[t].backlog.v);
		if (ws[t].ep >= 0)
			close(ws[t].ep);
	}
}

static bool resolve(const char *hostport)
{
	char port[16];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;

	if (!colon || (size_t)(colon - hostport) >= sizeof(g_host) || strlen(colon + 1) >= sizeof(port))
		return false;
	memcpy(g_host, hostport, (size_t)(colon - hostport));
	g_host[colon - hostport] = 0;
	strcpy(port, colon + 1);
	if (getaddrinfo(g_host, port, &hints, &ai))
		return false;
	memcpy(&g_addr, ai->ai_addr, ai->ai_addrlen);
	g_addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	snprintf(g_host, sizeof(g_host), "%s", hostport);
	return true;
}

int main(int argc, char **argv)
{
	struct worker ws[NTHREADS];
	int nth;
	double secs, t0, t1;

	if (argc != 4 || !resolve(argv[1]) || (g_n = atoi(argv[2])) < 1 || (secs = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: fanout HOST:PORT N SECONDS\n");
		return 2;
	}
	g_sampled = g_n < 10 ? g_n : 10;
	g_step = g_n / g_sampled;
	nth = g_n < NTHREADS ? g_n : NTHREADS;
	memset(ws, 0, sizeof(ws));
	for (int t = 0; t < nth; t++) {
		struct worker *w = &ws[t];

		w->id = t;
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		w->nconn = (g_n - t + nth - 1) / nth;
		w->conns = calloc((size_t)w->nconn, sizeof(*w->conns));
		if (w->ep < 0 || !w->conns) {
			fprintf(stderr, "fanout: out of resources\n");
			free_workers(ws, t + 1);
			return 1;
		}
		for (int k = 0; k < w->nconn; k++) {
			struct conn *c = &w->conns[k];

			c->idx = t + k * nth;
			c->fd = -1;
			c->sampled = c->idx % g_step == 0 && c->idx / g_step < g_sampled;
		}
	}
	for (int t = 0; t < nth; t++)
		pthread_create(&ws[t].th, NULL, worker_main, &ws[t]);
	t0 = now_ms();
	while (atomic_load(&g_ready) < g_n && !atomic_load(&g_failed) && now_ms() - t0 < 60e3)
		usleep(10000);
	if (atomic_load(&g_ready) < g_n) {
		atomic_store(&g_phase, 2);
		for (int t = 0; t < nth; t++)
			pthread_join(ws[t].th, NULL);
		const char *why = "";

		for (int t = 0; t < nth && !*why; t++)
			why = ws[t].err;
		printf("{\"error\":\"only %d of %d ready%s%s\"}\n", atomic_load(&g_ready), g_n, *why ? ": " : "",
		       why);
		free_workers(ws, nth);
		return 1;
	}
	atomic_store(&g_phase, 1);
	printf("measuring\n");
	fflush(stdout);
	t0 = now_ms();
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&g_phase, 2);
	t1 = now_ms();
	struct worker sum = { 0 };
	double cpu = 0, cpu_max = 0;
	const char *err = "";

	for (int t = 0; t < nth; t++) {
		struct worker *w = &ws[t];
		double c;

		pthread_join(w->th, NULL);
		c = w->started ? w->cpu1 - w->cpu0 : 0;
		cpu += c;
		cpu_max = c > cpu_max ? c : cpu_max;
		sum.msgs += w->msgs;
		sum.bytes += w->bytes;
		sum.entries += w->entries;
		sum.snapshots += w->snapshots;
		sum.closed += w->closed;
		for (size_t i = 0; i < w->e2e.n; i++)
			push(&sum.e2e, w->e2e.v[i]);
		for (size_t i = 0; i < w->fan.n; i++)
			push(&sum.fan, w->fan.v[i]);
		for (size_t i = 0; i < w->backlog.n; i++)
			push(&sum.backlog, w->backlog.v[i]);
		if (!*err)
			err = w->err;
	}
	secs = (t1 - t0) / 1e3;
	if (sum.e2e.n)
		qsort(sum.e2e.v, sum.e2e.n, sizeof(double), cmp_d);
	if (sum.fan.n)
		qsort(sum.fan.v, sum.fan.n, sizeof(double), cmp_d);
	if (sum.backlog.n)
		qsort(sum.backlog.v, sum.backlog.n, sizeof(double), cmp_d);
	printf("{\"clients\":%d,\"seconds\":%.3f,\"msgs_per_s\":%.1f,\"mbytes_per_s\":%.3f,"
	       "\"entries_per_s_per_client\":%.1f,\"snapshots\":%llu,\"closed\":%llu,",
	       g_n, secs, sum.msgs / secs, sum.bytes / secs / 1e6, sum.entries / secs / g_sampled,
	       (unsigned long long)sum.snapshots, (unsigned long long)sum.closed);
	print_pct("e2e_p50_ms", &sum.e2e, 0.5, true);
	print_pct("e2e_p99_ms", &sum.e2e, 0.99, true);
	print_pct("fanout_p50_ms", &sum.fan, 0.5, true);
	print_pct("fanout_p99_ms", &sum.fan, 0.99, true);
	print_pct("client_backlog_p50_kib", &sum.backlog, 0.5, true);
	print_pct("client_backlog_p99_kib", &sum.backlog, 0.99, true);
	printf("\"samples\":%zu,\"client_threads\":%d,\"client_cpu_pct\":%.1f,\"client_thread_cpu_max_pct\":%.1f,"
	       "\"client_saturated\":%s", sum.e2e.n, nth, 100 * cpu / secs, 100 * cpu_max / secs,
	       100 * cpu_max / secs > SATURATED_PCT ? "true" : "false");
	if (*err && sum.closed) {
		json_t *s = json_string(err);
		char *q = json_dumps(s, JSON_ENCODE_ANY);

		printf(",\"client_error\":%s", q ? q : "null");
		free(q);
		json_decref(s);
	}
	printf("}\n");
	free_workers(ws, nth);
	free(sum.e2e.v);
	free(sum.fan.v);
	free(sum.backlog.v);
	return 0;
}
