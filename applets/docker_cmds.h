/* The commands of envbox-docker (applets/docker.c has the usage text and the
 * dispatch). Each file holds one group, reading like its part of the usage:
 *   docker_image.c      pull, probe, prune
 *   docker_container.c  create, start, stop, rm
 *   docker_exec.c       exec, wait
 *   docker_host.c       config, dockerd-args, log
 *   docker_logs.c       logs-to-coder
 * argv[0] is the command's name; the return value is the exit status. */
#ifndef ENVBOX_DOCKER_CMDS_H
#define ENVBOX_DOCKER_CMDS_H
#include "docker.h"
#include "util.h"

int dcmd_pull(int argc, char **argv);
int dcmd_probe(int argc, char **argv);
int dcmd_prune(int argc, char **argv);
int dcmd_create(int argc, char **argv);
int dcmd_start(int argc, char **argv);
int dcmd_stop(int argc, char **argv);
int dcmd_rm(int argc, char **argv);
int dcmd_exec(int argc, char **argv);
int dcmd_wait(int argc, char **argv);
int dcmd_config(int argc, char **argv);
int dcmd_dockerd_args(int argc, char **argv);
int dcmd_log(int argc, char **argv);
int dcmd_logs_to_coder(int argc, char **argv);

/* What the container commands share (docker.c). Each exits on failure. */
/* docker_open at $DOCKER_HOST. */
void open_docker(docker *d);
/* An API error; the daemon's "no space left on device" gets its own exit
 * status (EXIT_NOSPACE) so the entrypoint can fall back to vfs. */
_Noreturn void die_api(const eb_err *e);
/* "/containers/NAME" plus rest, NAME escaped for the path. Owned. */
char *container_path(const char *name, const char *rest);
/* One request whose answer body is not needed; statuses in ok (0-ended)
 * count as success. Returns the HTTP status. */
long simple_request(docker *d, const char *method, const char *path, const long *ok);
/* NAME as the one positional argument of cmd: arg, unless name (the one
 * already seen) is set or arg is empty (usage errors). */
const char *one_name(const char *cmd, const char *name, const char *arg);
/* NAME, the only argument of a command that takes no options (start,
 * wait); usage errors otherwise. */
const char *only_name(const char *cmd, int argc, char **argv);

#endif
