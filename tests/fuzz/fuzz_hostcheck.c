/* fuzz_hostcheck: any bytes as the kernel files envbox-check parses
 * (/proc/self/status, /proc/self/cgroup, cgroup.controllers, a sysctl,
 * uid_map): no crash, and what comes back keeps its promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	int64_t cap;
	int sec, mask, map;
	long long v;
	eb_err e;
	char *path;

	if (hostcheck_parse_status(s, size, &cap, &sec, &e) == 0)
		if (cap < -1 || sec < -1 || sec > 2)
			abort();
	path = hostcheck_parse_cgroup(s, size);
	if (path && (path[0] != '/' || strchr(path, '\n')))
		abort();
	free(path);
	mask = hostcheck_parse_controllers(s, size);
	if (mask & ~HC_CTRL_ALL)
		abort();
	if (hostcheck_parse_sysctl(s, size, &v) == 0 && (v > 999999999999999999LL ||
							 v < -999999999999999999LL))
		abort();
	map = hostcheck_parse_uid_map(s, size);
	if (map < -1 || map > 1)
		abort();
	return 0;
}
