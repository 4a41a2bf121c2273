/*
 * kubectl-kong_tls: entry point and dispatch table.
 *
 * Works as `kubectl kong-tls ...` (kubectl execs kubectl-kong_tls found on PATH,
 * passing the arguments after the plugin name untouched) and when run directly.
 * main() handles the few global flags, turns `help CMD` into `CMD --help`, runs the
 * subcommand and checks that stdout was written completely: a manifest piped into
 * `kubectl apply -f -` must not "succeed" after a short write.
 */
#include "cmd/cmd.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

extern const struct kt_cmd kt_cmd_init_ca, kt_cmd_issue, kt_cmd_inspect, kt_cmd_verify,
	kt_cmd_ca_secret, kt_cmd_ca_configmap, kt_cmd_tls_secret, kt_cmd_attach, kt_cmd_detach,
	kt_cmd_completion, kt_cmd_version, kt_cmd_complete;
extern const struct kt_cmd kt_cmd_man;

const struct kt_cmd *const kt_commands[] = {
	&kt_cmd_init_ca,
	&kt_cmd_issue,
	&kt_cmd_inspect,
	&kt_cmd_verify,
	&kt_cmd_ca_secret,
	&kt_cmd_ca_configmap,
	&kt_cmd_tls_secret,
	&kt_cmd_attach,
	&kt_cmd_detach,
	&kt_cmd_completion,
	&kt_cmd_version,
	&kt_cmd_complete,
	&kt_cmd_man,
	NULL
};

int kt_cmd_hidden(const struct kt_cmd *cmd)
{
	return cmd->name[0] == '_';
}

const struct kt_cmd *kt_find_command(const char *name)
{
	const struct kt_cmd *const *c;

	for (c = kt_commands; *c; c++)
		if (!strcmp((*c)->name, name))
			return *c;
	return NULL;
}

static void main_help(FILE *out)
{
	const struct kt_cmd *const *c;
	size_t i;

	fputs("Usage: kubectl kong-tls COMMAND [flags]\n\n"
	      "Build the certificates, Kubernetes objects and Service annotations that make Kong\n"
	      "verify the TLS certificate of an upstream service, and check them as Kong would.\n\n"
	      "Commands:\n", out);
	for (c = kt_commands; *c; c++)
		if (!kt_cmd_hidden(*c))
			fprintf(out, "  %-14s%s\n", (*c)->name, (*c)->summary);
	fputs("\nGlobal flags:\n"
	      "  -h, --help    show this help, or a command's with 'help COMMAND'\n"
	      "      --version print the version\n\n"
	      "Exit codes:\n", out);
	for (i = 0; i < kt_n_exit_codes; i++)
		fprintf(out, "%3d  %s\n", kt_exit_codes[i].code, kt_exit_codes[i].meaning);
	fputs("\n"
	      "Example, the whole guide in four commands:\n"
	      "  kubectl kong-tls init-ca --host kong.example\n"
	      "  kubectl kong-tls ca-secret root-ca --cert certs/root.crt\n"
	      "  kubectl kong-tls attach svc/echo --ca root-ca --depth 1\n"
	      "  kubectl kong-tls verify svc/echo --host kong.example --port-forward\n\n"
	      "Run 'kubectl kong-tls COMMAND --help' for a command's flags and examples.\n", out);
}

static int finish(int rc)
{
	if (fflush(stdout) || ferror(stdout)) {
		errorf("write error on standard output");
		return rc ? rc : KT_EXIT_IO;
	}
	return rc;
}

static void openssl_init(const struct kt_cmd *cmd)
{
	uint64_t opts = OPENSSL_INIT_NO_ATEXIT;

	/*
	 * OPENSSL_INIT_NO_ATEXIT: the process is about to end anyway; OpenSSL's clean-up
	 * of its provider and algorithm tables only costs time.
	 * OPENSSL_INIT_NO_LOAD_CONFIG: this machine's openssl.cnf (a distribution's system
	 * policy: protocols, cipher strings, security level) is not what Kong's own OpenSSL
	 * runs with, nor what kubectl (Go) talks to the API server with; verify must judge
	 * an upstream as Kong does, so it is not read (libcurl's request to read it comes
	 * after this and is then ignored), unless OPENSSL_CONF names a file on purpose.
	 * It was also a tenth of a cluster command's work.
	 * OPENSSL_INIT_NO_ADD_ALL_CIPHERS: OpenSSL 3.0 copies every legacy cipher name into
	 * its name map on the first algorithm fetch, a quarter of a short command's work.
	 * Those names serve only to look up the cipher of a legacy-encrypted PEM private
	 * key (TLS and certificates fetch ciphers through the providers), so only commands
	 * that read private keys keep them, and report such a key as encrypted.
	 */
	if (cmd && !cmd->reads_private_keys)
		opts |= OPENSSL_INIT_NO_ADD_ALL_CIPHERS;
	if (!getenv("OPENSSL_CONF"))
		opts |= OPENSSL_INIT_NO_LOAD_CONFIG;
	OPENSSL_init_crypto(opts, NULL);
}

int main(int argc, char **argv)
{
	const struct kt_cmd *cmd;
	char help_flag[] = "--help";
	char *help_argv[3];

	cmd = argc > 1 ? kt_find_command(argv[1]) : NULL;
	openssl_init(cmd);
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		main_help(stdout);
		return finish(argc < 2 ? KT_EXIT_USAGE : KT_EXIT_OK);
	}
	if (!strcmp(argv[1], "--version")) {
		/* the short form names only what every command uses; `version` lists every library */
		printf("kubectl-kong_tls %s (%s)\n", KT_VERSION, OpenSSL_version(OPENSSL_VERSION));
		return finish(KT_EXIT_OK);
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			main_help(stdout);
			return finish(KT_EXIT_OK);
		}
		cmd = kt_find_command(argv[2]);
		if (!cmd)
			return usagef(NULL, "unknown command '%s'", argv[2]);
		help_argv[0] = argv[2];
		help_argv[1] = help_flag;
		help_argv[2] = NULL;
		return finish(cmd->fn(2, help_argv));
	}
	if (argv[1][0] == '-')
		return usagef(NULL, "unknown flag '%s' (flags go after the command)", argv[1]);
	if (!cmd)
		return usagef(NULL, "unknown command '%s'", argv[1]);
	return finish(cmd->fn(argc - 1, argv + 1));
}
