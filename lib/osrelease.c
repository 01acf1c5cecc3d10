/* osrelease: os-release parsing and the library directory table. */
#include "osrelease.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Debian's multiarch triplet for the architecture we were built for: the
 * inner image runs natively, so it is the image's architecture too. The
 * original envbox is published for amd64 and arm64 only. */
#if defined(__x86_64__)
#define MULTIARCH "/usr/lib/x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "/usr/lib/aarch64-linux-gnu"
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define MULTIARCH "/usr/lib/powerpc64le-linux-gnu"
#elif defined(__s390x__)
#define MULTIARCH "/usr/lib/s390x-linux-gnu"
#elif defined(__riscv) && __riscv_xlen == 64
#define MULTIARCH "/usr/lib/riscv64-linux-gnu"
#elif defined(__i386__)
#define MULTIARCH "/usr/lib/i386-linux-gnu"
#else
#define MULTIARCH "/usr/lib"
#endif

/* Where each distribution's dynamic loader finds shared libraries. The
 * original envbox (dockerutil/image.go, after libnvidia-container's
 * nvc_container.c) knows debian, ubuntu, fedora and rhel and looks at ID
 * only, so CentOS, Rocky or openSUSE images got /usr/lib, where their
 * loader does not look. We add the common RPM distributions and try each
 * ID_LIKE word (linuxmint and pop → ubuntu, kali → debian) before /usr/lib. */
static const struct {
	const char *id, *dir;
} libdirs[] = {
	{"debian", MULTIARCH},              /* multiarch: Debian policy §9.1 */
	{"ubuntu", MULTIARCH},              /* Debian's layout */
	{"fedora", "/usr/lib64"},           /* 64-bit libraries in lib64 (FHS) */
	{"rhel", "/usr/lib64"},             /* Fedora's layout, as are: */
	{"centos", "/usr/lib64"},
	{"rocky", "/usr/lib64"},
	{"almalinux", "/usr/lib64"},
	{"ol", "/usr/lib64"},               /* Oracle Linux */
	{"amzn", "/usr/lib64"},             /* Amazon Linux */
	{"suse", "/usr/lib64"},             /* ID_LIKE of SLES and openSUSE */
	{"sles", "/usr/lib64"},
	{"opensuse", "/usr/lib64"},
	{"opensuse-leap", "/usr/lib64"},
	{"opensuse-tumbleweed", "/usr/lib64"},
	{"alpine", "/usr/lib"},             /* musl; no lib64, no multiarch */
	{"arch", "/usr/lib"},               /* lib64 is a link to lib */
};

static const char *libdir_of(const char *id, size_t n)
{
	for (size_t i = 0; i < sizeof libdirs / sizeof *libdirs; i++)
		if (strlen(libdirs[i].id) == n && memcmp(libdirs[i].id, id, n) == 0)
			return libdirs[i].dir;
	return NULL;
}

const char *osrelease_libdir(const char *id, const char *id_like)
{
	const char *d = id ? libdir_of(id, strlen(id)) : NULL;

	while (!d && id_like && *id_like) {
		size_t n;

		id_like += strspn(id_like, " \t");
		n = strcspn(id_like, " \t");
		if (n)
			d = libdir_of(id_like, n);
		id_like += n;
	}
	return d ? d : "/usr/lib";
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool key_char(char c, bool first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

/* The value after '=' up to the end of line: one quoted string or one
 * unquoted word (the spec does not allow concatenation), then blanks or a
 * comment. Returns NULL or what is wrong. */
static const char *value(const char *s, size_t n, buf *out)
{
	size_t i = 0;

	if (n > 0 && (s[0] == '"' || s[0] == '\'')) {
		char q = s[0];

		for (i = 1; i < n && s[i] != q; i++) {
			/* Inside double quotes a backslash quotes only
			 * these; before anything else it stays (sh). */
			if (q == '"' && s[i] == '\\' && i + 1 < n &&
			    strchr("\"\\$`", s[i + 1]))
				i++;
			buf_addc(out, s[i]);
		}
		if (i >= n)
			return "unterminated quote";
		i++;
	} else {
		for (; i < n && !blank(s[i]); i++) {
			if (s[i] == '"' || s[i] == '\'')
				return "quote inside an unquoted value";
			if (s[i] == '\\' && ++i >= n)
				return "backslash at the end of the line";
			buf_addc(out, s[i]);
		}
	}
	while (i < n && blank(s[i]))
		i++;
	if (i < n && s[i] != '#')
		return "text after the value (quote values with spaces)";
	return NULL;
}

/* Calls fn for every assignment; stops at the first syntax error. */
static int each(const char *doc, size_t len,
		void (*fn)(void *ctx, const char *key, size_t kl, buf *val),
		void *ctx, eb_err *e)
{
	const char *p = doc, *s;
	size_t nl = 0, n;
	buf val = {0};

	while (line_next(&p, doc + len, &s, &n)) {
		size_t k = 0;
		const char *bad = NULL;

		nl++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		while (n > 0 && blank(*s)) {
			s++;
			n--;
		}
		if (n == 0 || *s == '#')
			continue;
		while (k < n && key_char(s[k], k == 0))
			k++;
		if (memchr(s, 0, n))
			bad = "has a NUL byte";
		else if (k == 0)
			bad = "not KEY=value";
		else if (k == n || s[k] != '=')
			bad = "no '=' after the key";
		else
			bad = value(s + k + 1, n - k - 1, &val);
		if (bad) {
			eb_errf(e, "os-release line %zu: %s", nl, bad);
			buf_free(&val);
			return -1;
		}
		if (!val.p)
			buf_add(&val, "", 0);
		fn(ctx, s, k, &val);
		buf_reset(&val);
	}
	buf_free(&val);
	return 0;
}

static void set(char **dst, buf *val)
{
	free(*dst);
	*dst = xstrdup(val->p);
}

static void take_known(void *ctx, const char *key, size_t kl, buf *val)
{
	os_release *o = ctx;

	/* Later assignments win, as when the file is sourced. */
	if (kl == 2 && memcmp(key, "ID", 2) == 0)
		set(&o->id, val);
	else if (kl == 7 && memcmp(key, "ID_LIKE", 7) == 0)
		set(&o->id_like, val);
	else if (kl == 10 && memcmp(key, "VERSION_ID", 10) == 0)
		set(&o->version_id, val);
}

int osrelease_parse(const char *doc, size_t len, os_release *o, eb_err *e)
{
	memset(o, 0, sizeof *o);
	if (each(doc, len, take_known, o, e) < 0) {
		os_release_free(o);
		return -1;
	}
	/* "ID=linux" is the default the spec gives, and what the original
	 * reports when there is none. An empty ID counts as none. */
	if (!o->id || !*o->id) {
		free(o->id);
		o->id = xstrdup("linux");
	}
	return 0;
}

struct get_ctx {
	const char *key;
	char *val;
};

static void take_one(void *ctx, const char *key, size_t kl, buf *val)
{
	struct get_ctx *g = ctx;

	if (strlen(g->key) == kl && memcmp(key, g->key, kl) == 0)
		set(&g->val, val);
}

int osrelease_get(const char *doc, size_t len, const char *key, char **val,
		  eb_err *e)
{
	struct get_ctx g = {key, NULL};

	*val = NULL;
	if (each(doc, len, take_one, &g, e) < 0) {
		free(g.val);
		return -1;
	}
	*val = g.val;
	return g.val ? 1 : 0;
}

void os_release_free(os_release *o)
{
	free(o->id);
	free(o->id_like);
	free(o->version_id);
	memset(o, 0, sizeof *o);
}

bool osrelease_valid_id(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr("._-", *s)))
			return false;
	return true;
}
