#!/bin/bash
# bench/nesting.sh: the cost of nesting (docs/nesting.md), measured in the
# cgroup v2 test machine (tests/vm/vm.sh): the same `docker run --rm` (the
# busybox image, `true`, no network) by envbox's dockerd (one level up)
# and by the workspace's own dockerd (nested), interleaved, three of each,
# in one run of one machine. tests/vm/nesting.bats takes the samples (its
# "benchmark" test); this boots a machine with that suite alone, then
# prints the line and writes it to bench/results/nesting.md
# (BENCH_NESTING_OUT). Under TCG (no /dev/kvm here) the absolute times are
# some ten times a real node's; the ratio is the figure.
set -eu -o pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=${BENCH_NESTING_OUT:-$here/bench/results/nesting.md}
results=${VM_BUILD:-$here/build/vm}/results-v2
rm -f "$results/nesting-bench.txt"
VM_CGROUP=v2 "$here/tests/vm/vm.sh" test "$here/tests/vm/nesting.bats" >&2 ||
	echo "bench: the nesting suite failed (above); its figures may still be there" >&2
[ -s "$results/nesting-bench.txt" ] || { echo "bench: no figures in $results/nesting-bench.txt" >&2; exit 1; }
line=$(cat "$results/nesting-bench.txt")
up=$(echo "$line" | sed -n 's/.*one level up \([0-9]*\),.*/\1/p')
nested=$(echo "$line" | sed -n 's/.*nested \([0-9]*\);.*/\1/p')
ratio=$(awk -v a="$nested" -v b="$up" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }')
{
	echo "# Nesting: a nested docker run against one level up"
	echo
	echo "$(date -u +%Y-%m-%d), tests/vm/vm.sh (cgroup v2, qemu $(
		[ -c /dev/kvm ] && echo KVM || echo TCG), $(nproc) host cores)."
	echo
	echo "| docker run --rm busybox true, no network | median of 3 (ms) |"
	echo "|---|---|"
	echo "| envbox's dockerd (one level up) | $up |"
	echo "| the workspace's dockerd (nested) | $nested |"
	echo "| nested / one level up | $ratio |"
	echo
	echo "Raw: $line"
} | tee "$out"
