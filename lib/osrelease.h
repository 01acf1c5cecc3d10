/* osrelease: read an os-release file and say where that distribution keeps
 * its shared libraries, so GPU driver libraries land where the inner
 * image's dynamic loader looks.
 * Format: https://www.freedesktop.org/software/systemd/man/latest/os-release.html */
#ifndef ENVBOX_OSRELEASE_H
#define ENVBOX_OSRELEASE_H
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

typedef struct {
	char *id;         /* "linux" when the file has no ID, as the spec says */
	char *id_like;    /* space-separated IDs, or NULL */
	char *version_id; /* or NULL */
} os_release;

/* Parses the whole document: KEY=value lines, values unquoted or in single
 * or double quotes (shell rules: \" \\ \$ \` escapes inside double quotes,
 * a backslash quotes the next character outside quotes), comments and blank
 * lines. 0 and *o filled (free with os_release_free), or -1 with e naming
 * the line (an unterminated quote, a line without '=', a bad key) and *o
 * empty. */
int osrelease_parse(const char *doc, size_t len, os_release *o, eb_err *e);
/* One key's value: 1 and *val (owned) set, 0 absent, -1 syntax error. */
int osrelease_get(const char *doc, size_t len, const char *key, char **val,
		  eb_err *e);
void os_release_free(os_release *o);

/* The library directory for an os-release ID, trying each word of ID_LIKE
 * (either may be NULL) when the ID is not known; /usr/lib otherwise. */
const char *osrelease_libdir(const char *id, const char *id_like);

/* An os-release ID as the spec allows it: a-z, 0-9, ".", "_", "-". */
bool osrelease_valid_id(const char *s);

#endif
