#!/usr/bin/env bats
# envbox docker, end to end: the installed entrypoint brings up a workspace on
# the real dockerd it starts, pulling from a real registry; every numbered
# step of the main-job issue is checked with docker inspect / docker exec.
load helpers
load lib/dockerd
load lib/registry
load lib/envbox

TOKEN=agent-token-5f2c9e71d3b84a06
IMAGE_NOINIT=ws/plain:1
IMAGE_INIT=ws/init:1

setup_file() {
	ensure_remap_user
	registry_start
	local root=$BATS_FILE_TMPDIR/rootfs
	"$BATS_TEST_DIRNAME/lib/image.sh" rootfs "$root-plain" --user coder:1000:1000:/home/coder --os-release debian
	"$BATS_TEST_DIRNAME/lib/image.sh" push "http://$REGISTRY" "$IMAGE_NOINIT" "$root-plain"
	"$BATS_TEST_DIRNAME/lib/image.sh" rootfs "$root-init" --user coder:1000:1000:/home/coder --init
	"$BATS_TEST_DIRNAME/lib/image.sh" push "http://$REGISTRY" "$IMAGE_INIT" "$root-init"

	# Mount sources, as a pod's volumes would be.
	SRC=$BATS_FILE_TMPDIR/src
	mkdir -p "$SRC/home" "$SRC/data" "$SRC/secret" /home/envbox-t$$
	echo hush >"$SRC/secret/value"
	HOMEDIR=/home/envbox-t$$
	export SRC HOMEDIR

	envbox_env_dir
	echo "$EB_DIR" >"$BATS_FILE_TMPDIR/eb_dir"
	envbox_start \
		CODER_INNER_IMAGE="$REGISTRY/$IMAGE_NOINIT" \
		CODER_INNER_USERNAME=coder \
		CODER_AGENT_TOKEN="$TOKEN" \
		CODER_AGENT_SUBSYSTEM="zeta, alpha,envbox" \
		CODER_AGENT_URL=http://127.0.0.1:1 \
		CODER_INNER_ENVS="KUBE_*,MY_ENV" \
		KUBE_ONE=1 KUBE_TWO=2 MY_ENV=mine MY_ENV_NOT=no OTHER=nope \
		CODER_INNER_HOSTNAME=devbox \
		CODER_INNER_WORK_DIR=/home/coder \
		CODER_MOUNTS="$SRC/home:/home/coder,$SRC/data:/data,$SRC/secret:/secret:ro,$HOMEDIR:/other" \
		CODER_ADD_TUN=true CODER_ADD_FUSE=1 \
		CODER_CPUS=1 CODER_MEMORY=268435456 \
		CODER_DOCKER_BRIDGE_CIDR=10.213.7.0/29 \
		CODER_BOOTSTRAP_SCRIPT='echo "hello from $(id -u):$(id -g) in $BINARY_DIR"; echo started >"$BINARY_DIR/bootstrap-ran"'
	echo "$EB_PID" >"$BATS_FILE_TMPDIR/eb_pid"
	# The bootstrap runs after startup; give it a moment to say hello.
	for _ in $(seq 50); do
		grep -q 'hello from' "$EB_OUT" && break
		sleep 0.1
	done
}

teardown_file() {
	envbox_file_stop
	registry_stop
	rm -rf /home/envbox-t*
	rm -f /tmp/coder-tun /tmp/coder-fuse
}

setup() {
	EB_DIR=$(cat "$BATS_FILE_TMPDIR/eb_dir")
	EB_OUT=$EB_DIR/envbox.log
	DOCKER_HOST=unix://$EB_DIR/d.sock
	SRC=$BATS_FILE_TMPDIR/src
	export EB_DIR EB_OUT DOCKER_HOST SRC
}

inspect() {
	docker inspect -f "$1" workspace_cvm
}

# The host pid of the container's first process.
cpid() {
	inspect '{{.State.Pid}}'
}

@test "the build log is JSON lines with output, time and type, ending startup with one done" {
	run python3 - "$EB_OUT" <<'PY'
import json, sys, re
types = []
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert set(o) == {"output", "time", "type"}, o
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$", o["time"]), o
    types.append(o["type"])
    if o["output"] == "Envbox startup complete!":
        assert types.count("done") == 0
assert types.count("done") == 1, types
print("ok")
PY
	assert_success
	assert_output ok
	grep -q '"output":"Envbox startup complete!"' "$EB_OUT"
}

@test "the host check's verdict is one line of the build log, before dockerd starts" {
	run jq -r '.output' "$EB_OUT"
	assert_line --regexp '^Host check: (ready|degraded)'
	[ "$(grep -c '"Host check: ' "$EB_OUT")" -eq 1 ]
	check_line=$(grep -n '"Host check: ' "$EB_OUT" | cut -d: -f1)
	dockerd_line=$(grep -n 'Waiting for dockerd' "$EB_OUT" | cut -d: -f1)
	[ "$check_line" -lt "$dockerd_line" ] || fail "the check came after dockerd"
}

@test "step 2-3: warnings for the refused OOM protection and the runc fallback" {
	grep -q 'oom_score_adj' "$EB_OUT"
	grep -q 'sysbox is not installed' "$EB_OUT"
	[ "$(inspect '{{.HostConfig.Runtime}}')" = runc ]
}

@test "step 3: no nesting on this cgroup v1 host: said once, as the host check decided, the workspace as without it" {
	run jq -r '.output' "$EB_OUT"
	assert_line --regexp '^Docker in the workspace: no: this host is cgroup v1( \(hybrid\))?: the workspace cannot run dockerd or systemd, which needs cgroup v2 or sysbox$'
	[ "$(grep -c '"Docker in the workspace: ' "$EB_OUT")" -eq 1 ]
	refute_output --partial 'Docker in the workspace: yes'
	run inspect '{{.HostConfig.Privileged}} {{.HostConfig.CapAdd}} {{json .HostConfig.SecurityOpt}}'
	assert_output 'false [] null'
}

@test "step 4: dockerd runs userns-remapped, with the bridge's first address and eth0's MTU" {
	run docker info -f '{{json .SecurityOptions}}'
	assert_output --partial userns
	run ip -4 -o addr show docker0
	assert_output --partial "10.213.7.1/29"
	mtu=1500
	[ -r /sys/class/net/eth0/mtu ] && mtu=$(cat /sys/class/net/eth0/mtu)
	run docker network inspect bridge -f '{{index .Options "com.docker.network.driver.mtu"}}'
	assert_output "$mtu"
	grep -q "its log: $EB_DIR/log/dockerd.log" "$EB_OUT"
	[ -s "$EB_DIR/log/dockerd.log" ]
	grep -q 'coder:100000:65536' /etc/subuid
}

@test "step 7: the image was pulled from the registry, with progress in the log" {
	run docker image inspect "$REGISTRY/$IMAGE_NOINIT" -f '{{.Id}}'
	assert_success
	grep -qi 'pull' "$EB_OUT"
}

@test "step 8: the probed user and home are logged, the answer kept in the data root" {
	grep -q "Detected entrypoint user '1000:1000' with home directory" "$EB_OUT"
	grep -q '/home/coder' "$EB_OUT"
	run ls "$EB_DIR/data/envbox"
	assert_output --regexp '^probe-sha256-[0-9a-f]{64}$'
}

@test "step 12: user namespace in effect: the inner root is host uid 100000" {
	pid=$(cpid)
	run awk '/^Uid:/ { print $2 }' "/proc/$pid/status"
	assert_output 100000
	run inner cat /proc/self/uid_map
	assert_output --regexp '^ +0 +100000 +65536$'
	run inner id -u
	assert_output 0
}

@test "step 12: never privileged, no added capabilities, user root" {
	[ "$(inspect '{{.HostConfig.Privileged}}')" = false ]
	[ "$(inspect '{{json .HostConfig.CapAdd}}')" = null ]
	[ "$(inspect '{{.Config.User}}')" = root ]
	run inspect '{{json .HostConfig.ExtraHosts}}'
	assert_output '["host.docker.internal:host-gateway"]'
}

@test "step 9: mounts, their ownership (idmapped with runc) and ro-ness" {
	# With runc the sources (ext4 here) go in through idmapped mounts, so
	# they are owned as the inner container sees them, unshifted. The
	# user's home, made by root: the user's, mode 2755.
	run stat -c '%u:%g %a' "$SRC/home"
	assert_output "1000:1000 2755"
	grep -q "Mount $SRC/home: idmapped at $EB_DIR/idmap/[0-9]*, owner set to 1000:1000 (was 0:0)" "$EB_OUT"
	# Anything else: the inner root's, which root-owned already is.
	run stat -c '%u:%g %a' "$SRC/data"
	assert_output "0:0 755"
	# A source whose own path is /home/NAME counts as a home.
	run stat -c '%u:%g' "$(ls -d /home/envbox-t*)"
	assert_output "1000:1000"
	# Inside: the user owns its home and can write it; :ro stays read-only.
	run inner stat -c '%u:%g' /home/coder
	assert_output "1000:1000"
	run docker exec -u 1000:1000 workspace_cvm touch /home/coder/file
	assert_success
	run inner cat /secret/value
	assert_output hush
	run inner touch /secret/new
	assert_failure
	assert_output --partial "Read-only file system"
	# The default mounts are there, their sources private to envbox.
	run inspect '{{range .Mounts}}{{.Destination}} {{.RW}}{{"\n"}}{{end}}'
	assert_line "/var/lib/docker true"
	assert_line "/var/lib/containers true"
	assert_line "/secret false"
}

@test "step 10: TUN and FUSE devices, owned by the inner root" {
	run inner stat -c '%F %t:%T' /dev/net/tun
	assert_output "character special file a:c8"
	run inner stat -c '%F %t:%T' /dev/fuse
	assert_output "character special file a:e5"
	run stat -c '%u:%g %t:%T' /tmp/coder-tun /tmp/coder-fuse
	assert_line --index 0 "100000:100000 a:c8"
	assert_line --index 1 "100000:100000 a:e5"
}

@test "step 11: environment: token, subsystem merged, CODER_INNER_ENVS filtered" {
	run inner env
	assert_line "CODER_AGENT_TOKEN=$TOKEN"
	assert_line "CODER_AGENT_SUBSYSTEM=alpha,envbox,zeta"
	assert_line "KUBE_ONE=1"
	assert_line "KUBE_TWO=2"
	assert_line "MY_ENV=mine"
	refute_line --partial "MY_ENV_NOT"
	refute_line --partial "OTHER=nope"
}

@test "step 12: hostname, work dir, CPU quota and memory limit" {
	run inner hostname
	assert_output devbox
	[ "$(inspect '{{.Config.WorkingDir}}')" = /home/coder ]
	[ "$(inspect '{{.HostConfig.CpuPeriod}} {{.HostConfig.CpuQuota}}')" = "100000 100000" ]
	[ "$(inspect '{{.HostConfig.Memory}}')" = 268435456 ]
	run inner cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	assert_output 268435456
}

@test "step 12: without /sbin/init the entrypoint is sleep infinity" {
	[ "$(inspect '{{json .Path}} {{json .Args}}')" = '"sleep" ["infinity"]' ]
}

@test "step 13: \$HOME/.coder made as the user" {
	run inner stat -c '%u:%g' /home/coder/.coder
	assert_output "1000:1000"
}

@test "step 15: the bootstrap ran as the user with BINARY_DIR, its output in the log" {
	grep -q 'hello from 1000:1000 in /home/coder/.coder' "$EB_OUT"
	run inner stat -c '%u' /home/coder/.coder/bootstrap-ran
	assert_output 1000
}

@test "no secret appears in envbox's output or dockerd's log" {
	run grep -rl -- "$TOKEN" "$EB_OUT" "$EB_DIR/stdout" "$EB_DIR/log"
	assert_failure
}

@test "step 16: SIGTERM stops the workspace and dockerd and exits 0 within limits" {
	EB_PID=$(cat "$BATS_FILE_TMPDIR/eb_pid")
	dpid=$(cat "$EB_DIR/docker.pid")
	status=0
	envbox_stop || status=$?
	echo "stopped in $EB_STOP_MS ms with status $status; the log ends:"
	tail -n 5 "$EB_OUT"
	[ "$status" -eq 0 ]
	((EB_STOP_MS < 90000))
	run ! kill -0 "$dpid"
	grep -q 'shutting down' "$EB_OUT"
	: >"$BATS_FILE_TMPDIR/eb_pid"
	# A new pod gets a new network namespace: no docker0 from this one.
	ip link del docker0 2>/dev/null || true
}

@test "a second run: an image with /sbin/init gets it as entrypoint; the leftover container is replaced" {
	# The first run's daemon is stopped by now; its data stays, as on a pod's
	# volume, and the old workspace_cvm container with it.
	envbox_start CODER_INNER_IMAGE="$REGISTRY/$IMAGE_INIT" CODER_INNER_USERNAME=coder \
		CODER_AGENT_TOKEN="$TOKEN"
	echo "$EB_PID" >"$BATS_FILE_TMPDIR/eb_pid"
	[ "$(inspect '{{json .Path}}')" = '"/sbin/init"' ]
	[ "$(inspect '{{.Config.Hostname}}')" = workspace_cvm ]
	# The first run's image, used by no container now, is pruned (in the
	# background: it may still be under way when startup is complete).
	grep -q 'Pruning images to free up disk' "$EB_OUT"
	for ((i = 0; i < 50; i++)); do
		docker image inspect "$REGISTRY/$IMAGE_NOINIT" >/dev/null 2>&1 || break
		sleep 0.1
	done
	run docker image inspect "$REGISTRY/$IMAGE_NOINIT"
	assert_failure
	run docker image inspect "$REGISTRY/$IMAGE_INIT"
	assert_success
	[ "$(inspect '{{.HostConfig.CpuQuota}} {{.HostConfig.Memory}}')" = "0 0" ]
	run ip -4 -o addr show docker0
	assert_output --partial "172.19.0.1/30"
	envbox_stop
	# A third, as a restarted pod: the probe answers from the cache.
	envbox_start CODER_INNER_IMAGE="$REGISTRY/$IMAGE_INIT" CODER_INNER_USERNAME=coder \
		CODER_DEBUG=true
	echo "$EB_PID" >"$BATS_FILE_TMPDIR/eb_pid"
	grep -q "probe: $REGISTRY/$IMAGE_INIT from the cache" "$EB_OUT"
	[ "$(inspect '{{json .Path}}')" = '"/sbin/init"' ]
	envbox_stop
	: >"$BATS_FILE_TMPDIR/eb_pid"
}
