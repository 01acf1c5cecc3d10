/* docker: a Docker Engine API client over dockerd's unix socket (libcurl).
 * https://docs.docker.com/engine/api/v1.41/
 *
 * This file: DOCKER_HOST, requests (one at a time, streamed, several at
 * once). docker_err.c words what failed; docker_conn.c has the hijacked
 * connections of exec/attach and the demultiplexer of their streams. */
#include "docker.h"

#include "curlload.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

#include "docker_int.h"

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

/* --- requests -------------------------------------------------------------- */

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

char *docker_url(const docker *d, const docker_req *r)
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
	x->url = docker_url(d, r);
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
		docker_connect_error(c, d->sock, x->curlerr, r->method, r->path,
				     rc, e);
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

