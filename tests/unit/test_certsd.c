/* Unit tests for lib/certsd: what --from lists, the install into
 * DIR/<registry> (names, modes, contents), a target that appears
 * meanwhile, a copy that fails; nothing left behind but the target. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certsd.h"
#include "check.h"

#define REG "reg.example:5000"

static char root[] = "/tmp/envbox-certsd-XXXXXX";

static char *at(const char *rel)
{
	return xasprintf("%s/%s", root, rel);
}

static void put(const char *rel, const char *text)
{
	char *p = at(rel);
	FILE *f = fopen(p, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(p);
}

static void mkd(const char *rel)
{
	char *p = at(rel);

	CHECK(mkdir(p, 0755) == 0);
	free(p);
}

/* The entries of directory rel, "a b c" (sorted, no . or ..). */
static char *entries(const char *rel)
{
	char *p = at(rel);
	struct dirent **ents;
	int n = scandir(p, &ents, NULL, alphasort);
	buf b = { 0 };

	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			buf_printf(&b, "%s%s", b.len ? " " : "", ents[i]->d_name);
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	free(p);
	return buf_steal(&b);
}

static void has(const char *rel, const char *text, unsigned mode)
{
	char *p = at(rel);
	buf b = { 0 };
	struct stat st;
	eb_err e;

	CHECK(read_file(p, 1 << 20, &b, &e) == 0);
	CHECK_STR(b.p ? b.p : "", text);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == mode);
	buf_free(&b);
	free(p);
}

static void test_present(void)
{
	char *p;
	eb_err e;

	p = at("nothing");
	CHECK(certsd_present(p, &e) == 0);
	free(p);
	p = at("ca.pem");
	CHECK(certsd_present(p, &e) == 1);
	free(p);
	/* A dangling link is something there. */
	p = at("dangling");
	CHECK(symlink("nowhere", p) == 0);
	CHECK(certsd_present(p, &e) == 1);
	free(p);
	p = at("ca.pem/x");
	CHECK(certsd_present(p, &e) == -1);
	CHECK(strstr(e.msg, "unable to inspect ") && strstr(e.msg, "ca.pem/x: "));
	free(p);
}

static void lists(const char *rel, const char *want)
{
	char *p = at(rel);
	struct auth_cert *v;
	size_t n;
	buf b = { 0 };
	eb_err e = { "" };

	CHECK(certsd_list(p, &v, &n, &e) == 0);
	if (*e.msg)
		fprintf(stderr, "  %s: %s\n", rel, e.msg);
	for (size_t i = 0; i < n; i++) {
		char *src = at(rel);
		bool file = !strcmp(v[i].src, src);

		buf_printf(&b, "%s%s<%s", b.len ? " " : "", v[i].name,
			   file ? "" : strrchr(v[i].src, '/') + 1);
		free(src);
	}
	CHECK_STR(b.p, want);
	buf_free(&b);
	auth_certs_free(v, n);
	free(p);
}

static void list_fails(const char *rel, const char *want)
{
	char *p = at(rel), *prefix = xasprintf("--from %s: ", p);
	struct auth_cert *v;
	size_t n;
	eb_err e = { "" };

	CHECK(certsd_list(p, &v, &n, &e) == -1);
	CHECK(str_starts(e.msg, prefix) && strstr(e.msg, want));
	if (!str_starts(e.msg, prefix) || !strstr(e.msg, want))
		fprintf(stderr, "  %s: want \"%s\": %s\n", rel, want, e.msg);
	auth_certs_free(v, n);
	free(prefix);
	free(p);
}

static void test_list(void)
{
	char *p;

	/* A file is the CA. */
	lists("ca.pem", "ca.crt<");
	/* A directory: its files by name, ".crt" added where dockerd wants
	 * it, hidden ones and subdirectories skipped, links followed. */
	mkd("dir");
	put("dir/a.crt", "A\n");
	put("dir/b.pem", "B\n");
	put("dir/client.cert", "CERT\n");
	put("dir/client.key", "KEY\n");
	put("dir/.hidden", "H\n");
	mkd("dir/sub");
	p = at("dir/linked");
	CHECK(symlink("../ca.pem", p) == 0);
	free(p);
	lists("dir", "a.crt<a.crt b.pem.crt<b.pem client.cert<client.cert "
		     "client.key<client.key linked.crt<linked");

	list_fails("nothing", strerror(ENOENT));
	mkd("empty");
	list_fails("empty", "no regular files in the directory");
	mkd("unpaired");
	put("unpaired/x.key", "KEY\n");
	list_fails("unpaired", "x.key has no x.cert beside it");
	mkd("clash");
	put("clash/a", "1\n");
	put("clash/a.crt", "2\n");
	list_fails("clash", "two files would be installed as a.crt");
	p = at("fifo");
	CHECK(mkfifo(p, 0600) == 0);
	free(p);
	list_fails("fifo", "not a file or a directory");
}

static void test_install(void)
{
	char *dir = at("certs.d/deeper"), *from = at("dir");
	struct auth_cert *v, bad[2];
	size_t n;
	eb_err e = { "" };

	CHECK(certsd_list(from, &v, &n, &e) == 0);
	/* The directory is made; the set appears under the registry. */
	CHECK(certsd_install(dir, REG, v, n, &e) == CERTSD_INSTALLED);
	if (*e.msg)
		fprintf(stderr, "  install: %s\n", e.msg);
	{
		char *got = entries("certs.d/deeper");

		CHECK_STR(got, REG);
		free(got);
		got = entries("certs.d/deeper/" REG);
		CHECK_STR(got, "a.crt b.pem.crt client.cert client.key linked.crt");
		free(got);
	}
	has("certs.d/deeper/" REG "/a.crt", "A\n", 0644);
	has("certs.d/deeper/" REG "/b.pem.crt", "B\n", 0644);
	has("certs.d/deeper/" REG "/client.key", "KEY\n", 0600);
	has("certs.d/deeper/" REG "/linked.crt", "CA\n", 0644);
	{
		char *p = at("certs.d/deeper/" REG);
		struct stat st;

		CHECK(lstat(p, &st) == 0 && S_ISDIR(st.st_mode) &&
		      (st.st_mode & 07777) == 0755);
		free(p);
	}

	/* There already (it appeared after the caller looked): left as it
	 * is, and the new directory gone. */
	put("dir/a.crt", "CHANGED\n");
	CHECK(certsd_install(dir, REG, v, n, &e) == CERTSD_PRESENT);
	has("certs.d/deeper/" REG "/a.crt", "A\n", 0644);
	{
		char *got = entries("certs.d/deeper");

		CHECK_STR(got, REG);
		free(got);
	}
	auth_certs_free(v, n);

	/* A copy that fails: an error naming the file; nothing installed,
	 * nothing left. */
	bad[0] = (struct auth_cert){ at("ca.pem"), "ca.crt" };
	bad[1] = (struct auth_cert){ at("gone.pem"), "gone.crt" };
	CHECK(certsd_install(dir, "other", bad, 2, &e) == -1);
	CHECK(str_starts(e.msg, "unable to open ") && strstr(e.msg, "gone.pem: "));
	{
		char *got = entries("certs.d/deeper");

		CHECK_STR(got, REG);
		free(got);
	}
	free(bad[0].src);
	free(bad[1].src);

	/* DIR is a file. */
	{
		char *file = at("ca.pem");
		struct auth_cert one = { file, "ca.crt" };

		CHECK(certsd_install(file, REG, &one, 1, &e) == -1);
		CHECK(strstr(e.msg, "ca.pem") != NULL);
		free(file);
	}
	free(dir);
	free(from);
}

int main(void)
{
	char *rm;

	umask(022);
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	put("ca.pem", "CA\n");
	test_present();
	test_list();
	test_install();
	rm = xasprintf("rm -rf '%s'", root);
	CHECK(system(rm) == 0);
	free(rm);
	return check_done("test_certsd");
}
