#!/bin/bash
# vm.sh: a cgroup v2 machine for envbox's tests, from Debian packages alone:
# Debian's kernel, a busybox initrd, a debootstrap root filesystem on an
# ext4 disk (mke2fs -d: no loop mounts), booted under qemu (KVM when
# /dev/kvm is usable, TCG otherwise). In it envbox runs as Kubernetes runs
# it on a cgroup v2 node: the envbox image (the Dockerfile, built here by a
# private dockerd, handed over as a disk holding the image store) under the
# guest's dockerd, the workspace pulled from a registry in the guest.
#
#   vm.sh test [SUITE.bats...]   boot, run the suites in the guest, print
#                                their TAP, exit with their status; without
#                                suites, two machines: cgroup v2 with
#                                tests/vm/cgroup2.bats and nesting.bats,
#                                cgroup v1 with tests/vm/cgroup1.bats
#   vm.sh shell                  the same guest, a shell on the console
#   vm.sh build                  only build what is missing
#
# Disks: vda the root filesystem (snapshot=on: the cached disk is never
# written), vdb the payload (a tar: guest-init, the suites, the workspace
# rootfs), vdc the guest dockerd's data root with the envbox image in it
# (snapshot=on too), vdd the results (a tar the guest writes, read back here).
#
# Cached under $ENVBOX_CACHE_DIR/vm (/var/cache/envbox-test/vm), each named
# after its inputs, so a change rebuilds only what it touches: the kernel
# (the package's version), the initrd (the kernel, tests/vm/initrd-init), the
# disk (the kernel, the package list, this recipe, the month: point
# releases), the envbox image (the sources the Dockerfile copies, the month:
# the base image's refresh). Per-run files go to $VM_BUILD (build/vm).
#
# VM_ACCEL=kvm|tcg|auto, VM_CPUS (2), VM_MEM (4G), VM_TIMEOUT (seconds for
# each boot, 2400), VM_CGROUP=v2|v1 (one machine; v1: the guest mounts the
# v1 hierarchies itself), VM_SRC (the tree the envbox image is built from:
# this one), DEBIAN_MIRROR. docs/testing.md has the whole story.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/vm
CACHE=${ENVBOX_CACHE_DIR:-/var/cache/envbox-test}/vm
OUT=${VM_BUILD:-$ROOT/build/vm}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
VM_ACCEL=${VM_ACCEL:-auto}
VM_CPUS=${VM_CPUS:-2}
VM_MEM=${VM_MEM:-4G}
VM_TIMEOUT=${VM_TIMEOUT:-2400}
VM_CGROUP=${VM_CGROUP:-}
SRC=${VM_SRC:-$ROOT}
DISK_SIZE=12G

# The guest's packages: docker and what the envbox image's tests need
# around it (a registry, bats), image.sh's tools (curl, busybox).
GUEST_PKGS=(docker.io docker-registry iproute2 iptables kmod procps
	ca-certificates busybox-static curl bats bats-support bats-assert
	e2fsprogs util-linux acl)
# What the initrd loads to mount an ext4 virtio disk, in order.
INITRD_MODS=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
	virtio_pci virtio_blk crc16 mbcache jbd2 crc32c_generic ext4)
# Module trees the guest needs (docker's networking and storage, the
# filesystems); the rest of drivers/ and sound/ stay out of the disk.
GUEST_MOD_DIRS=(kernel/arch kernel/block kernel/crypto kernel/fs kernel/lib
	kernel/mm kernel/net kernel/security kernel/virt kernel/drivers/block
	kernel/drivers/char kernel/drivers/md kernel/drivers/net/veth.ko
	kernel/drivers/net/tun.ko kernel/drivers/net/macvlan.ko
	kernel/drivers/net/ipvlan kernel/drivers/net/vxlan kernel/drivers/net/dummy.ko
	kernel/drivers/virtio)
RECIPE=1 # bump when the disk's steps change

say() {
	echo "vm: $*" >&2
}

die() {
	echo "vm: $*" >&2
	exit 1
}

# The Debian docker CLI, which matches the Debian dockerd.
docker() {
	/usr/bin/docker "$@"
}

# The cache and the run's directory; one build at a time.
prepare_cache() {
	mkdir -p "$CACHE" "$OUT"
	exec 7>"$CACHE/build.lock"
	flock 7
}

# ---- kernel ------------------------------------------------------------------

# KVER and KDIR: the current bookworm kernel (as apt's lists name it),
# unpacked. Lists too old to download from are updated once.
kernel() {
	local pkg version deb tmp
	kernel_version
	KDIR=$CACHE/kernel-$KVER-$version
	[ -s "$KDIR/vmlinuz" ] && return 0
	say "kernel: $pkg $version"
	tmp=$(mktemp -d "$CACHE/kernel-XXXXXX")
	if ! (cd "$tmp" && apt-get download -q "$pkg=$version" >/dev/null 2>&1); then
		say "kernel: apt-get download failed; apt-get update, then once more"
		apt-get update -qq >/dev/null 2>&1 || :
		kernel_version
		KDIR=$CACHE/kernel-$KVER-$version
		(cd "$tmp" && apt-get download -q "$pkg=$version" >/dev/null 2>&1) ||
			{ rm -rf "$tmp"; die "apt-get download $pkg=$version failed"; }
	fi
	deb=$(ls "$tmp"/*.deb)
	mkdir "$tmp/x"
	dpkg-deb -x "$deb" "$tmp/x"
	mkdir "$tmp/k"
	mv "$tmp/x/boot/vmlinuz-$KVER" "$tmp/k/vmlinuz"
	mv "$tmp/x/lib/modules" "$tmp/k/modules"
	rm -rf "$tmp/x" "$deb"
	rm -rf "$KDIR"
	mv "$tmp/k" "$KDIR"
	rmdir "$tmp"
	for old in "$CACHE"/kernel-*; do
		[ "$old" = "$KDIR" ] || rm -rf "$old"
	done
}

# pkg, KVER, version: linux-image-amd64's kernel package.
kernel_version() {
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1)
	[ -n "$pkg" ] || die "no linux-image-amd64 in apt's lists (apt-get update?)"
	KVER=${pkg#linux-image-}
	version=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
}

# ---- initrd ------------------------------------------------------------------

# INITRD: busybox, the modules for the root disk, tests/vm/initrd-init.
initrd() {
	local key tmp m f
	key=$(cat "$HERE/initrd-init" /bin/busybox <(printf '%s\n' "$KVER" "${INITRD_MODS[@]}") |
		sha256sum | cut -c1-12)
	INITRD=$CACHE/initrd-$KVER-$key.gz
	[ -s "$INITRD" ] && return 0
	say "initrd: busybox and ${#INITRD_MODS[@]} modules"
	tmp=$(mktemp -d "$CACHE/initrd-XXXXXX")
	mkdir -p "$tmp/bin" "$tmp/mods" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/newroot"
	cp /bin/busybox "$tmp/bin/busybox"
	cp "$HERE/initrd-init" "$tmp/init"
	chmod 755 "$tmp/init"
	for m in "${INITRD_MODS[@]}"; do
		f=$(find "$KDIR/modules/$KVER/kernel" -name "$m.ko" | head -n 1)
		if [ -n "$f" ]; then
			cp "$f" "$tmp/mods/"
			echo "$m" >>"$tmp/mods/order"
		elif ! grep -q "/$m.ko$" "$KDIR/modules/$KVER/modules.builtin"; then
			rm -rf "$tmp"
			die "initrd: no module $m in $KVER"
		fi
	done
	(cd "$tmp" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$INITRD.tmp"
	mv "$INITRD.tmp" "$INITRD"
	rm -rf "$tmp"
	for old in "$CACHE"/initrd-*.gz; do
		[ "$old" = "$INITRD" ] || rm -f "$old"
	done
}

# ---- root filesystem disk ------------------------------------------------------

# Unmounts whatever a failed debootstrap left mounted under $1, then
# removes $1 without crossing into another filesystem.
remove_root() {
	[ -d "$1" ] || return 0
	unmount_under "$1"
	rm -rf --one-file-system "$1"
}

# DISK: the guest's root filesystem as an ext4 image.
disk() {
	local key version t0 root d
	version=$(dpkg-query -W -f '${Version}' debootstrap 2>/dev/null) || version=unknown
	key=$(printf '%s\n' "$RECIPE" "$version" "${KDIR##*/}" "${GUEST_PKGS[@]}" "${GUEST_MOD_DIRS[@]}" |
		sha256sum | cut -c1-12)
	DISK=$CACHE/disk-bookworm-$(date +%Y%m)-$key.img
	[ -s "$DISK" ] && return 0
	command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install debootstrap)"
	t0=$(date +%s)
	root=$(mktemp -d "$CACHE/rootfs-XXXXXX")
	# shellcheck disable=SC2064 # the directory is known now
	trap "remove_root '$root'; rm -f '$DISK.tmp'" EXIT
	say "disk: debootstrap bookworm with ${GUEST_PKGS[*]} (once a month; cached as $DISK)"
	# --foreign, then the second stage with a policy-rc.d in place: the
	# packages' scripts must not start dockerd or the registry here.
	if ! debootstrap --foreign --variant=minbase --include="$(IFS=,; echo "${GUEST_PKGS[*]}")" \
		bookworm "$root" "$MIRROR" >"$root.log" 2>&1; then
		tail -n 20 "$root.log" >&2
		die "debootstrap (first stage) failed"
	fi
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	if ! chroot "$root" /debootstrap/debootstrap --second-stage >>"$root.log" 2>&1; then
		tail -n 20 "$root.log" >&2
		die "debootstrap (second stage) failed"
	fi
	unmount_under "$root"
	rm -f "$root.log" "$root/usr/sbin/policy-rc.d"
	say "disk: debootstrap took $(($(date +%s) - t0)) s"
	# The kernel's modules the guest needs, and their index.
	mkdir -p "$root/lib/modules/$KVER"
	cp "$KDIR/modules/$KVER"/modules.builtin* "$KDIR/modules/$KVER/modules.order" "$root/lib/modules/$KVER/"
	for d in "${GUEST_MOD_DIRS[@]}"; do
		[ -e "$KDIR/modules/$KVER/$d" ] || continue
		mkdir -p "$root/lib/modules/$KVER/$(dirname "$d")"
		cp -a "$KDIR/modules/$KVER/$d" "$root/lib/modules/$KVER/$d"
	done
	chroot "$root" depmod "$KVER"
	echo envbox-vm >"$root/etc/hostname"
	printf '127.0.0.1 localhost envbox-vm\n::1 localhost\n' >"$root/etc/hosts"
	: >"$root/etc/resolv.conf"
	rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* \
		"$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
		"$root"/var/log/* "$root"/tmp/* "$root/debootstrap"
	truncate -s "$DISK_SIZE" "$DISK.tmp"
	mke2fs -q -F -t ext4 -L envbox-vm -d "$root" "$DISK.tmp"
	mv "$DISK.tmp" "$DISK"
	remove_root "$root"
	trap - EXIT
	for old in "$CACHE"/disk-*.img; do
		[ "$old" = "$DISK" ] || rm -f "$old"
	done
	say "disk: built in $(($(date +%s) - t0)) s"
}

# ---- the envbox image ----------------------------------------------------------

# IMAGE_DISK: the envbox image (envbox:latest, the Dockerfile's build)
# already loaded, as the guest's dockerd keeps it: an ext4 disk holding a
# Docker data root's image store (image/, overlay2/), which the guest mounts
# at /var/lib/docker. Loading the image in the guest instead (docker load
# under TCG) takes one to three minutes a boot; here, seconds. Made by
# dockerds of our own (tests/lib/dockerd.bash: no bridge, no iptables): one
# builds, its data root under the cache so the build cache and the base
# image stay; a fresh one loads the image alone. The guest's dockerd is the
# same Debian docker.io as this machine's.
envbox_image() {
	local key t0 data tmp
	# The sources the Dockerfile copies, and the workspace images' recipe.
	key=$({
		cd "$SRC" && find Dockerfile .dockerignore Makefile applets lib docs scripts/md2man \
			scripts/cgroup-v2-prelude profiles -type f -print0
		printf '%s\0' "$HERE/nesting.Dockerfile"
	} | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
	IMAGE_DISK=$CACHE/envbox-image-$(date +%Y%m)-$key.img
	[ -s "$IMAGE_DISK" ] && return 0
	t0=$(date +%s)
	say "envbox image: docker build (cached as $IMAGE_DISK)"
	data=$CACHE/dockerd
	tmp=$(mktemp -d "$CACHE/image-XXXXXX")
	# shellcheck source=tests/lib/dockerd.bash
	. "$ROOT/tests/lib/dockerd.bash"
	unmount_under "$data"
	# shellcheck disable=SC2064 # the directories are known now
	trap "dockerd_stop; unmount_under '$data'; unmount_under '$tmp'; rm -rf '$tmp' '$IMAGE_DISK.tmp'" EXIT
	# The daemons are ours while this (sub)shell lives (dockerd.bash's
	# sweep of other runs' daemons goes by this pid).
	export BATS_ROOT_PID=$BASHPID
	dockerd_start --data-root="$data" >&2
	ENVBOX_CACHE_DIR=${ENVBOX_CACHE_DIR:-/var/cache/envbox-test} \
		"$ROOT/tests/lib/base-image.sh" envbox-base:bookworm
	if ! DOCKER_BUILDKIT=0 docker build --network=host --build-arg BASE_IMAGE=envbox-base:bookworm \
		-t envbox:latest "$SRC" >"$OUT/image-build.log" 2>&1; then
		tail -n 40 "$OUT/image-build.log" >&2
		die "docker build failed (the whole log: $OUT/image-build.log)"
	fi
	say "envbox image: built in $(($(date +%s) - t0)) s"
	mkdir -p "$tmp/disk"
	ws_images "$tmp/disk"
	docker save envbox:latest -o "$tmp/image.tar"
	# Keep what makes the next build fast, not old images.
	docker image prune -f --filter until=168h >/dev/null 2>&1 || :
	dockerd_stop
	unmount_under "$data"
	dockerd_start --data-root="$tmp/docker" >&2
	docker load -i "$tmp/image.tar" >/dev/null
	dockerd_stop
	unmount_under "$tmp/docker"
	mv "$tmp/docker/image" "$tmp/docker/overlay2" "$tmp/disk/"
	truncate -s 8G "$IMAGE_DISK.tmp"
	mke2fs -q -F -t ext4 -L envbox-docker -d "$tmp/disk" "$IMAGE_DISK.tmp"
	mv "$IMAGE_DISK.tmp" "$IMAGE_DISK"
	trap - EXIT
	rm -rf "$tmp"
	for old in "$CACHE"/envbox-image-*; do
		[ "$old" = "$IMAGE_DISK" ] || rm -f "$old"
	done
	say "envbox image: loaded into $IMAGE_DISK in $(($(date +%s) - t0)) s in all"
}

# ws_images DISK: the nesting suite's workspace images (nesting.Dockerfile),
# built by the dockerd of envbox_image, onto the image disk's tree DISK in
# two forms:
#   DISK/registry      a registry's storage holding them (a registry of our
#                      own on the loopback, for the push alone); the guest's
#                      registry serves it
#   DISK/envbox-seed   the data root of a dockerd run as envbox runs it
#                      (--userns-remap=coder) that has pulled them under the
#                      guest's registry names: the nesting suite starts
#                      envbox on it, so its pull finds every layer there.
#                      Pulling 450 MB through gzip and sha256 under TCG
#                      takes five minutes a boot; the pull itself is
#                      cgroup2.bats's business.
ws_images() {
	local disk=$1 port=45871 cfg reg_pid t i
	mkdir -p "$disk/registry"
	cfg=$disk/../registry.yml
	printf '%s\n' 'version: 0.1' 'log: {level: warn}' \
		"storage: {filesystem: {rootdirectory: $disk/registry}}" "http: {addr: \"127.0.0.1:$port\"}" >"$cfg"
	docker-registry serve "$cfg" >"$OUT/ws-registry.log" 2>&1 &
	reg_pid=$!
	for ((i = 0; i < 100; i++)); do
		curl -sf -o /dev/null "http://127.0.0.1:$port/v2/" && break
		sleep 0.1
	done
	for t in dind systemd; do
		if ! DOCKER_BUILDKIT=0 docker build --network=host --build-arg BASE_IMAGE=envbox-base:bookworm \
			--target "$t" -t "127.0.0.1:$port/ws/$t:1" -f "$HERE/nesting.Dockerfile" "$HERE" \
			>>"$OUT/image-build.log" 2>&1 ||
			! docker push "127.0.0.1:$port/ws/$t:1" >>"$OUT/image-build.log" 2>&1; then
			kill "$reg_pid" 2>/dev/null
			tail -n 40 "$OUT/image-build.log" >&2
			die "the workspace image ws/$t failed (the whole log: $OUT/image-build.log)"
		fi
	done
	ws_seed "$disk/envbox-seed" "$port" || { kill "$reg_pid" 2>/dev/null; die "seeding envbox's data root failed (log: $OUT/image-build.log)"; }
	kill "$reg_pid" 2>/dev/null
	wait "$reg_pid" 2>/dev/null || :
	say "workspace images: ws/dind:1 and ws/systemd:1 in the disk's registry and envbox seed"
}

# ws_seed DIR PORT: a remapped dockerd's data root in DIR with the images
# pulled from the loopback registry and tagged as the guest names them.
# In a subshell: dockerd.bash's daemon state is one at a time.
ws_seed() (
	local dir=$1 port=$2 t
	id coder >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin coder
	grep -q '^coder:' /etc/subuid || echo coder:100000:65536 >>/etc/subuid
	grep -q '^coder:' /etc/subgid || echo coder:100000:65536 >>/etc/subgid
	mkdir -p "$dir"
	# The remapped root must traverse every directory above its root
	# (mktemp made the run's directory 0700).
	chmod o+x "$dir" "$dir/.." "$dir/../.."
	dockerd_start --data-root="$dir" --userns-remap=coder >&2
	for t in dind systemd; do
		if ! docker pull "127.0.0.1:$port/ws/$t:1" >>"$OUT/image-build.log" 2>&1 ||
			! docker tag "127.0.0.1:$port/ws/$t:1" "registry.envbox-vm.test:5000/ws/$t:1" ||
			! docker rmi "127.0.0.1:$port/ws/$t:1" >/dev/null; then
			dockerd_stop
			return 1
		fi
	done
	dockerd_stop
	unmount_under "$dir"
	# Its network state is a daemon's without a bridge: envbox's makes its own.
	rm -rf "$dir"/100000.100000/network
)

# dockerd makes its data root a mount point and leaves it so.
unmount_under() {
	awk -v d="$1" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts |
		sort -r | while read -r m; do umount -l "$m" 2>/dev/null || :; done
}

build_all() {
	local t0 image_pid
	t0=$(date +%s)
	prepare_cache
	# The image build and debootstrap wait on the network and dpkg more
	# than on the CPU: side by side.
	(envbox_image) &
	image_pid=$!
	kernel
	initrd
	disk
	wait "$image_pid" || die "the envbox image failed (above)"
	envbox_image
	flock -u 7
	say "artifacts ready in $(($(date +%s) - t0)) s"
}

# ---- a run -------------------------------------------------------------------

# payload MODE CGROUP SUITE...: the tar the guest unpacks at /vm.
payload() {
	local mode=$1 cgroup=$2 p n=0 s dir
	shift 2
	p=$OUT/payload
	rm -rf "$p"
	mkdir -p "$p/suites" "$p/lib"
	cp "$HERE/guest-init" "$p/guest-init"
	cp "$ROOT/tests/lib/image.sh" "$ROOT/tests/lib/outer.bash" "$p/lib/"
	# The workspace image: a busybox rootfs with the user coder, pushed to
	# the guest's registry by guest-init.
	"$ROOT/tests/lib/image.sh" rootfs "$p/ws-rootfs" --user coder:1000:1000:/home/coder
	for s in "$@"; do
		[ -f "$s" ] || die "no suite $s"
		n=$((n + 1))
		dir=$(cd "$(dirname "$s")" && pwd)
		# The suite's directory, for what it loads beside it.
		mkdir -p "$p/suites/$n"
		tar -C "$dir" --exclude='./fuzz' --exclude='*.tmp' -cf - . | tar -C "$p/suites/$n" -xf -
		echo "$n/$(basename "$s")" >>"$p/suites/list"
	done
	{
		echo "VM_MODE=$mode"
		echo "VM_CGROUP=$cgroup"
	} >"$p/env"
	tar --numeric-owner -C "$p" -cf "$OUT/payload.tar" .
	rm -rf "$p"
}

# KVM when /dev/kvm is there and works: a machine with a nested KVM that
# cannot run this kernel hangs instead of failing, so the kernel is booted
# first with nothing to mount (it panics, and -no-reboot ends qemu: about a
# second). TCG otherwise.
accel_args() {
	local accel=$VM_ACCEL
	if [ "$accel" = auto ]; then
		accel=tcg
		if [ -c /dev/kvm ] && (exec 9<>/dev/kvm) 2>/dev/null &&
			timeout 10 qemu-system-x86_64 -machine q35 -accel kvm -m 256M \
				-kernel "$KDIR/vmlinuz" -append "console=ttyS0 quiet panic=-1" \
				-display none -serial null -nic none -no-reboot </dev/null >/dev/null 2>&1; then
			accel=kvm
		fi
	fi
	# shellcheck disable=SC2054 # qemu's option, commas and all
	case $accel in
	kvm) ACCEL=(-accel kvm) ;;
	tcg) ACCEL=(-accel tcg,thread=multi) ;;
	*) die "VM_ACCEL=$accel: expected kvm, tcg or auto" ;;
	esac
	say "accelerator: $accel"
}

# qemu_args: the machine, its four disks.
qemu_args() {
	QEMU=(qemu-system-x86_64 -machine q35 "${ACCEL[@]}" -smp "$VM_CPUS" -m "$VM_MEM"
		-kernel "$KDIR/vmlinuz" -initrd "$INITRD"
		-append "console=ttyS0 quiet panic=-1"
		-drive "file=$DISK,if=virtio,format=raw,cache=unsafe,snapshot=on"
		-drive "file=$OUT/payload.tar,if=virtio,format=raw,readonly=on"
		-drive "file=$IMAGE_DISK,if=virtio,format=raw,cache=unsafe,snapshot=on"
		-drive "file=$OUT/results.img,if=virtio,format=raw,cache=unsafe"
		-nic none -no-reboot)
}

# boot CGROUP SUITE...: one machine (cgroup v2, or v1 hierarchies), the
# suites run in it; returns their status. Its console goes to the terminal
# and $OUT/console-CGROUP.log, its results to $OUT/results-CGROUP/.
boot() {
	local cgroup=$1 t0 status=0 rc res log
	shift
	res=$OUT/results-$cgroup
	log=$OUT/console-$cgroup.log
	payload test "$cgroup" "$@"
	rm -f "$OUT/results.img"
	truncate -s 64M "$OUT/results.img"
	rm -rf "$res"
	mkdir -p "$res"
	qemu_args
	say "booting: cgroup $cgroup, $VM_CPUS CPUs, $VM_MEM; killed after ${VM_TIMEOUT}s"
	t0=$(date +%s)
	timeout --kill-after=10 "$VM_TIMEOUT" "${QEMU[@]}" -display none -serial stdio </dev/null |
		tee "$log" || status=$?
	if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
		say "FAILED: the guest (cgroup $cgroup) did not finish within VM_TIMEOUT=${VM_TIMEOUT}s and was killed (console log: $log)"
		return 1
	fi
	if [ "$status" -ne 0 ]; then
		say "FAILED: qemu exited with status $status (console log: $log)"
		return 1
	fi
	say "the guest (cgroup $cgroup) ran $(($(date +%s) - t0)) s"
	if ! tar -C "$res" -xf "$OUT/results.img" 2>/dev/null || [ ! -s "$res/status" ]; then
		say "FAILED: the guest left no results (console log: $log)"
		return 1
	fi
	rc=$(cat "$res/status")
	if [ "$rc" -ne 0 ]; then
		say "FAILED: the suites in the cgroup $cgroup guest (status $rc; TAP and logs in $res)"
		return 1
	fi
	say "passed: cgroup $cgroup (TAP and logs in $res)"
}

# Without suites, two machines: cgroup v2 (tests/vm/cgroup2.bats and
# nesting.bats) and
# cgroup v1 (tests/vm/cgroup1.bats); VM_CGROUP picks one. With suites,
# one machine: VM_CGROUP, v2 by default.
run_test() {
	local status=0
	build_all
	accel_args
	if [ $# -gt 0 ]; then
		boot "${VM_CGROUP:-v2}" "$@" || status=1
	else
		if [ "${VM_CGROUP:-v2}" = v2 ]; then
			boot v2 "$HERE/cgroup2.bats" "$HERE/nesting.bats" || status=1
		fi
		if [ "${VM_CGROUP:-v1}" = v1 ]; then
			boot v1 "$HERE/cgroup1.bats" || status=1
		fi
	fi
	return "$status"
}

run_shell() {
	build_all
	payload shell "${VM_CGROUP:-v2}"
	rm -f "$OUT/results.img"
	truncate -s 64M "$OUT/results.img"
	accel_args
	qemu_args
	say "booting a shell, cgroup ${VM_CGROUP:-v2} (Ctrl-A X quits qemu)"
	"${QEMU[@]}" -nographic
}

cmd=${1:-test}
[ $# -gt 0 ] && shift
case $cmd in
test) run_test "$@" ;;
shell) run_shell ;;
build) build_all ;;
*) die "usage: vm.sh test [SUITE.bats...] | vm.sh shell | vm.sh build" ;;
esac
