/* idmap: filesystem probing and idmapped mounts (see idmap.h). The mount
 * syscalls go through syscall(2): glibc wraps them only since 2.36, and
 * <linux/mount.h> clashes with glibc's <sys/mount.h>, so the few constants
 * are spelled out here when the C library has none. */
#include "idmap.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* struct mount_attr, version 0 (Linux 5.12). */
struct idmap_attr {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

/* --- kernel and filesystem tables --------------------------------------- */

int idmap_kver_parse(const char *release, struct idmap_kver *k)
{
	char *end;
	unsigned long a, b;

	if (!release || release[0] < '0' || release[0] > '9')
		return -1;
	a = strtoul(release, &end, 10);
	if (*end != '.' || end[1] < '0' || end[1] > '9')
		return -1;
	b = strtoul(end + 1, &end, 10);
	if (a > 1000 || b > 1000)
		return -1;
	k->major = (unsigned)a;
	k->minor = (unsigned)b;
	return 0;
}

int idmap_kver_running(struct idmap_kver *k, eb_err *e)
{
	struct utsname u;

	if (uname(&u)) {
		eb_errf(e, "unable to read the kernel release (uname): %s", strerror(errno));
		return -1;
	}
	if (idmap_kver_parse(u.release, k)) {
		eb_errf(e, "kernel release \"%s\" is not N.N...", u.release);
		return -1;
	}
	return 0;
}

bool idmap_kver_atleast(struct idmap_kver a, unsigned major, unsigned minor)
{
	return a.major > major || (a.major == major && a.minor >= minor);
}

/* Idmapped-mount support by filesystem driver: the kernel allows it where
 * the driver's file_system_type has FS_ALLOW_IDMAP (mount_setattr(2),
 * "ID-mapped mounts"). since 0.0 means never, for the reason in note. A
 * driver not listed is taken as unable: asking costs a failed mount and
 * the fallback (chown) always works. */
static const struct idmap_fs {
	const char *name;
	unsigned major, minor; /* first kernel with support */
	const char *note;      /* why not, for since 0.0 */
} fs_table[] = {
	/* Local filesystems, with the first kernel that set FS_ALLOW_IDMAP. */
	{ "ext4", 5, 12, NULL },    /* with the feature itself */
	{ "xfs", 5, 12, NULL },     /* with the feature itself */
	{ "vfat", 5, 12, NULL },    /* FAT, with the feature itself */
	{ "msdos", 5, 12, NULL },   /* FAT without long names */
	{ "btrfs", 5, 15, NULL },   /* subvolumes too */
	{ "ntfs3", 5, 15, NULL },   /* the in-kernel NTFS driver */
	{ "f2fs", 5, 18, NULL },    /* flash-friendly fs (Android, SD cards) */
	{ "erofs", 5, 19, NULL },   /* read-only images (container layers) */
	{ "overlay", 5, 19, NULL }, /* idmapped layers; the container's rootfs */
	{ "tmpfs", 6, 3, NULL },    /* shmem: /dev/shm, emptyDir medium Memory */
	{ "ceph", 6, 7, NULL },     /* the kernel CephFS client */
	/* Mount types of their own without the flag, though the ext4 driver
	 * may serve them (checked on 6.18: mount_setattr says EINVAL). */
	{ "ext3", 0, 0, "ext3 mounts have no idmapped mounts (mount it as ext4)" },
	{ "ext2", 0, 0, "ext2 mounts have no idmapped mounts (mount it as ext4)" },
	/* The server decides who may write, by the IDs the client sends. */
	{ "nfs", 0, 0, "NFS has no idmapped mounts: the server checks the IDs" },
	{ "nfs4", 0, 0, "NFS has no idmapped mounts: the server checks the IDs" },
	{ "cifs", 0, 0, "SMB has no idmapped mounts: the server checks the IDs" },
	{ "smb3", 0, 0, "SMB has no idmapped mounts: the server checks the IDs" },
	{ "9p", 0, 0, "9p has no idmapped mounts" }, /* virtio shares (WSL, VMs) */
	/* FUSE has the flag since 6.12, but each server must opt in at init. */
	{ "fuse", 0, 0, "FUSE mounts are idmapped only when their server opts in "
	  "(Linux 6.12+), which cannot be told from outside" },
	{ "fuseblk", 0, 0, "FUSE mounts are idmapped only when their server opts in "
	  "(Linux 6.12+), which cannot be told from outside" },
	/* No flag: named for a clear reason rather than "not known". */
	{ "squashfs", 0, 0, "squashfs has no idmapped mounts (and is read-only)" },
	{ "proc", 0, 0, "proc has no idmapped mounts" },
	{ "sysfs", 0, 0, "sysfs has no idmapped mounts" },
	{ "devtmpfs", 0, 0, "devtmpfs has no idmapped mounts" },
};

/* Filesystems without a block device: statfs's f_type names them
 * (<linux/magic.h>). Those with a device are named by libblkid. A table of
 * data: its rows are alike by design, not code written twice. */
static const struct {
	unsigned long magic;
	const char *name;
} magic_table[] = {
	{ 0x01021994, "tmpfs" },    /* TMPFS_MAGIC */
	{ 0x858458f6, "ramfs" },    /* RAMFS_MAGIC */
	{ 0x794c7630, "overlay" },  /* OVERLAYFS_SUPER_MAGIC */
	{ 0x65735546, "fuse" },     /* FUSE_SUPER_MAGIC */
	{ 0x6969, "nfs" },          /* NFS_SUPER_MAGIC */
	{ 0xff534d42, "cifs" },     /* CIFS_SUPER_MAGIC */
	{ 0xfe534d42, "smb3" },     /* SMB2_SUPER_MAGIC */
	{ 0x01021997, "9p" },       /* V9FS_MAGIC */
	{ 0x00c36400, "ceph" },     /* CEPH_SUPER_MAGIC */
	{ 0x9fa0, "proc" },         /* PROC_SUPER_MAGIC */
	{ 0x62656572, "sysfs" },    /* SYSFS_MAGIC */
	{ 0x63677270, "cgroup2" },  /* CGROUP2_SUPER_MAGIC */
	{ 0x1cd1, "devpts" },       /* DEVPTS_SUPER_MAGIC */
	{ 0xef53, "ext4" },         /* EXT4_SUPER_MAGIC, when blkid cannot read */
	{ 0x58465342, "xfs" },      /* XFS_SUPER_MAGIC, likewise */
	{ 0x9123683e, "btrfs" },    /* BTRFS_SUPER_MAGIC, likewise */
};

bool idmap_fs_supported(const char *fstype, struct idmap_kver k, char *why, size_t n)
{
	size_t len = strcspn(fstype, "."); /* "fuse.sshfs": the driver is fuse */

	if (!idmap_kver_atleast(k, 5, 12)) {
		snprintf(why, n, "idmapped mounts need Linux 5.12 (running %u.%u)",
			 k.major, k.minor);
		return false;
	}
	for (size_t i = 0; i < sizeof fs_table / sizeof *fs_table; i++) {
		const struct idmap_fs *f = &fs_table[i];

		if (strlen(f->name) != len || memcmp(f->name, fstype, len))
			continue;
		if (!f->major) {
			snprintf(why, n, "%s", f->note);
			return false;
		}
		if (!idmap_kver_atleast(k, f->major, f->minor)) {
			snprintf(why, n, "%s needs Linux %u.%u for idmapped mounts "
				 "(running %u.%u)", f->name, f->major, f->minor,
				 k.major, k.minor);
			return false;
		}
		snprintf(why, n, "%s supports idmapped mounts since Linux %u.%u "
			 "(running %u.%u)", f->name, f->major, f->minor, k.major, k.minor);
		return true;
	}
	snprintf(why, n, "%s is not known to support idmapped mounts", fstype);
	return false;
}

/* --- probe -------------------------------------------------------------- */

/* path resolved, or its nearest existing parent resolved when path is
 * missing (an absolute path is then cut back one component at a time). */
static char *resolve_existing(const char *path, eb_err *e)
{
	char *p, *real, *slash;

	real = realpath(path, NULL);
	if (real)
		return real;
	if (errno != ENOENT || path[0] != '/') {
		eb_errf(e, "unable to resolve %s: %s", path, strerror(errno));
		return NULL;
	}
	p = xstrdup(path);
	while (!real) {
		slash = strrchr(p, '/');
		if (slash == p) {
			p[1] = 0;
		} else {
			*slash = 0;
		}
		real = realpath(p, NULL);
		if (!real && (errno != ENOENT || !strcmp(p, "/"))) {
			eb_errf(e, "unable to resolve %s: %s", p, strerror(errno));
			break;
		}
	}
	free(p);
	return real;
}

/* The TYPE libblkid reads on dev, or NULL. */
static char *blkid_type(const char *dev)
{
	blkid_probe pr = blkid_new_probe_from_filename(dev);
	const char *v = NULL;
	char *type = NULL;

	if (!pr)
		return NULL;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
	if (blkid_do_safeprobe(pr) == 0 &&
	    blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0 && v)
		type = xstrdup(v);
	blkid_free_probe(pr);
	return type;
}

/* A block device node at path, with device number want unless want is 0. */
static bool is_blockdev(const char *path, dev_t want)
{
	struct stat st;

	return path && path[0] == '/' && !stat(path, &st) && S_ISBLK(st.st_mode) &&
	       (!want || st.st_rdev == want);
}

/* The node of block device maj:min: /dev/block/MAJ:MIN (udev's link), or
 * /dev/DEVNAME from sysfs where /dev has no such links (containers). */
static char *devnode(unsigned maj, unsigned min)
{
	dev_t want = makedev(maj, min);
	char *p = xasprintf("/dev/block/%u:%u", maj, min), *real, *name;
	buf ue = { 0 };
	eb_err e;

	if (is_blockdev(p, want)) {
		real = realpath(p, NULL);
		free(p);
		return real ? real : xasprintf("/dev/block/%u:%u", maj, min);
	}
	free(p);
	p = xasprintf("/sys/dev/block/%u:%u/uevent", maj, min);
	if (read_file(p, 4096, &ue, &e) == 0 && (name = strstr(ue.p, "DEVNAME="))) {
		name += strlen("DEVNAME=");
		name[strcspn(name, "\n")] = 0;
		free(p);
		p = xasprintf("/dev/%s", name);
		buf_free(&ue);
		if (is_blockdev(p, want))
			return p;
	}
	buf_free(&ue);
	free(p);
	return NULL;
}

int idmap_probe(const char *path, const struct mountinfo *mi, struct idmap_kver k,
		struct idmap_probe *p, eb_err *e)
{
	const struct mountinfo_entry *m;
	struct statfs sf;
	char *dev = NULL;

	memset(p, 0, sizeof *p);
	p->path = resolve_existing(path, e);
	if (!p->path)
		return -1;
	m = mountinfo_find(mi, p->path);
	if (!m) {
		eb_errf(e, "no mount in the mount table holds %s", p->path);
		idmap_probe_free(p);
		return -1;
	}
	p->target = xstrdup(m->target);
	p->driver = xstrdup(m->fstype);

	/* The device: the one mountinfo's major:minor names, else the source
	 * when it is a block device (btrfs files have an anonymous st_dev). */
	if (m->major)
		dev = devnode(m->major, m->minor);
	if (!dev && is_blockdev(m->source, 0))
		dev = realpath(m->source, NULL);
	if (dev) {
		p->fstype = blkid_type(dev);
		p->source = dev;
	}
	if (!p->fstype && statfs(p->path, &sf) == 0) {
		for (size_t i = 0; i < sizeof magic_table / sizeof *magic_table; i++)
			if ((unsigned long)sf.f_type == magic_table[i].magic)
				p->fstype = xstrdup(magic_table[i].name);
	}
	if (!p->fstype)
		p->fstype = xstrdup(m->fstype);

	/* The verdict is the driver's: an ext3 disk served by ext4 is ext4's
	 * to idmap or not. */
	if (mountinfo_has_opt(m->vfs_opts, "idmapped")) {
		snprintf(p->why, sizeof p->why, "the mount at %s is already idmapped "
			 "(an idmapping cannot be changed)", m->target);
		p->idmap = false;
	} else {
		p->idmap = idmap_fs_supported(m->fstype, k, p->why, sizeof p->why);
	}
	return 0;
}

void idmap_probe_free(struct idmap_probe *p)
{
	free(p->path);
	free(p->target);
	free(p->driver);
	free(p->fstype);
	free(p->source);
	memset(p, 0, sizeof *p);
}

/* --- the mount ---------------------------------------------------------- */

static int write_str(const char *path, const char *s, eb_err *e)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t n = strlen(s);

	if (fd < 0 || write(fd, s, n) != (ssize_t)n) {
		eb_errf(e, "unable to write \"%.*s\" to %s: %s", (int)(n - 1), s, path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (close(fd)) {
		eb_errf(e, "unable to write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int idmap_userns(uint32_t offset, uint32_t count, eb_err *e)
{
	int up[2], down[2], err = 0, fd = -1;
	char path[64], map[64];
	pid_t pid;
	ssize_t r;

	if (count == 0 || offset > UINT32_MAX - 1 - (count - 1)) {
		eb_errf(e, "range %u+%u is past the largest ID", offset, count);
		return -1;
	}
	if (pipe2(up, O_CLOEXEC)) {
		eb_errf(e, "unable to make a pipe: %s", strerror(errno));
		return -1;
	}
	if (pipe2(down, O_CLOEXEC)) {
		eb_errf(e, "unable to make a pipe: %s", strerror(errno));
		close(up[0]);
		close(up[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		eb_errf(e, "unable to fork: %s", strerror(errno));
		close(up[0]);
		close(up[1]);
		close(down[0]);
		close(down[1]);
		return -1;
	}
	if (pid == 0) {
		/* The child only holds the namespace open until the parent has
		 * written its maps and opened it: syscalls only, then _exit. */
		char c;

		close(up[0]);
		close(down[1]);
		err = unshare(CLONE_NEWUSER) ? errno : 0;
		if (write(up[1], &err, sizeof err) != sizeof err)
			_exit(1);
		while (read(down[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	do
		r = read(up[0], &err, sizeof err);
	while (r < 0 && errno == EINTR);
	if (r != sizeof err) {
		eb_errf(e, "unable to create a user namespace: its process died");
	} else if (err) {
		eb_errf(e, "unable to create a user namespace: %s", strerror(err));
	} else {
		/* uid_map first, then gid_map: setgroups stays allowed, the
		 * writer being privileged in the parent namespace. */
		snprintf(map, sizeof map, "0 %u %u\n", offset, count);
		snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
		if (!write_str(path, map, e)) {
			snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
			if (!write_str(path, map, e)) {
				snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
				fd = open(path, O_RDONLY | O_CLOEXEC);
				if (fd < 0)
					eb_errf(e, "unable to open %s: %s", path, strerror(errno));
			}
		}
	}
	close(up[0]);
	close(down[1]); /* the child's read returns: it exits */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return fd;
}

/* dst as the mount point for src: created when missing. */
static int make_target(const char *dst, bool dir, eb_err *e)
{
	struct stat st;
	char *parent, *slash;
	int fd;

	if (!lstat(dst, &st))
		return 0;
	if (errno != ENOENT) {
		eb_errf(e, "unable to stat %s: %s", dst, strerror(errno));
		return -1;
	}
	if (dir)
		return mkdir_p(dst, 0755, e);
	parent = xstrdup(dst);
	slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = 0;
		if (mkdir_p(parent, 0755, e)) {
			free(parent);
			return -1;
		}
	}
	free(parent);
	fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		eb_errf(e, "unable to create %s: %s", dst, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* Why mount_setattr said EINVAL: src's own filesystem, or the first mount
 * below src (the clone is recursive) whose filesystem cannot. */
static void explain_einval(const char *src, struct idmap_kver k, eb_err *e)
{
	struct mountinfo mi;
	const struct mountinfo_entry *m;
	char why[256];
	char *real = realpath(src, NULL);
	eb_err ignored;
	size_t len;

	if (!real || mountinfo_load(&mi, NULL, &ignored)) {
		eb_errf(e, "%s: the filesystem cannot be idmapped (mount_setattr: %s)",
			src, strerror(EINVAL));
		free(real);
		return;
	}
	m = mountinfo_find(&mi, real);
	if (m && !idmap_fs_supported(m->fstype, k, why, sizeof why)) {
		eb_errf(e, "%s: %s", src, why);
		goto out;
	}
	len = strlen(real);
	for (size_t i = 0; i < mi.n; i++) {
		const char *t = mi.v[i].target;

		if (strncmp(t, real, len) || (t[len] != '/' && strcmp(real, "/")) ||
		    idmap_fs_supported(mi.v[i].fstype, k, why, sizeof why))
			continue;
		eb_errf(e, "%s: the mount below it at %s cannot be idmapped: %s", src, t, why);
		goto out;
	}
	eb_errf(e, "%s: the kernel refused to idmap %s (%s) or a mount below it "
		"(mount_setattr: %s)", src, m ? m->target : real, m ? m->fstype : "?",
		strerror(EINVAL));
out:
	mountinfo_free(&mi);
	free(real);
}

int idmap_mount(const char *src, const char *dst, uint32_t offset, uint32_t count,
		eb_err *e)
{
	struct stat st;
	int fd, rc;

	if (stat(src, &st) || (fd = open(src, O_PATH | O_CLOEXEC)) < 0) {
		eb_errf(e, "unable to stat %s: %s", src, strerror(errno));
		return -1;
	}
	rc = idmap_mount_at(fd, src, dst, offset, count, 0, e);
	close(fd);
	return rc;
}

int idmap_mount_at(int srcfd, const char *src, const char *dst, uint32_t offset,
		   uint32_t count, uint64_t attrs, eb_err *e)
{
	struct idmap_kver k = { 0, 0 };
	struct idmap_attr attr = { .attr_set = MOUNT_ATTR_IDMAP | attrs };
	struct stat st;
	int tree, ns, rc = -1;

	if (idmap_kver_running(&k, e))
		return -1;
	if (fstat(srcfd, &st)) {
		eb_errf(e, "unable to stat %s: %s", src, strerror(errno));
		return -1;
	}
	tree = (int)syscall(SYS_open_tree, srcfd, "",
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	if (tree < 0) {
		if (errno == ENOSYS)
			eb_errf(e, "the kernel (Linux %u.%u) has no open_tree: idmapped "
				"mounts need Linux 5.12", k.major, k.minor);
		else if (errno == EINVAL)
			eb_errf(e, "unable to clone the mount of %s (open_tree): %s "
				"(an unbindable mount?)", src, strerror(errno));
		else
			eb_errf(e, "unable to clone the mount of %s (open_tree): %s", src,
				strerror(errno));
		return -1;
	}
	ns = idmap_userns(offset, count, e);
	if (ns < 0)
		goto out;
	attr.userns_fd = (uint64_t)ns;
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr,
		    sizeof attr)) {
		if (errno == ENOSYS)
			eb_errf(e, "the kernel (Linux %u.%u) has no mount_setattr: idmapped "
				"mounts need Linux 5.12", k.major, k.minor);
		else if (errno == EINVAL)
			explain_einval(src, k, e);
		else if (errno == EPERM)
			eb_errf(e, "%s: not allowed to idmap its mount (mount_setattr: %s): "
				"it is idmapped already, or its filesystem was mounted "
				"in another user namespace, or CAP_SYS_ADMIN is missing",
				src, strerror(errno));
		else
			eb_errf(e, "unable to idmap the mount of %s (mount_setattr): %s",
				src, strerror(errno));
		goto out;
	}
	if (make_target(dst, S_ISDIR(st.st_mode), e))
		goto out;
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH)) {
		eb_errf(e, "unable to attach the idmapped mount at %s (move_mount): %s",
			dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (ns >= 0)
		close(ns);
	close(tree);
	return rc;
}
