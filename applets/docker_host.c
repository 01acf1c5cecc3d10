/* envbox-docker: config,dockerd_args,log (not written yet). */
#include "applet.h"
#include "docker_cmds.h"

int dcmd_config(int argc, char **argv)
{
	(void)argc;
	die("%s: not implemented yet", argv[0]);
}

int dcmd_dockerd_args(int argc, char **argv)
{
	(void)argc;
	die("%s: not implemented yet", argv[0]);
}

int dcmd_log(int argc, char **argv)
{
	(void)argc;
	die("%s: not implemented yet", argv[0]);
}

