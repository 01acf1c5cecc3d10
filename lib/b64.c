/* b64: base64 in the standard (RFC 4648 §4) and URL-safe (§5) alphabets.
 *
 * Decoding is strict on purpose: the input is a credential (a docker
 * config's "auth"), and a lenient decoder turns a typo into a wrong
 * password that fails much later and further away. */
#include "b64.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const alphabet[] = {
	[B64_STD] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
	[B64_URL] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
};

char *b64_encode(const void *data, size_t len, enum b64_alphabet a)
{
	const unsigned char *in = data;
	const char *abc = alphabet[a == B64_URL ? B64_URL : B64_STD];
	char *out, *o;
	size_t i;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 2)
		return NULL;
	out = o = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 3 <= len; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16 |
				  (unsigned long)in[i + 1] << 8 | in[i + 2];

		*o++ = abc[v >> 18];
		*o++ = abc[v >> 12 & 63];
		*o++ = abc[v >> 6 & 63];
		*o++ = abc[v & 63];
	}
	if (len - i == 1) {
		*o++ = abc[in[i] >> 2];
		*o++ = abc[(in[i] & 3) << 4];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		*o++ = abc[in[i] >> 2];
		*o++ = abc[(in[i] & 3) << 4 | in[i + 1] >> 4];
		*o++ = abc[(in[i + 1] & 15) << 2];
		*o++ = '=';
	}
	*o = 0;
	return out;
}

/* The value of c in alphabet a, or -1. '=' is never in an alphabet. */
static int sextet(unsigned char c, enum b64_alphabet a)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (a == B64_URL ? '-' : '+'))
		return 62;
	if (c == (a == B64_URL ? '_' : '/'))
		return 63;
	return -1;
}

int b64_decode(const char *s, size_t slen, enum b64_alphabet a,
	       unsigned char **out, size_t *outlen)
{
	const unsigned char *in = (const unsigned char *)s;
	unsigned char *res, *o;
	size_t n = slen, i;
	unsigned long v = 0;
	int k;

	/* Padding, when present, fills the last quantum to four exactly;
	 * any other '=' is outside the alphabet and fails below. */
	if (n % 4 == 0 && n > 0 && in[n - 1] == '=') {
		n--;
		if (in[n - 1] == '=')
			n--;
	}
	/* One character carries 6 bits: less than a byte. */
	if (n % 4 == 1)
		return -1;
	o = res = xmalloc(n / 4 * 3 + 3);
	for (i = 0; i < n; i++) {
		if ((k = sextet(in[i], a)) < 0)
			goto bad;
		v = v << 6 | (unsigned long)k;
		if (i % 4 == 3) {
			*o++ = (unsigned char)(v >> 16);
			*o++ = (unsigned char)(v >> 8);
			*o++ = (unsigned char)v;
			v = 0;
		}
	}
	/* A partial quantum: its unused low bits must be zero, or two
	 * different strings would decode to the same bytes. */
	if (n % 4 == 2) {
		if (v & 15)
			goto bad;
		*o++ = (unsigned char)(v >> 4);
	} else if (n % 4 == 3) {
		if (v & 3)
			goto bad;
		*o++ = (unsigned char)(v >> 10);
		*o++ = (unsigned char)(v >> 2);
	}
	*o = 0;
	*out = res;
	*outlen = (size_t)(o - res);
	return 0;
bad:
	free(res);
	return -1;
}
