#!/bin/bash
# bench/progress.sh [RUNS]: pull progress parsing. A recorded pull stream
# (tests/fixtures/progress/pull-ok.jsonl, its Downloading and Extracting
# lines repeated) of two lengths, 10x apart, is served by a stand-in dockerd
# (bench/fake-dockerd.py) to `envbox-docker pull`, which reads it through
# its real code path (docker_stream_lines -> progress_line -> the summary
# lines); and for comparison to the docker CLI's pull and to curl, which
# only reads the bytes. Prints a markdown table: MB/s and peak RSS (median
# of RUNS runs, default 7), instructions per byte (callgrind).
#   ENVBOX_PREFIX    the install prefix (default: build/root)
#   BENCH_STREAM_MB  the short stream's size in MB (default 4)
set -eu
runs=${1:-7}
here=$(cd "$(dirname "$0")/.." && pwd)
prefix=${ENVBOX_PREFIX:-$here/build/root}
PATH=$prefix/bin:$PATH
docker=${DOCKER_CLI:-/usr/bin/docker}
mb=${BENCH_STREAM_MB:-4}
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"

tmp=$(mktemp -d /tmp/ebb-progress-XXXXXX)
BENCH_TMP=${BENCH_TMP:-$tmp}
fake=
cleanup() {
	[ -z "$fake" ] || kill "$fake" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
export DOCKER_CONFIG=$tmp/docker-config
mkdir -p "$DOCKER_CONFIG"

# stream NAME BYTES: the fixture's opening lines (layers named), its
# Downloading and Extracting lines over and over up to BYTES, then the
# whole fixture from its first Downloading line (every layer completes,
# the final Status line comes).
stream() {
	awk -v want="$2" '
		{ line[NR] = $0 }
		/"status":"(Downloading|Extracting)"/ { if (!first) first = NR; rep[++n] = $0 }
		END {
			for (i = 1; i < first; i++) { print line[i]; size += length(line[i]) + 1 }
			for (i = 1; i <= NR; i++) if (i >= first) tail += length(line[i]) + 1
			for (k = 0; size + tail < want; k = k % n + 1) if (k) { print rep[k]; size += length(rep[k]) + 1 }
			for (i = first; i <= NR; i++) print line[i]
		}' "$here/tests/fixtures/progress/pull-ok.jsonl" >"$tmp/streams/$1.jsonl"
}
mkdir -p "$tmp/streams"
stream short $((mb * 1000000))
stream long $((mb * 10000000))
short_b=$(stat -c %s "$tmp/streams/short.jsonl")
long_b=$(stat -c %s "$tmp/streams/long.jsonl")

python3 "$here/bench/fake-dockerd.py" "$tmp/d.sock" "$tmp/streams" &
fake=$!
for _ in $(seq 100); do [ -S "$tmp/d.sock" ] && break; sleep 0.05; done
export DOCKER_HOST=unix://$tmp/d.sock

# row LABEL BYTES CMD...
row() {
	local label=$1 bytes=$2 ins
	shift 2
	measure "$runs" "$tmp/m" "$@" || { printf '| %s | failed | | | |\n' "$label"; return; }
	# Instructions for envbox's short run only: callgrind is slow, and the
	# Go CLI's counts include its scheduler spinning under valgrind.
	ins=-
	if [ "$bytes" = "$short_b" ] && [ "$1" = envbox-docker ]; then
		ins=$(instructions "$@")
	fi
	printf '| %s | %.1f | %s | %s | %s | %s |\n' "$label" "$(echo "$bytes" | awk '{ print $1 / 1e6 }')" \
		"$(awk -v b="$bytes" -v w="$(med "$tmp/m.wall")" 'BEGIN { printf "%.0f", b / 1e6 / (w / 1000) }')" \
		"$(cell1 "$tmp/m.wall")" "$(cell "$tmp/m.rss")" \
		"$(awk -v i="$ins" -v b="$bytes" 'BEGIN { if (i == "-") print "-"; else printf "%.1f", i / b }')"
	cp "$tmp/m.rss" "$tmp/rss.$label"
}

echo "| reader | stream MB | MB/s | wall ms | peak RSS KiB | instructions/byte |"
echo "|---|---|---|---|---|---|"
row "envbox-docker pull" "$short_b" envbox-docker pull bench/short:1
row "envbox-docker pull " "$long_b" envbox-docker pull bench/long:1
row "docker pull (CLI)" "$short_b" "$docker" pull bench/short:1
row "docker pull (CLI) " "$long_b" "$docker" pull bench/long:1
row "curl, bytes only" "$long_b" curl -sf -o /dev/null --unix-socket "$tmp/d.sock" -X POST \
	"http://docker/v1.41/images/create?fromImage=bench%2Flong&tag=1"
echo
grow=$(awk -v a="$(med "$tmp/rss.envbox-docker pull")" -v b="$(med "$tmp/rss.envbox-docker pull ")" \
	'BEGIN { printf "%+d", b - a }')
echo "envbox-docker pull's peak RSS from the ${mb} MB stream to the $((mb * 10)) MB one: ${grow} KiB."
