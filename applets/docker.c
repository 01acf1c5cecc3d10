/* envbox-docker: the Docker Engine API client behind `envbox docker`.
 * https://docs.docker.com/engine/api/v1.41/ */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "applet.h"
#include "docker.h"

const char docker_usage[] =
	"Usage: envbox-docker api [--header 'NAME: VALUE']... METHOD PATH [BODY|-]\n"
	"\n"
	"The Docker Engine API client behind `envbox docker`, talking to the daemon\n"
	"at $DOCKER_HOST.\n"
	"\n"
	"Commands:\n"
	"  api METHOD PATH [BODY|-]\n"
	"        One raw Engine API request, like curl --unix-socket: prints the\n"
	"        answer's body on stdout as it arrives (streams such as pull\n"
	"        progress included). PATH is unversioned, e.g. /containers/json,\n"
	"        and is sent as /v1.41/containers/json; a PATH starting with /v1.\n"
	"        is sent as it is. BODY is sent as application/json; - reads it\n"
	"        from stdin.\n"
	"\n"
	"Coming with the main job (they say \"not implemented yet\" and exit 1):\n"
	"  pull IMAGE                      pull with envbox-auth's credentials\n"
	"  probe IMAGE USER                uid, gid, home, init, os of USER in IMAGE\n"
	"  create NAME IMAGE               create the container from spec lines\n"
	"  start NAME, stop NAME, rm NAME\n"
	"  exec NAME [--user U] [--stdin] -- CMD...\n"
	"  prune                           remove unused images\n"
	"\n"
	"Options:\n"
	"  --header 'NAME: VALUE'   an extra request header (api; repeatable)\n"
	"\n"
	"Environment:\n"
	"  DOCKER_HOST          the daemon's socket as unix:///path\n"
	"                       (default unix:///var/run/docker.sock)\n"
	"  DOCKER_API_VERSION   the API version in paths (default " DOCKER_API_VERSION ")\n"
	"\n"
	"Exit codes: 0 done, 1 failed (for an error answer: the daemon's message\n"
	"and the HTTP status), 2 usage error.\n";

/* Subcommands that the main-job issue brings; named so they can say so. */
static const char *const coming[] = {
	"pull", "probe", "create", "start", "stop", "rm", "exec", "prune", NULL,
};

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

int docker_main(int argc, char **argv)
{
	if (wants_help(argc, argv))
		help();
	if (argc < 2)
		usage_error("which command? api (pull, probe, create, start, stop, rm, exec, prune are coming)");
	if (!strcmp(argv[1], "api"))
		return cmd_api(argc - 1, argv + 1);
	for (const char *const *c = coming; *c; c++)
		if (!strcmp(argv[1], *c))
			die("%s: not implemented yet (it comes with the main job); only api works now",
			    argv[1]);
	usage_error("unknown command \"%s\"", argv[1]);
}
