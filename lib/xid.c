/* xid: shifting a tree's ownership (see xid.h). */
#include "xid.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* --- shift: IDs inside values ------------------------------------------- */

int64_t shift_id(uint32_t id, int64_t delta, uint32_t lo, uint32_t span)
{
	int64_t n = (int64_t)id + delta;

	if (span && (id < lo || (uint64_t)id - lo >= span))
		return -1;
	if (n < 0 || n > (int64_t)XID_ID_MAX)
		return -1;
	return n;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/* security.capability (<linux/capability.h>): le32 magic_etc, then per
 * 32-bit half {le32 permitted, le32 inheritable}; revision 3 adds le32
 * rootid, the uid of the user namespace root the capabilities belong to. */
#define VFSCAP_REVISION_MASK 0xff000000u
#define VFSCAP_REVISION_3 0x03000000u
#define VFSCAP_SIZE_3 24u

int shift_vfscap(unsigned char *v, size_t len, int64_t delta, uint32_t lo, uint32_t span)
{
	int64_t root;

	if (len != VFSCAP_SIZE_3 || (le32(v) & VFSCAP_REVISION_MASK) != VFSCAP_REVISION_3)
		return 0;
	root = shift_id(le32(v + 20), delta, lo, span);
	if (root < 0)
		return -1;
	put_le32(v + 20, (uint32_t)root);
	return 0;
}

/* system.posix_acl_access / _default (<linux/posix_acl_xattr.h>): le32
 * version 2, then entries {le16 tag, le16 perm, le32 id}; the id means
 * something for named users (ACL_USER) and groups (ACL_GROUP) only. */
#define ACL_XATTR_VERSION 2u
#define ACL_TAG_USER 0x02u
#define ACL_TAG_GROUP 0x08u

int shift_acl(unsigned char *v, size_t len, int64_t delta, uint32_t lo, uint32_t span,
	      const char **bad_kind, uint32_t *bad_id)
{
	if (len < 4 || (len - 4) % 8 || le32(v) != ACL_XATTR_VERSION)
		return -2;
	for (size_t off = 4; off < len; off += 8) {
		unsigned tag = (unsigned)v[off] | (unsigned)v[off + 1] << 8;

		if (tag != ACL_TAG_USER && tag != ACL_TAG_GROUP)
			continue;
		if (shift_id(le32(v + off + 4), delta, lo, span) < 0) {
			if (bad_kind)
				*bad_kind = tag == ACL_TAG_USER ? "user" : "group";
			if (bad_id)
				*bad_id = le32(v + off + 4);
			return -1;
		}
	}
	/* Checked first, changed after: a refused value is left whole. */
	for (size_t off = 4; off < len; off += 8) {
		unsigned tag = (unsigned)v[off] | (unsigned)v[off + 1] << 8;

		if (tag == ACL_TAG_USER || tag == ACL_TAG_GROUP)
			put_le32(v + off + 4, (uint32_t)shift_id(le32(v + off + 4), delta,
								lo, span));
	}
	return 0;
}

/* --- shift: the walk ---------------------------------------------------- */

/* Extended attributes that carry IDs or that chown drops. */
enum { XA_CAP, XA_ACL, XA_DEFAULT_ACL, XA_N };
static const char *const xa_names[XA_N] = {
	"security.capability",      /* chown removes it (a file can gain
				     * privileges only from its owner's say) */
	"system.posix_acl_access",  /* named users and groups */
	"system.posix_acl_default", /* likewise, inherited by new entries */
};

struct xattrs {
	unsigned char *v[XA_N];
	size_t n[XA_N];
};

static void xattrs_free(struct xattrs *x)
{
	for (int i = 0; i < XA_N; i++)
		free(x->v[i]);
	memset(x, 0, sizeof *x);
}

/* Reads the attributes of xa_names present on fd. */
static int xattrs_read(int fd, bool dir, struct xattrs *x, eb_err *e)
{
	memset(x, 0, sizeof *x);
	for (int i = 0; i < XA_N; i++) {
		ssize_t n;

		if (i == XA_DEFAULT_ACL && !dir)
			continue;
		for (;;) {
			n = fgetxattr(fd, xa_names[i], NULL, 0);
			if (n < 0)
				break;
			x->v[i] = xrealloc(x->v[i], (size_t)n + 1);
			n = fgetxattr(fd, xa_names[i], x->v[i], (size_t)n);
			if (n >= 0 || errno != ERANGE) /* it grew meanwhile: again */
				break;
		}
		if (n < 0) {
			free(x->v[i]);
			x->v[i] = NULL;
			if (errno == ENODATA || errno == ENOTSUP)
				continue;
			eb_errf(e, "unable to read %s: %s", xa_names[i], strerror(errno));
			xattrs_free(x);
			return -1;
		}
		x->n[i] = (size_t)n;
	}
	return 0;
}

/* A set of (dev, ino): hard-linked files already shifted. */
struct inoset {
	uint64_t *k; /* pairs; ino 0 never occurs, so {0,0} is empty */
	size_t n, cap;
};

static uint64_t mix(uint64_t dev, uint64_t ino)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ull ^ dev;

	return h ^ (h >> 29);
}

/* True when (dev, ino) was in the set; adds it otherwise. */
static bool inoset_add(struct inoset *s, uint64_t dev, uint64_t ino)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct inoset g = { xcalloc(s->cap ? s->cap * 4 : 128, sizeof *g.k), 0,
				    s->cap ? s->cap * 2 : 64 };

		for (size_t j = 0; j < s->cap; j++)
			if (s->k[2 * j + 1])
				inoset_add(&g, s->k[2 * j], s->k[2 * j + 1]);
		free(s->k);
		*s = g;
	}
	for (i = mix(dev, ino) & (s->cap - 1); s->k[2 * i + 1]; i = (i + 1) & (s->cap - 1))
		if (s->k[2 * i] == dev && s->k[2 * i + 1] == ino)
			return true;
	s->k[2 * i] = dev;
	s->k[2 * i + 1] = ino;
	s->n++;
	return false;
}

struct walk {
	const struct shift_opts *o;
	bool apply;
	dev_t dev;          /* the filesystem and mount of the top */
	uint64_t mnt_id;
	bool have_mnt_id;
	buf path;           /* the entry's full path, for messages */
	struct shift_report *r;
	struct inoset seen;
	size_t done;
	eb_err *e;
};

struct entry {
	struct stat st;
	uint64_t mnt_id;
	bool have_mnt_id;
};

static int stat_entry(int dirfd, const char *name, struct entry *en)
{
	struct statx sx;

	if (fstatat(dirfd, name, &en->st, AT_SYMLINK_NOFOLLOW))
		return -1;
	/* The mount ID (Linux 5.8): a bind mount of the same filesystem
	 * below the top is another mount, not crossed either. */
	en->have_mnt_id = !statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
				 STATX_MNT_ID, &sx) && (sx.stx_mask & STATX_MNT_ID);
	en->mnt_id = en->have_mnt_id ? sx.stx_mnt_id : 0;
	return 0;
}

__attribute__((format(printf, 2, 3)))
static int walk_fail(struct walk *w, const char *fmt, ...)
{
	char why[sizeof w->e->msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	eb_errf(w->e, "%s: %s", w->path.p, why);
	return -1;
}

/* Records the entry at w->path as one that cannot be shifted, for why. */
static void report(struct walk *w, char *why)
{
	struct shift_report *r = w->r;

	r->total++;
	if (r->n >= XID_SHIFT_REPORT_MAX) {
		free(why);
		return;
	}
	r->v = xrealloc(r->v, (r->n + 1) * sizeof *r->v);
	r->v[r->n].path = xstrdup(w->path.p);
	r->v[r->n].why = why;
	r->n++;
}

/* Why id (a "uid", "gid", ...) cannot move, appended to b. */
static void why_id(buf *b, const struct shift_opts *o, const char *what, uint32_t id)
{
	int64_t n = (int64_t)id + o->delta;

	if (b->len)
		buf_adds(b, "; ");
	if (o->span && (id < o->lo || (uint64_t)id - o->lo >= o->span))
		buf_printf(b, "%s %u is outside %u..%llu", what, id, o->lo,
			   (unsigned long long)o->lo + o->span - 1);
	else if (n < 0)
		buf_printf(b, "%s %u would become %lld, below 0", what, id, (long long)n);
	else
		buf_printf(b, "%s %u would become %lld, past %u", what, id, (long long)n,
			   XID_ID_MAX);
}

/* The owner an entry gets; false when it cannot (recursive mode). */
static bool new_owner(const struct walk *w, const struct stat *st, uint32_t *uid,
		      uint32_t *gid)
{
	const struct shift_opts *o = w->o;
	int64_t u, g;

	if (!o->recursive) {
		*uid = o->uid;
		*gid = o->gid;
		return true;
	}
	u = shift_id((uint32_t)st->st_uid, o->delta, o->lo, o->span);
	g = shift_id((uint32_t)st->st_gid, o->delta, o->lo, o->span);
	if (u < 0 || g < 0)
		return false;
	*uid = (uint32_t)u;
	*gid = (uint32_t)g;
	return true;
}

/* Check mode: every ID the entry carries can move; one report line per
 * entry that cannot. */
static void check_entry(struct walk *w, const struct stat *st, const struct xattrs *x)
{
	const struct shift_opts *o = w->o;
	unsigned char tmp[VFSCAP_SIZE_3];
	buf why = { 0 };

	if (!o->recursive)
		return;
	if (shift_id((uint32_t)st->st_uid, o->delta, o->lo, o->span) < 0)
		why_id(&why, o, "uid", (uint32_t)st->st_uid);
	if (shift_id((uint32_t)st->st_gid, o->delta, o->lo, o->span) < 0)
		why_id(&why, o, "gid", (uint32_t)st->st_gid);
	if (x->v[XA_CAP] && x->n[XA_CAP] == VFSCAP_SIZE_3) {
		memcpy(tmp, x->v[XA_CAP], VFSCAP_SIZE_3);
		if (shift_vfscap(tmp, VFSCAP_SIZE_3, o->delta, o->lo, o->span))
			why_id(&why, o, "file capability root uid", le32(tmp + 20));
	}
	for (int i = XA_ACL; i < XA_N; i++) {
		const char *kind = NULL;
		unsigned char *copy;
		char what[64];
		uint32_t id = 0;
		int rc;

		if (!x->v[i])
			continue;
		copy = xmalloc(x->n[i] + 1);
		memcpy(copy, x->v[i], x->n[i]);
		rc = shift_acl(copy, x->n[i], o->delta, o->lo, o->span, &kind, &id);
		free(copy);
		if (rc == -1) {
			snprintf(what, sizeof what, "%s %s",
				 i == XA_ACL ? "ACL" : "default ACL", kind);
			why_id(&why, o, what, id);
		} else if (rc == -2) {
			if (why.len)
				buf_adds(&why, "; ");
			buf_printf(&why, "%s is not a POSIX ACL value this tool can read",
				   xa_names[i]);
		}
	}
	if (why.len)
		report(w, buf_steal(&why));
}

/* Apply mode, for an entry open as fd (regular files and directories):
 * chown, then put back what chown dropped, IDs shifted. */
static int apply_fd(struct walk *w, int fd, const struct stat *st, struct xattrs *x)
{
	const struct shift_opts *o = w->o;
	uint32_t uid, gid;
	struct stat after;

	if (!new_owner(w, st, &uid, &gid))
		return walk_fail(w, "uid %u or gid %u cannot move (it changed since "
				 "the check)", (unsigned)st->st_uid, (unsigned)st->st_gid);
	if (o->recursive) {
		if (x->v[XA_CAP] && shift_vfscap(x->v[XA_CAP], x->n[XA_CAP], o->delta,
						 o->lo, o->span))
			return walk_fail(w, "file capability root cannot move");
		for (int i = XA_ACL; i < XA_N; i++)
			if (x->v[i] && shift_acl(x->v[i], x->n[i], o->delta, o->lo, o->span,
						 NULL, NULL))
				return walk_fail(w, "%s cannot move", xa_names[i]);
	}
	if (fchown(fd, (uid_t)uid, (gid_t)gid))
		return walk_fail(w, "unable to chown %u:%u: %s", uid, gid, strerror(errno));
	if (o->recursive) {
		for (int i = XA_ACL; i < XA_N; i++)
			if (x->v[i] && fsetxattr(fd, xa_names[i], x->v[i], x->n[i], 0))
				return walk_fail(w, "unable to set %s: %s", xa_names[i],
						 strerror(errno));
	}
	if (x->v[XA_CAP] && fsetxattr(fd, xa_names[XA_CAP], x->v[XA_CAP], x->n[XA_CAP], 0))
		return walk_fail(w, "unable to restore its file capabilities: %s",
				 strerror(errno));
	/* chown clears set-user-ID, and set-group-ID on an executable. */
	if (fstat(fd, &after))
		return walk_fail(w, "unable to stat: %s", strerror(errno));
	if ((after.st_mode & 07777) != (st->st_mode & 07777) &&
	    fchmod(fd, st->st_mode & 07777))
		return walk_fail(w, "unable to restore mode %04o: %s",
				 (unsigned)(st->st_mode & 07777), strerror(errno));
	w->done++;
	return 0;
}

static int walk_dir(struct walk *w, int fd);

/* One entry: dirfd/name, already lstat'ed. Directories are descended. */
static int visit(struct walk *w, int dirfd, const char *name, const struct entry *en)
{
	const struct stat *st = &en->st;
	struct xattrs x = { .n = { 0 } };
	struct stat again;
	int fd = -1, rc = -1;
	bool dir = S_ISDIR(st->st_mode), opened = dir || S_ISREG(st->st_mode);
	uint32_t uid, gid;

	if (opened) {
		fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
			    O_CLOEXEC | (dir ? O_DIRECTORY : 0));
		if (fd < 0)
			return walk_fail(w, "unable to open: %s", strerror(errno));
		/* Still the entry that was stat'ed (not swapped meanwhile). */
		if (fstat(fd, &again) || again.st_dev != st->st_dev ||
		    again.st_ino != st->st_ino) {
			walk_fail(w, "changed while being shifted");
			goto out;
		}
		if (xattrs_read(fd, dir, &x, w->e)) {
			walk_fail(w, "%s", w->e->msg);
			goto out;
		}
	}
	if (!w->apply) {
		check_entry(w, st, &x);
		w->done++;
	} else if (!dir && st->st_nlink > 1 &&
		   inoset_add(&w->seen, (uint64_t)st->st_dev, (uint64_t)st->st_ino)) {
		/* Another name of a file already shifted. */
	} else if (opened) {
		if (apply_fd(w, fd, st, &x))
			goto out;
	} else {
		if (!new_owner(w, st, &uid, &gid)) {
			walk_fail(w, "uid %u or gid %u cannot move (it changed since the "
				  "check)", (unsigned)st->st_uid, (unsigned)st->st_gid);
			goto out;
		}
		/* A symlink's own owner; its target is another entry, or
		 * outside the tree and none of ours. */
		if (fchownat(dirfd, name, (uid_t)uid, (gid_t)gid, AT_SYMLINK_NOFOLLOW)) {
			walk_fail(w, "unable to chown %u:%u: %s", uid, gid, strerror(errno));
			goto out;
		}
		w->done++;
	}
	rc = 0;
	if (dir && w->o->recursive) {
		rc = walk_dir(w, fd);
		fd = -1; /* walk_dir owns it */
	}
out:
	xattrs_free(&x);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Every entry of directory fd (which this closes), in readdir order. */
static int walk_dir(struct walk *w, int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	size_t len = w->path.len;
	struct entry en;
	int rc = 0;

	if (!d) {
		close(fd);
		return walk_fail(w, "unable to read the directory: %s", strerror(errno));
	}
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				rc = walk_fail(w, "unable to read the directory: %s",
					       strerror(errno));
			break;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (strcmp(w->path.p, "/"))
			buf_addc(&w->path, '/');
		buf_adds(&w->path, de->d_name);
		if (stat_entry(dirfd(d), de->d_name, &en)) {
			rc = errno == ENOENT ? 0 : walk_fail(w, "unable to stat: %s",
							     strerror(errno));
		} else if (en.st.st_dev != w->dev ||
			   (en.have_mnt_id && w->have_mnt_id && en.mnt_id != w->mnt_id)) {
			/* Another filesystem or mount: not ours to change. */
		} else {
			rc = visit(w, dirfd(d), de->d_name, &en);
		}
		w->path.len = len;
		w->path.p[len] = 0;
		if (rc)
			break;
	}
	closedir(d);
	return rc;
}

static int walk(const char *path, const struct shift_opts *o, bool apply,
		struct shift_report *r, size_t *done, eb_err *e)
{
	struct walk w = { .o = o, .apply = apply, .r = r, .e = e };
	struct entry en;
	char *real = realpath(path, NULL);
	int rc;

	if (!real) {
		eb_errf(e, "%s: unable to resolve: %s", path, strerror(errno));
		return -1;
	}
	if (!strcmp(real, "/")) {
		eb_errf(e, "%s: refusing to shift the ownership of /", path);
		free(real);
		return -1;
	}
	buf_adds(&w.path, real);
	if (stat_entry(AT_FDCWD, real, &en)) {
		rc = walk_fail(&w, "unable to stat: %s", strerror(errno));
	} else {
		w.dev = en.st.st_dev;
		w.mnt_id = en.mnt_id;
		w.have_mnt_id = en.have_mnt_id;
		rc = visit(&w, AT_FDCWD, real, &en);
	}
	if (done)
		*done = w.done;
	free(w.seen.k);
	buf_free(&w.path);
	free(real);
	return rc;
}

int shift_check(const char *path, const struct shift_opts *o, struct shift_report *r,
		eb_err *e)
{
	memset(r, 0, sizeof *r);
	return walk(path, o, false, r, &r->entries, e);
}

void shift_report_free(struct shift_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].why);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

int shift_apply(const char *path, const struct shift_opts *o, size_t *done, eb_err *e)
{
	struct shift_report none = { 0 };

	return walk(path, o, true, &none, done, e);
}
