/* fuzz_probecache: any bytes as the probe's cache file (lib/probecache.h).
 * What parses must format back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probecache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_info i;
	buf b = { 0 };

	if (image_cache_parse((const char *)data, size, "coder", &i) < 0)
		return 0;
	if (!i.home || i.home[0] != '/' || !i.os || !i.libdir)
		abort();
	if (image_cache_format(&i, "coder", &b) < 0 || b.len != size ||
	    memcmp(b.p, data, size))
		abort();
	buf_free(&b);
	image_info_free(&i);
	return 0;
}
