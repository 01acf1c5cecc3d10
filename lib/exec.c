/* exec: a command in a container, over the Engine API's hijacked stream. */
#include "exec.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "json.h"

/* Stdin is sent at most this much per POLLOUT: a unix socket that reports
 * POLLOUT has at least three quarters of its send buffer free, so a write
 * this small never blocks (docker_conn_write waits until all is sent). */
#define SEND_CHUNK 4096

int exec_opts_check(const struct exec_opts *o, eb_err *e)
{
	if (o->user) {
		bool bad = !*o->user;

		for (const char *p = o->user; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				bad = true;
		if (bad) {
			buf b = { 0 };

			spec_quote(&b, o->user, strlen(o->user));
			eb_errf(e, "--user %s: expected NAME, UID or UID:GID", b.p);
			buf_free(&b);
			return -1;
		}
	}
	if (o->workdir && o->workdir[0] != '/') {
		buf b = { 0 };

		spec_quote(&b, o->workdir, strlen(o->workdir));
		eb_errf(e, "--workdir %s: expected an absolute path", b.p);
		buf_free(&b);
		return -1;
	}
	for (size_t i = 0; i < o->nenvs; i++)
		if (ctr_env_arg_check(o->envs[i], e) < 0)
			return -1;
	if (!o->ncmd || !o->cmd[0][0]) {
		eb_errf(e, "expected a command after --");
		return -1;
	}
	return 0;
}

void exec_create_body(const struct exec_opts *o, buf *out)
{
	json_w w;

	jw_init(&w, out);
	jw_obj(&w);
	jw_kbool(&w, "AttachStdin", o->stdin);
	jw_kbool(&w, "AttachStdout", true);
	jw_kbool(&w, "AttachStderr", true);
	/* No TTY: stdout and stderr stay apart, multiplexed in frames. */
	jw_kbool(&w, "Tty", false);
	jw_kbool(&w, "Privileged", false);
	if (o->user)
		jw_kstr(&w, "User", o->user);
	if (o->workdir)
		jw_kstr(&w, "WorkingDir", o->workdir);
	if (o->nenvs) {
		/* Not jw_kstrs: these are const char *, as the options give them. */
		jw_key(&w, "Env");
		jw_arr(&w);
		for (size_t i = 0; i < o->nenvs; i++)
			jw_str(&w, o->envs[i]);
		jw_arr_end(&w);
	}
	jw_kstrs(&w, "Cmd", o->cmd, o->ncmd);
	jw_obj_end(&w);
}

int exec_state_parse(const char *js, size_t len, struct exec_state *st,
		     eb_err *e)
{
	json_doc d;
	long long v;
	int t;

	memset(st, 0, sizeof *st);
	if (json_parse(&d, js, len, e) < 0)
		return -1;
	if (json_type(&d, 0) != JSMN_OBJECT ||
	    json_bool(&d, json_obj_get(&d, 0, "Running"), &st->running) < 0) {
		eb_errf(e, "exec state: expected an object with Running");
		json_free(&d);
		return -1;
	}
	t = json_obj_get(&d, 0, "ExitCode");
	if (json_int(&d, t, &v) == 0) {
		st->has_exit = true;
		st->exit_code = (int)v;
	}
	if (json_int(&d, json_obj_get(&d, 0, "Pid"), &v) == 0)
		st->pid = v;
	json_free(&d);
	return 0;
}

int exec_create(docker *d, const char *container, const struct exec_opts *o,
		char **id, eb_err *e)
{
	char *name = docker_query_escape(container);
	char *path = xasprintf("/containers/%s/exec", name);
	buf body = { 0 }, out = { 0 };
	docker_req r = { .method = "POST", .path = path };
	json_doc doc;
	int rc = -1;

	*id = NULL;
	exec_create_body(o, &body);
	r.body = body.p;
	r.body_len = body.len;
	if (docker_request(d, &r, NULL, &out, e) < 0)
		goto out;
	if (json_parse(&doc, out.p ? out.p : "", out.len, e) < 0)
		goto out;
	*id = json_strdup(&doc, json_obj_get(&doc, 0, "Id"));
	json_free(&doc);
	if (!*id || !**id || strspn(*id, "0123456789abcdef") != strlen(*id)) {
		free(*id);
		*id = NULL;
		eb_errf(e, "POST %s: the answer has no exec Id", path);
		goto out;
	}
	rc = 0;
out:
	buf_free(&body);
	buf_free(&out);
	free(path);
	free(name);
	return rc;
}

int exec_start(docker *d, const char *id, docker_conn *c, eb_err *e)
{
	static const char body[] = "{\"Detach\":false,\"Tty\":false}";
	char *path = xasprintf("/exec/%s/start", id);
	docker_req r = {
		.method = "POST", .path = path, .body = body,
		.body_len = sizeof body - 1,
	};
	int rc = docker_hijack(d, &r, c, e);

	free(path);
	return rc;
}

int exec_inspect(docker *d, const char *id, struct exec_state *st, eb_err *e)
{
	char *path = xasprintf("/exec/%s/json", id);
	docker_req r = { .method = "GET", .path = path };
	buf out = { 0 };
	eb_err why;
	int rc = docker_request(d, &r, NULL, &out, e);

	if (rc == 0 && (rc = exec_state_parse(out.p ? out.p : "", out.len, st,
					      &why)) < 0)
		eb_errf(e, "GET %s: %s", path, why.msg);
	buf_free(&out);
	free(path);
	return rc;
}

/* --- --log lines ----------------------------------------------------------- */

void exec_lines_init(struct exec_lines *l, exec_line_fn fn, void *arg)
{
	memset(l, 0, sizeof *l);
	l->fn = fn;
	l->arg = arg;
}

/* Where to cut s so at most max bytes stay and no UTF-8 sequence is split. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
	size_t n = len < max ? len : max;

	if (n == len)
		return n;
	/* Back over continuation bytes (10xxxxxx) to the sequence's start. */
	for (size_t k = 0; k < 4 && n > 0 &&
			   ((unsigned char)s[n] & 0xc0) == 0x80; k++)
		n--;
	return n;
}

static void emit(struct exec_lines *l, int i)
{
	buf *b = &l->part[i];

	if (l->cut[i]) {
		b->len = utf8_cut(b->p, b->len,
				  EXEC_LINE_MAX - strlen(EXEC_CUT_MARKER));
		b->p[b->len] = 0;
		buf_adds(b, EXEC_CUT_MARKER);
	} else if (b->len && b->p[b->len - 1] == '\r') {
		b->p[--b->len] = 0;
	}
	l->fn(b->p ? b->p : "", l->arg);
	buf_reset(b);
	l->cut[i] = false;
}

static void take(struct exec_lines *l, int i, const char *p, size_t n)
{
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;
		size_t room = EXEC_LINE_MAX - l->part[i].len;

		/* Keep EXEC_LINE_MAX bytes at most: enough to cut from. */
		if (k > room)
			l->cut[i] = true;
		buf_add(&l->part[i], p, k < room ? k : room);
		if (!nl)
			return;
		emit(l, i);
		p += k + 1;
		n -= k + 1;
	}
}

void exec_lines_feed(struct exec_lines *l, int stream, const char *p, size_t n)
{
	int i = stream == DOCKER_STDOUT ? 0 : 1;
	char note[96];

	if (l->over)
		return;
	if (n <= EXEC_LOG_MAX - l->total) {
		l->total += n;
		take(l, i, p, n);
		return;
	}
	take(l, i, p, EXEC_LOG_MAX - l->total);
	l->total = EXEC_LOG_MAX;
	l->over = true;
	exec_lines_flush(l);
	snprintf(note, sizeof note,
		 "output over %u bytes: the rest is not logged", EXEC_LOG_MAX);
	l->fn(note, l->arg);
}

void exec_lines_flush(struct exec_lines *l)
{
	for (int i = 0; i < 2; i++)
		if (l->part[i].len || l->cut[i])
			emit(l, i);
}

void exec_lines_free(struct exec_lines *l)
{
	buf_free(&l->part[0]);
	buf_free(&l->part[1]);
}

/* --- the copy loop --------------------------------------------------------- */

struct sink {
	struct exec_io *io;
	bool dead[2];     /* writes to out_fd / err_fd failed: drop the rest */
	bool mid_line[2]; /* the last byte written to it was not "\n" */
	size_t passed;    /* output bytes passed on, for max_output */
};

static void write_all(struct sink *s, int i, int fd, const char *p, size_t n)
{
	while (n && !s->dead[i]) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			poll(&pfd, 1, -1);
			continue;
		}
		if (k <= 0) {
			if (!s->io->write_errno)
				s->io->write_errno = k < 0 ? errno : EIO;
			s->dead[i] = true;
			return;
		}
		p += k;
		n -= (size_t)k;
	}
}

static int on_frame(int stream, const char *p, size_t n, void *arg, eb_err *e)
{
	struct sink *s = arg;
	struct exec_io *io = s->io;
	bool cut = false;
	int i;

	(void)e;
	if (stream == DOCKER_STDIN)
		return 0;
	if (stream == DOCKER_SYSERR)
		stream = DOCKER_STDERR;
	i = stream == DOCKER_STDOUT ? 0 : 1;
	if (io->max_output) {
		if (io->output_cut)
			return 0;
		if (n > io->max_output - s->passed) {
			n = io->max_output - s->passed;
			cut = true;
		}
		s->passed += n;
	}
	if (io->lines) {
		exec_lines_feed(io->lines, stream, p, n);
	} else if (n) {
		write_all(s, i, i ? io->err_fd : io->out_fd, p, n);
		s->mid_line[i] = p[n - 1] != '\n';
	}
	if (cut) {
		/* What follows (the caller's note) starts a line of its own. */
		io->output_cut = true;
		if (!io->lines && s->mid_line[i])
			write_all(s, i, i ? io->err_fd : io->out_fd, "\n", 1);
	}
	return 0;
}

int exec_pump(docker_conn *c, struct exec_io *io, eb_err *e)
{
	char chunk[65536];
	struct sink s = { .io = io };
	docker_demux m;
	buf in = { 0 };       /* stdin read, not yet sent */
	size_t in_off = 0;
	bool in_eof = io->in_fd < 0, shut = io->in_fd < 0, seen = false;
	long long deadline = 0;
	long grace = io->grace_ms > 0 ? io->grace_ms : EXEC_GRACE_MS;
	int rc = -1;

	docker_demux_init(&m);
	io->write_errno = 0;
	io->output_cut = false;
	for (;;) {
		struct pollfd p[2];
		struct timespec ts, *tsp = NULL;
		nfds_t nfds = 1;
		ssize_t n;
		long long left;

		/* Output that came with the answer's head is already here. */
		if (c->off < c->pending.len) {
			n = docker_conn_read(c, chunk, sizeof chunk, e);
			if (n > 0 && docker_demux_feed(&m, chunk, (size_t)n,
						       on_frame, &s, e) < 0)
				goto out;
			continue;
		}
		if (io->signalled && *io->signalled && !seen) {
			seen = true;
			deadline = mono_ms() + grace;
			if (io->on_signal)
				io->on_signal(io->arg);
		}
		if (in_eof && in_off == in.len && !shut) {
			/* The command sees EOF; its output keeps coming. A
			 * peer already gone shows up on the read side. */
			eb_err ignored;

			docker_conn_close_write(c, &ignored);
			shut = true;
		}

		p[0].fd = c->fd;
		p[0].events = POLLIN | (in_off < in.len && !shut ? POLLOUT : 0);
		if (!in_eof && in_off == in.len) {
			p[1].fd = io->in_fd;
			p[1].events = POLLIN;
			nfds = 2;
		}
		if (seen) {
			left = deadline - mono_ms();
			if (left <= 0) {
				rc = EXEC_GAVE_UP;
				goto out;
			}
		} else {
			/* Without a mask a signal may slip in between the
			 * check above and the wait: look again now and then. */
			left = io->signalled && !io->wait_mask ? 250 : -1;
		}
		if (left >= 0) {
			ts.tv_sec = left / 1000;
			ts.tv_nsec = (left % 1000) * 1000000;
			tsp = &ts;
		}
		p[0].revents = p[1].revents = 0;
		if (ppoll(p, nfds, tsp, io->wait_mask) < 0) {
			if (errno == EINTR)
				continue;
			eb_errf(e, "poll: %s", strerror(errno));
			goto out;
		}

		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = docker_conn_read(c, chunk, sizeof chunk, e);
			if (n < 0)
				goto out;
			if (n == 0 && !docker_demux_idle(&m)) {
				/* The daemon went away mid-frame: what came
				 * is not all the command wrote. */
				eb_errf(e, "the output stream ended in the middle of a "
					"frame (the daemon's connection was cut)");
				goto out;
			}
			if (n == 0) {
				rc = EXEC_ENDED;
				goto out;
			}
			if (docker_demux_feed(&m, chunk, (size_t)n, on_frame,
					      &s, e) < 0)
				goto out;
		}
		if (p[0].revents & POLLOUT) {
			size_t k = in.len - in_off;
			eb_err why;

			if (k > SEND_CHUNK)
				k = SEND_CHUNK;
			if (docker_conn_write(c, in.p + in_off, k, &why) < 0) {
				/* The command stopped reading (it exited):
				 * drop the rest of stdin, read its output. */
				in_eof = shut = true;
				in_off = in.len;
			} else {
				in_off += k;
			}
			if (in_off == in.len) {
				buf_reset(&in);
				in_off = 0;
			}
		}
		if (nfds == 2 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			n = read(io->in_fd, chunk, sizeof chunk);
			if (n < 0 && errno != EINTR && errno != EAGAIN) {
				eb_errf(e, "reading stdin: %s", strerror(errno));
				goto out;
			}
			if (n == 0)
				in_eof = true;
			else if (n > 0)
				buf_add(&in, chunk, (size_t)n);
		}
	}
out:
	buf_free(&in);
	return rc;
}
