/* fuzz_passwd: the first line is the user name, the rest the document. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "passwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t ul = nl ? (size_t)(nl - data) : size;
	char *name = xstrndup((const char *)data, ul);
	const char *doc = nl ? (const char *)nl + 1 : "";
	size_t dl = nl ? size - ul - 1 : 0;
	pw_user u;
	eb_err e;

	if (passwd_lookup(doc, dl, name, &u, &e) == 1) {
		if (!u.name || strcmp(u.name, name) != 0 || !u.home || !u.shell)
			abort();
		pw_user_free(&u);
	}
	if (passwd_lookup_uid(doc, dl, ul, &u, &e) == 1) {
		if (u.uid != ul)
			abort();
		pw_user_free(&u);
	}
	free(name);
	return 0;
}
