/* fuzz_cidr: the input as the value of every value parser (lib/values). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "values.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	char bip[CIDR_STRLEN], bip2[CIDR_STRLEN];
	unsigned cpus;
	unsigned long long mem;
	bool b;
	envs_list l;
	eb_err e;
	char *sub;

	/* A bridge address is itself a CIDR that maps to itself. */
	if (cidr_bridge("V", s, bip, &e) == 0 &&
	    (cidr_bridge("V", bip, bip2, &e) < 0 || strcmp(bip, bip2) != 0))
		abort();
	/* Thousandths of a CPU, 0.01 to CPUS_MAX; printed and read back, the
	 * same. */
	if (parse_cpus("V", s, &cpus, &e) == 0) {
		char txt[CPUS_STRLEN];
		unsigned again;

		if (cpus < CPUS_MIN_MILLI || cpus > CPUS_MAX * 1000u)
			abort();
		cpus_format(cpus, txt);
		if (parse_cpus("V", txt, &again, &e) != 0 || again != cpus)
			abort();
	}
	if (parse_memory("V", s, &mem, &e) == 0 &&
	    (mem < MEMORY_MIN || mem > (unsigned long long)INT64_MAX))
		abort();
	parse_bool("V", s, &b, &e);
	if (envs_parse("V", s, &l, &e) == 0) {
		envs_match(&l, s);
		envs_match(&l, "KUBERNETES_SERVICE_HOST=10.0.0.1");
		for (size_t i = 0; i < l.n; i++) {
			size_t n = strlen(l.pat[i]);

			/* Every pattern matches its own name. */
			if (l.pat[i][n - 1] != '*' && !envs_match(&l, l.pat[i]))
				abort();
		}
		envs_free(&l);
	}
	sub = subsystem_merge(s);
	if (!strstr(sub, "envbox"))
		abort();
	free(sub);
	free(s);
	return 0;
}
