/*
 * bench_blockers: park many blocking queries on one KV key, change the key once,
 * and time how long it takes until every one of them has its answer.
 *
 *   bench_blockers -a ADDR -p PORT -k KEY [-n CONNS] [-s SOURCES] [-P PID]
 *                  [-w SETTLE_MS] [-t TIMEOUT_MS] [-b SRC_BASE]
 *
 *   -a, -p   the agent's HTTP address and port (127.0.0.1 8500)
 *   -k       the KV key, which must exist (bench/block)
 *   -n       number of parked queries, one connection each (10000)
 *   -s       spread the connections over this many source addresses, SRC_BASE+0,
 *            SRC_BASE+1, ... (100): with 100 sources each client IP holds 100
 *            connections, under Consul's default limits.http_max_conns_per_client
 *            of 200, so the agent needs no special configuration
 *   -b       first source address (127.0.78.1); any 127/8 address works on Linux
 *   -P       the agent's PID, to read its VmRSS from /proc before and after
 *   -w       how long to wait after the last request was written before the
 *            change, so the agent has read and parked them all (1000 ms)
 *   -t       give up waiting for answers after this long (10000 ms)
 *
 * Steps: GET the key once to learn its X-Consul-Index I; open the connections
 * (at most 512 connects in flight, so the listen backlog never overflows) and
 * send "GET /v1/kv/KEY?index=I&wait=60s" on each; wait SETTLE_MS; PUT a new value
 * on a separate connection; read every answer. One thread, epoll, edge cases
 * counted rather than fatal. Output is key=value lines for bench/kv.sh:
 *
 *   index, parked (connections whose request was fully written), early (answers
 *   before the PUT: the query did not block), errors (connect/read failures or
 *   closes without an answer), non200, answered, put_ms (PUT round trip),
 *   wake_all_ms (PUT sent -> last parked answer), wake_p50_ms, wake_p99_ms,
 *   rss_before_kb, rss_parked_kb, rss_after_kb, connect_ms, and the agent's own
 *   CPU time (all threads, from /proc/PID/task/N/schedstat) while the queries were
 *   opened and parked (cpu_park_ms) and from the PUT to the last answer
 *   (cpu_wake_ms): on a busy machine wake_all_ms includes waiting for a CPU,
 *   cpu_wake_ms does not.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { ST_IDLE, ST_CONNECTING, ST_SENDING, ST_WAITING, ST_DONE, ST_FAILED };

struct conn {
	int fd;
	enum state st;
	bool is_put;
	size_t sent;
	size_t rlen;
	int status;
	double done_at; /* ms since the PUT was sent; < 0 if before */
	char rbuf[2048];
};

static const char *addr = "127.0.0.1";
static int port = 8500;
static const char *key = "bench/block";
static int nconns = 10000;
static int nsrc = 100;
static const char *src_base = "127.0.78.1";
static int pid = 0;
static int settle_ms = 1000;
static int timeout_ms = 10000;

static char req[512];
static size_t req_len;
static char put_req[512];
static size_t put_req_len;

static int epfd;
static double t_put = -1; /* monotonic ms when the PUT was sent */
static int n_parked, n_early, n_errors, n_non200, n_answered, inflight_connects;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long rss_kb(void)
{
	if (pid <= 0)
		return -1;
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long kb = -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* CPU time used by every thread of pid so far, in ms (-1 if unknown). */
static double cpu_ms(void)
{
	if (pid <= 0)
		return -1;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	double ns = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p2[300];
		snprintf(p2, sizeof p2, "/proc/%d/task/%s/schedstat", pid, e->d_name);
		FILE *f = fopen(p2, "r");
		if (!f)
			continue;
		unsigned long long v = 0;
		if (fscanf(f, "%llu", &v) == 1)
			ns += (double)v;
		fclose(f);
	}
	closedir(d);
	return ns / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_blockers: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* A blocking one-shot GET of the key: its X-Consul-Index. */
static int simple_get_index(unsigned long long *index)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, addr, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		die("connect");
	char q[512], r[8192];
	int n = snprintf(q, sizeof q,
			 "GET /v1/kv/%s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n", key,
			 addr, port);
	if (write(fd, q, n) != n)
		die("write");
	/* read until the head is complete (the index is in it), not until EOF */
	size_t len = 0;
	ssize_t k;
	r[0] = 0;
	while (len < sizeof r - 1 && !strstr(r, "\r\n\r\n") &&
	       (k = read(fd, r + len, sizeof r - 1 - len)) > 0) {
		len += (size_t)k;
		r[len] = 0;
	}
	close(fd);
	int status = 0;
	sscanf(r, "HTTP/1.%*d %d", &status);
	const char *h = strcasestr(r, "\r\nX-Consul-Index:");
	if (status != 200 || !h) {
		fprintf(stderr, "bench_blockers: GET /v1/kv/%s: status %d%s\n", key, status,
			h ? "" : ", no X-Consul-Index");
		return -1;
	}
	*index = strtoull(h + 17, NULL, 10);
	return 0;
}

static void conn_fail(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->st == ST_CONNECTING)
		inflight_connects--;
	c->st = ST_FAILED;
	n_errors++;
}

/* Start a nonblocking connect from source address number i. */
static void conn_start(struct conn *c, int i)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		die("socket (raise ulimit -n)");
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (!c->is_put && nsrc > 0) {
#ifdef IP_BIND_ADDRESS_NO_PORT
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
		struct sockaddr_in src = {.sin_family = AF_INET};
		inet_pton(AF_INET, src_base, &src.sin_addr);
		src.sin_addr.s_addr = htonl(ntohl(src.sin_addr.s_addr) + (uint32_t)(i % nsrc));
		if (bind(c->fd, (struct sockaddr *)&src, sizeof src) != 0)
			die("bind source address");
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, addr, &sa.sin_addr);
	c->st = ST_CONNECTING;
	inflight_connects++;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				 .data.ptr = c};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("epoll_ctl");
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS)
		conn_fail(c);
}

/* Parse a complete response in c->rbuf, if there is one. */
static bool response_complete(struct conn *c)
{
	c->rbuf[c->rlen] = 0;
	char *end = strstr(c->rbuf, "\r\n\r\n");
	if (!end)
		return false;
	size_t head = (size_t)(end - c->rbuf) + 4;
	const char *cl = strcasestr(c->rbuf, "\r\nContent-Length:");
	size_t body = (cl && cl < end) ? strtoul(cl + 17, NULL, 10) : 0;
	if (c->rlen < head + body && c->rlen < sizeof c->rbuf - 1)
		return false;
	c->status = 0;
	sscanf(c->rbuf, "HTTP/1.%*d %d", &c->status);
	return true;
}

static void on_answer(struct conn *c)
{
	double t = now_ms();
	close(c->fd);
	c->fd = -1;
	c->st = ST_DONE;
	if (c->status != 200)
		n_non200++;
	if (c->is_put) {
		c->done_at = t - t_put;
		return;
	}
	n_answered++;
	if (t_put < 0)
		n_early++;
	c->done_at = t_put < 0 ? -1 : t - t_put;
}

static void handle(struct conn *c, uint32_t ev)
{
	if (c->st == ST_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof err;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			conn_fail(c);
			return;
		}
		if (!(ev & (EPOLLOUT | EPOLLIN)))
			return;
		inflight_connects--;
		c->st = ST_SENDING;
	}
	if (c->st == ST_SENDING) {
		const char *buf = c->is_put ? put_req : req;
		size_t len = c->is_put ? put_req_len : req_len;
		while (c->sent < len) {
			ssize_t k = write(c->fd, buf + c->sent, len - c->sent);
			if (k < 0 && errno == EAGAIN)
				return;
			if (k <= 0) {
				conn_fail(c);
				return;
			}
			c->sent += (size_t)k;
		}
		c->st = ST_WAITING;
		if (!c->is_put)
			n_parked++;
	}
	if (c->st == ST_WAITING && (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) {
		for (;;) {
			ssize_t k = read(c->fd, c->rbuf + c->rlen, sizeof c->rbuf - 1 - c->rlen);
			if (k < 0 && errno == EAGAIN)
				break;
			if (k <= 0) {
				if (response_complete(c))
					on_answer(c);
				else
					conn_fail(c);
				return;
			}
			c->rlen += (size_t)k;
			if (response_complete(c)) {
				on_answer(c);
				return;
			}
		}
	}
}

static void poll_once(int wait_ms)
{
	struct epoll_event evs[1024];
	int n = epoll_wait(epfd, evs, 1024, wait_ms);
	for (int i = 0; i < n; i++)
		handle(evs[i].data.ptr, evs[i].events);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int opt;
	while ((opt = getopt(argc, argv, "a:p:k:n:s:b:P:w:t:")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = atoi(optarg);
			break;
		case 'k':
			key = optarg;
			break;
		case 'n':
			nconns = atoi(optarg);
			break;
		case 's':
			nsrc = atoi(optarg);
			break;
		case 'b':
			src_base = optarg;
			break;
		case 'P':
			pid = atoi(optarg);
			break;
		case 'w':
			settle_ms = atoi(optarg);
			break;
		case 't':
			timeout_ms = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: see the comment at the top of bench/blockers.c\n");
			return 2;
		}
	}
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)nconns + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)nconns + 64) {
			fprintf(stderr,
				"bench_blockers: fd limit %llu too low for %d connections\n",
				(unsigned long long)rl.rlim_cur, nconns);
			return 1;
		}
	}

	unsigned long long index;
	if (simple_get_index(&index) != 0)
		return 1;
	req_len = (size_t)snprintf(req, sizeof req,
				   "GET /v1/kv/%s?index=%llu&wait=60s HTTP/1.1\r\nHost: %s:%d\r\n"
				   "User-Agent: bench_blockers\r\nAccept: */*\r\n\r\n",
				   key, index, addr, port);
	static const char value[] = "woken";
	put_req_len = (size_t)snprintf(put_req, sizeof put_req,
				       "PUT /v1/kv/%s HTTP/1.1\r\nHost: %s:%d\r\n"
				       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
				       key, addr, port, strlen(value), value);

	epfd = epoll_create1(0);
	if (epfd < 0)
		die("epoll_create1");
	struct conn *conns = calloc((size_t)nconns + 1, sizeof *conns);
	if (!conns)
		die("calloc");
	for (int i = 0; i <= nconns; i++)
		conns[i].fd = -1;

	long rss_before = rss_kb();
	double cpu0 = cpu_ms();
	double t0 = now_ms();
	int next = 0;
	for (;;) {
		while (next < nconns && inflight_connects < 512)
			conn_start(&conns[next], next), next++;
		poll_once(10);
		/* every connection is either written (parked, maybe answered early) or failed */
		if (now_ms() - t0 > timeout_ms) {
			fprintf(stderr, "bench_blockers: timed out opening connections\n");
			break;
		}
		if (n_parked + n_errors >= nconns)
			break;
	}
	double connect_ms = now_ms() - t0;

	double ts = now_ms();
	while (now_ms() - ts < settle_ms)
		poll_once(10);
	long rss_parked = rss_kb();
	double cpu1 = cpu_ms();

	struct conn *put = &conns[nconns];
	put->is_put = true;
	{
		/* Connect first, then start the clock just before the request is written. */
		put->fd = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
		inet_pton(AF_INET, addr, &sa.sin_addr);
		if (connect(put->fd, (struct sockaddr *)&sa, sizeof sa) != 0)
			die("connect for PUT");
		int one = 1;
		setsockopt(put->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		fcntl(put->fd, F_SETFL, O_NONBLOCK);
		struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
					 .data.ptr = put};
		put->st = ST_SENDING;
		t_put = now_ms();
		epoll_ctl(epfd, EPOLL_CTL_ADD, put->fd, &ev);
		handle(put, EPOLLOUT);
	}
	int waiting = n_parked - n_answered;
	double tw = now_ms();
	while ((n_answered < n_parked || put->st == ST_WAITING || put->st == ST_SENDING) &&
	       now_ms() - tw < timeout_ms)
		poll_once(10);
	double cpu2 = cpu_ms();
	long rss_after = rss_kb();

	double *lat = calloc((size_t)nconns, sizeof *lat);
	int nl = 0;
	double worst = 0;
	for (int i = 0; i < nconns; i++) {
		if (conns[i].st == ST_DONE && conns[i].done_at >= 0) {
			lat[nl++] = conns[i].done_at;
			if (conns[i].done_at > worst)
				worst = conns[i].done_at;
		}
	}
	qsort(lat, (size_t)nl, sizeof *lat, cmp_double);
	int still = 0;
	for (int i = 0; i < nconns; i++)
		if (conns[i].st == ST_WAITING)
			still++;

	printf("index=%llu\n", index);
	printf("conns=%d\n", nconns);
	printf("sources=%d\n", nsrc);
	printf("connect_ms=%.1f\n", connect_ms);
	printf("parked=%d\n", n_parked);
	printf("early=%d\n", n_early);
	printf("waiting_at_put=%d\n", waiting);
	printf("errors=%d\n", n_errors);
	printf("non200=%d\n", n_non200);
	printf("answered=%d\n", n_answered - n_early);
	printf("unanswered=%d\n", still);
	printf("put_status=%d\n", put->status);
	printf("put_ms=%.2f\n", put->st == ST_DONE ? put->done_at : -1.0);
	printf("wake_all_ms=%.2f\n", nl == n_parked - n_early && nl > 0 ? worst : -1.0);
	printf("wake_p50_ms=%.2f\n", nl ? lat[nl / 2] : -1.0);
	printf("wake_p99_ms=%.2f\n", nl ? lat[(nl * 99) / 100 - (nl >= 100 ? 1 : 0)] : -1.0);
	printf("cpu_park_ms=%.1f\n", cpu0 >= 0 ? cpu1 - cpu0 : -1.0);
	printf("cpu_wake_ms=%.1f\n", cpu0 >= 0 ? cpu2 - cpu1 : -1.0);
	printf("rss_before_kb=%ld\n", rss_before);
	printf("rss_parked_kb=%ld\n", rss_parked);
	printf("rss_after_kb=%ld\n", rss_after);
	return 0;
}
