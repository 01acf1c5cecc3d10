#!/usr/bin/env bats
# docs/ stays in step with --help: every applet has a page, and every option
# and command its --help names appears on that page.
load helpers

setup() {
	APPLETS=$(applet_names)
	[ -n "$APPLETS" ] || fail "envbox-bin --help lists no applets"
}

@test "every applet and the entrypoint have a docs page" {
	for a in $APPLETS envbox; do
		[ -s "$BATS_TEST_DIRNAME/../docs/$a.md" ] || fail "docs/$a.md missing"
	done
}

@test "every --option in an applet's --help appears on its docs page" {
	for a in $APPLETS; do
		page=$BATS_TEST_DIRNAME/../docs/$a.md
		for opt in $("$a" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
			grep -q -- "$opt" "$page" || fail "$a --help names $opt, docs/$a.md does not"
		done
	done
}

@test "every envbox-docker command appears as a section of its page" {
	page=$BATS_TEST_DIRNAME/../docs/envbox-docker.md
	for cmd in pull probe prune create start stop rm exec wait config dockerd-args log logs-to-coder api; do
		grep -q "^## $cmd\$" "$page" || fail "docs/envbox-docker.md has no '## $cmd'"
	done
}
