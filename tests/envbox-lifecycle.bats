#!/usr/bin/env bats
# envbox docker over a workspace's life: stale state from an earlier run,
# SIGTERM at any moment, a bootstrap script that fails, hangs or floods.
load helpers
load lib/dockerd
load lib/registry
load lib/envbox

setup_file() {
	ensure_remap_user
	registry_start
	push_workspace_image ws/plain:1
}

teardown_file() {
	registry_stop
}

setup() {
	envbox_env_dir
	IMG=$REGISTRY/ws/plain:1
}

teardown() {
	envbox_cleanup
	rm -f /tmp/coder-tun /tmp/coder-fuse
}

# No process of this test's envbox (dockerd, containerd, shims, applets)
# is left.
nothing_left() {
	run _dockerd_pids_under "$EB_DIR"
	assert_output ""
	run pgrep -f "envbox-docker (pull|exec|wait)"
	assert_output ""
}

@test "stale state: a pid file naming a live process, a file where the TUN node goes" {
	sleep 300 &
	echo $! >"$EB_DIR/docker.pid"
	echo junk >/tmp/coder-tun
	envbox_start CODER_INNER_IMAGE="$IMG" CODER_INNER_USERNAME=coder CODER_ADD_TUN=true
	kill %1
	grep -q "Removing the stale dockerd pid file $EB_DIR/docker.pid" "$EB_OUT"
	run stat -c '%F %t:%T %u' /tmp/coder-tun
	assert_output "character special file a:c8 100000"
	envbox_stop
}

@test "twice in a row on the same state: the second run replaces the first's workspace" {
	envbox_start CODER_INNER_IMAGE="$IMG" CODER_INNER_USERNAME=coder
	first=$(/usr/bin/docker inspect -f '{{.Id}}' workspace_cvm)
	envbox_stop
	envbox_start CODER_INNER_IMAGE="$IMG" CODER_INNER_USERNAME=coder
	second=$(/usr/bin/docker inspect -f '{{.Id}}' workspace_cvm)
	[ "$first" != "$second" ]
	[ "$(/usr/bin/docker inspect -f '{{.State.Running}}' workspace_cvm)" = true ]
	envbox_stop
}

@test "SIGTERM during the pull: stops at once, nothing left running" {
	port=$(_free_port)
	EB_READY_S=3 envbox_start CODER_INNER_IMAGE="127.0.0.1:$port/ws/none:1" \
		CODER_INNER_USERNAME=coder 2>/dev/null || true
	# Still pulling (retrying against nothing): stop it.
	kill -0 "$EB_PID"
	grep -q 'Pulling image' "$EB_OUT"
	envbox_stop || true
	((EB_STOP_MS < 10000))
	grep -q 'Got a signal during startup' "$EB_OUT"
	nothing_left
}

@test "security: SIGHUP, SIGINT and SIGQUIT during startup stop it as SIGTERM does, nothing left running" {
	local sig port
	port=$(_free_port)
	for sig in HUP INT QUIT; do
		# A job started with & has SIGINT and SIGQUIT ignored (POSIX),
		# a run under nohup has SIGHUP ignored, and a shell cannot trap
		# what it was started ignoring: restore them, as a pod's PID 1
		# has them.
		EB_WRAP="perl -e \$SIG{INT}=\$SIG{QUIT}=\$SIG{HUP}='DEFAULT';exec(@ARGV)" EB_READY_S=3 \
			envbox_start CODER_INNER_IMAGE="127.0.0.1:$port/ws/none:1" \
			CODER_INNER_USERNAME=coder 2>/dev/null || true
		kill -0 "$EB_PID"
		grep -q 'Pulling image' "$EB_OUT"
		kill -s "$sig" "$EB_PID"
		run envbox_wait_exit 20
		[ "$status" -eq 143 ] || fail "SIG$sig: status $status; $(cat "$EB_OUT")"
		grep -q 'Got a signal during startup' "$EB_OUT"
		nothing_left
		envbox_cleanup
		envbox_env_dir
	done
}

@test "security: a refused mount source stops startup with exit 1 naming it; no workspace" {
	run envbox_start CODER_INNER_IMAGE="$IMG" CODER_INNER_USERNAME=coder \
		CODER_MOUNTS=/var/run:/x
	assert_failure
	run envbox_wait_exit 60
	assert_failure 1
	run jq -r 'select(.type == "error") | .output' "$EB_OUT"
	assert_output --partial "envbox-mounts: prepare: /var/run"
	assert_output --partial "refused: it contains"
	run grep -c 'Envbox startup complete' "$EB_OUT"
	assert_output 0
	run find "$EB_DIR/data/100000.100000/containers" -mindepth 1 -maxdepth 1
	assert_output ""
	nothing_left
}

@test "SIGTERM during the bootstrap: the script gets SIGTERM, envbox exits 0 within the budget" {
	mkdir -p "$BATS_TEST_TMPDIR/home"
	envbox_start CODER_INNER_IMAGE="$IMG" CODER_INNER_USERNAME=coder \
		CODER_MOUNTS="$BATS_TEST_TMPDIR/home:/home/coder" \
		CODER_BOOTSTRAP_SCRIPT='trap "echo got TERM >/home/coder/term; exit 0" TERM; echo waiting; while :; do sleep 0.2; done'
	for _ in $(seq 50); do grep -q '"output":"waiting"' "$EB_OUT" && break; sleep 0.1; done
	run envbox_stop
	assert_success
	((EB_STOP_MS < 90000))
	run cat "$BATS_TEST_TMPDIR/home/term"
	assert_output "got TERM"
	nothing_left
}

@test "a bootstrap that fails: its status is logged and the workspace keeps running" {
	envbox_start CODER_INNER_IMAGE="$IMG" CODER_INNER_USERNAME=coder \
		CODER_BOOTSTRAP_SCRIPT='echo about to fail; exit 3'
	for _ in $(seq 50); do grep -q 'exited with status 3' "$EB_OUT" && break; sleep 0.1; done
	grep -q '"output":"/bin/sh exited with status 3","time":"[^"]*","type":"error"' "$EB_OUT"
	sleep 1
	kill -0 "$EB_PID"
	[ "$(/usr/bin/docker inspect -f '{{.State.Running}}' workspace_cvm)" = true ]
	envbox_stop
}

@test "a bootstrap that floods: long lines cut, the log stays small, the workspace runs on" {
	envbox_start CODER_INNER_IMAGE="$IMG" CODER_INNER_USERNAME=coder \
		CODER_BOOTSTRAP_SCRIPT='head -c 3000000 /dev/zero | tr "\0" x; echo; i=0; while [ $i -lt 5000 ]; do echo "line $i"; i=$((i+1)); done; echo flood-done; sleep 1000'
	for _ in $(seq 100); do grep -q 'output over' "$EB_OUT" && break; sleep 0.1; done
	grep -q '\[truncated\]' "$EB_OUT"
	grep -q 'output over' "$EB_OUT"
	size=$(stat -c %s "$EB_OUT")
	echo "log size $size"
	((size < 2500000))
	kill -0 "$EB_PID"
	envbox_stop
}
