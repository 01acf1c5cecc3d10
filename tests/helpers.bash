# Shared set-up for the bats suites: load with `load helpers`.
bats_require_minimum_version 1.5.0
# The suites drive the installed applets: ENVBOX_PREFIX is the install prefix
# (`make bats` installs into build/root and sets it).
bats_load_library bats-support
bats_load_library bats-assert

: "${ENVBOX_PREFIX:?run the suites through make bats (ENVBOX_PREFIX unset)}"
PATH="$ENVBOX_PREFIX/bin:$PATH"
export PATH
FIXTURES="$BATS_TEST_DIRNAME/fixtures"
export FIXTURES

# The user dockerd --userns-remap=coder maps to and its subordinate ranges
# (CI runs on a fresh machine).
ensure_remap_user() {
	id coder >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin coder
	grep -q '^coder:' /etc/subuid || echo coder:100000:65536 >>/etc/subuid
	grep -q '^coder:' /etc/subgid || echo coder:100000:65536 >>/etc/subgid
}

# The applets as the binary names them (`envbox-bin --help`, from the table
# in applets/main.c), one a line: the suites' list, never one of their own.
applet_names() {
	envbox-bin --help | awk '/^  envbox-/ { print $1 }'
}
