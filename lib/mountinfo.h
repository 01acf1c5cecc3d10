/* mountinfo: read a mount table in /proc/PID/mountinfo form and find the
 * mount that holds a path (proc(5), "/proc/pid/mountinfo"):
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *   (1)(2)(3)   (4)   (5)      (6)      (7)   (8) (9)   (10)         (11)
 *
 * (7) is zero or more optional fields ended by "-". Paths and names are
 * octal-escaped by the kernel (\040 space, \011 tab, \012 newline, \134
 * backslash); entries hold them decoded. */
#ifndef ENVBOX_MOUNTINFO_H
#define ENVBOX_MOUNTINFO_H
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define MOUNTINFO_SELF "/proc/self/mountinfo"

struct mountinfo_entry {
	int id, parent;          /* (1) (2) */
	unsigned major, minor;   /* (3) st_dev of files on it */
	char *root;              /* (4) the directory of the filesystem mounted */
	char *target;            /* (5) the mount point */
	char *vfs_opts;          /* (6) per-mount options: "rw,nosuid,relatime" */
	char *opt_fields;        /* (7) as written, "" when none: "shared:1 master:2" */
	int shared, master;      /* peer group IDs from (7); 0 when absent */
	int propagate_from;
	bool unbindable;
	char *fstype;            /* (9) */
	char *source;            /* (10) may be "" */
	char *super_opts;        /* (11) per-superblock options */
	bool mnt_ro;             /* (6) has "ro": this mount is read-only */
	bool sb_ro;              /* (11) has "ro": the filesystem is read-only */
	bool ro;                 /* either: writes through this mount fail */
};

struct mountinfo {
	struct mountinfo_entry *v; /* in file order, which is mount order */
	size_t n;
};

/* Loads path (MOUNTINFO_SELF when NULL). Strict: a malformed line is an
 * error "PATH:LINE: why", never skipped. */
int mountinfo_load(struct mountinfo *mi, const char *path, eb_err *e);
/* Parses text of len bytes; name prefixes errors. */
int mountinfo_parse(struct mountinfo *mi, const char *text, size_t len,
		    const char *name, eb_err *e);
void mountinfo_free(struct mountinfo *mi);

/* The mount holding absolute path: the longest target that is path or a
 * parent directory of it, the later entry when two have one target (the
 * one mounted last covers the other). The path is taken lexically ("//",
 * "." and ".." are folded; symlinks are not followed: resolve them first).
 * NULL when path is relative or no entry holds it. */
const struct mountinfo_entry *mountinfo_find(const struct mountinfo *mi,
					     const char *path);

/* True when the comma-separated option list opts holds name exactly. */
bool mountinfo_has_opt(const char *opts, const char *name);

#endif
