/* docker_int: what docker.c, docker_err.c and docker_conn.c share, private
 * to them (the API is docker.h). */
#ifndef ENVBOX_DOCKER_INT_H
#define ENVBOX_DOCKER_INT_H
#include "curlload.h"
#include "docker.h"

/* Error answers are one small JSON object; more than this is not a message. */
#define ERRBODY_MAX (64u << 10)

/* The URL curl is given for r: "http://localhost/v1.41/path" (the host is
 * a placeholder; the connection is d's unix socket). Malloc'd. */
char *docker_url(const docker *d, const docker_req *r);

/* A failed transfer: name the socket, and for a refused connection say why
 * in words a person can act on (curl would say "localhost port 80"). */
void docker_connect_error(CURL *c, const char *sock, const char *curlerr,
			  const char *method, const char *path, CURLcode rc,
			  eb_err *e);

#endif
