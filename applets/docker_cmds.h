/* The commands of envbox-docker (applets/docker.c has the usage text and the
 * dispatch). Each file holds one group, reading like its part of the usage:
 *   docker_image.c      pull, probe, prune
 *   docker_container.c  create, start, stop, rm, exec, wait
 *   docker_host.c       config, dockerd-args, log
 * argv[0] is the command's name; the return value is the exit status. */
#ifndef ENVBOX_DOCKER_CMDS_H
#define ENVBOX_DOCKER_CMDS_H

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
int dcmd_logs_to_coder(int argc, char **argv); /* docker_logs.c */

#endif
