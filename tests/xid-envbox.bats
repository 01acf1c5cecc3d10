#!/usr/bin/env bats
# envbox docker with runc (no sysbox) and idmapped mounts: a home volume on
# a loop-mounted ext4 whose files are owned by 1000 on disk goes into the
# workspace through an idmapped mount, so the inner user (host 101000)
# writes it, its new files are 1000 on disk, and nothing on it is chowned.
# A fresh root-owned home source is made the user's on disk (1000, not
# 101000); a missing source is created. A volume whose filesystem cannot be
# idmapped (ext2), and every volume with CODER_DISABLE_IDMAPPED_MOUNT=true,
# is chowned as before.
load helpers
load lib/dockerd
load lib/registry
load lib/envbox

# mkloop FSTYPE DIR: a small image of FSTYPE loop-mounted at DIR, undone in
# teardown_file.
mkloop() {
	local img=$V/img.$1 dev
	truncate -s 64M "$img"
	"mkfs.$1" -q -F "$img" >/dev/null
	dev=$(losetup -f --show "$img")
	echo "$dev" >>"$V/loops"
	mkdir -p "$2"
	mount -t "$1" "$dev" "$2"
	echo "$2" >>"$V/mounts"
}

setup_file() {
	ensure_remap_user
	registry_start
	push_workspace_image ws/plain:1
	V=$(mktemp -d /tmp/xide-XXXXXX)
	chmod 0755 "$V"
	echo "$V" >"$BATS_FILE_TMPDIR/v"
	mkloop ext4 "$V/ext4"
	mkloop ext2 "$V/ext2"

	# The user's volume, as another machine left it: owned by 1000.
	H=$V/ext4/home
	mkdir -p "$H/projects/app"
	echo "export EDITOR=vi" >"$H/.profile"
	echo data >"$H/projects/app/main.c"
	chown -R 1000:1000 "$H"
	chmod 0750 "$H"
	chmod 0640 "$H/.profile"
	# A root-owned file on it stays root's, inside too.
	echo root >"$H/root-file"
	find "$H" -printf '%U:%G %m %p\n' | sort -k3 >"$V/before"
	mkdir -p "$V/ext2/data" "$V/ext4/home2"
	chown 1000:1000 "$V/ext4/home2"
	# /home/NAME counts as the user's home wherever it is bound.
	FRESH=/home/xid-t$$
	mkdir -m 0755 "$FRESH"
	echo "$FRESH" >"$BATS_FILE_TMPDIR/fresh"

	envbox_env_dir
	echo "$EB_DIR" >"$BATS_FILE_TMPDIR/eb_dir"
	envbox_start \
		CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" \
		CODER_INNER_USERNAME=coder \
		ENVBOX_IDMAP_DIR="$EB_DIR/idmap" \
		CODER_MOUNTS="$H:/home/coder,$V/ext2/data:/data,$FRESH:/fresh,$V/ext4/made/here:/made"
	echo "$EB_PID" >"$BATS_FILE_TMPDIR/eb_pid"
}

teardown_file() {
	local m
	V=$(cat "$BATS_FILE_TMPDIR/v" 2>/dev/null) || V=
	envbox_file_stop
	registry_stop
	rm -rf "$(cat "$BATS_FILE_TMPDIR/fresh" 2>/dev/null)"
	[ -n "$V" ] || return 0
	if [ -f "$V/mounts" ]; then
		tac "$V/mounts" | while read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" || echo "# teardown: could not unmount $m" >&3
		done
	fi
	if [ -f "$V/loops" ]; then
		while read -r m; do
			losetup -d "$m" || echo "# teardown: could not detach $m" >&3
		done <"$V/loops"
	fi
	rm -rf "$V"
}

setup() {
	EB_DIR=$(cat "$BATS_FILE_TMPDIR/eb_dir")
	EB_PID=$(cat "$BATS_FILE_TMPDIR/eb_pid")
	V=$(cat "$BATS_FILE_TMPDIR/v")
	EB_OUT=$EB_DIR/envbox.log
	DOCKER_HOST=unix://$EB_DIR/d.sock
	H=$V/ext4/home
	FRESH=$(cat "$BATS_FILE_TMPDIR/fresh")
	export EB_DIR EB_PID EB_OUT DOCKER_HOST V H FRESH
}

# as_user CMD...: CMD in the workspace as the image's user, 1000:1000.
as_user() {
	docker exec -u 1000:1000 workspace_cvm "$@"
}

@test "runc: the home volume goes in through an idmapped mount; the choice is logged per mount" {
	[ "$(inspect_runtime)" = runc ]
	grep -q "Mount $H: idmapped at $EB_DIR/idmap/" "$EB_OUT"
	grep -q "Mount $V/ext2/data: chowned to 100000:100000 (no idmapped mount: ext2 mounts have no idmapped mounts" "$EB_OUT"
	run docker inspect -f '{{range .Mounts}}{{.Source}} {{.Destination}}{{"\n"}}{{end}}' workspace_cvm
	assert_line --regexp "^$EB_DIR/idmap/[0-9]+ /home/coder$"
	assert_line "$V/ext2/data /data"
	run findmnt -n -o VFS-OPTIONS --target "$(docker inspect -f '{{range .Mounts}}{{if eq .Destination "/home/coder"}}{{.Source}}{{end}}{{end}}' workspace_cvm)"
	assert_output --partial idmapped
}

@test "runc: inside, the volume's files keep their on-disk owners" {
	run inner stat -c '%u:%g %a %n' /home/coder /home/coder/.profile /home/coder/projects/app/main.c /home/coder/root-file
	assert_line --index 0 "1000:1000 750 /home/coder"
	assert_line --index 1 "1000:1000 640 /home/coder/.profile"
	assert_line --index 2 "1000:1000 644 /home/coder/projects/app/main.c"
	assert_line --index 3 "0:0 644 /home/coder/root-file"
	run as_user cat /home/coder/.profile
	assert_output "export EDITOR=vi"
}

@test "runc: the inner user writes its home; new files are 1000 on disk, not 101000" {
	run as_user sh -c 'echo new >/home/coder/new-file && mkdir /home/coder/new-dir && echo more >>/home/coder/projects/app/main.c'
	assert_success
	run stat -c '%u:%g %n' "$H/new-file" "$H/new-dir" "$H/.coder"
	assert_line --index 0 "1000:1000 $H/new-file"
	assert_line --index 1 "1000:1000 $H/new-dir"
	# The entrypoint's own "$HOME/.coder", made as the user.
	assert_line --index 2 "1000:1000 $H/.coder"
	# The inner root's files are root's on disk.
	inner touch /home/coder/by-root
	[ "$(stat -c %u:%g "$H/by-root")" = 0:0 ]
	# Not the user's: a root-owned file stays unwritable for it.
	run as_user sh -c 'echo x >>/home/coder/root-file'
	assert_failure
}

@test "runc: nothing on the idmapped volume was chowned or chmodded" {
	while read -r own mode path; do
		[ "$(stat -c '%u:%g %a' "$path")" = "$own $mode" ] ||
			fail "$path: was $own $mode, now $(stat -c '%u:%g %a' "$path")"
	done <"$V/before"
	run find "$H" -uid +65535
	assert_output ""
}

@test "runc: a fresh root-owned home is made the user's unshifted; a missing source is created" {
	grep -q "Mount $FRESH: idmapped at $EB_DIR/idmap/[0-9]*, owner set to 1000:1000 (was 0:0)" "$EB_OUT"
	run stat -c '%u:%g %a' "$FRESH"
	assert_output "1000:1000 2755"
	run as_user sh -c 'touch /fresh/f && stat -c %u:%g /fresh /fresh/f'
	assert_line --index 0 "1000:1000"
	assert_line --index 1 "1000:1000"
	[ "$(stat -c %u:%g "$FRESH/f")" = 1000:1000 ]
	grep -q "Mount $V/ext4/made/here: created owned by 0:0, idmapped at $EB_DIR/idmap/" "$EB_OUT"
	run stat -c '%u:%g %a' "$V/ext4/made/here"
	assert_output "0:0 2755"
	run inner stat -c '%u:%g' /made
	assert_output "0:0"
}

@test "runc: a filesystem that cannot be idmapped (ext2) is chowned as before" {
	run stat -c '%u:%g %a' "$V/ext2/data"
	assert_output "100000:100000 2755"
	run inner sh -c 'touch /data/f && stat -c %u /data/f'
	assert_output 0
	[ "$(stat -c %u "$V/ext2/data/f")" = 100000 ]
}

@test "runc: stopping releases the idmapped mounts; CODER_DISABLE_IDMAPPED_MOUNT=true chowns" {
	envbox_stop
	run grep -c " $EB_DIR/idmap/" /proc/self/mountinfo
	assert_output 0
	envbox_start \
		CODER_INNER_IMAGE="$REGISTRY/ws/plain:1" \
		CODER_INNER_USERNAME=coder \
		ENVBOX_IDMAP_DIR="$EB_DIR/idmap" \
		CODER_DISABLE_IDMAPPED_MOUNT=true \
		CODER_MOUNTS="$V/ext4/home2:/home/coder"
	echo "$EB_PID" >"$BATS_FILE_TMPDIR/eb_pid"
	run grep -c "idmapped at" "$EB_OUT"
	assert_output 0
	run stat -c '%u:%g %a' "$V/ext4/home2"
	assert_output "101000:101000 2755"
	run as_user touch /home/coder/file
	assert_success
	[ "$(stat -c %u "$V/ext4/home2/file")" = 101000 ]
	envbox_stop
}

inspect_runtime() {
	docker inspect -f '{{.HostConfig.Runtime}}' workspace_cvm
}
