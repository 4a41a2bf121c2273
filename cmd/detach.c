/*
 * detach: remove what attach added.
 * PLACEHOLDER: replaced by the issue that implements it.
 */
#include "cmd/cmd.h"

static const struct kt_opt detach_opts[] = {
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_detach(int argc, char **argv);

const struct kt_cmd kt_cmd_detach = {
	.name = "detach",
	.fn = cmd_detach,
	.opts = detach_opts,
	.usage = "detach [flags]",
	.summary = "remove what attach added",
};

static int cmd_detach(int argc, char **argv)
{
	const char *arg;
	int c;

	while ((c = kt_opt_next(&kt_cmd_detach, argc, argv, &arg)) != -1) {
		if (c == KT_OPT_HELP) {
			kt_help(&kt_cmd_detach, stdout);
			return KT_EXIT_OK;
		}
		if (c == KT_OPT_BAD)
			return KT_EXIT_USAGE;
	}
	errorf("'detach' is not implemented yet");
	return KT_EXIT_INTERNAL;
}
