/* xid: shifting a tree's ownership by an offset, the way a container with
 * another root needs it, without the losses of chown(2): set-ID bits and
 * file capabilities are put back, ACL entries and a namespaced
 * capability's root are shifted along. The subordinate ID files that
 * dockerd --userns-remap maps through are subid.h. */
#ifndef ENVBOX_XID_H
#define ENVBOX_XID_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* The largest ID: (uid_t)-1 means "no change" to chown(2). */
#define XID_ID_MAX 4294967294u

struct shift_opts {
	bool recursive;
	/* recursive: every entry's uid and gid move by delta (negative for
	 * --reverse); each must lie in [lo, lo+span) before the move, span 0
	 * meaning anywhere in 0..XID_ID_MAX (after the move too). */
	int64_t delta;
	uint32_t lo, span;
	/* not recursive: the owner given to each path */
	uint32_t uid, gid;
};

/* An entry that cannot be shifted, found by the check. */
struct shift_bad {
	char *path;
	char *why;  /* "uid 70000 is outside 0..65535" */
};

struct shift_report {
	struct shift_bad *v; /* the first XID_SHIFT_REPORT_MAX */
	size_t n, total;     /* kept, found */
	size_t entries;      /* entries checked */
};
#define XID_SHIFT_REPORT_MAX 20

/* The new ID for id moved by delta, if it is in [lo, lo+span) (span 0:
 * anywhere) and the result in 0..XID_ID_MAX; -1 otherwise. */
int64_t shift_id(uint32_t id, int64_t delta, uint32_t lo, uint32_t span);

/* A security.capability value with a namespaced root (revision 3) has its
 * root uid moved by delta; others are left alone. 0 done, -1 the root
 * would leave the range (as shift_id). */
int shift_vfscap(unsigned char *v, size_t len, int64_t delta, uint32_t lo, uint32_t span);

/* A system.posix_acl_* value has its named user and group entries moved
 * by delta. 0 done (or nothing to do), -1 an ID would leave the range
 * (*bad_kind "user" or "group" and *bad_id name the first, when not NULL;
 * v is then unchanged), -2 not an ACL value this code knows. */
int shift_acl(unsigned char *v, size_t len, int64_t delta, uint32_t lo, uint32_t span,
	      const char **bad_kind, uint32_t *bad_id);

/* Checks path (resolved; "/" is refused) and, recursive, everything under
 * it on the same filesystem, changing nothing. 0 with r->total 0: all can
 * be shifted; 0 with r->total > 0: r lists the offenders; -1 with e: the
 * walk failed. */
int shift_check(const char *path, const struct shift_opts *o, struct shift_report *r,
		eb_err *e);
void shift_report_free(struct shift_report *r);

/* Shifts: lchown semantics (a symlink's own owner changes, never its
 * target), the walk stays on path's filesystem and mount, hard-linked
 * files are changed once, set-ID bits and capabilities are restored after
 * chown drops them. *done counts the entries changed. -1 with e
 * "PATH: why" at the first failure (the tree is then partly shifted). */
int shift_apply(const char *path, const struct shift_opts *o, size_t *done, eb_err *e);

#endif
