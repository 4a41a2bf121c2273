/*
 * completion: print a shell completion script.
 * PLACEHOLDER: replaced by the issue that implements it.
 */
#include "cmd/cmd.h"

static const struct kt_opt completion_opts[] = {
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_completion(int argc, char **argv);

const struct kt_cmd kt_cmd_completion = {
	.name = "completion",
	.fn = cmd_completion,
	.opts = completion_opts,
	.usage = "completion [flags]",
	.summary = "print a shell completion script",
};

static int cmd_completion(int argc, char **argv)
{
	const char *arg;
	int c;

	while ((c = kt_opt_next(&kt_cmd_completion, argc, argv, &arg)) != -1) {
		if (c == KT_OPT_HELP) {
			kt_help(&kt_cmd_completion, stdout);
			return KT_EXIT_OK;
		}
		if (c == KT_OPT_BAD)
			return KT_EXIT_USAGE;
	}
	errorf("'completion' is not implemented yet");
	return KT_EXIT_INTERNAL;
}
