#!/usr/bin/env bats
# The envbox image, for real (slow: builds the image; ENVBOX_SKIP_SLOW=1
# skips it). The Dockerfile is built on a bookworm base made by debootstrap
# (tests/lib/base-image.sh, cached), then the README's docker one-liners run
# against a dockerd of the suite's own: a workspace from a plain registry, a
# stop and a restart on the same volumes, a private TLS registry with a pull
# secret and extra CA certificates, GPUs from fake device nodes and libraries.
#
# Network: the suite's dockerd attaches containers to a bridge of the
# suite's own (ebtimg0, 10.203.10.1/24; no iptables rules from dockerd, the
# host's docker0 untouched). Each outer container gets a network namespace
# of its own there, where its dockerd makes its docker0. The plain registry
# listens on the bridge's address; the TLS registry (tests/lib/tls-registry)
# lives in its own namespace, reached through the host (a route back in that
# namespace, two FORWARD rules, all removed by the teardown).
#
# Privileges: `docker run --privileged` as the README says, where this
# host allows it; where not (a capability bounding set without
# CAP_SYS_RESOURCE) the flags in PRIVILEGED_FALLBACK, said in the output.
load helpers
load lib/dockerd
load lib/tls-registry
load lib/outer

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
CACHE=${ENVBOX_CACHE_DIR:-/var/cache/envbox-test}
BRIDGE=ebtimg0
GW=10.203.10.1
NET=10.203.10.0/24
REG_NAME=registry.envbox-image.test
REG_PORT=5000
REG=$REG_NAME:$REG_PORT
IMAGE=envbox:latest
BASE=envbox-base:bookworm
OUTER=envbox-img-ws
PRIVILEGED_FALLBACK=(--cgroupns=host --cap-add ALL --cap-drop SYS_RESOURCE
	--security-opt seccomp=unconfined --security-opt apparmor=unconfined
	--security-opt systempaths=unconfined --device-cgroup-rule 'a *:* rwm'
	-v /sys/fs/cgroup:/sys/fs/cgroup)
READY_S=${ENVBOX_IMAGE_READY_S:-180}

# The Debian docker CLI, which matches its dockerd.
docker() {
	/usr/bin/docker "$@"
}

# Leaves no trace of the network set-up; safe to run when nothing is there.
_net_down() {
	iptables -D FORWARD -i "$BRIDGE" -o "$TLSREG_HOST_IF" -j ACCEPT 2>/dev/null || true
	iptables -D FORWARD -i "$TLSREG_HOST_IF" -o "$BRIDGE" -j ACCEPT 2>/dev/null || true
	ip link del "$BRIDGE" 2>/dev/null || true
}

_registry_start() {
	local i
	mkdir -p "$BATS_FILE_TMPDIR/registry"
	cat >"$BATS_FILE_TMPDIR/registry/config.yml" <<-YML
	version: 0.1
	log: {level: warn}
	storage: {filesystem: {rootdirectory: $BATS_FILE_TMPDIR/registry/data}}
	http: {addr: "$GW:$REG_PORT"}
	YML
	docker-registry serve "$BATS_FILE_TMPDIR/registry/config.yml" \
		>"$BATS_FILE_TMPDIR/registry/log" 2>&1 3>&- 8>&- &
	echo $! >"$BATS_FILE_TMPDIR/registry/pid"
	for ((i = 0; i < 100; i++)); do
		curl -sf -o /dev/null "http://$GW:$REG_PORT/v2/" && return 0
		sleep 0.1
	done
	cat "$BATS_FILE_TMPDIR/registry/log" >&2
	return 1
}

# _data_root_unmount DIR: dockerd makes its data root a mount point of its
# own and leaves it; a daemon killed leaves its overlay mounts below it too.
_data_root_unmount() {
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts |
		sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# The daemon's data root survives runs (the base image and the build cache
# in it), guarded by a lock that also keeps a second run of this suite,
# which would want the same bridge and registries, from starting.
_daemon_start() {
	local data
	data=${ENVBOX_IMAGE_DATA_ROOT-$CACHE/dockerd}
	mkdir -p "$CACHE"
	dockerd_sweep_stale
	exec 8>"$CACHE/image-suite.lock"
	if ! flock -n 8; then
		echo "another run of tests/image.bats holds $CACHE/image-suite.lock" >&2
		return 1
	fi
	set --
	if [ -n "$data" ]; then
		_data_root_unmount "$data"
		set -- --data-root="$data"
		echo "$data" >"$BATS_FILE_TMPDIR/data-root"
	fi
	dockerd_start --bridge="$BRIDGE" "$@"
	# Containers of a run that died.
	docker ps -aq | xargs -r /usr/bin/docker rm -f >/dev/null
}

# ENVBOX_SKIP_SLOW=1: no set-up, every test skipped (bats 1.8 cannot skip
# from setup_file).
setup_file() {
	[ "${ENVBOX_SKIP_SLOW:-}" != 1 ] || return 0
	local t0 t1 root size err
	_net_down
	ip link add "$BRIDGE" type bridge
	ip addr add "$GW/24" dev "$BRIDGE"
	ip link set "$BRIDGE" up
	_daemon_start

	# The image: base from the archive, then the Dockerfile.
	t0=$(date +%s)
	"$ROOT/tests/lib/base-image.sh" "$BASE"
	t1=$(date +%s)
	if ! DOCKER_BUILDKIT=0 docker build --network=host --build-arg BASE_IMAGE="$BASE" \
		-t "$IMAGE" "$ROOT" >"$BATS_FILE_TMPDIR/build.log" 2>&1; then
		tail -n 40 "$BATS_FILE_TMPDIR/build.log" >&2
		return 1
	fi
	size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
	echo "$size" >"$BATS_FILE_TMPDIR/size"
	echo "# base image $((t1 - t0)) s, docker build $(($(date +%s) - t1)) s; $IMAGE is $((size / 1000000)) MB" >&3

	# --privileged where the host allows it.
	if docker run --rm --name envbox-img-probe --network=none --privileged "$IMAGE" true \
		>"$BATS_FILE_TMPDIR/privileged.err" 2>&1; then
		printf '%s\n' --privileged >"$BATS_FILE_TMPDIR/priv"
		echo "# outer containers: --privileged" >&3
	else
		printf '%s\n' "${PRIVILEGED_FALLBACK[@]}" >"$BATS_FILE_TMPDIR/priv"
		err=$(tail -n 1 "$BATS_FILE_TMPDIR/privileged.err")
		echo "# --privileged fails here: ${err##*runc create failed: }" >&3
		echo "# outer containers: ${PRIVILEGED_FALLBACK[*]}" >&3
		docker rm -f envbox-img-probe >/dev/null 2>&1 || true
	fi

	# Registries and the workspace images.
	_registry_start
	root=$BATS_FILE_TMPDIR/rootfs
	"$ROOT/tests/lib/image.sh" rootfs "$root" --user coder:1000:1000:/home/coder
	"$ROOT/tests/lib/image.sh" push "http://$GW:$REG_PORT" ws/plain:1 "$root"
	tls_registry_setup
	"$ROOT/tests/lib/image.sh" push "$TLSREG_URL" ws/private:1 "$root" \
		--auth "$TLSREG_USER:$TLSREG_PASS" --cacert "$TLSREG_CA"
	# The TLS registry's namespace answers the bridge through the host
	# (which forwards: dockerd turned ip_forward on, unless told not to).
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || echo 1 >/proc/sys/net/ipv4/ip_forward
	ip -n "$TLSREG_NS" route add "$NET" via "$TLSREG_HOST_IP"
	iptables -I FORWARD -i "$BRIDGE" -o "$TLSREG_HOST_IF" -j ACCEPT
	iptables -I FORWARD -i "$TLSREG_HOST_IF" -o "$BRIDGE" -j ACCEPT
}

teardown_file() {
	[ "${ENVBOX_SKIP_SLOW:-}" != 1 ] || return 0
	if [ -n "${DOCKER_HOST:-}" ]; then
		docker ps -aq --filter name=envbox-img- | xargs -r /usr/bin/docker rm -f >/dev/null 2>&1
		# Keep the layers that make the next build fast (the build stage's
		# are untagged), not the images of old runs.
		docker image prune -f --filter until=168h >/dev/null 2>&1
	fi
	dockerd_stop
	if [ -s "$BATS_FILE_TMPDIR/data-root" ]; then
		_data_root_unmount "$(cat "$BATS_FILE_TMPDIR/data-root")"
	fi
	exec 8>&-
	kill "$(cat "$BATS_FILE_TMPDIR/registry/pid" 2>/dev/null)" 2>/dev/null || true
	tls_registry_teardown
	_net_down
}

setup() {
	if [ "${ENVBOX_SKIP_SLOW:-}" = 1 ]; then
		skip "slow suite: builds the envbox image (ENVBOX_SKIP_SLOW=1)"
	fi
	mapfile -t PRIV <"$BATS_FILE_TMPDIR/priv"
	T=$BATS_FILE_TMPDIR
}

# run_outer NAME DIR [docker run options...]: the README's one-liner,
# detached (not -it --rm: the suite reads its logs and exit code after it
# stops), its volumes under DIR instead of /tmp/envbox. The original's
# README mounts one directory at both /var/lib/docker and
# /var/lib/coder/docker, which hands the outer dockerd's state to the
# workspace: envbox refuses that (docs/security.md), so each has its own.
run_outer() {
	local name=$1 dir=$2
	shift 2
	mkdir -p "$dir/docker" "$dir/outer-docker" "$dir/containers" "$dir/sysbox"
	set -- \
		-v "$dir/docker:/var/lib/coder/docker" \
		-v "$dir/containers:/var/lib/coder/containers" \
		-v "$dir/sysbox:/var/lib/sysbox" \
		-v "$dir/outer-docker:/var/lib/docker" \
		"$@"
	# Mounted read-only where the host has them (docker would create them).
	[ ! -d /usr/src ] || set -- "$@" -v /usr/src:/usr/src:ro
	[ ! -d /lib/modules ] || set -- "$@" -v /lib/modules:/lib/modules:ro
	docker run -d --name "$name" "${PRIV[@]}" "$@" "$IMAGE" /envbox docker >/dev/null
}

# ws OUTER CMD...: CMD in the workspace, through the outer container's docker.
ws() {
	local outer=$1
	shift
	docker exec "$outer" docker exec "$@"
}

# The workspace as it should be in every run: the user exists, the container
# is not privileged, has docker's default capabilities and a user namespace.
check_workspace() {
	run ws "$1" workspace_cvm id
	assert_success
	assert_output --partial "uid=0(root)"
	run ws "$1" -u coder workspace_cvm id
	assert_output "uid=1000(coder) gid=1000(coder) groups=1000(coder)"
	run docker exec "$1" docker inspect -f '{{.HostConfig.Privileged}} {{json .HostConfig.CapAdd}}' workspace_cvm
	assert_output "false null"
	run ws "$1" workspace_cvm cat /proc/self/uid_map
	assert_output --regexp '^ +0 +100000 +65536$'
	# docker's default set (a8 04 25 fb), not a privileged container's.
	run ws "$1" workspace_cvm awk '/^CapEff:/ { print $2 }' /proc/1/status
	assert_output 00000000a80425fb
}

@test "the image: envbox and its tools, the user coder, no compilers, its size" {
	run docker run --rm --network=none "$IMAGE" sh -c '
		readlink /envbox; envbox-auth --help >/dev/null && echo applets-run
		for t in dockerd containerd runc docker ip mkfs.ext4 fusermount3 iptables; do
			command -v "$t" >/dev/null || echo "missing $t"
		done
		id coder; grep "^coder:" /etc/subuid /etc/subgid
		{ dpkg-query -W -f "\${Package}\n" | grep -E -- "-dev$|^(gcc|g\+\+|cpp|clang|make)(-[0-9.]+)?$"
		  command -v cc gcc make ld; } || echo "no build tools"
		ls /usr/local/bin'
	assert_success
	assert_line /usr/local/bin/envbox
	assert_line applets-run
	refute_line --partial missing
	assert_line "uid=1000(coder) gid=1000(coder) groups=1000(coder)"
	assert_line /etc/subuid:coder:100000:65536
	assert_line /etc/subgid:coder:100000:65536
	assert_line "no build tools"
	for a in envbox envbox-bin $(applet_names); do
		assert_line "$a"
	done
	size=$(cat "$BATS_FILE_TMPDIR/size")
	echo "# $IMAGE: $size bytes" >&3
	# Debian with docker.io is some 400 MB; much more means something crept in.
	((size < 600000000))
}

@test "the image: man pages for envbox and every applet" {
	grep -q md2man "$ROOT/Makefile" || skip "the Makefile does not install man pages yet"
	run docker run --rm --network=none "$IMAGE" ls /usr/local/share/man/man1
	assert_success
	for a in envbox $(applet_names); do
		assert_line "$a.1"
	done
}

@test "SYSBOX_DEB: the image installs a given package; a missing one fails the build, named" {
	local ctx=$T/ctx pkg=$T/pkg
	mkdir -p "$ctx/sysbox" "$pkg/DEBIAN" "$pkg/usr/share/envbox-test-sysbox"
	(cd "$ROOT" && cp -r Dockerfile .dockerignore Makefile applets lib docs profiles "$ctx/")
	mkdir -p "$ctx/scripts"
	cp "$ROOT/scripts/md2man" "$ROOT/scripts/cgroup-v2-prelude" "$ctx/scripts/"
	# A stand-in for sysbox-ce's package: the plumbing, not sysbox.
	printf '%s\n' 'Package: envbox-test-sysbox' 'Version: 1' 'Architecture: all' \
		'Maintainer: envbox tests <tests@envbox.invalid>' 'Depends: rsync' \
		'Description: stand-in for a sysbox package' >"$pkg/DEBIAN/control"
	echo installed >"$pkg/usr/share/envbox-test-sysbox/marker"
	dpkg-deb --build --root-owner-group "$pkg" "$ctx/sysbox/test-sysbox_1_all.deb" >/dev/null
	run env DOCKER_BUILDKIT=0 /usr/bin/docker build --network=host --build-arg BASE_IMAGE="$BASE" \
		--build-arg SYSBOX_DEB=sysbox/test-sysbox_1_all.deb -t envbox:sysbox-test "$ctx"
	assert_success
	run docker run --rm --network=none envbox:sysbox-test sh -c \
		'cat /usr/share/envbox-test-sysbox/marker; command -v rsync; ls /tmp/debs 2>&1'
	assert_line installed
	assert_line /usr/bin/rsync
	assert_line --partial "No such file"
	docker rmi envbox:sysbox-test >/dev/null
	run env DOCKER_BUILDKIT=0 /usr/bin/docker build --network=host --build-arg BASE_IMAGE="$BASE" \
		--build-arg SYSBOX_DEB=sysbox/missing.deb -t envbox:sysbox-test "$ctx"
	assert_failure
	assert_output --partial "sysbox/missing.deb"
}

@test "README one-liner: a workspace from the registry, the user in it, unprivileged, user namespace" {
	# The Coder template's home volume and a bootstrap that notes SIGTERM on
	# it, for the stop and restart tests that follow.
	mkdir -p "$T/ws/home"
	run_outer "$OUTER" "$T/ws" \
		--add-host "$REG_NAME:$GW" \
		-v "$T/ws/home:/home/coder" \
		-e CODER_INNER_IMAGE="$REG/ws/plain:1" \
		-e CODER_INNER_USERNAME=coder \
		-e CODER_MOUNTS=/home/coder:/home/coder \
		-e ENVBOX_DOCKERD_ARGS="--insecure-registry=$REG" \
		-e CODER_BOOTSTRAP_SCRIPT='trap "echo TERM >/home/coder/sigterm; exit 0" TERM
echo up >/home/coder/bootstrapped
while :; do sleep 1; done'
	wait_ready "$OUTER"
	check_workspace "$OUTER"
	run docker logs "$OUTER"
	assert_output --partial 'sysbox is not installed'
	run ws "$OUTER" -u coder workspace_cvm sh -c 'echo kept >/home/coder/notes; cat /home/coder/notes'
	assert_output kept
	for _ in $(seq 50); do [ -e "$T/ws/home/bootstrapped" ] && break; sleep 0.1; done
	[ -e "$T/ws/home/bootstrapped" ]
}

@test "docker stop: the bootstrap sees SIGTERM, envbox exits 0 within the timeout" {
	[ "$(docker inspect -f '{{.State.Running}}' "$OUTER")" = true ] || skip "no workspace from the test before"
	start=$(date +%s)
	docker stop -t 60 "$OUTER"
	took=$(($(date +%s) - start))
	echo "# docker stop took ${took}s" >&3
	run docker inspect -f '{{.State.ExitCode}}' "$OUTER"
	assert_output 0
	((took < 60))
	run cat "$T/ws/home/sigterm"
	assert_output TERM
	run docker logs "$OUTER"
	assert_output --partial 'shutting down'
}

@test "restart on the same volumes: the workspace comes back with the user's files" {
	[ -e "$T/ws/home/notes" ] || skip "no workspace from the tests before"
	docker rm "$OUTER" >/dev/null
	rm -f "$T/ws/home/bootstrapped" "$T/ws/home/sigterm"
	run_outer "$OUTER" "$T/ws" \
		--add-host "$REG_NAME:$GW" \
		-v "$T/ws/home:/home/coder" \
		-e CODER_INNER_IMAGE="$REG/ws/plain:1" \
		-e CODER_INNER_USERNAME=coder \
		-e CODER_MOUNTS=/home/coder:/home/coder \
		-e ENVBOX_DOCKERD_ARGS="--insecure-registry=$REG" \
		-e CODER_BOOTSTRAP_SCRIPT='echo again >/home/coder/bootstrapped; sleep 100000'
	wait_ready "$OUTER"
	check_workspace "$OUTER"
	run ws "$OUTER" -u coder workspace_cvm cat /home/coder/notes
	assert_output kept
	# The image came from the volume's image store.
	run docker exec "$OUTER" docker image inspect -f '{{.Id}}' "$REG/ws/plain:1"
	assert_success
	for _ in $(seq 50); do [ -e "$T/ws/home/bootstrapped" ] && break; sleep 0.1; done
	run cat "$T/ws/home/bootstrapped"
	assert_output again
	docker stop -t 60 "$OUTER" >/dev/null
}

@test "a private TLS registry: CODER_IMAGE_PULL_SECRET and CODER_EXTRA_CERTS_PATH" {
	local pass=$TLSREG_PASS secret
	mkdir -p "$T/tls/certs"
	cp "$TLSREG_CA" "$T/tls/certs/ca.crt"
	secret=$(printf '{"auths":{"%s":{"username":"%s","password":"%s","auth":"%s"}}}' \
		"$TLSREG" "$TLSREG_USER" "$pass" "$(printf '%s:%s' "$TLSREG_USER" "$pass" | base64 -w0)")
	run_outer envbox-img-tls "$T/tls" \
		--add-host "$TLSREG_NAME:$TLSREG_IP" \
		-v "$T/tls/certs:/etc/envbox/certs:ro" \
		-e CODER_INNER_IMAGE="$TLSREG/ws/private:1" \
		-e CODER_INNER_USERNAME=coder \
		-e CODER_IMAGE_PULL_SECRET="$secret" \
		-e CODER_EXTRA_CERTS_PATH=/etc/envbox/certs
	wait_ready envbox-img-tls
	check_workspace envbox-img-tls
	# The CA went where the outer dockerd looks for this registry.
	run docker exec envbox-img-tls ls "/etc/docker/certs.d/$TLSREG"
	assert_success
	run docker logs envbox-img-tls
	refute_output --partial "$pass"
	docker stop -t 60 envbox-img-tls >/dev/null
}

@test "CODER_ADD_GPU inside the image: fake device nodes and driver libraries" {
	local d=$T/gpu
	mkdir -p "$d/dev" "$d/lib"
	mknod -m 0666 "$d/dev/nvidia0" c 195 0
	mknod -m 0666 "$d/dev/nvidiactl" c 195 255
	for l in libcuda libnvidia-ml; do
		echo "not a real $l" >"$d/lib/$l.so.550.54.14"
		ln -s "$l.so.550.54.14" "$d/lib/$l.so.1"
	done
	echo "not the driver's" >"$d/lib/libglib-2.0.so.0"
	run_outer envbox-img-gpu "$d" \
		--add-host "$REG_NAME:$GW" \
		-v "$d/dev/nvidia0:/dev/nvidia0" \
		-v "$d/dev/nvidiactl:/dev/nvidiactl" \
		-v "$d/lib:/var/coder/usr/lib:ro" \
		-e CODER_INNER_IMAGE="$REG/ws/plain:1" \
		-e CODER_INNER_USERNAME=coder \
		-e CODER_ADD_GPU=true \
		-e CODER_USR_LIB_DIR=/var/coder/usr/lib \
		-e ENVBOX_DOCKERD_ARGS="--insecure-registry=$REG"
	wait_ready envbox-img-gpu
	check_workspace envbox-img-gpu
	run ws envbox-img-gpu workspace_cvm stat -c '%F %t:%T' /dev/nvidia0 /dev/nvidiactl
	assert_line --index 0 "character special file c3:0"
	assert_line --index 1 "character special file c3:ff"
	# The image says ID=debian: the libraries go to its multiarch directory.
	run ws envbox-img-gpu workspace_cvm cat /usr/lib/x86_64-linux-gnu/libcuda.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1
	assert_line "not a real libcuda"
	assert_line "not a real libnvidia-ml"
	run ws envbox-img-gpu workspace_cvm ls /usr/lib/x86_64-linux-gnu/libglib-2.0.so.0
	assert_failure
	docker stop -t 60 envbox-img-gpu >/dev/null
}
