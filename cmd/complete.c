/*
 * __complete: (hidden) completion candidates for shells and kubectl.
 * PLACEHOLDER: replaced by the issue that implements it.
 */
#include "cmd/cmd.h"

static const struct kt_opt complete_opts[] = {
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_complete(int argc, char **argv);

const struct kt_cmd kt_cmd_complete = {
	.name = "__complete",
	.fn = cmd_complete,
	.opts = complete_opts,
	.usage = "__complete [flags]",
	.summary = "(hidden) completion candidates for shells and kubectl",
};

static int cmd_complete(int argc, char **argv)
{
	const char *arg;
	int c;

	while ((c = kt_opt_next(&kt_cmd_complete, argc, argv, &arg)) != -1) {
		if (c == KT_OPT_HELP) {
			kt_help(&kt_cmd_complete, stdout);
			return KT_EXIT_OK;
		}
		if (c == KT_OPT_BAD)
			return KT_EXIT_USAGE;
	}
	errorf("'__complete' is not implemented yet");
	return KT_EXIT_INTERNAL;
}
