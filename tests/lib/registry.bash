# registry.bash: a local Docker registry (Debian's docker-registry) for the
# suites, on 127.0.0.1 and a free port — dockerd treats loopback registries
# as insecure, so plain HTTP works. The TLS registry in a network namespace
# is the private-registry suite's own.
#
#   load lib/registry
#   registry_start [--htpasswd FILE]   sets REGISTRY_DIR, REGISTRY (host:port)
#   registry_stop

_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

registry_start() {
	local port i
	REGISTRY_DIR=$(mktemp -d /tmp/ebr-XXXXXX)
	port=$(_free_port)
	REGISTRY=127.0.0.1:$port
	export REGISTRY REGISTRY_DIR
	{
		echo "version: 0.1"
		echo "log: {level: warn}"
		echo "storage: {filesystem: {rootdirectory: $REGISTRY_DIR/data}}"
		echo "http: {addr: \"$REGISTRY\"}"
		if [ "${1:-}" = --htpasswd ]; then
			echo "auth: {htpasswd: {realm: envbox-test, path: \"$2\"}}"
		fi
	} >"$REGISTRY_DIR/config.yml"
	docker-registry serve "$REGISTRY_DIR/config.yml" >"$REGISTRY_DIR/log" 2>&1 3>&- &
	echo $! >"$REGISTRY_DIR/pid"
	for ((i = 0; i < 100; i++)); do
		# 200 without auth, 401 with: either way it is up.
		case $(curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/") in
		200 | 401) return 0 ;;
		esac
		sleep 0.1
	done
	echo "docker-registry did not start; its log:" >&2
	cat "$REGISTRY_DIR/log" >&2
	return 1
}

registry_stop() {
	[ -n "${REGISTRY_DIR:-}" ] && [ -d "$REGISTRY_DIR" ] || return 0
	kill "$(cat "$REGISTRY_DIR/pid")" 2>/dev/null || true
	rm -rf "$REGISTRY_DIR"
}
