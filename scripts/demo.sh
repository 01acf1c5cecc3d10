#!/bin/sh
# demo.sh: the main job, shown. Builds a small workspace image (busybox, a
# user "coder" with uid 1000, /etc/os-release), serves it from a local
# registry, runs `envbox docker` with it and a bootstrap script that prints a
# greeting, then shows `docker exec workspace_cvm id` and the greeting.
# Ctrl-C stops the workspace and cleans up. DEMO_ONCE=1 stops by itself once
# it has shown both (for tests). Needs root, and the build in build/root.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
prefix=${ENVBOX_PREFIX:-$top/build/root}
PATH=$prefix/bin:$PATH
export PATH
work=${DEMO_DIR:-/var/tmp/envbox-demo}
port=${DEMO_PORT:-5055}
registry=127.0.0.1:$port
image=$registry/envbox-demo:latest
envbox_pid=""
registry_pid=""
tail_pid=""

say() {
	printf '\n==> %s\n' "$*"
}

cleanup() {
	trap - EXIT INT TERM
	say "cleaning up"
	if [ -n "$envbox_pid" ]; then
		kill -TERM "$envbox_pid" 2>/dev/null || :
		wait "$envbox_pid" 2>/dev/null || :
	fi
	if [ -n "$tail_pid" ]; then
		kill "$tail_pid" 2>/dev/null || :
	fi
	if [ -n "$registry_pid" ]; then
		kill "$registry_pid" 2>/dev/null || :
		wait "$registry_pid" 2>/dev/null || :
	fi
	pgrep -f 'envbox docker' >/dev/null || ip link del docker0 2>/dev/null || :
	rm -rf "$work"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (envbox starts dockerd)" >&2
	exit 1
fi
rm -rf "$work"
mkdir -p "$work"
trap cleanup EXIT
trap 'exit 0' INT TERM

say "building the demo image and serving it from a local registry at $registry"
cat >"$work/registry.yml" <<YML
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: "$registry"}
YML
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
until curl -fs "http://$registry/v2/" >/dev/null; do sleep 0.1; done
"$top/tests/lib/image.sh" rootfs "$work/rootfs" --user coder:1000:1000:/home/coder
"$top/tests/lib/image.sh" push "http://$registry" envbox-demo:latest "$work/rootfs"

say "envbox docker (its build log follows)"
DOCKER_HOST=unix://$work/d.sock
export DOCKER_HOST
# shellcheck disable=SC2016 # the bootstrap's $(...) expand in the workspace
env ENVBOX_LOG_FORMAT=text \
	ENVBOX_LOG_DIR="$work/log" \
	ENVBOX_DOCKERD_ARGS="--data-root=$work/docker --exec-root=$work/exec --pidfile=$work/docker.pid --host=$DOCKER_HOST" \
	CODER_INNER_IMAGE="$image" \
	CODER_INNER_USERNAME=coder \
	CODER_AGENT_TOKEN=demo-token \
	CODER_MOUNTS="$work/home:/home/coder" \
	CODER_BOOTSTRAP_SCRIPT='echo "Hello from the workspace: I am $(id -un), uid $(id -u), on $(hostname)"' \
	envbox docker 2>"$work/envbox.log" &
envbox_pid=$!
tail -n +1 -f "$work/envbox.log" &
tail_pid=$!
until grep -q 'Hello from the workspace' "$work/envbox.log" 2>/dev/null; do
	if ! kill -0 "$envbox_pid" 2>/dev/null; then
		echo "demo.sh: envbox docker stopped; see its log above" >&2
		exit 1
	fi
	sleep 0.2
done

say "docker exec workspace_cvm id"
/usr/bin/docker exec workspace_cvm id
say "docker exec -u coder workspace_cvm id"
/usr/bin/docker exec -u coder workspace_cvm id
say "the greeting from the bootstrap script"
grep 'Hello from the workspace' "$work/envbox.log"

if [ "${DEMO_ONCE:-}" = 1 ]; then
	exit 0
fi
say "the workspace is up; Ctrl-C stops it and cleans up"
wait
