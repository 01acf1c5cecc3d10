/* srcpolicy: which paths of the outer container may become a mount source
 * of the workspace. The workspace's root holds every capability inside its
 * user namespace, and an idmapped bind (or a chowned one) makes it the owner
 * of what is bound, recursively; so a source must never be, contain or lie
 * below anything the outer container or envbox needs (docs/security.md).
 *
 * The rules, in the order they are checked (srcpol_resolve, srcpol_check):
 *
 *   1. The source is resolved component by component from a directory fd
 *      (the root, or a fixture tree in tests), never through a path
 *      string the kernel resolves again. Symbolic links are followed (the
 *      README's /var/run/... sources need /var/run -> /run), and every link
 *      followed is recorded: srcpol_links_check refuses a link that lies
 *      below any source of the same run, since the workspace can
 *      write there and may have planted it.
 *   2. The resolved path may not be, lie below or contain (be an ancestor
 *      of) an entry of the protected table (srcpolicy.c) or of the caller's
 *      extra entries (dockerd's data root, envbox's log directory...).
 *      Read-only binds of the host's kernel headers and modules are the one
 *      exception (srcpol_ro_allowed).
 *   3. The filesystem it is on may not be a kernel interface (proc, sysfs,
 *      devtmpfs, cgroup...), by statfs magic and by the mount table's type.
 *   4. It may not be a protected entry under another name (the same device
 *      and inode: a bind mount of the docker socket elsewhere).
 */
#ifndef ENVBOX_SRCPOLICY_H
#define ENVBOX_SRCPOLICY_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "util.h"

struct srcpol_env {
	int rootfd;                   /* what "/" names: open("/") or a fixture */
	const char *const *protect;   /* more protected absolute paths */
	size_t nprotect;
	/* The filesystem type name ("proc", "ext4") of the mount holding
	 * path (absolute, resolved; fd is open on it or on its deepest
	 * existing ancestor), or NULL when unknown. May be NULL. */
	const char *(*fstype)(void *ctx, int fd, const char *path);
	void *ctx;
};

struct srcpol_res {
	char *path;         /* resolved: absolute, no ".", "..", "//", links */
	size_t create_from; /* path[create_from..] is missing; 0: it exists */
	int fd;             /* O_PATH fd of path when it exists, else of its
			     * deepest existing ancestor; -1 when unset */
	struct stat st;     /* of fd */
	char **links;       /* the resolved places where links were followed */
	size_t nlinks;
};

/* Resolves src (absolute) under env->rootfd as described above. A ".."
 * written in src is refused (the mount grammar has none); ".." inside a
 * link's target is followed as the kernel would. A link loop (40 links),
 * a missing path reached through a link, or a non-directory in the middle
 * is an error. r->fd is owned by r. */
int srcpol_resolve(const struct srcpol_env *env, const char *src,
		   struct srcpol_res *r, eb_err *e);
void srcpol_res_free(struct srcpol_res *r);

/* Rule 2 alone, on a path taken as written (cleaned): a source written
 * below /proc is refused before any of its links (magic ones) is read. */
int srcpol_check_path(const struct srcpol_env *env, const char *path, bool ro,
		      eb_err *e);

/* Rules 2-4 for one resolved source; ro is the bind's. -1 with e "why". */
int srcpol_check(const struct srcpol_env *env, const struct srcpol_res *r,
		 bool ro, eb_err *e);

/* Rule 1's second half over a whole run: -1 with e naming the link and the
 * source it lies in when a link that r[i] followed lies below the
 * written or resolved path of any r[j] (j may be i). written[i] is r[i]'s
 * source as written. *bad is the index of the source that followed it. */
int srcpol_links_check(const struct srcpol_res *r, const char *const *written,
		       size_t n, size_t *bad, eb_err *e);

/* The table entry or extra entry that path is, lies below or contains,
 * or NULL; *contains is true when path is a strict ancestor of it. path
 * must be resolved. "/" contains everything. */
const char *srcpol_protected(const char *path, const char *const *extra,
			     size_t nextra, bool *contains);

/* True when path is one of the read-only exceptions (the host's kernel
 * headers and modules, /usr/src and /lib/modules, at or below). */
bool srcpol_ro_allowed(const char *path);

/* The name of a kernel-interface filesystem by statfs f_type, or NULL. */
const char *srcpol_pseudo_magic(unsigned long f_type);
/* True when fstype (a mount table's type name) is a kernel interface. */
bool srcpol_pseudo_type(const char *fstype);

/* True when a is b or lies below it, lexically (both resolved). */
bool srcpol_under(const char *a, const char *b);

#endif
