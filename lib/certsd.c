/* certsd: CA certificates copied into dockerd's certs.d, all at once. */
#include "certsd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int certsd_present(const char *path, eb_err *e)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	eb_errf(e, "unable to inspect %s: %s", path, strerror(errno));
	return -1;
}

int certsd_list(const char *from, struct auth_cert **out, size_t *n, eb_err *e)
{
	char **names, **paths;
	struct stat st;
	struct auth_cert *v = NULL;
	size_t k = 0, m;
	eb_err why;

	*out = NULL;
	*n = 0;
	if (stat(from, &st)) {
		eb_errf(e, "--from %s: %s", from, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		v = xmalloc(sizeof *v);
		v[0] = (struct auth_cert){ xstrdup(from), xstrdup(AUTH_CERT_CA) };
		*out = v;
		*n = 1;
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		eb_errf(e, "--from %s: not a file or a directory", from);
		return -1;
	}
	if (auth_cert_files(from, &names, &paths, &m, &why)) {
		eb_errf(e, "--from %s: unable to read the directory: %s", from, why.msg);
		return -1;
	}
	v = xcalloc(m + 1, sizeof *v);
	for (size_t i = 0; i < m; i++) {
		v[k].name = auth_cert_name(names[i]);
		v[k].src = paths[i];
		paths[i] = NULL;
		k++;
	}
	auth_cert_files_free(names, paths, m);
	*out = v;
	*n = k;
	if (k == 0) {
		eb_errf(e, "--from %s: no regular files in the directory", from);
		return -1;
	}
	if (auth_certs_check(v, k, e)) {
		why = *e;
		eb_errf(e, "--from %s: %s", from, why.msg);
		return -1;
	}
	return 0;
}

/* A new file, dst, in the directory certsd_install has just made for
 * itself: not write_file_atomic, as nothing else can see dst, and the
 * directory rename at the end is what makes the whole set appear at once. */
static int copy_file(const char *src, const char *dst, mode_t mode, eb_err *e)
{
	char chunk[8192];
	int in, out, rc = -1;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		eb_errf(e, "unable to open %s: %s", src, strerror(errno));
		return -1;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		eb_errf(e, "unable to create %s: %s", dst, strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			eb_errf(e, "unable to read %s: %s", src, strerror(errno));
			goto out;
		}
		if (fd_write_all(out, chunk, (size_t)n)) {
			eb_errf(e, "unable to write %s: %s", dst, strerror(errno));
			goto out;
		}
	}
	if (fsync(out)) {
		eb_errf(e, "unable to write %s: %s", dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (close(out) && rc == 0) {
		eb_errf(e, "unable to write %s: %s", dst, strerror(errno));
		rc = -1;
	}
	close(in);
	return rc;
}

static void remove_tmp(const char *tmp, const struct auth_cert *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *f = xasprintf("%s/%s", tmp, v[i].name);

		unlink(f);
		free(f);
	}
	rmdir(tmp);
}

int certsd_install(const char *dir, const char *registry, const struct auth_cert *v,
		   size_t n, eb_err *e)
{
	char *target, *tmp;
	int rc = -1;

	if (mkdir_p(dir, 0755, e))
		return -1;
	tmp = xasprintf("%s/.%s.XXXXXX", dir, registry);
	if (!mkdtemp(tmp)) {
		eb_errf(e, "unable to create a directory in %s: %s", dir, strerror(errno));
		free(tmp);
		return -1;
	}
	target = xasprintf("%s/%s", dir, registry);
	for (size_t i = 0; i < n; i++) {
		char *dst = xasprintf("%s/%s", tmp, v[i].name);
		int failed = copy_file(v[i].src, dst, auth_cert_mode(v[i].name), e);

		free(dst);
		if (failed)
			goto fail;
	}
	if (chmod(tmp, 0755)) {
		eb_errf(e, "unable to chmod %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, target, RENAME_NOREPLACE) &&
	    ((errno != EINVAL && errno != ENOSYS) || rename(tmp, target))) {
		int err = errno;

		if (err == EEXIST || err == ENOTEMPTY)
			rc = CERTSD_PRESENT;
		else
			eb_errf(e, "unable to rename %s to %s: %s", tmp, target, strerror(err));
		goto fail;
	}
	rc = CERTSD_INSTALLED;
	goto out;
fail:
	remove_tmp(tmp, v, n);
out:
	free(target);
	free(tmp);
	return rc;
}
