/* Unit tests for lib/credhelper: real helper scripts in a scratch
 * directory put first on PATH: a good answer, a token, none, a non-zero
 * exit, garbage, JSON on a failure, a signal, a hang past the bound, a
 * flood, one not found, a bad name; and that no error message carries the
 * secret. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "auth.h"
#include "check.h"
#include "credhelper.h"

/* Distinctive: an error message must never contain it. */
#define SECRET "s3cr3t-HeLpEr-99"
#define SERVER "reg.example:5000"

static char dir[] = "/tmp/envbox-credhelper-XXXXXX";

/* docker-credential-NAME, a sh script with body. */
static void helper(const char *name, const char *body)
{
	char *path = xasprintf("%s/docker-credential-%s", dir, name);
	char *text = xasprintf("#!/bin/sh\n%s\n", body);
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	CHECK(chmod(path, 0755) == 0);
	free(text);
	free(path);
}

/* What the log callback was given, one "T msg\n" each. */
static buf logged;

static void to_buf(void *arg, enum log_type t, const char *msg)
{
	(void)arg;
	buf_printf(&logged, "%d %s\n", (int)t, msg);
}

/* The creds a config naming helper for SERVER gives (from_store: in
 * credsStore). */
static struct auth_creds creds(const char *helper_name, bool from_store)
{
	char *doc = from_store ?
		xasprintf("{\"credsStore\":\"%s\"}", helper_name) :
		xasprintf("{\"credHelpers\":{\"" SERVER "\":\"%s\"}}", helper_name);
	struct auth_creds c;
	eb_err e = { "" };

	CHECK(auth_lookup(doc, strlen(doc), SERVER, &c, &e) == 0);
	CHECK(c.kind == AUTH_HELPER);
	free(doc);
	return c;
}

static const struct credhelper_opts opts = { .timeout_ms = 5000, .log = to_buf };

/* Asks helper_name and expects success with kind. */
static struct auth_creds ok(const char *helper_name, enum auth_kind kind)
{
	struct auth_creds c = creds(helper_name, false);
	eb_err e = { "" };
	int rc = credhelper_get(&c, &opts, &e);

	CHECK(rc == 0);
	if (rc)
		fprintf(stderr, "  %s: %s\n", helper_name, e.msg);
	CHECK(c.kind == kind);
	return c;
}

/* Asks helper_name and expects an error holding each of want (NULL-ended)
 * and not the secret. */
static void fails_with(const char *helper_name, bool from_store,
		       const struct credhelper_opts *o, const char *const *want)
{
	struct auth_creds c = creds(helper_name, from_store);
	eb_err e = { "" };

	CHECK(credhelper_get(&c, o, &e) == -1);
	for (; *want; want++) {
		CHECK(strstr(e.msg, *want) != NULL);
		if (!strstr(e.msg, *want))
			fprintf(stderr, "  %s: \"%s\" not in: %s\n", helper_name, *want, e.msg);
	}
	CHECK(strstr(e.msg, SECRET) == NULL);
	auth_creds_free(&c);
}

#define FAILS(name, ...) \
	fails_with(name, false, &opts, (const char *const[]){ __VA_ARGS__, NULL })

static void test_answers(void)
{
	struct auth_creds c;

	/* The protocol: "get" as the one argument, the server on stdin
	 * without a newline. */
	helper("good",
	       "[ \"$#\" = 1 ] && [ \"$1\" = get ] || { echo \"args: $*\"; exit 8; }\n"
	       "s=$(cat)\n"
	       "[ \"$s\" = '" SERVER "' ] || { echo \"server: $s\"; exit 9; }\n"
	       "printf '{\"ServerURL\":\"%s\",\"Username\":\"alice\",\"Secret\":\"" SECRET
	       "\"}' \"$s\"");
	c = ok("good", AUTH_BASIC);
	CHECK_STR(c.username, "alice");
	CHECK_STR(c.password, SECRET);
	CHECK_STR(c.serveraddress, SERVER);
	auth_creds_free(&c);

	helper("token", "printf '{\"Username\":\"<token>\",\"Secret\":\"" SECRET "\"}'");
	c = ok("token", AUTH_TOKEN);
	CHECK_STR(c.identitytoken, SECRET);
	auth_creds_free(&c);

	/* One that never reads stdin: no SIGPIPE for us. */
	helper("noread", "exec 0<&-\nprintf '{\"Username\":\"u\",\"Secret\":\"p\"}'");
	c = ok("noread", AUTH_BASIC);
	auth_creds_free(&c);

	buf_reset(&logged);
	helper("empty", "printf '{\"Username\":\"\",\"Secret\":\"\"}'");
	c = ok("empty", AUTH_NONE);
	auth_creds_free(&c);
	CHECK_STR(logged.p, "0 docker-credential-empty has no credentials for " SERVER "\n");

	/* Nothing for the server: not an error, a note. */
	buf_reset(&logged);
	helper("notfound", "echo '" AUTH_HELPER_NOT_FOUND "'\nexit 1");
	c = ok("notfound", AUTH_NONE);
	auth_creds_free(&c);
	CHECK_STR(logged.p, "0 docker-credential-notfound has no credentials for " SERVER "\n");

	/* No log: quiet, same answer. */
	c = creds("notfound", false);
	{
		eb_err e;

		CHECK(credhelper_get(&c, NULL, &e) == 0);
		CHECK(c.kind == AUTH_NONE);
	}
	auth_creds_free(&c);
}

static void test_failures(void)
{
	struct credhelper_opts quick = opts;

	helper("fails", "echo 'the keychain is locked'\nexit 3");
	FAILS("fails", "docker-credential-fails get failed for " SERVER,
	      "(exit status 3): the keychain is locked");

	/* JSON on stdout might be the secret: stderr's line instead. */
	helper("jsonfail", "printf '{\"Secret\":\"" SECRET "\"}'\necho boom >&2\nexit 1");
	FAILS("jsonfail", "(exit status 1): boom");

	/* Its message is one trimmed, printable line. */
	helper("multiline", "printf '  first\\tline\\001  \\nsecond " SECRET "\\n'\nexit 2");
	FAILS("multiline", "(exit status 2): first?line?");

	helper("garbage", "echo 'not json " SECRET "'");
	FAILS("garbage", "docker-credential-garbage get for " SERVER
	      ": its output is not the JSON object");

	helper("array", "echo '[\"" SECRET "\"]'");
	FAILS("array", "not the JSON object");

	helper("killed", "kill -9 $$");
	FAILS("killed", "docker-credential-killed get for " SERVER " was killed by signal 9");

	FAILS("nosuch", "the credentials are kept by a credential helper (credHelpers)",
	      "docker-credential-nosuch is not installed (not found on PATH)");

	{
		static const char *const want[] = { "credsStore", "not installed", NULL };

		fails_with("nosuch", true, &opts, want);
	}

	/* Not a name: never run, never a path. */
	{
		static const char *const want[] = {
			"credHelpers names the credential helper \"../x\", which is not a valid helper name",
			NULL };

		fails_with("../x", false, &opts, want);
	}

	/* Past the bound: killed, and we are back soon after it. */
	helper("hangs", "exec sleep 30");
	quick.timeout_ms = 300;
	{
		static const char *const want[] = {
			"docker-credential-hangs get did not answer within 300 ms; killed it",
			NULL };
		long long t0 = mono_ms();

		fails_with("hangs", false, &quick, want);
		CHECK(mono_ms() - t0 < 5000);
	}
}

static void test_run(void)
{
	buf out = { 0 }, err = { 0 };
	eb_err e;
	int status = -1;
	struct auth_creds c;

	/* A flood on both streams: CREDHELPER_OUT_MAX of each kept, the rest
	 * read and dropped, and the helper runs to its end. */
	helper("flood",
	       "head -c 1000000 /dev/zero | tr '\\0' x\n"
	       "head -c 1000000 /dev/zero | tr '\\0' y >&2\n"
	       "exit 0");
	CHECK(credhelper_run("docker-credential-flood", SERVER, &opts, &out, &err,
			     &status, &e) == 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(out.len == CREDHELPER_OUT_MAX);
	CHECK(err.len == CREDHELPER_OUT_MAX);
	CHECK(out.p && out.p[0] == 'x' && out.p[out.len - 1] == 'x');
	CHECK(err.p && err.p[0] == 'y' && err.p[err.len - 1] == 'y');
	buf_free(&out);
	buf_free(&err);
	FAILS("flood", "not the JSON object");

	/* A flood of JSON holding the secret, then a failure. */
	helper("floodjson",
	       "printf '{\"Secret\":\"" SECRET "'\n"
	       "head -c 1000000 /dev/zero | tr '\\0' z\n"
	       "exit 4");
	FAILS("floodjson", "(exit status 4)");

	/* The exit status as it is. */
	helper("seven", "exit 7");
	CHECK(credhelper_run("docker-credential-seven", SERVER, NULL, &out, &err,
			     &status, &e) == 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	CHECK(out.len == 0 && err.len == 0);
	buf_free(&out);
	buf_free(&err);

	CHECK(credhelper_run("docker-credential-nosuch", SERVER, NULL, &out, &err,
			     &status, &e) == -1);
	CHECK_STR(e.msg, "docker-credential-nosuch is not installed (not found on PATH)");

	/* Found but not runnable. */
	{
		char *path = xasprintf("%s/docker-credential-noexec", dir);
		FILE *f = fopen(path, "w");

		CHECK(f != NULL);
		if (f)
			fclose(f);
		CHECK(chmod(path, 0644) == 0);
		free(path);
	}
	c = creds("noexec", false);
	CHECK(credhelper_get(&c, &opts, &e) == -1);
	CHECK(strstr(e.msg, "docker-credential-noexec") != NULL);
	auth_creds_free(&c);
	buf_free(&out);
	buf_free(&err);
}

static void said(const char *in, const char *want)
{
	buf b = { 0 };
	char *got;

	buf_adds(&b, in);
	got = credhelper_said(&b);
	CHECK_STR(got, want);
	free(got);
	buf_free(&b);
}

static void test_said(void)
{
	buf none = { 0 };
	char *got = credhelper_said(&none);

	CHECK_STR(got, "");
	free(got);
	said("", "");
	said("  hello there \t\r\nmore", "hello there");
	said("\n\n  {\"Secret\":\"x\"}", "");
	said("a\001b\x7f" "c\xc3\xa9", "a?b?c??");
	{
		char long_line[400];

		memset(long_line, 'k', sizeof long_line - 1);
		long_line[sizeof long_line - 1] = 0;
		got = credhelper_said(&(buf){ long_line, sizeof long_line - 1, sizeof long_line });
		CHECK(strlen(got) == 200);
		free(got);
	}
}

int main(void)
{
	const char *path = getenv("PATH");
	char *rm;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	{
		char *p = xasprintf("%s:%s", dir, path && *path ? path : "/usr/bin:/bin");

		setenv("PATH", p, 1);
		free(p);
	}
	test_answers();
	test_failures();
	test_run();
	test_said();
	buf_free(&logged);
	rm = xasprintf("rm -rf '%s'", dir);
	CHECK(system(rm) == 0);
	free(rm);
	return check_done("test_credhelper");
}
