#!/usr/bin/env bats
# envbox on a cgroup v1 node (older Kubernetes nodes; this project's build
# machines are v1 too, but lack CAP_SYS_RESOURCE): runs inside the test
# machine booted with the v1 hierarchies mounted by hand (make test-vm; the
# kernel's systemd.unified_cgroup_hierarchy=0 needs systemd, which the
# machine has not). The README's one-liner as written: on v1 docker's
# default cgroup namespace is the host's.
load lib

WS=envbox-vm-v1

setup_file() {
	[ "$ENVBOX_VM_CGROUP" = v1 ] || return 0
	outer_rm "$WS"
	mkdir -p "$WORK"
}

teardown_file() {
	outer_rm "$WS" envbox-vm-v1-on
}

setup() {
	[ "$ENVBOX_VM_CGROUP" = v1 ] || skip "a cgroup v1 machine only (this one: $ENVBOX_VM_CGROUP)"
}

@test "the machine: cgroup v1 hierarchies, no cgroup2" {
	run stat -fc %T /sys/fs/cgroup
	assert_output tmpfs
	run stat -fc %T /sys/fs/cgroup/memory /sys/fs/cgroup/cpu,cpuacct
	assert_output $'cgroupfs\ncgroupfs'
	run grep -c ' cgroup2 ' /proc/mounts
	assert_output 0
}

@test "README one-liner on cgroup v1: the workspace up, docker exec in as the user, the limits" {
	mkdir -p "$WORK/$WS/home"
	chown 1000:1000 "$WORK/$WS/home"
	outer_run "$WS" \
		-v "$WORK/$WS/home:/home/coder" \
		-e CODER_MOUNTS=/home/coder:/home/coder \
		-e CODER_CPUS=1.5 -e CODER_MEMORY=536870912
	wait_ready "$WS"
	run docker inspect -f '{{.HostConfig.CgroupnsMode}}' "$WS"
	assert_output host
	# No nesting on v1: said once, and the workspace as without it.
	run docker logs "$WS"
	assert_output --partial 'Docker in the workspace: no: this host is cgroup v1: the workspace cannot run dockerd or systemd, which needs cgroup v2 or sysbox'
	run docker exec "$WS" docker inspect -f '{{.HostConfig.Privileged}} {{.HostConfig.CapAdd}}' workspace_cvm
	assert_output 'false []'
	run ws "$WS" -u coder workspace_cvm id
	assert_success
	assert_output "uid=1000(coder) gid=1000(coder) groups=1000(coder)"
	run ws "$WS" -u coder workspace_cvm sh -c 'echo hi >/home/coder/hello && cat /home/coder/hello'
	assert_output hi
	run stat -c '%u:%g' "$WORK/$WS/home/hello"
	assert_output 1000:1000
	# The workspace's own cgroups (runc mounts them at /sys/fs/cgroup/*).
	run ws "$WS" workspace_cvm cat /sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us \
		/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us /sys/fs/cgroup/memory/memory.limit_in_bytes
	assert_output $'150000\n100000\n536870912'
}

@test "docker stop on cgroup v1: envbox exits 0 within Kubernetes' grace period" {
	[ "$(docker inspect -f '{{.State.Running}}' "$WS")" = true ] || skip "no workspace from the test before"
	stop_in_grace "$WS"
}

@test "ENVBOX_NESTING=on on cgroup v1: startup fails at once, saying why" {
	outer_run envbox-vm-v1-on -e ENVBOX_NESTING=on
	run wait_exit envbox-vm-v1-on 120
	assert_success
	assert_output 1
	run docker logs envbox-vm-v1-on
	assert_output --partial 'Host check: cannot start: ENVBOX_NESTING=on, but this host is cgroup v1: nesting needs cgroup v2 (or sysbox)'
	refute_output --partial 'Waiting for dockerd'
	outer_rm envbox-vm-v1-on
}
