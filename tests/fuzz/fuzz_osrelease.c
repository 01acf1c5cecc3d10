/* fuzz_osrelease: any bytes as an os-release file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "osrelease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	os_release o;
	eb_err e;
	char *v;
	const char *dir;

	if (osrelease_parse((const char *)data, size, &o, &e) == 0) {
		if (!o.id || !*o.id)
			abort();
		dir = osrelease_libdir(o.id, o.id_like);
		if (strncmp(dir, "/usr/lib", 8) != 0)
			abort();
		os_release_free(&o);
	}
	if (osrelease_get((const char *)data, size, "VERSION_ID", &v, &e) == 1)
		free(v);
	/* The input itself as an ID_LIKE list. */
	{
		char *s = xstrndup((const char *)data, size);

		osrelease_libdir(s, s);
		free(s);
	}
	return 0;
}
