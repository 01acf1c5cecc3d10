/* test_passwd: lookups by name and uid, glibc-like tolerance of junk lines,
 * strictness on the line asked about. */
#include <string.h>

#include "check.h"
#include "passwd.h"

static const char doc[] =
	"# a comment\n"
	"root:x:0:0:root:/root:/bin/bash\n"
	"\n"
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	"junk line without colons\n"
	"broken:x:abc:1::/:/bin/sh\n"
	"  coder:x:1000:1001:Coder,,,:/home/coder:/bin/bash\n"
	"coder:x:2000:2000::/home/second:/bin/sh\n"
	"nohome:x:1002:1002:::\n"
	"colons:x:1003:1003::/home/c:/bin/sh:extra\n"
	"crlf:x:1004:1004::/home/crlf:/bin/sh\r\n"
	"big:x:4294967294:4294967294::/:/bin/sh\n"
	"toobig:x:4294967295:0::/:/bin/sh\n"
	"short:x:5:5:/home/short\n"
	"last:x:6:6::/home/last:/bin/sh";

static int look(const char *name, pw_user *u, eb_err *e)
{
	return passwd_lookup(doc, sizeof doc - 1, name, u, e);
}

int main(void)
{
	pw_user u;
	eb_err e;

	CHECK(look("root", &u, &e) == 1);
	CHECK_STR(u.name, "root");
	CHECK(u.uid == 0 && u.gid == 0);
	CHECK_STR(u.home, "/root");
	CHECK_STR(u.shell, "/bin/bash");
	pw_user_free(&u);

	/* Leading blanks skipped; the first of two lines wins. */
	CHECK(look("coder", &u, &e) == 1);
	CHECK(u.uid == 1000 && u.gid == 1001);
	CHECK_STR(u.home, "/home/coder");
	pw_user_free(&u);

	CHECK(look("nohome", &u, &e) == 1);
	CHECK_STR(u.home, "");
	CHECK_STR(u.shell, "");
	pw_user_free(&u);

	/* glibc: the shell is the rest of the line. */
	CHECK(look("colons", &u, &e) == 1);
	CHECK_STR(u.shell, "/bin/sh:extra");
	pw_user_free(&u);

	CHECK(look("crlf", &u, &e) == 1);
	CHECK_STR(u.shell, "/bin/sh");
	pw_user_free(&u);

	CHECK(look("big", &u, &e) == 1);
	CHECK(u.uid == 4294967294UL);
	pw_user_free(&u);

	CHECK(look("last", &u, &e) == 1);
	CHECK_STR(u.home, "/home/last");
	pw_user_free(&u);

	/* Strict only on the line asked about. */
	CHECK(look("broken", &u, &e) == -1);
	CHECK_STR(e.msg, "passwd line 6, user broken: has a uid that is not a number in 0..4294967294");
	CHECK(look("toobig", &u, &e) == -1);
	CHECK(look("short", &u, &e) == -1);
	CHECK_STR(e.msg, "passwd line 14, user short: has fewer than 7 fields");
	CHECK(look("nobody", &u, &e) == 0);
	CHECK_STR(e.msg, "no user nobody in passwd");
	/* A prefix of a name is not the name. */
	CHECK(look("cod", &u, &e) == 0);
	CHECK(look("junk", &u, &e) == 0);
	CHECK(look("", &u, &e) == -1);
	CHECK(look("a:b", &u, &e) == -1);
	CHECK(look("#", &u, &e) == 0);

	CHECK(passwd_lookup_uid(doc, sizeof doc - 1, 1000, &u, &e) == 1);
	CHECK_STR(u.name, "coder");
	pw_user_free(&u);
	CHECK(passwd_lookup_uid(doc, sizeof doc - 1, 0, &u, &e) == 1);
	CHECK_STR(u.name, "root");
	pw_user_free(&u);
	CHECK(passwd_lookup_uid(doc, sizeof doc - 1, 4242, &u, &e) == 0);
	CHECK_STR(e.msg, "no user with uid 4242 in passwd");

	/* Empty and NUL-laden documents. */
	CHECK(passwd_lookup("", 0, "root", &u, &e) == 0);
	CHECK(passwd_lookup("root:x:0\0:0::/:/bin/sh\n", 23, "root", &u, &e) == -1);
	CHECK_STR(e.msg, "passwd line 1, user root: has a NUL byte");
	CHECK(passwd_lookup("a\0b:x:0:0::/:/bin/sh\nroot:x:0:0::/r:/bin/sh\n", 42, "root", &u, &e) == 1);
	pw_user_free(&u);
	return check_done("test_passwd");
}
