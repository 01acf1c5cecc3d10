/* util: error values, growable buffers, allocation that aborts on OOM,
 * and the few file and text chores every part needs. */
#ifndef ENVBOX_UTIL_H
#define ENVBOX_UTIL_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Library functions report failure by returning -1 (or NULL) and filling an
 * eb_err with one line saying what and why. Only applets print and exit. */
typedef struct {
	char msg[1024];
} eb_err;

void eb_errf(eb_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Allocation failure is not recoverable for us: abort with a message. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t m);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Makes room for one more element at v[n] in an array of cap elements,
 * doubling it (16 at first). */
#define GROW(v, n, cap)                                                     \
	do {                                                                \
		if ((n) == (cap)) {                                         \
			(cap) = (cap) ? 2 * (cap) : 16;                     \
			(v) = xrealloc((v), (cap) * sizeof *(v));           \
		}                                                           \
	} while (0)

/* A growable byte buffer, always NUL-terminated when p != NULL. */
typedef struct {
	char *p;
	size_t len, cap;
} buf;

void buf_add(buf *b, const void *data, size_t n);
void buf_adds(buf *b, const char *s);
void buf_addc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(buf *b);
void buf_free(buf *b);
/* Hands the contents over (never NULL) and leaves b empty. */
char *buf_steal(buf *b);

bool str_starts(const char *s, const char *prefix);
bool str_ends(const char *s, const char *suffix);

/* Folds "//", "/./", "/../" and a trailing "/" lexically (no symlinks are
 * read): an absolute path, a relative one taken from "/". ".." above the
 * root stays at the root, as the kernel does. Returns a malloc'd string. */
char *path_clean(const char *path);

/* url with any user:password@ before its host replaced by three stars and
 * the '@', for messages. A value that is no URL at all gets the same
 * treatment up to its first '/'. malloc'd. */
char *url_redacted(const char *url);

/* The first control character (< 0x20 or 0x7f) in s, or NULL. */
const char *str_control(const char *s);

/* Milliseconds on the monotonic clock: for deadlines and durations. */
long long mono_ms(void);

/* A file installed with envbox: PREFIX/under_prefix for a binary at
 * exe = PREFIX/bin/NAME (an absolute path), fallback when exe is NULL or
 * relative. installed_path does it for this process's binary. Owned. */
char *prefix_path(const char *exe, const char *under_prefix, const char *fallback);
char *installed_path(const char *under_prefix, const char *fallback);

/* Reads a whole file and appends it to *out (then never NULL), which may
 * hold max bytes in all; -1 with e filled and errno saying why (EFBIG: past
 * max; what was read may be in out). */
int read_file(const char *path, size_t max, buf *out, eb_err *e);
/* read_file of name relative to the directory dirfd (or AT_FDCWD), without
 * following a link there (ELOOP): for files under a directory opened
 * once, such as a cgroup's. */
int read_file_at(int dirfd, const char *name, size_t max, buf *out, eb_err *e);

/* Writes all of data to fd, again after EINTR and short writes: 0, or -1
 * with errno set. */
int fd_write_all(int fd, const void *data, size_t len);

/* mkdir -p: path and every missing directory above it, each made with mode
 * (less the umask). Links on the way are followed. Something there that is
 * not a directory is an error naming it ("unable to create %s: ..."). */
int mkdir_p(const char *path, mode_t mode, eb_err *e);

/* Replaces target with data, or creates it: a temporary file next to it
 * (same directory, so the rename is atomic), given uid:gid (each -1 to leave
 * it as created) and mode, written, synced and renamed over target; the
 * directory is then synced. Readers see the old file or the new one, never
 * a part. A symlink at target is replaced, not written through (resolve it
 * first for that). On failure the temporary file is gone and target is as
 * it was. */
int write_file_atomic(const char *target, const void *data, size_t len, mode_t mode,
		      uid_t uid, gid_t gid, eb_err *e);

/* The lines of the text [*p, end): each call gives the next one as
 * *line, *len (without its '\n'; a "\r" before it is kept) and moves *p past
 * it; false at the end. A last line without '\n' is a line; a final '\n'
 * starts none, so "" has no lines and "a\n\nb" has "a", "", "b". A NUL is a
 * byte like any other: the text is bounded by end, not by a NUL (for a C
 * string, end = s + strlen(s)).
 *	while (line_next(&p, end, &line, &n)) ... */
bool line_next(const char **p, const char *end, const char **line, size_t *len);

#endif
