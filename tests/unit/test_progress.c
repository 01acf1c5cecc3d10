/* test_progress: the pull stream state machine against recorded-looking
 * streams (tests/fixtures/progress) and hand-made lines. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "progress.h"

static const char *fixtures(void)
{
	return getenv("FIXTURES") ? getenv("FIXTURES") : "tests/fixtures";
}

/* Feeds a whole file line by line; returns the first error's rc. The
 * summary after each line is kept in *last (when given). */
static int feed_file(progress *p, const char *name, buf *last, eb_err *e)
{
	char path[512];
	buf b = {0};
	size_t off = 0;
	int rc = 0;

	snprintf(path, sizeof path, "%s/progress/%s", fixtures(), name);
	if (read_file(path, 1 << 20, &b, e) < 0)
		return -2;
	while (off < b.len && rc == 0) {
		char *nl = memchr(b.p + off, '\n', b.len - off);
		size_t n = nl ? (size_t)(nl - (b.p + off)) + 1 : b.len - off;

		rc = progress_line(p, b.p + off, n, e);
		off += n;
		if (last) {
			buf_reset(last);
			progress_summary(p, last);
		}
	}
	buf_free(&b);
	return rc;
}

static int line(progress *p, const char *s, eb_err *e)
{
	return progress_line(p, s, strlen(s), e);
}

static void test_ok(void)
{
	progress *p = malloc(sizeof *p);
	buf s = {0};
	eb_err e;

	progress_init(p);
	CHECK(feed_file(p, "pull-ok.jsonl", &s, &e) == 0);
	CHECK(p->nlayer == 7);
	CHECK(progress_done_layers(p) == 7);
	CHECK_STR(s.p, "pulling: 7/7 layers done, 141.4 MB/141.4 MB downloaded");
	CHECK_STR(progress_status(p), "Downloaded newer image for node:20-bookworm");
	CHECK_STR(p->digest, "sha256:5d4ee2ab0a4ba8aa5f4bd4e4a1a1f8c76a9f48b9c1b1c2b7e0f5f3b2e0b1c7d1");
	CHECK(progress_error(p) == NULL);
	CHECK(p->layer[0].state == LAYER_EXISTS);
	/* The tag in "Pulling from" is not a layer. */
	for (size_t i = 0; i < p->nlayer; i++)
		CHECK(strcmp(p->layer[i].id, "20-bookworm") != 0);
	buf_free(&s);

	/* Midway: replay the first lines and look at the summary. */
	progress_init(p);
	{
		char path[512];
		buf b = {0};
		size_t off = 0;

		snprintf(path, sizeof path, "%s/progress/pull-ok.jsonl", fixtures());
		CHECK(read_file(path, 1 << 20, &b, &e) == 0);
		for (int i = 0; i < 14 && off < b.len; i++) {
			char *nl = memchr(b.p + off, '\n', b.len - off);
			size_t n = (size_t)(nl - (b.p + off)) + 1;

			CHECK(progress_line(p, b.p + off, n, &e) == 0);
			off += n;
		}
		buf_free(&b);
	}
	progress_summary(p, &s);
	/* Line 14: three downloads in flight, a quarter each; the waiting
	 * layers' sizes are not known yet. */
	CHECK_STR(s.p, "pulling: 1/7 layers done, 23.3 MB/93.2 MB downloaded");
	CHECK(progress_status(p) == NULL);
	buf_free(&s);
	free(p);
}

static void test_other_fixtures(void)
{
	progress *p = malloc(sizeof *p);
	buf s = {0};
	eb_err e;

	progress_init(p);
	CHECK(feed_file(p, "pull-uptodate.jsonl", &s, &e) == 0);
	CHECK_STR(progress_status(p), "Image is up to date for alpine:3.19");
	CHECK_STR(s.p, "pulling: 0/0 layers done, 0 B/0 B downloaded");

	progress_init(p);
	CHECK(feed_file(p, "pull-tls-error.jsonl", NULL, &e) == 0);
	CHECK_STR(progress_error(p), "Get \"https://registry.test:5000/v2/\": tls: failed "
		  "to verify certificate: x509: certificate signed by unknown authority");
	CHECK(progress_status(p) == NULL);

	progress_init(p);
	CHECK(feed_file(p, "pull-midway-error.jsonl", &s, &e) == 0);
	CHECK_STR(progress_error(p), "read tcp 10.0.0.2:41234->104.16.99.50:443: read: "
		  "connection reset by peer");
	CHECK(p->nlayer == 1 && p->layer[0].state == LAYER_WAITING);
	CHECK_STR(s.p, "pulling: 0/1 layers done, 10.8 MB/49.6 MB downloaded");
	buf_free(&s);
	free(p);
}

static void test_lines(void)
{
	progress *p = malloc(sizeof *p);
	buf s = {0};
	eb_err e;

	progress_init(p);
	/* Blank lines are nothing. */
	CHECK(line(p, "", &e) == 0);
	CHECK(line(p, " \r\n", &e) == 0);
	CHECK(p->lines == 0);
	/* Not JSON, not an object, wrong types: errors. */
	CHECK(line(p, "{\"status\":", &e) == -1);
	CHECK(str_starts(e.msg, "pull progress line 1: "));
	CHECK(line(p, "[1,2]", &e) == -1);
	CHECK_STR(e.msg, "pull progress line 2: not a JSON object");
	CHECK(line(p, "\"Downloading\"", &e) == -1);
	CHECK(line(p, "{\"status\":5}", &e) == -1);
	CHECK_STR(e.msg, "pull progress line 4: a field has the wrong type");
	CHECK(line(p, "{\"status\":\"Downloading\",\"id\":[]}", &e) == -1);
	CHECK(line(p, "{\"status\":\"Downloading\",\"id\":\"a\",\"progressDetail\":5}", &e) == -1);
	CHECK(line(p, "{\"status\":\"Downloading\",\"id\":\"a\",\"progressDetail\":{\"current\":\"x\"}}", &e) == -1);
	CHECK(line(p, "{\"status\":\"Downloading\",\"id\":\"a\",\"progressDetail\":{\"total\":1.5}}", &e) == -1);
	CHECK(line(p, "{\"errorDetail\":\"x\"}", &e) == -1);
	CHECK(line(p, "{}{}", &e) == -1);
	CHECK(p->nlayer == 0);

	/* Unknown statuses and fields are ignored; nulls are absent. */
	CHECK(line(p, "{\"status\":\"Something new\",\"id\":\"abc\",\"extra\":[1]}", &e) == 0);
	CHECK(line(p, "{\"status\":null,\"id\":null,\"progressDetail\":null}", &e) == 0);
	CHECK(p->nlayer == 0);

	/* A finished layer stays finished; sizes come from Extracting when
	 * Downloading never said them. */
	CHECK(line(p, "{\"status\":\"Pulling fs layer\",\"id\":\"l1\"}", &e) == 0);
	CHECK(line(p, "{\"status\":\"Download complete\",\"id\":\"l1\"}", &e) == 0);
	CHECK(line(p, "{\"status\":\"Extracting\",\"id\":\"l1\",\"progressDetail\":{\"current\":10,\"total\":2500}}", &e) == 0);
	CHECK(line(p, "{\"status\":\"Pull complete\",\"id\":\"l1\"}", &e) == 0);
	CHECK(line(p, "{\"status\":\"Downloading\",\"id\":\"l1\",\"progressDetail\":{\"current\":1,\"total\":2}}", &e) == 0);
	CHECK(p->layer[0].state == LAYER_DONE);
	progress_summary(p, &s);
	CHECK_STR(s.p, "pulling: 1/1 layers done, 2.5 kB/2.5 kB downloaded");
	buf_reset(&s);

	/* Error without errorDetail; later status lines keep the error. */
	CHECK(line(p, "{\"error\":\"pull access denied for x\"}", &e) == 0);
	CHECK_STR(progress_error(p), "pull access denied for x");

	/* Hostile sizes saturate instead of overflowing. */
	progress_init(p);
	CHECK(line(p, "{\"status\":\"Downloading\",\"id\":\"a\",\"progressDetail\":{\"current\":9223372036854775807,\"total\":9223372036854775807}}", &e) == 0);
	CHECK(line(p, "{\"status\":\"Downloading\",\"id\":\"b\",\"progressDetail\":{\"current\":9223372036854775807,\"total\":9223372036854775807}}", &e) == 0);
	CHECK(line(p, "{\"status\":\"Downloading\",\"id\":\"c\",\"progressDetail\":{\"current\":-5,\"total\":-1}}", &e) == 0);
	progress_summary(p, &s);
	CHECK_STR(s.p, "pulling: 0/3 layers done, 1.0 EB/1.0 EB downloaded");
	buf_reset(&s);

	/* The table is bounded: ids past the limit are not tracked, and a
	 * very long id is cut, not overrun. */
	progress_init(p);
	for (int i = 0; i < PROGRESS_MAX_LAYERS + 10; i++) {
		char l[128];

		snprintf(l, sizeof l, "{\"status\":\"Already exists\",\"id\":\"%d\"}", i);
		CHECK(line(p, l, &e) == 0);
	}
	CHECK(p->nlayer == PROGRESS_MAX_LAYERS && p->overflow);
	progress_summary(p, &s);
	CHECK_STR(s.p, "pulling: 512/512+ layers done, 0 B/0 B downloaded");
	buf_reset(&s);
	progress_init(p);
	{
		buf l = {0};

		buf_adds(&l, "{\"status\":\"Waiting\",\"id\":\"");
		for (int i = 0; i < 1000; i++)
			buf_addc(&l, 'x');
		buf_adds(&l, "\"}");
		CHECK(progress_line(p, l.p, l.len, &e) == 0);
		CHECK(progress_line(p, l.p, l.len, &e) == 0);
		CHECK(p->nlayer == 1 && strlen(p->layer[0].id) == PROGRESS_ID_MAX);
		buf_free(&l);
	}
	buf_free(&s);
	free(p);
}

int main(void)
{
	test_ok();
	test_other_fixtures();
	test_lines();
	return check_done("test_progress");
}
