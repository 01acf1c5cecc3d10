/* srcpolicy: which paths may become a mount source (see srcpolicy.h). */
#include "srcpolicy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

/* What the outer container and envbox need, so no source may be, contain
 * or lie below it. Paths are resolved first: /var/run is /run on every
 * Debian-like image, but an image where it is a directory gets both. (A
 * table of data: rows of the same shape as other tables' are no code to
 * share.) */
static const struct {
	const char *path, *why;
} protected_paths[] = {
	{ "/proc", "the kernel's process and system interfaces" },
	{ "/sys", "the kernel's device and cgroup interfaces" },
	{ "/dev", "device nodes" },
	{ "/run/docker", "dockerd's exec root" },
	{ "/run/docker.sock", "dockerd's API socket" },
	{ "/run/docker.pid", "dockerd's pid file" },
	{ "/run/containerd", "containerd's socket and state" },
	{ "/run/sysbox", "sysbox-mgr's socket" },
	{ "/run/envbox", "envbox's staged idmapped mounts" },
	{ "/run/secrets", "the pod's service account token" },
	{ "/run/xtables.lock", "iptables' lock" },
	{ "/var/run/docker", "dockerd's exec root" },
	{ "/var/run/docker.sock", "dockerd's API socket" },
	{ "/var/run/containerd", "containerd's socket and state" },
	{ "/var/run/sysbox", "sysbox-mgr's socket" },
	{ "/var/run/secrets", "the pod's service account token" },
	{ "/var/lib/docker", "dockerd's images and containers" },
	{ "/var/lib/docker.bak", "dockerd's data on the disk-full fallback" },
	{ "/var/lib/containerd", "containerd's data" },
	{ "/var/lib/sysbox", "sysbox's data" },
	{ "/var/log/envbox", "envbox's logs" },
	{ "/etc", "configuration: users, subordinate IDs, CA certificates" },
	{ "/usr", "programs and libraries" },
	{ "/bin", "programs" },
	{ "/sbin", "programs" },
	{ "/lib", "libraries" },
	{ "/lib32", "libraries" },
	{ "/lib64", "libraries" },
	{ "/libx32", "libraries" },
	{ "/boot", "the kernel" },
	{ "/envbox", "the entrypoint" },
};

/* Read-only binds allowed although protected: the host's kernel headers
 * and modules, mounted into the outer container for tools inside (the
 * original's README binds them). /lib is /usr/lib on merged-/usr images. */
static const char *const ro_allowed[] = {
	"/usr/src",
	"/lib/modules",
	"/usr/lib/modules",
};

/* Filesystems that are kernel interfaces, never data: by statfs magic... */
static const struct {
	unsigned long magic;
	const char *name;
} pseudo_magic[] = {
	{ PROC_SUPER_MAGIC, "proc" },
	{ SYSFS_MAGIC, "sysfs" },
	{ DEVPTS_SUPER_MAGIC, "devpts" },
	{ CGROUP_SUPER_MAGIC, "cgroup" },
	{ CGROUP2_SUPER_MAGIC, "cgroup2" },
	{ SECURITYFS_MAGIC, "securityfs" },
	{ DEBUGFS_MAGIC, "debugfs" },
	{ TRACEFS_MAGIC, "tracefs" },
	{ BPF_FS_MAGIC, "bpf" },
	{ 0x62656570UL, "configfs" },
	{ EFIVARFS_MAGIC, "efivarfs" },
	{ BINFMTFS_MAGIC, "binfmt_misc" },
	{ NSFS_MAGIC, "nsfs" },
	{ PSTOREFS_MAGIC, "pstore" },
	{ SELINUX_MAGIC, "selinuxfs" },
	{ SMACK_MAGIC, "smackfs" },
	{ 0x65735543UL, "fusectl" },
	{ 0x19800202UL, "mqueue" },
};

/* ...and by the mount table's name, which also tells devtmpfs from tmpfs
 * (one magic for both). */
static const char *const pseudo_types[] = {
	"proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "securityfs",
	"debugfs", "tracefs", "bpf", "configfs", "efivarfs", "binfmt_misc", "nsfs",
	"pstore", "selinuxfs", "smackfs", "fusectl", "mqueue", "rpc_pipefs",
	"autofs", "hugetlbfs",
};

#define NELEM(a) (sizeof(a) / sizeof *(a))
#define MAX_LINKS 40 /* as the kernel's path walk */

const char *srcpol_pseudo_magic(unsigned long f_type)
{
	for (size_t i = 0; i < NELEM(pseudo_magic); i++)
		if (pseudo_magic[i].magic == f_type)
			return pseudo_magic[i].name;
	return NULL;
}

bool srcpol_pseudo_type(const char *fstype)
{
	for (size_t i = 0; fstype && i < NELEM(pseudo_types); i++)
		if (!strcmp(pseudo_types[i], fstype))
			return true;
	return false;
}

bool srcpol_under(const char *a, const char *b)
{
	size_t n = strlen(b);

	while (n > 1 && b[n - 1] == '/')
		n--;
	if (n == 1 && b[0] == '/')
		return a[0] == '/';
	return !strncmp(a, b, n) && (a[n] == 0 || a[n] == '/');
}

/* One protected entry against path: is, below, or contains. */
static bool hits(const char *path, const char *entry, bool *contains)
{
	if (srcpol_under(path, entry)) {
		*contains = false;
		return true;
	}
	if (srcpol_under(entry, path)) {
		*contains = true;
		return true;
	}
	return false;
}

const char *srcpol_protected(const char *path, const char *const *extra,
			     size_t nextra, bool *contains)
{
	*contains = false;
	if (!strcmp(path, "/")) {
		*contains = true;
		return "/";
	}
	for (size_t i = 0; i < NELEM(protected_paths); i++)
		if (hits(path, protected_paths[i].path, contains))
			return protected_paths[i].path;
	for (size_t i = 0; i < nextra; i++)
		if (extra[i][0] == '/' && hits(path, extra[i], contains))
			return extra[i];
	return NULL;
}

static const char *protected_why(const char *entry)
{
	for (size_t i = 0; i < NELEM(protected_paths); i++)
		if (!strcmp(protected_paths[i].path, entry))
			return protected_paths[i].why;
	return "envbox's own";
}

bool srcpol_ro_allowed(const char *path)
{
	for (size_t i = 0; i < NELEM(ro_allowed); i++)
		if (srcpol_under(path, ro_allowed[i]))
			return true;
	return false;
}

/* --- resolving ----------------------------------------------------------- */

struct comp {
	char *name;
	bool via_link; /* from a link's target */
};

struct walk {
	struct comp *pend; /* a stack: the last is the next component */
	size_t npend, cap;
	int *fds;          /* fds[i]: the directory after i components */
	size_t *lens;      /* lens[i]: path length then */
	size_t depth, fcap;
	bool started;      /* fds[0] (the root) is set */
	buf path;          /* "" for the root */
};

static void push_comp(struct walk *w, const char *s, size_t n, bool via_link)
{
	if (w->npend == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->pend = xrealloc(w->pend, w->cap * sizeof *w->pend);
	}
	w->pend[w->npend++] = (struct comp){ xstrndup(s, n), via_link };
}

/* Pushes the components of s so that the first comes out first. */
static void push_path(struct walk *w, const char *s, bool via_link)
{
	size_t end = strlen(s);

	while (end > 0) {
		size_t start = end;

		while (start > 0 && s[start - 1] != '/')
			start--;
		if (end > start)
			push_comp(w, s + start, end - start, via_link);
		end = start;
		while (end > 0 && s[end - 1] == '/')
			end--;
	}
}

static void push_dir(struct walk *w, int fd)
{
	if (!w->fcap || w->depth + 1 >= w->fcap) {
		w->fcap = w->fcap ? w->fcap * 2 : 16;
		w->fds = xrealloc(w->fds, w->fcap * sizeof *w->fds);
		w->lens = xrealloc(w->lens, w->fcap * sizeof *w->lens);
	}
	if (w->started)
		w->depth++;
	w->started = true;
	w->fds[w->depth] = fd;
	w->lens[w->depth] = w->path.len;
}

static void pop_dir(struct walk *w)
{
	if (w->depth == 0)
		return;
	close(w->fds[w->depth]);
	w->depth--;
	w->path.len = w->lens[w->depth];
	w->path.p[w->path.len] = 0;
}

static void walk_free(struct walk *w, bool keep_top)
{
	for (size_t i = 0; i < w->npend; i++)
		free(w->pend[i].name);
	free(w->pend);
	for (size_t i = 0; w->started && i <= w->depth; i++)
		if (!(keep_top && i == w->depth))
			close(w->fds[i]);
	free(w->fds);
	free(w->lens);
	buf_free(&w->path);
}

static const char *cur_path(struct walk *w)
{
	return w->path.len ? w->path.p : "/";
}

/* The path so far plus name, for messages and the link record. */
static char *joined(struct walk *w, const char *name)
{
	return xasprintf("%s/%s", w->path.len ? w->path.p : "", name);
}

static void add_link(struct srcpol_res *r, char *where)
{
	r->links = xrealloc(r->links, (r->nlinks + 1) * sizeof *r->links);
	r->links[r->nlinks++] = where;
}

/* Everything after the first missing component: appended as written. */
static int missing_rest(struct walk *w, struct srcpol_res *r, struct comp *c,
			eb_err *e)
{
	char *where = joined(w, c->name);

	if (c->via_link) {
		eb_errf(e, "%s is missing, reached through a symbolic link", where);
		free(where);
		return -1;
	}
	free(where);
	r->create_from = w->path.len + 1;
	buf_addc(&w->path, '/');
	buf_adds(&w->path, c->name);
	while (w->npend) {
		struct comp *n = &w->pend[--w->npend];

		if (!strcmp(n->name, "..")) {
			eb_errf(e, "\"..\" after a missing directory");
			free(n->name);
			return -1;
		}
		if (strcmp(n->name, ".")) {
			buf_addc(&w->path, '/');
			buf_adds(&w->path, n->name);
		}
		free(n->name);
	}
	return 0;
}

int srcpol_resolve(const struct srcpol_env *env, const char *src,
		   struct srcpol_res *r, eb_err *e)
{
	struct walk w = { 0 };
	int nlinks = 0, fd;

	memset(r, 0, sizeof *r);
	r->fd = -1;
	if (src[0] != '/') {
		eb_errf(e, "not an absolute path");
		return -1;
	}
	fd = openat(env->rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		eb_errf(e, "unable to open the root: %s", strerror(errno));
		return -1;
	}
	buf_adds(&w.path, "");
	push_dir(&w, fd);
	push_path(&w, src, false);
	for (size_t i = 0; i < w.npend; i++)
		if (!strcmp(w.pend[i].name, "..")) {
			eb_errf(e, "has a \"..\" component");
			goto fail;
		}

	while (w.npend) {
		struct comp c = w.pend[--w.npend];
		struct stat st;
		char target[PATH_MAX];
		ssize_t tn;

		if (!strcmp(c.name, ".")) {
			free(c.name);
			continue;
		}
		if (!strcmp(c.name, "..")) {
			pop_dir(&w);
			free(c.name);
			continue;
		}
		if (fstatat(w.fds[w.depth], c.name, &st, AT_SYMLINK_NOFOLLOW)) {
			int err = errno;

			if (err == ENOENT) {
				int rc = missing_rest(&w, r, &c, e);

				free(c.name);
				if (rc)
					goto fail;
				break;
			}
			char *where = joined(&w, c.name);

			eb_errf(e, "unable to resolve %s: %s", where, strerror(err));
			free(where);
			free(c.name);
			goto fail;
		}
		if (S_ISLNK(st.st_mode)) {
			if (++nlinks > MAX_LINKS) {
				eb_errf(e, "too many levels of symbolic links");
				free(c.name);
				goto fail;
			}
			tn = readlinkat(w.fds[w.depth], c.name, target, sizeof target - 1);
			if (tn <= 0) {
				char *where = joined(&w, c.name);

				eb_errf(e, "unable to read the link %s: %s", where,
					tn < 0 ? strerror(errno) : "empty");
				free(where);
				free(c.name);
				goto fail;
			}
			target[tn] = 0;
			add_link(r, joined(&w, c.name));
			free(c.name);
			if (target[0] == '/')
				while (w.depth)
					pop_dir(&w);
			push_path(&w, target, true);
			continue;
		}
		if (w.npend && !S_ISDIR(st.st_mode)) {
			char *where = joined(&w, c.name);

			eb_errf(e, "%s is not a directory", where);
			free(where);
			free(c.name);
			goto fail;
		}
		fd = openat(w.fds[w.depth], c.name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			char *where = joined(&w, c.name);

			eb_errf(e, "unable to open %s: %s", where, strerror(errno));
			free(where);
			free(c.name);
			goto fail;
		}
		buf_addc(&w.path, '/');
		buf_adds(&w.path, c.name);
		free(c.name);
		push_dir(&w, fd);
	}
	r->fd = w.fds[w.depth];
	if (fstat(r->fd, &r->st)) {
		eb_errf(e, "unable to stat %s: %s", cur_path(&w), strerror(errno));
		goto fail;
	}
	r->path = xstrdup(cur_path(&w));
	walk_free(&w, true);
	return 0;
fail:
	r->fd = -1;
	walk_free(&w, false);
	srcpol_res_free(r);
	return -1;
}

void srcpol_res_free(struct srcpol_res *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->path);
	r->path = NULL;
	for (size_t i = 0; i < r->nlinks; i++)
		free(r->links[i]);
	free(r->links);
	r->links = NULL;
	r->nlinks = 0;
}

/* --- checking ------------------------------------------------------------ */

/* Rule 4: the same file as a protected entry, reached another way. */
static const char *alias_of(const struct srcpol_env *env, const struct srcpol_res *r)
{
	struct stat st;

	for (size_t i = 0; i < NELEM(protected_paths) + env->nprotect; i++) {
		const char *p = i < NELEM(protected_paths) ?
				protected_paths[i].path : env->protect[i - NELEM(protected_paths)];

		if (p[0] != '/' || !p[1])
			continue;
		if (fstatat(env->rootfd, p + 1, &st, 0))
			continue;
		if (st.st_dev == r->st.st_dev && st.st_ino == r->st.st_ino)
			return p;
	}
	return NULL;
}

int srcpol_check_path(const struct srcpol_env *env, const char *path, bool ro,
		      eb_err *e)
{
	const char *p;
	bool contains;

	p = srcpol_protected(path, env->protect, env->nprotect, &contains);
	if (p && !strcmp(p, "/")) {
		eb_errf(e, "refused: / holds everything the outer container needs");
		return -1;
	}
	if (p && !(ro && !contains && srcpol_ro_allowed(path))) {
		if (contains)
			eb_errf(e, "refused: it contains %s (%s)", p, protected_why(p));
		else if (!strcmp(p, path))
			eb_errf(e, "refused: it is %s (%s)", p, protected_why(p));
		else
			eb_errf(e, "refused: it lies below %s (%s)", p, protected_why(p));
		return -1;
	}
	return 0;
}

int srcpol_check(const struct srcpol_env *env, const struct srcpol_res *r,
		 bool ro, eb_err *e)
{
	const char *p, *type;
	struct statfs sf;

	if (srcpol_check_path(env, r->path, ro, e))
		return -1;
	if (fstatfs(r->fd, &sf) == 0 && (type = srcpol_pseudo_magic((unsigned long)sf.f_type))) {
		eb_errf(e, "refused: it is on a %s filesystem (a kernel interface)", type);
		return -1;
	}
	type = env->fstype ? env->fstype(env->ctx, r->fd, r->path) : NULL;
	if (srcpol_pseudo_type(type)) {
		eb_errf(e, "refused: it is on a %s filesystem (a kernel interface)", type);
		return -1;
	}
	if (!r->create_from && (p = alias_of(env, r))) {
		eb_errf(e, "refused: it is %s under another name (%s): one directory "
			"mounted at two places? give the workspace one of its own", p,
			protected_why(p));
		return -1;
	}
	return 0;
}

/* a lies strictly below b. A link that is a source as written is not in
 * what that source binds; one below it is. */
static bool below(const char *a, const char *b)
{
	return b && srcpol_under(a, b) && !srcpol_under(b, a);
}

int srcpol_links_check(const struct srcpol_res *r, const char *const *written,
		       size_t n, size_t *bad, eb_err *e)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < r[i].nlinks; k++)
			for (size_t j = 0; j < n; j++) {
				const char *in = NULL;

				if (below(r[i].links[k], r[j].path))
					in = r[j].path;
				else if (below(r[i].links[k], written[j]))
					in = written[j];
				if (!in)
					continue;
				*bad = i;
				eb_errf(e, "refused: the symbolic link %s lies in %s, "
					"which the workspace can write (name the real "
					"path)", r[i].links[k], in);
				return -1;
			}
	return 0;
}
