/* gpu_int.h: what the lib/gpu*.c files share, and no one else includes
 * (gpu.h is the public header):
 *   gpu_names.c  the tables, the names they judge (gpu_library,
 *                gpu_driver_file, gpu_device_name, gpu_driver_version) and
 *                paths (gpu_remap, gpu_path_clean)
 *   gpu.c        the scan: collecting, mounts, devices, firmware, tools,
 *                variables, ordering; gpu_scan and gpu_result_free
 *   gpu_libs.c   the library directory and its symlink chains
 *   gpu_proc.c   the GPU mounts under /proc (gpu_proc_mounts) */
#ifndef ENVBOX_GPU_INT_H
#define ENVBOX_GPU_INT_H
#include <stdbool.h>
#include <stddef.h>

#include "gpu.h"
#include "tree.h"
#include "util.h"

#define N(a) (sizeof(a) / sizeof *(a))

/* ---- the tables the scan walks (gpu_names.c) ------------------------------ */

/* The driver's tools, by file name, bound at /usr/bin inside. */
extern const char *const gpu_tools[];
extern const size_t gpu_ntools;

/* The rows of the device table, and the directory under the dev root row i
 * looks in: "" for the top, "dri" for dri/card, "nvidia-caps" for
 * nvidia-caps/ *. Owned. */
extern const size_t gpu_ndevice_rows;
char *gpu_device_row_dir(size_t i);

/* ---- collecting (gpu.c) ---------------------------------------------------- */

struct scan {
	const struct gpu_opts *o;
	struct gpu_result *r;
	size_t cap_dev, cap_bind, cap_env, cap_ver;
	char **dev_seen; /* device paths judged, so each is warned about once */
	size_t ndev_seen, cap_dev_seen;
};

/* Warnings go to the caller's gpu_opts.warn (tree.h). */
#define warnf(o, ...) warn_to((o)->warn, (o)->warn_ctx, __VA_ARGS__)

/* Takes src and dst; a bind whose paths a spec line cannot hold is named
 * and skipped. */
void gpu_add_bind(struct scan *s, char *src, char *dst, enum gpu_from from);
/* A host path's place inside: remapped when under the library directory.
 * Owned. */
char *gpu_inner_path(struct scan *s, const char *host);
/* The driver version in file name name, when it gives one, added once. */
void gpu_add_version(struct scan *s, const char *name);

/* ---- the library directory (gpu_libs.c) ------------------------------------ */

/* Binds the driver's libraries in the library directory with every link of
 * their chains. -1 with e filled when the directory cannot be read. */
int gpu_scan_lib_dir(struct scan *s, eb_err *e);

#endif
