/* probe: what `envbox docker` needs to know of an image before it runs it:
 * a user's uid, gid and home, /sbin/init, os-release, read from a created
 * (never started) container through the archive API (the reads themselves
 * in probefile.h), and a cache of the answer per image ID (probecache.h).
 * As coder/envbox does it in dockerutil/image.go and cli/docker.go.
 * https://docs.docker.com/engine/api/v1.41/#tag/Container/operation/ContainerArchive */
#ifndef ENVBOX_PROBE_H
#define ENVBOX_PROBE_H
#include <signal.h>
#include <stdbool.h>

#include "docker.h"
#include "log.h"
#include "util.h"

struct image_info {
	unsigned long uid, gid;
	char *home;
	bool init;          /* /sbin/init is, or leads by symlinks to, a file */
	bool systemd;       /* ... named systemd (/lib/systemd/systemd) */
	char *os;           /* os-release ID; "linux" when there is none */
	char *os_like;      /* ID_LIKE, or NULL */
	const char *libdir; /* osrelease_libdir(os, os_like) */
};

struct image_probe_opts {
	const char *image;
	const char *user;   /* a name, or a uid when no name matches */
	log_fn log;         /* warnings (a malformed os-release); may be NULL */
	void *log_arg;
	/* Set by a signal handler: stop between requests (the probe container
	 * is still removed). May be NULL. */
	volatile sig_atomic_t *stop;
	/* Every file read link by link, without the concurrent stat-first
	 * requests (the applet sets it from ENVBOX_PROBE_SLOW, for tests and
	 * comparisons). */
	bool slow;
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

/* True when /sbin/init's links lead to target, a file named systemd: the
 * image boots systemd (Debian's /lib/systemd/systemd, Fedora's
 * /usr/lib/systemd/systemd). */
bool init_is_systemd(const char *target);

/* image_probe through a cache in dir (made 0700 when missing): the result
 * is kept per image ID (GET /images/NAME/json) and USER, in one file
 * "probe-ALGO-HEX" (the last image probed; others are removed). *hit says
 * whether it came from there. A cache that cannot be read or written is a
 * miss and a debug note, never an error. */
int image_probe_cached(docker *d, const struct image_probe_opts *o,
		       const char *dir, struct image_info *out, bool *hit,
		       eb_err *e);
/* Appends the probe's result: "uid N", "gid N", "home DIR", "init yes|no",
 * "systemd yes|no", "os ID", "libdir DIR" lines, or with json one object
 * {"uid","gid","home","init","systemd" (booleans),"os","libdir"} and a
 * newline. -1 when a value cannot
 * be written as one line word (a home with whitespace): it is refused,
 * never mangled. */
int image_info_format(const struct image_info *i, bool json, buf *out,
		      eb_err *e);

#endif
