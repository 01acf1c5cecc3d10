#!/usr/bin/env bats
# The sysbox path of envbox docker. sysbox is not packaged for Debian, so
# stand-ins record how envbox starts sysbox-mgr and sysbox-fs, and dockerd
# gets a runtime named sysbox-runc that is runc underneath: what is checked
# is envbox's plumbing (arguments, waiting for the manager's socket, the
# runtime name, shutdown), not sysbox.
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
	[ ! -e /run/sysbox ] || skip "/run/sysbox exists: a real sysbox may be running here"
	envbox_env_dir
	FAKE=$BATS_TEST_TMPDIR/bin
	mkdir -p "$FAKE"
	# sysbox-mgr: records its arguments, makes its socket path, stays up.
	cat >"$FAKE/sysbox-mgr" <<-SH
	#!/bin/sh
	echo "\$@" >"$BATS_TEST_TMPDIR/mgr.args"
	mkdir -p /run/sysbox
	sleep 0.5
	: >/run/sysbox/sysmgr.sock
	exec sleep 1000000
	SH
	printf '#!/bin/sh\nexec sleep 1000001\n' >"$FAKE/sysbox-fs"
	printf '#!/bin/sh\nexec runc "$@"\n' >"$FAKE/sysbox-runc"
	chmod +x "$FAKE"/*
}

teardown() {
	envbox_cleanup
	pkill -f 'sleep 100000[01]' || true
	rm -rf /run/sysbox
}

@test "with sysbox installed: sysbox-mgr and sysbox-fs started, socket awaited, sysbox-runc used, both stopped" {
	PATH=$FAKE:$PATH EB_DOCKERD_EXTRA="--add-runtime=sysbox-runc=$FAKE/sysbox-runc" \
		envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=coder \
		CODER_DISABLE_IDMAPPED_MOUNT=true CODER_CPUS=1
	run cat "$EB_OUT"
	assert_output --partial "Waiting for sysbox processes to startup..."
	refute_output --partial "sysbox is not installed"
	run cat "$BATS_TEST_TMPDIR/mgr.args"
	assert_output "--disable-idmapped-mount"
	[ "$(/usr/bin/docker inspect -f '{{.HostConfig.Runtime}}' workspace_cvm)" = sysbox-runc ]
	# The CPU quota copy is attempted; under runc the sysbox cgroup is not
	# there, which is logged, not fatal.
	run cat "$EB_OUT"
	assert_output --partial "CPU quota"
	pgrep -f 'sleep 1000000$'
	pgrep -f 'sleep 1000001$'
	envbox_stop
	sleep 0.5
	run ! pgrep -f 'sleep 1000000$'
	run ! pgrep -f 'sleep 1000001$'
}

@test "without CODER_DISABLE_IDMAPPED_MOUNT sysbox-mgr gets no arguments" {
	PATH=$FAKE:$PATH EB_DOCKERD_EXTRA="--add-runtime=sysbox-runc=$FAKE/sysbox-runc" \
		envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=coder
	run cat "$BATS_TEST_TMPDIR/mgr.args"
	assert_output ""
	envbox_stop
}
