#!/usr/bin/env bats
# Private registries end to end: `envbox docker` pulls its workspace image
# from a registry with TLS from a throw-away CA and htpasswd auth, on a real
# address in a network namespace (tests/lib/tls-registry.bash), using pull
# secrets, a docker config file, a credential helper and extra CA
# certificates — and fails at once, clearly, when one of them is wrong.
# Each test runs envbox with a daemon of its own (fresh data root), so every
# pull goes to the registry.
load helpers
load lib/dockerd
load lib/envbox
load lib/tls-registry

IMAGE=ws/private:1  # one layer: busybox, user coder
LAYERS=ws/layers:1  # that and three layers of 4 MB of random data
WRONG_PASS=Wrong-Pa55-Upsilon

setup_file() {
	local root=$BATS_FILE_TMPDIR/rootfs i
	id coder >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin coder
	grep -q '^coder:' /etc/subuid || echo coder:100000:65536 >>/etc/subuid
	grep -q '^coder:' /etc/subgid || echo coder:100000:65536 >>/etc/subgid
	tls_registry_setup

	"$BATS_TEST_DIRNAME/lib/image.sh" rootfs "$root" --user coder:1000:1000:/home/coder
	for i in 1 2 3; do
		mkdir -p "$BATS_FILE_TMPDIR/layer$i/data"
		head -c 4000000 /dev/urandom >"$BATS_FILE_TMPDIR/layer$i/data/blob$i"
	done
	push "$IMAGE" "$root"
	push "$LAYERS" "$root" "$BATS_FILE_TMPDIR"/layer[123]

	# Another CA, trusted for nothing here.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=some other CA" -keyout "$BATS_FILE_TMPDIR/other-ca.key" \
		-out "$BATS_FILE_TMPDIR/other-ca.crt" 2>/dev/null
	mkdir -p "$BATS_FILE_TMPDIR/logs"
}

teardown_file() {
	tls_registry_teardown
}

setup() {
	unset CODER_IMAGE_PULL_SECRET CODER_EXTRA_CERTS_PATH CODER_INNER_IMAGE
	# Keep the machine's own /root/.docker/config.json out of it.
	export CODER_DOCKER_CONFIG=$BATS_TEST_TMPDIR/no-docker-config.json
	tls_registry_certs_clean
	envbox_env_dir
}

teardown() {
	# Kept for the last test, which looks for secrets in all of them.
	local keep=$BATS_FILE_TMPDIR/logs/$BATS_TEST_NUMBER
	mkdir -p "$keep"
	cp -r "$EB_OUT" "$EB_DIR/stdout" "$EB_DIR/log" "$keep/" 2>/dev/null || true
	envbox_cleanup
	tls_registry_certs_clean
	tls_registry_shape off
	[ -n "$(ip netns pids "$TLSREG_NS" 2>/dev/null)" ] || tls_registry_start
}

push() {
	local ref=$1
	shift
	"$BATS_TEST_DIRNAME/lib/image.sh" push "$TLSREG_URL" "$ref" "$@" \
		--auth "$TLSREG_USER:$TLSREG_PASS" --cacert "$TLSREG_CA"
}

b64() { printf '%s' "$1" | base64 -w0; }

# secret KEY [PASSWORD]: a .dockerconfigjson as `kubectl create secret
# docker-registry` writes it.
secret() {
	local pass=${2:-$TLSREG_PASS}
	printf '{"auths":{"%s":{"username":"%s","password":"%s","email":"dev@example.com","auth":"%s"}}}' \
		"$1" "$TLSREG_USER" "$pass" "$(b64 "$TLSREG_USER:$pass")"
}

# start_ok [VAR=VALUE...]: envbox docker brings the workspace up from the
# private image; then it is stopped.
start_ok() {
	envbox_start CODER_INNER_IMAGE="${EB_IMAGE:-$TLSREG/$IMAGE}" CODER_INNER_USERNAME=coder "$@"
	[ "$(docker inspect -f '{{.Config.Image}}' workspace_cvm)" = "${EB_IMAGE:-$TLSREG/$IMAGE}" ]
	[ "$(docker exec -u 1000:1000 workspace_cvm id -un)" = coder ]
	grep -q "\"Pulled ${EB_IMAGE:-$TLSREG/$IMAGE} (" "$EB_OUT"
	envbox_stop
	log_is_json
}

# start_fails [VAR=VALUE...]: envbox docker exits 1 during startup.
start_fails() {
	run envbox_start CODER_INNER_IMAGE="$TLSREG/$IMAGE" CODER_INNER_USERNAME=coder "$@"
	assert_failure
	run envbox_wait_exit 90
	assert_failure 1
	log_is_json
}

# Every line of the build log is a JSON entry (no stray applet output).
log_is_json() {
	run jq -c . "$EB_OUT"
	assert_success
}

# The entrypoint's error entry that ended startup.
error_entry() {
	jq -r 'select(.type == "error") | .output' "$EB_OUT" | grep -m1 'envbox-'
}

# How many pull attempts the log reports.
attempts() {
	grep -c 'attempt [0-9]* failed' "$EB_OUT" || true
}

# No workspace container, no image: the pull failed before anything was made.
nothing_created() {
	local root
	run ! grep -q 'Creating workspace' "$EB_OUT"
	root=$EB_DIR/data/100000.100000
	[ -d "$root" ]
	[ -z "$(ls -A "$root/containers" 2>/dev/null)" ]
	run ! grep -qs "$TLSREG_NAME" "$root/image/overlay2/repositories.json"
	# and envbox stopped its dockerd
	[ -z "$(_dockerd_pids_under "$EB_DIR")" ]
}

certs_installed() {
	find "$TLSREG_CERTS_D/$TLSREG" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' '
}

# What a directory holds: names, sizes, times, modes, contents.
dir_state() {
	(cd "$1" && stat -c '%n %s %Y %a' . ./* && sha256sum ./*)
}

@test "a kubectl pull secret keyed host:port and a CA file: the private image is pulled, the workspace runs" {
	# CODER_DEBUG puts dockerd at debug level: its log says the most.
	start_ok CODER_IMAGE_PULL_SECRET="$(secret "$TLSREG")" CODER_EXTRA_CERTS_PATH="$TLSREG_CA" \
		CODER_DEBUG=true
	[ "$(certs_installed)" = "ca.crt " ]
	cmp "$TLSREG_CA" "$TLSREG_CERTS_D/$TLSREG/ca.crt"
	[ "$(attempts)" -eq 0 ]
}

@test "a pull secret keyed by the full URL works too" {
	start_ok CODER_IMAGE_PULL_SECRET="$(secret "https://$TLSREG")" CODER_EXTRA_CERTS_PATH="$TLSREG_CA"
}

@test "wrong password: an authentication error naming the registry, one attempt, exit 1, nothing created" {
	start_fails CODER_IMAGE_PULL_SECRET="$(secret "$TLSREG" "$WRONG_PASS")" CODER_EXTRA_CERTS_PATH="$TLSREG_CA"
	run error_entry
	assert_output --partial "registry $TLSREG refused the credentials"
	[ "$(attempts)" -eq 1 ]
	nothing_created
}

@test "a secret for another registry is ignored: unauthorised, no credentials matched" {
	start_fails CODER_IMAGE_PULL_SECRET="$(secret other.example.com:5443)" CODER_EXTRA_CERTS_PATH="$TLSREG_CA"
	run error_entry
	assert_output --partial "registry $TLSREG requires authentication and no credentials matched $TLSREG"
	assert_output --partial "CODER_IMAGE_PULL_SECRET"
	[ "$(attempts)" -eq 1 ]
	nothing_created
}

@test "CODER_DOCKER_CONFIG, when present, is used and wins over the pull secret" {
	# as `docker login` writes it: "auth" only
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$TLSREG" "$(b64 "$TLSREG_USER:$TLSREG_PASS")" \
		>"$BATS_TEST_TMPDIR/config.json"
	start_ok CODER_DOCKER_CONFIG="$BATS_TEST_TMPDIR/config.json" \
		CODER_IMAGE_PULL_SECRET="$(secret "$TLSREG" "$WRONG_PASS")" CODER_EXTRA_CERTS_PATH="$TLSREG_CA"
	run jq -r .output "$EB_OUT"
	assert_line "envbox-auth: note: using the docker config $BATS_TEST_TMPDIR/config.json; CODER_IMAGE_PULL_SECRET is ignored"
}

@test "CODER_DOCKER_CONFIG without the registry: the secret is not used either, as in coder/envbox" {
	printf '{"auths":{"other.example.com":{"auth":"%s"}}}\n' "$(b64 someone:else)" >"$BATS_TEST_TMPDIR/config.json"
	start_fails CODER_DOCKER_CONFIG="$BATS_TEST_TMPDIR/config.json" \
		CODER_IMAGE_PULL_SECRET="$(secret "$TLSREG")" CODER_EXTRA_CERTS_PATH="$TLSREG_CA"
	run error_entry
	assert_output --partial "no credentials matched $TLSREG"
	nothing_created
}

@test "a credential helper named in the docker config supplies the credentials" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	# The password comes from a file, as a real helper's keychain.
	printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "$TLSREG" "$TLSREG_USER" "$TLSREG_PASS" \
		>"$BATS_TEST_TMPDIR/keychain.json"
	cat >"$BATS_TEST_TMPDIR/bin/docker-credential-ebtest" <<-SH
	#!/bin/sh
	[ "\$1" = get ] && [ "\$(cat)" = "$TLSREG" ] || { echo "credentials not found in native keychain"; exit 1; }
	cat "$BATS_TEST_TMPDIR/keychain.json"
	SH
	chmod +x "$BATS_TEST_TMPDIR/bin/docker-credential-ebtest"
	printf '{"credHelpers":{"%s":"ebtest"}}\n' "$TLSREG" >"$BATS_TEST_TMPDIR/config.json"
	start_ok PATH="$BATS_TEST_TMPDIR/bin:$PATH" CODER_DOCKER_CONFIG="$BATS_TEST_TMPDIR/config.json" \
		CODER_EXTRA_CERTS_PATH="$TLSREG_CA"
}

@test "CODER_EXTRA_CERTS_PATH as a directory of certificates" {
	local d=$BATS_TEST_TMPDIR/certs
	mkdir -p "$d"
	cp "$BATS_FILE_TMPDIR/other-ca.crt" "$d/other-ca.crt"
	cp "$TLSREG_CA" "$d/corp-ca.pem"
	start_ok CODER_IMAGE_PULL_SECRET="$(secret "$TLSREG")" CODER_EXTRA_CERTS_PATH="$d"
	# dockerd reads CAs only from *.crt: the .pem got the suffix
	[ "$(certs_installed)" = "corp-ca.pem.crt other-ca.crt " ]
}

@test "without CODER_EXTRA_CERTS_PATH: fails at once, the certificate not trusted, pointing at CODER_EXTRA_CERTS_PATH" {
	start_fails CODER_IMAGE_PULL_SECRET="$(secret "$TLSREG")"
	run error_entry
	assert_output --partial "the certificate of registry $TLSREG is not trusted"
	assert_output --partial "set CODER_EXTRA_CERTS_PATH"
	assert_output --partial "x509"
	[ "$(attempts)" -eq 1 ]
	nothing_created
	[ ! -e "$TLSREG_CERTS_D/$TLSREG" ]
}

@test "a pre-existing /etc/docker/certs.d/<registry> is used and left untouched" {
	local mine=$TLSREG_CERTS_D/$TLSREG before
	mkdir -p "$mine"
	cp "$TLSREG_CA" "$mine/ca.crt"
	echo "put here by the operator" >"$mine/README"
	touch -d '2020-01-01' "$mine/ca.crt" "$mine/README" "$mine"
	before=$(dir_state "$mine")
	# a CA that would not do: the existing directory must win
	start_ok CODER_IMAGE_PULL_SECRET="$(secret "$TLSREG")" \
		CODER_EXTRA_CERTS_PATH="$BATS_FILE_TMPDIR/other-ca.crt"
	[ "$(dir_state "$mine")" = "$before" ]
	run jq -r .output "$EB_OUT"
	assert_line "envbox-auth: note: $mine already exists; left untouched"
}

@test "pull progress lines appear while a multi-layer image comes in" {
	local shaped=yes
	# About 12 MB at 24 Mbit/s: a few seconds, so several progress lines.
	tls_registry_shape 24mbit || shaped=no
	EB_IMAGE=$TLSREG/$LAYERS start_ok CODER_IMAGE_PULL_SECRET="$(secret "$TLSREG")" \
		CODER_EXTRA_CERTS_PATH="$TLSREG_CA"
	run jq -r .output "$EB_OUT"
	assert_line --regexp '^pulling: [0-3]/4 layers done, .* downloaded'
	assert_line --regexp "^Pulled $TLSREG/$LAYERS \\(4/4 layers done, 1[0-9]\\.[0-9] MB/1[0-9]\\.[0-9] MB downloaded\\)\$"
	if [ "$shaped" = yes ]; then
		[ "$(grep -c '"pulling: ' "$EB_OUT")" -ge 2 ]
	fi
}

@test "registry down: bounded retries with backoff, then exit 1 naming the registry" {
	local first last
	tls_registry_stop
	start_fails CODER_IMAGE_PULL_SECRET="$(secret "$TLSREG")" CODER_EXTRA_CERTS_PATH="$TLSREG_CA"
	# 10 retries (the original's), waiting 1, 2, then 3 s
	[ "$(attempts)" -eq 11 ]
	run jq -r .output "$EB_OUT"
	assert_line --partial "attempt 1 failed: "
	assert_line --partial "connection refused"
	assert_line --regexp 'attempt 1 failed: .*; retrying in 1 s$'
	assert_line --regexp 'attempt 2 failed: .*; retrying in 2 s$'
	assert_line --regexp 'attempt 10 failed: .*; retrying in 3 s$'
	run error_entry
	assert_output --partial "pulling from registry $TLSREG: giving up after 11 attempts"
	first=$(jq -r 'select(.output | test("attempt 1 failed")) | .time' "$EB_OUT")
	last=$(jq -r 'select(.output | test("attempt 11 failed")) | .time' "$EB_OUT")
	# 1 + 2 + 8 * 3 = 27 s of backoff
	(($(date -d "$last" +%s) - $(date -d "$first" +%s) >= 26))
	nothing_created
	tls_registry_start
}

@test "no password, auth value or X-Registry-Auth value in envbox's output or dockerd's log" {
	local logs=$BATS_FILE_TMPDIR/logs s pass
	[ -n "$(ls -A "$logs")" ] || skip "run the whole file: this test reads the logs of the others"
	# dockerd's logs are there, at debug level for the first test
	[ -n "$(find "$logs" -name dockerd.log -size +1k)" ]
	grep -qs 'level=debug' "$logs"/*/log/dockerd.log
	for pass in "$TLSREG_PASS" "$WRONG_PASS"; do
		for s in "$pass" "$(b64 "$TLSREG_USER:$pass")" \
			"$(CODER_IMAGE_PULL_SECRET="$(secret "$TLSREG" "$pass")" envbox-auth --image "$TLSREG/$IMAGE")"; do
			[ -n "$s" ]
			run grep -rlF -- "$s" "$logs"
			assert_failure 1
		done
	done
}
