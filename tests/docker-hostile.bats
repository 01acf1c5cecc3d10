#!/usr/bin/env bats
# envbox-docker against a daemon that lies (tests/lib/fake-dockerd.py): a pid
# from exec inspect never reaches kill() unless it is one process other
# than init; what is read from the daemon is bounded; exec --max-output
# bounds what a caller keeping the output in memory gets.
bats_require_minimum_version 1.5.0
load helpers

FAKE=$BATS_TEST_DIRNAME/lib/fake-dockerd.py

setup() {
	SOCK=$BATS_TEST_TMPDIR/d.sock
	REC=$BATS_TEST_TMPDIR/requests
	: >"$REC"
	export DOCKER_HOST=unix://$SOCK
}

teardown() {
	[ -z "${FAKE_PID:-}" ] || kill "$FAKE_PID" 2>/dev/null || :
	[ -z "${SLEEP_PID:-}" ] || kill "$SLEEP_PID" 2>/dev/null || :
}

# fake_start [fake-dockerd.py options]: sets FAKE_PID once it answers.
fake_start() {
	python3 "$FAKE" --socket "$SOCK" --record "$REC" "$@" 3>&- &
	FAKE_PID=$!
	for _ in $(seq 100); do
		curl -sf --unix-socket "$SOCK" http://localhost/_ping >/dev/null && return 0
		sleep 0.1
	done
	fail "fake-dockerd did not start"
}

# until_recorded PATTERN: waits (10 s at most) for a request in the record.
until_recorded() {
	for _ in $(seq 100); do
		grep -q -- "$1" "$REC" && return 0
		sleep 0.1
	done
	fail "no request matching $1; got: $(cat "$REC"), stderr: $(cat "$BATS_TEST_TMPDIR/err" 2>/dev/null)"
}

# exec_signalled PID: envbox-docker exec under strace, whose kill() calls are
# recorded and never made (injected), given SIGTERM once the stream is up,
# while the daemon reports PID. Sets out (stderr) and trace (the kill calls).
exec_signalled() {
	fake_start --pid "$1" --hold
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -e trace=kill -e inject=kill:retval=0 -e signal=none \
		-o "$BATS_TEST_TMPDIR/trace" \
		envbox-docker exec ws -- sleep 60 2>"$BATS_TEST_TMPDIR/err" &
	tracer=$!
	until_recorded "/start"
	child=$(pgrep -P "$tracer")
	[ -n "$child" ]
	kill -TERM "$child"
	wait "$tracer" || :
	out=$(cat "$BATS_TEST_TMPDIR/err")
	trace=$(grep 'kill(' "$BATS_TEST_TMPDIR/trace" || :)
	kill "$FAKE_PID"
	wait "$FAKE_PID" 2>/dev/null || :
	FAKE_PID=
	: >"$REC"
}

@test "exec: a pid from exec inspect outside 2..pid_max never reaches kill(): a warning, no signal" {
	command -v strace >/dev/null || skip "no strace"
	max=$(cat /proc/sys/kernel/pid_max)
	for pid in 4294967295 1 -1 4294967301 $((max + 1)); do
		exec_signalled "$pid"
		[ -z "$trace" ] || fail "pid $pid: $trace"
		[[ $out == *"warning: exec e1e1e1e1e1e1: not passing the signal on: the daemon's pid $pid is out of range (expected 2..$max)"* ]] ||
			fail "pid $pid: $out"
	done
	# 0 is "not started": nothing sent, nothing to say.
	exec_signalled 0
	[ -z "$trace" ]
	[[ $out != *warning* ]]
}

@test "exec: a pid in range gets the SIGTERM" {
	sleep 300 &
	SLEEP_PID=$!
	fake_start --pid "$SLEEP_PID" --hold
	envbox-docker exec ws -- sleep 60 2>"$BATS_TEST_TMPDIR/err" &
	ebd=$!
	until_recorded "/start"
	kill -TERM "$ebd"
	st=0
	wait "$ebd" || st=$?
	assert_equal "$st" 143
	st=0
	wait "$SLEEP_PID" || st=$?
	SLEEP_PID=
	assert_equal "$st" 143
}

@test "exec: a JSON answer past 16 MiB is an error naming the request, exit 1" {
	fake_start --huge-create
	run --separate-stderr envbox-docker exec ws -- true
	assert_failure 1
	assert_equal "$stderr" "envbox-docker: POST /containers/ws/exec: the answer is longer than 16777216 bytes"
}

@test "exec: a stream cut in the middle of a frame is an error, not a clean end" {
	fake_start --output 1000 --truncate
	run --separate-stderr envbox-docker exec ws -- cat
	assert_failure 1
	[[ $stderr == *"the output stream ended in the middle of a frame (the daemon's connection was cut)"* ]] || fail "$stderr"
	kill "$FAKE_PID"
	wait "$FAKE_PID" 2>/dev/null || :
	FAKE_PID=
	# The whole stream, the same bytes: a clean end, exit 0.
	fake_start --output 1000
	run --separate-stderr envbox-docker exec ws -- cat
	assert_success
	[ "${#output}" -ge 900 ] || fail "output: ${#output} bytes"
}

@test "exec --max-output: at most BYTES of output, a cut line ended, then one note; the status kept" {
	fake_start --output 1000000
	run --separate-stderr envbox-docker exec ws --max-output 1050 -- /sbin/ldconfig
	assert_success
	assert_equal "${#output}" 1050
	assert_line --index 10 "line 000010 $(printf '%38s' '' | tr ' ' x)"
	assert_equal "$stderr" "envbox-docker: warning: exec /sbin/ldconfig: output over 1050 bytes: the rest was dropped"
	# As run_ldconfig takes it (2>&1): the note is a line of its own, the last.
	run sh -c 'envbox-docker exec ws --max-output 1000 -- /sbin/ldconfig 2>&1'
	assert_success
	assert_equal "${#lines[@]}" 11
	assert_line --index 9 --partial "line 000009 "
	assert_line --index 10 "envbox-docker: warning: exec /sbin/ldconfig: output over 1000 bytes: the rest was dropped"
	# Without it, all of it.
	run --separate-stderr sh -c 'envbox-docker exec ws -- /sbin/ldconfig | wc -c'
	assert_success
	assert_output 1000000
}

@test "exec --max-output: not a whole number of at least 1 is a usage error" {
	for v in 0 -1 abc 1k ''; do
		run --separate-stderr envbox-docker exec ws --max-output "$v" -- true
		assert_failure 2
		[[ $stderr == *"--max-output"* ]] || fail "$v: $stderr"
	done
}
