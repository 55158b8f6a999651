/*
 * bench_gossip: the memberlist core at LAN settings in the deterministic
 * simulation (tests/unit/gossip/sim.h; 1-5 ms one-way latency).
 *
 *   detect N K    N members; kill K members one after another (60 s apart)
 *                 and report, per failure, the time until every live member
 *                 suspects it ("detected") and until every live member has
 *                 declared it dead ("declared"): median and p99
 *   fp N LOSS S   N members, uniform UDP loss LOSS, S simulated seconds:
 *                 false failure declarations and suspicions of live members
 *   bw N S        N members, S simulated seconds of steady state: bytes put on
 *                 the wire (UDP + TCP) per member per second
 *
 * Each command takes an optional last word "preseed": instead of N push-pull
 * joins through one seed, every member's table is filled at time 0 with the
 * converged cluster (all N alive at incarnation 1) by one push-pull request
 * frame built once and fed to each core (sim_preseed_all); the protocol then
 * runs unchanged from there. Without it, members join through node 0.
 *
 * Prints one line per run (with wall time and peak RSS); bench/gossip.sh runs
 * the standard set.
 */
#include "../tests/unit/gossip/sim.h"

#include <math.h>
#include <sys/resource.h>
#include <time.h>

static bool preseed; /* fill tables directly instead of joining (see above) */

struct obs {
	int target;		 /* member whose fate we time, -1 none */
	int suspected, declared; /* observers that saw it (first time) */
	uint64_t t_all_suspect, t_all_dead;
	bool *seen_s, *seen_d;
	uint64_t false_fail, suspect_live;
};

static void on_event(struct sim *s, int observer, enum memberlist_event ev,
		     const struct memberlist_node *n)
{
	struct obs *o = s->user;
	int subj = atoi(n->name + 1);
	bool live = s->nodes[subj].ml != NULL;
	if (ev == MEMBERLIST_FAIL && live)
		o->false_fail++;
	if (ev == MEMBERLIST_SUSPECT && live)
		o->suspect_live++;
	if (subj != o->target)
		return;
	if ((ev == MEMBERLIST_SUSPECT || ev == MEMBERLIST_FAIL) && !o->seen_s[observer]) {
		o->seen_s[observer] = true;
		if (++o->suspected == sim_running(s))
			o->t_all_suspect = s->now;
	}
	if (ev == MEMBERLIST_FAIL && !o->seen_d[observer]) {
		o->seen_d[observer] = true;
		if (++o->declared == sim_running(s))
			o->t_all_dead = s->now;
	}
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct(uint64_t *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	int i = (int)(p * (n - 1) + 0.5);
	return (double)v[i] / 1000.0;
}

static void setup(struct sim *s, struct obs *o, int n, uint64_t seed)
{
	memset(o, 0, sizeof(*o));
	o->target = -1;
	o->seen_s = calloc((size_t)n, 1);
	o->seen_d = calloc((size_t)n, 1);
	sim_init(s, n, seed, NULL);
	s->user = o;
	s->on_event = on_event;
	if (preseed) {
		/* a converged cluster as joins leave it; the JOIN notifications
		 * this raises are not failures, on_event only counts FAIL/SUSPECT */
		sim_preseed_all(s);
		if (!sim_converged(s, NULL))
			fprintf(stderr, "warning: pre-seeded cluster not converged\n");
		return;
	}
	/* joins spread over n ms through node 0, as a rolling start would */
	sim_join_all(s, (uint64_t)n);
	if (!sim_run_while_not(s, s->now + 120000, 500, sim_converged, NULL))
		fprintf(stderr, "warning: not converged after 120 s\n");
}

/* Peak resident set of this process, MB. */
static double peak_mb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

/* Broadcasts still queued over all running members. */
static size_t queued(const struct sim *s)
{
	size_t q = 0;
	for (int i = 0; i < s->n; i++)
		if (s->nodes[i].ml)
			q += memberlist_queue_len(s->nodes[i].ml);
	return q;
}

static void detect(int n, int k)
{
	struct sim s;
	struct obs o;
	double w0 = wall();
	setup(&s, &o, n, 7);
	uint64_t conv = s.now;
	double wsetup = wall() - w0;
	size_t backlog = queued(&s);
	uint64_t *sus = calloc((size_t)k, sizeof(uint64_t)),
		 *dead = calloc((size_t)k, sizeof(uint64_t));
	for (int f = 0; f < k; f++) {
		int victim = 1 + (int)(sim_splitmix(&s.rng) % (uint64_t)(n - 1));
		while (!s.nodes[victim].ml)
			victim = 1 + (victim % (n - 1));
		memset(o.seen_s, 0, (size_t)n);
		memset(o.seen_d, 0, (size_t)n);
		o.suspected = o.declared = 0;
		o.t_all_suspect = o.t_all_dead = 0;
		sim_kill(&s, victim);
		o.target = victim;
		uint64_t t0 = s.now;
		while (!o.t_all_dead && s.now < t0 + 120000)
			sim_run_for(&s, 100);
		sus[f] = o.t_all_suspect ? o.t_all_suspect - t0 : 120000;
		dead[f] = o.t_all_dead ? o.t_all_dead - t0 : 120000;
		o.target = -1;
		uint64_t next = t0 + 60000;
		if (s.now < next)
			sim_run_until(&s, next);
	}
	printf("detect N=%d failures=%d: all-suspect median %.2fs p99 %.2fs; all-dead median "
	       "%.2fs p99 %.2fs; false failures %llu (%s in %.1fs sim, %zu broadcasts queued; "
	       "wall %.1fs, setup %.1fs; peak RSS %.0f MB)\n",
	       n, k, pct(sus, k, 0.5), pct(sus, k, 0.99), pct(dead, k, 0.5), pct(dead, k, 0.99),
	       (unsigned long long)o.false_fail, preseed ? "pre-seeded" : "join converged",
	       (double)conv / 1000.0, backlog, wall() - w0, wsetup, peak_mb());
	free(sus);
	free(dead);
	free(o.seen_s);
	free(o.seen_d);
	sim_free(&s);
}

static void falsepos(int n, double loss, int secs)
{
	struct sim s;
	struct obs o;
	double w0 = wall();
	setup(&s, &o, n, 11);
	o.false_fail = o.suspect_live = 0;
	s.loss = loss;
	sim_run_for(&s, (uint64_t)secs * 1000);
	uint64_t probes = 0;
	for (int i = 0; i < n; i++)
		probes += memberlist_stats(s.nodes[i].ml)->probes;
	printf("fp N=%d loss=%.0f%% %ds: false failure declarations %llu, suspicions of live "
	       "members %llu (%llu probes; %swall %.1fs; peak RSS %.0f MB)\n",
	       n, loss * 100, secs, (unsigned long long)o.false_fail,
	       (unsigned long long)o.suspect_live, (unsigned long long)probes,
	       preseed ? "pre-seeded; " : "", wall() - w0, peak_mb());
	free(o.seen_s);
	free(o.seen_d);
	sim_free(&s);
}

static void bandwidth(int n, int secs)
{
	struct sim s;
	struct obs o;
	double w0 = wall();
	setup(&s, &o, n, 13);
	sim_run_for(&s, 60000); /* let the join traffic settle */
	/* pre-seeded tables start with every member's alive queued everywhere:
	 * measure only once that backlog has drained, as after joins */
	uint64_t settle0 = s.now;
	while (preseed && queued(&s) && s.now < settle0 + 600000)
		sim_run_for(&s, 1000);
	size_t backlog = queued(&s);
	uint64_t b0 = 0, b1 = 0, u0 = 0, u1 = 0;
	uint64_t b_t0 = s.now;
	for (int i = 0; i < n; i++) {
		b0 += s.nodes[i].bytes_out;
		u0 += memberlist_stats(s.nodes[i].ml)->packet_bytes_sent;
	}
	sim_run_for(&s, (uint64_t)secs * 1000);
	for (int i = 0; i < n; i++) {
		b1 += s.nodes[i].bytes_out;
		u1 += memberlist_stats(s.nodes[i].ml)->packet_bytes_sent;
	}
	double per = (double)(b1 - b0) / n / secs, udp = (double)(u1 - u0) / n / secs;
	printf("bw N=%d %ds steady: %.0f B/s per member sent (UDP %.0f, TCP push-pull %.0f; "
	       "push-pull every %.0fs; %smeasured from %.0fs sim, %zu broadcasts queued then; "
	       "wall %.1fs; peak RSS %.0f MB)\n",
	       n, secs, per, udp, per - udp, 30.0 * (n <= 32 ? 1 : (int)(log2(n) - 5 + 0.999) + 1),
	       preseed ? "pre-seeded; " : "", (double)b_t0 / 1000.0, backlog, wall() - w0,
	       peak_mb());
	free(o.seen_s);
	free(o.seen_d);
	sim_free(&s);
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[argc - 1], "preseed")) {
		preseed = true;
		argc--;
	}
	if (argc >= 4 && !strcmp(argv[1], "detect"))
		detect(atoi(argv[2]), atoi(argv[3]));
	else if (argc >= 5 && !strcmp(argv[1], "fp"))
		falsepos(atoi(argv[2]), atof(argv[3]), atoi(argv[4]));
	else if (argc >= 4 && !strcmp(argv[1], "bw"))
		bandwidth(atoi(argv[2]), atoi(argv[3]));
	else {
		fprintf(stderr, "usage: %s detect N K | fp N LOSS SECS | bw N SECS  [preseed]\n",
			argv[0]);
		return 2;
	}
	return 0;
}
