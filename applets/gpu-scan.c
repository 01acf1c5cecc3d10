/* envbox-gpu-scan: the NVIDIA GPUs' device nodes, driver files and
 * variables the inner container needs, as spec lines; and the /proc GPU
 * mounts to take away before containers are created. The tables and the
 * scan: lib/gpu.h; docs/envbox-gpu-scan.md, docs/gpu.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "applet.h"
#include "gpu.h"
#include "json.h"
#include "mountinfo.h"
#include "osrelease.h"
#include "spec.h"

extern char **environ;

const char gpu_scan_usage[] =
	"Usage: envbox-gpu-scan --usr-lib-dir DIR\n"
	"           [--inner-usr-lib-dir DIR | --os-release FILE | --os-release-id ID]\n"
	"           [--mountinfo FILE] [--dev-root DIR] [--firmware-dir DIR]\n"
	"           [--bin-dir DIR]... [--json]\n"
	"       envbox-gpu-scan unmount-proc [--mountinfo FILE] [--dry-run]\n"
	"\n"
	"Print what the inner container needs for the NVIDIA GPUs here, as spec\n"
	"lines: devices, then binds, then variables, each sorted by inner path or\n"
	"name, each inner path once.\n"
	"  device HOST /dev/NAME  every GPU character device: /dev mounts in the\n"
	"                         mount table and nodes under the dev root named\n"
	"                         nvidiaN, nvidiactl, nvidia-uvm, nvidia-uvm-tools,\n"
	"                         nvidia-modeset, nvidia-caps/*,\n"
	"                         nvidia-caps-imex-channels/*, dri/cardN, dri/renderDN\n"
	"  bind HOST INNER ro     driver files, chosen by file name from a table\n"
	"                         (libcuda, libnvidia-*, libGLX_nvidia, the glvnd\n"
	"                         loaders, ...; docs/gpu.md): mounts naming one (not\n"
	"                         under /dev or /proc) and the links beside them that\n"
	"                         lead to them; libraries under --usr-lib-dir with\n"
	"                         every link of their symlink chains; the firmware\n"
	"                         of the driver version (DIR/nvidia/VERSION/*.bin);\n"
	"                         nvidia-smi and the other tools, at /usr/bin\n"
	"  env NAME=VALUE         every variable whose name contains NVIDIA, any case\n"
	"Paths under --usr-lib-dir go to the inner library directory at the same\n"
	"relative path; other paths keep theirs. An absolute link target there is\n"
	"the host's path, re-rooted at --usr-lib-dir (the host's path of it: the\n"
	"root of its mount in the mount table, else /usr/lib), and a link whose\n"
	"chain passes one is bound from the file the chain ends at. A chain that\n"
	"leaves --usr-lib-dir (by .. or an absolute target outside it), a symlink\n"
	"loop or a dangling link, an unreadable subdirectory, a file posing as a\n"
	"device node, a path with whitespace: a warning, skipped.\n"
	"\n"
	"unmount-proc  Unmount the mounts under /proc with nvidia, cuda or vulkan in\n"
	"              their path (any case), deepest first, printing each path\n"
	"              unmounted. A mount that will not go is a warning.\n"
	"\n"
	"Options:\n"
	"  --usr-lib-dir DIR        the host's library directory as mounted here\n"
	"                           (required): the host's /usr/lib\n"
	"                           (CODER_USR_LIB_DIR), or its\n"
	"                           /usr/lib/x86_64-linux-gnu or /usr/lib64\n"
	"  --inner-usr-lib-dir DIR  the inner library directory\n"
	"  --os-release FILE        the inner image's os-release: its ID, then each\n"
	"                           ID_LIKE word, decides: debian, ubuntu: the\n"
	"                           multiarch directory (/usr/lib/x86_64-linux-gnu);\n"
	"                           fedora, rhel, centos, suse, ...: /usr/lib64;\n"
	"                           otherwise /usr/lib\n"
	"  --os-release-id ID       the same from an ID alone\n"
	"                           (none of the three: /usr/lib)\n"
	"  --mountinfo FILE         read FILE instead of /proc/self/mountinfo\n"
	"                           (unmount-proc still unmounts the paths it names)\n"
	"  --dev-root DIR           look for device nodes under DIR (default /dev);\n"
	"                           inner paths stay /dev/...\n"
	"  --firmware-dir DIR       the driver's firmware directory (default\n"
	"                           /lib/firmware); --usr-lib-dir's firmware/ too\n"
	"  --bin-dir DIR            look for the tools in DIR, in the order given\n"
	"                           (default /usr/bin)\n"
	"  --json                   print one JSON object instead of lines\n"
	"  --dry-run                (unmount-proc) print the paths, unmount nothing\n"
	"  -h, --help               print this help\n"
	"\n"
	"Exit codes: 0 done (warnings on stderr), 1 failed (--usr-lib-dir, the dev\n"
	"root, the mount table or the os-release file unreadable), 2 usage error.\n";

/* Warnings go to stderr as they come and into the JSON output. */
struct warnings {
	char **v;
	size_t n;
};

static void on_warning(void *ctx, const char *msg)
{
	struct warnings *w = ctx;

	warn("%s", msg);
	w->v = xrealloc(w->v, (w->n + 1) * sizeof *w->v);
	w->v[w->n++] = xstrdup(msg);
}

/* An option's directory, absolute and clean; a usage error when empty. */
static char *dir_arg(const char *opt, const char *v)
{
	char cwd[4096];

	if (!*v)
		usage_error("%s is empty", opt);
	if (v[0] != '/' && !getcwd(cwd, sizeof cwd))
		die("unable to get the current directory: %s", strerror(errno));
	return gpu_path_clean(v, v[0] == '/' ? NULL : cwd);
}

static void load_mountinfo(struct mountinfo *mi, const char *path)
{
	eb_err e;

	if (mountinfo_load(mi, path, &e) < 0)
		die_err(&e);
}

/* The inner library directory from an os-release file. */
static const char *libdir_of_file(const char *path)
{
	buf doc = { 0 };
	os_release o;
	eb_err e;
	const char *dir;

	if (read_file(path, 1u << 20, &doc, &e) < 0)
		die_err(&e);
	if (osrelease_parse(doc.p, doc.len, &o, &e) < 0)
		die("%s: %s", path, e.msg);
	dir = osrelease_libdir(o.id, o.id_like);
	os_release_free(&o);
	buf_free(&doc);
	return dir;
}

/* The arrays of objects below (and hostcheck_json's) are written the same
 * way, key, array, one object of jw_k* fields an element: alike in shape,
 * but the fields are each array's own; the json writer is what they share. */
static void print_json(const struct gpu_result *r, const char *inner,
		       const struct warnings *w, buf *out)
{
	json_w j;

	jw_init(&j, out);
	jw_obj(&j);
	jw_kstr(&j, "inner_usr_lib_dir", inner);
	jw_kstrs(&j, "driver_versions", r->version, r->nversion);
	jw_key(&j, "devices");
	jw_arr(&j);
	for (size_t i = 0; i < r->ndev; i++) {
		jw_obj(&j);
		jw_kstr(&j, "host", r->dev[i].host);
		jw_kstr(&j, "inner", r->dev[i].inner);
		jw_kint(&j, "major", r->dev[i].major);
		jw_kint(&j, "minor", r->dev[i].minor);
		jw_obj_end(&j);
	}
	jw_arr_end(&j);
	jw_key(&j, "binds");
	jw_arr(&j);
	for (size_t i = 0; i < r->nbind; i++) {
		jw_obj(&j);
		jw_kstr(&j, "src", r->bind[i].src);
		jw_kstr(&j, "dst", r->bind[i].dst);
		jw_kbool(&j, "ro", true);
		jw_kstr(&j, "from", gpu_from_name(r->bind[i].from));
		jw_obj_end(&j);
	}
	jw_arr_end(&j);
	jw_key(&j, "env");
	jw_arr(&j);
	for (size_t i = 0; i < r->nenv; i++) {
		jw_obj(&j);
		jw_kstr(&j, "name", r->env[i].name);
		jw_kstr(&j, "value", r->env[i].value);
		jw_obj_end(&j);
	}
	jw_arr_end(&j);
	jw_kstrs(&j, "warnings", w->v, w->n);
	jw_obj_end(&j);
	buf_addc(out, '\n');
}

static void print_lines(const struct gpu_result *r, buf *out)
{
	eb_err e;

	/* The scan only keeps what a spec line can hold. */
	for (size_t i = 0; i < r->ndev; i++)
		if (spec_write_device(out, r->dev[i].host, r->dev[i].inner, &e) < 0)
			die_err(&e);
	for (size_t i = 0; i < r->nbind; i++)
		if (spec_write_bind(out, r->bind[i].src, r->bind[i].dst, true, &e) < 0)
			die_err(&e);
	for (size_t i = 0; i < r->nenv; i++)
		if (spec_write_env(out, r->env[i].name, r->env[i].value, &e) < 0)
			die_err(&e);
}

static int cmd_scan(int argc, char **argv)
{
	const char *lib = NULL, *inner_opt = NULL, *osr = NULL, *osr_id = NULL,
		   *mi_path = NULL, *dev = NULL, *fw = NULL, *v;
	const char **bins = xcalloc((size_t)argc + 1, sizeof *bins);
	size_t nbins = 0;
	char *lib_dir, *inner, *dev_root = NULL, *fw_dir = NULL;
	bool json = false;
	struct mountinfo mi;
	struct warnings w = { 0 };
	struct gpu_opts o;
	struct gpu_result r;
	eb_err e;
	buf out = { 0 };
	int given;

	/* An opt_value chain as every command's (applet.h says why). */
	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--usr-lib-dir")))
			lib = v;
		else if ((v = opt_value(argc, argv, &i, "--inner-usr-lib-dir")))
			inner_opt = v;
		else if ((v = opt_value(argc, argv, &i, "--os-release")))
			osr = v;
		else if ((v = opt_value(argc, argv, &i, "--os-release-id")))
			osr_id = v;
		else if ((v = opt_value(argc, argv, &i, "--mountinfo")))
			mi_path = v;
		else if ((v = opt_value(argc, argv, &i, "--dev-root")))
			dev = v;
		else if ((v = opt_value(argc, argv, &i, "--firmware-dir")))
			fw = v;
		else if ((v = opt_value(argc, argv, &i, "--bin-dir")))
			bins[nbins++] = v;
		else if (!strcmp(argv[i], "--json"))
			json = true;
		else if (argv[i][0] == '-')
			usage_error("unknown option '%s'", argv[i]);
		else
			usage_error("unexpected argument \"%s\" (commands: unmount-proc)", argv[i]);
	}
	if (!lib)
		usage_error("--usr-lib-dir is required: the host's library directory as mounted here");
	given = !!inner_opt + !!osr + !!osr_id;
	if (given > 1)
		usage_error("give one of --inner-usr-lib-dir, --os-release, --os-release-id");
	if (osr_id && !*osr_id)
		usage_error("--os-release-id is empty");
	lib_dir = dir_arg("--usr-lib-dir", lib);
	/* Every bind from it would be refused: say so once. */
	if (spec_check_path("--usr-lib-dir", lib_dir, &e) < 0)
		usage_error("%s", e.msg);
	if (inner_opt) {
		if (inner_opt[0] != '/')
			usage_error("--inner-usr-lib-dir \"%s\" is not an absolute path", inner_opt);
		inner = gpu_path_clean(inner_opt, NULL);
		if (spec_check_path("--inner-usr-lib-dir", inner, &e) < 0)
			usage_error("%s", e.msg);
	} else {
		inner = xstrdup(osr ? libdir_of_file(osr) : osrelease_libdir(osr_id, NULL));
	}
	if (dev)
		dev_root = dir_arg("--dev-root", dev);
	if (fw)
		fw_dir = dir_arg("--firmware-dir", fw);
	for (size_t i = 0; i < nbins; i++)
		bins[i] = dir_arg("--bin-dir", bins[i]);

	load_mountinfo(&mi, mi_path);
	o = (struct gpu_opts){
		.usr_lib_dir = lib_dir,
		.inner_lib_dir = inner,
		.mi = &mi,
		.dev_root = dev_root,
		.firmware_dir = fw_dir,
		.bin_dirs = nbins ? bins : NULL,
		.environ = environ,
		.warn = on_warning,
		.warn_ctx = &w,
	};
	if (gpu_scan(&o, &r, &e) < 0)
		die_err(&e);
	if (json)
		print_json(&r, inner, &w, &out);
	else
		print_lines(&r, &out);
	put_stdout(&out);

	buf_free(&out);
	gpu_result_free(&r);
	mountinfo_free(&mi);
	for (size_t i = 0; i < w.n; i++)
		free(w.v[i]);
	free(w.v);
	for (size_t i = 0; i < nbins; i++)
		free((char *)bins[i]);
	free(bins);
	free(lib_dir);
	free(inner);
	free(dev_root);
	free(fw_dir);
	return 0;
}

static int cmd_unmount_proc(int argc, char **argv)
{
	const char *mi_path = NULL, *v, **paths;
	bool dry = false;
	struct mountinfo mi;
	size_t n;

	for (int i = 1; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--mountinfo")))
			mi_path = v;
		else if (!strcmp(argv[i], "--dry-run"))
			dry = true;
		else if (argv[i][0] == '-')
			usage_error("unmount-proc: unknown option '%s'", argv[i]);
		else
			usage_error("unmount-proc: unexpected argument \"%s\"", argv[i]);
	}
	load_mountinfo(&mi, mi_path);
	gpu_proc_mounts(&mi, &paths, &n);
	for (size_t i = 0; i < n; i++) {
		/* A busy mount is detached: it leaves the table now and goes
		 * when its last user does. */
		if (!dry && umount2(paths[i], 0) < 0 &&
		    (errno != EBUSY || umount2(paths[i], MNT_DETACH) < 0)) {
			warn("unable to unmount %s: %s", paths[i], strerror(errno));
			continue;
		}
		if (printf("%s\n", paths[i]) < 0)
			die("unable to write output: %s", strerror(errno));
	}
	if (fflush(stdout))
		die("unable to write output: %s", strerror(errno));
	free(paths);
	mountinfo_free(&mi);
	return 0;
}

int gpu_scan_main(int argc, char **argv)
{
	static const struct applet_cmd cmds[] = { { "unmount-proc", cmd_unmount_proc } };

	return run_command(argc, argv, cmds, 1, cmd_scan);
}
