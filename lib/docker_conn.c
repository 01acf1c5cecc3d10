/* docker_conn: hijacked connections for exec/attach (docker.h), and the
 * demultiplexer of the streams they carry. curl makes the connection;
 * the request and the answer's head are written and read here. */
#include "docker.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "docker_int.h"

/* A hijack answer's head ends long before this. */
#define HEAD_MAX (64u << 10)

/* --- hijacked connections -------------------------------------------------- */

/* Case-insensitive search for a header name at a line start. */
static const char *find_header(const char *head, size_t len, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = head; p && p + n < head + len;) {
		const char *eol = memchr(p, '\n', (size_t)(head + len - p));

		if (!strncasecmp(p, name, n) && p[n] == ':')
			return p + n + 1;
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

int docker_parse_head(const char *head, size_t len, long *status,
		      long long *content_length)
{
	const char *end = head + len, *p = head, *v, *digits;
	long long cl = 0;
	long s;

	/* Every byte is read within [head, head + len): the head need not be
	 * NUL-terminated. "HTTP/1.x NNN" then " reason" or the line's end. */
	*content_length = -1;
	if (len < 13 || memcmp(p, "HTTP/1.", 7) || !(p[7] == '0' || p[7] == '1') ||
	    p[8] != ' ')
		return -1;
	p += 9;
	if (p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' ||
	    p[2] < '0' || p[2] > '9' || (p[3] != ' ' && p[3] != '\r'))
		return -1;
	s = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	v = find_header(head, len, "Content-Length");
	if (v) {
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		for (digits = v; v < end && *v >= '0' && *v <= '9'; v++) {
			if (cl > (LLONG_MAX - 9) / 10)
				return -1;
			cl = cl * 10 + (*v - '0');
		}
		/* Digits, then the line goes on: a sign, junk or a head cut
		 * short after the number is malformed. */
		if (v == digits || v == end ||
		    (*v != '\r' && *v != '\n' && *v != ' ' && *v != '\t'))
			return -1;
		*content_length = cl;
	}
	*status = s;
	return 0;
}

static int wait_fd(int fd, short events, long timeout_ms, eb_err *e)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&pfd, 1, timeout_ms > 0 ? (int)timeout_ms : -1);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		eb_errf(e, "poll: %s", strerror(errno));
		return -1;
	}
	if (n == 0) {
		eb_errf(e, "no answer within %ld ms", timeout_ms);
		return -1;
	}
	return 0;
}

static int send_all(CURL *c, int fd, const char *p, size_t n, eb_err *e)
{
	while (n) {
		size_t sent = 0;
		CURLcode rc = curl_easy_send(c, p, n, &sent);

		if (rc == CURLE_AGAIN) {
			if (wait_fd(fd, POLLOUT, 0, e) < 0)
				return -1;
			continue;
		}
		if (rc != CURLE_OK) {
			eb_errf(e, "send: %s", curl_easy_strerror(rc));
			return -1;
		}
		p += sent;
		n -= sent;
	}
	return 0;
}

/* Some bytes into b, waiting up to timeout_ms (0: forever): >0, 0 at EOF. */
static ssize_t recv_some(CURL *c, int fd, buf *b, long timeout_ms, eb_err *e)
{
	char chunk[16384];

	for (;;) {
		size_t got = 0;
		CURLcode rc = curl_easy_recv(c, chunk, sizeof chunk, &got);

		if (rc == CURLE_AGAIN) {
			if (wait_fd(fd, POLLIN, timeout_ms, e) < 0)
				return -1;
			continue;
		}
		if (rc != CURLE_OK) {
			eb_errf(e, "recv: %s", curl_easy_strerror(rc));
			return -1;
		}
		buf_add(b, chunk, got);
		return (ssize_t)got;
	}
}

int docker_hijack(docker *d, const docker_req *r, docker_conn *c, eb_err *e)
{
	CURL *cu;
	curl_socket_t fd;
	buf req = { 0 }, in = { 0 };
	char *url = NULL, *end = NULL;
	long status = 0;
	long long clen = -1;
	size_t head_len = 0;
	CURLcode rc;
	eb_err why;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	if (!r->path || r->path[0] != '/') {
		eb_errf(e, "%s %s: the path must start with /", r->method,
			r->path ? r->path : "(none)");
		return -1;
	}
	cu = curl_easy_init();
	if (!cu) {
		eb_errf(e, "unable to start libcurl");
		return -1;
	}
	c->curl = cu;
	d->curlerr[0] = 0;
	url = docker_url(d, r);
	curl_easy_setopt(cu, CURLOPT_UNIX_SOCKET_PATH, d->sock);
	curl_easy_setopt(cu, CURLOPT_URL, url);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, d->curlerr);
	curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, d->connect_timeout_ms);
	curl_easy_setopt(cu, CURLOPT_CONNECT_ONLY, 1L);
	rc = curl_easy_perform(cu);
	/* The connection may outlive d: curl must not write into it later. */
	curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK) {
		docker_connect_error(cu, d->sock, d->curlerr, r->method, r->path,
				     rc, e);
		goto fail;
	}
	if (curl_easy_getinfo(cu, CURLINFO_ACTIVESOCKET, &fd) != CURLE_OK ||
	    fd == CURL_SOCKET_BAD) {
		eb_errf(e, "%s %s: no socket from libcurl", r->method, r->path);
		goto fail;
	}
	c->fd = fd;

	/* We speak HTTP ourselves here: curl only holds the connection. */
	buf_printf(&req, "%s %s HTTP/1.1\r\nHost: localhost\r\n"
		   "Connection: Upgrade\r\nUpgrade: tcp\r\n",
		   r->method, url + strlen("http://localhost"));
	if (r->body)
		buf_printf(&req, "Content-Type: %s\r\n", r->content_type ?
			   r->content_type : "application/json");
	buf_printf(&req, "Content-Length: %zu\r\n",
		   r->body ? r->body_len : (size_t)0);
	for (const char *const *p = r->headers; p && *p; p++)
		buf_printf(&req, "%s\r\n", *p);
	buf_adds(&req, "\r\n");
	if (r->body)
		buf_add(&req, r->body, r->body_len);
	if (send_all(cu, fd, req.p, req.len, &why) < 0) {
		eb_errf(e, "%s %s: %s: %s", r->method, r->path, d->sock, why.msg);
		goto fail;
	}

	while (!(end = in.p ? strstr(in.p, "\r\n\r\n") : NULL)) {
		ssize_t n;

		if (in.len > HEAD_MAX) {
			eb_errf(e, "%s %s: answer head longer than %u bytes",
				r->method, r->path, HEAD_MAX);
			goto fail;
		}
		n = recv_some(cu, fd, &in, d->timeout_ms, &why);
		if (n <= 0) {
			eb_errf(e, "%s %s: %s: %s", r->method, r->path, d->sock,
				n ? why.msg : "connection closed before an answer");
			goto fail;
		}
	}
	head_len = (size_t)(end + 4 - in.p);
	if (docker_parse_head(in.p, head_len, &status, &clen) < 0) {
		eb_errf(e, "%s %s: malformed answer from %s", r->method, r->path,
			d->sock);
		goto fail;
	}
	/* 101 UPGRADED; daemons before API 1.22 answered 200 and streamed. */
	if (status == 101 || status == 200) {
		buf_add(&c->pending, in.p + head_len, in.len - head_len);
		buf_free(&in);
		buf_free(&req);
		free(url);
		return 0;
	}
	/* An error answer: read its body for the daemon's message, never more
	 * than ERRBODY_MAX whatever its Content-Length says. */
	if (clen > (long long)ERRBODY_MAX)
		clen = ERRBODY_MAX;
	while (in.len - head_len < (clen >= 0 ? (size_t)clen : ERRBODY_MAX) &&
	       !(clen < 0 && str_ends(in.p, "\r\n0\r\n\r\n")))
		if (recv_some(cu, fd, &in, d->timeout_ms ? d->timeout_ms : 5000,
			      &why) <= 0)
			break;
	docker_api_error(e, r->method, r->path, status, in.p + head_len,
			 in.len - head_len);
fail:
	buf_free(&in);
	buf_free(&req);
	free(url);
	docker_conn_close(c);
	return -1;
}

ssize_t docker_conn_read(docker_conn *c, void *p, size_t n, eb_err *e)
{
	if (c->off < c->pending.len) {
		size_t k = c->pending.len - c->off;

		if (k > n)
			k = n;
		memcpy(p, c->pending.p + c->off, k);
		c->off += k;
		return (ssize_t)k;
	}
	for (;;) {
		size_t got = 0;
		CURLcode rc = curl_easy_recv(c->curl, p, n, &got);

		if (rc == CURLE_AGAIN) {
			if (wait_fd(c->fd, POLLIN, 0, e) < 0)
				return -1;
			continue;
		}
		if (rc != CURLE_OK) {
			eb_errf(e, "reading the attached stream: %s",
				curl_easy_strerror(rc));
			return -1;
		}
		return (ssize_t)got;
	}
}

int docker_conn_write(docker_conn *c, const void *p, size_t n, eb_err *e)
{
	eb_err why;

	if (send_all(c->curl, c->fd, p, n, &why) < 0) {
		eb_errf(e, "writing the attached stream: %s", why.msg);
		return -1;
	}
	return 0;
}

int docker_conn_close_write(docker_conn *c, eb_err *e)
{
	if (shutdown(c->fd, SHUT_WR) < 0) {
		eb_errf(e, "closing the attached stream's input: %s",
			strerror(errno));
		return -1;
	}
	return 0;
}

void docker_conn_close(docker_conn *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	buf_free(&c->pending);
	memset(c, 0, sizeof *c);
	c->fd = -1;
}

/* --- multiplexed streams --------------------------------------------------- */

void docker_demux_init(docker_demux *m)
{
	memset(m, 0, sizeof *m);
}

bool docker_demux_idle(const docker_demux *m)
{
	return m->head_len == 0;
}

int docker_demux_feed(docker_demux *m, const char *p, size_t n,
		      docker_frame_fn fn, void *arg, eb_err *e)
{
	while (n) {
		size_t k;

		if (m->head_len < sizeof m->head) {
			k = sizeof m->head - m->head_len;
			if (k > n)
				k = n;
			memcpy(m->head + m->head_len, p, k);
			m->head_len += k;
			p += k;
			n -= k;
			if (m->head_len < sizeof m->head)
				break;
			if (m->head[0] > DOCKER_SYSERR || m->head[1] ||
			    m->head[2] || m->head[3]) {
				eb_errf(e, "malformed stream frame header "
					"%02x %02x %02x %02x (a TTY stream read as multiplexed?)",
					m->head[0], m->head[1], m->head[2],
					m->head[3]);
				return -1;
			}
			m->stream = m->head[0];
			m->left = (uint32_t)m->head[4] << 24 |
				  (uint32_t)m->head[5] << 16 |
				  (uint32_t)m->head[6] << 8 | m->head[7];
			if (!m->left)
				m->head_len = 0;
			continue;
		}
		k = m->left < n ? m->left : n;
		if (fn(m->stream, p, k, arg, e) < 0)
			return -1;
		p += k;
		n -= k;
		m->left -= (uint32_t)k;
		if (!m->left)
			m->head_len = 0;
	}
	return 0;
}
