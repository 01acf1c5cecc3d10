#!/usr/bin/env bats
# The cgroup v2 prelude (scripts/cgroup-v2-prelude), as installed: where
# envbox-docker dockerd-args finds it, and a real run of it under
# `unshare --cgroup` in a scratch cgroup of this machine's cgroup2
# hierarchy, inside a private mount namespace (the prelude remounts
# /sys/fs/cgroup there, never here). The controllers it delegates are
# checked on a real cgroup v2 node by tests/vm/cgroup2.bats.
load helpers

PRELUDE=$ENVBOX_PREFIX/libexec/envbox/cgroup-v2-prelude

setup() {
	export CODER_INNER_IMAGE=r.example/ws CODER_INNER_USERNAME=coder
	SCRATCH=
}

teardown() {
	# The scratch cgroup and the init/ the prelude made in it; their
	# processes have exited by now.
	if [ -n "$SCRATCH" ] && [ -d "$SCRATCH" ]; then
		rmdir "$SCRATCH/init" 2>/dev/null || :
		rmdir "$SCRATCH"
	fi
}

@test "make install puts the prelude in PREFIX/libexec/envbox, executable, a POSIX sh script" {
	[ -x "$PRELUDE" ]
	run head -1 "$PRELUDE"
	assert_output '#!/bin/sh'
	if command -v shellcheck >/dev/null; then
		run shellcheck -s sh "$PRELUDE"
		assert_success
	fi
}

@test "dockerd-args on cgroup v2: unshare --cgroup, the prelude beside the binary, then dockerd" {
	mkdir "$BATS_TEST_TMPDIR/cg"
	touch "$BATS_TEST_TMPDIR/cg/cgroup.controllers"
	run --separate-stderr envbox-docker dockerd-args --cgroup-root "$BATS_TEST_TMPDIR/cg" --sys-root "$BATS_TEST_TMPDIR"
	assert_success
	assert_line --index 0 unshare
	assert_line --index 1 --cgroup
	assert_line --index 2 "$PRELUDE"
	assert_line --index 3 dockerd
	# --prelude names another.
	run --separate-stderr envbox-docker dockerd-args --cgroup-root "$BATS_TEST_TMPDIR/cg" --sys-root "$BATS_TEST_TMPDIR" --prelude /opt/p
	assert_success
	assert_line --index 2 /opt/p
	# cgroup v1 or hybrid: no prelude.
	run --separate-stderr envbox-docker dockerd-args --cgroup-root "$BATS_TEST_TMPDIR" --sys-root "$BATS_TEST_TMPDIR"
	assert_success
	assert_line --index 0 dockerd
	refute_output --partial unshare
}

# The mount point of a cgroup2 hierarchy here, or nothing.
cgroup2_mount() {
	awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts
}

@test "the prelude in a fresh cgroup namespace: its processes moved to init/, the command run with its arguments" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v unshare >/dev/null || skip "no unshare"
	cg2=$(cgroup2_mount)
	[ -n "$cg2" ] || skip "no cgroup2 hierarchy mounted here"
	SCRATCH=$cg2/envbox-prelude-test-$$
	mkdir "$SCRATCH"
	# In a private mount namespace: /sys/fs/cgroup made one cgroup2 mount
	# (as on a v2 host; a hybrid one has a tmpfs of v1 mounts there), this
	# shell and a sleep moved into the scratch cgroup, then the prelude
	# runs a shell that reports from inside the new cgroup namespace.
	# shellcheck disable=SC2016 # expanded by the shells below
	run timeout 60 unshare -m --propagation private sh -ec '
		umount -R /sys/fs/cgroup 2>/dev/null || :
		mount -t cgroup2 cgroup /sys/fs/cgroup
		echo $$ >"/sys/fs/cgroup/$1/cgroup.procs"
		sleep 60 & s=$!
		unshare --cgroup "$2" sh -c "
			echo self \$(grep ^0:: /proc/self/cgroup)
			echo sleep \$(grep ^0:: /proc/$s/cgroup)
			echo parent \$(grep ^0:: /proc/$$/cgroup)
			echo root \$(wc -l </sys/fs/cgroup/cgroup.procs)
			echo args \"\$0\" \"\$1\" \"\$#\"" "a 1" "b  2"
		kill $s
	' sh "${SCRATCH##*/}" "$PRELUDE"
	assert_success
	assert_line 'self 0::/init'
	assert_line 'sleep 0::/init'
	assert_line 'parent 0::/init'
	# Nothing left in the namespace's root: controllers could be enabled.
	assert_line 'root 0'
	assert_line 'args a 1 b  2 1'
	[ -d "$SCRATCH/init" ]
}
