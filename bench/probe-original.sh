#!/bin/bash
# bench/probe-original.sh cli|curl IMAGE USER: the Go original's way of
# probing an image (dockerutil.GetImageMetadata): create a container
# (entrypoint sleep infinity), start it, three execs — stat /sbin/init,
# getent passwd USER, cat /etc/os-release — and remove it; against the
# daemon in $DOCKER_HOST.
#   cli   with the docker CLI, one command a step
#   curl  the same requests with curl, as few processes as the answers allow
# The bench images are busybox, which has no getent: `grep ^USER: /etc/passwd`
# stands in for it (one exec either way). Prints the user's passwd line.
set -eu
mode=$1 image=$2 user=$3
docker=${DOCKER_CLI:-/usr/bin/docker}
getent=(grep "^$user:" /etc/passwd)

cli() {
	local id
	id=$("$docker" create --entrypoint sleep "$image" infinity)
	"$docker" start "$id" >/dev/null
	"$docker" exec "$id" stat /sbin/init >/dev/null 2>&1 || true
	"$docker" exec "$id" "${getent[@]}"
	"$docker" exec "$id" cat /etc/os-release >/dev/null
	"$docker" rm -f "$id" >/dev/null
}

curl_api() {
	local sock=${DOCKER_HOST#unix://} api=http://docker/v1.41 id out e ids=() args=()
	out=$(curl -s --unix-socket "$sock" -X POST -H 'Content-Type: application/json' \
		--data-binary "$(jq -cn --arg i "$image" '{Image: $i, Entrypoint: ["sleep", "infinity"], Cmd: []}')" \
		"$api/containers/create")
	[[ $out =~ \"Id\":\"([0-9a-f]+)\" ]] || { echo "create: $out" >&2; return 1; }
	id=${BASH_REMATCH[1]}
	curl -s -o /dev/null --unix-socket "$sock" -X POST "$api/containers/$id/start"
	# The three execs are created in one process, then started and
	# inspected in one more (each exec's answer before the next one).
	for cmd in '["stat","/sbin/init"]' "[\"grep\",\"^$user:\",\"/etc/passwd\"]" '["cat","/etc/os-release"]'; do
		args+=(--next -s --unix-socket "$sock" -X POST -H 'Content-Type: application/json'
			--data-binary "{\"AttachStdout\":true,\"AttachStderr\":true,\"Cmd\":$cmd}"
			-w '\n' "$api/containers/$id/exec")
	done
	out=$(curl "${args[@]:1}")
	while [[ $out =~ \"Id\":\"([0-9a-f]+)\"(.*) ]]; do
		ids+=("${BASH_REMATCH[1]}")
		out=${BASH_REMATCH[2]}
	done
	args=()
	for e in "${ids[@]}"; do
		args+=(--next -s --unix-socket "$sock" -X POST -H 'Content-Type: application/json'
			--data-binary '{"Detach":false,"Tty":false}' "$api/exec/$e/start"
			--next -s -o /dev/null --unix-socket "$sock" "$api/exec/$e/json")
	done
	args+=(--next -s -o /dev/null --unix-socket "$sock" -X DELETE "$api/containers/$id?force=1&v=1")
	curl "${args[@]:1}" | grep -ao "$user:[^[:cntrl:]]*"
}

case $mode in
cli) cli ;;
curl) curl_api ;;
*) echo "usage: probe-original.sh cli|curl IMAGE USER" >&2; exit 2 ;;
esac
