/* test_gpu: the driver-file, device and version tables; path remapping and
 * cleaning; /proc mounts' order; the scan over a small tree made here
 * (chains, faults, remapping, duplicates, order, warnings, variables). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "gpu.h"

static void test_library(void)
{
	/* Driver libraries: a table stem, ".so", version numbers. */
	CHECK_STR(gpu_library("libcuda.so"), "libcuda");
	CHECK_STR(gpu_library("libcuda.so.1"), "libcuda");
	CHECK_STR(gpu_library("libcuda.so.550.54.14"), "libcuda");
	CHECK_STR(gpu_library("libcudadebugger.so.1"), "libcudadebugger");
	CHECK_STR(gpu_library("libnvidia-ml.so.1"), "libnvidia-");
	CHECK_STR(gpu_library("libnvidia-egl-gbm.so.1.1.1"), "libnvidia-");
	CHECK_STR(gpu_library("libnvidia-ptxjitcompiler.so.550.54.14"), "libnvidia-");
	CHECK_STR(gpu_library("libnvcuvid.so.1"), "libnvcuvid");
	CHECK_STR(gpu_library("libnvoptix.so.1"), "libnvoptix");
	CHECK_STR(gpu_library("libvdpau_nvidia.so.1"), "libvdpau_nvidia");
	CHECK_STR(gpu_library("nvidia-drm_gbm.so"), "nvidia-drm_gbm");
	CHECK_STR(gpu_library("libGLX_nvidia.so.0"), "libGLX_nvidia");
	CHECK_STR(gpu_library("libEGL_nvidia.so.550.54.14"), "libEGL_nvidia");
	CHECK_STR(gpu_library("libGLESv2_nvidia.so.2"), "libGLESv2_nvidia");
	CHECK_STR(gpu_library("libGLESv1_CM_nvidia.so.1"), "libGLESv1_CM_nvidia");
	/* glvnd loaders. */
	CHECK_STR(gpu_library("libGLX.so.0"), "libGLX");
	CHECK_STR(gpu_library("libGLdispatch.so.0.0.0"), "libGLdispatch");
	CHECK_STR(gpu_library("libOpenGL.so.0"), "libOpenGL");
	CHECK_STR(gpu_library("libEGL.so.1.1.0"), "libEGL");
	CHECK_STR(gpu_library("libGL.so.1"), "libGL");
	CHECK_STR(gpu_library("libGLESv2.so.2"), "libGLESv2");
	CHECK_STR(gpu_library("libGLESv1_CM.so.1"), "libGLESv1_CM");

	/* Decoys: the words without the names. */
	CHECK(!gpu_library("libcuda_decoy_helper.so"));
	CHECK(!gpu_library("libcudart.so.12"));
	CHECK(!gpu_library("libglib-2.0.so.0"));
	CHECK(!gpu_library("libGLU.so.1"));
	CHECK(!gpu_library("libGLEW.so.2.2"));
	CHECK(!gpu_library("libgl.so.1"));
	CHECK(!gpu_library("mycuda.so"));
	CHECK(!gpu_library("libfoo.so"));
	CHECK(!gpu_library("libvulkan.so.1"));
	CHECK(!gpu_library("libEGL_mesa.so.0"));
	CHECK(!gpu_library("libGLX_mesa.so.0"));
	CHECK(!gpu_library("libglxserver_nvidia.so.550.54.14"));
	CHECK(!gpu_library("libnvidia-container.so.1"));
	CHECK(!gpu_library("libnvidia-container.so.1.14.6"));
	CHECK(!gpu_library("libnvidia-container-go.so.1"));
	CHECK(!gpu_library("libnvidia-.so"));
	CHECK(!gpu_library("libcuda.so.550.54.14.bak"));
	CHECK(!gpu_library("libcuda.so."));
	CHECK(!gpu_library("libcuda.so.1."));
	CHECK(!gpu_library("libcuda.so..1"));
	CHECK(!gpu_library("libcuda.sox"));
	CHECK(!gpu_library("libcuda"));
	CHECK(!gpu_library(".so"));
	CHECK(!gpu_library(""));
	CHECK(!gpu_library("libnvidia-ml.txt"));
	/* A stem that holds ".so" itself. */
	CHECK_STR(gpu_library("libnvidia-x.so.y.so.1"), "libnvidia-");
}

static void test_driver_file(void)
{
	CHECK(gpu_driver_file("/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.14"));
	CHECK(gpu_driver_file("/etc/vulkan/icd.d/nvidia_icd.json"));
	CHECK(gpu_driver_file("/usr/share/glvnd/egl_vendor.d/10_nvidia.json"));
	CHECK(gpu_driver_file("/usr/share/egl/egl_external_platform.d/15_nvidia_gbm.json"));
	CHECK(gpu_driver_file("/usr/bin/nvidia-smi"));
	CHECK(gpu_driver_file("/usr/bin/nvidia-persistenced"));
	CHECK(gpu_driver_file("/lib/firmware/nvidia/550.54.14/gsp_ga10x.bin"));
	CHECK(gpu_driver_file("/usr/lib/firmware/nvidia/550.54.14/gsp_tu10x.bin"));
	CHECK(gpu_driver_file("libcuda.so.1"));
	/* The words in a directory name or a file name are not enough. */
	CHECK(!gpu_driver_file("/usr/local/cuda/data"));
	CHECK(!gpu_driver_file("/usr/local/nvidia"));
	CHECK(!gpu_driver_file("/usr/local/nvidia/"));
	CHECK(!gpu_driver_file("/home/coder/nvidia-notes"));
	CHECK(!gpu_driver_file("/etc/vulkan/icd.d/intel_icd.json"));
	CHECK(!gpu_driver_file("/usr/bin/nvidia-settings"));
	CHECK(!gpu_driver_file("/lib/firmware/nvidia/gsp.bin"));
	CHECK(!gpu_driver_file("/lib/firmware/nvidia/550.54.14/.bin"));
	CHECK(!gpu_driver_file("/lib/firmware/amdgpu/550/x.bin"));
	CHECK(!gpu_driver_file("firmware/nvidia/550/x.bin"));
	CHECK(!gpu_driver_file("/nvidia/550/x.bin"));
	CHECK(!gpu_driver_file(""));
	CHECK(!gpu_driver_file("/"));
}

static void test_device_name(void)
{
	const char *yes[] = {
		"nvidia0", "nvidia15", "nvidiactl", "nvidia-uvm", "nvidia-uvm-tools",
		"nvidia-modeset", "nvidia-caps/nvidia-cap1",
		"nvidia-caps-imex-channels/channel0", "dri/card0", "dri/card12",
		"dri/renderD128",
	};
	const char *no[] = {
		"nvidia", "nvidia0x", "nvidia-0", "nvidiactl0", "nvidia-uvm1",
		"nvidia-caps", "nvidia-caps/", "nvidia-caps/a/b", "nvidia-caps/..",
		"dri/card", "dri/controlD64", "dri/by-path/pci-0-card", "dri",
		"card0", "renderD128", "null", "fuse", "nvidia-foo", "", "/nvidia0",
	};

	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		CHECK(gpu_device_name(yes[i]));
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		if (gpu_device_name(no[i])) {
			fprintf(stderr, "taken as a device: \"%s\"\n", no[i]);
			CHECK(0);
		}
}

static void test_version(void)
{
	char *v;

	v = gpu_driver_version("libcuda.so.550.54.14");
	CHECK_STR(v, "550.54.14");
	free(v);
	v = gpu_driver_version("libnvidia-ml.so.535.104.05");
	CHECK_STR(v, "535.104.05");
	free(v);
	v = gpu_driver_version("libnvidia-ml.so.575.51");
	CHECK_STR(v, "575.51");
	free(v);
	CHECK(!gpu_driver_version("libcuda.so.1"));
	CHECK(!gpu_driver_version("libcuda.so"));
	CHECK(!gpu_driver_version("libnvidia-ptxjitcompiler.so.550.54.14"));
	CHECK(!gpu_driver_version("libcudart.so.12.4.99"));
	CHECK(!gpu_driver_version("libcuda.so.550.54.14.bak"));
}

static void test_paths(void)
{
	char *p;

	p = gpu_remap("/host/lib/libcuda.so.1", "/host/lib", "/usr/lib64");
	CHECK_STR(p, "/usr/lib64/libcuda.so.1");
	free(p);
	p = gpu_remap("/host/lib/vdpau/x.so", "/host/lib", "/usr/lib");
	CHECK_STR(p, "/usr/lib/vdpau/x.so");
	free(p);
	p = gpu_remap("/host/lib", "/host/lib", "/usr/lib");
	CHECK_STR(p, "/usr/lib");
	free(p);
	/* A prefix that is not a parent. */
	CHECK(!gpu_remap("/usr/lib64/libcuda.so.1", "/usr/lib", "/usr/lib/x86_64-linux-gnu"));
	CHECK(!gpu_remap("/usr/libx", "/usr/lib", "/y"));
	CHECK(!gpu_remap("/usr", "/usr/lib", "/y"));
	p = gpu_remap("/a/b", "/", "/in");
	CHECK_STR(p, "/in/a/b");
	free(p);
	p = gpu_remap("/a/b", "/a", "/");
	CHECK_STR(p, "/b");
	free(p);

	p = gpu_path_clean("/usr//lib/./x86_64-linux-gnu/", NULL);
	CHECK_STR(p, "/usr/lib/x86_64-linux-gnu");
	free(p);
	p = gpu_path_clean("/a/b/../c/..", NULL);
	CHECK_STR(p, "/a");
	free(p);
	p = gpu_path_clean("/../..", NULL);
	CHECK_STR(p, "/");
	free(p);
	p = gpu_path_clean("lib", "/tmp/t");
	CHECK_STR(p, "/tmp/t/lib");
	free(p);
	p = gpu_path_clean("./lib/../dev/", "/tmp/t/");
	CHECK_STR(p, "/tmp/t/dev");
	free(p);
	p = gpu_path_clean("/", NULL);
	CHECK_STR(p, "/");
	free(p);
}

static void test_proc_mounts(void)
{
	const char *mi_text =
		"22 26 0:21 / /proc rw shared:12 - proc proc rw\n"
		"50 22 0:58 / /proc/driver/nvidia rw - tmpfs tmpfs rw\n"
		"51 50 0:21 /x /proc/driver/nvidia/gpus/0000:01:00.0 ro - proc proc rw\n"
		"52 22 0:21 /sys /proc/sys ro - proc proc rw\n"
		"53 22 0:59 / /proc/driver/CUDA-thing rw - tmpfs tmpfs rw\n"
		"54 50 0:21 /y /proc/driver/nvidia/gpus/0000:02:00.0 ro - proc proc rw\n"
		"55 26 0:60 / /srv/proc/nvidia rw - tmpfs tmpfs rw\n"
		"56 26 0:61 / /procnvidia rw - tmpfs tmpfs rw\n"
		"57 22 0:62 / /proc/vulkan\\040x rw - tmpfs tmpfs rw\n";
	struct mountinfo mi;
	const char **v;
	size_t n;
	eb_err e;

	CHECK(mountinfo_parse(&mi, mi_text, strlen(mi_text), "t", &e) == 0);
	gpu_proc_mounts(&mi, &v, &n);
	CHECK(n == 5);
	if (n == 5) {
		/* Deepest first; among equals, the later-mounted first. */
		CHECK_STR(v[0], "/proc/driver/nvidia/gpus/0000:02:00.0");
		CHECK_STR(v[1], "/proc/driver/nvidia/gpus/0000:01:00.0");
		CHECK_STR(v[2], "/proc/driver/CUDA-thing");
		CHECK_STR(v[3], "/proc/driver/nvidia");
		CHECK_STR(v[4], "/proc/vulkan x");
	}
	free(v);
	mountinfo_free(&mi);
}

/* ---- the scan over a tree made here ------------------------------------ */

static char tmp[256];

static void mk(const char *rel)
{
	char path[512], *slash;
	int fd;

	snprintf(path, sizeof path, "%s/%s", tmp, rel);
	for (slash = strchr(path + strlen(tmp) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		mkdir(path, 0755);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
}

static void ln(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", tmp, rel);
	CHECK(symlink(target, path) == 0);
}

struct warns {
	char *all;
	int n;
};

static void on_warn(void *ctx, const char *msg)
{
	struct warns *w = ctx;
	char *all = xasprintf("%s%s\n", w->all ? w->all : "", msg);

	free(w->all);
	w->all = all;
	w->n++;
}

/* The binds as "SRC-relative-to-tmp DST FROM" lines. */
static char *binds_text(const struct gpu_result *r)
{
	buf b = { 0 };

	for (size_t i = 0; i < r->nbind; i++) {
		const char *src = r->bind[i].src;

		if (!strncmp(src, tmp, strlen(tmp)))
			src += strlen(tmp);
		buf_printf(&b, "%s %s %s\n", src, r->bind[i].dst, gpu_from_name(r->bind[i].from));
	}
	return buf_steal(&b);
}

static void test_scan(void)
{
	char lib[300], dev[300], fw[300], bin[300], mnt[300], *text, *mi_text, *want;
	const char *bins[] = { bin, NULL };
	char *env[] = {
		"PATH=/bin", "NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
		"my_nvidia_thing=x y", "NVIDIA_VISIBLE_DEVICES=second", "NV_X=1",
		"BAD_NVIDIA=line\nbreak", NULL,
	};
	struct warns w = { 0 };
	struct mountinfo mi;
	struct gpu_result r;
	struct gpu_opts o;
	eb_err e;

	snprintf(tmp, sizeof tmp, "/tmp/test_gpu.XXXXXX");
	CHECK(mkdtemp(tmp) != NULL);
	snprintf(lib, sizeof lib, "%s/lib", tmp);
	snprintf(dev, sizeof dev, "%s/dev", tmp);
	snprintf(fw, sizeof fw, "%s/fw", tmp);
	snprintf(bin, sizeof bin, "%s/bin", tmp);
	snprintf(mnt, sizeof mnt, "%s/mnt", tmp);

	mk("lib/libcuda.so.550.54.14");
	ln("libcuda.so.550.54.14", "lib/libcuda.so.1");
	ln("libcuda.so.1", "lib/libcuda.so");
	mk("lib/libglib-2.0.so.0");
	mk("lib/cuda/libfoo.so");
	mk("lib/sub/libnvidia-ml.so.550.54.14");
	ln("/usr/lib/x86_64-linux-gnu/sub/libnvidia-ml.so.550.54.14", "lib/sub/libnvidia-ml.so.1");
	ln("../../escape/libnvidia-esc.so.1", "lib/libnvidia-esc.so");
	ln("libnvidia-loop.so.2", "lib/libnvidia-loop.so.1");
	ln("libnvidia-loop.so.1", "lib/libnvidia-loop.so.2");
	ln("missing/libnvidia-gone.so.1", "lib/libnvidia-gone.so");
	ln("sub", "lib/cur");
	ln("cur/../libcuda.so.1", "lib/libcuda-via-dir.so");
	ln("libcuda-via-dir.so", "lib/libnvidia-via.so.1");
	ln(".", "lib/libnvidia-dot.so");
	mk("lib/with space/libnvidia-x.so.1");
	mk("lib/firmware/nvidia/550.54.14/gsp_b.bin");
	mk("fw/nvidia/550.54.14/gsp_a.bin");
	mk("fw/nvidia/1.2.3/gsp_old.bin");
	mk("bin/nvidia-smi");
	mk("dev/nvidia0"); /* a regular file: not a device */
	mk("mnt/libcuda.so.550.54.14");
	ln("libcuda.so.550.54.14", "mnt/libcuda.so.1");
	ln("libcuda.so.1", "mnt/libcuda.so");
	ln("libother.so.1", "mnt/libother.so");

	mi_text = xasprintf(
		"26 1 259:2 / / rw shared:1 - ext4 /dev/x rw\n"
		"40 26 259:2 /usr/lib/x86_64-linux-gnu %s ro master:3 - ext4 /dev/x rw\n"
		"41 26 259:2 /libcuda %s/libcuda.so.550.54.14 ro - ext4 /dev/x rw\n"
		"42 26 259:2 /libcuda %s/libcuda.so.1 ro - ext4 /dev/x rw\n"
		"43 26 0:5 /nvidia0 /dev/nvidia0 rw - devtmpfs udev rw\n"
		"44 26 0:21 /x /proc/driver/nvidia/libcuda.so.1 rw - proc proc rw\n",
		lib, mnt, lib);
	CHECK(mountinfo_parse(&mi, mi_text, strlen(mi_text), "t", &e) == 0);

	o = (struct gpu_opts){
		.usr_lib_dir = lib, .inner_lib_dir = "/usr/lib64", .mi = &mi,
		.dev_root = dev, .firmware_dir = fw, .bin_dirs = bins,
		.environ = env, .warn = on_warn, .warn_ctx = &w,
	};
	CHECK(gpu_scan(&o, &r, &e) == 0);
	text = binds_text(&r);
	want = xasprintf(
		"/fw/nvidia/550.54.14/gsp_a.bin /lib/firmware/nvidia/550.54.14/gsp_a.bin firmware\n"
		"/lib/firmware/nvidia/550.54.14/gsp_b.bin /lib/firmware/nvidia/550.54.14/gsp_b.bin firmware\n"
		"/mnt/libcuda.so %s/libcuda.so link\n"
		"/mnt/libcuda.so.1 %s/libcuda.so.1 link\n"
		"/mnt/libcuda.so.550.54.14 %s/libcuda.so.550.54.14 mount\n"
		"/bin/nvidia-smi /usr/bin/nvidia-smi tool\n"
		"/lib/libcuda-via-dir.so /usr/lib64/libcuda-via-dir.so library\n"
		"/lib/libcuda.so /usr/lib64/libcuda.so link\n"
		"/lib/libcuda.so.1 /usr/lib64/libcuda.so.1 mount\n"
		"/lib/libcuda.so.550.54.14 /usr/lib64/libcuda.so.550.54.14 library\n"
		"/lib/libnvidia-via.so.1 /usr/lib64/libnvidia-via.so.1 library\n"
		/* A link to the host's path: bound from the file it leads to. */
		"/lib/sub/libnvidia-ml.so.550.54.14 /usr/lib64/sub/libnvidia-ml.so.1 library\n"
		"/lib/sub/libnvidia-ml.so.550.54.14 /usr/lib64/sub/libnvidia-ml.so.550.54.14 library\n",
		mnt, mnt, mnt);
	CHECK_STR(text, want);
	free(text);
	free(want);

	CHECK(r.ndev == 0);
	CHECK(r.nversion == 1 && !strcmp(r.version[0], "550.54.14"));
	CHECK(r.nenv == 3);
	if (r.nenv == 3) {
		CHECK_STR(r.env[0].name, "NVIDIA_DRIVER_CAPABILITIES");
		CHECK_STR(r.env[1].name, "NVIDIA_VISIBLE_DEVICES");
		CHECK_STR(r.env[1].value, "all");
		CHECK_STR(r.env[2].name, "my_nvidia_thing");
		CHECK_STR(r.env[2].value, "x y");
	}
	CHECK(w.all && strstr(w.all, "/lib/libnvidia-esc.so -> ../../escape/libnvidia-esc.so.1 leads out of"));
	CHECK(w.all && strstr(w.all, "/lib/libnvidia-loop.so.1") && strstr(w.all, "symlink loop"));
	CHECK(w.all && strstr(w.all, "/lib/libnvidia-gone.so -> missing/libnvidia-gone.so.1: dangling link"));
	CHECK(w.all && strstr(w.all, "/lib/libnvidia-dot.so -> . leads to a directory"));
	CHECK(w.all && strstr(w.all, "with space/libnvidia-x.so.1") && strstr(w.all, "contains whitespace"));
	CHECK(w.all && strstr(w.all, "/dev/nvidia0 is not a character device"));
	CHECK(w.all && strstr(w.all, "variable BAD_NVIDIA: value contains a newline"));
	CHECK(w.all && !strstr(w.all, "line\nbreak"));
	CHECK(w.n == 7);
	if (w.n != 7)
		fprintf(stderr, "warnings:\n%s", w.all ? w.all : "");
	gpu_result_free(&r);
	free(w.all);
	w = (struct warns){ 0 };

	/* Without the mount table the directory is the host's /usr/lib: the
	 * link's target is looked for at DIR/x86_64-linux-gnu/sub/... */
	o.mi = NULL;
	o.environ = NULL;
	CHECK(gpu_scan(&o, &r, &e) == 0);
	CHECK(w.all && strstr(w.all, "/lib/sub/libnvidia-ml.so.1 -> /usr/lib/x86_64-linux-gnu/sub/libnvidia-ml.so.550.54.14: dangling link"));
	CHECK(r.nenv == 0);
	gpu_result_free(&r);
	free(w.all);
	w = (struct warns){ 0 };

	/* The host's /usr/lib mounted at DIR (no mount table): an absolute
	 * target is re-rooted at DIR, and every link of a chain through one is
	 * bound from the file in DIR, never from this machine's /usr/lib. */
	mk("host/x86_64-linux-gnu/libEGL_mesa.so.0");
	ln("/usr/lib/x86_64-linux-gnu/libEGL_mesa.so.0", "host/x86_64-linux-gnu/libEGL.so.1");
	ln("libEGL.so.1", "host/x86_64-linux-gnu/libEGL.so");
	ln("libEGL.so.1", "host/x86_64-linux-gnu/libGL.so.1"); /* judged after libEGL.so.1 */
	mk("host/x86_64-linux-gnu/libcuda.so.550.54.14");
	ln("libcuda.so.550.54.14", "host/x86_64-linux-gnu/libcuda.so.1");
	/* Targets that cannot be mapped, or leave DIR. */
	ln("/opt/vendor/libGLESv2.so.2", "host/x86_64-linux-gnu/libGLESv2.so.2");
	ln("/usr/lib64/libGLdispatch.so.0", "host/x86_64-linux-gnu/libGLdispatch.so.0");
	ln("/usr/lib/../../etc/passwd", "host/x86_64-linux-gnu/libGLX.so.0");
	ln("../../etc/passwd", "host/x86_64-linux-gnu/libOpenGL.so.0");
	ln("../x86_64-linux-gnu/../../lib/libnvidia-ml.so.1", "host/x86_64-linux-gnu/libnvidia-ml.so.1");
	{
		char host[300];

		snprintf(host, sizeof host, "%s/host", tmp);
		o = (struct gpu_opts){
			.usr_lib_dir = host, .inner_lib_dir = "/usr/lib",
			.dev_root = dev, .firmware_dir = "/nonexistent", .bin_dirs = bins,
			.warn = on_warn, .warn_ctx = &w,
		};
		w = (struct warns){ 0 };
		CHECK(gpu_scan(&o, &r, &e) == 0);
		text = binds_text(&r);
		CHECK_STR(text,
			  "/bin/nvidia-smi /usr/bin/nvidia-smi tool\n"
			  "/host/x86_64-linux-gnu/libEGL_mesa.so.0 /usr/lib/x86_64-linux-gnu/libEGL.so library\n"
			  "/host/x86_64-linux-gnu/libEGL_mesa.so.0 /usr/lib/x86_64-linux-gnu/libEGL.so.1 library\n"
			  "/host/x86_64-linux-gnu/libEGL_mesa.so.0 /usr/lib/x86_64-linux-gnu/libEGL_mesa.so.0 library\n"
			  "/host/x86_64-linux-gnu/libEGL_mesa.so.0 /usr/lib/x86_64-linux-gnu/libGL.so.1 library\n"
			  "/host/x86_64-linux-gnu/libcuda.so.1 /usr/lib/x86_64-linux-gnu/libcuda.so.1 library\n"
			  "/host/x86_64-linux-gnu/libcuda.so.550.54.14 /usr/lib/x86_64-linux-gnu/libcuda.so.550.54.14 library\n");
		free(text);
		CHECK(w.all && strstr(w.all, "/host/x86_64-linux-gnu/libGLESv2.so.2 -> /opt/vendor/libGLESv2.so.2 leads out of"));
		CHECK(w.all && strstr(w.all, "/host/x86_64-linux-gnu/libGLdispatch.so.0 -> /usr/lib64/libGLdispatch.so.0 leads out of"));
		CHECK(w.all && strstr(w.all, "/host/x86_64-linux-gnu/libGLX.so.0 -> /usr/lib/../../etc/passwd leads out of"));
		CHECK(w.all && strstr(w.all, "/host/x86_64-linux-gnu/libOpenGL.so.0 -> ../../etc/passwd leads out of"));
		CHECK(w.all && strstr(w.all, "/host/x86_64-linux-gnu/libnvidia-ml.so.1 -> ../x86_64-linux-gnu/../../lib/libnvidia-ml.so.1 leads out of"));
		CHECK(w.n == 6); /* and dev/nvidia0, a regular file */
		if (w.n != 6)
			fprintf(stderr, "warnings:\n%s", w.all ? w.all : "");
		gpu_result_free(&r);
		free(w.all);
		w = (struct warns){ 0 };
		o.usr_lib_dir = lib;
		o.inner_lib_dir = "/usr/lib64";
		o.firmware_dir = fw;
	}

	/* A missing library directory or dev root is an error naming it. */
	o.usr_lib_dir = "/nonexistent/lib";
	CHECK(gpu_scan(&o, &r, &e) < 0);
	CHECK(strstr(e.msg, "/nonexistent/lib") != NULL);
	o.usr_lib_dir = lib;
	o.dev_root = "/nonexistent/dev";
	CHECK(gpu_scan(&o, &r, &e) < 0);
	CHECK(strstr(e.msg, "/nonexistent/dev") != NULL);
	free(w.all);

	mountinfo_free(&mi);
	free(mi_text);
	{
		char *cmd = xasprintf("rm -rf '%s'", tmp);

		CHECK(system(cmd) == 0);
		free(cmd);
	}
}

int main(void)
{
	test_library();
	test_driver_file();
	test_device_name();
	test_version();
	test_paths();
	test_proc_mounts();
	test_scan();
	return check_done("test_gpu");
}
