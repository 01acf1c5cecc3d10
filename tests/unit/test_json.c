/* Unit tests for lib/json: what the reader accepts and refuses, lookups,
 * string unescaping, numbers, and the writer read back by the reader. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"

static int parses(const char *s)
{
	json_doc d;
	eb_err e = { "" };
	int rc = json_parse(&d, s, strlen(s), &e);

	json_free(&d);
	return rc == 0;
}

static void valid_docs(void)
{
	static const char *const ok[] = {
		"{}", "[]", " {} ", "\t\r\n[\n]\n", "0", "-0", "1", "-1",
		"12.5", "1e5", "1E+5", "1e-5", "-0.0e0", "123456789012345678901234567890",
		"true", "false", "null", " null ", "\"\"", "\"x\"", " \"x\" ",
		"[1,2,3]", "[ 1 , 2 ]", "{\"a\":1}", "{ \"a\" : 1 , \"b\" : [ ] }",
		"[[],[[]],{}]", "{\"a\":{\"b\":{\"c\":[true,false,null]}}}",
		"[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\ud83d\\ude00\"]",
		"[\"\\u0000\"]",        /* grammatical; json_strdup refuses it */
		"[\"\\ud800\"]",
		"\"\x7f\"",             /* DEL is not a control char in JSON */
		"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"",
		"[1,{\"a\":[2,{\"b\":3}],\"c\":\"d\"},4]",
		"{\"\":\"\"}",
	};
	size_t i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		CHECK(parses(ok[i]));
		if (!parses(ok[i]))
			fprintf(stderr, "  refused: %s\n", ok[i]);
	}
}

static void invalid_docs(void)
{
	static const char *const bad[] = {
		"", " ", "\n",
		/* structure jsmn lets through */
		"[1 2]", "[1,]", "[,1]", "[,]", "{\"a\":1,}", "{,\"a\":1}",
		"{\"a\" 1}", "{\"a\":}", "{\"a\"}", "{\"a\",\"b\"}",
		"{\"a\":1 \"b\":2}", "[\"a\":1]", "\"a\":1", "1 2", "{} {}",
		"[] x", "{}]", "[]]", "]", "}", "[}", "{]", "{1:2}",
		"{true:1}", "{[]:1}", "{{}:1}", "[1]:", "::", ",", "[1,,2]",
		"{\"a\"::1}", "{\"a\":1::}", "[\"a\",]",
		/* primitives strict jsmn lets through */
		"tru", "truex", "trUe", "nul", "nulll", "fals", "[t]", "[n]",
		"[f]", "01", "-", "--1", "+1", "1.", ".5", "1.e5", "1e", "1e+",
		"1e5.0", "1.2.3", "0x10", "-a", "1-", "[1-2]", "[01]", "[-]",
		"[1.]", "[1e]", "[Infinity]", "[NaN]", "[-Infinity]", "[0e]",
		"[truefalse]", "[null1]", "[1true]",
		/* strings */
		"\"", "\"abc", "[\"abc]", "\"\\\"", "\"\\x\"", "\"\\u12\"",
		"\"\\u12g4\"", "\"\\U0041\"", "\"\\'\"", "\"\\a\"", "'a'",
		"\"a\tb\"", "\"a\nb\"", "\"\x01\"", "\"\x1f\"",
		/* invalid UTF-8 inside strings */
		"\"\x80\"", "\"\xc3\"", "\"\xc3(\"", "\"\xc0\xaf\"",
		"\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
		"\"\xf8\x88\x80\x80\x80\"", "\"\xff\"",
		/* stray bytes */
		"\xef\xbb\xbf{}", "[1]\x80", "/* c */ {}", "{} // c", "[1]#",
		"\x0b[]", "\x0c[]",
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(!parses(bad[i]));
		if (parses(bad[i]))
			fprintf(stderr, "  accepted: %s\n", bad[i]);
	}
}

/* NUL bytes anywhere inside the counted length are refused, and the
 * length is honoured: nothing past it is read. */
static void lengths(void)
{
	json_doc d;
	eb_err e;
	long long v = 0;

	CHECK(json_parse(&d, "[1]\0", 4, &e) == -1);
	CHECK(json_parse(&d, "[\"a\0b\"]", 7, &e) == -1);
	CHECK(json_parse(&d, "\0", 1, &e) == -1);
	CHECK(json_parse(&d, "[1]garbage", 3, &e) == 0);
	CHECK(d.ntok == 2);
	json_free(&d);
	CHECK(json_parse(&d, "12345", 2, &e) == 0);
	CHECK(json_int(&d, 0, &v) == 0 && v == 12);
	json_free(&d);
	CHECK(json_parse(&d, "truex", 4, &e) == 0);
	json_free(&d);
	CHECK(json_parse(&d, NULL, 0, &e) == -1);
	/* json_free is safe after a failed parse and twice. */
	json_free(&d);
	json_free(&d);
}

/* Every proper prefix of a document is truncated, hence an error. */
static void truncation(void)
{
	static const char doc[] =
		"{\"auths\":{\"r.example.com:5000\":{\"auth\":\"dTpw\","
		"\"n\":[1,-2.5e3,true,false,null,\"\\u00e9\\ud83d\\ude00\"]},"
		"\"\":{}},\"x\":[[],[{}]]}";
	size_t n, len = strlen(doc);
	json_doc d;
	eb_err e;

	CHECK(json_parse(&d, doc, len, &e) == 0);
	json_free(&d);
	for (n = 0; n < len; n++) {
		int rc = json_parse(&d, doc, n, &e);

		CHECK(rc == -1);
		if (rc == 0) {
			fprintf(stderr, "  prefix %zu accepted\n", n);
			json_free(&d);
		}
	}
	CHECK(json_parse(&d, doc, 10, &e) == -1);
	CHECK(strstr(e.msg, "end of input") != NULL);
}

static void error_messages(void)
{
	json_doc d;
	eb_err e = { "" };
	const char *secret = "{\"auth\":\"hunter2\" x}";

	CHECK(json_parse(&d, secret, strlen(secret), &e) == -1);
	CHECK(strstr(e.msg, "offset 18") != NULL);
	CHECK(strstr(e.msg, "hunter2") == NULL);
	CHECK(json_parse(&d, "[1] 2", 5, &e) == -1);
	CHECK(strstr(e.msg, "trailing") != NULL);
}

static void lookups(void)
{
	static const char doc[] =
		"{\"Config\":{\"Env\":[\"A=1\",\"B=2\"],\"User\":\"coder\","
		"\"Labels\":{\"a.b\":\"dot\",\"x\\\"y\":\"quote\","
		"\"\\u0061\\u002ec\":\"esc\",\"caf\\u00e9\":\"e1\"}},"
		"\"list\":[[10,11],{\"k\":[{\"z\":\"deep\"}]},3],"
		"\"dup\":1,\"dup\":2,\"7\":\"seven\",\"empty\":{},\"arr\":[]}";
	json_doc d;
	eb_err e;
	int i;
	char *s;
	long long v;

	CHECK(json_parse(&d, doc, strlen(doc), &e) == 0);
	CHECK(json_type(&d, 0) == JSMN_OBJECT);
	CHECK(json_size(&d, 0) == 7);

	i = json_get(&d, 0, "Config", "User", NULL);
	CHECK(json_str_eq(&d, i, "coder"));
	CHECK(!json_str_eq(&d, i, "code"));
	CHECK(!json_str_eq(&d, i, "coderx"));
	CHECK(json_get(&d, 0, NULL) == 0);
	CHECK(json_get(&d, 0, "Config", "Nope", NULL) == -1);
	CHECK(json_get(&d, 0, "Config", "User", "deeper", NULL) == -1);
	CHECK(json_get(&d, -1, "Config", NULL) == -1);

	/* Keys are compared unescaped, dots are just characters. */
	CHECK(json_str_eq(&d, json_get(&d, 0, "Config", "Labels", "a.b", NULL),
			  "dot"));
	CHECK(json_str_eq(&d, json_get(&d, 0, "Config", "Labels", "x\"y",
				       NULL), "quote"));
	CHECK(json_str_eq(&d, json_get(&d, 0, "Config", "Labels", "a.c", NULL),
			  "esc"));
	CHECK(json_str_eq(&d, json_get(&d, 0, "Config", "Labels",
				       "caf\xc3\xa9", NULL), "e1"));
	CHECK(json_get(&d, 0, "Config", "Labels", "x\\\"y", NULL) == -1);
	CHECK(json_get(&d, 0, "Config", "Labels", "\\u0061\\u002ec", NULL)
	      == -1);

	/* Paths. */
	CHECK(json_str_eq(&d, json_path(&d, 0, "Config.Env[0]"), "A=1"));
	CHECK(json_str_eq(&d, json_path(&d, 0, "Config.Env[1]"), "B=2"));
	CHECK(json_str_eq(&d, json_path(&d, 0, "Config.Env.1"), "B=2"));
	CHECK(json_path(&d, 0, "Config.Env[2]") == -1);
	CHECK(json_path(&d, 0, "Config.Env[-1]") == -1);
	CHECK(json_path(&d, 0, "Config.Env[]") == -1);
	CHECK(json_path(&d, 0, "Config.Env[x]") == -1);
	CHECK(json_path(&d, 0, "Config.Env[0") == -1);
	CHECK(json_path(&d, 0, "Config.Env[99999999999999999999]") == -1);
	CHECK(json_path(&d, 0, "list[1].k[0].z") >= 0);
	CHECK(json_str_eq(&d, json_path(&d, 0, "list[1].k[0].z"), "deep"));
	CHECK(json_str_eq(&d, json_path(&d, 0, "list.1.k.0.z"), "deep"));
	CHECK(json_int(&d, json_path(&d, 0, "list[0][1]"), &v) == 0 && v == 11);
	CHECK(json_int(&d, json_path(&d, 0, "list[2]"), &v) == 0 && v == 3);
	CHECK(json_path(&d, 0, "list[0]x") == -1);
	CHECK(json_path(&d, 0, "Config..User") == -1);
	CHECK(json_path(&d, 0, ".Config") == -1);
	CHECK(json_path(&d, 0, "Config.") == -1);
	CHECK(json_path(&d, 0, "") == 0);
	CHECK(json_path(&d, 0, NULL) == -1);
	CHECK(json_path(&d, -1, "Config") == -1);
	/* An object key that looks like a number is still a key. */
	CHECK(json_str_eq(&d, json_path(&d, 0, "7"), "seven"));
	/* Duplicate keys: the last one wins, as in Go. */
	CHECK(json_int(&d, json_obj_get(&d, 0, "dup"), &v) == 0 && v == 2);

	/* Members and elements. */
	i = json_obj_get(&d, 0, "list");
	CHECK(json_type(&d, i) == JSMN_ARRAY && json_size(&d, i) == 3);
	CHECK(json_type(&d, json_arr_at(&d, i, 1)) == JSMN_OBJECT);
	CHECK(json_arr_at(&d, i, 3) == -1);
	CHECK(json_arr_at(&d, 0, 0) == -1);
	CHECK(json_obj_get(&d, i, "k") == -1);
	CHECK(json_obj_get(&d, 0, NULL) == -1);
	CHECK(json_str_eq(&d, json_obj_key(&d, 0, 0), "Config"));
	CHECK(json_str_eq(&d, json_obj_key(&d, 0, 1), "list"));
	CHECK(json_str_eq(&d, json_obj_key(&d, 0, 6), "arr"));
	CHECK(json_obj_key(&d, 0, 7) == -1);
	CHECK(json_obj_key(&d, 0, -1) == -1);
	CHECK(json_obj_key(&d, i, 0) == -1);
	CHECK(json_size(&d, json_obj_get(&d, 0, "empty")) == 0);
	CHECK(json_size(&d, json_obj_get(&d, 0, "arr")) == 0);
	CHECK(json_arr_at(&d, json_obj_get(&d, 0, "arr"), 0) == -1);
	CHECK(json_obj_key(&d, json_obj_get(&d, 0, "empty"), 0) == -1);
	CHECK(json_size(&d, json_obj_get(&d, 0, "dup")) == -1);

	/* Skipping: the root's subtree is everything. */
	CHECK(json_skip(&d, 0) == d.ntok);
	i = json_obj_get(&d, 0, "Config");
	CHECK(json_str_eq(&d, json_skip(&d, i), "list"));
	CHECK(json_skip(&d, -1) == -1);
	CHECK(json_skip(&d, d.ntok) == -1);
	CHECK(json_type(&d, d.ntok) == -1);
	CHECK(json_type(&d, -1) == -1);

	s = json_strdup(&d, json_path(&d, 0, "Config.User"));
	CHECK_STR(s, "coder");
	free(s);
	CHECK(json_strdup(&d, 0) == NULL);
	CHECK(json_strdup(&d, -1) == NULL);
	json_free(&d);
}

/* Walking every member with json_obj_key and json_skip visits each token
 * of the document exactly once. */
static void walk(void)
{
	static const char doc[] =
		"[{\"a\":[1,[2,[3]]],\"b\":{}},[],\"s\",{\"c\":{\"d\":{}}}]";
	json_doc d;
	eb_err e;
	int n, k;

	CHECK(json_parse(&d, doc, strlen(doc), &e) == 0);
	CHECK(d.ntok == 18);
	for (n = 0, k = 1; n < json_size(&d, 0); n++) {
		CHECK(json_arr_at(&d, 0, n) == k);
		k = json_skip(&d, k);
	}
	CHECK(k == d.ntok);
	json_free(&d);
}

static char *str_of(const char *doc)
{
	json_doc d;
	eb_err e;
	char *s = NULL;

	if (json_parse(&d, doc, strlen(doc), &e) == 0) {
		s = json_strdup(&d, 0);
		json_free(&d);
	}
	return s;
}

#define CHECK_UNESC(doc, want)                                             \
	do {                                                               \
		char *s_ = str_of(doc);                                    \
		CHECK_STR(s_, want);                                       \
		free(s_);                                                  \
	} while (0)

static void strings(void)
{
	CHECK_UNESC("\"\"", "");
	CHECK_UNESC("\"plain\"", "plain");
	CHECK_UNESC("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t");
	CHECK_UNESC("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac");
	CHECK_UNESC("\"\\u0001\\u001f\\u007f\"", "\x01\x1f\x7f");
	CHECK_UNESC("\"\\u07ff\\u0800\\uffff\"",
		    "\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
	/* Surrogate pairs, both hex cases, at both ends of the range. */
	CHECK_UNESC("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80");
	CHECK_UNESC("\"\\uD83D\\uDE00x\"", "\xf0\x9f\x98\x80x");
	CHECK_UNESC("\"\\ud800\\udc00\"", "\xf0\x90\x80\x80");
	CHECK_UNESC("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf");
	CHECK_UNESC("\"a\xc3\xa9\xf0\x9f\x98\x80z\"",
		    "a\xc3\xa9\xf0\x9f\x98\x80z");
	/* Lone or mismatched surrogates and NUL have no C string. */
	CHECK_UNESC("\"\\ud83d\"", NULL);
	CHECK_UNESC("\"\\ud83dx\"", NULL);
	CHECK_UNESC("\"\\ud83d\\n\"", NULL);
	CHECK_UNESC("\"\\ud83d\\u0041\"", NULL);
	CHECK_UNESC("\"\\ud83d\\ud83d\"", NULL);
	CHECK_UNESC("\"\\ude00\"", NULL);
	CHECK_UNESC("\"\\ude00\\ud83d\"", NULL);
	CHECK_UNESC("\"x\\udfff\"", NULL);
	CHECK_UNESC("\"\\u0000\"", NULL);
	CHECK_UNESC("\"a\\u0000b\"", NULL);
	/* A key that does not unescape matches nothing, even itself. */
	{
		const char *doc = "{\"\\ud800\":1}";
		json_doc d;
		eb_err e;

		CHECK(json_parse(&d, doc, strlen(doc), &e) == 0);
		CHECK(json_obj_get(&d, 0, "\\ud800") == -1);
		CHECK(!json_str_eq(&d, 1, ""));
		CHECK(json_strdup(&d, 2) == NULL);
		CHECK(json_str_eq(&d, 2, "x") == false);
		json_free(&d);
	}
}

static int int_of(const char *doc, long long *v)
{
	json_doc d;
	eb_err e;
	int rc = -1;

	if (json_parse(&d, doc, strlen(doc), &e) == 0) {
		rc = json_int(&d, 0, v);
		json_free(&d);
	}
	return rc;
}

static int num_of(const char *doc, double *v)
{
	json_doc d;
	eb_err e;
	int rc = -1;

	if (json_parse(&d, doc, strlen(doc), &e) == 0) {
		rc = json_num(&d, 0, v);
		json_free(&d);
	}
	return rc;
}

static void numbers(void)
{
	static const struct {
		const char *s;
		long long v;
	} ints[] = {
		{ "0", 0 }, { "-0", 0 }, { "7", 7 }, { "-7", -7 },
		{ "1.0", 1 }, { "1.000", 1 }, { "1e3", 1000 }, { "1E+3", 1000 },
		{ "1.5e1", 15 }, { "1500e-2", 15 }, { "12.50e1", 125 },
		{ "0.0", 0 }, { "0e99999999999999999999", 0 }, { "0.000e-5", 0 },
		{ "100e-2", 1 }, { "0.1e1", 1 }, { "0.00001e5", 1 },
		{ "9223372036854775807", LLONG_MAX },
		{ "-9223372036854775808", LLONG_MIN },
		{ "9.223372036854775807e18", LLONG_MAX },
		{ "922337203685477580.7e1", LLONG_MAX },
		{ "1e18", 1000000000000000000LL },
		{ "4294967296", 4294967296LL },
	};
	static const char *const not_int[] = {
		"1.5", "0.1", "-0.5", "1e-1", "15e-1", "1.05e1",
		"9223372036854775808", "-9223372036854775809", "1e19",
		"10000000000000000000", "1e99999999999999999999",
		"92233720368547758080e-1", "0.5e0",
		"1e-99999999999999999999", "true", "null", "\"1\"", "[1]",
	};
	size_t i;
	long long v;
	double f;
	bool b;

	for (i = 0; i < sizeof ints / sizeof ints[0]; i++) {
		v = 42;
		CHECK(int_of(ints[i].s, &v) == 0 && v == ints[i].v);
		if (v != ints[i].v)
			fprintf(stderr, "  %s -> %lld\n", ints[i].s, v);
	}
	for (i = 0; i < sizeof not_int / sizeof not_int[0]; i++) {
		CHECK(int_of(not_int[i], &v) == -1);
		if (int_of(not_int[i], &v) == 0)
			fprintf(stderr, "  %s accepted as %lld\n", not_int[i], v);
	}
	CHECK(num_of("1.5", &f) == 0 && f == 1.5);
	CHECK(num_of("-2.5e-3", &f) == 0 && f == -2.5e-3);
	CHECK(num_of("-0", &f) == 0 && f == 0);
	CHECK(num_of("1e308", &f) == 0 && f == 1e308);
	CHECK(num_of("1e-400", &f) == 0 && f == 0);
	CHECK(num_of("1e309", &f) == -1);
	CHECK(num_of("-1e400", &f) == -1);
	CHECK(num_of("true", &f) == -1);
	CHECK(num_of("\"1\"", &f) == -1);

	{
		const char *doc = "[true,false,null,1,\"true\",\"null\"]";
		json_doc d;
		eb_err e;

		CHECK(json_parse(&d, doc, strlen(doc), &e) == 0);
		CHECK(json_bool(&d, 1, &b) == 0 && b);
		CHECK(json_bool(&d, 2, &b) == 0 && !b);
		CHECK(json_bool(&d, 3, &b) == -1);
		CHECK(json_bool(&d, 4, &b) == -1);
		CHECK(json_bool(&d, 5, &b) == -1);
		CHECK(json_bool(&d, -1, &b) == -1);
		CHECK(json_is_null(&d, 3));
		CHECK(!json_is_null(&d, 1));
		CHECK(!json_is_null(&d, 6));
		CHECK(!json_is_null(&d, -1));
		CHECK(json_int(&d, 1, &v) == -1);
		CHECK(json_num(&d, 3, &f) == -1);
		json_free(&d);
	}
}

/* Documents far larger and deeper than a fixed token array. */
static void big(void)
{
	buf b = { 0 };
	json_doc d;
	eb_err e;
	long long v;
	int i, depth = 100000;

	buf_addc(&b, '[');
	for (i = 0; i < 100000; i++)
		buf_printf(&b, "%s{\"k\":%d}", i ? "," : "", i);
	buf_addc(&b, ']');
	CHECK(json_parse(&d, b.p, b.len, &e) == 0);
	CHECK(d.ntok == 1 + 3 * 100000);
	CHECK(json_int(&d, json_path(&d, 0, "[99999].k"), &v) == 0 &&
	      v == 99999);
	json_free(&d);

	buf_reset(&b);
	for (i = 0; i < depth; i++)
		buf_addc(&b, '[');
	for (i = 0; i < depth; i++)
		buf_addc(&b, ']');
	CHECK(json_parse(&d, b.p, b.len, &e) == 0);
	CHECK(d.ntok == depth);
	CHECK(json_skip(&d, 0) == depth);
	json_free(&d);
	/* One bracket short: truncated. */
	CHECK(json_parse(&d, b.p, b.len - 1, &e) == -1);
	buf_free(&b);
}

static void writer(void)
{
	buf b = { 0 };
	json_w w;
	json_doc d;
	eb_err e;
	long long v;
	bool t;
	char *s;

	jw_init(&w, &b);
	jw_obj(&w);
	jw_kstr(&w, "username", "u\"s\\er");
	jw_kstr(&w, "password", "p:a\nss\x01");
	jw_key(&w, "n");
	jw_int(&w, LLONG_MIN);
	jw_key(&w, "list");
	jw_arr(&w);
	jw_int(&w, 1);
	jw_bool(&w, true);
	jw_null(&w);
	jw_str(&w, NULL);
	jw_obj(&w);
	jw_obj_end(&w);
	jw_arr(&w);
	jw_arr_end(&w);
	jw_strn(&w, "ab\0c", 4);
	jw_arr_end(&w);
	jw_key(&w, "empty");
	jw_obj(&w);
	jw_obj_end(&w);
	jw_kstr(&w, "a.b", "");
	jw_obj_end(&w);
	CHECK_STR(b.p, "{\"username\":\"u\\\"s\\\\er\","
		  "\"password\":\"p:a\\nss\\u0001\","
		  "\"n\":-9223372036854775808,"
		  "\"list\":[1,true,null,null,{},[],\"ab\\u0000c\"],"
		  "\"empty\":{},\"a.b\":\"\"}");
	CHECK(w.depth == 0);

	CHECK(json_parse(&d, b.p, b.len, &e) == 0);
	s = json_strdup(&d, json_get(&d, 0, "username", NULL));
	CHECK_STR(s, "u\"s\\er");
	free(s);
	s = json_strdup(&d, json_get(&d, 0, "password", NULL));
	CHECK_STR(s, "p:a\nss\x01");
	free(s);
	CHECK(json_int(&d, json_obj_get(&d, 0, "n"), &v) == 0 &&
	      v == LLONG_MIN);
	CHECK(json_bool(&d, json_path(&d, 0, "list[1]"), &t) == 0 && t);
	CHECK(json_is_null(&d, json_path(&d, 0, "list[3]")));
	CHECK(json_strdup(&d, json_path(&d, 0, "list[6]")) == NULL);
	CHECK(json_str_eq(&d, json_get(&d, 0, "a.b", NULL), ""));
	json_free(&d);
	buf_free(&b);

	/* Top-level scalars and several values in a row: no commas. */
	jw_init(&w, &b);
	jw_str(&w, "x");
	CHECK_STR(b.p, "\"x\"");
	buf_free(&b);
}

/* Every byte 0x00-0x1f is escaped, and reads back as itself. */
static void control_chars(void)
{
	static const char *const want[32] = {
		"\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004",
		"\\u0005", "\\u0006", "\\u0007", "\\b", "\\t", "\\n",
		"\\u000b", "\\f", "\\r", "\\u000e", "\\u000f", "\\u0010",
		"\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015",
		"\\u0016", "\\u0017", "\\u0018", "\\u0019", "\\u001a",
		"\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f",
	};
	buf b = { 0 };
	char all[64], wantbuf[16];
	int c;
	char *s;

	for (c = 0; c < 32; c++) {
		char ch = (char)c;

		buf_reset(&b);
		json_escape(&b, &ch, 1);
		snprintf(wantbuf, sizeof wantbuf, "\"%s\"", want[c]);
		CHECK_STR(b.p, wantbuf);
		if (c > 0) {
			s = str_of(b.p);
			CHECK(s && s[0] == ch && s[1] == 0);
			free(s);
		}
	}
	/* All of them together, plus the other bytes that need care. */
	for (c = 1; c < 32; c++)
		all[c - 1] = (char)c;
	strcpy(all + 31, "\"\\/\x7f" "end");
	buf_reset(&b);
	json_escape(&b, all, strlen(all));
	s = str_of(b.p);
	CHECK_STR(s, all);
	free(s);
	/* '/' and DEL need no escape. */
	CHECK(str_ends(b.p, "\\\"\\\\/\x7f" "end\""));
	buf_free(&b);
}

static void utf8_writer(void)
{
	buf b = { 0 };
	static const char ok[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
				 "\xef\xbf\xbf \xf4\x8f\xbf\xbf";
	char *s;

	json_escape(&b, ok, strlen(ok));
	/* Valid UTF-8 passes through unchanged. */
	CHECK(b.len == strlen(ok) + 2 && memcmp(b.p + 1, ok, strlen(ok)) == 0);
	s = str_of(b.p);
	CHECK_STR(s, ok);
	free(s);

	/* Invalid sequences become U+FFFD, one per bad byte. */
	buf_reset(&b);
	json_escape(&b, "a\x80" "b\xc3" "c\xed\xa0\x80" "d\xf5\xff", 11);
	CHECK_STR(b.p, "\"a\\ufffdb\\ufffdc\\ufffd\\ufffd\\ufffdd\\ufffd\\ufffd\"");
	s = str_of(b.p);
	CHECK_STR(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd"
		  "\xef\xbf\xbd" "d\xef\xbf\xbd\xef\xbf\xbd");
	free(s);
	/* A sequence cut short by the length. */
	buf_reset(&b);
	json_escape(&b, "\xe2\x82\xac", 2);
	CHECK_STR(b.p, "\"\\ufffd\\ufffd\"");
	buf_free(&b);
}

/* Nesting to 64 levels and beyond still places commas right. */
static void writer_depth(void)
{
	int levels[] = { 1, 63, 64, 65, 100 };
	size_t k;

	for (k = 0; k < sizeof levels / sizeof levels[0]; k++) {
		int n = levels[k], i;
		buf b = { 0 };
		json_w w;
		json_doc d;
		eb_err e;
		char path[1024] = "";

		jw_init(&w, &b);
		for (i = 0; i < n; i++) {
			jw_arr(&w);
			jw_int(&w, i);
			jw_obj(&w);
			jw_key(&w, "k");
		}
		jw_null(&w);
		for (i = 0; i < n; i++) {
			jw_kstr(&w, "after", "x");
			jw_obj_end(&w);
			jw_int(&w, -i);
			jw_arr_end(&w);
		}
		CHECK(w.depth == 0);
		CHECK(json_parse(&d, b.p, b.len, &e) == 0);
		for (i = 0; i < n; i++)
			strcat(path, "[1].k");
		CHECK(json_is_null(&d, json_path(&d, 0, path)));
		CHECK(json_size(&d, 0) == 3);
		json_free(&d);
		buf_free(&b);
	}
}

/* The key-plus-value shorthands: each the same as jw_key then the value. */
static void writer_keyed(void)
{
	char *list[] = { "a", "b\"c", NULL };
	buf b = { 0 };
	json_w w;

	jw_init(&w, &b);
	jw_obj(&w);
	jw_kint(&w, "n", -7);
	jw_kbool(&w, "t", true);
	jw_kbool(&w, "f", false);
	jw_kstrs(&w, "list", list, 3);
	jw_kstrs(&w, "none", list, 0);
	jw_kint(&w, "last", 0);
	jw_obj_end(&w);
	CHECK_STR(b.p, "{\"n\":-7,\"t\":true,\"f\":false,"
		  "\"list\":[\"a\",\"b\\\"c\",null],\"none\":[],\"last\":0}");
	CHECK(w.depth == 0);
	buf_free(&b);
}

int main(void)
{
	valid_docs();
	invalid_docs();
	lengths();
	truncation();
	error_messages();
	lookups();
	walk();
	strings();
	numbers();
	big();
	writer();
	writer_keyed();
	control_chars();
	utf8_writer();
	writer_depth();
	return check_done("json");
}
