#!/bin/bash
# bench/startup-floor.sh IMAGE NAME CREATE-BODY UID:GID HOME: the sequential
# floor for what `envbox docker` does after dockerd is ready — the Engine API
# requests of the step-by-step method (envbox's until it merged and overlapped
# them: now its probe sends HEADs and two GETs at once, create --start starts
# in the same process, prune runs beside, mkdir goes into the bootstrap's
# exec), in that order, one after another, with curl over the unix socket of
# $DOCKER_HOST. Requests that do not need an earlier answer
# share one curl process (--next, one transfer after the other), so client
# start-up costs as little as it can: six curl processes for 17 requests.
#   pull   POST /images/create?fromImage=...&tag=...
#   probe  POST /containers/create; HEAD+GET archive /etc/passwd, HEAD+GET
#          /etc/os-release, HEAD /sbin/init; DELETE (as envbox-docker probe)
#   rm     DELETE /containers/NAME?force=1&v=1
#   create POST /containers/create?name=NAME (CREATE-BODY: envbox's, from
#          docker inspect of its container)
#   prune  POST /images/prune?filters={"dangling":["false"]}
#   start  POST /containers/NAME/start
#   exec   POST /containers/NAME/exec; POST /exec/ID/start; GET /exec/ID/json
# Prints "PHASE MS" lines (each phase the daemon's answer time as curl saw
# it, summed over its requests) and "total MS" (wall, curl starts included);
# with BENCH_DETAIL=FILE, also appends "PHASE/REQUEST MS" lines to FILE.
set -eu
image=$1 name=$2 body=$3 user=$4 home=$5
sock=${DOCKER_HOST#unix://}
api=http://docker/v1.41
here=$(dirname "$0")
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# add PHASE/REQUEST ARGS...: one more transfer for the next curl process (curl
# resets its options at each --next); run sends them and clears the list.
add() {
	local p=$1
	shift
	args+=(--next -s -o /dev/null --unix-socket "$sock" -w "$p %{time_total}\n" "$@")
}
run() {
	curl "${args[@]:1}" >>"$tmp/t"
	args=()
}
args=()
q() {
	printf '%s' "$1" | jq -sRr @uri
}

repo=${image%:*}
tag=${image##*:}
pull_url="$api/images/create?fromImage=$(q "$repo")&tag=$(q "$tag")"
probe_body=$(jq -cn --arg i "$image" '{Image: $i, Entrypoint: ["sleep", "infinity"], Cmd: [],
	NetworkDisabled: true, Labels: {"envbox.probe": "true"}, HostConfig: {NetworkMode: "none"}}')
prune_url="$api/images/prune?filters=$(q '{"dangling":["false"]}')"
exec_body=$(jq -cn --arg u "$user" --arg d "$home/.coder" '{AttachStdin: false, AttachStdout: true,
	AttachStderr: true, Tty: false, Privileged: false, User: $u, Cmd: ["mkdir", "-p", $d]}')

t0=$(now_ms)
curl -s -o /dev/null --unix-socket "$sock" -w 'pull/POST_images/create %{time_total}\n' -X POST "$pull_url" >"$tmp/t"

curl -s --unix-socket "$sock" -w '\nprobe/POST_containers/create %{time_total}\n' -X POST -H 'Content-Type: application/json' \
	--data-binary "$probe_body" "$api/containers/create" >"$tmp/probe"
[[ $(head -n 1 "$tmp/probe") =~ \"Id\":\"([0-9a-f]+)\" ]] || { echo "probe create: $(cat "$tmp/probe")" >&2; exit 1; }
id=${BASH_REMATCH[1]}
tail -n 1 "$tmp/probe" >>"$tmp/t"
a="$api/containers/$id/archive?path="
add probe/HEAD_archive_passwd -I "${a}%2Fetc%2Fpasswd"
add probe/GET_archive_passwd "${a}%2Fetc%2Fpasswd"
add probe/HEAD_archive_os-release -I "${a}%2Fetc%2Fos-release"
add probe/GET_archive_os-release "${a}%2Fetc%2Fos-release"
add probe/HEAD_archive_init -I "${a}%2Fsbin%2Finit"
add probe/DELETE_container -X DELETE "$api/containers/$id?force=1&v=1"
run

add rm/DELETE_old_container -X DELETE "$api/containers/$name?force=1&v=1"
add create/POST_containers/create -X POST -H 'Content-Type: application/json' --data-binary "@$body" "$api/containers/create?name=$name"
add prune/POST_images/prune -X POST "$prune_url"
add start/POST_containers/start -X POST "$api/containers/$name/start"
run

curl -s --unix-socket "$sock" -w '\nexec/POST_containers/exec %{time_total}\n' -X POST -H 'Content-Type: application/json' \
	--data-binary "$exec_body" "$api/containers/$name/exec" >"$tmp/exec"
[[ $(head -n 1 "$tmp/exec") =~ \"Id\":\"([0-9a-f]+)\" ]] || { echo "exec create: $(cat "$tmp/exec")" >&2; exit 1; }
eid=${BASH_REMATCH[1]}
tail -n 1 "$tmp/exec" >>"$tmp/t"
add exec/POST_exec/start -X POST -H 'Content-Type: application/json' --data-binary '{"Detach":false,"Tty":false}' "$api/exec/$eid/start"
add exec/GET_exec/json "$api/exec/$eid/json"
run
t1=$(now_ms)

if [ -n "${BENCH_DETAIL:-}" ]; then
	awk '{ printf "%s %.1f\n", $1, $2 * 1000 }' "$tmp/t" >>"$BENCH_DETAIL"
fi
awk '{ sub(/\/.*/, "", $1); s[$1] += $2 * 1000; if (!($1 in seen)) { seen[$1] = 1; o[++n] = $1 } }
	END { for (i = 1; i <= n; i++) printf "%s %.1f\n", o[i], s[o[i]] }' "$tmp/t"
awk -v a="$t0" -v b="$t1" 'BEGIN { printf "total %.1f\n", b - a }'
