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

/* ---- where the document comes from (coder/envbox cli/docker.go) ---- */

#define AUTH_DOCKER_CONFIG "/root/.docker/config.json"

enum auth_source {
	AUTH_SRC_NONE,          /* no document: no credentials */
	AUTH_SRC_CONFIG,        /* --config FILE */
	AUTH_SRC_DOCKER_CONFIG, /* the file $CODER_DOCKER_CONFIG */
	AUTH_SRC_SECRET,        /* $CODER_IMAGE_PULL_SECRET */
};

/* The docker config file: env ($CODER_DOCKER_CONFIG), or
 * AUTH_DOCKER_CONFIG when env is NULL or empty. */
const char *auth_docker_config(const char *env);
/* The first of: a --config FILE (have_config); the docker config file when
 * it exists (dconf_exists), which wins over the pull secret, as
 * coder/envbox reads the secret first and then overwrites it with the
 * file's answer (*secret_ignored then says whether a non-empty one was
 * given); secret when not empty. */
enum auth_source auth_source_pick(bool have_config, bool dconf_exists,
				  const char *secret, bool *secret_ignored);

/* ---- credential helpers (docker/docker-credential-helpers) ---------- */

/* What a helper prints when it has nothing for the server
 * (docker-credential-helpers credentials/error.go). */
#define AUTH_HELPER_NOT_FOUND "credentials not found in native keychain"
/* A helper's Username meaning "Secret is an identity token" (docker/cli
 * cli/config/credentials/native_store.go). */
#define AUTH_HELPER_TOKEN_USER "<token>"

/* A helper name is the end of a command name (docker-credential-NAME): 1
 * to 64 of letters, digits, '.', '_', '-'; no path, no oddities. */
bool auth_helper_valid(const char *name);
/* Replaces c (AUTH_HELPER) with what the helper answered on success,
 * out[0..len): {"ServerURL","Username","Secret"}, members matched without
 * regard to ASCII case as Go's decoder does. AUTH_TOKEN when Username is
 * AUTH_HELPER_TOKEN_USER and Secret is not empty; else AUTH_BASIC when
 * either is not empty; else AUTH_NONE. serveraddress becomes
 * c->helper_server. -1 when out is not a JSON object (c unchanged). */
int auth_helper_reply(struct auth_creds *c, const char *out, size_t len);

/* ---- certs.d (moby registry.ReadCertsDirectory) --------------------- */

#define AUTH_CERTS_DIR "/etc/docker/certs.d"
/* What a single CA file is installed as. */
#define AUTH_CERT_CA "ca.crt"

/* One file to install under certs.d/<registry>/. */
struct auth_cert {
	char *src;  /* path to copy */
	char *name; /* file name under certs.d/<registry> */
};

/* The files of a CODER_EXTRA_CERTS_PATH directory, as every reader of it
 * takes them: regular files, links followed (a Kubernetes secret's files
 * are links into its "..data" directory), hidden names skipped, sorted by
 * name. *names gets the entries' names, *paths "dir/name"; both arrays and
 * their strings malloc'd (auth_cert_files_free). 0 files is not an error
 * here. -1 with e "why" when the directory cannot be read. */
int auth_cert_files(const char *dir, char ***names, char ***paths, size_t *n, eb_err *e);
void auth_cert_files_free(char **names, char **paths, size_t n);


/* The name a directory entry of --from is installed as: as it is when it
 * ends in .crt, .cert or .key, else with ".crt" added (dockerd reads CAs
 * only from *.crt). NULL for a hidden name, skipped: ".", "..", and
 * Kubernetes' "..data" links in a mounted secret or config map. */
char *auth_cert_name(const char *file);
/* The mode an installed file gets: 0600 for a key, else 0644. */
unsigned auth_cert_mode(const char *name);
/* Checks that v[0..n) make a directory dockerd accepts: X.cert with X.key
 * beside it and back (an unpaired one fails every pull from the
 * registry), no name twice. -1 with e "why" for the first problem. */
int auth_certs_check(const struct auth_cert *v, size_t n, eb_err *e);
/* False for a registry whose certs.d dockerd never reads (Docker Hub). */
bool auth_certs_read(const char *registry);
void auth_certs_free(struct auth_cert *v, size_t n);

#endif
