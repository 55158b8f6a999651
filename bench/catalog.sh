#!/usr/bin/env bash
# cairn catalog benchmark: 10,000 services with TTL checks on one durable agent.
#
#   bench/catalog.sh               (after make build)
#
# Environment:
#   BUILD=build      where cairn is
#   SERVICES=10000   services registered, each with one TTL check
#   IDLE=30          seconds of each idle CPU measurement
#   TCP=1            also register SERVICES TCP checks (10 s interval) against a local
#                    listener and measure idle CPU with them (0 skips)
#   DURATION=5       seconds of each wrk run on /v1/health/service/web?passing
#   ROUNDS=3         wrk runs per instance count; the best is reported (the
#                    machine's noise, see "Noise" in docs/benchmarks.md)
#   KEEP=1           keep the temp dir (data dir, logs, raw wrk output)
#
# Addresses (refuses to start if taken): 127.0.79.10 cairn server (-server -bootstrap,
# durable), 127.0.79.2:9000 the TCP-check listener. Every process started here is
# stopped by PID on exit (trap); the temp dir under ${BENCH_TMPDIR:-/var/tmp} is removed
# unless KEEP=1. Raw output goes to stderr, the table to stdout; exits 0 either way.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
SERVICES=${SERVICES:-10000}
IDLE=${IDLE:-30}
TCP=${TCP:-1}
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
CAIRN=$BUILD/cairn
A=127.0.79.10
A_TCP=127.0.79.2
URL=http://$A:8500

TMP=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/cairn-catalog.XXXXXX")
NAME=catalog.sh
. "$ROOT/bench/lib.sh"
ulimit -n "$(ulimit -Hn)" 2>/dev/null

wait_ok() {
	local deadline=$((SECONDS + $2)) out
	while [ $SECONDS -lt "$deadline" ]; do
		out=$(curl -s -m 1 -w '\n%{http_code}' "$1" 2>/dev/null)
		if [ "${out##*$'\n'}" = 200 ]; then
			out=${out%$'\n'*}
			[ -n "$out" ] && [ "$out" != '""' ] && return 0
		fi
		sleep 0.05
	done
	return 1
}
# idle_cpu SECS: percent of one core the agent used over SECS seconds
idle_cpu() {
	local c0 c1
	c0=$(cpu_ns "$PID"); sleep "$1"; c1=$(cpu_ns "$PID")
	awk -v d="$((c1 - c0))" -v s="$1" 'BEGIN {printf "%.1f\n", d / (s * 1e9) * 100}'
}
# wrk_run NAME URL: req/s, or bad:<why> (wrk's output also to stderr)
wrk_run() {
	local out=$TMP/wrk-$1.txt
	wrk -t2 -c64 -d"${DURATION}s" --latency "$2" >"$out" 2>&1
	cat "$out" >&2
	wrk_rate "$out"
}

# wrk_best NAME URL: the best of ROUNDS wrk runs
wrk_best() {
	local r v=()
	for r in $(seq "$ROUNDS"); do v+=("$(wrk_run "$1-$r" "$2")"); done
	best "${v[@]}"
}

# Registration client: KIND FIRST COUNT; prints "ok=N bad=N secs=S".
cat >"$TMP/reg.py" <<'PY'
import json, sys, threading, time, http.client
url_host, kind, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tcp_target = sys.argv[5] if len(sys.argv) > 5 else ""
THREADS = 8
ok = [0] * THREADS; bad = [0] * THREADS
def body(i):
    if kind == "svc":
        return "/v1/agent/service/register", {"ID": "svc-%d" % i, "Name": "svc-%d" % i,
            "Tags": ["bench"], "Port": 10000 + i % 50000,
            "Check": {"CheckID": "svc-%d-ttl" % i, "Name": "ttl", "TTL": "30m"}}
    if kind == "web":
        return "/v1/agent/service/register", {"ID": "web-%d" % i, "Name": "web",
            "Port": 8000 + i, "Check": {"CheckID": "web-%d-ttl" % i, "TTL": "30m", "Status": "passing"}}
    return "/v1/agent/check/register", {"ID": "tcp-%d" % i, "Name": "tcp-%d" % i,
        "ServiceID": "svc-%d" % i, "TCP": tcp_target, "Interval": "10s", "Timeout": "2s"}
def worker(t):
    c = http.client.HTTPConnection(url_host, 8500, timeout=30)
    for i in range(first + t, first + count, THREADS):
        path, b = body(i)
        try:
            c.request("PUT", path, json.dumps(b), {"Content-Type": "application/json"})
            r = c.getresponse(); r.read()
            if r.status == 200: ok[t] += 1
            else:
                bad[t] += 1
                if bad[t] < 3: sys.stderr.write("%s %d %s\n" % (path, r.status, b))
        except Exception as e:
            bad[t] += 1; c.close()
            c = http.client.HTTPConnection(url_host, 8500, timeout=30)
t0 = time.monotonic()
ts = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
for t in ts: t.start()
for t in ts: t.join()
print("ok=%d bad=%d secs=%.3f" % (sum(ok), sum(bad), time.monotonic() - t0))
PY
# TCP-check target: accepts and closes.
cat >"$TMP/listen.py" <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(4096)
while True:
    c, _ = s.accept(); c.close()
PY
# count_synced PREFIX: services named PREFIX* in the catalog
count_synced() {
	curl -s -m 5 "$URL/v1/catalog/services" |
		python3 -c "import json,sys; print(sum(1 for k in json.load(sys.stdin) if k.startswith('$1')))" 2>/dev/null || echo 0
}
count_checks() {
	curl -s -m 10 "$URL/v1/health/state/any" |
		python3 -c "import json,sys; print(sum(1 for c in json.load(sys.stdin) if c['CheckID'].startswith('$1')))" 2>/dev/null || echo 0
}

for a in $A:8500 $A:8300 $A_TCP:9000; do
	if port_busy "${a%:*}" "${a#*:}"; then log "catalog.sh: $a is in use"; exit 1; fi
done
[ -x "$CAIRN" ] || { log "catalog.sh: $CAIRN missing: run make build"; exit 1; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "== $(nproc) cores, load average at start: $LOAD_START; temp dir $TMP"
R_REG=n/a R_RSS=n/a R_CPU_TTL=n/a R_CPU_TCP=n/a R_RSS_TCP=n/a R_WEB10=n/a R_WEB100=n/a R_SYNC=n/a
NOTES=()

mkdir -p "$TMP/data"
"$CAIRN" agent -server -bootstrap -data-dir "$TMP/data" -node n1 -bind $A -client $A \
	>"$TMP/cairn.log" 2>&1 &
PID=$!
PIDS+=("$PID")
if ! wait_ok "$URL/v1/status/leader" 20; then
	tail -20 "$TMP/cairn.log" >&2
	NOTES+=("cairn: no leader within 20 s")
	PID=
fi

if [ -n "$PID" ]; then
	log "== registering $SERVICES services with a TTL check (8 client threads)"
	RSS0=$(rss_mb "$PID")
	out=$(python3 "$TMP/reg.py" $A svc 0 "$SERVICES"); log "$out"
	ok=${out#ok=}; ok=${ok%% *}; secs=${out##*secs=}
	if [ "$ok" = "$SERVICES" ]; then
		R_REG=$(awk -v n="$ok" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')
	else
		R_REG="bad:$out"
	fi
	t0=$SECONDS n=0
	while [ $((SECONDS - t0)) -lt 120 ]; do
		n=$(count_synced svc-); [ "$n" -ge "$SERVICES" ] && break; sleep 1
	done
	log "catalog has $n svc-* services after $((SECONDS - t0)) s"
	[ "$n" -ge "$SERVICES" ] && R_SYNC=$((SECONDS - t0)) || NOTES+=("only $n of $SERVICES services in the catalog after 120 s")
	sleep 2
	R_RSS=$(rss_mb "$PID")
	log "RSS: $RSS0 MB empty, $R_RSS MB with $SERVICES services + TTL checks"
	log "== idle CPU over $IDLE s with $SERVICES TTL checks"
	R_CPU_TTL=$(idle_cpu "$IDLE")

	log "== web: 10 instances"
	python3 "$TMP/reg.py" $A web 0 10 >&2
	sleep 1
	curl -s "$URL/v1/health/service/web?passing" | python3 -c 'import json,sys; print("web passing:", len(json.load(sys.stdin)))' >&2
	wrk_run warm "$URL/v1/health/service/web?passing" >/dev/null
	R_WEB10=$(wrk_best web10 "$URL/v1/health/service/web?passing")
	log "== web: 100 instances"
	python3 "$TMP/reg.py" $A web 10 90 >&2
	sleep 1
	curl -s "$URL/v1/health/service/web?passing" | python3 -c 'import json,sys; print("web passing:", len(json.load(sys.stdin)))' >&2
	R_WEB100=$(wrk_best web100 "$URL/v1/health/service/web?passing")

	if [ "$TCP" = 1 ]; then
		python3 "$TMP/listen.py" $A_TCP 9000 &
		PIDS+=("$!")
		sleep 0.5
		log "== registering $SERVICES TCP checks (10 s interval) against $A_TCP:9000"
		python3 "$TMP/reg.py" $A tcp 0 "$SERVICES" "$A_TCP:9000" >&2
		sleep 12   # every check has run at least once (jittered start)
		log "tcp-* checks in health/state/any: $(count_checks tcp-)"
		log "== idle CPU over $IDLE s with $SERVICES TTL + $SERVICES TCP checks"
		R_CPU_TCP=$(idle_cpu "$IDLE")
		R_RSS_TCP=$(rss_mb "$PID")
		log "tcp-* checks passing: $(curl -s -m 10 "$URL/v1/health/state/passing" | python3 -c "import json,sys; print(sum(1 for c in json.load(sys.stdin) if c['CheckID'].startswith('tcp-')))")"
	fi
fi

FAILS=0 GOALS=0
row() {
	local name=$1 v=$2 kind=$3 goal=${4:-} verdict=FAIL gtext=-
	case $kind in
	lt) gtext="< $goal"; isnum "$v" && awk -v c="$v" -v g="$goal" 'BEGIN {exit !(c < g)}' && verdict=PASS ;;
	ge) gtext=">= $goal"; isnum "$v" && awk -v c="$v" -v g="$goal" 'BEGIN {exit !(c >= g)}' && verdict=PASS ;;
	info) verdict="(info)" ;;
	esac
	if [ "$kind" != info ]; then
		GOALS=$((GOALS + 1)); [ "$verdict" = PASS ] || FAILS=$((FAILS + 1))
	fi
	printf '%-52s %10s  %-10s %s\n' "$name" "$v" "$gtext" "$verdict"
}
echo
echo "cairn catalog benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores; durable server, wrk -t2 -c64, best of $ROUNDS x ${DURATION}s"
printf '%-52s %10s  %-10s %s\n' measure cairn goal result
printf '%.0s-' {1..84}; echo
row "register $SERVICES services+TTL checks, per s" "$R_REG" info
row "  seconds until all in /v1/catalog/services" "$R_SYNC" info
row "RSS with $SERVICES services + TTL checks, MB" "$R_RSS" lt 64
row "idle CPU, $SERVICES TTL checks, % of one core" "$R_CPU_TTL" info
if [ "$TCP" = 1 ]; then
	row "idle CPU, + $SERVICES TCP checks/10 s, % of a core" "$R_CPU_TCP" lt 20
	row "  RSS with the TCP checks too, MB" "$R_RSS_TCP" info
fi
row "health/service/web?passing, 10 inst, req/s" "$R_WEB10" ge 25000
row "health/service/web?passing, 100 inst, req/s" "$R_WEB100" info
for n in "${NOTES[@]}"; do echo "note: $n"; done
echo "load average: $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end"
echo "$FAILS of $GOALS goals missed"
exit 0
