/* envbox-docker config, dockerd-args, log: what the entrypoint needs from C
 * besides the Engine API — validated settings, dockerd's command line, and
 * build-log entries. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applet.h"
#include "config.h"
#include "docker_cmds.h"
#include "dockerd.h"
#include "log.h"

static const char *get_env(const char *name)
{
	return getenv(name);
}

/* config: every CODER_* variable checked before the entrypoint touches
 * anything; a bad one is a usage error (2) naming it. */
int dcmd_config(int argc, char **argv)
{
	struct envbox_config c;
	char cpus[CPUS_STRLEN];
	eb_err e;

	(void)argv;
	if (argc > 1)
		usage_error("config takes no arguments (it reads CODER_* variables)");
	if (config_load(&c, get_env, &e) < 0)
		usage_error("%s", e.msg);
	printf("container=%s\n", c.container);
	printf("image=%s\n", c.image);
	printf("username=%s\n", c.username);
	printf("hostname=%s\n", c.hostname);
	printf("workdir=%s\n", c.workdir ? c.workdir : "");
	printf("bip=%s\n", c.bip);
	cpus_format(c.cpus, cpus);
	printf("cpus=%s\n", c.cpus ? cpus : "");
	if (c.memory)
		printf("memory=%llu\n", c.memory);
	else
		puts("memory=");
	printf("add_tun=%s\n", c.add_tun ? "true" : "false");
	printf("add_fuse=%s\n", c.add_fuse ? "true" : "false");
	printf("add_gpu=%s\n", c.add_gpu ? "true" : "false");
	printf("disable_idmapped_mount=%s\n", c.disable_idmapped_mount ? "true" : "false");
	printf("debug=%s\n", c.debug ? "true" : "false");
	printf("nesting=%s\n", c.nesting);
	return 0;
}

/* True when an executable name is in a directory of $PATH. */
static bool on_path(const char *name)
{
	const char *path = getenv("PATH"), *p, *colon;
	bool found = false;

	for (p = path ? path : ""; *p && !found; p = *colon ? colon + 1 : colon) {
		char *f;

		colon = strchrnul(p, ':');
		f = xasprintf("%.*s/%s", (int)(colon - p), p, name);
		found = colon > p && access(f, X_OK) == 0;
		free(f);
	}
	return found;
}

/* The disk-full fallback's storage driver, logged with why. */
static void choose_no_space_driver(struct dockerd_opts *o)
{
	const char *want = getenv("ENVBOX_NO_SPACE_DRIVER");
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	char why[256];

	if (fd >= 0)
		close(fd);
	o->no_space_driver = dockerd_no_space_driver(want, fd >= 0, on_path("fuse-overlayfs"),
						     why, sizeof why);
	if (!o->no_space_driver)
		usage_error("ENVBOX_NO_SPACE_DRIVER \"%s\": expected auto, vfs or fuse-overlayfs",
			    want);
	log_msg(LOG_INFO, "Storage driver on the spare data root: %s", why);
}

/* dockerd-args [--no-space] [--sys-root DIR] [--cgroup-root DIR] [--link IF]
 *              [--prelude PATH] */
int dcmd_dockerd_args(int argc, char **argv)
{
	const char *sys_root = "/sys", *cgroup_root = "/sys/fs/cgroup", *link = "eth0", *v;
	struct dockerd_opts o = { 0 };
	struct envbox_config c;
	char **args, *prelude = NULL;
	eb_err e;

	/* An opt_value chain as every command's (applet.h says why). */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-space"))
			o.no_space = true;
		else if ((v = opt_value(argc, argv, &i, "--sys-root")))
			sys_root = v;
		else if ((v = opt_value(argc, argv, &i, "--cgroup-root")))
			cgroup_root = v;
		else if ((v = opt_value(argc, argv, &i, "--link")))
			link = v;
		else if ((v = opt_value(argc, argv, &i, "--prelude")))
			o.prelude = v;
		else
			usage_error("dockerd-args: unexpected argument \"%s\"", argv[i]);
	}
	if (config_load(&c, get_env, &e) < 0)
		usage_error("%s", e.msg);
	o.bip = c.bip;
	o.debug = c.debug;
	o.data_root = getenv("ENVBOX_DATA_ROOT");
	o.no_space_data_root = getenv("ENVBOX_NO_SPACE_DATA_ROOT");
	if (o.data_root && !*o.data_root)
		o.data_root = NULL;
	if (o.no_space_data_root && !*o.no_space_data_root)
		o.no_space_data_root = NULL;
	if (o.no_space)
		choose_no_space_driver(&o);
	o.cgroup_v2 = cgroup_is_v2(cgroup_root);
	if (o.cgroup_v2 && !o.prelude)
		o.prelude = prelude = installed_path(PRELUDE_UNDER_PREFIX, DOCKERD_PRELUDE);
	o.mtu = net_mtu(sys_root, link, &e);
	if (o.mtu < 0)
		die("dockerd-args: %s", e.msg);
	if (o.mtu == 0)
		o.mtu = 1500; /* no such link: dockerd's own default */
	args = dockerd_argv(&o);
	for (char **a = args; *a; a++)
		printf("%s%c", *a, '\n');
	dockerd_argv_free(args);
	free(prelude);
	return 0;
}

/* log TYPE [MESSAGE]...: one entry, or one per line of stdin. */
int dcmd_log(int argc, char **argv)
{
	int t;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (argc < 2)
		usage_error("log: expected TYPE (info, error, done or debug) [MESSAGE]...");
	t = log_type_parse(argv[1]);
	if (t < 0)
		usage_error("log: type \"%s\": expected info, error, done or debug", argv[1]);
	if (argc > 2 || t == LOG_DONE) {
		buf msg = { 0 };

		for (int i = 2; i < argc; i++) {
			if (i > 2)
				buf_addc(&msg, ' ');
			buf_adds(&msg, argv[i]);
		}
		log_write(stderr, (enum log_type)t, msg.p);
		buf_free(&msg);
		return 0;
	}
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = 0;
		log_write(stderr, (enum log_type)t, line);
	}
	free(line);
	return 0;
}
