/*
 * init-ca: create a root, intermediate(s) and leaf certificate chain.
 * PLACEHOLDER: replaced by the issue that implements it.
 */
#include "cmd/cmd.h"

static const struct kt_opt init_ca_opts[] = {
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_init_ca(int argc, char **argv);

const struct kt_cmd kt_cmd_init_ca = {
	.name = "init-ca",
	.fn = cmd_init_ca,
	.opts = init_ca_opts,
	.usage = "init-ca [flags]",
	.summary = "create a root, intermediate(s) and leaf certificate chain",
};

static int cmd_init_ca(int argc, char **argv)
{
	const char *arg;
	int c;

	while ((c = kt_opt_next(&kt_cmd_init_ca, argc, argv, &arg)) != -1) {
		if (c == KT_OPT_HELP) {
			kt_help(&kt_cmd_init_ca, stdout);
			return KT_EXIT_OK;
		}
		if (c == KT_OPT_BAD)
			return KT_EXIT_USAGE;
	}
	errorf("'init-ca' is not implemented yet");
	return KT_EXIT_INTERNAL;
}
