#!/bin/sh
# Gossip (SWIM/Lifeguard) in the deterministic simulation: failure detection
# time, false positives under loss, bandwidth. Builds bench_gossip if needed.
# Usage: bench/gossip.sh [build-dir]   (FULL=1 also runs N=5000: >15 CPU-min, ~6.5 GB; unfinished so far)
set -e
B=${1:-build}
cmake -S "$(dirname "$0")/.." -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$B" --target bench_gossip >/dev/null
G="$B/bench_gossip"
"$G" detect 100 10
"$G" detect 1000 10
"$G" fp 100 0.05 600
"$G" fp 100 0.10 600
"$G" bw 100 200
"$G" bw 1000 200
if [ -n "$FULL" ]; then
	# sampled: 3 failures instead of 10 (each N=5000 run holds 25M member records)
	"$G" detect 5000 3
fi
