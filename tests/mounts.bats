#!/usr/bin/env bats
# envbox-mounts: CODER_MOUNTS into spec lines, and the mount holding a path.
load helpers
bats_require_minimum_version 1.5.0

MI="$FIXTURES/mountinfo"

setup() {
	unset CODER_MOUNTS
}

teardown() {
	# Mounts made by a test, deepest first; a failure here must not hide
	# the test's own result, but must not leave a mount behind silently.
	if [ -n "${MNT:-}" ]; then
		umount "$MNT/ro" 2>/dev/null || true
		umount "$MNT" 2>/dev/null || true
	fi
}

# --- parse ---------------------------------------------------------------

@test "mounts: --help prints usage on stdout with every command" {
	run --separate-stderr envbox-mounts --help
	assert_success
	assert_line --index 0 --partial "Usage: envbox-mounts parse"
	assert_output --partial "mountinfo [--mountinfo FILE]"
	assert_output --partial "prepare"
	assert_output --partial "Exit codes: 0 done, 1 failed"
	[ -z "$stderr" ]
	run envbox-mounts parse --help
	assert_success
	assert_line --index 0 --partial "Usage: envbox-mounts"
}

@test "mounts: no command, an unknown command or option is a usage error" {
	run --separate-stderr envbox-mounts
	[ "$status" -eq 2 ]
	[[ $stderr == *"expected a command"* ]]
	[[ $stderr == *"Try 'envbox-mounts --help'."* ]]
	run --separate-stderr envbox-mounts mount /a:/b
	[ "$status" -eq 2 ]
	[[ $stderr == *"unknown command 'mount'"* ]]
	run --separate-stderr envbox-mounts parse --yaml /a:/b
	[ "$status" -eq 2 ]
	[[ $stderr == *"unknown option '--yaml'"* ]]
	run --separate-stderr envbox-mounts parse /a:/b /c:/d
	[ "$status" -eq 2 ]
	[[ $stderr == *"one VALUE at most"* ]]
	[ -z "$output" ]
}

@test "mounts parse: CODER_MOUNTS into bind lines, in order, rw by default" {
	export CODER_MOUNTS=/home/coder:/home/coder,/var/run/mysecret:/var/run/mysecret:ro,/z:/a:rw
	run --separate-stderr envbox-mounts parse
	assert_success
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 3 ]
	assert_line --index 0 "bind /home/coder /home/coder rw"
	assert_line --index 1 "bind /var/run/mysecret /var/run/mysecret ro"
	assert_line --index 2 "bind /z /a rw"
}

@test "mounts parse: an argument is parsed instead of CODER_MOUNTS" {
	export CODER_MOUNTS=/from/env:/env
	run envbox-mounts parse /from/arg:/arg:ro
	assert_success
	assert_output "bind /from/arg /arg ro"
	# An empty argument means no mounts, whatever the variable says.
	run envbox-mounts parse ""
	assert_success
	assert_output ""
	# "--" lets a value start with "-" (and then be refused as relative).
	run --separate-stderr envbox-mounts parse -- -a:/b
	[ "$status" -eq 2 ]
	[[ $stderr == *'argument entry "-a:/b": source "-a" is not an absolute path'* ]]
}

@test "mounts parse: unset or empty CODER_MOUNTS prints nothing, exit 0" {
	run --separate-stderr envbox-mounts parse
	assert_success
	[ -z "$output" ] || fail "stdout: $output"
	[ -z "$stderr" ] || fail "stderr: $stderr"
	CODER_MOUNTS= run --separate-stderr envbox-mounts parse
	assert_success
	[ -z "$output" ] && [ -z "$stderr" ]
}

# Each malformed class: exit 2, nothing on stdout, the entry named on stderr,
# with where the value came from.
malformed() {
	local value=$1 want=$2
	CODER_MOUNTS=$value run --separate-stderr envbox-mounts parse
	[ "$status" -eq 2 ] || fail "CODER_MOUNTS=$value: exit $status"
	[ -z "$output" ] || fail "CODER_MOUNTS=$value printed: $output"
	[[ $stderr == "envbox-mounts: CODER_MOUNTS $want"* ]] ||
		fail "CODER_MOUNTS=$value: stderr: $stderr"
	run --separate-stderr envbox-mounts parse "$value"
	[ "$status" -eq 2 ] || fail "argument $value: exit $status"
	[[ $stderr == "envbox-mounts: argument $want"* ]] ||
		fail "argument $value: stderr: $stderr"
}

@test "mounts parse: one field or four fields exit 2 naming the entry" {
	malformed /a 'entry "/a": expected src:dst[:ro|rw]'
	malformed /ok:/ok,a:b:c:d 'entry "a:b:c:d": expected src:dst[:ro|rw]'
	malformed /a:/b:ro:x 'entry "/a:/b:ro:x": expected src:dst[:ro|rw]'
}

@test "mounts parse: an empty source or destination exits 2" {
	malformed :/b 'entry ":/b": empty source'
	malformed /a: 'entry "/a:": empty destination'
	malformed /a::ro 'entry "/a::ro": empty destination'
}

@test "mounts parse: a relative path exits 2" {
	malformed home:/home 'entry "home:/home": source "home" is not an absolute path'
	malformed /home:home 'entry "/home:home": destination "home" is not an absolute path'
}

@test "mounts parse: an unknown option exits 2" {
	malformed /a:/b:rx 'entry "/a:/b:rx": unknown option "rx" (expected ro or rw)'
	malformed /a:/b:RO 'entry "/a:/b:RO": unknown option "RO" (expected ro or rw)'
	malformed /a:/b: 'entry "/a:/b:": unknown option "" (expected ro or rw)'
}

@test "mounts parse: whitespace in a path exits 2 (spec lines cannot hold it)" {
	malformed "/my dir:/b" 'entry "/my dir:/b": source "/my dir" contains whitespace'
	malformed "/a:/b,/c: /d" 'entry "/c: /d": destination " /d" is not an absolute path'
	malformed $'/a:/b\n' 'entry "/a:/b\x0a": destination "/b\x0a" contains whitespace'
}

@test "mounts parse: an empty entry (stray comma) exits 2" {
	malformed /a:/b,,/c:/d "entry 2 of \"/a:/b,,/c:/d\" is empty (a stray ',')"
	malformed /a:/b, "entry 2 of \"/a:/b,\" is empty (a stray ',')"
	malformed ,/a:/b "entry 1 of \",/a:/b\" is empty (a stray ',')"
}

@test "mounts parse: a destination given twice exits 2" {
	malformed /a:/b,/c:/b:ro 'entry "/c:/b:ro": destination "/b" already used by entry "/a:/b"'
}

@test "mounts parse --json: the same mounts as a JSON array" {
	export CODER_MOUNTS='/home/coder:/home/coder,/s:/d:ro,/données:/x'
	run envbox-mounts parse --json
	assert_success
	run python3 -c '
import json, sys
v = json.load(sys.stdin)
assert v == [
    {"src": "/home/coder", "dst": "/home/coder", "ro": False},
    {"src": "/s", "dst": "/d", "ro": True},
    {"src": "/données", "dst": "/x", "ro": False},
], v
print("ok")' <<<"$output"
	assert_success
	assert_output ok
	run envbox-mounts parse --json ""
	assert_success
	assert_output "[]"
	run --separate-stderr envbox-mounts parse --json /a
	[ "$status" -eq 2 ]
	[ -z "$output" ]
}

# --- mountinfo -----------------------------------------------------------

@test "mounts mountinfo: the mount holding each path in a fixture" {
	run --separate-stderr envbox-mounts mountinfo --mountinfo "$MI/optional-escapes" \
		/var/lib/docker/overlay2 "/mnt/my disk/f" /home/coder /etc /mnt/over
	assert_success
	[ -z "$stderr" ]
	assert_line --index 0 "/var/lib/docker/overlay2 /var/lib/docker ext4 /dev/sdb rw"
	assert_line --index 1 '/mnt/my\040disk/f /mnt/my\040disk ext4 /dev/sdc\040x ro'
	assert_line --index 2 "/home/coder /home/coder xfs /dev/sdd ro"
	assert_line --index 3 "/etc / ext4 /dev/nvme0n1p2 rw"
	assert_line --index 4 "/mnt/over /mnt/over tmpfs second rw"
}

@test "mounts mountinfo: escapes and an empty source are printed so lines still split" {
	run envbox-mounts mountinfo --mountinfo="$MI/optional-escapes" $'/mnt/tab\tnl\nbs\\/x'
	assert_success
	assert_output '/mnt/tab\011nl\012bs\134/x /mnt/tab\011nl\012bs\134 tmpfs - rw'
}

@test "mounts mountinfo: the live-container fixture (/ listed after /proc)" {
	run envbox-mounts mountinfo --mountinfo "$MI/live-container" / /proc/1 /sys/fs/cgroup/pids/x \
		/mnt/sandboxing/model_tools_env/v1/python
	assert_success
	assert_line --index 0 "/ / ext4 /dev/vda rw"
	assert_line --index 1 "/proc/1 /proc proc proc rw"
	assert_line --index 2 "/sys/fs/cgroup/pids/x /sys/fs/cgroup/pids cgroup cgroup rw"
	assert_line --index 3 "/mnt/sandboxing/model_tools_env/v1/python /mnt/sandboxing/model_tools_env/v1/python tmpfs model_tools_unavailable ro"
}

@test "mounts mountinfo --json: every field, for people and tools" {
	run envbox-mounts mountinfo --json --mountinfo "$MI/optional-escapes" "/mnt/my disk" /home/coder
	assert_success
	run python3 -c '
import json, sys
a, b = json.load(sys.stdin)
assert a["path"] == "/mnt/my disk" and a["target"] == "/mnt/my disk", a
assert a["source"] == "/dev/sdc x" and a["fstype"] == "ext4", a
assert a["ro"] and a["mount_ro"] and not a["superblock_ro"], a
assert a["optional_fields"] == "shared:41 propagate_from:1", a
assert (a["id"], a["parent"], a["major"], a["minor"]) == (102, 26, 8, 32), a
assert b["ro"] and not b["mount_ro"] and b["superblock_ro"], b
assert b["superblock_options"] == "ro,attr2,inode64", b
print("ok")' <<<"$output"
	assert_success
	assert_output ok
}

@test "mounts mountinfo: a malformed or missing table exits 1 naming it" {
	run --separate-stderr envbox-mounts mountinfo --mountinfo "$MI/malformed" /
	[ "$status" -eq 1 ]
	[[ $stderr == "envbox-mounts: $MI/malformed:3: missing \" - \" separator" ]] || fail "$stderr"
	run --separate-stderr envbox-mounts mountinfo --mountinfo "$MI/nope" /
	[ "$status" -eq 1 ]
	[[ $stderr == *"$MI/nope"*"No such file or directory"* ]] || fail "$stderr"
}

@test "mounts mountinfo: no mount holding the path exits 1" {
	printf '2 1 8:2 / /var/lib rw - ext4 /dev/sda2 rw\n' >"$BATS_TEST_TMPDIR/mi"
	run --separate-stderr envbox-mounts mountinfo --mountinfo "$BATS_TEST_TMPDIR/mi" /etc
	[ "$status" -eq 1 ]
	[[ $stderr == "envbox-mounts: no mount in $BATS_TEST_TMPDIR/mi holds /etc" ]] || fail "$stderr"
}

@test "mounts mountinfo: bad arguments are usage errors" {
	run --separate-stderr envbox-mounts mountinfo
	[ "$status" -eq 2 ]
	[[ $stderr == *"expected at least one PATH"* ]]
	run --separate-stderr envbox-mounts mountinfo --mountinfo "$MI/live-container" etc
	[ "$status" -eq 2 ]
	[[ $stderr == *'PATH "etc" must be absolute with --mountinfo'* ]]
	run --separate-stderr envbox-mounts mountinfo --mountinfo
	[ "$status" -eq 2 ]
	[[ $stderr == *"option --mountinfo needs a value"* ]]
	run --separate-stderr envbox-mounts mountinfo --bogus /
	[ "$status" -eq 2 ]
}

@test "mounts mountinfo: the live table, / and a tmpfs mounted by the test" {
	run envbox-mounts mountinfo /
	assert_success
	[[ $output == "/ / "* ]] || fail "$output"
	[ "$(id -u)" -eq 0 ] || skip "mounting a tmpfs needs root"
	mkdir -p "$BATS_TEST_TMPDIR/mnt"
	MNT=$(realpath "$BATS_TEST_TMPDIR/mnt") # mountinfo holds real paths
	mount -t tmpfs -o size=1m "envbox test" "$MNT" || skip "cannot mount tmpfs here"
	mkdir -p "$MNT/sub/dir" "$MNT/ro"
	mount -t tmpfs -o ro,size=1m envbox-ro "$MNT/ro"
	ln -s "$MNT/sub" "$BATS_TEST_TMPDIR/link"
	run --separate-stderr envbox-mounts mountinfo "$MNT/sub/dir" "$MNT/ro" \
		"$BATS_TEST_TMPDIR/link/dir" "$MNT/not/there/yet"
	assert_success
	assert_line --index 0 "$MNT/sub/dir $MNT tmpfs envbox\\040test rw"
	assert_line --index 1 "$MNT/ro $MNT/ro tmpfs envbox-ro ro"
	# A symlink is followed on the live table: it leads into the tmpfs.
	assert_line --index 2 "$BATS_TEST_TMPDIR/link/dir $MNT tmpfs envbox\\040test rw"
	assert_line --index 3 "$MNT/not/there/yet $MNT tmpfs envbox\\040test rw"
	# Relative paths work on the live table.
	cd "$MNT/sub"
	run envbox-mounts mountinfo dir
	assert_success
	assert_output "dir $MNT tmpfs envbox\\040test rw"
	cd /
	umount "$MNT/ro"
	run envbox-mounts mountinfo "$MNT/ro"
	assert_output "$MNT/ro $MNT tmpfs envbox\\040test rw"
}

# prepare: tests/mounts-prepare.bats (it needs root).
