/* probecache: the probe's cache file (probecache.h). */
#include "probecache.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "osrelease.h"

/* What the probe reads is fixed by the image's ID (the digest of its
 * config, which names every layer's content): a restarted workspace, whose
 * image is already in the data root, need not read it again. One file per
 * directory, for the last image probed, so the cache stays one file. */

#define CACHE_MAGIC "envbox-probe 2"
#define CACHE_MAX 8192

char *image_cache_file(const char *dir, const char *id)
{
	const char *colon = strchr(id, ':');
	size_t alg;

	if (!colon)
		return NULL;
	alg = (size_t)(colon - id);
	if (!alg || alg > 16 || strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789") != alg ||
	    !colon[1] || colon[1 + strspn(colon + 1, "0123456789abcdef")] ||
	    strlen(colon + 1) > 128)
		return NULL;
	return xasprintf("%s/probe-%.*s-%s", dir, (int)alg, id, colon + 1);
}

/* "KEY VALUE\n" at *p (VALUE to the end of the line, may be empty): the
 * value, malloc'd, and *p past the line; NULL when the line is not KEY. */
static char *cache_line(const char **p, const char *end, const char *key)
{
	size_t k = strlen(key);
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	char *v;

	if (!nl || (size_t)(nl - *p) < k + 1 || memcmp(*p, key, k) || (*p)[k] != ' ')
		return NULL;
	v = xstrndup(*p + k + 1, (size_t)(nl - *p - (ptrdiff_t)k - 1));
	if (strlen(v) != (size_t)(nl - *p - (ptrdiff_t)k - 1)) { /* a NUL inside */
		free(v);
		return NULL;
	}
	*p = nl + 1;
	return v;
}

static bool cache_number(const char *s, unsigned long *out)
{
	char *end;

	/* As format writes them: digits, no leading zero. */
	if (!*s || s[strspn(s, "0123456789")] || strlen(s) > 10 ||
	    (s[0] == '0' && s[1]))
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && *out <= 0xffffffffUL;
}

int image_cache_parse(const char *s, size_t len, const char *user,
		      struct image_info *out)
{
	const char *p = s, *end = s + len;
	char *v[9] = { NULL };
	static const char *const keys[] = { "magic", "user", "uid", "gid",
					    "home", "init", "systemd", "os",
					    "os_like" };
	int ret = -1;

	memset(out, 0, sizeof *out);
	if (len < sizeof CACHE_MAGIC || memcmp(s, CACHE_MAGIC "\n", sizeof CACHE_MAGIC))
		return -1;
	p += sizeof CACHE_MAGIC;
	for (size_t i = 1; i < 9; i++)
		if (!(v[i] = cache_line(&p, end, keys[i])))
			goto out;
	if (p != end || strcmp(v[1], user) || !cache_number(v[2], &out->uid) ||
	    !cache_number(v[3], &out->gid) || v[4][0] != '/' ||
	    (strcmp(v[5], "yes") && strcmp(v[5], "no")) ||
	    (strcmp(v[6], "yes") && strcmp(v[6], "no")) || !osrelease_valid_id(v[7]))
		goto out;
	out->home = v[4];
	out->init = !strcmp(v[5], "yes");
	out->systemd = !strcmp(v[6], "yes");
	out->os = v[7];
	out->os_like = v[8][0] ? v[8] : NULL;
	out->libdir = osrelease_libdir(out->os, out->os_like);
	v[4] = v[7] = NULL;
	if (out->os_like)
		v[8] = NULL;
	ret = 0;
out:
	for (size_t i = 0; i < 9; i++)
		free(v[i]);
	if (ret < 0) {
		free(out->home);
		free(out->os);
		free(out->os_like);
		memset(out, 0, sizeof *out);
	}
	return ret;
}

int image_cache_format(const struct image_info *i, const char *user, buf *out)
{
	/* Each value on one line: a user or home with a newline is not kept. */
	if (strchr(user, '\n') || strchr(i->home, '\n') ||
	    (i->os_like && strchr(i->os_like, '\n')))
		return -1;
	buf_printf(out, "%s\nuser %s\nuid %lu\ngid %lu\nhome %s\ninit %s\nsystemd %s\nos %s\nos_like %s\n",
		   CACHE_MAGIC, user, i->uid, i->gid, i->home,
		   i->init ? "yes" : "no", i->systemd ? "yes" : "no", i->os,
		   i->os_like ? i->os_like : "");
	return 0;
}

int image_cache_read(const char *file, const char *user, struct image_info *out)
{
	buf b = { 0 };
	eb_err ignored;
	int ret = -1;

	memset(out, 0, sizeof *out);
	if (read_file(file, CACHE_MAX, &b, &ignored) == 0)
		ret = image_cache_parse(b.p ? b.p : "", b.len, user, out);
	buf_free(&b);
	return ret;
}

int image_cache_write(const char *dir, const char *file, const char *user,
		      const struct image_info *i, eb_err *e)
{
	buf b = { 0 };
	const char *base = strrchr(file, '/') + 1;
	DIR *dh;
	eb_err why;
	int ret = -1;

	e->msg[0] = 0;
	if (image_cache_format(i, user, &b) < 0)
		goto out;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		eb_errf(e, "probe cache %s: %s", dir, strerror(errno));
		goto out;
	}
	if (write_file_atomic(file, b.p, b.len, 0644, (uid_t)-1, (gid_t)-1, &why)) {
		eb_errf(e, "probe cache: %s", why.msg);
		goto out;
	}
	/* Then the other probe files, and any temporary one a crash left. */
	if ((dh = opendir(dir))) {
		struct dirent *de;

		while ((de = readdir(dh)))
			if (str_starts(de->d_name, "probe-") && strcmp(de->d_name, base))
				unlinkat(dirfd(dh), de->d_name, 0);
		closedir(dh);
	}
	ret = 0;
out:
	buf_free(&b);
	return ret;
}
