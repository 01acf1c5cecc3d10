#!/usr/bin/env bats
# envbox-check: the verdict over fixture trees (tests/fixtures/check: a
# cgroup v2 pod that is ready, a cgroup v1 hybrid host without
# CAP_SYS_RESOURCE), each changed in one place per case, and one real run.
bats_require_minimum_version 1.5.0
load helpers

setup() {
	unset CODER_MOUNTS CODER_ADD_TUN CODER_ADD_FUSE CODER_ADD_GPU CODER_USR_LIB_DIR \
		CODER_DISABLE_IDMAPPED_MOUNT ENVBOX_DATA_ROOT ENVBOX_INNER_RUNTIME ENVBOX_NESTING
	ROOT=$BATS_TEST_TMPDIR/root
}

# fixture NAME: a copy of tests/fixtures/check/NAME at $ROOT, to change.
fixture() {
	cp -r "$FIXTURES/check/$1" "$ROOT"
}

@test "a cgroup v2 pod with its volumes and every capability is ready" {
	fixture v2-ready
	run envbox-check --root "$ROOT"
	assert_success
	assert_line "cgroup ok: v2; cpu, memory and pids can be delegated to the workspace"
	assert_line "cap_sys_resource ok: CAP_SYS_RESOURCE held"
	assert_line --regexp '^data_root ok: /var/lib/docker: ext4 \(mount /var/lib/docker\), .* free: overlay2 works there$'
	assert_line --index -1 "verdict ready"
	refute_output --partial " degraded: "
	refute_output --partial " fatal: "
}

@test "user.max_user_namespaces=0: cannot start, naming the sysctl that fixes it" {
	fixture v2-ready
	echo 0 >"$ROOT/proc/sys/user/max_user_namespaces"
	run envbox-check --root "$ROOT"
	assert_failure 1
	assert_line --partial "userns fatal: user.max_user_namespaces=0: the node allows no user namespaces"
	assert_line --index -1 "verdict cannot start: user.max_user_namespaces=0 allows no user namespaces: sysctl -w user.max_user_namespaces=65536 on the node"
	# --quiet: the verdict line alone, same exit code.
	run envbox-check --quiet --root "$ROOT"
	assert_failure 1
	assert_output "verdict cannot start: user.max_user_namespaces=0 allows no user namespaces: sysctl -w user.max_user_namespaces=65536 on the node"
}

@test "cgroup v1 hybrid without CAP_SYS_RESOURCE: degraded, naming both" {
	fixture hybrid
	run envbox-check --root "$ROOT"
	assert_success
	assert_line --partial "cgroup degraded: v1 (hybrid: cgroup2 at /sys/fs/cgroup/unified, the controllers on v1)"
	assert_line --partial "cap_sys_resource degraded: CAP_SYS_RESOURCE missing: envbox cannot set its oom_score_adj below 0"
	assert_line --index -1 "verdict degraded: cgroup v1 (hybrid): no controller can be delegated to the workspace; no CAP_SYS_RESOURCE: oom_score_adj cannot go below 0 (run the outer container privileged, or --cap-add SYS_RESOURCE)"
	refute_output --partial " fatal: "
}

@test "a data root on the container's own overlay root cannot start: mount a volume there" {
	fixture v2-ready
	sed -i '/ \/var\/lib\/docker rw/d' "$ROOT/proc/self/mountinfo"
	run envbox-check --root "$ROOT"
	assert_failure 1
	assert_line --partial 'data_root fatal: /var/lib/docker is on the container'"'"'s own root (overlay) (mount /), where dockerd'"'"'s overlay2 cannot work: it would fail with "driver not supported"; mount a volume at /var/lib/docker'
	assert_line --index -1 "verdict cannot start: /var/lib/docker is on the container's own root (overlay), where overlay2 cannot work: mount a volume at /var/lib/docker"
	# ENVBOX_DATA_ROOT moves it onto a volume.
	ENVBOX_DATA_ROOT=/var/lib/coder/docker run envbox-check --root "$ROOT"
	assert_success
	assert_line --regexp '^data_root ok: /var/lib/coder/docker: ext4 \(mount /var/lib/coder\)'
}

@test "--json: one object that jq reads, the verdict and every check in it" {
	command -v jq >/dev/null || skip "jq not installed"
	fixture hybrid
	run --separate-stderr envbox-check --json --root "$ROOT"
	assert_success
	[ -z "$stderr" ]
	run jq -r '.verdict' <<<"$output"
	assert_success
	assert_output "degraded"
	run envbox-check --json --root "$ROOT"
	run jq -r '.reasons | length' <<<"$output"
	assert_output 2
	run envbox-check --json --root "$ROOT"
	run jq -r '.checks[] | select(.status == "degraded") | "\(.name) \(.reason != null)"' <<<"$output"
	assert_output "cgroup true
cap_sys_resource true"
	# Every check has a name, a status and a message; as many as the lines.
	run envbox-check --json --root "$ROOT"
	run jq -e '[.checks[] | select(.name and .message and (.status | test("^(ok|info|degraded|fatal)$")))] | length' <<<"$output"
	assert_success
	lines_json=$output
	run envbox-check --root "$ROOT"
	[ "$lines_json" -eq $((${#lines[@]} - 1)) ] || fail "$lines_json checks in JSON, ${#lines[@]} lines"
	# Cannot start, in JSON: exit 1 all the same.
	echo 0 >"$ROOT/proc/sys/user/max_user_namespaces"
	run envbox-check --json --root "$ROOT"
	assert_failure 1
	run jq -r '.verdict, (.reasons | length)' <<<"$output"
	assert_output "cannot start
1"
}

@test "variables: mount sources probed, sysbox on PATH, devices asked for, a bad value" {
	fixture v2-ready
	CODER_MOUNTS=/home/coder:/home/coder,/mnt/share:/mnt:ro run envbox-check --root "$ROOT"
	assert_success
	assert_line "idmap ok: /home/coder: idmapped: ext4 supports idmapped mounts since Linux 5.12 (running 6.1)"
	assert_line --partial "idmap info: /mnt/share: chowned, not idmapped (NFS has no idmapped mounts"
	assert_line --partial "files in it the host wrote show as nobody (65534) inside"
	CODER_MOUNTS=/home/coder:/home/coder CODER_DISABLE_IDMAPPED_MOUNT=true run envbox-check --root "$ROOT"
	assert_line --partial "idmap info: CODER_DISABLE_IDMAPPED_MOUNT=true: each CODER_MOUNTS source is chowned"

	mkdir -p "$ROOT/opt/sysbox/bin"
	printf '#!/bin/sh\n' >"$ROOT/opt/sysbox/bin/sysbox-runc"
	printf '#!/bin/sh\n' >"$ROOT/opt/sysbox/bin/sysbox-mgr"
	chmod +x "$ROOT/opt/sysbox/bin/sysbox-runc"
	PATH=$PATH:/opt/sysbox/bin run envbox-check --root "$ROOT"
	assert_line "sysbox info: not installed (sysbox-mgr not on PATH): the workspace runs with runc under dockerd's user namespace remapping"
	chmod +x "$ROOT/opt/sysbox/bin/sysbox-mgr"
	PATH=$PATH:/opt/sysbox/bin run envbox-check --root "$ROOT"
	assert_line "docker_in_workspace ok: yes: sysbox lets the workspace run dockerd and systemd"

	CODER_ADD_TUN=true run envbox-check --root "$ROOT"
	assert_success
	assert_line --partial "tun degraded: /dev/net/tun absent: envbox makes its own node (10:200)"
	assert_line --index -1 "verdict degraded: no /dev/net/tun for CODER_ADD_TUN=true (modprobe tun)"
	mkdir -p "$ROOT/dev/net"
	mknod "$ROOT/dev/net/tun" c 10 200
	CODER_ADD_TUN=true run envbox-check --root "$ROOT"
	assert_line "tun ok: /dev/net/tun present; CODER_ADD_TUN=true passes it in"
	assert_line --index -1 "verdict ready"

	CODER_MOUNTS=relative:/x run envbox-check --root "$ROOT"
	assert_failure 1
	assert_line --partial 'config fatal: CODER_MOUNTS: entry "relative:/x"'
	CODER_ADD_GPU=maybe run envbox-check --root "$ROOT"
	assert_failure 1
	assert_line --partial "config fatal: CODER_ADD_GPU"
}

@test "docker_in_workspace: nesting on cgroup v2 as ENVBOX_NESTING says; 'on' on cgroup v1 cannot start; a kernel before 5.11" {
	fixture v2-ready
	run envbox-check --root "$ROOT"
	assert_success
	assert_line "docker_in_workspace ok: yes: nesting (runc, cgroup v2): the workspace can run dockerd and systemd; ENVBOX_NESTING=off turns it off"
	ENVBOX_NESTING=off run envbox-check --root "$ROOT"
	assert_success
	assert_line "docker_in_workspace info: no: nesting is off (ENVBOX_NESTING=off): the workspace cannot run dockerd or systemd"
	ENVBOX_NESTING=maybe run envbox-check --root "$ROOT"
	assert_failure 1
	assert_line 'config fatal: ENVBOX_NESTING "maybe": expected auto, on or off: envbox docker refuses it (exit 2)'
	ENVBOX_INNER_RUNTIME=crun run envbox-check --root "$ROOT"
	assert_line --partial "docker_in_workspace info: no: envbox sets the workspace up for dockerd and systemd under runc or sysbox-runc, not crun"

	echo 5.10.0-28-amd64 >"$ROOT/proc/sys/kernel/osrelease"
	run envbox-check --root "$ROOT"
	assert_success
	assert_line --partial "docker_in_workspace degraded: yes: nesting (runc, cgroup v2), but kernel 5.10.0-28-amd64 is older than 5.11"
	assert_line --index -1 --partial "kernel 5.10.0-28-amd64 is older than 5.11: a dockerd in the workspace cannot use overlay2"

	rm -r "$ROOT"
	fixture hybrid
	run envbox-check --root "$ROOT"
	assert_success
	assert_line "docker_in_workspace info: no: this host is cgroup v1 (hybrid): the workspace cannot run dockerd or systemd, which needs cgroup v2 or sysbox"
	ENVBOX_NESTING=on run envbox-check --root "$ROOT"
	assert_failure 1
	assert_line --partial "docker_in_workspace fatal: no: ENVBOX_NESTING=on: Docker inside the workspace needs a cgroup v2 host or sysbox, and this host is cgroup v1 (hybrid)"
	assert_line --index -1 "verdict cannot start: ENVBOX_NESTING=on, but this host is cgroup v1 (hybrid): nesting needs cgroup v2 (or sysbox)"
}

@test "usage errors exit 2; an unusable --root exits 1 naming it" {
	run --separate-stderr envbox-check --bogus
	assert_failure 2
	[ "$stderr" = "envbox-check: unknown option '--bogus'
Try 'envbox-check --help'." ]
	run envbox-check --json --quiet
	assert_failure 2
	run envbox-check --root relative/dir
	assert_failure 2
	run envbox-check stray
	assert_failure 2
	run --separate-stderr envbox-check --root "$BATS_TEST_TMPDIR/missing"
	assert_failure 1
	[ "$stderr" = "envbox-check: root $BATS_TEST_TMPDIR/missing: No such file or directory" ]
}

@test "the real host: the verdict follows its cgroups and capabilities, in well under a second" {
	local t0 t1 ms max=0 total=0 i want=ready
	# What this host is, read independently of envbox-check.
	hybrid=no
	if grep -q ' /sys/fs/cgroup/[^ ]* [^-]*- cgroup ' /proc/self/mountinfo &&
		grep -q ' - cgroup2 ' /proc/self/mountinfo; then
		hybrid=yes
	fi
	capeff=$(sed -n 's/^CapEff:\t//p' /proc/self/status)
	no_resource=$(((0x$capeff >> 24 & 1) == 0))

	run envbox-check
	if [ "$status" -eq 1 ]; then
		assert_line --regexp '^verdict cannot start: '
	else
		assert_success
		assert_line --index -1 --regexp '^verdict (ready|degraded)'
	fi
	if [ "$hybrid" = yes ]; then
		assert_line --partial "cgroup degraded: v1 (hybrid: cgroup2 at "
		assert_line --index -1 --partial "cgroup v1 (hybrid): no controller can be delegated to the workspace"
		if ! command -v sysbox-runc >/dev/null || ! command -v sysbox-mgr >/dev/null; then
			assert_line --partial "docker_in_workspace info: no: this host is cgroup v1 (hybrid)"
		fi
		want=degraded
	fi
	if [ "$no_resource" = 1 ]; then
		assert_line --partial "cap_sys_resource degraded: CAP_SYS_RESOURCE missing"
		assert_line --index -1 --partial "no CAP_SYS_RESOURCE: oom_score_adj cannot go below 0"
		want=degraded
	fi
	[ "$status" -eq 1 ] || assert_line --index -1 --regexp "^verdict $want"

	# 20 runs, each timed; the slowest must be well under a second.
	for i in $(seq 20); do
		t0=$(date +%s%N)
		envbox-check --quiet >/dev/null || [ $? -eq 1 ]
		t1=$(date +%s%N)
		ms=$(((t1 - t0) / 1000000))
		total=$((total + ms))
		[ "$ms" -le "$max" ] || max=$ms
	done
	echo "# envbox-check: 20 runs, $total ms in all, slowest $max ms" >&3
	[ "$max" -lt 1000 ] || fail "slowest run took $max ms"
}
