/* Unit tests for lib/mountinfo: reading mount tables, finding the mount
 * that holds a path. Fixtures: tests/fixtures/mountinfo (see its README). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mountinfo.h"

static const char *fixture(const char *name)
{
	static char path[512];
	const char *dir = getenv("FIXTURES");

	snprintf(path, sizeof path, "%s/mountinfo/%s", dir ? dir : "tests/fixtures", name);
	return path;
}

/* The error for text as one table named "t", "" when it parses. */
static const char *parse_err(const char *text)
{
	static eb_err e;
	struct mountinfo mi;

	if (mountinfo_parse(&mi, text, strlen(text), "t", &e) == 0) {
		mountinfo_free(&mi);
		return "";
	}
	CHECK(mi.n == 0 && mi.v == NULL);
	return e.msg;
}

static const char *target_of(const struct mountinfo *mi, const char *path)
{
	const struct mountinfo_entry *m = mountinfo_find(mi, path);

	return m ? m->target : NULL;
}

static void test_live_fixture(void)
{
	struct mountinfo mi;
	eb_err e;
	const struct mountinfo_entry *m;

	CHECK(mountinfo_load(&mi, fixture("live-container"), &e) == 0);
	CHECK(mi.n == 20);
	m = &mi.v[0];
	CHECK(m->id == 22 && m->parent == 27 && m->major == 0 && m->minor == 21);
	CHECK_STR(m->root, "/");
	CHECK_STR(m->target, "/proc");
	CHECK_STR(m->vfs_opts, "rw,relatime");
	CHECK_STR(m->opt_fields, "");
	CHECK_STR(m->fstype, "proc");
	CHECK_STR(m->source, "proc");
	CHECK_STR(m->super_opts, "rw");
	CHECK(!m->ro && m->shared == 0 && m->master == 0);

	/* / is listed after /proc but does not cover it. */
	m = mountinfo_find(&mi, "/");
	CHECK(m && m->id == 27 && m->major == 254 && m->minor == 0);
	CHECK_STR(m ? m->source : NULL, "/dev/vda");
	CHECK_STR(target_of(&mi, "/proc/self/status"), "/proc");
	CHECK_STR(target_of(&mi, "/var/lib/docker"), "/");
	CHECK_STR(target_of(&mi, "/sys/fs/cgroup/memory/x"), "/sys/fs/cgroup/memory");
	CHECK_STR(target_of(&mi, "/sys/fs/cgroup/memoryx"), "/sys/fs/cgroup");
	/* /dev/shm is mounted twice: the later one (id 30) covers the first. */
	m = mountinfo_find(&mi, "/dev/shm/file");
	CHECK(m && m->id == 30);
	m = mountinfo_find(&mi, "/mnt/sandboxing/model_tools_env/v1/python/bin");
	CHECK(m && m->ro && m->mnt_ro && m->sb_ro);
	mountinfo_free(&mi);
	CHECK(mi.n == 0 && mi.v == NULL);
}

static void test_optional_escapes(void)
{
	struct mountinfo mi;
	eb_err e;
	const struct mountinfo_entry *m;

	CHECK(mountinfo_load(&mi, fixture("optional-escapes"), &e) == 0);
	CHECK(mi.n == 20);

	m = mountinfo_find(&mi, "/var/lib/docker/overlay2");
	CHECK(m && m->id == 101 && m->parent == 100 && m->major == 8 && m->minor == 16);
	CHECK_STR(m ? m->root : NULL, "/docker");
	CHECK_STR(m ? m->opt_fields : NULL, "shared:40 master:1");
	CHECK(m && m->shared == 40 && m->master == 1 && m->propagate_from == 0);
	CHECK(m && !m->unbindable);

	/* \040 in target and source; read-only mount of a writable filesystem. */
	m = mountinfo_find(&mi, "/mnt/my disk/file");
	CHECK(m && m->id == 102);
	CHECK_STR(m ? m->target : NULL, "/mnt/my disk");
	CHECK_STR(m ? m->source : NULL, "/dev/sdc x");
	CHECK(m && m->ro && m->mnt_ro && !m->sb_ro);
	CHECK(m && m->shared == 41 && m->propagate_from == 1);
	CHECK_STR(target_of(&mi, "/mnt/my"), "/");
	CHECK_STR(target_of(&mi, "/mnt/my\\040disk"), "/");

	/* A writable mount of a read-only filesystem is read-only too. */
	m = mountinfo_find(&mi, "/home/coder");
	CHECK(m && m->ro && !m->mnt_ro && m->sb_ro && m->unbindable);
	CHECK_STR(m ? m->opt_fields : NULL, "unbindable");
	CHECK_STR(m ? m->super_opts : NULL, "ro,attr2,inode64");

	/* \011 \012 \134, and an empty source. */
	m = mountinfo_find(&mi, "/mnt/tab\tnl\nbs\\/x");
	CHECK(m && m->id == 104);
	CHECK_STR(m ? m->target : NULL, "/mnt/tab\tnl\nbs\\");
	CHECK_STR(m ? m->source : NULL, "");
	CHECK_STR(m ? m->super_opts : NULL, "rw");

	/* One target twice: the later mount covers the earlier. */
	m = mountinfo_find(&mi, "/mnt/over");
	CHECK_STR(m ? m->source : NULL, "second");

	/* An unknown optional field is kept, not refused. */
	m = mountinfo_find(&mi, "/mnt/future");
	CHECK(m && m->shared == 9);
	CHECK_STR(m ? m->opt_fields : NULL, "shared:9 newtag:3");

	m = mountinfo_find(&mi, "/run/netns/x");
	CHECK_STR(m ? m->root : NULL, "net:[4026532281]");
	CHECK_STR(target_of(&mi, "/run/netns"), "/run");
	CHECK_STR(target_of(&mi, "/proc/driver/nvidia/gpus"), "/proc/driver/nvidia");
	m = mountinfo_find(&mi, "/dev/nvidia0");
	CHECK_STR(m ? m->root : NULL, "/nvidia0");
	CHECK_STR(target_of(&mi, "/dev/nvidia0x"), "/dev");
	m = mountinfo_find(&mi, "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.14");
	CHECK(m && m->id == 112 && m->mnt_ro && !m->sb_ro);
	CHECK_STR(target_of(&mi, "/usr/lib/x86_64-linux-gnu/libcuda.so.1"), "/");
	CHECK_STR(target_of(&mi, "/mnt/gone (deleted)/f"), "/mnt/gone (deleted)");
	m = mountinfo_find(&mi, "/mnt/overlay");
	CHECK_STR(m ? m->super_opts : NULL, "rw,lowerdir=/l,upperdir=/u,workdir=/w");
	mountinfo_free(&mi);
}

static void test_find_lexical(void)
{
	static const char text[] =
		"1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
		"2 1 8:2 / /var/lib rw - ext4 /dev/sda2 rw\n"
		"3 2 8:3 / /var/lib/docker ro - ext4 /dev/sda3 rw\n";
	static const char no_root[] = "2 1 8:2 / /var/lib rw - ext4 /dev/sda2 rw";
	struct mountinfo mi;
	eb_err e;

	CHECK(mountinfo_parse(&mi, text, sizeof text - 1, "t", &e) == 0);
	CHECK(mi.n == 3);
	CHECK_STR(target_of(&mi, "/var/lib/docker"), "/var/lib/docker");
	CHECK_STR(target_of(&mi, "/var/lib/docker/"), "/var/lib/docker");
	CHECK_STR(target_of(&mi, "//var//lib/./docker/x"), "/var/lib/docker");
	CHECK_STR(target_of(&mi, "/var/lib/docker/../x"), "/var/lib");
	CHECK_STR(target_of(&mi, "/var/lib/docker/.."), "/var/lib");
	CHECK_STR(target_of(&mi, "/var/lib/dockerx"), "/var/lib");
	CHECK_STR(target_of(&mi, "/var/li"), "/");
	CHECK_STR(target_of(&mi, "/../var/lib"), "/var/lib");
	CHECK_STR(target_of(&mi, "/"), "/");
	CHECK(mountinfo_find(&mi, "var/lib") == NULL);
	CHECK(mountinfo_find(&mi, "") == NULL);
	mountinfo_free(&mi);

	CHECK(mountinfo_parse(&mi, no_root, sizeof no_root - 1, "t", &e) == 0);
	CHECK(mountinfo_find(&mi, "/etc") == NULL);
	CHECK_STR(target_of(&mi, "/var/lib"), "/var/lib");
	mountinfo_free(&mi);

	CHECK(mountinfo_parse(&mi, "", 0, "t", &e) == 0);
	CHECK(mi.n == 0 && mountinfo_find(&mi, "/") == NULL);
	mountinfo_free(&mi);
}

static void test_errors(void)
{
	eb_err e;
	struct mountinfo mi;

	CHECK(mountinfo_load(&mi, fixture("malformed"), &e) == -1);
	CHECK(strstr(e.msg, "malformed:3: missing \" - \" separator") != NULL);
	CHECK(mountinfo_load(&mi, fixture("no-such-file"), &e) == -1);
	CHECK(strstr(e.msg, "no-such-file") && strstr(e.msg, "No such file"));

	CHECK_STR(parse_err("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n\n"), "t:2: empty line");
	CHECK_STR(parse_err("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
			    "2 1 8:1 / /x rw - ext4 /dev/sda1 rw\n"
			    "\n3 1 8:1 / /x rw - ext4 /dev/sda1 rw\n"), "t:3: empty line");
	CHECK_STR(parse_err("x 0 8:1 / / rw - ext4 /dev/sda1 rw"), "t:1: bad mount ID \"x\"");
	CHECK_STR(parse_err("-1 0 8:1 / / rw - ext4 /dev/sda1 rw"), "t:1: bad mount ID \"-1\"");
	CHECK_STR(parse_err("+1 0 8:1 / / rw - ext4 /dev/sda1 rw"), "t:1: bad mount ID \"+1\"");
	CHECK_STR(parse_err("99999999999 0 8:1 / / rw - ext4 /dev/sda1 rw"),
		  "t:1: bad mount ID \"99999999999\"");
	CHECK_STR(parse_err("1 z 8:1 / / rw - ext4 /dev/sda1 rw"), "t:1: bad parent ID \"z\"");
	CHECK_STR(parse_err("1 0 8 / / rw - ext4 /dev/sda1 rw"), "t:1: bad major:minor \"8\"");
	CHECK_STR(parse_err("1 0 8: / / rw - ext4 /dev/sda1 rw"), "t:1: bad major:minor \"8:\"");
	CHECK_STR(parse_err("1 0 8:1:2 / / rw - ext4 /dev/sda1 rw"),
		  "t:1: bad major:minor \"8:1:2\"");
	CHECK_STR(parse_err("1 0 8:99999999999 / / rw - ext4 /dev/sda1 rw"),
		  "t:1: bad major:minor \"8:99999999999\"");
	CHECK_STR(parse_err("1  0 8:1 / / rw - ext4 /dev/sda1 rw"),
		  "t:1: empty parent ID (two spaces in a row)");
	CHECK_STR(parse_err(" 1 0 8:1 / / rw - ext4 /dev/sda1 rw"),
		  "t:1: empty mount ID (two spaces in a row)");
	CHECK_STR(parse_err("1 0\t8:1 / / rw - ext4 /dev/sda1 rw"), "t:1: bad parent ID \"0\\x098:1\"");
	CHECK_STR(parse_err("1 0 8:1"), "t:1: missing root");
	CHECK_STR(parse_err("1 0 8:1 /"), "t:1: missing mount point");
	CHECK_STR(parse_err("1 0 8:1 / x rw - ext4 /dev/sda1 rw"),
		  "t:1: bad mount point (not absolute) \"x\"");
	CHECK_STR(parse_err("1 0 8:1 / /"), "t:1: missing mount options");
	CHECK_STR(parse_err("1 0 8:1 / / rw"), "t:1: missing \" - \" separator");
	CHECK_STR(parse_err("1 0 8:1 / / rw shared:1 ext4 /dev/sda1 rw"),
		  "t:1: missing \" - \" separator");
	CHECK_STR(parse_err("1 0 8:1 / / rw shared:x - ext4 /dev/sda1 rw"),
		  "t:1: bad optional field \"shared:x\"");
	CHECK_STR(parse_err("1 0 8:1 / / rw master: - ext4 /dev/sda1 rw"),
		  "t:1: bad optional field \"master:\"");
	CHECK_STR(parse_err("1 0 8:1 / / rw  - ext4 x rw"),
		  "t:1: empty optional field (two spaces in a row)");
	CHECK_STR(parse_err("1 0 8:1 / / rw -"), "t:1: missing filesystem type");
	CHECK_STR(parse_err("1 0 8:1 / / rw - ext4"), "t:1: missing source");
	CHECK_STR(parse_err("1 0 8:1 / / rw - ext4 /dev/sda1"),
		  "t:1: missing superblock options");
	CHECK_STR(parse_err("1 0 8:1 / / rw - ext4 /dev/sda1 "),
		  "t:1: missing superblock options");
	CHECK_STR(parse_err("1 0 8:1 / /a\\000b rw - ext4 /dev/sda1 rw"),
		  "t:1: mount point holds an escaped NUL byte");
	CHECK(mountinfo_parse(&mi, "1 0 8:1 / /\0 rw - ext4 x rw", 26, "t", &e) == -1);
	CHECK_STR(e.msg, "t:1: contains a NUL byte");
}

static void test_decode_edges(void)
{
	/* Escapes the kernel never writes are kept as they are. */
	static const char text[] =
		"1 0 8:1 / /a\\b\\04\\400\\1 rw - ext4 \\ rw,x=\\134\n";
	struct mountinfo mi;
	eb_err e;

	CHECK(mountinfo_parse(&mi, text, sizeof text - 1, "t", &e) == 0);
	CHECK_STR(mi.v[0].target, "/a\\b\\04\\400\\1");
	CHECK_STR(mi.v[0].source, "\\");
	CHECK_STR(mi.v[0].super_opts, "rw,x=\\");
	mountinfo_free(&mi);
}

static void test_has_opt(void)
{
	CHECK(mountinfo_has_opt("ro", "ro"));
	CHECK(mountinfo_has_opt("rw,nosuid,ro", "ro"));
	CHECK(mountinfo_has_opt("nosuid,ro,relatime", "ro"));
	CHECK(!mountinfo_has_opt("rw,errors=remount-ro", "ro"));
	CHECK(!mountinfo_has_opt("rootcontext=x", "ro"));
	CHECK(!mountinfo_has_opt("", "ro"));
	CHECK(!mountinfo_has_opt("rw", "ro"));
}

static void test_live(void)
{
	struct mountinfo mi;
	eb_err e;

	CHECK(mountinfo_load(&mi, NULL, &e) == 0);
	CHECK(mi.n > 0);
	CHECK_STR(target_of(&mi, "/proc/self"), "/proc");
	CHECK(mountinfo_find(&mi, "/") != NULL);
	mountinfo_free(&mi);
}

int main(void)
{
	test_live_fixture();
	test_optional_escapes();
	test_find_lexical();
	test_errors();
	test_decode_edges();
	test_has_opt();
	test_live();
	return check_done("mountinfo");
}
