/* libFuzzer target for lib/b64: decode with both alphabets; whatever
 * decodes must encode back to the same text (padding added where the input
 * left it out), and every input's encoding must decode to itself. Build
 * and run:
 *   clang -std=c11 -D_GNU_SOURCE -Ilib -g -O1 \
 *     -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_b64.c \
 *     lib/json.c lib/json_check.c lib/json_write.c lib/b64.c lib/util.c \
 *     -o fuzz_b64
 *   ./fuzz_b64 -max_total_time=60 tests/fuzz/corpus/b64 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"

static void check(const char *s, size_t n, enum b64_alphabet a)
{
	unsigned char *out = NULL;
	size_t outlen = 0, elen, data = n;
	char *enc;

	if (b64_decode(s, n, a, &out, &outlen) < 0)
		return;
	while (data > 0 && s[data - 1] == '=')
		data--;
	/* Six bits a character, partial bytes dropped. */
	if (out[outlen] != 0 || outlen != data * 3 / 4)
		abort();
	/* Strict decoding means one text per byte string: encoding gives
	 * the input back, padded. */
	enc = b64_encode(out, outlen, a);
	elen = strlen(enc);
	if (elen < n || memcmp(enc, s, n) != 0)
		abort();
	while (n < elen)
		if (enc[n++] != '=')
			abort();
	if (n % 4 != 0)
		abort();
	free(enc);
	free(out);
}

static void encode_decode(const uint8_t *data, size_t size,
			  enum b64_alphabet a)
{
	char *enc = b64_encode(data, size, a);
	unsigned char *out = NULL;
	size_t outlen;

	if (b64_decode(enc, strlen(enc), a, &out, &outlen) < 0 ||
	    outlen != size || memcmp(out, data, size) != 0)
		abort();
	free(out);
	free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy, so any read past size is caught by ASan. */
	char *s = malloc(size ? size : 1);

	memcpy(s, data, size);
	check(s, size, B64_STD);
	check(s, size, B64_URL);
	encode_decode(data, size, B64_STD);
	encode_decode(data, size, B64_URL);
	free(s);
	return 0;
}
