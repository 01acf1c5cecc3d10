/* Unit tests for lib/prepare: the private table, home detection, shifted
 * IDs, remount flags, the --idmap-dir choice (a made-up probe), and plans
 * over a scratch tree with a made-up mount table (a plan changes nothing,
 * so no root is needed). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "prepare.h"

static void test_private(void)
{
	CHECK(prepare_private_dst("/var/lib/docker"));
	CHECK(prepare_private_dst("/var/lib/docker/"));
	CHECK(prepare_private_dst("/var/lib/containers"));
	CHECK(prepare_private_dst("/var/lib/sysbox"));
	CHECK(prepare_private_dst("/lib/modules"));
	CHECK(prepare_private_dst("/usr/src"));
	CHECK(prepare_private_dst("/var/lib/coder"));
	/* Exact targets only, as the original. */
	CHECK(!prepare_private_dst("/var/lib/docker/volumes"));
	CHECK(!prepare_private_dst("/var/lib"));
	CHECK(!prepare_private_dst("/var/lib/dockerd"));
	CHECK(!prepare_private_dst("/usr/src2"));
	CHECK(!prepare_private_dst("/"));
	CHECK(!prepare_private_dst("/home/coder"));
}

static void test_home(void)
{
	CHECK(prepare_home_path("/root"));
	CHECK(prepare_home_path("/root/"));
	CHECK(prepare_home_path("/home/coder"));
	CHECK(prepare_home_path("/home/coder/"));
	CHECK(prepare_home_path("//home//coder"));
	CHECK(prepare_home_path("/home/./coder"));
	CHECK(!prepare_home_path("/home"));
	CHECK(!prepare_home_path("/home/"));
	CHECK(!prepare_home_path("/home/coder/src"));
	CHECK(!prepare_home_path("/home/.."));
	CHECK(!prepare_home_path("/root/x"));
	CHECK(!prepare_home_path("/rooted"));
	CHECK(!prepare_home_path("/data/home/coder"));
	CHECK(!prepare_home_path("home/coder"));
	CHECK(!prepare_home_path("/"));

	CHECK(prepare_same_path("/home/coder", "/home/coder/"));
	CHECK(prepare_same_path("/home//coder", "/home/./coder"));
	CHECK(prepare_same_path("/", "//"));
	CHECK(!prepare_same_path("/home/coder", "/home/code"));
	CHECK(!prepare_same_path("/home/coder", "/home/coder/x"));
	CHECK(!prepare_same_path("/a/../b", "/b")); /* ".." is not folded */
	CHECK(!prepare_same_path("a", "a"));
}

static void test_shift(void)
{
	uint32_t v = 7;
	eb_err e;

	CHECK(prepare_shift("uid", 0, 100000, &v, &e) == 0 && v == 100000);
	CHECK(prepare_shift("uid", 1000, 100000, &v, &e) == 0 && v == 101000);
	CHECK(prepare_shift("uid", 1000, 0, &v, &e) == 0 && v == 1000);
	CHECK(prepare_shift("uid", PREPARE_ID_MAX - 100000, 100000, &v, &e) == 0 &&
	      v == PREPARE_ID_MAX);
	v = 7;
	CHECK(prepare_shift("uid", PREPARE_ID_MAX - 99999, 100000, &v, &e) == -1 && v == 7);
	CHECK_STR(e.msg, "uid 4294867295 + offset 100000 is past the largest ID 4294967294");
	CHECK(prepare_shift("gid", 4294967295u, 0, &v, &e) == -1);
	CHECK(prepare_shift("gid", UINT64_MAX, UINT64_MAX, &v, &e) == -1);
	CHECK_STR(e.msg, "gid 18446744073709551615 + offset 18446744073709551615 "
		  "is past the largest ID 4294967294");
}

static void test_flags(void)
{
	CHECK(prepare_mount_flags("ro,nosuid,nodev,relatime") == (MS_NOSUID | MS_NODEV));
	CHECK(prepare_mount_flags("rw,noexec,nosymfollow,noatime") ==
	      (MS_NOEXEC | MS_NOSYMFOLLOW));
	CHECK(prepare_mount_flags("ro") == 0);
	CHECK(prepare_super_flags("ro,size=1024k") == 0);
	CHECK(prepare_super_flags("ro,sync,lazytime") == (MS_SYNCHRONOUS | MS_LAZYTIME));
	CHECK(prepare_super_flags("rw,synchronous") == 0);
}

/* --- plans over a scratch tree --------------------------------------- */

static char root[64];
static struct mountinfo mi;
static struct prepare_plan plan;
static eb_err err;
static const struct prepare_opts opts = { .uid = 1000, .gid = 1001, .offset = 100000,
					  .home = "/home/coder" };

static char *at(const char *rel)
{
	return xasprintf("%s/%s", root, rel);
}

/* What plan1 plans with: opts, unless a test says otherwise. */
static const struct prepare_opts *plan_opts = &opts;

/* Plans one bind SRC DST rw (SRC relative to root unless absolute);
 * returns its step, or NULL with err filled. */
static const struct prepare_step *plan1(const char *src, const char *dst)
{
	static struct spec s;

	prepare_plan_free(&plan);
	free(s.src);
	s = (struct spec){ .kind = SPEC_BIND, .dst = (char *)dst };
	s.src = src[0] == '/' ? xstrdup(src) : at(src);
	if (prepare_plan(&plan, plan_opts, &s, 1, &mi, &err))
		return NULL;
	return &plan.v[0];
}

static bool exists(const char *rel)
{
	struct stat st;
	char *p = at(rel);
	bool r = lstat(p, &st) == 0;

	free(p);
	return r;
}

static void setup(void)
{
	buf t = { 0 };
	char tmpl[] = "/tmp/envbox-prepare-XXXXXX", *real;
	eb_err e;
	int fd;

	CHECK(mkdtemp(tmpl) != NULL);
	real = realpath(tmpl, NULL);
	snprintf(root, sizeof root, "%s", real);
	free(real);
	CHECK(chdir(root) == 0);
	CHECK(mkdir("dir", 0700) == 0);
	CHECK(mkdir("ro", 0755) == 0);
	CHECK(mkdir("ro/sub", 0755) == 0);
	CHECK(mkdir("robind", 0755) == 0);
	CHECK(mkdir("rosb", 0755) == 0);
	CHECK(mkdir("done", 02755) == 0);
	CHECK(chmod("done", 02755) == 0);
	CHECK((fd = open("file", O_CREAT | O_WRONLY, 0644)) >= 0);
	close(fd);
	CHECK(mkfifo("fifo", 0600) == 0);
	CHECK(symlink("dir", "link") == 0);
	CHECK(symlink("nowhere", "dangling") == 0);
	CHECK(symlink("loop", "loop") == 0);
	CHECK(mkdir("home", 0755) == 0);
	CHECK(mkdir("home/coder", 0755) == 0);

	/* ro: a read-only mount and filesystem; robind: a read-only bind of
	 * a writable one; rosb: a read-only filesystem on a writable mount. */
	buf_printf(&t, "1 0 8:1 / / rw - ext4 /dev/sda rw\n");
	buf_printf(&t, "2 1 0:40 / %s/ro ro,nosuid,nodev - tmpfs t ro,size=1m\n", root);
	buf_printf(&t, "3 1 0:41 / %s/robind ro,noexec - tmpfs t rw\n", root);
	buf_printf(&t, "4 1 0:42 / %s/rosb rw - ext4 /dev/sdb ro,sync\n", root);
	CHECK(mountinfo_parse(&mi, t.p, t.len, "test", &e) == 0);
	buf_free(&t);
}

static void test_plan_dirs(void)
{
	const struct prepare_step *s;
	char *p;

	/* Not the home: the inner root owns it, mode 02755. */
	s = plan1("dir", "/data");
	CHECK(s && s->chown && s->chmod && !s->remount && !s->create_from && !s->warning);
	CHECK(s && s->uid == 100000 && s->gid == 100000);
	p = at("dir");
	CHECK_STR(s ? s->path : NULL, p);
	free(p);

	/* Bound at the user's home: the user's shifted IDs. */
	s = plan1("dir", "/home/coder/");
	CHECK(s && s->uid == 101000 && s->gid == 101001);

	/* A regular file: chown, never chmod. */
	s = plan1("file", "/etc/x");
	CHECK(s && s->chown && !s->chmod && s->uid == 100000);

	/* A FIFO (or socket, device): left alone with a warning. */
	s = plan1("fifo", "/run/fifo");
	CHECK(s && !s->chown && !s->chmod && s->warning);
	CHECK_STR(s ? s->warning : NULL, "a FIFO");

	/* A private destination: nothing to do. */
	s = plan1("dir", "/var/lib/docker");
	CHECK(s && !s->chown && !s->chmod && !s->create_from && s->private_dst);
}

/* --nesting: the workspace's own engine state is its root's; the rest of
 * the private table stays private. */
static void test_plan_nesting(void)
{
	static const char *const engine[] = { "/var/lib/docker", "/var/lib/containers/" };
	static const char *const still[] = { "/var/lib/sysbox", "/lib/modules", "/usr/src",
					     "/var/lib/coder" };
	const struct prepare_step *s;
	struct prepare_opts nest = opts;

	nest.nesting = true;
	plan_opts = &nest;
	for (size_t i = 0; i < sizeof engine / sizeof *engine; i++) {
		s = plan1("dir", engine[i]);
		CHECK(s && !s->private_dst && s->chown && s->chmod);
		CHECK(s && s->uid == 100000 && s->gid == 100000);
	}
	for (size_t i = 0; i < sizeof still / sizeof *still; i++) {
		s = plan1("dir", still[i]);
		CHECK(s && s->private_dst && !s->chown && !s->chmod);
	}
	/* Not private any more, so a source bound at the home too gets one
	 * owner, the user's, as any other source bound twice. */
	{
		struct spec b[2] = {
			{ .kind = SPEC_BIND, .dst = "/home/coder" },
			{ .kind = SPEC_BIND, .dst = "/var/lib/docker" },
		};

		b[0].src = at("dir");
		b[1].src = at("dir");
		prepare_plan_free(&plan);
		CHECK(prepare_plan(&plan, &nest, b, 2, &mi, &err) == 0);
		CHECK(plan.n == 2 && plan.v[1].uid == 101000 && plan.v[0].uid == 101000);
		free(b[0].src);
		free(b[1].src);
	}
	plan_opts = &opts;
}

static void test_plan_home_paths(void)
{
	const struct prepare_step *s;

	/* /home/NAME and /root as written; here under root, so not. */
	s = plan1("home/coder", "/x");
	CHECK(s && s->uid == 100000);
	s = plan1("/root", "/x");
	CHECK(s && s->uid == 101000 && s->gid == 101001);
}

static void test_plan_symlinks(void)
{
	const struct prepare_step *s;
	char *p;

	s = plan1("link", "/data");
	p = at("dir");
	CHECK_STR(s ? s->path : NULL, p);
	free(p);

	CHECK(plan1("dangling", "/data") == NULL);
	p = at("dangling");
	CHECK(strstr(err.msg, "is missing, reached through a symbolic link") &&
	      strstr(err.msg, p) == err.msg);
	free(p);
	CHECK(plan1("loop", "/data") == NULL);
	CHECK(strstr(err.msg, "too many levels of symbolic links"));
	CHECK(plan1("file/x", "/data") == NULL);
	CHECK(strstr(err.msg, "is not a directory"));
}

static void test_plan_missing(void)
{
	const struct prepare_step *s;
	char *p;

	s = plan1("new/a/b", "/data");
	p = at("new/a/b");
	CHECK_STR(s ? s->path : NULL, p);
	CHECK(s && s->create_from == strlen(root) + 1 && s->chown && s->chmod);
	free(p);
	/* Through a symlink, and with "." and "//" folded. */
	s = plan1("link/./x//y", "/data");
	p = at("dir/x/y");
	CHECK_STR(s ? s->path : NULL, p);
	CHECK(s && s->create_from == strlen(root) + 5);
	free(p);
	/* Private: created, nothing else. */
	s = plan1("new2", "/var/lib/containers");
	CHECK(s && s->create_from && !s->chown && !s->chmod);

	CHECK(plan1("new/../x", "/data") == NULL);
	CHECK(strstr(err.msg, "has a \"..\" component"));
	CHECK(plan1("ro/new", "/data") == NULL);
	p = at("ro");
	CHECK(strstr(err.msg, "missing, and cannot be created on the read-only mount") &&
	      strstr(err.msg, p));
	free(p);
	/* Planning changed nothing. */
	CHECK(!exists("new") && !exists("new2") && !exists("dir/x"));
}

static void test_plan_readonly(void)
{
	const struct prepare_step *s;

	s = plan1("ro", "/data");
	CHECK(s && s->remount == (PREPARE_REMOUNT_MOUNT | PREPARE_REMOUNT_SUPER));
	CHECK(s && s->mnt_flags == (MS_NOSUID | MS_NODEV) && s->sb_flags == 0);
	s = plan1("robind", "/data");
	CHECK(s && s->remount == PREPARE_REMOUNT_MOUNT && s->mnt_flags == MS_NOEXEC);
	s = plan1("rosb/", "/data");
	CHECK(s && s->remount == PREPARE_REMOUNT_SUPER && s->sb_flags == MS_SYNCHRONOUS);
	/* Inside a read-only mount, not its mount point: refused. */
	CHECK(plan1("ro/sub", "/data") == NULL);
	CHECK(strstr(err.msg, "on the read-only mount") &&
	      strstr(err.msg, "only a source that is itself a mount point"));
	/* Private: never remounted. */
	s = plan1("ro/sub", "/usr/src");
	CHECK(s && !s->remount && !s->chown);
}

static void test_plan_already_done(void)
{
	const struct prepare_step *s;
	struct prepare_opts o = opts;
	struct spec b = { .kind = SPEC_BIND, .dst = "/data" };

	/* Owner and mode already right: nothing to do, not even a remount
	 * (so prepare runs twice without effect). Our own IDs as the shift. */
	prepare_plan_free(&plan);
	if (getuid() != getgid())
		return;
	o.offset = (uint32_t)getuid();
	b.src = at("done");
	CHECK(prepare_plan(&plan, &o, &b, 1, &mi, &err) == 0);
	s = &plan.v[0];
	CHECK(!s->chown && !s->chmod && !s->remount);
	prepare_plan_free(&plan);
	free(b.src);
}

static void test_plan_twice(void)
{
	struct spec b[3] = {
		{ .kind = SPEC_BIND, .dst = "/data" },
		{ .kind = SPEC_BIND, .dst = "/home/coder" },
		{ .kind = SPEC_BIND, .dst = "/var/lib/docker" },
	};

	/* One source, two mounts, one of them the home: the user owns it in
	 * both; the private one stays private. */
	b[0].src = at("dir");
	b[1].src = at("link");
	b[2].src = at("dir");
	CHECK(prepare_plan(&plan, &opts, b, 3, &mi, &err) == 0);
	CHECK(plan.n == 3 && plan.v[0].uid == 101000 && plan.v[1].uid == 101000);
	CHECK(!plan.v[2].chown);
	prepare_plan_free(&plan);

	/* A refused entry fails the whole plan. */
	free(b[2].src);
	b[2].src = at("ro/sub");
	b[2].dst = "/x";
	CHECK(prepare_plan(&plan, &opts, b, 3, &mi, &err) == -1 && plan.n == 0);
	for (int i = 0; i < 3; i++)
		free(b[i].src);
}

static void test_plan_overflow(void)
{
	struct prepare_opts o = opts;
	struct spec b = { .kind = SPEC_BIND, .src = root, .dst = "/x" };

	o.uid = PREPARE_ID_MAX;
	CHECK(prepare_plan(&plan, &o, &b, 1, &mi, &err) == -1);
	CHECK_STR(err.msg, "uid 4294967294 + offset 100000 is past the largest ID 4294967294");
}

static void test_mkdirs(void)
{
	struct stat st;
	char *p = at("made/x/y");
	eb_err e;
	mode_t old = umask(077);

	int rootfd = open(root, O_PATH | O_DIRECTORY), fd = -1;

	CHECK(prepare_mkdirs(rootfd, "made/x/y", &fd, &e) == 0);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode));
	if (fd >= 0)
		close(fd);
	CHECK(stat(p, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755);
	CHECK(stat("made", &st) == 0 && (st.st_mode & 07777) == 0755);
	/* Again: already there is fine, as mkdir -p. */
	CHECK(prepare_mkdirs(rootfd, "made/x/y", &fd, &e) == 0);
	if (fd >= 0)
		close(fd);
	free(p);
	CHECK(prepare_mkdirs(rootfd, "file/x", &fd, &e) == -1);
	CHECK(strstr(e.msg, "unable to create file") && strstr(e.msg, "Not a directory"));
	/* A link where a directory is to be made is not followed. */
	CHECK(prepare_mkdirs(rootfd, "link/x", &fd, &e) == -1);
	CHECK(strstr(e.msg, "unable to create link") && strstr(e.msg, "Not a directory"));
	CHECK(!exists("dir/x"));
	umask(old);

	/* prepare_own to our own IDs works unprivileged, on an fd. */
	fd = openat(rootfd, "made", O_PATH);
	CHECK(prepare_own(fd, (uint32_t)getuid(), (uint32_t)getgid(), 0750, &e) == 0);
	CHECK(stat("made", &st) == 0 && (st.st_mode & 07777) == 0750);
	close(fd);
	CHECK(prepare_own(-1, 0, 0, -1, &e) == -1);
	CHECK(strstr(e.msg, "unable to chown 0:0"));
	close(rootfd);
}

/* prepare_choose_idmap's table, on steps made by hand and a probe that
 * answers from the path, so nothing is mounted or stat'ed. */
static int fake_probe(const char *path, const struct mountinfo *m, struct idmap_kver k,
		      struct idmap_probe *p, eb_err *e)
{
	(void)m;
	(void)k;
	*p = (struct idmap_probe){ 0 };
	if (strstr(path, "/gone")) {
		eb_errf(e, "no mount holds %s", path);
		return -1;
	}
	p->idmap = !strstr(path, "/nfs");
	snprintf(p->why, sizeof p->why, "%s", p->idmap ? "ext4 supports it" :
		 "nfs does not support idmapped mounts");
	return 0;
}

static struct prepare_step idstep(const char *path, const char *dst, uint32_t uid,
				  uint32_t gid, uid_t was_uid, gid_t was_gid)
{
	struct prepare_step s = { .src = path, .dst = dst, .path = path, .chown = true,
				  .chmod = true, .remount = PREPARE_REMOUNT_MOUNT,
				  .uid = uid, .gid = gid };

	s.r.st.st_uid = was_uid;
	s.r.st.st_gid = was_gid;
	return s;
}

static void test_choose_idmap(void)
{
	enum { FRESH, USERS, SHIFTED, NFS, PRIV, SOCK, MISSING, GONE, HOME_ROOT, N };
	struct prepare_step v[N] = {
		[FRESH] = idstep("/data/fresh", "/data", 100000, 100000, 0, 0),
		[USERS] = idstep("/home/coder", "/home/coder", 101000, 101000, 1000, 1000),
		[SHIFTED] = idstep("/data/old", "/old", 100000, 100000, 100000, 100000),
		[NFS] = idstep("/nfs/x", "/x", 100000, 100000, 0, 0),
		[PRIV] = idstep("/data/docker", "/var/lib/docker", 100000, 100000, 0, 0),
		[SOCK] = idstep("/run/s.sock", "/s.sock", 100000, 100000, 0, 0),
		[MISSING] = idstep("/data/new/a", "/new", 100000, 100000, 0, 0),
		[GONE] = idstep("/gone/y", "/y", 100000, 100000, 0, 0),
		[HOME_ROOT] = idstep("/home/coder2", "/home/coder", 101000, 101000, 0, 0),
	};
	struct prepare_plan p = { .v = v, .n = N };
	struct prepare_idmap c[N];
	struct idmap_kver k = { 6, 8 };

	v[PRIV].private_dst = true; /* as prepare_plan decides it */
	v[SOCK].warning = "a socket";
	v[SOCK].chown = v[SOCK].chmod = false;
	v[MISSING].create_from = 6;
	memset(c, 0x55, sizeof c);
	prepare_choose_idmap(&p, NULL, k, 100000, fake_probe, c);

	/* fresh, root-owned, not a home: idmapped; the inner root's is 0:0
	 * on disk, its owner already; the plan's mode kept for the fallback */
	CHECK(c[FRESH].on && !c[FRESH].owner_set && c[FRESH].chmod);
	CHECK(c[FRESH].uid == 100000 && c[FRESH].gid == 100000);
	CHECK(c[FRESH].was_uid == 0 && c[FRESH].was_gid == 0);
	CHECK(v[FRESH].uid == 0 && v[FRESH].gid == 0);
	CHECK(!v[FRESH].chown && !v[FRESH].chmod && v[FRESH].remount == 0);
	CHECK_STR(c[FRESH].why, "");

	/* a volume the user owns: on-disk owners kept */
	CHECK(c[USERS].on && !c[USERS].owner_set);
	CHECK(c[USERS].uid == 101000 && c[USERS].gid == 101000);
	CHECK(v[USERS].uid == 1000 && v[USERS].gid == 1000);
	CHECK(!v[USERS].chown && !v[USERS].chmod && v[USERS].remount == 0);

	/* root-owned home: idmapped, owner set to U:G unshifted, mode too */
	CHECK(c[HOME_ROOT].on && c[HOME_ROOT].owner_set);
	CHECK(v[HOME_ROOT].uid == 1000 && v[HOME_ROOT].gid == 1000);
	CHECK(v[HOME_ROOT].chown && v[HOME_ROOT].chmod);
	CHECK(v[HOME_ROOT].remount == PREPARE_REMOUNT_MOUNT);
	CHECK(c[HOME_ROOT].was_uid == 0 && c[HOME_ROOT].was_gid == 0);

	/* shifted before: chowned as the plan says, untouched */
	CHECK(!c[SHIFTED].on);
	CHECK_STR(c[SHIFTED].why, "no idmapped mount: owned by 100000:100000, shifted before");
	CHECK(v[SHIFTED].uid == 100000 && v[SHIFTED].chown && v[SHIFTED].chmod);

	/* the probe says no */
	CHECK(!c[NFS].on);
	CHECK_STR(c[NFS].why, "no idmapped mount: nfs does not support idmapped mounts");
	CHECK(v[NFS].uid == 100000 && v[NFS].chown);

	/* private destination and special file: the plan's, nothing to log */
	CHECK(!c[PRIV].on && !c[SOCK].on);
	CHECK_STR(c[PRIV].why, "");
	CHECK_STR(c[SOCK].why, "");
	CHECK(v[PRIV].uid == 100000 && v[PRIV].chown);
	CHECK(!v[SOCK].chown && v[SOCK].uid == 100000);

	/* missing: created, idmapped; its owner is set whatever st says */
	CHECK(c[MISSING].on && !c[MISSING].owner_set);
	CHECK(v[MISSING].uid == 0 && v[MISSING].gid == 0);
	CHECK(v[MISSING].chown && v[MISSING].chmod);

	/* the probe cannot judge: chowned, its error logged */
	CHECK(!c[GONE].on);
	CHECK_STR(c[GONE].why, "no mount holds /gone/y");
	CHECK(v[GONE].uid == 100000 && v[GONE].chown);

	/* a shifted gid or uid alone is enough, from the offset on */
	v[0] = idstep("/data/g", "/g", 100000, 100000, 0, 100001);
	v[1] = idstep("/data/u", "/u", 100000, 100000, 100000, 5);
	v[2] = idstep("/data/v", "/v", 100000, 100000, 99999, 99999);
	p.n = 3;
	prepare_choose_idmap(&p, NULL, k, 100000, fake_probe, c);
	CHECK(!c[0].on);
	CHECK_STR(c[0].why, "no idmapped mount: owned by 0:100001, shifted before");
	CHECK(!c[1].on);
	CHECK_STR(c[1].why, "no idmapped mount: owned by 100000:5, shifted before");
	CHECK(c[2].on && c[2].owner_set);
}

int main(void)
{
	char *cmd;

	test_private();
	test_home();
	test_shift();
	test_flags();
	test_choose_idmap();
	setup();
	test_plan_dirs();
	test_plan_nesting();
	test_plan_home_paths();
	test_plan_symlinks();
	test_plan_missing();
	test_plan_readonly();
	test_plan_already_done();
	test_plan_twice();
	test_plan_overflow();
	test_mkdirs();
	prepare_plan_free(&plan);
	mountinfo_free(&mi);
	if (chdir("/") == 0) {
		cmd = xasprintf("rm -rf '%s'", root);
		if (system(cmd) != 0)
			fprintf(stderr, "unable to remove %s\n", root);
		free(cmd);
	}
	return check_done("test_prepare");
}
