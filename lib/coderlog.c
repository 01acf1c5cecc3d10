/* coderlog: the build log sent to Coder (coder/envbox buildlog/coder.go,
 * codersdk/agentsdk PostLogSource and PatchLogs). */
#include "coderlog.h"

#include "curlload.h"
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "json.h"
#include "log.h"

#define PATH_BUILDINFO "/api/v2/buildinfo"
#define PATH_SOURCE "/api/v2/workspaceagents/me/log-source"
#define PATH_LOGS "/api/v2/workspaceagents/me/logs"

/* ---- the log source ------------------------------------------------------- */

void coderlog_source_body(buf *body)
{
	json_w w;

	jw_init(&w, body);
	jw_obj(&w);
	jw_kstr(&w, "id", CODERLOG_SOURCE_ID);
	jw_kstr(&w, "display_name", CODERLOG_SOURCE_NAME);
	jw_kstr(&w, "icon", CODERLOG_SOURCE_ICON);
	jw_obj_end(&w);
}

enum coderlog_source coderlog_source_answer(long status)
{
	/* 2xx: Coder answers 201 Created, also for an ID the agent already
	 *      has (it registers idempotently); 200 from anything in front
	 *      of it that rewrites the status is as good.
	 * 409: "already exists", as other servers say it: the source is
	 *      there, which is all the PATCHes need.
	 * 404: a Coder older than log sources: no such route.
	 * 405: the same, where a router knows the path but not POST.
	 * Else (401, 5xx, no answer...): not registered; the nil UUID is
	 *      always there, so the lines still go, and one notice says why
	 *      they are not under "envbox". */
	if ((status >= 200 && status <= 299) || status == 409)
		return CODERLOG_SOURCE_OURS;
	if (status == 404 || status == 405)
		return CODERLOG_SOURCE_OLD;
	return CODERLOG_SOURCE_REFUSED;
}

/* ---- lines into entries ---------------------------------------------------- */

size_t coderlog_cut(const char *s, size_t n, size_t max)
{
	size_t k = max;

	if (n <= max)
		return n;
	/* Back up over at most three continuation bytes to a lead byte. */
	for (int i = 0; i < 3 && k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80; i++)
		k--;
	if (k == 0 || ((unsigned char)s[k] & 0xc0) == 0x80)
		return max;
	return k;
}

/* The length of the valid UTF-8 character at s (n bytes left), 0 if there
 * is none: overlong forms, surrogates and code points past U+10FFFF are
 * invalid, as Go's utf8.Valid says. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
	unsigned long cp;
	size_t need;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

void coderlog_sanitize(buf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, m;

	buf_add(out, "", 0);
	while (i < n) {
		if (u[i] == 0) {
			i++;
			continue;
		}
		m = utf8_char(u + i, n - i);
		if (m == 0) {
			buf_add(out, "\xef\xbf\xbd", 3);
			i++;
		} else {
			buf_add(out, s + i, m);
			i += m;
		}
	}
}

static bool digits_at(const char *s, size_t at, size_t count)
{
	for (size_t i = at; i < at + count; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* An RFC 3339 time Go's time.Time accepts: 2006-01-02T15:04:05[.frac](Z|±hh:mm).
 * Anything else in created_at would make Coder refuse the whole batch. */
static bool rfc3339(const char *s)
{
	size_t n = strlen(s), i = 19;

	if (n < 20 || n >= 40 || !digits_at(s, 0, 4) || s[4] != '-' || !digits_at(s, 5, 2) ||
	    s[7] != '-' || !digits_at(s, 8, 2) || s[10] != 'T' || !digits_at(s, 11, 2) ||
	    s[13] != ':' || !digits_at(s, 14, 2) || s[16] != ':' || !digits_at(s, 17, 2))
		return false;
	if (s[i] == '.') {
		size_t f = strspn(s + i + 1, "0123456789");

		if (f == 0 || f > 9)
			return false;
		i += 1 + f;
	}
	if (s[i] == 'Z')
		return i + 1 == n;
	return (s[i] == '+' || s[i] == '-') && i + 6 == n && digits_at(s, i + 1, 2) &&
	       s[i + 3] == ':' && digits_at(s, i + 4, 2);
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\v' && s[i] != '\f')
			return false;
	return true;
}

static void queue_push(coderlog_queue *q, const coderlog_entry *en)
{
	if (q->head + q->n == q->cap) {
		if (q->head > 0) {
			memmove(q->v, q->v + q->head, q->n * sizeof *q->v);
			q->head = 0;
		} else {
			q->cap = q->cap ? q->cap * 2 : 64;
			q->v = xrealloc(q->v, q->cap * sizeof *q->v);
		}
	}
	q->v[q->head + q->n++] = *en;
	q->bytes += en->len;
}

/* A build-log entry's output, time and level, when line is one. */
static bool build_log_entry(const char *line, size_t n, buf *out, char when[40], bool *error,
			    bool *done)
{
	json_doc d;
	eb_err e;
	int o, t, tm;
	char *s, *ts;
	bool ok = false;

	if (json_parse(&d, line, n, &e) < 0)
		return false;
	o = json_obj_get(&d, 0, "output");
	t = json_obj_get(&d, 0, "type");
	tm = json_obj_get(&d, 0, "time");
	if (json_type(&d, 0) == JSMN_OBJECT && (s = json_strdup(&d, o))) {
		*done = json_str_eq(&d, t, "done");
		*error = json_str_eq(&d, t, "error");
		coderlog_sanitize(out, s, strlen(s));
		ts = json_strdup(&d, tm);
		if (ts && rfc3339(ts))
			snprintf(when, 40, "%s", ts);
		free(ts);
		free(s);
		ok = true;
	}
	json_free(&d);
	return ok;
}

int coderlog_queue_line(coderlog_queue *q, const char *line, size_t n, const char *now)
{
	char when[40];
	bool error = false, done = false;
	buf out = { 0 };
	size_t off = 0;
	int count = 0;

	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (blank(line, n))
		return 0;
	snprintf(when, sizeof when, "%s", now);
	if (!build_log_entry(line, n, &out, when, &error, &done))
		coderlog_sanitize(&out, line, n);
	if (done) {
		buf_free(&out);
		return 0;
	}
	if (q->bytes + out.len > CODERLOG_QUEUE_BYTES) {
		buf_free(&out);
		return -1;
	}
	do {
		size_t k = coderlog_cut(out.p + off, out.len - off, CODERLOG_OUTPUT_MAX);
		coderlog_entry en = { .error = error, .len = k };

		memcpy(en.created_at, when, sizeof when);
		en.output = xstrndup(out.p + off, k);
		queue_push(q, &en);
		off += k;
		count++;
	} while (off < out.len);
	buf_free(&out);
	return count;
}

size_t coderlog_body(const coderlog_queue *q, const char *source_id, size_t max_entries,
		     size_t max_bytes, buf *body)
{
	json_w w;
	size_t k;

	jw_init(&w, body);
	jw_obj(&w);
	jw_kstr(&w, "log_source_id", source_id);
	jw_key(&w, "logs");
	jw_arr(&w);
	for (k = 0; k < q->n && k < max_entries; k++) {
		const coderlog_entry *en = &q->v[q->head + k];
		size_t before = body->len;

		jw_obj(&w);
		jw_kstr(&w, "created_at", en->created_at);
		jw_key(&w, "output");
		jw_strn(&w, en->output, en->len);
		jw_kstr(&w, "level", en->error ? "error" : "info");
		jw_obj_end(&w);
		if (k > 0 && body->len > max_bytes) {
			/* Over: take it back (the array is not empty, so the
			 * writer's comma state stays right). */
			body->len = before;
			body->p[before] = 0;
			break;
		}
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	return k;
}

void coderlog_queue_pop(coderlog_queue *q, size_t k)
{
	if (k > q->n)
		k = q->n;
	for (size_t i = 0; i < k; i++) {
		q->bytes -= q->v[q->head + i].len;
		free(q->v[q->head + i].output);
	}
	q->head += k;
	q->n -= k;
	if (q->n == 0)
		q->head = 0;
}

void coderlog_queue_free(coderlog_queue *q)
{
	coderlog_queue_pop(q, q->n);
	free(q->v);
	memset(q, 0, sizeof *q);
}

static void emit(coderlog_lines *l, const char *p, size_t n, coderlog_line_fn *fn, void *arg)
{
	if (l->part.len == 0) {
		fn(p, n, arg);
		return;
	}
	buf_add(&l->part, p, n);
	fn(l->part.p, l->part.len, arg);
	buf_reset(&l->part);
}

void coderlog_feed(coderlog_lines *l, const char *p, size_t n, coderlog_line_fn *fn, void *arg)
{
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t len = nl ? (size_t)(nl - p) : n;
		size_t room = CODERLOG_LINE_MAX - l->part.len;

		if (len > room || (!nl && len == room)) {
			emit(l, p, room, fn, arg);
			p += room;
			n -= room;
		} else if (!nl) {
			buf_add(&l->part, p, n);
			return;
		} else {
			emit(l, p, len, fn, arg);
			p += len + 1;
			n -= len + 1;
		}
	}
}

void coderlog_feed_end(coderlog_lines *l, coderlog_line_fn *fn, void *arg)
{
	if (l->part.len > 0)
		fn(l->part.p, l->part.len, arg);
	buf_free(&l->part);
}

/* ---- TLS trust ------------------------------------------------------------- */

int coderlog_pem_certs(const char *text, size_t n, buf *out)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";
	static const char end[] = "-----END CERTIFICATE-----";
	const char *p = text, *stop = text + n, *b, *e;
	int count = 0;

	while ((b = memmem(p, (size_t)(stop - p), begin, sizeof begin - 1))) {
		e = memmem(b, (size_t)(stop - b), end, sizeof end - 1);
		if (!e)
			break;
		e += sizeof end - 1;
		buf_add(out, b, (size_t)(e - b));
		buf_addc(out, '\n');
		count++;
		p = e;
	}
	return count;
}

#define CERT_FILE_MAX (16u << 20)

static int certs_of_file(const char *path, buf *out, eb_err *e)
{
	buf text = { 0 };
	int n;

	if (read_file(path, CERT_FILE_MAX, &text, e) < 0)
		return -1;
	n = coderlog_pem_certs(text.p, text.len, out);
	buf_free(&text);
	return n;
}

int coderlog_ca_bundle(const char *system_file, const char *extra, buf *out, eb_err *e)
{
	struct dirent **ents;
	struct stat st;
	eb_err ignored;
	int n = 0, m;

	buf_add(out, "", 0);
	if (system_file)
		certs_of_file(system_file, out, &ignored);
	if (stat(extra, &st) < 0) {
		eb_errf(e, "CODER_EXTRA_CERTS_PATH %s: %s", extra, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		n = certs_of_file(extra, out, e);
		if (n < 0)
			return -1;
		if (n == 0) {
			eb_errf(e, "CODER_EXTRA_CERTS_PATH %s: no PEM certificate in it", extra);
			return -1;
		}
		return n;
	}
	m = scandir(extra, &ents, NULL, alphasort);
	if (m < 0) {
		eb_errf(e, "CODER_EXTRA_CERTS_PATH %s: %s", extra, strerror(errno));
		return -1;
	}
	for (int i = 0; i < m; i++) {
		char *path = xasprintf("%s/%s", extra, ents[i]->d_name);
		int k;

		/* Regular files, symlinks followed: a Kubernetes secret's
		 * files are links into its "..data" directory. */
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    (k = certs_of_file(path, out, &ignored)) > 0)
			n += k;
		free(path);
		free(ents[i]);
	}
	free(ents);
	if (n == 0) {
		eb_errf(e, "CODER_EXTRA_CERTS_PATH %s: no PEM certificate in its files", extra);
		return -1;
	}
	return n;
}

/* ---- the URL ----------------------------------------------------------------- */

int coderlog_base_url(const char *url, char **base, char **shown, eb_err *e)
{
	size_t scheme, alen, hostat = 0;

	if (str_starts(url, "https://"))
		scheme = 8;
	else if (str_starts(url, "http://"))
		scheme = 7;
	else
		goto bad;
	alen = strcspn(url + scheme, "/?#");
	for (size_t i = 0; i < alen; i++) {
		unsigned char c = (unsigned char)url[scheme + i];

		if (c <= ' ' || c == 0x7f)
			goto bad;
		if (c == '@')
			hostat = i + 1;
	}
	if (alen == hostat || url[scheme + hostat] == ':')
		goto bad;
	*base = xstrndup(url, scheme + alen);
	*shown = xasprintf("%.*s%.*s", (int)scheme, url, (int)(alen - hostat), url + scheme + hostat);
	return 0;
bad:
	/* The value is not repeated: it may hold a password. */
	eb_errf(e, "CODER_AGENT_URL: expected http://HOST[:PORT] or https://HOST[:PORT]");
	return -1;
}

/* ---- the client ------------------------------------------------------------ */

/* PROBE: asking for the build info; SOURCE: registering the log source;
 * READY: sending lines; FAILED: given up. */
enum phase { PROBE, SOURCE, READY, FAILED };
enum request { REQ_BUILDINFO, REQ_SOURCE, REQ_LOGS };

struct coderlog_client {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	char *base, *shown, *token, *url;
	buf ca;            /* the CA bundle, when CODER_EXTRA_CERTS_PATH is set */
	bool use_ca;
	char ca_note[sizeof(eb_err)]; /* why CODER_EXTRA_CERTS_PATH gave nothing */
	long connect_ms, timeout_ms, drain_ms, backoff_ms;
	int retries;

	enum phase phase;
	bool inflight;
	enum request req;  /* the request in flight */
	const char *source_id; /* the PATCHes' log_source_id */
	size_t batch;      /* entries in the PATCH in flight */
	buf body, answer;
	char errbuf[CURL_ERROR_SIZE];
	int failures;      /* in a row */
	long long retry_at; /* monotonic ms; 0: no retry waiting */
	bool ending;
	long long end_by;
	char last_why[1024];
	coderlog_queue q;

	bool dropped, tell_dropped, tell_failed, tell_source;
	buf notice, source_notice;
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copies s into out with every occurrence of the token replaced: a server
 * may echo what it got, and the notice goes to the pod's log. */
static void redact(buf *out, const char *s, const char *token)
{
	size_t tl = token ? strlen(token) : 0;
	const char *hit;

	buf_add(out, "", 0);
	while (tl && (hit = strstr(s, token))) {
		buf_add(out, s, (size_t)(hit - s));
		buf_adds(out, "[token]");
		s = hit + tl;
	}
	buf_adds(out, s);
}

static void give_up(coderlog_client *c, const char *why)
{
	buf msg = { 0 };

	if (c->phase == FAILED)
		return;
	if (c->inflight) {
		curl_multi_remove_handle(c->multi, c->easy);
		c->inflight = false;
	}
	c->phase = FAILED;
	coderlog_queue_free(&c->q);
	buf_printf(&msg, "unable to send startup logs to Coder at %s: %s; they stay in this log only",
		   c->shown, why);
	buf_reset(&c->notice);
	redact(&c->notice, msg.p, c->token);
	buf_free(&msg);
	c->tell_failed = true;
}

/* A failed request: wait and try again while that may help, else give up. */
static void failed(coderlog_client *c, const char *why, bool retryable)
{
	snprintf(c->last_why, sizeof c->last_why, "%s", why);
	if (retryable && !c->ending && c->failures < c->retries) {
		c->retry_at = mono_ms() + (c->backoff_ms << c->failures);
		c->failures++;
		return;
	}
	give_up(c, why);
}

static size_t on_answer(char *p, size_t size, size_t n, void *arg)
{
	buf *b = arg;

	if (b->len < 65536)
		buf_add(b, p, size * n);
	return size * n;
}

static const char *const req_path[] = {
	[REQ_BUILDINFO] = PATH_BUILDINFO,
	[REQ_SOURCE] = PATH_SOURCE,
	[REQ_LOGS] = PATH_LOGS,
};
static const char *const req_what[] = {
	[REQ_BUILDINFO] = "GET " PATH_BUILDINFO,
	[REQ_SOURCE] = "POST " PATH_SOURCE,
	[REQ_LOGS] = "PATCH " PATH_LOGS,
};

static void start(coderlog_client *c, enum request req)
{
	CURL *h = c->easy;
	CURLMcode mrc;

	curl_easy_reset(h);
	free(c->url);
	c->url = xasprintf("%s%s", c->base, req_path[req]);
	c->errbuf[0] = 0;
	buf_reset(&c->answer);
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->answer);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "envbox");
	/* Redirects are not followed: the token header would go along. */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (c->use_ca) {
		struct curl_blob blob = { c->ca.p, c->ca.len, CURL_BLOB_NOCOPY };

		curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (req == REQ_BUILDINFO) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		buf_reset(&c->body);
		if (req == REQ_LOGS) {
			c->batch = coderlog_body(&c->q, c->source_id, CODERLOG_BATCH_ENTRIES,
						 CODERLOG_BATCH_BYTES, &c->body);
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
		} else {
			coderlog_source_body(&c->body);
			curl_easy_setopt(h, CURLOPT_POST, 1L);
		}
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body.p);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)c->body.len);
	}
	c->req = req;
	mrc = curl_multi_add_handle(c->multi, h);
	if (mrc != CURLM_OK) {
		give_up(c, curl_multi_strerror(mrc));
		return;
	}
	c->inflight = true;
}

static bool curl_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		return true;
	default:
		return false; /* certificates, protocol errors: trying again will not help */
	}
}

/* Coder's error answers are {"message":"...","detail":"..."}: the message,
 * on one line and cut short. */
static void answer_message(const buf *answer, buf *out)
{
	json_doc d;
	eb_err e;
	char *m;

	if (!answer->len || json_parse(&d, answer->p, answer->len, &e) < 0)
		return;
	m = json_strdup(&d, json_obj_get(&d, 0, "message"));
	if (m && *m) {
		size_t n = strlen(m);

		for (char *p = m; *p; p++)
			if ((unsigned char)*p < ' ')
				*p = ' ';
		buf_adds(out, ": ");
		buf_add(out, m, coderlog_cut(m, n, 200));
		if (n > 200)
			buf_adds(out, "...");
	}
	free(m);
	json_free(&d);
}

/* The answer to the registration: whatever it is, the lines go next. */
static void source_answered(coderlog_client *c, CURLcode rc, long status)
{
	enum coderlog_source s = coderlog_source_answer(rc == CURLE_OK ? status : 0);
	buf msg = { 0 };

	c->phase = READY;
	if (s == CODERLOG_SOURCE_OURS) {
		c->source_id = CODERLOG_SOURCE_ID;
		return;
	}
	if (s == CODERLOG_SOURCE_OLD)
		return;
	buf_printf(&msg, "Coder at %s did not register the \"" CODERLOG_SOURCE_NAME "\" log source (%s: ",
		   c->shown, req_what[REQ_SOURCE]);
	if (rc != CURLE_OK) {
		buf_adds(&msg, *c->errbuf ? c->errbuf : curl_easy_strerror(rc));
	} else {
		buf_printf(&msg, "HTTP %ld", status);
		answer_message(&c->answer, &msg);
	}
	buf_adds(&msg, "); the startup logs go under its default source");
	buf_reset(&c->source_notice);
	redact(&c->source_notice, msg.p, c->token);
	buf_free(&msg);
	c->tell_source = true;
}

/* The answer to the request in flight. */
static void finish(coderlog_client *c, CURLcode rc)
{
	const char *what = req_what[c->req];
	long status = 0;
	buf why = { 0 };

	curl_multi_remove_handle(c->multi, c->easy);
	c->inflight = false;
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
	if (c->req == REQ_SOURCE) {
		source_answered(c, rc, status);
	} else if (rc == CURLE_PEER_FAILED_VERIFICATION) {
		buf_printf(&why, "its certificate is not trusted (%s); set CODER_EXTRA_CERTS_PATH to the CA certificate that signed it",
			   *c->errbuf ? c->errbuf : curl_easy_strerror(rc));
		if (*c->ca_note)
			buf_printf(&why, " (%s)", c->ca_note);
		failed(c, why.p, false);
	} else if (rc != CURLE_OK) {
		buf_printf(&why, "%s: %s", what, *c->errbuf ? c->errbuf : curl_easy_strerror(rc));
		if (*c->ca_note && (rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CONNECT_ERROR))
			buf_printf(&why, " (%s)", c->ca_note);
		failed(c, why.p, curl_retryable(rc));
	} else if (status < 200 || status > 299) {
		buf_printf(&why, "%s: HTTP %ld", what, status);
		answer_message(&c->answer, &why);
		failed(c, why.p, status >= 500 || status == 429 || status == 408);
	} else if (c->req == REQ_BUILDINFO) {
		json_doc d;
		eb_err e;
		bool coder = false;

		if (json_parse(&d, c->answer.p ? c->answer.p : "", c->answer.len, &e) == 0) {
			coder = json_type(&d, json_obj_get(&d, 0, "version")) == JSMN_STRING;
			json_free(&d);
		}
		if (coder) {
			c->phase = SOURCE;
			c->failures = 0;
		} else {
			buf_printf(&why, "%s: the answer is not Coder's build info (is this Coder's URL?)", what);
			failed(c, why.p, false);
		}
	} else {
		coderlog_queue_pop(&c->q, c->batch);
		c->batch = 0;
		c->failures = 0;
	}
	buf_free(&why);
}

/* Starts what is due: the build info first, then the log source, then the
 * queued entries. The first two go as soon as they can, lines or not, so
 * that the lines find them done; at the end of an empty log neither is
 * worth starting. */
static void step(coderlog_client *c)
{
	long long now = mono_ms();

	if (c->phase == FAILED)
		return;
	if (c->ending && now >= c->end_by && c->q.n > 0) {
		char why[64];

		snprintf(why, sizeof why, "it did not take the end of the log within %ld s",
			 (c->drain_ms + 999) / 1000);
		give_up(c, why);
		return;
	}
	if (c->inflight)
		return;
	if (c->retry_at) {
		if (now < c->retry_at)
			return;
		c->retry_at = 0;
	}
	if (c->phase == PROBE && !(c->ending && c->q.n == 0))
		start(c, REQ_BUILDINFO);
	else if (c->phase == SOURCE && !(c->ending && c->q.n == 0))
		start(c, REQ_SOURCE);
	else if (c->phase == READY && c->q.n > 0)
		start(c, REQ_LOGS);
}

coderlog_client *coderlog_open(const struct coderlog_opts *o, eb_err *e)
{
	coderlog_client *c;
	char *base, *shown, *hdr, *cafile = NULL;

	if (coderlog_base_url(o->url, &base, &shown, e) < 0)
		return NULL;
	for (const char *p = o->token; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f) {
			eb_errf(e, "CODER_AGENT_TOKEN holds a control character");
			free(base);
			free(shown);
			return NULL;
		}
	c = xcalloc(1, sizeof *c);
	c->base = base;
	c->shown = shown;
	c->token = xstrdup(o->token);
	c->source_id = CODERLOG_NIL_SOURCE_ID;
	c->connect_ms = o->connect_ms > 0 ? o->connect_ms : 2000;
	c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
	c->drain_ms = o->drain_ms > 0 ? o->drain_ms : 5000;
	c->retries = o->retries < 0 ? 0 : o->retries > 0 ? o->retries : 4;
	c->backoff_ms = o->backoff_ms > 0 ? o->backoff_ms : 1000;
	c->multi = curl_multi_init();
	c->easy = curl_easy_init();
	if (!c->multi || !c->easy) {
		eb_errf(e, "unable to start libcurl");
		coderlog_close(c);
		return NULL;
	}
	hdr = xasprintf("Coder-Session-Token: %s", o->token);
	c->headers = curl_slist_append(c->headers, hdr);
	memset(hdr, 0, strlen(hdr));
	free(hdr);
	c->headers = curl_slist_append(c->headers, "Content-Type: application/json");
	c->headers = curl_slist_append(c->headers, "Accept: application/json");
	/* No "Expect: 100-continue" round trip for bigger bodies. */
	c->headers = curl_slist_append(c->headers, "Expect:");
	if (o->extra_certs && *o->extra_certs) {
		eb_err ce;

		/* The system's CAs plus the extra ones, as Go's SystemCertPool
		 * plus AppendCertsFromPEM: a blob replaces curl's CA file. */
		curl_easy_getinfo(c->easy, CURLINFO_CAINFO, &cafile);
		if (!cafile)
			cafile = "/etc/ssl/certs/ca-certificates.crt";
		if (coderlog_ca_bundle(cafile, o->extra_certs, &c->ca, &ce) < 0)
			snprintf(c->ca_note, sizeof c->ca_note, "%s", ce.msg);
		c->use_ca = c->ca.len > 0;
	}
	step(c);
	return c;
}

void coderlog_add(coderlog_client *c, const char *line, size_t n)
{
	char now[40];

	if (c->phase == FAILED)
		return;
	log_time(now, sizeof now);
	if (coderlog_queue_line(&c->q, line, n, now) < 0 && !c->dropped) {
		c->dropped = true;
		c->tell_dropped = true;
	}
}

bool coderlog_wait(coderlog_client *c, int fd, int timeout_ms)
{
	struct curl_waitfd w = { .fd = fd, .events = CURL_WAIT_POLLIN };
	long long now = mono_ms(), t = timeout_ms;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	CURLMsg *m;
	int running, left;

	if (c->phase != FAILED && !c->inflight && c->retry_at && c->retry_at - now < t)
		t = c->retry_at - now;
	if (c->phase != FAILED && c->ending && c->end_by - now < t)
		t = c->end_by - now;
	if (t < 0)
		t = 0;
	curl_multi_poll(c->multi, fd >= 0 ? &w : NULL, fd >= 0 ? 1 : 0, (int)t, NULL);
	curl_multi_perform(c->multi, &running);
	while ((m = curl_multi_info_read(c->multi, &left)))
		if (m->msg == CURLMSG_DONE && m->easy_handle == c->easy && c->inflight)
			finish(c, m->data.result);
	step(c);
	/* curl reports POLLIN only; a writer gone (POLLHUP) is also "read
	 * now", or the caller would never see the end. */
	return fd >= 0 && poll(&p, 1, 0) > 0 && p.revents;
}

void coderlog_end(coderlog_client *c)
{
	c->ending = true;
	c->end_by = mono_ms() + c->drain_ms;
	if (c->phase != FAILED && !c->inflight && c->retry_at) {
		c->retry_at = 0;
		give_up(c, c->last_why);
	}
	step(c);
}

bool coderlog_idle(const coderlog_client *c)
{
	return c->phase == FAILED || c->q.n == 0;
}

bool coderlog_failed(const coderlog_client *c)
{
	return c->phase == FAILED;
}

const char *coderlog_notice(coderlog_client *c)
{
	static const char dropped[] =
		"Coder is not keeping up with the startup log: lines past 1 MiB waiting for it are not sent to it";

	if (c->tell_dropped) {
		c->tell_dropped = false;
		return dropped;
	}
	if (c->tell_source) {
		c->tell_source = false;
		return c->source_notice.p;
	}
	if (c->tell_failed) {
		c->tell_failed = false;
		return c->notice.p;
	}
	return NULL;
}

bool coderlog_has_notice(const coderlog_client *c)
{
	return c->tell_dropped || c->tell_failed || c->tell_source;
}

const char *coderlog_source_id(const coderlog_client *c)
{
	return c->source_id;
}

void coderlog_close(coderlog_client *c)
{
	if (!c)
		return;
	if (c->inflight)
		curl_multi_remove_handle(c->multi, c->easy);
	if (c->easy)
		curl_easy_cleanup(c->easy);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	curl_slist_free_all(c->headers);
	coderlog_queue_free(&c->q);
	if (c->token)
		memset(c->token, 0, strlen(c->token));
	free(c->token);
	free(c->base);
	free(c->shown);
	free(c->url);
	buf_free(&c->ca);
	buf_free(&c->body);
	buf_free(&c->answer);
	buf_free(&c->notice);
	buf_free(&c->source_notice);
	free(c);
}
