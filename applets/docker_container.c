/* envbox-docker create, start, stop, rm: the workspace container's life
 * (usage: applets/docker.c; body building: lib/container.h;
 * docs/envbox-docker.md). exec and wait: docker_exec.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "applet.h"
#include "container.h"
#include "docker.h"
#include "docker_cmds.h"
#include "dockerd.h"
#include "json.h"
#include "log.h"
#include "nesting.h"
#include "values.h"
#include "spec.h"

extern char **environ;

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
	const char *name = only_name("start", argc, argv);
	docker d;
	char *path;

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
