/*
 * tls-secret: build or apply the upstream's kubernetes.io/tls Secret.
 * PLACEHOLDER: replaced by the issue that implements it.
 */
#include "cmd/cmd.h"

static const struct kt_opt tls_secret_opts[] = {
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_tls_secret(int argc, char **argv);

const struct kt_cmd kt_cmd_tls_secret = {
	.name = "tls-secret",
	.fn = cmd_tls_secret,
	.opts = tls_secret_opts,
	.usage = "tls-secret [flags]",
	.summary = "build or apply the upstream's kubernetes.io/tls Secret",
};

static int cmd_tls_secret(int argc, char **argv)
{
	const char *arg;
	int c;

	while ((c = kt_opt_next(&kt_cmd_tls_secret, argc, argv, &arg)) != -1) {
		if (c == KT_OPT_HELP) {
			kt_help(&kt_cmd_tls_secret, stdout);
			return KT_EXIT_OK;
		}
		if (c == KT_OPT_BAD)
			return KT_EXIT_USAGE;
	}
	errorf("'tls-secret' is not implemented yet");
	return KT_EXIT_INTERNAL;
}
