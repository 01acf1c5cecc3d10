/* Unit tests for lib/auth: key matching, entry decoding, the header value,
 * where the document comes from, helper replies, the certs.d layout, and
 * that no error message carries a secret. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "b64.h"
#include "check.h"

/* Distinctive secrets: an error message must never contain them. */
#define PASS "s3cr3t-Pa55"
#define TOKEN "tok-XyZZy-42"

static char *b64(const char *s)
{
	return b64_encode(s, strlen(s), B64_STD);
}

/* Looks registry up in doc and expects success with kind. */
static struct auth_creds look(const char *doc, const char *registry, enum auth_kind kind)
{
	struct auth_creds c;
	eb_err e = { "" };
	int rc = auth_lookup(doc, strlen(doc), registry, &c, &e);

	CHECK(rc == 0);
	if (rc)
		fprintf(stderr, "  %s in %s: %s\n", registry, doc, e.msg);
	CHECK(c.kind == kind);
	if (c.kind != kind)
		fprintf(stderr, "  %s in %s: kind %d, want %d\n", registry, doc, c.kind, kind);
	return c;
}

static void basic(const char *doc, const char *registry, const char *user,
		  const char *pass, const char *server)
{
	struct auth_creds c = look(doc, registry, AUTH_BASIC);

	CHECK_STR(c.username, user);
	CHECK_STR(c.password, pass);
	CHECK_STR(c.serveraddress, server);
	auth_creds_free(&c);
}

static void none(const char *doc, const char *registry)
{
	struct auth_creds c = look(doc, registry, AUTH_NONE);

	auth_creds_free(&c);
}

/* Expects an error mentioning want, and none of the secrets. */
static void fails(const char *doc, const char *registry, const char *want)
{
	struct auth_creds c;
	eb_err e = { "" };
	int rc = auth_lookup(doc, strlen(doc), registry, &c, &e);

	CHECK(rc == -1);
	CHECK(c.kind == AUTH_NONE && !c.username && !c.password && !c.key);
	CHECK(strstr(e.msg, want) != NULL);
	if (!strstr(e.msg, want))
		fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", e.msg, want);
	CHECK(!strstr(e.msg, PASS) && !strstr(e.msg, TOKEN) && !strstr(e.msg, "s3cr3t"));
	if (rc == 0)
		auth_creds_free(&c);
}

static void test_keys(void)
{
	char *a = b64("alice:" PASS), *doc;

	/* bare host, host:port, URL, case */
	doc = xasprintf("{\"auths\":{\"reg.example.com\":{\"auth\":\"%s\"}}}", a);
	basic(doc, "reg.example.com", "alice", PASS, "reg.example.com");
	none(doc, "reg.example.com:5443");
	none(doc, "other.example.com");
	none(doc, "docker.io");
	free(doc);
	doc = xasprintf("{\"auths\":{\"reg.example.com:5443\":{\"auth\":\"%s\"}}}", a);
	basic(doc, "reg.example.com:5443", "alice", PASS, "reg.example.com:5443");
	none(doc, "reg.example.com");
	none(doc, "reg.example.com:5444");
	free(doc);
	doc = xasprintf("{\"auths\":{\"https://reg.example.com:5443/v2/\":{\"auth\":\"%s\"}}}", a);
	basic(doc, "reg.example.com:5443", "alice", PASS, "https://reg.example.com:5443/v2/");
	none(doc, "reg.example.com");
	free(doc);
	doc = xasprintf("{\"auths\":{\"https://Reg.Example.COM\":{\"auth\":\"%s\"}}}", a);
	basic(doc, "reg.example.com", "alice", PASS, "https://Reg.Example.COM");
	basic(doc, "REG.example.com", "alice", PASS, "https://Reg.Example.COM");
	free(doc);

	/* Docker Hub's names */
	const char *hub[] = { "https://index.docker.io/v1/", "index.docker.io",
			      "registry-1.docker.io", "docker.io", "https://docker.io" };
	for (size_t i = 0; i < sizeof hub / sizeof *hub; i++) {
		doc = xasprintf("{\"auths\":{\"%s\":{\"auth\":\"%s\"}}}", hub[i], a);
		basic(doc, "docker.io", "alice", PASS, hub[i]);
		basic(doc, "index.docker.io", "alice", PASS, hub[i]);
		basic(doc, "registry-1.docker.io", "alice", PASS, hub[i]);
		none(doc, "ghcr.io");
		free(doc);
	}
	doc = xasprintf("{\"auths\":{\"docker.io.evil.com\":{\"auth\":\"%s\"}}}", a);
	none(doc, "docker.io");
	free(doc);

	/* several forms: docker's own key wins wherever it stands */
	doc = xasprintf("{\"auths\":{\"https://reg.example.com/\":{\"username\":\"url\",\"password\":\"p\"},"
			"\"reg.example.com\":{\"username\":\"exact\",\"password\":\"p\"},"
			"\"http://reg.example.com/v1/\":{\"username\":\"url2\",\"password\":\"p\"}}}");
	basic(doc, "reg.example.com", "exact", "p", "reg.example.com");
	free(doc);
	doc = xasprintf("{\"auths\":{\"docker.io\":{\"username\":\"short\",\"password\":\"p\"},"
			"\"https://index.docker.io/v1/\":{\"username\":\"hub\",\"password\":\"p\"},"
			"\"index.docker.io\":{\"username\":\"idx\",\"password\":\"p\"}}}");
	basic(doc, "docker.io", "hub", "p", "https://index.docker.io/v1/");
	free(doc);
	/* equals: the last one, as a duplicate key in Go */
	doc = xasprintf("{\"auths\":{\"https://reg.example.com/\":{\"username\":\"first\",\"password\":\"p\"},"
			"\"http://reg.example.com/v2/\":{\"username\":\"last\",\"password\":\"p\"}}}");
	basic(doc, "reg.example.com", "last", "p", "http://reg.example.com/v2/");
	free(doc);
	free(a);
}

static void test_entries(void)
{
	char *a, *doc;

	/* the password may hold ':'; split at the first */
	a = b64("bob:" PASS ":with:colons:");
	doc = xasprintf("{\"auths\":{\"r.io\":{\"auth\":\"%s\"}}}", a);
	basic(doc, "r.io", "bob", PASS ":with:colons:", "r.io");
	free(doc);
	free(a);

	/* an empty password */
	a = b64("bob:");
	doc = xasprintf("{\"auths\":{\"r.io\":{\"auth\":\"%s\"}}}", a);
	basic(doc, "r.io", "bob", "", "r.io");
	free(doc);
	free(a);

	/* unpadded base64 is accepted too */
	doc = xasprintf("{\"auths\":{\"r.io\":{\"auth\":\"dTpw\"}}}");
	basic(doc, "r.io", "u", "p", "r.io");
	free(doc);
	doc = xasprintf("{\"auths\":{\"r.io\":{\"auth\":\"dTpwcQ\"}}}");
	basic(doc, "r.io", "u", "pq", "r.io");
	free(doc);

	/* "auth" wins over username/password, as docker's loader has it */
	a = b64("fromauth:" PASS);
	doc = xasprintf("{\"auths\":{\"r.io\":{\"username\":\"plain\",\"password\":\"other\",\"auth\":\"%s\"}}}", a);
	basic(doc, "r.io", "fromauth", PASS, "r.io");
	free(doc);
	/* and an empty "auth" is no auth */
	doc = xasprintf("{\"auths\":{\"r.io\":{\"username\":\"plain\",\"password\":\"other\",\"auth\":\"\"}}}");
	basic(doc, "r.io", "plain", "other", "r.io");
	free(doc);
	/* username/password alone, as kubectl create secret docker-registry writes */
	doc = xasprintf("{\"auths\":{\"r.io\":{\"username\":\"u\",\"password\":\"" PASS "\",\"email\":\"x@y\",\"auth\":\"%s\"}}}", a);
	basic(doc, "r.io", "fromauth", PASS, "r.io");
	free(doc);
	free(a);

	/* field names match without regard to case, as in Go */
	doc = xasprintf("{\"Auths\":{\"r.io\":{\"Username\":\"U\",\"PASSWORD\":\"P\"}}}");
	basic(doc, "r.io", "U", "P", "r.io");
	free(doc);

	/* identitytoken wins */
	struct auth_creds c;
	a = b64("user:" PASS);
	doc = xasprintf("{\"auths\":{\"r.io\":{\"auth\":\"%s\",\"identitytoken\":\"" TOKEN "\"}}}", a);
	c = look(doc, "r.io", AUTH_TOKEN);
	CHECK_STR(c.identitytoken, TOKEN);
	CHECK_STR(c.serveraddress, "r.io");
	CHECK(c.username == NULL && c.password == NULL);
	auth_creds_free(&c);
	free(doc);
	free(a);

	/* nothing usable in the entry, null entries, null fields */
	none("{\"auths\":{\"r.io\":{}}}", "r.io");
	none("{\"auths\":{\"r.io\":null}}", "r.io");
	none("{\"auths\":{\"r.io\":{\"auth\":null,\"username\":null}}}", "r.io");
	none("{\"auths\":{\"r.io\":{\"email\":\"a@b\"}}}", "r.io");
	none("{\"auths\":null}", "r.io");
	none("{\"auths\":{}}", "r.io");
	none("{}", "r.io");
	none(" {\"other\":[1,2,{\"auths\":1}]}\n", "r.io");

	/* bad entries for other registries are not looked at */
	basic("{\"auths\":{\"a.io\":{\"auth\":\"!!!\"},\"b.io\":5,"
	      "\"r.io\":{\"username\":\"u\",\"password\":\"p\"},\"c.io\":{\"username\":1}}}",
	      "r.io", "u", "p", "r.io");

	/* escapes in the document are undone */
	basic("{\"auths\":{\"r\\u002eio\":{\"username\":\"\\u00e9\\\"q\",\"password\":\"a\\\\b\\ud83d\\ude00\"}}}",
	      "r.io", "\xc3\xa9\"q", "a\\b\xf0\x9f\x98\x80", "r.io");
}

static void test_errors(void)
{
	char *a, *doc;

	fails("", "r.io", "invalid JSON");
	fails("{\"auths\":{\"r.io\":{\"auth\":\"" PASS "\"", "r.io", "invalid JSON");
	fails("{\"auths\":{\"r.io\":{\"password\":\"" PASS "\",}}}", "r.io", "invalid JSON");
	fails("[\"" PASS "\"]", "r.io", "not a JSON object");
	fails("\"" PASS "\"", "r.io", "not a JSON object");
	fails("{\"auths\":[\"" PASS "\"]}", "r.io", "\"auths\" is not an object");
	fails("{\"credHelpers\":\"x\"}", "r.io", "\"credHelpers\" is not an object");
	fails("{\"credsStore\":5}", "r.io", "\"credsStore\" is not a string");
	fails("{\"auths\":{\"r.io\":\"" PASS "\"}}", "r.io", "auths key \"r.io\": the entry is not an object");

	/* bad base64: the secret is the input, it must not be echoed */
	fails("{\"auths\":{\"r.io\":{\"auth\":\"" PASS "!\"}}}", "r.io",
	      "auths key \"r.io\": \"auth\" is not valid base64");
	fails("{\"auths\":{\"r.io\":{\"auth\":\"dTpw cQ==\"}}}", "r.io", "not valid base64");
	fails("{\"auths\":{\"r.io\":{\"auth\":\"dTpwcQ=\"}}}", "r.io", "not valid base64");
	/* no colon */
	a = b64("nocolon" PASS);
	doc = xasprintf("{\"auths\":{\"https://r.io:5000/\":{\"auth\":\"%s\"}}}", a);
	fails(doc, "r.io:5000", "auths key \"https://r.io:5000/\": \"auth\" has no ':'");
	free(doc);
	free(a);
	/* the no-colon check wins even when identitytoken is there */
	a = b64(PASS);
	doc = xasprintf("{\"auths\":{\"r.io\":{\"auth\":\"%s\",\"identitytoken\":\"" TOKEN "\"}}}", a);
	fails(doc, "r.io", "has no ':'");
	free(doc);
	free(a);
	/* empty user name, NUL bytes */
	a = b64(":" PASS);
	doc = xasprintf("{\"auths\":{\"r.io\":{\"auth\":\"%s\"}}}", a);
	fails(doc, "r.io", "empty user name");
	free(doc);
	free(a);
	a = b64_encode("u:s3cr3t\0x", 10, B64_STD);
	doc = xasprintf("{\"auths\":{\"r.io\":{\"auth\":\"%s\"}}}", a);
	fails(doc, "r.io", "NUL");
	free(doc);
	free(a);
	/* NULs around the password are dropped, as docker trims them */
	a = b64_encode("u:\0pw\0\0", 7, B64_STD);
	doc = xasprintf("{\"auths\":{\"r.io\":{\"auth\":\"%s\"}}}", a);
	basic(doc, "r.io", "u", "pw", "r.io");
	free(doc);
	free(a);

	/* non-string fields */
	fails("{\"auths\":{\"r.io\":{\"auth\":123}}}", "r.io", "\"auth\" is not a string");
	fails("{\"auths\":{\"r.io\":{\"username\":\"u\",\"password\":[\"" PASS "\"]}}}", "r.io",
	      "auths key \"r.io\": \"password\" is not a string");
	fails("{\"auths\":{\"r.io\":{\"identitytoken\":{\"t\":\"" TOKEN "\"}}}}", "r.io",
	      "\"identitytoken\" is not a string");
	fails("{\"auths\":{\"r.io\":{\"username\":true}}}", "r.io", "\"username\" is not a string");
	/* a lone surrogate cannot become a C string */
	fails("{\"auths\":{\"r.io\":{\"password\":\"\\ud800" PASS "\"}}}", "r.io",
	      "\"password\" is not a valid string");

	/* an unprintable key is shown safely */
	a = b64("nocolon");
	doc = xasprintf("{\"auths\":{\"r.io/\\n\\u001b[31m\":{\"auth\":\"%s\"}}}", a);
	fails(doc, "r.io", "auths key \"r.io/??[31m\"");
	free(doc);
	free(a);
}

static void test_helpers(void)
{
	struct auth_creds c;
	char *a = b64("u:" PASS), *doc;

	/* credHelpers for the registry wins over auths */
	doc = xasprintf("{\"auths\":{\"gcr.io\":{\"auth\":\"%s\"}},\"credHelpers\":{\"gcr.io\":\"gcloud\"}}", a);
	c = look(doc, "gcr.io", AUTH_HELPER);
	CHECK_STR(c.helper, "gcloud");
	CHECK_STR(c.helper_server, "gcr.io");
	CHECK_STR(c.key, "gcr.io");
	CHECK(!c.from_store && !c.password);
	CHECK(auth_json(&c) == NULL && auth_header(&c) == NULL);
	auth_creds_free(&c);
	/* another registry is not affected */
	none(doc, "quay.io");
	free(doc);

	c = look("{\"credHelpers\":{\"https://index.docker.io/v1/\":\"desktop\"}}", "docker.io", AUTH_HELPER);
	CHECK_STR(c.helper, "desktop");
	CHECK_STR(c.helper_server, "https://index.docker.io/v1/");
	auth_creds_free(&c);

	/* an empty helper name is no helper */
	doc = xasprintf("{\"auths\":{\"gcr.io\":{\"auth\":\"%s\"}},\"credHelpers\":{\"gcr.io\":\"\"}}", a);
	basic(doc, "gcr.io", "u", PASS, "gcr.io");
	free(doc);
	none("{\"credHelpers\":{\"gcr.io\":null}}", "gcr.io");
	fails("{\"credHelpers\":{\"gcr.io\":5}}", "gcr.io", "credHelpers key \"gcr.io\": the helper name is not a string");

	/* credsStore: used only when auths has nothing for the registry,
	 * as `docker login` leaves an empty entry beside it */
	c = look("{\"auths\":{\"https://index.docker.io/v1/\":{}},\"credsStore\":\"pass\"}", "docker.io", AUTH_HELPER);
	CHECK_STR(c.helper, "pass");
	CHECK(c.from_store);
	CHECK_STR(c.helper_server, "https://index.docker.io/v1/");
	auth_creds_free(&c);
	c = look("{\"credsStore\":\"secretservice\"}", "r.io:5000", AUTH_HELPER);
	CHECK_STR(c.helper_server, "r.io:5000");
	auth_creds_free(&c);
	doc = xasprintf("{\"auths\":{\"r.io\":{\"auth\":\"%s\"}},\"credsStore\":\"pass\"}", a);
	basic(doc, "r.io", "u", PASS, "r.io");
	free(doc);
	none("{\"credsStore\":\"\"}", "r.io");
	free(a);
}

/* Decodes a header value (URL alphabet) into a string. */
static char *unheader(const char *h)
{
	unsigned char *out;
	size_t n;

	if (b64_decode(h, strlen(h), B64_URL, &out, &n))
		return NULL;
	return (char *)out;
}

static void test_output(void)
{
	struct auth_creds c = { 0 };
	char *js, *h, *back;

	c.kind = AUTH_BASIC;
	c.username = xstrdup("alice");
	c.password = xstrdup("p:w\"\\\n\x01\xc3\xa9");
	c.serveraddress = xstrdup("https://index.docker.io/v1/");
	js = auth_json(&c);
	CHECK_STR(js, "{\"username\":\"alice\",\"password\":\"p:w\\\"\\\\\\n\\u0001\xc3\xa9\","
		      "\"serveraddress\":\"https://index.docker.io/v1/\"}");
	h = auth_header(&c);
	back = h ? unheader(h) : NULL;
	CHECK_STR(back, js);
	/* URL alphabet, '=' padding as Go's base64.URLEncoding */
	CHECK(h && !strchr(h, '+') && !strchr(h, '/') && strlen(h) % 4 == 0);
	free(js);
	free(h);
	free(back);
	auth_creds_free(&c);

	c.kind = AUTH_TOKEN;
	c.identitytoken = xstrdup(TOKEN);
	c.serveraddress = xstrdup("r.io");
	js = auth_json(&c);
	CHECK_STR(js, "{\"serveraddress\":\"r.io\",\"identitytoken\":\"" TOKEN "\"}");
	free(js);
	auth_creds_free(&c);

	/* a value whose base64 needs '-' and '_' and padding */
	c.kind = AUTH_BASIC;
	c.username = xstrdup("\xff\xfe");
	c.password = xstrdup("?\?>>");
	c.serveraddress = xstrdup("r");
	js = auth_json(&c);
	h = auth_header(&c);
	back = h ? unheader(h) : NULL;
	CHECK_STR(back, js);
	CHECK_STR(js, "{\"username\":\"\\ufffd\\ufffd\",\"password\":\"?\?>>\",\"serveraddress\":\"r\"}");
	free(js);
	free(h);
	free(back);
	auth_creds_free(&c);

	c.kind = AUTH_NONE;
	CHECK(auth_json(&c) == NULL);
	CHECK(auth_header(&c) == NULL);

	/* end to end: known header for a known config */
	struct auth_creds d = look("{\"auths\":{\"r.io\":{\"auth\":\"dTpw\"}}}", "r.io", AUTH_BASIC);
	h = auth_header(&d);
	/* {"username":"u","password":"p","serveraddress":"r.io"} */
	CHECK_STR(h, "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InAiLCJzZXJ2ZXJhZGRyZXNzIjoici5pbyJ9");
	free(h);
	auth_creds_free(&d);
}

static void test_source(void)
{
	bool ign = true;

	CHECK_STR(auth_docker_config(NULL), "/root/.docker/config.json");
	CHECK_STR(auth_docker_config(""), "/root/.docker/config.json");
	CHECK_STR(auth_docker_config("/x/c.json"), "/x/c.json");

	/* --config first, whatever else there is */
	CHECK(auth_source_pick(true, true, "{}", &ign) == AUTH_SRC_CONFIG && !ign);
	CHECK(auth_source_pick(true, false, NULL, &ign) == AUTH_SRC_CONFIG && !ign);
	/* the docker config file wins over the pull secret, said so */
	CHECK(auth_source_pick(false, true, "{}", &ign) == AUTH_SRC_DOCKER_CONFIG && ign);
	CHECK(auth_source_pick(false, true, "", &ign) == AUTH_SRC_DOCKER_CONFIG && !ign);
	CHECK(auth_source_pick(false, true, NULL, &ign) == AUTH_SRC_DOCKER_CONFIG && !ign);
	/* then the secret, when not empty */
	CHECK(auth_source_pick(false, false, "{}", &ign) == AUTH_SRC_SECRET && !ign);
	CHECK(auth_source_pick(false, false, "", &ign) == AUTH_SRC_NONE);
	CHECK(auth_source_pick(false, false, NULL, &ign) == AUTH_SRC_NONE);
}

/* A helper's reply for c (AUTH_HELPER for server), as auth_helper_reply
 * reads it; rc its return. */
static struct auth_creds reply(const char *out, int *rc)
{
	struct auth_creds c = { .kind = AUTH_HELPER, .helper = xstrdup("pass"),
				.helper_server = xstrdup("r.io"),
				.serveraddress = xstrdup("stale") };

	*rc = auth_helper_reply(&c, out, out ? strlen(out) : 0);
	return c;
}

static void test_helper_reply(void)
{
	struct auth_creds c;
	int rc;

	CHECK(auth_helper_valid("pass"));
	CHECK(auth_helper_valid("ecr-login"));
	CHECK(auth_helper_valid("a.b_c-D9"));
	CHECK(!auth_helper_valid(""));
	CHECK(!auth_helper_valid("../bin/sh"));
	CHECK(!auth_helper_valid("a b"));
	CHECK(!auth_helper_valid("x;rm"));
	CHECK(auth_helper_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	CHECK(!auth_helper_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));

	c = reply("{\"ServerURL\":\"r.io\",\"Username\":\"u\",\"Secret\":\"" PASS "\"}", &rc);
	CHECK(rc == 0 && c.kind == AUTH_BASIC);
	CHECK_STR(c.username, "u");
	CHECK_STR(c.password, PASS);
	CHECK_STR(c.serveraddress, "r.io");
	auth_creds_free(&c);

	/* members matched without regard to case; the last of several */
	c = reply("{\"username\":\"a\",\"USERNAME\":\"b\",\"secret\":\"p\"}", &rc);
	CHECK(rc == 0 && c.kind == AUTH_BASIC);
	CHECK_STR(c.username, "b");
	CHECK_STR(c.password, "p");
	auth_creds_free(&c);

	/* "<token>": the secret is an identity token */
	c = reply("{\"Username\":\"<token>\",\"Secret\":\"" TOKEN "\"}", &rc);
	CHECK(rc == 0 && c.kind == AUTH_TOKEN);
	CHECK_STR(c.identitytoken, TOKEN);
	CHECK(!c.username && !c.password);
	auth_creds_free(&c);
	/* ...but not an empty one */
	c = reply("{\"Username\":\"<token>\",\"Secret\":\"\"}", &rc);
	CHECK(rc == 0 && c.kind == AUTH_BASIC);
	CHECK_STR(c.username, "<token>");
	CHECK_STR(c.password, "");
	auth_creds_free(&c);

	/* one of the two is enough; neither is none */
	c = reply("{\"Secret\":\"p\"}", &rc);
	CHECK(rc == 0 && c.kind == AUTH_BASIC);
	CHECK_STR(c.username, "");
	auth_creds_free(&c);
	c = reply("{\"Username\":\"\",\"Secret\":\"\"}", &rc);
	CHECK(rc == 0 && c.kind == AUTH_NONE);
	CHECK_STR(c.serveraddress, "r.io");
	auth_creds_free(&c);
	c = reply("{\"Username\":5,\"Secret\":null}", &rc);
	CHECK(rc == 0 && c.kind == AUTH_NONE);
	auth_creds_free(&c);

	/* not an object: refused, c as it was */
	const char *bad[] = { "", "[]", "\"x\"", "{", "credentials not found", NULL };
	for (int i = 0; bad[i]; i++) {
		c = reply(bad[i], &rc);
		CHECK(rc == -1 && c.kind == AUTH_HELPER);
		CHECK_STR(c.serveraddress, "stale");
		auth_creds_free(&c);
	}
	c = reply(NULL, &rc);
	CHECK(rc == -1);
	auth_creds_free(&c);
}

/* auth_cert_name(file) is want (NULL: skipped). */
static void cert_name(const char *file, const char *want)
{
	char *n = auth_cert_name(file);

	CHECK_STR(n, want);
	free(n);
}

static void test_cert_names(void)
{
	cert_name("ca.crt", "ca.crt");
	cert_name("client.cert", "client.cert");
	cert_name("client.key", "client.key");
	/* anything else is a CA: dockerd reads those from *.crt only */
	cert_name("ca.pem", "ca.pem.crt");
	cert_name("ca", "ca.crt");
	cert_name("x.CRT", "x.CRT.crt");
	/* hidden: skipped, with Kubernetes' ..data links */
	cert_name(".", NULL);
	cert_name("..", NULL);
	cert_name("..data", NULL);
	cert_name(".hidden.crt", NULL);

	CHECK(auth_cert_mode("client.key") == 0600);
	CHECK(auth_cert_mode("ca.crt") == 0644);
	CHECK(auth_cert_mode("client.cert") == 0644);
	CHECK_STR(AUTH_CERT_CA, "ca.crt");
	CHECK_STR(AUTH_CERTS_DIR, "/etc/docker/certs.d");

	CHECK(!auth_certs_read("docker.io"));
	CHECK(auth_certs_read("r.io:5000"));
	CHECK(auth_certs_read("index.docker.io"));
}

static int certs_check(const char *const *names, eb_err *e)
{
	struct auth_cert v[8];
	size_t n = 0;

	for (; names[n]; n++)
		v[n] = (struct auth_cert){ .src = (char *)"-", .name = (char *)names[n] };
	return auth_certs_check(v, n, e);
}

static void test_certs_check(void)
{
	eb_err e = { "" };

	CHECK(certs_check((const char *[]){ "ca.crt", NULL }, &e) == 0);
	CHECK(certs_check((const char *[]){ NULL }, &e) == 0);
	CHECK(certs_check((const char *[]){ "a.crt", "c.cert", "c.key", NULL }, &e) == 0);
	CHECK(certs_check((const char *[]){ "c.key", "b.crt", "c.cert", NULL }, &e) == 0);

	CHECK(certs_check((const char *[]){ "ca.crt", "c.cert", NULL }, &e) == -1);
	CHECK_STR(e.msg, "c.cert has no c.key beside it, and dockerd refuses an "
		  "unpaired client certificate (CA certificates must end in .crt)");
	CHECK(certs_check((const char *[]){ "c.key", "d.cert", "d.key", NULL }, &e) == -1);
	CHECK_STR(e.msg, "c.key has no c.cert beside it, and dockerd refuses an "
		  "unpaired client key (CA certificates must end in .crt)");
	/* "ca" and "ca.crt" both install as ca.crt */
	CHECK(certs_check((const char *[]){ "ca.crt", "x.crt", "ca.crt", NULL }, &e) == -1);
	CHECK_STR(e.msg, "two files would be installed as ca.crt");
}

/* The one lister of a CODER_EXTRA_CERTS_PATH directory, for envbox-auth
 * certs and the Coder client alike: regular files, links followed, hidden
 * names and directories skipped (a Kubernetes secret's "..data" and its
 * timestamped directory), sorted. */
static void test_cert_files(void)
{
	char tmpl[] = "/tmp/envbox-certs-XXXXXX", *p;
	char **names, **paths;
	size_t n = 9;
	eb_err e;
	const char *files[] = { "b.crt", "a.pem", ".hidden.crt" };

	CHECK(mkdtemp(tmpl) != NULL);
	for (size_t i = 0; i < 3; i++) {
		p = xasprintf("%s/%s", tmpl, files[i]);
		close(open(p, O_CREAT | O_WRONLY, 0644));
		free(p);
	}
	p = xasprintf("%s/..2026_12_02", tmpl);
	CHECK(mkdir(p, 0755) == 0);
	free(p);
	p = xasprintf("%s/c.crt", tmpl);
	CHECK(symlink("b.crt", p) == 0);
	free(p);
	p = xasprintf("%s/..data", tmpl);
	CHECK(symlink("..2026_12_02", p) == 0);
	free(p);
	CHECK(auth_cert_files(tmpl, &names, &paths, &n, &e) == 0);
	CHECK(n == 3);
	if (n == 3) {
		CHECK_STR(names[0], "a.pem");
		CHECK_STR(names[1], "b.crt");
		CHECK_STR(names[2], "c.crt");
		p = xasprintf("%s/a.pem", tmpl);
		CHECK_STR(paths[0], p);
		free(p);
	}
	auth_cert_files_free(names, paths, n);
	p = xasprintf("rm -rf '%s'", tmpl);
	CHECK(system(p) == 0);
	free(p);
	CHECK(auth_cert_files("/nonexistent/certs", &names, &paths, &n, &e) == -1);
	CHECK(strstr(e.msg, "No such file or directory") != NULL);
}

int main(void)
{
	test_cert_files();
	test_keys();
	test_entries();
	test_errors();
	test_helpers();
	test_output();
	test_source();
	test_helper_reply();
	test_cert_names();
	test_certs_check();
	return check_done("test_auth");
}
