/* probefile: the probe's reads of files in a created container through
 * GET/HEAD /containers/ID/archive, symbolic links followed inside the
 * image: the stat-first fast path (every path at once, then only the bytes
 * needed) and the link-by-link lookup it falls back to. Used by probe.c. */
#ifndef ENVBOX_PROBEFILE_H
#define ENVBOX_PROBEFILE_H
#include <stdbool.h>
#include <stddef.h>

#include "docker.h"
#include "probe.h"
#include "util.h"

/* Path helpers for reading an image's files without its kernel: dockerd's
 * archive endpoint resolves every directory of a path inside the container
 * but not its last part, so a symlink there comes back as itself and we
 * follow it. */

/* An absolute path cleaned lexically, as Go's filepath.Join (which the
 * archive endpoint applies) does: "//a/./b/../c/" -> "/a/c"; ".." at the
 * root stays there; a relative path is taken from "/". malloc'd. */
char *image_path_clean(const char *path);
/* Where a symlink at path (absolute, in the image) with target leads:
 * an absolute target from the image's root, a relative one from the
 * link's directory; cleaned. malloc'd; NULL for an empty target. */
char *image_link_target(const char *path, const char *target);

/* What the fast path learned of one path (see probe_prefetch). */
struct known {
	const char *path;  /* as asked */
	bool want_data;
	bool os;           /* one of the os-release files (only one is read) */
	int rc;            /* as probe_lookup's: 1 regular file, 0 not (why),
	                    * -1 unknown */
	bool has_data;     /* data holds the file's bytes */
	buf data;
	eb_err why;
	/* while resolving: */
	char *at;          /* the path reached */
	int hops;
};

struct probe {
	docker *d;
	const struct image_probe_opts *o;
	char *id;
	char *id2; /* a second container for the fast path's reads, or NULL */
	struct known known[4];
	size_t nknown;
};

/* True, with e saying so, once the probe's stop flag is set. */
bool probe_stopped(const struct probe *pr, eb_err *e);

/* Looks path up in the probe container, following symlinks inside the
 * image. 1: a regular file (its bytes in data when want_data; else data
 * may hold only the start of the archive; the path the links led to in
 * *target when target is not NULL, owned); 0: nothing there, a dangling
 * link, a link loop, or not a regular file (why says which); -1: e says
 * what failed. What probe_prefetch learned is answered from pr->known. */
int probe_lookup(struct probe *pr, const char *path, bool want_data, buf *data,
		 char **target, eb_err *why, eb_err *e);

/* Fills pr->known for the paths the probe reads (/etc/passwd, both
 * os-release files, /sbin/init). Never fails: what it cannot learn is left
 * to probe_lookup. */
void probe_prefetch(struct probe *pr);
void probe_known_free(struct probe *pr);

/* Frees what a call holds (its path is ours) and empties it for reuse. */
void probe_call_reset(docker_call *c);

#endif
