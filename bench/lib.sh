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
