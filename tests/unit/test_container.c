/* Unit tests for lib/container (the create body) and lib/exec (the exec
 * body, its state, the --log line splitter). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "container.h"
#include "exec.h"
#include "json.h"

static struct spec parse_spec(const char *line)
{
	struct spec s;
	eb_err e;

	if (spec_parse(line, strlen(line), &s, &e) < 0) {
		fprintf(stderr, "bad test spec line %s: %s\n", line, e.msg);
		exit(1);
	}
	return s;
}

/* The body for o and spec lines (NULL-terminated), as a string. */
static char *body_of(const struct ctr_opts *o, const char *const *lines,
		     char *const *env)
{
	struct spec s[8] = { { 0 } };
	struct ctr_devnum dev[8] = { { 0 } };
	size_t n = 0;
	buf b = { 0 };

	for (; lines && lines[n]; n++) {
		s[n] = parse_spec(lines[n]);
		dev[n] = (struct ctr_devnum){ 'c', 10, 200 + (unsigned)n };
	}
	ctr_create_body(o, s, dev, n, env, &b);
	for (size_t i = 0; i < n; i++)
		spec_free(&s[i]);
	return buf_steal(&b);
}

/* The value at path in js as compact text: a string without quotes, other
 * values as written; "(none)" when absent. */
static const char *at(const char *js, const char *path)
{
	static char out[4096];
	json_doc d;
	eb_err e;
	int t;

	if (json_parse(&d, js, strlen(js), &e) < 0)
		return "(invalid JSON)";
	t = json_path(&d, 0, path);
	if (t < 0) {
		snprintf(out, sizeof out, "(none)");
	} else if (json_type(&d, t) == JSMN_STRING) {
		char *s = json_strdup(&d, t);

		snprintf(out, sizeof out, "%s", s ? s : "(bad string)");
		free(s);
	} else {
		snprintf(out, sizeof out, "%.*s", d.tok[t].end - d.tok[t].start,
			 js + d.tok[t].start);
	}
	json_free(&d);
	return out;
}

static void test_body_defaults(void)
{
	struct ctr_opts o = { .name = "workspace_cvm", .image = "ubuntu:22.04" };
	char *env[] = { "CODER_AGENT_TOKEN=secret", NULL };
	char *js = body_of(&o, NULL, env);

	/* The whole shape, once, for the defaults. */
	CHECK_STR(js, "{\"Image\":\"ubuntu:22.04\",\"Hostname\":\"workspace_cvm\","
		  "\"User\":\"root\",\"Tty\":false,"
		  "\"Entrypoint\":[\"sleep\",\"infinity\"],\"Cmd\":[],\"Env\":[],"
		  "\"HostConfig\":{\"Runtime\":\"runc\",\"Privileged\":false,"
		  "\"Binds\":[],\"DeviceCgroupRules\":[],"
		  "\"ExtraHosts\":[\"host.docker.internal:host-gateway\"]}}");
	/* Safety: no CapAdd, no limits unless asked. */
	CHECK_STR(at(js, "HostConfig.CapAdd"), "(none)");
	CHECK_STR(at(js, "HostConfig.CpuQuota"), "(none)");
	CHECK_STR(at(js, "HostConfig.Memory"), "(none)");
	CHECK_STR(at(js, "WorkingDir"), "(none)");
	free(js);
}

static void test_body_options(void)
{
	const char *envs[] = { "X=1" };
	struct ctr_opts o = {
		.name = "ws", .image = "img", .runtime = "sysbox-runc",
		.hostname = "myhost", .workdir = "/home/coder", .init = true,
		.cpus = 3000, .memory = 1073741824ULL, .envs = envs, .nenvs = 1,
	};
	const char *lines[] = {
		"bind /var/lib/coder/docker /var/lib/docker rw",
		"bind /home/x /home/coder ro",
		"device /tmp/coder-tun /dev/net/tun",
		"env A=b c",
		NULL,
	};
	char *js = body_of(&o, lines, NULL);

	CHECK_STR(at(js, "Hostname"), "myhost");
	CHECK_STR(at(js, "WorkingDir"), "/home/coder");
	CHECK_STR(at(js, "Entrypoint"), "[\"/sbin/init\"]");
	CHECK_STR(at(js, "Cmd"), "[]");
	CHECK_STR(at(js, "User"), "root");
	CHECK_STR(at(js, "Env"), "[\"A=b c\",\"X=1\"]");
	CHECK_STR(at(js, "HostConfig.Runtime"), "sysbox-runc");
	CHECK_STR(at(js, "HostConfig.Privileged"), "false");
	CHECK_STR(at(js, "HostConfig.Binds"),
		  "[\"/var/lib/coder/docker:/var/lib/docker\","
		  "\"/home/x:/home/coder:ro\",\"/tmp/coder-tun:/dev/net/tun\"]");
	/* The device's numbers come from the caller's stat (10:202 here). */
	CHECK_STR(at(js, "HostConfig.DeviceCgroupRules"), "[\"c 10:202 rwm\"]");
	CHECK_STR(at(js, "HostConfig.CpuPeriod"), "100000");
	CHECK_STR(at(js, "HostConfig.CpuQuota"), "300000");
	CHECK_STR(at(js, "HostConfig.Memory"), "1073741824");
	CHECK_STR(at(js, "HostConfig.ExtraHosts[0]"), "host.docker.internal:host-gateway");
	CHECK_STR(at(js, "HostConfig.CapAdd"), "(none)");
	free(js);
}

/* Values with quotes, backslashes, newlines and non-ASCII text stay intact
 * through the JSON (checked by reading them back). */
static void test_body_escaping(void)
{
	const char *envs[] = { "Q=say \"hi\" \\ there\nnext\tline é" };
	struct ctr_opts o = { .name = "ws", .image = "img", .envs = envs,
			      .nenvs = 1, .pass_env = "P" };
	char *env[] = { "P=a \"b\" {c}", NULL };
	char *js = body_of(&o, NULL, env);
	json_doc d;
	eb_err e;

	CHECK(json_parse(&d, js, strlen(js), &e) == 0);
	json_free(&d);
	CHECK_STR(at(js, "Env[0]"), "P=a \"b\" {c}");
	CHECK_STR(at(js, "Env[1]"), "Q=say \"hi\" \\ there\nnext\tline é");
	CHECK(strstr(js, "\"Q=say \\\"hi\\\" \\\\ there\\nnext\\tline é\"") != NULL);
	free(js);
}

/* Docker inside: the namespaced capabilities, no AppArmor profile, no
 * masked /proc paths, a private cgroup namespace under /docker; never
 * privileged. The seccomp profile is JSON inside a JSON string. */
static void test_body_nesting(void)
{
	struct ctr_opts o = { .name = "ws", .image = "img", .nesting = true };
	const char *profile = "{\"defaultAction\":\"SCMP_ACT_ERRNO\","
			      "\"syscalls\":[{\"names\":[\"mount\"],"
			      "\"action\":\"SCMP_ACT_ALLOW\",\"comment\":\"a \\\\ b\\n\"}]}";
	const char *lines[] = { "bind /a /b rw", NULL };
	char *js = body_of(&o, NULL, NULL), *want;
	json_doc d;
	eb_err e;
	int t;

	/* No profile given: dockerd's default, no seccomp= at all. */
	CHECK_STR(at(js, "HostConfig.Privileged"), "false");
	CHECK_STR(at(js, "HostConfig.CapAdd"), "[\"SYS_ADMIN\",\"NET_ADMIN\"]");
	CHECK_STR(at(js, "HostConfig.SecurityOpt"), "[\"apparmor=unconfined\"]");
	CHECK_STR(at(js, "HostConfig.MaskedPaths"), "[]");
	CHECK_STR(at(js, "HostConfig.ReadonlyPaths"), "[]");
	CHECK_STR(at(js, "HostConfig.CgroupnsMode"), "private");
	CHECK_STR(at(js, "HostConfig.CgroupParent"), "/docker");
	CHECK(!strstr(js, "seccomp"));
	/* Nesting is not systemd. */
	CHECK_STR(at(js, "StopSignal"), "(none)");
	CHECK_STR(at(js, "HostConfig.Tmpfs"), "(none)");
	/* The rest as without nesting. */
	CHECK_STR(at(js, "HostConfig.Runtime"), "runc");
	CHECK_STR(at(js, "User"), "root");
	free(js);

	/* A profile: one SecurityOpt string, read back byte for byte. */
	o.seccomp = profile;
	js = body_of(&o, NULL, NULL);
	CHECK(json_parse(&d, js, strlen(js), &e) == 0);
	t = json_path(&d, 0, "HostConfig.SecurityOpt");
	CHECK(json_type(&d, t) == JSMN_ARRAY && json_size(&d, t) == 2);
	json_free(&d);
	CHECK_STR(at(js, "HostConfig.SecurityOpt[0]"), "apparmor=unconfined");
	want = xasprintf("seccomp=%s", profile);
	CHECK_STR(at(js, "HostConfig.SecurityOpt[1]"), want);
	free(want);
	/* Escaped once: the profile's quotes and backslashes as \" and \\. */
	CHECK(strstr(js, "\"seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ERRNO\\\",") != NULL);
	CHECK(strstr(js, "\\\"comment\\\":\\\"a \\\\\\\\ b\\\\n\\\"}]}\"]") != NULL);
	CHECK_STR(at(js, "HostConfig.Privileged"), "false");
	CHECK_STR(at(js, "HostConfig.CapAdd[0]"), "SYS_ADMIN");
	CHECK_STR(at(js, "HostConfig.CapAdd[1]"), "NET_ADMIN");
	CHECK_STR(at(js, "HostConfig.CapAdd[2]"), "(none)");
	CHECK_STR(at(js, "HostConfig.CgroupnsMode"), "private");
	CHECK_STR(at(js, "HostConfig.CgroupParent"), "/docker");
	free(js);

	/* With limits and binds around it: still one valid document. */
	o.cpus = 2000;
	o.memory = 1 << 30;
	js = body_of(&o, lines, NULL);
	CHECK(json_parse(&d, js, strlen(js), &e) == 0);
	json_free(&d);
	CHECK_STR(at(js, "HostConfig.Memory"), "1073741824");
	CHECK_STR(at(js, "HostConfig.Binds"), "[\"/a:/b\"]");
	CHECK_STR(at(js, "HostConfig.CgroupnsMode"), "private");
	free(js);
}

/* An image whose init is systemd: its halt signal, tmpfs on /run and
 * /run/lock; nothing of nesting's. */
static void test_body_systemd(void)
{
	struct ctr_opts o = { .name = "ws", .image = "img", .init = true,
			      .systemd = true };
	char *js = body_of(&o, NULL, NULL);
	json_doc d;
	eb_err e;

	CHECK(json_parse(&d, js, strlen(js), &e) == 0);
	json_free(&d);
	CHECK_STR(at(js, "StopSignal"), "SIGRTMIN+3");
	CHECK_STR(at(js, "Entrypoint"), "[\"/sbin/init\"]");
	CHECK_STR(at(js, "HostConfig.Tmpfs./run"), "rw,nosuid,nodev,mode=755");
	CHECK_STR(at(js, "HostConfig.Tmpfs./run/lock"),
		  "rw,nosuid,nodev,noexec,mode=1777");
	CHECK_STR(at(js, "HostConfig.Privileged"), "false");
	CHECK_STR(at(js, "HostConfig.CapAdd"), "(none)");
	CHECK_STR(at(js, "HostConfig.SecurityOpt"), "(none)");
	CHECK_STR(at(js, "HostConfig.MaskedPaths"), "(none)");
	CHECK_STR(at(js, "HostConfig.CgroupnsMode"), "(none)");
	CHECK_STR(at(js, "HostConfig.CgroupParent"), "(none)");
	free(js);

	/* Both: each part once. */
	o.nesting = true;
	o.seccomp = "{}";
	js = body_of(&o, NULL, NULL);
	CHECK(json_parse(&d, js, strlen(js), &e) == 0);
	json_free(&d);
	CHECK_STR(at(js, "StopSignal"), "SIGRTMIN+3");
	CHECK_STR(at(js, "HostConfig.Tmpfs./run/lock"),
		  "rw,nosuid,nodev,noexec,mode=1777");
	CHECK_STR(at(js, "HostConfig.SecurityOpt"),
		  "[\"apparmor=unconfined\",\"seccomp={}\"]");
	CHECK_STR(at(js, "HostConfig.CapAdd"), "[\"SYS_ADMIN\",\"NET_ADMIN\"]");
	CHECK_STR(at(js, "HostConfig.Privileged"), "false");
	free(js);
}

/* Neither: none of their keys, whatever else is asked for; a seccomp
 * profile without nesting is not used. */
static void test_body_plain(void)
{
	static const char *const keys[] = {
		"StopSignal", "HostConfig.CapAdd", "HostConfig.SecurityOpt",
		"HostConfig.MaskedPaths", "HostConfig.ReadonlyPaths",
		"HostConfig.CgroupnsMode", "HostConfig.CgroupParent",
		"HostConfig.Tmpfs",
	};
	struct ctr_opts o = { .name = "ws", .image = "img", .init = true,
			      .runtime = "sysbox-runc", .cpus = 1000,
			      .seccomp = "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}" };
	const char *lines[] = { "bind /a /b ro", "device /d /dev/d", NULL };
	char *js = body_of(&o, lines, NULL);

	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		CHECK_STR(at(js, keys[i]), "(none)");
		if (strcmp(at(js, keys[i]), "(none)"))
			fprintf(stderr, "  %s present without nesting or systemd\n",
				keys[i]);
	}
	CHECK(!strstr(js, "CapAdd") && !strstr(js, "SecurityOpt") &&
	      !strstr(js, "MaskedPaths") && !strstr(js, "CgroupnsMode") &&
	      !strstr(js, "Tmpfs") && !strstr(js, "StopSignal") &&
	      !strstr(js, "seccomp") && !strstr(js, "SYS_ADMIN"));
	CHECK_STR(at(js, "HostConfig.Privileged"), "false");
	free(js);
}

/* Env for o with environ env and spec lines, as "A=1 B=2". */
static const char *env_of(const struct ctr_opts *o, const char *const *lines,
			  char *const *env)
{
	static char out[1024];
	struct spec s[8] = { { 0 } };
	size_t n = 0;
	struct ctr_env ce;

	for (; lines && lines[n]; n++)
		s[n] = parse_spec(lines[n]);
	ctr_env_build(o, s, n, env, &ce);
	out[0] = 0;
	for (size_t i = 0; i < ce.n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, ce.v[i]);
	}
	ctr_env_free(&ce);
	for (size_t i = 0; i < n; i++)
		spec_free(&s[i]);
	return out;
}

static void test_pass_env(void)
{
	char *env[] = {
		"HOME=/root", "KUBERNETES_PORT=443", "FOO=1", "KUBERNETES_HOST=h",
		"FOOBAR=2", "NOEQUALS", "EMPTY=", "CODER_AGENT_TOKEN=t", NULL,
	};
	struct ctr_opts o = { .name = "ws", .image = "img" };

	/* None. */
	CHECK_STR(env_of(&o, NULL, env), "");
	o.pass_env = "";
	CHECK_STR(env_of(&o, NULL, env), "");
	/* Exact names: no prefix match; order of the patterns, not environ. */
	o.pass_env = "FOO,HOME";
	CHECK_STR(env_of(&o, NULL, env), "FOO=1 HOME=/root");
	/* A prefix: environ's order within it; a name matched twice once. */
	o.pass_env = "FOOBAR, KUBERNETES_*,FOO*";
	CHECK_STR(env_of(&o, NULL, env),
		  "FOOBAR=2 KUBERNETES_PORT=443 KUBERNETES_HOST=h FOO=1");
	/* An empty value passes; a name not set does not. */
	o.pass_env = "EMPTY,MISSING";
	CHECK_STR(env_of(&o, NULL, env), "EMPTY=");
	/* Everything, except an entry without '='. */
	o.pass_env = "*";
	CHECK_STR(env_of(&o, NULL, env),
		  "HOME=/root KUBERNETES_PORT=443 FOO=1 KUBERNETES_HOST=h "
		  "FOOBAR=2 EMPTY= CODER_AGENT_TOKEN=t");
	/* A duplicate name in environ: the first, as getenv sees it. */
	{
		char *dup[] = { "D=first", "D=second", NULL };

		o.pass_env = "D";
		CHECK_STR(env_of(&o, NULL, dup), "D=first");
	}
}

static void test_agent_env(void)
{
	struct ctr_opts o = { .name = "ws", .image = "img", .agent_env = true };
	char *none[] = { NULL };
	char *empty[] = { "CODER_AGENT_TOKEN=", NULL };
	char *both[] = { "CODER_AGENT_SUBSYSTEM= exectrace ,envbox,a",
			 "CODER_AGENT_TOKEN=tok", NULL };

	CHECK_STR(env_of(&o, NULL, none), "CODER_AGENT_SUBSYSTEM=envbox");
	CHECK_STR(env_of(&o, NULL, NULL), "CODER_AGENT_SUBSYSTEM=envbox");
	CHECK_STR(env_of(&o, NULL, empty),
		  "CODER_AGENT_TOKEN= CODER_AGENT_SUBSYSTEM=envbox");
	CHECK_STR(env_of(&o, NULL, both),
		  "CODER_AGENT_TOKEN=tok CODER_AGENT_SUBSYSTEM=a,envbox,exectrace");
}

/* Later sources win for the same name; the entry keeps its first place. */
static void test_env_precedence(void)
{
	const char *envs[] = { "B=from-option", "C=opt1", "C=opt2" };
	struct ctr_opts o = {
		.name = "ws", .image = "img", .pass_env = "A,B,C,CODER_*",
		.agent_env = true, .envs = envs, .nenvs = 3,
	};
	char *env[] = { "A=outer", "B=outer", "C=outer",
			"CODER_AGENT_SUBSYSTEM=x", "CODER_AGENT_TOKEN=tok", NULL };
	const char *lines[] = { "env A=line1", "env A=line2", "env D=line",
				"env CODER_AGENT_TOKEN=line", NULL };
	struct spec s[4];
	struct ctr_env ce;

	CHECK_STR(env_of(&o, lines, env),
		  "A=line2 B=from-option C=opt2 CODER_AGENT_SUBSYSTEM=envbox,x "
		  "CODER_AGENT_TOKEN=tok D=line");
	for (size_t i = 0; i < 4; i++)
		s[i] = parse_spec(lines[i]);
	ctr_env_build(&o, s, 4, env, &ce);
	CHECK_STR(ctr_env_get(&ce, "A"), "line2");
	CHECK_STR(ctr_env_get(&ce, "CODER_AGENT_TOKEN"), "tok");
	CHECK_STR(ctr_env_get(&ce, "CODER"), NULL);
	ctr_env_free(&ce);
	for (size_t i = 0; i < 4; i++)
		spec_free(&s[i]);
}

static const char *opts_err(const struct ctr_opts *o)
{
	static eb_err e;

	return ctr_opts_check(o, &e) == 0 ? "" : e.msg;
}

static void test_opts_check(void)
{
	const char *good_env[] = { "A=", "B=x=y" };
	const char *no_eq[] = { "SECRETVALUE" };
	const char *empty_name[] = { "=v" };
	const char *space_name[] = { "A B=secret" };
	struct ctr_opts o = { .name = "workspace_cvm", .image = "ubuntu" };
	char long_name[80];

	CHECK_STR(opts_err(&o), "");
	o.envs = good_env;
	o.nenvs = 2;
	o.pass_env = "A,B_*";
	o.workdir = "/home/coder";
	o.runtime = "sysbox-runc";
	CHECK_STR(opts_err(&o), "");

	o.envs = no_eq;
	o.nenvs = 1;
	CHECK_STR(opts_err(&o), "--env: expected NAME=VALUE, got an argument without '='");
	o.envs = empty_name;
	CHECK_STR(opts_err(&o), "--env: expected NAME=VALUE, got an empty NAME");
	o.envs = space_name;
	CHECK_STR(opts_err(&o), "--env \"A B\"=...: the name has whitespace or a control character");
	CHECK(!strstr(opts_err(&o), "secret"));
	o.nenvs = 0;

	o.pass_env = "A,1B";
	CHECK_STR(opts_err(&o), "--pass-env entry \"1B\": expected a variable name or a NAME* prefix");
	o.pass_env = NULL;
	o.workdir = "home";
	CHECK_STR(opts_err(&o), "--workdir \"home\": expected an absolute path without whitespace");
	o.workdir = NULL;
	o.runtime = "run c";
	CHECK_STR(opts_err(&o), "--runtime \"run c\": expected a runtime name");
	o.runtime = NULL;
	o.hostname = "-bad";
	CHECK_STR(opts_err(&o), "--hostname \"-bad\": expected at most 64 of A-Z a-z 0-9 _ . -, starting with a letter or digit");
	o.hostname = NULL;
	memset(long_name, 'a', 65);
	long_name[65] = 0;
	o.name = long_name;
	CHECK_STR(opts_err(&o), "hostname (the container name) \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": expected at most 64 of A-Z a-z 0-9 _ . -, starting with a letter or digit");
	o.hostname = "short";
	CHECK_STR(opts_err(&o), "");
	o.hostname = NULL;
	o.name = "a";
	CHECK_STR(opts_err(&o), "container name \"a\": expected [A-Za-z0-9][A-Za-z0-9_.-]+");
	o.name = "x/y";
	CHECK(*opts_err(&o));
	o.name = "ws";
	o.image = "";
	CHECK_STR(opts_err(&o), "image \"\": expected an image reference without whitespace");
	o.image = "a b";
	CHECK(*opts_err(&o));
}

static const char *specs_err(const char *const *lines, const size_t *lineno)
{
	static eb_err e;
	struct spec s[8] = { { 0 } };
	size_t n = 0;
	int rc;

	for (; lines[n]; n++)
		s[n] = parse_spec(lines[n]);
	rc = ctr_specs_check(s, n, lineno, &e);
	for (size_t i = 0; i < n; i++)
		spec_free(&s[i]);
	return rc == 0 ? "" : e.msg;
}

static void test_specs_check(void)
{
	const char *good[] = { "bind /a /x rw", "device /d /dev/d", "env A=/x",
			       "env A=/y", NULL };
	const char *colon[] = { "bind /a:b /x rw", NULL };
	const char *dcolon[] = { "env A=1", "device /d /dev/a:b", NULL };
	const char *dup[] = { "bind /a /x rw", "env X=1", "device /d /x", NULL };
	const size_t lineno[] = { 4, 7, 9 };

	CHECK_STR(specs_err(good, NULL), "");
	CHECK_STR(specs_err(colon, NULL),
		  "line 1: bind /a:b /x: a path with ':' cannot be bound (dockerd splits on it)");
	CHECK_STR(specs_err(dcolon, NULL),
		  "line 2: device /d /dev/a:b: a path with ':' cannot be bound (dockerd splits on it)");
	CHECK_STR(specs_err(dup, NULL), "line 3: /x is already the target of line 1");
	CHECK_STR(specs_err(dup, lineno), "line 9: /x is already the target of line 4");
}

/* --- exec ------------------------------------------------------------------ */

static void test_exec_body(void)
{
	char *cmd[] = { "/bin/sh", "-c", "echo \"$X\"" };
	const char *envs[] = { "BINARY_DIR=/home/coder/.coder" };
	struct exec_opts o = { .cmd = cmd, .ncmd = 1 };
	buf b = { 0 };
	eb_err e;

	exec_create_body(&o, &b);
	CHECK_STR(b.p, "{\"AttachStdin\":false,\"AttachStdout\":true,"
		  "\"AttachStderr\":true,\"Tty\":false,\"Privileged\":false,"
		  "\"Cmd\":[\"/bin/sh\"]}");
	buf_reset(&b);
	o.ncmd = 3;
	o.stdin = true;
	o.user = "1000:1000";
	o.workdir = "/home/coder";
	o.envs = envs;
	o.nenvs = 1;
	exec_create_body(&o, &b);
	CHECK_STR(b.p, "{\"AttachStdin\":true,\"AttachStdout\":true,"
		  "\"AttachStderr\":true,\"Tty\":false,\"Privileged\":false,"
		  "\"User\":\"1000:1000\",\"WorkingDir\":\"/home/coder\","
		  "\"Env\":[\"BINARY_DIR=/home/coder/.coder\"],"
		  "\"Cmd\":[\"/bin/sh\",\"-c\",\"echo \\\"$X\\\"\"]}");
	buf_free(&b);

	CHECK(exec_opts_check(&o, &e) == 0);
	o.user = "a b";
	CHECK(exec_opts_check(&o, &e) < 0);
	CHECK_STR(e.msg, "--user \"a b\": expected NAME, UID or UID:GID");
	o.user = "";
	CHECK(exec_opts_check(&o, &e) < 0);
	o.user = NULL;
	o.workdir = "rel";
	CHECK(exec_opts_check(&o, &e) < 0);
	CHECK_STR(e.msg, "--workdir \"rel\": expected an absolute path");
	o.workdir = NULL;
	o.ncmd = 0;
	CHECK(exec_opts_check(&o, &e) < 0);
	CHECK_STR(e.msg, "expected a command after --");
}

static void test_exec_state(void)
{
	struct exec_state st;
	eb_err e;
	const char *running = "{\"ID\":\"ab\",\"Running\":true,\"ExitCode\":null,\"Pid\":4242}";
	const char *done = "{\"Running\":false,\"ExitCode\":127,\"Pid\":4242}";

	CHECK(exec_state_parse(running, strlen(running), &st, &e) == 0);
	CHECK(st.running && !st.has_exit && st.pid == 4242);
	CHECK(exec_state_parse(done, strlen(done), &st, &e) == 0);
	CHECK(!st.running && st.has_exit && st.exit_code == 127);
	CHECK(exec_state_parse("[]", 2, &st, &e) < 0);
	CHECK(exec_state_parse("{\"ExitCode\":1}", 14, &st, &e) < 0);
	CHECK(exec_state_parse("{", 1, &st, &e) < 0);
}

struct collected {
	buf all; /* lines joined with "|" */
	int n;
};

static void collect(const char *line, void *arg)
{
	struct collected *c = arg;

	if (c->n++)
		buf_addc(&c->all, '|');
	buf_adds(&c->all, line);
}

static void test_lines(void)
{
	struct collected c = { { 0 }, 0 };
	struct exec_lines l;

	exec_lines_init(&l, collect, &c);
	/* Split anywhere; streams kept apart; \r\n and empty lines. */
	exec_lines_feed(&l, DOCKER_STDOUT, "he", 2);
	exec_lines_feed(&l, DOCKER_STDERR, "err ", 4);
	exec_lines_feed(&l, DOCKER_STDOUT, "llo\r\n\nwor", 9);
	exec_lines_feed(&l, DOCKER_STDERR, "line\n", 5);
	exec_lines_feed(&l, DOCKER_STDOUT, "ld", 2);
	CHECK_STR(c.all.p, "hello||err line");
	/* A partial last line is passed on at the end. */
	exec_lines_flush(&l);
	CHECK_STR(c.all.p, "hello||err line|world");
	exec_lines_flush(&l);
	CHECK(c.n == 4);
	exec_lines_free(&l);
	buf_free(&c.all);
}

static void test_lines_cut(void)
{
	struct collected c = { { 0 }, 0 };
	struct exec_lines l;
	char big[3000];
	size_t keep = EXEC_LINE_MAX - strlen(EXEC_CUT_MARKER);

	/* Exactly EXEC_LINE_MAX bytes: whole. One more: cut with the marker,
	 * the entry still EXEC_LINE_MAX bytes. */
	exec_lines_init(&l, collect, &c);
	memset(big, 'a', sizeof big);
	exec_lines_feed(&l, DOCKER_STDOUT, big, EXEC_LINE_MAX);
	exec_lines_feed(&l, DOCKER_STDOUT, "\n", 1);
	CHECK(c.all.len == EXEC_LINE_MAX);
	buf_reset(&c.all);
	c.n = 0;
	exec_lines_feed(&l, DOCKER_STDOUT, big, EXEC_LINE_MAX + 1);
	exec_lines_feed(&l, DOCKER_STDOUT, "\nnext\n", 6);
	CHECK(c.all.len == EXEC_LINE_MAX + strlen("|next"));
	CHECK(!memcmp(c.all.p + keep, EXEC_CUT_MARKER "|next",
		      strlen(EXEC_CUT_MARKER "|next")));
	CHECK(c.all.p[keep - 1] == 'a');
	buf_reset(&c.all);
	c.n = 0;

	/* A cut inside a UTF-8 sequence backs off to its start: "é" is 2
	 * bytes, placed so that it straddles the cut. */
	memset(big, 'a', sizeof big);
	memcpy(big + keep - 1, "\xc3\xa9", 2);
	exec_lines_feed(&l, DOCKER_STDERR, big, 2000);
	exec_lines_flush(&l);
	CHECK(c.all.len == keep - 1 + strlen(EXEC_CUT_MARKER));
	CHECK(c.all.p[keep - 2] == 'a');
	CHECK(!strcmp(c.all.p + keep - 1, EXEC_CUT_MARKER));
	exec_lines_free(&l);
	buf_free(&c.all);
}

static void test_lines_total(void)
{
	struct collected c = { { 0 }, 0 };
	struct exec_lines l;
	char line[1024];
	size_t fed = 0;

	exec_lines_init(&l, collect, &c);
	memset(line, 'x', sizeof line - 1);
	line[sizeof line - 1] = '\n';
	/* 1 MiB is exactly 1024 such lines; then a partial one, cut off by
	 * the limit, and a note. */
	while (fed < EXEC_LOG_MAX + 10000) {
		exec_lines_feed(&l, DOCKER_STDOUT, "yz", 2);
		exec_lines_feed(&l, DOCKER_STDOUT, line + 2, sizeof line - 2);
		fed += sizeof line;
	}
	exec_lines_feed(&l, DOCKER_STDERR, "late\n", 5);
	exec_lines_flush(&l);
	CHECK(c.n == 1024 + 1);
	CHECK(str_ends(c.all.p, "|output over 1048576 bytes: the rest is not logged"));
	CHECK(!strstr(c.all.p, "late"));
	CHECK(l.total == EXEC_LOG_MAX);
	exec_lines_free(&l);

	/* The partial line at the limit is flushed before the note. */
	buf_reset(&c.all);
	c.n = 0;
	exec_lines_init(&l, collect, &c);
	l.total = EXEC_LOG_MAX - 3;
	exec_lines_feed(&l, DOCKER_STDOUT, "abcdef\n", 7);
	CHECK_STR(c.all.p, "abc|output over 1048576 bytes: the rest is not logged");
	exec_lines_free(&l);
	buf_free(&c.all);
}

static void test_ctr_end(void)
{
	struct ctr_end end;
	eb_err e;
	static const char oom[] = "{\"Id\":\"x\",\"State\":{\"Status\":\"exited\",\"Running\":false,"
		"\"OOMKilled\":true,\"ExitCode\":137,\"Error\":\"\"}}";
	static const char err[] = "{\"State\":{\"Running\":false,\"ExitCode\":128,"
		"\"Error\":\"OCI runtime start failed\"}}";
	static const char up[] = "{\"State\":{\"Running\":true,\"ExitCode\":0}}";

	CHECK(ctr_end_parse(oom, sizeof oom - 1, &end, &e) == 0);
	CHECK(!end.running && end.oom_killed && end.exit_code == 137);
	CHECK_STR(end.error, "");
	CHECK(ctr_end_parse(err, sizeof err - 1, &end, &e) == 0);
	CHECK(!end.oom_killed && end.exit_code == 128);
	CHECK_STR(end.error, "OCI runtime start failed");
	CHECK(ctr_end_parse(up, sizeof up - 1, &end, &e) == 0);
	CHECK(end.running);
	CHECK(ctr_end_parse("{}", 2, &end, &e) == -1);
	CHECK(ctr_end_parse("{\"State\":{\"Running\":false}}", 27, &end, &e) == -1);
	CHECK(ctr_end_parse("[", 1, &end, &e) == -1);
}

int main(void)
{
	test_ctr_end();
	test_body_defaults();
	test_body_options();
	test_body_escaping();
	test_body_nesting();
	test_body_systemd();
	test_body_plain();
	test_pass_env();
	test_agent_env();
	test_env_precedence();
	test_opts_check();
	test_specs_check();
	test_exec_body();
	test_exec_state();
	test_lines();
	test_lines_cut();
	test_lines_total();
	return check_done("container");
}
