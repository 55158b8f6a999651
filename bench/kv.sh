#!/usr/bin/env bash
# cairn KV benchmark: cairn against peers measured in the same run, printed as ratios.
#
#   bench/kv.sh                    (or `make bench`, which builds and bootstraps first)
#
# Environment:
#   BUILD=build      where cairn and bench_hello are (bench_blockers is compiled here)
#   DURATION=5       seconds of each wrk measurement
#   ROUNDS=3         wrk rounds; each round measures every side once, in turn, and the
#                    best round of each side is reported (see "Noise" in docs/benchmarks.md)
#   BLOCKERS=10000   parked blocking queries
#   RUNS=5           start-to-leader runs (median reported)
#   KEEP=1           keep the temp dir (data dirs, logs, raw wrk output) after the run
#
# Everything runs on loopback on its own addresses, so that agents others run on
# 127.0.0.x are not touched (the script refuses to start if one of these is taken):
#   127.0.77.2:8500  bench_hello            127.0.77.10  cairn -server -bootstrap (durable)
#   127.0.77.3:2379  etcd (peer port 2380)  127.0.77.11  cairn agent -dev
#   127.0.78.1-100   source addresses of the blocking-query client
# Every process this script starts is stopped by PID on exit (trap); the temp dir
# (on disk, ${BENCH_TMPDIR:-/var/tmp}) is removed unless KEEP=1.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
WARMUP=2
BLOCKERS=${BLOCKERS:-10000}
RUNS=${RUNS:-5}

CAIRN=$BUILD/cairn
HELLO=$BUILD/bench_hello
BLOCKERS_BIN=$BUILD/bench_blockers

A_HELLO=127.0.77.2
A_ETCD=127.0.77.3
A_CAIRN=127.0.77.10
A_DEV=127.0.77.11

TMP=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/cairn-bench.XXXXXX")
NAME=kv.sh
. "$ROOT/bench/lib.sh"




# 10k parked queries need 10k+ descriptors in cairn and in the client.
hard=$(ulimit -Hn)
want=$((BLOCKERS + 1024))
if [ "$hard" != unlimited ] && [ "$hard" -lt "$want" ]; then
	BLOCKERS=$((hard - 1024))
	log "kv.sh: fd hard limit $hard; blocking-query test reduced to $BLOCKERS"
fi
ulimit -n "$hard" 2>/dev/null || ulimit -n "$want"

# ---- helpers ----------------------------------------------------------------


# wait_ok URL TIMEOUT_S: until URL answers 200 with a body that is not empty or ""
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


# cpu_ns PID: CPU time the process has used so far, all threads (schedstat, ns)



# ---- start ------------------------------------------------------------------

for a in $A_HELLO:8500 $A_ETCD:2379 $A_ETCD:2380 $A_CAIRN:8500 $A_CAIRN:8300 $A_DEV:8500 $A_DEV:8300; do
	if port_busy "${a%:*}" "${a#*:}"; then
		log "kv.sh: $a is already in use; stop whatever listens there first"
		exit 1
	fi
done

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "== $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
log "== load average at start: $LOAD_START; temp dir $TMP"

if [ ! -x "$BLOCKERS_BIN" ] || [ "$ROOT/bench/blockers.c" -nt "$BLOCKERS_BIN" ]; then
	mkdir -p "$BUILD"
	cc -O2 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
		-o "$BLOCKERS_BIN" "$ROOT/bench/blockers.c" || log "kv.sh: cannot build bench_blockers"
fi

R_HELLO_GET=n/a R_CAIRN_GET=n/a R_CAIRN_PUT=n/a R_ETCD_PUT=n/a
R_DEV_RSS=n/a R_DEV_LEADER=n/a R_ETCD_RSS=n/a R_ETCD_LEADER=n/a
R_BLK_WAKE=n/a R_BLK_GROWTH=n/a R_BLK_CPU=n/a
NOTES=()

HELLO_PID= ETCD_PID= CAIRN_PID=
if [ -x "$HELLO" ]; then
	"$HELLO" $A_HELLO 8500 2>"$TMP/hello.log" &
	HELLO_PID=$!
	PIDS+=("$HELLO_PID")
	wait_ok "http://$A_HELLO:8500/" 5 || { NOTES+=("bench_hello did not start"); HELLO_PID=; }
else
	NOTES+=("$HELLO missing: run make build")
fi

ETCD_ARGS=(--name bench --listen-client-urls "http://$A_ETCD:2379"
	--advertise-client-urls "http://$A_ETCD:2379" --listen-peer-urls "http://$A_ETCD:2380"
	--initial-advertise-peer-urls "http://$A_ETCD:2380" --initial-cluster "bench=http://$A_ETCD:2380"
	--logger zap --log-level warn)
if command -v etcd >/dev/null; then
	# Default durability: the WAL is fsynced before every commit is acknowledged.
	etcd "${ETCD_ARGS[@]}" --data-dir "$TMP/etcd" >"$TMP/etcd.log" 2>&1 &
	ETCD_PID=$!
	PIDS+=("$ETCD_PID")
	if ! wait_ok "http://$A_ETCD:2379/health" 15 ||
		[ "$(http_code POST "http://$A_ETCD:2379/v3/kv/put" '{"key":"YmVuY2gva2V5","value":"aGVsbG8="}')" != 200 ]; then
		NOTES+=("etcd did not come up: see etcd.log")
		ETCD_PID=
	fi
else
	NOTES+=("etcd missing: run scripts/bootstrap bench")
fi

if [ -x "$CAIRN" ]; then
	mkdir -p "$TMP/cairn"
	"$CAIRN" agent -server -bootstrap -data-dir "$TMP/cairn" -node bench1 \
		-bind $A_CAIRN -client $A_CAIRN >"$TMP/cairn.log" 2>&1 &
	CAIRN_PID=$!
	PIDS+=("$CAIRN_PID")
	if ! wait_ok "http://$A_CAIRN:8500/v1/status/leader" 20; then
		NOTES+=("cairn server: no leader within 20 s (cairn.log below)")
		CAIRN_PID=
	elif [ "$(http_code PUT "http://$A_CAIRN:8500/v1/kv/bench/key" hello)" != 200 ] ||
		[ "$(http_code GET "http://$A_CAIRN:8500/v1/kv/bench/key")" != 200 ]; then
		NOTES+=("cairn server: PUT or GET /v1/kv/bench/key did not answer 200")
		CAIRN_PID=
	fi
	[ -z "$CAIRN_PID" ] && tail -20 "$TMP/cairn.log" >&2
else
	NOTES+=("$CAIRN missing: cairn figures are n/a")
fi

# ---- throughput: rounds of hello GET, cairn GET, etcd PUT, cairn PUT ---------

HELLO_URL=http://$A_HELLO:8500/v1/kv/bench/key
CGET_URL=http://$A_CAIRN:8500/v1/kv/bench/key
ETCD_URL=http://$A_ETCD:2379
CPUT_URL=http://$A_CAIRN:8500
PUT_CAIRN_LUA=$ROOT/bench/put_cairn.lua
PUT_ETCD_LUA=$ROOT/bench/put_etcd.lua

log "== warm-up (${WARMUP} s each)"
[ -n "$HELLO_PID" ] && wrk_once warm-hello $WARMUP "$HELLO_URL" "" "$HELLO_PID" >/dev/null
[ -n "$CAIRN_PID" ] && wrk_once warm-cairn-get $WARMUP "$CGET_URL" "" "$CAIRN_PID" >/dev/null
[ -n "$ETCD_PID" ] && wrk_once warm-etcd-put $WARMUP "$ETCD_URL" "$PUT_ETCD_LUA" "$ETCD_PID" >/dev/null
[ -n "$CAIRN_PID" ] && wrk_once warm-cairn-put $WARMUP "$CPUT_URL" "$PUT_CAIRN_LUA" "$CAIRN_PID" >/dev/null

hg=() cg=() ep=() cp=()
for r in $(seq "$ROUNDS"); do
	[ -n "$HELLO_PID" ] && hg+=("$(wrk_once hello-get-$r "$DURATION" "$HELLO_URL" "" "$HELLO_PID")")
	[ -n "$CAIRN_PID" ] && cg+=("$(wrk_once cairn-get-$r "$DURATION" "$CGET_URL" "" "$CAIRN_PID")")
	[ -n "$ETCD_PID" ] && ep+=("$(wrk_once etcd-put-$r "$DURATION" "$ETCD_URL" "$PUT_ETCD_LUA" "$ETCD_PID")")
	[ -n "$CAIRN_PID" ] && cp+=("$(wrk_once cairn-put-$r "$DURATION" "$CPUT_URL" "$PUT_CAIRN_LUA" "$CAIRN_PID")")
	log "round $r: hello GET ${hg[*]: -1} | cairn GET ${cg[*]: -1} | etcd PUT ${ep[*]: -1} | cairn PUT ${cp[*]: -1}  (load $(cut -d' ' -f1 /proc/loadavg))"
done
[ ${#hg[@]} -gt 0 ] && R_HELLO_GET=$(best "${hg[@]}")
[ ${#cg[@]} -gt 0 ] && R_CAIRN_GET=$(best "${cg[@]}")
[ ${#ep[@]} -gt 0 ] && R_ETCD_PUT=$(best "${ep[@]}")
[ ${#cp[@]} -gt 0 ] && R_CAIRN_PUT=$(best "${cp[@]}")
# best requests per server CPU-second over the measured rounds, per side
E_HELLO_GET=$(eff hello-get) E_CAIRN_GET=$(eff cairn-get) E_ETCD_PUT=$(eff etcd-put) E_CAIRN_PUT=$(eff cairn-put)
for f in cairn-get-1 cairn-put-1; do
	[ -f "$TMP/wrk-$f.txt" ] && { log "-- wrk $f:"; sed -n '/Latency Distribution/,/^Requests/p' "$TMP/wrk-$f.txt" >&2; }
done

# ---- 10k blocking queries on one key, woken by one PUT -----------------------

[ -n "$HELLO_PID" ] && stop_pid "$HELLO_PID"
[ -n "$ETCD_PID" ] && stop_pid "$ETCD_PID"
if [ -n "$CAIRN_PID" ] && [ -x "$BLOCKERS_BIN" ]; then
	if [ "$(http_code PUT "http://$A_CAIRN:8500/v1/kv/bench/block" start)" = 200 ]; then
		log "== $BLOCKERS blocking GETs on bench/block (100 per source address)"
		sleep 1
		"$BLOCKERS_BIN" -a $A_CAIRN -p 8500 -k bench/block -n "$BLOCKERS" -s 100 \
			-b 127.0.78.1 -P "$CAIRN_PID" -w 1000 -t 10000 >"$TMP/blockers.txt" 2>&1
		cat "$TMP/blockers.txt" >&2
		bv() { awk -F= -v k="$1" '$1 == k {print $2}' "$TMP/blockers.txt"; }
		if [ "$(bv parked)" = "$BLOCKERS" ] && [ "$(bv early)" = 0 ] && [ "$(bv errors)" = 0 ] &&
			[ "$(bv non200)" = 0 ] && [ "$(bv answered)" = "$BLOCKERS" ]; then
			R_BLK_WAKE=$(bv wake_all_ms)
		else
			R_BLK_WAKE=bad
			NOTES+=("blocking GETs: parked=$(bv parked) early=$(bv early) errors=$(bv errors) non200=$(bv non200) answered=$(bv answered) of $BLOCKERS")
		fi
		isnum "$(bv cpu_wake_ms)" && R_BLK_CPU=$(bv cpu_wake_ms)
		before=$(bv rss_before_kb) parked=$(bv rss_parked_kb)
		if isnum "$before" && isnum "$parked" && [ "$before" -gt 0 ]; then
			R_BLK_GROWTH=$(awk -v a="$before" -v b="$parked" 'BEGIN {printf "%.1f", (b - a) / 1024}')
		fi
	else
		NOTES+=("blocking GETs: PUT /v1/kv/bench/block failed")
	fi
fi
[ -n "$CAIRN_PID" ] && stop_pid "$CAIRN_PID"

# ---- start to leader and idle RSS: cairn -dev and etcd ----------------------

# startup NAME ADDR PORT PATH -- CMD...: sets S_LEADER (median ms) and S_RSS (median MB)
startup() {
	local name=$1 addr=$2 port=$3 path=$4 rss
	shift 5
	log "== $name: $RUNS starts"
	python3 "$ROOT/bench/startup.py" --runs "$RUNS" --addr "$addr" --port "$port" --path "$path" \
		--idle 1 --log "$TMP/$name-start.log" -- "$@" >"$TMP/$name-startup.txt"
	cat "$TMP/$name-startup.txt" >&2
	S_LEADER=$(awk -F= '/^leader_ms_median=/ {print $2}' "$TMP/$name-startup.txt")
	rss=$(awk -F= '/^rss_kb_median=/ {print $2}' "$TMP/$name-startup.txt")
	S_RSS=n/a
	isnum "$rss" && S_RSS=$(awk -v k="$rss" 'BEGIN {printf "%.1f", k / 1024}')
	[ -z "$S_LEADER" ] && S_LEADER=n/a
	return 0
}

if command -v etcd >/dev/null; then
	startup etcd $A_ETCD 2379 /health -- etcd "${ETCD_ARGS[@]}" --data-dir "$TMP/etcd-start{run}"
	R_ETCD_LEADER=$S_LEADER R_ETCD_RSS=$S_RSS
fi
if [ -x "$CAIRN" ]; then
	startup cairn-dev $A_DEV 8500 /v1/status/leader -- \
		"$CAIRN" agent -dev -node bench-dev -bind $A_DEV -client $A_DEV
	R_DEV_LEADER=$S_LEADER R_DEV_RSS=$S_RSS
	DEV_ALL=$(awk -F= '/^leader_ms=/ {print $2}' "$TMP/cairn-dev-startup.txt")
fi

# ---- table --------------------------------------------------------------------

echo
echo "cairn KV benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores;" \
	"wrk -t2 -c64, best of $ROUNDS x ${DURATION}s"
# shellcheck disable=SC2059
printf "$ROW_FMT" measure cairn peer ratio goal result
printf '%.0s-' {1..104}
echo
row "KV GET one key, req/s" "$R_CAIRN_GET" hello "$R_HELLO_GET" ratio_ge 0.7
row "  KV GET per server CPU-second" "$E_CAIRN_GET" hello "$E_HELLO_GET" ratio_ge 0.7 info
row "KV PUT 64 conns, req/s (fsync)" "$R_CAIRN_PUT" etcd "$R_ETCD_PUT" ratio_ge 2
row "  KV PUT per server CPU-second" "$E_CAIRN_PUT" etcd "$E_ETCD_PUT" ratio_ge 2 info
row "-dev idle RSS, MB" "$R_DEV_RSS" etcd "$R_ETCD_RSS" lt 8
row "-dev start to leader, ms (median of $RUNS)" "$R_DEV_LEADER" etcd "$R_ETCD_LEADER" lt 100
row "$BLOCKERS blocking GETs: wake all, ms" "$R_BLK_WAKE" - - le 1000
row "  cairn CPU time for that wake, ms" "$R_BLK_CPU" - - le 1000 info
row "$BLOCKERS blocking GETs: RSS growth, MB" "$R_BLK_GROWTH" - - lt 60
echo "rounds: hello GET ${hg[*]:-} | cairn GET ${cg[*]:-} | etcd PUT ${ep[*]:-} | cairn PUT ${cp[*]:-}"
[ -n "${DEV_ALL:-}" ] && echo "cairn -dev start to leader, each run (ms): $DEV_ALL"
for n in "${NOTES[@]}"; do echo "note: $n"; done
echo "load average: $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end (other work on the machine skews every figure)"
echo "$FAILS of 6 goals missed"
exit 0
