/* check.h: the smallest unit-test harness. CHECK(cond) records a failure
 * with file:line and goes on; CHECK_STR compares strings (NULL-safe);
 * main returns check_done(), non-zero when anything failed. */
#ifndef ENVBOX_CHECK_H
#define ENVBOX_CHECK_H
#include <stdio.h>
#include <string.h>

static int check_failed, check_run;

#define CHECK(cond)                                                        \
	do {                                                               \
		check_run++;                                               \
		if (!(cond)) {                                             \
			check_failed++;                                    \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n",       \
				__FILE__, __LINE__, #cond);                \
		}                                                          \
	} while (0)

#define CHECK_STR(got, want)                                               \
	do {                                                               \
		const char *g_ = (got), *w_ = (want);                      \
		check_run++;                                               \
		if ((!g_ || !w_) ? g_ != w_ : strcmp(g_, w_) != 0) {       \
			check_failed++;                                    \
			fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", \
				__FILE__, __LINE__, #got, g_ ? g_ : "(null)", \
				w_ ? w_ : "(null)");                       \
		}                                                          \
	} while (0)

static inline int check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_run, check_failed);
	return check_failed ? 1 : 0;
}
#endif
