/* envbox-docker exec and wait: a command run in the workspace container,
 * and its end awaited (usage: applets/docker.c; the exec stream:
 * lib/exec.h; docs/envbox-docker.md). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "applet.h"
#include "container.h"
#include "docker.h"
#include "docker_cmds.h"
#include "exec.h"
#include "log.h"
#include "pid.h"

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
	const char *name = only_name("wait", argc, argv);
	static const long ok[] = { 0 };
	struct ctr_end end;
	docker_req r = { .method = "GET" };
	buf out = { 0 };
	long status;
	char *path;
	docker d;
	eb_err e;

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
