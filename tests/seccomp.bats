#!/usr/bin/env bats
# The nesting workspace's seccomp profile (profiles/seccomp-nesting.json,
# docs/nesting.md): in step with scripts/seccomp-profile --debian, i.e.
# Debian's default.json of the installed docker.io's version (downloaded
# once into /var/cache/envbox-test/seccomp) plus envbox's one rule, and
# nothing more; installed where envbox-docker create --nesting reads it.
load helpers
bats_require_minimum_version 1.5.0

ROOT=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
PROFILE=$ROOT/profiles/seccomp-nesting.json

# The Debian default, as the package has it, in $BATS_TEST_TMPDIR.
debian_default() {
	"$ROOT/scripts/seccomp-profile" --debian-default >"$BATS_TEST_TMPDIR/default.json"
	[ -s "$BATS_TEST_TMPDIR/default.json" ]
	jq -e 'type == "object"' "$BATS_TEST_TMPDIR/default.json" >/dev/null
}

@test "seccomp-profile --debian makes profiles/seccomp-nesting.json byte for byte" {
	"$ROOT/scripts/seccomp-profile" --debian >"$BATS_TEST_TMPDIR/made.json"
	[ -s "$BATS_TEST_TMPDIR/made.json" ]
	run diff -u "$PROFILE" "$BATS_TEST_TMPDIR/made.json"
	assert_success
	assert_output ''
}

@test "seccomp-profile: the profile is Debian's default plus one rule: add_key, keyctl, pivot_root, request_key with CAP_SYS_ADMIN" {
	debian_default
	# Every rule of the default, unchanged and in order, then one more.
	run jq -n --slurpfile p "$PROFILE" --slurpfile d "$BATS_TEST_TMPDIR/default.json" \
		'$p[0].syscalls[:-1] == $d[0].syscalls'
	assert_output true
	run jq -n --slurpfile p "$PROFILE" --slurpfile d "$BATS_TEST_TMPDIR/default.json" \
		'($p[0].syscalls | length) - ($d[0].syscalls | length)'
	assert_output 1
	# Every other key (defaultAction, archMap...) the default's.
	run jq -n --slurpfile p "$PROFILE" --slurpfile d "$BATS_TEST_TMPDIR/default.json" \
		'($p[0] | del(.syscalls)) == ($d[0] | del(.syscalls))'
	assert_output true
	run jq -c '.syscalls[-1] | [(.names | sort), .action, .args, .includes.caps]' "$PROFILE"
	assert_output '[["add_key","keyctl","pivot_root","request_key"],"SCMP_ACT_ALLOW",[],["CAP_SYS_ADMIN"]]'
	# Nothing else narrows or widens it (arches, kernels, excluded caps).
	run jq -c '.syscalls[-1] | [.includes, .excludes]' "$PROFILE"
	assert_output '[{"caps":["CAP_SYS_ADMIN"]},{}]'
}

@test "seccomp-profile: the profile never allows everything; make install puts it where create --nesting reads it" {
	run jq -r .defaultAction "$PROFILE"
	assert_output SCMP_ACT_ERRNO
	run jq -r '.defaultAction // "none"' "$ENVBOX_PREFIX/share/envbox/seccomp-nesting.json"
	assert_output SCMP_ACT_ERRNO
	run cmp "$PROFILE" "$ENVBOX_PREFIX/share/envbox/seccomp-nesting.json"
	assert_success
}

@test "seccomp-profile: --debian-default and --debian take no argument; a failed download is exit 1, never an empty profile" {
	run "$ROOT/scripts/seccomp-profile" --debian extra
	assert_failure 1
	assert_output "seccomp-profile: --debian takes no argument"
	run "$ROOT/scripts/seccomp-profile" --debian-default extra
	assert_failure 1
	# A cache that cannot be made: the script fails, nothing on stdout.
	run --separate-stderr env ENVBOX_CACHE_DIR=/proc/no-such-dir "$ROOT/scripts/seccomp-profile" --debian
	assert_failure 1
	assert_output ''
}
