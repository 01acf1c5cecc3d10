#!/usr/bin/env bats
# The multi-call binary, its install links and the entrypoint's dispatch.
load helpers

setup() {
	APPLETS=$(applet_names)
	[ -n "$APPLETS" ] || fail "envbox-bin --help lists no applets"
}

@test "make install puts the entrypoint, the binary and one link per applet in PREFIX/bin" {
	dest=$BATS_TEST_TMPDIR/dest
	run make -C "$BATS_TEST_DIRNAME/.." -s install DESTDIR="$dest" PREFIX=/opt/eb BUILD="${ENVBOX_BUILD:-build}"
	assert_success
	[ -x "$dest/opt/eb/bin/envbox" ]
	[ -x "$dest/opt/eb/bin/envbox-bin" ]
	head -1 "$dest/opt/eb/bin/envbox" | grep -q '^#!/bin/sh'
	for a in $APPLETS; do
		[ "$(readlink "$dest/opt/eb/bin/$a")" = envbox-bin ]
	done
}

@test "every applet answers --help on stdout with its usage, exit 0" {
	for a in $APPLETS; do
		run --separate-stderr "$a" --help
		assert_success
		[[ $output == Usage:\ $a* ]] || fail "$a --help: $output"
		[ -z "$stderr" ]
	done
}

@test "the binary dispatches on argv[1] by full or short applet name" {
	run envbox-bin envbox-wait --help
	assert_success
	assert_line --index 0 --partial "envbox-wait"
	run envbox-bin wait --help
	assert_success
	assert_line --index 0 --partial "envbox-wait"
}

@test "the binary lists its applets, and refuses an unknown one with exit 2" {
	run envbox-bin --help
	assert_success
	for a in $APPLETS; do assert_output --partial "$a"; done
	run envbox-bin
	assert_failure 2
	run envbox-bin frobnicate
	assert_failure 2
	assert_output --partial "unknown applet 'frobnicate'"
}

@test "every list of the applets written by hand agrees with the binary's own" {
	# The binary's table (applets/main.c) is the list; the Makefile's
	# APPLETS (install links, man pages), docs/, the README and the
	# entrypoint each name them again. An applet added to one and not the
	# rest fails here, naming the place.
	local root=$BATS_TEST_DIRNAME/.. want short got
	want=$(printf '%s\n' $APPLETS | sort)
	# `envbox docker` is the entrypoint's own; the other applets pass
	# through by their short names.
	short=$(printf '%s\n' $APPLETS | sed 's/^envbox-//' | grep -vx docker | sort)
	got=$(make -s --no-print-directory -C "$root" BUILD="${ENVBOX_BUILD:-build}" \
		--eval 'print-applets: ; @printf "%s\n" $(APPLETS)' print-applets | sort)
	[ "$got" = "$want" ] || fail "Makefile APPLETS: $(echo $got); the binary: $(echo $want)"
	got=$(cd "$root/docs" && ls envbox-*.md | sed 's/\.md$//' | sort)
	[ "$got" = "$want" ] || fail "docs/ pages: $(echo $got); the binary: $(echo $want)"
	got=$(awk '/^## /{p = ($2 == "Pieces")} p' "$root/README.md" |
		grep -o '^| `envbox-[a-z-]*`' | tr -d '|` ' | sort)
	[ "$got" = "$want" ] || fail "README's Pieces: $(echo $got); the binary: $(echo $want)"
	got=$(grep -B1 'exec "envbox-$cmd"' "$root/applets/envbox.sh" | head -1 | tr -d '\t )' | tr '|' '\n' | sort)
	[ "$got" = "$short" ] || fail "applets/envbox.sh's case: $(echo $got); the binary: $(echo $short)"
	got=$(envbox --help | sed -n 's/.*run one applet: //p' | tr -d ' ' | tr ',' '\n' | sort)
	[ "$got" = "$short" ] || fail "envbox --help: $(echo $got); the binary: $(echo $short)"
	got=$(sed -n 's/.*run one applet: //p' "$root/docs/envbox.md" | tr -d ' ' | tr ',' '\n' | sort)
	[ "$got" = "$short" ] || fail "docs/envbox.md's synopsis: $(echo $got); the binary: $(echo $short)"
	for a in $short; do
		run envbox "$a" --help
		assert_success
		assert_line --index 0 --partial "Usage: envbox-$a"
	done
}

@test "a link with an unknown applet name falls back to argv[1] dispatch" {
	ln -s "$ENVBOX_PREFIX/bin/envbox-bin" "$BATS_TEST_TMPDIR/envbox-nope"
	run "$BATS_TEST_TMPDIR/envbox-nope" wait --help
	assert_success
	assert_output --partial "envbox-wait"
}

@test "the entrypoint: --help, unknown command, applet pass-through" {
	run envbox --help
	assert_success
	assert_output --partial "envbox docker"
	run envbox
	assert_failure 2
	run envbox frobnicate
	assert_failure 2
	assert_output --partial "unknown command 'frobnicate'"
	run envbox wait --help
	assert_success
	assert_output --partial "Usage: envbox-wait"
}

@test "the entrypoint is clean under shellcheck" {
	command -v shellcheck >/dev/null || skip "shellcheck not installed"
	run shellcheck -s sh "$ENVBOX_PREFIX/bin/envbox"
	assert_success
}

@test "libcurl is loaded only by calls that speak HTTP" {
	# Not linked: calls without HTTP never open it, and need not have it.
	run ldd "$(command -v envbox-bin)"
	assert_success
	refute_output --partial libcurl
	export ENVBOX_LIBCURL=/nonexistent/libcurl.so.4
	run envbox-docker log info "no HTTP here"
	assert_success
	run envbox-mounts parse "/tmp:/x"
	assert_success
	# An HTTP call that cannot load it says so on one line, exit 1.
	run --separate-stderr envbox-docker api GET /version
	assert_failure 1
	[ "$stderr" = "envbox-docker: cannot load /nonexistent/libcurl.so.4: /nonexistent/libcurl.so.4: cannot open shared object file: No such file or directory" ]
}

@test "make bench's scripts are executable and parse (the bench itself is not run here)" {
	local f
	for f in "$BATS_TEST_DIRNAME"/../bench/*.sh; do
		[ -x "$f" ] || fail "$f is not executable"
		bash -n "$f" || fail "$f does not parse"
	done
}

@test "no test holds an assertion that cannot fail (scripts/lint-bats), and the lint finds one" {
	local root=$BATS_TEST_DIRNAME/..
	run "$root/scripts/lint-bats" "$root"/tests/*.bats "$root"/tests/vm/*.bats
	assert_success
	assert_output ""
	# Each pattern it is for, not last in its test; and what is allowed.
	# (printf: bats would take a test line in a here-document for its own.)
	printf '%s\n' '@test "bad" {' \
		'	! grep -q x /dev/null' \
		'	[ -z "$a" ] && [ -z "$b" ]' \
		'	true && [ -n "$c" ]' \
		'	grep -q y /dev/null && ! false' \
		'	true' \
		'}' \
		'@test "good" {' \
		'	run ! grep -q x /dev/null' \
		'	[ -z "$a" ] || fail "a"' \
		'	for i in 1 2; do [ -e /x ] && break; done' \
		'	[[ -z $a && -z $b ]]' \
		'	! grep -q x /dev/null' \
		'}' >"$BATS_TEST_TMPDIR/bad.bats"
	run "$root/scripts/lint-bats" "$BATS_TEST_TMPDIR/bad.bats"
	assert_failure 1
	assert_line --index 0 "$BATS_TEST_TMPDIR/bad.bats:2: ! grep -q x /dev/null"
	assert_line --index 1 --partial 'bad.bats:3: [ -z "$a" ] && [ -z "$b" ]'
	assert_line --index 2 --partial 'bad.bats:4: true && [ -n "$c" ]'
	assert_line --index 3 --partial 'bad.bats:5: grep -q y /dev/null && ! false'
	[ "${#lines[@]}" -eq 4 ] || fail "$output"
}
