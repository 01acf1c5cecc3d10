/* envbox-auth: registry credentials for an image, and CA certificates for
 * its registry. Follows coder/envbox: cli/docker.go (where credentials come
 * from) and dockerutil/registry.go (certs.d); credential helpers as
 * docker/docker-credential-helpers' client runs them. Matching rules:
 * lib/auth.h; docs/envbox-auth.md. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "applet.h"
#include "auth.h"
#include "imageref.h"
#include "log.h"

extern char **environ;

const char auth_usage[] =
	"Usage: envbox-auth [--image REF] [--config FILE] [--json]\n"
	"       envbox-auth certs [--image REF] [--from PATH] [--certs-dir DIR]\n"
	"\n"
	"Without a command: find the credentials for the registry of image REF\n"
	"and print the X-Registry-Auth value dockerd takes with a pull: URL-safe\n"
	"base64 of {\"username\",\"password\",\"serveraddress\"} or\n"
	"{\"serveraddress\",\"identitytoken\"}. Prints nothing when no entry\n"
	"matches. The credentials come from the first of (as coder/envbox does):\n"
	"  1. --config FILE\n"
	"  2. the file $CODER_DOCKER_CONFIG (default /root/.docker/config.json),\n"
	"     when it exists; CODER_IMAGE_PULL_SECRET is then ignored\n"
	"  3. $CODER_IMAGE_PULL_SECRET when not empty: a docker config document\n"
	"     (a .dockerconfigjson secret)\n"
	"An \"auths\" key matches when its host[:port] is the registry's: a bare\n"
	"host, host:port or URL; https://index.docker.io/v1/, index.docker.io,\n"
	"registry-1.docker.io and docker.io all mean Docker Hub. The exact key\n"
	"docker writes wins over other forms. In an entry, \"identitytoken\" wins,\n"
	"then \"auth\" (base64 of user:password), then \"username\"/\"password\".\n"
	"A \"credHelpers\" entry for the registry wins over \"auths\"; \"credsStore\"\n"
	"applies when \"auths\" has no credentials for it. Either way envbox-auth\n"
	"runs docker-credential-NAME get (found on PATH) with the server on its\n"
	"stdin, as docker does; a missing or failing helper is an error, a helper\n"
	"without credentials for the server means none (exit 0).\n"
	"\n"
	"certs: install CA certificates for the registry of REF where dockerd\n"
	"reads them, DIR/<registry>/ (<registry> is host[:port]):\n"
	"  PATH a file       -> DIR/<registry>/ca.crt\n"
	"  PATH a directory  -> each regular file at its top level, by name\n"
	"                       (hidden files skipped, symlinks followed); a name\n"
	"                       not ending in .crt, .cert or .key gets \".crt\"\n"
	"                       added, as dockerd reads CAs only from *.crt\n"
	"A client key needs its certificate beside it (X.key with X.cert), or\n"
	"dockerd refuses the directory: an unpaired one is an error. An existing\n"
	"DIR/<registry> is left untouched (a note on stderr, exit 0). The files\n"
	"are written to a new directory that is renamed into place at the end.\n"
	"Prints the path of each file installed.\n"
	"\n"
	"Options:\n"
	"  --image REF       the image (default $CODER_INNER_IMAGE)\n"
	"  --config FILE     read only this docker config file\n"
	"  --json            print the JSON instead of its base64\n"
	"  --from PATH       a CA file or a directory of certificates\n"
	"                    (default $CODER_EXTRA_CERTS_PATH)\n"
	"  --certs-dir DIR   where dockerd looks (default /etc/docker/certs.d)\n"
	"  -h, --help        print this help\n"
	"\n"
	"Errors never show a password, token or \"auth\" value.\n"
	"Exit codes: 0 done (also: no matching credentials, certificates already\n"
	"there), 1 failed (unreadable or malformed config, bad \"auth\", a\n"
	"credential helper missing or failing, a certificate not copied), 2\n"
	"usage error (bad arguments, no image, a malformed image reference).\n";

#define CONFIG_MAX (4u << 20) /* docker configs are a few KiB */
#define HELPER_TIMEOUT_MS 60000 /* a helper may ask a cloud API; never a person */
#define HELPER_OUT_MAX (64u << 10)
/* A name from a document, fit for one line of a message. */
static char *printable(const char *s)
{
	buf b = { 0 };

	for (; *s && b.len < 96; s++)
		buf_addc(&b, (*s > 0x20 && *s < 0x7f) ? *s : '?');
	return buf_steal(&b);
}

/* "envbox-auth: note: MSG": a plain line by hand, a build-log entry under
 * the entrypoint, so its log stays one format. */
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void note(const char *fmt, ...)
{
	va_list ap;
	char *msg, *line;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	line = xasprintf("envbox-auth: note: %s", msg ? msg : fmt);
	if (log_format() == LOG_PLAIN)
		fprintf(stderr, "%s\n", line);
	else
		log_write(stderr, LOG_INFO, line);
	free(line);
	free(msg);
}

static void put(const char *s)
{
	if (fputs(s, stdout) == EOF || fflush(stdout))
		die("unable to write output: %s", strerror(errno));
}

static void parse_image(const char *image, struct imageref *ref)
{
	eb_err e;

	if (!image || !*image)
		usage_error("no image: give --image REF or set CODER_INNER_IMAGE");
	if (imageref_parse(image, ref, &e))
		usage_error("%s", e.msg);
}

static void wipe(buf *b)
{
	if (b->p)
		explicit_bzero(b->p, b->cap);
	buf_free(b);
}

/* ---- credential helpers -------------------------------------------- */

/* The protocol, as docker-credential-helpers' client speaks it:
 *   docker-credential-NAME get   stdin: the server, no newline
 *   exit 0, stdout {"ServerURL":S,"Username":U,"Secret":P}
 *   exit non-zero, stdout the error ("credentials not found in native
 *   keychain" when it has nothing for the server) */

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	p[0] = p[1] = -1;
}

/* Runs PROG get with server on its stdin; its stdout and stderr go to out
 * and err (at most HELPER_OUT_MAX each, the rest read and dropped). 0 with
 * *status its wait status, or -1 with e filled: not found, not started,
 * timed out. */
static int run_helper(const char *prog, const char *server, buf *out, buf *err,
		      int *status, eb_err *e)
{
	int in[2] = { -1, -1 }, op[2] = { -1, -1 }, ep[2] = { -1, -1 };
	char *argv[] = { (char *)prog, "get", NULL };
	posix_spawn_file_actions_t fa;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	long deadline = mono_ms() + HELPER_TIMEOUT_MS;
	struct pollfd pf[2];
	buf *to[2] = { out, err };
	pid_t pid;
	int rc;

	if (pipe2(in, O_CLOEXEC) || pipe2(op, O_CLOEXEC) || pipe2(ep, O_CLOEXEC)) {
		eb_errf(e, "%s: unable to make a pipe: %s", prog, strerror(errno));
		close_pair(in);
		close_pair(op);
		close_pair(ep);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, op[1], 1);
	posix_spawn_file_actions_adddup2(&fa, ep[1], 2);
	rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(op[1]);
	close(ep[1]);
	in[0] = op[1] = ep[1] = -1;
	if (rc) {
		if (rc == ENOENT)
			eb_errf(e, "%s is not installed (not found on PATH)", prog);
		else
			eb_errf(e, "unable to run %s: %s", prog, strerror(rc));
		close_pair(in);
		close_pair(op);
		close_pair(ep);
		return -1;
	}
	/* The server name is far below PIPE_BUF: one write, no deadlock; a
	 * helper that exits without reading it must not kill us by SIGPIPE. */
	sigaction(SIGPIPE, &ign, &old);
	if (write(in[1], server, strlen(server)) < 0 && errno != EPIPE)
		warn("writing to %s: %s", prog, strerror(errno));
	sigaction(SIGPIPE, &old, NULL);
	close_pair(in);

	pf[0] = (struct pollfd){ .fd = op[0], .events = POLLIN };
	pf[1] = (struct pollfd){ .fd = ep[0], .events = POLLIN };
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		long left = deadline - mono_ms();
		int n;

		if (left <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close_pair(op);
			close_pair(ep);
			eb_errf(e, "%s get did not answer within %d s; killed it", prog,
				HELPER_TIMEOUT_MS / 1000);
			return -1;
		}
		n = poll(pf, 2, (int)left);
		if (n < 0 && errno != EINTR) {
			eb_errf(e, "%s: poll: %s", prog, strerror(errno));
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close_pair(op);
			close_pair(ep);
			return -1;
		}
		for (int i = 0; i < 2 && n > 0; i++) {
			char chunk[4096];
			ssize_t r;

			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			r = read(pf[i].fd, chunk, sizeof chunk);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				pf[i].fd = -1;
				continue;
			}
			if (to[i]->len < HELPER_OUT_MAX)
				buf_add(to[i], chunk, (size_t)r < HELPER_OUT_MAX - to[i]->len ?
					(size_t)r : HELPER_OUT_MAX - to[i]->len);
		}
	}
	close_pair(op);
	close_pair(ep);
	while (waitpid(pid, status, 0) < 0) {
		if (errno != EINTR) {
			eb_errf(e, "%s: waitpid: %s", prog, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* Trimmed, the first line only, printable, bounded: a helper's message fit
 * for ours. "" when it looks like JSON, which might carry a secret. */
static char *helper_said(const buf *b)
{
	const char *s = b->p ? b->p : "";
	size_t n;

	s += strspn(s, " \t\r\n");
	if (*s == '{')
		return xstrdup("");
	n = strcspn(s, "\r\n");
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n > 200)
		n = 200;
	{
		char *line = xstrndup(s, n);

		for (char *p = line; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				*p = '?';
		return line;
	}
}

/* Asks c's helper and replaces c with its answer (AUTH_NONE when it has
 * nothing for the server). -1 with e filled, never with a secret in it. */
static int helper_get(struct auth_creds *c, eb_err *e)
{
	char *prog, *said;
	buf out = { 0 }, err = { 0 };
	int status, rc = -1;

	if (!auth_helper_valid(c->helper)) {
		char *h = printable(c->helper);

		eb_errf(e, "%s names the credential helper \"%s\", which is not a valid "
			"helper name (letters, digits, '.', '_', '-')",
			c->from_store ? "credsStore" : "credHelpers", h);
		free(h);
		return -1;
	}
	prog = xasprintf("docker-credential-%s", c->helper);
	if (run_helper(prog, c->helper_server, &out, &err, &status, e)) {
		eb_err inner = *e;

		eb_errf(e, "the credentials are kept by a credential helper (%s): %s",
			c->from_store ? "credsStore" : "credHelpers", inner.msg);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		said = helper_said(&out);
		if (!strcmp(said, AUTH_HELPER_NOT_FOUND)) {
			note("%s has no credentials for %s", prog, c->helper_server);
			free(said);
			auth_creds_free(c);
			rc = 0;
			goto out;
		}
		if (!*said) {
			free(said);
			said = helper_said(&err);
		}
		if (WIFEXITED(status))
			eb_errf(e, "%s get failed for %s (exit status %d)%s%s", prog,
				c->helper_server, WEXITSTATUS(status), *said ? ": " : "", said);
		else
			eb_errf(e, "%s get for %s was killed by signal %d", prog,
				c->helper_server, WTERMSIG(status));
		free(said);
		goto out;
	}
	if (auth_helper_reply(c, out.p, out.len)) {
		eb_errf(e, "%s get for %s: its output is not the JSON object the "
			"credential helper protocol defines", prog, c->helper_server);
		goto out;
	}
	if (c->kind == AUTH_NONE)
		note("%s has no credentials for %s", prog, c->helper_server);
	rc = 0;
out:
	wipe(&out);
	wipe(&err);
	free(prog);
	return rc;
}

static int cmd_creds(int argc, char **argv)
{
	const char *image = getenv("CODER_INNER_IMAGE"), *config = NULL, *v;
	const char *secret = getenv("CODER_IMAGE_PULL_SECRET");
	const char *dconf = getenv("CODER_DOCKER_CONFIG");
	const char *source;
	bool json = false, ignored;
	struct imageref ref;
	struct auth_creds c;
	buf doc = { 0 };
	eb_err e;
	char *out;

	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--image")))
			image = v;
		else if ((v = opt_value(argc, argv, &i, "--config")))
			config = v;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (argv[i][0] == '-')
			usage_error("unknown option %s", argv[i]);
		else
			usage_error("unexpected argument \"%s\"", argv[i]);
	}
	parse_image(image, &ref);
	dconf = auth_docker_config(dconf);

	switch (auth_source_pick(config != NULL, !config && access(dconf, F_OK) == 0,
				 secret, &ignored)) {
	case AUTH_SRC_CONFIG:
		source = config;
		if (read_file(config, CONFIG_MAX, &doc, &e))
			die_err(&e);
		break;
	case AUTH_SRC_DOCKER_CONFIG:
		source = dconf;
		if (read_file(dconf, CONFIG_MAX, &doc, &e))
			die("CODER_DOCKER_CONFIG: %s", e.msg);
		if (ignored)
			note("using the docker config %s; CODER_IMAGE_PULL_SECRET is ignored",
			     dconf);
		break;
	case AUTH_SRC_SECRET:
		source = "CODER_IMAGE_PULL_SECRET";
		buf_adds(&doc, secret);
		break;
	default:
		imageref_free(&ref);
		return 0;
	}

	if (auth_lookup(doc.p, doc.len, ref.registry, &c, &e))
		die("%s: %s", source, e.msg);
	wipe(&doc);
	if (c.kind == AUTH_HELPER && helper_get(&c, &e))
		die("%s: registry %s: %s", source, ref.registry, e.msg);
	out = json ? auth_json(&c) : auth_header(&c);
	if (out) {
		buf line = { 0 };

		buf_adds(&line, out);
		buf_addc(&line, '\n');
		put(line.p);
		wipe(&line);
		explicit_bzero(out, strlen(out));
		free(out);
	}
	auth_creds_free(&c);
	imageref_free(&ref);
	return 0;
}

/* ---- certs ------------------------------------------------------------- */

/* Lists what to install from PATH into *out; -1 with e filled. */
static int list_certs(const char *from, struct auth_cert **out, size_t *n, eb_err *e)
{
	char **names, **paths;
	struct stat st;
	struct auth_cert *v = NULL;
	size_t k = 0, m;
	eb_err why;

	if (stat(from, &st)) {
		eb_errf(e, "--from %s: %s", from, strerror(errno));
		return -1;
	}
	if (S_ISREG(st.st_mode)) {
		v = xmalloc(sizeof *v);
		v[0] = (struct auth_cert){ xstrdup(from), xstrdup(AUTH_CERT_CA) };
		*out = v;
		*n = 1;
		return 0;
	}
	if (!S_ISDIR(st.st_mode)) {
		eb_errf(e, "--from %s: not a file or a directory", from);
		return -1;
	}
	if (auth_cert_files(from, &names, &paths, &m, &why)) {
		eb_errf(e, "--from %s: unable to read the directory: %s", from, why.msg);
		return -1;
	}
	v = xcalloc(m + 1, sizeof *v);
	for (size_t i = 0; i < m; i++) {
		v[k].name = auth_cert_name(names[i]);
		v[k].src = paths[i];
		paths[i] = NULL;
		k++;
	}
	auth_cert_files_free(names, paths, m);
	*out = v;
	*n = k;
	if (k == 0) {
		eb_errf(e, "--from %s: no regular files in the directory", from);
		return -1;
	}
	if (auth_certs_check(v, k, e)) {
		why = *e;
		eb_errf(e, "--from %s: %s", from, why.msg);
		return -1;
	}
	return 0;
}

/* A new file, dst, in the directory cmd_certs has just made for itself:
 * not write_file_atomic, as nothing else can see dst, and the directory
 * rename at the end is what makes the whole set appear at once. */
static int copy_file(const char *src, const char *dst, mode_t mode, eb_err *e)
{
	char chunk[8192];
	int in, out, rc = -1;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		eb_errf(e, "unable to open %s: %s", src, strerror(errno));
		return -1;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		eb_errf(e, "unable to create %s: %s", dst, strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			eb_errf(e, "unable to read %s: %s", src, strerror(errno));
			goto out;
		}
		if (fd_write_all(out, chunk, (size_t)n)) {
			eb_errf(e, "unable to write %s: %s", dst, strerror(errno));
			goto out;
		}
	}
	if (fsync(out)) {
		eb_errf(e, "unable to write %s: %s", dst, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (close(out) && rc == 0) {
		eb_errf(e, "unable to write %s: %s", dst, strerror(errno));
		rc = -1;
	}
	close(in);
	return rc;
}

static void remove_tmp(const char *tmp, const struct auth_cert *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *f = xasprintf("%s/%s", tmp, v[i].name);

		unlink(f);
		free(f);
	}
	rmdir(tmp);
}

static void note_untouched(const char *target)
{
	note("%s already exists; left untouched", target);
}

static int cmd_certs(int argc, char **argv)
{
	const char *image = getenv("CODER_INNER_IMAGE");
	const char *from = getenv("CODER_EXTRA_CERTS_PATH");
	const char *dir = AUTH_CERTS_DIR, *v;
	struct imageref ref;
	struct auth_cert *certs = NULL;
	size_t n = 0;
	struct stat st;
	char *target, *tmp;
	buf out = { 0 };
	eb_err e;

	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--image")))
			image = v;
		else if ((v = opt_value(argc, argv, &i, "--from")))
			from = v;
		else if ((v = opt_value(argc, argv, &i, "--certs-dir")))
			dir = v;
		else if (argv[i][0] == '-')
			usage_error("unknown option %s", argv[i]);
		else
			usage_error("unexpected argument \"%s\"", argv[i]);
	}
	if (!from || !*from)
		usage_error("no certificates: give --from PATH or set CODER_EXTRA_CERTS_PATH");
	if (!*dir)
		usage_error("--certs-dir: empty path");
	parse_image(image, &ref);

	target = xasprintf("%s/%s", dir, ref.registry);
	/* Someone put certificates there on purpose (a wrapped image, a
	 * mount): theirs win, and --from is not even read, as in coder/envbox. */
	if (lstat(target, &st) == 0) {
		note_untouched(target);
		goto done;
	}
	if (errno != ENOENT)
		die("unable to inspect %s: %s", target, strerror(errno));
	if (list_certs(from, &certs, &n, &e))
		die_err(&e);
	if (!auth_certs_read(ref.registry))
		warn("dockerd does not read certs.d for Docker Hub; installing anyway");
	if (mkdir_p(dir, 0755, &e))
		die_err(&e);

	tmp = xasprintf("%s/.%s.XXXXXX", dir, ref.registry);
	if (!mkdtemp(tmp))
		die("unable to create a directory in %s: %s", dir, strerror(errno));
	for (size_t i = 0; i < n; i++) {
		char *dst = xasprintf("%s/%s", tmp, certs[i].name);
		mode_t mode = auth_cert_mode(certs[i].name);

		if (copy_file(certs[i].src, dst, mode, &e)) {
			free(dst);
			remove_tmp(tmp, certs, n);
			die_err(&e);
		}
		free(dst);
	}
	if (chmod(tmp, 0755)) {
		remove_tmp(tmp, certs, n);
		die("unable to chmod %s: %s", tmp, strerror(errno));
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, target, RENAME_NOREPLACE) &&
	    ((errno != EINVAL && errno != ENOSYS) || rename(tmp, target))) {
		int err = errno;

		remove_tmp(tmp, certs, n);
		if (err == EEXIST || err == ENOTEMPTY) {
			note_untouched(target);
			free(tmp);
			goto done;
		}
		die("unable to rename %s to %s: %s", tmp, target, strerror(err));
	}
	free(tmp);
	for (size_t i = 0; i < n; i++)
		buf_printf(&out, "%s/%s\n", target, certs[i].name);
	if (out.p)
		put(out.p);
done:
	buf_free(&out);
	free(target);
	auth_certs_free(certs, n);
	imageref_free(&ref);
	return 0;
}

int auth_main(int argc, char **argv)
{
	if (wants_help(argc, argv))
		help();
	if (argc > 1 && !strcmp(argv[1], "certs"))
		return cmd_certs(argc - 1, argv + 1);
	return cmd_creds(argc, argv);
}
