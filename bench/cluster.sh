#!/usr/bin/env bash
# cairn cluster benchmark (issue 6): three durable cairn servers and a client agent
# against a three-member etcd cluster on the same addresses, in one run, printed as
# ratios; then leader failover times over repeated kill -9 of the cairn leader.
#
#   bench/cluster.sh               (after make build)
#
# Environment:
#   BUILD=build      where cairn is
#   DURATION=5       seconds of each wrk measurement
#   ROUNDS=3         wrk rounds; each round measures every side once, in turn, and
#                    the best round of each side is reported (as bench/kv.sh)
#   KILLS=5          leader kills (median and max failover reported)
#   MULT=1           performance.raft_multiplier of the cairn servers (Consul's default
#                    is 5; issue 6's failover goal is for 1)
#   SERVERS="127.0.0.2 127.0.0.3 127.0.0.4"   the three server (and etcd member) addresses
#   CLIENT=127.0.0.5 the client agent's address
#   KEEP=1           keep the temp dir (data dirs, logs, raw wrk output) after the run
#
# Addresses (defaults; the script refuses to start if one of these ports is taken):
#   127.0.0.2-4  cairn servers s1-s3 (8300 RPC/Raft, 8301-8302 gossip, 8500 HTTP,
#                8600 DNS) and etcd members e1-e3 (2379 client, 2380 peer)
#   127.0.0.5    cairn client agent c1
# cairn servers: agent -server -bootstrap-expect 3 -data-dir <tmp> -retry-join <the
# other two> -retry-interval 500ms -config-file perf.json ({"performance":
# {"raft_multiplier": MULT}}); the client the same without -server/-bootstrap-expect,
# joining all three. etcd: default settings (fsync on, heartbeat 100 ms, election
# 1000 ms), PUT and GET through its v3 HTTP/JSON gateway, GET linearizable (default).
# Every process this script starts is stopped by PID on exit (trap); the temp dir
# (on disk, ${BENCH_TMPDIR:-/var/tmp}) is removed unless KEEP=1.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
DURATION=${DURATION:-5}
ROUNDS=${ROUNDS:-3}
WARMUP=2
KILLS=${KILLS:-5}
MULT=${MULT:-1}

CAIRN=$BUILD/cairn
read -r -a S_IP <<<"${SERVERS:-127.0.0.2 127.0.0.3 127.0.0.4}"
C_IP=${CLIENT:-127.0.0.5}

TMP=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/cairn-cluster.XXXXXX")
NAME=cluster.sh
. "$ROOT/bench/lib.sh"

# ---- helpers ----------------------------------------------------------------

now_us() { echo "${EPOCHREALTIME//[.,]/}"; }

# leader_of IP: what that agent's /v1/status/leader says ("" if no answer or none)
leader_of() { curl -s -m 1 "http://$1:8500/v1/status/leader" 2>/dev/null | tr -d '"'; }

# ip_index IP: 0-2 for a server address, nothing otherwise
ip_index() {
	local i
	for i in 0 1 2; do [ "${S_IP[$i]}" = "$1" ] && echo "$i"; done
}

SPID=() CPID= EPID=()

start_server() {
	local i=$1 j join=()
	for j in 0 1 2; do [ "$j" != "$i" ] && join+=(-retry-join "${S_IP[$j]}"); done
	mkdir -p "$TMP/s$((i + 1))"
	"$CAIRN" agent -server -bootstrap-expect 3 -data-dir "$TMP/s$((i + 1))" -node "s$((i + 1))" \
		-bind "${S_IP[$i]}" -client "${S_IP[$i]}" "${join[@]}" -retry-interval 500ms \
		-config-file "$TMP/perf.json" >>"$TMP/s$((i + 1)).log" 2>&1 &
	SPID[$i]=$!
	PIDS+=("$!")
}

start_client() {
	mkdir -p "$TMP/c1"
	"$CAIRN" agent -data-dir "$TMP/c1" -node c1 -bind $C_IP -client $C_IP \
		-retry-join "${S_IP[0]}" -retry-join "${S_IP[1]}" -retry-join "${S_IP[2]}" \
		-retry-interval 500ms -config-file "$TMP/perf.json" >>"$TMP/c1.log" 2>&1 &
	CPID=$!
	PIDS+=("$!")
}

# agreed IP...: the leader every given agent reports, if they all report the same one
agreed() {
	local ip l first=
	for ip in "$@"; do
		l=$(leader_of "$ip")
		[ -n "$l" ] || return 1
		[ -z "$first" ] && first=$l
		[ "$l" = "$first" ] || return 1
	done
	echo "$first"
}

# whole TIMEOUT_S MARK: every server and the client agree on one leader, every server
# lists three Raft peers, and a write of MARK through the leader is readable (stale,
# i.e. from its own store) on every server
whole() {
	local deadline=$((SECONDS + $1)) mark=$2 l ip ok
	while [ $SECONDS -lt "$deadline" ]; do
		if l=$(agreed "${S_IP[@]}" $C_IP); then
			ok=1
			for ip in "${S_IP[@]}"; do
				[ "$(curl -s -m 1 "http://$ip:8500/v1/status/peers" | grep -o 8300 | wc -l)" = 3 ] || ok=
			done
			if [ -n "$ok" ] && [ "$(http_code PUT "http://${l%:*}:8500/v1/kv/bench/mark" "$mark")" = 200 ]; then
				for ip in "${S_IP[@]}"; do
					for _ in $(seq 50); do
						[ "$(curl -s -m 1 "http://$ip:8500/v1/kv/bench/mark?raw&stale")" = "$mark" ] && break
						sleep 0.05
					done
					[ "$(curl -s -m 1 "http://$ip:8500/v1/kv/bench/mark?raw&stale")" = "$mark" ] || ok=
				done
				[ -n "$ok" ] && return 0
			fi
		fi
		sleep 0.1
	done
	return 1
}

# failover_time PID OLD_LEADER IP...: opens a keep-alive HTTP connection to each IP,
# kills PID with SIGKILL, then polls /v1/status/leader on every IP (~2 ms apart) until
# all name the same leader other than OLD_LEADER. Prints "MS NEW_LEADER KILL_TIME"
# (milliseconds from the kill; the kill's wall-clock time, UTC, for reading the agents'
# logs), or "timeout - KILL_TIME" after 30 s.
failover_time() {
	python3 - "$@" <<'PY'
import http.client, os, signal, sys, time
pid, old, ips = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
conns = {}
def leader(ip):
    for _ in (0, 1):
        c = conns.get(ip)
        if c is None:
            c = conns[ip] = http.client.HTTPConnection(ip, 8500, timeout=1)
        try:
            c.request("GET", "/v1/status/leader")
            r = c.getresponse()
            body = r.read().decode().strip().strip('"')
            return body if r.status == 200 else ""
        except Exception:
            c.close()
            conns.pop(ip, None)
    return ""
for ip in ips:
    leader(ip)
wall = time.strftime("%H:%M:%S", time.gmtime()) + ".%03d" % (time.time() % 1 * 1000)
t0 = time.monotonic()
os.kill(pid, signal.SIGKILL)
while time.monotonic() - t0 < 30:
    seen = [leader(ip) for ip in ips]
    if seen[0] and seen[0] != old and all(x == seen[0] for x in seen):
        print("%.0f %s %s" % ((time.monotonic() - t0) * 1000, seen[0], wall))
        sys.exit(0)
    time.sleep(0.002)
print("timeout - " + wall)
PY
}

# dead_procs: names of the cairn agents and etcd members started here that are gone
# (nothing here stops them before the end, so one that is gone crashed or was killed
# from outside; the run is then void)
dead_procs() {
	local i out=
	for i in 0 1 2; do
		[ -n "${SPID[$i]:-}" ] && ! kill -0 "${SPID[$i]}" 2>/dev/null && out+=" s$((i + 1))"
		[ -n "${EPID[$i]:-}" ] && ! kill -0 "${EPID[$i]}" 2>/dev/null && out+=" e$((i + 1))"
	done
	[ -n "$CPID" ] && ! kill -0 "$CPID" 2>/dev/null && out+=" c1"
	echo "${out# }"
}

# etcd_leader_ip: the address of the member that is etcd's leader
etcd_leader_ip() {
	local ip
	for ip in "${S_IP[@]}"; do
		curl -s -m 2 -X POST -d '{}' "http://$ip:2379/v3/maintenance/status" |
			jq -e '.header.member_id == .leader' >/dev/null 2>&1 && { echo "$ip"; return; }
	done
}


# ---- start ------------------------------------------------------------------

[ ${#S_IP[@]} = 3 ] || { log "cluster.sh: SERVERS needs three addresses"; exit 1; }
[ -x "$CAIRN" ] || { log "cluster.sh: $CAIRN missing: run make build"; exit 1; }
command -v etcd >/dev/null || { log "cluster.sh: etcd missing: run scripts/bootstrap bench"; exit 1; }
for t in wrk jq python3 curl; do command -v $t >/dev/null || { log "cluster.sh: needs $t"; exit 1; }; done
for ip in "${S_IP[@]}" $C_IP; do
	for port in 8300 8301 8302 8500 8600 2379 2380; do
		if port_busy "$ip" "$port"; then
			log "cluster.sh: $ip:$port is already in use; stop whatever listens there first"
			exit 1
		fi
	done
done

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
log "== $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
log "== load average at start: $LOAD_START; temp dir $TMP; raft_multiplier $MULT"
NOTES=()

printf '{"performance":{"raft_multiplier":%s}}\n' "$MULT" >"$TMP/perf.json"
T0=$SECONDS
for i in 0 1 2; do start_server "$i"; done
start_client

EC=
for i in 0 1 2; do EC+="${EC:+,}e$((i + 1))=http://${S_IP[$i]}:2380"; done
for i in 0 1 2; do
	ip=${S_IP[$i]}
	# Default durability: the WAL is fsynced before every commit is acknowledged.
	etcd --name "e$((i + 1))" --data-dir "$TMP/e$((i + 1))" \
		--listen-client-urls "http://$ip:2379" --advertise-client-urls "http://$ip:2379" \
		--listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
		--initial-cluster "$EC" --initial-cluster-state new --initial-cluster-token cairn-bench \
		--logger zap --log-level warn >"$TMP/e$((i + 1)).log" 2>&1 &
	EPID[$i]=$!
	PIDS+=("$!")
done

if ! whole 60 start; then
	log "cluster.sh: the cairn cluster did not come together within 60 s; leaders:"
	for ip in "${S_IP[@]}" $C_IP; do log "  $ip: $(leader_of "$ip")"; done
	for i in 1 2 3; do log "-- s$i.log:"; tail -15 "$TMP/s$i.log" >&2; done
	KEEP=1
	exit 1
fi
log "== cairn cluster whole after $((SECONDS - T0)) s: leader $(leader_of ${S_IP[0]})"
EL=
for _ in $(seq 100); do
	EL=$(etcd_leader_ip)
	[ -n "$EL" ] && [ "$(http_code POST "http://$EL:2379/v3/kv/put" '{"key":"YmVuY2gva2V5","value":"aGVsbG8="}')" = 200 ] && break
	EL=
	sleep 0.2
done
if [ -z "$EL" ]; then
	log "cluster.sh: etcd cluster has no leader or refuses writes; e1.log:"
	tail -15 "$TMP/e1.log" >&2
	KEEP=1
	exit 1
fi

CL=$(leader_of ${S_IP[0]})
CL=${CL%:*}
for ip in "${S_IP[@]}"; do [ "$ip" != "$CL" ] && { CF=$ip; break; }; done
for ip in "${S_IP[@]}"; do [ "$ip" != "$EL" ] && { EF=$ip; break; }; done
log "== cairn leader $CL, follower $CF, client $C_IP; etcd leader $EL, follower $EF"

if [ "$(http_code PUT "http://$CL:8500/v1/kv/bench/key" hello)" != 200 ]; then
	log "cluster.sh: PUT /v1/kv/bench/key on the cairn leader failed"
	exit 1
fi
for ip in "$CL" "$CF" $C_IP; do
	c=$(http_code GET "http://$ip:8500/v1/kv/bench/key")
	[ "$c" = 200 ] || NOTES+=("GET /v1/kv/bench/key on $ip answered $c before the run")
done

# ---- throughput ---------------------------------------------------------------

PUT_CAIRN_LUA=$ROOT/bench/put_cairn.lua
PUT_ETCD_LUA=$ROOT/bench/put_etcd.lua
GET_ETCD_LUA=$ROOT/bench/get_etcd.lua
CP="${SPID[*]} $CPID"
EP="${EPID[*]}"
# side: name url lua pids
SIDES=(
	"cairn-put-leader|http://$CL:8500|$PUT_CAIRN_LUA|$CP"
	"etcd-put-leader|http://$EL:2379|$PUT_ETCD_LUA|$EP"
	"cairn-put-follower|http://$CF:8500|$PUT_CAIRN_LUA|$CP"
	"etcd-put-follower|http://$EF:2379|$PUT_ETCD_LUA|$EP"
	"cairn-put-client|http://$C_IP:8500|$PUT_CAIRN_LUA|$CP"
	"cairn-get-leader|http://$CL:8500/v1/kv/bench/key||$CP"
	"etcd-get-leader|http://$EL:2379|$GET_ETCD_LUA|$EP"
	"cairn-get-follower|http://$CF:8500/v1/kv/bench/key||$CP"
	"etcd-get-follower|http://$EF:2379|$GET_ETCD_LUA|$EP"
	"cairn-get-client|http://$C_IP:8500/v1/kv/bench/key||$CP"
)
declare -A RES
log "== warm-up (${WARMUP} s each)"
for s in "${SIDES[@]}"; do
	IFS='|' read -r n u l p <<<"$s"
	w=$(wrk_once "warm-$n" $WARMUP "$u" "$l" "$p")
	log "warm-up $n: $w"
done
: >"$TMP/eff.txt"
VOID=
for r in $(seq "$ROUNDS"); do
	line=
	for s in "${SIDES[@]}"; do
		IFS='|' read -r n u l p <<<"$s"
		v=$(wrk_once "$n-$r" "$DURATION" "$u" "$l" "$p")
		d=$(dead_procs)
		if [ -n "$d" ]; then
			VOID="$d exited during $n round $r"
			break
		fi
		RES[$n]="${RES[$n]:-}${RES[$n]:+ }$v"
		line+=" $n $v"
	done
	log "round $r:$line  (load $(cut -d' ' -f1 /proc/loadavg))"
	[ -n "$VOID" ] && break
done
if [ -n "$VOID" ]; then
	log "cluster.sh: RUN VOID: $VOID (not stopped by this script); last lines of their logs:"
	for f in $(dead_procs); do log "-- $f.log:"; tail -5 "$TMP/$f.log" >&2; done
	NOTES+=("RUN VOID: $VOID; figures after that are missing")
fi
declare -A BEST
for s in "${SIDES[@]}"; do
	n=${s%%|*}
	# shellcheck disable=SC2086
	BEST[$n]=$(best ${RES[$n]:-})
done
for f in cairn-put-leader-1 cairn-put-follower-1 cairn-get-follower-1 cairn-get-client-1; do
	[ -f "$TMP/wrk-$f.txt" ] && { log "-- wrk $f:"; sed -n '/Latency Distribution/,/^Requests/p' "$TMP/wrk-$f.txt" >&2; }
done

l=$(leader_of "$CF")
[ "${l%:*}" = "$CL" ] || NOTES+=("the cairn leader changed during the throughput rounds ($CL -> ${l:-none}): see s*.log")
[ "$(etcd_leader_ip)" = "$EL" ] || NOTES+=("the etcd leader changed during the throughput rounds")
for i in 0 1 2; do stop_pid "${EPID[$i]}"; done
EPID=()

# ---- failover: kill -9 the cairn leader, KILLS times ----------------------------

FO=() FO_DETAIL=() WHOLE=()
[ -n "$VOID" ] && KILLS=0
for k in $(seq "$KILLS"); do
	d=$(dead_procs)
	if [ -n "$d" ]; then
		NOTES+=("RUN VOID: $d exited before kill $k (not stopped by this script)")
		break
	fi
	old=$(agreed "${S_IP[@]}") || { NOTES+=("kill $k: servers do not agree on a leader before the kill"); break; }
	i=$(ip_index "${old%:*}")
	rest=()
	for j in 0 1 2; do [ "$j" != "$i" ] && rest+=("${S_IP[$j]}"); done
	sleep 1
	# failover_time kills the leader itself once its keep-alive connections to the
	# survivors are open, so that neither a fork nor Python's start is in the figure
	read -r ms new t0 < <(failover_time "${SPID[$i]}" "$old" "${rest[@]}")
	wait "${SPID[$i]}" 2>/dev/null
	keep=()
	for p in "${PIDS[@]}"; do [ "$p" != "${SPID[$i]}" ] && keep+=("$p"); done
	PIDS=("${keep[@]}")
	if ! isnum "${ms:-}"; then
		FO+=(bad)
		NOTES+=("kill $k: no new leader agreed on within 30 s after killing s$((i + 1))")
		log "kill $k: s$((i + 1)) ($old) killed; no new leader within 30 s"
		break
	fi
	FO+=("$ms")
	t2=$(now_us)
	start_server "$i"
	if whole 60 "kill$k"; then
		WHOLE+=("$(awk -v d="$(($(now_us) - t2))" 'BEGIN {printf "%.1f", d / 1e6}')")
	else
		NOTES+=("kill $k: the cluster was not whole again within 60 s of restarting s$((i + 1))")
		WHOLE+=(bad)
	fi
	FO_DETAIL+=("s$((i + 1))->s$(($(ip_index "${new%:*}") + 1)) ${ms}ms")
	log "kill $k: s$((i + 1)) ($old) killed at $t0 UTC; $new agreed by the other two after $ms ms; whole again ${WHOLE[*]: -1} s after restart"
	[ "${WHOLE[*]: -1}" = bad ] && break
done
FO_MED=n/a FO_MAX=n/a
if [ ${#FO[@]} -gt 0 ]; then
	if printf '%s\n' "${FO[@]}" | grep -qv '^[0-9]*$'; then
		FO_MED=bad FO_MAX=bad
	else
		FO_MED=$(printf '%s\n' "${FO[@]}" | sort -n | awk '{a[NR] = $1} END {print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
		FO_MAX=$(printf '%s\n' "${FO[@]}" | sort -n | tail -1)
	fi
	[ ${#FO[@]} -lt "$KILLS" ] && FO_MED="bad:${#FO[@]}-of-$KILLS"
fi

# ---- table --------------------------------------------------------------------

# wider columns than lib.sh's default for the peer names; goals name etcd
ROW_FMT='%-42s %9s  %-20s %7s  %-14s %s\n' ROW_PEER=etcd
echo
echo "cairn cluster benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores; 3 servers + 1 client" \
	"agent (raft_multiplier $MULT) vs etcd $(etcd --version | awk '/^etcd Version/ {print $3}') x3;" \
	"wrk -t2 -c64, best of $ROUNDS x ${DURATION}s"
[ -n "$VOID" ] && echo "RUN VOID ($VOID, not stopped by this script): the figures below are incomplete"
# shellcheck disable=SC2059
printf "$ROW_FMT" measure cairn peer ratio goal result
printf '%.0s-' {1..108}
echo
row "KV PUT via leader, req/s (fsync)" "${BEST[cairn-put-leader]:-n/a}" "etcd-leader" "${BEST[etcd-put-leader]:-n/a}" ratio_ge 1.5
row "KV PUT via follower, req/s" "${BEST[cairn-put-follower]:-n/a}" "etcd-follower" "${BEST[etcd-put-follower]:-n/a}" ratio_ge 1.5
row "KV PUT via client agent, req/s" "${BEST[cairn-put-client]:-n/a}" "etcd-follower" "${BEST[etcd-put-follower]:-n/a}" ratio_ge 1.5
row "KV GET via leader, req/s (default)" "${BEST[cairn-get-leader]:-n/a}" "etcd-leader" "${BEST[etcd-get-leader]:-n/a}" ratio_ge 5
row "KV GET via follower, req/s" "${BEST[cairn-get-follower]:-n/a}" "etcd-follower" "${BEST[etcd-get-follower]:-n/a}" ratio_ge 5
row "KV GET via client agent, req/s" "${BEST[cairn-get-client]:-n/a}" "etcd-follower" "${BEST[etcd-get-follower]:-n/a}" ratio_ge 5
row "  PUT via leader, per cluster CPU-second" "$(eff cairn-put-leader)" "etcd-leader" "$(eff etcd-put-leader)" ratio_ge 1.5 info
row "  GET via leader, per cluster CPU-second" "$(eff cairn-get-leader)" "etcd-leader" "$(eff etcd-get-leader)" ratio_ge 5 info
row "leader failover, ms (median of $KILLS kills)" "$FO_MED" - - lt 2000
row "  leader failover, ms (max)" "$FO_MAX" - - lt 2000 info
for s in "${SIDES[@]}"; do
	n=${s%%|*}
	printf 'rounds %-18s %s   (per CPU-s best %s)\n' "$n:" "${RES[$n]:-none}" "$(eff "$n")"
done
echo "failover, each kill: ${FO_DETAIL[*]:-none}; whole again after restart (s): ${WHOLE[*]:-none}"
for n in "${NOTES[@]}"; do echo "note: $n"; done
echo "load average: $LOAD_START at start, $(cut -d' ' -f1-3 /proc/loadavg) at end (other work on the machine skews every figure)"
echo "$FAILS of 7 goals missed"
exit 0
