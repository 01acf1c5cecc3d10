/* envbox-docker: create,start,stop,rm,exec (not written yet). */
#include "applet.h"
#include "docker_cmds.h"

int dcmd_create(int argc, char **argv)
{
	(void)argc;
	die("%s: not implemented yet", argv[0]);
}

int dcmd_start(int argc, char **argv)
{
	(void)argc;
	die("%s: not implemented yet", argv[0]);
}

int dcmd_stop(int argc, char **argv)
{
	(void)argc;
	die("%s: not implemented yet", argv[0]);
}

int dcmd_rm(int argc, char **argv)
{
	(void)argc;
	die("%s: not implemented yet", argv[0]);
}

int dcmd_exec(int argc, char **argv)
{
	(void)argc;
	die("%s: not implemented yet", argv[0]);
}

