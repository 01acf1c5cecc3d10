#!/usr/bin/env bats
# envbox docker with CODER_ADD_GPU, end to end on a real dockerd: fake GPU
# nodes (mknod, under ENVBOX_GPU_DEV_ROOT) and a fake host library
# directory of real ELF objects (cc -shared, with sonames and toolkit-style
# chains). Inside the workspace: the nodes with their numbers, the
# libraries and links in the image's library directory, `ldconfig -p`
# listing them (the image carries Debian's static ldconfig), the NVIDIA_*
# variables; then an image without ldconfig and CODER_INNER_USR_LIB_DIR.
load helpers
load lib/dockerd
load lib/registry
load lib/envbox

V=550.54.14
IN=/usr/lib/x86_64-linux-gnu

# A GPU host under $GPU: GPU/lib (CODER_USR_LIB_DIR), GPU/dev (the dev root).
make_gpu_host() {
	local lib=$GPU/lib dev=$GPU/dev stem so
	mkdir -p "$lib/vdpau" "$dev/dri" "$dev/nvidia-caps"
	echo 'int envbox_fake_gpu_symbol(void) { return 0; }' >"$GPU/fake.c"
	# elf STEM SONAME: STEM.so.$V with that soname, STEM.so.SONAME and STEM.so links.
	elf() {
		cc -shared -fPIC -Wl,-soname,"$1.so.$2" -o "$lib/$1.so.$V" "$GPU/fake.c"
		ln -s "$1.so.$V" "$lib/$1.so.$2"
		ln -s "$1.so.$2" "$lib/$1.so"
	}
	elf libcuda 1
	elf libnvidia-ml 1
	elf libnvidia-ptxjitcompiler 1
	elf libGLX_nvidia 0
	elf libEGL_nvidia 0
	cc -shared -fPIC -Wl,-soname,libEGL.so.1 -o "$lib/libEGL.so.1.1.0" "$GPU/fake.c"
	ln -s libEGL.so.1.1.0 "$lib/libEGL.so.1"
	cc -shared -fPIC -Wl,-soname,libvdpau_nvidia.so.1 -o "$lib/vdpau/libvdpau_nvidia.so.$V" "$GPU/fake.c"
	ln -s "libvdpau_nvidia.so.$V" "$lib/vdpau/libvdpau_nvidia.so.1"
	# Decoys and a fault: not bound, and the start goes on.
	cc -shared -fPIC -Wl,-soname,libglib-2.0.so.0 -o "$lib/libglib-2.0.so.0" "$GPU/fake.c"
	cc -shared -fPIC -o "$lib/libcuda_decoy_helper.so" "$GPU/fake.c"
	ln -s libnvidia-loop.so.2 "$lib/libnvidia-loop.so.1"
	ln -s libnvidia-loop.so.1 "$lib/libnvidia-loop.so.2"
	mknod "$dev/nvidia0" c 195 0
	mknod "$dev/nvidiactl" c 195 255
	mknod "$dev/nvidia-uvm" c 508 0
	mknod "$dev/nvidia-caps/nvidia-cap1" c 511 1
	mknod "$dev/dri/renderD128" c 226 128
	echo "not a node" >"$dev/nvidia1"
	chmod -R a+rX "$GPU"
}

setup_file() {
	id coder >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin coder
	grep -q '^coder:' /etc/subuid || echo coder:100000:65536 >>/etc/subuid
	grep -q '^coder:' /etc/subgid || echo coder:100000:65536 >>/etc/subgid
	# World-readable, outside bats' private temporary directory: the
	# workspace's root (host uid 100000) reads the bound files.
	GPU=$(mktemp -d /tmp/gpu-envbox-XXXXXX)
	chmod 755 "$GPU"
	echo "$GPU" >"$BATS_FILE_TMPDIR/gpu"
	make_gpu_host

	registry_start
	local root=$BATS_FILE_TMPDIR/rootfs
	# An Ubuntu-like image with ldconfig: Debian's is statically linked.
	"$BATS_TEST_DIRNAME/lib/image.sh" rootfs "$root-ld" --user coder:1000:1000:/home/coder --os-release ubuntu
	cp /sbin/ldconfig "$root-ld/sbin/ldconfig"
	mkdir -p "$root-ld/etc/ld.so.conf.d" "$root-ld$IN"
	echo 'include /etc/ld.so.conf.d/*.conf' >"$root-ld/etc/ld.so.conf"
	echo "$IN" >"$root-ld/etc/ld.so.conf.d/x86_64-linux-gnu.conf"
	"$BATS_TEST_DIRNAME/lib/image.sh" push "http://$REGISTRY" ws/gpu-ld:1 "$root-ld"
	# A Fedora-like image without ldconfig.
	"$BATS_TEST_DIRNAME/lib/image.sh" rootfs "$root-plain" --user coder:1000:1000:/home/coder --os-release fedora
	"$BATS_TEST_DIRNAME/lib/image.sh" push "http://$REGISTRY" ws/gpu-plain:1 "$root-plain"

	envbox_env_dir
	echo "$EB_DIR" >"$BATS_FILE_TMPDIR/eb_dir"
	envbox_start \
		CODER_INNER_IMAGE="$REGISTRY/ws/gpu-ld:1" \
		CODER_INNER_USERNAME=coder \
		CODER_ADD_GPU=true \
		CODER_USR_LIB_DIR="$GPU/lib" \
		ENVBOX_GPU_DEV_ROOT="$GPU/dev" \
		NVIDIA_VISIBLE_DEVICES=all \
		NVIDIA_DRIVER_CAPABILITIES=compute,utility \
		CODER_DEBUG=true
	echo "$EB_PID" >"$BATS_FILE_TMPDIR/eb_pid"
}

teardown_file() {
	envbox_file_stop
	registry_stop
	GPU=$(cat "$BATS_FILE_TMPDIR/gpu" 2>/dev/null) || GPU=
	case $GPU in
	/tmp/gpu-envbox-*) rm -rf "$GPU" ;;
	esac
}

setup() {
	EB_DIR=$(cat "$BATS_FILE_TMPDIR/eb_dir")
	EB_PID=$(cat "$BATS_FILE_TMPDIR/eb_pid")
	EB_OUT=$EB_DIR/envbox.log
	DOCKER_HOST=unix://$EB_DIR/d.sock
	GPU=$(cat "$BATS_FILE_TMPDIR/gpu")
	export EB_DIR EB_PID EB_OUT DOCKER_HOST GPU
}

@test "gpu: envbox docker without CODER_USR_LIB_DIR is a usage error naming it" {
	run --separate-stderr env -u CODER_USR_LIB_DIR CODER_ADD_GPU=true \
		CODER_INNER_IMAGE=example.com/ws:1 CODER_INNER_USERNAME=coder envbox docker
	[ "$status" -eq 2 ]
	[[ $stderr == *CODER_USR_LIB_DIR* ]]
}

@test "gpu: the device nodes are inside with their type and major:minor" {
	# busybox stat: %t and %T are the major and minor in hex.
	run inner stat -c '%F %t:%T' /dev/nvidia0 /dev/nvidiactl /dev/nvidia-uvm \
		/dev/nvidia-caps/nvidia-cap1 /dev/dri/renderD128
	assert_success
	assert_output "character special file c3:0
character special file c3:ff
character special file 1fc:0
character special file 1ff:1
character special file e2:80"
	# The regular file posing as a node stayed out, with a warning.
	run inner test -e /dev/nvidia1
	assert_failure
	grep -q "nvidia1 is not a character device" "$EB_OUT"
}

@test "gpu: each node has its device-cgroup rule; still not privileged, no capabilities" {
	run docker inspect -f '{{json .HostConfig.DeviceCgroupRules}}' workspace_cvm
	assert_success
	for rule in "c 195:0 rwm" "c 195:255 rwm" "c 508:0 rwm" "c 511:1 rwm" "c 226:128 rwm"; do
		assert_output --partial "\"$rule\""
	done
	[ "$(docker inspect -f '{{.HostConfig.Privileged}}' workspace_cvm)" = false ]
	[ "$(docker inspect -f '{{json .HostConfig.CapAdd}}' workspace_cvm)" = null ]
}

@test "gpu: the libraries and every link of their chains sit in the image's library directory, read-only" {
	for f in libcuda.so libcuda.so.1 "libcuda.so.$V" libnvidia-ml.so.1 "libnvidia-ml.so.$V" \
		libnvidia-ptxjitcompiler.so.1 libGLX_nvidia.so.0 libEGL_nvidia.so.0 libEGL.so.1 \
		libEGL.so.1.1.0 vdpau/libvdpau_nvidia.so.1 "vdpau/libvdpau_nvidia.so.$V"; do
		run inner test -f "$IN/$f"
		assert_success
	done
	# The chain's links are binds of the file they lead to.
	[ "$(inner stat -c %s "$IN/libcuda.so.1")" = "$(stat -c %s "$GPU/lib/libcuda.so.$V")" ]
	run inner sh -c "echo x >$IN/libcuda.so.1"
	assert_failure
	# Decoys and the loop are not there.
	for f in libglib-2.0.so.0 libcuda_decoy_helper.so libnvidia-loop.so.1; do
		run inner test -e "$IN/$f"
		assert_failure
	done
	grep -q "libnvidia-loop.so.1: symlink loop" "$EB_OUT"
}

@test "gpu: ldconfig ran inside: ldconfig -p lists the driver's libraries in the image's directory" {
	run inner /sbin/ldconfig -p
	assert_success
	assert_output --regexp "libcuda\.so\.1 .*=> $IN/libcuda\.so\.1"
	assert_output --regexp "libnvidia-ml\.so\.1 .*=> $IN/libnvidia-ml\.so\.1"
	assert_output --regexp "libGLX_nvidia\.so\.0 .*=> $IN/libGLX_nvidia\.so\.0"
	assert_output --regexp "libEGL\.so\.1 .*=> $IN/libEGL\.so\.1"
	refute_output --partial libglib
}

@test "gpu: the NVIDIA_* variables are set inside" {
	run inner env
	assert_success
	assert_line NVIDIA_VISIBLE_DEVICES=all
	assert_line NVIDIA_DRIVER_CAPABILITIES=compute,utility
}

@test "gpu: the build log stays JSON lines through the scan and ldconfig" {
	run python3 - "$EB_OUT" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
print("ok")
PY
	assert_success
	assert_output ok
	grep -q 'Envbox startup complete!' "$EB_OUT"
}

@test "gpu: an image without ldconfig, CODER_INNER_USR_LIB_DIR: the libraries go there, the start goes on" {
	envbox_stop || true
	envbox_cleanup
	envbox_env_dir
	echo "$EB_DIR" >"$BATS_FILE_TMPDIR/eb_dir"
	envbox_start \
		CODER_INNER_IMAGE="$REGISTRY/ws/gpu-plain:1" \
		CODER_INNER_USERNAME=coder \
		CODER_ADD_GPU=true \
		CODER_USR_LIB_DIR="$GPU/lib" \
		CODER_INNER_USR_LIB_DIR=/usr/lib/coder \
		ENVBOX_GPU_DEV_ROOT="$GPU/dev"
	echo "$EB_PID" >"$BATS_FILE_TMPDIR/eb_pid"
	run inner test -f /usr/lib/coder/libcuda.so.1
	assert_success
	run inner test -e /usr/lib64/libcuda.so.1
	assert_failure
	grep -q "no ldconfig" "$EB_OUT"
	run inner stat -c '%t:%T' /dev/nvidia0
	assert_output c3:0
}
