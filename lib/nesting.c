/* nesting: the workspace's cgroup, delegated and prepared for a dockerd
 * inside (nesting.h). */
#include "nesting.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* The files of a cgroup its delegate writes (cgroups(7), "Delegation"). */
static const char *const delegated_files[] = {
	"cgroup.procs", "cgroup.subtree_control", "cgroup.threads",
};

#define PROCS_MAX (1u << 20) /* cgroup.procs read at most: 100k pids and more */

/* NEST_CGROUP_PARENT without its '/': the directory under the root. */
#define PARENT_DIR (&NEST_CGROUP_PARENT[1])

bool nest_id_valid(const char *id)
{
	size_t n = 0;

	for (; id[n]; n++)
		if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
			return false;
	return n == 64;
}

char *nest_controllers_enable(const char *controllers)
{
	buf b = { 0 };
	const char *p = controllers;

	for (;;) {
		size_t n;

		p += strspn(p, " \t\n");
		if (!*p)
			break;
		n = strcspn(p, " \t\n");
		buf_printf(&b, "%s+%.*s", b.len ? " " : "", (int)n, p);
		p += n;
	}
	return b.p ? buf_steal(&b) : xstrdup("");
}

static bool parse_id_number(const char *s, size_t n, unsigned long *out)
{
	unsigned long v = 0;

	if (!n || n > 10 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	/* (uid_t)-1 means "unchanged" to chown. */
	if (v >= 0xffffffffUL)
		return false;
	*out = v;
	return true;
}

int nest_owner_parse(const char *opt, const char *s, uid_t *uid, gid_t *gid,
		     eb_err *e)
{
	const char *colon = strchr(s, ':');
	unsigned long u, g;

	if (!colon || !parse_id_number(s, (size_t)(colon - s), &u) ||
	    !parse_id_number(colon + 1, strlen(colon + 1), &g)) {
		eb_errf(e, "%s \"%s\": expected UID:GID (the workspace's root as this side sees it, 100000:100000)",
			opt, s);
		return -1;
	}
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

/* --- through file descriptors ------------------------------------------- */

/* The cgroup root, checked to be cgroup v2. */
static int open_root(const char *cgroup_root, eb_err *e)
{
	int fd = open(cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct statfs sf;

	if (fd < 0) {
		eb_errf(e, "%s: %s", cgroup_root, strerror(errno));
		return -1;
	}
	if (fstatfs(fd, &sf) < 0 || (unsigned long)sf.f_type != CGROUP2_SUPER_MAGIC) {
		eb_errf(e, "%s is not a cgroup v2 hierarchy: nesting needs a cgroup v2 host",
			cgroup_root);
		close(fd);
		return -1;
	}
	return fd;
}

static int open_sub(int at, const char *name)
{
	return openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* ROOT/docker/ID opened; -1 with e. */
static int open_workspace(const char *cgroup_root, const char *id, eb_err *e)
{
	int root, parent, dir = -1;

	if ((root = open_root(cgroup_root, e)) < 0)
		return -1;
	parent = open_sub(root, PARENT_DIR);
	if (parent >= 0)
		dir = open_sub(parent, id);
	if (dir < 0)
		eb_errf(e, "%s%s/%s: %s", cgroup_root, NEST_CGROUP_PARENT, id,
			strerror(errno));
	if (parent >= 0)
		close(parent);
	close(root);
	return dir;
}

/* dir and its delegated files to uid:gid. */
static int hand_over(int dir, const char *shown, uid_t uid, gid_t gid, eb_err *e)
{
	if (fchown(dir, uid, gid) < 0) {
		eb_errf(e, "chown %s: %s", shown, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof delegated_files / sizeof *delegated_files; i++)
		if (fchownat(dir, delegated_files[i], uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
			eb_errf(e, "chown %s/%s: %s", shown, delegated_files[i],
				strerror(errno));
			return -1;
		}
	return 0;
}

/* dir/name's text in out (emptied first); -1 with errno. */
static int read_at(int dir, const char *name, buf *out)
{
	eb_err ignored;

	buf_reset(out);
	return read_file_at(dir, name, PROCS_MAX, out, &ignored);
}

/* One write of s to dir/name; -1 with errno. */
static int write_at(int dir, const char *name, const char *s)
{
	int fd = openat(dir, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;
	int saved;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* --- delegate ------------------------------------------------------------- */

int nest_delegate(const char *cgroup_root, const char *id, uid_t uid,
		  gid_t gid, eb_err *e)
{
	int root, parent = -1, dir = -1, ret = -1;
	char *shown;

	if (!nest_id_valid(id)) {
		eb_errf(e, "container id \"%.80s\": expected 64 hex digits", id);
		return -1;
	}
	shown = xasprintf("%s%s/%s", cgroup_root, NEST_CGROUP_PARENT, id);
	if ((root = open_root(cgroup_root, e)) < 0)
		goto out;
	if (mkdirat(root, PARENT_DIR, 0755) < 0 && errno != EEXIST) {
		eb_errf(e, "mkdir %s%s: %s", cgroup_root, NEST_CGROUP_PARENT,
			strerror(errno));
		goto out;
	}
	if ((parent = open_sub(root, PARENT_DIR)) < 0) {
		eb_errf(e, "%s%s: %s", cgroup_root, NEST_CGROUP_PARENT, strerror(errno));
		goto out;
	}
	if (mkdirat(parent, id, 0755) < 0) {
		eb_errf(e, "mkdir %s: %s", shown, strerror(errno));
		goto out;
	}
	if ((dir = open_sub(parent, id)) < 0) {
		eb_errf(e, "%s: %s", shown, strerror(errno));
		unlinkat(parent, id, AT_REMOVEDIR);
		goto out;
	}
	if (hand_over(dir, shown, uid, gid, e) < 0) {
		unlinkat(parent, id, AT_REMOVEDIR);
		goto out;
	}
	ret = 0;
out:
	if (dir >= 0)
		close(dir);
	if (parent >= 0)
		close(parent);
	if (root >= 0)
		close(root);
	free(shown);
	return ret;
}

void nest_undelegate(const char *cgroup_root, const char *id)
{
	eb_err ignored;
	int root, parent;

	if (!nest_id_valid(id) || (root = open_root(cgroup_root, &ignored)) < 0)
		return;
	parent = open_sub(root, PARENT_DIR);
	if (parent >= 0) {
		unlinkat(parent, id, AT_REMOVEDIR);
		close(parent);
	}
	close(root);
}

bool nest_in_use(const char *cgroup_root, const char *id)
{
	eb_err ignored;
	buf b = { 0 };
	int dir = nest_id_valid(id) ? open_workspace(cgroup_root, id, &ignored) : -1;
	bool used;

	if (dir < 0)
		return false;
	used = read_at(dir, "cgroup.events", &b) == 0 && b.p &&
	       strstr(b.p, "populated 1");
	close(dir);
	buf_free(&b);
	return used;
}

/* --- prelude -------------------------------------------------------------- */

/* One round: every pid in dir/cgroup.procs written to init/cgroup.procs
 * (one that exited meanwhile is skipped). -1 when cgroup.procs cannot be
 * read or a move fails otherwise. */
static int move_procs(int dir, int init, buf *procs)
{
	const char *p, *end, *line;
	size_t n;

	if (read_at(dir, "cgroup.procs", procs) < 0)
		return -1;
	p = procs->p ? procs->p : "";
	end = p + procs->len;
	while (line_next(&p, end, &line, &n)) {
		char pid[16];

		if (!n || n >= sizeof pid)
			continue;
		memcpy(pid, line, n);
		pid[n] = 0;
		if (write_at(init, "cgroup.procs", pid) < 0 && errno != ESRCH)
			return -1;
	}
	return 0;
}

int nest_prelude(const char *cgroup_root, const char *id, uid_t uid,
		 gid_t gid, eb_err *e)
{
	int dir, init = -1, ret = -1, last = 0;
	buf b = { 0 };
	char *enable = NULL, *shown;

	if (!nest_id_valid(id)) {
		eb_errf(e, "container id \"%.80s\": expected 64 hex digits", id);
		return -1;
	}
	if ((dir = open_workspace(cgroup_root, id, e)) < 0)
		return -1;
	shown = xasprintf("%s%s/%s/%s", cgroup_root, NEST_CGROUP_PARENT, id,
			  NEST_INIT_CGROUP);
	/* The workspace may have made it first: then it is its own already. */
	if (mkdirat(dir, NEST_INIT_CGROUP, 0755) < 0 && errno != EEXIST) {
		eb_errf(e, "mkdir %s: %s", shown, strerror(errno));
		goto out;
	}
	if ((init = open_sub(dir, NEST_INIT_CGROUP)) < 0) {
		eb_errf(e, "%s: %s", shown, strerror(errno));
		goto out;
	}
	if (hand_over(init, shown, uid, gid, e) < 0)
		goto out;
	if (read_at(dir, "cgroup.controllers", &b) < 0) {
		eb_errf(e, "reading the controllers of %s%s/%s: %s", cgroup_root,
			NEST_CGROUP_PARENT, id, strerror(errno));
		goto out;
	}
	enable = nest_controllers_enable(b.p ? b.p : "");
	/* Processes may appear while they are moved (a docker exec): rounds
	 * until the controllers can be enabled, as cgroup-v2-prelude does. */
	for (int tries = 0; tries < NEST_PRELUDE_TRIES; tries++) {
		if (move_procs(dir, init, &b) < 0) {
			last = errno;
			continue;
		}
		if (!*enable || write_at(dir, "cgroup.subtree_control", enable) == 0) {
			ret = 0;
			goto out;
		}
		last = errno;
	}
	eb_errf(e, "%s%s/%s: unable to move the workspace's processes to %s and enable its controllers after %d tries: %s",
		cgroup_root, NEST_CGROUP_PARENT, id, NEST_INIT_CGROUP,
		NEST_PRELUDE_TRIES, strerror(last));
out:
	if (init >= 0)
		close(init);
	close(dir);
	buf_free(&b);
	free(enable);
	free(shown);
	return ret;
}
