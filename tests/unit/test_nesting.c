/* test_nesting: lib/nesting — the container ID, the controllers line, the
 * --nesting owner; then, as root where a cgroup v2 hierarchy is mounted
 * (the host's, or the unified one of a hybrid host), delegation and the
 * prelude on a real cgroup ROOT/docker/ID, removed again whatever failed. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "mountinfo.h"
#include "nesting.h"

#define OWNER 100000 /* the workspace's root, as userns-remap maps it */

static const char hex64[] =
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void test_id_valid(void)
{
	char id[80];

	CHECK(nest_id_valid(hex64));
	CHECK(nest_id_valid("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"));
	/* 63 and 65 digits. */
	snprintf(id, sizeof id, "%.63s", hex64);
	CHECK(!nest_id_valid(id));
	snprintf(id, sizeof id, "%sa", hex64);
	CHECK(!nest_id_valid(id));
	/* Upper case, not hex, a path. */
	snprintf(id, sizeof id, "%.63sA", hex64);
	CHECK(!nest_id_valid(id));
	snprintf(id, sizeof id, "ABCDEF%.58s", hex64);
	CHECK(!nest_id_valid(id));
	snprintf(id, sizeof id, "%.63sg", hex64);
	CHECK(!nest_id_valid(id));
	snprintf(id, sizeof id, "../%.61s", hex64);
	CHECK(!nest_id_valid(id));
	snprintf(id, sizeof id, "%.32s/%.31s", hex64, hex64);
	CHECK(!nest_id_valid(id));
	snprintf(id, sizeof id, "%.63s\n", hex64);
	CHECK(!nest_id_valid(id));
	CHECK(!nest_id_valid(""));
	CHECK(!nest_id_valid("abc"));
}

static void enable(const char *controllers, const char *want)
{
	char *got = nest_controllers_enable(controllers);

	CHECK_STR(got, want);
	free(got);
}

static void test_controllers_enable(void)
{
	enable("cpuset cpu io memory pids\n", "+cpuset +cpu +io +memory +pids");
	enable("cpuset cpu io memory pids", "+cpuset +cpu +io +memory +pids");
	enable("memory\n", "+memory");
	enable("", "");
	enable("\n", "");
	enable("  \t \n", "");
	enable("  cpu   memory  \n", "+cpu +memory");
	enable("cpu\tio\n\npids", "+cpu +io +pids");
}

/* nest_owner_parse's answer: "UID:GID", or its error message. */
static const char *owner(const char *s)
{
	static char out[1100];
	uid_t uid = 7;
	gid_t gid = 7;
	eb_err e;

	if (nest_owner_parse("--nesting", s, &uid, &gid, &e) == 0)
		snprintf(out, sizeof out, "%lu:%lu", (unsigned long)uid,
			 (unsigned long)gid);
	else if (uid != 7 || gid != 7)
		snprintf(out, sizeof out, "(refused, yet set)");
	else
		snprintf(out, sizeof out, "%s", e.msg);
	return out;
}

static void test_owner_parse(void)
{
	static const char *const bad[] = {
		"4294967295:1", "1:4294967295", "4294967296:1", "99999999999:1",
		"-1:1", "1:-1", "1", ":1", "1:", ":", "", "01:1", "1:01",
		"00:0", "1:2:3", "a:b", "1a:1", " 1:1", "1:1 ", "1:1\n", "+1:1",
		"0x10:0",
	};

	CHECK_STR(owner("100000:100000"), "100000:100000");
	CHECK_STR(owner("0:0"), "0:0");
	CHECK_STR(owner("1000:1001"), "1000:1001");
	/* The largest ID; (uid_t)-1 is chown's "unchanged". */
	CHECK_STR(owner("4294967294:4294967294"), "4294967294:4294967294");
	CHECK_STR(owner("a:b"),
		  "--nesting \"a:b\": expected UID:GID (the workspace's root as this side sees it, 100000:100000)");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *got = owner(bad[i]);
		char *want = xasprintf("--nesting \"%s\": expected UID:GID", bad[i]);

		CHECK(str_starts(got, want));
		if (!str_starts(got, want))
			fprintf(stderr, "  owner \"%s\": got \"%s\"\n", bad[i], got);
		free(want);
	}
}

/* --- on a real cgroup v2 hierarchy ---------------------------------------- */

/* The mount point of a cgroup2 filesystem's root, or NULL. Owned. */
static char *cgroup2_root(void)
{
	struct mountinfo mi;
	eb_err e;
	char *root = NULL;

	if (mountinfo_load(&mi, NULL, &e) < 0)
		return NULL;
	for (size_t i = 0; i < mi.n && !root; i++)
		if (!strcmp(mi.v[i].fstype, "cgroup2") && !strcmp(mi.v[i].root, "/") &&
		    !mi.v[i].ro)
			root = xstrdup(mi.v[i].target);
	mountinfo_free(&mi);
	return root;
}

/* A container ID no one else uses: 64 hex digits from /dev/urandom (or
 * the clock and our pid). */
static void random_id(char id[65])
{
	unsigned char r[32] = { 0 };
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	bool got = false;

	if (fd >= 0) {
		got = read(fd, r, sizeof r) == (ssize_t)sizeof r;
		close(fd);
	}
	if (!got) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf((char *)r, sizeof r, "%lld.%ld.%d", (long long)ts.tv_sec,
			 ts.tv_nsec, (int)getpid());
	}
	for (size_t i = 0; i < sizeof r; i++)
		snprintf(id + 2 * i, 3, "%02x", r[i]);
}

static bool owned_by(const char *dir, const char *name, uid_t uid, gid_t gid)
{
	char *p = name ? xasprintf("%s/%s", dir, name) : xstrdup(dir);
	struct stat st;
	bool ok = lstat(p, &st) == 0 && st.st_uid == uid && st.st_gid == gid;

	if (!ok)
		fprintf(stderr, "  %s: not owned by %lu:%lu\n", p,
			(unsigned long)uid, (unsigned long)gid);
	free(p);
	return ok;
}

/* dir and the three files a delegate writes are uid:gid's; a limit is
 * still root's. */
static void check_delegated(const char *dir, uid_t uid, gid_t gid)
{
	CHECK(owned_by(dir, NULL, uid, gid));
	CHECK(owned_by(dir, "cgroup.procs", uid, gid));
	CHECK(owned_by(dir, "cgroup.subtree_control", uid, gid));
	CHECK(owned_by(dir, "cgroup.threads", uid, gid));
	CHECK(owned_by(dir, "cgroup.max.depth", 0, 0));
	CHECK(owned_by(dir, "cgroup.max.descendants", 0, 0));
	CHECK(owned_by(dir, "cgroup.events", 0, 0));
}

static bool is_dir(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The "0::" line of /proc/PID/cgroup: the process's cgroup v2 path. */
static char *cgroup_of(pid_t pid)
{
	char *p = xasprintf("/proc/%d/cgroup", (int)pid), *line = NULL, *path = NULL;
	size_t cap = 0;
	FILE *f = fopen(p, "r");

	free(p);
	if (!f)
		return NULL;
	while (!path && getline(&line, &cap, f) > 0)
		if (str_starts(line, "0::")) {
			line[strcspn(line, "\n")] = 0;
			path = xstrdup(line + 3);
		}
	free(line);
	fclose(f);
	return path;
}

static int write_file(const char *dir, const char *name, const char *s)
{
	char *p = xasprintf("%s/%s", dir, name);
	int fd = open(p, O_WRONLY | O_CLOEXEC), rc = -1;

	free(p);
	if (fd < 0)
		return -1;
	if (write(fd, s, strlen(s)) == (ssize_t)strlen(s))
		rc = 0;
	close(fd);
	return rc;
}

/* rmdir of a cgroup just emptied may find it busy for a moment. */
static void remove_cgroup(const char *p)
{
	for (int i = 0; i < 100 && rmdir(p) < 0 && errno == EBUSY; i++)
		usleep(10000);
}

/* A child that waits to be killed, and dies with us in any case. */
static pid_t sleeper(void)
{
	pid_t parent = getpid(), pid = fork();

	if (pid != 0)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
	alarm(120);
	for (;;)
		pause();
}

/* delegate, in use, prelude, on ROOT/docker/ID with a fresh ID; then
 * everything made removed again (ROOT/docker only when it was not there
 * before), also after a failed check. */
static void test_cgroup(const char *root)
{
	char id[65], id2[65], *docker, *dir, *init, *path, *want;
	bool had_docker;
	pid_t child;
	eb_err e;

	random_id(id);
	random_id(id2);
	docker = xasprintf("%s/docker", root);
	had_docker = is_dir(docker);
	dir = xasprintf("%s/%s", docker, id);
	init = xasprintf("%s/init", dir);

	/* Made and handed over; docker/ itself stays root's. */
	CHECK(nest_delegate(root, id, OWNER, OWNER, &e) == 0);
	CHECK(is_dir(dir));
	check_delegated(dir, OWNER, OWNER);
	CHECK(owned_by(docker, NULL, 0, 0));
	/* Once only: the second finds it there and leaves it. */
	CHECK(nest_delegate(root, id, OWNER, OWNER, &e) < 0);
	CHECK(strstr(e.msg, dir) != NULL);
	CHECK(strstr(e.msg, strerror(EEXIST)) != NULL);
	CHECK(is_dir(dir));
	CHECK(!nest_in_use(root, id));
	/* Not in use and no prelude yet: nothing of the workspace's. */
	CHECK(!is_dir(init));

	/* Undelegate removes an empty one (docker/ stays). */
	CHECK(nest_delegate(root, id2, OWNER, OWNER, &e) == 0);
	path = xasprintf("%s/%s", docker, id2);
	CHECK(is_dir(path));
	nest_undelegate(root, id2);
	CHECK(!is_dir(path));
	CHECK(is_dir(docker));
	remove_cgroup(path);
	free(path);
	/* A prelude for a workspace that has no cgroup: its path said. */
	CHECK(nest_prelude(root, id2, OWNER, OWNER, &e) < 0);
	CHECK(strstr(e.msg, id2) && strstr(e.msg, strerror(ENOENT)));
	CHECK(!nest_in_use(root, id2));

	child = sleeper();
	CHECK(child > 0);
	if (child > 0) {
		char pid[16];

		snprintf(pid, sizeof pid, "%d", (int)child);
		CHECK(write_file(dir, "cgroup.procs", pid) == 0);
		want = xasprintf("/docker/%s", id);
		path = cgroup_of(child);
		CHECK(path && str_ends(path, want));
		free(path);
		free(want);
		CHECK(nest_in_use(root, id));
		/* In use: undelegate leaves it. */
		nest_undelegate(root, id);
		CHECK(is_dir(dir));

		/* The prelude: the process in init/, init/ the workspace's. */
		CHECK(nest_prelude(root, id, OWNER, OWNER, &e) == 0);
		want = xasprintf("/docker/%s/init", id);
		path = cgroup_of(child);
		CHECK(path && str_ends(path, want));
		if (!path || !str_ends(path, want))
			fprintf(stderr, "  cgroup of %d: %s, want .../%s\n",
				(int)child, path ? path : "(none)", want);
		free(path);
		free(want);
		CHECK(is_dir(init));
		check_delegated(init, OWNER, OWNER);
		check_delegated(dir, OWNER, OWNER);
		CHECK(nest_in_use(root, id));
		/* Again (init/ there, nothing left to move): fine. */
		CHECK(nest_prelude(root, id, OWNER, OWNER, &e) == 0);
		path = cgroup_of(child);
		CHECK(path && str_ends(path, "/init"));
		free(path);

		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}

	remove_cgroup(init);
	remove_cgroup(dir);
	CHECK(!is_dir(dir));
	/* (dockerd may have made docker/ meanwhile on a hybrid host: then its
	 * rmdir fails, as it should.) */
	if (had_docker)
		CHECK(is_dir(docker));
	else
		remove_cgroup(docker);
	free(init);
	free(dir);
	free(docker);
}

/* What needs no cgroup v2: a root that is not one, IDs that are not. */
static void test_refused(const char *root)
{
	char id[65], *p;
	eb_err e;

	random_id(id);
	CHECK(nest_delegate("/tmp", id, OWNER, OWNER, &e) < 0);
	CHECK_STR(e.msg, "/tmp is not a cgroup v2 hierarchy: nesting needs a cgroup v2 host");
	p = xasprintf("/tmp/docker/%s", id);
	CHECK(!is_dir(p));
	free(p);
	CHECK(nest_prelude("/tmp", id, OWNER, OWNER, &e) < 0);
	CHECK(strstr(e.msg, "not a cgroup v2 hierarchy") != NULL);
	CHECK(!nest_in_use("/tmp", id));
	nest_undelegate("/tmp", id);
	CHECK(nest_delegate("/nonexistent-cgroup-root", id, OWNER, OWNER, &e) < 0);
	CHECK(strstr(e.msg, "/nonexistent-cgroup-root: ") == e.msg);

	/* Checked before anything is made, even on a cgroup v2 root. */
	CHECK(nest_delegate(root ? root : "/tmp", "../../x", OWNER, OWNER, &e) < 0);
	CHECK_STR(e.msg, "container id \"../../x\": expected 64 hex digits");
	CHECK(nest_delegate(root ? root : "/tmp", "ABC", OWNER, OWNER, &e) < 0);
	CHECK(strstr(e.msg, "expected 64 hex digits") != NULL);
	CHECK(nest_prelude(root ? root : "/tmp", "", OWNER, OWNER, &e) < 0);
	CHECK(strstr(e.msg, "expected 64 hex digits") != NULL);
	CHECK(!nest_in_use(root ? root : "/tmp", "docker"));
	CHECK(!nest_in_use(root ? root : "/tmp", ".."));
	nest_undelegate(root ? root : "/tmp", "..");
	if (root) {
		p = xasprintf("%s/docker/ABC", root);
		CHECK(!is_dir(p));
		free(p);
	}
}

int main(void)
{
	char *root = cgroup2_root();

	test_id_valid();
	test_controllers_enable();
	test_owner_parse();
	test_refused(geteuid() == 0 ? root : NULL);
	if (geteuid() != 0)
		printf("test_nesting: not root: the cgroup v2 cases are skipped\n");
	else if (!root)
		printf("test_nesting: no cgroup2 mount: the cgroup v2 cases are skipped\n");
	else if (access(root, W_OK) < 0)
		printf("test_nesting: %s is not writable: the cgroup v2 cases are skipped\n",
		       root);
	else
		test_cgroup(root);
	free(root);
	return check_done("test_nesting");
}
