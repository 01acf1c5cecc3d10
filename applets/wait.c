/* envbox-wait: wait for the Docker daemon or a file, with a deadline.
 * The entrypoint runs it after starting dockerd and sysbox-mgr. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "applet.h"
#include "docker.h"

const char wait_usage[] =
	"Usage: envbox-wait docker [--timeout SECONDS] [--pid PID]\n"
	"       envbox-wait file PATH [--timeout SECONDS] [--pid PID]\n"
	"\n"
	"Waits until something is ready, trying again every 200 ms, and gives up\n"
	"at a deadline.\n"
	"\n"
	"  docker      until the Docker daemon at $DOCKER_HOST answers GET /_ping\n"
	"              with OK\n"
	"  file PATH   until PATH exists (a symbolic link must lead somewhere)\n"
	"\n"
	"Options:\n"
	"  --timeout SECONDS   give up after this many whole seconds (default 300);\n"
	"                      0 tries once\n"
	"  --pid PID           give up at once when process PID (the daemon being\n"
	"                      waited for) exits or is a zombie\n"
	"\n"
	"Environment:\n"
	"  DOCKER_HOST   the daemon's socket as unix:///path\n"
	"                (default unix:///var/run/docker.sock)\n"
	"\n"
	"Prints nothing when ready. At the deadline it prints what it waited for\n"
	"and the last error on stderr.\n"
	"\n"
	"Exit codes: 0 ready, 1 not ready by the deadline, PID gone (or\n"
	"DOCKER_HOST is not a unix socket), 2 usage error.\n";

enum {
	POLL_MS = 200,     /* between tries; the contract says at most 250 */
	TRY_MAX_MS = 2000, /* one ping; a hung daemon gets asked again */
	TRY_MIN_MS = 50,
	ONE_TRY_MS = 1000, /* the single try of --timeout 0 */
};

/* The process waited on, or 0. */
static pid_t watched;

/* A dead child stays a zombie until its parent (the entrypoint) reaps it,
 * and kill(pid, 0) still succeeds on a zombie: read its state instead. */
static bool watched_gone(void)
{
	char path[64], stat[512], *close_paren;
	FILE *f;
	size_t n;

	if (!watched)
		return false;
	snprintf(path, sizeof path, "/proc/%d/stat", (int)watched);
	f = fopen(path, "r");
	if (!f)
		return kill(watched, 0) < 0 && errno == ESRCH;
	n = fread(stat, 1, sizeof stat - 1, f);
	fclose(f);
	stat[n] = 0;
	close_paren = strrchr(stat, ')');
	return close_paren && (close_paren[1] == ' ') &&
	       (close_paren[2] == 'Z' || close_paren[2] == 'X');
}

static _Noreturn void die_gone(const char *what)
{
	die("process %d exited before %s was ready", (int)watched, what);
}

/* Sleeps POLL_MS, but never past the deadline. */
static void pause_until(long long deadline)
{
	long long at = mono_ms() + POLL_MS;
	struct timespec ts;

	if (at > deadline)
		at = deadline;
	ts.tv_sec = at / 1000;
	ts.tv_nsec = (at % 1000) * 1000000;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int wait_docker(long long timeout_s)
{
	long long deadline = mono_ms() + timeout_s * 1000;
	docker d;
	eb_err e;

	if (docker_open(&d, NULL, &e) < 0)
		die_err(&e);
	for (;;) {
		long long left = deadline - mono_ms();
		long try_ms = left > TRY_MAX_MS ? TRY_MAX_MS : (long)left;

		if (timeout_s == 0)
			try_ms = ONE_TRY_MS;
		else if (try_ms < TRY_MIN_MS)
			try_ms = TRY_MIN_MS;
		/* Bound connect and answer alike: a socket that accepts and
		 * never replies must not carry us past the deadline. */
		d.connect_timeout_ms = d.timeout_ms = try_ms;
		if (docker_ping(&d, &e) == 0) {
			docker_close(&d);
			return 0;
		}
		if (watched_gone())
			die_gone("the Docker daemon");
		if (mono_ms() >= deadline)
			break;
		pause_until(deadline);
	}
	die("the Docker daemon at %s did not answer within %lld s; last error: %s",
	    d.sock, timeout_s, e.msg);
}

static int wait_file(const char *path, long long timeout_s)
{
	long long deadline = mono_ms() + timeout_s * 1000;
	struct stat st;

	for (;;) {
		if (stat(path, &st) == 0)
			return 0;
		if (watched_gone())
			die_gone(path);
		if (mono_ms() >= deadline)
			break;
		pause_until(deadline);
	}
	die("%s did not appear within %lld s: %s", path, timeout_s,
	    strerror(errno));
}

int wait_main(int argc, char **argv)
{
	const char *what = NULL, *path = NULL, *v;
	long long timeout_s = 300;

	if (wants_help(argc, argv))
		help();
	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--timeout"))) {
			timeout_s = parse_count("--timeout", v);
			/* Keeps the millisecond arithmetic far from overflow. */
			if (timeout_s > 100000000)
				usage_error("--timeout: %s seconds is too long", v);
		} else if ((v = opt_value(argc, argv, &i, "--pid"))) {
			long long pid = parse_count("--pid", v);

			if (pid < 1 || pid > 4194304)
				usage_error("--pid: \"%s\" is not a process id", v);
			watched = (pid_t)pid;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage_error("unknown option %s", argv[i]);
		} else if (!what) {
			what = argv[i];
		} else if (!strcmp(what, "file") && !path) {
			path = argv[i];
		} else {
			usage_error("unexpected argument \"%s\"", argv[i]);
		}
	}
	if (!what)
		usage_error("what to wait for? docker or file PATH");
	if (!strcmp(what, "docker"))
		return wait_docker(timeout_s);
	if (!strcmp(what, "file")) {
		if (!path || !*path)
			usage_error("file: which PATH?");
		return wait_file(path, timeout_s);
	}
	usage_error("unknown target \"%s\": docker or file PATH", what);
}
