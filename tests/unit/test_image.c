/* test_image: the pure parts of lib/pull, lib/probe, lib/probefile and
 * lib/probecache — the pull-fault classifier on messages dockerd 20.10
 * really sends, backoff, secret masking, paths inside an image, the
 * probe's output, whether init is systemd, and its cache file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "b64.h"
#include "check.h"
#include "osrelease.h"
#include "probe.h"
#include "probecache.h"
#include "probefile.h"
#include "pull.h"

static void faults(void)
{
	static const struct {
		const char *msg;
		enum pull_fault want;
	} tab[] = {
		/* What dockerd 20.10 answered in tests/docker-image.bats. */
		{ "manifest for 127.0.0.1:5555/test/nope:v1 not found: manifest unknown: manifest unknown (HTTP 404)",
		  PULL_FAULT_NOTFOUND },
		{ "Get \"http://127.0.0.1:5556/v2/\": dial tcp 127.0.0.1:5556: connect: connection refused (HTTP 500)",
		  PULL_FAULT_OTHER },
		{ "Head \"http://127.0.0.1:5557/v2/priv/img/manifests/v1\": no basic auth credentials (HTTP 500)",
		  PULL_FAULT_AUTH },
		{ "unauthorized: authentication required (HTTP 500)", PULL_FAULT_AUTH },
		/* Certificates, from Go's crypto/x509 and crypto/tls. */
		{ "Get \"https://registry.envbox.test:5443/v2/\": x509: certificate signed by unknown authority (HTTP 500)",
		  PULL_FAULT_CERT },
		{ "Get \"https://r:5443/v2/\": tls: failed to verify certificate: x509: certificate is not valid for any names",
		  PULL_FAULT_CERT },
		{ "x509: certificate is valid for a.example, not registry.envbox.test", PULL_FAULT_CERT },
		{ "x509: certificate has expired or is not yet valid", PULL_FAULT_CERT },
		{ "remote error: tls: bad certificate", PULL_FAULT_CERT },
		/* Docker Hub and the distribution spec's error codes. */
		{ "pull access denied for private/x, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
		  PULL_FAULT_AUTH },
		{ "denied: requested access to the resource is denied", PULL_FAULT_AUTH },
		{ "received unexpected HTTP status: 403 Forbidden", PULL_FAULT_AUTH },
		{ "UNAUTHORIZED: Authentication Required", PULL_FAULT_AUTH },
		{ "name unknown: repository name not known to registry", PULL_FAULT_NOTFOUND },
		/* Disk full wins over anything else in the message. */
		{ "failed to register layer: Error processing tar file(exit status 1): write /big: no space left on device",
		  PULL_FAULT_NOSPACE },
		{ "unauthorized: x509: no space left on device", PULL_FAULT_NOSPACE },
		/* Worth retrying. */
		{ "failed to register layer: open /var/lib/docker/tmp/x: permission denied: busy",
		  PULL_FAULT_OTHER },
		{ "toomanyrequests: You have reached your pull rate limit", PULL_FAULT_OTHER },
		{ "received unexpected HTTP status: 503 Service Unavailable", PULL_FAULT_OTHER },
		{ "unexpected EOF", PULL_FAULT_OTHER },
		{ "Get \"https://r/v2/\": net/http: TLS handshake timeout", PULL_FAULT_OTHER },
		{ "dial tcp: lookup registry.example on 10.0.0.10:53: no such host", PULL_FAULT_OTHER },
		{ "POST /images/create?fromImage=x&tag=y: cannot connect to /var/run/docker.sock: Connection refused",
		  PULL_FAULT_OTHER },
		{ "", PULL_FAULT_OTHER },
	};

	for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
		enum pull_fault got = image_pull_fault(tab[i].msg);

		CHECK(got == tab[i].want);
		if (got != tab[i].want)
			fprintf(stderr, "  fault of \"%s\": got %d, want %d\n",
				tab[i].msg, got, tab[i].want);
	}
}

static void backoff(void)
{
	CHECK(image_backoff_ms(1) == 1000);
	CHECK(image_backoff_ms(2) == 2000);
	CHECK(image_backoff_ms(3) == 3000);
	CHECK(image_backoff_ms(4) == 3000);
	CHECK(image_backoff_ms(1000) == 3000);
	CHECK(image_backoff_ms(0) == 1000);
}

static char *header(const char *json, enum b64_alphabet a)
{
	return b64_encode(json, strlen(json), a);
}

static void mask(void)
{
	char *h = header("{\"username\":\"alice\",\"password\":\"s3cret>PW?\",\"serveraddress\":\"r:5000\"}",
			 B64_URL);
	char msg[256];

	snprintf(msg, sizeof msg, "alice:s3cret>PW? refused; header %s; again s3cret>PW?", h);
	image_mask_secrets(msg, sizeof msg, h);
	CHECK_STR(msg, "alice:*** refused; header ***; again ***");
	free(h);

	/* The standard alphabet too; an identity token. */
	h = header("{\"identitytoken\":\"tok-123456\",\"serveraddress\":\"r\"}", B64_STD);
	snprintf(msg, sizeof msg, "token tok-123456 expired");
	image_mask_secrets(msg, sizeof msg, h);
	CHECK_STR(msg, "token *** expired");
	free(h);

	/* A password of three bytes would garble everything: kept. */
	h = header("{\"username\":\"u\",\"password\":\"abc\"}", B64_URL);
	snprintf(msg, sizeof msg, "abcdef");
	image_mask_secrets(msg, sizeof msg, h);
	CHECK_STR(msg, "abcdef");
	free(h);

	/* Not base64, not JSON, none: only the value itself is masked. */
	snprintf(msg, sizeof msg, "see not!base64 here");
	image_mask_secrets(msg, sizeof msg, "not!base64");
	CHECK_STR(msg, "see *** here");
	image_mask_secrets(msg, sizeof msg, NULL);
	CHECK_STR(msg, "see *** here");
	image_mask_secrets(msg, sizeof msg, "");
	CHECK_STR(msg, "see *** here");
}

static void paths(void)
{
	static const struct {
		const char *in, *want;
	} clean[] = {
		{ "/", "/" },
		{ "", "/" },
		{ "//a/./b/../c/", "/a/c" },
		{ "/../../x", "/x" },
		{ "/a/b/../../..", "/" },
		{ "a/b", "/a/b" },
		{ "/etc/../usr/lib/os-release", "/usr/lib/os-release" },
		{ "/a/..b/.c", "/a/..b/.c" },
	};
	static const struct {
		const char *path, *target, *want;
	} links[] = {
		/* systemd images: /etc/os-release -> ../usr/lib/os-release */
		{ "/etc/os-release", "../usr/lib/os-release", "/usr/lib/os-release" },
		{ "/sbin/init", "/lib/systemd/systemd", "/lib/systemd/systemd" },
		{ "/usr/sbin/init", "../lib/systemd/systemd", "/usr/lib/systemd/systemd" },
		{ "/bin/sh", "busybox", "/bin/busybox" },
		/* ".." never leaves the image. */
		{ "/a", "../../../../x", "/x" },
		{ "/a/b", "./c/", "/a/c" },
		{ "/x", "//y//z/", "/y/z" },
		{ "/sbin/init", "/", "/" },
	};

	for (size_t i = 0; i < sizeof clean / sizeof *clean; i++) {
		char *got = image_path_clean(clean[i].in);

		CHECK_STR(got, clean[i].want);
		free(got);
	}
	for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
		char *got = image_link_target(links[i].path, links[i].target);

		CHECK_STR(got, links[i].want);
		free(got);
	}
	CHECK(image_link_target("/a", "") == NULL);
	CHECK(image_link_target("/a", NULL) == NULL);
}

static void format(void)
{
	struct image_info i = {
		.uid = 1000, .gid = 1001, .home = "/home/coder", .init = true,
		.os = "debian", .libdir = "/usr/lib/x86_64-linux-gnu",
	};
	buf b = { 0 };
	eb_err e;

	CHECK(image_info_format(&i, false, &b, &e) == 0);
	CHECK_STR(b.p, "uid 1000\ngid 1001\nhome /home/coder\ninit yes\nsystemd no\n"
		  "os debian\nlibdir /usr/lib/x86_64-linux-gnu\n");
	buf_reset(&b);
	CHECK(image_info_format(&i, true, &b, &e) == 0);
	CHECK_STR(b.p, "{\"uid\":1000,\"gid\":1001,\"home\":\"/home/coder\",\"init\":true,"
		  "\"systemd\":false,\"os\":\"debian\","
		  "\"libdir\":\"/usr/lib/x86_64-linux-gnu\"}\n");

	/* An init that is systemd: its own line, after init's. */
	i.systemd = true;
	buf_reset(&b);
	CHECK(image_info_format(&i, false, &b, &e) == 0);
	CHECK_STR(b.p, "uid 1000\ngid 1001\nhome /home/coder\ninit yes\nsystemd yes\n"
		  "os debian\nlibdir /usr/lib/x86_64-linux-gnu\n");
	buf_reset(&b);
	CHECK(image_info_format(&i, true, &b, &e) == 0);
	CHECK(strstr(b.p, "\"init\":true,\"systemd\":true,\"os\":\"debian\"") != NULL);
	i.systemd = false;

	/* A home that is not one word: refused as a line, fine as JSON. */
	i.home = "/home/my user";
	i.init = false;
	buf_reset(&b);
	CHECK(image_info_format(&i, false, &b, &e) < 0);
	CHECK(strstr(e.msg, "\"/home/my user\"") != NULL);
	buf_reset(&b);
	CHECK(image_info_format(&i, true, &b, &e) == 0);
	CHECK(strstr(b.p, "\"home\":\"/home/my user\",\"init\":false") != NULL);
	i.home = "/a\nb";
	buf_reset(&b);
	CHECK(image_info_format(&i, false, &b, &e) < 0);
	i.home = "";
	CHECK(image_info_format(&i, false, &b, &e) < 0);
	buf_free(&b);
}

static void cache(void)
{
	struct image_info i = {
		.uid = 1000, .gid = 1001, .home = "/home/my coder", .init = true,
		.os = "rocky", .os_like = "rhel centos fedora",
	}, got;
	const char *lines = "envbox-probe 2\nuser coder\nuid 1000\ngid 1001\n"
			    "home /home/my coder\ninit yes\nsystemd no\nos rocky\n"
			    "os_like rhel centos fedora\n";
	static const char *const bad[] = {
		"",
		/* The format before systemd's line, and its magic: a miss,
		 * probed again. */
		"envbox-probe 1\nuser coder\nuid 1\ngid 1\nhome /h\ninit no\nos x\nos_like \n",
		"envbox-probe 1\nuser coder\nuid 1\ngid 1\nhome /h\ninit no\nsystemd no\nos x\nos_like \n",
		"envbox-probe 2\nuser coder\nuid 1\ngid 1\nhome /h\ninit no\nos x\nos_like \n",
		"envbox-probe 3\nuser coder\nuid 1\ngid 1\nhome /h\ninit no\nsystemd no\nos x\nos_like \n",
		"envbox-probe 2\nuser coder\nuid 1\ngid 1\nhome /h\ninit no\nsystemd no\nos x\n",
		"envbox-probe 2\nuser coder\nuid 1\ngid 1\nhome /h\ninit no\nsystemd no\nos x\nos_like \nmore\n",
		"envbox-probe 2\nuser coder\nuid -1\ngid 1\nhome /h\ninit no\nsystemd no\nos x\nos_like \n",
		"envbox-probe 2\nuser coder\nuid 99999999999\ngid 1\nhome /h\ninit no\nsystemd no\nos x\nos_like \n",
		"envbox-probe 2\nuser coder\nuid 1\ngid 1\nhome h\ninit no\nsystemd no\nos x\nos_like \n",
		"envbox-probe 2\nuser coder\nuid 1\ngid 1\nhome /h\ninit maybe\nsystemd no\nos x\nos_like \n",
		"envbox-probe 2\nuser coder\nuid 1\ngid 1\nhome /h\ninit no\nsystemd maybe\nos x\nos_like \n",
		"envbox-probe 2\nuser coder\nuid 1\ngid 1\nhome /h\ninit no\nsystemd \nos x\nos_like \n",
		"envbox-probe 2\nuser coder\nuid 1\ngid 1\nhome /h\ninit no\nsystemd YES\nos x\nos_like \n",
		"envbox-probe 2\nuser coder\nuid 1\ngid 1\nhome /h\nsystemd no\ninit no\nos x\nos_like \n",
		"envbox-probe 2\nuser coder\nuid 1\ngid 1\nhome /h\ninit no\nsystemd no\nos X Y\nos_like \n",
		"envbox-probe 2\nuser coder\ngid 1\nuid 1\nhome /h\ninit no\nsystemd no\nos x\nos_like \n",
		"envbox-probe 2\nuser coder\nuid 1\ngid 1\nhome /h\ninit no\nsystemd no\nos x\nos_like ",
	};
	buf b = { 0 };

	CHECK(image_cache_format(&i, "coder", &b) == 0);
	CHECK_STR(b.p, lines);
	CHECK(image_cache_parse(b.p, b.len, "coder", &got) == 0);
	CHECK(got.uid == 1000 && got.gid == 1001 && got.init && !got.systemd);
	CHECK_STR(got.home, "/home/my coder");
	CHECK_STR(got.os, "rocky");
	CHECK_STR(got.os_like, "rhel centos fedora");
	/* libdir is derived again, from ID_LIKE here. */
	CHECK_STR(got.libdir, osrelease_libdir("rocky", "rhel centos fedora"));
	image_info_free(&got);
	/* Another user: a miss. */
	CHECK(image_cache_parse(b.p, b.len, "root", &got) < 0);
	/* A NUL inside a value: a miss. */
	b.p[strlen("envbox-probe 2\nuser co")] = 0;
	CHECK(image_cache_parse(b.p, b.len, "co", &got) < 0);
	for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
		CHECK(image_cache_parse(bad[k], strlen(bad[k]), "coder", &got) < 0);
		CHECK(got.home == NULL && got.os == NULL);
	}
	/* A systemd image: the line says yes, and reads back. */
	i.systemd = true;
	buf_reset(&b);
	CHECK(image_cache_format(&i, "coder", &b) == 0);
	CHECK(strstr(b.p, "\ninit yes\nsystemd yes\nos rocky\n") != NULL);
	CHECK(image_cache_parse(b.p, b.len, "coder", &got) == 0);
	CHECK(got.init && got.systemd);
	CHECK_STR(got.os, "rocky");
	CHECK_STR(got.os_like, "rhel centos fedora");
	image_info_free(&got);
	/* No ID_LIKE: an empty os_like line, NULL again on reading. */
	i.os_like = NULL;
	i.init = false;
	i.systemd = false;
	buf_reset(&b);
	CHECK(image_cache_format(&i, "1000", &b) == 0);
	CHECK(image_cache_parse(b.p, b.len, "1000", &got) == 0);
	CHECK(got.os_like == NULL && !got.init && !got.systemd);
	image_info_free(&got);
	/* Values that cannot be lines are not kept. */
	buf_reset(&b);
	CHECK(image_cache_format(&i, "a\nb", &b) < 0);
	i.home = "/a\nb";
	CHECK(image_cache_format(&i, "coder", &b) < 0);
	buf_free(&b);
}

/* /sbin/init's links led to target: systemd only by the file's name. */
static void systemd_init(void)
{
	static const struct {
		const char *target;
		bool want;
	} tab[] = {
		{ "/lib/systemd/systemd", true },
		{ "/usr/lib/systemd/systemd", true },
		{ "/sbin/init", false },
		{ "/bin/busybox", false },
		/* Targets are absolute: a bare name is none. */
		{ "systemd", false },
		{ "/lib/systemd/systemd-shim", false },
		{ "/lib/systemd/", false },
		{ "/usr/lib/systemd/systemd/", false },
		{ "/", false },
		{ "", false },
		{ NULL, false },
	};

	for (size_t k = 0; k < sizeof tab / sizeof *tab; k++) {
		bool got = init_is_systemd(tab[k].target);

		CHECK(got == tab[k].want);
		if (got != tab[k].want)
			fprintf(stderr, "  init_is_systemd(\"%s\"): got %d\n",
				tab[k].target ? tab[k].target : "(null)", got);
	}
}

/* The cache file on disk: its name from the image ID, written and read
 * back, the directory's other probe files removed, a bad ID no file. */
static void cache_file(void)
{
	struct image_info i = {
		.uid = 1000, .gid = 1000, .home = "/home/coder", .os = "debian",
	}, got;
	char tmpl[] = "/tmp/test_image.XXXXXX";
	char *root = mkdtemp(tmpl), *dir, *file, *old;
	eb_err e;
	FILE *f;

	CHECK(root != NULL);
	if (!root)
		return;
	dir = xasprintf("%s/cache", root);
	CHECK(image_cache_file(dir, "sha256:zz") == NULL);
	CHECK(image_cache_file(dir, "sha256") == NULL);
	CHECK(image_cache_file(dir, "SHA256:ab") == NULL);
	old = image_cache_file(dir, "sha256:00");
	file = image_cache_file(dir, "sha256:ab12");
	CHECK_STR(strrchr(file, '/'), "/probe-sha256-ab12");
	CHECK(image_cache_read(file, "coder", &got) < 0); /* no file: a miss */
	CHECK(image_cache_write(dir, old, "coder", &i, &e) == 0);
	CHECK(image_cache_write(dir, file, "coder", &i, &e) == 0);
	CHECK(access(old, F_OK) < 0); /* one file: the last image probed */
	CHECK(image_cache_read(file, "coder", &got) == 0);
	CHECK(got.uid == 1000 && !got.init);
	CHECK_STR(got.home, "/home/coder");
	image_info_free(&got);
	CHECK(image_cache_read(file, "root", &got) < 0);
	/* Values that cannot be lines: refused, with nothing to say. */
	i.home = "/a\nb";
	CHECK(image_cache_write(dir, file, "coder", &i, &e) < 0 && !e.msg[0]);
	/* A directory that cannot be made: refused, saying why. */
	if ((f = fopen(old, "w")))
		fclose(f);
	free(old);
	old = xasprintf("%s/cache/probe-sha256-00/sub", root);
	CHECK(image_cache_write(old, old, "coder", &(struct image_info){
		.home = "/h", .os = "x" }, &e) < 0 && strstr(e.msg, "probe cache "));
	free(old);
	free(file);
	old = xasprintf("rm -rf '%s'", root);
	CHECK(system(old) == 0);
	free(old);
	free(dir);
}

int main(void)
{
	faults();
	backoff();
	mask();
	paths();
	format();
	cache();
	systemd_init();
	cache_file();
	return check_done("test_image");
}
