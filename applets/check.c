/* envbox-check: can envbox start on this host, and what would it lose? One
 * line per check and a verdict: ready, degraded or cannot start. The
 * entrypoint runs it first and stops on "cannot start". The rules:
 * lib/hostcheck.h; docs/envbox-check.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applet.h"
#include "hostcheck.h"

const char check_usage[] =
	"Usage: envbox-check [--json | --quiet] [--root DIR]\n"
	"\n"
	"Inspects the host envbox runs on, reading only (well under a second), and\n"
	"prints one line per check, \"NAME STATUS: message\" with STATUS ok, info,\n"
	"degraded or fatal, then a verdict line:\n"
	"\n"
	"  verdict ready\n"
	"  verdict degraded: REASON; ...        starts; what is lost and why\n"
	"  verdict cannot start: REASON; ...    why, and the setting that fixes it\n"
	"\n"
	"Checks: kernel, cgroup (v1, v2 or hybrid; on v2 whether cpu, memory and\n"
	"pids can be delegated), userns (user.max_user_namespaces), userns_clone and\n"
	"apparmor_userns (where the sysctls exist), subid (coder:100000:65536),\n"
	"idmap (per CODER_MOUNTS source), cap_sys_admin, cap_net_admin,\n"
	"cap_sys_resource (cap_mknod with CODER_ADD_TUN/FUSE), seccomp, apparmor,\n"
	"sysbox, docker_in_workspace, tun, fuse, gpu, data_root (/var/lib/docker or\n"
	"ENVBOX_DATA_ROOT: filesystem, free space, overlay2), coder_root\n"
	"(/var/lib/coder), and config when a variable read is refused.\n"
	"\n"
	"Options:\n"
	"  --json       print one JSON object: verdict, reasons, checks\n"
	"  --quiet      print the verdict line only\n"
	"  --root DIR   read /proc, /sys, /etc and /dev (and $PATH, the data roots,\n"
	"               CODER_USR_LIB_DIR) under DIR: a fixture tree\n"
	"  -h, --help   print this help\n"
	"\n"
	"Environment: CODER_MOUNTS, CODER_DISABLE_IDMAPPED_MOUNT, CODER_ADD_TUN,\n"
	"CODER_ADD_FUSE, CODER_ADD_GPU, CODER_USR_LIB_DIR, ENVBOX_DATA_ROOT,\n"
	"ENVBOX_INNER_RUNTIME, ENVBOX_NESTING, PATH.\n"
	"\n"
	"Exit codes: 0 ready or degraded, 1 cannot start, 2 usage error.\n";

static const char *get(const char *name)
{
	return getenv(name);
}

int check_main(int argc, char **argv)
{
	struct hc_opts o = { .root = "", .get = get };
	bool json = false, quiet = false;
	struct hc_facts f;
	struct hc_report r;
	const char *v;
	buf out = { 0 };
	eb_err e;
	int status;

	if (wants_help(argc, argv))
		help();
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q"))
			quiet = true;
		else if ((v = opt_value(argc, argv, &i, "--root")))
			o.root = v;
		else if (argv[i][0] == '-')
			usage_error("unknown option '%s'", argv[i]);
		else
			usage_error("unexpected argument '%s'", argv[i]);
	}
	if (json && quiet)
		usage_error("--json and --quiet: one or the other");
	if (*o.root && o.root[0] != '/')
		usage_error("--root \"%s\" is not an absolute path", o.root);
	/* "/" and "/x/" mean what "" and "/x" do. */
	{
		size_t n = strlen(o.root);
		char *root = xstrdup(o.root);

		while (n && root[n - 1] == '/')
			root[--n] = 0;
		o.root = root;
	}
	if (hostcheck_gather(&o, &f, &e))
		die("%s", e.msg);
	hostcheck_judge(&f, &r);
	if (json)
		hostcheck_json(&r, &out);
	else
		hostcheck_text(&r, quiet, &out);
	put_stdout(&out);
	status = r.worst == HC_FATAL ? EXIT_FAIL : 0;
	buf_free(&out);
	hostcheck_report_free(&r);
	hostcheck_facts_free(&f);
	free((char *)o.root);
	return status;
}
