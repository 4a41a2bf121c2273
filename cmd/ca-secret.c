/*
 * ca-secret: build or apply the labelled CA Secret Kong reads.
 * PLACEHOLDER: replaced by the issue that implements it.
 */
#include "cmd/cmd.h"

static const struct kt_opt ca_secret_opts[] = {
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_ca_secret(int argc, char **argv);

const struct kt_cmd kt_cmd_ca_secret = {
	.name = "ca-secret",
	.fn = cmd_ca_secret,
	.opts = ca_secret_opts,
	.usage = "ca-secret [flags]",
	.summary = "build or apply the labelled CA Secret Kong reads",
};

static int cmd_ca_secret(int argc, char **argv)
{
	const char *arg;
	int c;

	while ((c = kt_opt_next(&kt_cmd_ca_secret, argc, argv, &arg)) != -1) {
		if (c == KT_OPT_HELP) {
			kt_help(&kt_cmd_ca_secret, stdout);
			return KT_EXIT_OK;
		}
		if (c == KT_OPT_BAD)
			return KT_EXIT_USAGE;
	}
	errorf("'ca-secret' is not implemented yet");
	return KT_EXIT_INTERNAL;
}
