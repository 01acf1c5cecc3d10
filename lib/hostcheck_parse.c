/* hostcheck_parse: the parsers for what the kernel writes (see
 * hostcheck.h): strict, pure functions of the bytes given, fuzzed
 * (tests/fuzz/fuzz_hostcheck.c). hostfacts.c reads the files. */
#include "hostcheck.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The value of "Key:\tvalue" when the line's key is key, else NULL. */
static const char *field(const char *line, size_t n, const char *key, size_t *vlen)
{
	size_t k = strlen(key);
	const char *v;

	if (n <= k || memcmp(line, key, k) || line[k] != ':')
		return NULL;
	v = line + k + 1;
	while (v < line + n && (*v == '\t' || *v == ' '))
		v++;
	*vlen = (size_t)(line + n - v);
	return v;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hostcheck_parse_status(const char *text, size_t len, int64_t *cap_eff, int *seccomp,
			   eb_err *e)
{
	const char *p = text, *end = text + len, *line, *v;
	size_t n, vl;

	*cap_eff = -1;
	*seccomp = -1;
	while (line_next(&p, end, &line, &n)) {
		if ((v = field(line, n, "CapEff", &vl))) {
			uint64_t m = 0;

			/* 64 bits, of which the kernel uses 41 today: at most 63 fit
			 * the signed field, and -1 stays "unknown". */
			if (*cap_eff >= 0 || vl == 0 || vl > 16)
				goto bad_cap;
			for (size_t i = 0; i < vl; i++) {
				int h = hexval(v[i]);

				if (h < 0)
					goto bad_cap;
				m = m << 4 | (uint64_t)h;
			}
			if (m >> 63)
				goto bad_cap;
			*cap_eff = (int64_t)m;
		} else if ((v = field(line, n, "Seccomp", &vl))) {
			if (*seccomp >= 0 || vl != 1 || v[0] < '0' || v[0] > '2') {
				eb_errf(e, "Seccomp: \"%.*s\" is not 0, 1 or 2", (int)(vl > 32 ? 32 : vl), v);
				return -1;
			}
			*seccomp = v[0] - '0';
		}
	}
	return 0;
bad_cap:
	eb_errf(e, "CapEff: \"%.*s\" is not one hexadecimal capability mask",
		(int)(vl > 32 ? 32 : vl), v);
	return -1;
}

char *hostcheck_parse_cgroup(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *line;
	size_t n;

	while (line_next(&p, end, &line, &n)) {
		if (n < 4 || memcmp(line, "0::/", 4))
			continue;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)line[i] < ' ' || line[i] == 0x7f)
				return NULL;
		return xstrndup(line + 3, n - 3);
	}
	return NULL;
}

int hostcheck_parse_controllers(const char *text, size_t len)
{
	static const struct {
		const char *name;
		int bit;
	} known[] = { { "cpu", HC_CTRL_CPU }, { "memory", HC_CTRL_MEMORY },
		      { "pids", HC_CTRL_PIDS } };
	const char *p = text, *end = text + len;
	int mask = 0;

	while (p < end) {
		const char *w = p;

		while (p < end && *p != ' ' && *p != '\n')
			p++;
		for (size_t i = 0; i < N(known); i++)
			if ((size_t)(p - w) == strlen(known[i].name) &&
			    !memcmp(w, known[i].name, (size_t)(p - w)))
				mask |= known[i].bit;
		if (p < end)
			p++;
	}
	return mask;
}

int hostcheck_parse_sysctl(const char *text, size_t len, long long *v)
{
	long long x = 0;
	size_t i = 0;
	bool neg = false;

	if (len && text[len - 1] == '\n')
		len--;
	if (i < len && text[i] == '-') {
		neg = true;
		i++;
	}
	if (i == len || len - i > 18)
		return -1;
	for (; i < len; i++) {
		if (text[i] < '0' || text[i] > '9')
			return -1;
		x = x * 10 + (text[i] - '0');
	}
	*v = neg ? -x : x;
	return 0;
}

/* One unsigned decimal field of a uid_map line, skipping blanks first. */
static bool map_field(const char **s, const char *end, uint64_t *out)
{
	const char *d;
	uint64_t x = 0;

	while (*s < end && **s == ' ')
		(*s)++;
	d = *s;
	while (*s < end && **s >= '0' && **s <= '9' && *s - d < 10)
		x = x * 10 + (uint64_t)(*(*s)++ - '0');
	*out = x;
	return *s > d && (*s == end || **s == ' ');
}

int hostcheck_parse_uid_map(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *line;
	size_t n, lines = 0;
	bool identity = false;

	while (line_next(&p, end, &line, &n)) {
		const char *s = line, *e = line + n;
		uint64_t inside, outside, count;

		if (!map_field(&s, e, &inside) || !map_field(&s, e, &outside) ||
		    !map_field(&s, e, &count))
			return -1;
		while (s < e && *s == ' ')
			s++;
		if (s != e)
			return -1;
		lines++;
		identity = inside == 0 && outside == 0 && count == 4294967295u;
	}
	if (!lines)
		return -1;
	return lines == 1 && identity;
}
