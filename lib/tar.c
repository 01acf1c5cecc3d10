/* tar: a strict reader for ustar, pax and GNU archives held in memory.
 * Every length read from the archive is checked against what is left of the
 * buffer before it is used, so truncated or hostile input is an error. */
#include "tar.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK 512

/* Header fields: offset and length (POSIX ustar; GNU shares the layout up
 * to the magic and uses the prefix area for other things). */
#define F_NAME 0, 100
#define F_MODE 100, 8
#define F_UID 108, 8
#define F_GID 116, 8
#define F_SIZE 124, 12
#define F_CHKSUM 148, 8
#define O_TYPE 156
#define F_LINK 157, 100
#define O_MAGIC 257
#define F_PREFIX 345, 155

/* What extended headers ('x', 'L', 'K') say about the entry that follows. */
typedef struct {
	char path[TAR_NAME_MAX + 1], linkpath[TAR_NAME_MAX + 1];
	bool has_path, has_link, has_size, has_uid, has_gid, sparse;
	unsigned long long size, uid, gid;
} pending;

void tar_init(tar_reader *r, const void *archive, size_t len)
{
	r->p = archive ? archive : (const void *)""; /* no arithmetic on NULL */
	r->len = len;
	r->off = 0;
	r->done = false;
}

static bool zero_block(const unsigned char *h)
{
	for (size_t i = 0; i < BLOCK; i++)
		if (h[i])
			return false;
	return true;
}

/* A numeric header field: octal, space or NUL padded, or GNU base-256
 * (high bit set) for values that do not fit. Negative values are refused. */
static int num_field(const unsigned char *h, size_t off, size_t n,
		     unsigned long long *out)
{
	const unsigned char *f = h + off;
	unsigned long long v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] & 0x40)
			return -1; /* negative */
		v = f[0] & 0x3f;
		for (i = 1; i < n; i++) {
			if (v > ULLONG_MAX >> 8)
				return -1;
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > ULLONG_MAX >> 3)
			return -1;
		v = v << 3 | (unsigned)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != 0)
			return -1;
	*out = v;
	return 0;
}

/* The checksum is the sum of the header bytes with the checksum field read
 * as spaces; old writers summed signed chars, so both sums are accepted. */
static bool checksum_ok(const unsigned char *h)
{
	unsigned long long want;
	long sum_u = 0, sum_s = 0;

	if (num_field(h, F_CHKSUM, &want) < 0)
		return false;
	for (size_t i = 0; i < BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];

		sum_u += c;
		sum_s += (signed char)c;
	}
	return want == (unsigned long long)sum_u ||
	       (sum_s >= 0 && want == (unsigned long long)sum_s);
}

/* Copies a NUL-padded field (or a record) as a string. */
static size_t field_str(char *dst, const unsigned char *h, size_t off, size_t n)
{
	const unsigned char *f = h + off;
	size_t l = 0;

	while (l < n && f[l])
		l++;
	memcpy(dst, f, l);
	dst[l] = 0;
	return l;
}

static int dec_value(const char *s, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || v > (ULLONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static bool key_is(const char *k, size_t kl, const char *want)
{
	return kl == strlen(want) && memcmp(k, want, kl) == 0;
}

/* A pax string value: no NUL inside, bounded; empty means "unset". */
static int pax_str(const char *v, size_t vl, char *dst, bool *has)
{
	if (vl > TAR_NAME_MAX || memchr(v, 0, vl))
		return -1;
	memcpy(dst, v, vl);
	dst[vl] = 0;
	*has = vl > 0;
	return 0;
}

/* pax extended header records: "LEN KEY=VALUE\n", LEN counting the whole
 * record. Only the keys that change where an entry is or how big it is
 * matter here; the others are checked for form and skipped. Returns NULL
 * or what is wrong. */
static const char *pax_parse(const unsigned char *d, size_t n, pending *pd)
{
	size_t off = 0;

	while (off < n) {
		const char *rec = (const char *)d + off;
		size_t left = n - off, i = 0, len = 0;
		const char *k, *v, *eq;
		size_t kl, vl;

		while (i < left && rec[i] >= '0' && rec[i] <= '9') {
			if (len > (SIZE_MAX - 9) / 10)
				return "pax record length overflows";
			len = len * 10 + (size_t)(rec[i] - '0');
			i++;
		}
		if (i == 0 || i >= left || rec[i] != ' ')
			return "pax record without a length";
		if (len <= i + 1 || len > left)
			return "pax record length out of range";
		if (rec[len - 1] != '\n')
			return "pax record not ended by a newline";
		k = rec + i + 1;
		eq = memchr(k, '=', len - i - 2);
		if (!eq || eq == k)
			return "pax record without a key";
		kl = (size_t)(eq - k);
		v = eq + 1;
		vl = (size_t)(rec + len - 1 - v);
		if (key_is(k, kl, "path")) {
			if (pax_str(v, vl, pd->path, &pd->has_path) < 0)
				return "pax path too long or has a NUL";
		} else if (key_is(k, kl, "linkpath")) {
			if (pax_str(v, vl, pd->linkpath, &pd->has_link) < 0)
				return "pax linkpath too long or has a NUL";
		} else if (key_is(k, kl, "size")) {
			if (dec_value(v, vl, &pd->size) < 0)
				return "pax size not a decimal number";
			pd->has_size = true;
		} else if (key_is(k, kl, "uid")) {
			if (dec_value(v, vl, &pd->uid) < 0)
				return "pax uid not a decimal number";
			pd->has_uid = true;
		} else if (key_is(k, kl, "gid")) {
			if (dec_value(v, vl, &pd->gid) < 0)
				return "pax gid not a decimal number";
			pd->has_gid = true;
		} else if (kl > 11 && memcmp(k, "GNU.sparse.", 11) == 0) {
			/* A sparse file's data is a map plus fragments, not
			 * the file: never hand it out as a regular file. */
			pd->sparse = true;
		}
		off += len;
	}
	return NULL;
}

/* GNU 'L'/'K': the data is the name, NUL-terminated by most writers. */
static const char *gnu_long(const unsigned char *d, size_t n, char *dst,
			    bool *has)
{
	size_t l = 0;

	while (l < n && d[l])
		l++;
	if (l == 0)
		return "empty GNU long name";
	if (l > TAR_NAME_MAX)
		return "GNU long name too long";
	memcpy(dst, d, l);
	dst[l] = 0;
	*has = true;
	return NULL;
}

static bool header_only(char type)
{
	return type >= TAR_LINK && type <= TAR_FIFO;
}

/* Reads headers until one that is an entry of its own: extended headers
 * ('x', 'g', 'L', 'K') before it are gathered into *pd. Returns the
 * entry's header, NULL at the end (*why NULL) or on an error (*why set). */
static const unsigned char *next_header(tar_reader *r, pending *pd,
					unsigned long long *sizep, char *typep,
					const char **why)
{
	bool ext = false; /* an extended header awaits its entry */

	*why = NULL;
	for (;;) {
		size_t at = r->off, left = r->len - r->off, padded;
		const unsigned char *h = r->p + at;
		unsigned long long size;
		char type;

		/* The end: two zero blocks, or (as Go's archive/tar and GNU
		 * tar allow) the buffer ending at a block boundary. */
		if (left == 0 || (left >= BLOCK && zero_block(h))) {
			if (ext)
				*why = "archive ends after an extended header";
			else if (left > BLOCK &&
				 (left < 2 * BLOCK || !zero_block(h + BLOCK)))
				*why = "a lone zero block before more data";
			return NULL;
		}
		if (left < BLOCK) {
			*why = "truncated header";
			return NULL;
		}
		if (!checksum_ok(h)) {
			*why = "checksum mismatch (not a tar archive, or corrupt)";
			return NULL;
		}
		/* "ustar\0" "00" is POSIX; "ustar " " \0" is GNU. V7 archives
		 * (no magic) are not something dockerd writes. */
		if (memcmp(h + O_MAGIC, "ustar\0", 6) != 0 &&
		    memcmp(h + O_MAGIC, "ustar ", 6) != 0) {
			*why = "no ustar magic";
			return NULL;
		}
		if (num_field(h, F_SIZE, &size) < 0) {
			*why = "bad size field";
			return NULL;
		}
		type = (char)h[O_TYPE];
		if (type == 0 || type == '7')
			type = TAR_REG;
		/* Links, devices and directories carry no data whatever
		 * their size field says (as Go's archive/tar reads them). */
		if (header_only(type))
			size = 0;
		else if (pd->has_size && !strchr("xgLK", type))
			size = pd->size;
		if (size > left - BLOCK) {
			*why = "entry data runs past the end of the archive";
			return NULL;
		}
		padded = (size_t)size + (BLOCK - (size_t)size % BLOCK) % BLOCK;
		if (padded > left - BLOCK) {
			*why = "entry padding runs past the end of the archive";
			return NULL;
		}
		r->off = at + BLOCK + padded;

		switch (type) {
		case 'x': /* pax: applies to the next entry */
			*why = pax_parse(h + BLOCK, (size_t)size, pd);
			ext = true;
			break;
		case 'g': { /* pax global: checked, not applied */
			pending g;

			memset(&g, 0, sizeof g);
			*why = pax_parse(h + BLOCK, (size_t)size, &g);
			break;
		}
		case 'L':
			*why = gnu_long(h + BLOCK, (size_t)size, pd->path,
					&pd->has_path);
			ext = true;
			break;
		case 'K':
			*why = gnu_long(h + BLOCK, (size_t)size, pd->linkpath,
					&pd->has_link);
			ext = true;
			break;
		default:
			*sizep = size;
			*typep = type;
			return h;
		}
		if (*why) {
			r->off = at; /* the error names this header */
			return NULL;
		}
	}
}

int tar_next(tar_reader *r, tar_entry *ent, eb_err *e)
{
	const unsigned char *h;
	unsigned long long size, mode;
	const char *why;
	pending pd;
	char type;

	if (r->off > r->len) {
		eb_errf(e, "tar: archive already found malformed");
		return -1;
	}
	if (r->done)
		return 0;
	memset(&pd, 0, sizeof pd);
	h = next_header(r, &pd, &size, &type, &why);
	if (!h && !why) {
		r->done = true;
		return 0;
	}
	if (h) {
		why = NULL;
		memset(ent, 0, sizeof *ent);
		if (pd.has_path) {
			memcpy(ent->name, pd.path, sizeof ent->name);
		} else {
			size_t n = 0;

			/* GNU headers use the prefix area for other things. */
			if (memcmp(h + O_MAGIC, "ustar\0", 6) == 0 && h[345]) {
				n = field_str(ent->name, h, F_PREFIX);
				ent->name[n++] = '/';
			}
			field_str(ent->name + n, h, F_NAME);
		}
		if (pd.has_link)
			memcpy(ent->linkname, pd.linkpath, sizeof ent->linkname);
		else
			field_str(ent->linkname, h, F_LINK);
		if (!ent->name[0])
			why = "entry without a name";
		else if (num_field(h, F_MODE, &mode) < 0)
			why = "bad mode field";
		else if (!pd.has_uid && num_field(h, F_UID, &ent->uid) < 0)
			why = "bad uid field";
		else if (!pd.has_gid && num_field(h, F_GID, &ent->gid) < 0)
			why = "bad gid field";
		if (!why) {
			ent->mode = (unsigned)(mode & 07777);
			if (pd.has_uid)
				ent->uid = pd.uid;
			if (pd.has_gid)
				ent->gid = pd.gid;
			ent->type = pd.sparse ? 'S' : type;
			ent->size = size;
			ent->data = h + BLOCK;
			return 1;
		}
		r->off = (size_t)(h - r->p);
	}
	eb_errf(e, "tar: header at byte %zu: %s", r->off, why);
	r->done = true;
	r->off = r->len + 1; /* poisons later calls */
	return -1;
}

/* Drops "./" and "/" at the start and "/" at the end, in place. */
static const char *norm(const char *s, char *tmp, size_t n)
{
	size_t l;

	for (;;) {
		if (s[0] == '/')
			s++;
		else if (s[0] == '.' && s[1] == '/')
			s += 2;
		else
			break;
	}
	l = strlen(s);
	if (l >= n)
		l = n - 1;
	memcpy(tmp, s, l);
	while (l > 0 && tmp[l - 1] == '/')
		l--;
	tmp[l] = 0;
	return tmp;
}

static const char *base(const char *s)
{
	const char *b = strrchr(s, '/');

	return b ? b + 1 : s;
}

static bool name_match(const char *entry, const char *want)
{
	char a[TAR_NAME_MAX + 1], b[TAR_NAME_MAX + 1];

	entry = norm(entry, a, sizeof a);
	want = norm(want, b, sizeof b);
	if (!*entry || !*want)
		return false;
	return strcmp(entry, want) == 0 || strcmp(base(entry), want) == 0 ||
	       strcmp(entry, base(want)) == 0;
}

/* The first match of a given kind: regular files only, or any. */
static int find(const void *archive, size_t len, const char *name, bool reg,
		tar_entry *ent, tar_entry *other, eb_err *e)
{
	tar_reader r;
	bool seen_other = false;
	int rc;

	tar_init(&r, archive, len);
	while ((rc = tar_next(&r, ent, e)) == 1) {
		if (!name_match(ent->name, name))
			continue;
		if (!reg || ent->type == TAR_REG)
			return 1;
		if (!seen_other) {
			*other = *ent;
			seen_other = true;
		}
	}
	if (rc < 0)
		return -1;
	if (seen_other && other->type == TAR_SYMLINK)
		eb_errf(e, "%s: a symlink to %s, not a file", name, other->linkname);
	else if (seen_other)
		eb_errf(e, "%s: not a regular file (type '%c')", name,
			other->type >= 0x20 && other->type < 0x7f ? other->type : '?');
	else
		eb_errf(e, "%s: not in the archive", name);
	return 0;
}

int tar_find(const void *archive, size_t len, const char *name, tar_entry *ent,
	     eb_err *e)
{
	return find(archive, len, name, false, ent, NULL, e);
}

const void *tar_find_file(const void *archive, size_t len, const char *name,
			  size_t *size, eb_err *e)
{
	/* Two entries of 8 KiB each: keep them off the caller's stack. */
	tar_entry *ent = xmalloc(sizeof *ent), *other = xmalloc(sizeof *other);
	const void *data = NULL;

	if (find(archive, len, name, true, ent, other, e) == 1) {
		data = ent->data;
		*size = (size_t)ent->size;
	}
	free(ent);
	free(other);
	return data;
}
