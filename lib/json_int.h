/* json_int: what json.c, json_check.c and json_write.c share, private to
 * them (the API is json.h). */
#ifndef ENVBOX_JSON_INT_H
#define ENVBOX_JSON_INT_H
#include <stddef.h>

#include "util.h"

/* Checks s[0..len) against the JSON grammar (RFC 8259) and counts jsmn's
 * tokens (one per value and per key) into *ntok: 0, or -1 with e saying
 * what is wrong and at which offset. */
int json_check(const char *s, size_t len, int *ntok, eb_err *e);

/* Length of the well-formed UTF-8 sequence at s (at most n bytes, n > 0),
 * or 0. Overlong forms, UTF-16 surrogates and code points past U+10FFFF are
 * not well-formed (RFC 3629). */
size_t json_utf8_len(const unsigned char *s, size_t n);

#endif
