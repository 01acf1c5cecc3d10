/* Unit tests for lib/subid, lib/xid and lib/idmap: subid planning, safe file
 * replacement and locking, ID arithmetic inside capability and ACL values,
 * kernel releases and the idmap support table, the probe's verdict on a
 * made-up mount table. The tree walks and mounts need root and real
 * filesystems: tests/xid.bats. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "idmap.h"
#include "mountinfo.h"
#include "subid.h"
#include "xid.h"

/* subid_plan on text for user coder (uid 999) and 100000:65536: the
 * return value, with what to append in *add or the error in *err. */
static int plan(const char *text, char **add, char **err)
{
	static eb_err e;
	buf b = { 0 };
	int rc;

	e.msg[0] = 0;
	rc = subid_plan(text, strlen(text), "subuid", "coder", 999, 100000, 65536, &b, &e);
	*add = buf_steal(&b);
	*err = e.msg;
	return rc;
}

static void test_subid_plan(void)
{
	char *add, *err;

	CHECK(plan("", &add, &err) == 1);
	CHECK_STR(add, "coder:100000:65536\n");
	free(add);
	/* No newline at the end: one is put before ours. */
	CHECK(plan("alice:200000:65536", &add, &err) == 1);
	CHECK_STR(add, "\ncoder:100000:65536\n");
	free(add);
	CHECK(plan("alice:200000:65536\ncoder:100000:65536\n", &add, &err) == 0);
	CHECK_STR(add, "");
	free(add);
	/* The owner may be the uid. */
	CHECK(plan("999:100000:65536\n", &add, &err) == 0);
	free(add);
	/* Ranges touching ours are fine; overlapping ones are named. */
	CHECK(plan("a:99990:10\nb:165536:5\n", &add, &err) == 1);
	free(add);
	CHECK(plan("a:99990:10\nb:99991:10\n", &add, &err) == -1);
	CHECK_STR(err, "subuid:2: range 100000:65536 overlaps b's 99991:10 (\"b:99991:10\")");
	free(add);
	CHECK(plan("x:165535:1\n", &add, &err) == -1);
	free(add);
	CHECK(plan("x:0:4294967295\n", &add, &err) == -1);
	free(add);
	/* The user holding another range: not a second one. */
	CHECK(plan("coder:200000:65536\n", &add, &err) == -1);
	CHECK(strstr(err, "subuid:1: coder already has the range \"coder:200000:65536\"") == err);
	free(add);
	CHECK(plan("coder:100000:1000\n", &add, &err) == -1);
	free(add);
	/* Exact range plus another of the user's: already there. */
	CHECK(plan("coder:100000:65536\ncoder:300000:10\n", &add, &err) == 0);
	free(add);
	/* Lines that do not parse mean nothing. */
	CHECK(plan("# comment\n\nbad line\nz:1\nz:1:2:3\nz:a:5\nz:5:0\n", &add, &err) == 1);
	CHECK_STR(add, "coder:100000:65536\n");
	free(add);
}

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/test_xid.XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? xstrdup(d) : NULL;
}

static void test_replace_file(void)
{
	char *d = tmpdir(), *p, *link;
	struct stat st;
	buf b = { 0 };
	eb_err e;

	CHECK(d != NULL);
	if (!d)
		return;
	p = xasprintf("%s/subuid", d);
	/* Missing: created 0644. */
	CHECK(xid_replace_file(p, "a:1:2\n", 6, &e) == 0);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0644);
	CHECK(read_file(p, 100, &b, &e) == 0);
	CHECK_STR(b.p, "a:1:2\n");
	buf_reset(&b);
	/* Existing: its mode kept, content replaced. */
	CHECK(chmod(p, 0600) == 0);
	CHECK(xid_replace_file(p, "b:3:4\n", 6, &e) == 0);
	CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == 0600);
	CHECK(read_file(p, 100, &b, &e) == 0);
	CHECK_STR(b.p, "b:3:4\n");
	buf_reset(&b);
	/* A symlink stays one; its target changes. */
	link = xasprintf("%s/link", d);
	CHECK(symlink("subuid", link) == 0);
	CHECK(xid_replace_file(link, "c:5:6\n", 6, &e) == 0);
	CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(read_file(p, 100, &b, &e) == 0);
	CHECK_STR(b.p, "c:5:6\n");
	/* A directory that does not exist: an error naming it. */
	free(p);
	p = xasprintf("%s/nope/subuid", d);
	CHECK(xid_replace_file(p, "x", 1, &e) == -1);
	CHECK(strstr(e.msg, "nope/subuid") != NULL);
	unlink(link);
	free(link);
	free(p);
	p = xasprintf("%s/subuid", d);
	unlink(p);
	free(p);
	rmdir(d);
	free(d);
	buf_free(&b);
}

static void test_lock(void)
{
	char *d = tmpdir(), *p, *lock;
	pid_t pid;
	int fd;
	eb_err e;

	CHECK(d != NULL);
	if (!d)
		return;
	p = xasprintf("%s/subuid", d);
	lock = xasprintf("%s.lock", p);
	CHECK(xid_lock(p, &e) == 0);
	CHECK(access(lock, F_OK) == 0);
	xid_unlock(p);
	CHECK(access(lock, F_OK) != 0);
	/* A lock left by a process that is gone is stale. */
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	fd = open(lock, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	if (fd >= 0) {
		dprintf(fd, "%d", (int)pid);
		close(fd);
	}
	CHECK(xid_lock(p, &e) == 0);
	xid_unlock(p);
	free(lock);
	free(p);
	rmdir(d);
	free(d);
}

static void test_shift_id(void)
{
	CHECK(shift_id(0, 100000, 0, 65536) == 100000);
	CHECK(shift_id(65535, 100000, 0, 65536) == 165535);
	CHECK(shift_id(65536, 100000, 0, 65536) == -1);
	CHECK(shift_id(100000, -100000, 100000, 65536) == 0);
	CHECK(shift_id(99999, -100000, 100000, 65536) == -1);
	CHECK(shift_id(165536, -100000, 100000, 65536) == -1);
	/* span 0: anywhere, as long as the result is an ID. */
	CHECK(shift_id(70000, 100000, 0, 0) == 170000);
	CHECK(shift_id(5, -100000, 0, 0) == -1);
	CHECK(shift_id(4294867294u, 100000, 0, 0) == 4294967294);
	CHECK(shift_id(4294867295u, 100000, 0, 0) == -1);
}

static void le32_put(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t le32_get(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void test_vfscap(void)
{
	unsigned char v2[20] = { 0 }, v3[24] = { 0 }, before[20];

	/* Revision 2 (0x02000000 | effective): no root, left alone. */
	le32_put(v2, 0x02000001);
	le32_put(v2 + 4, 1u << 13); /* cap_net_raw */
	memcpy(before, v2, sizeof v2);
	CHECK(shift_vfscap(v2, sizeof v2, 100000, 0, 65536) == 0);
	CHECK(memcmp(before, v2, sizeof v2) == 0);
	/* Revision 3: the root moves. */
	le32_put(v3, 0x03000001);
	le32_put(v3 + 20, 1000);
	CHECK(shift_vfscap(v3, sizeof v3, 100000, 0, 65536) == 0);
	CHECK(le32_get(v3 + 20) == 101000);
	CHECK(shift_vfscap(v3, sizeof v3, -100000, 100000, 65536) == 0);
	CHECK(le32_get(v3 + 20) == 1000);
	CHECK(shift_vfscap(v3, sizeof v3, -100000, 100000, 65536) == -1);
	CHECK(le32_get(v3 + 20) == 1000);
}

static void test_acl(void)
{
	/* version, then user::rw, user:1234:rw, group:2345:r, mask::rw, other::r */
	unsigned char v[4 + 5 * 8] = { 0 };
	const unsigned tags[5] = { 0x01, 0x02, 0x08, 0x10, 0x20 };
	const uint32_t ids[5] = { 0xffffffffu, 1234, 2345, 0xffffffffu, 0xffffffffu };
	const char *kind = NULL;
	uint32_t bad = 0;

	le32_put(v, 2);
	for (int i = 0; i < 5; i++) {
		v[4 + 8 * i] = (unsigned char)tags[i];
		v[4 + 8 * i + 2] = 6;
		le32_put(v + 4 + 8 * i + 4, ids[i]);
	}
	CHECK(shift_acl(v, sizeof v, 100000, 0, 65536, &kind, &bad) == 0);
	CHECK(le32_get(v + 4 + 4) == 0xffffffffu); /* user:: has no ID */
	CHECK(le32_get(v + 12 + 4) == 101234);
	CHECK(le32_get(v + 20 + 4) == 102345);
	CHECK(le32_get(v + 28 + 4) == 0xffffffffu);
	/* A second forward shift leaves the range: refused, value whole. */
	CHECK(shift_acl(v, sizeof v, 100000, 0, 65536, &kind, &bad) == -1);
	CHECK_STR(kind, "user");
	CHECK(bad == 101234);
	CHECK(le32_get(v + 12 + 4) == 101234);
	CHECK(le32_get(v + 20 + 4) == 102345);
	CHECK(shift_acl(v, sizeof v, -100000, 100000, 65536, NULL, NULL) == 0);
	CHECK(le32_get(v + 12 + 4) == 1234);
	/* Not an ACL value. */
	CHECK(shift_acl(v, 7, 1, 0, 0, NULL, NULL) == -2);
	le32_put(v, 1);
	CHECK(shift_acl(v, sizeof v, 1, 0, 0, NULL, NULL) == -2);
}

static void test_kver(void)
{
	struct idmap_kver k = { 0, 0 };

	CHECK(idmap_kver_parse("6.18.44-fc-v782", &k) == 0 && k.major == 6 && k.minor == 18);
	CHECK(idmap_kver_parse("5.4", &k) == 0 && k.major == 5 && k.minor == 4);
	CHECK(idmap_kver_parse("6", &k) == -1);
	CHECK(idmap_kver_parse("6.x", &k) == -1);
	CHECK(idmap_kver_parse("v6.1", &k) == -1);
	CHECK(idmap_kver_parse("", &k) == -1);
	CHECK(idmap_kver_atleast((struct idmap_kver){ 5, 12 }, 5, 12));
	CHECK(idmap_kver_atleast((struct idmap_kver){ 6, 0 }, 5, 19));
	CHECK(!idmap_kver_atleast((struct idmap_kver){ 5, 11 }, 5, 12));
}

/* The verdict for fstype on release, and its reason. */
static bool verdict(const char *fstype, const char *release, const char **why)
{
	static char w[256];
	struct idmap_kver k = { 0, 0 };

	CHECK(idmap_kver_parse(release, &k) == 0);
	*why = w;
	return idmap_fs_supported(fstype, k, w, sizeof w);
}

static void test_fs_table(void)
{
	const char *why;

	CHECK(verdict("ext4", "5.12.0", &why));
	CHECK_STR(why, "ext4 supports idmapped mounts since Linux 5.12 (running 5.12)");
	CHECK(!verdict("ext4", "5.11.9", &why));
	CHECK_STR(why, "idmapped mounts need Linux 5.12 (running 5.11)");
	CHECK(verdict("xfs", "6.1.0", &why));
	CHECK(!verdict("btrfs", "5.14.0", &why));
	CHECK_STR(why, "btrfs needs Linux 5.15 for idmapped mounts (running 5.14)");
	CHECK(verdict("btrfs", "5.15.0", &why));
	CHECK(!verdict("tmpfs", "6.2.16", &why));
	CHECK(verdict("tmpfs", "6.3.0", &why));
	CHECK(verdict("overlay", "5.19.0", &why));
	CHECK(!verdict("overlay", "5.18.0", &why));
	CHECK(!verdict("ext3", "6.18.0", &why));
	CHECK(!verdict("fuse.sshfs", "6.18.0", &why));
	CHECK(strstr(why, "FUSE") != NULL);
	CHECK(!verdict("nfs4", "6.18.0", &why));
	CHECK(strstr(why, "NFS") != NULL);
	CHECK(!verdict("zfs", "6.18.0", &why));
	CHECK_STR(why, "zfs is not known to support idmapped mounts");
	/* "ext4x" is not ext4. */
	CHECK(!verdict("ext4x", "6.18.0", &why));
}

static void test_probe_table(void)
{
	const char *t = "1 0 0:99 / / rw,idmapped - tmpfs none rw\n"
			"2 1 0:98 / /proc rw - proc proc rw\n";
	struct mountinfo mi;
	struct idmap_probe p;
	struct idmap_kver k = { 6, 18 };
	eb_err e;

	CHECK(mountinfo_parse(&mi, t, strlen(t), "t", &e) == 0);
	/* An idmapped mount cannot be idmapped again. */
	CHECK(idmap_probe("/tmp", &mi, k, &p, &e) == 0);
	CHECK(!p.idmap);
	CHECK_STR(p.target, "/");
	CHECK_STR(p.driver, "tmpfs");
	CHECK(p.source == NULL);
	CHECK(strstr(p.why, "already idmapped") != NULL);
	idmap_probe_free(&p);
	/* A missing path: its nearest existing parent. */
	CHECK(idmap_probe("/proc/no/such/dir", &mi, k, &p, &e) == 0);
	CHECK_STR(p.path, "/proc");
	CHECK_STR(p.target, "/proc");
	CHECK_STR(p.fstype, "proc");
	CHECK(!p.idmap);
	idmap_probe_free(&p);
	mountinfo_free(&mi);
	/* A table without "/": nothing holds the path. */
	t = "2 1 0:98 / /proc rw - proc proc rw\n";
	CHECK(mountinfo_parse(&mi, t, strlen(t), "t", &e) == 0);
	CHECK(idmap_probe("/tmp", &mi, k, &p, &e) == -1);
	CHECK_STR(e.msg, "no mount in the mount table holds /tmp");
	mountinfo_free(&mi);
}

int main(void)
{
	test_subid_plan();
	test_replace_file();
	test_lock();
	test_shift_id();
	test_vfscap();
	test_acl();
	test_kver();
	test_fs_table();
	test_probe_table();
	return check_done("test_xid");
}
