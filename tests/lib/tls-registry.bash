# tls-registry.bash: a private registry as users have them — TLS from a
# CA nobody trusts yet, htpasswd (bcrypt) auth — on a real address, so
# dockerd checks its certificate (it skips the check for 127.0.0.0/8).
#
# Debian's docker-registry listens on 10.203.9.2:5443 inside a network
# namespace of its own, reached over a veth pair from 10.203.9.1; the name
# registry.envbox.test points there through one /etc/hosts line.
#
#   load lib/tls-registry
#   setup_file()    { tls_registry_setup; }     # makes everything, starts it
#   teardown_file() { tls_registry_teardown; }  # removes all of it
#   tls_registry_stop / tls_registry_start      the process only ("down")
#   tls_registry_certs_clean                    this registry's certs.d entry
#   tls_registry_shape RATE|off                 slow its answers (tc tbf), so
#                                               a pull takes a while
#
# Exports TLSREG (host:port), TLSREG_URL (https://host:port), TLSREG_CA (the
# CA certificate), TLSREG_USER, TLSREG_PASS, TLSREG_DIR.
#
# Everything has a fixed name (namespace, links, directory, the marked hosts
# line, the saved certs.d entry), so setup first removes what a crashed run
# left; so one run at a time.
# dockerd reads /etc/docker/certs.d/<host:port>; an entry that was there
# before the suite is moved aside (certs.d/.<host:port>.envbox-saved, which
# dockerd never reads) and put back by the teardown.

TLSREG_NAME=registry.envbox.test
TLSREG_PORT=5443
TLSREG=$TLSREG_NAME:$TLSREG_PORT
TLSREG_URL=https://$TLSREG
TLSREG_NS=envbox-tlsreg
TLSREG_HOST_IF=ebtlsreg0
TLSREG_NS_IF=ebtlsreg1
TLSREG_HOST_IP=10.203.9.1
TLSREG_IP=10.203.9.2
TLSREG_MARK="# envbox-tls-registry (tests/lib/tls-registry.bash)"
TLSREG_CERTS_D=/etc/docker/certs.d
TLSREG_DIR=/tmp/envbox-tlsreg # CA, certificates, htpasswd, config, data, log
TLSREG_USER=kube-puller
export TLSREG TLSREG_URL TLSREG_USER TLSREG_DIR

_tlsreg_saved() {
	echo "$TLSREG_CERTS_D/.$TLSREG.envbox-saved"
}

# Rewrites /etc/hosts in place (it may be a bind mount: no rename).
_tlsreg_hosts_drop() {
	local keep
	grep -qF "$TLSREG_MARK" /etc/hosts 2>/dev/null || return 0
	keep=$(grep -vF "$TLSREG_MARK" /etc/hosts)
	printf '%s\n' "$keep" >/etc/hosts
}

# Undoes everything, whatever state a run (this one or a crashed one) left.
_tlsreg_remove_all() {
	local pid saved
	saved=$(_tlsreg_saved)
	if [ -e "/run/netns/$TLSREG_NS" ]; then
		for pid in $(ip netns pids "$TLSREG_NS" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
	fi
	ip netns del "$TLSREG_NS" 2>/dev/null || true
	ip link del "$TLSREG_HOST_IF" 2>/dev/null || true
	_tlsreg_hosts_drop
	# A saved entry means the one under the real name is the tests'.
	if [ -e "$saved" ]; then
		rm -rf "${TLSREG_CERTS_D:?}/$TLSREG"
		mv "$saved" "$TLSREG_CERTS_D/$TLSREG"
	fi
}

_tlsreg_make_certs() {
	local d=$TLSREG_DIR
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=envbox test CA $$" -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj "/CN=$TLSREG_NAME" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s,IP:%s\nextendedKeyUsage=serverAuth\n' \
		"$TLSREG_NAME" "$TLSREG_IP" >"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/server.ext" -out "$d/server.crt" 2>/dev/null
	TLSREG_CA=$d/ca.crt
	export TLSREG_CA
}

tls_registry_setup() {
	local mode=
	_tlsreg_remove_all
	rm -rf "$TLSREG_DIR"
	mkdir -m 0700 "$TLSREG_DIR"
	# Fresh per run, and in no file: the suite greps logs for it.
	TLSREG_PASS=Pw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	export TLSREG_PASS
	_tlsreg_make_certs
	htpasswd -Bbn "$TLSREG_USER" "$TLSREG_PASS" >"$TLSREG_DIR/htpasswd" 2>/dev/null
	mkdir -p "$TLSREG_DIR/data"
	cat >"$TLSREG_DIR/config.yml" <<-YML
	version: 0.1
	log: {level: info}
	storage: {filesystem: {rootdirectory: $TLSREG_DIR/data}}
	http:
	  addr: $TLSREG_IP:$TLSREG_PORT
	  tls: {certificate: $TLSREG_DIR/server.crt, key: $TLSREG_DIR/server.key}
	auth: {htpasswd: {realm: envbox-test, path: $TLSREG_DIR/htpasswd}}
	YML

	ip netns add "$TLSREG_NS"
	ip link add "$TLSREG_HOST_IF" type veth peer name "$TLSREG_NS_IF"
	ip link set "$TLSREG_NS_IF" netns "$TLSREG_NS"
	ip addr add "$TLSREG_HOST_IP/30" dev "$TLSREG_HOST_IF"
	ip link set "$TLSREG_HOST_IF" up
	ip -n "$TLSREG_NS" addr add "$TLSREG_IP/30" dev "$TLSREG_NS_IF"
	ip -n "$TLSREG_NS" link set "$TLSREG_NS_IF" up
	ip -n "$TLSREG_NS" link set lo up
	printf '%s %s %s\n' "$TLSREG_IP" "$TLSREG_NAME" "$TLSREG_MARK" >>/etc/hosts

	[ -d "$TLSREG_CERTS_D" ] || mode=missing
	mkdir -p "$TLSREG_CERTS_D"
	if [ -e "$TLSREG_CERTS_D/$TLSREG" ]; then
		mv "$TLSREG_CERTS_D/$TLSREG" "$(_tlsreg_saved)"
	fi
	echo "$mode" >"$TLSREG_DIR/certs-d-was"
	tls_registry_start
}

# Starts the registry process (again) and waits until it answers over TLS.
tls_registry_start() {
	local i code
	ip netns exec "$TLSREG_NS" docker-registry serve "$TLSREG_DIR/config.yml" \
		>>"$TLSREG_DIR/log" 2>&1 3>&- &
	echo $! >"$TLSREG_DIR/pid"
	for ((i = 0; i < 100; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TLSREG_CA" "$TLSREG_URL/v2/") || true
		[ "$code" = 401 ] && return 0
		sleep 0.1
	done
	echo "the TLS registry did not answer at $TLSREG_URL; its log:" >&2
	cat "$TLSREG_DIR/log" >&2
	return 1
}

tls_registry_stop() {
	local pid i
	pid=$(cat "$TLSREG_DIR/pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# tls_registry_shape RATE (e.g. 24mbit) | off: the registry's side of the
# link sends at most RATE. Non-zero when tc cannot (no sch_tbf).
tls_registry_shape() {
	tc -n "$TLSREG_NS" qdisc del dev "$TLSREG_NS_IF" root 2>/dev/null || true
	[ "$1" = off ] && return 0
	tc -n "$TLSREG_NS" qdisc add dev "$TLSREG_NS_IF" root tbf rate "$1" burst 64kb latency 100ms
}

# Removes /etc/docker/certs.d/<registry> as envbox (or a test) made it; the
# entry saved at setup is not there.
tls_registry_certs_clean() {
	rm -rf "${TLSREG_CERTS_D:?}/$TLSREG"
}

tls_registry_teardown() {
	tls_registry_stop
	tls_registry_certs_clean
	_tlsreg_remove_all
	# certs.d made by this suite: leave no empty directory behind.
	if [ "$(cat "$TLSREG_DIR/certs-d-was" 2>/dev/null)" = missing ]; then
		rmdir "$TLSREG_CERTS_D" 2>/dev/null || true
	fi
	rm -rf "$TLSREG_DIR"
}
