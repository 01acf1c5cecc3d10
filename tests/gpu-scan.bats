#!/usr/bin/env bats
# envbox-gpu-scan against a fake GPU host (tests/fixtures/gpu/make-fixture.sh,
# generated per run: device nodes need mknod): the driver's libraries with
# their chains and nothing that merely shares a word with them, faulty
# chains reported and skipped, mounts, device nodes, firmware, tools,
# variables, the inner library directory, and unmount-proc.
load helpers
bats_require_minimum_version 1.5.0

V=550.54.14
IN=/usr/lib/x86_64-linux-gnu

setup_file() {
	FX=$BATS_FILE_TMPDIR/fx
	export FX
	"$FIXTURES/gpu/make-fixture.sh" "$FX"
}

setup() {
	# The suite decides which NVIDIA variables the scan sees.
	for v in $(env | sed -n 's/^\([^=]*[Nn][Vv][Ii][Dd][Ii][Aa][^=]*\)=.*/\1/p'); do
		unset "$v"
	done
	case $(uname -m) in
	x86_64) MULTIARCH=/usr/lib/x86_64-linux-gnu ;;
	aarch64) MULTIARCH=/usr/lib/aarch64-linux-gnu ;;
	*) MULTIARCH= ;;
	esac
}

teardown() {
	if [ -n "${UNREADABLE:-}" ]; then
		chmod 755 "$UNREADABLE"
		rm -rf "${UNREADABLE%/lib/*}"
	fi
}

# scan ARGS...: the fixture host with every root override.
scan() {
	envbox-gpu-scan --usr-lib-dir "$FX/lib" --mountinfo "$FX/mountinfo" \
		--dev-root "$FX/dev" --firmware-dir "$FX/firmware" --bin-dir "$FX/bin" "$@"
}

# --- interface ------------------------------------------------------------

@test "gpu-scan: --help prints usage on stdout with every option" {
	run --separate-stderr envbox-gpu-scan --help
	assert_success
	[ -z "$stderr" ]
	assert_line --index 0 --partial "Usage: envbox-gpu-scan --usr-lib-dir DIR"
	for opt in --inner-usr-lib-dir --os-release --os-release-id --mountinfo \
		--dev-root --firmware-dir --bin-dir --json --dry-run unmount-proc; do
		assert_output --partial -- "$opt"
	done
	assert_output --partial "Exit codes: 0 done"
	run envbox-gpu-scan unmount-proc --help
	assert_success
	assert_line --index 0 --partial "Usage: envbox-gpu-scan"
}

@test "gpu-scan: usage errors exit 2 with one line and a hint" {
	run --separate-stderr envbox-gpu-scan
	[ "$status" -eq 2 ]
	[[ $stderr == *"--usr-lib-dir is required"* ]]
	[[ $stderr == *"Try 'envbox-gpu-scan --help'."* ]]
	[ -z "$output" ]
	run --separate-stderr envbox-gpu-scan --usr-lib-dir "$FX/lib" --yaml
	[ "$status" -eq 2 ]
	[[ $stderr == *"unknown option '--yaml'"* ]]
	run --separate-stderr envbox-gpu-scan --usr-lib-dir "$FX/lib" extra
	[ "$status" -eq 2 ]
	[[ $stderr == *'unexpected argument "extra"'* ]]
	run --separate-stderr envbox-gpu-scan --usr-lib-dir "$FX/lib" --os-release-id ubuntu --inner-usr-lib-dir /usr/lib
	[ "$status" -eq 2 ]
	[[ $stderr == *"give one of --inner-usr-lib-dir, --os-release, --os-release-id"* ]]
	run --separate-stderr envbox-gpu-scan --usr-lib-dir "$FX/lib" --inner-usr-lib-dir usr/lib
	[ "$status" -eq 2 ]
	[[ $stderr == *'--inner-usr-lib-dir "usr/lib" is not an absolute path'* ]]
	run --separate-stderr envbox-gpu-scan --usr-lib-dir "$FX/lib" --inner-usr-lib-dir "/usr/my lib"
	[ "$status" -eq 2 ]
	[[ $stderr == *"contains whitespace"* ]]
	run --separate-stderr envbox-gpu-scan --usr-lib-dir "$FX/mnt/my dir"
	[ "$status" -eq 2 ]
	[[ $stderr == *"--usr-lib-dir"*"contains whitespace"* ]]
	run --separate-stderr envbox-gpu-scan --usr-lib-dir
	[ "$status" -eq 2 ]
	[[ $stderr == *"option --usr-lib-dir needs a value"* ]]
	run --separate-stderr envbox-gpu-scan unmount-proc --force
	[ "$status" -eq 2 ]
	[[ $stderr == *"unmount-proc: unknown option '--force'"* ]]
}

@test "gpu-scan: an unreadable library directory, dev root, mount table or os-release is exit 1 naming it" {
	run --separate-stderr envbox-gpu-scan --usr-lib-dir "$FX/nonexistent" --mountinfo "$FX/mountinfo.empty"
	[ "$status" -eq 1 ]
	[ "$stderr" = "envbox-gpu-scan: unable to read the library directory $FX/nonexistent: No such file or directory" ]
	[ -z "$output" ]
	run --separate-stderr envbox-gpu-scan --usr-lib-dir "$FX/lib/libcuda.so.$V" --mountinfo "$FX/mountinfo.empty"
	[ "$status" -eq 1 ]
	[[ $stderr == *"$FX/lib/libcuda.so.$V: Not a directory"* ]]
	run --separate-stderr scan --dev-root "$FX/nodev"
	[ "$status" -eq 1 ]
	[[ $stderr == *"unable to read the dev root $FX/nodev: No such file or directory"* ]]
	run --separate-stderr scan --mountinfo "$FIXTURES/mountinfo/malformed"
	[ "$status" -eq 1 ]
	[[ $stderr == *"malformed:3:"* ]]
	run --separate-stderr scan --os-release "$FX/os-release.bad"
	[ "$status" -eq 1 ]
	[[ $stderr == *"os-release.bad: os-release line 1: unterminated quote"* ]]
	run --separate-stderr scan --os-release "$FX/os-release.none"
	[ "$status" -eq 1 ]
	[[ $stderr == *"os-release.none"* ]]
	[ -z "$output" ]
}

# --- the library directory ----------------------------------------------------

@test "gpu-scan: the toolkit chain libcuda.so -> .so.1 -> .so.$V, every link bound at the inner lib dir" {
	run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	assert_line "bind $FX/lib/libcuda.so $IN/libcuda.so ro"
	assert_line "bind $FX/lib/libcuda.so.1 $IN/libcuda.so.1 ro"
	assert_line "bind $FX/lib/libcuda.so.$V $IN/libcuda.so.$V ro"
	for stem in libnvidia-ml libnvidia-ptxjitcompiler libcudadebugger libnvcuvid libnvoptix libnvidia-allocator; do
		for f in $stem.so $stem.so.1 $stem.so.$V; do
			assert_line "bind $FX/lib/$f $IN/$f ro"
		done
	done
}

@test "gpu-scan: glvnd loaders, _nvidia vendor libraries, Vulkan/EGL libraries in their subdirectories" {
	run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	for f in libGLX.so.0 libGLX.so.0.0.0 libGLdispatch.so.0 libGLdispatch.so.0.0.0 \
		libOpenGL.so.0 libOpenGL.so.0.0.0 libEGL.so.1 libEGL.so.1.1.0 libGL.so.1 \
		libGL.so.1.7.0 libGLESv2.so.2 libGLESv2.so.2.1.0 \
		libGLX_nvidia.so.0 "libGLX_nvidia.so.$V" libEGL_nvidia.so.0 "libEGL_nvidia.so.$V" \
		libGLESv2_nvidia.so.2 "libGLESv2_nvidia.so.$V" libGLESv1_CM_nvidia.so.1 \
		"libGLESv1_CM_nvidia.so.$V" libnvidia-egl-gbm.so.1 libnvidia-egl-gbm.so.1.1.1 \
		"libnvidia-glvkspirv.so.$V" gbm/nvidia-drm_gbm.so vdpau/libvdpau_nvidia.so.1 \
		"vdpau/libvdpau_nvidia.so.$V"; do
		assert_line "bind $FX/lib/$f $IN/$f ro"
	done
}

@test "gpu-scan: decoys sharing the words are not taken" {
	run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	for decoy in libcuda_decoy_helper.so libglib-2.0.so libGLU.so libGLEW.so mycuda.so \
		/cuda/libfoo.so /nvidia/libfoo.so libcudart.so libnvidia-container.so \
		libvulkan.so libEGL_mesa.so libGLX_mesa.so libglxserver_nvidia.so "libcuda.so.$V.bak" \
		libnvidia-ml.txt vulkan-notes.so.txt; do
		refute_output --partial "$decoy"
	done
	# Nothing but the fixture's driver files comes from the lib dir: 7
	# chains of 3, 4 _nvidia chains of 3, 6 glvnd pairs, egl-gbm 2,
	# glvkspirv 1, gbm 1, vdpau 2, cfg 2, encode 2, fbc 2, firmware 1.
	n=$(printf '%s\n' "$output" | grep -c "^bind $FX/lib/" || true)
	[ "$n" -eq 58 ]
}

@test "gpu-scan: a chain leaving the directory, a loop, a dangling link: warned, skipped, no hang" {
	run --separate-stderr timeout 20 envbox-gpu-scan --usr-lib-dir "$FX/lib" \
		--mountinfo "$FX/mountinfo" --dev-root "$FX/dev" --inner-usr-lib-dir "$IN"
	assert_success
	refute_output --partial escape
	refute_output --partial loop
	refute_output --partial gone
	refute_output --partial outside
	[[ $stderr == *"warning: $FX/lib/libnvidia-escape.so.1 -> ../outside/libnvidia-escape.so.$V leads out of $FX/lib; skipped"* ]]
	[[ $stderr == *"warning: $FX/lib/libnvidia-loop.so.1: symlink loop; skipped"* ]]
	[[ $stderr == *"warning: $FX/lib/libnvidia-gone.so.1 -> libnvidia-gone.so.$V: dangling link; skipped"* ]]
	# The loop and each chain are reported once.
	[ "$(printf '%s\n' "$stderr" | grep -c loop)" -eq 1 ]
}

@test "gpu-scan: absolute links: in the tree as seen here, and as the host wrote them (via the lib dir's mount root)" {
	run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	assert_line "bind $FX/lib/libnvidia-cfg.so.1 $IN/libnvidia-cfg.so.1 ro"
	assert_line "bind $FX/lib/libnvidia-cfg.so.$V $IN/libnvidia-cfg.so.$V ro"
	# The host's link is bound from the file it leads to in the lib dir.
	assert_line "bind $FX/lib/libnvidia-encode.so.$V $IN/libnvidia-encode.so.1 ro"
	assert_line "bind $FX/lib/libnvidia-encode.so.$V $IN/libnvidia-encode.so.$V ro"
	# Without the mount table the lib dir is taken as the host's /usr/lib:
	# the target is looked for at lib/x86_64-linux-gnu/, where it is not.
	run --separate-stderr scan --inner-usr-lib-dir "$IN" --mountinfo "$FX/mountinfo.empty"
	assert_success
	assert_line "bind $FX/lib/libnvidia-cfg.so.1 $IN/libnvidia-cfg.so.1 ro"
	refute_line --partial "$IN/libnvidia-encode.so.1 ro"
	assert_line "bind $FX/lib/libnvidia-encode.so.$V $IN/libnvidia-encode.so.$V ro"
	[[ $stderr == *"$FX/lib/libnvidia-encode.so.1 -> /usr/lib/x86_64-linux-gnu/libnvidia-encode.so.$V: dangling link; skipped"* ]]
}

# hostscan [ARGS]: the host's /usr/lib of the fixture, mounted at $FX/hostlib.
hostscan() {
	envbox-gpu-scan --usr-lib-dir "$FX/hostlib" --dev-root "$FX/dev" \
		--firmware-dir "$FX/nofirmware" --bin-dir "$FX/nobin" --inner-usr-lib-dir /usr/lib "$@"
}

# Every bind's source as the kernel resolves it when it mounts it (here):
# each must be a file under the host's lib dir, never one of this machine.
sources_in_hostlib() {
	n=0
	while read -r kind src _; do
		[ "$kind" = bind ] || continue
		real=$(realpath -m "$src")
		[[ $real == "$FX/hostlib/"* ]] || fail "bind $src resolves to $real, outside $FX/hostlib"
		n=$((n + 1))
	done <<<"$output"
	[ "$n" -gt 0 ] || fail "no binds"
}

@test "gpu-scan: an absolute link in the host's /usr/lib is the host's path: re-rooted at --usr-lib-dir, never this machine's file" {
	X=x86_64-linux-gnu
	for mi in "$FX/mountinfo.empty" "$FX/mountinfo.hostlib"; do
		run --separate-stderr hostscan --mountinfo "$mi"
		assert_success
		# libEGL.so.1 -> /usr/lib/$X/libEGL_mesa.so.0, and the links
		# leading to it, bound from the host's file.
		assert_line "bind $FX/hostlib/$X/libEGL_mesa.so.0 /usr/lib/$X/libEGL.so.1 ro"
		assert_line "bind $FX/hostlib/$X/libEGL_mesa.so.0 /usr/lib/$X/libEGL.so ro"
		assert_line "bind $FX/hostlib/$X/libEGL_mesa.so.0 /usr/lib/$X/libEGL_mesa.so.0 ro"
		assert_line "bind $FX/hostlib/$X/libEGL_mesa.so.0 /usr/lib/$X/libGL.so.1 ro"
		# Relative chains keep their links as sources.
		assert_line "bind $FX/hostlib/$X/libcuda.so.1 /usr/lib/$X/libcuda.so.1 ro"
		sources_in_hostlib
	done
}

@test "gpu-scan: an absolute target outside the host's /usr/lib, or a link leaving --usr-lib-dir by .., is warned about and never bound" {
	X=x86_64-linux-gnu
	run --separate-stderr hostscan --mountinfo "$FX/mountinfo.empty"
	assert_success
	for l in libGLESv2.so.2 libGLdispatch.so.0 libGLX.so.0 libOpenGL.so.0 libnvidia-ml.so.1; do
		refute_output --partial "/$X/$l ro"
	done
	refute_output --partial "passwd"
	refute_output --partial "/opt/"
	[[ $stderr == *"$FX/hostlib/$X/libGLESv2.so.2 -> /opt/vendor/libGLESv2.so.2 leads out of $FX/hostlib; skipped"* ]]
	[[ $stderr == *"$FX/hostlib/$X/libGLdispatch.so.0 -> /usr/lib64/libGLdispatch.so.0 leads out of $FX/hostlib; skipped"* ]]
	[[ $stderr == *"$FX/hostlib/$X/libGLX.so.0 -> /usr/lib/../../etc/passwd leads out of $FX/hostlib; skipped"* ]]
	[[ $stderr == *"$FX/hostlib/$X/libOpenGL.so.0 -> ../../../etc/passwd leads out of $FX/hostlib; skipped"* ]]
	[[ $stderr == *"$FX/hostlib/$X/libnvidia-ml.so.1 -> ../$X/../../lib/libnvidia-ml.so.1 leads out of $FX/hostlib; skipped"* ]]
	sources_in_hostlib
}

@test "gpu-scan: a link through a directory link is followed in the index" {
	run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	assert_line "bind $FX/lib/libnvidia-fbc.so.1 $IN/libnvidia-fbc.so.1 ro"
	assert_line "bind $FX/lib/real-nvidia/libnvidia-fbc.so.$V $IN/real-nvidia/libnvidia-fbc.so.$V ro"
	refute_output --partial "$FX/lib/current"
}

@test "gpu-scan: an unreadable subdirectory is skipped with a warning (as an unprivileged user)" {
	command -v setpriv >/dev/null || skip "no setpriv"
	[ "$(id -u)" -eq 0 ] || skip "needs root to switch users"
	base=$(mktemp -d /tmp/gpu-unreadable-XXXXXX)
	chmod 755 "$base"
	mkdir -p "$base/lib/secret" "$base/lib/open"
	: >"$base/lib/secret/libcuda.so.1"
	: >"$base/lib/open/libcuda.so.2"
	chmod -R a+rX "$base"
	chmod 700 "$base/lib/secret"
	UNREADABLE=$base/lib/secret
	run --separate-stderr setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$ENVBOX_PREFIX/bin/envbox-gpu-scan" --usr-lib-dir "$base/lib" \
		--mountinfo /dev/null --dev-root "$base" --inner-usr-lib-dir /usr/lib
	assert_success
	assert_output "bind $base/lib/open/libcuda.so.2 /usr/lib/open/libcuda.so.2 ro"
	[[ $stderr == *"warning: unable to read $base/lib/secret: Permission denied; skipped"* ]]
}

@test "gpu-scan: a relative --usr-lib-dir is taken from the current directory" {
	cd "$FX"
	run --separate-stderr envbox-gpu-scan --usr-lib-dir ./lib/../lib/ --mountinfo mountinfo.empty \
		--dev-root dev --inner-usr-lib-dir /usr/lib
	assert_success
	assert_line "bind $FX/lib/libcuda.so.1 /usr/lib/libcuda.so.1 ro"
}

# --- mounts ----------------------------------------------------------------------

@test "gpu-scan: mounts naming driver files keep their path, with the links beside them that lead to them" {
	run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	m=$FX/mnt
	assert_line "bind $m/usr/lib/x86_64-linux-gnu/libcuda.so.$V $m/usr/lib/x86_64-linux-gnu/libcuda.so.$V ro"
	assert_line "bind $m/usr/lib/x86_64-linux-gnu/libcuda.so.1 $m/usr/lib/x86_64-linux-gnu/libcuda.so.1 ro"
	assert_line "bind $m/usr/lib/x86_64-linux-gnu/libcuda.so $m/usr/lib/x86_64-linux-gnu/libcuda.so ro"
	assert_line "bind $m/usr/lib/x86_64-linux-gnu/libcuda-abs.so $m/usr/lib/x86_64-linux-gnu/libcuda-abs.so ro"
	refute_output --partial "libz.so"
	assert_line "bind $m/usr/share/vulkan/icd.d/nvidia_icd.json $m/usr/share/vulkan/icd.d/nvidia_icd.json ro"
	assert_line "bind $m/usr/share/glvnd/egl_vendor.d/10_nvidia.json $m/usr/share/glvnd/egl_vendor.d/10_nvidia.json ro"
	assert_line "bind $m/usr/share/egl/egl_external_platform.d/15_nvidia_gbm.json $m/usr/share/egl/egl_external_platform.d/15_nvidia_gbm.json ro"
	assert_line "bind $m/usr/bin/nvidia-smi $m/usr/bin/nvidia-smi ro"
	assert_line "bind $m/lib/firmware/nvidia/$V/gsp_ga10x.bin $m/lib/firmware/nvidia/$V/gsp_ga10x.bin ro"
	# Words in a directory name, /proc and /dev mounts are not driver files.
	refute_output --partial "cuda/data"
	refute_output --partial "/proc/"
	refute_output --partial "nvidia-notes"
	refute_output --partial "/dev/fuse"
}

@test "gpu-scan: a mount point with \\040 in the mount table is decoded, and refused because a spec line cannot hold it" {
	run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	refute_output --partial "my dir"
	refute_output --partial '\040'
	[[ $stderr == *"warning: mount $FX/mnt/my dir/libnvidia-ml.so.$V: source \"$FX/mnt/my dir/libnvidia-ml.so.$V\" contains whitespace; skipped"* ]]
}

@test "gpu-scan: /usr/lib is remapped on a component boundary; /usr/lib64 is not under it" {
	s=$FX/split/usr
	run --separate-stderr envbox-gpu-scan --usr-lib-dir "$s/lib" --inner-usr-lib-dir /usr/lib64 \
		--mountinfo "$FX/mountinfo.split" --dev-root "$FX/dev" --firmware-dir "$FX/firmware" --bin-dir "$FX/bin"
	assert_success
	assert_line "bind $s/lib/libnvidia-ml.so /usr/lib64/libnvidia-ml.so ro"
	assert_line "bind $s/lib/libnvidia-ml.so.1 /usr/lib64/libnvidia-ml.so.1 ro"
	# Mounted and found in the directory: one line.
	assert_line "bind $s/lib/libnvidia-ml.so.$V /usr/lib64/libnvidia-ml.so.$V ro"
	[ "$(printf '%s\n' "$output" | grep -c "/usr/lib64/libnvidia-ml.so.$V ro")" -eq 1 ]
	assert_line "bind $s/lib64/libcuda.so.$V $s/lib64/libcuda.so.$V ro"
	refute_output --partial "/usr/lib6464"
	refute_output --partial "/usr/lib64/64"
}

# --- devices -------------------------------------------------------------------------

@test "gpu-scan: device nodes from the dev root and the mount table, character devices only" {
	run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	run -0 --separate-stderr sh -c 'printf "%s\n" "$1" | grep "^device "' _ "$output"
	d=$FX/dev
	assert_output "device $d/dri/card0 /dev/dri/card0
device $d/dri/renderD128 /dev/dri/renderD128
device $d/nvidia-caps-imex-channels/channel0 /dev/nvidia-caps-imex-channels/channel0
device $d/nvidia-caps/nvidia-cap1 /dev/nvidia-caps/nvidia-cap1
device $d/nvidia-caps/nvidia-cap2 /dev/nvidia-caps/nvidia-cap2
device $d/nvidia-modeset /dev/nvidia-modeset
device $d/nvidia-uvm /dev/nvidia-uvm
device $d/nvidia-uvm-tools /dev/nvidia-uvm-tools
device $d/nvidia0 /dev/nvidia0
device $d/nvidia1 /dev/nvidia1
device $d/nvidiactl /dev/nvidiactl"
}

@test "gpu-scan: a regular file posing as a node, and a listed node that is missing, are warnings" {
	run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	refute_output --partial "nvidia2"
	refute_output --partial "nvidia3"
	[[ $stderr == *"warning: $FX/dev/nvidia2 is not a character device; skipped"* ]]
	[[ $stderr == *"warning: device $FX/dev/nvidia3: No such file or directory; skipped"* ]]
	[ "$(printf '%s\n' "$stderr" | grep -c nvidia2)" -eq 1 ]
}

@test "gpu-scan: --json gives the same data with device numbers, the origin of each bind, the warnings" {
	NVIDIA_VISIBLE_DEVICES=all run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	lines_out=$output
	NVIDIA_VISIBLE_DEVICES=all run --separate-stderr scan --inner-usr-lib-dir "$IN" --json
	assert_success
	printf '%s\n' "$output" | jq -e . >/dev/null
	[ "$(jq -r .inner_usr_lib_dir <<<"$output")" = "$IN" ]
	[ "$(jq -c .driver_versions <<<"$output")" = "[\"$V\"]" ]
	[ "$(jq -r '.devices[] | select(.inner == "/dev/nvidia1") | "\(.major):\(.minor)"' <<<"$output")" = 195:1 ]
	[ "$(jq -r '.devices[] | select(.inner == "/dev/nvidiactl") | "\(.major):\(.minor)"' <<<"$output")" = 195:255 ]
	[ "$(jq -r '.devices[] | select(.inner == "/dev/dri/renderD128") | "\(.major):\(.minor)"' <<<"$output")" = 226:128 ]
	[ "$(jq -r '.devices[] | select(.inner == "/dev/nvidia-uvm") | "\(.major):\(.minor)"' <<<"$output")" = 508:0 ]
	[ "$(jq -r ".binds[] | select(.dst == \"$IN/libcuda.so.1\") | .from" <<<"$output")" = library ]
	[ "$(jq -r '.binds[] | select(.dst == "/usr/bin/nvidia-smi") | .from' <<<"$output")" = tool ]
	[ "$(jq -r '[.binds[] | select(.from == "link")] | length' <<<"$output")" -eq 3 ]
	[ "$(jq -r '.env[0].value' <<<"$output")" = all ]
	[ "$(jq -r '.warnings | length' <<<"$output")" -eq 6 ]
	# As many of each as the lines.
	[ "$(jq '.devices | length' <<<"$output")" -eq "$(grep -c '^device ' <<<"$lines_out")" ]
	[ "$(jq '.binds | length' <<<"$output")" -eq "$(grep -c '^bind ' <<<"$lines_out")" ]
	[ "$(jq '[.binds[] | select(.ro)] | length' <<<"$output")" -eq "$(grep -c '^bind .* ro$' <<<"$lines_out")" ]
}

# --- firmware, tools, variables ------------------------------------------------------

@test "gpu-scan: the firmware of the driver version seen, from the firmware dir and the lib dir" {
	run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	assert_line "bind $FX/firmware/nvidia/$V/gsp_ga10x.bin /lib/firmware/nvidia/$V/gsp_ga10x.bin ro"
	assert_line "bind $FX/firmware/nvidia/$V/gsp_tu10x.bin /lib/firmware/nvidia/$V/gsp_tu10x.bin ro"
	assert_line "bind $FX/lib/firmware/nvidia/$V/gsp_ad10x.bin /lib/firmware/nvidia/$V/gsp_ad10x.bin ro"
	refute_output --partial README
	refute_output --partial 535.104.05
	# No driver library, no version, no firmware.
	run --separate-stderr envbox-gpu-scan --usr-lib-dir "$FX/lib/cuda" --mountinfo "$FX/mountinfo.empty" \
		--dev-root "$FX/dev" --firmware-dir "$FX/firmware" --bin-dir "$FX/nobin"
	assert_success
	refute_output --partial firmware
}

@test "gpu-scan: the driver's tools present in a bin dir, executable ones only, at /usr/bin" {
	run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	assert_line "bind $FX/bin/nvidia-smi /usr/bin/nvidia-smi ro"
	assert_line "bind $FX/bin/nvidia-debugdump /usr/bin/nvidia-debugdump ro"
	refute_output --partial nvidia-persistenced
	refute_output --partial nvidia-settings
	# The first bin dir holding a tool wins.
	run --separate-stderr scan --inner-usr-lib-dir "$IN" --bin-dir "$FX/mnt/usr/bin"
	assert_line "bind $FX/bin/nvidia-smi /usr/bin/nvidia-smi ro"
}

@test "gpu-scan: env lines for every variable naming NVIDIA, any case, sorted; a newline value is refused unseen" {
	run --separate-stderr env NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility \
		my_nvidia_flag="two words" NV_GPU=0 CUDA_VISIBLE_DEVICES=0 BROKEN_NVIDIA="$(printf 'a\nsecret')" \
		envbox-gpu-scan --usr-lib-dir "$FX/split/usr/lib64" --mountinfo "$FX/mountinfo.empty" --dev-root "$FX/dev/nvidia-caps"
	assert_success
	run -0 --separate-stderr sh -c 'printf "%s\n" "$1" | grep "^env "' _ "$output"
	assert_output "env NVIDIA_DRIVER_CAPABILITIES=compute,utility
env NVIDIA_VISIBLE_DEVICES=all
env my_nvidia_flag=two words"
	run --separate-stderr env BROKEN_NVIDIA="$(printf 'a\nsecret')" \
		envbox-gpu-scan --usr-lib-dir "$FX/split/usr/lib64" --mountinfo "$FX/mountinfo.empty" --dev-root "$FX/dev/nvidia-caps"
	assert_success
	[[ $stderr == *"variable BROKEN_NVIDIA: value contains a newline; skipped"* ]]
	[[ $stderr != *secret* ]]
}

# --- the inner library directory -------------------------------------------------------

@test "gpu-scan: the inner lib dir from os-release ID, then ID_LIKE; quoted values; the override" {
	inner() {
		envbox-gpu-scan --usr-lib-dir "$FX/split/usr/lib64" --mountinfo "$FX/mountinfo.empty" \
			--dev-root "$FX/dev/nvidia-caps" --json "$@" | jq -r .inner_usr_lib_dir
	}
	[ -n "$MULTIARCH" ] || skip "no multiarch triplet known for $(uname -m)"
	[ "$(inner --os-release "$FX/os-release.ubuntu")" = "$MULTIARCH" ]
	[ "$(inner --os-release "$FX/os-release.rocky")" = /usr/lib64 ]
	[ "$(inner --os-release "$FX/os-release.mint")" = "$MULTIARCH" ]
	[ "$(inner --os-release "$FX/os-release.suse")" = /usr/lib64 ]
	[ "$(inner --os-release "$FX/os-release.alpine")" = /usr/lib ]
	[ "$(inner --os-release "$FX/os-release.unknown")" = /usr/lib ]
	[ "$(inner --os-release-id debian)" = "$MULTIARCH" ]
	[ "$(inner --os-release-id fedora)" = /usr/lib64 ]
	[ "$(inner --os-release-id centos)" = /usr/lib64 ]
	[ "$(inner --os-release-id rhel)" = /usr/lib64 ]
	[ "$(inner --os-release-id nixos)" = /usr/lib ]
	[ "$(inner)" = /usr/lib ]
	[ "$(inner --inner-usr-lib-dir /usr/lib/coder/)" = /usr/lib/coder ]
	run --separate-stderr envbox-gpu-scan --usr-lib-dir "$FX/split/usr/lib64" --mountinfo "$FX/mountinfo.empty" \
		--dev-root "$FX/dev/nvidia-caps" --os-release "$FX/os-release.rocky"
	assert_output "bind $FX/split/usr/lib64/libcuda.so.$V /usr/lib64/libcuda.so.$V ro"
}

# --- order ------------------------------------------------------------------------------

@test "gpu-scan: devices, then binds, then env; each sorted by inner path or name, each once; stable across runs" {
	NVIDIA_B=2 NVIDIA_A=1 run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	first=$output
	kinds=$(printf '%s\n' "$output" | cut -d' ' -f1 | uniq | tr '\n' ' ')
	[ "$kinds" = "device bind env " ]
	for k in device bind; do
		printf '%s\n' "$output" | awk -v k="$k" '$1 == k { print $3 }' >"$BATS_TEST_TMPDIR/$k"
		LC_ALL=C sort -c -u "$BATS_TEST_TMPDIR/$k"
	done
	printf '%s\n' "$output" | sed -n 's/^env \([^=]*\)=.*/\1/p' >"$BATS_TEST_TMPDIR/env"
	LC_ALL=C sort -c -u "$BATS_TEST_TMPDIR/env"
	NVIDIA_A=1 NVIDIA_B=2 run --separate-stderr scan --inner-usr-lib-dir "$IN"
	[ "$output" = "$first" ]
}

@test "gpu-scan: every line is a spec line envbox-docker create accepts" {
	run --separate-stderr scan --inner-usr-lib-dir "$IN"
	assert_success
	# Each line: kind and the right number of fields, absolute paths.
	run -0 awk '
		$1 == "device" && NF == 3 && $2 ~ /^\// && $3 ~ /^\/dev\// { next }
		$1 == "bind" && NF == 4 && $2 ~ /^\// && $3 ~ /^\// && $4 == "ro" { next }
		$1 == "env" && $2 ~ /=/ { next }
		{ print "bad line: " $0; bad = 1 }
		END { exit bad }' <<<"$output"
}

# --- unmount-proc ------------------------------------------------------------------------

@test "gpu-scan unmount-proc --dry-run: GPU mounts under /proc, deepest first, nothing else" {
	run --separate-stderr envbox-gpu-scan unmount-proc --mountinfo "$FX/mountinfo" --dry-run
	assert_success
	assert_output "/proc/driver/nvidia/gpus/0000:01:00.0
/proc/driver/nvidia"
	run --separate-stderr envbox-gpu-scan unmount-proc --mountinfo "$FX/mountinfo.empty"
	assert_success
	[ -z "$output" ]
	[ -z "$stderr" ]
}

@test "gpu-scan unmount-proc: unmounts them for real in a private mount namespace; failures are warnings" {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -d /proc/driver ] || skip "no /proc/driver"
	run --separate-stderr unshare -m --propagation private sh -c '
		set -e
		mount -t tmpfs gpu-test /proc/driver
		mkdir -p /proc/driver/nvidia /proc/driver/other
		mount -t tmpfs gpu-test /proc/driver/nvidia
		mkdir -p /proc/driver/nvidia/gpus/0000:01:00.0
		mount -t tmpfs gpu-test /proc/driver/nvidia/gpus/0000:01:00.0
		mount -t tmpfs gpu-test /proc/driver/other
		envbox-gpu-scan unmount-proc
		echo left:
		grep " - tmpfs gpu-test " /proc/self/mountinfo | cut -d" " -f5'
	assert_success
	assert_output "/proc/driver/nvidia/gpus/0000:01:00.0
/proc/driver/nvidia
left:
/proc/driver
/proc/driver/other"
	# Paths that are not mounted: warnings, exit 0.
	run --separate-stderr unshare -m --propagation private envbox-gpu-scan unmount-proc --mountinfo "$FX/mountinfo"
	assert_success
	[ -z "$output" ]
	[[ $stderr == *"warning: unable to unmount /proc/driver/nvidia/gpus/0000:01:00.0:"* ]]
	[[ $stderr == *"warning: unable to unmount /proc/driver/nvidia:"* ]]
}
