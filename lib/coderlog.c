/* coderlog: the build log sent to Coder (coder/envbox buildlog/coder.go,
 * codersdk/agentsdk PostLogSource and PatchLogs): the client, a libcurl
 * multi state machine (see coderlog.h). What it sends is built by
 * coderlog_fmt.c. */
#include "coderlog.h"

#include "curlload.h"
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "log.h"

#define PATH_BUILDINFO "/api/v2/buildinfo"
#define PATH_SOURCE "/api/v2/workspaceagents/me/log-source"
#define PATH_LOGS "/api/v2/workspaceagents/me/logs"

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
