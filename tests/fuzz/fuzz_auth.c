/* libFuzzer target for lib/auth. Input: a registry on the first line, a
 * docker config document after it. Any input is answered or refused
 * cleanly; an answer's JSON parses back to the same fields and its header
 * decodes to that JSON; an error message never holds a secret. Secrets in
 * the seeds contain "SECRET": a message may show it only when a key (which
 * messages name) or the registry does. Build and run:
 *   clang -std=c11 -D_GNU_SOURCE -Ilib -g -O1 \
 *     -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_auth.c \
 *     lib/auth.c lib/imageref.c lib/json.c lib/json_check.c lib/json_write.c \
 *     lib/b64.c lib/util.c -o fuzz_auth
 *   ./fuzz_auth -max_total_time=60 tests/fuzz/corpus/auth */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "b64.h"
#include "json.h"

#define MARK "SECRET"

/* True when some object key in the document holds MARK. */
static bool key_has_mark(const char *doc, size_t len)
{
	json_doc d;
	bool found = false;

	if (json_parse(&d, doc, len, NULL))
		return false;
	for (int i = 1; i < d.ntok && !found; i++) {
		int p = d.tok[i].parent;
		char *s;

		if (p < 0 || d.tok[p].type != JSMN_OBJECT || d.tok[i].type != JSMN_STRING)
			continue;
		/* keys are the object's children; values hang off keys */
		s = json_strdup(&d, i);
		found = s && strstr(s, MARK);
		free(s);
	}
	json_free(&d);
	return found;
}

static void field_is(const json_doc *d, const char *key, const char *want)
{
	int v = json_obj_get(d, 0, key);
	char *got = json_strdup(d, v);

	/* the writer turns invalid UTF-8 into U+FFFD: compare only clean text */
	if (!want)
		return;
	for (const unsigned char *p = (const unsigned char *)want; *p; p++)
		if (*p >= 0x80) {
			free(got);
			return;
		}
	if (!got || strcmp(got, want))
		abort();
	free(got);
}

static void check_output(const struct auth_creds *c)
{
	char *js = auth_json(c), *h = auth_header(c);
	unsigned char *back;
	size_t n;
	json_doc d;

	if (!js || !h)
		abort();
	if (b64_decode(h, strlen(h), B64_URL, &back, &n) || n != strlen(js) ||
	    memcmp(back, js, n))
		abort();
	if (json_parse(&d, js, strlen(js), NULL) || json_type(&d, 0) != JSMN_OBJECT)
		abort();
	field_is(&d, "serveraddress", c->serveraddress);
	if (c->kind == AUTH_BASIC) {
		field_is(&d, "username", c->username);
		field_is(&d, "password", c->password);
	} else {
		field_is(&d, "identitytoken", c->identitytoken);
	}
	json_free(&d);
	free(back);
	free(h);
	free(js);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t rlen = nl ? (size_t)(nl - (const char *)data) : 0;
	char *registry, *doc;
	size_t dlen = nl ? size - rlen - 1 : size;
	struct auth_creds c;
	eb_err e = { "" };

	registry = malloc(rlen + 1);
	memcpy(registry, data, rlen);
	registry[rlen] = 0;
	/* a private copy: reads past the end are caught */
	doc = malloc(dlen ? dlen : 1);
	memcpy(doc, nl ? nl + 1 : (const char *)data, dlen);

	if (auth_lookup(doc, dlen, registry, &c, &e) == 0) {
		if (c.kind == AUTH_BASIC || c.kind == AUTH_TOKEN)
			check_output(&c);
		else if (auth_json(&c) || auth_header(&c))
			abort();
		if (c.kind == AUTH_HELPER && (!c.helper || !*c.helper || !c.helper_server))
			abort();
		auth_creds_free(&c);
	} else {
		if (!e.msg[0])
			abort();
		if (strstr(e.msg, MARK) && !strstr(registry, MARK) && !key_has_mark(doc, dlen))
			abort();
		/* the failure left nothing behind */
		if (c.kind != AUTH_NONE || c.username || c.password || c.key)
			abort();
	}
	free(doc);
	free(registry);
	return 0;
}
