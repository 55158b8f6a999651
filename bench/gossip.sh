#!/bin/sh
# Gossip (SWIM/Lifeguard) in the deterministic simulation: failure detection
# time, false positives under loss, bandwidth. Builds bench_gossip if needed.
# Usage: bench/gossip.sh [build-dir]
# FULL=1 adds the pre-seeded runs (tables filled directly instead of N joins
# through one seed; see "Gossip (simulation)" in docs/benchmarks.md):
# a few CPU-minutes and 2.3 GB peak. FULL=5000 adds N=5000 as well: 6.3 GB
# peak and about 5 CPU-minutes per run.
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
	# N=1000 again, pre-seeded, as a check against the joined run above;
	# then sampled: 3 failures instead of 10 (N^2 member records per run)
	"$G" detect 1000 10 preseed
	"$G" bw 1000 200 preseed
	"$G" detect 2000 3 preseed
	"$G" bw 2000 200 preseed
	"$G" detect 3000 3 preseed
fi
if [ "$FULL" = 5000 ]; then
	"$G" detect 5000 3 preseed
	"$G" bw 5000 200 preseed
fi
