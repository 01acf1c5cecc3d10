#!/usr/bin/env bats
# Hostile and malformed input, table-driven, across the applets and the
# variables: each row must give one error line (a usage error may add the
# "Try --help" hint), the row's exit code, no secret in the output, and
# leave the scratch tree exactly as it was: nothing created or chowned.
load helpers

SECRET=hunter2-e6d1b0c9
# Rows, tab-separated: EXIT, SHELL COMMAND, TEXT THE ERROR MUST HAVE. Commands run with sh -c
# in $S (a scratch tree) with DOCKER_HOST on a socket nobody listens at.
ROWS=$(
	cat <<'EOF'
1	CODER_IMAGE_PULL_SECRET='{"auths":' envbox-auth --image r.example/x	invalid JSON
1	CODER_IMAGE_PULL_SECRET='{"auths":{"r.example":{"auth":"!!!!"}}}' envbox-auth --image r.example/x	r.example
1	CODER_IMAGE_PULL_SECRET="{\"auths\":{\"r.example\":{\"auth\":\"$(printf 'user%s' "$SECRET" | base64)\"}}}" envbox-auth --image r.example/x	r.example
1	CODER_IMAGE_PULL_SECRET="$(printf '\001\002\003\377\376garbage')" envbox-auth --image r.example/x	CODER_IMAGE_PULL_SECRET
1	CODER_IMAGE_PULL_SECRET="$(head -c 100000 /dev/zero | tr '\0' '[')" envbox-auth --image r.example/x	CODER_IMAGE_PULL_SECRET
1	CODER_IMAGE_PULL_SECRET="{\"auths\":{\"r.example\":{\"username\":5,\"password\":\"$SECRET\"}}}" envbox-auth --image r.example/x	r.example
2	envbox-auth --image 'bad image!'	image reference
2	envbox-auth --image 'Registry.Example/UPPER/Repo'	image reference
2	envbox-auth --image 'ubuntu@sha256:abc'	image reference
1	envbox-auth certs --image r.example/x --from ./nonexistent --certs-dir ./certs.d	nonexistent
2	envbox-mounts parse /only-one	expected src:dst
2	envbox-mounts parse /a:/b:ro:x	expected src:dst
2	envbox-mounts parse relative:/b	source
2	envbox-mounts parse /a:relative	destination
2	envbox-mounts parse '/a b:/c'	whitespace
2	envbox-mounts parse "$(printf '/a\n:/b')"	entry
2	envbox-mounts parse /a:/b:rx	unknown option
2	envbox-mounts parse ,/a:/b	entry
2	envbox-mounts parse /a:/b,	entry
2	envbox-mounts parse /a/../../etc:/b	".." component
2	envbox-mounts parse /a:/b/../c	".." component
1	echo "bind $S/to-root /x rw" | envbox-mounts prepare --uid 1000 --gid 1000 --home /home/coder	refused: / holds everything the outer container needs
1	echo "bind $S/to-proc /x rw" | envbox-mounts prepare --uid 1000 --gid 1000 --home /home/coder	/proc
1	echo "bind /sys/kernel /x rw" | envbox-mounts prepare --uid 1000 --gid 1000 --home /home/coder	/sys
1	echo "bind $S/to-dev /x rw" | envbox-mounts prepare --uid 1000 --gid 1000 --home /home/coder	/dev
1	printf 'bind %s/ok /x rw\nbind %s/loop /y rw\n' "$S" "$S" | envbox-mounts prepare --uid 1000 --gid 1000 --home /home/coder	loop
1	echo "bind rel/path /x rw" | envbox-mounts prepare --uid 1000 --gid 1000 --home /home/coder	line 1
1	echo "frobnicate $S/ok /x" | envbox-mounts prepare --uid 1000 --gid 1000 --home /home/coder	line 1
2	echo "bind $S/ok /x rw" | envbox-mounts prepare --uid -1 --gid 1000 --home /home/coder	--uid
2	echo "bind $S/ok /x rw" | envbox-mounts prepare --uid 4294967295 --gid 0 --home /home/coder	uid
1	printf '36 35 98:0 /mnt1 /mnt2 rw\n' >"$MI" && envbox-mounts mountinfo --mountinfo "$MI" /	mi:1
1	printf 'garbage\n' >"$MI" && envbox-mounts mountinfo --mountinfo "$MI" /	mi:1
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_CPUS=-3 envbox-docker config	CODER_CPUS
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_CPUS=99999999999999999999 envbox-docker config	CODER_CPUS
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_MEMORY=99999999999999999999999 envbox-docker config	CODER_MEMORY
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_MEMORY=-1 envbox-docker config	CODER_MEMORY
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_MEMORY=1.5Q envbox-docker config	CODER_MEMORY
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_DOCKER_BRIDGE_CIDR=10.0.0.0/31 envbox-docker config	CODER_DOCKER_BRIDGE_CIDR
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_DOCKER_BRIDGE_CIDR=01.2.3.4/24 envbox-docker config	CODER_DOCKER_BRIDGE_CIDR
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_DOCKER_BRIDGE_CIDR=garbage envbox-docker config	CODER_DOCKER_BRIDGE_CIDR
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_ADD_TUN=yes envbox-docker config	CODER_ADD_TUN
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_ADD_FUSE=tRuE envbox-docker config	CODER_ADD_FUSE
2	CODER_INNER_IMAGE='ubuntu:bad tag' CODER_INNER_USERNAME=u envbox-docker config	CODER_INNER_IMAGE
2	CODER_INNER_IMAGE="$(head -c 10000 /dev/zero | tr '\0' a)" CODER_INNER_USERNAME=u envbox-docker config	CODER_INNER_IMAGE
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME="$(printf 'a\nb')" envbox-docker config	CODER_INNER_USERNAME
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_MOUNTS=/a:/b,,/c:/d envbox-docker config	CODER_MOUNTS
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_INNER_ENVS='BAD NAME' envbox-docker config	CODER_INNER_ENVS
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_INNER_HOSTNAME="$(head -c 100 /dev/zero | tr '\0' a)" envbox-docker config	CODER_INNER_HOSTNAME
2	CODER_INNER_IMAGE=x CODER_INNER_USERNAME=u CODER_CVM_CONTAINER_NAME=../x envbox-docker config	CODER_CVM_CONTAINER_NAME
1	echo 'bind relative /x rw' | envbox-docker create ws img	line 1
1	printf 'env CODER_AGENT_TOKEN=%s\nbind rel /x rw\n' "$SECRET" | envbox-docker create ws img	line 2
1	echo 'env =x' | envbox-docker create ws img	line 1
2	envbox-docker create ws img --cpus 0 </dev/null	--cpus
2	envbox-docker create ws img --memory lots </dev/null	--memory
2	envbox-wait docker --timeout 99999999999999	--timeout
2	envbox-wait docker --pid -5	--pid
2	envbox-docker api GET relative	must start with /
EOF
)

setup() {
	S=$BATS_TEST_TMPDIR/s
	mkdir -p "$S/ok" "$S/home"
	echo data >"$S/ok/file"
	ln -s / "$S/to-root"
	ln -s /proc/self "$S/to-proc"
	ln -s /dev/shm "$S/to-dev"
	ln -s loop "$S/loop"
	MI=$BATS_TEST_TMPDIR/mi
	export S SECRET MI
	DOCKER_HOST=unix://$S/nobody.sock
	export DOCKER_HOST
}

# Everything under $S with owner, mode and link target.
snapshot() {
	find "$S" -printf '%u:%g %m %y %p %l\n' | sort
}

@test "at least 40 hostile inputs, each refused in one line with the right code, nothing changed" {
	local n=0 bad=0 code cmd want before after lines
	while IFS=$'\t' read -r code cmd want; do
		[ -n "$code" ] || continue
		n=$((n + 1))
		before=$(snapshot)
		run --separate-stderr sh -c "cd \"\$S\" && $cmd"
		after=$(snapshot)
		# The error is one line; a usage error may add the hint.
		lines=$(printf '%s\n' "$stderr" | grep -vc "^Try '.* --help'\.$")
		if [ "$status" -ne "$code" ] || [[ $stderr != *"$want"* ]] || [ "$lines" -ne 1 ] ||
			[[ $stderr$output == *"$SECRET"* ]] || [ "$before" != "$after" ]; then
			echo "row $n: $cmd" >&3
			echo "  status $status (want $code), stderr: $stderr" >&3
			[ "$before" = "$after" ] || echo "  the scratch tree changed" >&3
			bad=$((bad + 1))
		fi
	done <<<"$ROWS"
	echo "$n rows" >&3
	((n >= 40))
	((bad == 0))
}
