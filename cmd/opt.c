/*
 * Option parsing, --help and value checks, all driven by a command's kt_opt table.
 *
 * The getopt_long tables are derived from kt_opt on first use for each command, so
 * the flags we parse are exactly the flags --help and completion show.
 */
#include "cmd/cmd.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define KT_MAX_OPTS 64

static struct {
	const struct kt_cmd *cmd;
	struct option longopts[KT_MAX_OPTS + 1];
	char optstring[3 * KT_MAX_OPTS + 4];
} parser;

static void build_tables(const struct kt_cmd *cmd)
{
	const struct kt_opt *o;
	size_t n = 0, s = 0;

	memset(&parser, 0, sizeof(parser));
	parser.cmd = cmd;
	/* '-': positional arguments come back in order as KT_OPT_ARG; ':': we word missing arguments */
	parser.optstring[s++] = '-';
	parser.optstring[s++] = ':';
	for (o = cmd->opts; o && o->long_name && n < KT_MAX_OPTS; o++) {
		parser.longopts[n].name = o->long_name;
		parser.longopts[n].has_arg = o->has_arg;
		parser.longopts[n].val = o->id;
		n++;
		if (o->short_name) {
			parser.optstring[s++] = (char)o->short_name;
			if (o->has_arg == required_argument)
				parser.optstring[s++] = ':';
			else if (o->has_arg == optional_argument) {
				parser.optstring[s++] = ':';
				parser.optstring[s++] = ':';
			}
		}
	}
	optind = 0;  /* glibc: zero re-initialises getopt for a new argv */
	opterr = 0;
}

static const struct kt_opt *find_by_id(const struct kt_cmd *cmd, int id)
{
	const struct kt_opt *o;

	for (o = cmd->opts; o && o->long_name; o++)
		if (o->id == id)
			return o;
	return NULL;
}

int kt_opt_next(const struct kt_cmd *cmd, int argc, char **argv, const char **arg)
{
	int c;
	const char *bad;

	if (parser.cmd != cmd)
		build_tables(cmd);
	c = getopt_long(argc, argv, parser.optstring, parser.longopts, NULL);
	*arg = optarg;
	if (c == -1) {
		/* after "--", the rest are positional */
		if (optind < argc) {
			*arg = argv[optind++];
			return KT_OPT_ARG;
		}
		parser.cmd = NULL;
		return -1;
	}
	if (c != '?' && c != ':')
		return c;
	bad = argv[optind - 1];
	if (c == ':') {
		const struct kt_opt *o = find_by_id(cmd, optopt);
		if (o)
			usagef(cmd, "flag '--%s' needs a value (%s)", o->long_name, o->argh ? o->argh : "argument");
		else
			usagef(cmd, "flag '%s' needs a value", bad);
	} else if (optopt && !(bad[0] == '-' && bad[1] == '-')) {
		usagef(cmd, "unknown flag '-%c'", optopt);
	} else {
		usagef(cmd, "unknown flag '%s'", bad);
	}
	parser.cmd = NULL;
	return KT_OPT_BAD;
}

int kt_opt_int(const struct kt_cmd *cmd, const char *flag, const char *arg, long min, long max, long *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || errno || *end || v < min || v > max) {
		usagef(cmd, "invalid value '%s' for --%s: expected an integer from %ld to %ld", arg, flag, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int kt_opt_duration(const struct kt_cmd *cmd, const char *flag, const char *arg, long *ms)
{
	char *end = NULL;
	double v;
	double scale = 1000;

	errno = 0;
	v = strtod(arg, &end);
	if (*arg && !errno && end != arg && v >= 0) {
		if (!strcmp(end, "ms"))
			scale = 1;
		else if (!strcmp(end, "s") || !*end)
			scale = 1000;
		else if (!strcmp(end, "m"))
			scale = 60000;
		else if (!strcmp(end, "h"))
			scale = 3600000;
		else
			end = NULL;
		if (end && v * scale < (double)LONG_MAX / 2) {
			*ms = (long)(v * scale);
			return 0;
		}
	}
	usagef(cmd, "invalid duration '%s' for --%s: expected e.g. 500ms, 5s, 2m", arg, flag);
	return -1;
}

int kt_cluster_opt(const struct kt_cmd *cmd, int id, const char *arg, struct kt_cluster_opts *co)
{
	long v;

	switch (id) {
	case KT_OPT_KUBECONFIG: co->kubeconfig = arg; return 1;
	case KT_OPT_CONTEXT: co->context = arg; return 1;
	case KT_OPT_CLUSTER: co->cluster = arg; return 1;
	case KT_OPT_USER: co->user = arg; return 1;
	case KT_OPT_NAMESPACE:
		if (!*arg) {
			usagef(cmd, "--namespace needs a non-empty name");
			return -1;
		}
		co->namespace = arg;
		return 1;
	case KT_OPT_REQUEST_TIMEOUT:
		return kt_opt_duration(cmd, "request-timeout", arg, &co->request_timeout_ms) ? -1 : 1;
	case KT_OPT_VERBOSE:
		if (kt_opt_int(cmd, "verbose", arg, 0, 10, &v))
			return -1;
		co->verbosity = (int)v;
		return 1;
	default:
		return 0;
	}
}

static void print_opt(FILE *out, const struct kt_opt *o)
{
	char left[80];
	int n;

	if (o->short_name)
		n = snprintf(left, sizeof(left), "  -%c, --%s", o->short_name, o->long_name);
	else
		n = snprintf(left, sizeof(left), "      --%s", o->long_name);
	if (o->argh && n > 0 && (size_t)n < sizeof(left))
		snprintf(left + n, sizeof(left) - (size_t)n, o->has_arg == optional_argument ? "[=%s]" : " %s", o->argh);
	if (strlen(left) > 28)
		fprintf(out, "%s\n%30s%s\n", left, "", o->help);
	else
		fprintf(out, "%-30s%s\n", left, o->help);
}

void kt_help(const struct kt_cmd *cmd, FILE *out)
{
	const struct kt_opt *o;

	fprintf(out, "Usage: kubectl kong-tls %s\n\n%s\n", cmd->usage, cmd->summary);
	if (cmd->description && *cmd->description)
		fprintf(out, "\n%s\n", cmd->description);
	if (cmd->opts && cmd->opts->long_name) {
		fputs("\nFlags:\n", out);
		for (o = cmd->opts; o->long_name; o++)
			print_opt(out, o);
	}
	if (cmd->examples && *cmd->examples)
		fprintf(out, "\nExamples:\n%s\n", cmd->examples);
}
