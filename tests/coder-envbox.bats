#!/usr/bin/env bats
# envbox docker with CODER_AGENT_URL: the build log reaches Coder (a fake
# one, tests/lib/coder-server.py) as the agent's startup logs, line for line
# as the pod's log shows it, under the log source "envbox" (the nil UUID
# from a Coder without log sources); a Coder that is untrusted, down or slow
# never stops or fails startup.
bats_require_minimum_version 1.5.0
load helpers
load lib/dockerd
load lib/registry
load lib/envbox

TOKEN=agent-token-3nv60x-c0d3r-51e2
SERVER=$BATS_TEST_DIRNAME/lib/coder-server.py
ENVBOX_SOURCE=e9e10f35-dd0d-44a6-baa3-fb1d15efa478
NIL_SOURCE=00000000-0000-0000-0000-000000000000

setup_file() {
	ensure_remap_user
	registry_start
	push_workspace_image ws/plain:1
}

teardown_file() {
	registry_stop
}

setup() {
	envbox_env_dir
	C=$EB_DIR/coder
	mkdir -p "$C"
	CODER_PID=
}

teardown() {
	envbox_stop || true
	[ -z "$CODER_PID" ] || kill "$CODER_PID" 2>/dev/null || true
	envbox_cleanup
}

# coder_start [coder-server.py options]: sets CODER_PORT.
coder_start() {
	python3 "$SERVER" --port-file "$C/port" --record "$C/requests" "$@" 3>&- &
	CODER_PID=$!
	for _ in $(seq 100); do
		[ -s "$C/port" ] && break
		sleep 0.05
	done
	CODER_PORT=$(cat "$C/port")
}

# An https Coder whose certificate no one here trusts.
make_cert() {
	local key="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	# shellcheck disable=SC2086
	openssl req -x509 $key -keyout "$C/ca.key" -out "$C/ca.crt" -subj /CN=untrusted-ca -days 2 2>/dev/null
	# shellcheck disable=SC2086
	openssl req $key -keyout "$C/srv.key" -out "$C/srv.csr" -subj /CN=localhost 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' >"$C/ext"
	openssl x509 -req -in "$C/srv.csr" -CA "$C/ca.crt" -CAkey "$C/ca.key" -CAcreateserial \
		-out "$C/srv.crt" -days 2 -extfile "$C/ext" 2>/dev/null
}

# The outputs Coder got, one a line, in order.
coder_outputs() {
	python3 - "$C/requests" <<'PY'
import json, sys
try:
    lines = open(sys.argv[1]).readlines()
except FileNotFoundError:
    lines = []
for line in lines:
    r = json.loads(line)
    if r["method"] == "PATCH":
        for e in r["body"]["logs"]:
            print(e["level"], e["output"].replace("\n", " "))
PY
}

# wait_for_coder TEXT [SECONDS]: until Coder has an entry containing TEXT.
wait_for_coder() {
	for _ in $(seq $((${2:-15} * 10))); do
		coder_outputs | grep -qF "$1" && return 0
		sleep 0.1
	done
	echo "Coder did not get \"$1\"; it has:" >&2
	coder_outputs >&2
	return 1
}

warnings() {
	grep -c 'unable to send startup logs to Coder' "$EB_OUT" || true
}

# check_source ID: the build info was asked for first, the log source
# registered next (once), and every PATCH came after it under ID.
check_source() {
	python3 - "$C/requests" "$1" "$ENVBOX_SOURCE" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
want, ours = sys.argv[2:4]
assert [r["method"] for r in rs[:2]] == ["GET", "POST"], [r["method"] for r in rs[:3]]
assert rs[1]["path"] == "/api/v2/workspaceagents/me/log-source", rs[1]
assert rs[1]["body"] == {"id": ours, "display_name": "envbox", "icon": "/icon/docker.svg"}, rs[1]
assert [r["method"] for r in rs].count("POST") == 1
patches = [r for r in rs if r["method"] == "PATCH"]
assert patches and all(r["body"]["log_source_id"] == want for r in patches), patches[:1]
print("ok", len(patches))
PY
}

@test "the startup log reaches Coder line for line, with the token, and stays in the pod's log" {
	coder_start
	envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=coder \
		CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_URL="http://127.0.0.1:$CODER_PORT" \
		CODER_BOOTSTRAP_SCRIPT='echo "bootstrap says hi"'
	wait_for_coder "Envbox startup complete!"
	wait_for_coder "bootstrap says hi"
	run coder_outputs
	assert_line --partial "info Waiting for dockerd to startup..."
	assert_line "info Creating workspace..."
	assert_line "info Envbox startup complete!"
	# Every request carried the token; the first asked for the build info.
	run python3 -c '
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
assert rs[0]["method"] == "GET" and rs[0]["path"] == "/api/v2/buildinfo", rs[0]
assert all(r["token"] == sys.argv[2] for r in rs)
print(len(rs))' "$C/requests" "$TOKEN"
	assert_success
	# Under envbox's own log source, registered before the first line.
	run check_source "$ENVBOX_SOURCE"
	assert_success
	assert_output --partial ok
	# The pod's log is unchanged: JSON lines, one done, and the same
	# entries Coder got, in the same order (done aside). Coder's record is
	# read first: what it has was in the pod's log before.
	run python3 - "$EB_OUT" "$C/requests" <<'PY'
import json, sys, time
for attempt in range(50):
    got = []
    for line in open(sys.argv[2]):
        r = json.loads(line)
        if r["method"] == "PATCH":
            got += [(e["level"], e["output"], e["created_at"]) for e in r["body"]["logs"]]
    local = [json.loads(l) for l in open(sys.argv[1])]
    want = [(o["type"], o["output"], o["time"]) for o in local if o["type"] != "done"]
    if got == want:
        break
    time.sleep(0.2)
assert all(set(o) == {"output", "time", "type"} for o in local)
assert [o["type"] for o in local].count("done") == 1
assert got == want, (got, want)
print("ok")
PY
	assert_success
	assert_output ok
	[ "$(warnings)" -eq 0 ]
	run ! grep -qF "$TOKEN" "$EB_OUT"
	run ! grep -rqF "$TOKEN" "$EB_DIR/log"
	# The entrypoint lets the last lines reach Coder before it exits.
	envbox_stop
	run coder_outputs
	assert_line --partial "Got a signal: shutting down the workspace"
}

@test "an error at startup reaches Coder as an error entry (a Coder without log sources: the nil UUID)" {
	coder_start --log-source 404
	run envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=nosuchuser \
		CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_URL="http://127.0.0.1:$CODER_PORT"
	assert_failure
	run envbox_wait_exit 30
	assert_failure 1
	wait_for_coder "nosuchuser"
	run coder_outputs
	assert_line --regexp '^error .*nosuchuser'
	assert_line --partial "error Failed to run envbox"
	run check_source "$NIL_SOURCE"
	assert_success
	run ! grep -q 'log source' "$EB_OUT"
}

@test "a Coder with an untrusted certificate does not stop startup: one warning, nothing sent" {
	make_cert
	coder_start --tls "$C/srv.crt" "$C/srv.key"
	envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=coder \
		CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_URL="https://127.0.0.1:$CODER_PORT"
	[ "$(warnings)" -eq 1 ]
	grep -q 'its certificate is not trusted' "$EB_OUT"
	[ -z "$(coder_outputs)" ]
	run ! grep -qF "$TOKEN" "$EB_OUT"
	envbox_stop
}

@test "the same Coder trusted through CODER_EXTRA_CERTS_PATH gets the log" {
	make_cert
	coder_start --tls "$C/srv.crt" "$C/srv.key"
	envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=coder \
		CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_URL="https://127.0.0.1:$CODER_PORT" \
		CODER_EXTRA_CERTS_PATH="$C/ca.crt"
	wait_for_coder "Envbox startup complete!"
	[ "$(warnings)" -eq 0 ]
	envbox_stop
}

@test "a Coder that is down or slow does not stop or hold up startup" {
	local t0 down_ms slow_ms down_stop_ms
	# Down: nothing listens. The baseline for the slow one.
	t0=$(date +%s%N)
	envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=coder \
		CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_URL="http://127.0.0.1:1"
	down_ms=$((($(date +%s%N) - t0) / 1000000))
	envbox_stop
	down_stop_ms=$EB_STOP_MS
	envbox_cleanup
	envbox_env_dir
	C=$EB_DIR/coder
	mkdir -p "$C"
	# Slow: every answer takes 30 s. Waiting on it even once would add
	# 30 s to startup; the client's limits (2 s to connect, 5 s a
	# request) and the pass-through mean it adds nothing.
	coder_start --mode slow --slow-s 30
	t0=$(date +%s%N)
	envbox_start CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" CODER_INNER_USERNAME=coder \
		CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_URL="http://127.0.0.1:$CODER_PORT"
	slow_ms=$((($(date +%s%N) - t0) / 1000000))
	echo "# startup: ${down_ms} ms with Coder down, ${slow_ms} ms with a slow Coder" >&3
	((slow_ms < down_ms + 15000)) || fail "a slow Coder held startup up: $slow_ms ms against $down_ms"
	# The stop is not held up by Coder either: the entrypoint's own
	# shutdown, plus at most the 5 s drain of the log.
	envbox_stop
	echo "# stop: ${down_stop_ms} ms with Coder down, $EB_STOP_MS ms with a slow Coder" >&3
	((EB_STOP_MS < down_stop_ms + 15000)) || fail "a slow Coder held the stop up: $EB_STOP_MS ms"
}
