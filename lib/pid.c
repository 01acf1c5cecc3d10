/* pid: checks on a process id that came from outside envbox (lib/pid.h). */
#include "pid.h"

#include <stdlib.h>

long long pid_max_read(const char *path)
{
	buf b = { 0 };
	eb_err ignored;
	char *end;
	long long v = 0;

	if (read_file(path, 64, &b, &ignored) == 0 && b.p) {
		v = strtoll(b.p, &end, 10);
		if (end == b.p || (*end && *end != '\n') || v < 2 ||
		    v > PID_MAX_FALLBACK)
			v = 0;
	}
	buf_free(&b);
	return v ? v : PID_MAX_FALLBACK;
}

long long pid_max(void)
{
	static long long max;

	if (!max)
		max = pid_max_read(PID_MAX_PATH);
	return max;
}

int pid_check(long long pid, long long max, eb_err *e)
{
	if (pid > 1 && pid <= max)
		return 0;
	eb_errf(e, "pid %lld is out of range (expected 2..%lld)", pid, max);
	return -1;
}
