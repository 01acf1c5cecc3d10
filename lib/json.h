/* json: a reader on jsmn tokens and a writer with correct escaping. */
#ifndef ENVBOX_JSON_H
#define ENVBOX_JSON_H
#define JSMN_HEADER
#define JSMN_PARENT_LINKS
#define JSMN_STRICT
#include <jsmn.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/* A parsed document. Token 0 is the root value. The source is borrowed:
 * it must outlive the document. */
typedef struct {
	const char *js;
	size_t len;
	jsmntok_t *tok;
	int ntok;
} json_doc;

/* Parses exactly one JSON value (surrounding whitespace allowed). Invalid or
 * truncated input is an error (-1, e filled), never a crash. */
int json_parse(json_doc *d, const char *js, size_t len, eb_err *e);
void json_free(json_doc *d);

/* Token navigation; every function accepts -1 for "absent" and returns -1. */
int json_type(const json_doc *d, int i);          /* JSMN_* or -1 */
int json_size(const json_doc *d, int i);          /* members of object/array */
int json_skip(const json_doc *d, int i);          /* token after i's subtree */
int json_obj_get(const json_doc *d, int obj, const char *key); /* value token */
int json_arr_at(const json_doc *d, int arr, int idx);
/* Object member n: its key token (value is key + 1). */
int json_obj_key(const json_doc *d, int obj, int n);
/* Lookup by path: keys of nested objects, NULL-terminated.
 * json_get(d, 0, "auths", "registry.example.com", "auth", NULL) */
int json_get(const json_doc *d, int i, ...);
/* Lookup by a dotted path string, "[n]" or ".n" for array elements:
 * json_path(d, 0, "Config.Env[0]"). Keys with dots need json_get. */
int json_path(const json_doc *d, int i, const char *path);

/* Values. String unescaping handles \uXXXX and surrogate pairs; a lone
 * surrogate or a NUL escape is an error. */
char *json_strdup(const json_doc *d, int i);      /* NULL unless a valid string */
bool json_str_eq(const json_doc *d, int i, const char *s);
int json_int(const json_doc *d, int i, long long *out); /* integral numbers */
int json_num(const json_doc *d, int i, double *out);
int json_bool(const json_doc *d, int i, bool *out);
bool json_is_null(const json_doc *d, int i);

/* Writer: appends to a buf; commas are placed automatically. */
typedef struct {
	buf *b;
	int depth;
	unsigned long long first; /* bit per depth: no member written yet */
	bool after_key;
} json_w;

void jw_init(json_w *w, buf *b);
void jw_obj(json_w *w);
void jw_obj_end(json_w *w);
void jw_arr(json_w *w);
void jw_arr_end(json_w *w);
void jw_key(json_w *w, const char *k);
void jw_str(json_w *w, const char *s);
void jw_strn(json_w *w, const char *s, size_t n);
void jw_int(json_w *w, long long v);
void jw_bool(json_w *w, bool v);
void jw_null(json_w *w);
/* Convenience: key plus value. */
void jw_kstr(json_w *w, const char *k, const char *s);
void jw_kint(json_w *w, const char *k, long long v);
void jw_kbool(json_w *w, const char *k, bool v);
/* Key plus an array of the n strings v[0..n). */
void jw_kstrs(json_w *w, const char *k, char *const *v, size_t n);
/* Appends s as a JSON string literal (with quotes) to b. */
void json_escape(buf *b, const char *s, size_t n);

#endif
