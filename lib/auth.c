/* auth: registry credentials from a docker config document.
 * What docker does, and where we learnt it:
 *   docker/cli cli/config/configfile/file.go  LoadFromReader, decodeAuth:
 *     "auth" is base64 (standard alphabet) of "user:pass", split at the first
 *     ':'; once decoded it overwrites "username"/"password"; the entry's
 *     ServerAddress becomes its key as written.
 *   docker/cli cli/config/credentials/file_store.go  Get, ConvertToHostname:
 *     exact key first, then any key whose host[:port] matches.
 *   docker/cli cli/command/registry.go: Docker Hub's key is
 *     "https://index.docker.io/v1/".
 *   cpuguy83/dockercfg (what coder/envbox uses): credHelpers, then
 *     credsStore, then auths; identitytoken wins within an entry.
 * Secrets never go into an eb_err: messages name the key and the field. */
#include "auth.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <strings.h>

#include "b64.h"
#include "imageref.h"
#include "json.h"

#define HUB_KEY "https://index.docker.io/v1/"
#define KEY_SHOWN 96 /* a key is shown in messages up to this many bytes */

/* A key for messages: printable ASCII only, bounded. Keys are registry
 * names, not secrets, but they come from the document. */
static void show_key(char *out, size_t size, const char *key)
{
	size_t o = 0;

	for (; *key && o + 4 < size && o < KEY_SHOWN; key++)
		out[o++] = (*key >= 0x20 && *key < 0x7f) ? *key : '?';
	if (*key && o + 4 < size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
}

/* Member of obj named name, compared without regard to ASCII case; the last
 * one wins. Go's encoding/json, which reads these documents for docker,
 * matches struct fields the same way. -1 when absent. */
static int field(const json_doc *d, int obj, const char *name)
{
	int found = -1, n = json_size(d, obj), k = obj + 1;

	if (json_type(d, obj) != JSMN_OBJECT)
		return -1;
	for (int m = 0; m < n; m++, k = json_skip(d, k + 1)) {
		char *ks = json_strdup(d, k);

		if (ks && !strcasecmp(ks, name))
			found = k + 1;
		free(ks);
	}
	return found;
}

/* A string member, or NULL in *out when absent or null (Go leaves the field
 * empty for null). Another type is an error naming the field, never its
 * value. */
static int str_field(const json_doc *d, int obj, const char *name, char **out,
		     const char *what, eb_err *e)
{
	int v = field(d, obj, name);

	*out = NULL;
	if (v < 0 || json_is_null(d, v))
		return 0;
	if (json_type(d, v) != JSMN_STRING) {
		eb_errf(e, "%s: \"%s\" is not a string", what, name);
		return -1;
	}
	*out = json_strdup(d, v);
	if (!*out) {
		eb_errf(e, "%s: \"%s\" is not a valid string", what, name);
		return -1;
	}
	return 0;
}

/* An object member that may be absent or null (-1 then), else must be an
 * object. */
static int obj_field(const json_doc *d, int obj, const char *name, int *out,
		     eb_err *e)
{
	int v = field(d, obj, name);

	*out = -1;
	if (v < 0 || json_is_null(d, v))
		return 0;
	if (json_type(d, v) != JSMN_OBJECT) {
		eb_errf(e, "docker config: \"%s\" is not an object", name);
		return -1;
	}
	*out = v;
	return 0;
}

/* The key token in obj that best names registry (want: normalised), or -1.
 * Rank 2: the exact key docker writes for it; rank 1: same host[:port]
 * after registry_normalize. The last of equal rank wins. */
static int best_key(const json_doc *d, int obj, const char *registry,
		    const char *want, bool hub)
{
	int best = -1, best_rank = 0, n = json_size(d, obj), k = obj + 1;

	for (int m = 0; m < n; m++, k = json_skip(d, k + 1)) {
		char *ks = json_strdup(d, k), *norm;
		int rank = 0;

		if (!ks)
			continue;
		norm = registry_normalize(ks);
		if (!strcmp(ks, hub ? HUB_KEY : registry))
			rank = 2;
		else if (!strcmp(norm, want))
			rank = 1;
		if (rank && rank >= best_rank) {
			best = k;
			best_rank = rank;
		}
		free(norm);
		free(ks);
	}
	return best;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Splits base64 "auth" into user and password as docker's decodeAuth does:
 * at the first ':', the user must not be empty, NULs around the password
 * are dropped. C strings cannot hold any other NUL. */
static int decode_auth(const char *auth, const char *what, char **user,
		       char **pass, eb_err *e)
{
	unsigned char *raw;
	size_t len, ulen, pstart, pend;
	const unsigned char *colon;
	int rc = -1;

	if (b64_decode(auth, strlen(auth), B64_STD, &raw, &len)) {
		eb_errf(e, "%s: \"auth\" is not valid base64", what);
		return -1;
	}
	colon = memchr(raw, ':', len);
	if (!colon) {
		eb_errf(e, "%s: \"auth\" has no ':' between user name and password", what);
		goto out;
	}
	ulen = (size_t)(colon - raw);
	if (ulen == 0) {
		eb_errf(e, "%s: \"auth\" has an empty user name", what);
		goto out;
	}
	pstart = ulen + 1;
	pend = len;
	while (pstart < pend && raw[pstart] == 0)
		pstart++;
	while (pend > pstart && raw[pend - 1] == 0)
		pend--;
	if (memchr(raw, 0, ulen) || memchr(raw + pstart, 0, pend - pstart)) {
		eb_errf(e, "%s: \"auth\" holds a NUL byte", what);
		goto out;
	}
	*user = xstrndup((char *)raw, ulen);
	*pass = xstrndup((char *)raw + pstart, pend - pstart);
	rc = 0;
out:
	explicit_bzero(raw, len);
	free(raw);
	return rc;
}

/* Sets c to what an entry or a helper gave, for server: AUTH_TOKEN when
 * *token is not empty, else AUTH_BASIC when *user or *pass is not empty,
 * else AUTH_NONE. Takes what it keeps of the three (NULL left there). */
static void set_creds(struct auth_creds *c, const char *server, char **token,
		      char **user, char **pass)
{
	free(c->serveraddress);
	c->serveraddress = xstrdup(server);
	c->kind = AUTH_NONE;
	if (*token && **token) {
		c->kind = AUTH_TOKEN;
		c->identitytoken = *token;
		*token = NULL;
	} else if ((*user && **user) || (*pass && **pass)) {
		c->kind = AUTH_BASIC;
		c->username = *user ? *user : xstrdup("");
		c->password = *pass ? *pass : xstrdup("");
		*user = *pass = NULL;
	}
}

/* Fills c from the auths entry at tok v, keyed key. */
static int read_entry(const json_doc *d, int v, const char *key,
		      struct auth_creds *c, eb_err *e)
{
	char shown[KEY_SHOWN + 8], what[KEY_SHOWN + 32];
	char *auth = NULL, *user = NULL, *pass = NULL, *token = NULL;
	char *duser = NULL, *dpass = NULL;
	int rc = -1;

	show_key(shown, sizeof shown, key);
	snprintf(what, sizeof what, "auths key \"%s\"", shown);
	if (json_is_null(d, v))
		return 0;
	if (json_type(d, v) != JSMN_OBJECT) {
		eb_errf(e, "%s: the entry is not an object", what);
		return -1;
	}
	if (str_field(d, v, "auth", &auth, what, e) ||
	    str_field(d, v, "username", &user, what, e) ||
	    str_field(d, v, "password", &pass, what, e) ||
	    str_field(d, v, "identitytoken", &token, what, e))
		goto out;
	/* Decoded even when a token wins: docker refuses a bad one too. */
	if (auth && *auth && decode_auth(auth, what, &duser, &dpass, e))
		goto out;
	if (duser) {
		wipe_free(user);
		wipe_free(pass);
		user = duser;
		pass = dpass;
		duser = dpass = NULL;
	}
	set_creds(c, key, &token, &user, &pass);
	rc = 0;
out:
	wipe_free(auth);
	wipe_free(user);
	wipe_free(pass);
	wipe_free(token);
	return rc;
}

int auth_lookup(const char *doc, size_t len, const char *registry,
		struct auth_creds *c, eb_err *e)
{
	json_doc d;
	int root = 0, helpers, auths, k, rc = -1;
	char *want, *store = NULL;
	bool hub;

	memset(c, 0, sizeof *c);
	if (json_parse(&d, doc, len, e))
		return -1;
	want = registry_normalize(registry);
	hub = !strcmp(want, "docker.io");
	if (json_type(&d, root) != JSMN_OBJECT) {
		eb_errf(e, "not a docker config: the top level is not a JSON object");
		goto out;
	}
	if (obj_field(&d, root, "credHelpers", &helpers, e) ||
	    obj_field(&d, root, "auths", &auths, e) ||
	    str_field(&d, root, "credsStore", &store, "docker config", e))
		goto out;

	/* A helper named for this registry is what docker asks first. */
	k = helpers >= 0 ? best_key(&d, helpers, registry, want, hub) : -1;
	if (k >= 0) {
		char shown[KEY_SHOWN + 8];

		c->key = json_strdup(&d, k); /* best_key only picks valid ones */
		show_key(shown, sizeof shown, c->key);
		c->helper = json_is_null(&d, k + 1) ? xstrdup("") : json_strdup(&d, k + 1);
		if (!c->helper) {
			eb_errf(e, "credHelpers key \"%s\": the helper name is not a string",
				shown);
			goto out;
		}
		if (*c->helper) {
			c->kind = AUTH_HELPER;
			c->helper_server = xstrdup(hub ? HUB_KEY : registry);
			rc = 0;
			goto out;
		}
		/* An empty name means no helper to docker: the file store. */
		auth_creds_free(c);
	}

	k = auths >= 0 ? best_key(&d, auths, registry, want, hub) : -1;
	if (k >= 0) {
		c->key = json_strdup(&d, k);
		if (read_entry(&d, k + 1, c->key, c, e))
			goto out;
	}
	if (c->kind == AUTH_NONE && store && *store) {
		c->kind = AUTH_HELPER;
		c->helper = store;
		c->helper_server = xstrdup(hub ? HUB_KEY : registry);
		c->from_store = true;
		store = NULL;
	}
	rc = 0;
out:
	if (rc)
		auth_creds_free(c);
	free(store);
	free(want);
	json_free(&d);
	return rc;
}

/* Member by member, as imageref_free, spec_free, idmap_probe_free and
 * mountinfo's entry_free are for theirs: alike in shape, but each frees its
 * own struct's members (and this one wipes the secrets), so none can serve
 * another. */
void auth_creds_free(struct auth_creds *c)
{
	free(c->key);
	wipe_free(c->username);
	wipe_free(c->password);
	wipe_free(c->identitytoken);
	free(c->serveraddress);
	free(c->helper);
	free(c->helper_server);
	memset(c, 0, sizeof *c);
}

char *auth_json(const struct auth_creds *c)
{
	buf b = { 0 };
	json_w w;

	if (c->kind != AUTH_BASIC && c->kind != AUTH_TOKEN)
		return NULL;
	/* Field order as Go's json.Marshal of registry.AuthConfig. */
	jw_init(&w, &b);
	jw_obj(&w);
	if (c->kind == AUTH_BASIC) {
		jw_kstr(&w, "username", c->username);
		jw_kstr(&w, "password", c->password);
	}
	jw_kstr(&w, "serveraddress", c->serveraddress);
	if (c->kind == AUTH_TOKEN)
		jw_kstr(&w, "identitytoken", c->identitytoken);
	jw_obj_end(&w);
	return buf_steal(&b);
}

char *auth_header(const struct auth_creds *c)
{
	char *js = auth_json(c), *h;

	if (!js)
		return NULL;
	h = b64_encode(js, strlen(js), B64_URL);
	wipe_free(js);
	return h;
}

/* ---- where the document comes from ------------------------------- */

const char *auth_docker_config(const char *env)
{
	return env && *env ? env : AUTH_DOCKER_CONFIG;
}

enum auth_source auth_source_pick(bool have_config, bool dconf_exists,
				  const char *secret, bool *secret_ignored)
{
	bool have_secret = secret && *secret;

	*secret_ignored = false;
	if (have_config)
		return AUTH_SRC_CONFIG;
	if (dconf_exists) {
		*secret_ignored = have_secret;
		return AUTH_SRC_DOCKER_CONFIG;
	}
	return have_secret ? AUTH_SRC_SECRET : AUTH_SRC_NONE;
}

/* ---- credential helpers ------------------------------------------- */

bool auth_helper_valid(const char *name)
{
	if (!*name || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("._-", *p)))
			return false;
	return true;
}

/* Member of obj named name, without regard to ASCII case; the last of
 * several, as Go's decoder; a string or NULL. */
static char *str_member(const json_doc *d, int obj, const char *name)
{
	char *found = NULL;

	for (int m = 0, n = json_size(d, obj); m < n; m++) {
		int k = json_obj_key(d, obj, m);
		char *key = json_strdup(d, k);

		if (key && !strcasecmp(key, name) && json_type(d, k + 1) == JSMN_STRING) {
			wipe_free(found);
			found = json_strdup(d, k + 1);
		}
		free(key);
	}
	return found;
}

int auth_helper_reply(struct auth_creds *c, const char *out, size_t len)
{
	json_doc d = { 0 };
	char *user, *secret, *token = NULL;

	if (json_parse(&d, out ? out : "", len, NULL) < 0 ||
	    json_type(&d, 0) != JSMN_OBJECT) {
		json_free(&d);
		return -1;
	}
	user = str_member(&d, 0, "Username");
	secret = str_member(&d, 0, "Secret");
	json_free(&d);
	if (user && !strcmp(user, AUTH_HELPER_TOKEN_USER) && secret && *secret) {
		token = secret;
		secret = NULL;
	}
	/* serveraddress: an empty auths entry may have set it (Docker
	 * Desktop writes one); the helper's server is what docker sends. */
	set_creds(c, c->helper_server, &token, &user, &secret);
	wipe_free(token);
	wipe_free(user);
	wipe_free(secret);
	return 0;
}

/* ---- certs.d ------------------------------------------------------ */

int auth_cert_files(const char *dir, char ***names, char ***paths, size_t *n, eb_err *e)
{
	struct dirent **ents;
	struct stat st;
	size_t k = 0;
	int m = scandir(dir, &ents, NULL, alphasort);

	*names = *paths = NULL;
	*n = 0;
	if (m < 0) {
		eb_errf(e, "%s", strerror(errno));
		return -1;
	}
	*names = xcalloc((size_t)m + 1, sizeof **names);
	*paths = xcalloc((size_t)m + 1, sizeof **paths);
	for (int i = 0; i < m; i++) {
		char *path = xasprintf("%s/%s", dir, ents[i]->d_name);

		if (ents[i]->d_name[0] == '.' || stat(path, &st) || !S_ISREG(st.st_mode)) {
			free(path);
		} else {
			(*names)[k] = xstrdup(ents[i]->d_name);
			(*paths)[k++] = path;
		}
		free(ents[i]);
	}
	free(ents);
	*n = k;
	return 0;
}

void auth_cert_files_free(char **names, char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(names[i]);
		free(paths[i]);
	}
	free(names);
	free(paths);
}

char *auth_cert_name(const char *file)
{
	if (file[0] == '.')
		return NULL;
	if (str_ends(file, ".crt") || str_ends(file, ".cert") || str_ends(file, ".key"))
		return xstrdup(file);
	return xasprintf("%s.crt", file);
}

unsigned auth_cert_mode(const char *name)
{
	return str_ends(name, ".key") ? 0600 : 0644;
}

static bool cert_listed(const struct auth_cert *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return true;
	return false;
}

int auth_certs_check(const struct auth_cert *v, size_t n, eb_err *e)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = v[i].name;
		bool cert = str_ends(name, ".cert"), key = str_ends(name, ".key");
		char *pair;

		if (!cert && !key)
			continue;
		pair = xasprintf("%.*s%s", (int)(strlen(name) - (cert ? 5 : 4)), name,
				 cert ? ".key" : ".cert");
		if (!cert_listed(v, n, pair)) {
			eb_errf(e, "%s has no %s beside it, and dockerd refuses an unpaired "
				"client %s (CA certificates must end in .crt)", name, pair,
				cert ? "certificate" : "key");
			free(pair);
			return -1;
		}
		free(pair);
	}
	for (size_t i = 0; i < n; i++) {
		if (cert_listed(v, i, v[i].name)) {
			eb_errf(e, "two files would be installed as %s", v[i].name);
			return -1;
		}
	}
	return 0;
}

bool auth_certs_read(const char *registry)
{
	return strcmp(registry, "docker.io") != 0;
}

void auth_certs_free(struct auth_cert *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].src);
		free(v[i].name);
	}
	free(v);
}
