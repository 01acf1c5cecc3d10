/* envbox-docker pull, probe, prune: the image steps of `envbox docker`
 * (usage in applets/docker.c; the logic in lib/pull.c and lib/probe.c). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applet.h"
#include "docker.h"
#include "docker_cmds.h"
#include "imageref.h"
#include "log.h"
#include "probe.h"
#include "pull.h"

#define PULL_RETRIES 10 /* as the original */

static void to_log(void *arg, enum log_type t, const char *msg)
{
	(void)arg;
	log_write(stderr, t, msg);
}

/* A malformed reference is a bad argument (exit 2), as in envbox-auth. */
static void check_image(const char *image)
{
	struct imageref ref;
	eb_err e;

	if (imageref_parse(image, &ref, &e) < 0)
		usage_error("%s", e.msg);
	imageref_free(&ref);
}

/* X-Registry-Auth is base64 (either alphabet). Anything else would be a
 * header injection or a mistake; the value itself is never shown. */
static bool valid_auth(const char *v)
{
	return v[strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			   "0123456789+/-_=")] == 0;
}

/* pull IMAGE [--retries N] */
int dcmd_pull(int argc, char **argv)
{
	struct image_pull_opts o = { .retries = PULL_RETRIES, .log = to_log };
	const char *v;
	docker d;
	eb_err e;

	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--retries"))) {
			long long n = parse_count("--retries", v);

			if (n > 1000)
				usage_error("--retries: %lld is more than 1000", n);
			o.retries = (unsigned)n;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			usage_error("pull: unknown option %s", argv[i]);
		} else if (!o.image) {
			o.image = argv[i];
		} else {
			usage_error("pull: unexpected argument \"%s\"", argv[i]);
		}
	}
	if (!o.image)
		usage_error("pull: expected IMAGE");
	check_image(o.image);
	o.auth = getenv("ENVBOX_REGISTRY_AUTH");
	if (o.auth && !valid_auth(o.auth))
		die("pull %s: ENVBOX_REGISTRY_AUTH is not an X-Registry-Auth value (base64 expected)",
		    o.image);
	if (docker_open(&d, NULL, &e) < 0)
		die_err(&e);
	if (image_pull(&d, &o, &e) < 0)
		die_code(image_pull_fault(e.msg) == PULL_FAULT_NOSPACE ? EXIT_NOSPACE : EXIT_FAIL,
			 "pull %s: %s", o.image, e.msg);
	docker_close(&d);
	return 0;
}

/* A signal during a probe: finish the request under way, remove the probe
 * container, then die of the signal as if it had struck at once. */
static volatile sig_atomic_t probe_signal;

static void on_signal(int sig)
{
	probe_signal = sig;
}

/* probe IMAGE USER [--json] */
int dcmd_probe(int argc, char **argv)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	struct image_probe_opts o = { .log = to_log, .stop = &probe_signal };
	struct sigaction sa = { .sa_handler = on_signal };
	struct image_info info;
	const char *cache = NULL, *v;
	bool json = false, hit;
	buf out = { 0 };
	docker d;
	eb_err e;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if ((v = opt_value(argc, argv, &i, "--cache")))
			cache = v;
		else if (argv[i][0] == '-' && argv[i][1])
			usage_error("probe: unknown option %s", argv[i]);
		else if (!o.image)
			o.image = argv[i];
		else if (!o.user)
			o.user = argv[i];
		else
			usage_error("probe: unexpected argument \"%s\"", argv[i]);
	}
	if (!o.user)
		usage_error("probe: expected IMAGE USER");
	if (!*o.user)
		usage_error("probe: USER is empty");
	check_image(o.image);
	/* ENVBOX_PROBE_SLOW (docs/envbox-docker.md): every file link by link,
	 * for tests that compare the two ways of reading. */
	o.slow = getenv("ENVBOX_PROBE_SLOW") != NULL;
	if (cache && cache[0] != '/')
		usage_error("probe: --cache \"%s\": expected an absolute directory", cache);
	if (docker_open(&d, NULL, &e) < 0)
		die_err(&e);

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		sigaction(sigs[i], &sa, NULL);
	rc = cache ? image_probe_cached(&d, &o, cache, &info, &hit, &e) :
		     image_probe(&d, &o, &info, &e);
	docker_close(&d);
	if (probe_signal) {
		signal(probe_signal, SIG_DFL);
		raise(probe_signal);
	}
	if (rc < 0)
		die("probe: %s", e.msg);
	if (image_info_format(&info, json, &out, &e) < 0)
		die("probe %s %s: %s", o.image, o.user, e.msg);
	fwrite(out.p, 1, out.len, stdout);
	if (fflush(stdout) != 0)
		die("writing to stdout failed");
	buf_free(&out);
	image_info_free(&info);
	return 0;
}

/* prune */
int dcmd_prune(int argc, char **argv)
{
	long long reclaimed;
	docker d;
	eb_err e;

	if (argc > 1)
		usage_error("prune: unexpected argument \"%s\"", argv[1]);
	if (docker_open(&d, NULL, &e) < 0)
		die_err(&e);
	if (image_prune(&d, &reclaimed, &e) < 0)
		die("prune: %s", e.msg);
	docker_close(&d);
	printf("reclaimed %lld\n", reclaimed);
	return 0;
}
