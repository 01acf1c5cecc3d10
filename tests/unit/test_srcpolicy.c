/* Unit tests for lib/srcpolicy: the protected table (is, below, contains),
 * the read-only exceptions, kernel-interface filesystems, resolving in a
 * fixture tree by fds, and links the workspace could have planted. */
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "srcpolicy.h"

static void test_protected(void)
{
	const char *extra[] = { "/tmp/ebt/d.sock", "/data/root/" };
	bool c;

	CHECK_STR(srcpol_protected("/", NULL, 0, &c), "/");
	CHECK(c);
	CHECK_STR(srcpol_protected("/proc/1/root", NULL, 0, &c), "/proc");
	CHECK(!c);
	CHECK_STR(srcpol_protected("/run", NULL, 0, &c), "/run/docker");
	CHECK(c);
	CHECK_STR(srcpol_protected("/var", NULL, 0, &c), "/var/run/docker");
	CHECK(c);
	CHECK_STR(srcpol_protected("/var/lib", NULL, 0, &c), "/var/lib/docker");
	CHECK(c);
	CHECK_STR(srcpol_protected("/run/docker.sock", NULL, 0, &c), "/run/docker.sock");
	CHECK(!c);
	CHECK_STR(srcpol_protected("/run/secrets/kubernetes.io", NULL, 0, &c), "/run/secrets");
	CHECK_STR(srcpol_protected("/etc", NULL, 0, &c), "/etc");
	CHECK_STR(srcpol_protected("/usr/src", NULL, 0, &c), "/usr");
	CHECK_STR(srcpol_protected("/var/lib/docker.bak/x", NULL, 0, &c), "/var/lib/docker.bak");
	/* Neighbours are not parents. */
	CHECK(srcpol_protected("/run/mysecret", NULL, 0, &c) == NULL);
	CHECK(srcpol_protected("/var/lib/coder/docker", NULL, 0, &c) == NULL);
	CHECK(srcpol_protected("/var/lib/dockerfiles", NULL, 0, &c) == NULL);
	CHECK(srcpol_protected("/devices", NULL, 0, &c) == NULL);
	CHECK(srcpol_protected("/home/coder", NULL, 0, &c) == NULL);
	CHECK(srcpol_protected("/tmp/x", NULL, 0, &c) == NULL);
	/* The caller's entries: is, below, contains. */
	CHECK_STR(srcpol_protected("/tmp/ebt", extra, 2, &c), "/tmp/ebt/d.sock");
	CHECK(c);
	CHECK_STR(srcpol_protected("/data/root/x", extra, 2, &c), "/data/root/");
	CHECK(!c);
	CHECK(srcpol_protected("/tmp/ebt2", extra, 2, &c) == NULL);
}

static void test_tables(void)
{
	CHECK(srcpol_ro_allowed("/usr/src"));
	CHECK(srcpol_ro_allowed("/usr/src/linux-headers"));
	CHECK(srcpol_ro_allowed("/lib/modules"));
	CHECK(srcpol_ro_allowed("/usr/lib/modules/6.1"));
	CHECK(!srcpol_ro_allowed("/usr"));
	CHECK(!srcpol_ro_allowed("/usr/srcx"));
	CHECK_STR(srcpol_pseudo_magic(PROC_SUPER_MAGIC), "proc");
	CHECK_STR(srcpol_pseudo_magic(CGROUP2_SUPER_MAGIC), "cgroup2");
	CHECK(srcpol_pseudo_magic(EXT4_SUPER_MAGIC) == NULL);
	CHECK(srcpol_pseudo_magic(TMPFS_MAGIC) == NULL);
	CHECK(srcpol_pseudo_type("devtmpfs"));
	CHECK(srcpol_pseudo_type("nsfs"));
	CHECK(!srcpol_pseudo_type("tmpfs"));
	CHECK(!srcpol_pseudo_type(NULL));
	CHECK(srcpol_under("/a/b", "/a"));
	CHECK(srcpol_under("/a", "/a/"));
	CHECK(srcpol_under("/a", "/"));
	CHECK(!srcpol_under("/ab", "/a"));
	CHECK(!srcpol_under("/a", "/a/b"));
}

/* --- a fixture tree -------------------------------------------------- */

static char root[64];
static struct srcpol_env env = { .rootfd = -1 };

/* A directory named "pseudo*" stands for a kernel-interface mount. */
static const char *fake_type(void *ctx, int fd, const char *path)
{
	(void)ctx;
	(void)fd;
	return strstr(path, "/pseudo") ? "proc" : "ext4";
}

static int resolve_check(const char *src, bool ro, struct srcpol_res *r, eb_err *e)
{
	if (srcpol_resolve(&env, src, r, e))
		return -1;
	if (srcpol_check(&env, r, ro, e)) {
		srcpol_res_free(r);
		return -1;
	}
	return 0;
}

static void setup(void)
{
	char tmpl[] = "/tmp/envbox-srcpol-XXXXXX";

	CHECK(mkdtemp(tmpl) != NULL);
	snprintf(root, sizeof root, "%s", tmpl);
	CHECK(chdir(root) == 0);
	CHECK(mkdir("run", 0755) == 0);
	CHECK(mkdir("run/docker", 0755) == 0);
	CHECK(mkdir("run/mysecret", 0755) == 0);
	CHECK(mkdir("var", 0755) == 0);
	CHECK(symlink("/run", "var/run") == 0);
	CHECK(mkdir("home", 0755) == 0);
	CHECK(mkdir("home/coder", 0755) == 0);
	CHECK(symlink("/run", "home/coder/data") == 0);
	CHECK(symlink("../../run/mysecret", "home/coder/rel") == 0);
	CHECK(mkdir("pseudofs", 0755) == 0);
	CHECK(symlink("loop", "loop") == 0);
	CHECK(symlink("nowhere", "dangling") == 0);
	env.rootfd = open(root, O_PATH | O_DIRECTORY);
	env.fstype = fake_type;
}

static void test_resolve(void)
{
	struct srcpol_res r[3];
	const char *written[3];
	size_t bad = 9;
	eb_err e;

	/* Through a trusted link, as the README's /var/run/mysecret. */
	CHECK(resolve_check("/var/run/mysecret", false, &r[0], &e) == 0);
	CHECK_STR(r[0].path, "/run/mysecret");
	CHECK(r[0].nlinks == 1 && !strcmp(r[0].links[0], "/var/run"));
	CHECK(r[0].create_from == 0 && S_ISDIR(r[0].st.st_mode));
	srcpol_res_free(&r[0]);

	/* Missing: created later from create_from; the fd is the parent's. */
	CHECK(resolve_check("/var/run/new/x", false, &r[0], &e) == 0);
	CHECK_STR(r[0].path, "/run/new/x");
	CHECK(r[0].create_from == strlen("/run/"));
	srcpol_res_free(&r[0]);

	/* The link resolves to a parent of a protected entry. */
	CHECK(resolve_check("/var/run", false, &r[0], &e) == -1);
	CHECK(strstr(e.msg, "refused: it contains /run/docker"));
	CHECK(resolve_check("/run/docker/x", false, &r[0], &e) == -1);
	CHECK(strstr(e.msg, "refused: it lies below /run/docker"));
	CHECK(resolve_check("/", false, &r[0], &e) == -1);
	CHECK(strstr(e.msg, "refused: / holds everything"));
	CHECK(resolve_check("/pseudofs", false, &r[0], &e) == -1);
	CHECK(strstr(e.msg, "on a proc filesystem"));

	CHECK(srcpol_resolve(&env, "/loop", &r[0], &e) == -1);
	CHECK(strstr(e.msg, "too many levels of symbolic links"));
	CHECK(srcpol_resolve(&env, "/dangling", &r[0], &e) == -1);
	CHECK(strstr(e.msg, "/nowhere is missing, reached through a symbolic link"));
	CHECK(srcpol_resolve(&env, "/home/../run", &r[0], &e) == -1);
	CHECK(strstr(e.msg, "\"..\""));
	CHECK(srcpol_resolve(&env, "relative", &r[0], &e) == -1);

	/* A link planted in a source the workspace can write: refused, on
	 * its own and through a relative link with "..". */
	written[0] = "/home/coder";
	written[1] = "/home/coder/data/mysecret";
	written[2] = "/home/coder/rel";
	CHECK(srcpol_resolve(&env, written[0], &r[0], &e) == 0);
	CHECK(srcpol_resolve(&env, written[1], &r[1], &e) == 0);
	CHECK_STR(r[1].path, "/run/mysecret");
	CHECK(srcpol_resolve(&env, written[2], &r[2], &e) == 0);
	CHECK_STR(r[2].path, "/run/mysecret");
	CHECK(srcpol_links_check(r, written, 3, &bad, &e) == -1 && bad == 1);
	CHECK(strstr(e.msg, "the symbolic link /home/coder/data lies in /home/coder"));
	CHECK(srcpol_links_check(r, written, 1, &bad, &e) == 0);
	/* Without /home/coder among the sources, the same link is followed. */
	CHECK(srcpol_links_check(r + 1, written + 1, 1, &bad, &e) == 0);
	/* A source that is itself a link is not inside what it binds. */
	CHECK(srcpol_links_check(r + 2, written + 2, 1, &bad, &e) == 0);
	for (int i = 0; i < 3; i++)
		srcpol_res_free(&r[i]);
}

int main(void)
{
	char *cmd;

	test_protected();
	test_tables();
	setup();
	test_resolve();
	close(env.rootfd);
	if (chdir("/") == 0) {
		cmd = malloc(strlen(root) + 16);
		sprintf(cmd, "rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "unable to remove %s\n", root);
		free(cmd);
	}
	return check_done("test_srcpolicy");
}
