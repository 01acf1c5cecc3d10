/* subid: the subordinate ID files, subuid(5) and subgid(5) (see subid.h). */
#include "subid.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "passwd.h"

extern char **environ;


/* A decimal of at most max, the whole of s[0..n). */
static bool parse_u64(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	*v = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (*v > (max - (uint64_t)(s[i] - '0')) / 10)
			return false;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return true;
}

struct subid_line {
	const char *owner;
	size_t owner_len;
	uint64_t start, count;
};

/* "OWNER:START:COUNT" exactly, as shadow's subordinateio reads it; false
 * for anything else (such lines are kept but mean nothing to us). */
static bool subid_parse_line(const char *s, size_t n, struct subid_line *l)
{
	const char *c1 = memchr(s, ':', n), *c2;

	if (!c1 || c1 == s)
		return false;
	c2 = memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - s));
	if (!c2 || memchr(c2 + 1, ':', n - (size_t)(c2 + 1 - s)))
		return false;
	l->owner = s;
	l->owner_len = (size_t)(c1 - s);
	return parse_u64(c1 + 1, (size_t)(c2 - c1 - 1), UINT32_MAX, &l->start) &&
	       parse_u64(c2 + 1, n - (size_t)(c2 + 1 - s), UINT32_MAX, &l->count) &&
	       l->count > 0;
}

/* Is the owner field user: by name, or by uid as shadow allows. */
static bool owner_is(const struct subid_line *l, const char *user, unsigned long uid)
{
	uint64_t v;

	if (l->owner_len == strlen(user) && !memcmp(l->owner, user, l->owner_len))
		return true;
	return parse_u64(l->owner, l->owner_len, UINT32_MAX, &v) && v == uid;
}

int subid_plan(const char *text, size_t len, const char *name, const char *user,
	       unsigned long uid, uint32_t start, uint32_t count, buf *add, eb_err *e)
{
	uint64_t end = (uint64_t)start + count; /* exclusive */
	const char *p = text, *line, *other = NULL;
	size_t n, lineno = 0, other_line = 0, other_len = 0;
	bool have = false;
	struct subid_line l;

	while (line_next(&p, text + len, &line, &n)) {
		lineno++;
		if (subid_parse_line(line, n, &l)) {
			bool mine = owner_is(&l, user, uid);

			if (mine && l.start == start && l.count == count) {
				have = true;
			} else if (mine) {
				if (!other) {
					other = line;
					other_len = n;
					other_line = lineno;
				}
			} else if (l.start < end && start < l.start + l.count) {
				eb_errf(e, "%s:%zu: range %u:%u overlaps %.*s's %llu:%llu "
					"(\"%.*s\")", name, lineno, start, count,
					(int)l.owner_len, l.owner, (unsigned long long)l.start,
					(unsigned long long)l.count, (int)n, line);
				return -1;
			}
		}
	}
	if (have)
		return 0;
	if (other) {
		eb_errf(e, "%s:%zu: %s already has the range \"%.*s\", not %u:%u; "
			"refusing to add a second one (dockerd would map the container "
			"onto both)", name, other_line, user, (int)other_len, other, start,
			count);
		return -1;
	}
	if (len && text[len - 1] != '\n')
		buf_addc(add, '\n');
	buf_printf(add, "%s:%u:%u\n", user, start, count);
	return 1;
}

int xid_replace_file(const char *path, const char *data, size_t len, eb_err *e)
{
	char *real = realpath(path, NULL);
	const char *target = real ? real : path;
	struct stat st;
	mode_t mode = 0644;
	uid_t uid = 0;
	gid_t gid = 0;
	int rc;

	/* A symlinked file is changed where it lives, the link kept. */
	if (!stat(target, &st)) {
		mode = st.st_mode & 07777;
		uid = st.st_uid;
		gid = st.st_gid;
	} else if (errno != ENOENT) {
		eb_errf(e, "unable to stat %s: %s", target, strerror(errno));
		free(real);
		return -1;
	}
	rc = write_file_atomic(target, data, len, mode, uid, gid, e);
	free(real);
	return rc;
}

/* The pid in a lock file, 0 when it holds none. */
static long lock_pid(const char *lock)
{
	char b[32] = { 0 };
	int fd = open(lock, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, b, sizeof b - 1);
	close(fd);
	return n > 0 ? strtol(b, NULL, 10) : 0;
}

int xid_lock(const char *path, eb_err *e)
{
	char *lock = xasprintf("%s.lock", path), pid[32];
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int fd, len;
	long holder = 0;

	len = snprintf(pid, sizeof pid, "%ld", (long)getpid());
	for (int i = 0; i < 20; i++) {
		fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0) {
			bool ok = write(fd, pid, (size_t)len) == len;

			if (close(fd) || !ok) {
				eb_errf(e, "unable to write %s: %s", lock, strerror(errno));
				unlink(lock);
				free(lock);
				return -1;
			}
			free(lock);
			return 0;
		}
		if (errno != EEXIST) {
			eb_errf(e, "unable to create %s: %s", lock, strerror(errno));
			free(lock);
			return -1;
		}
		/* shadow's rule: a lock whose process is gone is stale. */
		holder = lock_pid(lock);
		if (holder > 0 && kill((pid_t)holder, 0) && errno == ESRCH) {
			unlink(lock);
			continue;
		}
		nanosleep(&ts, NULL);
	}
	eb_errf(e, "%s is locked (%s holds process %ld)", path, lock, holder);
	free(lock);
	return -1;
}

void xid_unlock(const char *path)
{
	char *lock = xasprintf("%s.lock", path);

	unlink(lock);
	free(lock);
}

/* Runs useradd for a system user with a group of its own, as the original
 * entrypoint did; its stderr lands in e when it fails. */
static int run_useradd(const char *root, const char *user, eb_err *e)
{
	const char *argv[16];
	int n = 0, pfd[2], status;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	buf err = { 0 };
	char chunk[512];
	ssize_t r;

	argv[n++] = "useradd";
	argv[n++] = "--system";
	argv[n++] = "--user-group";
	argv[n++] = "--no-create-home";
	argv[n++] = "--home-dir";
	argv[n++] = "/nonexistent";
	argv[n++] = "--shell";
	argv[n++] = "/usr/sbin/nologin";
	if (root && *root) {
		argv[n++] = "--root";
		argv[n++] = root;
	}
	argv[n++] = "--";
	argv[n++] = user;
	argv[n] = NULL;

	if (pipe2(pfd, O_CLOEXEC)) {
		eb_errf(e, "unable to make a pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	status = posix_spawnp(&pid, "useradd", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (status) {
		eb_errf(e, "unable to run useradd: %s", strerror(status));
		close(pfd[0]);
		return -1;
	}
	while ((r = read(pfd[0], chunk, sizeof chunk)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (err.len < 2048)
			buf_add(&err, chunk, (size_t)r);
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		while (err.len && (err.p[err.len - 1] == '\n' || err.p[err.len - 1] == ' '))
			err.p[--err.len] = 0;
		for (size_t i = 0; i < err.len; i++)
			if (err.p[i] == '\n')
				err.p[i] = ' ';
		eb_errf(e, "useradd %s failed (%s %d)%s%s", user,
			WIFEXITED(status) ? "exit status" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
			err.len ? ": " : "", err.len ? err.p : "");
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	return 0;
}

/* 1 user found (*uid), 0 missing, -1 error. */
static int find_user(const char *passwd, const char *user, unsigned long *uid, eb_err *e)
{
	buf doc = { 0 };
	pw_user u;
	eb_err why;
	int rc;

	if (read_file(passwd, 16u << 20, &doc, &why)) {
		if (access(passwd, F_OK) == 0 || errno != ENOENT) {
			eb_errf(e, "%s", why.msg);
			return -1;
		}
		buf_adds(&doc, "");
	}
	rc = passwd_lookup(doc.p, doc.len, user, &u, &why);
	buf_free(&doc);
	if (rc < 0) {
		eb_errf(e, "%s: %s", passwd, why.msg);
		return -1;
	}
	if (rc == 1) {
		*uid = u.uid;
		pw_user_free(&u);
	}
	return rc;
}

/* Reads path[0..2] and plans each (-1 on the first refusal or error). */
static int plan_both(char *const path[2], const char *user, unsigned long uid,
		     uint32_t start, uint32_t count, buf text[2], buf add[2], int plan[2],
		     eb_err *e)
{
	eb_err why;

	for (int i = 0; i < 2; i++) {
		buf_reset(&text[i]);
		buf_reset(&add[i]);
		if (read_file(path[i], 16u << 20, &text[i], &why)) {
			if (access(path[i], F_OK) == 0 || errno != ENOENT) {
				eb_errf(e, "%s", why.msg);
				return -1;
			}
			buf_reset(&text[i]);
			buf_adds(&text[i], ""); /* missing: empty, created below */
		}
		plan[i] = subid_plan(text[i].p, text[i].len, path[i], user, uid, start,
				     count, &add[i], e);
		if (plan[i] < 0)
			return -1;
	}
	return 0;
}

int subid_ensure(const char *root, const char *user, uint32_t start, uint32_t count,
		 struct subid_result *r, eb_err *e)
{
	const char *names[2] = { "subuid", "subgid" };
	char *path[2], *passwd;
	buf text[2] = { { 0 } }, add[2] = { { 0 } };
	int plan[2] = { 0, 0 }, locked = 0, rc = -1, found;

	memset(r, 0, sizeof *r);
	if (!root)
		root = "";
	passwd = xasprintf("%s/etc/passwd", root);
	for (int i = 0; i < 2; i++)
		path[i] = xasprintf("%s/etc/%s", root, names[i]);
	found = find_user(passwd, user, &r->uid, e);
	if (found == 0) {
		/* A conflict is found before the user is made: no uid yet, so
		 * only lines naming the user count as the user's. */
		if (plan_both(path, user, ULONG_MAX, start, count, text, add, plan, e) ||
		    run_useradd(root, user, e))
			goto out;
		found = find_user(passwd, user, &r->uid, e);
		if (found == 0)
			eb_errf(e, "useradd %s succeeded but %s has no such user", user, passwd);
		r->user_created = found == 1;
	}
	if (found != 1)
		goto out;

	for (; locked < 2; locked++)
		if (xid_lock(path[locked], e))
			goto out;
	/* Both files are decided before either is written. */
	if (plan_both(path, user, r->uid, start, count, text, add, plan, e))
		goto out;
	for (int i = 0; i < 2; i++) {
		if (plan[i] == 0)
			continue;
		buf_add(&text[i], add[i].p, add[i].len);
		if (xid_replace_file(path[i], text[i].p, text[i].len, e))
			goto out;
		r->added[i] = true;
	}
	rc = 0;
out:
	while (locked > 0)
		xid_unlock(path[--locked]);
	for (int i = 0; i < 2; i++) {
		free(path[i]);
		buf_free(&text[i]);
		buf_free(&add[i]);
	}
	free(passwd);
	return rc;
}
