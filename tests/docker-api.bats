#!/usr/bin/env bats
# envbox-docker api: raw Engine API requests against a private dockerd, and
# the subcommands still to come.
bats_require_minimum_version 1.5.0
load helpers
load lib/dockerd

setup_file() {
	dockerd_start
}

teardown_file() {
	dockerd_stop
}

# What the daemon says, asked without envbox: a cross-check.
daemon_curl() {
	curl -s --unix-socket "${DOCKER_HOST#unix://}" "http://localhost$1"
}

@test "api GET /version prints the daemon's answer, exit 0" {
	run --separate-stderr envbox-docker api GET /version
	assert_success
	[ -z "$stderr" ]
	assert_output --regexp '^\{.*"ApiVersion":"1\.[0-9]+".*\}$'
}

@test "api GET /_ping prints OK" {
	run envbox-docker api GET /_ping
	assert_success
	assert_output OK
}

@test "paths are sent as /v1.41 unless they carry a version" {
	run envbox-docker api GET /v1.24/version
	assert_success
	# A version the daemon does not speak is refused clearly, not guessed.
	run envbox-docker api GET /v1.99/version
	assert_failure 1
	assert_output "envbox-docker: GET /v1.99/version: client version 1.99 is too new. Maximum supported API version is 1.41 (HTTP 400)"
	DOCKER_API_VERSION=1.99 run envbox-docker api GET /version
	assert_failure 1
	assert_output "envbox-docker: GET /version: client version 1.99 is too new. Maximum supported API version is 1.41 (HTTP 400)"
	DOCKER_API_VERSION=1.40 run envbox-docker api GET /version
	assert_success
	DOCKER_API_VERSION=banana run envbox-docker api GET /version
	assert_failure 1
	assert_output "envbox-docker: DOCKER_API_VERSION=banana: expected a version like 1.41"
}

@test "a 404 surfaces the daemon's message and the HTTP status" {
	run --separate-stderr envbox-docker api GET /containers/nope/json
	assert_failure 1
	[ -z "$output" ]
	[ "$stderr" = "envbox-docker: GET /containers/nope/json: No such container: nope (HTTP 404)" ]
}

@test "POST with a body creates a volume; DELETE removes it" {
	run envbox-docker api POST /volumes/create '{"Name":"ebt-vol","Labels":{"by":"envbox-test"}}'
	assert_success
	assert_output --partial '"Name":"ebt-vol"'
	run daemon_curl /volumes/ebt-vol
	assert_output --partial '"by":"envbox-test"'

	run envbox-docker api DELETE /volumes/ebt-vol
	assert_success
	assert_output ''
	run daemon_curl /volumes/ebt-vol
	assert_output --partial 'no such volume'
	run envbox-docker api DELETE /volumes/ebt-vol
	assert_failure 1
	assert_output --partial "DELETE /volumes/ebt-vol: "
	assert_output --partial "(HTTP 404)"
}

@test "- reads the body from stdin" {
	run envbox-docker api POST /volumes/create - <<<'{"Name":"ebt-stdin"}'
	assert_success
	assert_output --partial '"Name":"ebt-stdin"'
	run envbox-docker api DELETE /volumes/ebt-stdin
	assert_success
}

@test "a body the daemon cannot read is a 400 with its message" {
	run envbox-docker api POST /volumes/create 'not json'
	assert_failure 1
	assert_output --regexp '^envbox-docker: POST /volumes/create: .*invalid character.* \(HTTP 400\)$'
}

@test "a streamed answer (events) is printed as it comes" {
	envbox-docker api POST /volumes/create '{"Name":"ebt-ev"}' >/dev/null
	envbox-docker api DELETE /volumes/ebt-ev
	run envbox-docker api GET "/events?since=0&until=$(($(date +%s) + 1))"
	assert_success
	assert_output --partial '"Action":"create"'
	assert_output --partial '"ebt-ev"'
	assert_output --partial '"Action":"destroy"'
}

@test "--header passes extra headers through" {
	run envbox-docker api --header 'X-Envbox-Test: 1' GET /_ping
	assert_success
	assert_output OK
	run envbox-docker api --header 'novalue' GET /_ping
	assert_failure 2
}

@test "no daemon: the socket is named, exit 1" {
	DOCKER_HOST=unix://$BATS_TEST_TMPDIR/none.sock run envbox-docker api GET /version
	assert_failure 1
	assert_output "envbox-docker: GET /version: cannot connect to $BATS_TEST_TMPDIR/none.sock: No such file or directory"
	DOCKER_HOST=tcp://127.0.0.1:2375 run envbox-docker api GET /version
	assert_failure 1
	assert_output "envbox-docker: DOCKER_HOST=tcp://127.0.0.1:2375: only unix:// sockets are supported"
}

@test "usage errors exit 2 with a hint" {
	for args in "" "api" "api GET" "api get /version" "api GET version" \
		"api GET /a b c" "api --bogus GET /" "frobnicate"; do
		# shellcheck disable=SC2086
		run envbox-docker $args
		assert_failure 2
		assert_line --index 1 "Try 'envbox-docker --help'."
	done
}

@test "--help lists every command" {
	run --separate-stderr envbox-docker --help
	assert_success
	assert_line --index 0 "Usage: envbox-docker COMMAND [OPTIONS] [ARGS]"
	for cmd in pull probe create start stop rm exec prune config dockerd-args log api; do
		assert_output --partial "$cmd"
	done
	assert_output --partial "Exit codes:"
	[ -z "$stderr" ]
}
