/* fuzz_head: any bytes as the head of a hijacked connection's answer, in a
 * buffer of exactly that size (no NUL after it), as docker_parse_head must
 * take it: it reads no byte past len, and what it accepts is sane. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *head = malloc(size ? size : 1);
	long status = 0;
	long long clen = 0;

	if (!head)
		return 0;
	if (size)
		memcpy(head, data, size);
	if (docker_parse_head(head, size, &status, &clen) == 0) {
		if (status < 100 || status > 599 || clen < -1)
			abort();
	}
	free(head);
	return 0;
}
