/* probecache: the file the probe's answer is kept in, per image ID and
 * user (probe.h's image_probe_cached reads and writes it). One file
 * "probe-ALGO-HEX" in a directory made 0700: the last image probed. */
#ifndef ENVBOX_PROBECACHE_H
#define ENVBOX_PROBECACHE_H
#include <stddef.h>

#include "probe.h"
#include "util.h"

/* The cache file's lines: "envbox-probe 1", then "user", "uid", "gid",
 * "home", "init", "os", "os_like" each "KEY VALUE". Parse is strict (a
 * file of another user, version or shape is -1: a miss); libdir is derived
 * again from os and os_like. Format is -1 for values that cannot be lines. */
int image_cache_parse(const char *s, size_t len, const char *user,
		      struct image_info *out);
int image_cache_format(const struct image_info *i, const char *user, buf *out);

/* DIR/probe-ALGO-HEX for an image ID "ALGO:HEX", or NULL when the ID is
 * not of that shape. malloc'd. */
char *image_cache_file(const char *dir, const char *id);
/* The cache file for user: 0 and *out filled (free with image_info_free),
 * or -1 when it is missing, unreadable or not what parse takes (a miss). */
int image_cache_read(const char *file, const char *user,
		     struct image_info *out);
/* Writes file (in dir, made 0700 when missing) atomically and removes dir's
 * other probe files. -1 with e saying why; e empty when the values cannot
 * be kept as lines (image_cache_format refuses them). */
int image_cache_write(const char *dir, const char *file, const char *user,
		      const struct image_info *i, eb_err *e);

#endif
