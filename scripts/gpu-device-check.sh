#!/bin/sh
# gpu-device-check.sh [LIBDIR]: envbox-gpu-scan against a real NVIDIA driver,
# for docs/gpu.md's "Real-driver check". Run it from the repository root on
# a machine with an NVIDIA GPU and driver; every step reports and the next
# one runs whatever happened (no set -e). Results go to files under $OUT
# (default: a new temporary directory), summary.txt last.
#
#   LIBDIR        the driver's library directory (default
#                 /usr/lib/x86_64-linux-gnu)
#   ENVBOX_BIN    a prebuilt envbox-bin to use instead of building one
#   OUT           where the result files go
set -u

libdir=${1:-/usr/lib/x86_64-linux-gnu}
OUT=${OUT:-$(mktemp -d /tmp/gpu-check-XXXXXX)}
mkdir -p "$OUT"
cd "$(dirname "$0")/.." || exit 1
summary=$OUT/summary.txt
: >"$summary"

# note TEXT: one line of the summary, echoed as it comes.
note() {
	echo "$*" | tee -a "$summary"
}

# run_to FILE CMD...: CMD's stdout and stderr into $OUT/FILE; its status.
run_to() {
	f=$1
	shift
	"$@" >"$OUT/$f" 2>&1
}

note "== system"
{ uname -a; cat /etc/os-release; } >"$OUT/system.txt" 2>&1
note "$(uname -srm); $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release 2>/dev/null)"

note "== nvidia-smi"
if run_to nvidia-smi-L.txt nvidia-smi -L; then
	note "$(cat "$OUT/nvidia-smi-L.txt")"
	nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1
	note "driver $(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -n 1)"
else
	note "nvidia-smi -L failed: $(head -n 3 "$OUT/nvidia-smi-L.txt")"
fi

note "== device nodes, firmware, tools"
ls -l /dev/nvidia* /dev/nvidia-caps /dev/nvidia-caps-imex-channels /dev/dri >"$OUT/dev.txt" 2>&1
note "$(grep -c '^c' "$OUT/dev.txt") character devices listed (dev.txt)"
ls -lR /lib/firmware/nvidia >"$OUT/firmware.txt" 2>&1
for t in nvidia-smi nvidia-debugdump nvidia-persistenced nvidia-cuda-mps-control; do
	command -v "$t"
done >"$OUT/tools.txt" 2>&1
grep -i -E 'nvidia|cuda' /proc/self/mountinfo >"$OUT/gpu-mounts.txt" 2>&1
note "$(wc -l <"$OUT/gpu-mounts.txt") GPU-looking mounts (gpu-mounts.txt)"

note "== what the library directory holds ($libdir)"
ls -l "$libdir" >"$OUT/libdir.txt" 2>&1
# Every name the driver may have installed, by the loosest match, to see
# what the scan's table takes and leaves.
grep -i -E 'nvidia|cuda|libGL|libEGL|libOpenGL|vdpau|nvcuvid|nvoptix|gbm' "$OUT/libdir.txt" \
	>"$OUT/libdir-gpu-words.txt"
ls -lR "$libdir/vdpau" "$libdir/gbm" "$libdir/nvidia" >>"$OUT/libdir-gpu-words.txt" 2>&1
note "$(wc -l <"$OUT/libdir-gpu-words.txt") entries with GPU words (libdir-gpu-words.txt)"
ldconfig -p >"$OUT/ldconfig.txt" 2>&1

note "== envbox-bin"
bin=${ENVBOX_BIN:-}
if [ -z "$bin" ]; then
	missing=""
	for p in libcurl blkid mount; do
		pkg-config --exists "$p" 2>/dev/null || missing="$missing $p"
	done
	[ -f /usr/include/jsmn.h ] || missing="$missing jsmn"
	command -v cc >/dev/null 2>&1 || missing="$missing cc"
	if [ -n "$missing" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
		note "missing:$missing; trying apt-get (needs a network)"
		{ timeout 120 apt-get update && timeout 300 apt-get install -y build-essential pkg-config \
			libcurl4-openssl-dev libblkid-dev libmount-dev libjsmn-dev; } >"$OUT/apt.txt" 2>&1 ||
			note "apt-get failed: $(tail -n 1 "$OUT/apt.txt")"
	fi
	if run_to build.txt make BUILD=build-device; then
		bin=$PWD/build-device/envbox-bin
	else
		note "make failed (build.txt): $(grep -m 1 -i error "$OUT/build.txt")"
	fi
fi
if [ -z "$bin" ] || ! "$bin" --help >/dev/null 2>&1; then
	note "no working envbox-bin (${bin:-none}): set ENVBOX_BIN to a prebuilt one; stopping here"
	exit 1
fi
note "using $bin"

note "== envbox-gpu-scan"
scan() {
	"$bin" gpu-scan --usr-lib-dir "$libdir" --os-release-id ubuntu "$@"
}
scan >"$OUT/scan.txt" 2>"$OUT/scan-warnings.txt"
note "exit $?: $(grep -c '^device ' "$OUT/scan.txt") devices, $(grep -c '^bind ' "$OUT/scan.txt") binds," \
	"$(grep -c '^env ' "$OUT/scan.txt") env, $(wc -l <"$OUT/scan-warnings.txt") warnings (scan.txt)"
scan --json >"$OUT/scan.json" 2>/dev/null
note "json: exit $? (scan.json)"
"$bin" gpu-scan unmount-proc --dry-run >"$OUT/unmount-proc.txt" 2>&1
note "unmount-proc --dry-run: $(wc -l <"$OUT/unmount-proc.txt") mounts (unmount-proc.txt)"

# Names with GPU words the scan left out, and what it took, for a person
# to judge against the table.
sed -n 's/^bind \([^ ]*\) .*/\1/p' "$OUT/scan.txt" | sed 's|.*/||' | sort -u >"$OUT/taken.txt"
awk '{ print $NF }' "$OUT/libdir-gpu-words.txt" | sed 's|.*/||' | grep '\.so' | sort -u |
	comm -23 - "$OUT/taken.txt" >"$OUT/left-out.txt"
note "$(wc -l <"$OUT/left-out.txt") names with GPU words not taken (left-out.txt): $(head -n 8 "$OUT/left-out.txt" | tr '\n' ' ')"

note "== timing (ms, 5 runs)"
k=0
while [ "$k" -lt 5 ]; do
	t0=$(date +%s%N)
	scan >/dev/null 2>&1
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
	k=$((k + 1))
done >"$OUT/scan-time.txt"
note "$(sort -n "$OUT/scan-time.txt" | tr '\n' ' ')"

note "== docker"
if command -v docker >/dev/null 2>&1 && docker info >"$OUT/docker-info.txt" 2>&1; then
	note "docker is available (docker-info.txt): the CODER_ADD_GPU run can be tried here"
else
	note "no docker daemon here"
fi
note "results: $OUT"
