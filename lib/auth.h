/* auth: registry credentials from a docker config document, and the
 * X-Registry-Auth value dockerd takes with a pull.
 *
 * The document is a docker config.json or a Kubernetes .dockerconfigjson:
 *   {"auths": {KEY: {"auth": base64("user:pass")}
 *                  | {"username": U, "password": P}
 *                  | {"identitytoken": T}},
 *    "credHelpers": {KEY: NAME}, "credsStore": NAME}
 * KEY may be a bare host, host:port or a URL; see auth_lookup for matching.
 * No function here ever puts a secret into an error message. */
#ifndef ENVBOX_AUTH_H
#define ENVBOX_AUTH_H
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum auth_kind {
	AUTH_NONE,   /* nothing for this registry */
	AUTH_BASIC,  /* username and password */
	AUTH_TOKEN,  /* an OAuth identity (refresh) token */
	AUTH_HELPER, /* only a credential helper knows: helper names it */
};

struct auth_creds {
	enum auth_kind kind;
	char *key;           /* the auths or credHelpers key that matched, as written */
	char *username;      /* AUTH_BASIC */
	char *password;      /* AUTH_BASIC; may be empty or hold ':' */
	char *identitytoken; /* AUTH_TOKEN */
	char *serveraddress; /* AUTH_BASIC, AUTH_TOKEN: key as written, as docker sends it */
	char *helper;        /* AUTH_HELPER: NAME of docker-credential-NAME */
	char *helper_server; /* AUTH_HELPER: what docker writes to the helper's stdin */
	bool from_store;     /* AUTH_HELPER: named by credsStore, not credHelpers */
};

/* Finds the credentials for registry (host[:port], as imageref_parse gives
 * it) in the JSON document doc (len bytes).
 *
 * A key matches when registry_normalize(KEY) equals the normalised registry:
 * the port must match exactly, and Docker Hub's aliases all mean docker.io.
 * Several matching keys: the exact form docker itself writes wins
 * ("https://index.docker.io/v1/" for Docker Hub, else host[:port] as in the
 * image), then any other; among equals the last in the document, as with
 * duplicate keys in Go's decoder.
 *
 * In an entry, "identitytoken" wins; else "auth", decoded, wins over
 * "username"/"password" (docker's config loader overwrites them with it).
 * A credHelpers entry for the registry wins over auths; credsStore applies
 * only when auths has no credentials for it (AUTH_HELPER either way).
 *
 * Returns 0 with c filled (AUTH_NONE when nothing matched), or -1 with e
 * filled: not JSON, not an object, a matching entry with a non-string field,
 * bad base64 or no ':' in "auth". Entries for other registries are not
 * examined. */
int auth_lookup(const char *doc, size_t len, const char *registry,
		struct auth_creds *c, eb_err *e);
void auth_creds_free(struct auth_creds *c);

/* The JSON for dockerd: {"username","password","serveraddress"} or
 * {"identitytoken","serveraddress"}; NULL for other kinds. */
char *auth_json(const struct auth_creds *c);
/* X-Registry-Auth: auth_json in URL-safe base64 with padding, as Go's
 * base64.URLEncoding writes it; NULL for other kinds. */
char *auth_header(const struct auth_creds *c);

#endif
