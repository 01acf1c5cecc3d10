/* envbox-docker logs-to-coder: the entrypoint's build log, passed through to
 * the real stderr and sent to Coder as the agent's startup logs (coder/envbox
 * buildlog/coder.go), under a log source "envbox" of their own where Coder
 * has log sources (lib/coderlog.h). The entrypoint puts it between its
 * stderr and the real one through a FIFO:
 *
 *   mkfifo F; envbox-docker logs-to-coder <F & exec 2>F
 *
 * so it must outlive every writer: it ignores SIGPIPE, SIGTERM, SIGINT and
 * SIGHUP, keeps reading when its stderr fails, and exits 0 at the end of
 * stdin. Coder never holds up the pass-through: requests run beside the
 * reading (libcurl multi, one poll loop), each bounded (lib/coderlog.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applet.h"
#include "coderlog.h"
#include "docker_cmds.h"
#include "log.h"

static bool stderr_dead;
/* The last byte passed through ended a line: a notice of ours may go in
 * without cutting a line of the log in two. */
static bool at_line_start = true;

/* Everything read goes out unchanged, at once. */
static void pass_through(const char *p, size_t n)
{
	if (n > 0)
		at_line_start = p[n - 1] == '\n';
	while (n > 0 && !stderr_dead) {
		ssize_t w = write(2, p, n);

		if (w < 0) {
			struct pollfd out = { .fd = 2, .events = POLLOUT };

			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) { /* a non-blocking stderr we share */
				poll(&out, 1, 1000);
				continue;
			}
			stderr_dead = true;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Notices wait for the end of a line; at the end of the log (last) one
 * is ended first if need be. */
static void tell(coderlog_client *c, bool last)
{
	const char *notice;

	if (!coderlog_has_notice(c))
		return;
	if (!at_line_start) {
		if (!last)
			return;
		pass_through("\n", 1);
	}
	while ((notice = coderlog_notice(c)))
		if (!stderr_dead)
			log_msg(LOG_INFO, "warning: %s", notice);
}

static void add_line(const char *line, size_t n, void *arg)
{
	coderlog_add(arg, line, n);
}

/* The client, when CODER_AGENT_URL and CODER_AGENT_TOKEN are both set and
 * usable; otherwise this is a plain pass-through. */
static coderlog_client *open_client(void)
{
	struct coderlog_opts o = { 0 };
	coderlog_client *c;
	eb_err e;

	o.url = getenv("CODER_AGENT_URL");
	o.token = getenv("CODER_AGENT_TOKEN");
	o.extra_certs = getenv("CODER_EXTRA_CERTS_PATH");
	if (!o.url || !*o.url || !o.token || !*o.token)
		return NULL;
	c = coderlog_open(&o, &e);
	if (!c)
		log_msg(LOG_INFO, "warning: unable to send startup logs to Coder: %s; they stay in this log only",
			e.msg);
	return c;
}

/* A closed stdin, stdout or stderr becomes /dev/null, so that no socket
 * of ours takes its number and gets the log written into it. */
static void keep_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) != fd)
				die("unable to open /dev/null: %s", strerror(errno));
			if (fd == 2)
				stderr_dead = true;
		}
}

int dcmd_logs_to_coder(int argc, char **argv)
{
	static char chunk[65536];
	coderlog_lines lines = { 0 };
	coderlog_client *c;
	ssize_t n;

	(void)argv;
	if (argc > 1)
		usage_error("logs-to-coder takes no arguments (it reads stdin and CODER_AGENT_URL, CODER_AGENT_TOKEN)");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	keep_std_fds();
	c = open_client();
	for (;;) {
		if (c) {
			bool readable = coderlog_wait(c, 0, 1000);

			tell(c, false);
			if (coderlog_failed(c) && at_line_start) {
				coderlog_close(c);
				c = NULL;
			}
			if (!readable)
				continue;
		}
		n = read(0, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		pass_through(chunk, (size_t)n);
		if (c)
			coderlog_feed(&lines, chunk, (size_t)n, add_line, c);
	}
	if (c) {
		coderlog_feed_end(&lines, add_line, c);
		coderlog_end(c);
		while (!coderlog_idle(c))
			coderlog_wait(c, -1, 250);
		tell(c, true);
		coderlog_close(c);
	} else {
		buf_free(&lines.part);
	}
	return 0;
}
