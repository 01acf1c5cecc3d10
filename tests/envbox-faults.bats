#!/usr/bin/env bats
# envbox docker when things go wrong: dockerd dies (at startup or later), the
# user is not in the image. Each exits non-zero with a clear error and stops
# what it started.
load helpers
load lib/dockerd
load lib/registry
load lib/envbox

setup_file() {
	ensure_remap_user
	registry_start
	"$BATS_TEST_DIRNAME/lib/image.sh" rootfs "$BATS_FILE_TMPDIR/rootfs" --user coder:1000:1000:/home/coder
	"$BATS_TEST_DIRNAME/lib/image.sh" push "http://$REGISTRY" ws/plain:1 "$BATS_FILE_TMPDIR/rootfs"
	# An init that eats memory once told to (a file appears), so the
	# workspace itself, not an exec in it, is OOM-killed.
	"$BATS_TEST_DIRNAME/lib/image.sh" rootfs "$BATS_FILE_TMPDIR/hog" --user coder:1000:1000:/home/coder --init
	cat >"$BATS_FILE_TMPDIR/hog/sbin/init" <<-'SH'
	#!/bin/sh
	while [ ! -e /tmp/hog ]; do sleep 0.1; done
	x=$(head -c 400000000 /dev/zero | tr '\0' a)
	SH
	"$BATS_TEST_DIRNAME/lib/image.sh" push "http://$REGISTRY" ws/hog:1 "$BATS_FILE_TMPDIR/hog"
	# An image larger than the small disk of the disk-full test.
	mkdir -p "$BATS_FILE_TMPDIR/big/data"
	head -c 40000000 /dev/urandom >"$BATS_FILE_TMPDIR/big/data/blob"
	"$BATS_TEST_DIRNAME/lib/image.sh" push "http://$REGISTRY" ws/big:1 "$BATS_FILE_TMPDIR/rootfs" "$BATS_FILE_TMPDIR/big"
}

teardown_file() {
	registry_stop
}

setup() {
	envbox_env_dir
}

teardown() {
	if mountpoint -q "$EB_DIR/small" 2>/dev/null; then
		umount -l "$EB_DIR/small"
	fi
	envbox_cleanup
}

# No process of this test's envbox (its dockerd, containerd, shims) is left.
nothing_left() {
	run _dockerd_pids_under "$EB_DIR"
	assert_output ""
}

@test "dockerd that dies at startup: exit 1 at once with its last log lines" {
	run envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=coder \
		ENVBOX_DOCKERD_ARGS="--no-such-flag"
	assert_failure
	run envbox_wait_exit 30
	assert_failure 1
	run cat "$EB_OUT"
	assert_output --partial "dockerd did not start; the last lines of $EB_DIR/log/dockerd.log"
	assert_output --partial "no-such-flag"
	assert_line --partial '"type":"done"'
	nothing_left
}

@test "dockerd that dies after startup: envbox notices, logs its last lines, exits 1" {
	envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=coder
	kill -KILL "$(cat "$EB_DIR/docker.pid")"
	run envbox_wait_exit 30
	assert_failure 1
	run cat "$EB_OUT"
	assert_output --partial "dockerd exited; the last lines of $EB_DIR/log/dockerd.log"
}

@test "a user missing from the image: exit 1 naming user and image; dockerd stopped" {
	run envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=nosuchuser
	assert_failure
	run envbox_wait_exit 30
	assert_failure 1
	run grep '"type":"error"' "$EB_OUT"
	assert_output --partial 'nosuchuser'
	assert_output --partial "$REGISTRY/ws/plain:1"
	[ "$(grep -c '"type":"done"' "$EB_OUT")" -eq 1 ]
	nothing_left
}

@test "CODER_DEBUG=true adds debug entries; ENVBOX_LOG_FORMAT=text gives plain lines" {
	envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=coder \
		CODER_DEBUG=true ENVBOX_LOG_FORMAT=text
	run cat "$EB_OUT"
	assert_line --regexp '^[0-9T:.-]+Z debug: dockerd .*--log-level=debug'
	assert_line --regexp '^[0-9T:.-]+Z info: Envbox startup complete!$'
	assert_line --regexp '^[0-9T:.-]+Z done$'
	envbox_stop
}

@test "the workspace container dying is noticed at once: exit code logged, envbox exits 1" {
	envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=coder
	/usr/bin/docker kill workspace_cvm
	start=$(date +%s%N)
	run envbox_wait_exit 30
	assert_failure 1
	(( ($(date +%s%N) - start) / 1000000 < 5000 ))
	run grep '"type":"error"' "$EB_OUT"
	assert_output --partial "The workspace container stopped with exit code 137"
	nothing_left
}

@test "the workspace OOM-killed under CODER_MEMORY: noticed, said so, envbox exits 1" {
	envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/hog:1" CODER_INNER_USERNAME=coder \
		CODER_MEMORY=67108864
	/usr/bin/docker exec workspace_cvm touch /tmp/hog
	run envbox_wait_exit 60
	assert_failure 1
	run grep '"type":"error"' "$EB_OUT"
	assert_output --partial "it was OOM-killed"
	assert_output --partial "CODER_MEMORY is 67108864"
	nothing_left
}

@test "disk full: the pull fails for space, prune and retry, then dockerd starts over on fuse-overlayfs and the workspace comes up" {
	command -v fuse-overlayfs >/dev/null || fail "fuse-overlayfs is not installed (.ci/packages has it)"
	mkdir -p "$EB_DIR/small"
	mount -t tmpfs -o size=24m tmpfs "$EB_DIR/small"
	# A pull secret (the plain registry ignores it): the start-over must
	# not carry it to the second dockerd, nor CODER_* to the workspace.
	local pass=pw-5e1b7c secret
	secret=$(printf '{"auths":{"%s":{"username":"u","password":"%s"}}}' "$REGISTRY" "$pass")
	envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/big:1" CODER_INNER_USERNAME=coder \
		ENVBOX_DATA_ROOT="$EB_DIR/small/docker" CODER_IMAGE_PULL_SECRET="$secret" \
		CODER_INNER_ENVS='CODER_*'
	run cat "$EB_OUT"
	assert_output --partial "no space left on device"
	assert_output --partial "Insufficient space to start the workspace: restarting dockerd on the spare data root $EB_DIR/data.bak"
	assert_output --partial "Storage driver on the spare data root: fuse-overlayfs: /dev/fuse and fuse-overlayfs are here"
	[ "$(grep -c '"type":"done"' "$EB_OUT")" -eq 1 ]
	run /usr/bin/docker info -f '{{.Driver}} {{.DockerRootDir}}'
	assert_output "fuse-overlayfs $EB_DIR/data.bak/100000.100000"
	run /usr/bin/docker exec workspace_cvm id -u
	assert_output 0
	# Issue 14: no credential in the restarted dockerd's environment...
	run grep -caE "ENVBOX_REGISTRY_AUTH|CODER_IMAGE_PULL_SECRET|$pass" "/proc/$(cat "$EB_DIR/docker.pid")/environ"
	assert_output 0
	# ...nor in the workspace's, though CODER_* asks for every CODER_ variable.
	run /usr/bin/docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' workspace_cvm
	assert_success
	assert_output --partial "CODER_INNER_USERNAME=coder"
	refute_output --partial CODER_IMAGE_PULL_SECRET
	refute_output --partial "$pass"
	envbox_stop
}

@test "disk full when dockerd starts, no fuse-overlayfs: it starts over on vfs, saying why" {
	mkdir -p "$EB_DIR/small" "$EB_DIR/bin"
	mount -t tmpfs -o size=64k tmpfs "$EB_DIR/small"
	# Fill it, so dockerd cannot even make its directories.
	head -c 1000000 /dev/zero >"$EB_DIR/small/fill" 2>/dev/null || true
	# A PATH without fuse-overlayfs: every other program of /usr/bin.
	for f in /usr/bin/*; do
		[ "${f##*/}" = fuse-overlayfs ] || ln -s "$f" "$EB_DIR/bin/"
	done
	PATH="$ENVBOX_PREFIX/bin:$EB_DIR/bin:/usr/sbin:/sbin" envbox_start \
		CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=coder \
		ENVBOX_DATA_ROOT="$EB_DIR/small/docker"
	run cat "$EB_OUT"
	assert_output --partial "Insufficient space to start the workspace"
	assert_output --partial "Storage driver on the spare data root: vfs (every layer copied in full: slow, and many times the disk): fuse-overlayfs is not installed"
	run /usr/bin/docker info -f '{{.Driver}}'
	assert_output vfs
	envbox_stop
}

@test "disk full, ENVBOX_NO_SPACE_DRIVER=vfs: vfs though fuse-overlayfs could; a bad value is refused naming it" {
	mkdir -p "$EB_DIR/small"
	mount -t tmpfs -o size=64k tmpfs "$EB_DIR/small"
	head -c 1000000 /dev/zero >"$EB_DIR/small/fill" 2>/dev/null || true
	envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=coder \
		ENVBOX_DATA_ROOT="$EB_DIR/small/docker" ENVBOX_NO_SPACE_DRIVER=vfs
	run cat "$EB_OUT"
	assert_output --partial "Storage driver on the spare data root: vfs, as ENVBOX_NO_SPACE_DRIVER asks"
	run /usr/bin/docker info -f '{{.Driver}}'
	assert_output vfs
	envbox_stop
	run env ENVBOX_NO_SPACE_DRIVER=zfs CODER_INNER_IMAGE=x/y:1 CODER_INNER_USERNAME=coder \
		envbox-docker dockerd-args --no-space
	assert_failure 2
	assert_output --partial 'ENVBOX_NO_SPACE_DRIVER "zfs": expected auto, vfs or fuse-overlayfs'
}
