#!/bin/sh
# envbox: the entrypoint. `envbox docker` brings up the workspace by chaining
# the applets (envbox-check, envbox-wait, envbox-auth, envbox-mounts,
# envbox-gpu-scan, envbox-xid, envbox-docker);
# `envbox APPLET ARGS` runs one applet. Every step is a function below, named
# after what it does, called in order from docker_main.
set -eu

usage() {
	cat <<'USAGE'
Usage: envbox docker          bring up the workspace container (reads CODER_* variables)
       envbox APPLET [ARGS]   run one applet: gpu-scan, mounts, auth, check, wait, xid
                              (the Docker API client is envbox-docker)
       envbox --help

envbox docker validates its input, starts dockerd (userns-remapped), pulls
CODER_INNER_IMAGE, creates and starts the workspace container, runs
CODER_BOOTSTRAP_SCRIPT in it, then supervises until SIGTERM or SIGINT.
Its build log goes to stderr as JSON lines (ENVBOX_LOG_FORMAT=text for
plain lines). Variables: see README.md and docs/envbox.md.

Exit codes: 0 done, 1 failed, 2 usage error (a bad variable).
USAGE
}

# ---- logging ---------------------------------------------------------------

log() {
	envbox-docker log info "$*"
}

log_error() {
	envbox-docker log error "$*"
}

debug() {
	envbox-docker log debug "$*"
}

# The build log's "done" entry, once, when startup has ended either way.
startup_done() {
	if [ "$startup_ended" = false ]; then
		startup_ended=true
		envbox-docker log 'done'
	fi
}

# Every way out of `envbox docker` passes here: end the build log and stop
# what was started, so a failed start leaves nothing running.
on_exit() {
	status=$?
	trap - EXIT
	set +e
	# A usage error (2) has said all there is to say in one line.
	if [ "$status" -ne 0 ] && [ "$status" -ne 2 ] && [ "$startup_ended" = false ]; then
		log_error "Failed to run envbox (exit status $status)"
	fi
	startup_done
	stop_everything
	logs_to_coder_done
	exit "$status"
}

# With CODER_AGENT_URL and CODER_AGENT_TOKEN, the build log goes to Coder
# too: stderr passes through envbox-docker logs-to-coder, which writes every
# line on and sends it without ever holding startup up. It is kept across
# the disk-full start-over (same process, ENVBOX_LOGS_PID).
send_logs_to_coder() {
	if [ -z "${CODER_AGENT_URL:-}" ] || [ -z "${CODER_AGENT_TOKEN:-}" ] || [ -n "$logs_pid" ]; then
		return 0
	fi
	fifo_dir=$(mktemp -d)
	mkfifo "$fifo_dir/log"
	envbox-docker logs-to-coder <"$fifo_dir/log" &
	logs_pid=$!
	exec 2>"$fifo_dir/log"
	rm -rf "$fifo_dir"
	ENVBOX_LOGS_PID=$logs_pid
	export ENVBOX_LOGS_PID
}

# Lets the last lines reach Coder: it sends what it has within 5 s of EOF.
logs_to_coder_done() {
	if [ -n "$logs_pid" ]; then
		exec 2>/dev/null
		wait_for_pid "$logs_pid" 10 || :
	fi
}

# ---- settings ----------------------------------------------------------------

# envbox-docker config validates every CODER_* variable (exit 2 naming the
# bad one) and prints the derived settings as NAME=VALUE lines.
read_settings() {
	settings=$(envbox-docker config)
	while IFS= read -r line; do
		value=${line#*=}
		case $line in
		container=*) container=$value ;;
		image=*) image=$value ;;
		username=*) username=$value ;;
		hostname=*) hostname=$value ;;
		add_tun=*) add_tun=$value ;;
		add_fuse=*) add_fuse=$value ;;
		disable_idmapped_mount=*) disable_idmapped_mount=$value ;;
		cpus=*) cpus=$value ;;
		memory=*) memory=$value ;;
		add_gpu=*) add_gpu=$value ;;
		esac
	done <<-SETTINGS
	$settings
	SETTINGS
}

# ---- the steps ---------------------------------------------------------------

protect_from_oom() {
	if ! (echo -1000 >"/proc/$$/oom_score_adj") 2>/dev/null; then
		log "warning: unable to set oom_score_adj to -1000 (needs CAP_SYS_RESOURCE); envbox may be OOM-killed before the workspace"
	fi
}

# The host can run the workspace, or says why not (envbox-check): the
# verdict is one build-log line; "cannot start" (no user namespaces, no
# CAP_SYS_ADMIN, dockerd's data root on the container's own overlay,
# ENVBOX_NESTING=on on cgroup v1...) stops startup here, naming the fix,
# instead of a failure minutes later. Its docker_in_workspace line says
# whether a runc workspace gets nesting (choose_nesting).
check_host() {
	status=0
	report=$(envbox-check) || status=$?
	verdict=
	in_workspace=
	while IFS= read -r line; do
		case $line in
		"verdict "*) verdict=${line#verdict } ;;
		"docker_in_workspace "*) in_workspace=${line#*: } ;;
		esac
	done <<-REPORT
	$report
	REPORT
	case $status in
	0) log "Host check: $verdict" ;;
	1)
		log_error "Host check: $verdict"
		exit 1
		;;
	*)
		log_error "envbox-check failed (exit status $status)"
		exit 1
		;;
	esac
}

choose_runtime() {
	if [ -n "${ENVBOX_INNER_RUNTIME:-}" ]; then
		runtime=$ENVBOX_INNER_RUNTIME
		debug "runtime $runtime (ENVBOX_INNER_RUNTIME)"
	elif command -v sysbox-runc >/dev/null 2>&1 && command -v sysbox-mgr >/dev/null 2>&1; then
		runtime=sysbox-runc
		start_sysbox
	else
		runtime=runc
		log "sysbox is not installed: the workspace runs with runc under dockerd's user namespace remapping"
	fi
	choose_nesting
}

# Docker and systemd inside a runc workspace (docs/nesting.md): envbox-check
# decides (cgroup v2, ENVBOX_NESTING, the kernel) and its line is logged
# as it is; sysbox does it its own way.
choose_nesting() {
	nest=no
	if [ "$runtime" != runc ]; then
		return 0
	fi
	# "yes: nesting" is runc's yes; sysbox's is "yes: sysbox", which a
	# runc workspace must not take for its own.
	case $in_workspace in
	"yes: nesting "*) nest=yes ;;
	esac
	log "Docker in the workspace: $in_workspace"
}

start_sysbox() {
	log "Waiting for sysbox processes to startup..."
	set --
	if [ "$disable_idmapped_mount" = true ] || ! sources_support_idmap; then
		set -- --disable-idmapped-mount
	fi
	sysbox-mgr "$@" >>"$logdir/sysbox-mgr.log" 2>&1 &
	sysbox_mgr_pid=$!
	sysbox-fs >>"$logdir/sysbox-fs.log" 2>&1 &
	sysbox_fs_pid=$!
	envbox-wait file /run/sysbox/sysmgr.sock --timeout 60
}

# dockerd --userns-remap=coder maps the container onto coder's subordinate
# IDs: the user and exactly 100000:65536 (the inner root envbox assumes).
# True when every filesystem sysbox would idmap can be: the containers'
# root filesystems under /var/lib/docker and each CODER_MOUNTS source.
# Logs the first that cannot.
sources_support_idmap() {
	# Parsed first, on its own: a failure stops startup (no pipefail in sh).
	parsed=$(envbox-mounts parse)
	paths=/var/lib/docker
	while read -r _ src _; do
		[ -z "$src" ] || paths="$paths
$src"
	done <<-PARSED
	$parsed
	PARSED
	while IFS= read -r path; do
		if ! probe=$(envbox-xid probe "$path"); then
			log "Idmapped mounts disabled for sysbox: $path: the probe failed"
			return 1
		fi
		verdict=$(printf '%s\n' "$probe" | sed -n 's/^idmap //p')
		case $verdict in
		yes*) ;;
		*)
			log "Idmapped mounts disabled for sysbox: $path: ${verdict#no }"
			return 1
			;;
		esac
	done <<-PATHS
	$paths
	PATHS
}

ensure_remap_user() {
	remap=$(envbox-xid subid --user coder --start 100000 --count 65536)
	debug "remap user: $(printf '%s' "$remap" | tr '\n' ',')"
}

# A pid file left by a dockerd that did not exit cleanly (the pod's
# container restarted) names a pid that may now be another process, and
# dockerd refuses to start while that pid exists.
clear_stale_pidfile() {
	pidfile=/var/run/docker.pid
	# shellcheck disable=SC2086 # the operator's arguments, split as dockerd gets them
	for arg in ${ENVBOX_DOCKERD_ARGS:-}; do
		case $arg in --pidfile=*) pidfile=${arg#--pidfile=} ;; esac
	done
	[ -f "$pidfile" ] || return 0
	pid=$(cat "$pidfile" 2>/dev/null) || pid=""
	if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
		log_error "a dockerd (pid $pid, $pidfile) is already running; stop it first"
		exit 1
	fi
	log "Removing the stale dockerd pid file $pidfile"
	rm -f "$pidfile"
}

start_dockerd() {
	ensure_remap_user
	clear_stale_pidfile
	dockerd_log=$logdir/dockerd.log
	if [ -n "${ENVBOX_NO_SPACE:-}" ]; then
		args=$(envbox-docker dockerd-args --no-space)
	else
		args=$(envbox-docker dockerd-args)
	fi
	set --
	while IFS= read -r arg; do
		set -- "$@" "$arg"
	done <<-ARGS
	$args
	ARGS
	# ENVBOX_DOCKERD_ARGS: extra arguments for operators and tests, split on
	# whitespace (no quoting).
	# shellcheck disable=SC2086
	set -- "$@" ${ENVBOX_DOCKERD_ARGS:-}
	# The data root (the last --data-root, as dockerd takes it): the
	# probe's cache lives there, with the images it describes.
	data_root=/var/lib/docker
	exec_root=/var/run/docker
	prev=""
	for arg; do
		case $prev in
		--data-root) data_root=$arg ;;
		--exec-root) exec_root=$arg ;;
		esac
		case $arg in
		--data-root=*) data_root=${arg#--data-root=} ;;
		--exec-root=*) exec_root=${arg#--exec-root=} ;;
		esac
		prev=$arg
	done
	log "Waiting for dockerd to startup... (its log: $dockerd_log)"
	debug "dockerd $*"
	# dockerd needs none of the secrets envbox was given.
	env -u CODER_IMAGE_PULL_SECRET -u CODER_AGENT_TOKEN -u ENVBOX_REGISTRY_AUTH \
		"$@" >>"$dockerd_log" 2>&1 &
	dockerd_pid=$!
	if ! step envbox-wait docker --timeout 300 --pid "$dockerd_pid"; then
		if grep -q 'no space left on device' "$dockerd_log"; then
			start_over_on_spare_root
		fi
		log_error "dockerd did not start; the last lines of $dockerd_log:"
		tail -n 20 "$dockerd_log" | envbox-docker log error
		exit 1
	fi
}

# failed STATUS: a step failed. For want of disk space (envbox-docker's
# exit 3) envbox starts over once on the spare data root; otherwise it
# exits with STATUS.
failed() {
	if [ "$1" -eq 3 ]; then
		start_over_on_spare_root
	fi
	exit "$1"
}

# The user's volume is full: run dockerd on the pod's ephemeral disk, with
# fuse-overlayfs where /dev/fuse and the tool are there, else vfs (overlay2
# cannot stack on the overlay root; dockerd-args logs which and why), so
# the user can get in and clean up. envbox starts over as a new process,
# once.
start_over_on_spare_root() {
	if [ -n "${ENVBOX_NO_SPACE:-}" ]; then
		return 0
	fi
	log "Insufficient space to start the workspace: restarting dockerd on the spare data root ${ENVBOX_NO_SPACE_DATA_ROOT:-/var/lib/docker.bak}. Performance will be degraded; free space on the volume and restart the workspace to get it back."
	stop_everything
	trap - EXIT
	ENVBOX_NO_SPACE=1 exec "$0" docker
}

install_certs() {
	if [ -n "${CODER_EXTRA_CERTS_PATH:-}" ]; then
		log "Installing CA certificates from $CODER_EXTRA_CERTS_PATH for the registry of $image"
		installed=$(envbox-auth certs --image "$image" --from "$CODER_EXTRA_CERTS_PATH")
		printf '%s\n' "$installed" | sed '/^$/d' | envbox-docker log info
	fi
}

pull_image() {
	step pull_with_credentials || failed $?
}

# The credentials reach the pull through its environment (readable by root
# only), never argv or a file; this runs in step's subshell, so they never
# enter envbox's own environment (nor a dockerd started after it).
pull_with_credentials() {
	ENVBOX_REGISTRY_AUTH=$(envbox-auth --image "$image")
	export ENVBOX_REGISTRY_AUTH
	exec envbox-docker pull "$image" --retries "${ENVBOX_PULL_RETRIES:-10}"
}

probe_image() {
	log "Getting image metadata..."
	meta=$(envbox-docker probe "$image" "$username" --cache "$data_root/envbox")
	while read -r key value; do
		case $key in
		uid) uid=$value ;;
		gid) gid=$value ;;
		home) home=$value ;;
		init) has_init=$value ;;
		systemd) is_systemd=$value ;;
		libdir) libdir=$value ;;
		esac
	done <<-META
	$meta
	META
	log "Detected entrypoint user '$uid:$gid' with home directory \"$home\""
}

# Step 9. With runc nothing idmaps the binds for us: a source whose
# filesystem can be mounted idmapped goes in through an idmapped mount under
# $idmap_dir and keeps its on-disk owners; others are chowned to the shifted
# IDs. envbox-mounts logs the choice per mount. (sysbox idmaps by itself.)
prepare_mounts() {
	set -- --uid "$uid" --gid "$gid" --home "$home" --offset 100000
	if [ "$runtime" = runc ] && [ "$disable_idmapped_mount" != true ]; then
		release_idmapped_mounts
		set -- "$@" --idmap-dir "$idmap_dir"
	fi
	# A dockerd in the workspace keeps its state in /var/lib/docker: the
	# inner root's then, not left as sysbox would handle it.
	[ "$nest" != yes ] || set -- "$@" --nesting
	# What envbox itself needs is never a mount source.
	set -- "$@" --protect "$data_root" --protect "$exec_root" --protect "$logdir" \
		--protect "$idmap_dir" --protect "${ENVBOX_NO_SPACE_DATA_ROOT:-/var/lib/docker.bak}"
	case ${DOCKER_HOST:-} in
	unix://*) set -- "$@" --protect "${DOCKER_HOST#unix://}" ;;
	esac
	# Two steps, not a pipeline: sh has no pipefail, and a parse that
	# failed must stop startup, not start a workspace without its mounts.
	parsed=$(envbox-mounts parse "/var/lib/coder/docker:/var/lib/docker,/var/lib/coder/containers:/var/lib/containers${CODER_MOUNTS:+,$CODER_MOUNTS}")
	binds=$(printf '%s\n' "$parsed" | envbox-mounts prepare "$@")
}

# The idmapped mounts of prepare_mounts (left by an earlier run too).
release_idmapped_mounts() {
	for m in "$idmap_dir"/*; do
		[ -e "$m" ] || continue
		umount -l "$m" 2>/dev/null || :
		rmdir "$m" 2>/dev/null || rm -f "$m" 2>/dev/null || :
	done
}

create_devices() {
	devices=""
	if [ "$add_tun" = true ]; then
		log "Creating TUN device"
		make_device /tmp/coder-tun 10 200 /dev/net/tun
	fi
	if [ "$add_fuse" = true ]; then
		log "Creating FUSE device"
		make_device /tmp/coder-fuse 10 229 /dev/fuse
	fi
}

# make_device OUTER MAJOR MINOR INNER: a character node owned by the inner
# root (host uid 100000), passed in at INNER.
make_device() {
	rm -f "$1"
	mknod -m 0666 "$1" c "$2" "$3"
	envbox-xid shift --offset 100000 "$1"
	devices="$devices
device $1 $4"
}

# ---- GPUs (CODER_ADD_GPU) -------------------------------------------------

# The toolkit's GPU mounts under /proc can make creating containers fail
# (the original found so); they go before the probe creates one. What will
# not go is a warning (envbox-gpu-scan's own, as log entries).
unmount_proc_gpus() {
	[ "$add_gpu" = true ] || return 0
	unmounted=$(envbox-gpu-scan unmount-proc) ||
		log "warning: unable to read the mount table for GPU mounts under /proc; going on"
	if [ -n "$unmounted" ]; then
		printf '%s\n' "$unmounted" | sed 's/^/Unmounted /' | envbox-docker log debug
	fi
}

# Device nodes, driver files and NVIDIA_* variables as spec lines for
# create; the libraries go where the image's loader looks (the probe's
# libdir, from its os-release) unless CODER_INNER_USR_LIB_DIR says.
# ENVBOX_GPU_DEV_ROOT (tests) looks for the nodes elsewhere than /dev.
scan_gpus() {
	gpus=""
	[ "$add_gpu" = true ] || return 0
	inner_lib_dir=${CODER_INNER_USR_LIB_DIR:-$libdir}
	log "Scanning for GPUs: host libraries in $CODER_USR_LIB_DIR, for $inner_lib_dir in the workspace"
	set -- --usr-lib-dir "$CODER_USR_LIB_DIR" --inner-usr-lib-dir "$inner_lib_dir"
	if [ -n "${ENVBOX_GPU_DEV_ROOT:-}" ]; then
		set -- "$@" --dev-root "$ENVBOX_GPU_DEV_ROOT"
	fi
	gpus=$(envbox-gpu-scan "$@")
	log "Found $(printf '%s\n' "$gpus" | grep -c '^device ') GPU devices and $(printf '%s\n' "$gpus" | grep -c '^bind ') driver files"
}

# The bound libraries into the image's loader cache, so programs find them
# without LD_LIBRARY_PATH. ldconfig complains about the links, which are
# bound files inside; its output (64 KiB at most: the image's ldconfig is
# not ours) goes to the debug log.
run_ldconfig() {
	[ "$add_gpu" = true ] || return 0
	status=0
	# shellcheck disable=SC2016 # expanded inside the workspace
	out=$(envbox-docker exec "$container" --max-output 65536 -- /bin/sh -c \
		'for l in /sbin/ldconfig /usr/sbin/ldconfig; do [ -x "$l" ] && exec "$l"; done; exit 127' 2>&1) ||
		status=$?
	if [ -n "$out" ]; then
		printf '%s\n' "$out" | envbox-docker log debug
	fi
	case $status in
	0) log "Ran ldconfig in the workspace for the GPU libraries" ;;
	127) log "The workspace image has no ldconfig: its programs find the GPU libraries only through LD_LIBRARY_PATH" ;;
	*) log "warning: ldconfig in the workspace failed (exit status $status); going on" ;;
	esac
}

# Created and started by one process (create --start logs "Starting up
# workspace..."); then the images no container uses are pruned in the
# background, beside the steps that follow and the bootstrap's start
# (prune_done reaps it).
create_container() {
	log "Creating workspace..."
	set -- --runtime "$runtime" --hostname "$hostname" --pass-env "${CODER_INNER_ENVS:-}" --agent-env
	[ -z "${CODER_INNER_WORK_DIR:-}" ] || set -- "$@" --workdir "$CODER_INNER_WORK_DIR"
	[ "$has_init" != yes ] || set -- "$@" --init
	if [ "$nest" = yes ]; then
		# The workspace's root as envbox sees it: dockerd --userns-remap=coder
		# maps it to 100000 (ensure_remap_user).
		set -- "$@" --nesting 100000:100000
		[ "$is_systemd" != yes ] || set -- "$@" --systemd
	fi
	[ -z "$cpus" ] || set -- "$@" --cpus "$cpus"
	[ -z "$memory" ] || set -- "$@" --memory "$memory"
	container_id=$(printf '%s\n%s\n%s\n' "$binds" "$devices" "$gpus" | sed '/^$/d' | envbox-docker create "$container" "$image" --start "$@") ||
		failed $?
	log "Pruning images to free up disk..."
	{ envbox-docker prune >/dev/null || log "warning: pruning images failed; going on"; } &
	prune_pid=$!
}

prune_done() {
	if [ -n "$prune_pid" ]; then
		wait "$prune_pid" 2>/dev/null || :
		prune_pid=""
	fi
}

# The directory the bootstrap downloads the agent to (BINARY_DIR), made as
# the user. With a bootstrap script the bootstrap's own exec makes it (one
# exec fewer on the way to "startup complete"); without one, an exec here.
after_start() {
	if [ "$runtime" = sysbox-runc ]; then
		copy_cpu_quota
	fi
	run_ldconfig
	log "Creating \"$home/.coder\" directory to host Coder assets..."
	if [ -z "${CODER_BOOTSTRAP_SCRIPT:-}" ]; then
		envbox-docker exec "$container" --user "$uid:$gid" -- mkdir -p "$home/.coder"
	fi
}

# With sysbox the workspace sees a cgroup of its own whose CPU quota is not
# the pod's; cgroup-aware programs (JVMs, nproc-style tools) read it, so the
# outer quota is copied in. Not fatal when it cannot be.
copy_cpu_quota() {
	if [ -f /sys/fs/cgroup/cpu.max ]; then
		from=/sys/fs/cgroup/cpu.max
		to=/sys/fs/cgroup/docker/$container_id/init.scope/cpu.max
		quota=$(cat "$from" 2>/dev/null) || quota=""
	else
		base=/sys/fs/cgroup/cpu,cpuacct
		to=$base/docker/$container_id/syscont-cgroup-root
		quota=$(cat "$base/cpu.cfs_quota_us" 2>/dev/null) || quota=""
		period=$(cat "$base/cpu.cfs_period_us" 2>/dev/null) || period=""
	fi
	if [ -z "$quota" ]; then
		log "Unable to read the outer CPU quota; the workspace keeps its own"
	elif [ -f /sys/fs/cgroup/cpu.max ]; then
		echo "$quota" >"$to" 2>/dev/null ||
			log "Unable to set the workspace's CPU quota ($to); not fatal, but cgroup-aware programs may misjudge their CPUs"
	else
		{ echo "$period" >"$to/cpu.cfs_period_us" && echo "$quota" >"$to/cpu.cfs_quota_us"; } 2>/dev/null ||
			log "Unable to set the workspace's CPU quota ($to); not fatal, but cgroup-aware programs may misjudge their CPUs"
	fi
}

bootstrap() {
	if [ -z "${CODER_BOOTSTRAP_SCRIPT:-}" ]; then
		return 0
	fi
	log "Bootstrapping workspace..."
	# shellcheck disable=SC2016 # expanded by the workspace's shell
	printf 'mkdir -p "$BINARY_DIR"\n%s\n' "$CODER_BOOTSTRAP_SCRIPT" |
		envbox-docker exec "$container" --user "$uid:$gid" --env "BINARY_DIR=$home/.coder" \
			--stdin --log -- /bin/sh -s &
	bootstrap_pid=$!
}

# ---- supervision ---------------------------------------------------------

# During startup a signal aborts it (on_exit stops what was started); after
# it, the supervision loop sees "stopping" and shuts down in order.
on_signal() {
	if [ "$startup_ended" = false ]; then
		log_error "Got a signal during startup: stopping"
		if [ -n "$step_pid" ]; then
			kill -TERM "$step_pid" 2>/dev/null || :
		fi
		exit 143
	fi
	log "Got a signal: shutting down the workspace"
	stopping=true
	# The supervision loop may be about to block in `wait` on the waiter
	# (a signal between its check and the wait is handled first, and the
	# wait would then last as long as the workspace): end the waiter, so
	# that wait returns whenever the signal came.
	if [ -n "$waiter_pid" ]; then
		kill -TERM "$waiter_pid" 2>/dev/null || :
	fi
}

# step CMD...: runs a long step in the background and waits for it, so a
# signal is handled at once instead of after the step. The step's stdin is
# /dev/null unless the caller redirects it.
step() {
	"$@" &
	step_pid=$!
	status=0
	wait "$step_pid" || status=$?
	step_pid=""
	return "$status"
}

# SIGTERM the bootstrap (envbox-docker exec passes it on to the process in
# the container and waits for it, up to 90 s), then the container, then
# dockerd and sysbox.
stop_everything() {
	prune_done
	if [ -n "$bootstrap_pid" ]; then
		kill -TERM "$bootstrap_pid" 2>/dev/null || :
		wait_for_pid "$bootstrap_pid" 90 || :
		bootstrap_pid=""
	fi
	if [ -n "$waiter_pid" ]; then
		kill -TERM "$waiter_pid" 2>/dev/null || :
		waiter_pid=""
	fi
	if [ -n "$dockerd_pid" ]; then
		if [ -n "$container" ] && kill -0 "$dockerd_pid" 2>/dev/null; then
			# sleep as PID 1 ignores SIGTERM: only an init gets time to
			# shut down.
			grace=0
			[ "$has_init" != yes ] || grace=10
			envbox-docker stop "$container" --timeout "$grace" >/dev/null 2>&1 || :
		fi
		kill -TERM "$dockerd_pid" 2>/dev/null || :
		wait_for_pid "$dockerd_pid" 30 || kill -KILL "$dockerd_pid" 2>/dev/null || :
		dockerd_pid=""
	fi
	for pid in $sysbox_fs_pid $sysbox_mgr_pid; do
		kill -TERM "$pid" 2>/dev/null || :
	done
	sysbox_fs_pid=""
	sysbox_mgr_pid=""
	release_idmapped_mounts
}

# wait_for_pid PID SECONDS: 0 when PID is gone within the time.
wait_for_pid() {
	n=0
	while kill -0 "$1" 2>/dev/null; do
		n=$((n + 1))
		if [ "$n" -gt $(($2 * 10)) ]; then
			return 1
		fi
		sleep 0.1
	done
	wait "$1" 2>/dev/null || :
}

# watch_workspace: envbox-docker wait blocks (the wait API, no polling)
# until the container stops, then writes how it ended.
watch_workspace() {
	envbox-docker wait "$container" >"$logdir/workspace.end" 2>/dev/null &
	waiter_pid=$!
}

# Until a signal: dockerd dying or the workspace stopping ends envbox with
# an error, so Kubernetes restarts the pod instead of leaving it up empty.
supervise() {
	while [ "$stopping" = false ]; do
		if ! running "$dockerd_pid"; then
			log_error "dockerd exited; the last lines of $dockerd_log:"
			tail -n 20 "$dockerd_log" | envbox-docker log error
			exit 1
		fi
		if ! running "$waiter_pid"; then
			wait "$waiter_pid" 2>/dev/null || :
			if [ -s "$logdir/workspace.end" ]; then
				workspace_ended
			fi
			# The wait lost dockerd: the check above says so next.
			sleep 0.2
			watch_workspace
			continue
		fi
		# wait returns early when a trapped signal arrives.
		wait "$waiter_pid" 2>/dev/null || :
	done
	stop_everything
	exit 0
}

workspace_ended() {
	code=$(sed -n 's/^exit //p' "$logdir/workspace.end")
	oom=$(sed -n 's/^oom //p' "$logdir/workspace.end")
	if [ "$oom" = yes ]; then
		log_error "The workspace container stopped: it was OOM-killed (exit code $code; CODER_MEMORY is ${memory:-unset})"
	else
		log_error "The workspace container stopped with exit code $code"
	fi
	exit 1
}

# running PID: true while PID is alive and not a zombie waiting for us.
running() {
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
	state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ "$state" != Z ]
}

docker_main() {
	: "${ENVBOX_LOG_FORMAT:=json}"
	export ENVBOX_LOG_FORMAT
	startup_ended=false
	stopping=false
	container=""
	dockerd_pid=""
	bootstrap_pid=""
	step_pid=""
	has_init=""
	is_systemd=""
	nest=no
	container_id=""
	libdir=""
	gpus=""
	waiter_pid=""
	prune_pid=""
	data_root=/var/lib/docker
	exec_root=/var/run/docker
	logs_pid=${ENVBOX_LOGS_PID:-}
	sysbox_mgr_pid=""
	sysbox_fs_pid=""
	logdir=${ENVBOX_LOG_DIR:-/var/log/envbox}
	idmap_dir=${ENVBOX_IDMAP_DIR:-/run/envbox/idmap}
	trap on_exit EXIT
	trap on_signal HUP INT QUIT TERM

	# The steps, numbered as docs/envbox.md numbers them.
	send_logs_to_coder # 0. the build log to Coder
	read_settings      # 1. every variable validated
	mkdir -p "$logdir"
	check_host         # 1. the host check's verdict
	protect_from_oom   # 2.
	choose_runtime     # 3. sysbox or runc
	start_dockerd      # 4. dockerd, and 5. waiting for it
	install_certs      # 6.
	pull_image         # 7.
	unmount_proc_gpus  # 10. (GPU mounts under /proc, before the probe)
	probe_image        # 8.
	prepare_mounts     # 9.
	create_devices     # 10.
	scan_gpus          # 10. (GPUs)
	create_container   # 11. environment, 12. create, 13. start
	after_start        # 13. $HOME/.coder, ldconfig
	log "Envbox startup complete!" # 14.
	startup_done
	bootstrap          # 15.
	prune_done
	watch_workspace    # 16. supervision
	supervise
}

main() {
	if [ $# -eq 0 ]; then
		usage >&2
		exit 2
	fi
	cmd=$1
	shift
	case $cmd in
	-h | --help | help)
		usage
		;;
	docker)
		if [ $# -gt 0 ]; then
			case $1 in
			-h | --help) usage; exit 0 ;;
			*) echo "envbox: docker takes no arguments (it reads CODER_* variables)" >&2; exit 2 ;;
			esac
		fi
		docker_main
		;;
	gpu-scan | mounts | auth | check | wait | xid)
		exec "envbox-$cmd" "$@"
		;;
	*)
		echo "envbox: unknown command '$cmd'" >&2
		echo "Try 'envbox --help'." >&2
		exit 2
		;;
	esac
}

main "$@"
