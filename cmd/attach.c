/*
 * attach: annotate a Service (or write a BackendTLSPolicy) so Kong verifies it.
 * PLACEHOLDER: replaced by the issue that implements it.
 */
#include "cmd/cmd.h"

static const struct kt_opt attach_opts[] = {
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_attach(int argc, char **argv);

const struct kt_cmd kt_cmd_attach = {
	.name = "attach",
	.fn = cmd_attach,
	.opts = attach_opts,
	.usage = "attach [flags]",
	.summary = "annotate a Service (or write a BackendTLSPolicy) so Kong verifies it",
};

static int cmd_attach(int argc, char **argv)
{
	const char *arg;
	int c;

	while ((c = kt_opt_next(&kt_cmd_attach, argc, argv, &arg)) != -1) {
		if (c == KT_OPT_HELP) {
			kt_help(&kt_cmd_attach, stdout);
			return KT_EXIT_OK;
		}
		if (c == KT_OPT_BAD)
			return KT_EXIT_USAGE;
	}
	errorf("'attach' is not implemented yet");
	return KT_EXIT_INTERNAL;
}
