/* Unit tests for lib/imageref: Docker's normalisation and its errors. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "imageref.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Parses s and compares every field; want_digest/want_tag may be NULL. */
static void ok(const char *s, const char *reg, const char *repo,
	       const char *tag, const char *digest)
{
	struct imageref r;
	eb_err e = { "" };
	int rc = imageref_parse(s, &r, &e);

	CHECK(rc == 0);
	if (rc) {
		fprintf(stderr, "  %s: %s\n", s, e.msg);
		return;
	}
	CHECK_STR(r.registry, reg);
	CHECK_STR(r.repo, repo);
	CHECK_STR(r.tag, tag);
	CHECK_STR(r.digest, digest);
	imageref_free(&r);
}

/* Expects an error whose message contains want. */
static void bad(const char *s, const char *want)
{
	struct imageref r;
	eb_err e = { "" };
	int rc = imageref_parse(s, &r, &e);

	CHECK(rc == -1);
	if (rc == 0) {
		fprintf(stderr, "  \"%s\" parsed, want an error\n", s ? s : "(null)");
		imageref_free(&r);
		return;
	}
	CHECK(strstr(e.msg, want) != NULL);
	if (!strstr(e.msg, want))
		fprintf(stderr, "  \"%s\": message \"%s\" lacks \"%s\"\n", s, e.msg, want);
	CHECK(r.registry == NULL && r.repo == NULL && r.tag == NULL && r.digest == NULL);
}

static void str(const char *s, const char *want)
{
	struct imageref r;

	if (imageref_parse(s, &r, NULL)) {
		CHECK(!"parse failed");
		return;
	}
	char *got = imageref_string(&r);
	CHECK_STR(got, want);
	free(got);
	imageref_free(&r);
}

static void norm(const char *key, const char *want)
{
	char *got = registry_normalize(key);

	CHECK_STR(got, want);
	free(got);
}

static void test_docker_hub(void)
{
	ok("ubuntu", "docker.io", "library/ubuntu", "latest", NULL);
	ok("ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", NULL);
	ok("coder/envbox", "docker.io", "coder/envbox", "latest", NULL);
	ok("docker.io/ubuntu", "docker.io", "library/ubuntu", "latest", NULL);
	ok("index.docker.io/ubuntu", "docker.io", "library/ubuntu", "latest", NULL);
	ok("docker.io/library/ubuntu:x", "docker.io", "library/ubuntu", "x", NULL);
	ok("index.docker.io/coder/envbox", "docker.io", "coder/envbox", "latest", NULL);
	/* docker keeps registry-1.docker.io as its own registry name */
	ok("registry-1.docker.io/ubuntu", "registry-1.docker.io", "ubuntu", "latest", NULL);
	ok("a/b/c/d", "docker.io", "a/b/c/d", "latest", NULL);
	/* no slash: "localhost" and "host:5000" are names with tags */
	ok("localhost", "docker.io", "library/localhost", "latest", NULL);
	ok("localhost:5000", "docker.io", "library/localhost", "5000", NULL);
}

static void test_registries(void)
{
	ok("localhost/img", "localhost", "img", "latest", NULL);
	ok("localhost:5000/img", "localhost:5000", "img", "latest", NULL);
	ok("registry.example.com:5443/ns/img:v1", "registry.example.com:5443", "ns/img", "v1", NULL);
	ok("ghcr.io/coder/envbox:0.6.0", "ghcr.io", "coder/envbox", "0.6.0", NULL);
	ok("host:5000/a/b/c", "host:5000", "a/b/c", "latest", NULL);
	ok("127.0.0.1:5000/img", "127.0.0.1:5000", "img", "latest", NULL);
	ok("[::1]:5000/img:t", "[::1]:5000", "img", "t", NULL);
	ok("[fe80::1]/img", "[fe80::1]", "img", "latest", NULL);
	ok("my-reg.example/img", "my-reg.example", "img", "latest", NULL);
	/* an uppercase first component is a domain (distribution/reference) */
	ok("Registry/img", "Registry", "img", "latest", NULL);
	ok("Reg.Example.COM/img", "Reg.Example.COM", "img", "latest", NULL);
	/* not a registry: no '.', ':' and not localhost */
	ok("myhost/img", "docker.io", "myhost/img", "latest", NULL);
	ok("localhostx/img", "docker.io", "localhostx/img", "latest", NULL);
}

static void test_digests(void)
{
	ok("img@sha256:" HEX64, "docker.io", "library/img", NULL, "sha256:" HEX64);
	ok("img:tag@sha256:" HEX64, "docker.io", "library/img", "tag", "sha256:" HEX64);
	ok("host:5000/img@sha256:" HEX64, "host:5000", "img", NULL, "sha256:" HEX64);
	ok("host:5000/img:1@sha256:" HEX64, "host:5000", "img", "1", "sha256:" HEX64);
	ok("img@sha512:" HEX64 HEX64, "docker.io", "library/img", NULL, "sha512:" HEX64 HEX64);
	bad("img@sha256:" HEX64 "0", "64 hex digits");
	bad("img@sha256:abc", "64 hex digits");
	bad("img@sha256:", "64 hex digits");
	bad("img@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
	    "lowercase hex");
	bad("img@sha256:g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    "lowercase hex");
	bad("img@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm \"md5\"");
	bad("img@" HEX64, "ALGORITHM:HEX");
	bad("img@", "ALGORITHM:HEX");
	bad("img@:" HEX64, "ALGORITHM:HEX");
	bad("img@sha256:" HEX64 "@sha256:" HEX64, "hex");
}

static void test_tags(void)
{
	ok("img:_x", "docker.io", "library/img", "_x", NULL);
	ok("img:A.b-C_d", "docker.io", "library/img", "A.b-C_d", NULL);
	bad("img:", "invalid tag");
	bad("img:.x", "invalid tag");
	bad("img:-x", "invalid tag");
	bad("img:a/b", "invalid");
	bad("img:a+b", "invalid tag");
	char t[300] = "img:";
	memset(t + 4, 'a', 128);
	t[132] = 0;
	ok(t, "docker.io", "library/img", t + 4, NULL);
	t[132] = 'a';
	t[133] = 0;
	bad(t, "invalid tag");
}

static void test_names(void)
{
	ok("x/a.b_c__d-e--f", "docker.io", "x/a.b_c__d-e--f", "latest", NULL);
	bad("a_b.c/x", "invalid registry");
	bad("", "empty");
	bad(NULL, "empty");
	bad(" ", "whitespace");
	bad("ubuntu ", "whitespace");
	bad("ubu\tntu", "whitespace");
	bad("ubu\nntu", "whitespace");
	bad("Ubuntu", "lowercase");
	bad("coder/Envbox", "lowercase");
	bad("host:5000/Img", "lowercase");
	bad("a..b", "component");
	bad("a___b", "component");
	bad("_a", "component");
	bad("a-", "component");
	bad("a.", "component");
	bad("a/", "component");
	bad("/a", "component");
	bad("a//b", "component");
	bad("host:5000/", "component");
	bad(":tag", "no repository");
	bad("@sha256:" HEX64, "no repository");
	bad("a$b", "component");
	bad("host:port/img", "invalid registry");
	bad("host:/img", "invalid registry");
	bad("-host.com/img", "invalid registry");
	bad("host-.com/img", "invalid registry");
	bad("a..com/img", "invalid registry");
	bad("[::1/img", "invalid registry");
	bad("[]/img", "component");
	bad("[]:5/img", "invalid registry");
	bad("[::1]x/img", "invalid registry");
	bad("caf\xc3\xa9/img", "control character");
	bad(HEX64, "image ID");
	ok(HEX64 ":t", "docker.io", "library/" HEX64, "t", NULL);

	/* the normalised name is at most 255 characters */
	char n[400], repo[420];
	size_t max = 255 - strlen("docker.io/library/");

	memset(n, 'a', sizeof n);
	n[max] = 0;
	snprintf(repo, sizeof repo, "library/%s", n);
	ok(n, "docker.io", repo, "latest", NULL);
	n[max] = 'a';
	n[max + 1] = 0;
	bad(n, "longer than 255");
}

static void test_string(void)
{
	str("ubuntu", "docker.io/library/ubuntu:latest");
	str("localhost:5000/img@sha256:" HEX64, "localhost:5000/img@sha256:" HEX64);
	str("img:t@sha256:" HEX64, "docker.io/library/img:t@sha256:" HEX64);
	str("index.docker.io/coder/envbox:v", "docker.io/coder/envbox:v");
}

static void test_normalize(void)
{
	norm("https://index.docker.io/v1/", "docker.io");
	norm("index.docker.io", "docker.io");
	norm("registry-1.docker.io", "docker.io");
	norm("docker.io", "docker.io");
	norm("https://docker.io", "docker.io");
	norm("http://index.docker.io/v2/", "docker.io");
	norm("https://registry.example.com:5443/", "registry.example.com:5443");
	norm("https://registry.example.com:5443", "registry.example.com:5443");
	norm("registry.example.com:5443", "registry.example.com:5443");
	norm("Registry.Example.COM", "registry.example.com");
	norm("registry.example.com/v2/some/path", "registry.example.com");
	norm("localhost:5000", "localhost:5000");
	norm("", "");
	/* look-alikes stay themselves */
	norm("docker.io.evil.com", "docker.io.evil.com");
	norm("notdocker.io", "notdocker.io");
	norm("docker.io:5000", "docker.io:5000");
}

int main(void)
{
	test_docker_hub();
	test_registries();
	test_digests();
	test_tags();
	test_names();
	test_string();
	test_normalize();
	return check_done("test_imageref");
}
