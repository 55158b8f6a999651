# shellcheck shell=bash
# Shared helpers of the bench/*.sh scripts (sourced, not run).
#
# The sourcing script sets TMP (its temp dir) and NAME (for messages) first.
# Every process a script starts goes into PIDS and is stopped by PID on exit
# (cleanup, installed as the EXIT trap here); TMP is removed unless KEEP=1.
# Raw output goes to stderr (log), tables to stdout.

PIDS=()

log() { printf '%s\n' "$*" >&2; }

# stop_pid PID: TERM, up to 5 s, then KILL; forget it.
stop_pid() {
	local pid=$1 i p keep=()
	if kill -TERM "$pid" 2>/dev/null; then
		for i in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	for p in "${PIDS[@]}"; do [ "$p" != "$pid" ] && keep+=("$p"); done
	PIDS=("${keep[@]}")
}

cleanup() {
	local p
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	if [ "${KEEP:-0}" = 1 ]; then log "$NAME: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

isnum() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }
port_busy() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
# cpu_ns PID: CPU time of all its threads, in ns
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
rss_mb() { awk '/^VmRSS:/ {printf "%.1f\n", $2 / 1024}' /proc/"$1"/status 2>/dev/null; }

# best V1 V2 ...: the highest, unless one round was bad (then that round's verdict)
best() {
	local v b=
	for v in "$@"; do
		isnum "$v" || { echo "$v"; return; }
		if [ -z "$b" ] || awk -v a="$v" -v b="$b" 'BEGIN {exit !(a > b)}'; then b=$v; fi
	done
	echo "${b:-n/a}"
}

# median V1 V2 ...: the middle value (the lower of the two middle ones for an even
# count); a run that was bad counts as the worst, and is printed if it is the median
median() {
	local v
	for v in "$@"; do
		if isnum "$v"; then echo "$v $v"; else echo "inf $v"; fi
	done | sort -g -k1,1 | awk '{v[NR] = $2} END {print NR ? v[int((NR + 1) / 2)] : "n/a"}'
}

# http_code METHOD URL [DATA]: the status code (000 if no answer)
http_code() {
	local data=()
	[ $# -ge 3 ] && data=(--data-binary "$3")
	curl -s -o /dev/null -w '%{http_code}' -m 2 -X "$1" "${data[@]}" "$2"
}

# wrk_rate FILE: the req/s in wrk's output, or "bad:<why>" when an answer was not
# 2xx or sockets failed (the rate would then be meaningless).
wrk_rate() {
	local rps non2xx errs
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$1")
	non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$1")
	errs=$(grep -o 'Socket errors:.*' "$1" | tr -cd '1-9')
	if [ -z "$rps" ]; then
		echo "bad:no-result"
	elif [ -n "$non2xx" ]; then
		echo "bad:${non2xx}-non-2xx"
	elif [ -n "$errs" ]; then
		echo "bad:socket-errors"
	else
		printf '%.0f\n' "$rps"
	fi
}

# wrk_once NAME SECONDS URL LUA "PIDS": wrk -t2 -c64, then wrk_rate. Also appends
# "NAME requests-per-CPU-second" to $TMP/eff.txt: requests over the CPU time all
# the given processes (all threads) used in the window, the measured side's own
# cost per request, which other load on the machine does not change much.
wrk_once() {
	local name=$1 secs=$2 url=$3 lua=$4 pids=$5 args=(-t2 -c64) out c0=0 c1=0 n p v
	[ -n "$lua" ] && args+=(-s "$lua")
	out=$TMP/wrk-$name.txt
	for p in $pids; do v=$(cpu_ns "$p"); c0=$((c0 + ${v:-0})); done
	wrk "${args[@]}" -d"${secs}s" --latency "$url" >"$out" 2>&1
	for p in $pids; do v=$(cpu_ns "$p"); c1=$((c1 + ${v:-0})); done
	n=$(awk '/requests in/ {print $1}' "$out")
	isnum "$n" && awk -v n="$n" -v c="$((c1 - c0))" -v k="$name" \
		'BEGIN {if (c > 0) printf "%s %.0f\n", k, n / (c / 1e9)}' >>"$TMP/eff.txt"
	wrk_rate "$out"
}

# eff PREFIX: the best requests per CPU-second wrk_once recorded for PREFIX-*
eff() { awk -v p="$1-" 'index($1, p) == 1 && $2 > b {b = $2} END {print b ? b : "n/a"}' "$TMP/eff.txt" 2>/dev/null || echo n/a; }

# row NAME CAIRN PEER_NAME PEER KIND GOAL [info]: one line of a cairn-vs-peer table,
# printed with ROW_FMT (six fields); a failed goal counts in FAILS unless info.
#   KIND ratio_ge: cairn/peer >= GOAL (named "GOALx ROW_PEER", default PEER_NAME);
#        lt/le: cairn < / <= GOAL (the ratio shown for information)
FAILS=0
ROW_FMT='%-40s %10s  %-16s %8s  %-14s %s\n'
row() {
	local name=$1 c=$2 pn=$3 p=$4 kind=$5 goal=$6 info=${7:-} ratio=- verdict=FAIL gtext
	if isnum "$c" && isnum "$p" && [ "$p" != 0 ]; then
		ratio=$(awk -v c="$c" -v p="$p" 'BEGIN {printf "%.2fx", c / p}')
	fi
	case $kind in
	ratio_ge)
		gtext=">= ${goal}x ${ROW_PEER:-$pn}"
		isnum "$c" && isnum "$p" && [ "$p" != 0 ] &&
			awk -v c="$c" -v p="$p" -v g="$goal" 'BEGIN {exit !(c / p >= g)}' && verdict=PASS
		;;
	lt)
		gtext="< $goal"
		isnum "$c" && awk -v c="$c" -v g="$goal" 'BEGIN {exit !(c < g)}' && verdict=PASS ;;
	le)
		gtext="<= $goal"
		isnum "$c" && awk -v c="$c" -v g="$goal" 'BEGIN {exit !(c <= g)}' && verdict=PASS ;;
	esac
	isnum "$c" || verdict="FAIL ($c)"
	if [ -n "$info" ]; then
		verdict="($verdict, info)"
	else
		[ "$verdict" = PASS ] || FAILS=$((FAILS + 1))
	fi
	# shellcheck disable=SC2059
	printf "$ROW_FMT" "$name" "$c" "$pn $p" "$ratio" "$gtext" "$verdict"
}
