/* gpu: the scan (see gpu.h): find the device nodes, driver files and
 * variables an NVIDIA GPU needs inside the inner container, then order
 * them. Which files are the driver's is gpu_names.c's; the library
 * directory's chains are gpu_libs.c's; /proc's mounts are gpu_proc.c's. */
#include "gpu_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "spec.h"

/* ---- collecting ------------------------------------------------------------- */

/* Both paths must fit a spec line; a bind that cannot is named and skipped. */
static bool spec_ok(struct scan *s, const char *what, const char *src, const char *dst)
{
	eb_err e;

	if (spec_check_path("source", src, &e) == 0 &&
	    spec_check_path("destination", dst, &e) == 0)
		return true;
	warnf(s->o, "%s %s: %s; skipped", what, src, e.msg);
	return false;
}

/* Takes src and dst. */
void gpu_add_bind(struct scan *s, char *src, char *dst, enum gpu_from from)
{
	struct gpu_result *r = s->r;

	if (!spec_ok(s, gpu_from_name(from), src, dst)) {
		free(src);
		free(dst);
		return;
	}
	GROW(r->bind, r->nbind, s->cap_bind);
	r->bind[r->nbind++] = (struct gpu_bind){ src, dst, from };
}

/* A host path's place inside: remapped when under the library directory. */
char *gpu_inner_path(struct scan *s, const char *host)
{
	char *p = gpu_remap(host, s->o->usr_lib_dir, s->o->inner_lib_dir);

	return p ? p : xstrdup(host);
}

void gpu_add_version(struct scan *s, const char *name)
{
	struct gpu_result *r = s->r;
	char *v = gpu_driver_version(name);

	if (!v)
		return;
	for (size_t i = 0; i < r->nversion; i++) {
		if (!strcmp(r->version[i], v)) {
			free(v);
			return;
		}
	}
	GROW(r->version, r->nversion, s->cap_ver);
	r->version[r->nversion++] = v;
}

/* ---- mounts ---------------------------------------------------------------------- */

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Binds the symlinks in dir that lead, in one or more steps within dir, to
 * one of the mounted driver files named in names. */
static void same_dir_links(struct scan *s, const char *dir, const char **names, size_t n)
{
	struct tree t;

	if (tree_open(&t, dir, 0, s->o->warn, s->o->warn_ctx) < 0) {
		warnf(s->o, "unable to read %s for links to its GPU mounts: %s",
		      dir, strerror(errno));
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int k = tree_find(&t, 0, names[i], strlen(names[i]));

		if (k >= 0)
			t.d[0].e[k].mark = true;
	}
	for (size_t k = 0; k < t.d[0].n; k++) {
		struct tree_pos p = { 0, (int)k };
		int hops = 0;
		bool leads = false;

		if (t.d[0].e[k].type != TREE_LINK || t.d[0].e[k].mark)
			continue;
		/* One link at a time: the chain may pass through the mount. */
		while (!leads && tree_at(&t, p)->type == TREE_LINK && hops <= TREE_MAX_HOPS) {
			const char *target = tree_link(&t, p.dir, p.ent);
			struct tree_pos next;

			if (!target || tree_lookup(&t, p.dir, target, false, &hops, &next, NULL) != TREE_OK ||
			    next.ent < 0 || next.dir != 0)
				break;
			p = next;
			leads = tree_at(&t, p)->mark;
			hops++;
		}
		if (leads) {
			char *src = path_join(dir, t.d[0].e[k].name);

			gpu_add_version(s, t.d[0].e[k].name);
			gpu_add_bind(s, src, gpu_inner_path(s, src), GPU_FROM_LINK);
		}
	}
	tree_free(&t);
}

static void add_device(struct scan *s, const char *rel, bool listed);

static void scan_mounts(struct scan *s)
{
	const struct mountinfo *mi = s->o->mi;
	const char **files = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; mi && i < mi->n; i++) {
		const char *target = mi->v[i].target, *rest;

		if ((rest = path_under(target, "/dev")) && *rest) {
			if (gpu_device_name(rest + 1))
				add_device(s, rest + 1, true);
			continue;
		}
		if (path_under(target, "/proc") || !gpu_driver_file(target))
			continue;
		GROW(files, n, cap);
		files[n++] = target;
	}
	if (n)
		qsort(files, n, sizeof *files, str_cmp);
	/* One directory index for all the mounts in it. */
	for (size_t i = 0, j; i < n; i = j) {
		char *dir = dir_of(files[i]);
		const char **names = xcalloc(n, sizeof *names);
		size_t nn = 0;

		for (j = i; j < n; j++) {
			char *d = dir_of(files[j]);
			bool same = !strcmp(d, dir);

			free(d);
			if (!same)
				break;
			if (j > i && !strcmp(files[j], files[j - 1]))
				continue; /* mounted twice */
			names[nn++] = strrchr(files[j], '/') + 1;
			gpu_add_version(s, names[nn - 1]);
			gpu_add_bind(s, xstrdup(files[j]), gpu_inner_path(s, files[j]),
				     GPU_FROM_MOUNT);
		}
		same_dir_links(s, dir, names, nn);
		free(names);
		free(dir);
	}
	free(files);
}

/* ---- devices ------------------------------------------------------------------------ */

/* rel names a device under the dev root; listed: the mount table says so. */
static void add_device(struct scan *s, const char *rel, bool listed)
{
	struct gpu_result *r = s->r;
	char *host = path_join(s->o->dev_root ? s->o->dev_root : "/dev", rel);
	char *inner = path_join("/dev", rel);
	struct stat st;
	eb_err e;

	for (size_t i = 0; i < s->ndev_seen; i++) {
		if (!strcmp(s->dev_seen[i], inner)) {
			free(host);
			free(inner);
			return;
		}
	}
	GROW(s->dev_seen, s->ndev_seen, s->cap_dev_seen);
	s->dev_seen[s->ndev_seen++] = xstrdup(inner);
	if (lstat(host, &st) < 0) {
		if (listed || errno != ENOENT)
			warnf(s->o, "device %s: %s; skipped", host, strerror(errno));
	} else if (!S_ISCHR(st.st_mode)) {
		warnf(s->o, "%s is not a character device; skipped", host);
	} else if (spec_check_path("device", host, &e) < 0) {
		warnf(s->o, "%s; skipped", e.msg);
	} else {
		GROW(r->dev, r->ndev, s->cap_dev);
		r->dev[r->ndev++] = (struct gpu_device){
			host, inner, major(st.st_rdev), minor(st.st_rdev)
		};
		return;
	}
	free(host);
	free(inner);
}

/* The device nodes in one directory of the dev root ("" for its top). */
static void scan_dev_dir(struct scan *s, const char *root, const char *sub)
{
	char *path = path_join(root, sub);
	DIR *dp = opendir(path);
	struct dirent *de;

	if (!dp) {
		if (errno != ENOENT)
			warnf(s->o, "unable to read %s: %s", path, strerror(errno));
		free(path);
		return;
	}
	while ((de = readdir(dp))) {
		char *rel = *sub ? path_join(sub, de->d_name) : xstrdup(de->d_name);

		if (gpu_device_name(rel))
			add_device(s, rel, false);
		free(rel);
	}
	closedir(dp);
	free(path);
}

static int scan_devices(struct scan *s, eb_err *e)
{
	const char *root = s->o->dev_root ? s->o->dev_root : "/dev";
	struct stat st;

	if (stat(root, &st) < 0) {
		eb_errf(e, "unable to read the dev root %s: %s", root, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		eb_errf(e, "the dev root %s is not a directory", root);
		return -1;
	}
	/* Each directory the table names, once. */
	for (size_t i = 0; i < gpu_ndevice_rows; i++) {
		char *dir = gpu_device_row_dir(i);
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++) {
			char *other = gpu_device_row_dir(j);

			seen = !strcmp(dir, other);
			free(other);
		}
		if (!seen)
			scan_dev_dir(s, root, dir);
		free(dir);
	}
	return 0;
}

/* ---- firmware, tools, variables --------------------------------------------------- */

static void scan_firmware_dir(struct scan *s, const char *root, const char *version)
{
	char *dir = xasprintf("%s/nvidia/%s", strcmp(root, "/") ? root : "", version);
	DIR *dp = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!dp) {
		if (errno != ENOENT)
			warnf(s->o, "unable to read %s: %s", dir, strerror(errno));
		free(dir);
		return;
	}
	while ((de = readdir(dp))) {
		if (str_ends(de->d_name, ".bin") && strlen(de->d_name) > 4) {
			GROW(names, n, cap);
			names[n++] = xstrdup(de->d_name);
		}
	}
	closedir(dp);
	for (size_t i = 0; i < n; i++) {
		char *src = path_join(dir, names[i]);
		struct stat st;

		if (stat(src, &st) == 0 && S_ISREG(st.st_mode))
			gpu_add_bind(s, src,
				     xasprintf("/lib/firmware/nvidia/%s/%s", version, names[i]),
				     GPU_FROM_FIRMWARE);
		else
			free(src);
		free(names[i]);
	}
	free(names);
	free(dir);
}

static void scan_firmware(struct scan *s)
{
	char *in_lib = path_join(s->o->usr_lib_dir, "firmware");

	for (size_t i = 0; i < s->r->nversion; i++) {
		const char *v = s->r->version[i];

		/* A version is a file name part: never a path. */
		if (strchr(v, '/'))
			continue;
		scan_firmware_dir(s, s->o->firmware_dir ? s->o->firmware_dir : "/lib/firmware", v);
		scan_firmware_dir(s, in_lib, v);
	}
	free(in_lib);
}

static void scan_tools(struct scan *s)
{
	static const char *const usr_bin[] = { "/usr/bin", NULL };
	const char *const *dirs = s->o->bin_dirs ? s->o->bin_dirs : usr_bin;

	for (size_t i = 0; i < gpu_ntools; i++) {
		for (size_t j = 0; dirs[j]; j++) {
			char *src = path_join(dirs[j], gpu_tools[i]);
			struct stat st;

			if (stat(src, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
				gpu_add_bind(s, src, path_join("/usr/bin", gpu_tools[i]),
					     GPU_FROM_TOOL);
				break;
			}
			free(src);
		}
	}
}

static bool names_nvidia(const char *name, size_t n)
{
	for (size_t i = 0; i + 6 <= n; i++)
		if (!strncasecmp(name + i, "nvidia", 6))
			return true;
	return false;
}

static void scan_env(struct scan *s)
{
	struct gpu_result *r = s->r;

	for (size_t i = 0; s->o->environ && s->o->environ[i]; i++) {
		const char *kv = s->o->environ[i], *eq = strchr(kv, '=');
		char *name;
		bool dup = false;
		buf b = { 0 };
		eb_err e;

		if (!eq || !names_nvidia(kv, (size_t)(eq - kv)))
			continue;
		name = xstrndup(kv, (size_t)(eq - kv));
		/* The first of a name is the one getenv sees. */
		for (size_t j = 0; j < r->nenv && !dup; j++)
			dup = !strcmp(r->env[j].name, name);
		if (dup) {
			free(name);
			continue;
		}
		if (spec_write_env(&b, name, eq + 1, &e) < 0) {
			warnf(s->o, "%s; skipped", e.msg);
			free(name);
			continue;
		}
		buf_free(&b);
		GROW(r->env, r->nenv, s->cap_env);
		r->env[r->nenv++] = (struct gpu_env){ name, xstrdup(eq + 1) };
	}
}

/* ---- ordering ----------------------------------------------------------------------- */

static int dev_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gpu_device *)a)->inner,
		      ((const struct gpu_device *)b)->inner);
}

static int env_cmp(const void *a, const void *b)
{
	return strcmp(((const struct gpu_env *)a)->name, ((const struct gpu_env *)b)->name);
}

/* A bind with its insertion order, sorted by inner path, then kind, then
 * order: the first of an inner path is the one kept. */
struct bind_key {
	struct gpu_bind b;
	size_t seq;
};

static int bind_cmp(const void *a, const void *b)
{
	const struct bind_key *x = a, *y = b;
	int c = strcmp(x->b.dst, y->b.dst);

	if (c)
		return c;
	if (x->b.from != y->b.from)
		return x->b.from < y->b.from ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void finish(struct scan *s)
{
	struct gpu_result *r = s->r;
	struct bind_key *k = xcalloc(r->nbind, sizeof *k);
	size_t n = 0;

	if (r->ndev) {
		qsort(r->dev, r->ndev, sizeof *r->dev, dev_cmp);
		for (size_t i = 0; i < r->ndev; i++) {
			if (n && !strcmp(r->dev[n - 1].inner, r->dev[i].inner)) {
				free(r->dev[i].host);
				free(r->dev[i].inner);
			} else {
				r->dev[n++] = r->dev[i];
			}
		}
		r->ndev = n;
	}
	for (size_t i = 0; i < r->nbind; i++)
		k[i] = (struct bind_key){ r->bind[i], i };
	if (r->nbind)
		qsort(k, r->nbind, sizeof *k, bind_cmp);
	n = 0;
	for (size_t i = 0; i < r->nbind; i++) {
		if (n && !strcmp(r->bind[n - 1].dst, k[i].b.dst)) {
			free(k[i].b.src);
			free(k[i].b.dst);
		} else {
			r->bind[n++] = k[i].b;
		}
	}
	r->nbind = n;
	free(k);
	if (r->nenv)
		qsort(r->env, r->nenv, sizeof *r->env, env_cmp);
	if (r->nversion)
		qsort(r->version, r->nversion, sizeof *r->version, str_cmp);
}

int gpu_scan(const struct gpu_opts *o, struct gpu_result *r, eb_err *e)
{
	struct scan s = { .o = o, .r = r };
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (scan_devices(&s, e) < 0)
		goto out;
	scan_mounts(&s);
	if (gpu_scan_lib_dir(&s, e) < 0)
		goto out;
	/* Versions come from the libraries' names, so firmware goes last. */
	if (r->nversion)
		qsort(r->version, r->nversion, sizeof *r->version, str_cmp);
	scan_firmware(&s);
	scan_tools(&s);
	scan_env(&s);
	finish(&s);
	rc = 0;
out:
	if (rc < 0)
		gpu_result_free(r);
	for (size_t i = 0; i < s.ndev_seen; i++)
		free(s.dev_seen[i]);
	free(s.dev_seen);
	return rc;
}

void gpu_result_free(struct gpu_result *r)
{
	for (size_t i = 0; i < r->ndev; i++) {
		free(r->dev[i].host);
		free(r->dev[i].inner);
	}
	for (size_t i = 0; i < r->nbind; i++) {
		free(r->bind[i].src);
		free(r->bind[i].dst);
	}
	for (size_t i = 0; i < r->nenv; i++) {
		free(r->env[i].name);
		free(r->env[i].value);
	}
	for (size_t i = 0; i < r->nversion; i++)
		free(r->version[i]);
	free(r->dev);
	free(r->bind);
	free(r->env);
	free(r->version);
	memset(r, 0, sizeof *r);
}
