#!/usr/bin/env bats
# envbox on a cgroup v2 node, as Kubernetes runs it (GKE's COS, EKS on
# AL2023 and Bottlerocket, AKS on Ubuntu 22.04+): runs inside the test
# machine (make test-vm), against the guest's dockerd, where root has every
# capability and `docker run --privileged` gives the outer container a
# cgroup namespace of its own. The README's one-liner, its volumes, the
# workspace pulled from the guest's registry; then what cgroup v2 changes:
# the prelude that delegates controllers, CPU and memory limits, OOM
# detection, idmapped mounts on ext4, and a node without user namespaces.
load lib

WS=envbox-vm-ws
LIM=envbox-vm-lim

setup_file() {
	local root
	[ "$ENVBOX_VM_CGROUP" = v2 ] || return 0
	outer_rm "$WS" "$LIM" envbox-vm-nouserns
	mkdir -p "$WORK"
	# The workspace image whose init (PID 1) eats memory on demand: the
	# plain one with an /sbin/init that waits for /tmp/oom, then becomes a
	# 256 MiB dd (its buffer is one allocation, all of it touched).
	root=$BATS_FILE_TMPDIR/oom-rootfs
	cp -a "$ENVBOX_VM_WS_ROOTFS" "$root"
	printf '%s\n' '#!/bin/sh' 'while [ ! -e /tmp/oom ]; do sleep 1; done' \
		'exec dd if=/dev/zero of=/dev/null bs=256M count=1' >"$root/sbin/init"
	chmod 755 "$root/sbin/init"
	sh "$ENVBOX_VM_IMAGE_SH" push "http://$ENVBOX_VM_REGISTRY" ws/oom:1 "$root"
}

teardown_file() {
	[ ! -s "$BATS_FILE_TMPDIR/userns" ] || sysctl -qw user.max_user_namespaces="$(cat "$BATS_FILE_TMPDIR/userns")"
	outer_rm "$WS" "$LIM" envbox-vm-nouserns
}

setup() {
	[ "$ENVBOX_VM_CGROUP" = v2 ] || skip "a cgroup v2 machine only (this one: $ENVBOX_VM_CGROUP)"
}

@test "the machine: cgroup v2 with every controller, nothing of v1" {
	run stat -fc %T /sys/fs/cgroup
	assert_output cgroup2fs
	run cat /sys/fs/cgroup/cgroup.controllers
	for c in cpuset cpu io memory pids; do
		assert_output --regexp "(^| )$c( |$)"
	done
	run grep -c ' cgroup ' /proc/mounts
	assert_output 0
}

@test "README one-liner: the workspace from the registry, docker exec in as the user" {
	# The Coder template's home volume, owned on disk by the user (as a
	# fresh volume chowned by an init container would be); a bootstrap that
	# notes SIGTERM there for the docker stop test.
	mkdir -p "$WORK/$WS/home"
	chown 1000:1000 "$WORK/$WS/home"
	outer_run "$WS" \
		-v "$WORK/$WS/home:/home/coder" \
		-e CODER_MOUNTS=/home/coder:/home/coder \
		-e CODER_CPUS=2 -e CODER_MEMORY=536870912 \
		-e CODER_BOOTSTRAP_SCRIPT='trap "echo TERM >/home/coder/sigterm; exit 0" TERM
echo up >/home/coder/bootstrapped
while :; do sleep 1; done'
	wait_ready "$WS"
	# Docker's default on cgroup v2, as containerd's on a Kubernetes node.
	run docker inspect -f '{{.HostConfig.CgroupnsMode}} {{.HostConfig.Privileged}}' "$WS"
	assert_output "private true"
	run ws "$WS" -u coder workspace_cvm id
	assert_success
	assert_output "uid=1000(coder) gid=1000(coder) groups=1000(coder)"
	run ws "$WS" -u coder workspace_cvm sh -c 'echo hi >/home/coder/hello && cat /home/coder/hello'
	assert_output hi
	run docker exec "$WS" docker inspect -f '{{.HostConfig.Privileged}} {{.Config.Image}}' workspace_cvm
	assert_output "false $ENVBOX_VM_WS_IMAGE"
	run ws "$WS" workspace_cvm cat /proc/self/uid_map
	assert_output --regexp '^ +0 +100000 +65536$'
}

@test "envbox check on a cgroup v2 node, privileged: ready, and the build log said so first" {
	[ "$(docker inspect -f '{{.State.Running}}' "$WS")" = true ] || skip "no workspace from the test before"
	run docker exec "$WS" envbox check
	assert_success
	assert_line --regexp '^cgroup ok: v2'
	assert_line --regexp '^cap_sys_resource ok'
	assert_line --regexp '^idmap ok: /home/coder: idmapped'
	assert_line 'verdict ready'
	run docker exec "$WS" envbox check --json
	assert_success
	assert_output --regexp '^\{"verdict":"ready","reasons":\[\]'
	run docker logs "$WS"
	assert_output --partial '"output":"Host check: ready"'
}

@test "cgroup v2 prelude: envbox's processes out of the root, controllers enabled for the workspace" {
	[ "$(docker inspect -f '{{.State.Running}}' "$WS")" = true ] || skip "no workspace from the test before"
	# The outer container's cgroup is the root of its namespace.
	run docker exec "$WS" cat /proc/self/cgroup
	assert_output --regexp '^0::/'
	run docker exec "$WS" cat /sys/fs/cgroup/cgroup.subtree_control
	for c in cpu memory pids; do
		assert_output --regexp "(^| )$c( |$)"
	done
	# envbox (PID 1) and dockerd left the root for init/.
	run docker exec "$WS" sh -c 'cat /proc/1/cgroup /proc/$(pidof dockerd)/cgroup'
	assert_line --index 0 0::/init
	assert_line --index 1 0::/init
	# Nothing of envbox's stayed in the root (processes there would block
	# the controllers: cgroup v2's no-internal-processes rule).
	# shellcheck disable=SC2016 # expanded in the outer container
	run docker exec "$WS" sh -c 'for p in $(cat /sys/fs/cgroup/cgroup.procs); do
		[ "$p" = $$ ] || echo "in the root: $p $(tr "\0" " " </proc/$p/cmdline)"; done'
	assert_success
	refute_output --partial "in the root"
	# The workspace's cgroup, under dockerd's, has the controllers.
	id=$(docker exec "$WS" docker inspect -f '{{.Id}}' workspace_cvm)
	run docker exec "$WS" cat "/sys/fs/cgroup/docker/$id/cgroup.controllers"
	assert_success
	for c in cpu memory pids; do
		assert_output --regexp "(^| )$c( |$)"
	done
}

@test "CODER_CPUS=2 and CODER_MEMORY: cpu.max and memory.max in the workspace's own cgroup" {
	[ "$(docker inspect -f '{{.State.Running}}' "$WS")" = true ] || skip "no workspace from the tests before"
	# The workspace's cgroup namespace: its cgroup is its root, where the
	# limits are; its processes are in the child init/ (nesting's prelude,
	# tests/vm/nesting.bats), where docker exec lands too.
	run ws "$WS" workspace_cvm cat /proc/self/cgroup
	assert_output 0::/init
	run ws "$WS" workspace_cvm cat /sys/fs/cgroup/cpu.max
	assert_output "200000 100000"
	run ws "$WS" workspace_cvm cat /sys/fs/cgroup/memory.max
	assert_output 536870912
}

@test "a process OOM-killed in the workspace: memory.events counts it, the workspace stays up" {
	[ "$(docker inspect -f '{{.State.Running}}' "$WS")" = true ] || skip "no workspace from the tests before"
	run ws "$WS" workspace_cvm sed -n 's/^oom_kill //p' /sys/fs/cgroup/memory.events
	assert_output 0
	# 600 MiB in one buffer under a 512 MiB limit.
	run ws "$WS" -u coder workspace_cvm dd if=/dev/zero of=/dev/null bs=600M count=1
	assert_failure 137
	run ws "$WS" workspace_cvm sed -n 's/^oom_kill //p' /sys/fs/cgroup/memory.events
	assert_output 1
	run docker exec "$WS" docker inspect -f '{{.State.Running}}' workspace_cvm
	assert_output true
	run docker inspect -f '{{.State.Running}}' "$WS"
	assert_output true
}

@test "idmapped home on ext4: the owner on disk unchanged, the user's own inside" {
	[ "$(docker inspect -f '{{.State.Running}}' "$WS")" = true ] || skip "no workspace from the tests before"
	run stat -fc %T "$WORK/$WS/home"
	assert_output ext2/ext3
	# The file written by the user in the first test: 1000 on disk, not
	# the shifted 101000, and the home directory as it was.
	run stat -c '%u:%g' "$WORK/$WS/home/hello" "$WORK/$WS/home"
	assert_output $'1000:1000\n1000:1000'
	run ws "$WS" workspace_cvm stat -c '%U:%G' /home/coder /home/coder/hello
	assert_output $'coder:coder\ncoder:coder'
	# Through an idmapped mount in the outer container.
	run docker exec "$WS" grep -c idmapped /proc/self/mountinfo
	assert_success
	refute_output 0
	run docker logs "$WS"
	assert_output --partial idmapped
}

@test "docker stop: SIGTERM ends everything within Kubernetes' grace period" {
	[ "$(docker inspect -f '{{.State.Running}}' "$WS")" = true ] || skip "no workspace from the tests before"
	stop_in_grace "$WS"
	run cat "$WORK/$WS/home/sigterm"
	assert_output TERM
	run docker logs "$WS"
	assert_output --partial 'shutting down'
	# Nothing of it left mounted on the node.
	run grep -c "$WORK/$WS" /proc/self/mounts
	assert_output 0
}

@test "CODER_CPUS=1.5 (a decimal, as docker --cpus takes): cpu.max 150000 100000" {
	outer_run "$LIM" \
		-e CODER_INNER_IMAGE="$ENVBOX_VM_REGISTRY/ws/oom:1" \
		-e CODER_CPUS=1.5 -e CODER_MEMORY=64Mi
	wait_ready "$LIM"
	run ws "$LIM" workspace_cvm cat /sys/fs/cgroup/cpu.max
	assert_output "150000 100000"
	run ws "$LIM" workspace_cvm cat /sys/fs/cgroup/memory.max
	assert_output 67108864
	run docker exec "$LIM" docker inspect -f '{{.Path}}' workspace_cvm
	assert_output /sbin/init
}

@test "the workspace OOM-killed under CODER_MEMORY: noticed, envbox exits non-zero saying so" {
	[ "$(docker inspect -f '{{.State.Running}}' "$LIM")" = true ] || skip "no workspace from the test before"
	outer=$(docker inspect -f '{{.Id}}' "$LIM")
	ws "$LIM" workspace_cvm touch /tmp/oom
	run wait_exit "$LIM" 120
	assert_success
	assert_output 1
	run docker logs "$LIM"
	assert_output --partial 'OOM-killed'
	assert_output --partial 'CODER_MEMORY is 67108864'
	# The kernel's word: the workspace's memory cgroup, under envbox's
	# dockerd in the outer container's, hit its limit.
	run dmesg
	assert_output --regexp "oom_memcg=/docker/$outer/docker/[0-9a-f]{64}"
}

@test "user.max_user_namespaces=0 (as on Bottlerocket): startup fails at once, naming the sysctl" {
	sysctl -n user.max_user_namespaces >"$BATS_FILE_TMPDIR/userns"
	sysctl -qw user.max_user_namespaces=0
	start=$SECONDS
	outer_run envbox-vm-nouserns
	run wait_exit envbox-vm-nouserns 60
	sysctl -qw user.max_user_namespaces="$(cat "$BATS_FILE_TMPDIR/userns")"
	assert_success
	refute_output 0
	took=$((SECONDS - start))
	echo "# failed after ${took}s" >&3
	run docker logs envbox-vm-nouserns
	assert_output --partial user.max_user_namespaces
	refute_output --partial 'Waiting for dockerd'
}
