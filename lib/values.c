/* values: parsers for the entrypoint's variable values (see values.h). */
#include "values.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Values are quoted in messages; a long one is cut so the line stays one
 * line on a terminal. None of these variables holds a secret. */
#define VAL "\"%.80s\""

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits at *p, no sign, no leading zero unless the number is 0,
 * at most max. Advances *p. */
static int small_dec(const char **p, unsigned max, unsigned *out)
{
	const char *s = *p;
	unsigned v = 0;

	if (!digit(*s) || (s[0] == '0' && digit(s[1])))
		return -1;
	for (; digit(*s); s++) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > max)
			return -1;
	}
	*p = s;
	*out = v;
	return 0;
}

int cidr_parse(const char *var, const char *s, uint32_t *addr, int *prefix,
	       eb_err *e)
{
	const char *p = s;
	uint32_t a = 0;
	unsigned v;

	for (int i = 0; i < 4; i++) {
		if (small_dec(&p, 255, &v) < 0 || *p != (i < 3 ? '.' : '/'))
			goto bad;
		a = a << 8 | v;
		p++;
	}
	if (small_dec(&p, 32, &v) < 0 || *p)
		goto bad;
	*addr = a;
	*prefix = (int)v;
	return 0;
bad:
	eb_errf(e, "%s " VAL ": expected an IPv4 CIDR like 172.19.0.1/30", var, s);
	return -1;
}

int cidr_bridge(const char *var, const char *s, char *out, eb_err *e)
{
	uint32_t a, mask;
	int n;

	if (cidr_parse(var, s, &a, &n, e) < 0)
		return -1;
	if (n > 30) {
		eb_errf(e, "%s " VAL ": a /%d network has no address for containers "
			"besides the bridge's; use /30 or wider", var, s, n);
		return -1;
	}
	mask = n ? ~(uint32_t)0 << (32 - n) : 0;
	a = (a & mask) + 1;
	/* n <= 30 here; the masks only tell the compiler the output fits. */
	snprintf(out, CIDR_STRLEN, "%u.%u.%u.%u/%u", a >> 24 & 0xff,
		 a >> 16 & 0xff, a >> 8 & 0xff, a & 0xff, (unsigned)n & 31);
	return 0;
}

int parse_cpus(const char *var, const char *s, unsigned *out, eb_err *e)
{
	unsigned long v = 0;
	const char *p = s;
	int decimals = 0;

	for (; digit(*p) && v <= CPUS_MAX; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p != s && *p == '.' && digit(p[1]))
		for (p++; digit(*p) && decimals < 4; p++, decimals++)
			v = v * 10 + (unsigned long)(*p - '0');
	for (int i = decimals; i < 3; i++)
		v *= 10;
	if (p == s || *p || decimals > 3 || v < CPUS_MIN_MILLI ||
	    v > CPUS_MAX * 1000UL) {
		eb_errf(e, "%s " VAL ": expected a number of CPUs, 0.01 to %d, "
			"with at most three decimals", var, s, CPUS_MAX);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

void cpus_format(unsigned milli, char *out)
{
	int n = snprintf(out, CPUS_STRLEN, "%u.%03u", milli / 1000, milli % 1000);

	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
}

/* Kubernetes quantity suffixes (k8s.io/apimachinery resource.Quantity). */
static const struct {
	const char *suffix;
	unsigned long long mult;
} mem_suffix[] = {
	{"", 1},
	{"k", 1000ULL},
	{"M", 1000ULL * 1000},
	{"G", 1000ULL * 1000 * 1000},
	{"T", 1000ULL * 1000 * 1000 * 1000},
	{"P", 1000ULL * 1000 * 1000 * 1000 * 1000},
	{"E", 1000ULL * 1000 * 1000 * 1000 * 1000 * 1000},
	{"Ki", 1ULL << 10},
	{"Mi", 1ULL << 20},
	{"Gi", 1ULL << 30},
	{"Ti", 1ULL << 40},
	{"Pi", 1ULL << 50},
	{"Ei", 1ULL << 60},
};

int parse_memory(const char *var, const char *s, unsigned long long *out,
		 eb_err *e)
{
	unsigned long long v = 0, mult = 0;
	const char *p = s;

	for (; digit(*p); p++) {
		if (v > (unsigned long long)INT64_MAX / 10)
			goto range;
		v = v * 10 + (unsigned long long)(*p - '0');
	}
	for (size_t i = 0; i < sizeof mem_suffix / sizeof *mem_suffix; i++)
		if (strcmp(p, mem_suffix[i].suffix) == 0)
			mult = mem_suffix[i].mult;
	if (p == s || !mult) {
		eb_errf(e, "%s " VAL ": expected bytes, or a whole number with a "
			"suffix k M G T Ki Mi Gi Ti (e.g. 2Gi)", var, s);
		return -1;
	}
	if (v > (unsigned long long)INT64_MAX / mult)
		goto range;
	v *= mult;
	if (v < MEMORY_MIN) {
		eb_errf(e, "%s " VAL ": less than dockerd's minimum of %llu bytes "
			"(6Mi)", var, s, MEMORY_MIN);
		return -1;
	}
	*out = v;
	return 0;
range:
	eb_errf(e, "%s " VAL ": too large", var, s);
	return -1;
}

int parse_bool(const char *var, const char *s, bool *out, eb_err *e)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	eb_errf(e, "%s " VAL ": expected true or false (or 1, 0, t, f, TRUE, "
		"FALSE, True, False)", var, s);
	return -1;
}

int parse_nesting(const char *var, const char *s, const char **out, eb_err *e)
{
	static const char *const modes[] = { "auto", "on", "off" };

	if (!s || !*s)
		s = "auto";
	for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
		if (strcmp(s, modes[i]) == 0) {
			*out = modes[i];
			return 0;
		}
	}
	eb_errf(e, "%s " VAL ": expected auto, on or off", var, s);
	return -1;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

/* Calls fn on every comma-separated entry with blanks trimmed, skipping
 * empty ones; stops when fn returns non-zero. */
static int each_entry(const char *s, int (*fn)(void *ctx, const char *p, size_t n),
		      void *ctx)
{
	while (*s) {
		size_t n = strcspn(s, ",");
		const char *p = s;
		size_t l = n;
		int rc;

		while (l > 0 && blank(*p)) {
			p++;
			l--;
		}
		while (l > 0 && blank(p[l - 1]))
			l--;
		if (l > 0 && (rc = fn(ctx, p, l)) != 0)
			return rc;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static bool env_char(char c)
{
	return c == '_' || c == '-' || c == '.' || digit(c) ||
	       (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

struct envs_ctx {
	envs_list *l;
	const char *var;
	eb_err *e;
};

static int add_pattern(void *ctx, const char *p, size_t n)
{
	struct envs_ctx *c = ctx;
	size_t name = n;

	if (p[n - 1] == '*')
		name--;
	for (size_t i = 0; i < name; i++) {
		if (!env_char(p[i]) || (i == 0 && digit(p[i]))) {
			eb_errf(c->e, "%s entry \"%.*s\": expected a variable "
				"name or a NAME* prefix", c->var,
				(int)(n > 80 ? 80 : n), p);
			return -1;
		}
	}
	c->l->pat = xrealloc(c->l->pat, (c->l->n + 1) * sizeof *c->l->pat);
	c->l->pat[c->l->n++] = xstrndup(p, n);
	return 0;
}

int envs_parse(const char *var, const char *s, envs_list *out, eb_err *e)
{
	struct envs_ctx c = {out, var, e};

	out->pat = NULL;
	out->n = 0;
	if (each_entry(s, add_pattern, &c) < 0) {
		envs_free(out);
		return -1;
	}
	return 0;
}

bool envs_match(const envs_list *l, const char *name)
{
	size_t n = strcspn(name, "=");

	if (n == 0)
		return false;
	for (size_t i = 0; i < l->n; i++) {
		const char *p = l->pat[i];
		size_t pl = strlen(p);

		if (p[pl - 1] == '*') {
			if (n >= pl - 1 && memcmp(name, p, pl - 1) == 0)
				return true;
		} else if (pl == n && memcmp(name, p, n) == 0) {
			return true;
		}
	}
	return false;
}

void envs_free(envs_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->pat[i]);
	free(l->pat);
	l->pat = NULL;
	l->n = 0;
}

struct words {
	char **w;
	size_t n;
};

static int add_word(void *ctx, const char *p, size_t n)
{
	struct words *ws = ctx;

	for (size_t i = 0; i < ws->n; i++)
		if (strlen(ws->w[i]) == n && memcmp(ws->w[i], p, n) == 0)
			return 0;
	ws->w = xrealloc(ws->w, (ws->n + 1) * sizeof *ws->w);
	ws->w[ws->n++] = xstrndup(p, n);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *subsystem_merge(const char *existing)
{
	struct words ws = {NULL, 0};
	buf b = {0};

	if (existing)
		each_entry(existing, add_word, &ws);
	add_word(&ws, "envbox", 6);
	qsort(ws.w, ws.n, sizeof *ws.w, cmp_str);
	for (size_t i = 0; i < ws.n; i++) {
		if (i)
			buf_addc(&b, ',');
		buf_adds(&b, ws.w[i]);
		free(ws.w[i]);
	}
	free(ws.w);
	return buf_steal(&b);
}
