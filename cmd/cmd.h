/*
 * cmd/: the command-line interface, the only code that prints or exits.
 *
 * Every subcommand lives in its own file cmd/<name>.c and exports one
 * `const struct kt_cmd kt_cmd_<name>` (its entry function, option table, usage,
 * summary and examples). cmd/main.c lists them in one dispatch table. The same
 * option tables drive parsing (getopt_long), --help, the man page and shell
 * completion, so they cannot drift apart.
 */
#ifndef KT_CMD_H
#define KT_CMD_H

#include <getopt.h>
#include <stdio.h>

#include "pki/err.h"

/* Exit codes: documented in `kubectl kong-tls --help` and tested in test/t. */
enum kt_exit {
	KT_EXIT_OK = 0,
	KT_EXIT_REJECT = 1,    /* Kong would reject (verify), or a Kong/KIC rule refused the input */
	KT_EXIT_USAGE = 2,     /* bad command line */
	KT_EXIT_IO = 3,        /* a file could not be read or written */
	KT_EXIT_PARSE = 4,     /* malformed input: PEM, kubeconfig, JSON */
	KT_EXIT_API = 5,       /* the Kubernetes API answered with an error */
	KT_EXIT_TLS = 6,       /* network or TLS failure talking to an upstream or proxy */
	KT_EXIT_EXISTS = 7,    /* refusing to overwrite without --force */
	KT_EXIT_NOTFOUND = 8,  /* a named object or file does not exist */
	KT_EXIT_CONFLICT = 9,  /* the object kept changing under us */
	KT_EXIT_INTERNAL = 70  /* out of memory or an internal library error */
};

/* What a flag's value (or a positional argument) completes to. */
enum kt_comp {
	KT_COMP_NONE = 0,
	KT_COMP_FILE,
	KT_COMP_DIR,
	KT_COMP_VALUES,     /* one of kt_opt.values, comma-separated */
	KT_COMP_SERVICE,    /* svc/NAME from the cluster */
	KT_COMP_CA,         /* labelled CA Secrets/ConfigMaps from the cluster */
	KT_COMP_NAMESPACE,
	KT_COMP_CONTEXT,
	KT_COMP_CLUSTER,
	KT_COMP_USER,
	KT_COMP_COMMAND     /* a subcommand name (help CMD) */
};

struct kt_opt {
	const char *long_name;  /* "depth" */
	int short_name;         /* 'd', or 0 */
	int has_arg;            /* no_argument / required_argument / optional_argument */
	int id;                 /* returned by kt_opt_next(); use >= 256 for long-only flags */
	const char *argh;       /* "N", "FILE", NULL */
	const char *help;       /* one line */
	enum kt_comp complete;
	const char *values;     /* for KT_COMP_VALUES: "ec:p256,ec:p384,rsa:2048" */
};
#define KT_OPT_END { NULL, 0, 0, 0, NULL, NULL, KT_COMP_NONE, NULL }

/* Ids shared by the option groups below; subcommand ids start at KT_OPT_FIRST. */
enum {
	KT_OPT_HELP = 'h',
	KT_OPT_BAD = '?',
	KT_OPT_ARG = 1,          /* a positional argument (optstring starts with '-') */
	KT_OPT_KUBECONFIG = 200,
	KT_OPT_CONTEXT,
	KT_OPT_CLUSTER,
	KT_OPT_USER,
	KT_OPT_NAMESPACE = 'n',
	KT_OPT_REQUEST_TIMEOUT = 210,
	KT_OPT_VERBOSE = 'v',
	KT_OPT_OUTPUT = 'o',
	KT_OPT_FIRST = 256
};

#define KT_OPTS_HELP \
	{ "help", 'h', no_argument, KT_OPT_HELP, NULL, "show this help", KT_COMP_NONE, NULL }

/* The cluster option group, accepted by every command that talks to the API server. */
#define KT_OPTS_CLUSTER \
	{ "kubeconfig", 0, required_argument, KT_OPT_KUBECONFIG, "FILE", "kubeconfig file to use (no merging with $KUBECONFIG)", KT_COMP_FILE, NULL }, \
	{ "context", 0, required_argument, KT_OPT_CONTEXT, "NAME", "kubeconfig context to use", KT_COMP_CONTEXT, NULL }, \
	{ "cluster", 0, required_argument, KT_OPT_CLUSTER, "NAME", "kubeconfig cluster to use", KT_COMP_CLUSTER, NULL }, \
	{ "user", 0, required_argument, KT_OPT_USER, "NAME", "kubeconfig user to use", KT_COMP_USER, NULL }, \
	{ "namespace", 'n', required_argument, KT_OPT_NAMESPACE, "NS", "namespace (default: the context's, else \"default\")", KT_COMP_NAMESPACE, NULL }, \
	{ "request-timeout", 0, required_argument, KT_OPT_REQUEST_TIMEOUT, "DUR", "give up on one API request after DUR (e.g. 5s, 1m; 0 = no limit)", KT_COMP_NONE, NULL }, \
	{ "verbose", 'v', required_argument, KT_OPT_VERBOSE, "N", "log API requests to stderr (N >= 6), redacted", KT_COMP_NONE, NULL }

#define KT_OPTS_OUTPUT(formats) \
	{ "output", 'o', required_argument, KT_OPT_OUTPUT, "FORMAT", "print as " formats, KT_COMP_VALUES, formats }

/* What the cluster option group collected; a plain struct, no I/O. */
struct kt_cluster_opts {
	const char *kubeconfig;
	const char *context;
	const char *cluster;
	const char *user;
	const char *namespace;
	long request_timeout_ms;  /* 0: none */
	int verbosity;
};

struct kt_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const struct kt_opt *opts;
	const char *usage;        /* after "kubectl kong-tls ": "init-ca [flags]" */
	const char *summary;      /* one line for the command list */
	const char *description;  /* a paragraph, may hold newlines */
	const char *examples;     /* lines of "  kubectl kong-tls ..." */
	enum kt_comp args;        /* what positional arguments complete to */
	const char *arg_values;   /* for args == KT_COMP_VALUES: "bash,zsh,fish,kubectl" */
	int reads_private_keys;   /* may read a PEM private key (see main()) */
};

extern const struct kt_cmd *const kt_commands[];
const struct kt_cmd *kt_find_command(const char *name);
/* Commands named "__..." are for kubectl and the build (__complete, __man): no help, no completion. */
int kt_cmd_hidden(const struct kt_cmd *cmd);

/* msg.c: every line written to stderr goes through these. */
void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "unknown flag ...; see 'kubectl kong-tls CMD --help'"; returns KT_EXIT_USAGE */
int usagef(const struct kt_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print err (message and hint) once; return the exit code for its status. */
int kt_fail(const struct kt_err *err);
int kt_exit_code(int status);
/* Every exit code with its meaning, for `--help` and the man page. */
struct kt_exit_doc {
	int code;
	const char *meaning;
};
extern const struct kt_exit_doc kt_exit_codes[];
extern const size_t kt_n_exit_codes;
/* Colour for f: only on a terminal, and never with NO_COLOR set. */
int kt_color(FILE *f);

/*
 * opt.c: option parsing driven by a kt_opt table.
 * Call kt_opt_next() in a loop; it returns an option id, KT_OPT_ARG for a positional
 * argument (in *arg), KT_OPT_HELP, -1 at the end, or KT_OPT_BAD after printing a
 * usage error. Flags and arguments may be mixed in any order; "--" ends flags.
 */
int kt_opt_next(const struct kt_cmd *cmd, int argc, char **argv, const char **arg);
/* Handle an id of the cluster group; returns 1 if it was one, 0 if not, -1 on a bad value (printed). */
int kt_cluster_opt(const struct kt_cmd *cmd, int id, const char *arg, struct kt_cluster_opts *co);
/* Parse an integer flag value in [min, max]; prints a usage error and returns -1 if it is not one. */
int kt_opt_int(const struct kt_cmd *cmd, const char *flag, const char *arg, long min, long max, long *out);
/* Parse a duration such as 500ms, 5s, 2m, 1h, or a plain number of seconds, into milliseconds. */
int kt_opt_duration(const struct kt_cmd *cmd, const char *flag, const char *arg, long *ms);
/* --help text for cmd, from its table. */
void kt_help(const struct kt_cmd *cmd, FILE *out);

#endif
