/*
 * verify: predict whether Kong accepts an upstream's certificate chain.
 * PLACEHOLDER: replaced by the issue that implements it.
 */
#include "cmd/cmd.h"

static const struct kt_opt verify_opts[] = {
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_verify(int argc, char **argv);

const struct kt_cmd kt_cmd_verify = {
	.name = "verify",
	.fn = cmd_verify,
	.opts = verify_opts,
	.usage = "verify [flags]",
	.summary = "predict whether Kong accepts an upstream's certificate chain",
};

static int cmd_verify(int argc, char **argv)
{
	const char *arg;
	int c;

	while ((c = kt_opt_next(&kt_cmd_verify, argc, argv, &arg)) != -1) {
		if (c == KT_OPT_HELP) {
			kt_help(&kt_cmd_verify, stdout);
			return KT_EXIT_OK;
		}
		if (c == KT_OPT_BAD)
			return KT_EXIT_USAGE;
	}
	errorf("'verify' is not implemented yet");
	return KT_EXIT_INTERNAL;
}
