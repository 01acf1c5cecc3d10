#!/bin/sh
# image.sh: build small workspace images and push them straight into a
# registry with the registry HTTP API (no docker daemon needed), so the
# demo and the suites can pull them through envbox like a real image.
#
#   image.sh rootfs DIR [--user NAME:UID:GID:HOME]... [--init] [--os-release ID]
#       a busybox rootfs: /bin/sh and applets, /etc/passwd, /etc/group,
#       /etc/os-release, a home directory per user, /sbin/init when --init
#   image.sh push URL NAME:TAG DIR... [--auth USER:PASS] [--cacert FILE]
#       one layer per DIR, pushed as a Docker v2 schema 2 image; URL is
#       http://127.0.0.1:5000 or https://registry.example:5443
set -eu

die() {
	echo "image.sh: $*" >&2
	exit 1
}

rootfs() {
	dir=$1
	shift
	users="root:0:0:/root"
	init=false
	os=debian
	while [ $# -gt 0 ]; do
		case $1 in
		--user) users="$users $2"; shift ;;
		--init) init=true ;;
		--os-release) os=$2; shift ;;
		*) die "rootfs: unknown option $1" ;;
		esac
		shift
	done
	bb=$(command -v busybox) || die "busybox not found (apt-get install busybox-static)"
	mkdir -p "$dir/bin" "$dir/sbin" "$dir/etc" "$dir/tmp" "$dir/root" "$dir/dev" "$dir/proc" "$dir/sys"
	chmod 1777 "$dir/tmp"
	cp "$bb" "$dir/bin/busybox"
	for applet in $("$bb" --list); do
		[ -e "$dir/bin/$applet" ] || ln -s busybox "$dir/bin/$applet"
	done
	rm -f "$dir/sbin/init" "$dir/bin/init" "$dir/bin/linuxrc"
	: >"$dir/etc/passwd"
	: >"$dir/etc/group"
	for u in $users; do
		IFS=: read -r name uid gid home <<-USER
		$u
		USER
		echo "$name:x:$uid:$gid:$name:$home:/bin/sh" >>"$dir/etc/passwd"
		echo "$name:x:$gid:" >>"$dir/etc/group"
		mkdir -p "$dir$home"
		chown "$uid:$gid" "$dir$home"
	done
	printf 'ID=%s\nNAME="envbox test image"\nVERSION_ID="1"\n' "$os" >"$dir/etc/os-release"
	if $init; then
		# A stand-in init: stays up like an init would, so the entrypoint
		# choice (init vs sleep) shows in `ps` inside the container.
		printf '#!/bin/sh\nexec sleep 2147483647\n' >"$dir/sbin/init"
		chmod 755 "$dir/sbin/init"
	fi
}

sha() {
	sha256sum "$1" | cut -d' ' -f1
}

push() {
	url=$1
	ref=$2
	shift 2
	repo=${ref%:*}
	tag=${ref##*:}
	dirs=""
	set -- "$@" --
	while [ "$1" != -- ]; do
		case $1 in
		--auth) curl_auth=$2; shift ;;
		--cacert) curl_ca=$2; shift ;;
		*) dirs="$dirs $1" ;;
		esac
		shift
	done
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	diffids=""
	layers=""
	n=0
	for d in $dirs; do
		n=$((n + 1))
		tar --numeric-owner --sort=name -C "$d" -cf "$work/l$n.tar" .
		gzip -n -1 <"$work/l$n.tar" >"$work/l$n.tgz"
		diffids="$diffids${diffids:+,}\"sha256:$(sha "$work/l$n.tar")\""
		size=$(wc -c <"$work/l$n.tgz")
		layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":$size,\"digest\":\"sha256:$(sha "$work/l$n.tgz")\"}"
		blob "$url" "$repo" "$work/l$n.tgz"
	done
	printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffids" >"$work/config.json"
	blob "$url" "$repo" "$work/config.json"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%s,"digest":"sha256:%s"},"layers":[%s]}' \
		"$(wc -c <"$work/config.json")" "$(sha "$work/config.json")" "$layers" >"$work/manifest.json"
	api -X PUT -H "Content-Type: application/vnd.docker.distribution.manifest.v2+json" \
		--data-binary "@$work/manifest.json" "$url/v2/$repo/manifests/$tag" >/dev/null ||
		die "push $ref: manifest upload failed"
}

# curl with the registry's credentials and CA, failing on HTTP errors.
api() {
	set -- -fsS "$@"
	[ -z "${curl_auth:-}" ] || set -- -u "$curl_auth" "$@"
	[ -z "${curl_ca:-}" ] || set -- --cacert "$curl_ca" "$@"
	curl "$@"
}

blob() {
	digest=sha256:$(sha "$3")
	if api -I "$1/v2/$2/blobs/$digest" >/dev/null 2>&1; then
		return 0
	fi
	loc=$(api -X POST -D - -o /dev/null "$1/v2/$2/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
	[ -n "$loc" ] || die "push: no upload location from $1"
	case $loc in http*) ;; *) loc=$1$loc ;; esac
	case $loc in *\?*) sep='&' ;; *) sep='?' ;; esac
	api -X PUT -H "Content-Type: application/octet-stream" --data-binary "@$3" "$loc${sep}digest=$digest" >/dev/null ||
		die "push: blob upload to $1 failed"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
rootfs) rootfs "$@" ;;
push) push "$@" ;;
*) die "usage: image.sh rootfs DIR [options] | image.sh push URL NAME:TAG DIR... [--auth U:P] [--cacert F]" ;;
esac
