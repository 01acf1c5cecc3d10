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
