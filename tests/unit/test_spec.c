/* Unit tests for lib/spec: writing and reading spec lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "spec.h"

static int parse(const char *line, struct spec *s, eb_err *e)
{
	return spec_parse(line, strlen(line), s, e);
}

/* The error for line, "" when it parses. */
static const char *parse_err(const char *line)
{
	static eb_err e;
	struct spec s;

	if (parse(line, &s, &e) == 0) {
		spec_free(&s);
		return "";
	}
	return e.msg;
}

static void test_write(void)
{
	buf b = { 0 };
	eb_err e;

	CHECK(spec_write_bind(&b, "/home/coder", "/home/coder", false, &e) == 0);
	CHECK(spec_write_bind(&b, "/a", "/b", true, &e) == 0);
	CHECK(spec_write_device(&b, "/tmp/coder-tun", "/dev/net/tun", &e) == 0);
	CHECK(spec_write_env(&b, "NVIDIA_VISIBLE_DEVICES", "all", &e) == 0);
	CHECK(spec_write_env(&b, "GREETING", "hello  world = yes", &e) == 0);
	CHECK(spec_write_env(&b, "EMPTY", "", &e) == 0);
	CHECK_STR(b.p, "bind /home/coder /home/coder rw\n"
		       "bind /a /b ro\n"
		       "device /tmp/coder-tun /dev/net/tun\n"
		       "env NVIDIA_VISIBLE_DEVICES=all\n"
		       "env GREETING=hello  world = yes\n"
		       "env EMPTY=\n");
	buf_free(&b);
}

/* A refused write leaves the buffer as it was. */
static void refused(int rc, buf *b, const eb_err *e, const char *want)
{
	CHECK(rc == -1);
	CHECK(b->len == 0);
	CHECK_STR(e->msg, want);
}

static void test_write_refuses(void)
{
	buf b = { 0 };
	eb_err e;

	refused(spec_write_bind(&b, "/my dir", "/b", false, &e), &b, &e,
		"source \"/my dir\" contains whitespace");
	refused(spec_write_bind(&b, "/a", "/b\nbind / / rw", false, &e), &b, &e,
		"destination \"/b\\x0abind / / rw\" contains whitespace");
	refused(spec_write_bind(&b, "/a\tb", "/b", false, &e), &b, &e,
		"source \"/a\\x09b\" contains whitespace");
	refused(spec_write_bind(&b, "/a\x01", "/b", false, &e), &b, &e,
		"source \"/a\\x01\" contains a control character");
	refused(spec_write_bind(&b, "", "/b", false, &e), &b, &e, "empty source");
	refused(spec_write_bind(&b, "/a", "b", false, &e), &b, &e,
		"destination \"b\" is not an absolute path");
	refused(spec_write_device(&b, "dev/fuse", "/dev/fuse", &e), &b, &e,
		"device \"dev/fuse\" is not an absolute path");
	refused(spec_write_device(&b, "/dev/fuse", "", &e), &b, &e,
		"empty inner device");
	refused(spec_write_env(&b, "", "x", &e), &b, &e, "empty variable name");
	refused(spec_write_env(&b, "A=B", "x", &e), &b, &e,
		"variable name \"A=B\" contains '='");
	refused(spec_write_env(&b, "A B", "x", &e), &b, &e,
		"variable name \"A B\" contains whitespace");
	/* The value is never quoted: it may be a secret. */
	refused(spec_write_env(&b, "CODER_AGENT_TOKEN", "sec\nret", &e), &b, &e,
		"variable CODER_AGENT_TOKEN: value contains a newline");
	CHECK(strstr(e.msg, "sec") == NULL);
	/* UTF-8 is fine. */
	CHECK(spec_write_bind(&b, "/données", "/d\xc3\xa9", false, &e) == 0);
	CHECK_STR(b.p, "bind /données /dé rw\n");
	buf_free(&b);
}

static void test_parse(void)
{
	struct spec s;
	eb_err e;

	CHECK(parse("bind /home/coder /home/coder rw", &s, &e) == 0);
	CHECK(s.kind == SPEC_BIND);
	CHECK_STR(s.src, "/home/coder");
	CHECK_STR(s.dst, "/home/coder");
	CHECK(!s.ro);
	spec_free(&s);

	CHECK(parse("bind /a /b ro\n", &s, &e) == 0);
	CHECK(s.kind == SPEC_BIND && s.ro);
	CHECK_STR(s.dst, "/b");
	spec_free(&s);

	CHECK(parse("device /tmp/coder-fuse /dev/fuse", &s, &e) == 0);
	CHECK(s.kind == SPEC_DEVICE);
	CHECK_STR(s.src, "/tmp/coder-fuse");
	CHECK_STR(s.dst, "/dev/fuse");
	CHECK(s.name == NULL && s.value == NULL);
	spec_free(&s);

	CHECK(parse("env A=b c  d=e ", &s, &e) == 0);
	CHECK(s.kind == SPEC_ENV);
	CHECK_STR(s.name, "A");
	CHECK_STR(s.value, "b c  d=e ");
	CHECK(s.src == NULL);
	spec_free(&s);

	CHECK(parse("env EMPTY=\n", &s, &e) == 0);
	CHECK_STR(s.name, "EMPTY");
	CHECK_STR(s.value, "");
	spec_free(&s);
}

static void test_parse_errors(void)
{
	CHECK_STR(parse_err(""), "spec line \"\": empty line");
	CHECK_STR(parse_err("\n"), "spec line \"\": empty line");
	CHECK_STR(parse_err("mount /a /b rw"),
		  "spec line \"mount /a /b rw\": unknown kind (expected bind, device or env)");
	CHECK_STR(parse_err("BIND /a /b rw"),
		  "spec line \"BIND /a /b rw\": unknown kind (expected bind, device or env)");
	CHECK_STR(parse_err("bind"), "spec line \"bind\": expected bind SRC DST ro|rw");
	CHECK_STR(parse_err("bind /a /b"), "spec line \"bind /a /b\": expected bind SRC DST ro|rw");
	CHECK_STR(parse_err("bind /a /b rw x"),
		  "spec line \"bind /a /b rw x\": expected bind SRC DST ro|rw");
	CHECK_STR(parse_err("bind /a /b rw "),
		  "spec line \"bind /a /b rw \": expected bind SRC DST ro|rw");
	CHECK_STR(parse_err("bind /a  /b"), "spec line \"bind /a  /b\": empty destination");
	CHECK_STR(parse_err("bind /a /b RW"),
		  "spec line \"bind /a /b RW\": mode \"RW\" is not ro or rw");
	CHECK_STR(parse_err("bind /a /b "), "spec line \"bind /a /b \": mode \"\" is not ro or rw");
	CHECK_STR(parse_err("bind a /b rw"),
		  "spec line \"bind a /b rw\": source \"a\" is not an absolute path");
	CHECK_STR(parse_err("bind /a\t/b rw"),
		  "spec line \"bind /a\\x09/b rw\": expected bind SRC DST ro|rw");
	CHECK_STR(parse_err("bind /a\tx /b rw"),
		  "spec line \"bind /a\\x09x /b rw\": source \"/a\\x09x\" contains whitespace");
	CHECK_STR(parse_err("bind /a /b rw\r"),
		  "spec line \"bind /a /b rw\\x0d\": mode \"rw\\x0d\" is not ro or rw");
	CHECK_STR(parse_err("device /dev/fuse"),
		  "spec line \"device /dev/fuse\": expected device HOSTPATH INNERPATH");
	CHECK_STR(parse_err("device /dev/fuse dev/fuse"),
		  "spec line \"device /dev/fuse dev/fuse\": inner device \"dev/fuse\" is not an absolute path");
	CHECK_STR(parse_err("device"),
		  "spec line \"device\": expected device HOSTPATH INNERPATH");
	CHECK_STR(parse_err("env"), "spec line \"env\": expected env NAME=VALUE");
	CHECK_STR(parse_err("env "), "spec line \"env ...\": expected env NAME=VALUE");
	/* An env line's value never shows: it may be a secret. */
	CHECK_STR(parse_err("env =hunter2"), "spec line \"env =...\": empty variable name");
	CHECK_STR(parse_err("env hunter2"), "spec line \"env ...\": expected env NAME=VALUE");
	CHECK_STR(parse_err("env A B=hunter2"),
		  "spec line \"env A B=...\": variable name \"A B\" contains whitespace");
	CHECK_STR(parse_err("bind /a /b rw\n\n"),
		  "spec line \"bind /a /b rw\\x0a\": contains a newline");
	CHECK_STR(parse_err("env A=x\ny\n"), "spec line \"env A=...\": contains a newline");
}

static void test_parse_nul(void)
{
	struct spec s;
	eb_err e;

	CHECK(spec_parse("bind /a\0b /b rw", 15, &s, &e) == -1);
	CHECK_STR(e.msg, "spec line \"bind /a\\x00b /b rw\": contains a NUL byte");
	CHECK(s.src == NULL);
}

/* Whatever the writer writes, the reader reads back the same. */
static void test_round_trip(void)
{
	struct spec in[] = {
		{ .kind = SPEC_BIND, .src = "/var/lib/coder/docker", .dst = "/var/lib/docker" },
		{ .kind = SPEC_BIND, .src = "/x", .dst = "/y", .ro = true },
		{ .kind = SPEC_DEVICE, .src = "/dev/nvidia0", .dst = "/dev/nvidia0" },
		{ .kind = SPEC_ENV, .name = "PATH", .value = "/usr/bin:/bin" },
		{ .kind = SPEC_ENV, .name = "X", .value = " spaced out = " },
	};
	buf b = { 0 };
	eb_err e;
	struct spec out;

	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
		buf_reset(&b);
		CHECK(spec_write(&b, &in[i], &e) == 0);
		CHECK(spec_parse(b.p, b.len, &out, &e) == 0);
		CHECK(out.kind == in[i].kind);
		CHECK(out.ro == in[i].ro);
		CHECK_STR(out.src, in[i].src);
		CHECK_STR(out.dst, in[i].dst);
		CHECK_STR(out.name, in[i].name);
		CHECK_STR(out.value, in[i].value);
		spec_free(&out);
	}
	buf_free(&b);
}

static void test_read(void)
{
	static const char text[] = "bind /a /b rw\n\n"
				   "env A=1\n"
				   "device /d /e\n"
				   "bind /no/newline /at/end ro";
	FILE *f = fmemopen((void *)text, sizeof text - 1, "r");
	struct spec s;
	size_t line = 0;
	eb_err e;

	CHECK(spec_read(f, &s, &line, &e) == 1 && s.kind == SPEC_BIND && line == 1);
	spec_free(&s);
	CHECK(spec_read(f, &s, &line, &e) == 1 && s.kind == SPEC_ENV && line == 3);
	spec_free(&s);
	CHECK(spec_read(f, &s, &line, &e) == 1 && s.kind == SPEC_DEVICE && line == 4);
	spec_free(&s);
	CHECK(spec_read(f, &s, &line, &e) == 1 && s.ro && line == 5);
	CHECK_STR(s.dst, "/at/end");
	spec_free(&s);
	CHECK(spec_read(f, &s, &line, &e) == 0);
	fclose(f);

	static const char bad[] = "bind /a /b rw\nbind /a /b maybe\n";
	f = fmemopen((void *)bad, sizeof bad - 1, "r");
	line = 0;
	CHECK(spec_read(f, &s, &line, &e) == 1);
	spec_free(&s);
	CHECK(spec_read(f, &s, &line, &e) == -1);
	CHECK_STR(e.msg, "line 2: spec line \"bind /a /b maybe\": mode \"maybe\" is not ro or rw");
	fclose(f);
}

static void test_quote(void)
{
	buf b = { 0 };

	spec_quote(&b, "a\"b\\c\x7f\xc3\xa9", 8);
	CHECK_STR(b.p, "\"a\\\"b\\\\c\\x7f\xc3\xa9\"");
	buf_free(&b);
}

int main(void)
{
	test_write();
	test_write_refuses();
	test_parse();
	test_parse_errors();
	test_parse_nul();
	test_round_trip();
	test_read();
	test_quote();
	return check_done("spec");
}
