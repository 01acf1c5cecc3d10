/* Unit tests for lib/util: buffers, lexical path cleaning, mkdir -p, the
 * atomic file write, reading a file (relative to a directory too) and the
 * line iterator. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "util.h"

static void clean(const char *in, const char *want)
{
	char *got = path_clean(in);

	CHECK_STR(got, want);
	free(got);
}

/* A new directory under /tmp; the tests cannot go on without one. */
static char *tmpdir(void)
{
	char tmpl[] = "/tmp/test_util.XXXXXX";

	if (!mkdtemp(tmpl)) {
		perror("test_util: mkdtemp");
		exit(1);
	}
	return xstrdup(tmpl);
}

static void rm_rf(const char *d)
{
	char *cmd = xasprintf("rm -rf '%s'", d);

	CHECK(system(cmd) == 0);
	free(cmd);
}

/* Entries of d whose name starts with prefix. */
static int count_entries(const char *d, const char *prefix)
{
	DIR *dh = opendir(d);
	struct dirent *de;
	int n = 0;

	if (!dh)
		return -1;
	while ((de = readdir(dh)))
		n += str_starts(de->d_name, prefix);
	closedir(dh);
	return n;
}

static void test_mkdir_p(void)
{
	char *d = tmpdir(), *p, *f;
	struct stat st;
	eb_err e;
	FILE *fh;

	/* Nested, every level new; a trailing and a doubled '/' are fine. */
	p = xasprintf("%s/a/b//c/", d);
	CHECK(mkdir_p(p, 0750, &e) == 0);
	free(p);
	p = xasprintf("%s/a/b/c", d);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode));
	/* Already there: nothing to do, no error. */
	CHECK(mkdir_p(p, 0750, &e) == 0);
	CHECK(mkdir_p(d, 0750, &e) == 0);
	CHECK(mkdir_p("/", 0755, &e) == 0);
	free(p);
	/* A file in the way, as the last part or above it: named. */
	f = xasprintf("%s/a/file", d);
	CHECK((fh = fopen(f, "w")) != NULL);
	if (fh)
		fclose(fh);
	e.msg[0] = 0;
	CHECK(mkdir_p(f, 0755, &e) == -1);
	p = xasprintf("unable to create %s: Not a directory", f);
	CHECK_STR(e.msg, p);
	free(p);
	p = xasprintf("%s/sub/dir", f);
	e.msg[0] = 0;
	CHECK(mkdir_p(p, 0755, &e) == -1);
	free(p);
	p = xasprintf("unable to create %s: ", f);
	CHECK(str_starts(e.msg, p));
	free(p);
	free(f);
	/* Relative to the working directory. */
	CHECK(chdir(d) == 0);
	CHECK(mkdir_p("r/s", 0755, &e) == 0);
	CHECK(stat("r/s", &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(chdir("/") == 0);
	rm_rf(d);
	free(d);
}

static void test_write_file_atomic(void)
{
	char *d = tmpdir(), *p, *q;
	struct stat st;
	buf b = { 0 };
	eb_err e;

	p = xasprintf("%s/f", d);
	/* New: content and mode as asked, whatever the umask. */
	CHECK(write_file_atomic(p, "one\n", 4, 0640, (uid_t)-1, (gid_t)-1, &e) == 0);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK(st.st_uid == geteuid());
	CHECK(read_file(p, 100, &b, &e) == 0);
	CHECK_STR(b.p, "one\n");
	buf_reset(&b);
	CHECK(count_entries(d, "f.") == 0);
	/* Existing: replaced, by a new inode (readers of the old keep it). */
	{
		ino_t old = st.st_ino;

		CHECK(write_file_atomic(p, "", 0, 0600, (uid_t)-1, (gid_t)-1, &e) == 0);
		CHECK(stat(p, &st) == 0 && st.st_size == 0 && st.st_ino != old);
		CHECK((st.st_mode & 07777) == 0600);
	}
	/* The owner, where we may set it. */
	if (geteuid() == 0) {
		CHECK(write_file_atomic(p, "x", 1, 0644, 12345, 23456, &e) == 0);
		CHECK(stat(p, &st) == 0 && st.st_uid == 12345 && st.st_gid == 23456);
		CHECK((st.st_mode & 07777) == 0644);
		/* -1 for one of them: that one as created. */
		CHECK(write_file_atomic(p, "x", 1, 0644, (uid_t)-1, 23456, &e) == 0);
		CHECK(stat(p, &st) == 0 && st.st_uid == 0 && st.st_gid == 23456);
	}
	/* A symlink at target is replaced by the file, its target untouched. */
	q = xasprintf("%s/link", d);
	CHECK(symlink("f", q) == 0);
	CHECK(write_file_atomic(q, "l", 1, 0644, (uid_t)-1, (gid_t)-1, &e) == 0);
	CHECK(lstat(q, &st) == 0 && S_ISREG(st.st_mode));
	CHECK(read_file(p, 100, &b, &e) == 0);
	CHECK_STR(b.p, "x");
	buf_reset(&b);
	free(q);
	/* A directory that is not there: an error naming the file. */
	q = xasprintf("%s/nope/f", d);
	e.msg[0] = 0;
	CHECK(write_file_atomic(q, "x", 1, 0644, (uid_t)-1, (gid_t)-1, &e) == -1);
	CHECK(strstr(e.msg, "nope/f") != NULL);
	free(q);
	/* A failure after the temporary file is made (a directory where the
	 * file goes: the rename fails) leaves no temporary file, nor a change. */
	q = xasprintf("%s/dir", d);
	CHECK(mkdir(q, 0755) == 0);
	e.msg[0] = 0;
	CHECK(write_file_atomic(q, "x", 1, 0644, (uid_t)-1, (gid_t)-1, &e) == -1);
	CHECK(strstr(e.msg, "unable to rename ") != NULL);
	CHECK(stat(q, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK(count_entries(d, "dir.") == 0);
	free(q);
	CHECK(count_entries(d, "f.") == 0 && count_entries(d, "link.") == 0);
	/* A relative target: the directory synced is ".". */
	CHECK(chdir(d) == 0);
	CHECK(write_file_atomic("rel", "r", 1, 0644, (uid_t)-1, (gid_t)-1, &e) == 0);
	CHECK(access("rel", F_OK) == 0);
	CHECK(chdir("/") == 0);
	free(p);
	buf_free(&b);
	rm_rf(d);
	free(d);
}

/* A file of n bytes of 'x' at path. */
static void put_file(const char *path, size_t n)
{
	buf b = { 0 };
	eb_err e;

	for (size_t i = 0; i < n; i++)
		buf_addc(&b, 'x');
	CHECK(write_file_atomic(path, b.p ? b.p : "", n, 0644, (uid_t)-1, (gid_t)-1, &e) == 0);
	buf_free(&b);
}

static void test_read_file_at(void)
{
	char *d = tmpdir(), *p;
	int dir = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	buf b = { 0 };
	eb_err e;

	CHECK(dir >= 0);
	p = xasprintf("%s/f", d);
	put_file(p, 5);
	/* Relative to dir; appended to what out holds. */
	buf_adds(&b, "<");
	CHECK(read_file_at(dir, "f", 100, &b, &e) == 0);
	CHECK_STR(b.p, "<xxxxx");
	CHECK(b.len == 6);
	buf_free(&b);
	/* Empty: "" rather than NULL. */
	free(p);
	p = xasprintf("%s/empty", d);
	put_file(p, 0);
	CHECK(read_file_at(dir, "empty", 100, &b, &e) == 0);
	CHECK(b.p && b.len == 0 && !b.p[0]);
	buf_free(&b);
	/* Exactly max is fine; one byte more is EFBIG, named. */
	CHECK(read_file_at(dir, "f", 5, &b, &e) == 0 && b.len == 5);
	buf_free(&b);
	errno = 0;
	CHECK(read_file_at(dir, "f", 4, &b, &e) == -1 && errno == EFBIG);
	CHECK_STR(e.msg, "f: larger than 4 bytes");
	buf_free(&b);
	/* A link is not followed (read_file follows it). */
	free(p);
	p = xasprintf("%s/link", d);
	CHECK(symlink("f", p) == 0);
	errno = 0;
	CHECK(read_file_at(dir, "link", 100, &b, &e) == -1 && errno == ELOOP);
	CHECK(strstr(e.msg, "unable to open link: ") == e.msg);
	buf_free(&b);
	CHECK(read_file(p, 100, &b, &e) == 0);
	CHECK_STR(b.p, "xxxxx");
	buf_free(&b);
	/* Missing: ENOENT, the name in the message. */
	errno = 0;
	CHECK(read_file_at(dir, "nope", 100, &b, &e) == -1 && errno == ENOENT);
	CHECK(strstr(e.msg, "unable to open nope: ") == e.msg);
	CHECK(read_file(d, 100, &b, &e) == -1 && errno == EISDIR);
	buf_free(&b);
	/* AT_FDCWD: relative to the working directory. */
	CHECK(chdir(d) == 0);
	CHECK(read_file_at(AT_FDCWD, "f", 100, &b, &e) == 0);
	CHECK_STR(b.p, "xxxxx");
	CHECK(chdir("/") == 0);
	buf_free(&b);
	close(dir);
	free(p);
	rm_rf(d);
	free(d);
}

/* Every line of s (bounded by len) joined as "[line]". */
static void lines(const char *s, size_t len, const char *want)
{
	const char *p = s, *line;
	size_t n;
	buf b = { 0 };

	while (line_next(&p, s + len, &line, &n)) {
		buf_addc(&b, '[');
		buf_add(&b, line, n);
		buf_addc(&b, ']');
	}
	CHECK(p == s + len);
	CHECK_STR(b.p ? b.p : "", want);
	buf_free(&b);
}

static void test_line_next(void)
{
	lines("", 0, "");
	lines("\n", 1, "[]");
	lines("a", 1, "[a]");
	lines("a\n", 2, "[a]");
	lines("a\nb", 3, "[a][b]");
	lines("a\n\nb\n", 5, "[a][][b]");
	lines("\n\n", 2, "[][]");
	/* CRLF: the '\r' is the caller's to drop. */
	lines("a\r\nb\r\n", 6, "[a\r][b\r]");
	/* Bounded by the length: what follows is not read. */
	lines("ab\ncd", 4, "[ab][c]");
	/* A NUL is a byte of its line, not the end. */
	{
		const char s[] = "a\0b\nc";
		const char *p = s, *line;
		size_t n;

		CHECK(line_next(&p, s + 5, &line, &n) && n == 3 && line == s);
		CHECK(line_next(&p, s + 5, &line, &n) && n == 1 && *line == 'c');
		CHECK(!line_next(&p, s + 5, &line, &n));
	}
}

int main(void)
{
	buf b = { 0 };
	char *s;

	clean("/", "/");
	clean("", "/");
	clean("//usr///lib/", "/usr/lib");
	clean("/usr/./lib/.", "/usr/lib");
	clean("/a/b/../c/..", "/a");
	clean("/../../x", "/x");
	clean("a/b", "/a/b");
	clean("/a/..b/c..", "/a/..b/c..");
	clean("/a/b/../../..", "/");

	buf_printf(&b, "%s-%d", "x", 42);
	buf_addc(&b, '!');
	CHECK_STR(b.p, "x-42!");
	CHECK(b.len == 5);
	s = buf_steal(&b);
	CHECK(b.p == NULL && b.len == 0);
	CHECK_STR(s, "x-42!");
	free(s);
	s = buf_steal(&b);
	CHECK_STR(s, "");
	free(s);
	CHECK(str_starts("envbox-docker", "envbox-") && !str_starts("env", "envbox"));
	CHECK(str_ends("a.crt", ".crt") && !str_ends("t", ".crt"));
	test_mkdir_p();
	test_write_file_atomic();
	test_read_file_at();
	test_line_next();
	return check_done("test_util");
}
