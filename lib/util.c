/* util: error values, growable buffers, allocation that aborts on OOM,
 * and the few file and text chores every part needs. */
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void eb_errf(eb_err *e, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

static void oom(void)
{
	fputs("envbox: fatal: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *p;

	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

static void buf_grow(buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap *= 2;
	b->p = xrealloc(b->p, b->cap);
}

void buf_add(buf *b, const void *data, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = 0;
}

void buf_adds(buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addc(buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_printf(buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void buf_reset(buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = 0;
}

void buf_free(buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *buf_steal(buf *b)
{
	char *p = b->p ? b->p : xstrdup("");

	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

bool str_starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

char *path_clean(const char *path)
{
	buf b = { 0 };

	buf_addc(&b, '/');
	while (*path) {
		size_t n;

		path += strspn(path, "/");
		n = strcspn(path, "/");
		if (n == 0 || (n == 1 && path[0] == '.')) {
			/* nothing */
		} else if (n == 2 && path[0] == '.' && path[1] == '.') {
			/* Back to the previous '/', never above the root. */
			while (b.len > 1 && b.p[b.len - 1] != '/')
				b.len--;
			if (b.len > 1)
				b.len--;
			b.p[b.len] = 0;
		} else {
			if (b.len > 1)
				buf_addc(&b, '/');
			buf_add(&b, path, n);
		}
		path += n;
	}
	return buf_steal(&b);
}

/* read_file and read_file_at after their open: fd (-1: the open failed,
 * errno says why) read to its end and closed. shown names the file in e;
 * errno is left saying why on failure (EFBIG: past max). */
static int read_opened(int fd, const char *shown, size_t max, buf *out, eb_err *e)
{
	char chunk[8192];
	ssize_t n;
	int err = 0;

	if (fd < 0) {
		err = errno;
		eb_errf(e, "unable to open %s: %s", shown, strerror(err));
		errno = err;
		return -1;
	}
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			eb_errf(e, "unable to read %s: %s", shown, strerror(err));
			break;
		}
		if (out->len + (size_t)n > max) {
			err = EFBIG;
			eb_errf(e, "%s: larger than %zu bytes", shown, max);
			break;
		}
		buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	if (err) {
		errno = err;
		return -1;
	}
	if (!out->p)
		buf_add(out, "", 0);
	return 0;
}

/* Not read_file_at(AT_FDCWD, ...): a link at path is followed here (the
 * os-release file is one on most images), never there. */
int read_file(const char *path, size_t max, buf *out, eb_err *e)
{
	return read_opened(open(path, O_RDONLY | O_CLOEXEC), path, max, out, e);
}

int read_file_at(int dirfd, const char *name, size_t max, buf *out, eb_err *e)
{
	return read_opened(openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC),
			   name, max, out, e);
}

int fd_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int mkdir_p(const char *path, mode_t mode, eb_err *e)
{
	char *p = xstrdup(path);
	struct stat st;
	int rc = 0;

	/* Each prefix ending before a '/' (the leading one aside), then the
	 * whole path: "a//b/" tries "a", "a/", "a//b", "a//b/", all harmless. */
	for (char *s = p;; s++) {
		char c = *s;

		if (c && (c != '/' || s == p))
			continue;
		*s = 0;
		if (mkdir(p, mode) == 0) {
			/* made */
		} else if (errno != EEXIST || stat(p, &st)) {
			eb_errf(e, "unable to create %s: %s", p, strerror(errno));
			rc = -1;
		} else if (!S_ISDIR(st.st_mode)) {
			eb_errf(e, "unable to create %s: %s", p, strerror(ENOTDIR));
			rc = -1;
		}
		*s = c;
		if (!c || rc)
			break;
	}
	free(p);
	return rc;
}

int write_file_atomic(const char *target, const void *data, size_t len, mode_t mode,
		      uid_t uid, gid_t gid, eb_err *e)
{
	char *tmp = xasprintf("%s.envbox-XXXXXX", target), *dir, *slash;
	int fd, dfd;

	/* mkostemp opens O_RDWR | O_CREAT | O_EXCL with a name of its own: a
	 * link planted at the name is never followed, nor a file reused. */
	fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		eb_errf(e, "unable to create a temporary file next to %s: %s", target,
			strerror(errno));
		free(tmp);
		return -1;
	}
	/* Owner first: a chown clears set-id bits the mode may ask for. */
	if (((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid)) ||
	    fchmod(fd, mode)) {
		eb_errf(e, "unable to set the owner and mode of %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fd_write_all(fd, data, len)) {
		eb_errf(e, "unable to write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (fsync(fd)) {
		eb_errf(e, "unable to sync %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (close(fd)) {
		fd = -1;
		eb_errf(e, "unable to write %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, target)) {
		eb_errf(e, "unable to rename %s to %s: %s", tmp, target, strerror(errno));
		goto fail;
	}
	/* The rename itself is durable once the directory is synced; that is
	 * best effort: the new file is in place either way. */
	dir = xstrdup(target);
	slash = strrchr(dir, '/');
	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
	free(tmp);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return -1;
}

bool line_next(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl;

	if (*p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*line = *p;
	*len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	*p = nl ? nl + 1 : end;
	return true;
}

char *url_redacted(const char *url)
{
	const char *sep = strstr(url, "://");
	size_t start = sep ? (size_t)(sep - url) + 3 : 0;
	size_t end = start + strcspn(url + start, "/?#");
	size_t at = end;

	while (at > start && url[at - 1] != '@')
		at--;
	if (at == start)
		return xstrdup(url);
	return xasprintf("%.*s***@%s", (int)start, url, url + at);
}

const char *str_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return s;
	return NULL;
}

long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *prefix_path(const char *exe, const char *under_prefix, const char *fallback)
{
	const char *slash = exe ? strrchr(exe, '/') : NULL;
	size_t n;

	if (!slash || exe[0] != '/')
		return xstrdup(fallback);
	/* The directory above the binary's: /usr/local for /usr/local/bin/x. */
	n = (size_t)(slash - exe);
	while (n > 0 && exe[n - 1] != '/')
		n--;
	if (n == 0) /* a binary in "/": the prefix is "/" */
		return xasprintf("/%s", under_prefix);
	return xasprintf("%.*s%s", (int)n, exe, under_prefix);
}

char *installed_path(const char *under_prefix, const char *fallback)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n <= 0)
		return xstrdup(fallback);
	exe[n] = 0;
	return prefix_path(exe, under_prefix, fallback);
}
