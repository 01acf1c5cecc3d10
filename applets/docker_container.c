/* envbox-docker create, start, stop, rm, exec: the workspace container's
 * life (usage: applets/docker.c; body building: lib/container.h; the exec
 * stream: lib/exec.h; docs/envbox-docker.md). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "applet.h"
#include "container.h"
#include "docker.h"
#include "docker_cmds.h"
#include "dockerd.h"
#include "exec.h"
#include "json.h"
#include "log.h"
#include "nesting.h"
#include "values.h"
#include "pid.h"
#include "spec.h"

extern char **environ;

static void open_docker(docker *d)
{
	eb_err e;

	if (docker_open(d, NULL, &e) < 0)
		die_err(&e);
}

/* An API error; the daemon's "no space left on device" gets its own exit
 * status so the entrypoint can fall back to vfs. */
static _Noreturn void die_api(const eb_err *e)
{
	die_code(strstr(e->msg, "no space left on device") ? EXIT_NOSPACE : EXIT_FAIL,
		 "%s", e->msg);
}

/* "/containers/NAME" plus rest, NAME escaped for the path. */
static char *container_path(const char *name, const char *rest)
{
	char *n = docker_query_escape(name);
	char *p = xasprintf("/containers/%s%s", n, rest);

	free(n);
	return p;
}

/* One request whose answer body we do not need; statuses in ok (0-ended)
 * count as success. Returns the HTTP status. */
static long simple_request(docker *d, const char *method, const char *path,
			   const long *ok)
{
	docker_req r = { .method = method, .path = path };
	long status = 0;
	eb_err e;

	if (docker_request(d, &r, &status, NULL, &e) == 0)
		return status;
	for (; *ok; ok++)
		if (status == *ok)
			return status;
	die_api(&e);
}

/* NAME as the one positional argument of start, stop, rm. */
static const char *one_name(const char *cmd, const char *name, const char *arg)
{
	if (name)
		usage_error("%s: unexpected argument \"%s\"", cmd, arg);
	if (!*arg)
		usage_error("%s: NAME is empty", cmd);
	return arg;
}

/* --- create ----------------------------------------------------------------- */

struct specs {
	struct spec *v;
	size_t n;
	size_t *lineno;         /* each one's line on stdin, for messages */
	struct ctr_devnum *dev; /* a device line's node */
};

/* Spec lines from stdin; a terminal means none (create run by hand). Bad
 * input is a failure (exit 1), as for envbox-mounts prepare. */
static void read_specs(struct specs *ss)
{
	size_t lineno = 0;
	struct spec s;
	eb_err e;
	int rc;

	if (isatty(0))
		return;
	while ((rc = spec_read(stdin, &s, &lineno, &e)) > 0) {
		ss->v = xrealloc(ss->v, (ss->n + 1) * sizeof *ss->v);
		ss->lineno = xrealloc(ss->lineno, (ss->n + 1) * sizeof *ss->lineno);
		ss->dev = xrealloc(ss->dev, (ss->n + 1) * sizeof *ss->dev);
		memset(&ss->dev[ss->n], 0, sizeof *ss->dev);
		ss->v[ss->n] = s;
		ss->lineno[ss->n++] = lineno;
	}
	if (rc < 0)
		die("spec lines on stdin: %s", e.msg);
}

/* A device's numbers for its cgroup rule; looked up before any API call so
 * a missing node leaves everything as it was. */
static void stat_devices(struct specs *ss)
{
	for (size_t i = 0; i < ss->n; i++) {
		const struct spec *s = &ss->v[i];
		struct stat st;

		if (s->kind != SPEC_DEVICE)
			continue;
		if (stat(s->src, &st) < 0)
			die("spec lines on stdin: line %zu: device %s: %s",
			    ss->lineno[i], s->src, strerror(errno));
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			die("spec lines on stdin: line %zu: device %s: not a device node",
			    ss->lineno[i], s->src);
		ss->dev[i].type = S_ISCHR(st.st_mode) ? 'c' : 'b';
		ss->dev[i].major = major(st.st_rdev);
		ss->dev[i].minor = minor(st.st_rdev);
	}
}

/* The create answer: print the id (and return it), pass on the daemon's
 * warnings. */
static char *print_created(const buf *out)
{
	json_doc d;
	eb_err e;
	char *id;
	int w;

	if (json_parse(&d, out->p ? out->p : "", out->len, &e) < 0)
		die("POST /containers/create: %s", e.msg);
	id = json_strdup(&d, json_obj_get(&d, 0, "Id"));
	if (!id)
		die("POST /containers/create: the answer has no Id");
	w = json_obj_get(&d, 0, "Warnings");
	for (int i = 0; i < json_size(&d, w); i++) {
		char *msg = json_strdup(&d, json_arr_at(&d, w, i));

		if (msg && *msg)
			warn("%s", msg);
		free(msg);
	}
	printf("%s\n", id);
	if (fflush(stdout))
		die("writing the container's id: %s", strerror(errno));
	json_free(&d);
	return id;
}

/* The seccomp profile for --nesting: FILE, else the one installed with
 * envbox (PREFIX/share/envbox/seccomp-nesting.json). Must be JSON: dockerd
 * would refuse anything else only after the create. */
#define SECCOMP_UNDER_PREFIX "share/envbox/seccomp-nesting.json"
#define SECCOMP_MAX (1u << 20)

static char *read_seccomp(const char *file)
{
	char *installed = NULL;
	buf b = { 0 };
	json_doc d;
	eb_err e;

	if (!file)
		file = installed = installed_path(SECCOMP_UNDER_PREFIX,
						  "/usr/local/" SECCOMP_UNDER_PREFIX);
	if (read_file(file, SECCOMP_MAX, &b, &e) < 0)
		die("--seccomp: %s", e.msg);
	if (json_parse(&d, b.p ? b.p : "", b.len, &e) < 0 ||
	    json_type(&d, 0) != JSMN_OBJECT) {
		if (d.tok)
			json_free(&d);
		die("--seccomp %s: not a JSON object (a seccomp profile as dockerd takes it)",
		    file);
	}
	json_free(&d);
	free(installed);
	return buf_steal(&b);
}

/* The cgroup v2 hierarchy as this process sees it; ENVBOX_CGROUP_ROOT
 * (tests) names another mount of it. */
static const char *cgroup_root(void)
{
	const char *r = getenv("ENVBOX_CGROUP_ROOT");

	return r && *r ? r : NEST_CGROUP_ROOT;
}

/* Between create and start (nesting.h): the cgroup handed to the
 * workspace's root; a failure removes the container (nothing half-made). */
static void delegate_or_remove(docker *d, const char *id, uid_t uid, gid_t gid)
{
	static const long gone[] = { 404, 0 };
	eb_err e;

	if (nest_delegate(cgroup_root(), id, uid, gid, &e) == 0)
		return;
	{
		char *path = container_path(id, "?force=1&v=1");

		simple_request(d, "DELETE", path, gone);
		free(path);
	}
	die("--nesting: delegating the workspace's cgroup: %s", e.msg);
}

/* After start: the prelude for an init that is not systemd. The workspace
 * runs either way; Docker inside it may not, which is said. */
static void nest_after_start(const char *id, uid_t uid, gid_t gid, bool systemd)
{
	eb_err e;

	if (!nest_in_use(cgroup_root(), id)) {
		warn("--nesting: the workspace did not start in %s%s/%s (another cgroup driver or parent?): Docker inside it will not run",
		     cgroup_root(), NEST_CGROUP_PARENT, id);
		nest_undelegate(cgroup_root(), id);
		return;
	}
	if (systemd)
		return;
	if (nest_prelude(cgroup_root(), id, uid, gid, &e) < 0)
		warn("--nesting: %s: Docker inside the workspace may not be able to limit its containers",
		     e.msg);
}

int dcmd_create(int argc, char **argv)
{
	static const long gone[] = { 404, 0 };
	struct ctr_opts o = { 0 };
	struct specs ss = { 0 };
	const char *pos[2], *v;
	int npos = 0;
	docker d;
	buf body = { 0 }, out = { 0 };
	docker_req r = { .method = "POST" };
	char *path, *name, *id;
	bool start = false;
	const char *seccomp_file = NULL;
	char *seccomp = NULL;
	uid_t nest_uid = 0;
	gid_t nest_gid = 0;
	eb_err e;

	o.envs = xcalloc((size_t)argc, sizeof *o.envs);
	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--runtime"))) {
			o.runtime = v;
		} else if ((v = opt_value(argc, argv, &i, "--hostname"))) {
			o.hostname = v;
		} else if ((v = opt_value(argc, argv, &i, "--workdir"))) {
			o.workdir = v;
		} else if ((v = opt_value(argc, argv, &i, "--cpus"))) {
			if (parse_cpus("--cpus", v, &o.cpus, &e) < 0)
				usage_error("create: %s", e.msg);
		} else if ((v = opt_value(argc, argv, &i, "--memory"))) {
			if (parse_memory("--memory", v, &o.memory, &e) < 0)
				usage_error("create: %s", e.msg);
		} else if ((v = opt_value(argc, argv, &i, "--pass-env"))) {
			o.pass_env = v;
		} else if ((v = opt_value(argc, argv, &i, "--env"))) {
			o.envs[o.nenvs++] = v;
		} else if ((v = opt_value(argc, argv, &i, "--nesting"))) {
			if (nest_owner_parse("--nesting", v, &nest_uid, &nest_gid, &e) < 0)
				usage_error("create: %s", e.msg);
			o.nesting = true;
		} else if ((v = opt_value(argc, argv, &i, "--seccomp"))) {
			seccomp_file = v;
		} else if (!strcmp(argv[i], "--systemd")) {
			o.systemd = true;
		} else if (!strcmp(argv[i], "--init")) {
			o.init = true;
		} else if (!strcmp(argv[i], "--agent-env")) {
			o.agent_env = true;
		} else if (!strcmp(argv[i], "--start")) {
			start = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage_error("create: unknown option %s", argv[i]);
		} else if (npos < 2) {
			pos[npos++] = argv[i];
		} else {
			usage_error("create: unexpected argument \"%s\"", argv[i]);
		}
	}
	if (npos < 2)
		usage_error("create: expected NAME IMAGE");
	o.name = pos[0];
	o.image = pos[1];
	if (ctr_opts_check(&o, &e) < 0)
		usage_error("create: %s", e.msg);
	if (seccomp_file && !o.nesting)
		usage_error("create: --seccomp goes with --nesting");
	if (o.nesting) {
		o.seccomp = seccomp = read_seccomp(seccomp_file);
		if (!cgroup_is_v2(cgroup_root()))
			die("--nesting: %s is not cgroup v2: Docker inside the workspace needs a cgroup v2 host (or sysbox)",
			    cgroup_root());
	}

	read_specs(&ss);
	if (ctr_specs_check(ss.v, ss.n, ss.lineno, &e) < 0)
		die("spec lines on stdin: %s", e.msg);
	stat_devices(&ss);
	ctr_create_body(&o, ss.v, ss.dev, ss.n, environ, &body);

	open_docker(&d);
	path = container_path(o.name, "?force=1&v=1");
	if (simple_request(&d, "DELETE", path, gone) != 404)
		log_msg(LOG_INFO, "Removed the container %s left from an earlier run",
			o.name);
	free(path);

	name = docker_query_escape(o.name);
	path = xasprintf("/containers/create?name=%s", name);
	r.path = path;
	r.body = body.p;
	r.body_len = body.len;
	if (docker_request(&d, &r, NULL, &out, &e) < 0)
		die_api(&e);
	id = print_created(&out);
	if (o.nesting)
		delegate_or_remove(&d, id, nest_uid, nest_gid);
	if (start) {
		/* One process for both: the entrypoint's path to a running
		 * workspace is one fork and one libcurl load shorter. */
		static const long ok[] = { 304, 0 };
		char *spath = container_path(id, "/start");

		log_msg(LOG_INFO, "Starting up workspace...");
		simple_request(&d, "POST", spath, ok);
		free(spath);
		if (o.nesting)
			nest_after_start(id, nest_uid, nest_gid, o.systemd);
	}
	free(id);

	docker_close(&d);
	free(path);
	free(name);
	buf_free(&body);
	buf_free(&out);
	for (size_t i = 0; i < ss.n; i++)
		spec_free(&ss.v[i]);
	free(ss.v);
	free(ss.lineno);
	free(ss.dev);
	free(o.envs);
	free(seccomp);
	return 0;
}

/* --- start, stop, rm ----------------------------------------------------------- */

int dcmd_start(int argc, char **argv)
{
	/* 304: already running, which is what was asked. */
	static const long ok[] = { 304, 0 };
	const char *name = NULL;
	docker d;
	char *path;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			usage_error("start: unknown option %s", argv[i]);
		name = one_name("start", name, argv[i]);
	}
	if (!name)
		usage_error("start: expected NAME");
	open_docker(&d);
	path = container_path(name, "/start");
	simple_request(&d, "POST", path, ok);
	free(path);
	docker_close(&d);
	return 0;
}

int dcmd_stop(int argc, char **argv)
{
	static const long ok[] = { 304, 0 };
	const char *name = NULL, *v;
	long long timeout = -1;
	docker d;
	char *path, *rest;

	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--timeout")))
			timeout = parse_count("--timeout", v);
		else if (argv[i][0] == '-' && argv[i][1])
			usage_error("stop: unknown option %s", argv[i]);
		else
			name = one_name("stop", name, argv[i]);
	}
	if (!name)
		usage_error("stop: expected NAME");
	/* Without t the daemon uses the container's StopTimeout (10 s). */
	rest = timeout < 0 ? xstrdup("/stop") : xasprintf("/stop?t=%lld", timeout);
	open_docker(&d);
	path = container_path(name, rest);
	simple_request(&d, "POST", path, ok);
	free(path);
	free(rest);
	docker_close(&d);
	return 0;
}

int dcmd_rm(int argc, char **argv)
{
	static const long none[] = { 0 };
	const char *name = NULL;
	bool force = false;
	docker d;
	char *path;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--force"))
			force = true;
		else if (argv[i][0] == '-' && argv[i][1])
			usage_error("rm: unknown option %s", argv[i]);
		else
			name = one_name("rm", name, argv[i]);
	}
	if (!name)
		usage_error("rm: expected NAME");
	open_docker(&d);
	/* v=1: the workspace's anonymous volumes go with it. */
	path = container_path(name, force ? "?v=1&force=1" : "?v=1");
	simple_request(&d, "DELETE", path, none);
	free(path);
	docker_close(&d);
	return 0;
}

/* --- exec ------------------------------------------------------------------------ */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

struct exec_run {
	docker *d;
	const char *id;
};

/* The first SIGTERM or SIGINT: SIGTERM to the command by its host pid (we
 * share dockerd's pid namespace), which then has EXEC_GRACE_MS to end. */
static void forward_signal(void *arg)
{
	struct exec_run *x = arg;
	struct exec_state st = { 0 };
	eb_err e;

	/* Pid is 0 for a moment between the start and the process running. */
	for (int i = 0; i < 50; i++) {
		if (exec_inspect(x->d, x->id, &st, &e) < 0) {
			warn("unable to pass the signal on: %s", e.msg);
			return;
		}
		if (st.pid != 0 || !st.running)
			break;
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	if (st.pid == 0)
		return; /* not started, or already gone */
	/* The pid is the daemon's word: never kill(-1), kill(0) or init. */
	if (pid_check(st.pid, pid_max(), &e) < 0) {
		warn("exec %.12s: not passing the signal on: the daemon's %s",
		     x->id, e.msg);
		return;
	}
	log_msg(LOG_DEBUG, "passing SIGTERM on to the command (pid %lld)",
		st.pid);
	if (kill((pid_t)st.pid, SIGTERM) < 0 && errno != ESRCH)
		warn("unable to send SIGTERM to pid %lld: %s", st.pid,
		     strerror(errno));
}

static void log_line(const char *line, void *arg)
{
	(void)arg;
	log_write(stderr, LOG_INFO, line);
}

/* The exit code once the process is known to have ended: the stream ends
 * a moment before the daemon records it. */
static int exit_code(docker *d, const char *id)
{
	struct exec_state st;
	eb_err e;

	for (int i = 0; i < 200; i++) {
		if (exec_inspect(d, id, &st, &e) < 0)
			die_api(&e);
		if (!st.running && st.has_exit)
			return st.exit_code >= 0 && st.exit_code <= 255 ?
			       st.exit_code : EXIT_FAIL;
		nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
	}
	die("exec %.12s: its output ended but it is still running", id);
}

int dcmd_exec(int argc, char **argv)
{
	struct exec_opts o = { 0 };
	const char *name = NULL, *v;
	bool log = false;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, wait_mask;
	struct exec_lines lines;
	struct exec_io io = { .out_fd = 1, .err_fd = 2 };
	struct exec_run x;
	docker_conn c;
	docker d;
	char *id;
	eb_err e;
	int i, rc;

	o.envs = xcalloc((size_t)argc, sizeof *o.envs);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if ((v = opt_value(argc, argv, &i, "--user")))
			o.user = v;
		else if ((v = opt_value(argc, argv, &i, "--env")))
			o.envs[o.nenvs++] = v;
		else if ((v = opt_value(argc, argv, &i, "--workdir")))
			o.workdir = v;
		else if (!strcmp(argv[i], "--stdin"))
			o.stdin = true;
		else if (!strcmp(argv[i], "--log"))
			log = true;
		else if ((v = opt_value(argc, argv, &i, "--max-output"))) {
			long long max = parse_count("exec: --max-output", v);

			if (max < 1)
				usage_error("exec: --max-output %s: expected at least 1 byte", v);
			io.max_output = (size_t)max;
		}
		else if (argv[i][0] == '-' && argv[i][1])
			usage_error("exec: unknown option %s", argv[i]);
		else if (!name)
			name = one_name("exec", name, argv[i]);
		else
			usage_error("exec: expected -- before the command (got \"%s\")",
				    argv[i]);
	}
	if (!name)
		usage_error("exec: expected NAME [OPTIONS] -- CMD [ARG]...");
	o.cmd = argv + i;
	o.ncmd = (size_t)(argc - i);
	if (exec_opts_check(&o, &e) < 0)
		usage_error("exec: %s", e.msg);

	/* Signals stay blocked except while the copy loop waits, so one that
	 * comes early (during the API calls) is handled there, not lost. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* A closed stdout must not kill us before CMD's status is known. */
	signal(SIGPIPE, SIG_IGN);

	open_docker(&d);
	if (exec_create(&d, name, &o, &id, &e) < 0 ||
	    exec_start(&d, id, &c, &e) < 0)
		die_api(&e);

	x.d = &d;
	x.id = id;
	io.in_fd = o.stdin ? 0 : -1;
	io.signalled = &got_signal;
	io.wait_mask = &wait_mask;
	io.on_signal = forward_signal;
	io.arg = &x;
	if (log) {
		exec_lines_init(&lines, log_line, NULL);
		io.lines = &lines;
	}
	rc = exec_pump(&c, &io, &e);
	docker_conn_close(&c);
	if (log) {
		exec_lines_flush(&lines);
		exec_lines_free(&lines);
	}
	if (rc < 0)
		die("exec %s: %s", o.cmd[0], e.msg);
	/* The last line of what was passed on: the rest was dropped. */
	if (io.output_cut && log)
		log_msg(LOG_INFO, "%s: output over %zu bytes: the rest is not logged",
			o.cmd[0], io.max_output);
	else if (io.output_cut)
		warn("exec %s: output over %zu bytes: the rest was dropped",
		     o.cmd[0], io.max_output);
	if (io.write_errno)
		warn("exec %s: writing its output: %s; the rest was dropped",
		     o.cmd[0], strerror(io.write_errno));
	if (rc == EXEC_GAVE_UP) {
		warn("exec %s: still running %d s after the signal; leaving it",
		     o.cmd[0], EXEC_GRACE_MS / 1000);
		rc = 128 + SIGTERM;
	} else {
		rc = exit_code(&d, id);
	}
	if (log)
		log_msg(rc ? LOG_ERROR : LOG_INFO, "%s exited with status %d", o.cmd[0], rc);
	docker_close(&d);
	free(id);
	free(o.envs);
	return rc;
}

/* --- wait ------------------------------------------------------------------- */

/* wait NAME: blocks until the container stops (the wait API: no polling),
 * then prints how it ended. The entrypoint runs it in the background to
 * notice a workspace that exits or is OOM-killed. */
int dcmd_wait(int argc, char **argv)
{
	const char *name = NULL;
	static const long ok[] = { 0 };
	struct ctr_end end;
	docker_req r = { .method = "GET" };
	buf out = { 0 };
	long status;
	char *path;
	docker d;
	eb_err e;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			usage_error("wait: unknown option %s", argv[i]);
		name = one_name("wait", name, argv[i]);
	}
	if (!name)
		usage_error("wait: expected NAME");
	open_docker(&d);
	/* Long-polls until the container is not running; a daemon that dies
	 * meanwhile ends it with an error. */
	path = container_path(name, "/wait?condition=not-running");
	simple_request(&d, "POST", path, ok);
	free(path);
	r.path = path = container_path(name, "/json");
	if (docker_request(&d, &r, &status, &out, &e) < 0)
		die_api(&e);
	free(path);
	if (ctr_end_parse(out.p, out.len, &end, &e) < 0)
		die("wait %s: %s", name, e.msg);
	printf("exit %d\noom %s\n", end.exit_code, end.oom_killed ? "yes" : "no");
	if (end.error[0])
		printf("error %s\n", end.error);
	buf_free(&out);
	docker_close(&d);
	return 0;
}
