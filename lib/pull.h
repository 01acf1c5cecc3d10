/* pull: the image pull of `envbox docker` through the Engine API.
 *   pull   POST /images/create, its progress stream summed up for a person
 *          (progress.h), retries with backoff, and the faults not worth
 *          retrying
 *   prune  POST /images/prune of every image no container uses (what a
 *          pull does when the disk is full, and `envbox-docker prune`)
 * As coder/envbox does them in dockerutil/image.go and cli/docker.go.
 * https://docs.docker.com/engine/api/v1.41/#tag/Image */
#ifndef ENVBOX_PULL_H
#define ENVBOX_PULL_H
#include <stddef.h>

#include "docker.h"
#include "log.h"
#include "util.h"

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
 * pull.c). Only CERT, AUTH and NOTFOUND fail at once. */
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
	log_fn log;         /* may be NULL */
	void *log_arg;
};

/* Pulls o->image. Each failed attempt is logged with its number and why; a
 * "no space left on device" prunes unused images once and tries again.
 * -1 with e saying why the pull gave up (naming the registry; never a
 * secret). */
int image_pull(docker *d, const struct image_pull_opts *o, eb_err *e);

/* POST /images/prune with filters {"dangling":["false"]}: every image no
 * container uses, not only dangling ones, as the original. *reclaimed gets
 * the bytes freed. */
int image_prune(docker *d, long long *reclaimed, eb_err *e);

#endif
