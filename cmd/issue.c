/*
 * issue: issue a new leaf from an existing init-ca directory.
 * PLACEHOLDER: replaced by the issue that implements it.
 */
#include "cmd/cmd.h"

static const struct kt_opt issue_opts[] = {
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_issue(int argc, char **argv);

const struct kt_cmd kt_cmd_issue = {
	.name = "issue",
	.fn = cmd_issue,
	.opts = issue_opts,
	.usage = "issue [flags]",
	.summary = "issue a new leaf from an existing init-ca directory",
};

static int cmd_issue(int argc, char **argv)
{
	const char *arg;
	int c;

	while ((c = kt_opt_next(&kt_cmd_issue, argc, argv, &arg)) != -1) {
		if (c == KT_OPT_HELP) {
			kt_help(&kt_cmd_issue, stdout);
			return KT_EXIT_OK;
		}
		if (c == KT_OPT_BAD)
			return KT_EXIT_USAGE;
	}
	errorf("'issue' is not implemented yet");
	return KT_EXIT_INTERNAL;
}
