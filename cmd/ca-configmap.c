/*
 * ca-configmap: build or apply the labelled CA ConfigMap Kong reads.
 * PLACEHOLDER: replaced by the issue that implements it.
 */
#include "cmd/cmd.h"

static const struct kt_opt ca_configmap_opts[] = {
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_ca_configmap(int argc, char **argv);

const struct kt_cmd kt_cmd_ca_configmap = {
	.name = "ca-configmap",
	.fn = cmd_ca_configmap,
	.opts = ca_configmap_opts,
	.usage = "ca-configmap [flags]",
	.summary = "build or apply the labelled CA ConfigMap Kong reads",
};

static int cmd_ca_configmap(int argc, char **argv)
{
	const char *arg;
	int c;

	while ((c = kt_opt_next(&kt_cmd_ca_configmap, argc, argv, &arg)) != -1) {
		if (c == KT_OPT_HELP) {
			kt_help(&kt_cmd_ca_configmap, stdout);
			return KT_EXIT_OK;
		}
		if (c == KT_OPT_BAD)
			return KT_EXIT_USAGE;
	}
	errorf("'ca-configmap' is not implemented yet");
	return KT_EXIT_INTERNAL;
}
