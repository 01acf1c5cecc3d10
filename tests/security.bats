#!/usr/bin/env bats
# The mount-source policy (docs/security.md, lib/srcpolicy.h), driven
# through the installed envbox-mounts prepare on this machine's real tree,
# real mounts (proc, sysfs, cgroup2, devtmpfs, tmpfs, bind mounts) and real
# symbolic links. Root only: prepare chowns and mounts. Each refusal must
# leave every owner and mode as it was.
load helpers
bats_require_minimum_version 1.5.0

setup() {
	[ "$(id -u)" -eq 0 ] || skip "prepare chowns and mounts: needs root"
	T=$(realpath "$BATS_TEST_TMPDIR")
	MOUNTS=()
}

teardown() {
	local i
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount -l "${MOUNTS[i]}" || echo "# teardown: could not unmount ${MOUNTS[i]}" >&3
	done
	rm -rf "/run/ebt-secret-$$"
}

prepare() {
	envbox-mounts prepare --uid 1000 --gid 1000 --home /home/coder "$@"
}

owner() { stat -c '%u:%g %a' "$1"; }

# refused_src LINES [OPTIONS]: prepare exits 1 saying "refused".
refused_src() {
	local lines=$1
	shift
	run --separate-stderr prepare "$@" <<<"$lines"
	assert_failure 1
	[ -z "$output" ] || fail "stdout: $output"
	[[ $stderr == *refused* ]] || fail "stderr: $stderr"
}

@test "security: a parent of what the outer container needs is refused as a source, nothing changed" {
	local src before
	for src in / /run /var/run /var /var/lib /etc /usr /boot /lib /var/log; do
		[ -e "$src" ] || continue
		before=$(owner "$src")
		refused_src "bind $src /x rw"
		refused_src "bind $src /x rw" --idmap-dir "$T/idmap"
		[ "$(owner "$src")" = "$before" ] || fail "$src changed: $(owner "$src")"
	done
	refused_src "bind /var/run /x rw"
	[[ $stderr == *"/var/run"*"refused: it contains "*"/run/docker (dockerd's exec root)"* ]] || fail "$stderr"
	refused_src "bind /var/lib /x rw"
	[[ $stderr == *"it contains /var/lib/docker"* ]] || fail "$stderr"
}

@test "security: a source at or below a protected path is refused, whatever its destination" {
	local dst
	for dst in /usr/src /lib/modules /var/lib/docker /var/lib/sysbox /var/lib/coder /x; do
		refused_src "bind /var/run/docker.sock $dst rw"
		refused_src "bind /run/containerd/x $dst rw"
		refused_src "bind /proc/1/root $dst rw"
		refused_src "bind /run/secrets/kubernetes.io $dst ro"
	done
	# A missing one is refused before it is created.
	[ ! -e /run/containerd/x ] || fail "/run/containerd/x was created"
	[[ $stderr == *"refused: it lies below /run/secrets (the pod's service account token)"* ]] || fail "$stderr"
}

@test "security: --protect adds envbox's own paths: those, their parents and what lies below" {
	mkdir -p "$T/state/data" "$T/other"
	before=$(owner "$T/state")
	refused_src "bind $T/state /x rw" --protect "$T/state/data"
	[[ $stderr == *"refused: it contains $T/state/data"* ]] || fail "$stderr"
	refused_src "bind $T/state/data/sub /x rw" --protect "$T/state/data"
	[ "$(owner "$T/state")" = "$before" ]
	[ ! -e "$T/state/data/sub" ]
	run prepare --protect "$T/state/data" <<<"bind $T/other /x rw"
	assert_success
	run prepare --protect relative <<<"bind $T/other /x rw"
	assert_failure 2
	assert_output --partial '--protect "relative" is not an absolute path'
}

@test "security: kernel-interface filesystems mounted elsewhere are refused by type" {
	local t tried=0
	for t in proc sysfs cgroup2 devtmpfs devpts tracefs bpf; do
		mkdir -p "$T/$t"
		mount -t "$t" "$t" "$T/$t" 2>/dev/null || continue
		MOUNTS+=("$T/$t")
		tried=$((tried + 1))
		before=$(owner "$T/$t")
		refused_src "bind $T/$t /x rw"
		[[ $stderr == *"refused: it is on a $t filesystem (a kernel interface)"* ]] || fail "$t: $stderr"
		[ "$(owner "$T/$t")" = "$before" ] || fail "$t changed"
	done
	[ "$tried" -ge 4 ] || fail "only $tried pseudo filesystems could be mounted"
	# A data directory with one mounted inside: a recursive bind carries it.
	mkdir -p "$T/vol/inner"
	mount -t proc proc "$T/vol/inner"
	MOUNTS+=("$T/vol/inner")
	refused_src "bind $T/vol /x rw"
	[[ $stderr == *"refused: a proc filesystem (a kernel interface) is mounted inside it, at $T/vol/inner"* ]] || fail "$stderr"
}

@test "security: a protected path under another name (a bind mount of /etc) is refused" {
	mkdir -p "$T/alias"
	mount --bind /etc "$T/alias"
	MOUNTS+=("$T/alias")
	refused_src "bind $T/alias /x rw"
	[[ $stderr == *"refused: it is /etc under another name"* ]] || fail "$stderr"
	[ "$(stat -c %u /etc)" -eq 0 ]
	# The original README's layout: one directory at both the outer
	# dockerd's data root and /var/lib/coder/docker.
	mkdir -p "$T/outer" "$T/coder-docker"
	mount --bind "$T/outer" "$T/coder-docker"
	MOUNTS+=("$T/coder-docker")
	before=$(owner "$T/outer")
	refused_src "bind $T/coder-docker /var/lib/docker rw" --protect "$T/outer"
	[[ $stderr == *"refused: it is $T/outer under another name"*"give the workspace one of its own"* ]] || fail "$stderr"
	[ "$(owner "$T/outer")" = "$before" ]
}

@test "security: a symlink planted in a writable source is not followed, nothing changes" {
	mkdir -p "$T/home"
	ln -s /run "$T/home/data"
	ln -s "$T/elsewhere" "$T/home/moved"
	mkdir -p "$T/elsewhere"
	home_before=$(owner "$T/home")
	else_before=$(owner "$T/elsewhere")
	for opt in "" "--idmap-dir=$T/idmap"; do
		set -- ${opt:+--idmap-dir "$T/idmap"}
		refused_src "bind $T/home /home/coder rw
bind $T/home/data/ebt-secret-$$ /data rw" "$@"
		[[ $stderr == *"the symbolic link $T/home/data lies in $T/home, which the workspace can write"* ]] || fail "$stderr"
		# Not even into a harmless place.
		refused_src "bind $T/home /home/coder rw
bind $T/home/moved /data rw" "$@"
	done
	[ "$(owner "$T/home")" = "$home_before" ]
	[ "$(owner "$T/elsewhere")" = "$else_before" ]
	[ ! -e "/run/ebt-secret-$$" ] || fail "created through the planted link"
}

@test "security: the README's /var/run/NAME source goes through the system's /var/run link" {
	[ "$(readlink /var/run)" = /run ] || [ "$(readlink /var/run)" = ../run ] || skip "/var/run is not a link here"
	run --separate-stderr prepare <<<"bind /var/run/ebt-secret-$$ /var/run/mysecret ro"
	assert_success
	assert_output "bind /var/run/ebt-secret-$$ /var/run/mysecret ro"
	[ "$(owner "/run/ebt-secret-$$")" = "100000:100000 2755" ]
}

@test "security: the host's kernel headers and modules may be bound read-only, never read-write" {
	[ -d /usr/src ] || skip "no /usr/src"
	before=$(owner /usr/src)
	run --separate-stderr prepare <<<"bind /usr/src /usr/src ro"
	assert_success
	refused_src "bind /usr/src /usr/src rw"
	[[ $stderr == *"refused: it lies below /usr (programs and libraries)"* ]] || fail "$stderr"
	[ "$(owner /usr/src)" = "$before" ]
}

@test "security: staged idmapped mounts are nodev (a device node in a volume opens nothing)" {
	mkdir -p "$T/vol"
	mknod "$T/vol/null" c 1 3
	run --separate-stderr prepare --idmap-dir "$T/idmap" <<<"bind $T/vol /data rw"
	assert_success
	assert_output "bind $T/idmap/0 /data rw"
	MOUNTS+=("$T/idmap/0")
	run awk -v d="$T/idmap/0" '$5 == d { print $6 }' /proc/self/mountinfo
	assert_success
	[[ ,$output, == *,nodev,* ]] || fail "mount options: $output"
	run ! sh -c "echo x >'$T/idmap/0/null'"
}
