/* coderlog_fmt: the pure part of coderlog (see coderlog.h): the log
 * source's registration, build-log lines into entries and entries into
 * PATCH bodies, the CA bundle and the base URL. The client that sends them
 * is coderlog.c. */
#include "coderlog.h"

#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth.h"
#include "json.h"

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
	char **names, **paths;
	struct stat st;
	eb_err ignored;
	size_t m;
	int n = 0;

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
	/* The files envbox-auth certs installs for the registry, the same
	 * way listed (auth_cert_files). */
	if (auth_cert_files(extra, &names, &paths, &m, e)) {
		eb_err why = *e;

		eb_errf(e, "CODER_EXTRA_CERTS_PATH %s: %s", extra, why.msg);
		return -1;
	}
	for (size_t i = 0; i < m; i++) {
		int k = certs_of_file(paths[i], out, &ignored);

		if (k > 0)
			n += k;
	}
	auth_cert_files_free(names, paths, m);
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
