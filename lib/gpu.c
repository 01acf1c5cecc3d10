/* gpu: find the device nodes, driver files and variables an NVIDIA GPU
 * needs inside the inner container (see gpu.h). */
#include "gpu.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "spec.h"
#include "tree.h"

/* ---- the tables ----------------------------------------------------------- */

/* How a library row matches the stem of a file name (what comes before
 * ".so"). The first row that matches decides. */
enum lib_how {
	STEM,   /* the stem is exactly this */
	FAMILY, /* the stem starts with this and goes on */
	NOT,    /* the stem is exactly this, and it is not the driver's */
};

/* The driver's libraries, after the lists in libnvidia-container's
 * src/nvc_info.c (utility, compute, video, graphics, glvnd, compat). */
static const struct {
	const char *stem;
	enum lib_how how;
} libraries[] = {
	/* Named like the driver's, but the container toolkit's own. */
	{ "libnvidia-container", NOT },
	{ "libnvidia-container-go", NOT },
	/* Compute and management. libcudart, libcublas, libnvrtc... are the
	 * CUDA toolkit's: they belong to the image, not the driver. */
	{ "libcuda", STEM },             /* CUDA driver API */
	{ "libcudadebugger", STEM },     /* cuda-gdb's back end */
	{ "libnvidia-", FAMILY },        /* the driver's own: ml (NVML), cfg, nscq,
					  * ptxjitcompiler, nvvm, opencl, gpucomp,
					  * allocator, encode, opticalflow, fbc,
					  * eglcore, glcore, glsi, tls, rtcore,
					  * glvkspirv, cbl, ngx, egl-gbm,
					  * egl-wayland, pkcs11, ... */
	{ "libnvcuvid", STEM },          /* video decoder (NVDEC) */
	{ "libnvoptix", STEM },          /* OptiX ray tracing */
	{ "libvdpau_nvidia", STEM },     /* VDPAU driver (vdpau/ on Debian) */
	{ "nvidia-drm_gbm", STEM },      /* GBM back end (gbm/), a link to
					  * libnvidia-allocator */
	/* glvnd vendor libraries: the driver's GLX, EGL and GLES. */
	{ "libGLX_nvidia", STEM },
	{ "libEGL_nvidia", STEM },
	{ "libGLESv2_nvidia", STEM },
	{ "libGLESv1_CM_nvidia", STEM },
	/* The glvnd loaders that dispatch to them, so an image without glvnd
	 * reaches the vendor libraries (the original missed most of these).
	 * Exact stems: libGLU, libGLEW, libglib-2.0 are not taken. */
	{ "libGLX", STEM },
	{ "libGLdispatch", STEM },
	{ "libOpenGL", STEM },
	{ "libEGL", STEM },
	{ "libGL", STEM },
	{ "libGLESv2", STEM },
	{ "libGLESv1_CM", STEM },
	/* Not taken: libglxserver_nvidia and nvidia_drv (X server modules),
	 * libvulkan (the image's loader finds nvidia_icd.json). */
};

/* The driver's config files, by file name, taken from mounts: how the
 * loaders in the image find the driver. */
static const char *const config_files[] = {
	"nvidia_icd.json",        /* Vulkan ICD manifest (vulkan/icd.d) */
	"nvidia_layers.json",     /* Vulkan implicit layers (vulkan/implicit_layer.d) */
	"10_nvidia.json",         /* glvnd EGL vendor (glvnd/egl_vendor.d) */
	"15_nvidia_gbm.json",     /* EGL external platform: GBM (egl/egl_external_platform.d) */
	"10_nvidia_wayland.json", /* EGL external platform: Wayland */
	"20_nvidia_xcb.json",     /* EGL external platform: X11 over XCB (driver 560+) */
	"20_nvidia_xlib.json",    /* EGL external platform: X11 over Xlib (driver 560+) */
	"nvidia.icd",             /* OpenCL ICD (OpenCL/vendors) */
};

/* The driver's tools (nvc_info.c's utility and compute binaries), bound at
 * /usr/bin inside. */
static const char *const tools[] = {
	"nvidia-smi",              /* system management interface */
	"nvidia-debugdump",        /* GPU state dumps for bug reports */
	"nvidia-persistenced",     /* keeps the driver initialised between clients */
	"nvidia-cuda-mps-control", /* CUDA multi-process service */
	"nvidia-cuda-mps-server",
};

/* The libraries whose versioned file name gives the driver version. */
static const char *const version_stems[] = {
	"libcuda",      /* libcuda.so.550.54.14 */
	"libnvidia-ml", /* libnvidia-ml.so.550.54.14 */
};

/* How a device row matches a path relative to /dev. */
enum dev_how {
	EXACT,    /* this name */
	NUMBERED, /* this name and one or more digits */
	IN_DIR,   /* any one name in this directory */
};

/* GPU device nodes, relative to /dev (nvc_info.c, the driver's README). */
static const struct {
	const char *name;
	enum dev_how how;
} devices[] = {
	{ "nvidia", NUMBERED },                   /* one per GPU (major 195) */
	{ "nvidiactl", EXACT },                   /* the driver's control node (195:255) */
	{ "nvidia-uvm", EXACT },                  /* unified memory: CUDA needs it */
	{ "nvidia-uvm-tools", EXACT },            /* UVM events for profilers */
	{ "nvidia-modeset", EXACT },              /* mode setting: display, Vulkan (195:254) */
	{ "nvidia-caps", IN_DIR },                /* MIG capabilities: nvidia-cap1, ... */
	{ "nvidia-caps-imex-channels", IN_DIR },  /* IMEX channels (multi-node NVLink) */
	{ "dri/card", NUMBERED },                 /* DRM primary nodes (major 226) */
	{ "dri/renderD", NUMBERED },              /* DRM render nodes: headless EGL, Vulkan */
};

/* Words naming GPU mounts under /proc (the original's list). */
static const char *const proc_words[] = { "nvidia", "cuda", "vulkan" };

#define N(a) (sizeof(a) / sizeof *(a))

const char *gpu_from_name(enum gpu_from f)
{
	switch (f) {
	case GPU_FROM_MOUNT:
		return "mount";
	case GPU_FROM_LINK:
		return "link";
	case GPU_FROM_LIBRARY:
		return "library";
	case GPU_FROM_FIRMWARE:
		return "firmware";
	case GPU_FROM_TOOL:
		return "tool";
	}
	return "?";
}

/* ---- names ---------------------------------------------------------------- */

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* True when s is zero or more ".N" groups. */
static bool version_tail(const char *s)
{
	while (*s) {
		size_t n;

		if (*s++ != '.')
			return false;
		n = strspn(s, "0123456789");
		if (n == 0)
			return false;
		s += n;
	}
	return true;
}

/* The length of name's stem when name is STEM.so[.N]...; 0 otherwise. */
static size_t lib_stem_len(const char *name)
{
	for (const char *p = strstr(name, ".so"); p; p = strstr(p + 1, ".so"))
		if (p > name && version_tail(p + 3))
			return (size_t)(p - name);
	return 0;
}

const char *gpu_library(const char *name)
{
	size_t n = lib_stem_len(name);

	/* A file name: a path is not one. */
	if (n == 0 || strchr(name, '/'))
		return NULL;
	for (size_t i = 0; i < N(libraries); i++) {
		size_t l = strlen(libraries[i].stem);
		bool hit = libraries[i].how == FAMILY ?
			n > l && !memcmp(name, libraries[i].stem, l) :
			n == l && !memcmp(name, libraries[i].stem, l);

		if (hit)
			return libraries[i].how == NOT ? NULL : libraries[i].stem;
	}
	return NULL;
}

static bool in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

/* .../firmware/nvidia/VERSION/NAME.bin */
static bool firmware_path(const char *path)
{
	const char *name = strrchr(path, '/'), *ver, *p;

	if (!name || !str_ends(name + 1, ".bin") || strlen(name + 1) <= 4)
		return false;
	for (ver = name; ver > path && ver[-1] != '/'; ver--)
		;
	if (ver == name || ver <= path)
		return false;
	p = ver - 1; /* the '/' before VERSION */
	return p - path >= 16 && !memcmp(p - 16, "/firmware/nvidia", 16);
}

bool gpu_driver_file(const char *path)
{
	const char *name = strrchr(path, '/');

	name = name ? name + 1 : path;
	if (!*name)
		return false;
	return gpu_library(name) || in_list(name, config_files, N(config_files)) ||
	       in_list(name, tools, N(tools)) || firmware_path(path);
}

bool gpu_device_name(const char *rel)
{
	for (size_t i = 0; i < N(devices); i++) {
		size_t l = strlen(devices[i].name);

		if (strncmp(rel, devices[i].name, l))
			continue;
		switch (devices[i].how) {
		case EXACT:
			if (rel[l] == 0)
				return true;
			break;
		case NUMBERED:
			if (all_digits(rel + l, strlen(rel + l)))
				return true;
			break;
		case IN_DIR:
			if (rel[l] == '/' && rel[l + 1] && !strchr(rel + l + 1, '/') &&
			    strcmp(rel + l + 1, ".") && strcmp(rel + l + 1, ".."))
				return true;
			break;
		}
	}
	return false;
}

char *gpu_driver_version(const char *name)
{
	size_t n = lib_stem_len(name);
	const char *v;

	for (size_t i = 0; n && i < N(version_stems); i++) {
		if (strlen(version_stems[i]) != n || memcmp(name, version_stems[i], n))
			continue;
		/* libcuda.so.1 is the soname link, not a version. */
		v = name + n + 3;
		if (*v == '.' && strchr(v + 1, '.'))
			return xstrdup(v + 1);
	}
	return NULL;
}

/* ---- paths ---------------------------------------------------------------- */

char *gpu_remap(const char *path, const char *from, const char *to)
{
	const char *rest = path_under(path, from);

	if (!rest)
		return NULL;
	return *rest ? path_join(to, rest + 1) : xstrdup(to);
}

char *gpu_path_clean(const char *path, const char *cwd)
{
	char *in = path[0] == '/' || !cwd ? xstrdup(path) : xasprintf("%s/%s", cwd, path);
	char *out = path_clean(in);

	free(in);
	return out;
}

/* ---- collecting ------------------------------------------------------------- */

struct scan {
	const struct gpu_opts *o;
	struct gpu_result *r;
	size_t cap_dev, cap_bind, cap_env, cap_ver;
	char **dev_seen; /* device paths judged, so each is warned about once */
	size_t ndev_seen, cap_dev_seen;
};

/* Warnings go to the caller's gpu_opts.warn (tree.h). */
#define warnf(o, ...) warn_to((o)->warn, (o)->warn_ctx, __VA_ARGS__)

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
static void add_bind(struct scan *s, char *src, char *dst, enum gpu_from from)
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
static char *inner_path(struct scan *s, const char *host)
{
	char *p = gpu_remap(host, s->o->usr_lib_dir, s->o->inner_lib_dir);

	return p ? p : xstrdup(host);
}

static void add_version(struct scan *s, const char *name)
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

/* ---- chains in the tree's index (tree.h) --------------------------------- */

/* The state of the chain starting at an entry (tree_ent.state). */
enum { ST_NEW, ST_VISITING, ST_TAKEN, ST_BAD };

/* ---- the library directory -------------------------------------------------- */

/* Follows the chain starting at p, one link at a time, and binds every
 * link of it and the file it ends at; a chain that leaves the tree, loops,
 * dangles or ends elsewhere than at a file is skipped whole, with one
 * warning. Links shared by chains are bound and judged once.
 *
 * The kernel follows a bind's source when it mounts it, here, where an
 * absolute target is a path of this machine. So a link is its own source
 * only while the rest of its chain resolves here as in the index; a link
 * whose chain passes an absolute target written as the host's path
 * (/usr/lib/x86_64-linux-gnu/libEGL_mesa.so.0 in the host's /usr/lib,
 * mounted at DIR) is bound from the file the chain ends at in DIR, never
 * from a file of this machine's own /usr/lib. */
static void lib_chain(struct scan *s, struct tree *t, struct tree_pos start)
{
	struct tree_pos *chain = NULL, p = start, end = { 0, -1 };
	bool *hop_host = NULL, tail_host = false;
	size_t n = 0, cap = 0, hcap = 0;
	int hops = 0, state;
	char *why = NULL, *path;

	for (;;) {
		struct tree_ent *en = tree_at(t, p);
		const char *target;
		struct tree_pos next;
		enum tree_res r;

		if (en->state == ST_TAKEN || en->state == ST_BAD) {
			state = en->state;
			end = en->end;
			tail_host = en->via_host;
			break;
		}
		if (en->state == ST_VISITING || ++hops > TREE_MAX_HOPS) {
			path = tree_path(t, p.dir, en->name);
			why = xasprintf("%s: symlink loop", path);
			free(path);
			state = ST_BAD;
			break;
		}
		GROW(hop_host, n, hcap);
		hop_host[n] = false;
		GROW(chain, n, cap);
		chain[n++] = p;
		en->state = ST_VISITING;
		if (en->type == TREE_FILE) {
			state = ST_TAKEN;
			end = p;
			break;
		}
		if (en->type != TREE_LINK) {
			path = tree_path(t, p.dir, en->name);
			why = xasprintf("%s is not a regular file", path);
			free(path);
			state = ST_BAD;
			break;
		}
		target = tree_link(t, p.dir, p.ent);
		r = target ? tree_lookup(t, p.dir, target, false, &hops, &next,
					 &hop_host[n - 1]) : TREE_DANGLING;
		if (r != TREE_OK || next.ent < 0) {
			path = tree_path(t, p.dir, en->name);
			if (!target)
				why = xasprintf("%s: unable to read the link: %s", path,
						strerror(errno));
			else if (r == TREE_ESCAPES)
				why = xasprintf("%s -> %s leads out of %s", path, target, t->root);
			else if (r == TREE_LOOP)
				why = xasprintf("%s -> %s: symlink loop", path, target);
			else if (r == TREE_DANGLING)
				why = xasprintf("%s -> %s: dangling link", path, target);
			else
				why = xasprintf("%s -> %s leads to a directory", path, target);
			free(path);
			state = ST_BAD;
			break;
		}
		p = next;
	}
	if (state == ST_TAKEN) {
		/* Every bind of the chain must be writable, or none is made. */
		char **src = xcalloc(n, sizeof *src), **dst = xcalloc(n, sizeof *dst);
		eb_err e;

		/* From the end: whether the rest of the chain passes a host path. */
		for (size_t i = n; i-- > 0;) {
			tail_host = tail_host || hop_host[i];
			hop_host[i] = tail_host;
			tree_at(t, chain[i])->end = end;
			tree_at(t, chain[i])->via_host = tail_host;
		}
		for (size_t i = 0; i < n && state == ST_TAKEN; i++) {
			char *self = tree_path(t, chain[i].dir, tree_at(t, chain[i])->name);

			src[i] = hop_host[i] ? tree_path(t, end.dir, tree_at(t, end)->name) : self;
			dst[i] = inner_path(s, self);
			if (src[i] != self)
				free(self);
			if (spec_check_path("source", src[i], &e) ||
			    spec_check_path("destination", dst[i], &e)) {
				why = xasprintf("a link of its chain: %s", e.msg);
				state = ST_BAD;
			}
		}
		for (size_t i = 0; i < n; i++) {
			if (state == ST_TAKEN) {
				add_version(s, tree_at(t, chain[i])->name);
				add_bind(s, src[i], dst[i], GPU_FROM_LIBRARY);
			} else {
				free(src[i]);
				free(dst[i]);
			}
		}
		free(src);
		free(dst);
	}
	for (size_t i = 0; i < n; i++)
		tree_at(t, chain[i])->state = (unsigned char)state;
	if (why) {
		/* Named from where the chain starts when the fault is further on. */
		path = tree_path(t, start.dir, tree_at(t, start)->name);
		if (str_starts(why, path) && (why[strlen(path)] == ':' || why[strlen(path)] == ' '))
			warnf(s->o, "%s; skipped", why);
		else
			warnf(s->o, "%s: %s; skipped", path, why);
		free(path);
	}
	free(why);
	free(chain);
	free(hop_host);
}

/* The host's path of the library directory, for links with absolute
 * targets as the host wrote them: the root of the mount at it when the
 * mount table has one (other than "/"), else GPU_HOST_LIB_DIR, the host's
 * /usr/lib that CODER_USR_LIB_DIR names the mount of. */
static const char *host_alias(const struct gpu_opts *o)
{
	const char *alias = NULL;

	for (size_t i = 0; o->mi && i < o->mi->n; i++) {
		const struct mountinfo_entry *m = &o->mi->v[i];

		if (!strcmp(m->target, o->usr_lib_dir))
			alias = strcmp(m->root, "/") ? m->root : NULL;
	}
	return alias ? alias : GPU_HOST_LIB_DIR;
}

static int scan_lib_dir(struct scan *s, eb_err *e)
{
	struct tree t;

	if (tree_open(&t, s->o->usr_lib_dir, TREE_MAX_DEPTH, s->o->warn, s->o->warn_ctx) < 0) {
		eb_errf(e, "unable to read the library directory %s: %s",
			s->o->usr_lib_dir, strerror(errno));
		return -1;
	}
	t.alias = host_alias(s->o);
	/* Index order: every directory's entries sorted, so chains are
	 * judged, and warned about, in a stable order. */
	for (size_t d = 0; d < t.nd; d++)
		for (size_t k = 0; k < t.d[d].n; k++)
			if (t.d[d].e[k].type != TREE_DIR && gpu_library(t.d[d].e[k].name))
				lib_chain(s, &t, (struct tree_pos){ (int)d, (int)k });
	tree_free(&t);
	return 0;
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

			add_version(s, t.d[0].e[k].name);
			add_bind(s, src, inner_path(s, src), GPU_FROM_LINK);
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
			add_version(s, names[nn - 1]);
			add_bind(s, xstrdup(files[j]), inner_path(s, files[j]), GPU_FROM_MOUNT);
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

/* The directory under the dev root a device row looks in: "" for the top,
 * "dri" for dri/card, "nvidia-caps" for nvidia-caps/ *. Owned. */
static char *dev_row_dir(size_t i)
{
	const char *slash = strrchr(devices[i].name, '/');

	if (devices[i].how == IN_DIR)
		return xstrdup(devices[i].name);
	return slash ? xstrndup(devices[i].name, (size_t)(slash - devices[i].name)) :
		       xstrdup("");
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
	for (size_t i = 0; i < N(devices); i++) {
		char *dir = dev_row_dir(i);
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++) {
			char *other = dev_row_dir(j);

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
			add_bind(s, src, xasprintf("/lib/firmware/nvidia/%s/%s", version, names[i]),
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

	for (size_t i = 0; i < N(tools); i++) {
		for (size_t j = 0; dirs[j]; j++) {
			char *src = path_join(dirs[j], tools[i]);
			struct stat st;

			if (stat(src, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
				add_bind(s, src, path_join("/usr/bin", tools[i]), GPU_FROM_TOOL);
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
	if (scan_lib_dir(&s, e) < 0)
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

/* ---- /proc ------------------------------------------------------------------------- */

static bool names_gpu(const char *rest)
{
	for (size_t i = 0; i < N(proc_words); i++) {
		size_t l = strlen(proc_words[i]);

		for (const char *p = rest; *p; p++)
			if (!strncasecmp(p, proc_words[i], l))
				return true;
	}
	return false;
}

static size_t depth_of(const char *path)
{
	size_t n = 0;

	for (; *path; path++)
		n += *path == '/';
	return n;
}

struct proc_key {
	const char *target;
	size_t depth, order;
};

static int proc_cmp(const void *a, const void *b)
{
	const struct proc_key *x = a, *y = b;

	if (x->depth != y->depth)
		return x->depth > y->depth ? -1 : 1;
	return x->order > y->order ? -1 : x->order < y->order;
}

void gpu_proc_mounts(const struct mountinfo *mi, const char ***out, size_t *n)
{
	struct proc_key *k = xcalloc(mi->n, sizeof *k);
	size_t m = 0;

	for (size_t i = 0; i < mi->n; i++) {
		const char *rest = path_under(mi->v[i].target, "/proc");

		if (rest && *rest && names_gpu(rest))
			k[m++] = (struct proc_key){ mi->v[i].target, depth_of(mi->v[i].target), i };
	}
	if (m)
		qsort(k, m, sizeof *k, proc_cmp);
	*out = xcalloc(m, sizeof **out);
	for (size_t i = 0; i < m; i++)
		(*out)[i] = k[i].target;
	*n = m;
	free(k);
}
