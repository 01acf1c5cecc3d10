#!/usr/bin/env bats
# envbox-xid on real filesystems: loop-mounted ext4, xfs and btrfs images and
# a tmpfs for probe and shift; idmapped mounts checked from inside a user
# namespace; subid on a scratch root (and once, unchanged, on the real
# coder entry). Root only: it mounts, chowns and sets capabilities.
load helpers
bats_require_minimum_version 1.5.0

FSTYPES="ext4 xfs btrfs tmpfs"

# mkloop FSTYPE SIZE: a fresh image formatted as FSTYPE on a loop device,
# detached in teardown (LIST: file-loops or test-loops). Prints the device.
mkloop() {
	local img dev
	img=$(mktemp "$X/img.$1.XXXXXX")
	truncate -s "$2" "$img"
	case $1 in
	xfs | btrfs) "mkfs.$1" -q -f "$img" >/dev/null ;;
	*) "mkfs.$1" -q -F "$img" >/dev/null ;;
	esac
	dev=$(losetup -f --show "$img")
	echo "$dev" >>"$X/${LIST:-test}-loops"
	echo "$dev"
}

# mnt DIR ARGS...: mount ARGS at DIR (created), unmounted in teardown.
mnt() {
	local dir=$1
	shift
	mkdir -p "$dir"
	mount "$@" "$dir"
	echo "$dir" >>"$X/${LIST:-test}-mounts"
}

# Unmounts what LIST's file names, last first; then detaches its loops.
undo() {
	local m
	if [ -f "$X/$1-mounts" ]; then
		tac "$X/$1-mounts" | while read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" ||
				echo "# teardown: could not unmount $m" >&3
		done
		rm -f "$X/$1-mounts"
	fi
	if [ -f "$X/$1-loops" ]; then
		while read -r m; do
			losetup -d "$m" || echo "# teardown: could not detach $m" >&3
		done <"$X/$1-loops"
		rm -f "$X/$1-loops"
	fi
}

setup_file() {
	[ "$(id -u)" -eq 0 ] || {
		echo "envbox-xid's suite needs root" >&2
		return 1
	}
	# 0755 all the way: a user namespace's root (host 100000) must reach
	# the files to stat them.
	X=$(mktemp -d /tmp/xidt-XXXXXX)
	chmod 0755 "$X"
	export X
	LIST=file
	mnt "$X/ext4" "$(mkloop ext4 64M)"
	mnt "$X/xfs" "$(mkloop xfs 320M)"
	mnt "$X/btrfs" "$(mkloop btrfs 160M)"
	mnt "$X/tmpfs" -t tmpfs -o size=16m,mode=0755 xidt
}

teardown_file() {
	[ -n "${X:-}" ] || return 0
	undo test
	undo file
	rm -rf "$X"
}

setup() {
	N=t$BATS_TEST_NUMBER
}

teardown() {
	undo test
}

owner() { stat -c '%u:%g %a' "$1"; }

# tree DIR: a tree owned by 1000:1000 with what chown would damage: a
# setuid+setgid program, a file capability, a setgid directory, two names
# of one file, symlinks to a file outside the tree (owned 0:0) and to /.
tree() {
	local d=$1
	mkdir -p "$d/sub/deeper"
	echo one >"$d/sub/deeper/file"
	ln "$d/sub/deeper/file" "$d/hardlink"
	cp /usr/bin/true "$d/suid"
	cp /usr/bin/true "$d/capped"
	echo outside >"$X/outside-$N"
	ln -s "$X/outside-$N" "$d/link"
	ln -s / "$d/sub/root"
	chown -R -h 1000:1000 "$d"
	# After the chown, which would clear them.
	chmod 6755 "$d/suid"
	chmod 2775 "$d/sub"
	setcap cap_net_raw+ep "$d/capped"
}

# listing DIR: every entry's owner, mode and name, sorted.
listing() {
	find "$1" -printf '%U:%G %m %p\n' | sort -k3
}

# in_userns CMD...: CMD run in a new user namespace whose root is host uid
# and gid 100000 ("0 100000 65536"), as that root. The namespace is made
# by an unshared sleep; its maps are written from here, as root.
in_userns() {
	local pid rc=0
	unshare --user sleep 60 &
	pid=$!
	while [ "$(readlink "/proc/$pid/ns/user")" = "$(readlink /proc/self/ns/user)" ]; do
		sleep 0.01
	done
	echo "0 100000 65536" >"/proc/$pid/uid_map"
	echo "0 100000 65536" >"/proc/$pid/gid_map"
	nsenter --user --target "$pid" "$@" || rc=$?
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	return "$rc"
}

# --- usage -------------------------------------------------------------------

@test "xid: --help names every command and the exit codes" {
	run --separate-stderr envbox-xid --help
	assert_success
	assert_line --index 0 "Usage: envbox-xid subid [--user NAME] [--start N] [--count N] [--root DIR]"
	for c in subid shift probe idmap; do
		assert_output --partial "envbox-xid $c"
	done
	assert_output --partial "Exit codes: 0 done, 1 failed"
	[ -z "$stderr" ]
}

@test "xid: usage errors exit 2 with one line and a hint" {
	run --separate-stderr envbox-xid
	[ "$status" -eq 2 ]
	[[ $stderr == "envbox-xid: expected a command: subid, shift, probe or idmap"* ]] || fail "$stderr"
	run --separate-stderr envbox-xid frobnicate
	[ "$status" -eq 2 ]
	run --separate-stderr envbox-xid shift "$X/ext4"
	[ "$status" -eq 2 ]
	[[ $stderr == "envbox-xid: shift: --offset is required"* ]] || fail "$stderr"
	run --separate-stderr envbox-xid shift --offset 1 --reverse "$X/ext4"
	[ "$status" -eq 2 ]
	[[ $stderr == "envbox-xid: shift: --reverse needs --recursive"* ]] || fail "$stderr"
	run --separate-stderr envbox-xid shift --offset 1 --recursive --uid 5 "$X/ext4"
	[ "$status" -eq 2 ]
	run --separate-stderr envbox-xid shift --offset 4294967294 --uid 1 "$X/ext4"
	[ "$status" -eq 2 ]
	[[ $stderr == *"past the largest ID 4294967294"* ]] || fail "$stderr"
	run --separate-stderr envbox-xid probe "$X/ext4" "$X/xfs"
	[ "$status" -eq 2 ]
	run --separate-stderr envbox-xid probe --kernel banana "$X/ext4"
	[ "$status" -eq 2 ]
	run --separate-stderr envbox-xid idmap --offset 100000 "$X/ext4"
	[ "$status" -eq 2 ]
	run --separate-stderr envbox-xid idmap --offset 100000 "$X/ext4" relative/dst
	[ "$status" -eq 2 ]
	run --separate-stderr envbox-xid idmap --offset 4294967000 "$X/ext4" "$X/dst"
	[ "$status" -eq 2 ]
	run --separate-stderr envbox-xid subid --user 'a:b'
	[ "$status" -eq 2 ]
	run --separate-stderr envbox-xid subid --start 0
	[ "$status" -eq 2 ]
	[[ $stderr == *"host root"* ]] || fail "$stderr"
	run --separate-stderr envbox-xid subid --root relative
	[ "$status" -eq 2 ]
	[ ! -e "$X/dst" ]
}

# --- probe -------------------------------------------------------------------

@test "probe: ext4, xfs, btrfs on loop devices and tmpfs: type, device, idmap yes" {
	for fs in $FSTYPES; do
		run --separate-stderr envbox-xid probe "$X/$fs"
		assert_success
		assert_line --index 0 "fstype $fs"
		if [ "$fs" = tmpfs ]; then
			assert_line --index 1 "source none"
		else
			dev=$(findmnt -n -o SOURCE --target "$X/$fs")
			assert_line --index 1 "source $dev"
			[[ $dev == /dev/loop* ]] || fail "$fs source $dev"
		fi
		assert_line --index 2 --regexp "^idmap yes $fs supports idmapped mounts since Linux [0-9.]+ \(running [0-9.]+\)$"
		[ "${#lines[@]}" -eq 3 ]
	done
	# A path below the mount point, and a missing one (its parent).
	mkdir -p "$X/btrfs/$N/a"
	run envbox-xid probe "$X/btrfs/$N/a/missing/deeper"
	assert_success
	assert_line --index 0 "fstype btrfs"
}

@test "probe: the verdict follows the kernel version per filesystem" {
	run envbox-xid probe --kernel 5.11.0 "$X/ext4"
	assert_success
	assert_line --index 2 "idmap no idmapped mounts need Linux 5.12 (running 5.11)"
	run envbox-xid probe --kernel 5.12.0 "$X/xfs"
	assert_line --index 2 "idmap yes xfs supports idmapped mounts since Linux 5.12 (running 5.12)"
	run envbox-xid probe --kernel 5.14.21 "$X/btrfs"
	assert_line --index 2 "idmap no btrfs needs Linux 5.15 for idmapped mounts (running 5.14)"
	run envbox-xid probe --kernel 5.15.0 "$X/btrfs"
	assert_line --index 2 --partial "idmap yes btrfs"
	run envbox-xid probe --kernel 6.2.16 "$X/tmpfs"
	assert_line --index 2 "idmap no tmpfs needs Linux 6.3 for idmapped mounts (running 6.2)"
	run envbox-xid probe --kernel 6.3.0 "$X/tmpfs"
	assert_line --index 2 --partial "idmap yes tmpfs"
}

@test "probe: filesystems that cannot: proc, ext2, an idmapped mount" {
	run envbox-xid probe /proc/self
	assert_success
	assert_output "fstype proc
source none
idmap no proc has no idmapped mounts"
	dev=$(mkloop ext2 16M)
	mnt "$X/$N-ext2" -t ext2 "$dev"
	run envbox-xid probe "$X/$N-ext2"
	assert_output "fstype ext2
source $dev
idmap no ext2 mounts have no idmapped mounts (mount it as ext4)"
	envbox-xid idmap --offset 100000 "$X/ext4" "$X/$N-idm"
	echo "$X/$N-idm" >>"$X/test-mounts"
	run envbox-xid probe "$X/$N-idm"
	assert_line --index 0 "fstype ext4"
	assert_line --index 2 "idmap no the mount at $X/$N-idm is already idmapped (an idmapping cannot be changed)"
}

@test "probe --json: one object with the same facts" {
	run --separate-stderr envbox-xid probe --json "$X/btrfs"
	assert_success
	dev=$(findmnt -n -o SOURCE --target "$X/btrfs")
	run jq -r '[.path, .mount, .driver, .fstype, .source, .idmap, .kernel] | map(tostring) | join(" ")' <<<"$output"
	assert_output "$X/btrfs $X/btrfs btrfs btrfs $dev true $(uname -r | cut -d. -f1,2)"
	run envbox-xid probe --json "$X/tmpfs"
	run jq -r '.source, .reason' <<<"$output"
	assert_line --index 0 null
	assert_line --index 1 --partial "tmpfs supports idmapped mounts"
}

# --- shift -------------------------------------------------------------------

@test "shift: recursive and reverse on ext4, xfs, btrfs, tmpfs keep set-ID bits, capabilities, links" {
	for fs in $FSTYPES; do
		d=$X/$fs/$N
		tree "$d"
		before=$(listing "$d")
		run --separate-stderr envbox-xid shift --offset 100000 --recursive "$d"
		assert_success
		[ -z "$output$stderr" ] || fail "$fs: $output $stderr"
		[ "$(owner "$d")" = "101000:101000 755" ] || fail "$fs: $(owner "$d")"
		[ "$(owner "$d/sub")" = "101000:101000 2775" ] || fail "$fs: sub $(owner "$d/sub")"
		[ "$(owner "$d/sub/deeper/file")" = "101000:101000 644" ] || fail "$fs: $(owner "$d/sub/deeper/file")"
		# Two names, one file: shifted once, not twice.
		[ "$(owner "$d/hardlink")" = "101000:101000 644" ] || fail "$fs: hardlink $(owner "$d/hardlink")"
		[ "$(owner "$d/suid")" = "101000:101000 6755" ] || fail "$fs: suid $(owner "$d/suid")"
		run getcap "$d/capped"
		assert_output "$d/capped cap_net_raw=ep"
		# Symlinks: their own owner moves, their targets do not.
		[ "$(stat -c %u:%g "$d/link")" = 101000:101000 ] || fail "$fs: link $(stat -c %u:%g "$d/link")"
		[ "$(stat -c %u:%g "$X/outside-$N")" = 0:0 ] || fail "$fs: followed the link"
		[ "$(stat -c %u:%g /)" = 0:0 ] || fail "$fs: followed the link to /"

		run --separate-stderr envbox-xid shift --offset 100000 --recursive --reverse "$d"
		assert_success
		[ "$(listing "$d")" = "$before" ] || fail "$fs: reverse did not restore: $(diff <(echo "$before") <(listing "$d"))"
		run getcap "$d/capped"
		assert_output "$d/capped cap_net_raw=ep"
	done
}

@test "shift: does not cross into another filesystem or another mount" {
	d=$X/ext4/$N
	tree "$d"
	mnt "$d/tmp" -t tmpfs -o size=1m,mode=0755 inner
	touch "$d/tmp/f"
	chown 1000:1000 "$d/tmp/f" "$d/tmp"
	mkdir "$X/ext4/$N-other"
	touch "$X/ext4/$N-other/f"
	chown -R 1000:1000 "$X/ext4/$N-other"
	mnt "$d/bind" --bind "$X/ext4/$N-other"
	run envbox-xid shift --offset 100000 --recursive "$d"
	assert_success
	[ "$(owner "$d/sub")" = "101000:101000 2775" ]
	[ "$(stat -c %u "$d/tmp")" = 1000 ]
	[ "$(stat -c %u "$d/tmp/f")" = 1000 ]
	# Same filesystem, but a bind mount: another mount, left alone.
	[ "$(stat -c %u "$d/bind/f")" = 1000 ]
	[ "$(stat -c %u "$X/ext4/$N-other")" = 1000 ]
}

@test "shift: refuses / (also through a symlink) and changes nothing" {
	run --separate-stderr envbox-xid shift --offset 100000 --recursive /
	[ "$status" -eq 1 ]
	[ "$stderr" = "envbox-xid: shift: /: refusing to shift the ownership of /" ]
	ln -s / "$X/$N-root"
	run --separate-stderr envbox-xid shift --offset 1 "$X/$N-root"
	[ "$status" -eq 1 ]
	[[ $stderr == *"refusing to shift the ownership of /" ]] || fail "$stderr"
	# Refused even when another PATH before it was fine.
	mkdir "$X/tmpfs/$N"
	run envbox-xid shift --offset 100000 --recursive "$X/tmpfs/$N" /
	[ "$status" -eq 1 ]
	[ "$(stat -c %u "$X/tmpfs/$N")" = 0 ]
	[ "$(stat -c %u:%g /)" = 0:0 ]
}

@test "shift: entries outside the range are listed and nothing is changed" {
	d=$X/xfs/$N
	tree "$d"
	touch "$d/sub/high"
	chown 70000:1000 "$d/sub/high"
	chown -h 1000:80000 "$d/link"
	before=$(listing "$d")
	run --separate-stderr envbox-xid shift --offset 100000 --recursive "$d"
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr == *"envbox-xid: warning: shift: $d/sub/high: uid 70000 is outside 0..65535"* ]] || fail "$stderr"
	[[ $stderr == *"envbox-xid: warning: shift: $d/link: gid 80000 is outside 0..65535"* ]] || fail "$stderr"
	[[ $stderr == *"envbox-xid: shift: 2 entries cannot be shifted by +100000; nothing was changed" ]] || fail "$stderr"
	[ "$(listing "$d")" = "$before" ]
	run getcap "$d/capped"
	assert_output "$d/capped cap_net_raw=ep"

	# Shifting twice is caught the same way: the first pass left the range.
	rm "$d/sub/high" "$d/link"
	envbox-xid shift --offset 100000 --recursive "$d"
	before=$(listing "$d")
	run --separate-stderr envbox-xid shift --offset 100000 --recursive "$d"
	[ "$status" -eq 1 ]
	[[ $stderr == *"uid 101000 is outside 0..65535; gid 101000 is outside 0..65535"* ]] || fail "$stderr"
	[ "$(listing "$d")" = "$before" ]

	# Reverse: IDs below the offset cannot go below 0.
	chown 5:5 "$d/sub/deeper/file"
	run --separate-stderr envbox-xid shift --offset 100000 --recursive --reverse "$d"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$d/sub/deeper/file: uid 5 is outside 100000..165535; gid 5 is outside 100000..165535"* ]] || fail "$stderr"
	run --separate-stderr envbox-xid shift --offset 100000 --recursive --reverse --count 0 "$d"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$d/sub/deeper/file: uid 5 would become -99995, below 0; gid 5 would become -99995, below 0"* ]] || fail "$stderr"
	# --count 0 takes any ID, up to 4294967294 after the move.
	chown 4294900000 "$d/sub/deeper/file"
	run --separate-stderr envbox-xid shift --offset 100000 --recursive --count 0 "$d"
	[ "$status" -eq 1 ]
	[[ $stderr == *"uid 4294900000 would become 4295000000, past 4294967294"* ]] || fail "$stderr"
}

@test "shift: without --recursive sets U+N:G+N on each PATH, set-ID bits and capabilities kept" {
	d=$X/btrfs/$N
	tree "$d"
	run envbox-xid shift --offset 100000 --uid 1000 --gid 1001 "$d/suid" "$d/capped" "$d/sub"
	assert_success
	[ "$(owner "$d/suid")" = "101000:101001 6755" ]
	[ "$(owner "$d/sub")" = "101000:101001 2775" ]
	run getcap "$d/capped"
	assert_output "$d/capped cap_net_raw=ep"
	# Only the PATHs themselves.
	[ "$(owner "$d/sub/deeper")" = "1000:1000 755" ]
	# The defaults: the inner root.
	run envbox-xid shift --offset 100000 "$d/sub/deeper"
	assert_success
	[ "$(owner "$d/sub/deeper")" = "100000:100000 755" ]
	# A symlink PATH is resolved: its target changes, not the link.
	run envbox-xid shift --offset 100000 "$d/link"
	assert_success
	[ "$(stat -c %u "$X/outside-$N")" = 100000 ]
	[ "$(stat -c %u "$d/link")" = 1000 ]
}

@test "shift: ACL entries and a namespaced capability's root move with the owner" {
	d=$X/ext4/$N
	tree "$d"
	setfacl -m u:1234:rw,g:2345:r "$d/sub/deeper/file"
	setfacl -d -m u:1234:rwx "$d/sub"
	# A revision 3 capability (cap_net_raw, effective) owned by root 1000.
	python3 - "$d/sub/v3cap" <<'PY'
import os, struct, sys
open(sys.argv[1], "w").close()
os.chown(sys.argv[1], 1000, 1000)
os.setxattr(sys.argv[1], "security.capability",
            struct.pack("<IIIIII", 0x03000001, 1 << 13, 0, 0, 0, 1000))
PY
	run envbox-xid shift --offset 100000 --recursive "$d"
	assert_success
	run getfacl -n -p "$d/sub/deeper/file"
	assert_line "user:101234:rw-"
	assert_line "group:102345:r--"
	run getfacl -n -p "$d/sub"
	assert_line "default:user:101234:rwx"
	run python3 -c 'import os, struct, sys; print(struct.unpack("<IIIIII", os.getxattr(sys.argv[1], "security.capability"))[5])' "$d/sub/v3cap"
	assert_output 101000
	run envbox-xid shift --offset 100000 --recursive --reverse "$d"
	assert_success
	run getfacl -n -p "$d/sub/deeper/file"
	assert_line "user:1234:rw-"
	# An ACL naming an ID outside the range is listed like an owner.
	setfacl -m u:70000:r "$d/sub/deeper/file"
	run --separate-stderr envbox-xid shift --offset 100000 --recursive "$d"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$d/sub/deeper/file: ACL user 70000 is outside 0..65535"* ]] || fail "$stderr"
	[ "$(stat -c %u "$d/sub")" = 1000 ]
}

# --- idmap -------------------------------------------------------------------

@test "idmap: a file owned 1000 on disk is 1000 in a user namespace rooted at 100000, 65534 without" {
	for fs in $FSTYPES; do
		d=$X/$fs/$N
		mkdir -p "$d/dir"
		echo data >"$d/dir/file"
		chown -R 1000:1000 "$d/dir"
		chmod 0755 "$d"
		run --separate-stderr envbox-xid idmap --offset 100000 "$d" "$X/$N-$fs/stage"
		assert_success
		echo "$X/$N-$fs/stage" >>"$X/test-mounts"
		# The host sees the shifted owner through the mount...
		[ "$(stat -c %u:%g "$X/$N-$fs/stage/dir/file")" = 101000:101000 ]
		# ...and a namespace whose root is 100000 the on-disk one.
		run in_userns stat -c %u:%g "$X/$N-$fs/stage/dir/file"
		assert_output 1000:1000
		# Without the idmapped mount the same namespace sees nobody:
		# the check can fail.
		run in_userns stat -c %u:%g "$d/dir/file"
		assert_output 65534:65534
		# Files written through it by host uid 101000 are 1000 on disk.
		setpriv --reuid 101000 --regid 101000 --clear-groups \
			sh -c "echo new >'$X/$N-$fs/stage/dir/new'"
		[ "$(stat -c %u:%g "$d/dir/new")" = 1000:1000 ]
		# Nothing on disk was chowned.
		[ "$(stat -c %u:%g "$d/dir/file")" = 1000:1000 ]
	done
}

@test "idmap: mounts below SRC come along; a file SRC gets a file DST" {
	d=$X/xfs/$N
	mkdir -p "$d/sub"
	mnt "$d/sub" -t tmpfs -o size=1m,mode=0755 inner
	touch "$d/sub/f" "$d/plain"
	chown 1000:1000 "$d/sub/f" "$d/plain"
	run envbox-xid idmap --offset 100000 "$d" "$X/$N-stage"
	assert_success
	echo "$X/$N-stage" >>"$X/test-mounts"
	[ "$(stat -c %u "$X/$N-stage/sub/f")" = 101000 ]
	run envbox-xid idmap --offset 200000 --count 10 "$d/plain" "$X/$N-file/plain"
	assert_success
	echo "$X/$N-file/plain" >>"$X/test-mounts"
	[ -f "$X/$N-file/plain" ]
	# 1000 is past --count 10: unmapped, so overflow.
	[ "$(stat -c %u "$X/$N-file/plain")" = 65534 ]
}

@test "idmap: clear errors for filesystems that cannot, idmapped mounts, missing SRC" {
	dev=$(mkloop ext2 16M)
	mnt "$X/$N-ext2" -t ext2 "$dev"
	run --separate-stderr envbox-xid idmap --offset 100000 "$X/$N-ext2" "$X/$N-a"
	[ "$status" -eq 1 ]
	[ "$stderr" = "envbox-xid: idmap: $X/$N-ext2: ext2 mounts have no idmapped mounts (mount it as ext4)" ]
	# A mount below SRC that cannot: named.
	mkdir -p "$X/ext4/$N"
	mnt "$X/ext4/$N/old" -t ext2 "$dev"
	run --separate-stderr envbox-xid idmap --offset 100000 "$X/ext4/$N" "$X/$N-b"
	[ "$status" -eq 1 ]
	[ "$stderr" = "envbox-xid: idmap: $X/ext4/$N: the mount below it at $X/ext4/$N/old cannot be idmapped: ext2 mounts have no idmapped mounts (mount it as ext4)" ]
	run --separate-stderr envbox-xid idmap --offset 100000 /proc "$X/$N-c"
	[ "$status" -eq 1 ]
	[[ $stderr == *"proc has no idmapped mounts"* ]] || fail "$stderr"
	# An idmapped mount cannot be idmapped again.
	envbox-xid idmap --offset 100000 "$X/tmpfs" "$X/$N-d"
	echo "$X/$N-d" >>"$X/test-mounts"
	run --separate-stderr envbox-xid idmap --offset 100000 "$X/$N-d" "$X/$N-e"
	[ "$status" -eq 1 ]
	[[ $stderr == *"not allowed to idmap its mount"*"idmapped already"* ]] || fail "$stderr"
	run --separate-stderr envbox-xid idmap --offset 100000 "$X/$N-missing" "$X/$N-f"
	[ "$status" -eq 1 ]
	[ "$stderr" = "envbox-xid: idmap: unable to stat $X/$N-missing: No such file or directory" ]
	# Nothing was left behind by the failures.
	for m in a b c e f; do
		[ ! -e "$X/$N-$m" ] || fail "$X/$N-$m was created"
	done
}

# --- subid -------------------------------------------------------------------

# A scratch root with the files useradd and subid read.
scratch_root() {
	R=$X/$N-root
	mkdir -p "$R/etc"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
	printf 'root:x:0:\n' >"$R/etc/group"
}

@test "subid: creates the user and both ranges, then is idempotent" {
	scratch_root
	printf 'alice:200000:65536\n' >"$R/etc/subuid"
	# No newline at the end, and lines that mean nothing: kept as they are.
	printf '# a comment\n\nalice:200000:65536' >"$R/etc/subgid"
	chmod 0640 "$R/etc/subgid"
	run --separate-stderr envbox-xid subid --root "$R"
	assert_success
	assert_line --index 0 --regexp '^user coder [0-9]+ created$'
	assert_line --index 1 "subuid coder:100000:65536 added"
	assert_line --index 2 "subgid coder:100000:65536 added"
	run grep -c '^coder:x\?!\?:[0-9]*:[0-9]*::/nonexistent:/usr/sbin/nologin$' "$R/etc/passwd"
	assert_output 1
	grep -q '^coder:' "$R/etc/group"
	[ "$(cat "$R/etc/subuid")" = "alice:200000:65536
coder:100000:65536" ]
	[ "$(printf '# a comment\n\nalice:200000:65536\ncoder:100000:65536\nX')" = "$(cat "$R/etc/subgid"; echo X)" ]
	[ "$(stat -c %a "$R/etc/subgid")" = 640 ]
	[ "$(stat -c %a "$R/etc/subuid")" = 644 ]
	sums=$(cd "$R/etc" && sha256sum passwd group subuid subgid)
	run envbox-xid subid --root "$R"
	assert_success
	assert_line --index 0 --regexp '^user coder [0-9]+ exists$'
	assert_line --index 1 "subuid coder:100000:65536 present"
	assert_line --index 2 "subgid coder:100000:65536 present"
	[ "$(cd "$R/etc" && sha256sum passwd group subuid subgid)" = "$sums" ]
	[ ! -e "$R/etc/subuid.lock" ]
	[ ! -e "$R/etc/subgid.lock" ]
	# Other options: another user and range.
	run envbox-xid subid --root "$R" --user dev --start 300000 --count 10
	assert_success
	assert_line --index 1 "subuid dev:300000:10 added"
	run tail -n 1 "$R/etc/subuid"
	assert_output dev:300000:10
}

@test "subid: an overlapping range is refused, naming its owner, before anything changes" {
	scratch_root
	printf 'alice:150000:100\n' >"$R/etc/subuid"
	sums=$(cd "$R/etc" && sha256sum passwd group subuid)
	run --separate-stderr envbox-xid subid --root "$R"
	[ "$status" -eq 1 ]
	[ "$stderr" = "envbox-xid: subid: $R/etc/subuid:1: range 100000:65536 overlaps alice's 150000:100 (\"alice:150000:100\")" ]
	# Not even the user was created; subgid was not made.
	[ "$(cd "$R/etc" && sha256sum passwd group subuid)" = "$sums" ]
	[ ! -e "$R/etc/subgid" ]
	# The user already holding another range.
	printf 'coder:x:990:990::/nonexistent:/usr/sbin/nologin\n' >>"$R/etc/passwd"
	printf '990:300000:65536\n' >"$R/etc/subuid"
	run --separate-stderr envbox-xid subid --root "$R"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$R/etc/subuid:1: coder already has the range \"990:300000:65536\", not 100000:65536"* ]] || fail "$stderr"
	# A held lock (a live process) is waited for, then reported.
	printf 'coder:100000:65536\n' >"$R/etc/subuid"
	echo $$ >"$R/etc/subgid.lock"
	run --separate-stderr envbox-xid subid --root "$R"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$R/etc/subgid is locked"* ]] || fail "$stderr"
	[ ! -e "$R/etc/subgid" ]
}

@test "subid: the real coder entry is left byte for byte as it is" {
	# As the entrypoint has always set it up (tests/entrypoint.bats too).
	id coder >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin coder
	grep -q '^coder:' /etc/subuid || echo coder:100000:65536 >>/etc/subuid
	grep -q '^coder:' /etc/subgid || echo coder:100000:65536 >>/etc/subgid
	sums=$(cd /etc && sha256sum passwd group subuid subgid)
	inodes=$(stat -c %i /etc/subuid /etc/subgid)
	run --separate-stderr envbox-xid subid
	assert_success
	assert_line --index 0 "user coder $(id -u coder) exists"
	assert_line --index 1 "subuid coder:100000:65536 present"
	assert_line --index 2 "subgid coder:100000:65536 present"
	[ "$(cd /etc && sha256sum passwd group subuid subgid)" = "$sums" ]
	[ "$(stat -c %i /etc/subuid /etc/subgid)" = "$inodes" ]
}
