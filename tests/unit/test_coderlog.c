/* test_coderlog: build-log lines into Coder's startup-log entries (levels,
 * times, cutting at 1024 bytes on UTF-8 boundaries), request bodies and
 * batching, the log source and what each answer to its registration
 * means, line splitting, the CA bundle, the URL. The client's requests
 * are driven against a fake Coder in tests/coder-logs.bats. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "coderlog.h"
#include "json.h"

static const char NOW[] = "2030-01-02T03:04:05.000000006Z";

static coderlog_entry *at(coderlog_queue *q, size_t i)
{
	return &q->v[q->head + i];
}

static bool valid_utf8(const char *s, size_t n)
{
	buf b = { 0 };
	bool same;

	coderlog_sanitize(&b, s, n);
	same = b.len == n && memcmp(b.p, s, n) == 0;
	buf_free(&b);
	return same;
}

static void test_cut(void)
{
	char s[2100];

	CHECK(coderlog_cut("hello", 5, 1024) == 5);
	CHECK(coderlog_cut("hello", 5, 5) == 5);
	CHECK(coderlog_cut("hello", 5, 3) == 3);
	/* "aé…": é starts at odd offsets, so byte 1024 is a continuation
	 * byte and the cut backs up one byte. */
	s[0] = 'a';
	for (int i = 0; i < 1000; i++)
		memcpy(s + 1 + 2 * i, "\xc3\xa9", 2);
	CHECK(coderlog_cut(s, 2001, 1024) == 1023);
	CHECK(coderlog_cut(s + 1, 2000, 1024) == 1024);
	/* A 4-byte character across the limit. */
	memset(s, 'x', 1022);
	memcpy(s + 1022, "\xf0\x9f\x98\x80", 4);
	CHECK(coderlog_cut(s, 1026, 1024) == 1022);
	/* Not UTF-8 there (continuation bytes only): cut at max anyway. */
	memset(s, 0x80, 2000);
	CHECK(coderlog_cut(s, 2000, 1024) == 1024);
	/* Never an empty piece. */
	CHECK(coderlog_cut("\xc3\xa9\xc3\xa9", 4, 1) == 1);
}

static void test_sanitize(void)
{
	buf b = { 0 };

	coderlog_sanitize(&b, "a\0b", 3);
	CHECK_STR(b.p, "ab");
	buf_reset(&b);
	coderlog_sanitize(&b, "x\xffy", 3);
	CHECK_STR(b.p, "x\xef\xbf\xbdy");
	buf_reset(&b);
	/* Overlong "/", a surrogate, a truncated sequence. */
	coderlog_sanitize(&b, "\xc0\xaf|\xed\xa0\x80|\xe2\x82", 10);
	CHECK_STR(b.p, "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd");
	buf_reset(&b);
	coderlog_sanitize(&b, "\xf0\x9f\x98\x80 \xc3\xa9", 7);
	CHECK_STR(b.p, "\xf0\x9f\x98\x80 \xc3\xa9");
	buf_reset(&b);
	coderlog_sanitize(&b, "", 0);
	CHECK(b.p && b.len == 0);
	buf_free(&b);
}

static int queue(coderlog_queue *q, const char *line)
{
	return coderlog_queue_line(q, line, strlen(line), NOW);
}

static void test_queue_line(void)
{
	coderlog_queue q = { 0 };

	CHECK(queue(&q, "{\"output\":\"Waiting for dockerd\",\"time\":\"2026-11-28T01:48:11.123456789Z\",\"type\":\"info\"}") == 1);
	CHECK_STR(at(&q, 0)->output, "Waiting for dockerd");
	CHECK_STR(at(&q, 0)->created_at, "2026-11-28T01:48:11.123456789Z");
	CHECK(!at(&q, 0)->error);
	CHECK(queue(&q, "{\"output\":\"pull failed\",\"time\":\"2026-11-28T01:48:12Z\",\"type\":\"error\"}") == 1);
	CHECK(at(&q, 1)->error);
	CHECK_STR(at(&q, 1)->created_at, "2026-11-28T01:48:12Z");
	/* done is the end of startup, not a line. */
	CHECK(queue(&q, "{\"output\":\"\",\"time\":\"2026-11-28T01:48:13Z\",\"type\":\"done\"}") == 0);
	/* An unknown type is info; a bad or missing time is replaced by now. */
	CHECK(queue(&q, "{\"output\":\"x\",\"time\":\"yesterday\",\"type\":\"debug\"}") == 1);
	CHECK(!at(&q, 2)->error);
	CHECK_STR(at(&q, 2)->created_at, NOW);
	CHECK(queue(&q, "{\"output\":\"y\"}") == 1);
	CHECK_STR(at(&q, 3)->created_at, NOW);
	CHECK(queue(&q, "{\"output\":\"z\",\"time\":\"2026-11-28T01:48:13+01:00\"}") == 1);
	CHECK_STR(at(&q, 4)->created_at, "2026-11-28T01:48:13+01:00");
	CHECK(queue(&q, "{\"output\":\"z\",\"time\":\"2026-11-28T01:48:13.Z\"}") == 1);
	CHECK_STR(at(&q, 5)->created_at, NOW);
	/* Not a build-log entry: the raw text, info, stamped now. */
	CHECK(queue(&q, "useradd: warning: the home directory already exists.\r") == 1);
	CHECK_STR(at(&q, 6)->output, "useradd: warning: the home directory already exists.");
	CHECK_STR(at(&q, 6)->created_at, NOW);
	CHECK(queue(&q, "{\"output\":3,\"type\":\"error\"}") == 1);
	CHECK_STR(at(&q, 7)->output, "{\"output\":3,\"type\":\"error\"}");
	CHECK(!at(&q, 7)->error);
	CHECK(queue(&q, "[1,2]") == 1);
	CHECK(queue(&q, "{\"output\":\"a\\u0000b\"}") == 1); /* NUL escape: raw */
	CHECK_STR(at(&q, 9)->output, "{\"output\":\"a\\u0000b\"}");
	/* Escapes are decoded; an empty output is still an entry. */
	CHECK(queue(&q, "{\"output\":\"tab\\there \\u00e9\",\"type\":\"info\"}") == 1);
	CHECK_STR(at(&q, 10)->output, "tab\there \xc3\xa9");
	CHECK(queue(&q, "{\"output\":\"\",\"type\":\"info\"}") == 1);
	CHECK(at(&q, 11)->len == 0);
	/* Blank lines are nothing. */
	CHECK(queue(&q, "") == 0);
	CHECK(queue(&q, "  \t\r") == 0);
	CHECK(q.n == 12);
	coderlog_queue_free(&q);
	CHECK(q.n == 0 && q.bytes == 0 && !q.v);
}

/* A long output becomes entries of at most 1024 bytes, each valid UTF-8,
 * that join back into the whole, with one time and level. */
static void test_long_output(void)
{
	coderlog_queue q = { 0 };
	buf line = { 0 }, msg = { 0 }, joined = { 0 };
	int n;

	buf_addc(&msg, 'a');
	for (int i = 0; i < 1500; i++)
		buf_adds(&msg, i % 3 ? "\xc3\xa9" : "\xe2\x82\xac");
	buf_adds(&line, "{\"output\":");
	json_escape(&line, msg.p, msg.len);
	buf_adds(&line, ",\"time\":\"2026-11-28T01:48:11Z\",\"type\":\"error\"}");
	n = coderlog_queue_line(&q, line.p, line.len, NOW);
	CHECK(n == (int)((msg.len + 1023) / 1024) || n == (int)((msg.len + 1023) / 1024) + 1);
	CHECK((size_t)n == q.n);
	for (size_t i = 0; i < q.n; i++) {
		CHECK(at(&q, i)->len <= CODERLOG_OUTPUT_MAX);
		CHECK(at(&q, i)->len >= CODERLOG_OUTPUT_MAX - 3 || i == q.n - 1);
		CHECK(valid_utf8(at(&q, i)->output, at(&q, i)->len));
		CHECK(at(&q, i)->error);
		CHECK_STR(at(&q, i)->created_at, "2026-11-28T01:48:11Z");
		buf_add(&joined, at(&q, i)->output, at(&q, i)->len);
	}
	CHECK(joined.len == msg.len && !memcmp(joined.p, msg.p, msg.len));
	CHECK(q.bytes == msg.len);
	/* Exactly 1024 bytes: one entry; 1025: two. */
	coderlog_queue_free(&q);
	buf_reset(&msg);
	for (int i = 0; i < 1024; i++)
		buf_addc(&msg, 'x');
	CHECK(coderlog_queue_line(&q, msg.p, msg.len, NOW) == 1);
	buf_addc(&msg, 'y');
	CHECK(coderlog_queue_line(&q, msg.p, msg.len, NOW) == 2);
	CHECK(at(&q, 2)->len == 1 && at(&q, 2)->output[0] == 'y');
	coderlog_queue_free(&q);
	buf_free(&line);
	buf_free(&msg);
	buf_free(&joined);
}

/* More than CODERLOG_QUEUE_BYTES waiting: lines are refused, whole. */
static void test_queue_full(void)
{
	coderlog_queue q = { 0 };
	char *big = xmalloc(200001);
	int r = 0, lines = 0;

	memset(big, 'q', 200000);
	big[200000] = 0;
	while ((r = coderlog_queue_line(&q, big, 200000, NOW)) > 0)
		lines++;
	CHECK(r == -1);
	CHECK(lines == 5);
	CHECK(q.bytes == 1000000);
	/* Room again after sending. */
	coderlog_queue_pop(&q, 196);
	CHECK(q.bytes == 800000); /* 196 pieces: one line */
	CHECK(coderlog_queue_line(&q, big, 200000, NOW) > 0);
	coderlog_queue_free(&q);
	free(big);
}

static void test_body(void)
{
	coderlog_queue q = { 0 };
	buf b = { 0 };
	json_doc d;
	eb_err e;
	char *s;

	CHECK(queue(&q, "{\"output\":\"one \\\"q\\\"\",\"time\":\"2026-11-28T01:48:11Z\",\"type\":\"info\"}") == 1);
	CHECK(queue(&q, "{\"output\":\"two\\nlines\",\"time\":\"2026-11-28T01:48:12Z\",\"type\":\"error\"}") == 1);
	CHECK(coderlog_body(&q, CODERLOG_NIL_SOURCE_ID, 100, 1 << 20, &b) == 2);
	CHECK_STR(b.p, "{\"log_source_id\":\"00000000-0000-0000-0000-000000000000\",\"logs\":["
		       "{\"created_at\":\"2026-11-28T01:48:11Z\",\"output\":\"one \\\"q\\\"\",\"level\":\"info\"},"
		       "{\"created_at\":\"2026-11-28T01:48:12Z\",\"output\":\"two\\nlines\",\"level\":\"error\"}]}");
	buf_reset(&b);
	CHECK(coderlog_body(&q, CODERLOG_NIL_SOURCE_ID, 1, 1 << 20, &b) == 1);
	CHECK(json_parse(&d, b.p, b.len, &e) == 0);
	CHECK(json_size(&d, json_obj_get(&d, 0, "logs")) == 1);
	json_free(&d);
	/* An empty queue: an empty list (never sent, but well-formed). */
	coderlog_queue_pop(&q, 2);
	buf_reset(&b);
	CHECK(coderlog_body(&q, CODERLOG_NIL_SOURCE_ID, 100, 1 << 20, &b) == 0);
	CHECK_STR(b.p, "{\"log_source_id\":\"00000000-0000-0000-0000-000000000000\",\"logs\":[]}");
	/* The byte cap: the first entry always goes; the one that would pass
	 * the cap waits for the next request, and the body stays valid. */
	for (int i = 0; i < 10; i++)
		CHECK(queue(&q, "0123456789012345678901234567890123456789") == 1);
	buf_reset(&b);
	CHECK(coderlog_body(&q, CODERLOG_NIL_SOURCE_ID, 100, 10, &b) == 1);
	buf_reset(&b);
	CHECK(coderlog_body(&q, CODERLOG_NIL_SOURCE_ID, 100, 410, &b) == 3); /* 64 + 3 × 114 + 2 commas + 2 */
	CHECK(b.len == 410);
	CHECK(json_parse(&d, b.p, b.len, &e) == 0);
	CHECK(json_size(&d, json_obj_get(&d, 0, "logs")) == 3);
	s = json_strdup(&d, json_path(&d, 0, "logs[2].output"));
	CHECK_STR(s, "0123456789012345678901234567890123456789");
	free(s);
	json_free(&d);
	/* Batches in order: pop what was sent, the rest comes next. */
	coderlog_queue_pop(&q, 3);
	CHECK(q.n == 7);
	buf_reset(&b);
	CHECK(coderlog_body(&q, CODERLOG_NIL_SOURCE_ID, 100, CODERLOG_BATCH_BYTES, &b) == 7);
	coderlog_queue_free(&q);
	buf_free(&b);
}

/* The log source: its registration body, the PATCH body under it, and what
 * each answer to the registration means. */
static void test_source(void)
{
	static const struct {
		long status;
		enum coderlog_source want;
	} answers[] = {
		{ 201, CODERLOG_SOURCE_OURS },    /* Coder: created, or already there */
		{ 200, CODERLOG_SOURCE_OURS },
		{ 204, CODERLOG_SOURCE_OURS },
		{ 409, CODERLOG_SOURCE_OURS },    /* "already exists" */
		{ 404, CODERLOG_SOURCE_OLD },     /* a Coder before log sources */
		{ 405, CODERLOG_SOURCE_OLD },
		{ 0, CODERLOG_SOURCE_REFUSED },   /* no answer */
		{ 199, CODERLOG_SOURCE_REFUSED },
		{ 300, CODERLOG_SOURCE_REFUSED }, /* redirects are not followed */
		{ 400, CODERLOG_SOURCE_REFUSED },
		{ 401, CODERLOG_SOURCE_REFUSED },
		{ 403, CODERLOG_SOURCE_REFUSED },
		{ 410, CODERLOG_SOURCE_REFUSED },
		{ 429, CODERLOG_SOURCE_REFUSED },
		{ 500, CODERLOG_SOURCE_REFUSED },
		{ 503, CODERLOG_SOURCE_REFUSED },
	};
	coderlog_queue q = { 0 };
	buf b = { 0 };
	json_doc d;
	eb_err e;
	char *s;

	coderlog_source_body(&b);
	CHECK_STR(b.p, "{\"id\":\"e9e10f35-dd0d-44a6-baa3-fb1d15efa478\","
		       "\"display_name\":\"envbox\",\"icon\":\"/icon/docker.svg\"}");
	/* A version 4, variant 1 UUID in Go's uuid.Parse form. */
	CHECK(strlen(CODERLOG_SOURCE_ID) == 36 && CODERLOG_SOURCE_ID[14] == '4' &&
	      strchr("89ab", CODERLOG_SOURCE_ID[19]) != NULL);
	CHECK(strcmp(CODERLOG_SOURCE_ID, CODERLOG_NIL_SOURCE_ID) != 0);
	for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++)
		if (coderlog_source_answer(answers[i].status) != answers[i].want) {
			fprintf(stderr, "status %ld: ", answers[i].status);
			CHECK(!"coderlog_source_answer");
		}
	/* The PATCH body carries the source given. */
	CHECK(queue(&q, "{\"output\":\"hi\",\"time\":\"2026-11-28T01:48:11Z\",\"type\":\"info\"}") == 1);
	buf_reset(&b);
	CHECK(coderlog_body(&q, CODERLOG_SOURCE_ID, 100, 1 << 20, &b) == 1);
	CHECK(json_parse(&d, b.p, b.len, &e) == 0);
	s = json_strdup(&d, json_obj_get(&d, 0, "log_source_id"));
	CHECK_STR(s, CODERLOG_SOURCE_ID);
	free(s);
	json_free(&d);
	coderlog_queue_free(&q);
	buf_free(&b);
}

/* Many entries: CODERLOG_BATCH_ENTRIES a request; the ring stays in order
 * while entries come and go. */
static void test_batches(void)
{
	coderlog_queue q = { 0 };
	buf b = { 0 };
	char line[32];
	int next = 0, sent = 0;

	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 150; i++) {
			snprintf(line, sizeof line, "line %d", next++);
			CHECK(queue(&q, line) == 1);
		}
		buf_reset(&b);
		CHECK(coderlog_body(&q, CODERLOG_NIL_SOURCE_ID, CODERLOG_BATCH_ENTRIES, CODERLOG_BATCH_BYTES, &b) == 100);
		snprintf(line, sizeof line, "\"output\":\"line %d\"", sent);
		CHECK(strstr(b.p, line) != NULL);
		coderlog_queue_pop(&q, 100);
		sent += 100;
	}
	CHECK(q.n == 250);
	snprintf(line, sizeof line, "line %d", sent);
	CHECK_STR(at(&q, 0)->output, line);
	coderlog_queue_free(&q);
	buf_free(&b);
}

struct seen {
	int n;
	char *v[16];
	size_t len[16];
};

static void on_line(const char *line, size_t n, void *arg)
{
	struct seen *s = arg;

	if (s->n < 16) {
		s->v[s->n] = xstrndup(line, n);
		s->len[s->n] = n;
	}
	s->n++;
}

static void seen_free(struct seen *s)
{
	for (int i = 0; i < s->n && i < 16; i++)
		free(s->v[i]);
	memset(s, 0, sizeof *s);
}

static void test_feed(void)
{
	coderlog_lines l = { 0 };
	struct seen s = { 0 };
	char *big;

	coderlog_feed(&l, "one\ntw", 6, on_line, &s);
	coderlog_feed(&l, "o\n\nthr", 6, on_line, &s);
	coderlog_feed(&l, "ee", 2, on_line, &s);
	CHECK(s.n == 3);
	CHECK_STR(s.v[0], "one");
	CHECK_STR(s.v[1], "two");
	CHECK_STR(s.v[2], "");
	coderlog_feed_end(&l, on_line, &s);
	CHECK(s.n == 4);
	CHECK_STR(s.v[3], "three");
	seen_free(&s);
	coderlog_feed_end(&l, on_line, &s);
	CHECK(s.n == 0);

	/* A line longer than CODERLOG_LINE_MAX comes in pieces of that size. */
	big = xmalloc(CODERLOG_LINE_MAX * 2 + 10);
	memset(big, 'b', CODERLOG_LINE_MAX * 2 + 10);
	big[CODERLOG_LINE_MAX * 2 + 9] = '\n';
	coderlog_feed(&l, big, 100, on_line, &s);
	coderlog_feed(&l, big + 100, CODERLOG_LINE_MAX * 2 + 10 - 100, on_line, &s);
	CHECK(s.n == 3);
	CHECK(s.len[0] == CODERLOG_LINE_MAX && s.len[1] == CODERLOG_LINE_MAX && s.len[2] == 9);
	seen_free(&s);
	/* Exactly CODERLOG_LINE_MAX and a newline: one line, no empty one. */
	big[CODERLOG_LINE_MAX] = '\n';
	coderlog_feed(&l, big, CODERLOG_LINE_MAX + 1, on_line, &s);
	coderlog_feed_end(&l, on_line, &s);
	CHECK(s.n == 1 && s.len[0] == CODERLOG_LINE_MAX);
	seen_free(&s);
	free(big);
}

#define CERT_A "-----BEGIN CERTIFICATE-----\nQUFB\n-----END CERTIFICATE-----"
#define CERT_B "-----BEGIN CERTIFICATE-----\nQkJC\n-----END CERTIFICATE-----"
#define CERT_C "-----BEGIN CERTIFICATE-----\nQ0ND\n-----END CERTIFICATE-----"
#define KEY "-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n"

static void test_pem(void)
{
	static const char text[] = "Bag Attributes: x\n" CERT_A "\ntrailing text\n" KEY CERT_B
				   "\n-----BEGIN CERTIFICATE-----\nunterminated";
	buf b = { 0 };

	CHECK(coderlog_pem_certs(text, sizeof text - 1, &b) == 2);
	CHECK_STR(b.p, CERT_A "\n" CERT_B "\n");
	buf_reset(&b);
	CHECK(coderlog_pem_certs(KEY, strlen(KEY), &b) == 0);
	CHECK(b.len == 0);
	buf_free(&b);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(path);
}

static void test_ca_bundle(void)
{
	char dir[] = "/tmp/test-coderlog-XXXXXX";
	char *sys, *certs, *empty, *file, *link, *tmp;
	buf b = { 0 };
	eb_err e;

	CHECK(mkdtemp(dir) != NULL);
	sys = xasprintf("%s/system.pem", dir);
	certs = xasprintf("%s/certs", dir);
	empty = xasprintf("%s/empty", dir);
	file = xasprintf("%s/certs/b.crt", dir);
	link = xasprintf("%s/certs/c-link.pem", dir);
	write_file(dir, "system.pem", "# the system's\n" CERT_A "\n");
	mkdir(certs, 0755);
	mkdir(empty, 0755);
	write_file(certs, "b.crt", "issuer=B\n" CERT_B "\n");
	write_file(certs, "a-readme.txt", "not a certificate\n");
	write_file(certs, "d.key", KEY);
	write_file(dir, "c.pem", CERT_C "\n");
	CHECK(symlink("../c.pem", link) == 0);
	tmp = xasprintf("%s/certs/..data", dir);
	mkdir(tmp, 0755); /* a directory: skipped */
	free(tmp);

	/* A file: the system's certificates, then it. */
	CHECK(coderlog_ca_bundle(sys, file, &b, &e) == 1);
	CHECK_STR(b.p, CERT_A "\n" CERT_B "\n");
	/* A directory: its regular files in name order, links followed,
	 * files without certificates skipped. */
	buf_reset(&b);
	CHECK(coderlog_ca_bundle(sys, certs, &b, &e) == 2);
	CHECK_STR(b.p, CERT_A "\n" CERT_B "\n" CERT_C "\n");
	/* No system bundle: the extra ones alone. */
	buf_reset(&b);
	CHECK(coderlog_ca_bundle("/nonexistent/ca.pem", certs, &b, &e) == 2);
	CHECK_STR(b.p, CERT_B "\n" CERT_C "\n");
	buf_reset(&b);
	CHECK(coderlog_ca_bundle(NULL, file, &b, &e) == 1);
	/* Nothing usable: -1 naming the path; the system ones are kept. */
	buf_reset(&b);
	CHECK(coderlog_ca_bundle(sys, empty, &b, &e) == -1);
	CHECK(strstr(e.msg, "CODER_EXTRA_CERTS_PATH") && strstr(e.msg, empty) &&
	      strstr(e.msg, "no PEM certificate"));
	CHECK_STR(b.p, CERT_A "\n");
	buf_reset(&b);
	CHECK(coderlog_ca_bundle(sys, "/nonexistent/extra", &b, &e) == -1);
	CHECK(strstr(e.msg, "/nonexistent/extra: No such file or directory") != NULL);
	buf_reset(&b);
	write_file(dir, "key-only.pem", KEY);
	tmp = xasprintf("%s/key-only.pem", dir);
	CHECK(coderlog_ca_bundle(sys, tmp, &b, &e) == -1);
	CHECK(strstr(e.msg, "no PEM certificate in it") != NULL);
	free(tmp);
	buf_free(&b);
	free(sys);
	free(certs);
	free(empty);
	free(file);
	free(link);
	tmp = xasprintf("rm -rf '%s'", dir);
	CHECK(system(tmp) == 0);
	free(tmp);
}

static void test_url(void)
{
	char *base = NULL, *shown = NULL;
	eb_err e;
	static const char *const bad[] = {
		"", "coder.example.com", "ftp://coder.example.com", "http://", "https:///path",
		"http://user:pw@", "http://user@:8080", "http://co der", "http://a\tb", "HTTP//x",
	};

	CHECK(coderlog_base_url("https://coder.example.com", &base, &shown, &e) == 0);
	CHECK_STR(base, "https://coder.example.com");
	CHECK_STR(shown, "https://coder.example.com");
	free(base);
	free(shown);
	/* The path, query and fragment give way to the API path. */
	CHECK(coderlog_base_url("http://10.0.0.1:3000/some/path/?q=1#f", &base, &shown, &e) == 0);
	CHECK_STR(base, "http://10.0.0.1:3000");
	CHECK_STR(shown, "http://10.0.0.1:3000");
	free(base);
	free(shown);
	CHECK(coderlog_base_url("https://[::1]:8443/", &base, &shown, &e) == 0);
	CHECK_STR(base, "https://[::1]:8443");
	free(base);
	free(shown);
	/* A password is used, never shown. */
	CHECK(coderlog_base_url("https://me:s3cret@coder.example.com/x", &base, &shown, &e) == 0);
	CHECK_STR(base, "https://me:s3cret@coder.example.com");
	CHECK_STR(shown, "https://coder.example.com");
	free(base);
	free(shown);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		e.msg[0] = 0;
		CHECK(coderlog_base_url(bad[i], &base, &shown, &e) == -1);
		CHECK(strstr(e.msg, "CODER_AGENT_URL") != NULL);
	}
	CHECK(coderlog_base_url("http://user:pw@", &base, &shown, &e) == -1);
	CHECK(strstr(e.msg, "pw") == NULL);
}

static void test_open(void)
{
	struct coderlog_opts o = { .url = "http://127.0.0.1:9", .token = "to\nken" };
	coderlog_client *c;
	eb_err e;

	CHECK(coderlog_open(&o, &e) == NULL);
	CHECK(strstr(e.msg, "CODER_AGENT_TOKEN") && !strstr(e.msg, "to\nken") && !strstr(e.msg, "ken"));
	o.url = "tcp://x";
	o.token = "secret-token";
	CHECK(coderlog_open(&o, &e) == NULL);
	CHECK(strstr(e.msg, "secret") == NULL);
	/* A good client, closed at once (nothing listens on port 9 anyway). */
	o.url = "http://127.0.0.1:9";
	c = coderlog_open(&o, &e);
	CHECK(c != NULL);
	CHECK(coderlog_idle(c));
	CHECK(!coderlog_has_notice(c));
	/* No answer from Coder yet: the lines would go under the nil UUID. */
	CHECK_STR(coderlog_source_id(c), CODERLOG_NIL_SOURCE_ID);
	coderlog_close(c);
}

int main(void)
{
	test_cut();
	test_sanitize();
	test_queue_line();
	test_long_output();
	test_queue_full();
	test_body();
	test_source();
	test_batches();
	test_feed();
	test_pem();
	test_ca_bundle();
	test_url();
	test_open();
	return check_done("test_coderlog");
}
