/* fuzz_progress: the input as a pull stream, fed line by line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static progress p;
	size_t off = 0;
	buf s = {0};
	eb_err e;

	progress_init(&p);
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t n = nl ? (size_t)(nl - (data + off)) + 1 : size - off;

		progress_line(&p, (const char *)data + off, n, &e);
		off += n;
	}
	if (p.nlayer > PROGRESS_MAX_LAYERS || progress_done_layers(&p) > p.nlayer)
		abort();
	progress_summary(&p, &s);
	progress_error(&p);
	progress_status(&p);
	buf_free(&s);
	return 0;
}
