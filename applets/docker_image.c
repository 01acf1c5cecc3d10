/* envbox-docker: pull,probe,prune (not written yet). */
#include "applet.h"
#include "docker_cmds.h"

int dcmd_pull(int argc, char **argv)
{
	(void)argc;
	die("%s: not implemented yet", argv[0]);
}

int dcmd_probe(int argc, char **argv)
{
	(void)argc;
	die("%s: not implemented yet", argv[0]);
}

int dcmd_prune(int argc, char **argv)
{
	(void)argc;
	die("%s: not implemented yet", argv[0]);
}

