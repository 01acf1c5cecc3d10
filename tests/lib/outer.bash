# outer.bash: an outer envbox container run by a test's own docker (the image
# suite here, the VM suites in the guest). READY_S bounds the wait.
#
# wait_ready NAME: until "Envbox startup complete!" in its log; fails with
# the log when it exits first or takes longer than READY_S. Says how long
# it took on fd 3.
wait_ready() {
	local i t0=$SECONDS
	for ((i = 0; i < READY_S * 2; i++)); do
		if docker logs "$1" 2>&1 | grep -q 'Envbox startup complete!'; then
			echo "# $1: startup complete in $((SECONDS - t0)) s" >&3
			return 0
		fi
		if [ "$(docker inspect -f '{{.State.Running}}' "$1")" != true ]; then
			echo "$1 exited during startup; its log:"
			docker logs "$1" 2>&1 | tail -n 40
			return 1
		fi
		sleep 0.5
	done
	echo "$1: no 'Envbox startup complete!' in ${READY_S}s; its log:"
	docker logs "$1" 2>&1 | tail -n 40
	return 1
}
