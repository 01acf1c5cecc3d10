/* spec: the spec lines the applets exchange on stdout/stdin, one item a line,
 * fields separated by one space (DESIGN.md):
 *
 *   bind SRC DST ro|rw          a bind mount into the inner container
 *   device HOSTPATH INNERPATH   a device node passed through
 *   env NAME=VALUE              an environment variable (rest of the line)
 *
 * A path that cannot be written this way (empty, relative, whitespace) and an
 * env value with a newline are refused, never mangled. */
#ifndef ENVBOX_SPEC_H
#define ENVBOX_SPEC_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "util.h"

enum spec_kind { SPEC_BIND, SPEC_DEVICE, SPEC_ENV };

struct spec {
	enum spec_kind kind;
	char *src;   /* bind SRC, device HOSTPATH */
	char *dst;   /* bind DST, device INNERPATH */
	bool ro;     /* bind: ro (true) or rw */
	char *name;  /* env NAME: not empty, no '=' or whitespace */
	char *value; /* env VALUE: may be empty or hold spaces, no newline */
};

/* Appends s (n bytes) to b in double quotes, with '"', '\\' and control
 * characters escaped, so an error message stays one readable line. */
void spec_quote(buf *b, const char *s, size_t n);

/* Checks that path can be a spec field: absolute, no whitespace or control
 * characters. what names it in the error: "source", "destination", ... */
int spec_check_path(const char *what, const char *path, eb_err *e);

/* Writers append one line, newline included, to b; on error b is unchanged. */
int spec_write_bind(buf *b, const char *src, const char *dst, bool ro, eb_err *e);
int spec_write_device(buf *b, const char *host, const char *inner, eb_err *e);
int spec_write_env(buf *b, const char *name, const char *value, eb_err *e);
int spec_write(buf *b, const struct spec *s, eb_err *e);

/* Parses one line of len bytes (one trailing "\n" allowed) into *s, which
 * the caller frees with spec_free. Strict: unknown kind, wrong field count,
 * a mode other than ro/rw, a bad path or env name is an error that quotes
 * the line (an env line's value is elided: it may be a secret). */
int spec_parse(const char *line, size_t len, struct spec *s, eb_err *e);
void spec_free(struct spec *s);

/* Reads the next spec line from f, skipping empty lines. *lineno counts the
 * lines read (start it at 0) and prefixes errors ("line 3: ...").
 * Returns 1 with *s filled, 0 at end of input, -1 on error. */
int spec_read(FILE *f, struct spec *s, size_t *lineno, eb_err *e);

#endif
