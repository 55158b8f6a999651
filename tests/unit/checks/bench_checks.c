/*
 * bench_checks: CPU and memory of many running checks on one loop.
 *
 *   bench_checks MODE N SECONDS [PORT] [INTERVAL_S]
 *
 *   ttl   N TTL checks (TTL 30 s), each updated (pass) once every INTERVAL
 *         seconds by a driver timer, as applications do through the API
 *   tcp   N TCP checks against 127.0.0.1:PORT every INTERVAL seconds
 *   http  N HTTP checks of http://127.0.0.1:PORT/ every INTERVAL seconds
 *   udp   N UDP checks of 127.0.0.1:PORT (nothing listening: ICMP refusals)
 *
 * INTERVAL defaults to 10. The server for tcp/http runs in another process
 * (build/bench_hello PORT), so the figures are the checks' own. Prints the
 * RSS before and after creating the checks, the probes completed, and the
 * process CPU time (user+sys) over the run as a share of one core.
 *
 * Not a CTest (the name does not start with test_); build it against a
 * release build of the library:
 *
 *   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=RelWithDebInfo
 *   cmake --build build-rel --target cairn_checks
 *   cc -O2 -Isrc tests/unit/checks/bench_checks.c build-rel/libcairn_checks.a \
 *      build-rel/libcairn_config.a build-rel/libcairn_base.a \
 *      -lcurl -luv -ljansson -lcrypto -lm -o bench_checks
 */
#include "checks/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static struct check *checks;
static int n_checks, next_ttl, ttl_per_tick;
static uint64_t updates;

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void on_update(struct check *c, enum check_status st, const char *out, size_t len)
{
	updates++;
}

static void on_closed(struct check *c)
{
}

static void drive_ttl(uv_timer_t *t)
{
	for (int i = 0; i < ttl_per_tick; i++) {
		check_ttl_update(&checks[next_ttl], CHECK_PASSING, "ok");
		next_ttl = (next_ttl + 1) % n_checks;
	}
}

static void stop(uv_timer_t *t)
{
	uv_stop(t->loop);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s ttl|tcp|http|udp N SECONDS [PORT] [INTERVAL_S]\n",
			argv[0]);
		return 2;
	}
	const char *mode = argv[1];
	n_checks = atoi(argv[2]);
	int secs = atoi(argv[3]), port = argc > 4 ? atoi(argv[4]) : 8080;
	int interval = argc > 5 ? atoi(argv[5]) : 10;
	uv_loop_t *loop = uv_default_loop();
	struct check_runtime rt;
	struct check_runtime_opts o = {.node_name = "bench"};
	check_runtime_init(&rt, loop, &o);
	long rss0 = rss_kb();
	checks = calloc((size_t)n_checks, sizeof(*checks));
	for (int i = 0; i < n_checks; i++) {
		char json[256];
		if (!strcmp(mode, "ttl"))
			snprintf(json, sizeof(json), "{\"id\":\"c%d\",\"ttl\":\"30s\"}", i);
		else if (!strcmp(mode, "tcp"))
			snprintf(json, sizeof(json),
				 "{\"id\":\"c%d\",\"tcp\":\"127.0.0.1:%d\",\"interval\":\"%ds\"}",
				 i, port, interval);
		else if (!strcmp(mode, "udp"))
			snprintf(json, sizeof(json),
				 "{\"id\":\"c%d\",\"udp\":\"127.0.0.1:%d\",\"interval\":\"%ds\"}",
				 i, port, interval);
		else
			snprintf(json, sizeof(json),
				 "{\"id\":\"c%d\",\"http\":\"http://127.0.0.1:%d/"
				 "\",\"interval\":\"%ds\"}",
				 i, port, interval);
		json_t *j = json_loads(json, 0, NULL);
		struct checkdef d;
		checkdef_parse(j, &d, NULL);
		json_decref(j);
		if (check_init(&rt, &checks[i], &d, on_update, NULL) || check_start(&checks[i]))
			return 1;
		checkdef_free(&d);
	}
	long rss1 = rss_kb();
	uv_timer_t driver, end;
	uv_timer_init(loop, &driver);
	uv_timer_init(loop, &end);
	if (!strcmp(mode, "ttl")) {
		/* N updates per INTERVAL, spread over 10 ms ticks */
		ttl_per_tick = n_checks / (interval * 100);
		if (ttl_per_tick < 1)
			ttl_per_tick = 1;
		uv_timer_start(&driver, drive_ttl, 10, 10);
	}
	uv_timer_start(&end, stop, (uint64_t)secs * 1000, 0);
	double c0 = cpu_s();
	uv_update_time(loop);
	uint64_t t0 = uv_now(loop);
	uv_run(loop, UV_RUN_DEFAULT);
	double cpu = cpu_s() - c0, wall = (double)(uv_now(loop) - t0) / 1000.0;
	uint64_t probes = 0, passing = 0;
	for (int i = 0; i < n_checks; i++) {
		probes += checks[i].runs;
		passing += check_get_status(&checks[i]) == CHECK_PASSING;
	}
	printf("mode=%s checks=%d interval=%ds wall=%.1fs\n", mode, n_checks, interval, wall);
	printf("rss_before=%ld kB rss_after_create=%ld kB per_check=%.0f B rss_end=%ld kB\n", rss0,
	       rss1, (double)(rss1 - rss0) * 1024.0 / n_checks, rss_kb());
	printf("probes=%llu (%.0f/s) ttl_updates=%d/tick reports=%llu passing_at_end=%llu\n",
	       (unsigned long long)probes, probes / wall, ttl_per_tick, (unsigned long long)updates,
	       (unsigned long long)passing);
	printf("cpu=%.2fs = %.1f%% of one core\n", cpu, 100.0 * cpu / wall);
	uv_close((uv_handle_t *)&driver, NULL);
	uv_close((uv_handle_t *)&end, NULL);
	for (int i = 0; i < n_checks; i++)
		check_close(&checks[i], on_closed);
	uv_run(loop, UV_RUN_DEFAULT);
	return 0;
}
