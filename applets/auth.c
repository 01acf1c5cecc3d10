/* envbox-auth: registry credentials for an image, and CA certificates for
 * its registry. Follows coder/envbox: cli/docker.go (where credentials come
 * from) and dockerutil/registry.go (certs.d); credential helpers as
 * docker/docker-credential-helpers' client runs them. Matching rules:
 * lib/auth.h; the helper run: lib/credhelper.h; the certs.d install:
 * lib/certsd.h; docs/envbox-auth.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applet.h"
#include "auth.h"
#include "certsd.h"
#include "credhelper.h"
#include "imageref.h"
#include "log.h"

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

/* ---- creds ------------------------------------------------------------- */

/* The credential helper's notes and warnings. */
static void helper_log(void *arg, enum log_type t, const char *msg)
{
	(void)arg;
	if (t == LOG_ERROR)
		warn("%s", msg);
	else
		note("%s", msg);
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
	if (c.kind == AUTH_HELPER &&
	    credhelper_get(&c, &(struct credhelper_opts){ .log = helper_log }, &e))
		die("%s: registry %s: %s", source, ref.registry, e.msg);
	out = json ? auth_json(&c) : auth_header(&c);
	if (out) {
		buf line = { 0 };

		buf_adds(&line, out);
		buf_addc(&line, '\n');
		put_stdout(&line);
		wipe(&line);
		explicit_bzero(out, strlen(out));
		free(out);
	}
	auth_creds_free(&c);
	imageref_free(&ref);
	return 0;
}

/* ---- certs ------------------------------------------------------------- */

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
	char *target;
	buf out = { 0 };
	eb_err e;
	int rc;

	/* An opt_value chain as every command's (applet.h says why). */
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
	if ((rc = certsd_present(target, &e)) < 0)
		die_err(&e);
	if (rc) {
		note_untouched(target);
		goto done;
	}
	if (certsd_list(from, &certs, &n, &e))
		die_err(&e);
	if (!auth_certs_read(ref.registry))
		warn("dockerd does not read certs.d for Docker Hub; installing anyway");
	if ((rc = certsd_install(dir, ref.registry, certs, n, &e)) < 0)
		die_err(&e);
	if (rc == CERTSD_PRESENT) {
		note_untouched(target);
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		buf_printf(&out, "%s/%s\n", target, certs[i].name);
	if (out.p)
		put_stdout(&out);
done:
	buf_free(&out);
	free(target);
	auth_certs_free(certs, n);
	imageref_free(&ref);
	return 0;
}

int auth_main(int argc, char **argv)
{
	static const struct applet_cmd cmds[] = { { "certs", cmd_certs } };

	return run_command(argc, argv, cmds, 1, cmd_creds);
}
