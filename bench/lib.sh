# bench/lib.sh: helpers the bench scripts share (sourced by bash).
# shellcheck shell=bash
#
#   now_ms                 wall-clock milliseconds, with microseconds, no fork
#   stats FILE             "min median max" of the numbers in FILE, one a line
#   med FILE               the median alone
#   cell FILE              "median (min–max)", rounded, for a table cell
#   ratio A B              A/B to two decimals ("-" when either is missing)
#   ratios FILE_A FILE_B   "median (min–max)" of the line-by-line ratios A/B
#   ts_ms RFC3339          a build-log or dockerd-log time in milliseconds
#   measure N PREFIX CMD...  wall, CPU and peak RSS of N runs (rusage.c)
#   instructions CMD...    callgrind's instruction count of CMD (all its
#                          processes), "-" when valgrind is missing
# Both read stdin from $T_STDIN (default /dev/null).

now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo "$((t / 1000)).$(printf '%03d' $((t % 1000)))"
}

stats() {
	sort -g "$1" | awk 'NF { v[++n] = $1 } END {
		if (!n) { print "- - -"; exit }
		printf "%g %g %g\n", v[1], v[int((n + 1) / 2)], v[n] }'
}

med() {
	stats "$1" | awk '{ print $2 }'
}

cell() {
	stats "$1" | awk '$1 == "-" { print "-"; exit }
		{ printf "%.0f (%.0f–%.0f)\n", $2, $1, $3 }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "" || b == "" || a == "-" || b == "-" || b + 0 == 0) print "-"
		else printf "%.2f\n", a / b }'
}

ratios() {
	paste "$1" "$2" | awk -F'\t' '$1 != "" && $2 != "" && $2 + 0 != 0 { print $1 / $2 }' >"$1.ratio"
	stats "$1.ratio" | awk '$1 == "-" { print "-"; exit }
		{ printf "%.2f (%.2f–%.2f)\n", $2, $1, $3 }'
}

# 2026-11-28T03:11:44.277249386Z (UTC, as envbox and dockerd write it).
ts_ms() {
	local s=${1%Z} frac
	frac=${s#*.}
	[ "$frac" != "$s" ] || frac=0
	frac=${frac}000
	echo "$(date -u -d "${s%.*}" +%s)${frac:0:3}"
}

# measure N PREFIX CMD...: N runs of CMD (bench/rusage.c, built on first
# use into $BENCH_TMP); writes wall ms, user+sys ms and peak RSS KiB, one a
# line, to PREFIX.wall, .cpu, .rss; non-zero when a run failed.
measure() {
	local n=$1 p=$2
	shift 2
	if [ ! -x "$BENCH_TMP/rusage" ]; then
		cc -O2 -o "$BENCH_TMP/rusage" "$(dirname "${BASH_SOURCE[0]}")/rusage.c" || return 1
	fi
	"$BENCH_TMP/rusage" "$n" "$@" >"$p.runs" || return 1
	awk '{ print $1 > p ".wall"; print $2 > p ".cpu"; print $3 > p ".rss"; if ($4) bad = 1 }
		END { exit bad }' p="$p" "$p.runs"
}

instructions() {
	command -v valgrind >/dev/null 2>&1 || { echo -; return; }
	# Go's preemption signals trip callgrind (the docker CLI): off.
	GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --trace-children=yes --callgrind-out-file=/dev/null \
		"$@" 2>&1 >/dev/null <"${T_STDIN:-/dev/null}" |
		awk '/Collected :/ { n += $NF } END { if (n) print n; else print "-" }'
}

# human N: 1234567 -> 1.23 M
human() {
	awk -v n="$1" 'BEGIN {
		if (n == "-" || n == "") { print "-"; exit }
		if (n >= 1e9) printf "%.2f G\n", n / 1e9
		else if (n >= 1e6) printf "%.2f M\n", n / 1e6
		else if (n >= 1e3) printf "%.1f k\n", n / 1e3
		else print n }'
}

# wait_no_envbox [SECONDS]: envbox docker owns docker0 and the bridge
# address; another one (a suite, a helper) must finish before ours starts.
wait_no_envbox() {
	local i
	for ((i = 0; i < ${1:-900}; i++)); do
		pgrep -f 'envbox docker' >/dev/null || return 0
		[ "$i" -ne 0 ] || echo "bench: waiting for another envbox docker to finish: $(pgrep -af 'envbox docker' | head -n 1)" >&2
		sleep 1
	done
	echo "bench: another envbox docker is still running after ${1:-900}s" >&2
	return 1
}

# cell1 FILE: "median (min–max)" with one decimal, for short times.
cell1() {
	stats "$1" | awk '$1 == "-" { print "-"; exit }
		{ printf "%.1f (%.1f–%.1f)\n", $2, $1, $3 }'
}
