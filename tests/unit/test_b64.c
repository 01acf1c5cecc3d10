/* Unit tests for lib/b64: RFC 4648 §10 vectors, both alphabets, and every
 * class of bad input the decoder must refuse. */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "check.h"

/* Decodes s and compares with want (wantlen bytes); want NULL: must fail. */
static int dec_is(const char *s, enum b64_alphabet a, const char *want,
		  size_t wantlen)
{
	unsigned char *out = NULL;
	size_t n = 12345;
	int rc = b64_decode(s, strlen(s), a, &out, &n);
	int ok;

	if (!want)
		return rc == -1;
	ok = rc == 0 && n == wantlen && memcmp(out, want, n) == 0 &&
	     out[n] == 0;
	free(out);
	return ok;
}

static int enc_is(const char *data, size_t n, enum b64_alphabet a,
		  const char *want)
{
	char *got = b64_encode(data, n, a);
	int ok = got && strcmp(got, want) == 0;

	if (!ok)
		fprintf(stderr, "encode: got \"%s\", want \"%s\"\n",
			got ? got : "(null)", want);
	free(got);
	return ok;
}

static void rfc4648_vectors(void)
{
	static const struct {
		const char *plain, *coded;
	} v[] = {
		{ "", "" },
		{ "f", "Zg==" },
		{ "fo", "Zm8=" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" },
		{ "foobar", "Zm9vYmFy" },
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		size_t n = strlen(v[i].plain);
		char nopad[16];

		CHECK(enc_is(v[i].plain, n, B64_STD, v[i].coded));
		CHECK(enc_is(v[i].plain, n, B64_URL, v[i].coded));
		CHECK(dec_is(v[i].coded, B64_STD, v[i].plain, n));
		CHECK(dec_is(v[i].coded, B64_URL, v[i].plain, n));
		/* Padding is optional. */
		strcpy(nopad, v[i].coded);
		*strchrnul(nopad, '=') = 0;
		CHECK(dec_is(nopad, B64_STD, v[i].plain, n));
		CHECK(dec_is(nopad, B64_URL, v[i].plain, n));
	}
}

static void alphabets(void)
{
	/* 0xfb 0xff 0xbf uses sextets 62 and 63 in every position. */
	static const char bin[] = "\xfb\xff\xbf\xfe";

	CHECK(enc_is(bin, 3, B64_STD, "+/+/"));
	CHECK(enc_is(bin, 3, B64_URL, "-_-_"));
	CHECK(enc_is(bin, 4, B64_STD, "+/+//g=="));
	CHECK(enc_is(bin, 4, B64_URL, "-_-__g=="));
	CHECK(dec_is("+/+/", B64_STD, bin, 3));
	CHECK(dec_is("-_-_", B64_URL, bin, 3));
	/* The other alphabet's characters are refused. */
	CHECK(dec_is("-_-_", B64_STD, NULL, 0));
	CHECK(dec_is("+/+/", B64_URL, NULL, 0));
	CHECK(dec_is("ab+c", B64_URL, NULL, 0));
	CHECK(dec_is("ab_c", B64_STD, NULL, 0));
	/* Embedded NUL byte, binary data with NULs round trip. */
	CHECK(enc_is("\0\0\0", 3, B64_STD, "AAAA"));
	CHECK(dec_is("AAAA", B64_STD, "\0\0\0", 3));
	CHECK(dec_is("AA", B64_STD, "\0", 1));
	/* A docker auth value. */
	CHECK(dec_is("dXNlcjpwYTpzcw==", B64_STD, "user:pa:ss", 10));
	CHECK(enc_is("user:pa:ss", 10, B64_URL, "dXNlcjpwYTpzcw=="));
}

static void bad_input(void)
{
	static const char *const bad[] = {
		"A",            /* 6 bits: not even one byte */
		"AAAAA",        /* len % 4 == 1 */
		"Zm9vY",
		"=",
		"==",
		"===",
		"====",
		"A===",
		"Zg=",          /* padding present but short */
		"Zg===",        /* padding too long */
		"Zm8==",
		"Zm9v=",        /* padding on a full quantum */
		"Zm9v====",
		"Zg==Zg==",     /* padding in the middle */
		"Z=g=",
		"=Zg=",
		"Zh==",         /* non-zero trailing bits (Zg== is right) */
		"Zm9=",         /* Zm8= is right */
		"Zh",
		"Zm9",
		"Zm9v\n",       /* whitespace anywhere */
		" Zm9v",
		"Zm 9v",
		"Zm9v\r\n",
		"Zm9\tv",
		"Zm9v!",        /* characters outside both alphabets */
		"Zm9.",
		"Zm9*",
		"Zm9\x80",
		"Zm9\xff",
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int ok = dec_is(bad[i], B64_STD, NULL, 0) &&
			 dec_is(bad[i], B64_URL, NULL, 0);

		CHECK(ok);
		if (!ok)
			fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
	}
	/* A NUL inside the counted length is not in the alphabet either. */
	{
		unsigned char *out = NULL;
		size_t n;

		CHECK(b64_decode("Zm\0v", 4, B64_STD, &out, &n) == -1);
		CHECK(out == NULL);
	}
}

/* Every length 0..256 survives encode then decode in both alphabets. */
static void round_trip(void)
{
	unsigned char data[256];
	size_t len, i;
	int a;

	for (i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	for (a = B64_STD; a <= B64_URL; a++) {
		for (len = 0; len <= sizeof data; len++) {
			char *s = b64_encode(data, len, (enum b64_alphabet)a);
			unsigned char *out = NULL;
			size_t n = 0;

			CHECK(s && strlen(s) == (len + 2) / 3 * 4);
			CHECK(b64_decode(s, strlen(s), (enum b64_alphabet)a,
					 &out, &n) == 0);
			CHECK(n == len && memcmp(out, data, len) == 0);
			free(out);
			free(s);
		}
	}
}

int main(void)
{
	rfc4648_vectors();
	alphabets();
	bad_input();
	round_trip();
	return check_done("b64");
}
