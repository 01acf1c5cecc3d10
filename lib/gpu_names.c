/* gpu_names: which files are the driver's, by file name (see gpu.h): the
 * tables, the names they judge, and the paths the scan writes. Pure: no
 * file is read here. */
#include "gpu_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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
const char *const gpu_tools[] = {
	"nvidia-smi",              /* system management interface */
	"nvidia-debugdump",        /* GPU state dumps for bug reports */
	"nvidia-persistenced",     /* keeps the driver initialised between clients */
	"nvidia-cuda-mps-control", /* CUDA multi-process service */
	"nvidia-cuda-mps-server",
};
const size_t gpu_ntools = N(gpu_tools);

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
const size_t gpu_ndevice_rows = N(devices);

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
	       in_list(name, gpu_tools, gpu_ntools) || firmware_path(path);
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

char *gpu_device_row_dir(size_t i)
{
	const char *slash = strrchr(devices[i].name, '/');

	if (devices[i].how == IN_DIR)
		return xstrdup(devices[i].name);
	return slash ? xstrndup(devices[i].name, (size_t)(slash - devices[i].name)) :
		       xstrdup("");
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
