/* imageref: Docker image references, normalised as the docker CLI does.
 * Grammar: github.com/distribution/reference (reference.go, normalize.go):
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component [ "/" path-component ]*
 * and ParseNormalizedNamed's rule for telling a domain from a path. */
#include "imageref.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 255 /* NameTotalLengthMax: the normalised name */
#define TAG_MAX_LEN 128

/* Docker Hub: the names it is known by, and what each one means. */
static const struct {
	const char *alias;
	const char *is; /* the host[:port] form we use */
} hub_aliases[] = {
	{ "docker.io", "docker.io" },            /* reference.defaultDomain */
	{ "index.docker.io", "docker.io" },      /* legacyDefaultDomain, old config keys */
	{ "registry-1.docker.io", "docker.io" }, /* the v2 API host; in config keys */
};

/* Digest algorithms go-digest knows, with their hex lengths. */
static const struct {
	const char *alg;
	size_t hexlen;
} digest_algs[] = {
	{ "sha256", 64 },
	{ "sha384", 96 },
	{ "sha512", 128 },
};

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* path-component := [a-z0-9]+ ( ( [._] | "__" | "-"+ ) [a-z0-9]+ )* */
static bool valid_component(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		/* a separator must be followed by alnum */
		if (i >= n || !is_lower_alnum(s[i]))
			return false;
	}
	return true;
}

/* domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool valid_host_label(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* domain := ( host | "[" ipv6 "]" ) [ ":" [0-9]+ ] */
static bool valid_domain(const char *s, size_t n)
{
	size_t hostlen = n;
	const char *colon;

	if (n == 0)
		return false;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);
		size_t i;

		if (!close || close == s + 1)
			return false;
		for (i = 1; s + i < close; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':' && s[i] != '.')
				return false;
		hostlen = (size_t)(close - s) + 1;
		if (hostlen < n && s[hostlen] != ':')
			return false;
	} else {
		colon = memchr(s, ':', n);
		if (colon)
			hostlen = (size_t)(colon - s);
		for (size_t i = 0, start = 0; i <= hostlen; i++) {
			if (i == hostlen || s[i] == '.') {
				if (!valid_host_label(s + start, i - start))
					return false;
				start = i + 1;
			}
		}
	}
	if (hostlen < n) {
		/* ":" port */
		if (hostlen + 1 == n)
			return false;
		for (size_t i = hostlen + 1; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return false;
	}
	return true;
}

static bool valid_tag(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > TAG_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!is_alnum(c) && c != '_' && !(i > 0 && (c == '.' || c == '-')))
			return false;
	}
	return true;
}

/* "sha256:<64 lowercase hex>"; e says why not. */
static int check_digest(const char *d, const char *ref, eb_err *e)
{
	const char *colon = strchr(d, ':');
	size_t alen = colon ? (size_t)(colon - d) : 0;

	if (!colon || alen == 0) {
		eb_errf(e, "image reference \"%s\": digest must be ALGORITHM:HEX", ref);
		return -1;
	}
	for (size_t i = 0; i < sizeof digest_algs / sizeof *digest_algs; i++) {
		const char *hex = colon + 1;
		size_t n = strlen(hex);

		if (strlen(digest_algs[i].alg) != alen ||
		    memcmp(digest_algs[i].alg, d, alen))
			continue;
		if (n != digest_algs[i].hexlen) {
			eb_errf(e, "image reference \"%s\": %s digest must have %zu hex digits, not %zu",
				ref, digest_algs[i].alg, digest_algs[i].hexlen, n);
			return -1;
		}
		for (size_t j = 0; j < n; j++) {
			if (!((hex[j] >= '0' && hex[j] <= '9') ||
			      (hex[j] >= 'a' && hex[j] <= 'f'))) {
				eb_errf(e, "image reference \"%s\": digest must be lowercase hex", ref);
				return -1;
			}
		}
		return 0;
	}
	eb_errf(e, "image reference \"%s\": unsupported digest algorithm \"%.*s\"",
		ref, (int)alen, d);
	return -1;
}

static bool is_64hex(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

int imageref_parse(const char *s, struct imageref *r, eb_err *e)
{
	char *name = NULL, *tag = NULL, *digest = NULL, *registry = NULL, *repo = NULL;
	const char *at, *slash, *colon, *rest;
	size_t namelen;

	memset(r, 0, sizeof *r);
	if (!s || !*s) {
		eb_errf(e, "image reference is empty");
		return -1;
	}
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			eb_errf(e, "image reference \"%s\": contains whitespace or a control character", s);
			return -1;
		}
	}

	at = strchr(s, '@');
	namelen = at ? (size_t)(at - s) : strlen(s);
	if (at) {
		digest = xstrdup(at + 1);
		if (check_digest(digest, s, e))
			goto fail;
	}
	/* A tag is after the last ':' that follows the last '/'. */
	slash = memrchr(s, '/', namelen);
	colon = memrchr(slash ? slash : s, ':', namelen - (size_t)(slash ? slash - s : 0));
	if (colon) {
		tag = xstrndup(colon + 1, namelen - (size_t)(colon + 1 - s));
		namelen = (size_t)(colon - s);
		if (!valid_tag(tag)) {
			eb_errf(e, "image reference \"%s\": invalid tag \"%s\"", s, tag);
			goto fail;
		}
	}
	name = xstrndup(s, namelen);
	if (!*name) {
		eb_errf(e, "image reference \"%s\": no repository name", s);
		goto fail;
	}

	/* ParseNormalizedNamed: the first component is a domain only when it
	 * has '.' or ':', is "localhost", or has uppercase letters. */
	slash = strchr(name, '/');
	if (slash) {
		size_t dlen = (size_t)(slash - name);
		bool upper = false;

		for (size_t i = 0; i < dlen; i++)
			upper |= name[i] >= 'A' && name[i] <= 'Z';
		if (memchr(name, '.', dlen) || memchr(name, ':', dlen) || upper ||
		    (dlen == 9 && !memcmp(name, "localhost", 9))) {
			registry = xstrndup(name, dlen);
			rest = slash + 1;
			if (!valid_domain(registry, dlen)) {
				eb_errf(e, "image reference \"%s\": invalid registry \"%s\"", s, registry);
				goto fail;
			}
		} else {
			rest = name;
		}
	} else {
		rest = name;
	}
	if (!registry || !strcmp(registry, "index.docker.io")) {
		free(registry);
		registry = xstrdup("docker.io");
	}
	if (!strcmp(registry, "docker.io") && !strchr(rest, '/'))
		repo = xasprintf("library/%s", rest);
	else
		repo = xstrdup(rest);

	for (const char *p = repo; *p; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			eb_errf(e, "image reference \"%s\": repository name must be lowercase", s);
			goto fail;
		}
	}
	for (const char *p = repo, *end;; p = end + 1) {
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		if (!valid_component(p, (size_t)(end - p))) {
			eb_errf(e, "image reference \"%s\": invalid repository name component \"%.*s\"",
				s, (int)(end - p), p);
			goto fail;
		}
		if (!*end)
			break;
	}
	if (is_64hex(s)) {
		eb_errf(e, "image reference \"%s\": a 64-digit hex string is an image ID, not a name", s);
		goto fail;
	}
	if (strlen(registry) + 1 + strlen(repo) > NAME_MAX_LEN) {
		eb_errf(e, "image reference \"%.64s...\": name longer than %d characters", s, NAME_MAX_LEN);
		goto fail;
	}
	if (!tag && !digest)
		tag = xstrdup("latest");
	free(name);
	r->registry = registry;
	r->repo = repo;
	r->tag = tag;
	r->digest = digest;
	return 0;
fail:
	free(name);
	free(tag);
	free(digest);
	free(registry);
	free(repo);
	return -1;
}

/* Member by member, like the other structs' _free (auth_creds_free says
 * why they stay apart). */
void imageref_free(struct imageref *r)
{
	free(r->registry);
	free(r->repo);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof *r);
}

char *imageref_string(const struct imageref *r)
{
	buf b = { 0 };

	buf_printf(&b, "%s/%s", r->registry, r->repo);
	if (r->tag)
		buf_printf(&b, ":%s", r->tag);
	if (r->digest)
		buf_printf(&b, "@%s", r->digest);
	return buf_steal(&b);
}

char *registry_normalize(const char *key)
{
	const char *p = strstr(key, "://");
	size_t n;
	char *host;

	p = p ? p + 3 : key;
	n = strcspn(p, "/");
	host = xstrndup(p, n);
	for (char *c = host; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	for (size_t i = 0; i < sizeof hub_aliases / sizeof *hub_aliases; i++) {
		if (!strcmp(host, hub_aliases[i].alias)) {
			free(host);
			return xstrdup(hub_aliases[i].is);
		}
	}
	return host;
}
