/* envbox-docker: the Docker Engine API client behind `envbox docker`.
 * https://docs.docker.com/engine/api/v1.41/ */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applet.h"
#include "docker.h"
#include "docker_cmds.h"

const char docker_usage[] =
	"Usage: envbox-docker COMMAND [OPTIONS] [ARGS]\n"
	"\n"
	"The Docker Engine API client behind `envbox docker`, talking to the daemon\n"
	"at $DOCKER_HOST. Each step of the entrypoint is one command, usable alone.\n"
	"\n"
	"Image commands:\n"
	"  pull IMAGE [--retries N]\n"
	"        Pull IMAGE, logging progress at most every 2 s (layers done out of\n"
	"        all, bytes downloaded). Credentials: the X-Registry-Auth value in\n"
	"        $ENVBOX_REGISTRY_AUTH (what envbox-auth prints), when set. Up to N\n"
	"        retries (default 10) with backoff; a certificate error fails at once\n"
	"        and points at CODER_EXTRA_CERTS_PATH; an authentication error fails\n"
	"        at once naming the registry; an unknown image fails at once; \"no\n"
	"        space left on device\" prunes unused images once and tries again.\n"
	"  probe IMAGE USER [--json] [--cache DIR]\n"
	"        Print USER's \"uid N\", \"gid N\", \"home DIR\", then \"init yes|no\"\n"
	"        (/sbin/init exists, symlinks followed), \"systemd yes|no\" (they\n"
	"        lead to a file named systemd), \"os ID\" (/etc/os-release\n"
	"        ID, \"linux\" when absent) and \"libdir DIR\", read through the\n"
	"        archive API from containers created, never started, always removed.\n"
	"        --json: the same as one object. --cache DIR: keep the answer\n"
	"        per image ID in DIR and answer from there while the ID is the same.\n"
	"  prune   Remove images no container uses; print the bytes reclaimed.\n"
	"\n"
	"Container commands:\n"
	"  create NAME IMAGE [--runtime R] [--hostname H] [--workdir DIR] [--init]\n"
	"         [--cpus N] [--memory BYTES] [--pass-env PATTERNS] [--agent-env]\n"
	"         [--env NAME=VALUE]... [--nesting UID:GID [--seccomp FILE]]\n"
	"         [--systemd] [--start]\n"
	"        Create the workspace container from spec lines on stdin (bind SRC\n"
	"        DST ro|rw, device HOST INNER, env NAME=VALUE): never privileged, no\n"
	"        added capabilities, user root, host.docker.internal:host-gateway,\n"
	"        entrypoint /sbin/init with --init else sleep infinity. A container\n"
	"        named NAME is removed first. --pass-env passes this process's\n"
	"        variables named in PATTERNS (CODER_INNER_ENVS syntax); --agent-env\n"
	"        passes CODER_AGENT_TOKEN and CODER_AGENT_SUBSYSTEM (+envbox).\n"
	"        --nesting (cgroup v2): what a dockerd inside needs: SYS_ADMIN and\n"
	"        NET_ADMIN in its user namespace, no AppArmor profile or masked\n"
	"        paths, a private cgroup namespace, the seccomp profile FILE (default:\n"
	"        the one installed, dockerd's default plus keyctl and pivot_root),\n"
	"        and its cgroup delegated to UID:GID (its root) before it starts.\n"
	"        --systemd: tmpfs on /run and /run/lock, stop signal SIGRTMIN+3.\n"
	"        --start: then start it, in the same process (with --nesting, then\n"
	"        its processes moved to the child cgroup init unless --systemd).\n"
	"        For one NAME, later wins: --pass-env, env lines, --agent-env, --env.\n"
	"        Prints the container's id.\n"
	"  start NAME\n"
	"  stop NAME [--timeout S]\n"
	"  rm NAME [--force]\n"
	"  exec NAME [--user U] [--env NAME=VALUE]... [--workdir DIR] [--stdin]\n"
	"       [--log] [--max-output BYTES] -- CMD [ARG]...\n"
	"        Run CMD in the container and exit with its status. --stdin sends\n"
	"        stdin through the hijacked attach stream; --log turns CMD's output\n"
	"        into build-log lines, ending with one giving CMD's exit status.\n"
	"        --max-output: pass on at most BYTES of CMD's output (both streams),\n"
	"        then one line saying the rest was dropped; CMD runs to its end.\n"
	"        SIGTERM or SIGINT is passed on to CMD, which is then given up to\n"
	"        90 s to exit.\n"
	"  wait NAME\n"
	"        Block until the container stops (the wait API), then print \"exit N\",\n"
	"        \"oom yes|no\" (OOM-killed) and, when the daemon gave one, \"error MSG\".\n"
	"\n"
	"Host commands (for the entrypoint):\n"
	"  config           Validate the CODER_* variables (exit 2 naming a bad\n"
	"                   one) and print the settings they give, NAME=VALUE.\n"
	"  dockerd-args [--no-space] [--prelude PATH] [--sys-root DIR]\n"
	"               [--cgroup-root DIR] [--link IFACE]\n"
	"                   Print the dockerd command line, one argument a line;\n"
	"                   --no-space: the disk-full fallback (ENVBOX_NO_SPACE_DRIVER).\n"
	"  log TYPE [MESSAGE]...\n"
	"                   Write a build-log entry (TYPE info, error, done or\n"
	"                   debug); with no MESSAGE, one entry per line of stdin.\n"
	"  logs-to-coder    Copy stdin (build-log lines) to stderr unchanged and,\n"
	"                   with CODER_AGENT_URL and CODER_AGENT_TOKEN set, send\n"
	"                   each entry to Coder as the agent's startup logs\n"
	"                   under the log source \"envbox\" (POST\n"
	"                   /api/v2/workspaceagents/me/log-source, then PATCH\n"
	"                   /api/v2/workspaceagents/me/logs; TLS also\n"
	"                   trusts CODER_EXTRA_CERTS_PATH). Each request is\n"
	"                   bounded (5 s); a Coder that fails is given up on with\n"
	"                   one warning line. Ignores SIGTERM, SIGINT, SIGHUP and\n"
	"                   SIGPIPE; exits 0 at the end of stdin.\n"
	"  api [--header 'NAME: VALUE']... METHOD PATH [BODY|-]\n"
	"                   One raw Engine API request, like curl --unix-socket:\n"
	"                   prints the answer's body as it arrives. PATH is\n"
	"                   unversioned (sent as /v" DOCKER_API_VERSION "/PATH); a PATH\n"
	"                   starting with /v1. is sent as it is. BODY is sent as\n"
	"                   application/json; - reads it from stdin.\n"
	"\n"
	"Environment:\n"
	"  DOCKER_HOST          the daemon's socket as unix:///path\n"
	"                       (default unix:///var/run/docker.sock)\n"
	"  DOCKER_API_VERSION   the API version in paths (default " DOCKER_API_VERSION ")\n"
	"  ENVBOX_LOG_FORMAT    json (the build log's JSON lines) or text; unset:\n"
	"                       plain \"envbox-docker: ...\" messages\n"
	"  CODER_DEBUG          true: debug entries are written\n"
	"  ENVBOX_LIBCURL       the libcurl the HTTP commands load on their first\n"
	"                       request (default libcurl.so.4)\n"
	"\n"
	"Exit codes: 0 done, 1 failed (for an error answer: the daemon's message\n"
	"and the HTTP status), 2 usage error. exec: CMD's exit status.\n";

/* --- what the commands share (docker_cmds.h) ------------------------------------ */

void open_docker(docker *d)
{
	eb_err e;

	if (docker_open(d, NULL, &e) < 0)
		die_err(&e);
}

_Noreturn void die_api(const eb_err *e)
{
	die_code(strstr(e->msg, "no space left on device") ? EXIT_NOSPACE : EXIT_FAIL,
		 "%s", e->msg);
}

char *container_path(const char *name, const char *rest)
{
	char *n = docker_query_escape(name);
	char *p = xasprintf("/containers/%s%s", n, rest);

	free(n);
	return p;
}

long simple_request(docker *d, const char *method, const char *path, const long *ok)
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

const char *one_name(const char *cmd, const char *name, const char *arg)
{
	if (name)
		usage_error("%s: unexpected argument \"%s\"", cmd, arg);
	if (!*arg)
		usage_error("%s: NAME is empty", cmd);
	return arg;
}

const char *only_name(const char *cmd, int argc, char **argv)
{
	const char *name = NULL;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			usage_error("%s: unknown option %s", cmd, argv[i]);
		name = one_name(cmd, name, argv[i]);
	}
	if (!name)
		usage_error("%s: expected NAME", cmd);
	return name;
}

/* --- api ------------------------------------------------------------------------- */

#define BODY_MAX (64u << 20)

static void read_stdin(buf *b)
{
	char chunk[65536];
	ssize_t n;

	while ((n = read(0, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("reading the body from stdin: %s", strerror(errno));
		}
		if (b->len + (size_t)n > BODY_MAX)
			die("the body on stdin is larger than %u bytes", BODY_MAX);
		buf_add(b, chunk, (size_t)n);
	}
	if (!b->p)
		buf_add(b, "", 0);
}

static int to_stdout(const char *p, size_t n, void *arg, eb_err *e)
{
	(void)arg;
	if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0) {
		eb_errf(e, "writing to stdout: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static bool valid_method(const char *m)
{
	if (!*m)
		return false;
	for (; *m; m++)
		if (*m < 'A' || *m > 'Z')
			return false;
	return true;
}

static int cmd_api(int argc, char **argv)
{
	const char *args[3], *headers[33], *v;
	int nargs = 0, nheaders = 0;
	docker_req r = { 0 };
	buf body = { 0 };
	docker d;
	eb_err e;

	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--header"))) {
			if (!strchr(v, ':') || v[0] == ':')
				usage_error("--header \"%s\": expected 'NAME: VALUE'", v);
			if (nheaders == 32)
				usage_error("--header: at most 32");
			headers[nheaders++] = v;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage_error("api: unknown option %s", argv[i]);
		} else if (nargs < 3) {
			args[nargs++] = argv[i];
		} else {
			usage_error("api: unexpected argument \"%s\"", argv[i]);
		}
	}
	headers[nheaders] = NULL;
	if (nargs < 2)
		usage_error("api: expected METHOD PATH [BODY|-]");
	if (!valid_method(args[0]))
		usage_error("api: method \"%s\": expected GET, POST, PUT, DELETE or HEAD",
			    args[0]);
	if (args[1][0] != '/')
		usage_error("api: path \"%s\" must start with /", args[1]);

	r.method = args[0];
	r.path = args[1];
	r.raw_path = str_starts(r.path, "/v1.");
	r.headers = headers;
	if (nargs == 3) {
		if (!strcmp(args[2], "-"))
			read_stdin(&body);
		else
			buf_adds(&body, args[2]);
		r.body = body.p;
		r.body_len = body.len;
	}
	if (docker_open(&d, NULL, &e) < 0)
		die_err(&e);
	if (docker_stream(&d, &r, to_stdout, NULL, &e) < 0)
		die_err(&e);
	docker_close(&d);
	buf_free(&body);
	return 0;
}

/* --- dispatch -------------------------------------------------------------------- */

/* The commands, in the order of the usage text. Each gets argv from its own
 * name on (exec's CMD may take --help itself: run_command looks only before
 * "--"). */
static const struct applet_cmd commands[] = {
	{ "pull", dcmd_pull },
	{ "probe", dcmd_probe },
	{ "prune", dcmd_prune },
	{ "create", dcmd_create },
	{ "start", dcmd_start },
	{ "stop", dcmd_stop },
	{ "rm", dcmd_rm },
	{ "exec", dcmd_exec },
	{ "wait", dcmd_wait },
	{ "config", dcmd_config },
	{ "dockerd-args", dcmd_dockerd_args },
	{ "log", dcmd_log },
	{ "logs-to-coder", dcmd_logs_to_coder },
	{ "api", cmd_api },
};

int docker_main(int argc, char **argv)
{
	return run_command(argc, argv, commands, sizeof commands / sizeof *commands, NULL);
}
