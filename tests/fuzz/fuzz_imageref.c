/* libFuzzer target for lib/imageref: any input parses or fails cleanly; a
 * parsed reference prints to a form that parses to itself (normalisation
 * is idempotent), and registry_normalize is idempotent too. Build and run:
 *   clang -std=c11 -D_GNU_SOURCE -Ilib -g -O1 \
 *     -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_imageref.c \
 *     lib/imageref.c lib/util.c -o fuzz_imageref
 *   ./fuzz_imageref -max_total_time=60 tests/fuzz/corpus/imageref */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imageref.h"

static void check_normalize(const char *s)
{
	char *a = registry_normalize(s), *b = registry_normalize(a);

	if (strcmp(a, b) || strchr(a, '/'))
		abort();
	for (const char *p = a; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			abort();
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *str, *again;
	struct imageref r, r2;
	eb_err e;

	memcpy(s, data, size);
	s[size] = 0;
	check_normalize(s);
	if (imageref_parse(s, &r, &e) == 0) {
		if (!r.registry || !r.repo || (!r.tag && !r.digest) || !*r.repo)
			abort();
		if (strchr(r.registry, '/') || strchr(r.repo, ':') || strchr(r.repo, '@'))
			abort();
		str = imageref_string(&r);
		if (imageref_parse(str, &r2, &e))
			abort();
		again = imageref_string(&r2);
		if (strcmp(str, again) || strcmp(r.registry, r2.registry) ||
		    strcmp(r.repo, r2.repo))
			abort();
		check_normalize(r.registry);
		free(again);
		free(str);
		imageref_free(&r2);
		imageref_free(&r);
	} else if (!e.msg[0]) {
		abort(); /* every failure says why */
	}
	free(s);
	return 0;
}
