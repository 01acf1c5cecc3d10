/* prepare: decide and carry out what each bind-mount source needs before
 * the inner container can use it (see prepare.h). */
#include "prepare.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* Targets private to envbox: the inner container's own state, kept by the
 * outer container's dockerd/sysbox, whose ownership they manage. Exact
 * matches, as the original's envboxPrivateMounts. */
static const char *const private_dsts[] = {
	"/var/lib/docker",     /* the inner dockerd's images and containers */
	"/var/lib/containers", /* podman/buildah storage inside */
	"/var/lib/sysbox",     /* sysbox's own state for the inner container */
	"/lib/modules",        /* host kernel modules, read by inner tools */
	"/usr/src",            /* host kernel headers, same */
	"/var/lib/coder",      /* not a mount of envbox's own, but sysbox
				* handles it: nothing for us to shift */
};

/* Strips trailing slashes: "/a/" names "/a". Returns the length kept. */
static size_t trimmed_len(const char *s)
{
	size_t n = strlen(s);

	while (n > 1 && s[n - 1] == '/')
		n--;
	return n;
}

bool prepare_private_dst(const char *dst)
{
	size_t n = trimmed_len(dst);

	for (size_t i = 0; i < sizeof private_dsts / sizeof *private_dsts; i++)
		if (strlen(private_dsts[i]) == n && !memcmp(private_dsts[i], dst, n))
			return true;
	return false;
}

/* The inner container's own engine state: with nesting, its root's. */
static bool inner_engine_dst(const char *dst)
{
	size_t n = trimmed_len(dst);

	return (n == strlen("/var/lib/docker") && !memcmp(dst, "/var/lib/docker", n)) ||
	       (n == strlen("/var/lib/containers") && !memcmp(dst, "/var/lib/containers", n));
}

/* The next component of *p (skipping "/" runs and "." components), its
 * length in *len; NULL at the end. */
static const char *next_comp(const char **p, size_t *len)
{
	const char *s = *p, *c;

	for (;;) {
		while (*s == '/')
			s++;
		if (!*s) {
			*p = s;
			return NULL;
		}
		c = s;
		while (*s && *s != '/')
			s++;
		if (s - c == 1 && c[0] == '.')
			continue;
		*len = (size_t)(s - c);
		*p = s;
		return c;
	}
}

static bool comp_is(const char *c, size_t n, const char *w)
{
	return c && n == strlen(w) && !memcmp(c, w, n);
}

bool prepare_home_path(const char *path)
{
	const char *p = path, *a, *b;
	size_t al = 0, bl = 0;

	if (path[0] != '/')
		return false;
	a = next_comp(&p, &al);
	if (comp_is(a, al, "root"))
		return next_comp(&p, &al) == NULL;
	if (!comp_is(a, al, "home"))
		return false;
	b = next_comp(&p, &bl);
	return b && !comp_is(b, bl, "..") && next_comp(&p, &al) == NULL;
}

bool prepare_same_path(const char *a, const char *b)
{
	const char *ca, *cb;
	size_t la = 0, lb = 0;

	if (a[0] != '/' || b[0] != '/')
		return false;
	for (;;) {
		ca = next_comp(&a, &la);
		cb = next_comp(&b, &lb);
		if (!ca || !cb)
			return !ca && !cb;
		if (la != lb || memcmp(ca, cb, la))
			return false;
	}
}

int prepare_shift(const char *what, uint64_t id, uint64_t offset, uint32_t *out,
		  eb_err *e)
{
	/* Both are at most 2^64-1 only in theory: callers pass 32-bit values,
	 * so the sum cannot wrap; check anyway, it is one comparison. */
	if (id > PREPARE_ID_MAX || offset > PREPARE_ID_MAX ||
	    id + offset > PREPARE_ID_MAX) {
		eb_errf(e, "%s %llu + offset %llu is past the largest ID %u", what,
			(unsigned long long)id, (unsigned long long)offset,
			PREPARE_ID_MAX);
		return -1;
	}
	*out = (uint32_t)(id + offset);
	return 0;
}

struct opt_flag {
	const char *opt;
	unsigned long flag;
};

/* Per-mount flags a remount must repeat, else it clears them. Atime flags
 * (noatime, relatime, nodiratime) are left out on purpose: a remount that
 * names none keeps the mount's own. */
static const struct opt_flag mount_flags[] = {
	{ "nosuid", MS_NOSUID },           /* often locked in a user namespace */
	{ "nodev", MS_NODEV },             /* likewise */
	{ "noexec", MS_NOEXEC },           /* likewise */
	{ "nosymfollow", MS_NOSYMFOLLOW }, /* Linux 5.10 */
};

/* Superblock flags inside MS_RMT_MASK: a plain remount resets the ones it
 * is not given. "ro" is the one we mean to drop. */
static const struct opt_flag super_flags[] = {
	{ "sync", MS_SYNCHRONOUS },
	{ "mand", MS_MANDLOCK },
	{ "lazytime", MS_LAZYTIME },
	{ "i_version", MS_I_VERSION },
};

static unsigned long flags_from(const char *opts, const struct opt_flag *t, size_t n)
{
	unsigned long f = 0;

	for (size_t i = 0; i < n; i++)
		if (mountinfo_has_opt(opts, t[i].opt))
			f |= t[i].flag;
	return f;
}

unsigned long prepare_mount_flags(const char *vfs_opts)
{
	return flags_from(vfs_opts, mount_flags, sizeof mount_flags / sizeof *mount_flags);
}

unsigned long prepare_super_flags(const char *super_opts)
{
	return flags_from(super_opts, super_flags, sizeof super_flags / sizeof *super_flags);
}

/* --- plan --------------------------------------------------------------- */

/* "SRC: " or "SRC (resolved PATH): " before why, so a message names both
 * what the user wrote and what would change. */
__attribute__((format(printf, 3, 4)))
static int fail(eb_err *e, const struct prepare_step *s, const char *fmt, ...)
{
	char why[sizeof e->msg];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (s->path && strcmp(s->path, s->src))
		eb_errf(e, "%s (resolved %s): %s", s->src, s->path, why);
	else
		eb_errf(e, "%s: %s", s->src, why);
	return -1;
}

/* The mount table's name for the filesystem holding path. */
static const char *fstype_of(void *ctx, int fd, const char *path)
{
	const struct mountinfo_entry *m = mountinfo_find(ctx, path);

	(void)fd;
	return m ? m->fstype : NULL;
}

/* A kernel-interface filesystem mounted inside path (a recursive bind
 * would carry it in), or NULL. */
static const struct mountinfo_entry *pseudo_inside(const struct mountinfo *mi,
						   const char *path)
{
	for (size_t i = 0; i < mi->n; i++)
		if (srcpol_under(mi->v[i].target, path) &&
		    srcpol_pseudo_type(mi->v[i].fstype))
			return &mi->v[i];
	return NULL;
}

/* What kind of file mode is, for a warning; NULL for a directory or a
 * regular file, which we prepare. */
static const char *special_kind(mode_t mode)
{
	if (S_ISDIR(mode) || S_ISREG(mode))
		return NULL;
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device node";
	return "not a directory or a regular file";
}

/* The mount holding path, or an error: a table that holds nothing for an
 * absolute path has no "/" and cannot be trusted. */
static const struct mountinfo_entry *holder(const struct mountinfo *mi,
					    struct prepare_step *s, const char *path,
					    eb_err *e)
{
	const struct mountinfo_entry *m = mountinfo_find(mi, path);

	if (!m)
		fail(e, s, "no mount in the mount table holds %s", path);
	return m;
}

/* Decides s's actions once s->path is known and the IDs are final. */
static int decide(struct prepare_step *s, bool private_dst, const struct mountinfo *mi,
		  eb_err *e)
{
	const struct mountinfo_entry *m;
	struct stat st;
	bool dir;

	if (s->create_from) {
		char *parent = xstrndup(s->path, s->create_from);

		m = holder(mi, s, parent, e);
		if (m && m->ro)
			fail(e, s, "missing, and cannot be created on the read-only "
			     "mount %s", m->target);
		free(parent);
		if (!m || m->ro)
			return -1;
	}
	if ((m = pseudo_inside(mi, s->path)))
		return fail(e, s, "refused: a %s filesystem (a kernel interface) is "
			    "mounted inside it, at %s", m->fstype, m->target);
	if (private_dst)
		return 0;
	if (s->create_from) {
		s->chown = s->chmod = true;
		return 0;
	}
	st = s->r.st;
	s->warning = special_kind(st.st_mode);
	if (s->warning)
		return 0;
	dir = S_ISDIR(st.st_mode);
	s->chown = st.st_uid != s->uid || st.st_gid != s->gid;
	/* Not for a regular file: 02755 would make it executable. */
	s->chmod = dir && (st.st_mode & 07777) != 02755;
	if (!s->chown && !s->chmod)
		return 0;

	m = holder(mi, s, s->path, e);
	if (!m)
		return -1;
	if (!m->ro)
		return 0;
	/* Its own mount point: remounting it touches only this source (and
	 * other mounts of a read-only filesystem, which is then made rw). A
	 * source deeper inside would mean remounting a parent: refused. */
	if (!prepare_same_path(m->target, s->path))
		return fail(e, s, "on the read-only mount %s (only a source that is "
			    "itself a mount point is remounted read-write)", m->target);
	s->remount = (m->mnt_ro ? PREPARE_REMOUNT_MOUNT : 0) |
		     (m->sb_ro ? PREPARE_REMOUNT_SUPER : 0);
	s->mnt_flags = prepare_mount_flags(m->vfs_opts);
	s->sb_flags = prepare_super_flags(m->super_opts);
	return 0;
}

int prepare_plan(struct prepare_plan *p, const struct prepare_opts *o,
		 const struct spec *binds, size_t n, const struct mountinfo *mi,
		 eb_err *e)
{
	uint32_t root_id, user_uid, user_gid;
	bool *home = xcalloc(n, sizeof *home);
	char **written = xcalloc(n ? n : 1, sizeof *written);
	struct srcpol_res *res = xcalloc(n ? n : 1, sizeof *res);
	struct srcpol_env env = { .protect = o->protect, .nprotect = o->nprotect,
				  .fstype = fstype_of, .ctx = (void *)mi };
	size_t bad = 0;
	eb_err why;
	int rc = -1;

	p->v = xcalloc(n ? n : 1, sizeof *p->v);
	p->n = n;
	for (size_t i = 0; i < n; i++)
		p->v[i].r.fd = -1;
	env.rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (env.rootfd < 0) {
		eb_errf(e, "unable to open /: %s", strerror(errno));
		goto out;
	}
	if (prepare_shift("root uid", 0, o->offset, &root_id, e) ||
	    prepare_shift("uid", o->uid, o->offset, &user_uid, e) ||
	    prepare_shift("gid", o->gid, o->offset, &user_gid, e))
		goto out;

	for (size_t i = 0; i < n; i++) {
		struct prepare_step *s = &p->v[i];

		s->src = binds[i].src;
		s->dst = binds[i].dst;
		s->ro = binds[i].ro;
		if (binds[i].kind != SPEC_BIND) {
			eb_errf(e, "%s: not a bind entry", s->src ? s->src : "?");
			goto out;
		}
		written[i] = path_clean(s->src);
		if (srcpol_check_path(&env, written[i], s->ro, &why) ||
		    srcpol_resolve(&env, s->src, &s->r, &why)) {
			fail(e, s, "%s", why.msg);
			goto out;
		}
		s->path = s->r.path;
		s->create_from = s->r.create_from;
		/* The home mount, or a source at /root or /home/NAME, as
		 * written or once resolved. */
		home[i] = prepare_same_path(s->dst, o->home) ||
			  prepare_home_path(s->src) || prepare_home_path(s->path);
		s->private_dst = prepare_private_dst(s->dst) &&
				 !(o->nesting && inner_engine_dst(s->dst));
	}
	/* The policy on each source, then across them: a link the workspace
	 * could have planted is not followed. */
	for (size_t i = 0; i < n; i++) {
		if (srcpol_check(&env, &p->v[i].r, p->v[i].ro, &why)) {
			fail(e, &p->v[i], "%s", why.msg);
			goto out;
		}
		res[i] = p->v[i].r;
	}
	if (srcpol_links_check(res, (const char *const *)written, n, &bad, &why)) {
		fail(e, &p->v[bad], "%s", why.msg);
		goto out;
	}
	/* One source bound twice gets one owner: the user's if any of its
	 * mounts is a home, so the user can write it wherever it appears. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++)
			if (home[j] && !p->v[j].private_dst &&
			    !strcmp(p->v[i].path, p->v[j].path))
				home[i] = true;
	for (size_t i = 0; i < n; i++) {
		struct prepare_step *s = &p->v[i];

		s->uid = home[i] ? user_uid : root_id;
		s->gid = home[i] ? user_gid : root_id;
		if (decide(s, s->private_dst, mi, e))
			goto out;
	}
	rc = 0;
out:
	if (env.rootfd >= 0)
		close(env.rootfd);
	for (size_t i = 0; i < n; i++)
		free(written[i]);
	free(written);
	free(res);
	free(home);
	if (rc)
		prepare_plan_free(p);
	return rc;
}

void prepare_plan_free(struct prepare_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		srcpol_res_free(&p->v[i].r);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* --- apply -------------------------------------------------------------- */

int prepare_own(int fd, uint32_t uid, uint32_t gid, int mode, eb_err *e)
{
	int dfd;

	if (fchownat(fd, "", (uid_t)uid, (gid_t)gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) {
		eb_errf(e, "unable to chown %u:%u: %s", uid, gid, strerror(errno));
		return -1;
	}
	if (mode < 0)
		return 0;
	/* fchmod needs a real open; only a directory is ever chmodded. */
	dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fchmod(dfd, (mode_t)mode)) {
		eb_errf(e, "unable to chmod %o: %s", (unsigned)mode, strerror(errno));
		if (dfd >= 0)
			close(dfd);
		return -1;
	}
	close(dfd);
	return 0;
}

/* One step of prepare_mkdirs: name under fd, made if missing; an O_PATH
 * fd of it, or -1 with e "why". */
static int mkdir_one(int fd, const char *name, eb_err *e)
{
	bool made = mkdirat(fd, name, 0755) == 0;
	struct stat st;
	int next, dfd, rc = 0;

	if (!made && errno != EEXIST) {
		eb_errf(e, "%s", strerror(errno));
		return -1;
	}
	next = openat(fd, name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
	if (next < 0 || fstat(next, &st) || !S_ISDIR(st.st_mode)) {
		/* A link or a file where a directory should be. */
		eb_errf(e, "%s", strerror(next < 0 && errno != ELOOP ? errno : ENOTDIR));
		if (next >= 0)
			close(next);
		return -1;
	}
	if (!made)
		return next;
	/* The mode apart from mkdir, so the umask does not change it. */
	dfd = openat(next, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fchmod(dfd, 0755)) {
		eb_errf(e, "unable to chmod: %s", strerror(errno));
		rc = -1;
	}
	if (dfd >= 0)
		close(dfd);
	if (rc) {
		close(next);
		return -1;
	}
	return next;
}

/* Not mkdir_p (util.h): each step is mkdirat and O_NOFOLLOW under a
 * directory fd, so a link the workspace planted is never followed. */
int prepare_mkdirs(int dirfd, const char *rest, int *out, eb_err *e)
{
	const char *p = rest, *c;
	size_t len = 0;
	int fd = dup(dirfd);
	eb_err why;

	if (fd < 0) {
		eb_errf(e, "unable to dup a directory fd: %s", strerror(errno));
		return -1;
	}
	while ((c = next_comp(&p, &len))) {
		char *name = xstrndup(c, len);
		int next = comp_is(c, len, "..") ? -1 : mkdir_one(fd, name, &why);

		if (next < 0 && comp_is(c, len, ".."))
			eb_errf(&why, "a \"..\" component");
		free(name);
		close(fd);
		if (next < 0) {
			eb_errf(e, "unable to create %.*s: %s", (int)(c - rest + len), rest,
				why.msg);
			return -1;
		}
		fd = next;
	}
	*out = fd;
	return 0;
}

int prepare_remount_rw(const char *path, int remount, unsigned long mnt_flags,
		       unsigned long sb_flags, eb_err *e)
{
	/* A plain remount reconfigures the filesystem and also sets the
	 * mount's flags, so it clears a per-mount ro too. */
	if ((remount & PREPARE_REMOUNT_SUPER) &&
	    mount(NULL, path, NULL, MS_REMOUNT | mnt_flags | sb_flags, NULL)) {
		eb_errf(e, "unable to remount the read-only filesystem read-write "
			"(MS_REMOUNT): %s", strerror(errno));
		return -1;
	}
	if ((remount & PREPARE_REMOUNT_MOUNT) &&
	    mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | mnt_flags, NULL)) {
		eb_errf(e, "unable to remount the read-only mount read-write "
			"(MS_REMOUNT|MS_BIND): %s", strerror(errno));
		return -1;
	}
	return 0;
}

int prepare_apply(struct prepare_plan *p, eb_err *e)
{
	eb_err why;

	for (size_t i = 0; i < p->n; i++) {
		struct prepare_step *s = &p->v[i];

		if (s->create_from) {
			int fd;

			if (prepare_mkdirs(s->r.fd, s->path + s->create_from, &fd, &why))
				return fail(e, s, "%s", why.msg);
			close(s->r.fd);
			s->r.fd = fd;
		}
		if (s->remount &&
		    prepare_remount_rw(s->path, s->remount, s->mnt_flags, s->sb_flags, &why))
			return fail(e, s, "%s", why.msg);
		if ((s->chown || s->chmod) &&
		    prepare_own(s->r.fd, s->uid, s->gid, s->chmod ? 02755 : -1, &why))
			return fail(e, s, "%s", why.msg);
	}
	return 0;
}

void prepare_choose_idmap(struct prepare_plan *p, const struct mountinfo *mi,
			  struct idmap_kver k, uint32_t offset, prepare_probe_fn probe,
			  struct prepare_idmap *c)
{
	for (size_t i = 0; i < p->n; i++) {
		struct prepare_step *s = &p->v[i];
		struct idmap_probe pr = { 0 };
		bool exists = !s->create_from;
		struct stat st = s->r.st;
		eb_err e;

		c[i] = (struct prepare_idmap){ 0 };
		if (s->private_dst || s->warning)
			continue;
		if (probe(s->path, mi, k, &pr, &e)) {
			snprintf(c[i].why, sizeof c[i].why, "%s", e.msg);
			continue;
		}
		if (pr.idmap && exists && (st.st_uid >= offset || st.st_gid >= offset)) {
			snprintf(pr.why, sizeof pr.why, "owned by %u:%u, shifted before",
				 (unsigned)st.st_uid, (unsigned)st.st_gid);
			pr.idmap = false;
		}
		if (!pr.idmap) {
			snprintf(c[i].why, sizeof c[i].why, "no idmapped mount: %s", pr.why);
			idmap_probe_free(&pr);
			continue;
		}
		idmap_probe_free(&pr);
		c[i].on = true;
		c[i].chmod = s->chmod;
		c[i].uid = s->uid;
		c[i].gid = s->gid;
		s->uid -= offset;
		s->gid -= offset;
		if (exists) {
			s->chown = st.st_uid != s->uid || st.st_gid != s->gid;
			s->chmod = s->chmod && s->chown;
			if (!s->chown)
				s->remount = 0;
			c[i].owner_set = s->chown;
			c[i].was_uid = (uint32_t)st.st_uid;
			c[i].was_gid = (uint32_t)st.st_gid;
		}
	}
}
