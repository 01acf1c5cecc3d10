/* tar: a strict reader for ustar, pax and GNU archives held in memory.
 * It exists to read the Engine API's archive endpoint (GET
 * /containers/ID/archive?path=/etc/passwd), which answers with a tar stream
 * of that one path, so an image can be probed without running it.
 * POSIX ustar and pax: https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html */
#ifndef ENVBOX_TAR_H
#define ENVBOX_TAR_H
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* Longest name or link target we accept (pax and GNU records can carry
 * longer ones; those are refused, not truncated). */
#define TAR_NAME_MAX 4096

/* Entry types (the header's typeflag; '\0' and '7' are reported as '0'). */
enum {
	TAR_REG = '0',
	TAR_LINK = '1',    /* hard link to linkname */
	TAR_SYMLINK = '2',
	TAR_CHR = '3',
	TAR_BLK = '4',
	TAR_DIR = '5',
	TAR_FIFO = '6',
};

typedef struct {
	char name[TAR_NAME_MAX + 1];     /* ustar prefix/name, or pax path, or GNU 'L' */
	char linkname[TAR_NAME_MAX + 1]; /* pax linkpath or GNU 'K' or the header's */
	char type;                       /* TAR_* or another typeflag byte */
	unsigned mode;                   /* permission bits, 07777 */
	unsigned long long uid, gid;
	unsigned long long size;         /* bytes at data (0 for header-only types) */
	const unsigned char *data;       /* points into the archive buffer */
} tar_entry;

typedef struct {
	const unsigned char *p;
	size_t len, off;
	bool done;
} tar_reader;

/* The archive is borrowed: entries point into it. */
void tar_init(tar_reader *r, const void *archive, size_t len);
/* Next entry: 1 and *ent filled, 0 at the end of the archive, -1 with e filled
 * when the archive is malformed or truncated (and on every later call). */
int tar_next(tar_reader *r, tar_entry *ent, eb_err *e);

/* The first entry of any type whose name matches: 1 found (*ent filled),
 * 0 none (e says so), -1 malformed archive. A name matches when it equals
 * the entry's name, or either one's basename equals the other ("./" and
 * leading or trailing slashes aside): the archive endpoint names its one
 * entry after the basename of the path asked for. */
int tar_find(const void *archive, size_t len, const char *name, tar_entry *ent,
	     eb_err *e);
/* The data of the first regular file whose name matches, as tar_find.
 * NULL with e filled when none does (a symlink in its place is named in
 * e with its target) or the archive is malformed. */
const void *tar_find_file(const void *archive, size_t len, const char *name,
			  size_t *size, eb_err *e);

#endif
