#!/bin/bash
# bench/startup-cli.sh IMAGE USER NAME FLAGS-FILE: what `envbox docker` does
# after dockerd is ready, written as a docker CLI script, against the
# daemon in $DOCKER_HOST: pull, probe the image the way envbox does (a
# created, never started container, files read with `docker cp`), remove a
# container left by an earlier run, `docker run -d` with envbox's flags
# (FLAGS-FILE: one argument a line, taken from `docker inspect` of envbox's
# container), prune images, `docker exec mkdir` the home's .coder.
# Prints "PHASE MS" lines: pull probe rm run prune exec total.
set -eu
image=$1 user=$2 name=$3 flags=$4
docker=${DOCKER_CLI:-/usr/bin/docker}
here=$(dirname "$0")
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

mapfile -t run_flags <"$flags"
t0=$(now_ms)
last=$t0
mark() {
	local t
	t=$(now_ms)
	awk -v p="$1" -v a="$last" -v b="$t" 'BEGIN { printf "%s %.1f\n", p, b - a }'
	last=$t
}

"$docker" pull -q "$image" >/dev/null
mark pull

id=$("$docker" create --entrypoint sleep --network none --label envbox.probe=true "$image" infinity)
entry=$("$docker" cp "$id:/etc/passwd" - | tar -xOf - | grep "^$user:")
"$docker" cp "$id:/etc/os-release" - >/dev/null
"$docker" cp "$id:/sbin/init" - >/dev/null 2>&1 || true
"$docker" rm -f "$id" >/dev/null
IFS=: read -r _ _ uid gid _ home _ <<<"$entry"
mark probe

"$docker" rm -f "$name" >/dev/null 2>&1 || true
mark rm
"$docker" run -d --name "$name" --hostname "$name" "${run_flags[@]}" "$image" infinity >/dev/null
mark run
"$docker" image prune -a -f >/dev/null
mark prune
"$docker" exec -u "$uid:$gid" "$name" mkdir -p "$home/.coder"
mark exec

awk -v a="$t0" -v b="$(now_ms)" 'BEGIN { printf "total %.1f\n", b - a }'
