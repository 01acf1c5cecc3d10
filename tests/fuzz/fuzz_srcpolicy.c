/* libFuzzer target for lib/srcpolicy: random source paths, made of the
 * names of a fixture tree that holds protected directories, system-like and
 * planted symbolic links (absolute, relative, "..", loops) and a stand-in
 * for a kernel-interface mount. Whatever the policy allows is checked
 * against an oracle of its own: the kernel resolves the path in the tree
 * (openat2 RESOLVE_IN_ROOT), and the place it reaches must be the one the
 * policy resolved, and must neither be, contain nor lie below a protected
 * directory, nor be on the stand-in. Any allowed protected path aborts.
 *
 * Input: one byte of flags (bit 0: ro; bit 1: run the links check with
 * /home/coder as a second source), then components, one byte each, picked
 * from names[]; a byte past the table ends the path. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "srcpolicy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
	"run", "docker", "mysecret", "var", "lib", "etc", "usr", "src", "proc",
	"home", "coder", "data", "up", "abs", "pseudofs", "x", "loop", ".", "..",
	"", "lrun", "lvarlib", "ldot", "docker.sock", "dev", "new",
};

/* The oracle's own list: what must never be allowed (fixture paths). */
static const char *const forbidden[] = {
	"/run/docker", "/run/docker.sock", "/var/lib/docker", "/etc", "/usr",
	"/proc", "/dev",
};

static char root[64];
static int rootfd = -1;

static const char *fake_type(void *ctx, int fd, const char *path)
{
	(void)ctx;
	(void)fd;
	return !strncmp(path, "/pseudofs", 9) && (!path[9] || path[9] == '/') ? "proc"
									       : "ext4";
}

static void mk(const char *d)
{
	char p[256];

	snprintf(p, sizeof p, "%s/%s", root, d);
	if (mkdir(p, 0755) && errno != EEXIST)
		abort();
}

static void ln(const char *target, const char *at)
{
	char p[256];

	snprintf(p, sizeof p, "%s/%s", root, at);
	if (symlink(target, p))
		abort();
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "unable to remove %s\n", root);
}

static void setup(void)
{
	char tmpl[] = "/tmp/fuzz-srcpol-XXXXXX";

	if (!mkdtemp(tmpl))
		abort();
	snprintf(root, sizeof root, "%s", tmpl);
	mk("run");
	mk("run/docker");
	mk("run/mysecret");
	mk("var");
	mk("var/lib");
	mk("var/lib/docker");
	mk("var/lib/coder");
	mk("etc");
	mk("usr");
	mk("usr/src");
	mk("proc");
	mk("dev");
	mk("home");
	mk("home/coder");
	mk("pseudofs");
	mk("pseudofs/x");
	ln("/run", "var/run");
	ln("/run", "home/coder/data");
	ln("../../var/lib", "home/coder/up");
	ln("/etc", "home/coder/abs");
	ln("loop", "loop");
	ln("run", "lrun");
	ln("/var/lib", "lvarlib");
	ln(".", "ldot");
	ln("/pseudofs", "home/coder/x");
	rootfd = open(root, O_PATH | O_DIRECTORY);
	if (rootfd < 0)
		abort();
	atexit(cleanup);
}

static bool under(const char *a, const char *b)
{
	size_t n = strlen(b);

	if (n > 1 && b[n - 1] == '/') /* "dir/": strictly below */
		return !strncmp(a, b, n) && a[n];
	return !strncmp(a, b, n) && (a[n] == 0 || a[n] == '/');
}

/* Where the kernel says path leads inside the tree, "" when it does not
 * exist; NULL when it cannot say (then nothing is checked). */
static char *oracle(const char *path)
{
	struct open_how how = { .flags = O_PATH, .resolve = RESOLVE_IN_ROOT };
	char link[64], real[512];
	ssize_t n;
	int fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);

	if (fd < 0)
		return errno == ENOENT ? strdup("") : NULL;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof real - 1);
	close(fd);
	if (n < 0)
		return NULL;
	real[n] = 0;
	if (!under(real, root))
		abort(); /* RESOLVE_IN_ROOT left the tree: cannot be */
	return strdup(real[strlen(root)] ? real + strlen(root) : "/");
}

static void judge(const char *where)
{
	for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++)
		if (under(where, forbidden[i]) || under(forbidden[i], where))
			abort(); /* allowed: is, below or contains a protected path */
	if (!strcmp(where, "/") || under(where, "/pseudofs"))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct srcpol_env env = { .fstype = fake_type };
	struct srcpol_res r[2];
	const char *written[2] = { NULL, "/home/coder" };
	char path[1024] = "";
	size_t len = 0, bad;
	bool ro, two;
	eb_err e;
	char *want;

	if (rootfd < 0)
		setup();
	if (size < 1)
		return 0;
	ro = data[0] & 1;
	two = data[0] & 2;
	for (size_t i = 1; i < size && i < 40; i++) {
		if (data[i] >= sizeof names / sizeof *names)
			break;
		len += (size_t)snprintf(path + len, sizeof path - len, "/%s", names[data[i]]);
	}
	if (!len)
		snprintf(path, sizeof path, "/");
	env.rootfd = rootfd;
	written[0] = path;

	if (srcpol_check_path(&env, path, ro, &e) == 0 &&
	    srcpol_resolve(&env, path, &r[0], &e) == 0) {
		int rc = srcpol_check(&env, &r[0], ro, &e);

		if (rc == 0 && two) {
			if (srcpol_resolve(&env, written[1], &r[1], &e))
				abort();
			rc = srcpol_links_check(r, written, 2, &bad, &e);
			srcpol_res_free(&r[1]);
			/* A link below /home/coder, followed, is never allowed. */
			for (size_t k = 0; rc == 0 && k < r[0].nlinks; k++)
				if (under(r[0].links[k], "/home/coder/"))
					abort();
		}
		if (rc == 0) {
			/* The read-only exception is the one protected place. */
			if (!(ro && under(r[0].path, "/usr/src")))
				judge(r[0].path);
			want = r[0].create_from ? NULL : oracle(path);
			if (want && *want && strcmp(want, r[0].path))
				abort(); /* the policy resolved elsewhere than the kernel */
			free(want);
		}
		srcpol_res_free(&r[0]);
	}
	return 0;
}
