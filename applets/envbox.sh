#!/bin/sh
# envbox: the entrypoint. `envbox docker` brings up the workspace by chaining
# the applets (envbox-wait, envbox-auth, envbox-mounts, envbox-xid,
# envbox-gpu-scan, envbox-docker); `envbox APPLET ARGS` runs one applet.
set -eu

usage() {
	cat <<'USAGE'
Usage: envbox docker          bring up the workspace container (reads CODER_* variables)
       envbox APPLET [ARGS]   run one applet: gpu-scan, mounts, auth, wait, xid
                              (the Docker API client is envbox-docker)
       envbox --help

The workspace is configured through environment variables (CODER_INNER_IMAGE,
CODER_INNER_USERNAME, CODER_AGENT_TOKEN, ...): see README.md and docs/envbox.md.

Exit codes: 0 done, 1 failed, 2 usage error.
USAGE
}

main() {
	if [ $# -eq 0 ]; then
		usage >&2
		exit 2
	fi
	cmd=$1
	shift
	case $cmd in
	-h | --help | help)
		usage
		;;
	docker)
		if [ $# -gt 0 ]; then
			case $1 in -h | --help) usage; exit 0 ;; esac
		fi
		echo "envbox: docker: not implemented yet (the main-job issue brings it)" >&2
		exit 1
		;;
	gpu-scan | mounts | auth | wait | xid)
		exec "envbox-$cmd" "$@"
		;;
	*)
		echo "envbox: unknown command '$cmd'" >&2
		echo "Try 'envbox --help'." >&2
		exit 2
		;;
	esac
}

main "$@"
