/* imageref: Docker image references, normalised as the docker CLI does. */
#ifndef ENVBOX_IMAGEREF_H
#define ENVBOX_IMAGEREF_H
#include "util.h"

/* "ubuntu" -> registry "docker.io", repo "library/ubuntu", tag "latest".
 * tag is NULL when the reference has only a digest; digest is NULL unless
 * given ("sha256:<64 hex>"). */
struct imageref {
	char *registry;
	char *repo;
	char *tag;
	char *digest;
};

int imageref_parse(const char *s, struct imageref *r, eb_err *e);
void imageref_free(struct imageref *r);
/* Full normalised form: "docker.io/library/ubuntu:latest", with "@digest". */
char *imageref_string(const struct imageref *r);

/* Maps a registry name as written in a docker config "auths" key (bare host,
 * host:port, or URL such as https://index.docker.io/v1/) to the host[:port]
 * form imageref_parse gives ("docker.io" for Docker Hub's aliases).
 * Returns a malloc'd string. */
char *registry_normalize(const char *key);

#endif
