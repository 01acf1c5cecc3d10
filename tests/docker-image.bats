#!/usr/bin/env bats
# envbox-docker pull, probe, prune against a private dockerd with
# --userns-remap=coder (as envbox runs it) and local docker-registry
# instances on 127.0.0.1: one open, one with htpasswd auth, and a port with
# nothing listening. The images are busybox rootfs trees pushed with
# tests/lib/image.sh.
bats_require_minimum_version 1.5.0
load helpers
load lib/dockerd

IMAGE_SH="$BATS_TEST_DIRNAME/lib/image.sh"
PASSWORD='s3cret-Pa55word'

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_registry NAME PORT [HTPASSWD]: a docker-registry in the background,
# ready when it answers /v2/ (200, or 401 with auth).
start_registry() {
	local name=$1 port=$2 htpasswd=${3:-} dir=$BATS_FILE_TMPDIR/$1 i code
	mkdir -p "$dir/data"
	{
		echo "version: 0.1"
		echo "log: {level: error}"
		echo "storage: {filesystem: {rootdirectory: $dir/data}}"
		echo "http: {addr: 127.0.0.1:$port}"
		if [ -n "$htpasswd" ]; then
			echo "auth: {htpasswd: {realm: envbox-test, path: $htpasswd}}"
		fi
	} >"$dir/config.yml"
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 3>&- &
	echo $! >"$dir/pid"
	for ((i = 0; i < 100; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/") || true
		case $code in 200 | 401) return 0 ;; esac
		sleep 0.1
	done
	echo "registry $name did not start; its log:" >&2
	cat "$dir/log" >&2
	return 1
}

# rootfs NAME [image.sh rootfs options]: a busybox tree with user coder.
rootfs() {
	local dir=$BATS_FILE_TMPDIR/rootfs-$1
	shift
	sh "$IMAGE_SH" rootfs "$dir" --user coder:1000:1000:/home/coder "$@"
	echo "$dir"
}

setup_file() {
	local dir plain_dir
	ensure_remap_user

	dockerd_start --userns-remap=coder

	REG_PORT=$(free_port)
	AUTH_PORT=$(free_port)
	DOWN_PORT=$(free_port)
	REG=127.0.0.1:$REG_PORT
	AUTH_REG=127.0.0.1:$AUTH_PORT
	export REG_PORT AUTH_PORT DOWN_PORT REG AUTH_REG
	htpasswd -Bbn alice "$PASSWORD" >"$BATS_FILE_TMPDIR/htpasswd"
	start_registry open "$REG_PORT"
	start_registry auth "$AUTH_PORT" "$BATS_FILE_TMPDIR/htpasswd"

	# ebt/three: rootfs with /sbin/init plus two layers of random data.
	plain_dir=$(rootfs three --init)
	mkdir -p "$BATS_FILE_TMPDIR/layer2" "$BATS_FILE_TMPDIR/layer3"
	head -c 1500000 /dev/urandom >"$BATS_FILE_TMPDIR/layer2/data2"
	head -c 2500000 /dev/urandom >"$BATS_FILE_TMPDIR/layer3/data3"
	sh "$IMAGE_SH" push "http://$REG" ebt/three:v1 "$plain_dir" \
		"$BATS_FILE_TMPDIR/layer2" "$BATS_FILE_TMPDIR/layer3"

	# ebt/noinit: no /sbin/init; the user rel has a relative home.
	dir=$(rootfs noinit --os-release alpine)
	echo 'rel:x:1001:1001::home/rel:/bin/sh' >>"$dir/etc/passwd"
	sh "$IMAGE_SH" push "http://$REG" ebt/noinit:v1 "$dir"

	# ebt/links: as systemd distributions lay it out. /etc/os-release ->
	# ../usr/lib/os-release; /sbin/init -> ../usr/sbin/init ->
	# /lib/systemd/systemd, through the directory link /lib -> usr/lib.
	dir=$(rootfs links)
	mkdir -p "$dir/usr/lib/systemd" "$dir/usr/sbin"
	rm "$dir/etc/os-release"
	printf 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=39\n' >"$dir/usr/lib/os-release"
	ln -s ../usr/lib/os-release "$dir/etc/os-release"
	printf '#!/bin/sh\nexec sleep 2147483647\n' >"$dir/usr/lib/systemd/systemd"
	chmod 755 "$dir/usr/lib/systemd/systemd"
	ln -s usr/lib "$dir/lib"
	ln -s /lib/systemd/systemd "$dir/usr/sbin/init"
	ln -s ../usr/sbin/init "$dir/sbin/init"
	sh "$IMAGE_SH" push "http://$REG" ebt/links:v1 "$dir"

	# ebt/dangling: /sbin/init points nowhere; no os-release at all.
	dir=$(rootfs dangling)
	rm "$dir/etc/os-release"
	ln -s /lib/systemd/systemd "$dir/sbin/init"
	sh "$IMAGE_SH" push "http://$REG" ebt/dangling:v1 "$dir"

	# ebt/biginit: /sbin/init larger than probe fetches (64 KiB).
	dir=$(rootfs biginit)
	cp "$(command -v busybox)" "$dir/sbin/init"
	sh "$IMAGE_SH" push "http://$REG" ebt/biginit:v1 "$dir"

	# ebt/odd: /sbin/init a directory (with more than 64 KiB in it), an
	# os-release ID the spec does not allow.
	dir=$(rootfs odd)
	mkdir "$dir/sbin/init"
	head -c 300000 /dev/urandom >"$dir/sbin/init/data"
	printf 'ID="not valid"\n' >"$dir/etc/os-release"
	sh "$IMAGE_SH" push "http://$REG" ebt/odd:v1 "$dir"

	# ebt/nopasswd: no /etc/passwd.
	dir=$(rootfs nopasswd)
	rm "$dir/etc/passwd"
	sh "$IMAGE_SH" push "http://$REG" ebt/nopasswd:v1 "$dir"

	# ebt/loop: links that go round: /sbin/init -> init2 -> init, and an
	# /etc/os-release that points at itself.
	dir=$(rootfs loop)
	rm "$dir/etc/os-release"
	ln -s init2 "$dir/sbin/init"
	ln -s init "$dir/sbin/init2"
	ln -s os-release "$dir/etc/os-release"
	sh "$IMAGE_SH" push "http://$REG" ebt/loop:v1 "$dir"

	# priv/img on the registry with auth.
	sh "$IMAGE_SH" push "http://$AUTH_REG" priv/img:v1 "$(rootfs priv)" --auth "alice:$PASSWORD"
}

teardown_file() {
	local name pid
	for name in open auth; do
		pid=$(cat "$BATS_FILE_TMPDIR/$name/pid" 2>/dev/null) || continue
		kill "$pid" 2>/dev/null || true
	done
	dockerd_stop
}

setup() {
	export ENVBOX_LOG_FORMAT=text
	unset ENVBOX_REGISTRY_AUTH
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# No container may be left behind, whatever a command did.
assert_no_containers() {
	run envbox-docker api GET '/containers/json?all=1'
	assert_success
	assert_output '[]'
}

# The X-Registry-Auth value envbox-auth makes for USER:PASS at AUTH_REG.
auth_for() {
	printf '{"auths":{"%s":{"username":"%s","password":"%s"}}}\n' "$AUTH_REG" "$1" "$2" \
		>"$BATS_TEST_TMPDIR/config.json"
	envbox-auth --config "$BATS_TEST_TMPDIR/config.json" --image "$AUTH_REG/priv/img:v1"
}

attempts() { grep -c 'attempt [0-9]* failed' <<<"$1" || true; }

# --- pull ----------------------------------------------------------------------

@test "pull: a 3-layer image logs progress, then the image is there" {
	run --separate-stderr envbox-docker pull "$REG/ebt/three:v1"
	assert_success
	[ -z "$output" ]
	[[ $stderr == *"info: Pulling image $REG/ebt/three:v1"* ]]
	[[ $stderr =~ info:\ pulling:\ [0-3]/3\ layers\ done,\ [0-9.]+\ [kMB]+/[0-9.]+\ [kMB]+\ downloaded ]]
	[[ $stderr =~ info:\ Pulled\ $REG/ebt/three:v1\ \(3/3\ layers\ done,\ 5\.[0-9]\ MB/5\.[0-9]\ MB\ downloaded\) ]]
	run envbox-docker api GET "/images/$REG%2Febt%2Fthree:v1/json"
	assert_success
	assert_output --partial "\"RepoTags\":[\"$REG/ebt/three:v1\"]"
	assert_output --regexp '"Layers":\["sha256:[0-9a-f]{64}","sha256:[0-9a-f]{64}","sha256:[0-9a-f]{64}"\]'
}

@test "pull: build-log JSON lines, at most one progress line per 2 s" {
	envbox-docker api DELETE "/images/$REG%2Febt%2Fthree:v1?force=1" >/dev/null
	ENVBOX_LOG_FORMAT=json run --separate-stderr envbox-docker pull "$REG/ebt/three:v1"
	assert_success
	python3 - "$stderr" <<-'PY'
	import datetime, json, sys
	lines = [json.loads(l) for l in sys.argv[1].splitlines()]
	assert all(l["type"] == "info" and set(l) == {"output", "time", "type"} for l in lines), lines
	progress = [l for l in lines if l["output"].startswith("pulling: ")]
	assert progress, lines
	def t(l): return datetime.datetime.fromisoformat(l["time"][:26])
	for a, b in zip(progress, progress[1:]):
	    assert (t(b) - t(a)).total_seconds() >= 2, (a, b)
	assert lines[-1]["output"].startswith("Pulled "), lines[-1]
	PY
}

@test "pull: an image already there is quick and up to date" {
	envbox-docker pull "$REG/ebt/three:v1" 2>/dev/null
	t0=$(now_ms)
	run envbox-docker pull "$REG/ebt/three:v1"
	assert_success
	[ $(($(now_ms) - t0)) -lt 2000 ]
	assert_output --partial "info: Image $REG/ebt/three:v1 is up to date"
	refute_output --partial "pulling: "
}

@test "pull: no credentials for a registry with auth fails at once, saying none matched" {
	t0=$(now_ms)
	run envbox-docker pull "$AUTH_REG/priv/img:v1"
	assert_failure 1
	[ $(($(now_ms) - t0)) -lt 1000 ]
	[ "$(attempts "$output")" -eq 1 ]
	assert_output --partial "envbox-docker: pull $AUTH_REG/priv/img:v1: registry $AUTH_REG requires authentication and no credentials matched $AUTH_REG"
}

@test "pull: wrong credentials fail at once, naming the registry, never the secret" {
	ENVBOX_REGISTRY_AUTH=$(auth_for alice wrong-Pa55word)
	[ -n "$ENVBOX_REGISTRY_AUTH" ]
	export ENVBOX_REGISTRY_AUTH
	t0=$(now_ms)
	run envbox-docker pull "$AUTH_REG/priv/img:v1"
	assert_failure 1
	[ $(($(now_ms) - t0)) -lt 1000 ]
	[ "$(attempts "$output")" -eq 1 ]
	assert_output --partial "envbox-docker: pull $AUTH_REG/priv/img:v1: registry $AUTH_REG refused the credentials: unauthorized"
	refute_output --partial wrong-Pa55word
	refute_output --partial "$ENVBOX_REGISTRY_AUTH"
	run grep -c -e wrong-Pa55word -e "$ENVBOX_REGISTRY_AUTH" "$DOCKERD_LOG"
	assert_output 0
}

@test "pull: the right credentials in ENVBOX_REGISTRY_AUTH pull the private image" {
	ENVBOX_REGISTRY_AUTH=$(auth_for alice "$PASSWORD")
	export ENVBOX_REGISTRY_AUTH
	run envbox-docker pull "$AUTH_REG/priv/img:v1"
	assert_success
	assert_output --partial "info: Pulled $AUTH_REG/priv/img:v1 (1/1 layers done"
	refute_output --partial "$PASSWORD"
	refute_output --partial "$ENVBOX_REGISTRY_AUTH"
	run grep -c -e "$PASSWORD" -e "$ENVBOX_REGISTRY_AUTH" "$DOCKERD_LOG"
	assert_output 0
	run envbox-docker api GET "/images/$AUTH_REG%2Fpriv%2Fimg:v1/json"
	assert_success
}

@test "pull: an image the registry does not have fails at once" {
	t0=$(now_ms)
	run envbox-docker pull "$REG/ebt/nope:v1"
	assert_failure 1
	[ $(($(now_ms) - t0)) -lt 1000 ]
	[ "$(attempts "$output")" -eq 1 ]
	assert_output --partial "envbox-docker: pull $REG/ebt/nope:v1: no such image in registry $REG: manifest for $REG/ebt/nope:v1 not found"
	run envbox-docker pull "$REG/ebt/three:v404"
	assert_failure 1
	assert_output --partial "no such image in registry $REG"
}

@test "pull: a registry that is down gets --retries retries with backoff, then exit 1" {
	t0=$(now_ms)
	run envbox-docker pull --retries 2 "127.0.0.1:$DOWN_PORT/ebt/three:v1"
	assert_failure 1
	elapsed=$(($(now_ms) - t0))
	# Waits of 1 s and 2 s between the three attempts.
	[ "$elapsed" -ge 3000 ] || fail "retried too fast: $elapsed ms"
	[ "$elapsed" -lt 8000 ] || fail "retried too slowly: $elapsed ms"
	[ "$(attempts "$output")" -eq 3 ]
	assert_output --partial "attempt 1 failed: "
	assert_output --partial "connection refused (HTTP 500); retrying in 1 s"
	assert_output --partial "attempt 2 failed: "
	assert_output --partial "; retrying in 2 s"
	assert_output --partial "envbox-docker: pull 127.0.0.1:$DOWN_PORT/ebt/three:v1: pulling from registry 127.0.0.1:$DOWN_PORT: giving up after 3 attempts: "
	run envbox-docker pull --retries 0 "127.0.0.1:$DOWN_PORT/ebt/three:v1"
	assert_failure 1
	[ "$(attempts "$output")" -eq 1 ]
	assert_output --partial "giving up after 1 attempt: "
}

@test "pull: bad arguments are usage errors; a bad ENVBOX_REGISTRY_AUTH is refused unseen" {
	run envbox-docker pull
	assert_failure 2
	assert_output --partial "pull: expected IMAGE"
	run envbox-docker pull "$REG/ebt/three:v1" --retries lots
	assert_failure 2
	assert_output --partial '--retries: "lots" is not a non-negative whole number'
	run envbox-docker pull "$REG/ebt/three:v1" --retries 1001
	assert_failure 2
	run envbox-docker pull "$REG/ebt/three:v1" extra
	assert_failure 2
	run envbox-docker pull "$REG/ebt/three:v1" --quiet
	assert_failure 2
	run envbox-docker pull 'Bad Image!'
	assert_failure 2
	ENVBOX_REGISTRY_AUTH=$'abc\r\nX-Evil: secret-value' run envbox-docker pull "$REG/ebt/three:v1"
	assert_failure 1
	assert_output --partial "ENVBOX_REGISTRY_AUTH is not an X-Registry-Auth value"
	refute_output --partial secret-value
}

@test "pull: no daemon is a clear error naming the socket" {
	DOCKER_HOST=unix://$BATS_TEST_TMPDIR/none.sock run envbox-docker pull --retries 0 "$REG/ebt/three:v1"
	assert_failure 1
	assert_output --partial "cannot connect to $BATS_TEST_TMPDIR/none.sock"
}

# --- probe ---------------------------------------------------------------------

@test "probe: user, init and os of an image with /sbin/init; nothing left behind" {
	envbox-docker pull "$REG/ebt/three:v1" 2>/dev/null
	run --separate-stderr envbox-docker probe "$REG/ebt/three:v1" coder
	assert_success
	[ -z "$stderr" ]
	assert_output "uid 1000
gid 1000
home /home/coder
init yes
systemd no
os debian
libdir /usr/lib/x86_64-linux-gnu"
	assert_no_containers
	run envbox-docker probe "$REG/ebt/three:v1" root
	assert_success
	assert_line "uid 0"
	assert_line "home /root"
	# A uid, as getent passwd takes one.
	run envbox-docker probe "$REG/ebt/three:v1" 1000
	assert_success
	assert_line "home /home/coder"
	assert_no_containers
}

@test "probe: an image without /sbin/init; --json" {
	envbox-docker pull "$REG/ebt/noinit:v1" 2>/dev/null
	run envbox-docker probe "$REG/ebt/noinit:v1" coder
	assert_success
	assert_line "init no"
	assert_line "os alpine"
	assert_line "libdir /usr/lib"
	run --separate-stderr envbox-docker probe "$REG/ebt/noinit:v1" coder --json
	assert_success
	assert_output '{"uid":1000,"gid":1000,"home":"/home/coder","init":false,"systemd":false,"os":"alpine","libdir":"/usr/lib"}'
	assert_no_containers
}

@test "probe: symlinks are followed inside the image (os-release, /sbin/init chain)" {
	envbox-docker pull "$REG/ebt/links:v1" 2>/dev/null
	run --separate-stderr envbox-docker probe "$REG/ebt/links:v1" coder
	assert_success
	assert_line "init yes"
	# The chain ends at /lib/systemd/systemd: a systemd image.
	assert_line "systemd yes"
	assert_line "os fedora"
	assert_line "libdir /usr/lib64"
	ENVBOX_PROBE_SLOW=1 run --separate-stderr envbox-docker probe "$REG/ebt/links:v1" coder
	assert_success
	assert_line "systemd yes"
	assert_no_containers
}

@test "probe: a dangling /sbin/init is no init; no os-release is os linux" {
	envbox-docker pull "$REG/ebt/dangling:v1" 2>/dev/null
	run --separate-stderr envbox-docker probe "$REG/ebt/dangling:v1" coder
	assert_success
	assert_line "init no"
	assert_line "os linux"
	assert_line "libdir /usr/lib"
	assert_no_containers
}

@test "probe: a large /sbin/init is yes; a directory is no; a bad os-release ID warns" {
	envbox-docker pull "$REG/ebt/biginit:v1" 2>/dev/null
	envbox-docker pull "$REG/ebt/odd:v1" 2>/dev/null
	run --separate-stderr envbox-docker probe "$REG/ebt/biginit:v1" coder
	assert_success
	assert_line "init yes"
	run --separate-stderr envbox-docker probe "$REG/ebt/odd:v1" coder
	assert_success
	assert_line "init no"
	assert_line "os linux"
	[[ $stderr == *"warning: $REG/ebt/odd:v1's /etc/os-release: ID \"not valid\" is not a valid os-release ID; taking os \"linux\""* ]]
	assert_no_containers
}

@test "probe: links that loop are no init and no os-release" {
	envbox-docker pull "$REG/ebt/loop:v1" 2>/dev/null
	run --separate-stderr envbox-docker probe "$REG/ebt/loop:v1" coder
	assert_success
	assert_line "init no"
	assert_line "os linux"
	assert_no_containers
}

# archive_requests METHOD IMAGE: how many METHOD .../archive requests one
# probe of IMAGE sends (strace of its sends).
archive_requests() {
	# (LeakSanitizer cannot run under ptrace: off for the traced call.)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=sendto,write -e signal=none -s 300 \
		-o "$BATS_TEST_TMPDIR/strace" envbox-docker probe "$2" coder >/dev/null 2>&1
	grep -c "\"$1 /v[0-9.]*/containers/[0-9a-f]*/archive" "$BATS_TEST_TMPDIR/strace" || :
}

@test "probe: the stat-first path answers as the link-by-link one, with fewer reads" {
	local img fast
	for img in three noinit links dangling biginit odd loop nopasswd; do
		envbox-docker pull "$REG/ebt/$img:v1" 2>/dev/null
		run --separate-stderr envbox-docker probe "$REG/ebt/$img:v1" coder
		fast="$status|$output|${stderr#* }"
		run --separate-stderr env ENVBOX_PROBE_SLOW=1 envbox-docker probe "$REG/ebt/$img:v1" coder
		# (stderr without its time stamp)
		[ "$fast" = "$status|$output|${stderr#* }" ] ||
			fail "$img: stat first: $fast; link by link: $status|$output|${stderr#* }"
	done
	# links: /etc/os-release and /sbin/init are chains. Stat first reads
	# two files' bytes (passwd, os-release); link by link reads every
	# link of both chains too.
	[ "$(archive_requests GET "$REG/ebt/links:v1")" -eq 2 ]
	[ "$(ENVBOX_PROBE_SLOW=1 archive_requests GET "$REG/ebt/links:v1")" -ge 5 ]
	assert_no_containers
}

@test "probe --cache: a second probe of the same image ID answers from the cache, with no container" {
	local cache=$BATS_TEST_TMPDIR/cache first id
	envbox-docker pull "$REG/ebt/links:v1" 2>/dev/null
	envbox-docker pull "$REG/ebt/noinit:v1" 2>/dev/null
	run --separate-stderr envbox-docker probe "$REG/ebt/links:v1" coder --cache "$cache"
	assert_success
	first=$output
	id=$(envbox-docker api GET "/images/$REG/ebt/links:v1/json" | jq -r .Id)
	[ -f "$cache/probe-${id/:/-}" ]
	[ "$(stat -c %a "$cache")" = 700 ]
	assert_equal "$(sed -n 2p "$cache/probe-${id/:/-}")" "user coder"
	# The second: the same answer, no container created. (LeakSanitizer
	# cannot run under ptrace: off for the traced call.)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace -f -qq -e trace=sendto,write -e signal=none -s 300 -o "$BATS_TEST_TMPDIR/strace" \
		envbox-docker probe "$REG/ebt/links:v1" coder --cache "$cache" >"$BATS_TEST_TMPDIR/out"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" "$first"
	run ! grep -q 'POST /v[0-9.]*/containers/create' "$BATS_TEST_TMPDIR/strace"
	grep -q "GET /v[0-9.]*/images/$REG/ebt/links:v1/json" "$BATS_TEST_TMPDIR/strace"
	CODER_DEBUG=true run --separate-stderr envbox-docker probe "$REG/ebt/links:v1" coder --cache "$cache"
	[[ $stderr == *"probe: $REG/ebt/links:v1 from the cache (image sha256:"* ]]
	# Another user is a miss, and the file is then that user's.
	run envbox-docker probe "$REG/ebt/links:v1" root --cache "$cache"
	assert_success
	assert_line "uid 0"
	assert_equal "$(sed -n 2p "$cache/probe-${id/:/-}")" "user root"
	# A damaged file is a miss, rewritten.
	printf 'envbox-probe 2\nuser root\nuid 12\n' >"$cache/probe-${id/:/-}"
	run envbox-docker probe "$REG/ebt/links:v1" root --cache "$cache"
	assert_success
	assert_line "uid 0"
	assert_equal "$(sed -n 3p "$cache/probe-${id/:/-}")" "uid 0"
	# So is a whole file of the version before (no systemd line): it
	# would say this systemd image boots something else.
	printf 'envbox-probe 1\nuser root\nuid 12\ngid 0\nhome /root\ninit yes\nos fedora\nos_like \n' \
		>"$cache/probe-${id/:/-}"
	run envbox-docker probe "$REG/ebt/links:v1" root --cache "$cache"
	assert_success
	assert_line "uid 0"
	assert_line "systemd yes"
	assert_equal "$(sed -n 1p "$cache/probe-${id/:/-}")" "envbox-probe 2"
	# Another image: its file replaces the first one.
	run envbox-docker probe "$REG/ebt/noinit:v1" coder --cache "$cache" --json
	assert_success
	assert_output '{"uid":1000,"gid":1000,"home":"/home/coder","init":false,"systemd":false,"os":"alpine","libdir":"/usr/lib"}'
	[ "$(ls "$cache" | wc -l)" -eq 1 ]
	[ ! -e "$cache/probe-${id/:/-}" ]
	# A cache that cannot be written is no error.
	run --separate-stderr envbox-docker probe "$REG/ebt/links:v1" coder --cache /proc/no-such-dir
	assert_success
	assert_equal "$output" "$first"
	# An image not there is the probe's own error.
	run envbox-docker probe "$REG/ebt/never-pulled:v1" coder --cache "$cache"
	assert_failure 1
	assert_output --partial "envbox-docker: probe: image $REG/ebt/never-pulled:v1 is not present (pull it first): "
	run envbox-docker probe "$REG/ebt/links:v1" coder --cache relative/dir
	assert_failure 2
	assert_output --partial 'probe: --cache "relative/dir": expected an absolute directory'
	assert_no_containers
}

@test "probe: an unknown user is exit 1 naming the user and the image" {
	envbox-docker pull "$REG/ebt/three:v1" 2>/dev/null
	run --separate-stderr envbox-docker probe "$REG/ebt/three:v1" bob
	assert_failure 1
	[ -z "$output" ]
	[[ $stderr == *"envbox-docker: probe: user \"bob\" not found in $REG/ebt/three:v1's /etc/passwd" ]]
	assert_no_containers
}

@test "security: a relative home in the image's passwd is exit 1 naming the user and the home" {
	envbox-docker pull "$REG/ebt/noinit:v1" 2>/dev/null
	run --separate-stderr envbox-docker probe "$REG/ebt/noinit:v1" rel
	assert_failure 1
	[ -z "$output" ] || fail "stdout: $output"
	[[ $stderr == *"user \"rel\" in $REG/ebt/noinit:v1's /etc/passwd has the home directory \"home/rel\", which is not an absolute path" ]] || fail "$stderr"
	assert_no_containers
}

@test "probe: no /etc/passwd, or no such image, is a clear error" {
	envbox-docker pull "$REG/ebt/nopasswd:v1" 2>/dev/null
	run envbox-docker probe "$REG/ebt/nopasswd:v1" coder
	assert_failure 1
	assert_output --partial "envbox-docker: probe: $REG/ebt/nopasswd:v1 has no /etc/passwd"
	assert_no_containers
	run envbox-docker probe "$REG/ebt/never-pulled:v1" coder
	assert_failure 1
	assert_output --partial "envbox-docker: probe: image $REG/ebt/never-pulled:v1 is not present (pull it first): "
	assert_no_containers
}

@test "probe: bad arguments are usage errors" {
	run envbox-docker probe "$REG/ebt/three:v1"
	assert_failure 2
	assert_output --partial "probe: expected IMAGE USER"
	run envbox-docker probe "$REG/ebt/three:v1" coder extra
	assert_failure 2
	run envbox-docker probe "$REG/ebt/three:v1" coder --yaml
	assert_failure 2
	run envbox-docker probe "$REG/ebt/three:v1" ''
	assert_failure 2
}

# --- prune (last: it removes every image the tests above pulled) -----------------

@test "prune: removes images no container uses, keeps one in use, prints the bytes" {
	envbox-docker pull "$REG/ebt/three:v1" 2>/dev/null
	envbox-docker pull "$REG/ebt/noinit:v1" 2>/dev/null
	run envbox-docker api POST /containers/create "{\"Image\":\"$REG/ebt/noinit:v1\",\"Entrypoint\":[\"true\"],\"HostConfig\":{\"NetworkMode\":\"none\"}}"
	assert_success
	id=$(sed 's/.*"Id":"\([0-9a-f]*\)".*/\1/' <<<"$output")

	run --separate-stderr envbox-docker prune
	assert_success
	[[ $output =~ ^reclaimed\ [1-9][0-9]*$ ]]
	run envbox-docker api GET "/images/$REG%2Febt%2Fthree:v1/json"
	assert_failure 1
	assert_output --partial "(HTTP 404)"
	run envbox-docker api GET "/images/$REG%2Febt%2Fnoinit:v1/json"
	assert_success

	envbox-docker api DELETE "/containers/$id?force=1"
	run envbox-docker prune
	assert_success
	[[ $output =~ ^reclaimed\ [1-9][0-9]*$ ]]
	run envbox-docker prune
	assert_success
	assert_output "reclaimed 0"
	run envbox-docker prune extra
	assert_failure 2
}
