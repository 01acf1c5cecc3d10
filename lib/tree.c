/* tree: a directory tree read once into an index; lookups in it that
 * follow symlinks as the kernel would (see tree.h). */
#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

void warn_to(tree_warn_fn *warn, void *ctx, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (!warn)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	warn(ctx, msg);
	free(msg);
}

#define tree_warnf(t, ...) warn_to((t)->warn, (t)->warn_ctx, __VA_ARGS__)

/* ---- paths ---------------------------------------------------------------- */

/* The rest of path after dir when path is dir or below it ("" or "/x"),
 * else NULL. dir is clean; "/" holds everything. */
const char *path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/' ? path + (path[1] ? 0 : 1) : NULL;
	if (strncmp(path, dir, n) || (path[n] && path[n] != '/'))
		return NULL;
	return path + n;
}

/* dir + "/" + name, without "//" when dir is "/". */
char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	if (!*name)
		return xstrdup(dir);
	if (n && dir[n - 1] == '/')
		n--;
	return xasprintf("%.*s/%s", (int)n, dir, name);
}

/* ---- the index ------------------------------------------------------------ */

static int ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tree_ent *)a)->name, ((const struct tree_ent *)b)->name);
}

/* The path here of an entry ("" for the directory itself). */
char *tree_path(const struct tree *t, int dir, const char *name)
{
	const char *rel = t->d[dir].rel;
	char *sub, *p;

	if (!*rel)
		return path_join(t->root, name);
	sub = path_join(rel, name);
	p = path_join(t->root, sub);
	free(sub);
	return p;
}

static int tree_add_dir(struct tree *t, int parent, const char *name)
{
	GROW(t->d, t->nd, t->cap);
	t->d[t->nd] = (struct tree_dir){
		.rel = parent < 0 ? xstrdup("") :
			*t->d[parent].rel ? path_join(t->d[parent].rel, name) : xstrdup(name),
		.parent = parent,
	};
	return (int)t->nd++;
}

/* Reads the directory open at fd (which it takes) as t->d[idx], then its
 * subdirectories. Directory symlinks are not followed here: a lookup
 * follows them in the index. */
static void tree_walk(struct tree *t, int fd, int idx, int depth)
{
	DIR *dp = fdopendir(fd);
	struct dirent *de;
	struct tree_ent *v = NULL;
	size_t n = 0, cap = 0;

	if (!dp) {
		char *p = tree_path(t, idx, "");

		tree_warnf(t, "unable to read %s: %s; skipped", p, strerror(errno));
		free(p);
		close(fd);
		return;
	}
	for (errno = 0; (de = readdir(dp)); errno = 0) {
		struct stat st;
		char type;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		switch (de->d_type) {
		case DT_DIR:
			type = TREE_DIR;
			break;
		case DT_LNK:
			type = TREE_LINK;
			break;
		case DT_REG:
			type = TREE_FILE;
			break;
		case DT_UNKNOWN:
			/* Some filesystems do not say; ask. */
			if (fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				type = TREE_OTHER;
				break;
			}
			type = S_ISDIR(st.st_mode) ? TREE_DIR : S_ISLNK(st.st_mode) ? TREE_LINK :
			       S_ISREG(st.st_mode) ? TREE_FILE : TREE_OTHER;
			break;
		default:
			type = TREE_OTHER;
		}
		GROW(v, n, cap);
		v[n++] = (struct tree_ent){ .name = xstrdup(de->d_name), .type = type, .child = -1 };
	}
	if (errno) {
		char *p = tree_path(t, idx, "");

		tree_warnf(t, "unable to read all of %s: %s", p, strerror(errno));
		free(p);
	}
	if (n)
		qsort(v, n, sizeof *v, ent_cmp);
	t->d[idx].e = v;
	t->d[idx].n = n;
	for (size_t i = 0; i < n; i++) {
		int cfd, c;
		char *p;

		if (v[i].type != TREE_DIR || depth >= t->max_depth)
			continue;
		cfd = openat(dirfd(dp), v[i].name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0) {
			p = tree_path(t, idx, v[i].name);
			tree_warnf(t, "unable to read %s: %s; skipped", p, strerror(errno));
			free(p);
			continue;
		}
		if (depth + 1 >= TREE_MAX_DEPTH) {
			p = tree_path(t, idx, v[i].name);
			tree_warnf(t, "%s: more than %d directories deep; skipped", p, TREE_MAX_DEPTH);
			free(p);
			close(cfd);
			continue;
		}
		c = tree_add_dir(t, idx, v[i].name);
		/* v stays valid: t->d moves, the entry arrays do not. */
		v[i].child = c;
		tree_walk(t, cfd, c, depth + 1);
	}
	closedir(dp);
}

int tree_open(struct tree *t, const char *root, int max_depth,
	      tree_warn_fn *warn, void *warn_ctx)
{
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	memset(t, 0, sizeof *t);
	t->root = root;
	t->max_depth = max_depth;
	t->warn = warn;
	t->warn_ctx = warn_ctx;
	if (fd < 0)
		return -1;
	tree_walk(t, fd, tree_add_dir(t, -1, ""), 0);
	return 0;
}

void tree_free(struct tree *t)
{
	for (size_t i = 0; i < t->nd; i++) {
		for (size_t j = 0; j < t->d[i].n; j++) {
			free(t->d[i].e[j].name);
			free(t->d[i].e[j].link);
		}
		free(t->d[i].e);
		free(t->d[i].rel);
	}
	free(t->d);
	memset(t, 0, sizeof *t);
}

int tree_find(const struct tree *t, int dir, const char *name, size_t n)
{
	const struct tree_dir *d = &t->d[dir];
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(d->e[mid].name, name, n);

		if (c == 0 && d->e[mid].name[n])
			c = 1;
		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The target of a link entry, read once. */
const char *tree_link(struct tree *t, int dir, int k)
{
	struct tree_ent *en = &t->d[dir].e[k];
	char target[PATH_MAX];
	ssize_t n;
	char *p;

	if (en->link)
		return en->link;
	p = tree_path(t, dir, en->name);
	n = readlink(p, target, sizeof target - 1);
	free(p);
	if (n <= 0)
		return NULL;
	target[n] = 0;
	en->link = xstrdup(target);
	return en->link;
}

enum tree_res tree_lookup(struct tree *t, int dir, const char *path,
			  bool follow_last, int *hops, struct tree_pos *out,
			  bool *via_host)
{
	const char *rest;

	if (path[0] == '/') {
		rest = path_under(path, t->root);
		if (!rest && t->alias && (rest = path_under(path, t->alias)) && via_host)
			*via_host = true;
		if (!rest)
			return TREE_ESCAPES;
		path = rest;
		dir = 0;
	}
	*out = (struct tree_pos){ dir, -1 };
	while (*path) {
		size_t n;
		bool last;
		int k;
		struct tree_ent *en;

		path += strspn(path, "/");
		n = strcspn(path, "/");
		if (n == 0)
			break;
		last = path[n + strspn(path + n, "/")] == 0;
		if (n == 1 && path[0] == '.') {
			path += n;
			*out = (struct tree_pos){ dir, -1 };
			continue;
		}
		if (n == 2 && path[0] == '.' && path[1] == '.') {
			if (dir == 0)
				return TREE_ESCAPES;
			dir = t->d[dir].parent;
			path += n;
			*out = (struct tree_pos){ dir, -1 };
			continue;
		}
		k = tree_find(t, dir, path, n);
		if (k < 0)
			return TREE_DANGLING;
		en = &t->d[dir].e[k];
		path += n;
		if (en->type == TREE_LINK && (!last || follow_last)) {
			struct tree_pos p;
			const char *target;
			enum tree_res r;

			if (++*hops > TREE_MAX_HOPS)
				return TREE_LOOP;
			target = tree_link(t, dir, k);
			if (!target)
				return TREE_DANGLING;
			r = tree_lookup(t, dir, target, true, hops, &p, via_host);
			if (r != TREE_OK)
				return r;
			if (last) {
				*out = p;
				return TREE_OK;
			}
			if (p.ent >= 0) {
				en = &t->d[p.dir].e[p.ent];
				if (en->type != TREE_DIR || en->child < 0)
					return TREE_DANGLING;
				dir = en->child;
			} else {
				dir = p.dir;
			}
			*out = (struct tree_pos){ dir, -1 };
			continue;
		}
		if (last) {
			*out = (struct tree_pos){ dir, k };
			return TREE_OK;
		}
		if (en->type != TREE_DIR || en->child < 0)
			return TREE_DANGLING;
		dir = en->child;
		*out = (struct tree_pos){ dir, -1 };
	}
	return TREE_OK;
}

struct tree_ent *tree_at(struct tree *t, struct tree_pos p)
{
	return &t->d[p.dir].e[p.ent];
}
