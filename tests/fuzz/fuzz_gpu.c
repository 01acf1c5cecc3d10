/* libFuzzer target for lib/gpu's tables and paths: the input as a file
 * name, a path under /dev, a symlink target to clean and remap, and as a
 * mount table for unmount-proc. Names come from directories and link
 * targets from the filesystem: outside input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Clean: absolute, no "//", no "." or ".." component, no trailing '/'. */
static void check_clean(const char *p)
{
	size_t n = strlen(p);

	if (p[0] != '/' || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../") ||
	    (n > 1 && p[n - 1] == '/') || (n >= 2 && !strcmp(p + n - 2, "/.")) ||
	    (n >= 3 && !strcmp(p + n - 3, "/..")))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	const char *stem;
	char *v, *c, *r, *again;
	struct mountinfo mi;
	const char **paths;
	size_t n;
	eb_err e;

	stem = gpu_library(s);
	if (stem && (strncmp(s, stem, strlen(stem)) || !strstr(s, ".so")))
		abort();
	if (stem && !gpu_driver_file(s))
		abort();
	gpu_device_name(s);
	v = gpu_driver_version(s);
	if (v && (!stem || !strstr(s, v) || v[0] == '.' || strchr(v, '/')))
		abort();
	free(v);

	c = gpu_path_clean(s, "/cwd");
	check_clean(c);
	again = gpu_path_clean(c, NULL);
	if (strcmp(c, again))
		abort();
	free(again);
	r = gpu_remap(c, "/cwd", "/usr/lib64");
	if (r) {
		check_clean(r);
		if (strncmp(r, "/usr/lib64", 10))
			abort();
	} else if (!strncmp(c, "/cwd/", 5) || !strcmp(c, "/cwd")) {
		abort();
	}
	free(r);
	free(c);

	if (mountinfo_parse(&mi, (const char *)data, size, "fuzz", &e) == 0) {
		gpu_proc_mounts(&mi, &paths, &n);
		for (size_t i = 0; i < n; i++)
			if (strncmp(paths[i], "/proc/", 6))
				abort();
		free(paths);
		mountinfo_free(&mi);
	}
	free(s);
	return 0;
}
