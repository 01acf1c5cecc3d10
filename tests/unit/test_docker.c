/* test_docker: lib/docker's pure parts, and its requests against a tiny
 * scripted HTTP server on a unix socket (a forked child), so streaming,
 * error answers and the hijacked stream are tested without a dockerd. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "docker.h"

static void test_host(void)
{
	eb_err e = { "" };
	char *s;

	s = docker_host_socket(NULL, &e);
	CHECK_STR(s, "/var/run/docker.sock");
	free(s);
	s = docker_host_socket("", &e);
	CHECK_STR(s, "/var/run/docker.sock");
	free(s);
	s = docker_host_socket("unix:///tmp/d.sock", &e);
	CHECK_STR(s, "/tmp/d.sock");
	free(s);

	CHECK(!docker_host_socket("tcp://127.0.0.1:2375", &e));
	CHECK_STR(e.msg, "DOCKER_HOST=tcp://127.0.0.1:2375: only unix:// sockets are supported");
	CHECK(!docker_host_socket("ssh://me@host", &e));
	CHECK_STR(e.msg, "DOCKER_HOST=ssh://me@host: only unix:// sockets are supported");
	/* A password in the value is never shown. */
	CHECK(!docker_host_socket("tcp://me:hunter2@host:2376/x", &e));
	CHECK_STR(e.msg, "DOCKER_HOST=tcp://me:***@host:2376/x: only unix:// sockets are supported");
	CHECK(!strstr(e.msg, "hunter2"));
	CHECK(!docker_host_socket("unix://rel.sock", &e));
	CHECK_STR(e.msg, "DOCKER_HOST=unix://rel.sock: expected unix:///absolute/path");
	CHECK(!docker_host_socket("unix://", &e));
	CHECK(!docker_host_socket("/var/run/docker.sock", &e));
	CHECK_STR(e.msg, "DOCKER_HOST=/var/run/docker.sock: expected unix:///path/to/socket");

	/* sun_path holds 107 bytes and a NUL. */
	{
		char host[200] = "unix:///";

		memset(host + 8, 'a', 106);
		s = docker_host_socket(host, &e);
		CHECK(s && strlen(s) == 107);
		free(s);
		strcat(host, "b");
		CHECK(!docker_host_socket(host, &e));
		CHECK(strstr(e.msg, "longer than 107 bytes") != NULL);
	}
}

static void test_api_error(void)
{
	eb_err e;
	const char *b;
	char big[2000];

	b = "{\"message\":\"No such container: nope\"}\n";
	docker_api_error(&e, "GET", "/containers/nope/json", 404, b, strlen(b));
	CHECK_STR(e.msg, "GET /containers/nope/json: No such container: nope (HTTP 404)");

	/* Escapes are decoded; control characters never reach a log line. */
	b = "{\"message\":\"bad \\\"x\\\"\\nsecond line\"}";
	docker_api_error(&e, "POST", "/x", 400, b, strlen(b));
	CHECK_STR(e.msg, "POST /x: bad \"x\" second line (HTTP 400)");

	b = "404 page not found\nmore\n";
	docker_api_error(&e, "GET", "/nope", 404, b, strlen(b));
	CHECK_STR(e.msg, "GET /nope: 404 page not found (HTTP 404)");

	docker_api_error(&e, "POST", "/containers/c/start", 304, "", 0);
	CHECK_STR(e.msg, "POST /containers/c/start: not modified (already in that state) (HTTP 304)");
	docker_api_error(&e, "GET", "/x", 418, "", 0);
	CHECK_STR(e.msg, "GET /x: no message (HTTP 418)");
	b = "{\"other\":1}";
	docker_api_error(&e, "GET", "/x", 500, b, strlen(b));
	CHECK_STR(e.msg, "GET /x: {\"other\":1} (HTTP 500)");

	/* A chunked body read raw, as a hijack's error answer may come. */
	b = "2c\r\n{\"message\":\"No such exec instance: 1234\"}\n\r\n0\r\n\r\n";
	docker_api_error(&e, "POST", "/exec/1234/start", 404, b, strlen(b));
	CHECK_STR(e.msg, "POST /exec/1234/start: No such exec instance: 1234 (HTTP 404)");

	/* Not NUL-terminated: only len bytes are read. */
	docker_api_error(&e, "GET", "/x", 500, "oops and more", 4);
	CHECK_STR(e.msg, "GET /x: oops (HTTP 500)");

	memset(big, 'x', sizeof big);
	docker_api_error(&e, "GET", "/x", 500, big, sizeof big);
	CHECK(strlen(e.msg) < 450);
	CHECK(strstr(e.msg, "... (HTTP 500)") != NULL);
}

static void test_query_escape(void)
{
	char *s = docker_query_escape("registry:5000/a b&c=d?é~_.-");

	CHECK_STR(s, "registry%3A5000%2Fa%20b%26c%3Dd%3F%C3%A9~_.-");
	free(s);
	s = docker_query_escape("{\"dangling\":[\"false\"]}");
	CHECK_STR(s, "%7B%22dangling%22%3A%5B%22false%22%5D%7D");
	free(s);
	s = docker_query_escape("");
	CHECK_STR(s, "");
	free(s);
}

static void test_parse_head(void)
{
	long st;
	long long cl;
	const char *h;

	h = "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
	    "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
	CHECK(docker_parse_head(h, strlen(h), &st, &cl) == 0);
	CHECK(st == 101 && cl == -1);
	h = "HTTP/1.1 404 Not Found\r\ncontent-length: 45\r\n\r\n";
	CHECK(docker_parse_head(h, strlen(h), &st, &cl) == 0);
	CHECK(st == 404 && cl == 45);
	h = "HTTP/1.0 200 OK\r\n\r\n";
	CHECK(docker_parse_head(h, strlen(h), &st, &cl) == 0);
	CHECK(st == 200);
	h = "HTTP/1.1 200\r\n\r\n";
	CHECK(docker_parse_head(h, strlen(h), &st, &cl) == 0);
	CHECK(st == 200);

	h = "SSH-2.0-OpenSSH\r\n\r\n";
	CHECK(docker_parse_head(h, strlen(h), &st, &cl) < 0);
	h = "HTTP/1.1 9x9 Odd\r\n\r\n";
	CHECK(docker_parse_head(h, strlen(h), &st, &cl) < 0);
	h = "HTTP/1.1 404 Not Found\r\nContent-Length: -3\r\n\r\n";
	CHECK(docker_parse_head(h, strlen(h), &st, &cl) < 0);
	h = "HTTP/1.1 404 Not Found\r\nContent-Length: 12x\r\n\r\n";
	CHECK(docker_parse_head(h, strlen(h), &st, &cl) < 0);
	CHECK(docker_parse_head("HTTP/1.1", 8, &st, &cl) < 0);
	h = "HTTP/1.1 404 Not Found\r\nContent-Length: +3\r\n\r\n";
	CHECK(docker_parse_head(h, strlen(h), &st, &cl) < 0);
	h = "HTTP/1.1 404 Not Found\r\nContent-Length: 99999999999999999999\r\n\r\n";
	CHECK(docker_parse_head(h, strlen(h), &st, &cl) < 0);

	/* Nothing past len is read (fuzz_head found both): the status line
	 * cut after its code, and a head cut after the length's digits,
	 * each followed in memory by bytes that would complete it. */
	h = "HTTP/1.1 200 OK\r\n\r\n";
	CHECK(docker_parse_head(h, 12, &st, &cl) < 0);
	h = "HTTP/1.1 404 Not Found\r\nContent-Length: 12\r\n\r\n";
	CHECK(docker_parse_head(h, strlen(h) - 4, &st, &cl) < 0);
	CHECK(docker_parse_head(h, strlen(h) - 5, &st, &cl) < 0);
	CHECK(docker_parse_head(h, strlen(h) - 2, &st, &cl) == 0);
	CHECK(st == 404 && cl == 12);
}

struct frames {
	buf out, err;
	int sys;
};

static int on_frame(int stream, const char *p, size_t n, void *arg, eb_err *e)
{
	struct frames *f = arg;

	(void)e;
	if (stream == DOCKER_STDOUT)
		buf_add(&f->out, p, n);
	else if (stream == DOCKER_STDERR)
		buf_add(&f->err, p, n);
	else
		f->sys++;
	return 0;
}

static void test_demux(void)
{
	/* stdout "hello\n", an empty frame, stderr "oops", stdout "!" */
	static const char s[] =
		"\1\0\0\0\0\0\0\6hello\n"
		"\1\0\0\0\0\0\0\0"
		"\2\0\0\0\0\0\0\4oops"
		"\1\0\0\0\0\0\0\1!";
	size_t len = sizeof s - 1;
	eb_err e;

	/* Every way of cutting the stream in two gives the same result. */
	for (size_t cut = 0; cut <= len; cut++) {
		struct frames f = { 0 };
		docker_demux m;
		int r;

		docker_demux_init(&m);
		r = docker_demux_feed(&m, s, cut, on_frame, &f, &e);
		r |= docker_demux_feed(&m, s + cut, len - cut, on_frame, &f, &e);
		CHECK(r == 0);
		CHECK_STR(f.out.p, "hello\n!");
		CHECK_STR(f.err.p, "oops");
		CHECK(docker_demux_idle(&m));
		buf_free(&f.out);
		buf_free(&f.err);
	}
	/* Byte by byte, and a stream that stops inside a frame. */
	{
		struct frames f = { 0 };
		docker_demux m;

		docker_demux_init(&m);
		for (size_t i = 0; i < len - 1; i++)
			CHECK(docker_demux_feed(&m, s + i, 1, on_frame, &f, &e) == 0);
		CHECK(!docker_demux_idle(&m));
		CHECK_STR(f.out.p, "hello\n");
		buf_free(&f.out);
		buf_free(&f.err);
	}
	/* A TTY stream is not multiplexed: its first bytes are no header. */
	{
		struct frames f = { 0 };
		docker_demux m;

		docker_demux_init(&m);
		CHECK(docker_demux_feed(&m, "hello world\n", 12, on_frame, &f,
					&e) < 0);
		CHECK(strstr(e.msg, "malformed stream frame header") != NULL);
	}
}

/* --- against a scripted server ------------------------------------------- */

static char sock_path[108];
static pid_t server_pid;

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);

		if (k <= 0)
			return;
		p += k;
		n -= (size_t)k;
	}
}

static void say(int fd, const char *s)
{
	write_all(fd, s, strlen(s));
}

/* Reads one request: its head into head, its body (Content-Length) into body. */
static int read_request(int fd, buf *head, buf *body)
{
	char c[4096];
	char *end;
	const char *cl;
	size_t want = 0;
	ssize_t n;

	while (!(end = head->p ? strstr(head->p, "\r\n\r\n") : NULL)) {
		n = read(fd, c, sizeof c);
		if (n <= 0)
			return -1;
		buf_add(head, c, (size_t)n);
	}
	buf_add(body, end + 4, head->len - (size_t)(end + 4 - head->p));
	head->len = (size_t)(end + 4 - head->p);
	head->p[head->len] = 0;
	cl = strcasestr(head->p, "\r\nContent-Length:");
	if (cl)
		want = strtoul(cl + 17, NULL, 10);
	while (body->len < want && (n = read(fd, c, sizeof c)) > 0)
		buf_add(body, c, (size_t)n);
	return 0;
}

static void serve(int fd)
{
	buf head = { 0 }, body = { 0 };
	char path[256] = "";
	char line[1024];

	if (read_request(fd, &head, &body) < 0)
		return;
	sscanf(head.p, "%*s %255s", path);
	path[strcspn(path, "?")] = 0;
	if (!strcmp(path, "/_ping")) {
		say(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
	} else if (!strcmp(path, "/v1.41/t/echo")) {
		/* The request as seen, as the body. */
		snprintf(line, sizeof line, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n",
			 head.len + body.len);
		say(fd, line);
		write_all(fd, head.p, head.len);
		write_all(fd, body.p ? body.p : "", body.len);
	} else if (!strcmp(path, "/v1.41/t/lines")) {
		/* Lines cut across writes, CRLF, blank lines, no final \n. */
		say(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
		say(fd, "{\"a\":1}\n{\"b\"");
		usleep(20000);
		say(fd, ":2}\r\n\n\n{\"c\":");
		usleep(20000);
		say(fd, "3}");
	} else if (!strcmp(path, "/v1.41/t/longline")) {
		char chunk[65536];

		memset(chunk, 'x', sizeof chunk);
		say(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{\"ok\":1}\n");
		for (int i = 0; i < 20; i++) /* 1.25 MiB, no newline */
			write_all(fd, chunk, sizeof chunk);
	} else if (!strcmp(path, "/v1.41/t/manylines")) {
		/* 4 MiB of short lines: memory must not grow with them. */
		char chunk[65536];

		for (size_t i = 0; i < sizeof chunk; i += 16)
			memcpy(chunk + i, "{\"progress\":1}\n\n", 16);
		say(fd, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
		for (int i = 0; i < 64; i++)
			write_all(fd, chunk, sizeof chunk);
	} else if (!strcmp(path, "/v1.41/t/404")) {
		say(fd, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
			"Content-Length: 37\r\n\r\n{\"message\":\"No such container: nope\"}");
	} else if (!strcmp(path, "/v1.41/t/hijack")) {
		/* Echo stdin back as stdout frames until the client half-closes,
		 * then one stderr frame. The head and the first frame go in one
		 * write, so the client must keep what came with the head. */
		static const char up[] =
			"HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
			"Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n\1\0\0\0\0\0\0\3hi\n";
		char in[4096], hdr[8] = { 1, 0, 0, 0 };
		ssize_t n;

		write_all(fd, up, sizeof up - 1);
		while ((n = read(fd, in, sizeof in)) > 0) {
			hdr[4] = hdr[5] = 0;
			hdr[6] = (char)(n >> 8);
			hdr[7] = (char)(n & 0xff);
			write_all(fd, hdr, 8);
			write_all(fd, in, (size_t)n);
		}
		write_all(fd, "\2\0\0\0\0\0\0\3bye", 11);
	} else if (!strcmp(path, "/v1.41/t/hijack404")) {
		say(fd, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
			"Content-Length: 42\r\n\r\n{\"message\":\"No such exec instance: 1234\"}\n");
	} else if (!strcmp(path, "/v1.41/t/huge")) {
		/* A 2xx body past DOCKER_BODY_MAX (16 MiB). */
		char chunk[65536];

		memset(chunk, ' ', sizeof chunk);
		say(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			"Content-Length: 17825792\r\n\r\n");
		for (int i = 0; i < 272; i++) /* 17 MiB */
			write_all(fd, chunk, sizeof chunk);
	} else if (!strcmp(path, "/v1.41/t/hijack-bigcl")) {
		/* An error answer whose Content-Length is no bound: 8 MiB come,
		 * then the connection stays open for 3 s. */
		char chunk[65536];

		memset(chunk, 'x', sizeof chunk);
		say(fd, "HTTP/1.1 500 Internal Server Error\r\n"
			"Content-Length: 1000000000000\r\n\r\n");
		for (int i = 0; i < 128; i++)
			write_all(fd, chunk, sizeof chunk);
		sleep(3);
	} else if (!strcmp(path, "/v1.41/t/hijack-longhead")) {
		/* A head that never ends. */
		char pad[1024];

		memset(pad, 'a', sizeof pad);
		memcpy(pad, "X-Pad: ", 7);
		memcpy(pad + sizeof pad - 2, "\r\n", 2);
		say(fd, "HTTP/1.1 101 UPGRADED\r\n");
		for (int i = 0; i < 1024; i++)
			write_all(fd, pad, sizeof pad);
		sleep(3);
	} else if (!strcmp(path, "/v1.41/t/hang")) {
		sleep(5);
	} else {
		say(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 19\r\n\r\n404 page not found\n");
	}
	buf_free(&head);
	buf_free(&body);
}

static void start_server(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sock_path, sizeof sock_path, "/tmp/ebt-unit-%d.sock", (int)getpid());
	unlink(sock_path);
	strcpy(sa.sun_path, sock_path);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(ls, 16) < 0) {
		perror(sock_path);
		exit(1);
	}
	server_pid = fork();
	if (server_pid < 0) {
		perror("fork");
		exit(1);
	}
	if (server_pid == 0) {
		signal(SIGPIPE, SIG_IGN);
		for (;;) {
			int fd = accept(ls, NULL, NULL);

			if (fd < 0)
				continue;
			/* One child per connection: a hung one blocks nobody. */
			if (fork() == 0) {
				serve(fd);
				_exit(0);
			}
			close(fd);
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
		}
	}
	close(ls);
}

static void stop_server(void)
{
	kill(server_pid, SIGKILL);
	waitpid(server_pid, NULL, 0);
	unlink(sock_path);
}

static int open_test(docker *d, eb_err *e)
{
	char host[160];

	snprintf(host, sizeof host, "unix://%s", sock_path);
	return docker_open(d, host, e);
}

struct collect {
	int n;
	bool unterminated; /* a line not NUL-terminated at its length */
	buf all;
};

static int on_line(const char *p, size_t n, void *arg, eb_err *e)
{
	struct collect *c = arg;

	(void)e;
	if (strlen(p) != n)
		c->unterminated = true;
	buf_add(&c->all, p, n);
	buf_addc(&c->all, '|');
	c->n++;
	return 0;
}

static int stop_at_two(const char *p, size_t n, void *arg, eb_err *e)
{
	struct collect *c = arg;

	(void)p;
	(void)n;
	if (++c->n == 2) {
		eb_errf(e, "pull failed: denied");
		return -1;
	}
	return 0;
}

static void test_requests(void)
{
	docker d;
	eb_err e;
	buf out = { 0 };
	long status;
	const char *hdrs[] = { "X-Registry-Auth: e30=", NULL };
	docker_req r = { .method = "POST", .path = "/t/echo", .body = "{\"a\":1}",
			 .body_len = 7, .headers = hdrs };
	struct collect c = { 0 };

	CHECK(open_test(&d, &e) == 0);
	CHECK(docker_ping(&d, &e) == 0);

	/* Versioned path, JSON body and type, extra headers, no Expect. */
	CHECK(docker_request(&d, &r, &status, &out, &e) == 0);
	CHECK(status == 200);
	CHECK(out.p && str_starts(out.p, "POST /v1.41/t/echo HTTP/1.1\r\n"));
	CHECK(out.p && strstr(out.p, "\r\nContent-Type: application/json\r\n"));
	CHECK(out.p && strstr(out.p, "\r\nX-Registry-Auth: e30=\r\n"));
	CHECK(out.p && !strcasestr(out.p, "Expect:"));
	CHECK(out.p && str_ends(out.p, "\r\n\r\n{\"a\":1}"));
	buf_reset(&out);

	/* A POST without a body says Content-Length: 0; DELETE has none. */
	r = (docker_req){ .method = "POST", .path = "/t/echo" };
	CHECK(docker_request(&d, &r, NULL, &out, &e) == 0);
	CHECK(out.p && strcasestr(out.p, "\r\nContent-Length: 0\r\n"));
	buf_reset(&out);
	r = (docker_req){ .method = "DELETE", .path = "/t/echo?force=1" };
	CHECK(docker_request(&d, &r, NULL, &out, &e) == 0);
	CHECK(out.p && str_starts(out.p, "DELETE /v1.41/t/echo?force=1 HTTP/1.1\r\n"));
	buf_reset(&out);

	/* Errors: the daemon's message and the status, which is kept. */
	r = (docker_req){ .method = "GET", .path = "/t/404" };
	CHECK(docker_request(&d, &r, &status, &out, &e) < 0);
	CHECK(status == 404);
	CHECK_STR(e.msg, "GET /t/404: No such container: nope (HTTP 404)");
	CHECK(out.len == 0);
	r = (docker_req){ .method = "GET", .path = "/t/other" };
	CHECK(docker_request(&d, &r, NULL, NULL, &e) < 0);
	CHECK_STR(e.msg, "GET /t/other: 404 page not found (HTTP 404)");
	r = (docker_req){ .method = "GET", .path = "no-slash" };
	CHECK(docker_request(&d, &r, NULL, NULL, &e) < 0);
	CHECK(strstr(e.msg, "must start with /") != NULL);

	/* Lines, however the writes cut them. */
	r = (docker_req){ .method = "GET", .path = "/t/lines" };
	CHECK(docker_stream_lines(&d, &r, on_line, &c, &e) == 0);
	CHECK(c.n == 3);
	CHECK_STR(c.all.p, "{\"a\":1}|{\"b\":2}|{\"c\":3}|");
	buf_free(&c.all);

	/* 4 MiB of lines through a bounded buffer. */
	c = (struct collect){ 0 };
	r = (docker_req){ .method = "GET", .path = "/t/manylines" };
	CHECK(docker_stream_lines(&d, &r, on_line, &c, &e) == 0);
	CHECK(c.n == 64 * 65536 / 16);
	CHECK(!c.unterminated);
	buf_free(&c.all);

	c = (struct collect){ 0 };
	r = (docker_req){ .method = "GET", .path = "/t/longline" };
	CHECK(docker_stream_lines(&d, &r, on_line, &c, &e) < 0);
	CHECK(c.n == 1);
	CHECK(strstr(e.msg, "longer than 1048576 bytes") != NULL);
	buf_free(&c.all);

	/* The callback stops the transfer, and its error is the result. */
	c = (struct collect){ 0 };
	r = (docker_req){ .method = "GET", .path = "/t/lines" };
	CHECK(docker_stream_lines(&d, &r, stop_at_two, &c, &e) < 0);
	CHECK_STR(e.msg, "pull failed: denied");

	/* Bodies kept in memory are bounded; one nobody keeps is dropped. */
	r = (docker_req){ .method = "GET", .path = "/t/huge" };
	CHECK(docker_request(&d, &r, &status, &out, &e) < 0);
	CHECK_STR(e.msg, "GET /t/huge: the answer is longer than 16777216 bytes");
	CHECK(out.len <= DOCKER_BODY_MAX);
	buf_free(&out);
	CHECK(docker_request(&d, &r, &status, NULL, &e) == 0);
	{
		docker_call k[1] = { { .req = r } };

		CHECK(docker_batch(&d, k, 1, &e) == 0);
		CHECK(k[0].rc < 0);
		CHECK_STR(k[0].err.msg, "GET /t/huge: the answer is longer than 16777216 bytes");
		docker_call_free(&k[0]);
		k[0] = (docker_call){ .req = r, .max = 1000 };
		CHECK(docker_batch(&d, k, 1, &e) == 0);
		CHECK_STR(k[0].err.msg, "GET /t/huge: the answer is longer than 1000 bytes");
		docker_call_free(&k[0]);
	}

	/* A daemon that never answers: bounded by timeout_ms. */
	d.timeout_ms = 300;
	r = (docker_req){ .method = "GET", .path = "/t/hang" };
	CHECK(docker_request(&d, &r, NULL, NULL, &e) < 0);
	CHECK(strstr(e.msg, sock_path) != NULL);
	CHECK(strstr(e.msg, "timed out") != NULL);
	d.timeout_ms = 0;

	docker_close(&d);
	buf_free(&out);

	/* Nothing there: the socket and the reason are named. */
	CHECK(docker_open(&d, "unix:///tmp/ebt-unit-none.sock", &e) == 0);
	CHECK(docker_ping(&d, &e) < 0);
	CHECK_STR(e.msg, "GET /_ping: cannot connect to /tmp/ebt-unit-none.sock: No such file or directory");
	docker_close(&d);
	CHECK(docker_open(&d, "unix:///dev/null", &e) == 0);
	CHECK(docker_ping(&d, &e) < 0);
	CHECK_STR(e.msg, "GET /_ping: cannot connect to /dev/null: not a socket");
	docker_close(&d);

	setenv("DOCKER_API_VERSION", "1.x", 1);
	CHECK(open_test(&d, &e) < 0);
	CHECK_STR(e.msg, "DOCKER_API_VERSION=1.x: expected a version like 1.41");
	setenv("DOCKER_API_VERSION", "1.40", 1);
	CHECK(open_test(&d, &e) == 0);
	r = (docker_req){ .method = "GET", .path = "/x" };
	CHECK(docker_request(&d, &r, NULL, NULL, &e) < 0); /* /v1.40/x */
	docker_close(&d);
	unsetenv("DOCKER_API_VERSION");
}

static void test_hijack(void)
{
	docker d;
	docker_conn c;
	docker_demux m;
	struct frames f = { 0 };
	eb_err e;
	char in[4096];
	ssize_t n;
	docker_req r = { .method = "POST", .path = "/t/hijack",
			 .body = "{\"Detach\":false,\"Tty\":false}", .body_len = 28 };

	CHECK(open_test(&d, &e) == 0);
	CHECK(docker_hijack(&d, &r, &c, &e) == 0);
	CHECK(c.fd >= 0);
	CHECK(docker_conn_write(&c, "echo me\n", 8, &e) == 0);
	CHECK(docker_conn_close_write(&c, &e) == 0);
	docker_demux_init(&m);
	while ((n = docker_conn_read(&c, in, sizeof in, &e)) > 0)
		CHECK(docker_demux_feed(&m, in, (size_t)n, on_frame, &f, &e) == 0);
	CHECK(n == 0);
	CHECK(docker_demux_idle(&m));
	CHECK_STR(f.out.p, "hi\necho me\n");
	CHECK_STR(f.err.p, "bye");
	docker_conn_close(&c);
	buf_free(&f.out);
	buf_free(&f.err);

	r.path = "/t/hijack404";
	CHECK(docker_hijack(&d, &r, &c, &e) < 0);
	CHECK_STR(e.msg, "POST /t/hijack404: No such exec instance: 1234 (HTTP 404)");

	/* An error body is read up to 64 KiB, whatever its Content-Length:
	 * the answer comes at once, not when the daemon closes (3 s). */
	{
		struct timespec t0, t1;

		r.path = "/t/hijack-bigcl";
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK(docker_hijack(&d, &r, &c, &e) < 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		CHECK(str_starts(e.msg, "POST /t/hijack-bigcl: xxxx"));
		CHECK(str_ends(e.msg, "... (HTTP 500)"));
		CHECK(t1.tv_sec - t0.tv_sec < 2);
	}
	r.path = "/t/hijack-longhead";
	CHECK(docker_hijack(&d, &r, &c, &e) < 0);
	CHECK_STR(e.msg, "POST /t/hijack-longhead: answer head longer than 65536 bytes");
	docker_close(&d);

	CHECK(docker_open(&d, "unix:///tmp/ebt-unit-none.sock", &e) == 0);
	CHECK(docker_hijack(&d, &r, &c, &e) < 0);
	CHECK(strstr(e.msg, "cannot connect to /tmp/ebt-unit-none.sock") != NULL);
	docker_close(&d);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_host();
	test_api_error();
	test_query_escape();
	test_parse_head();
	test_demux();
	start_server();
	test_requests();
	test_hijack();
	stop_server();
	return check_done("test_docker");
}
