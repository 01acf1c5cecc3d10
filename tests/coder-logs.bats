#!/usr/bin/env bats
# envbox-docker logs-to-coder: the build log passed through unchanged and
# sent to a fake Coder (tests/lib/coder-server.py) over http and https,
# under the log source "envbox" where Coder takes it; a Coder that is
# untrusted, down, slow or failing costs bounded time and one warning line,
# never the log.
bats_require_minimum_version 1.5.0
load helpers

TOKEN=agent-token-c0d3r-7e41a9b25f
SERVER=$BATS_TEST_DIRNAME/lib/coder-server.py
# envbox's log source (lib/coderlog.h), and Coder's default one.
ENVBOX_SOURCE=e9e10f35-dd0d-44a6-baa3-fb1d15efa478
NIL_SOURCE=00000000-0000-0000-0000-000000000000

setup() {
	T=$(mktemp -d /tmp/ebt-cl-XXXXXX)
	CODER_PID=
	# The log source sent() expects every PATCH to carry.
	SOURCE_ID=$ENVBOX_SOURCE
	unset CODER_AGENT_URL CODER_AGENT_TOKEN CODER_EXTRA_CERTS_PATH CODER_DEBUG
	export ENVBOX_LOG_FORMAT=json
}

teardown() {
	[ -z "$CODER_PID" ] || kill "$CODER_PID" 2>/dev/null || true
	[ -z "${LTC_PID:-}" ] || kill -KILL "$LTC_PID" 2>/dev/null || true
	rm -rf "$T"
}

# coder_start [coder-server.py options]: the fake Coder; sets PORT.
coder_start() {
	rm -f "$T/port"
	# Not holding a test's FIFO (fd 4) open: the reader would never see its end.
	python3 "$SERVER" --port-file "$T/port" --record "$T/requests" "$@" 3>&- 4>&- &
	CODER_PID=$!
	for _ in $(seq 100); do
		[ -s "$T/port" ] && break
		sleep 0.05
	done
	PORT=$(cat "$T/port")
}

# make_ca: a throw-away CA and a certificate for 127.0.0.1 signed by it.
make_ca() {
	local key="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
	# shellcheck disable=SC2086
	openssl req -x509 $key -keyout "$T/ca.key" -out "$T/ca.crt" \
		-subj /CN=envbox-test-coder-ca -days 2 2>/dev/null
	# shellcheck disable=SC2086
	openssl req $key -keyout "$T/srv.key" -out "$T/srv.csr" -subj /CN=localhost 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$T/ext"
	openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" \
		-CAcreateserial -out "$T/srv.crt" -days 2 -extfile "$T/ext" 2>/dev/null
}

# log_lines N: N info entries, as the entrypoint writes them, into $T/in.
log_lines() {
	for i in $(seq "$1"); do
		envbox-docker log info "startup line $i" 2>>"$T/in"
	done
}

# ltc [VAR=VALUE...]: logs-to-coder with $T/in on stdin, the agent token
# and the variables given; stdout to $T/out, stderr to $T/err. Sets STATUS
# and ELAPSED (ms).
ltc() {
	local t0
	t0=$(date +%s%N)
	STATUS=0
	env CODER_AGENT_TOKEN="$TOKEN" "$@" envbox-docker logs-to-coder <"$T/in" >"$T/out" 2>"$T/err" || STATUS=$?
	ELAPSED=$((($(date +%s%N) - t0) / 1000000))
}

# split_err: $T/err without our warning lines is $T/err.rest (to compare
# with the input byte for byte); the warnings' outputs are $T/warnings,
# those about the log source $T/source-warnings.
split_err() {
	python3 - "$T/err" "$T/err.rest" "$T/warnings" "$T/source-warnings" <<'PY'
import json, sys
rest, warnings, source = [], [], []
for line in open(sys.argv[1], "rb").read().splitlines(keepends=True):
    try:
        o = json.loads(line)
        out = str(o.get("output", "")) if isinstance(o, dict) else ""
        if out.startswith("warning: unable to send startup logs to Coder"):
            warnings.append(out)
            continue
        if out.startswith("warning: Coder at ") and "log source" in out:
            source.append(out)
            continue
    except ValueError:
        pass
    rest.append(line)
open(sys.argv[2], "wb").write(b"".join(rest))
open(sys.argv[3], "w").write("".join(w + "\n" for w in warnings))
open(sys.argv[4], "w").write("".join(w + "\n" for w in source))
PY
	WARNINGS=$(wc -l <"$T/warnings")
	SOURCE_WARNINGS=$(wc -l <"$T/source-warnings")
}

# sent: every entry Coder got, one JSON object a line, in order, after
# checking each request's shape: the build info first, then the log
# source's registration, then PATCHes under $SOURCE_ID (a GET starts the
# next run).
sent() {
	python3 - "$T/requests" "$TOKEN" "$SOURCE_ID" "$ENVBOX_SOURCE" <<'PY'
import json, sys
token, source_id, ours = sys.argv[2:5]
registered = False
for line in open(sys.argv[1]):
    r = json.loads(line)
    assert r["token"] == token, r["token"]
    if r["method"] == "GET":
        assert r["path"] == "/api/v2/buildinfo", r
        registered = False
        continue
    if r["method"] == "POST":
        assert r["path"] == "/api/v2/workspaceagents/me/log-source", r
        assert r["content_type"] == "application/json", r
        assert r["body"] == {"id": ours, "display_name": "envbox", "icon": "/icon/docker.svg"}, r
        assert not registered, "registered twice in one run"
        registered = True
        continue
    assert r["method"] == "PATCH" and r["path"] == "/api/v2/workspaceagents/me/logs", r
    assert registered, "a PATCH before the log source's registration"
    assert r["content_type"] == "application/json", r
    b = r["body"]
    assert set(b) == {"log_source_id", "logs"}, b
    assert b["log_source_id"] == source_id, b
    assert b["logs"], b
    for e in b["logs"]:
        assert set(e) == {"created_at", "output", "level"}, e
        assert e["level"] in ("info", "error"), e
        assert len(e["output"].encode()) <= 1024, len(e["output"].encode())
        print(json.dumps(e))
PY
}

requests() {
	python3 -c 'import json,sys; [print(json.loads(l)["method"]) for l in open(sys.argv[1])]' "$T/requests" 2>/dev/null
}

@test "logs-to-coder is in --help; arguments are a usage error" {
	run envbox-docker --help
	assert_success
	assert_output --partial "logs-to-coder"
	assert_output --partial 'under the log source "envbox"'
	run envbox-docker logs-to-coder extra
	assert_failure 2
	assert_output --partial "logs-to-coder takes no arguments"
}

@test "without CODER_AGENT_URL: a byte-identical pass-through, nothing on stdout, exit 0" {
	log_lines 3
	printf 'raw \377\376 bytes\000 and no newline at the end' >>"$T/in"
	ltc
	[ "$STATUS" -eq 0 ]
	cmp "$T/in" "$T/err"
	[ ! -s "$T/out" ]
	# With a URL but no token, the same.
	ltc CODER_AGENT_URL=http://127.0.0.1:1 CODER_AGENT_TOKEN=
	[ "$STATUS" -eq 0 ]
	cmp "$T/in" "$T/err"
}

@test "plain http: every entry arrives in order with its level and time; done is not sent" {
	coder_start
	log_lines 20
	envbox-docker log error "the pull failed: unauthorized" 2>>"$T/in"
	echo 'useradd: not JSON, sent as info text' >>"$T/in"
	envbox-docker log info "tab	and \"quotes\" and é" 2>>"$T/in"
	envbox-docker log 'done' 2>>"$T/in"
	ltc CODER_AGENT_URL="http://127.0.0.1:$PORT/some/path"
	[ "$STATUS" -eq 0 ]
	cmp "$T/in" "$T/err"
	[ ! -s "$T/out" ]
	[ "$(requests | head -1)" = GET ]
	[ "$(requests | grep -c GET)" -eq 1 ]
	sent >"$T/sent"
	run python3 - "$T/in" "$T/sent" <<'PY'
import json, sys
want = []
for line in open(sys.argv[1]):
    try:
        o = json.loads(line)
    except ValueError:
        want.append(("info", line.rstrip("\n"), None))
        continue
    if o["type"] != "done":
        want.append((o["type"], o["output"], o["time"]))
got = [json.loads(l) for l in open(sys.argv[2])]
assert len(got) == len(want) == 23, (len(got), len(want))
for (level, output, time), g in zip(want, got):
    assert g["level"] == level and g["output"] == output, (g, level, output)
    assert time is None or g["created_at"] == time, (g, time)
print("ok")
PY
	assert_success
	assert_output ok
}

# source_requests: the requests' methods and, for the registration and the
# PATCHes, the log source they name: "GET", "POST <id>", "PATCH <id>".
source_requests() {
	python3 - "$T/requests" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    b = r["body"] if isinstance(r["body"], dict) else {}
    print(r["method"], b.get("id", b.get("log_source_id", "")))
PY
}

@test "log source: registered once, before the first PATCH; every PATCH carries its UUID (201, 200, 409)" {
	for answer in 201 200 409; do
		rm -f "$T/requests" "$T/in"
		coder_start --log-source "$answer" --mode slow --slow-s 0.2
		log_lines 150
		ltc CODER_AGENT_URL="http://127.0.0.1:$PORT"
		kill "$CODER_PID"
		CODER_PID=
		[ "$STATUS" -eq 0 ]
		cmp "$T/in" "$T/err"
		run source_requests
		assert_line --index 0 "GET "
		assert_line --index 1 "POST $ENVBOX_SOURCE"
		assert_line --index 2 "PATCH $ENVBOX_SOURCE"
		assert_line --index 3 "PATCH $ENVBOX_SOURCE"
		[ "${#lines[@]}" -eq 4 ]
		[ "$(sent | wc -l)" -eq 150 ]
		run ! grep -qF "$TOKEN" "$T/err" "$T/out"
	done
}

@test "log source: a Coder without it (404) gets the nil UUID, as before, and no warning" {
	SOURCE_ID=$NIL_SOURCE
	coder_start --log-source 404
	log_lines 5
	ltc CODER_AGENT_URL="http://127.0.0.1:$PORT"
	[ "$STATUS" -eq 0 ]
	cmp "$T/in" "$T/err"
	run source_requests
	assert_line --index 1 "POST $ENVBOX_SOURCE"
	assert_line --index 2 "PATCH $NIL_SOURCE"
	refute_line --partial "PATCH $ENVBOX_SOURCE"
	[ "$(sent | wc -l)" -eq 5 ]
	run ! grep -qF "$TOKEN" "$T/err" "$T/out"
}

@test "log source refused (500, echoing the token): the nil UUID, one warning saying so, no token" {
	SOURCE_ID=$NIL_SOURCE
	coder_start --log-source 500
	log_lines 5
	ltc CODER_AGENT_URL="http://127.0.0.1:$PORT"
	[ "$STATUS" -eq 0 ]
	((ELAPSED < 3000))
	split_err
	cmp "$T/in" "$T/err.rest"
	[ "$WARNINGS" -eq 0 ]
	[ "$SOURCE_WARNINGS" -eq 1 ]
	run ! grep -qF "$TOKEN" "$T/err" "$T/out"
	run ! grep -qF "c0d3r" "$T/err" "$T/out"
	grep -qF "Coder at http://127.0.0.1:$PORT did not register the \"envbox\" log source (POST /api/v2/workspaceagents/me/log-source: HTTP 500: Failed to insert log source (token [token]).); the startup logs go under its default source" "$T/source-warnings"
	[ "$(sent | wc -l)" -eq 5 ]
}

@test "log source: a registration that hangs holds up neither the pass-through nor Coder's lines past its 5 s bound" {
	SOURCE_ID=$NIL_SOURCE
	coder_start --log-source-slow-s 30
	mkfifo "$T/fifo"
	env CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_URL="http://127.0.0.1:$PORT" \
		envbox-docker logs-to-coder <"$T/fifo" 2>"$T/err" 3>&- &
	LTC_PID=$!
	exec 4>"$T/fifo"
	t0=$(date +%s%N)
	for i in 1 2 3; do
		envbox-docker log info "line $i while the source hangs" 2>&4
		sleep 0.3
		[ "$(grep -c 'while the source hangs' "$T/err")" -eq "$i" ]
	done
	for _ in $(seq 100); do
		[ "$(sent 2>/dev/null | wc -l)" -ge 3 ] && break
		sleep 0.1
	done
	ms=$((($(date +%s%N) - t0) / 1000000))
	exec 4>&-
	wait "$LTC_PID"
	LTC_PID=
	echo "the lines reached Coder after $ms ms"
	((ms < 7000))
	[ "$(sent | wc -l)" -eq 3 ]
	split_err
	[ "$WARNINGS" -eq 0 ]
	[ "$SOURCE_WARNINGS" -eq 1 ]
	grep -q "did not register the \"envbox\" log source (POST /api/v2/workspaceagents/me/log-source: .*timed out" "$T/source-warnings"
}

@test "outputs are cut into entries of at most 1024 bytes on UTF-8 boundaries" {
	coder_start
	msg=a$(printf 'é€%.0s' $(seq 700))
	envbox-docker log info "$msg" 2>>"$T/in"
	envbox-docker log error "$(printf 'x%.0s' $(seq 1024))" 2>>"$T/in"
	ltc CODER_AGENT_URL="http://127.0.0.1:$PORT"
	[ "$STATUS" -eq 0 ]
	cmp "$T/in" "$T/err"
	sent >"$T/sent"
	run python3 - "$T/sent" "$msg" <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
msg = sys.argv[2]
assert len(got) == 5, [len(g["output"].encode()) for g in got]
pieces = got[:4]
assert "".join(g["output"] for g in pieces) == msg
assert all(g["level"] == "info" and g["created_at"] == pieces[0]["created_at"] for g in pieces)
sizes = [len(g["output"].encode()) for g in pieces]
assert all(1021 <= s <= 1024 for s in sizes[:-1]), sizes
assert sizes[0] == 1023, sizes   # "a" + é€...: byte 1024 is inside a character
assert got[4]["output"] == "x" * 1024 and got[4]["level"] == "error"
print("ok")
PY
	assert_success
	assert_output ok
}

@test "batching: lines that come while a request is out go in one PATCH, 100 at most" {
	coder_start --mode slow --slow-s 0.5
	log_lines 150
	ltc CODER_AGENT_URL="http://127.0.0.1:$PORT"
	[ "$STATUS" -eq 0 ]
	cmp "$T/in" "$T/err"
	run python3 -c '
import json, sys
sizes = [len(json.loads(l)["body"]["logs"]) for l in open(sys.argv[1]) if json.loads(l)["method"] == "PATCH"]
print(sizes)' "$T/requests"
	assert_output "[100, 50]"
	[ "$(sent | wc -l)" -eq 150 ]
}

@test "https, CODER_EXTRA_CERTS_PATH a file: everything arrives" {
	make_ca
	coder_start --tls "$T/srv.crt" "$T/srv.key"
	log_lines 5
	ltc CODER_AGENT_URL="https://127.0.0.1:$PORT" CODER_EXTRA_CERTS_PATH="$T/ca.crt"
	[ "$STATUS" -eq 0 ]
	cmp "$T/in" "$T/err"
	[ "$(sent | wc -l)" -eq 5 ]
}

@test "https, CODER_EXTRA_CERTS_PATH a directory (other files in it, a link): everything arrives" {
	make_ca
	coder_start --tls "$T/srv.crt" "$T/srv.key"
	mkdir -p "$T/certs/..data" "$T/certs/sub"
	cp "$T/ca.crt" "$T/certs/..data/ca.crt"
	ln -s ..data/ca.crt "$T/certs/ca.crt"
	echo "not a certificate" >"$T/certs/README"
	cp "$T/srv.key" "$T/certs/a-key.pem"
	log_lines 5
	ltc CODER_AGENT_URL="https://localhost:$PORT" CODER_EXTRA_CERTS_PATH="$T/certs"
	[ "$STATUS" -eq 0 ]
	cmp "$T/in" "$T/err"
	[ "$(sent | wc -l)" -eq 5 ]
}

@test "https, untrusted certificate: one warning naming it, nothing sent, no wait, exit 0" {
	make_ca
	coder_start --tls "$T/srv.crt" "$T/srv.key"
	log_lines 20
	ltc CODER_AGENT_URL="https://127.0.0.1:$PORT"
	[ "$STATUS" -eq 0 ]
	((ELAPSED < 3000))
	split_err
	cmp "$T/in" "$T/err.rest"
	[ "$WARNINGS" -eq 1 ]
	grep -q "Coder at https://127.0.0.1:$PORT: its certificate is not trusted" "$T/warnings"
	grep -q "set CODER_EXTRA_CERTS_PATH" "$T/warnings"
	[ "$(sent | wc -l)" -eq 0 ]
	# CODER_EXTRA_CERTS_PATH with no certificate in it: said too.
	mkdir "$T/nocerts"
	ltc CODER_AGENT_URL="https://127.0.0.1:$PORT" CODER_EXTRA_CERTS_PATH="$T/nocerts"
	[ "$STATUS" -eq 0 ]
	split_err
	[ "$WARNINGS" -eq 1 ]
	grep -q "no PEM certificate in its files" "$T/warnings"
}

@test "nothing listening: one warning, and the run is not held up" {
	log_lines 20
	ltc CODER_AGENT_URL="http://127.0.0.1:1"
	[ "$STATUS" -eq 0 ]
	((ELAPSED < 3000))
	split_err
	cmp "$T/in" "$T/err.rest"
	[ "$WARNINGS" -eq 1 ]
	grep -q "Coder at http://127.0.0.1:1: GET /api/v2/buildinfo: Failed to connect" "$T/warnings"
}

@test "a slow Coder (30 s an answer): 20 lines pass through at once; the run ends within 8 s, one warning" {
	coder_start --mode slow --slow-s 30
	log_lines 20
	ltc CODER_AGENT_URL="http://127.0.0.1:$PORT"
	[ "$STATUS" -eq 0 ]
	echo "elapsed ${ELAPSED} ms"
	((ELAPSED < 8000))
	split_err
	cmp "$T/in" "$T/err.rest"
	[ "$WARNINGS" -eq 1 ]
	grep -q "timed out" "$T/warnings"
}

@test "a slow Coder never holds up the pass-through while the log is still being written" {
	coder_start --mode slow --slow-s 30
	mkfifo "$T/fifo"
	env CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_URL="http://127.0.0.1:$PORT" \
		envbox-docker logs-to-coder <"$T/fifo" 2>"$T/err" 3>&- &
	LTC_PID=$!
	exec 4>"$T/fifo"
	for i in 1 2 3; do
		envbox-docker log info "line $i while Coder thinks" 2>&4
		sleep 0.3
		# Each line is out before the next is written.
		[ "$(grep -c 'while Coder thinks' "$T/err")" -eq "$i" ]
	done
	exec 4>&-
	wait "$LTC_PID"
	LTC_PID=
}

@test "Coder answering 500: one warning with its message and the status, exit 0" {
	coder_start --mode 500
	log_lines 5
	ltc CODER_AGENT_URL="http://127.0.0.1:$PORT"
	[ "$STATUS" -eq 0 ]
	((ELAPSED < 3000))
	split_err
	cmp "$T/in" "$T/err.rest"
	[ "$WARNINGS" -eq 1 ]
	grep -q "GET /api/v2/buildinfo: HTTP 500: Internal error inserting logs." "$T/warnings"
}

@test "a Coder that comes up late gets the lines that waited for it (retries with backoff)" {
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	mkfifo "$T/fifo"
	env CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_URL="http://127.0.0.1:$port" \
		envbox-docker logs-to-coder <"$T/fifo" 2>"$T/err" 3>&- &
	LTC_PID=$!
	exec 4>"$T/fifo"
	envbox-docker log info "early line" 2>&4
	sleep 0.5
	coder_start --port "$port"
	envbox-docker log info "later line" 2>&4
	for _ in $(seq 100); do
		[ "$(sent 2>/dev/null | wc -l)" -ge 2 ] && break
		sleep 0.1
	done
	exec 4>&-
	wait "$LTC_PID"
	LTC_PID=
	run sent
	assert_line --index 0 --partial '"output": "early line"'
	assert_line --index 1 --partial '"output": "later line"'
	split_err
	[ "$WARNINGS" -eq 0 ]
}

@test "the token appears in no output, whatever fails; a password in the URL is not shown" {
	make_ca
	coder_start --tls "$T/srv.crt" "$T/srv.key"
	log_lines 3
	for url in "https://127.0.0.1:$PORT" "http://127.0.0.1:1" "https://user:pa55word@127.0.0.1:$PORT" "ftp://x"; do
		ltc CODER_AGENT_URL="$url"
		[ "$STATUS" -eq 0 ]
		run ! grep -qF "$TOKEN" "$T/err" "$T/out"
		run ! grep -qF "pa55word" "$T/err" "$T/out"
		run ! grep -qF "c0d3r" "$T/err" "$T/out"
	done
	grep -q "CODER_AGENT_URL: expected http" "$T/err"
	run ! grep -qF "ftp://x" "$T/err"
}

@test "SIGTERM, SIGINT and SIGHUP do not stop it; it exits 0 at the end of its input" {
	mkfifo "$T/fifo"
	coder_start
	env CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_URL="http://127.0.0.1:$PORT" \
		envbox-docker logs-to-coder <"$T/fifo" 2>"$T/err" 3>&- &
	LTC_PID=$!
	exec 4>"$T/fifo"
	envbox-docker log info "before the signals" 2>&4
	sleep 0.3
	kill -TERM "$LTC_PID"
	kill -INT "$LTC_PID"
	kill -HUP "$LTC_PID"
	sleep 0.3
	kill -0 "$LTC_PID"
	envbox-docker log info "after the signals" 2>&4
	exec 4>&-
	status=0
	wait "$LTC_PID" || status=$?
	LTC_PID=
	[ "$status" -eq 0 ]
	grep -q "after the signals" "$T/err"
	run sent
	assert_output --partial "after the signals"
}

@test "its stderr gone: it keeps reading to the end (writers never get SIGPIPE) and still sends" {
	coder_start
	log_lines 200
	status=0
	env CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_URL="http://127.0.0.1:$PORT" \
		envbox-docker logs-to-coder <"$T/in" 2> >(head -c 100 >/dev/null) || status=$?
	[ "$status" -eq 0 ]
	[ "$(sent | wc -l)" -eq 200 ]
	status=0
	env CODER_AGENT_TOKEN="$TOKEN" CODER_AGENT_URL="http://127.0.0.1:$PORT" \
		envbox-docker logs-to-coder <"$T/in" 2>&- || status=$?
	[ "$status" -eq 0 ]
	[ "$(sent | wc -l)" -eq 400 ]
}
