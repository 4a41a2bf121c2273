/*
 * inspect: show the certificates in PEM files.
 * PLACEHOLDER: replaced by the issue that implements it.
 */
#include "cmd/cmd.h"

static const struct kt_opt inspect_opts[] = {
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_inspect(int argc, char **argv);

const struct kt_cmd kt_cmd_inspect = {
	.name = "inspect",
	.fn = cmd_inspect,
	.opts = inspect_opts,
	.usage = "inspect [flags]",
	.summary = "show the certificates in PEM files",
};

static int cmd_inspect(int argc, char **argv)
{
	const char *arg;
	int c;

	while ((c = kt_opt_next(&kt_cmd_inspect, argc, argv, &arg)) != -1) {
		if (c == KT_OPT_HELP) {
			kt_help(&kt_cmd_inspect, stdout);
			return KT_EXIT_OK;
		}
		if (c == KT_OPT_BAD)
			return KT_EXIT_USAGE;
	}
	errorf("'inspect' is not implemented yet");
	return KT_EXIT_INTERNAL;
}
