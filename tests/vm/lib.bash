# lib.bash: helpers for the suites that run inside the test machine
# (tests/vm/vm.sh, `make test-vm`), where the guest's own dockerd runs the
# envbox image as Kubernetes runs it on a node. Load with `load lib`.
#
# The machine gives every suite (docs/testing.md): ENVBOX_IMAGE (the envbox
# image in the guest's docker), ENVBOX_VM_WS_IMAGE (a workspace image envbox
# can pull), ENVBOX_VM_REGISTRY (host:port of the guest's registry, plain
# HTTP), ENVBOX_VM_REGISTRY_IP, ENVBOX_VM_DOCKER_ARGS (the docker run options
# that let an outer container reach that registry), ENVBOX_VM_WS_ROOTFS and
# ENVBOX_VM_IMAGE_SH (to push images of one's own), ENVBOX_VM_CGROUP,
# ENVBOX_VM_RESULTS (a directory whose files come back with the results).
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

: "${ENVBOX_VM_WS_IMAGE:?these suites run in the test machine: make test-vm}"
: "${ENVBOX_VM_RESULTS:=$BATS_RUN_TMPDIR}"
# Volumes live on the guest's ext4 root: /tmp is a tmpfs, which 6.1
# cannot mount idmapped.
WORK=/var/lib/envbox-vm-test
# Startup under TCG (no KVM) takes about a minute; a hung one fails here.
# shellcheck disable=SC2034 # read by wait_ready (tests/lib/outer.bash)
READY_S=${ENVBOX_VM_READY_S:-300}

# outer_run NAME [docker run options...]: the README's one-liner, detached
# (the suite reads the logs and the exit code after it stops), its volumes
# under $WORK/NAME instead of /tmp/envbox. Later options override earlier
# ones (a second -e CODER_INNER_IMAGE wins).
outer_run() {
	local name=$1 dir=$WORK/$1 vm_args
	shift
	read -ra vm_args <<<"$ENVBOX_VM_DOCKER_ARGS"
	# Not one directory at both /var/lib/docker and /var/lib/coder/docker
	# (as the original's README has it): that hands the outer dockerd's
	# state to the workspace, and envbox refuses it (docs/security.md).
	mkdir -p "$dir/docker" "$dir/outer-docker" "$dir/containers" "$dir/sysbox"
	set -- \
		-v "$dir/docker:/var/lib/coder/docker" \
		-v "$dir/containers:/var/lib/coder/containers" \
		-v "$dir/sysbox:/var/lib/sysbox" \
		-v "$dir/outer-docker:/var/lib/docker" \
		"${vm_args[@]}" \
		-e CODER_INNER_IMAGE="$ENVBOX_VM_WS_IMAGE" \
		-e CODER_INNER_USERNAME=coder \
		"$@"
	[ ! -d /usr/src ] || set -- "$@" -v /usr/src:/usr/src:ro
	[ ! -d /lib/modules ] || set -- "$@" -v /lib/modules:/lib/modules:ro
	docker run -d --name "$name" --privileged "$@" "$ENVBOX_IMAGE" /envbox docker >/dev/null
}

# wait_ready NAME: tests/lib/outer.bash (copied into the payload).
# shellcheck source=tests/lib/outer.bash
. /vm/lib/outer.bash

# wait_exit NAME SECONDS: until the container has stopped; prints its exit
# code; fails when it still runs after SECONDS.
wait_exit() {
	local i
	for ((i = 0; i < $2 * 2; i++)); do
		if [ "$(docker inspect -f '{{.State.Running}}' "$1")" != true ]; then
			docker inspect -f '{{.State.ExitCode}}' "$1"
			return 0
		fi
		sleep 0.5
	done
	echo "$1 still runs after $2 s"
	return 1
}

# ws OUTER [docker exec options] CONTAINER CMD...: CMD in the workspace,
# through the outer container's docker.
ws() {
	local outer=$1
	shift
	docker exec "$outer" docker exec "$@"
}

# outer_rm NAME...: the containers and their volumes, gone; their logs
# (envbox's, and the outer dockerd's) kept with the results.
outer_rm() {
	local name
	for name; do
		if docker inspect "$name" >/dev/null 2>&1; then
			docker logs "$name" >"$ENVBOX_VM_RESULTS/$name.log" 2>&1
			docker cp "$name:/var/log/envbox/dockerd.log" \
				"$ENVBOX_VM_RESULTS/$name.dockerd.log" >/dev/null 2>&1 || :
		fi
		docker rm -f "$name" >/dev/null 2>&1 || :
		rm -rf "${WORK:?}/$name"
	done
}

# stop_in_grace NAME: docker stop with Kubernetes' 30 s grace period; the
# outer container must exit 0 before the grace period ends.
stop_in_grace() {
	local start took
	start=$SECONDS
	docker stop -t 30 "$1" >/dev/null
	took=$((SECONDS - start))
	echo "# docker stop took ${took}s" >&3
	run docker inspect -f '{{.State.ExitCode}}' "$1"
	assert_output 0
	((took < 30)) || fail "docker stop took ${took}s, the grace period is 30 s"
}
