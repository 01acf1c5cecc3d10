/* mounts: the CODER_MOUNTS grammar, "src:dst[:ro|rw]" entries joined by ",".
 *
 * Stricter than the original envbox (cli/docker.go parseMounts), which took
 * any option other than "ro" as rw and passed empty or relative paths on to
 * Docker. Here each of these is an error that names the entry:
 *   one field or more than three ("/a", "/a:/b:ro:x")
 *   an empty source or destination (":/b", "/a:")
 *   a relative path, or one holding whitespace or control characters
 *   an option other than ro or rw, empty included ("/a:/b:", "/a:/b:RO")
 *   an empty entry (",,", a leading or trailing ",": the original fails on
 *     these too, with "malformed mounts value")
 *   a destination used twice (Docker would refuse the container later)
 * An empty value means no mounts. Paths cannot contain ',' or ':'. */
#ifndef ENVBOX_MOUNTS_H
#define ENVBOX_MOUNTS_H
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct mount_spec {
	char *src, *dst;
	bool ro; /* ":ro"; rw when no option is given */
};

struct mount_list {
	struct mount_spec *v;
	size_t n;
};

/* Parses value into *out (entries in order). On error, -1 with e saying
 * `entry "/a:/b:x": unknown option "x" (expected ro or rw)`, *out empty;
 * the caller prefixes where the value came from. */
int mounts_parse(const char *value, struct mount_list *out, eb_err *e);
void mounts_free(struct mount_list *l);

#endif
