#!/usr/bin/env bats
# envbox-wait: the Docker daemon (a private dockerd) or a file, by a deadline.
bats_require_minimum_version 1.5.0
load helpers
load lib/dockerd

setup_file() {
	dockerd_start
	# The daemon's socket; each test picks its own DOCKER_HOST.
	DAEMON_HOST=$DOCKER_HOST
	export DAEMON_HOST
}

teardown_file() {
	dockerd_stop
}

setup() {
	unset DOCKER_HOST
	LISTENER_PID=
	LATE_DIR=
	# Short: unix socket paths are limited to 108 bytes.
	T=$(mktemp -d /tmp/ebt-w-XXXXXX)
}

teardown() {
	[ -z "$LISTENER_PID" ] || kill "$LISTENER_PID" 2>/dev/null || true
	[ -z "$LATE_DIR" ] || dockerd_stop "$LATE_DIR"
	rm -rf "$T"
}

# Runs "$@" and sets ELAPSED to its wall time in milliseconds.
timed() {
	local t0 t1
	t0=$(date +%s%N)
	run "$@"
	t1=$(date +%s%N)
	ELAPSED=$(((t1 - t0) / 1000000))
}

@test "docker: a running dockerd answers at once" {
	DOCKER_HOST=$DAEMON_HOST timed envbox-wait docker --timeout 10
	assert_success
	assert_output ''
	((ELAPSED < 2000))
}

@test "docker: --timeout=N form and --timeout 0 (one try) succeed on a live daemon" {
	DOCKER_HOST=$DAEMON_HOST run envbox-wait docker --timeout=5
	assert_success
	DOCKER_HOST=$DAEMON_HOST run envbox-wait --timeout 0 docker
	assert_success
}

@test "docker: nothing listening fails at the deadline, naming the socket and the error" {
	DOCKER_HOST=unix://$T/none.sock timed envbox-wait docker --timeout 2
	assert_failure 1
	assert_output --partial "$T/none.sock"
	assert_output --partial "within 2 s"
	assert_output --partial "No such file or directory"
	((ELAPSED >= 1900 && ELAPSED < 5000))
}

@test "docker: --timeout 0 tries once and fails fast" {
	DOCKER_HOST=unix://$T/none.sock timed envbox-wait docker --timeout 0
	assert_failure 1
	assert_output --partial "$T/none.sock"
	((ELAPSED < 1500))
}

@test "docker: a socket path that is a regular file fails by the deadline" {
	: >"$T/file.sock"
	DOCKER_HOST=unix://$T/file.sock timed envbox-wait docker --timeout 1
	assert_failure 1
	assert_output --partial "$T/file.sock: not a socket"
	((ELAPSED < 4000))
}

@test "docker: a listener that accepts and never answers cannot overrun the deadline" {
	python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(64)
held = []
while True:
    held.append(s.accept()[0])
' "$T/hung.sock" 3>&- &
	LISTENER_PID=$!
	for _ in $(seq 50); do [ -S "$T/hung.sock" ] && break; sleep 0.1; done
	[ -S "$T/hung.sock" ]
	DOCKER_HOST=unix://$T/hung.sock timed envbox-wait docker --timeout 3
	assert_failure 1
	assert_output --partial "$T/hung.sock"
	assert_output --partial "timed out"
	((ELAPSED >= 2900 && ELAPSED < 6000))
}

@test "docker: a daemon started after the wait began is found" {
	LATE_DIR=$(mktemp -d /tmp/ebt-XXXXXX)
	(sleep 1.5 && dockerd_launch "$LATE_DIR") 3>&- &
	LISTENER_PID=$!
	DOCKER_HOST=unix://$LATE_DIR/d.sock timed envbox-wait docker --timeout 30
	assert_success
	((ELAPSED >= 1400 && ELAPSED < 15000))
}

@test "docker: DOCKER_HOST other than unix:// is refused, naming it" {
	DOCKER_HOST=tcp://127.0.0.1:2375 run envbox-wait docker --timeout 1
	assert_failure 1
	assert_output "envbox-wait: DOCKER_HOST=tcp://127.0.0.1:2375: only unix:// sockets are supported"
	DOCKER_HOST=ssh://me@example.com run envbox-wait docker
	assert_failure 1
	assert_output --partial "DOCKER_HOST=ssh://me@example.com"
	DOCKER_HOST=tcp://me:s3cret@10.0.0.1:2376 run envbox-wait docker
	assert_failure 1
	refute_output --partial s3cret
}

@test "docker: an unset or empty DOCKER_HOST means /var/run/docker.sock" {
	[ ! -e /var/run/docker.sock ] || skip "a system dockerd socket exists"
	DOCKER_HOST='' run envbox-wait docker --timeout 0
	assert_failure 1
	assert_output --partial /var/run/docker.sock
}

@test "file: a path that appears later is found" {
	(sleep 1 && : >"$T/ready") 3>&- &
	timed envbox-wait file "$T/ready" --timeout 10
	assert_success
	assert_output ''
	((ELAPSED >= 900 && ELAPSED < 3000))
}

@test "file: an existing path (a directory too) returns at once" {
	run envbox-wait file "$T" --timeout 0
	assert_success
}

@test "file: a path that never appears fails at the deadline, naming it" {
	timed envbox-wait file "$T/never" --timeout 1
	assert_failure 1
	assert_output "envbox-wait: $T/never did not appear within 1 s: No such file or directory"
	((ELAPSED >= 900 && ELAPSED < 4000))
}

@test "usage errors exit 2 with a hint" {
	for args in "" "docker --timeout" "docker --timeout abc" "docker --timeout -1" \
		"docker --timeout 1.5" "file" "file a b" "docker extra" "nothing" \
		"docker --bogus"; do
		# shellcheck disable=SC2086
		run envbox-wait $args
		assert_failure 2
		assert_line --index 1 "Try 'envbox-wait --help'."
	done
}

@test "--help prints usage on stdout, exit 0" {
	run --separate-stderr envbox-wait --help
	assert_success
	assert_line --index 0 "Usage: envbox-wait docker [--timeout SECONDS] [--pid PID]"
	assert_output --partial "Exit codes:"
	[ -z "$stderr" ]
}

@test "--pid: a daemon that died (a zombie not yet reaped) ends the wait at once" {
	# The sleep becomes a child of envbox-wait, which never reaps it: once it
	# exits it is a zombie, as dockerd is for the entrypoint until it waits.
	DOCKER_HOST=unix://$T/none.sock timed sh -c 'sleep 0.3 & exec envbox-wait docker --timeout 30 --pid $!' </dev/null
	assert_failure 1
	assert_output --regexp "^envbox-wait: process [0-9]+ exited before the Docker daemon was ready$"
	((ELAPSED < 5000))
}

@test "--pid: a process that is gone, for file too; bad pids are usage errors" {
	timed envbox-wait file "$T/never" --timeout 30 --pid 4194303
	assert_failure 1
	assert_output "envbox-wait: process 4194303 exited before $T/never was ready"
	((ELAPSED < 5000))
	run envbox-wait docker --pid 0
	assert_failure 2
	run envbox-wait docker --pid abc
	assert_failure 2
}
