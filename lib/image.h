/* image: the image steps of `envbox docker` through the Engine API.
 *   pull   POST /images/create, its progress stream summed up for a person,
 *          retries with backoff, and the faults not worth retrying
 *   probe  a user's uid, gid and home, /sbin/init, os-release, read from a
 *          created (never started) container through the archive API
 *   prune  POST /images/prune of every image no container uses
 * As coder/envbox does them in dockerutil/image.go and cli/docker.go.
 * https://docs.docker.com/engine/api/v1.41/#tag/Image */
#ifndef ENVBOX_IMAGE_H
#define ENVBOX_IMAGE_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "docker.h"
#include "log.h"
#include "util.h"

/* Where progress, retries and warnings go: the applet writes them to the
 * build log (lib code never prints). */
typedef void (*image_log_fn)(void *arg, enum log_type t, const char *msg);

/* --- pull ------------------------------------------------------------------ */

/* What a failed pull attempt means for the next one. */
enum pull_fault {
	PULL_FAULT_OTHER,    /* network, registry down, 5xx, unknown: retry */
	PULL_FAULT_CERT,     /* the registry's certificate is not trusted */
	PULL_FAULT_AUTH,     /* the registry refused us (no or bad credentials) */
	PULL_FAULT_NOTFOUND, /* no such repository, tag or digest */
	PULL_FAULT_NOSPACE,  /* the daemon's disk is full: prune, then retry */
};

/* Classifies the daemon's message for a failed pull (case-insensitive
 * matching on the texts dockerd and registries send; see the table in
 * image.c). Only CERT, AUTH and NOTFOUND fail at once. */
enum pull_fault image_pull_fault(const char *msg);

/* The wait before retry n (1, 2, ...): 1 s doubling, at most 3 s, as the
 * original's retry.New(time.Second, 3*time.Second). */
long image_backoff_ms(unsigned n);

/* Replaces, in msg, every occurrence of the secrets an X-Registry-Auth value
 * carries (the value itself, its password and identity token) with "***".
 * Secrets shorter than 4 bytes are left: masking them would garble every
 * message and protect nothing. msg stays NUL-terminated within size. */
void image_mask_secrets(char *msg, size_t size, const char *auth);

struct image_pull_opts {
	const char *image;  /* as the user wrote it; normalised for the daemon */
	const char *auth;   /* the X-Registry-Auth value; NULL or "": none */
	unsigned retries;   /* attempts after the first (10 in envbox docker) */
	long interval_ms;   /* between progress lines; 0: 2000 */
	image_log_fn log;   /* may be NULL */
	void *log_arg;
};

/* Pulls o->image. Each failed attempt is logged with its number and why; a
 * "no space left on device" prunes unused images once and tries again.
 * -1 with e saying why the pull gave up (naming the registry; never a
 * secret). */
int image_pull(docker *d, const struct image_pull_opts *o, eb_err *e);

/* --- probe ----------------------------------------------------------------- */

struct image_info {
	unsigned long uid, gid;
	char *home;
	bool init;          /* /sbin/init is, or leads by symlinks to, a file */
	char *os;           /* os-release ID; "linux" when there is none */
	char *os_like;      /* ID_LIKE, or NULL */
	const char *libdir; /* osrelease_libdir(os, os_like) */
};

struct image_probe_opts {
	const char *image;
	const char *user;   /* a name, or a uid when no name matches */
	image_log_fn log;   /* warnings (a malformed os-release); may be NULL */
	void *log_arg;
	/* Set by a signal handler: stop between requests (the probe container
	 * is still removed). May be NULL. */
	volatile sig_atomic_t *stop;
};

/* Creates a container from the image (never started; entrypoint sleep
 * infinity, no network), reads the files through GET
 * /containers/ID/archive, and removes the container whatever happened.
 * 0 and *out filled (free with image_info_free), or -1 with e filled:
 * 'user "NAME" not found in IMAGE's /etc/passwd', image not present, no
 * /etc/passwd, the daemon's errors. */
int image_probe(docker *d, const struct image_probe_opts *o,
		struct image_info *out, eb_err *e);
void image_info_free(struct image_info *i);

/* image_probe through a cache in dir (made 0700 when missing): the result
 * is kept per image ID (GET /images/NAME/json) and USER, in one file
 * "probe-ALGO-HEX" (the last image probed; others are removed). *hit says
 * whether it came from there. A cache that cannot be read or written is a
 * miss and a debug note, never an error. */
int image_probe_cached(docker *d, const struct image_probe_opts *o,
		       const char *dir, struct image_info *out, bool *hit,
		       eb_err *e);
/* The cache file's lines: "envbox-probe 1", then "user", "uid", "gid",
 * "home", "init", "os", "os_like" each "KEY VALUE". Parse is strict (a
 * file of another user, version or shape is -1: a miss); libdir is derived
 * again from os and os_like. Format is -1 for values that cannot be lines. */
int image_cache_parse(const char *s, size_t len, const char *user,
		      struct image_info *out);
int image_cache_format(const struct image_info *i, const char *user, buf *out);

/* Appends the probe's result: "uid N", "gid N", "home DIR", "init yes|no",
 * "os ID", "libdir DIR" lines, or with json one object {"uid","gid","home",
 * "init" (a boolean),"os","libdir"} and a newline. -1 when a value cannot
 * be written as one line word (a home with whitespace): it is refused,
 * never mangled. */
int image_info_format(const struct image_info *i, bool json, buf *out,
		      eb_err *e);

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

/* --- prune ----------------------------------------------------------------- */

/* POST /images/prune with filters {"dangling":["false"]}: every image no
 * container uses, not only dangling ones, as the original. *reclaimed gets
 * the bytes freed. */
int image_prune(docker *d, long long *reclaimed, eb_err *e);

#endif
