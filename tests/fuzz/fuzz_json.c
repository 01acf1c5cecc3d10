/* libFuzzer target for lib/json: parse, walk every token, unescape every
 * string, write each string back with the writer and read it again. Any
 * disagreement aborts. Build and run:
 *   clang -std=c11 -D_GNU_SOURCE -Ilib -g -O1 \
 *     -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_json.c \
 *     lib/json.c lib/json_check.c lib/json_write.c lib/b64.c lib/util.c \
 *     -o fuzz_json
 *   ./fuzz_json -max_total_time=60 tests/fuzz/corpus/json */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* The writer's output for s must parse, hold exactly one string, and
 * unescape to s again. */
static void round_trip(const char *s)
{
	buf b = { 0 };
	json_w w;
	json_doc d;
	eb_err e;
	char *back;

	jw_init(&w, &b);
	jw_arr(&w);
	jw_str(&w, s);
	jw_obj(&w);
	jw_kstr(&w, s, s);
	jw_obj_end(&w);
	jw_arr_end(&w);
	if (json_parse(&d, b.p, b.len, &e) < 0 || d.ntok != 5)
		abort();
	back = json_strdup(&d, 1);
	if (!back || strcmp(back, s) != 0)
		abort();
	if (!json_str_eq(&d, 1, s) || json_obj_get(&d, 2, s) != 4 ||
	    json_get(&d, 2, s, NULL) != 4 || json_path(&d, 0, "[1]") != 2)
		abort();
	free(back);
	json_free(&d);
	buf_free(&b);
}

static void visit(const json_doc *d, int i)
{
	long long v;
	double f;
	bool bo;
	char *s;
	int n, k;

	switch (json_type(d, i)) {
	case JSMN_OBJECT:
		for (n = 0; n < json_size(d, i); n++) {
			k = json_obj_key(d, i, n);
			if (json_type(d, k) != JSMN_STRING)
				abort();
			s = json_strdup(d, k);
			if (s) {
				/* Last-wins lookup finds this key or a later
				 * one with the same name. */
				if (json_obj_get(d, i, s) < k + 1)
					abort();
				round_trip(s);
				free(s);
			}
		}
		break;
	case JSMN_ARRAY:
		for (n = 0, k = i + 1; n < json_size(d, i); n++) {
			if (json_arr_at(d, i, n) != k)
				abort();
			k = json_skip(d, k);
		}
		if (k != json_skip(d, i))
			abort();
		break;
	case JSMN_STRING:
		s = json_strdup(d, i);
		if (s) {
			if (!json_str_eq(d, i, s))
				abort();
			round_trip(s);
			free(s);
		}
		break;
	case JSMN_PRIMITIVE:
		if (json_int(d, i, &v) == 0 &&
		    (json_num(d, i, &f) < 0 || (double)v != f))
			abort();
		json_bool(d, i, &bo);
		json_is_null(d, i);
		break;
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy, so any read past size is caught by ASan. */
	char *js = malloc(size ? size : 1);
	json_doc d;
	eb_err e;
	int i;

	memcpy(js, data, size);
	if (json_parse(&d, js, size, &e) < 0) {
		if (strstr(e.msg, "disagrees"))
			abort();
		free(js);
		return 0;
	}
	if (d.ntok < 1 || json_skip(&d, 0) != d.ntok)
		abort();
	for (i = 0; i < d.ntok; i++)
		visit(&d, i);
	json_path(&d, 0, "a.b[0].c");
	json_get(&d, 0, "a", "b", NULL);
	json_free(&d);
	free(js);
	return 0;
}
