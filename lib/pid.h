/* pid: checks on a process id that came from outside envbox (the Docker
 * API's exec inspect), before it reaches kill(). kill() reads -1 as "every
 * process we may signal", 0 as "our process group", and 1 is init; a value
 * the daemon sent as 4294967295 becomes -1 once cast to pid_t. */
#ifndef ENVBOX_PID_H
#define ENVBOX_PID_H

#include "util.h"

/* The kernel's own upper limit on pid_max (PID_MAX_LIMIT on 64-bit): taken
 * when /proc/sys/kernel/pid_max cannot be read. */
#define PID_MAX_FALLBACK 4194304LL
#define PID_MAX_PATH "/proc/sys/kernel/pid_max"

/* pid_max as path says (one decimal number, 2..PID_MAX_FALLBACK), else
 * PID_MAX_FALLBACK. */
long long pid_max_read(const char *path);
/* pid_max_read(PID_MAX_PATH), read once per process. */
long long pid_max(void);

/* 0 when pid names one process other than init: 2..max. Else -1 with e
 * saying "pid N is out of range (expected 2..MAX)". */
int pid_check(long long pid, long long max, eb_err *e);

#endif
