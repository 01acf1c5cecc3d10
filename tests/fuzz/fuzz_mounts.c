/* libFuzzer target for lib/mounts: any CODER_MOUNTS value parses or is
 * refused with a message; what parses can be written as spec lines and
 * read back unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mounts.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = xstrndup((const char *)data, size); /* stops at a NUL */
	struct mount_list l;
	struct spec s;
	eb_err e;
	buf b = { 0 };

	if (mounts_parse(value, &l, &e) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			buf_reset(&b);
			if (spec_write_bind(&b, l.v[i].src, l.v[i].dst, l.v[i].ro, &e))
				abort(); /* parse let through what spec lines refuse */
			if (spec_parse(b.p, b.len, &s, &e) || strcmp(s.src, l.v[i].src) ||
			    strcmp(s.dst, l.v[i].dst) || s.ro != l.v[i].ro)
				abort();
			spec_free(&s);
		}
		mounts_free(&l);
	} else if (!e.msg[0] || l.n || l.v) {
		abort();
	}
	buf_free(&b);
	free(value);
	return 0;
}
