/* libFuzzer target for lib/spec: any line parses or is refused; a parsed
 * line written back is the same line, and parses to the same item. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct spec s, t;
	eb_err e;
	buf b = { 0 };
	size_t len = size, n = 0;
	FILE *f;

	if (spec_parse(line, size, &s, &e) == 0) {
		if (spec_write(&b, &s, &e))
			abort();
		if (len && line[len - 1] == '\n')
			len--;
		if (b.len != len + 1 || memcmp(b.p, line, len))
			abort();
		if (spec_parse(b.p, b.len, &t, &e) || t.kind != s.kind || t.ro != s.ro)
			abort();
		spec_free(&t);
		spec_free(&s);
	} else if (!e.msg[0] || s.src || s.dst || s.name || s.value) {
		abort();
	}
	buf_free(&b);

	/* The same bytes as a stream of lines. */
	f = fmemopen((void *)data, size ? size : 1, "r");
	if (!f || !size) {
		if (f)
			fclose(f);
		return 0;
	}
	while (spec_read(f, &s, &n, &e) == 1)
		spec_free(&s);
	fclose(f);
	return 0;
}
