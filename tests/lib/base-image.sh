#!/bin/sh
# base-image.sh: a Debian bookworm base image for the Dockerfile, made from
# the Debian archive alone (no registry to pull debian:bookworm-slim from):
# debootstrap --variant=minbase, then docker import.
#
#   base-image.sh [TAG]     TAG defaults to envbox-base:bookworm; the image
#                           goes to the daemon at $DOCKER_HOST
#
# Like debian:bookworm-slim, it leaves out documentation, man pages and
# translations (a dpkg path-exclude file keeps later packages from bringing
# them back).
#
# The root filesystem is kept as a tarball under $ENVBOX_CACHE_DIR
# (/var/cache/envbox-test), named after this recipe, the debootstrap version
# and the month, so a machine pays for debootstrap (1-3 minutes) about once a
# month and picks up point releases after that. Older tarballs are removed.
# DEBIAN_MIRROR overrides http://deb.debian.org/debian.
set -eu

tag=${1:-envbox-base:bookworm}
cache=${ENVBOX_CACHE_DIR:-/var/cache/envbox-test}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

die() {
	echo "base-image.sh: $*" >&2
	exit 1
}

# The Debian docker CLI matches the Debian dockerd (another docker on PATH
# may be too new for it).
docker() {
	/usr/bin/docker "$@"
}

command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found (apt-get install debootstrap)"
version=$(dpkg-query -W -f '${Version}' debootstrap 2>/dev/null) || version=unknown
recipe=2 # bump when the steps below change
key=bookworm-minbase-r$recipe-$version-$(date +%Y%m)
tarball=$cache/$key.tar.gz

# The image is there, made from this very tarball.
if [ "$(docker image inspect -f '{{index .Config.Labels "org.envbox.rootfs"}}' "$tag" 2>/dev/null)" = "$key" ]; then
	exit 0
fi

if [ ! -s "$tarball" ]; then
	mkdir -p "$cache"
	root=$(mktemp -d "$cache/rootfs-XXXXXX")
	trap 'rm -rf "$root" "$tarball.tmp"' EXIT
	echo "base-image.sh: debootstrap bookworm from $mirror (once; cached as $tarball)" >&2
	debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || {
		tail -n 20 "$root.log" >&2
		rm -f "$root.log"
		die "debootstrap failed"
	}
	rm -f "$root.log"
	# Updates and security fixes come from the same archive host.
	cat >"$root/etc/apt/sources.list" <<-EOF
	deb $mirror bookworm main
	deb $mirror bookworm-updates main
	deb ${mirror%/debian}/debian-security bookworm-security main
	EOF
	cat >"$root/etc/dpkg/dpkg.cfg.d/envbox-slim" <<-EOF
	path-exclude /usr/share/doc/*
	path-include /usr/share/doc/*/copyright
	path-exclude /usr/share/man/*
	path-exclude /usr/share/groff/*
	path-exclude /usr/share/info/*
	path-exclude /usr/share/lintian/*
	path-exclude /usr/share/locale/*
	EOF
	find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
	find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
	rm -rf "$root"/usr/share/man/* "$root"/usr/share/groff/* "$root"/usr/share/info/* \
		"$root"/usr/share/lintian/* "$root"/usr/share/locale/* \
		"$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
		"$root"/var/log/* "$root"/tmp/* "$root/debootstrap"
	tar --numeric-owner --xattrs -C "$root" -c . | gzip -1 >"$tarball.tmp"
	mv "$tarball.tmp" "$tarball"
	for old in "$cache"/bookworm-minbase-*.tar.gz; do
		[ "$old" = "$tarball" ] || rm -f "$old"
	done
fi

docker import \
	-c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	-c 'CMD ["/bin/bash"]' \
	-c "LABEL org.envbox.rootfs=$key" \
	-m "debootstrap --variant=minbase bookworm ($version)" \
	"$tarball" "$tag" >/dev/null
