/* gpu_proc: the GPU mounts under /proc, to unmount before containers are
 * created (see gpu.h). */
#include "gpu_int.h"

#include <stdlib.h>
#include <string.h>

/* Words naming GPU mounts under /proc (the original's list). */
static const char *const proc_words[] = { "nvidia", "cuda", "vulkan" };

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
