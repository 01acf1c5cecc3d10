/* libFuzzer target for lib/mountinfo: any bytes parse or are refused with
 * "NAME:LINE: why"; lookups on what parses hold their promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *paths[] = { "/", "/proc/self", "/a/b/../c", "//x//y/", "/mnt/my disk" };
	struct mountinfo mi;
	const struct mountinfo_entry *m;
	eb_err e;

	if (mountinfo_parse(&mi, (const char *)data, size, "fuzz", &e)) {
		if (strncmp(e.msg, "fuzz:", 5) || mi.n || mi.v)
			abort();
		return 0;
	}
	for (size_t i = 0; i < mi.n; i++) {
		m = &mi.v[i];
		if (m->target[0] != '/' || !m->root[0] || !m->fstype[0] || !m->super_opts ||
		    m->ro != (m->mnt_ro || m->sb_ro))
			abort();
		/* Its own mount point is held by it or by a later mount on it. */
		if (!mountinfo_find(&mi, m->target))
			abort();
	}
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		m = mountinfo_find(&mi, paths[i]);
		if (m && m->target[0] != '/')
			abort();
	}
	if (mountinfo_find(&mi, "relative"))
		abort();
	mountinfo_free(&mi);
	return 0;
}
