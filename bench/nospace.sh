#!/bin/bash
# bench/nospace.sh [RUNS]: the disk-full fallback, vfs against
# fuse-overlayfs, side by side in one run (interleaved, RUNS each, default
# 5): `envbox docker` with its data root on a full tmpfs starts over on the
# spare data root (ENVBOX_NO_SPACE_DRIVER picks the driver), from launch to
# "Envbox startup complete!", and the bytes the spare root then holds (du),
# for the same 3-layer image (about 30 MB of layers). Prints a table and
# writes it to bench/results/nospace.md (BENCH_NOSPACE_OUT). Needs root,
# dockerd, docker-registry, fuse-overlayfs and /dev/fuse, and an install of
# envbox (ENVBOX_PREFIX, default build/root). bench/run.sh runs it last.
set -eu -o pipefail
runs=${1:-${BENCH_RUNS:-5}}
here=$(cd "$(dirname "$0")/.." && pwd)
prefix=${ENVBOX_PREFIX:-$here/build/root}
out=${BENCH_NOSPACE_OUT:-$here/bench/results/nospace.md}
export ENVBOX_PREFIX=$prefix
PATH=$prefix/bin:$PATH
for tool in envbox dockerd docker-registry fuse-overlayfs jq; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 1; }
done

# shellcheck source=tests/lib/dockerd.bash
. "$here/tests/lib/dockerd.bash"
# shellcheck source=tests/lib/registry.bash
. "$here/tests/lib/registry.bash"
# shellcheck source=tests/lib/envbox.bash
. "$here/tests/lib/envbox.bash"
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"

W=$(mktemp -d /tmp/ebn-XXXXXX)
cleanup() {
	set +e
	[ -z "${EB_PID:-}" ] || envbox_stop >/dev/null 2>&1
	if [ -n "${EB_DIR:-}" ]; then
		umount -l "$EB_DIR/small" 2>/dev/null
		envbox_cleanup
	fi
	registry_stop
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck disable=SC2119 # an open registry
registry_start
"$here/tests/lib/image.sh" rootfs "$W/rootfs" --user coder:1000:1000:/home/coder >/dev/null
for i in 1 2 3; do
	mkdir -p "$W/layer$i"
	head -c 10000000 /dev/urandom >"$W/layer$i/data$i"
done
"$here/tests/lib/image.sh" push "http://$REGISTRY" bench/big:1 "$W/rootfs" "$W/layer1" "$W/layer2" "$W/layer3" >/dev/null
IMAGE=$REGISTRY/bench/big:1

# one DRIVER: one start on a full volume; appends ms and bytes.
one() {
	local driver=$1 t0 done_t
	envbox_env_dir
	export DOCKER_HOST
	mkdir -p "$EB_DIR/small"
	mount -t tmpfs -o size=64k tmpfs "$EB_DIR/small"
	head -c 1000000 /dev/zero >"$EB_DIR/small/fill" 2>/dev/null || true
	t0=$(now_ms)
	envbox_start CODER_INNER_IMAGE="$IMAGE" CODER_INNER_USERNAME=coder \
		ENVBOX_DATA_ROOT="$EB_DIR/small/docker" ENVBOX_NO_SPACE_DRIVER="$driver" >/dev/null
	grep -q "Storage driver on the spare data root: $driver" "$EB_OUT" ||
		{ echo "bench: $driver was not used" >&2; cat "$EB_OUT" >&2; exit 1; }
	done_t=$(jq -r 'select(.output == "Envbox startup complete!") | .time' "$EB_OUT")
	awk -v a="$t0" -v b="$(ts_ms "$done_t")" 'BEGIN { printf "%.0f\n", b - a }' >>"$W/$driver.ms"
	du -sxb "$EB_DIR/data.bak" | awk '{ print $1 }' >>"$W/$driver.bytes"
	envbox_stop >/dev/null || true
	umount -l "$EB_DIR/small"
	envbox_cleanup
}

for ((r = 0; r < runs; r++)); do
	for driver in vfs fuse-overlayfs; do
		echo "bench: nospace run $((r + 1))/$runs, $driver" >&2
		one "$driver"
	done
done

mb() { stats "$1" | awk '{ printf "%.1f (%.1f–%.1f)\n", $2 / 1e6, $1 / 1e6, $3 / 1e6 }'; }
{
	echo "# Disk-full fallback: vfs against fuse-overlayfs"
	echo
	echo "$(date -u +%Y-%m-%d), $(nproc) cores, $runs runs each, interleaved; medians (min–max)."
	echo "The same image: busybox rootfs plus three 10 MB layers."
	echo
	echo "| driver | launch to startup complete, ms | spare data root after, MB |"
	echo "|---|---|---|"
	echo "| vfs | $(cell "$W/vfs.ms") | $(mb "$W/vfs.bytes") |"
	echo "| fuse-overlayfs | $(cell "$W/fuse-overlayfs.ms") | $(mb "$W/fuse-overlayfs.bytes") |"
	echo "| fuse-overlayfs / vfs | $(ratio "$(med "$W/fuse-overlayfs.ms")" "$(med "$W/vfs.ms")") | $(ratio "$(med "$W/fuse-overlayfs.bytes")" "$(med "$W/vfs.bytes")") |"
} | tee "$out"
