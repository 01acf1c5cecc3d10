/* curlload: libcurl through dlopen, on first use (see curlload.h). */
#define EB_CURL_LOADER 1
#include "curlload.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct eb_curl table;
static int loaded;

static _Noreturn void cannot_load(const char *lib, const char *why)
{
	fprintf(stderr, "%s: cannot load %s: %s\n", program_invocation_short_name, lib,
		why ? why : "unknown error");
	exit(1);
}

static void *need(void *lib, const char *soname, const char *name)
{
	void *f = dlsym(lib, name);

	if (!f) {
		char why[160];

		snprintf(why, sizeof why, "it has no %s", name);
		cannot_load(soname, why);
	}
	return f;
}

const struct eb_curl *eb_curl(void)
{
	const char *soname = getenv("ENVBOX_LIBCURL");
	void *lib, *f;

	if (loaded)
		return &table;
	/* ENVBOX_LIBCURL: another copy, by path (tests, odd layouts). */
	if (!soname || !*soname)
		soname = EB_CURL_SONAME;
	lib = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
	if (!lib)
		cannot_load(soname, dlerror());
	/* A function pointer through void *: what dlsym is for. */
#define EB_CURL_LOAD(ret, name, params)          \
	f = need(lib, soname, #name);            \
	memcpy(&table.name, &f, sizeof table.name);
	EB_CURL_FUNCS(EB_CURL_LOAD)
#undef EB_CURL_LOAD
	loaded = 1;
	return &table;
}
