/* prepare: make bind-mount sources usable by the inner container, whose root
 * is host uid OFFSET (100000 by default), as the original envbox does
 * before it creates the workspace (coder/envbox cli/docker.go):
 *
 *   - every source, whatever its destination, must pass the source policy
 *     (srcpolicy.h): resolved from the root by fds, never a protected path,
 *     a parent of one or a kernel interface, no link the workspace could
 *     have planted, no kernel-interface mount inside it;
 *   - a destination private to envbox gets nothing more (prepare_private_dst);
 *   - a missing source is created as a directory, as docker would;
 *   - a source that is itself a read-only mount is remounted read-write, so
 *     it can be chowned (the bind into the inner container stays ro);
 *   - a directory gets mode 02755, and every source the owner
 *     (uid+OFFSET, gid+OFFSET) when it is the user's home (prepare_is_home),
 *     else (OFFSET, OFFSET), the inner root.
 *
 * prepare_plan decides everything and checks every source while changing
 * nothing; prepare_apply then does it, on the fds the plan opened (so a
 * path swapped after the check changes nothing). A refused input leaves
 * the filesystem as it was. */
#ifndef ENVBOX_PREPARE_H
#define ENVBOX_PREPARE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "idmap.h"
#include "mountinfo.h"
#include "spec.h"
#include "srcpolicy.h"
#include "util.h"

#define PREPARE_OFFSET 100000u
/* (uid_t)-1 means "leave unchanged" to chown(2): the largest real ID is one
 * less. */
#define PREPARE_ID_MAX 4294967294u

/* True when dst is a target envbox keeps to itself: its source is not
 * chmodded or chowned. dst must match a table entry exactly (a trailing
 * "/" aside), as in the original. */
bool prepare_private_dst(const char *dst);

/* True when path is /root or /home/NAME: exactly one component under
 * /home ("//home/coder/" too; "/home", "/home/a/b" and "/home/.." not). */
bool prepare_home_path(const char *path);

/* True when absolute paths a and b name the same path lexically: empty and
 * "." components are ignored, ".." is not folded. */
bool prepare_same_path(const char *a, const char *b);

/* *out = id + offset; -1 with e naming what when the sum passes
 * PREPARE_ID_MAX. what names the id in the error ("uid"). */
int prepare_shift(const char *what, uint64_t id, uint64_t offset, uint32_t *out,
		  eb_err *e);

/* The per-mount flags (mountinfo field 6) a read-write remount must keep:
 * MS_REMOUNT sets them all at once, and dropping a locked one (nosuid in a
 * user namespace) is EPERM. */
unsigned long prepare_mount_flags(const char *vfs_opts);
/* Likewise the superblock flags (field 11) a plain MS_REMOUNT resets. */
unsigned long prepare_super_flags(const char *super_opts);

struct prepare_opts {
	uint32_t uid, gid; /* the inner user's, unshifted */
	uint32_t offset;   /* host uid of the inner root */
	const char *home;  /* the inner user's home directory */
	const char *const *protect; /* more protected paths (srcpolicy.h) */
	size_t nprotect;
	/* The workspace runs its own dockerd (nesting.h): its /var/lib/docker
	 * and /var/lib/containers are the inner root's, prepared as any
	 * other source instead of left to sysbox. */
	bool nesting;
};

enum {
	PREPARE_REMOUNT_MOUNT = 1, /* MS_REMOUNT|MS_BIND: the mount is ro */
	PREPARE_REMOUNT_SUPER = 2, /* MS_REMOUNT: the filesystem is ro */
};

struct prepare_step {
	const char *src, *dst;   /* as in the bind line (borrowed) */
	bool ro;                 /* the bind's */
	struct srcpol_res r;     /* src resolved; r.fd is what changes */
	const char *path;        /* r.path: src with symlinks resolved */
	size_t create_from;      /* path[create_from..] is missing (0: exists) */
	const char *warning;     /* why a source we would prepare is left as
				  * it is ("a socket"), or NULL */
	int remount;             /* PREPARE_REMOUNT_* */
	unsigned long mnt_flags, sb_flags; /* flags the remount keeps */
	bool chown, chmod;       /* chmod: 02755, directories only */
	uint32_t uid, gid;
	bool private_dst;        /* left as it is (prepare_private_dst, unless
				  * nesting makes it the inner root's) */
};

struct prepare_plan {
	struct prepare_step *v;
	size_t n;
};

/* Checks binds[0..n) (SPEC_BIND entries) and decides what each needs,
 * reading the filesystem and mi but changing nothing.
 * -1 with e "SRC: why" for the first source that cannot be prepared. */
int prepare_plan(struct prepare_plan *p, const struct prepare_opts *o,
		 const struct spec *binds, size_t n, const struct mountinfo *mi,
		 eb_err *e);
/* Carries the plan out in order; -1 with e "SRC: why" at the first
 * failure (the kernel can still refuse what the plan allowed: a chown on
 * a filesystem without owners). */
int prepare_apply(struct prepare_plan *p, eb_err *e);
void prepare_plan_free(struct prepare_plan *p);

/* --idmap-dir: what was decided for one step of a plan. on: mount it
 * idmapped; then uid, gid and chmod are the owner and mode the plan gave
 * it (the fallback when the kernel refuses the mount after all), and
 * owner_set says whether its owner is changed, from was_uid:was_gid. Not
 * on: why is "" when the plan's own rules apply (a private destination, a
 * special file), else why the source is chowned instead, for the log. */
struct prepare_idmap {
	bool on, chmod, owner_set;
	uint32_t uid, gid, was_uid, was_gid;
	char why[1100];
};

/* How a source's filesystem is judged: idmap_probe, or a test's verdicts. */
typedef int (*prepare_probe_fn)(const char *path, const struct mountinfo *mi,
				struct idmap_kver k, struct idmap_probe *p, eb_err *e);

/* Decides, per step of p (before prepare_apply), between an idmapped mount
 * and a chown, and fills c[0..p->n). Through an idmapped mount the inner
 * container sees on-disk IDs unshifted, so a chosen source gets the owner
 * the plan gives it less offset (the user's home U:G, others 0:0), and
 * only when it differs: a volume the user already owns is left as it is
 * (no chown, no chmod, no remount); a fresh, root-owned one is made the
 * user's, as before but unshifted. A source owned at or past offset was
 * shifted before (chowned by an envbox without idmapped mounts): an idmap
 * would shift it twice, so it is chowned as the plan says, and so is one
 * probe refuses or cannot judge. Private destinations and special files
 * keep the plan's steps. */
void prepare_choose_idmap(struct prepare_plan *p, const struct mountinfo *mi,
			  struct idmap_kver k, uint32_t offset, prepare_probe_fn probe,
			  struct prepare_idmap *c);

/* The syscalls, shared with envbox-xid. Each fills e with "why" only. */

/* Sets the owner of the file fd is open on (O_PATH will do) to uid:gid,
 * then, for a directory, its mode to mode unless mode is -1 (after, since
 * chown clears set-ID bits). */
int prepare_own(int fd, uint32_t uid, uint32_t gid, int mode, eb_err *e);
/* mkdir -p rest (relative, "a/b") under the directory dirfd, each new
 * directory 0755 whatever the umask, no symlink followed; *out is an O_PATH
 * fd of the last. */
int prepare_mkdirs(int dirfd, const char *rest, int *out, eb_err *e);
/* Makes the mount at path read-write (remount: PREPARE_REMOUNT_*),
 * keeping mnt_flags and sb_flags. */
int prepare_remount_rw(const char *path, int remount, unsigned long mnt_flags,
		       unsigned long sb_flags, eb_err *e);

#endif
