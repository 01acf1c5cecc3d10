/* envbox: the multi-call binary. Dispatches on basename(argv[0]), or on
 * argv[1] when called by its own name (busybox convention):
 *   envbox-wait docker        envbox-bin envbox-wait docker     envbox-bin wait docker */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applet.h"
#include "log.h"

int docker_main(int, char **);
int gpu_scan_main(int, char **);
int mounts_main(int, char **);
int auth_main(int, char **);
int check_main(int, char **);
int wait_main(int, char **);
int xid_main(int, char **);
extern const char docker_usage[], gpu_scan_usage[], mounts_usage[],
	auth_usage[], check_usage[], wait_usage[], xid_usage[];

/* The one table of applets: dispatch and the listing below. The Makefile's
 * APPLETS (install links, man pages), docs/, the README and the entrypoint
 * name them again; tests/main.bats checks each against this listing. */
const struct applet applets[] = {
	{ "envbox-docker", docker_main, docker_usage, "Docker Engine API client: pull, probe, create, start, exec, prune" },
	{ "envbox-gpu-scan", gpu_scan_main, gpu_scan_usage, "GPU device nodes, driver libraries and env for the inner container" },
	{ "envbox-mounts", mounts_main, mounts_usage, "parse CODER_MOUNTS, read mountinfo, prepare mount sources" },
	{ "envbox-auth", auth_main, auth_usage, "registry credentials for an image; CA certificates for a registry" },
	{ "envbox-check", check_main, check_usage, "inspect the host: ready, degraded or cannot start, and why" },
	{ "envbox-wait", wait_main, wait_usage, "wait for dockerd or a file, with a deadline" },
	{ "envbox-xid", xid_main, xid_usage, "user-namespace ID mapping: subid, shift, probe, idmapped mounts" },
	{ NULL, NULL, NULL, NULL },
};

const struct applet *applet_self;

static const struct applet *find(const char *name)
{
	for (const struct applet *a = applets; a->name; a++)
		if (!strcmp(a->name, name) || !strcmp(a->name + 7, name))
			return a;
	return NULL;
}

static int list(FILE *f)
{
	fputs("Usage: envbox-bin APPLET [ARGS...]   (or call it by an applet's name)\n\nApplets:\n", f);
	for (const struct applet *a = applets; a->name; a++)
		fprintf(f, "  %-16s %s\n", a->name, a->brief);
	fputs("\nRun 'envbox-APPLET --help' for one applet's usage.\n", f);
	return f == stdout ? 0 : EXIT_USAGE;
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');
	const struct applet *a;

	base = base ? base + 1 : argv[0];
	a = str_starts(base, "envbox-") ? find(base) : NULL;
	if (!a) {
		if (argc < 2)
			return list(stderr);
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
			return list(stdout);
		a = find(argv[1]);
		if (!a) {
			fprintf(stderr, "envbox: unknown applet '%s'\n", argv[1]);
			return list(stderr);
		}
		argc--;
		argv++;
	}
	applet_self = a;
	log_set_prog(a->name);
	return a->main(argc, argv);
}

/* Messages go out as "envbox-APPLET: KIND MSG"; under the entrypoint
 * (ENVBOX_LOG_FORMAT set) as one build-log entry each, so its log stays one
 * format. */
static void vsay(const char *kind, const char *fmt, va_list ap)
{
	const char *name = applet_self ? applet_self->name : "envbox";
	char *msg;
	buf line = { 0 };

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	buf_printf(&line, "%s: %s", name, kind);
	/* One message, one line, whatever the values in it hold. */
	for (const unsigned char *p = (const unsigned char *)(msg ? msg : fmt); *p; p++) {
		if (*p == '\n')
			buf_adds(&line, "\\n");
		else if (*p < ' ' || *p == 0x7f)
			buf_printf(&line, "\\x%02x", *p);
		else
			buf_addc(&line, (char)*p);
	}
	if (log_format() == LOG_PLAIN)
		fprintf(stderr, "%s\n", line.p);
	else
		log_write(stderr, *kind == 'w' ? LOG_INFO : LOG_ERROR, line.p);
	buf_free(&line);
	free(msg);
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
	exit(EXIT_FAIL);
}

void die_code(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
	exit(status);
}

void die_err(const eb_err *e)
{
	die("%s", e->msg);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("warning: ", fmt, ap);
	va_end(ap);
}

void put_stdout(const buf *b)
{
	if (b->len && fwrite(b->p, 1, b->len, stdout) != b->len)
		die("unable to write output: %s", strerror(errno));
	if (fflush(stdout))
		die("unable to write output: %s", strerror(errno));
}

void usage_error(const char *fmt, ...)
{
	va_list ap;
	const char *name = applet_self ? applet_self->name : "envbox";

	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
	if (log_format() == LOG_PLAIN)
		fprintf(stderr, "Try '%s --help'.\n", name);
	exit(EXIT_USAGE);
}

void help(void)
{
	fputs(applet_self->usage, stdout);
	exit(0);
}

bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	}
	return false;
}

int run_command(int argc, char **argv, const struct applet_cmd *cmds, size_t n,
		int (*dflt)(int argc, char **argv))
{
	buf names = { 0 };

	if (wants_help(argc, argv))
		help();
	for (size_t i = 0; argc > 1 && i < n; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 1, argv + 1);
	if (dflt)
		return dflt(argc, argv);
	for (size_t i = 0; i < n; i++)
		buf_printf(&names, "%s%s", i == 0 ? "" : i + 1 < n ? ", " : " or ",
			   cmds[i].name);
	if (argc < 2)
		usage_error("expected a command: %s", names.p);
	usage_error("unknown command '%s' (expected %s)", argv[1], names.p);
}

const char *opt_value(int argc, char **argv, int *i, const char *name)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n))
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n])
		return NULL;
	if (*i + 1 >= argc)
		usage_error("option %s needs a value", name);
	return argv[++*i];
}

long long parse_count(const char *name, const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || v < 0 || *s == '+' || *s == '-' || *s == ' ')
		usage_error("%s: \"%s\" is not a non-negative whole number", name, s);
	return v;
}
