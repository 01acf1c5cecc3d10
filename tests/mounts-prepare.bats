#!/usr/bin/env bats
# envbox-mounts prepare: mount sources made ready for the inner container
# (root = host uid 100000), on real directories and tmpfs mounts. Root only:
# it chowns and remounts.
load helpers
bats_require_minimum_version 1.5.0

setup() {
	[ "$(id -u)" -eq 0 ] || skip "prepare chowns and remounts: needs root"
	# mountinfo and the plan hold real paths.
	T=$(realpath "$BATS_TEST_TMPDIR")
	HOMEDIR=/home/envbox-test-$$
	MOUNTS=()
}

teardown() {
	# Deepest first; report a mount we could not remove rather than
	# leave it silently.
	local i
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTS[i]}" || echo "# teardown: could not unmount ${MOUNTS[i]}" >&3
	done
	rm -rf "$HOMEDIR"
}

# mnt OPTIONS DIR: a small tmpfs at DIR, unmounted in teardown.
mnt() {
	mkdir -p "$2"
	mount -t tmpfs -o "size=1m,$1" envbox-test "$2" || skip "cannot mount tmpfs here"
	MOUNTS+=("$2")
}

owner() { stat -c '%u:%g %a' "$1"; }

prepare() {
	envbox-mounts prepare --uid 1000 --gid 1001 --home /home/coder "$@"
}

@test "prepare: the home mount gets uid+N, others N:N and 02755; output equals input" {
	mkdir -m 0700 "$T/home" "$T/data"
	input="bind $T/home /home/coder rw
bind $T/data /data ro"
	run --separate-stderr prepare <<<"$input"
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	assert_output "$input"
	[ "$(owner "$T/home")" = "101000:101001 2755" ] || fail "home: $(owner "$T/home")"
	[ "$(owner "$T/data")" = "100000:100000 2755" ] || fail "data: $(owner "$T/data")"
}

@test "prepare: --offset moves every shifted ID; DST is compared as a path" {
	mkdir "$T/home" "$T/data"
	run prepare --offset 200000 <<<"bind $T/home /home/coder/ rw
bind $T/data /data rw"
	assert_success
	[ "$(owner "$T/home")" = "201000:201001 2755" ]
	[ "$(owner "$T/data")" = "200000:200000 2755" ]
}

@test "prepare: a source at /home/NAME is the user's wherever it is bound" {
	mkdir -m 0750 "$HOMEDIR"
	run prepare <<<"bind $HOMEDIR /mnt/elsewhere rw"
	assert_success
	[ "$(owner "$HOMEDIR")" = "101000:101001 2755" ] || fail "$(owner "$HOMEDIR")"
	# Deeper than /home/NAME: the inner root's.
	mkdir "$HOMEDIR/src"
	run prepare <<<"bind $HOMEDIR/src /src rw"
	assert_success
	[ "$(owner "$HOMEDIR/src")" = "100000:100000 2755" ]
}

@test "prepare: a private destination is left untouched" {
	for d in docker containers sysbox modules src coder; do
		mkdir -m 0700 "$T/$d"
		chown 12:34 "$T/$d"
	done
	input="bind $T/docker /var/lib/docker rw
bind $T/containers /var/lib/containers rw
bind $T/sysbox /var/lib/sysbox rw
bind $T/modules /lib/modules ro
bind $T/src /usr/src ro
bind $T/coder /var/lib/coder rw"
	run --separate-stderr prepare <<<"$input"
	assert_success
	assert_output "$input"
	for d in docker containers sysbox modules src coder; do
		[ "$(owner "$T/$d")" = "12:34 700" ] || fail "$d: $(owner "$T/$d")"
	done
	# Exact targets only: below one is an ordinary mount.
	run prepare <<<"bind $T/docker /var/lib/docker/volumes rw"
	assert_success
	[ "$(owner "$T/docker")" = "100000:100000 2755" ]
}

@test "prepare: a missing source is created (the defaults' too)" {
	input="bind $T/var/lib/coder/docker /var/lib/docker rw
bind $T/new/deep/dir /data rw"
	(umask 077 && prepare <<<"$input") >"$T/out"
	[ "$(cat "$T/out")" = "$input" ]
	# Private: created as docker would, nothing more.
	[ "$(owner "$T/var/lib/coder/docker")" = "0:0 755" ]
	[ "$(owner "$T/var")" = "0:0 755" ]
	# Others: created, then prepared; parents made on the way are 0755.
	[ "$(owner "$T/new/deep/dir")" = "100000:100000 2755" ]
	[ "$(owner "$T/new")" = "0:0 755" ]
}

@test "prepare: a symlinked source is prepared where it leads, printed as written" {
	mkdir "$T/real"
	ln -s real "$T/link"
	run prepare <<<"bind $T/link /data rw"
	assert_success
	assert_output "bind $T/link /data rw"
	[ "$(owner "$T/real")" = "100000:100000 2755" ]
	[ "$(stat -c %u "$T/link")" = 0 ] # the link itself is not chowned
	# Dangling and looping links are refused.
	ln -s nowhere "$T/dangling"
	run --separate-stderr prepare <<<"bind $T/dangling /d rw"
	[ "$status" -eq 1 ]
	[[ $stderr == "envbox-mounts: prepare: $T/dangling: $T/nowhere is missing, reached through a symbolic link" ]] ||
		fail "$stderr"
	[ ! -e "$T/nowhere" ]
	ln -s loop "$T/loop"
	run --separate-stderr prepare <<<"bind $T/loop /d rw"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$T/loop: too many levels of symbolic links" ]] || fail "$stderr"
}

@test "prepare: a file source is chowned, its mode kept" {
	echo data >"$T/file"
	chmod 0640 "$T/file"
	run prepare <<<"bind $T/file /etc/file ro"
	assert_success
	assert_output "bind $T/file /etc/file ro"
	[ "$(owner "$T/file")" = "100000:100000 640" ] || fail "$(owner "$T/file")"
}

@test "prepare: a socket source is left as it is, with a warning" {
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/sock"
	before=$(owner "$T/sock")
	run --separate-stderr prepare <<<"bind $T/sock /run/sock rw"
	assert_success
	assert_output "bind $T/sock /run/sock rw"
	[[ $stderr == "envbox-mounts: warning: prepare: $T/sock: a socket: owner and mode left as they are" ]] ||
		fail "$stderr"
	[ "$(owner "$T/sock")" = "$before" ]
}

@test "prepare: a read-only tmpfs at the source is remounted rw and chowned; the line stays ro" {
	mnt ro,nosuid,nodev "$T/ro"
	run envbox-mounts mountinfo "$T/ro"
	assert_output "$T/ro $T/ro tmpfs envbox-test ro"
	run --separate-stderr prepare <<<"bind $T/ro /secret ro"
	assert_success
	[ -z "$stderr" ] || fail "stderr: $stderr"
	assert_output "bind $T/ro /secret ro"
	[ "$(owner "$T/ro")" = "100000:100000 2755" ]
	run envbox-mounts mountinfo "$T/ro"
	assert_output "$T/ro $T/ro tmpfs envbox-test rw"
	# The other per-mount flags are kept.
	opts=$(findmnt -n -o VFS-OPTIONS --target "$T/ro")
	[[ ,$opts, == *,nosuid,* && ,$opts, == *,nodev,* ]] || fail "options now: $opts"
}

@test "prepare: a read-only bind of a writable tmpfs is remounted with MS_BIND" {
	mnt rw "$T/fs"
	mkdir "$T/fs/sub" "$T/bind"
	mount --bind "$T/fs/sub" "$T/bind" && MOUNTS+=("$T/bind")
	mount -o remount,bind,ro,noexec "$T/bind"
	run prepare <<<"bind $T/bind /b ro"
	assert_success
	[ "$(owner "$T/fs/sub")" = "100000:100000 2755" ]
	opts=$(findmnt -n -o VFS-OPTIONS --target "$T/bind")
	[[ ,$opts, == *,rw,* && ,$opts, == *,noexec,* ]] || fail "options now: $opts"
	# Prepared already: run again, nothing to change, no remount needed.
	mount -o remount,bind,ro,noexec "$T/bind"
	run prepare <<<"bind $T/bind /b ro"
	assert_success
	run envbox-mounts mountinfo "$T/bind"
	[[ $output == *" ro" ]] || fail "remounted needlessly: $output"
}

@test "prepare: a source inside a read-only tmpfs fails and nothing changes" {
	mkdir -m 0700 "$T/first"
	mnt rw "$T/ro"
	mkdir -m 0700 "$T/ro/inner"
	mount -o remount,ro "$T/ro"
	before=$(owner "$T/first")
	input="bind $T/first /first rw
bind $T/missing /missing rw
bind $T/ro/inner /inner rw"
	run --separate-stderr prepare <<<"$input"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr == "envbox-mounts: prepare: $T/ro/inner: on the read-only mount $T/ro (only a source that is itself a mount point is remounted read-write)" ]] ||
		fail "$stderr"
	# The entries before it were valid, yet nothing was done to them.
	[ "$(owner "$T/first")" = "$before" ]
	[ ! -e "$T/missing" ]
	[ "$(owner "$T/ro/inner")" = "0:0 700" ]
	run envbox-mounts mountinfo "$T/ro"
	[[ $output == *" ro" ]] || fail "remounted: $output"
	# Creating a missing source there is refused the same way.
	run --separate-stderr prepare <<<"bind $T/ro/new /new rw"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$T/ro/new: missing, and cannot be created on the read-only mount $T/ro" ]] ||
		fail "$stderr"
}

@test "prepare: --mountinfo FILE decides from that table" {
	mkdir "$T/dir"
	printf '1 0 8:1 / / rw - ext4 /dev/sda rw\n2 1 8:2 / %s ro - ext4 /dev/sdb rw\n' "$T" >"$T/mi"
	before=$(owner "$T/dir")
	run --separate-stderr prepare --mountinfo "$T/mi" <<<"bind $T/dir /d rw"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$T/dir: on the read-only mount $T "* ]] || fail "$stderr"
	[ "$(owner "$T/dir")" = "$before" ]
}

@test "prepare: a line that is not a bind line exits 1 naming it, nothing changes" {
	mkdir -m 0700 "$T/first"
	run --separate-stderr prepare <<<"bind $T/first /first rw
env TOKEN=s3cret"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr == 'envbox-mounts: prepare: line 2: spec line "env TOKEN=...": only bind lines can be prepared (expected bind SRC DST ro|rw)' ]] ||
		fail "$stderr"
	[[ $stderr != *s3cret* ]]
	[ "$(owner "$T/first")" = "0:0 700" ]
	run --separate-stderr prepare <<<"bind $T/first /first rw

device /dev/fuse /dev/fuse"
	[ "$status" -eq 1 ]
	[[ $stderr == *'line 3: spec line "device /dev/fuse /dev/fuse": only bind lines'* ]] || fail "$stderr"
	printf 'bind %s/first /first' "$T" >"$T/in"
	run --separate-stderr prepare <"$T/in"
	[ "$status" -eq 1 ]
	[[ $stderr == *"line 1: spec line \"bind $T/first /first\": expected bind SRC DST ro|rw" ]] ||
		fail "$stderr"
	[ "$(owner "$T/first")" = "0:0 700" ]
}

@test "prepare: no input, no output" {
	run --separate-stderr prepare </dev/null
	assert_success
	[ -z "$output" ] && [ -z "$stderr" ]
}

@test "prepare: bad or missing arguments are usage errors, nothing changes" {
	mkdir -m 0700 "$T/d"
	in="bind $T/d /home/coder rw"
	usage() {
		run --separate-stderr envbox-mounts prepare "$@" <<<"$in"
		[ "$status" -eq 2 ] || fail "$*: exit $status"
		[[ $stderr == *"Try 'envbox-mounts --help'."* ]] || fail "$*: $stderr"
	}
	usage --uid 1000 --gid 1000
	[[ $stderr == *"--uid, --gid and --home are required"* ]]
	usage --uid x --gid 1 --home /h
	[[ $stderr == *'--uid: "x" is not a non-negative whole number'* ]]
	usage --uid -1 --gid 1 --home /h
	usage --uid 1 --gid 1 --home h
	[[ $stderr == *'--home "h" is not an absolute path'* ]]
	usage --uid 4294967295 --gid 1 --home /h
	[[ $stderr == *"--uid 4294967295 is past the largest ID 4294967294"* ]]
	usage --uid 1 --gid 1 --home /h --offset 99999999999
	usage --uid 1 --gid 1 --home /h extra
	[[ $stderr == *"unexpected argument 'extra'"* ]]
	usage --uid 1 --gid 1 --home /h --json
	[[ $stderr == *"unknown option '--json'"* ]]
	# A shift past the ID space: named, exit 2, before any change.
	usage --uid 4294900000 --gid 1000 --home /h
	[[ $stderr == *"--uid 4294900000 + offset 100000 is past the largest ID 4294967294"* ]] ||
		fail "$stderr"
	usage --uid 0 --gid 4294867295 --home /h
	[[ $stderr == *"--gid 4294867295 + offset 100000 is past the largest ID"* ]] || fail "$stderr"
	[ "$(owner "$T/d")" = "0:0 700" ]
}

@test "prepare: refuses to chown /" {
	run --separate-stderr prepare <<<"bind / /host ro"
	[ "$status" -eq 1 ]
	[[ $stderr == "envbox-mounts: prepare: /: refused: / holds everything the outer container needs" ]] || fail "$stderr"
	[ "$(stat -c %u /)" = 0 ]
}
