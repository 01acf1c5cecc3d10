#!/usr/bin/env bats
# envbox docker refuses bad input before touching anything: exit 2, one
# error line naming the variable (then the build log's done), no dockerd, no
# device nodes, no container.
load helpers
load lib/dockerd
load lib/envbox

setup() {
	envbox_env_dir
	rm -f /tmp/coder-tun /tmp/coder-fuse
}

teardown() {
	envbox_cleanup
}

# refuses VAR: runs envbox docker with a valid base plus the arguments and
# checks it was refused for VAR.
refused() {
	local var=$1
	shift
	run --separate-stderr env -i PATH="$PATH" ENVBOX_LOG_DIR="$EB_DIR/log" \
		ENVBOX_DOCKERD_ARGS="--host=unix://$EB_DIR/d.sock --data-root=$EB_DIR/data --exec-root=$EB_DIR/exec --pidfile=$EB_DIR/docker.pid" \
		DOCKER_HOST="$DOCKER_HOST" \
		CODER_INNER_IMAGE=registry.example.com/ws:1 CODER_INNER_USERNAME=coder \
		CODER_AGENT_TOKEN=secret-token-8c1d CODER_ADD_TUN=true "$@" envbox docker
	[ "$status" -eq 2 ] || fail "status $status for $*: $stderr"
	# One error entry naming the variable, then done; nothing else.
	[ "$(printf '%s\n' "$stderr" | grep -c '"type":"error"')" -eq 1 ] || fail "$stderr"
	printf '%s\n' "$stderr" | grep '"type":"error"' | grep -q "$var" || fail "$stderr"
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 2 ] || fail "$stderr"
	printf '%s\n' "$stderr" | tail -1 | grep -q '"type":"done"'
	[[ $stderr != *secret-token-8c1d* ]] || fail "the token leaked: $stderr"
	# Nothing was started or made.
	[ ! -e "$EB_DIR/data" ] || fail "data root made"
	[ ! -e "$EB_DIR/d.sock" ] || fail "dockerd started"
	[ ! -e "$EB_DIR/log" ] || fail "log dir made"
	[ ! -e /tmp/coder-tun ] || fail "TUN node made"
	REFUSED_STDERR=$stderr
}

@test "required variables" {
	refused CODER_INNER_IMAGE CODER_INNER_IMAGE=
	refused CODER_INNER_USERNAME CODER_INNER_USERNAME=
}

@test "CODER_CPUS must be a positive number of CPUs, at most three decimals" {
	refused CODER_CPUS CODER_CPUS=two
	refused CODER_CPUS CODER_CPUS=0
	refused CODER_CPUS CODER_CPUS=-2
	refused CODER_CPUS CODER_CPUS=1.2345
	refused CODER_CPUS CODER_CPUS=500m
}

@test "CODER_MEMORY must be a positive byte count" {
	refused CODER_MEMORY CODER_MEMORY=lots
	refused CODER_MEMORY CODER_MEMORY=-1
	refused CODER_MEMORY CODER_MEMORY=0
}

@test "CODER_DOCKER_BRIDGE_CIDR must be an IPv4 CIDR" {
	refused CODER_DOCKER_BRIDGE_CIDR CODER_DOCKER_BRIDGE_CIDR=172.19.0.1
	refused CODER_DOCKER_BRIDGE_CIDR CODER_DOCKER_BRIDGE_CIDR=172.19.0.1/40
	refused CODER_DOCKER_BRIDGE_CIDR CODER_DOCKER_BRIDGE_CIDR=fd00::/64
	refused CODER_DOCKER_BRIDGE_CIDR CODER_DOCKER_BRIDGE_CIDR=999.1.1.1/24
}

@test "booleans are true, false, 1 or 0" {
	refused CODER_ADD_TUN CODER_ADD_TUN=yes
	refused CODER_ADD_FUSE CODER_ADD_FUSE=on
	refused CODER_ADD_GPU CODER_ADD_GPU=maybe
	refused CODER_DISABLE_IDMAPPED_MOUNT CODER_DISABLE_IDMAPPED_MOUNT=2
	refused CODER_DEBUG CODER_DEBUG=loud
}

@test "CODER_MOUNTS must be well formed" {
	refused CODER_MOUNTS CODER_MOUNTS=/only-one
	refused CODER_MOUNTS CODER_MOUNTS=/a:/b:ro:x
	refused CODER_MOUNTS CODER_MOUNTS=relative:/b
	refused CODER_MOUNTS CODER_MOUNTS=/a:/b:rx
	refused CODER_MOUNTS CODER_MOUNTS=/a:/b,
}

@test "other variables: image reference, names, work dir, GPU needs its lib dir" {
	refused CODER_INNER_IMAGE "CODER_INNER_IMAGE=Not An Image"
	refused CODER_CVM_CONTAINER_NAME CODER_CVM_CONTAINER_NAME=/bad
	refused CODER_INNER_HOSTNAME CODER_INNER_HOSTNAME=bad_host
	refused CODER_INNER_WORK_DIR CODER_INNER_WORK_DIR=relative/dir
	refused CODER_USR_LIB_DIR CODER_ADD_GPU=true
	refused CODER_INNER_ENVS "CODER_INNER_ENVS=A B"
	refused CODER_EXTRA_CERTS_PATH CODER_EXTRA_CERTS_PATH=/nonexistent/ca.crt
	refused ENVBOX_NESTING ENVBOX_NESTING=maybe
	[[ $REFUSED_STDERR == *'ENVBOX_NESTING \"maybe\": expected auto, on or off'* ]] || fail "$REFUSED_STDERR"
}

@test "security: a control character in a value that becomes a line is refused, naming the variable" {
	nl='
'
	refused CODER_INNER_WORK_DIR "CODER_INNER_WORK_DIR=/home/coder${nl}image=evil"
	[[ $REFUSED_STDERR == *"control character (0x0a)"* ]] || fail "$REFUSED_STDERR"
	refused CODER_INNER_HOSTNAME "CODER_INNER_HOSTNAME=box${nl}container=x"
	refused CODER_MOUNTS "CODER_MOUNTS=/a:/b${nl}bind /run /x rw"
	refused CODER_INNER_IMAGE "CODER_INNER_IMAGE=registry.example.com/ws:1$(printf '\t')"
}

@test "security: a user name starting with '-' is refused at once, before dockerd" {
	refused CODER_INNER_USERNAME CODER_INNER_USERNAME=-h
	[[ $REFUSED_STDERR == *'CODER_INNER_USERNAME \"-h\": not a user name'* ]] || fail "$REFUSED_STDERR"
}

@test "security: values create would refuse are refused before anything is made" {
	refused CODER_INNER_WORK_DIR "CODER_INNER_WORK_DIR=/home/my dir"
}

@test "security: a CODER_MOUNTS destination of envbox's own is refused before anything is made" {
	refused CODER_MOUNTS CODER_MOUNTS=/x:/var/lib/docker
	[[ $REFUSED_STDERR == *"destination /var/lib/docker is envbox's own"* ]] || fail "$REFUSED_STDERR"
	refused CODER_MOUNTS CODER_MOUNTS=/a:/b,/x:/var/lib/containers/
}

@test "security: a password in CODER_AGENT_URL is not echoed" {
	# (With the token set, the log's sender warns too: one more line.)
	run --separate-stderr env -i PATH="$PATH" ENVBOX_LOG_DIR="$EB_DIR/log" \
		CODER_INNER_IMAGE=registry.example.com/ws:1 CODER_INNER_USERNAME=coder \
		CODER_AGENT_TOKEN=secret-token-8c1d \
		CODER_AGENT_URL=ftp://admin:hunter2-77@coder.example.com envbox docker
	assert_failure 2
	[[ $stderr == *'CODER_AGENT_URL \"ftp://***@coder.example.com\": expected an http'* ]] || fail "$stderr"
	[[ $stderr != *hunter2-77* ]] || fail "the password leaked: $stderr"
	[[ $stderr != *secret-token-8c1d* ]] || fail "the token leaked: $stderr"
	[ ! -e "$EB_DIR/log" ] || fail "log dir made"
}

@test "host check: dockerd's data root on an overlay stops startup at once, naming the fix; nothing started" {
	mkdir -p "$EB_DIR/l" "$EB_DIR/u" "$EB_DIR/w" "$EB_DIR/ovl"
	mount -t overlay overlay -o "lowerdir=$EB_DIR/l,upperdir=$EB_DIR/u,workdir=$EB_DIR/w" "$EB_DIR/ovl"
	run --separate-stderr env -i PATH="$PATH" ENVBOX_LOG_DIR="$EB_DIR/log" \
		ENVBOX_DATA_ROOT="$EB_DIR/ovl/docker" DOCKER_HOST="$DOCKER_HOST" \
		ENVBOX_DOCKERD_ARGS="--host=unix://$EB_DIR/d.sock --exec-root=$EB_DIR/exec --pidfile=$EB_DIR/docker.pid" \
		CODER_INNER_IMAGE=registry.example.com/ws:1 CODER_INNER_USERNAME=coder envbox docker
	umount "$EB_DIR/ovl"
	assert_failure 1
	[[ $stderr == *'"Host check: cannot start: '"$EB_DIR/ovl/docker"' is on the container'"'"'s own root (overlay), where overlay2 cannot work: mount a volume at '"$EB_DIR/ovl/docker"'"'* ]] || fail "$stderr"
	[[ $stderr != *"Waiting for dockerd"* ]] || fail "dockerd was started: $stderr"
	[ ! -e "$EB_DIR/d.sock" ] || fail "dockerd started"
}

@test "ENVBOX_NESTING=on on this cgroup v1 host stops startup at the host check, before dockerd, saying why" {
	[ ! -f /sys/fs/cgroup/cgroup.controllers ] || skip "a cgroup v2 host (tests/vm/nesting.bats covers it)"
	run --separate-stderr env -i PATH="$PATH" ENVBOX_LOG_DIR="$EB_DIR/log" DOCKER_HOST="$DOCKER_HOST" \
		ENVBOX_DOCKERD_ARGS="--host=unix://$EB_DIR/d.sock --data-root=$EB_DIR/data --exec-root=$EB_DIR/exec --pidfile=$EB_DIR/docker.pid" \
		ENVBOX_NESTING=on CODER_INNER_IMAGE=registry.example.com/ws:1 CODER_INNER_USERNAME=coder envbox docker
	assert_failure 1
	[[ $stderr == *'"Host check: cannot start: ENVBOX_NESTING=on, but this host is cgroup v1'*': nesting needs cgroup v2 (or sysbox)"'* ]] || fail "$stderr"
	[[ $stderr != *"Waiting for dockerd"* ]] || fail "dockerd was started: $stderr"
	[ ! -e "$EB_DIR/d.sock" ] || fail "dockerd started"
}

@test "envbox check runs the host check applet" {
	run envbox check --quiet
	[ "$status" -le 1 ] || fail "status $status: $output"
	assert_output --regexp '^verdict (ready|degraded|cannot start)'
}

@test "arguments to envbox docker are a usage error" {
	run envbox docker --frobnicate
	assert_failure 2
}
