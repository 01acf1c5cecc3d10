#!/bin/sh
# bench/gpu-scan.sh [RUNS]: envbox-gpu-scan on a generated 50,000-entry
# library tree against `find` with the equivalent name match, side by side.
# Not a test: it prints a table (min/median/max of RUNS runs each, default
# 7, after one warm-up run each, page cache warm).
#
# The tree is mostly what a real /usr/lib/x86_64-linux-gnu holds (libraries
# with their soname links, subdirectories of data files) plus a few hundred
# driver files in chains and decoys that share their words. find's -name
# patterns come from the library table in lib/gpu_names.c, so both look for
# the same names; the scan does more with them (follows and checks each
# chain, remaps, writes spec lines), find only lists them.
#
#   ENVBOX_GPU_SCAN   the binary (default: envbox-gpu-scan on PATH, else
#                     build/envbox-bin gpu-scan)
#   BENCH_DIR         where the tree goes (default: a temporary directory,
#                     removed afterwards)
set -u

runs=${1:-7}
here=$(cd "$(dirname "$0")/.." && pwd)
table=$here/lib/gpu_names.c

if [ -n "${ENVBOX_GPU_SCAN:-}" ]; then
	scan_cmd=$ENVBOX_GPU_SCAN
elif command -v envbox-gpu-scan >/dev/null 2>&1; then
	scan_cmd=$(command -v envbox-gpu-scan)
elif [ -x "$here/build/envbox-bin" ]; then
	scan_cmd="$here/build/envbox-bin gpu-scan"
else
	echo "gpu-scan.sh: no envbox-gpu-scan (run make, or set ENVBOX_GPU_SCAN)" >&2
	exit 1
fi

if [ -n "${BENCH_DIR:-}" ]; then
	dir=$BENCH_DIR
	mkdir -p "$dir"
else
	dir=$(mktemp -d /tmp/gpu-bench-XXXXXX)
	trap 'rm -rf "$dir"' EXIT
fi
tree=$dir/lib
rm -rf "$tree"
mkdir -p "$dir/dev"

# The tree: 50,000 entries.
python3 - "$tree" <<'PY'
import os, sys
root = sys.argv[1]
V = "550.54.14"
n = 0
def mk(path, target=None):
    global n
    p = os.path.join(root, path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    if target is None:
        open(p, "w").close()
    else:
        os.symlink(target, p)
    n += 1
# The driver: real names, toolkit-style chains.
stems = ["libcuda", "libnvidia-ml", "libnvidia-ptxjitcompiler", "libnvidia-nvvm",
         "libnvidia-opencl", "libnvidia-allocator", "libnvidia-cfg", "libnvidia-encode",
         "libnvidia-fbc", "libnvidia-glcore", "libnvidia-eglcore", "libnvidia-glsi",
         "libnvidia-tls", "libnvidia-rtcore", "libnvidia-gpucomp", "libnvidia-glvkspirv",
         "libnvcuvid", "libnvoptix", "libcudadebugger", "libGLX_nvidia", "libEGL_nvidia",
         "libGLESv2_nvidia", "libGLESv1_CM_nvidia"]
stems += ["libnvidia-bench%d" % i for i in range(77)]
for s in stems:
    mk("%s.so.%s" % (s, V))
    mk("%s.so.1" % s, "%s.so.%s" % (s, V))
    mk("%s.so" % s, "%s.so.1" % s)
for s, real in [("libGLX", "0.0.0"), ("libGLdispatch", "0.0.0"), ("libOpenGL", "0.0.0"),
                ("libEGL", "1.1.0"), ("libGL", "1.7.0"), ("libGLESv2", "2.1.0")]:
    mk("%s.so.%s" % (s, real))
    mk("%s.so.%s" % (s, real.split(".")[0]), "%s.so.%s" % (s, real))
mk("vdpau/libvdpau_nvidia.so.%s" % V)
mk("vdpau/libvdpau_nvidia.so.1", "libvdpau_nvidia.so.%s" % V)
mk("gbm/nvidia-drm_gbm.so", "../libnvidia-allocator.so.1")
driver = n
# Decoys.
for i in range(100):
    mk("libcuda_helper%d.so" % i)
    mk("libglib-%d.0.so.0" % i)
    mk("cuda%d/libfoo.so" % i)
# Everything else: libraries with soname links, and data in subdirectories.
i = 0
while n < 50000:
    if i % 5 < 2 and n + 3 <= 50000:
        real = "libpkg%d.so.%d.%d.%d" % (i, i % 7, i % 11, i % 13)
        mk(real)
        mk("libpkg%d.so.%d" % (i, i % 7), real)
        mk("libpkg%d.so" % i, "libpkg%d.so.%d" % (i, i % 7))
    else:
        mk("python3/dist-packages/pkg%d/mod%d/file%d.py" % (i % 97, i % 13, i))
    i += 1
print("%d entries, %d of them driver files and links" % (n, driver))
PY

# find's patterns from the same table: STEM rows match STEM.so and
# STEM.so.*, FAMILY rows PREFIX*.so*, NOT rows are excluded.
set -- \(
first=true
while read -r stem how; do
	$first || set -- "$@" -o
	first=false
	case $how in
	FAMILY) set -- "$@" -name "$stem*.so*" ;;
	*) set -- "$@" -name "$stem.so" -o -name "$stem.so.*" ;;
	esac
done <<ROWS
$(sed -n 's/^[[:space:]]*{ "\([^"]*\)", \(STEM\|FAMILY\) },.*/\1 \2/p' "$table")
ROWS
set -- "$@" \)
while read -r stem; do
	set -- "$@" ! -name "$stem.so*"
done <<ROWS
$(sed -n 's/^[[:space:]]*{ "\([^"]*\)", NOT },.*/\1/p' "$table")
ROWS

ms() {
	echo $(($(date +%s%N) / 1000000))
}

# time_runs NAME CMD...: RUNS timings of CMD in ms, one a line, in $dir/NAME.
time_runs() {
	name=$1
	shift
	"$@" >/dev/null 2>&1
	: >"$dir/$name"
	k=0
	while [ "$k" -lt "$runs" ]; do
		t0=$(ms)
		"$@" >/dev/null 2>&1
		t1=$(ms)
		echo $((t1 - t0)) >>"$dir/$name"
		k=$((k + 1))
	done
}

stats() {
	sort -n "$dir/$1" | awk '{ v[NR] = $1 } END { printf "%8d %8d %8d", v[1], v[int((NR + 1) / 2)], v[NR] }'
}

# shellcheck disable=SC2086
found_scan=$($scan_cmd --usr-lib-dir "$tree" --mountinfo /dev/null --dev-root "$dir/dev" \
	--inner-usr-lib-dir /usr/lib --bin-dir "$dir/dev" 2>/dev/null | grep -c '^bind ')
found_find=$(find "$tree" "$@" | wc -l)

# shellcheck disable=SC2086
time_runs scan $scan_cmd --usr-lib-dir "$tree" --mountinfo /dev/null --dev-root "$dir/dev" \
	--inner-usr-lib-dir /usr/lib --bin-dir "$dir/dev"
time_runs find find "$tree" "$@"

printf '\n%-34s %8s %8s %8s   %s\n' "($runs runs, ms)" min median max found
printf '%-34s %s   %s binds\n' "envbox-gpu-scan --usr-lib-dir" "$(stats scan)" "$found_scan"
printf '%-34s %s   %s names\n' "find -name (same table)" "$(stats find)" "$found_find"
