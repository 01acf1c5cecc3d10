# envbox.bash: run the installed `envbox docker` for a suite, with its dockerd
# kept to a directory of its own (data-root, exec-root, socket, pidfile) so a
# test run leaves the host's /var/lib/docker alone. It still owns docker0 and
# the bridge address, as it does in a pod.
#
#   load lib/dockerd     (for the stale-directory sweep)
#   load lib/envbox
#   envbox_start [VAR=VALUE...]   starts it in the background with the
#       given variables, waits for "Envbox startup complete!" (or its exit)
#   envbox_stop                   SIGTERM, and wait for it to exit
# EB_DOCKERD_EXTRA adds dockerd arguments (e.g. --add-runtime); EB_WRAP is a
# command envbox runs under (split on spaces).
# Sets EB_DIR, EB_PID, EB_OUT (its stderr: the build log), DOCKER_HOST.

EB_READY_S=${EB_READY_S:-120}

envbox_env_dir() {
	dockerd_sweep_stale
	EB_DIR=$(mktemp -d /tmp/ebt-XXXXXX)
	chmod 0755 "$EB_DIR"
	echo "${BATS_ROOT_PID:-$$}" >"$EB_DIR/owner"
	EB_OUT=$EB_DIR/envbox.log
	DOCKER_HOST=unix://$EB_DIR/d.sock
	export EB_DIR EB_OUT DOCKER_HOST
}

envbox_start() {
	local i
	[ -n "${EB_DIR:-}" ] || envbox_env_dir
	: >"$EB_OUT"
	rm -f "$EB_DIR/status" "$EB_DIR/envbox.pid"
	# A keeper subshell records envbox's exit status, so tests other than the
	# one that started it (setup_file's children are not theirs) can read it.
	(
		# shellcheck disable=SC2086 # EB_WRAP: a command prefix, split
		${EB_WRAP:-} env ENVBOX_LOG_DIR="$EB_DIR/log" ENVBOX_IDMAP_DIR="$EB_DIR/idmap" \
			ENVBOX_DATA_ROOT="$EB_DIR/data" ENVBOX_NO_SPACE_DATA_ROOT="$EB_DIR/data.bak" \
			ENVBOX_DOCKERD_ARGS="--exec-root=$EB_DIR/exec --pidfile=$EB_DIR/docker.pid --host=unix://$EB_DIR/d.sock ${EB_DOCKERD_EXTRA:-}" \
			"$@" envbox docker 2>"$EB_OUT" >"$EB_DIR/stdout" &
		echo $! >"$EB_DIR/envbox.pid"
		status=0
		wait $! || status=$?
		echo "$status" >"$EB_DIR/status"
	) 3>&- &
	while [ ! -s "$EB_DIR/envbox.pid" ]; do sleep 0.01; done
	EB_PID=$(cat "$EB_DIR/envbox.pid")
	export EB_PID
	for ((i = 0; i < EB_READY_S * 10; i++)); do
		if grep -q 'Envbox startup complete!' "$EB_OUT"; then
			# The build log's done entry follows at once: let it land.
			for ((i = 0; i < 50; i++)); do
				grep -qE '"type":"done"|Z done$' "$EB_OUT" && break
				sleep 0.1
			done
			return 0
		fi
		if ! kill -0 "$EB_PID" 2>/dev/null; then
			echo "envbox docker exited during startup; its log:" >&2
			cat "$EB_OUT" >&2
			return 1
		fi
		sleep 0.1
	done
	echo "envbox docker did not finish startup in ${EB_READY_S}s; its log:" >&2
	cat "$EB_OUT" >&2
	return 1
}

# envbox_wait_exit [SECONDS]: waits for envbox to exit (default 120 s);
# returns its exit status, 124 if it is still running.
envbox_wait_exit() {
	local i
	for ((i = 0; i < ${1:-120} * 20; i++)); do
		if [ -s "$EB_DIR/status" ]; then
			EB_PID=
			return "$(cat "$EB_DIR/status")"
		fi
		sleep 0.05
	done
	return 124
}

# envbox_stop: SIGTERM; returns envbox's exit status; EB_STOP_MS is how long
# it took.
envbox_stop() {
	local start status=0
	[ -n "${EB_PID:-}" ] || return 0
	start=$(date +%s%N)
	kill -TERM "$EB_PID" 2>/dev/null || true
	envbox_wait_exit 120 || status=$?
	EB_STOP_MS=$((($(date +%s%N) - start) / 1000000))
	export EB_STOP_MS
	return "$status"
}

# envbox_cleanup: whatever is left (a failed test), then the directory.
envbox_cleanup() {
	if [ -n "${EB_PID:-}" ]; then
		kill -KILL "$EB_PID" 2>/dev/null || true
	fi
	if [ -n "${EB_DIR:-}" ]; then
		[ -f "$EB_DIR/docker.pid" ] && kill -TERM "$(cat "$EB_DIR/docker.pid")" 2>/dev/null
		sleep 1
		_dockerd_sweep "$EB_DIR"
	fi
	# docker0 belongs to whichever envbox runs; leave it to a running one.
	pgrep -f 'envbox docker' >/dev/null || ip link del docker0 2>/dev/null || true
	EB_DIR=
}

# envbox_file_stop: teardown_file's end of an envbox a setup_file started
# and recorded in $BATS_FILE_TMPDIR/eb_dir and eb_pid: SIGTERM, up to 30 s
# to exit, then envbox_cleanup.
envbox_file_stop() {
	EB_DIR=$(cat "$BATS_FILE_TMPDIR/eb_dir" 2>/dev/null) || EB_DIR=
	EB_PID=$(cat "$BATS_FILE_TMPDIR/eb_pid" 2>/dev/null) || EB_PID=
	if [ -n "$EB_PID" ] && kill -0 "$EB_PID" 2>/dev/null; then
		kill -TERM "$EB_PID"
		for _ in $(seq 300); do kill -0 "$EB_PID" 2>/dev/null || break; sleep 0.1; done
	fi
	envbox_cleanup
}

# The docker CLI of Debian's docker.io, which matches its dockerd (another
# docker client earlier on PATH may be too new for it).
docker() {
	/usr/bin/docker "$@"
}

# inner CMD...: runs CMD in the workspace container, as root.
inner() {
	docker exec workspace_cvm "$@"
}

# push_workspace_image NAME:TAG [image.sh rootfs options]: a busybox
# workspace with the user coder (1000:1000), pushed to $REGISTRY.
push_workspace_image() {
	local ref=$1 dir
	shift
	dir=$(mktemp -d "${BATS_FILE_TMPDIR:-/tmp}/rootfs-XXXXXX")
	"$BATS_TEST_DIRNAME/lib/image.sh" rootfs "$dir" --user coder:1000:1000:/home/coder "$@"
	"$BATS_TEST_DIRNAME/lib/image.sh" push "http://$REGISTRY" "$ref" "$dir"
}
