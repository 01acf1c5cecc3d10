/* test_tar: archives built here by a small header writer, hostile variants
 * of them, and fixtures made by GNU tar (tests/fixtures/tar/README). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tar.h"

/* Appends one header block; magic is "ustar\0" "00" (POSIX) or GNU's. */
static void header(buf *b, const char *name, char type, const char *link,
		   unsigned long long size, bool gnu, const char *prefix)
{
	unsigned char h[512];
	unsigned sum = 0;

	memset(h, 0, sizeof h);
	memcpy(h, name, strnlen(name, 100));
	snprintf((char *)h + 100, 8, "%07o", 0644);
	snprintf((char *)h + 108, 8, "%07o", 1000);
	snprintf((char *)h + 116, 8, "%07o", 1000);
	{
		char sz[32];

		snprintf(sz, sizeof sz, "%011llo", size);
		memcpy(h + 124, sz, 11);
	}
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = (unsigned char)type;
	if (link)
		memcpy(h + 157, link, strnlen(link, 100));
	memcpy(h + 257, gnu ? "ustar  " : "ustar\0" "00", 8);
	if (prefix)
		memcpy(h + 345, prefix, strnlen(prefix, 155));
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	buf_add(b, h, sizeof h);
}

static void data(buf *b, const void *d, size_t n)
{
	static const char zero[512];

	buf_add(b, d, n);
	if (n % 512)
		buf_add(b, zero, 512 - n % 512);
}

static void file(buf *b, const char *name, const char *content)
{
	header(b, name, '0', NULL, strlen(content), false, NULL);
	data(b, content, strlen(content));
}

static void end(buf *b)
{
	static const char zero[1024];

	buf_add(b, zero, sizeof zero);
}

/* A pax 'x' header with the given records. */
static void pax(buf *b, const char *records)
{
	header(b, "PaxHeaders/x", 'x', NULL, strlen(records), false, NULL);
	data(b, records, strlen(records));
}

/* Every prefix of a valid archive must read without touching memory past
 * it; copying each prefix to its own allocation lets ASan see any overrun.
 * A cut inside a block, before the end marker is complete, is an error
 * (after it, GNU tar's padding to its record size is never read). */
static void every_prefix(const buf *b)
{
	tar_entry *ent = malloc(sizeof *ent);
	size_t marker_end = 0;
	tar_reader r;
	eb_err e;

	tar_init(&r, b->p, b->len);
	while (tar_next(&r, ent, &e) == 1)
		marker_end = (size_t)((const char *)ent->data - b->p) +
			     (size_t)(ent->size + 511) / 512 * 512 + 1024;

	for (size_t n = 0; n < b->len; n++) {
		unsigned char *copy = malloc(n ? n : 1);
		int rc;

		memcpy(copy, b->p, n);
		tar_init(&r, copy, n);
		while ((rc = tar_next(&r, ent, &e)) == 1)
			CHECK(ent->data + ent->size <= copy + n);
		/* Cut inside a header or data: always an error. */
		if (n % 512 && n < marker_end)
			CHECK(rc == -1);
		free(copy);
	}
	free(ent);
}

static void test_basic(void)
{
	buf b = {0};
	tar_reader r;
	tar_entry ent;
	eb_err e;
	const char *d;
	size_t n;

	file(&b, "passwd", "root:x:0:0::/root:/bin/sh\n");
	end(&b);
	tar_init(&r, b.p, b.len);
	CHECK(tar_next(&r, &ent, &e) == 1);
	CHECK_STR(ent.name, "passwd");
	CHECK(ent.type == TAR_REG);
	CHECK(ent.mode == 0644);
	CHECK(ent.uid == 1000 && ent.gid == 1000);
	CHECK(ent.size == 26);
	CHECK(memcmp(ent.data, "root:x:0", 8) == 0);
	CHECK(tar_next(&r, &ent, &e) == 0);
	CHECK(tar_next(&r, &ent, &e) == 0);

	d = tar_find_file(b.p, b.len, "/etc/passwd", &n, &e);
	CHECK(d && n == 26 && memcmp(d, "root:", 5) == 0);
	d = tar_find_file(b.p, b.len, "passwd", &n, &e);
	CHECK(d != NULL);
	CHECK(tar_find_file(b.p, b.len, "/etc/group", &n, &e) == NULL);
	CHECK_STR(e.msg, "/etc/group: not in the archive");
	CHECK(tar_find_file(b.p, b.len, "", &n, &e) == NULL);
	every_prefix(&b);
	buf_free(&b);
}

static void test_names(void)
{
	buf b = {0};
	tar_reader r;
	tar_entry ent;
	eb_err e;
	size_t n;
	const char *d;
	char longname[300];

	header(&b, "etc/", TAR_DIR, NULL, 0, false, NULL);
	header(&b, "./etc/os-release", TAR_SYMLINK, "../usr/lib/os-release", 0, false, NULL);
	header(&b, "os-release", TAR_REG, NULL, 9, false, "usr/lib");
	data(&b, "ID=alpine", 9);
	file(&b, "etc/passwd", "a:x:1:1::/:/bin/sh\n");
	end(&b);

	tar_init(&r, b.p, b.len);
	CHECK(tar_next(&r, &ent, &e) == 1 && ent.type == TAR_DIR);
	CHECK(tar_next(&r, &ent, &e) == 1 && ent.type == TAR_SYMLINK);
	CHECK_STR(ent.linkname, "../usr/lib/os-release");
	CHECK(ent.size == 0);
	CHECK(tar_next(&r, &ent, &e) == 1);
	CHECK_STR(ent.name, "usr/lib/os-release");

	/* The symlink comes first: tar_find sees it, tar_find_file skips it. */
	CHECK(tar_find(b.p, b.len, "/etc/os-release", &ent, &e) == 1);
	CHECK(ent.type == TAR_SYMLINK);
	d = tar_find_file(b.p, b.len, "usr/lib/os-release", &n, &e);
	CHECK(d && n == 9 && memcmp(d, "ID=alpine", 9) == 0);
	/* Exact name beats nothing; a different directory does not match. */
	CHECK(tar_find_file(b.p, b.len, "etc/passwd", &n, &e) != NULL);
	CHECK(tar_find_file(b.p, b.len, "opt/passwd", &n, &e) == NULL);
	CHECK(tar_find(b.p, b.len, "/etc/", &ent, &e) == 1 && ent.type == TAR_DIR);
	buf_free(&b);

	/* A symlink alone: the error names its target. */
	header(&b, "os-release", TAR_SYMLINK, "../usr/lib/os-release", 0, false, NULL);
	end(&b);
	CHECK(tar_find_file(b.p, b.len, "/etc/os-release", &n, &e) == NULL);
	CHECK_STR(e.msg, "/etc/os-release: a symlink to ../usr/lib/os-release, not a file");
	buf_free(&b);

	/* pax path, linkpath and size override the header. */
	memset(longname, 'p', sizeof longname);
	longname[sizeof longname - 1] = 0;
	{
		char rec[400];
		int l = (int)strlen(longname) + 10; /* "NNN path=" + name + "\n" */

		snprintf(rec, sizeof rec, "%d path=%s\n11 size=10\n", l, longname);
		pax(&b, rec);
	}
	header(&b, "short", TAR_REG, NULL, 99, false, NULL);
	data(&b, "0123456789", 10);
	pax(&b, "22 linkpath=/a/target\n");
	header(&b, "lnk", TAR_SYMLINK, "ignored", 0, false, NULL);
	file(&b, "after", "x");
	end(&b);
	tar_init(&r, b.p, b.len);
	CHECK(tar_next(&r, &ent, &e) == 1);
	CHECK_STR(ent.name, longname);
	CHECK(ent.size == 10 && memcmp(ent.data, "0123456789", 10) == 0);
	CHECK(tar_next(&r, &ent, &e) == 1);
	CHECK_STR(ent.linkname, "/a/target");
	/* pax overrides apply to one entry only. */
	CHECK(tar_next(&r, &ent, &e) == 1);
	CHECK_STR(ent.name, "after");
	CHECK(ent.size == 1);
	CHECK(tar_next(&r, &ent, &e) == 0);
	every_prefix(&b);
	buf_free(&b);

	/* GNU 'L' and 'K'. */
	header(&b, "././@LongLink", 'L', NULL, strlen(longname) + 1, true, NULL);
	data(&b, longname, strlen(longname) + 1);
	header(&b, "././@LongLink", 'K', NULL, 12, true, NULL);
	data(&b, "/long/target", 12);
	header(&b, "trunc", TAR_LINK, "t", 0, true, NULL);
	end(&b);
	tar_init(&r, b.p, b.len);
	CHECK(tar_next(&r, &ent, &e) == 1);
	CHECK_STR(ent.name, longname);
	CHECK_STR(ent.linkname, "/long/target");
	CHECK(ent.type == TAR_LINK);
	buf_free(&b);

	/* The GNU magic has no prefix field: those bytes are not a name. */
	header(&b, "name", TAR_REG, NULL, 0, true, "junk");
	end(&b);
	tar_init(&r, b.p, b.len);
	CHECK(tar_next(&r, &ent, &e) == 1);
	CHECK_STR(ent.name, "name");
	buf_free(&b);

	/* A pax global header is checked and skipped, not applied. */
	header(&b, "global", 'g', NULL, 12, false, NULL);
	data(&b, "12 path=zzz\n", 12);
	file(&b, "passwd", "x");
	end(&b);
	tar_init(&r, b.p, b.len);
	CHECK(tar_next(&r, &ent, &e) == 1);
	CHECK_STR(ent.name, "passwd");
	buf_free(&b);

	/* GNU.sparse pax keys: the data is not the file. */
	pax(&b, "22 GNU.sparse.major=1\n");
	file(&b, "passwd", "x");
	end(&b);
	CHECK(tar_find_file(b.p, b.len, "passwd", &n, &e) == NULL);
	CHECK(tar_find(b.p, b.len, "passwd", &ent, &e) == 1 && ent.type == 'S');
	buf_free(&b);
}

/* Runs the archive and says how it ended: 0 clean, -1 error. */
static int read_all(const buf *b, eb_err *e)
{
	tar_reader r;
	tar_entry ent;
	int rc;

	tar_init(&r, b->p, b->len);
	while ((rc = tar_next(&r, &ent, e)) == 1)
		;
	return rc;
}

static void test_hostile(void)
{
	buf b = {0};
	eb_err e;
	tar_reader r;
	tar_entry ent;

	/* Empty buffer and one zero block: empty archives. */
	CHECK(read_all(&b, &e) == 0);
	buf_add(&b, (char[512]){0}, 512);
	CHECK(read_all(&b, &e) == 0);
	buf_free(&b);

	/* No end marker, archive ends at a block boundary: accepted. */
	file(&b, "a", "x");
	CHECK(read_all(&b, &e) == 0);
	/* A lone zero block followed by more data. */
	buf_add(&b, (char[512]){0}, 512);
	file(&b, "b", "y");
	CHECK(read_all(&b, &e) == -1);
	CHECK_STR(e.msg, "tar: header at byte 1024: a lone zero block before more data");
	buf_free(&b);

	/* A flipped byte breaks the checksum. */
	file(&b, "a", "x");
	end(&b);
	b.p[10] ^= 1;
	CHECK(read_all(&b, &e) == -1);
	CHECK_STR(e.msg, "tar: header at byte 0: checksum mismatch (not a tar archive, or corrupt)");
	/* Errors stick. */
	tar_init(&r, b.p, b.len);
	CHECK(tar_next(&r, &ent, &e) == -1);
	CHECK(tar_next(&r, &ent, &e) == -1);
	buf_free(&b);

	/* A size far past the buffer, octal and base-256. */
	header(&b, "big", TAR_REG, NULL, 077777777777ULL, false, NULL);
	end(&b);
	CHECK(read_all(&b, &e) == -1);
	CHECK_STR(e.msg, "tar: header at byte 0: entry data runs past the end of the archive");
	buf_free(&b);
	header(&b, "big", TAR_REG, NULL, 0, false, NULL);
	memset(b.p + 124, 0, 12);
	b.p[124] = (char)0x80;
	memset(b.p + 128, 0xff, 8);
	{
		unsigned sum = 0;

		memset(b.p + 148, ' ', 8);
		for (int i = 0; i < 512; i++)
			sum += (unsigned char)b.p[i];
		snprintf(b.p + 148, 8, "%06o", sum);
	}
	end(&b);
	CHECK(read_all(&b, &e) == -1);
	buf_free(&b);

	/* A pax size that lies about the data. */
	pax(&b, "16 size=1000000\n");
	file(&b, "a", "x");
	end(&b);
	CHECK(read_all(&b, &e) == -1);
	buf_free(&b);

	/* Malformed pax records. */
	{
		static const char *bad[] = {
			"5 a=b\n",            /* length too short for the record */
			"99 path=x\n",        /* length past the data */
			"10 path=xy",         /* no newline */
			"x path=y\n",         /* no length */
			"9 =value\n",         /* no key */
			"11 size=1a\n",       /* size not decimal */
			"11 pathxyz\n",       /* no '=' */
		};
		for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
			pax(&b, bad[i]);
			file(&b, "a", "x");
			end(&b);
			CHECK(read_all(&b, &e) == -1);
			buf_reset(&b);
		}
	}
	/* An extended header with nothing after it. */
	pax(&b, "11 path=ab\n");
	end(&b);
	CHECK(read_all(&b, &e) == -1);
	CHECK_STR(e.msg, "tar: header at byte 1024: archive ends after an extended header");
	buf_reset(&b);
	/* No magic: not something we read. */
	file(&b, "a", "x");
	memset(b.p + 257, 0, 8);
	{
		unsigned sum = 0;

		memset(b.p + 148, ' ', 8);
		for (int i = 0; i < 512; i++)
			sum += (unsigned char)b.p[i];
		snprintf(b.p + 148, 8, "%06o", sum);
	}
	CHECK(read_all(&b, &e) == -1);
	CHECK_STR(e.msg, "tar: header at byte 0: no ustar magic");
	buf_free(&b);

	/* A directory whose size field is not zero carries no data. */
	header(&b, "d/", TAR_DIR, NULL, 512, false, NULL);
	file(&b, "passwd", "x");
	end(&b);
	CHECK(tar_find_file(b.p, b.len, "passwd", &(size_t){0}, &e) != NULL);
	buf_free(&b);
}

static void test_fixtures(void)
{
	static const struct {
		const char *file, *name, *want;
	} cases[] = {
		{"ustar.tar", "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"},
		{"ustar.tar", "usr/lib/" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
			      "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/long-name-file.txt",
		 "long name contents\n"},
		{"pax-longname.tar", "passwd", "root:x:0:0"},
		{"pax-longname.tar", "ccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
				     "ccccccccccccccccccccccccccccccccccccccccccccccccccccccc.txt",
		 "very long basename\n"},
		{"gnu-longname.tar", "ccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
				     "ccccccccccccccccccccccccccccccccccccccccccccccccccccccc.txt",
		 "very long basename\n"},
	};
	const char *dir = getenv("FIXTURES") ? getenv("FIXTURES") : "tests/fixtures";

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char path[512];
		buf b = {0};
		eb_err e;
		const char *d;
		size_t n = 0;

		snprintf(path, sizeof path, "%s/tar/%s", dir, cases[i].file);
		if (read_file(path, 1 << 20, &b, &e) < 0) {
			fprintf(stderr, "%s\n", e.msg);
			CHECK(!"fixture readable");
			continue;
		}
		CHECK(read_all(&b, &e) == 0);
		d = tar_find_file(b.p, b.len, cases[i].name, &n, &e);
		CHECK(d != NULL);
		if (d)
			CHECK(n >= strlen(cases[i].want) &&
			      memcmp(d, cases[i].want, strlen(cases[i].want)) == 0);
		buf_free(&b);
	}
	{
		char path[512];
		buf b = {0};
		eb_err e;
		tar_entry ent;

		snprintf(path, sizeof path, "%s/tar/ustar.tar", dir);
		if (read_file(path, 1 << 20, &b, &e) == 0) {
			CHECK(tar_find(b.p, b.len, "/etc/os-release", &ent, &e) == 1);
			CHECK(ent.type == TAR_SYMLINK);
			CHECK_STR(ent.linkname, "../usr/lib/os-release");
			every_prefix(&b);
		}
		buf_free(&b);
	}
}

int main(void)
{
	test_basic();
	test_names();
	test_hostile();
	test_fixtures();
	return check_done("test_tar");
}
