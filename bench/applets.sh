#!/bin/bash
# bench/applets.sh [RUNS]: each applet's typical call in `envbox docker`,
# and one docker CLI call for comparison: wall time, user+sys CPU and peak
# RSS (wait4's rusage as /usr/bin/time reads it, with microseconds:
# bench/rusage.c; median of RUNS runs, default 7), instructions (callgrind,
# one run: repeatable where times are not), and the multi-call
# binary's size stripped. Prints a markdown table.
#
# The daemon-facing rows need a running dockerd in $DOCKER_HOST with
# BENCH_IMAGE present and BENCH_CONTAINER running (bench/run.sh calls this
# while its `envbox docker` is up); without DOCKER_HOST they are skipped.
#   ENVBOX_PREFIX   the install prefix (default: build/root)
#   BENCH_USER      the image's user (default coder)
set -u
runs=${1:-7}
here=$(cd "$(dirname "$0")/.." && pwd)
prefix=${ENVBOX_PREFIX:-$here/build/root}
PATH=$prefix/bin:$PATH
docker=${DOCKER_CLI:-/usr/bin/docker}
image=${BENCH_IMAGE:-}
ctr=${BENCH_CONTAINER:-}
user=${BENCH_USER:-coder}
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"

tmp=$(mktemp -d /tmp/ebb-applets-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
BENCH_TMP=${BENCH_TMP:-$tmp}
export DOCKER_CONFIG=$tmp/docker-config # the CLI reads no user's config
mkdir -p "$DOCKER_CONFIG" "$tmp/src/home" "$tmp/src/data" "$tmp/dev"
export ENVBOX_LOG_FORMAT=json CODER_DOCKER_CONFIG=$tmp/none
export CODER_INNER_IMAGE=${image:-registry.example:5000/team/ws:v1} CODER_INNER_USERNAME=$user
secret=$(printf '{"auths":{"%s":{"auth":"%s"}}}' "${CODER_INNER_IMAGE%%/*}" "$(printf 'bench:not-a-secret' | base64)")
printf 'bind %s /home/coder rw\nbind %s /data ro\n' "$tmp/src/home" "$tmp/src/data" >"$tmp/binds"

# row LABEL CMD...: measures CMD; a row whose command fails says so.
row() {
	local label=$1 ins
	shift
	if ! "$@" >/dev/null 2>"$tmp/err" <"${T_STDIN:-/dev/null}"; then
		printf '| %s | failed: %s | | | |\n' "$label" "$(head -c 120 "$tmp/err" | tr '\n|' '  ')"
		return
	fi
	measure "$runs" "$tmp/m" "$@"
	ins=$(instructions "$@")
	printf '| %s | %s | %s | %s | %s |\n' "$label" "$(cell1 "$tmp/m.wall")" "$(cell1 "$tmp/m.cpu")" \
		"$(awk -v k="$(med "$tmp/m.rss")" 'BEGIN { printf "%.1f", k / 1024 }')" "$(human "$ins")"
}

echo "| call | wall ms | user+sys ms | peak RSS MiB | instructions |"
echo "|---|---|---|---|---|"
row "envbox-docker config" envbox-docker config
row "envbox-docker log info MSG" envbox-docker log info "Creating workspace..."
row "envbox-docker dockerd-args" envbox-docker dockerd-args
row "envbox-auth --image (pull secret)" env CODER_IMAGE_PULL_SECRET="$secret" envbox-auth --image "$CODER_INNER_IMAGE"
row "envbox-mounts parse (2 mounts)" envbox-mounts parse "/tmp/a:/home/coder,/tmp/b:/data:ro"
T_STDIN=$tmp/binds row "envbox-mounts prepare (2 binds)" \
	envbox-mounts prepare --uid 1000 --gid 1000 --home /home/coder --offset 100000
row "envbox-gpu-scan (host /usr/lib, no GPU)" envbox-gpu-scan --usr-lib-dir /usr/lib --dev-root "$tmp/dev" --inner-usr-lib-dir /usr/lib
row "envbox-xid probe /tmp" envbox-xid probe /tmp
if [ -n "${DOCKER_HOST:-}" ] && [ -n "$image" ] && [ -n "$ctr" ]; then
	row "envbox-wait docker" envbox-wait docker --timeout 10
	row "envbox-docker pull (up to date)" envbox-docker pull "$image"
	row "envbox-docker probe" envbox-docker probe "$image" "$user"
	row "envbox-docker exec CTR -- true" envbox-docker exec "$ctr" -- true
	row "envbox-docker api GET /version" envbox-docker api GET /version
	row "docker version (CLI)" "$docker" version
	row "envbox-docker api GET /containers/CTR/json" envbox-docker api GET "/containers/$ctr/json"
	row "docker inspect CTR (CLI)" "$docker" inspect "$ctr"
	row "docker exec CTR true (CLI)" "$docker" exec "$ctr" true
fi
row "the shell: sh -c true" sh -c true
echo
echo "Instructions: callgrind, all of the call's processes. The Go CLI's include its"
echo "scheduler spinning while it waits for the daemon under valgrind (most in docker exec)."

bin=$(readlink -f "$prefix/bin/envbox-bin")
strip -o "$tmp/envbox-bin" "$bin"
echo
size=$(stat -c %s "$tmp/envbox-bin")
printf 'envbox-bin stripped: %s bytes (%s KiB; %s KiB unstripped), dynamically linked to %s.\n' \
	"$size" "$((size / 1024))" "$(($(stat -c %s "$bin") / 1024))" \
	"$(ldd "$bin" | awk '$1 ~ /^lib/ { sub(/\.so.*/, "", $1); printf "%s%s", s, $1; s = ", " }')"
printf 'For comparison, %s (Go, static): %s KiB.\n' "$docker" "$(($(stat -c %s "$(readlink -f "$docker")") / 1024))"
