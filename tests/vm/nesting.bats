#!/usr/bin/env bats
# Docker and systemd inside the workspace without sysbox (docs/nesting.md):
# runc, dockerd's user namespace, a cgroup v2 node. Runs in the test
# machine's cgroup v2 guest (make test-vm), three levels deep: the guest's
# dockerd runs envbox, envbox's dockerd runs the workspace, the workspace's
# root runs a dockerd of its own. The workspace images (tests/vm/
# nesting.Dockerfile) are Debian with docker.io, and the same with systemd.
#
# One outer container name for the whole file: each test that starts one
# removes the one before but keeps its volumes. envbox's data root is the
# seed vm.sh prepared with both images (ws_seed): pulling them under TCG
# would take five minutes.
load lib

N=envbox-vm-nest
# A hung command fails its test instead of the machine's whole run.
export BATS_TEST_TIMEOUT=900

setup_file() {
	[ "$ENVBOX_VM_CGROUP" = v2 ] || return 0
	outer_rm "$N"
	# envbox's data root starts as the seed vm.sh made (the images already
	# pulled, as a remapped dockerd keeps them): the pull finds every
	# layer. The disk is a snapshot: what envbox writes there is dropped.
	mkdir -p "$WORK/$N"
	ln -s /var/lib/docker/envbox-seed "$WORK/$N/outer-docker"
}

teardown_file() {
	[ "$ENVBOX_VM_CGROUP" = v2 ] || return 0
	outer_rm "$N"
}

setup() {
	[ "$ENVBOX_VM_CGROUP" = v2 ] || skip "a cgroup v2 machine only (this one: $ENVBOX_VM_CGROUP)"
}

# After a failure, what the levels say, into the results (each read
# bounded: a hung daemon must not hang the teardown).
teardown() {
	[ "${BATS_TEST_COMPLETED:-}" != 1 ] || return 0
	running || return 0
	{
		echo "== envbox's log"
		timeout 20 docker logs "$N" 2>&1 | tail -n 40
		echo "== the workspace's processes"
		timeout 20 docker exec "$N" docker exec workspace_cvm ps -ef
		echo "== the workspace's dockerd log"
		timeout 20 docker exec "$N" docker exec workspace_cvm sh -c \
			'tail -n 80 /var/log/dockerd.log 2>/dev/null; journalctl -u docker -u containerd --no-pager 2>/dev/null | tail -n 80'
		echo "== the workspace's cgroup"
		timeout 20 docker exec "$N" docker exec workspace_cvm sh -c \
			'cat /proc/1/cgroup; ls -l /sys/fs/cgroup; cat /sys/fs/cgroup/cgroup.subtree_control'
		echo "== dmesg"
		dmesg | tail -n 40
	} >"$ENVBOX_VM_RESULTS/nesting-diag-$BATS_TEST_NUMBER.txt" 2>&1
}

# restart IMAGE [docker run options...]: the outer container anew on the
# volumes of the one before, with IMAGE as the workspace; until ready.
restart() {
	local image=$1
	shift
	if docker inspect "$N" >/dev/null 2>&1; then
		docker logs "$N" >"$ENVBOX_VM_RESULTS/$N.$(date +%s).log" 2>&1
		docker rm -f "$N" >/dev/null
	fi
	outer_run "$N" -e CODER_INNER_IMAGE="$image" "$@"
	wait_ready "$N"
}

running() {
	[ "$(docker inspect -f '{{.State.Running}}' "$N" 2>/dev/null)" = true ]
}

# in_ws CMD...: CMD as the workspace's root, through a shell.
in_ws() {
	ws "$N" -i workspace_cvm sh -c "$*"
}

# The busybox image (the VM's plain workspace rootfs) in the workspace's
# dockerd as plain:1: docker import of its tree, so nothing inside needs
# the registry.
import_plain() {
	tar -C "$ENVBOX_VM_WS_ROOTFS" -cf - . |
		docker exec -i "$N" docker exec -i workspace_cvm docker import - plain:1 >/dev/null
	# Not an empty image (stdin must reach through both execs).
	ws "$N" workspace_cvm docker run --rm plain:1 true
}

# Waits for the workspace's dockerd: up to $1 seconds.
wait_inner_docker() {
	local end=$((SECONDS + $1))
	while ((SECONDS < end)); do
		timeout 10 docker exec "$N" docker exec workspace_cvm timeout 5 docker version >/dev/null 2>&1 && return 0
		sleep 1
	done
	echo "the workspace's dockerd did not answer in $1 s; its log:"
	timeout 20 docker exec "$N" docker exec workspace_cvm sh -c \
		'tail -n 30 /var/log/dockerd.log 2>/dev/null || journalctl -u docker --no-pager | tail -n 30'
	return 1
}

@test "nesting on cgroup v2: the workspace unprivileged, in its user namespace, with what a dockerd needs" {
	restart "$ENVBOX_VM_DIND_IMAGE"
	run docker logs "$N"
	assert_output --partial 'Docker in the workspace: yes: nesting (runc, cgroup v2): the workspace can run dockerd and systemd'
	run docker exec "$N" docker inspect -f \
		'{{.HostConfig.Privileged}} {{.HostConfig.CgroupnsMode}} {{.HostConfig.CapAdd}}' workspace_cvm
	assert_output "false private [SYS_ADMIN NET_ADMIN]"
	run ws "$N" workspace_cvm cat /proc/self/uid_map
	assert_output --regexp '^ +0 +100000 +65536$'
	# Filtered by seccomp (2), never unconfined (0).
	run ws "$N" workspace_cvm grep '^Seccomp:' /proc/1/status
	assert_output $'Seccomp:\t2'
	# The profile is envbox's: dockerd's default plus keyctl and pivot_root.
	run docker exec "$N" docker inspect -f '{{json .HostConfig.SecurityOpt}}' workspace_cvm
	assert_output --partial 'apparmor=unconfined'
	assert_output --partial 'pivot_root'
	refute_output --partial 'seccomp=unconfined'
	# The cgroup delegated: owned by the workspace's root, the limits not.
	id=$(docker exec "$N" docker inspect -f '{{.Id}}' workspace_cvm)
	run docker exec "$N" stat -c '%n %u' "/sys/fs/cgroup/docker/$id" \
		"/sys/fs/cgroup/docker/$id/cgroup.procs" "/sys/fs/cgroup/docker/$id/memory.max"
	assert_line --index 0 "/sys/fs/cgroup/docker/$id 100000"
	assert_line --index 1 "/sys/fs/cgroup/docker/$id/cgroup.procs 100000"
	assert_line --index 2 "/sys/fs/cgroup/docker/$id/memory.max 0"
	# The prelude: PID 1 in init/, the controllers on for children.
	run ws "$N" workspace_cvm cat /proc/1/cgroup
	assert_output 0::/init
	run ws "$N" workspace_cvm cat /sys/fs/cgroup/cgroup.subtree_control
	assert_output --regexp '(^| )memory( |$)'
	# The workspace's root cannot raise its own limits.
	run ws "$N" workspace_cvm sh -c 'echo max >/sys/fs/cgroup/memory.max'
	assert_failure
}

@test "dockerd inside the workspace, started by its root: overlay2 on cgroup v2" {
	running || skip "no workspace from the test before"
	# Its bridge off the guest's 172.17.0.0/16, where the registry is
	# (docker's default would shadow it inside: docs/nesting.md).
	ws "$N" -d workspace_cvm sh -c 'exec dockerd --bip=10.99.0.1/24 >/var/log/dockerd.log 2>&1'
	wait_inner_docker 180
	run ws "$N" workspace_cvm docker info -f '{{.Driver}} {{.CgroupVersion}} {{.CgroupDriver}}'
	assert_output "overlay2 2 cgroupfs"
	run ws "$N" workspace_cvm docker info -f '{{json .SecurityOptions}}'
	assert_output --partial seccomp
	assert_output --partial cgroupns
}

@test "docker run --rm inside: its output, over a bridge network" {
	running || skip "no workspace from the tests before"
	import_plain
	run in_ws "docker run --rm plain:1 sh -c 'echo hello from level 3; ip -4 -o addr show eth0; wget -q -O- http://$ENVBOX_VM_REGISTRY_IP:5000/v2/ && echo; ip route'"
	assert_success
	assert_line 'hello from level 3'
	# The bridge of the workspace's dockerd; out through two NATs to the
	# guest's registry.
	assert_output --regexp 'eth0 +inet 10\.99\.0\.'
	assert_line '{}'
	assert_output --regexp 'default via 10\.99\.0\.1'
}

@test "docker run --memory 64m inside: the nested memory.max" {
	running || skip "no workspace from the tests before"
	run ws "$N" workspace_cvm docker run --rm --memory 64m plain:1 cat /sys/fs/cgroup/memory.max
	assert_success
	assert_output 67108864
	# Under the workspace's own cgroup: the nested one is a child of it.
	run ws "$N" workspace_cvm sh -c 'ls -d /sys/fs/cgroup/docker'
	assert_success
}

@test "docker build of a two-line Dockerfile inside" {
	running || skip "no workspace from the tests before"
	run in_ws "printf 'FROM plain:1\nRUN echo built >/built\n' | DOCKER_BUILDKIT=0 docker build -q -t built:1 -"
	assert_success
	run ws "$N" workspace_cvm docker run --rm built:1 cat /built
	assert_output built
}

@test "docker exec into the workspace still works afterwards, as root and as the user" {
	running || skip "no workspace from the tests before"
	run ws "$N" workspace_cvm cat /proc/self/cgroup
	assert_output 0::/init
	run ws "$N" -u coder workspace_cvm id -un
	assert_output coder
	run ws "$N" -u coder workspace_cvm docker ps -q
	assert_success
}

@test "benchmark: a nested docker run against the same run one level up" {
	running || skip "no workspace from the tests before"
	# One level up: envbox's own dockerd runs the same image (pulled from
	# the guest's registry); no network at either level, so the runs are
	# alike (envbox's bridge is the workspace's alone).
	docker exec "$N" docker pull -q "$ENVBOX_VM_WS_IMAGE" >/dev/null
	up=() nested=()
	for i in 1 2 3; do
		t0=$(date +%s%N)
		docker exec "$N" docker run --rm --network none "$ENVBOX_VM_WS_IMAGE" true
		t1=$(date +%s%N)
		ws "$N" workspace_cvm docker run --rm --network none plain:1 true
		t2=$(date +%s%N)
		up+=($(((t1 - t0) / 1000000)))
		nested+=($(((t2 - t1) / 1000000)))
	done
	med() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
	report="docker run --rm (ms, median of 3, TCG): one level up $(med "${up[@]}"), nested $(med "${nested[@]}"); samples up ${up[*]}, nested ${nested[*]}"
	echo "$report" >"$ENVBOX_VM_RESULTS/nesting-bench.txt"
	echo "# $report" >&3
}

@test "systemd as PID 1: boots to its default target and runs docker.service" {
	restart "$ENVBOX_VM_SYSTEMD_IMAGE"
	run docker exec "$N" docker inspect -f '{{.Config.StopSignal}} {{json .HostConfig.Tmpfs}} {{.HostConfig.Privileged}}' workspace_cvm
	assert_output --partial 'SIGRTMIN+3'
	assert_output --partial '"/run":'
	assert_output --partial '"/run/lock":'
	assert_output --regexp 'false$'
	run ws "$N" workspace_cvm cat /proc/1/comm
	assert_output systemd
	# Booted: running, or degraded where a unit a container has no use
	# for failed (listed, for the record).
	run ws "$N" workspace_cvm timeout 240 systemctl is-system-running --wait
	echo "# systemd: $output" >&3
	assert_output --regexp '^(running|degraded)$'
	run ws "$N" workspace_cvm systemctl --failed --no-legend --plain
	echo "# failed units: ${output:-none}" >&3
	run ws "$N" workspace_cvm systemctl is-active "$(ws "$N" workspace_cvm systemctl get-default)"
	assert_output active
	run ws "$N" workspace_cvm systemctl is-active docker.service
	assert_output active
	# systemd's own tree in the delegated cgroup.
	run ws "$N" workspace_cvm cat /proc/1/cgroup
	assert_output 0::/init.scope
	wait_inner_docker 120
	import_plain
	run ws "$N" workspace_cvm docker run --rm --memory 64m plain:1 sh -c 'echo hello from systemd; cat /sys/fs/cgroup/memory.max'
	assert_success
	assert_output $'hello from systemd\n67108864'
}

@test "systemd as PID 1: docker stop sends SIGRTMIN+3 and it halts in time" {
	running || skip "no workspace from the test before"
	start=$SECONDS
	docker exec "$N" docker stop -t 60 workspace_cvm >/dev/null
	took=$((SECONDS - start))
	echo "# systemd halted in ${took}s" >&3
	((took < 60))
}

@test "ENVBOX_NESTING=off: the workspace as without nesting, and dockerd inside fails" {
	restart "$ENVBOX_VM_DIND_IMAGE" -e ENVBOX_NESTING=off
	run docker logs "$N"
	assert_output --partial 'Docker in the workspace: no: nesting is off (ENVBOX_NESTING=off)'
	run docker exec "$N" docker inspect -f '{{.HostConfig.Privileged}} {{.HostConfig.CapAdd}} {{json .HostConfig.SecurityOpt}}' workspace_cvm
	assert_output 'false [] null'
	run ws "$N" workspace_cvm cat /proc/1/cgroup
	assert_output 0::/
	run ws "$N" workspace_cvm timeout 120 dockerd
	assert_failure
	# The workspace itself is as before: exec as the user works.
	run ws "$N" -u coder workspace_cvm id -un
	assert_output coder
}
