/* b64: base64 in the standard (RFC 4648 §4) and URL-safe (§5) alphabets. */
#ifndef ENVBOX_B64_H
#define ENVBOX_B64_H
#include <stddef.h>

enum b64_alphabet { B64_STD, B64_URL };

/* Encodes with '=' padding; returns a malloc'd NUL-terminated string. */
char *b64_encode(const void *data, size_t len, enum b64_alphabet a);

/* Decodes s (slen bytes). Padding is optional but, when present, must be
 * correct; any character outside the alphabet (whitespace included), bad
 * padding or non-zero trailing bits is rejected with -1. On success *out is
 * malloc'd, NUL-terminated (not counted in *outlen). */
int b64_decode(const char *s, size_t slen, enum b64_alphabet a,
	       unsigned char **out, size_t *outlen);

#endif
