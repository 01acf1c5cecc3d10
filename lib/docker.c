/* docker: a Docker Engine API client over dockerd's unix socket (libcurl).
 * https://docs.docker.com/engine/api/v1.41/ */
#include "docker.h"

#include "curlload.h"
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "json.h"

/* Error answers are one small JSON object; more than this is not a message. */
#define ERRBODY_MAX (64u << 10)
/* A hijack answer's head ends long before this. */
#define HEAD_MAX (64u << 10)

/* --- DOCKER_HOST ---------------------------------------------------------- */

/* The value as it may be shown: "tcp://user:secret@h" → "tcp://user:***@h". */
static char *mask_host(const char *host)
{
	const char *auth = strstr(host, "://");
	const char *end, *at, *colon;
	buf b = { 0 };

	if (!auth)
		return xstrdup(host);
	auth += 3;
	end = auth + strcspn(auth, "/");
	at = NULL;
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
	if (!colon)
		return xstrdup(host);
	buf_add(&b, host, (size_t)(colon + 1 - host));
	buf_adds(&b, "***");
	buf_adds(&b, at);
	return buf_steal(&b);
}

char *docker_host_socket(const char *host, eb_err *e)
{
	const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	const char *path = NULL;
	char *shown;

	if (!host || !*host)
		host = DOCKER_DEFAULT_HOST;
	if (str_starts(host, "unix://")) {
		path = host + strlen("unix://");
		if (*path == '/' && strlen(path) <= max)
			return xstrdup(path);
	}
	shown = mask_host(host);
	if (path && *path != '/')
		eb_errf(e, "DOCKER_HOST=%s: expected unix:///absolute/path", shown);
	else if (path)
		eb_errf(e, "DOCKER_HOST=%s: socket path longer than %zu bytes",
			shown, max);
	else if (strstr(host, "://"))
		eb_errf(e, "DOCKER_HOST=%s: only unix:// sockets are supported",
			shown);
	else
		eb_errf(e, "DOCKER_HOST=%s: expected unix:///path/to/socket",
			shown);
	free(shown);
	return NULL;
}

/* --- errors ---------------------------------------------------------------- */

static const char *reason(long status)
{
	/* What a status means when the daemon sent no message with it. */
	static const struct { long status; const char *text; } tab[] = {
		{ 304, "not modified (already in that state)" },
		{ 400, "bad request" },
		{ 401, "unauthorized" },
		{ 403, "forbidden" },
		{ 404, "not found" },
		{ 405, "method not allowed" },
		{ 409, "conflict" },
		{ 500, "daemon error" },
		{ 503, "daemon unavailable" },
	};

	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (tab[i].status == status)
			return tab[i].text;
	return "no message";
}

/* The "message" member of a JSON object in body[0..len), or NULL. */
static char *json_message(const char *body, size_t len)
{
	json_doc d = { 0 };
	eb_err ignored;
	char *msg;

	if (json_parse(&d, body, len, &ignored) < 0)
		return NULL;
	msg = json_strdup(&d, json_obj_get(&d, 0, "message"));
	json_free(&d);
	return msg;
}

void docker_api_error(eb_err *e, const char *method, const char *path,
		      long status, const char *body, size_t len)
{
	char *msg = json_message(body, len);
	const char *open, *close;

	/* A chunked answer read raw still holds the object whole. */
	if (!msg && (open = memchr(body, '{', len)) &&
	    (close = memrchr(body, '}', len)) && close > open)
		msg = json_message(open, (size_t)(close + 1 - open));
	if (!msg) {
		/* Not JSON: its first non-blank line is the best we have. */
		size_t n = 0;

		while (len && (*body == ' ' || *body == '\t' || *body == '\r' ||
			       *body == '\n'))
			body++, len--;
		while (n < len && body[n] != '\r' && body[n] != '\n')
			n++;
		msg = xstrndup(body, n);
	}
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			*p = ' ';
	if (strlen(msg) > 400)
		strcpy(msg + 397, "...");
	eb_errf(e, "%s %s: %s (HTTP %ld)", method, path,
		*msg ? msg : reason(status), status);
	free(msg);
}

char *docker_query_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	buf b = { 0 };

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c)) {
			buf_addc(&b, (char)c);
		} else {
			buf_addc(&b, '%');
			buf_addc(&b, hex[c >> 4]);
			buf_addc(&b, hex[c & 15]);
		}
	}
	return buf_steal(&b);
}

/* A failed transfer: name the socket, and for a refused connection say why
 * in words a person can act on (curl would say "localhost port 80"). */
static void conn_error(CURL *c, const char *sock, const char *curlerr,
		       const char *method, const char *path, CURLcode rc,
		       eb_err *e)
{
	struct stat st;
	long oserr = 0;

	if (rc != CURLE_COULDNT_CONNECT) {
		eb_errf(e, "%s %s: %s: %s", method, path, sock,
			*curlerr ? curlerr : curl_easy_strerror(rc));
		return;
	}
	if (stat(sock, &st) < 0) {
		eb_errf(e, "%s %s: cannot connect to %s: %s", method, path,
			sock, strerror(errno));
		return;
	}
	if (!S_ISSOCK(st.st_mode)) {
		eb_errf(e, "%s %s: cannot connect to %s: not a socket", method,
			path, sock);
		return;
	}
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
	eb_errf(e, "%s %s: cannot connect to %s: %s", method, path, sock,
		oserr ? strerror((int)oserr) : curl_easy_strerror(rc));
}

/* --- requests -------------------------------------------------------------- */

int docker_open(docker *d, const char *host, eb_err *e)
{
	const char *v = getenv("DOCKER_API_VERSION");
	size_t dot;

	memset(d, 0, sizeof *d);
	if (!host)
		host = getenv("DOCKER_HOST");
	if (v && *v) {
		/* "1.41": digits, one dot, digits; it goes into every URL. */
		dot = strspn(v, "0123456789");
		if (!dot || v[dot] != '.' || !v[dot + 1] ||
		    v[dot + 1 + strspn(v + dot + 1, "0123456789")]) {
			eb_errf(e, "DOCKER_API_VERSION=%s: expected a version like %s",
				v, DOCKER_API_VERSION);
			return -1;
		}
	} else {
		v = DOCKER_API_VERSION;
	}
	d->sock = docker_host_socket(host, e);
	if (!d->sock)
		return -1;
	d->curl = curl_easy_init();
	if (!d->curl) {
		eb_errf(e, "unable to start libcurl");
		free(d->sock);
		d->sock = NULL;
		return -1;
	}
	d->version = xstrdup(v);
	d->connect_timeout_ms = 5000;
	return 0;
}

void docker_close(docker *d)
{
	if (d->curl)
		curl_easy_cleanup(d->curl);
	free(d->sock);
	free(d->version);
	memset(d, 0, sizeof *d);
}

struct xfer {
	CURL *c;
	const docker_req *r;
	buf *out;          /* keep the body here, or */
	docker_data_fn fn; /* hand it over piece by piece; neither: drop it */
	void *arg;
	size_t max;        /* out: more is an error; 0: DOCKER_BODY_MAX */
	long status;
	buf errbody;       /* a non-2xx answer's body, bounded */
	eb_err *e;
	bool fn_failed;    /* fn returned -1 (or out outgrew max) and filled e */
	const char *want;  /* a response header to keep, by name */
	char *got;         /* its value */
	/* Set up by prepare, released by finish: */
	struct curl_slist *h;
	char *url, *ctype;
	char *curlerr;
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;

	/* Headers are in when the body starts: route it by status. */
	if (!x->status)
		curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status < 200 || x->status > 299) {
		if (x->errbody.len < ERRBODY_MAX)
			buf_add(&x->errbody, p,
				n < ERRBODY_MAX - x->errbody.len ?
				n : ERRBODY_MAX - x->errbody.len);
		return n;
	}
	if (x->out) {
		size_t max = x->max ? x->max : DOCKER_BODY_MAX;

		if (n > max - x->out->len) {
			eb_errf(x->e, "%s %s: the answer is longer than %zu bytes",
				x->r->method, x->r->path, max);
			x->fn_failed = true;
			return 0;
		}
		buf_add(x->out, p, n);
	} else if (x->fn && x->fn(p, n, x->arg, x->e) < 0) {
		x->fn_failed = true;
		return 0; /* anything but n aborts the transfer */
	}
	return n;
}

/* Keeps the value of the header x->want, if the answer has it (the last
 * answer's: curl calls this for each response head it reads). */
static size_t on_header(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb, k = strlen(x->want);

	if (n > k && !strncasecmp(p, x->want, k) && p[k] == ':') {
		const char *v = p + k + 1, *end = p + n;

		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
				   end[-1] == ' ' || end[-1] == '\t'))
			end--;
		free(x->got);
		x->got = xstrndup(v, (size_t)(end - v));
	}
	return n;
}

static bool method_is(const docker_req *r, const char *m)
{
	return !strcmp(r->method, m);
}

static char *url_of(const docker *d, const docker_req *r)
{
	if (r->raw_path)
		return xasprintf("http://localhost%s", r->path);
	return xasprintf("http://localhost/v%s%s", d->version, r->path);
}

static struct curl_slist *add_header(struct curl_slist *h, const char *line)
{
	struct curl_slist *n = curl_slist_append(h, line);

	if (!n) {
		curl_slist_free_all(h);
		abort(); /* only fails when out of memory, as xmalloc */
	}
	return n;
}

/* Sets handle c up for request r; x gets what comes back. curlerr is
 * CURL_ERROR_SIZE bytes. */
static int prepare(docker *d, CURL *c, char *curlerr, const docker_req *r,
		   struct xfer *x, eb_err *e)
{
	struct curl_slist *h = NULL;

	if (!r->path || r->path[0] != '/') {
		eb_errf(e, "%s %s: the path must start with /", r->method,
			r->path ? r->path : "(none)");
		return -1;
	}
	x->c = c;
	x->r = r;
	x->e = e;
	x->curlerr = curlerr;
	x->url = url_of(d, r);
	curl_easy_reset(c);
	curlerr[0] = 0;
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, d->sock);
	curl_easy_setopt(c, CURLOPT_URL, x->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curlerr);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, d->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, d->timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	if (x->want) {
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	}

	if (method_is(r, "HEAD"))
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (!method_is(r, "GET") && !method_is(r, "POST"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	if (r->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)r->body_len);
		x->ctype = xasprintf("Content-Type: %s", r->content_type ?
				     r->content_type : "application/json");
		h = add_header(h, x->ctype);
	} else if (method_is(r, "POST") || method_is(r, "PUT")) {
		/* An empty body still needs its "Content-Length: 0". */
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	/* dockerd never answers "100 Continue"; don't wait for it. */
	h = add_header(h, "Expect:");
	for (const char *const *p = r->headers; p && *p; p++)
		h = add_header(h, *p);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	x->h = h;
	return 0;
}

/* The transfer of x ended with rc: 0 for a 2xx answer, else -1 with e. */
static int finish(docker *d, const docker_req *r, struct xfer *x, CURLcode rc,
		  long *status, eb_err *e)
{
	CURL *c = x->c;
	int ret = -1;

	if (!x->status)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->status);
	if (status)
		*status = x->status;
	if (x->fn_failed)
		goto out; /* e says why */
	if (rc != CURLE_OK) {
		conn_error(c, d->sock, x->curlerr, r->method, r->path, rc, e);
		goto out;
	}
	if (x->status < 200 || x->status > 299) {
		docker_api_error(e, r->method, r->path, x->status,
				 x->errbody.p ? x->errbody.p : "", x->errbody.len);
		goto out;
	}
	ret = 0;
out:
	/* Options point at these; drop them so the handle holds nothing stale. */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(x->h);
	free(x->ctype);
	free(x->url);
	x->h = NULL;
	x->ctype = x->url = NULL;
	buf_free(&x->errbody);
	return ret;
}

static int perform(docker *d, const docker_req *r, struct xfer *x, long *status,
		   eb_err *e)
{
	if (status)
		*status = 0;
	if (prepare(d, d->curl, d->curlerr, r, x, e) < 0)
		return -1;
	return finish(d, r, x, curl_easy_perform(d->curl), status, e);
}

int docker_request(docker *d, const docker_req *r, long *status, buf *out,
		   eb_err *e)
{
	struct xfer x = { .out = out };

	return perform(d, r, &x, status, e);
}

int docker_stream(docker *d, const docker_req *r, docker_data_fn fn, void *arg,
		  eb_err *e)
{
	struct xfer x = { .fn = fn, .arg = arg };

	return perform(d, r, &x, NULL, e);
}

struct lines {
	const docker_req *r;
	docker_data_fn fn;
	void *arg;
	buf line; /* the line being collected, at most DOCKER_LINE_MAX */
};

static int emit_line(struct lines *l, eb_err *e)
{
	size_t n = l->line.len;
	int ret = 0;

	if (n && l->line.p[n - 1] == '\r')
		n--;
	if (n) {
		l->line.p[n] = 0;
		ret = l->fn(l->line.p, n, l->arg, e);
	}
	buf_reset(&l->line);
	return ret;
}

static int on_chunk(const char *p, size_t n, void *arg, eb_err *e)
{
	struct lines *l = arg;

	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;

		if (l->line.len + k > DOCKER_LINE_MAX) {
			eb_errf(e, "%s %s: a line of the answer is longer than %u bytes",
				l->r->method, l->r->path, DOCKER_LINE_MAX);
			return -1;
		}
		buf_add(&l->line, p, k);
		if (!nl)
			break;
		if (emit_line(l, e) < 0)
			return -1;
		p += k + 1;
		n -= k + 1;
	}
	return 0;
}

int docker_stream_lines(docker *d, const docker_req *r, docker_data_fn fn,
			void *arg, eb_err *e)
{
	struct lines l = { .r = r, .fn = fn, .arg = arg };
	int ret = docker_stream(d, r, on_chunk, &l, e);

	if (ret == 0)
		ret = emit_line(&l, e); /* a last line without "\n" */
	buf_free(&l.line);
	return ret;
}

int docker_ping(docker *d, eb_err *e)
{
	docker_req r = { .method = "GET", .path = "/_ping", .raw_path = true };
	buf out = { 0 };
	int ret = docker_request(d, &r, NULL, &out, e);

	if (ret == 0 && (!out.p || strncmp(out.p, "OK", 2))) {
		eb_errf(e, "GET /_ping on %s: answered \"%.40s\", not OK",
			d->sock, out.p ? out.p : "");
		ret = -1;
	}
	buf_free(&out);
	return ret;
}

/* --- several at once ------------------------------------------------------ */

struct slot {
	CURL *c;
	struct xfer x;
	char curlerr[CURL_ERROR_SIZE];
	bool running;
};

int docker_batch(docker *d, docker_call *calls, size_t n, eb_err *e)
{
	struct slot *s = xcalloc(n ? n : 1, sizeof *s);
	CURLM *m = curl_multi_init();
	CURLMcode mc = CURLM_OK;
	int running = 0, ret = -1;

	if (!m) {
		eb_errf(e, "unable to start libcurl's multi interface");
		free(s);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		docker_call *k = &calls[i];

		k->status = 0;
		k->rc = -1;
		free(k->header_value);
		k->header_value = NULL;
		buf_reset(&k->out);
		s[i].x = (struct xfer){ .out = &k->out, .max = k->max,
					.want = k->header };
		if (!(s[i].c = curl_easy_init())) {
			eb_errf(e, "unable to start libcurl");
			goto out;
		}
		if (prepare(d, s[i].c, s[i].curlerr, &k->req, &s[i].x, &k->err) < 0)
			continue; /* k->err says why */
		curl_easy_setopt(s[i].c, CURLOPT_PRIVATE, &s[i]);
		if ((mc = curl_multi_add_handle(m, s[i].c)) != CURLM_OK)
			goto multi_failed;
		s[i].running = true;
	}
	do {
		CURLMsg *msg;
		int left;

		if ((mc = curl_multi_perform(m, &running)) != CURLM_OK)
			goto multi_failed;
		while ((msg = curl_multi_info_read(m, &left))) {
			struct slot *sl = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &sl);
			sl->running = false;
			curl_multi_remove_handle(m, sl->c);
			docker_call *k = &calls[sl - s];
			k->rc = finish(d, &k->req, &sl->x, msg->data.result,
				       &k->status, &k->err);
			k->header_value = sl->x.got;
			sl->x.got = NULL;
		}
		if (running && (mc = curl_multi_poll(m, NULL, 0, 1000, NULL)) != CURLM_OK)
			goto multi_failed;
	} while (running);
	ret = 0;
	goto out;
multi_failed:
	eb_errf(e, "libcurl: %s", curl_multi_strerror(mc));
out:
	for (size_t i = 0; i < n; i++) {
		if (s[i].running) {
			curl_multi_remove_handle(m, s[i].c);
			finish(d, &calls[i].req, &s[i].x, CURLE_ABORTED_BY_CALLBACK,
			       NULL, &calls[i].err);
		}
		free(s[i].x.got);
		if (s[i].c)
			curl_easy_cleanup(s[i].c);
	}
	curl_multi_cleanup(m);
	free(s);
	return ret;
}

void docker_call_free(docker_call *k)
{
	buf_free(&k->out);
	free(k->header_value);
	k->header_value = NULL;
}

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
	url = url_of(d, r);
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
		conn_error(cu, d->sock, d->curlerr, r->method, r->path, rc, e);
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
