#!/usr/bin/env bats
# envbox-auth: registry credentials (X-Registry-Auth) and certs.d install,
# against the installed applet.
load helpers

setup() {
	# Keep the machine's own /root/.docker/config.json out of the way.
	export CODER_DOCKER_CONFIG="$BATS_TEST_TMPDIR/no-such-config.json"
	unset CODER_IMAGE_PULL_SECRET CODER_INNER_IMAGE CODER_EXTRA_CERTS_PATH
	A="$FIXTURES/auth"
}

b64() { printf '%s' "$1" | base64 -w0; }

# Decodes an X-Registry-Auth value (URL-safe base64, padded).
unheader() { printf '%s' "$1" | basenc --base64url -d; }

# A config with one auths entry: KEY and the JSON of its entry.
config() {
	printf '{"auths":{"%s":%s}}\n' "$1" "$2" >"$BATS_TEST_TMPDIR/config.json"
	echo "$BATS_TEST_TMPDIR/config.json"
}

# Runs envbox-auth --json and checks one field with jq.
field_is() {
	local f="$1" want="$2"
	shift 2
	run envbox-auth --json "$@"
	assert_success
	run jq -er ".$f" <<<"$output"
	assert_success
	assert_output "$want"
}

@test "--help prints the usage, precedence and exit codes" {
	run envbox-auth --help
	assert_success
	assert_output --partial "Usage: envbox-auth [--image REF] [--config FILE] [--json]"
	assert_output --partial "envbox-auth certs"
	assert_output --partial "CODER_DOCKER_CONFIG"
	assert_output --partial "Exit codes"
	run envbox-auth certs -h
	assert_success
	assert_output --partial "Usage:"
}

@test "bare host key from a kubectl secret: the header decodes to the credentials" {
	run envbox-auth --image registry.envbox.test:5443/team/ws:1 --config "$A/kubectl-secret.json"
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	refute_output --partial "Kube-S3cret-Beta"
	run unheader "$output"
	assert_success
	assert_output '{"username":"kube-user","password":"Kube-S3cret-Beta","serveraddress":"registry.envbox.test:5443"}'
}

@test "header value is URL-safe base64 with padding, equal to --json" {
	cfg=$(config r.io '{"username":"u?>","password":"~~~??"}')
	run envbox-auth --image r.io/x --config "$cfg"
	assert_success
	header="$output"
	[[ "$header" != *+* && "$header" != */* ]]
	[ $(( ${#header} % 4 )) -eq 0 ]
	run envbox-auth --image r.io/x --config "$cfg" --json
	assert_success
	[ "$(unheader "$header")" = "$output" ]
	run jq -er .password <<<"$output"
	assert_output '~~~??'
}

@test "host:port key matches only that port" {
	cfg=$(config reg.test:5443 "{\"auth\":\"$(b64 u:p)\"}")
	field_is username u --image reg.test:5443/img --config "$cfg"
	for img in reg.test/img reg.test:5444/img reg.test:544/img; do
		run envbox-auth --image "$img" --config "$cfg"
		assert_success
		assert_output ""
	done
}

@test "URL key matches its host:port; serveraddress is the key as written" {
	cfg=$(config https://registry.envbox.test:5443 "{\"auth\":\"$(b64 u:p)\"}")
	field_is username u --image registry.envbox.test:5443/ws --config "$cfg"
	field_is serveraddress https://registry.envbox.test:5443 --image registry.envbox.test:5443/ws --config "$cfg"
	cfg=$(config https://Registry.Envbox.Test:5443/v2/ "{\"auth\":\"$(b64 u:p)\"}")
	field_is username u --image registry.envbox.test:5443/ws --config "$cfg"
	run envbox-auth --image registry.envbox.test/ws --config "$cfg"
	assert_output ""
}

@test "docker.io aliases all mean Docker Hub" {
	for key in https://index.docker.io/v1/ index.docker.io registry-1.docker.io docker.io; do
		cfg=$(config "$key" "{\"auth\":\"$(b64 hub:pw)\"}")
		for img in ubuntu library/ubuntu:22.04 docker.io/ubuntu index.docker.io/coder/envbox coder/envbox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef; do
			field_is username hub --image "$img" --config "$cfg"
			field_is serveraddress "$key" --image "$img" --config "$cfg"
		done
		run envbox-auth --image ghcr.io/coder/envbox --config "$cfg"
		assert_output ""
	done
}

@test "several matching forms: docker's exact key wins" {
	field_is username url-user --image registry.example.com:5443/x --config "$A/docker-config.json"
	field_is identitytoken Ident-T0ken-Epsilon --image registry.example.com/x --config "$A/docker-config.json"
	printf '%s' '{"auths":{"https://r.io/":{"username":"url","password":"p"},"r.io":{"username":"exact","password":"p"},"http://r.io/v2/":{"username":"url2","password":"p"}}}' >"$BATS_TEST_TMPDIR/multi.json"
	field_is username exact --image r.io/x --config "$BATS_TEST_TMPDIR/multi.json"
	field_is serveraddress r.io --image r.io/x --config "$BATS_TEST_TMPDIR/multi.json"
	field_is serveraddress https://index.docker.io/v1/ --image ubuntu --config "$A/docker-config.json"
	field_is password Hub-S3cret-Gamma --image ubuntu --config "$A/docker-config.json"
}

@test "auth wins over username/password, as docker's config loader does" {
	cfg=$(config r.io "{\"username\":\"plain\",\"password\":\"plainpw\",\"auth\":\"$(b64 fromauth:authpw)\"}")
	run envbox-auth --image r.io/x --config "$cfg" --json
	assert_success
	assert_output '{"username":"fromauth","password":"authpw","serveraddress":"r.io"}'
	cfg=$(config r.io '{"username":"plain","password":"plainpw"}')
	field_is password plainpw --image r.io/x --config "$cfg"
}

@test "identitytoken: JSON carries the token and no user or password" {
	cfg=$(config r.io "{\"identitytoken\":\"Ident-T0ken-Zeta\",\"auth\":\"$(b64 u:p)\"}")
	run envbox-auth --image r.io/x --config "$cfg" --json
	assert_success
	assert_output '{"serveraddress":"r.io","identitytoken":"Ident-T0ken-Zeta"}'
	run envbox-auth --image r.io/x --config "$cfg"
	run unheader "$output"
	assert_output '{"serveraddress":"r.io","identitytoken":"Ident-T0ken-Zeta"}'
}

@test "a password with colons is split at the first colon" {
	cfg=$(config r.io "{\"auth\":\"$(b64 'me:pa:ss:w0rd:')\"}")
	field_is username me --image r.io/x --config "$cfg"
	field_is password 'pa:ss:w0rd:' --image r.io/x --config "$cfg"
}

@test "JSON escapes: quotes, backslashes and unicode survive the round trip" {
	cfg=$(config r.io '{"username":"\u00e9\"q","password":"a\\b\n\ud83d\ude00"}')
	run envbox-auth --image r.io/x --config "$cfg" --json
	assert_success
	run jq -ej '.username, .password' <<<"$output"
	assert_output "$(printf 'é"qa\\b\n😀')"
}

@test "precedence: CODER_IMAGE_PULL_SECRET alone" {
	export CODER_IMAGE_PULL_SECRET="$(cat "$A/kubectl-secret.json")"
	field_is username kube-user --image registry.envbox.test:5443/ws
}

@test "precedence: the CODER_DOCKER_CONFIG file wins over the pull secret, as in coder/envbox" {
	export CODER_IMAGE_PULL_SECRET="$(config r.io '{"username":"fromsecret","password":"p"}' >/dev/null; cat "$BATS_TEST_TMPDIR/config.json")"
	printf '%s' '{"auths":{"r.io":{"username":"fromfile","password":"p"}}}' >"$BATS_TEST_TMPDIR/docker.json"
	export CODER_DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker.json"
	run --separate-stderr envbox-auth --image r.io/x --json
	assert_success
	[ "$(jq -r .username <<<"$output")" = fromfile ]
	[[ "$stderr" == *"CODER_IMAGE_PULL_SECRET is ignored"* ]]
	# the file has nothing for the registry: the secret is still not used
	printf '%s' '{"auths":{"other.io":{"username":"fromfile","password":"p"}}}' >"$BATS_TEST_TMPDIR/docker.json"
	run --separate-stderr envbox-auth --image r.io/x
	assert_success
	assert_output ""
	# CODER_DOCKER_CONFIG naming a missing file: the secret is used
	export CODER_DOCKER_CONFIG="$BATS_TEST_TMPDIR/missing.json"
	field_is username fromsecret --image r.io/x
}

@test "precedence: --config wins over both" {
	export CODER_IMAGE_PULL_SECRET='{"auths":{"r.io":{"username":"fromsecret","password":"p"}}}'
	printf '%s' '{"auths":{"r.io":{"username":"fromfile","password":"p"}}}' >"$BATS_TEST_TMPDIR/docker.json"
	export CODER_DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker.json"
	cfg=$(config r.io '{"username":"fromflag","password":"p"}')
	field_is username fromflag --image r.io/x --config "$cfg"
}

@test "--image defaults to CODER_INNER_IMAGE" {
	export CODER_INNER_IMAGE=registry.envbox.test:5443/ws:latest
	field_is username kube-user --config "$A/kubectl-secret.json"
	field_is username kube-user --config="$A/kubectl-secret.json" --image=registry.envbox.test:5443/other
}

@test "no credentials: no output, exit 0" {
	run envbox-auth --image ghcr.io/x --config "$A/kubectl-secret.json"
	assert_success
	assert_output ""
	# an entry without credentials
	run envbox-auth --image ghcr.io/coder/x --config "$A/docker-config.json"
	assert_success
	assert_output ""
	# no source at all
	run envbox-auth --image r.io/x
	assert_success
	assert_output ""
	CODER_IMAGE_PULL_SECRET= run envbox-auth --image r.io/x
	assert_success
	assert_output ""
}

@test "malformed JSON: exit 1 naming the source, secret not shown" {
	export CODER_IMAGE_PULL_SECRET='{"auths":{"r.io":{"password":"Trunc-S3cret-Eta"'
	run envbox-auth --image r.io/x
	assert_failure 1
	assert_output --partial "envbox-auth: CODER_IMAGE_PULL_SECRET: invalid JSON"
	refute_output --partial "Trunc-S3cret-Eta"
	refute_output --partial "S3cret"
	printf '%s' '{"auths":{"r.io":{"password":"File-S3cret-Theta",}}}' >"$BATS_TEST_TMPDIR/bad.json"
	run envbox-auth --image r.io/x --config "$BATS_TEST_TMPDIR/bad.json"
	assert_failure 1
	assert_output --partial "$BATS_TEST_TMPDIR/bad.json: invalid JSON"
	refute_output --partial "S3cret"
	run envbox-auth --image r.io/x --config "$A/certs-dir/ca.pem"
	assert_failure 1
	assert_output --partial "invalid JSON"
	run envbox-auth --image r.io/x --config /dev/null
	assert_failure 1
}

@test "bad base64 in auth: exit 1 naming the key, secret not shown" {
	cfg=$(config https://r.io:5000/ '{"auth":"B64-S3cret-Iota!!"}')
	run envbox-auth --image r.io:5000/x --config "$cfg"
	assert_failure 1
	assert_output --partial 'auths key "https://r.io:5000/": "auth" is not valid base64'
	refute_output --partial "S3cret"
	refute_output --partial "B64-"
}

@test "auth without a colon: exit 1, secret not shown, not even decoded" {
	cfg=$(config r.io "{\"auth\":\"$(b64 NoColon-S3cret-Kappa)\"}")
	run envbox-auth --image r.io/x --config "$cfg"
	assert_failure 1
	assert_output --partial "\"auth\" has no ':'"
	refute_output --partial "S3cret"
	refute_output --partial "$(b64 NoColon-S3cret-Kappa)"
	cfg=$(config r.io "{\"auth\":\"$(b64 :Empty-S3cret-Lambda)\"}")
	run envbox-auth --image r.io/x --config "$cfg"
	assert_failure 1
	assert_output --partial "empty user name"
	refute_output --partial "S3cret"
}

@test "non-string fields and non-object entries: exit 1, secret not shown" {
	cfg=$(config r.io '{"username":"u","password":["Arr-S3cret-Mu"]}')
	run envbox-auth --image r.io/x --config "$cfg"
	assert_failure 1
	assert_output --partial '"password" is not a string'
	refute_output --partial "S3cret"
	cfg=$(config r.io '"Str-S3cret-Nu"')
	run envbox-auth --image r.io/x --config "$cfg"
	assert_failure 1
	assert_output --partial "the entry is not an object"
	refute_output --partial "S3cret"
	printf '%s' '["Top-S3cret-Xi"]' >"$BATS_TEST_TMPDIR/top.json"
	run envbox-auth --image r.io/x --config "$BATS_TEST_TMPDIR/top.json"
	assert_failure 1
	assert_output --partial "not a JSON object"
	refute_output --partial "S3cret"
}

@test "a bad entry for another registry does not matter" {
	printf '%s' '{"auths":{"other.io":{"auth":"!!"},"r.io":{"username":"u","password":"p"}}}' >"$BATS_TEST_TMPDIR/c.json"
	field_is username u --image r.io/x --config "$BATS_TEST_TMPDIR/c.json"
}

# ---- credential helpers ------------------------------------------------------

# fake_helper NAME BODY: docker-credential-NAME on a PATH of the test's own
# (no real helper of the host is found), recording its arguments and stdin.
fake_helper() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	cat >"$BATS_TEST_TMPDIR/bin/docker-credential-$1" <<-SH
	#!/bin/sh
	PATH=/usr/bin:/bin
	printf '%s\n' "\$*" >"$BATS_TEST_TMPDIR/$1.args"
	cat >"$BATS_TEST_TMPDIR/$1.stdin"
	$2
	SH
	chmod +x "$BATS_TEST_TMPDIR/bin/docker-credential-$1"
}

# Runs envbox-auth with only the test's helpers and envbox on PATH.
helper_auth() {
	PATH="$BATS_TEST_TMPDIR/bin:$ENVBOX_PREFIX/bin" envbox-auth "$@"
}

@test "credHelpers: runs docker-credential-NAME get with the host on stdin, as docker does" {
	fake_helper ebt 'echo "{\"ServerURL\":\"reg.test:5000\",\"Username\":\"helper-user\",\"Secret\":\"Helper-S3cret-Omicron\"}"'
	printf '%s' '{"credHelpers":{"reg.test:5000":"ebt"},"auths":{"reg.test:5000":{"username":"file","password":"p"}}}' >"$BATS_TEST_TMPDIR/c.json"
	run helper_auth --image reg.test:5000/team/ws:1 --config "$BATS_TEST_TMPDIR/c.json" --json
	assert_success
	assert_output '{"username":"helper-user","password":"Helper-S3cret-Omicron","serveraddress":"reg.test:5000"}'
	[ "$(cat "$BATS_TEST_TMPDIR/ebt.args")" = get ]
	# exactly the server, no newline
	[ "$(od -An -c "$BATS_TEST_TMPDIR/ebt.stdin" | tr -s ' ')" = " r e g . t e s t : 5 0 0 0" ]
	# the header form too
	run helper_auth --image reg.test:5000/team/ws:1 --config "$BATS_TEST_TMPDIR/c.json"
	assert_success
	run unheader "$output"
	assert_output --partial '"username":"helper-user"'
}

@test "credsStore for Docker Hub: the server is https://index.docker.io/v1/; <token> means an identity token" {
	fake_helper ebt 'echo "{\"ServerURL\":\"x\",\"Username\":\"<token>\",\"Secret\":\"Helper-T0ken-Pi\"}"'
	printf '%s' '{"auths":{"https://index.docker.io/v1/":{}},"credsStore":"ebt"}' >"$BATS_TEST_TMPDIR/c.json"
	run helper_auth --image ubuntu --config "$BATS_TEST_TMPDIR/c.json" --json
	assert_success
	assert_output '{"serveraddress":"https://index.docker.io/v1/","identitytoken":"Helper-T0ken-Pi"}'
	[ "$(cat "$BATS_TEST_TMPDIR/ebt.stdin")" = "https://index.docker.io/v1/" ]
}

@test "credsStore is not asked when auths has the registry's credentials" {
	fake_helper ebt 'echo asked >&2; exit 3'
	printf '%s' '{"auths":{"r.io":{"username":"file","password":"p"}},"credsStore":"ebt"}' >"$BATS_TEST_TMPDIR/c.json"
	field_is username file --image r.io/x --config "$BATS_TEST_TMPDIR/c.json"
	[ ! -e "$BATS_TEST_TMPDIR/ebt.args" ]
}

@test "a helper without credentials for the server: nothing, exit 0, a note" {
	fake_helper ebt 'echo "credentials not found in native keychain"; exit 1'
	printf '%s' '{"credHelpers":{"r.io":"ebt"}}' >"$BATS_TEST_TMPDIR/c.json"
	run --separate-stderr helper_auth --image r.io/x --config "$BATS_TEST_TMPDIR/c.json"
	assert_success
	assert_output ""
	[[ "$stderr" == *"docker-credential-ebt has no credentials for r.io"* ]]
	# empty Username and Secret say the same
	fake_helper ebt 'echo "{\"Username\":\"\",\"Secret\":\"\"}"'
	run --separate-stderr helper_auth --image r.io/x --config "$BATS_TEST_TMPDIR/c.json"
	assert_success
	assert_output ""
}

@test "a missing helper: exit 1 naming it and where it was named" {
	printf '%s' '{"credHelpers":{"gcr.io":"ebt-missing"}}' >"$BATS_TEST_TMPDIR/c.json"
	run helper_auth --image gcr.io/project/img --config "$BATS_TEST_TMPDIR/c.json"
	assert_failure 1
	assert_output --partial "registry gcr.io: the credentials are kept by a credential helper (credHelpers): docker-credential-ebt-missing is not installed (not found on PATH)"
	run helper_auth --image ubuntu --config "$A/credsstore.json"
	assert_failure 1
	assert_output --partial "(credsStore): docker-credential-desktop is not installed"
}

@test "a failing helper: exit 1 with its message, never a secret it printed" {
	fake_helper ebt 'echo "keychain locked"; echo "more detail" >&2; exit 4'
	printf '%s' '{"credHelpers":{"r.io":"ebt"}}' >"$BATS_TEST_TMPDIR/c.json"
	run helper_auth --image r.io/x --config "$BATS_TEST_TMPDIR/c.json"
	assert_failure 1
	assert_output --partial "docker-credential-ebt get failed for r.io (exit status 4): keychain locked"
	# only stderr to go by
	fake_helper ebt 'echo "no session" >&2; exit 1'
	run helper_auth --image r.io/x --config "$BATS_TEST_TMPDIR/c.json"
	assert_failure 1
	assert_output --partial "(exit status 1): no session"
	# JSON on a failure may hold the secret: not shown
	fake_helper ebt 'echo "{\"Username\":\"u\",\"Secret\":\"Fail-S3cret-Rho\"}"; exit 1'
	run helper_auth --image r.io/x --config "$BATS_TEST_TMPDIR/c.json"
	assert_failure 1
	refute_output --partial "S3cret"
	# output that is not the protocol's JSON: not shown either
	fake_helper ebt 'echo "Plain-S3cret-Sigma"'
	run helper_auth --image r.io/x --config "$BATS_TEST_TMPDIR/c.json"
	assert_failure 1
	assert_output --partial "not the JSON object the credential helper protocol defines"
	refute_output --partial "S3cret"
	# killed by a signal
	fake_helper ebt 'kill -KILL $$'
	run helper_auth --image r.io/x --config "$BATS_TEST_TMPDIR/c.json"
	assert_failure 1
	assert_output --partial "killed by signal 9"
}

@test "a helper name that is not one is refused, never run" {
	printf '%s' '{"credHelpers":{"r.io":"../../bin/sh"}}' >"$BATS_TEST_TMPDIR/c.json"
	run helper_auth --image r.io/x --config "$BATS_TEST_TMPDIR/c.json"
	assert_failure 1
	assert_output --partial 'credHelpers names the credential helper "../../bin/sh", which is not a valid helper name'
}

@test "the note under the entrypoint is a build-log entry" {
	printf '%s' '{"auths":{"r.io":{"username":"fromfile","password":"p"}}}' >"$BATS_TEST_TMPDIR/docker.json"
	CODER_DOCKER_CONFIG="$BATS_TEST_TMPDIR/docker.json" CODER_IMAGE_PULL_SECRET='{}' ENVBOX_LOG_FORMAT=json \
		run --separate-stderr envbox-auth --image r.io/x
	assert_success
	run jq -r .output <<<"$stderr"
	assert_output --partial "CODER_IMAGE_PULL_SECRET is ignored"
}

@test "usage errors exit 2" {
	run envbox-auth
	assert_failure 2
	assert_output --partial "no image"
	assert_output --partial "Try 'envbox-auth --help'"
	run envbox-auth --image
	assert_failure 2
	run envbox-auth --image x --bogus
	assert_failure 2
	assert_output --partial "unknown option --bogus"
	run envbox-auth --image x extra
	assert_failure 2
	run envbox-auth --image 'Upper/case:tag'
	assert_success
	run envbox-auth --image 'ubuntu/Case'
	assert_failure 2
	assert_output --partial "must be lowercase"
	run envbox-auth --image 'img@sha256:abc'
	assert_failure 2
	assert_output --partial "digest"
	run envbox-auth --image ' '
	assert_failure 2
	run envbox-auth certs --image r.io/x
	assert_failure 2
	assert_output --partial "--from"
	run envbox-auth certs --from "$A/single-ca.crt"
	assert_failure 2
	assert_output --partial "no image"
}

@test "--config naming a missing file: exit 1" {
	run envbox-auth --image r.io/x --config "$BATS_TEST_TMPDIR/nope.json"
	assert_failure 1
	assert_output --partial "nope.json"
}

# ---- certs -----------------------------------------------------------------

@test "certs: a file becomes DIR/<registry>/ca.crt" {
	d="$BATS_TEST_TMPDIR/certs.d"
	run --separate-stderr envbox-auth certs --image registry.envbox.test:5443/ws --from "$A/single-ca.crt" --certs-dir "$d"
	assert_success
	assert_output "$d/registry.envbox.test:5443/ca.crt"
	cmp "$A/single-ca.crt" "$d/registry.envbox.test:5443/ca.crt"
	[ "$(stat -c %a "$d/registry.envbox.test:5443")" = 755 ]
	[ "$(stat -c %a "$d/registry.envbox.test:5443/ca.crt")" = 644 ]
	[ "$(ls -A "$d")" = "registry.envbox.test:5443" ]
}

@test "certs: a directory is copied by name; CAs get .crt; hidden files and subdirectories skipped" {
	d="$BATS_TEST_TMPDIR/nested/certs.d"
	run envbox-auth certs --image reg.test/ws --from "$A/certs-dir" --certs-dir "$d"
	assert_success
	assert_line "$d/reg.test/ca.pem.crt"
	assert_line "$d/reg.test/client.cert"
	assert_line "$d/reg.test/client.key"
	assert_line "$d/reg.test/extra.crt"
	[ "${#lines[@]}" -eq 4 ]
	[ "$(ls -A "$d/reg.test" | tr '\n' ' ')" = "ca.pem.crt client.cert client.key extra.crt " ]
	cmp "$A/certs-dir/ca.pem" "$d/reg.test/ca.pem.crt"
	cmp "$A/certs-dir/client.key" "$d/reg.test/client.key"
	[ "$(stat -c %a "$d/reg.test/client.key")" = 600 ]
	[ "$(ls -A "$d")" = reg.test ]
}

@test "certs: a Kubernetes-mounted directory (..data symlinks) works" {
	src="$BATS_TEST_TMPDIR/mounted"
	mkdir -p "$src/..2024_01_01_00_00_00.1"
	cp "$A/single-ca.crt" "$src/..2024_01_01_00_00_00.1/ca.crt"
	ln -s ..2024_01_01_00_00_00.1 "$src/..data"
	ln -s ..data/ca.crt "$src/ca.crt"
	d="$BATS_TEST_TMPDIR/certs.d"
	run envbox-auth certs --image reg.test:5000/ws --from "$src" --certs-dir "$d"
	assert_success
	assert_output "$d/reg.test:5000/ca.crt"
	[ ! -L "$d/reg.test:5000/ca.crt" ]
	cmp "$A/single-ca.crt" "$d/reg.test:5000/ca.crt"
}

@test "certs: an existing DIR/<registry> is left untouched" {
	d="$BATS_TEST_TMPDIR/certs.d"
	mkdir -p "$d/reg.test"
	echo mine >"$d/reg.test/ca.crt"
	run --separate-stderr envbox-auth certs --image reg.test/ws --from "$A/certs-dir" --certs-dir "$d"
	assert_success
	assert_output ""
	[[ "$stderr" == *"$d/reg.test already exists; left untouched"* ]]
	[ "$(cat "$d/reg.test/ca.crt")" = mine ]
	[ "$(ls -A "$d/reg.test")" = ca.crt ]
	[ "$(ls -A "$d")" = reg.test ]
	# even when --from is unusable, as in coder/envbox
	run envbox-auth certs --image reg.test/ws --from "$BATS_TEST_TMPDIR/nothing" --certs-dir "$d"
	assert_success
}

@test "certs: defaults from CODER_INNER_IMAGE and CODER_EXTRA_CERTS_PATH" {
	export CODER_INNER_IMAGE=reg.test:5443/ws CODER_EXTRA_CERTS_PATH="$A/single-ca.crt"
	run envbox-auth certs --certs-dir "$BATS_TEST_TMPDIR/c"
	assert_success
	assert_output "$BATS_TEST_TMPDIR/c/reg.test:5443/ca.crt"
}

@test "certs: Docker Hub gets a warning" {
	run --separate-stderr envbox-auth certs --image ubuntu --from "$A/single-ca.crt" --certs-dir "$BATS_TEST_TMPDIR/c"
	assert_success
	assert_output "$BATS_TEST_TMPDIR/c/docker.io/ca.crt"
	[[ "$stderr" == *"does not read certs.d for Docker Hub"* ]]
}

@test "certs: bad paths fail with exit 1 and leave nothing behind" {
	d="$BATS_TEST_TMPDIR/certs.d"
	run envbox-auth certs --image reg.test/ws --from "$BATS_TEST_TMPDIR/missing" --certs-dir "$d"
	assert_failure 1
	assert_output --partial "--from $BATS_TEST_TMPDIR/missing: No such file or directory"
	run envbox-auth certs --image reg.test/ws --from /dev/null --certs-dir "$d"
	assert_failure 1
	assert_output --partial "not a file or a directory"
	mkdir "$BATS_TEST_TMPDIR/empty"
	run envbox-auth certs --image reg.test/ws --from "$BATS_TEST_TMPDIR/empty" --certs-dir "$d"
	assert_failure 1
	assert_output --partial "no regular files"
	run envbox-auth certs --image reg.test/ws --from "$A/certs-unpaired" --certs-dir "$d"
	assert_failure 1
	assert_output --partial "tls.key has no tls.cert beside it"
	run envbox-auth certs --image reg.test/ws --from "$A/single-ca.crt" --certs-dir /dev/null/certs.d
	assert_failure 1
	assert_output --partial "/dev/null"
	[ ! -e "$d" ] || [ -z "$(ls -A "$d")" ]
}

@test "certs: a copy failing half-way leaves no directory, no temporary" {
	src="$BATS_TEST_TMPDIR/src"
	mkdir "$src"
	cp "$A/single-ca.crt" "$src/a.crt"
	# stat says regular file, read fails (EIO)
	ln -s /proc/self/mem "$src/b.crt"
	d="$BATS_TEST_TMPDIR/certs.d"
	run envbox-auth certs --image reg.test/ws --from "$src" --certs-dir "$d"
	assert_failure 1
	assert_output --partial "$src/b.crt"
	[ -d "$d" ]
	[ -z "$(ls -A "$d")" ]
}
