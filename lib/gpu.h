/* gpu: what an NVIDIA GPU needs inside the inner container, found on the
 * outer side: its device nodes, the driver's libraries with every link of
 * their symlink chains, its config files, firmware and tools, and the
 * NVIDIA_* variables.
 *
 * Whether a file belongs to the driver is decided from its *file name* by
 * the tables in gpu_names.c (after libnvidia-container's src/nvc_info.c),
 * never by a word somewhere in its path: the original envbox matched
 * "cuda", "gl" and "nvidia" anywhere in a path and bound libglib, libGLU
 * and everything under a directory named cuda into the workspace.
 *
 * Sources, each taken only when present:
 *   - the mount table: mounts under /dev naming a GPU device node; every
 *     other mount (but /proc's) whose file name names a driver file, with
 *     the symlinks beside it that lead to it (the NVIDIA container toolkit
 *     mounts versioned files and links them, as ldconfig would);
 *   - the dev root: the GPU device nodes present (character devices only);
 *   - the library directory (the host's /usr/lib, mounted somewhere here):
 *     one walk, an index per directory, the chains followed in the index;
 *   - the driver's firmware, for each driver version seen in a libcuda or
 *     libnvidia-ml file name: FIRMWARE_DIR/nvidia/VERSION/ *.bin and the
 *     library directory's firmware/nvidia/VERSION/ *.bin;
 *   - the driver's tools in the bin directories;
 *   - environ: every variable whose name holds "nvidia", any case.
 * Host paths under the library directory are remapped to the inner one on
 * a path-component boundary; everything else keeps its path.
 *
 * The library directory is the host's, mounted here: an absolute link
 * target in it is a path of the host, taken inside the directory when it
 * starts with the host's path of the directory (the root of the mount at
 * it in the mount table, else GPU_HOST_LIB_DIR), else the chain is skipped
 * with a warning. Such a chain's links are bound from the file it ends at:
 * the kernel, following a link bound as a source, would take its target
 * as a path of this machine. */
#define GPU_HOST_LIB_DIR "/usr/lib"
#ifndef ENVBOX_GPU_H
#define ENVBOX_GPU_H
#include <stdbool.h>
#include <stddef.h>

#include "mountinfo.h"
#include "util.h"

/* Why a bind was chosen, which also orders them: when two binds land on
 * one inner path, the earlier kind wins (a mount is what the toolkit set
 * up for this container; the library directory is a fallback). */
enum gpu_from {
	GPU_FROM_MOUNT,    /* a mount point naming a driver file */
	GPU_FROM_LINK,     /* a symlink beside such a mount, leading to it */
	GPU_FROM_LIBRARY,  /* a driver library or a link of its chain */
	GPU_FROM_FIRMWARE, /* the GSP firmware of a driver version seen */
	GPU_FROM_TOOL,     /* nvidia-smi and friends */
};

/* "mount", "link", "library", "firmware", "tool". */
const char *gpu_from_name(enum gpu_from f);

struct gpu_device {
	char *host;  /* the node here: DEV_ROOT/nvidia0 */
	char *inner; /* its path inside: /dev/nvidia0 */
	unsigned major, minor;
};

struct gpu_bind {
	char *src, *dst; /* always read-only */
	enum gpu_from from;
};

struct gpu_env {
	char *name, *value;
};

/* Every list sorted (devices and binds by inner path, env by name, bytes
 * compared), each inner path and name once. */
struct gpu_result {
	struct gpu_device *dev;
	size_t ndev;
	struct gpu_bind *bind;
	size_t nbind;
	struct gpu_env *env;
	size_t nenv;
	char **version; /* driver versions seen: "550.54.14" */
	size_t nversion;
};

/* Warnings (a link that leaves the directory, a loop, a dangling link, an
 * unreadable subdirectory, a file posing as a device node, a path a spec
 * line cannot hold) come back one line each; what they name is skipped. */
typedef void gpu_warn_fn(void *ctx, const char *msg);

struct gpu_opts {
	const char *usr_lib_dir;   /* required; absolute */
	const char *inner_lib_dir; /* required; absolute */
	const struct mountinfo *mi; /* NULL: no mount table */
	const char *dev_root;      /* NULL: /dev */
	const char *firmware_dir;  /* NULL: /lib/firmware */
	const char *const *bin_dirs; /* NULL-terminated; NULL: /usr/bin */
	char *const *environ;      /* NULL: no variables */
	gpu_warn_fn *warn;         /* NULL: warnings dropped */
	void *warn_ctx;
};

/* Scans. -1 with e filled when the library directory or the dev root
 * cannot be read (the message names it); everything below them that
 * cannot be read is a warning. */
int gpu_scan(const struct gpu_opts *o, struct gpu_result *r, eb_err *e);
void gpu_result_free(struct gpu_result *r);

/* The tables, for the scan, tests and fuzzing. */

/* The table row naming file name as a driver library ("libcuda",
 * "libnvidia-"), or NULL. A library's name is its stem, ".so" and
 * optional ".N" version numbers: libcuda.so, libcuda.so.1,
 * libcuda.so.550.54.14. */
const char *gpu_library(const char *name);
/* The mount rule: path's file name names a driver library, config file
 * (nvidia_icd.json, 10_nvidia.json, ...) or tool, or path is firmware
 * (.../firmware/nvidia/VERSION/NAME.bin). */
bool gpu_driver_file(const char *path);
/* rel, relative to /dev, names a GPU device node: nvidia0, nvidiactl,
 * nvidia-caps/nvidia-cap1, dri/renderD128, ... */
bool gpu_device_name(const char *rel);
/* The driver version in a versioned libcuda or libnvidia-ml file name
 * ("libcuda.so.550.54.14" → "550.54.14"), owned, or NULL. */
char *gpu_driver_version(const char *name);

/* path moved from under `from` to under `to`, on a component boundary
 * (/usr/lib64/x is not under /usr/lib), owned; NULL when not under. */
char *gpu_remap(const char *path, const char *from, const char *to);
/* path made absolute against cwd (when relative) and cleaned lexically:
 * no "//", ".", trailing "/", ".." folded. Owned. */
char *gpu_path_clean(const char *path, const char *cwd);

/* Mount targets under /proc with a component naming nvidia, cuda or vulkan
 * (any case), deepest first, later-mounted first among equals: what to
 * unmount before containers are created (the original found that the
 * toolkit's /proc/driver/nvidia mounts make creating containers fail in
 * some cases). *out (free it, not its strings, which stay mi's) gets *n
 * entries. */
void gpu_proc_mounts(const struct mountinfo *mi, const char ***out, size_t *n);

#endif
