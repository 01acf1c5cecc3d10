/* test_pid: the range a pid from the Docker API must be in before kill(),
 * and pid_max as read from a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "pid.h"

static void test_check(void)
{
	eb_err e = { "" };

	CHECK(pid_check(2, 32768, &e) == 0);
	CHECK(pid_check(4242, 32768, &e) == 0);
	CHECK(pid_check(32768, 32768, &e) == 0);
	/* kill(-1), kill(0) and init are never a command's pid. */
	CHECK(pid_check(4294967295LL, 4194304, &e) < 0);
	CHECK_STR(e.msg, "pid 4294967295 is out of range (expected 2..4194304)");
	CHECK(pid_check(-1, 32768, &e) < 0);
	CHECK(pid_check(0, 32768, &e) < 0);
	CHECK_STR(e.msg, "pid 0 is out of range (expected 2..32768)");
	CHECK(pid_check(1, 32768, &e) < 0);
	CHECK(pid_check(32769, 32768, &e) < 0);
	/* 2^32 + 5 would be pid 5 once cast to pid_t. */
	CHECK(pid_check(4294967301LL, 4194304, &e) < 0);
	CHECK(pid_check(-4294967295LL, 4194304, &e) < 0);
}

static void put(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(s, f);
	fclose(f);
}

static void test_max(void)
{
	char path[64];

	snprintf(path, sizeof path, "/tmp/ebt-pidmax-%d", (int)getpid());
	put(path, "32768\n");
	CHECK(pid_max_read(path) == 32768);
	put(path, "4194304");
	CHECK(pid_max_read(path) == 4194304);
	/* Anything else is the kernel's upper limit. */
	put(path, "");
	CHECK(pid_max_read(path) == PID_MAX_FALLBACK);
	put(path, "garbage\n");
	CHECK(pid_max_read(path) == PID_MAX_FALLBACK);
	put(path, "32768x\n");
	CHECK(pid_max_read(path) == PID_MAX_FALLBACK);
	put(path, "1\n");
	CHECK(pid_max_read(path) == PID_MAX_FALLBACK);
	put(path, "99999999999999999999999\n");
	CHECK(pid_max_read(path) == PID_MAX_FALLBACK);
	unlink(path);
	CHECK(pid_max_read(path) == PID_MAX_FALLBACK);
	/* The real one, read once. */
	CHECK(pid_max() >= 2 && pid_max() <= PID_MAX_FALLBACK);
	CHECK(pid_max() == pid_max_read(PID_MAX_PATH));
}

int main(void)
{
	test_check();
	test_max();
	return check_done("test_pid");
}
