#!/bin/bash
# bench/run.sh [RUNS]: `make bench`. Measures, side by side in one run,
#   1. startup with a cached image: `envbox docker` from launch to "Envbox
#      startup complete!", phase by phase, against a docker CLI script doing
#      the same (bench/startup-cli.sh) and the raw Engine API floor with
#      curl (bench/startup-floor.sh), both run against the dockerd that
#      envbox started, right after it is up;
#   2. the image probe: envbox-docker probe against the original's method
#      (bench/probe-original.sh);
#   3. applet costs (bench/applets.sh);
#   4. the GPU scan against find (bench/gpu-scan.sh);
#   5. pull progress parsing (bench/progress.sh);
#   6. the disk-full fallback, vfs against fuse-overlayfs (bench/nospace.sh,
#      its own report in bench/results/nospace.md);
# RUNS times each (default 7, at least 5), interleaved so that the machine's
# noise falls on all alike. Prints the tables and writes them to
# bench/results/latest.md (BENCH_OUT). bench/README.md explains the method.
#
# Needs root, dockerd, docker-registry, busybox-static, curl, jq, valgrind,
# and an install of envbox: ENVBOX_PREFIX (default build/root, which
# `make bench` fills). Not part of `make test`.
set -eu -o pipefail
runs=${1:-${BENCH_RUNS:-7}}
[ "$runs" -ge 5 ] 2>/dev/null || { echo "bench: RUNS must be 5 or more" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
prefix=${ENVBOX_PREFIX:-$here/build/root}
out=${BENCH_OUT:-$here/bench/results/latest.md}
export ENVBOX_PREFIX=$prefix
PATH=$prefix/bin:$PATH
[ -x "$prefix/bin/envbox" ] || { echo "bench: no envbox in $prefix/bin (make install PREFIX=$prefix)" >&2; exit 1; }
for tool in dockerd docker-registry busybox curl jq /usr/bin/docker cc; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is missing (make deps)" >&2; exit 1; }
done

# shellcheck source=tests/lib/dockerd.bash
. "$here/tests/lib/dockerd.bash"
# shellcheck source=tests/lib/registry.bash
. "$here/tests/lib/registry.bash"
# shellcheck source=tests/lib/envbox.bash
. "$here/tests/lib/envbox.bash"
# shellcheck source=bench/lib.sh
. "$here/bench/lib.sh"

W=$(mktemp -d /tmp/ebb-XXXXXX)
export BENCH_TMP=$W
export DOCKER_CONFIG=$W/docker-config
mkdir -p "$DOCKER_CONFIG"
cleanup() {
	set +e
	if [ -n "${EB_PID:-}" ]; then
		envbox_stop >/dev/null 2>&1
	fi
	[ -z "${EB_DIR:-}" ] || envbox_cleanup
	registry_stop
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() {
	echo "bench: $*" >&2
}

# ---- the image ----------------------------------------------------------------

# shellcheck disable=SC2119 # no htpasswd: an open registry
registry_start
IMAGE=$REGISTRY/bench/ws:1
USER_NAME=coder
"$here/tests/lib/image.sh" rootfs "$W/rootfs" --user "$USER_NAME:1000:1000:/home/coder" >/dev/null
"$here/tests/lib/image.sh" push "http://$REGISTRY" bench/ws:1 "$W/rootfs"

# ---- 1 and 2: startup and probe --------------------------------------------------

# envbox_phases LAUNCH_MS: "PHASE MS" lines from the build log's times and
# dockerd's "API listen on" (dockerd ready). Each phase runs from its marker
# to the next one present, so a step that moves or goes keeps the others.
envbox_phases() {
	local t0=$1 name prefix t ready="" done_t=""
	{
		echo "launch $t0"
		{ grep -m1 'msg="API listen on' "$EB_DIR/log/dockerd.log" || true; } | sed 's/^time="\([^"]*\)".*/\1/' |
			while read -r t; do echo "ready $(ts_ms "$t")"; done
		jq -r '[.time, .output] | @tsv' "$EB_OUT" | while IFS=$'\t' read -r t msg; do
			name=""
			for prefix in "dockerd:Waiting for dockerd" "pull:Pulling image " "probe:Getting image metadata" \
				"mounts:Detected entrypoint user" "create:Creating workspace" "prune:Pruning images" \
				"start:Starting up workspace" "exec:Creating \"" "complete:Envbox startup complete!"; do
				case $msg in "${prefix#*:}"*) name=${prefix%%:*} ;; esac
			done
			if [ -n "$name" ]; then echo "$name $(ts_ms "$t")"; fi
		done
	} | awk '!seen[$1]++' | sort -k2,2n >"$W/markers"
	# The interval after "launch" is setup, after "ready" the wait notices
	# and credentials before the pull.
	awk 'NR > 1 { print (prev == "launch" ? "setup" : prev == "ready" ? "ready" : prev), $2 - t }
		{ prev = $1; t = $2 }' "$W/markers"
	ready=$(awk '$1 == "ready" { print $2 }' "$W/markers")
	done_t=$(awk '$1 == "complete" { print $2 }' "$W/markers")
	[ -n "$done_t" ] || return 0
	echo "total $((done_t - ${t0%.*}))"
	[ -z "$ready" ] || echo "after $((done_t - ready))"
}

# record VARIANT: "PHASE MS" lines on stdin appended to $W/VARIANT.PHASE.
record() {
	local phase ms
	while read -r phase ms; do
		echo "$ms" >>"$W/$1.$phase"
	done
}

timed() {
	local t0 t1
	t0=$(now_ms)
	"$@" >/dev/null
	t1=$(now_ms)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }'
}

start_envbox() {
	wait_no_envbox 900
	[ ! -f "$EB_DIR/log/dockerd.log" ] || : >"$EB_DIR/log/dockerd.log"
	t0=$(now_ms)
	# A /28 bridge: envbox's default /30 holds one container, and the CLI's,
	# the floor's and the original probe's need addresses beside it.
	# A bootstrap script, as every Coder workspace has (the agent's
	# download and start; here one line): envbox makes "$HOME/.coder" in
	# its exec. The CLI and the floor wait until it has run.
	envbox_start CODER_INNER_IMAGE="$IMAGE" CODER_INNER_USERNAME="$USER_NAME" \
		CODER_DOCKER_BRIDGE_CIDR=172.19.0.1/28 CODER_BOOTSTRAP_SCRIPT='echo bootstrapped'
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q 'exited with status' "$EB_OUT" && return 0
		sleep 0.1
	done
	echo "bench: the bootstrap did not end within 10 s" >&2
	return 1
}

envbox_env_dir
export DOCKER_HOST
say "warm-up: envbox docker pulls the image, the CLI and curl variants make their containers"
start_envbox
# The CLI's flags and the floor's create body: envbox's container's own.
img_env=$(docker image inspect "$IMAGE" | jq -c '.[0].Config.Env // []')
docker inspect workspace_cvm | jq -r --argjson ie "$img_env" '.[0] |
	["--runtime", .HostConfig.Runtime, "--user", .Config.User, "--entrypoint", .Config.Entrypoint[0]]
	+ ([.HostConfig.Binds[]? | ("-v", .)]) + ([.HostConfig.ExtraHosts[]? | ("--add-host", .)])
	+ ([.HostConfig.DeviceCgroupRules[]? | ("--device-cgroup-rule", .)])
	+ ([.Config.Env[] | select(. as $e | $ie | index($e) | not) | ("-e", .)])
	+ (if .Config.WorkingDir != "" then ["-w", .Config.WorkingDir] else [] end)
	+ (if .HostConfig.CpuQuota > 0 then ["--cpu-period", "\(.HostConfig.CpuPeriod)", "--cpu-quota", "\(.HostConfig.CpuQuota)"] else [] end)
	+ (if .HostConfig.Memory > 0 then ["--memory", "\(.HostConfig.Memory)"] else [] end) | .[]' >"$W/cli-flags"
docker inspect workspace_cvm | jq -c --argjson ie "$img_env" --arg img "$IMAGE" '.[0] | {
	Image: $img, Hostname: "bench_floor", User: .Config.User,
	Env: [.Config.Env[] | select(. as $e | $ie | index($e) | not)],
	Entrypoint: .Config.Entrypoint, Cmd: [], Tty: false, WorkingDir: .Config.WorkingDir,
	HostConfig: (.HostConfig | {Binds, Runtime, ExtraHosts, DeviceCgroupRules, CpuPeriod, CpuQuota,
		Memory, Privileged: false})}' >"$W/create.json"
uidgid=$(docker exec workspace_cvm sh -c "grep '^$USER_NAME:' /etc/passwd" | awk -F: '{ print $3 ":" $4 }')
home=$(docker exec workspace_cvm sh -c "grep '^$USER_NAME:' /etc/passwd" | awk -F: '{ print $6 }')
"$here/bench/startup-cli.sh" "$IMAGE" "$USER_NAME" bench_cli "$W/cli-flags" >/dev/null
"$here/bench/startup-floor.sh" "$IMAGE" bench_floor "$W/create.json" "$uidgid" "$home" >/dev/null
docker stop -t 0 bench_cli bench_floor >/dev/null
envbox_stop >/dev/null

for ((i = 1; i <= runs; i++)); do
	say "run $i of $runs"
	start_envbox
	envbox_phases "$t0" | record e
	ready=$(tail -n 1 "$W/e.dockerd")
	"$here/bench/startup-cli.sh" "$IMAGE" "$USER_NAME" bench_cli "$W/cli-flags" | record c
	docker stop -t 0 bench_cli >/dev/null
	BENCH_DETAIL=$W/floor.detail "$here/bench/startup-floor.sh" "$IMAGE" bench_floor "$W/create.json" \
		"$uidgid" "$home" | record f
	docker stop -t 0 bench_floor >/dev/null
	# Totals with the common dockerd start (envbox's, this run) added.
	echo "$ready" >>"$W/dockerd.common"
	awk -v a="$(tail -n 1 "$W/c.total")" -v b="$ready" 'BEGIN { print a + b }' >>"$W/c.withd"
	awk -v a="$(tail -n 1 "$W/f.total")" -v b="$ready" 'BEGIN { print a + b }' >>"$W/f.withd"
	timed envbox-docker probe "$IMAGE" "$USER_NAME" >>"$W/p.envbox"
	timed envbox-docker probe "$IMAGE" "$USER_NAME" --cache "$W/probe-cache" >>"$W/p.cached"
	timed "$here/bench/probe-original.sh" cli "$IMAGE" "$USER_NAME" >>"$W/p.cli"
	timed "$here/bench/probe-original.sh" curl "$IMAGE" "$USER_NAME" >>"$W/p.curl"
	if [ "$i" -eq "$runs" ]; then
		say "applet costs, against this run's dockerd"
		BENCH_IMAGE=$IMAGE BENCH_CONTAINER=workspace_cvm BENCH_USER=$USER_NAME \
			"$here/bench/applets.sh" "$runs" >"$W/applets.md"
	fi
	envbox_stop >/dev/null
	# The same start without the probe's cache: a new image's first start.
	rm -rf "$EB_DIR/data/envbox"
	start_envbox
	envbox_phases "$t0" | record n
	envbox_stop >/dev/null
done
envbox_cleanup
registry_stop

# ---- 4 and 5 ----------------------------------------------------------------

say "GPU scan"
"$here/bench/gpu-scan.sh" "$runs" >"$W/gpu.txt" 2>&1
say "pull progress parsing"
"$here/bench/progress.sh" "$runs" >"$W/progress.md"

# ---- the report -----------------------------------------------------------------

v() { # v VARIANT PHASE: a table cell
	if [ -s "$W/$1.$2" ]; then cell "$W/$1.$2"; else echo "–"; fi
}
sum() { # sum VARIANT PHASE...: per-run sums of the phases into $W/VARIANT.sum
	local f
	f=()
	for p in "${@:2}"; do [ -s "$W/$1.$p" ] && f+=("$W/$1.$p"); done
	paste "${f[@]}" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; print s }' >"$W/$1.sum"
	cell "$W/$1.sum"
}
gpu_med() { # gpu_med ROW-PREFIX
	awk -v p="$1" 'index($0, p) == 1 { print $(NF - 3) }' "$W/gpu.txt"
}

{
	echo "# envbox benchmarks"
	echo
	echo "\`make bench\` on $(date -u +%Y-%m-%d), commit $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$here" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)');"
	echo "$(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), Linux $(uname -r),"
	echo "$(dockerd --version | sed 's/, build.*//'). $runs runs of each, interleaved; times in ms as"
	echo "median (min–max). bench/README.md says how each figure is taken."
	echo
	echo "## 1. Startup with a cached image"
	echo
	echo "envbox from launch to \"Envbox startup complete!\" (its build log's times; dockerd"
	echo "ready from dockerd's \"API listen on\"). The CLI script and the curl floor run"
	echo "right after, against the dockerd envbox started."
	echo
	echo "| step | envbox docker (restart: probe cached) | envbox docker (first start of the image) | docker CLI script | curl floor |"
	echo "|---|---|---|---|---|"
	echo "| before dockerd (config, runtime, user, args) | $(v e setup) | $(v n setup) | – | – |"
	echo "| dockerd start, to its API (common) | $(v e dockerd) | $(v n dockerd) | (same) | (same) |"
	echo "| dockerd ready → pull (wait, credentials) | $(v e ready) | $(v n ready) | – | – |"
	echo "| pull, image up to date | $(v e pull) | $(v n pull) | $(v c pull) | $(v f pull) |"
	echo "| probe (user, init, os-release) | $(v e probe) | $(v n probe) | $(v c probe) | $(v f probe) |"
	echo "| mounts (envbox-mounts prepare) | $(v e mounts) | $(v n mounts) | – | – |"
	echo "| create (and remove the old container) | $(v e create) | $(v n create) | – | $(sum f rm create) |"
	echo "| start (envbox: create --start, the same process) | $(v e start) | $(v n start) | – | $(v f start) |"
	echo "| prune images (envbox: in the background from here) | $(v e prune) | $(v n prune) | $(v c prune) | $(v f prune) |"
	echo "| CLI: rm old + run -d (create + start) | – | – | $(sum c rm run) | – |"
	echo "| home dir: exec mkdir .coder (envbox: in the bootstrap's exec) | $(v e exec) | $(v n exec) | $(v c exec) | $(v f exec) |"
	echo "| **after dockerd ready** | **$(v e after)** | **$(v n after)** | **$(v c total)** | **$(v f total)** |"
	echo "| **launch to complete, with dockerd** | **$(v e total)** | **$(v n total)** | $(v c withd) | $(v f withd) |"
	echo
	echo "| ratio, per run: median (min–max) | after dockerd ready | with dockerd start |"
	echo "|---|---|---|"
	echo "| envbox (restart) / CLI script | $(ratios "$W/e.after" "$W/c.total") | $(ratios "$W/e.total" "$W/c.withd") |"
	echo "| envbox (restart) / curl floor | $(ratios "$W/e.after" "$W/f.total") | $(ratios "$W/e.total" "$W/f.withd") |"
	echo "| envbox (first start) / CLI script | $(ratios "$W/n.after" "$W/c.total") | $(ratios "$W/n.total" "$W/c.withd") |"
	echo "| envbox (first start) / curl floor | $(ratios "$W/n.after" "$W/f.total") | $(ratios "$W/n.total" "$W/f.withd") |"
	echo "| CLI script / curl floor | $(ratios "$W/c.total" "$W/f.total") | $(ratios "$W/c.withd" "$W/f.withd") |"
	echo
	echo "The curl floor request by request (curl's time_total, median (min–max) ms):"
	echo
	echo "| request | ms |"
	echo "|---|---|"
	awk '!($1 in k) { k[$1] = ++n; print n, $1 } { print $2 > (d "/req." k[$1]) }' d="$W" "$W/floor.detail" |
		while read -r k name; do
			echo "| ${name//_/ } | $(cell1 "$W/req.$k") |"
		done
	echo
	echo "## 2. Image probe"
	echo
	echo "| method | ms | envbox-docker probe faster by |"
	echo "|---|---|---|"
	echo "| envbox-docker probe (created, never started; archive reads) | $(cell "$W/p.envbox") | 1 |"
	echo "| envbox-docker probe --cache, answered from the cache | $(cell "$W/p.cached") | – |"
	echo "| original: start + 3 execs + rm, docker CLI | $(cell "$W/p.cli") | $(ratios "$W/p.cli" "$W/p.envbox")× |"
	echo "| original: start + 3 execs + rm, curl | $(cell "$W/p.curl") | $(ratios "$W/p.curl" "$W/p.envbox")× |"
	echo "| envbox's method, docker CLI (create, cp ×3, rm) | $(v c probe) | (in 1) |"
	echo "| envbox's method, curl floor | $(v f probe) | (in 1) |"
	echo
	echo "## 3. Applet costs"
	echo
	echo "Each applet's typical call; daemon calls against the dockerd of the last run."
	echo
	cat "$W/applets.md"
	echo
	echo "## 4. GPU scan (bench/gpu-scan.sh, 50,000-entry tree)"
	echo
	echo '```'
	sed -n '/min/,$p' "$W/gpu.txt"
	echo '```'
	echo
	echo "envbox-gpu-scan / find, medians: $(ratio "$(gpu_med envbox-gpu-scan)" "$(gpu_med 'find -name')")"
	echo
	echo "## 5. Pull progress parsing"
	echo
	cat "$W/progress.md"
} >"$W/report.md"

mkdir -p "$(dirname "$out")"
cp "$W/report.md" "$out"
cat "$W/report.md"
say "written to $out"

# 6. The disk-full fallback: its own script, its own report.
"$here/bench/nospace.sh" "$runs"
