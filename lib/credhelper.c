/* credhelper: running docker-credential-NAME get, as
 * docker/docker-credential-helpers' client does (client/client.go). */
#include "credhelper.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	p[0] = p[1] = -1;
}

static void wipe(buf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->cap);
	buf_free(b);
}

static void say(const struct credhelper_opts *o, enum log_type t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void say(const struct credhelper_opts *o, enum log_type t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vto(o ? o->log : NULL, o ? o->log_arg : NULL, t, fmt, ap);
	va_end(ap);
}

/* A name from a document, fit for one line of a message. */
static char *printable(const char *s)
{
	buf b = { 0 };

	for (; *s && b.len < 96; s++)
		buf_addc(&b, (*s > 0x20 && *s < 0x7f) ? *s : '?');
	return buf_steal(&b);
}

int credhelper_run(const char *prog, const char *server,
		   const struct credhelper_opts *o, buf *out, buf *err, int *status,
		   eb_err *e)
{
	int in[2] = { -1, -1 }, op[2] = { -1, -1 }, ep[2] = { -1, -1 };
	char *argv[] = { (char *)prog, "get", NULL };
	posix_spawn_file_actions_t fa;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	static const struct credhelper_opts none = { 0 };
	long timeout_ms;
	long long deadline;
	struct pollfd pf[2];
	buf *to[2] = { out, err };
	pid_t pid;
	int rc;

	if (!o)
		o = &none;
	timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : CREDHELPER_TIMEOUT_MS;
	deadline = mono_ms() + timeout_ms;
	if (pipe2(in, O_CLOEXEC) || pipe2(op, O_CLOEXEC) || pipe2(ep, O_CLOEXEC)) {
		eb_errf(e, "%s: unable to make a pipe: %s", prog, strerror(errno));
		close_pair(in);
		close_pair(op);
		close_pair(ep);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(op[1]);
	close(ep[1]);
	in[0] = op[1] = ep[1] = -1;
	if (rc) {
		if (rc == ENOENT)
			eb_errf(e, "%s is not installed (not found on PATH)", prog);
		else
			eb_errf(e, "unable to run %s: %s", prog, strerror(rc));
		close_pair(in);
		close_pair(op);
		close_pair(ep);
		return -1;
	}
	/* The server name is far below PIPE_BUF: one write, no deadlock; a
	 * helper that exits without reading it must not kill us by SIGPIPE. */
	sigaction(SIGPIPE, &ign, &old);
	if (write(in[1], server, strlen(server)) < 0 && errno != EPIPE)
		say(o, LOG_ERROR, "writing to %s: %s", prog, strerror(errno));
	sigaction(SIGPIPE, &old, NULL);
	close_pair(in);

	pf[0] = (struct pollfd){ .fd = op[0], .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = ep[0], .events = POLLIN };
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		long long left = deadline - mono_ms();
		int n;

		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close_pair(op);
			close_pair(ep);
			if (timeout_ms % 1000)
				eb_errf(e, "%s get did not answer within %ld ms; killed it",
					prog, timeout_ms);
			else
				eb_errf(e, "%s get did not answer within %ld s; killed it",
					prog, timeout_ms / 1000);
			return -1;
		}
		n = poll(pf, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno != EINTR) {
			eb_errf(e, "%s: poll: %s", prog, strerror(errno));
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close_pair(op);
			close_pair(ep);
			return -1;
		}
		for (int i = 0; i < 2 && n > 0; i++) {
			char chunk[4096];
			ssize_t r;

			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			r = read(pf[i].fd, chunk, sizeof chunk);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				pf[i].fd = -1;
				continue;
			}
			if (to[i]->len < CREDHELPER_OUT_MAX)
				buf_add(to[i], chunk, (size_t)r < CREDHELPER_OUT_MAX - to[i]->len ?
					(size_t)r : CREDHELPER_OUT_MAX - to[i]->len);
		}
	}
	close_pair(op);
	close_pair(ep);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR) {
			eb_errf(e, "%s: waitpid: %s", prog, strerror(errno));
			return -1;
		}
	}
	return 0;
}

char *credhelper_said(const buf *b)
{
	const char *s = b->p ? b->p : "";
	size_t n;
	char *line;

	s += strspn(s, " \t\r\n");
	if (*s == '{')
		return xstrdup("");
	n = strcspn(s, "\r\n");
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n > 200)
		n = 200;
	line = xstrndup(s, n);
	for (char *p = line; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	return line;
}

int credhelper_get(struct auth_creds *c, const struct credhelper_opts *o, eb_err *e)
{
	const char *from = c->from_store ? "credsStore" : "credHelpers";
	char *prog, *said;
	buf out = { 0 }, err = { 0 };
	int status, rc = -1;

	if (!auth_helper_valid(c->helper)) {
		char *h = printable(c->helper);

		eb_errf(e, "%s names the credential helper \"%s\", which is not a valid "
			"helper name (letters, digits, '.', '_', '-')", from, h);
		free(h);
		return -1;
	}
	prog = xasprintf("docker-credential-%s", c->helper);
	if (credhelper_run(prog, c->helper_server, o, &out, &err, &status, e)) {
		eb_err inner = *e;

		eb_errf(e, "the credentials are kept by a credential helper (%s): %s",
			from, inner.msg);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		said = credhelper_said(&out);
		if (!strcmp(said, AUTH_HELPER_NOT_FOUND)) {
			say(o, LOG_INFO, "%s has no credentials for %s", prog,
			    c->helper_server);
			free(said);
			auth_creds_free(c);
			rc = 0;
			goto out;
		}
		if (!*said) {
			free(said);
			said = credhelper_said(&err);
		}
		if (WIFEXITED(status))
			eb_errf(e, "%s get failed for %s (exit status %d)%s%s", prog,
				c->helper_server, WEXITSTATUS(status), *said ? ": " : "", said);
		else
			eb_errf(e, "%s get for %s was killed by signal %d", prog,
				c->helper_server, WTERMSIG(status));
		free(said);
		goto out;
	}
	if (auth_helper_reply(c, out.p, out.len)) {
		eb_errf(e, "%s get for %s: its output is not the JSON object the "
			"credential helper protocol defines", prog, c->helper_server);
		goto out;
	}
	if (c->kind == AUTH_NONE)
		say(o, LOG_INFO, "%s has no credentials for %s", prog,
		    c->helper_server);
	rc = 0;
out:
	wipe(&out);
	wipe(&err);
	free(prog);
	return rc;
}
