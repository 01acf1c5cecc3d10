/* idmap: idmapped mounts (Linux 5.12, mount_setattr(2)) — which filesystem
 * backs a path and whether the running kernel can mount it idmapped, and the
 * mount itself: a clone of SRC (open_tree) given a user namespace's ID
 * mapping (mount_setattr MOUNT_ATTR_IDMAP), attached at DST (move_mount).
 *
 * Through a mount idmapped with the namespace "0 OFFSET COUNT", a file owned
 * by K on disk (K < COUNT) shows as owned by OFFSET+K, and a file created by
 * OFFSET+K is stored as owned by K. So a container whose root is host uid
 * OFFSET sees the files with their on-disk owners, and nothing is chowned. */
#ifndef ENVBOX_IDMAP_H
#define ENVBOX_IDMAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mountinfo.h"
#include "util.h"

/* A kernel release's first two numbers: "6.18.44-fc" is 6.18. */
struct idmap_kver {
	unsigned major, minor;
};

/* -1 when release does not start with "N.N". */
int idmap_kver_parse(const char *release, struct idmap_kver *k);
/* The running kernel's, from uname(2). */
int idmap_kver_running(struct idmap_kver *k, eb_err *e);
/* a >= b */
bool idmap_kver_atleast(struct idmap_kver a, unsigned major, unsigned minor);

/* Whether a mount of filesystem driver fstype (mountinfo's type: "ext4",
 * "fuse.sshfs") can be idmapped on kernel k; why gets one line either way
 * ("ext4 supports idmapped mounts since Linux 5.12 (running 6.18)"). */
bool idmap_fs_supported(const char *fstype, struct idmap_kver k, char *why, size_t n);

/* What backs a path, and the verdict. */
struct idmap_probe {
	char *path;    /* what was probed: the path resolved, or its nearest
			* existing parent when it is missing */
	char *target;  /* the mount point holding it */
	char *driver;  /* the filesystem driver (mountinfo's type) */
	char *fstype;  /* libblkid's TYPE on the backing device; for a
			* filesystem without one, statfs's type (else driver) */
	char *source;  /* the backing block device, NULL when none */
	bool idmap;    /* an idmapped mount of path should work */
	char why[256];
};

/* Probes path (which may be missing: see above) on the live system, with
 * mi for the mount table and k for the kernel. -1 with e when path cannot
 * be resolved or no mount holds it. */
int idmap_probe(const char *path, const struct mountinfo *mi, struct idmap_kver k,
		struct idmap_probe *p, eb_err *e);
void idmap_probe_free(struct idmap_probe *p);

/* A file descriptor for a new user namespace whose IDs 0..count-1 are host
 * IDs offset..offset+count-1 (uid and gid alike), made by a short-lived
 * child; -1 with e. */
int idmap_userns(uint32_t offset, uint32_t count, eb_err *e);

/* Mounts src at dst idmapped as idmap_userns(offset, count) maps, with the
 * mounts below src (as a docker bind is recursive). dst is created when
 * missing: a directory, or an empty file when src is not a directory.
 * -1 with e saying why in the kernel's terms (too old, the filesystem
 * cannot, already idmapped). */
int idmap_mount(const char *src, const char *dst, uint32_t offset, uint32_t count,
		eb_err *e);
/* The same for the file srcfd is open on (O_PATH will do; src names it in
 * messages), with MOUNT_ATTR_* attrs set too (IDMAP_NODEV). */
#define IDMAP_NODEV 0x00000004u /* MOUNT_ATTR_NODEV */
int idmap_mount_at(int srcfd, const char *src, const char *dst, uint32_t offset,
		   uint32_t count, uint64_t attrs, eb_err *e);

#endif
