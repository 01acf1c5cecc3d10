# dockerd.bash: a private Docker daemon for bats suites.
#
#   load lib/dockerd
#   setup_file()    { dockerd_start; }          # or: dockerd_start --userns-remap=coder
#   teardown_file() { dockerd_stop; }
#
# dockerd_start makes a short directory /tmp/ebt-XXXXXX (unix socket paths are
# limited to 108 bytes) holding the daemon's data-root, exec-root, pidfile,
# socket and log, starts dockerd there and waits until it answers /_ping. It
# exports DOCKER_HOST=unix://DIR/d.sock (what the applets and the docker CLI
# read), DOCKERD_DIR and DOCKERD_LOG. dockerd_launch DIR starts one in a
# directory of the caller's without waiting (for a daemon that comes late).
#
# A second dockerd on the same host must leave the host's network alone: no
# docker0 bridge, no iptables rules; and if it finds a system containerd it
# shares it, so it keeps to containerd namespaces of its own. dockerd starts its own containerd under
# the exec-root; a dockerd killed hard leaves that containerd (and shims)
# running, so dockerd_stop and the stale-run sweep kill them by the paths in
# their command lines.

DOCKERD_WAIT_S=${DOCKERD_WAIT_S:-60}

# Pids of processes whose command line mentions $1 (a test directory).
_dockerd_pids_under() {
	local dir=$1 p cmd
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$$" ] || [ "${p#/proc/}" = "$BASHPID" ] && continue
		cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		case $cmd in
		*"$dir/"*) echo "${p#/proc/}" ;;
		esac
	done
}

# Kills what a dockerd in $1 left behind: its containerd, the shims and the
# containers under them, the mounts below $1; then removes $1.
_dockerd_sweep() {
	local dir=$1 pid child m
	for pid in $(_dockerd_pids_under "$dir"); do
		# Shims reap the containers' init processes: kill those first.
		for child in $(pgrep -P "$pid" 2>/dev/null); do
			kill -KILL "$child" 2>/dev/null || true
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	# Deepest mounts first (overlay layers, netns files, shm).
	awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts |
		sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$dir" 2>/dev/null || true
}

# Removes directories of earlier runs whose bats run has gone (a run still
# going, another suite in parallel, keeps its daemon). Only directories with
# an owner file are ours.
dockerd_sweep_stale() {
	local dir owner
	for dir in /tmp/ebt-*; do
		[ -f "$dir/owner" ] || continue
		owner=$(cat "$dir/owner" 2>/dev/null) || continue
		[ -n "$owner" ] && kill -0 "$owner" 2>/dev/null && continue
		[ -f "$dir/docker.pid" ] && kill -KILL "$(cat "$dir/docker.pid")" 2>/dev/null
		_dockerd_sweep "$dir"
	done
}

# dockerd_launch DIR [EXTRA_DOCKERD_ARGS...]: starts dockerd in the background
# with everything under DIR (socket DIR/d.sock) and returns at once.
dockerd_launch() {
	local dir=$1
	shift
	# The bats run: while it lives the directory is in use.
	echo "${BATS_ROOT_PID:-$$}" >"$dir/owner"
	dockerd \
		--data-root="$dir/data" \
		--exec-root="$dir/exec" \
		--pidfile="$dir/docker.pid" \
		--host="unix://$dir/d.sock" \
		--bridge=none --iptables=false --ip-masq=false \
		--containerd-namespace="${dir##*/}" \
		--containerd-plugins-namespace="${dir##*/}-plugins" \
		"$@" >"$dir/dockerd.log" 2>&1 3>&- &
	echo $! >"$dir/dockerd.launched"
}

# dockerd_start [EXTRA_DOCKERD_ARGS...]: a daemon of the suite's own, ready.
dockerd_start() {
	local i
	dockerd_sweep_stale
	DOCKERD_DIR=$(mktemp -d /tmp/ebt-XXXXXX)
	# dockerd --userns-remap refuses a data-root path a remapped root cannot
	# traverse; mktemp makes 0700.
	chmod 0755 "$DOCKERD_DIR"
	DOCKERD_LOG=$DOCKERD_DIR/dockerd.log
	DOCKER_HOST=unix://$DOCKERD_DIR/d.sock
	export DOCKERD_DIR DOCKERD_LOG DOCKER_HOST
	dockerd_launch "$DOCKERD_DIR" "$@"

	for ((i = 0; i < DOCKERD_WAIT_S * 10; i++)); do
		if curl -sf --max-time 2 --unix-socket "$DOCKERD_DIR/d.sock" \
			http://localhost/_ping >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$(cat "$DOCKERD_DIR/dockerd.launched")" 2>/dev/null; then
			echo "dockerd exited while starting; its log $DOCKERD_LOG ends:" >&2
			tail -n 20 "$DOCKERD_LOG" >&2
			dockerd_stop "$DOCKERD_DIR"
			return 1
		fi
		sleep 0.1
	done
	echo "dockerd did not answer on $DOCKERD_DIR/d.sock within ${DOCKERD_WAIT_S}s; its log ends:" >&2
	tail -n 20 "$DOCKERD_LOG" >&2
	dockerd_stop "$DOCKERD_DIR"
	return 1
}

# dockerd_stop [DIR]: SIGTERM, up to 30 s for a clean exit (it stops its
# containers and its containerd), then SIGKILL and the sweep; DIR defaults to
# $DOCKERD_DIR; safe to call twice.
dockerd_stop() {
	local dir=${1:-${DOCKERD_DIR:-}} pid i
	[ -n "$dir" ] && [ -d "$dir" ] || return 0
	pid=$(cat "$dir/docker.pid" 2>/dev/null || cat "$dir/dockerd.launched" 2>/dev/null) || pid=
	if [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; then
		for ((i = 0; i < 300; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	# A clean dockerd stopped its containerd; give it a moment, then force.
	for ((i = 0; i < 50; i++)); do
		[ -z "$(_dockerd_pids_under "$dir")" ] && break
		sleep 0.1
	done
	_dockerd_sweep "$dir"
}
