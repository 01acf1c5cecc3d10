/* envbox-docker: not implemented yet (see the open issues). */
#include <stdio.h>

#include "applet.h"

const char docker_usage[] =
	"Usage: envbox-docker ...\n"
	"\n"
	"Not implemented yet: this applet arrives with a later issue.\n"
	"Exit codes: 0 done, 1 failed, 2 usage error.\n";

int docker_main(int argc, char **argv)
{
	if (wants_help(argc, argv))
		help();
	die("not implemented yet");
}
