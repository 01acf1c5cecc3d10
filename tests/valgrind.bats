#!/usr/bin/env bats
# valgrind's memcheck over the applets' short runs: no invalid reads or
# writes, no use of uninitialised memory, no definite leaks — on success and
# on error paths alike. (The sanitizer pass covers the same code with ASan;
# valgrind cannot run ASan builds, so this suite runs in the plain pass.)
load helpers

setup() {
	command -v valgrind >/dev/null || skip "valgrind is not installed"
	[ "${ENVBOX_BUILD:-build}" != build-san ] || skip "ASan build: covered by the sanitizers"
	D=$BATS_TEST_TMPDIR
	printf '{"auths":{"r.example":{"auth":"%s"}}}' "$(printf 'user:pa:ss' | base64)" >"$D/config.json"
	mkdir -p "$D/src"
	DOCKER_HOST=unix://$D/nobody.sock
	export DOCKER_HOST
}

# memcheck CMD...: runs the applet CMD under memcheck; fails on any error.
memcheck() {
	run valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite --track-origins=yes "$@"
	if [ "$status" -eq 99 ]; then
		echo "memcheck: $*" >&2
		printf '%s\n' "$output" >&2
		return 1
	fi
}

@test "memcheck: envbox-auth, lookups and errors" {
	memcheck envbox-auth --image r.example/ws --config "$D/config.json"
	[ "$status" -eq 0 ]
	memcheck envbox-auth --image r.example/ws --config "$D/config.json" --json
	CODER_IMAGE_PULL_SECRET='{"auths":{' memcheck envbox-auth --image r.example/ws
	[ "$status" -eq 1 ]
	memcheck envbox-auth --image 'Bad Ref'
	[ "$status" -eq 2 ]
}

@test "memcheck: envbox-mounts parse, mountinfo, prepare" {
	memcheck envbox-mounts parse "/a:/b,/c:/d:ro"
	[ "$status" -eq 0 ]
	memcheck envbox-mounts parse --json "/a:/b,/c:/d:ro"
	memcheck envbox-mounts parse "/a:/b:rx"
	[ "$status" -eq 2 ]
	memcheck envbox-mounts mountinfo / /proc
	[ "$status" -eq 0 ]
	run sh -c "echo 'bind $D/src /x rw' | valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite envbox-mounts prepare --uid 1000 --gid 1000 --home /home/coder"
	[ "$status" -eq 0 ]
}

@test "memcheck: envbox-docker config, dockerd-args, log, and a daemon that is not there" {
	CODER_INNER_IMAGE=r.example/ws CODER_INNER_USERNAME=coder CODER_MOUNTS=/a:/b \
		CODER_INNER_ENVS='A_*,B' memcheck envbox-docker config
	[ "$status" -eq 0 ]
	CODER_INNER_IMAGE=r.example/ws CODER_INNER_USERNAME=coder memcheck envbox-docker dockerd-args
	[ "$status" -eq 0 ]
	CODER_INNER_IMAGE=r.example/ws CODER_INNER_USERNAME=coder CODER_CPUS=x memcheck envbox-docker config
	[ "$status" -eq 2 ]
	ENVBOX_LOG_FORMAT=json memcheck envbox-docker log info "hello \"world\""
	[ "$status" -eq 0 ]
	memcheck envbox-docker api GET /version
	[ "$status" -eq 1 ]
	memcheck envbox-docker probe r.example/ws coder
	[ "$status" -eq 1 ]
}

@test "memcheck: envbox-wait" {
	memcheck envbox-wait file "$D" --timeout 0
	[ "$status" -eq 0 ]
	memcheck envbox-wait docker --timeout 0
	[ "$status" -eq 1 ]
}
