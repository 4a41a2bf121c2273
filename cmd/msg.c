/*
 * The only code that writes to stderr. Messages are one line, lowercase, the
 * problem first, then what to do, prefixed "kubectl kong-tls: ".
 */
#include "cmd/cmd.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#define PREFIX "kubectl kong-tls: "

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs(PREFIX, stderr);
	if (kind)
		fputs(kind, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void errorf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(NULL, fmt, ap);
	va_end(ap);
}

void warnf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void notef(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void hintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("hint: ", fmt, ap);
	va_end(ap);
}

int usagef(const struct kt_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(PREFIX, stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "; see 'kubectl kong-tls %s --help'\n", cmd->name);
	else
		fputs("; see 'kubectl kong-tls --help'\n", stderr);
	return KT_EXIT_USAGE;
}

const struct kt_exit_doc kt_exit_codes[] = {
	{ KT_EXIT_OK, "success (verify: Kong would accept the upstream)" },
	{ KT_EXIT_REJECT, "Kong would reject (verify), or input Kong/KIC would reject was refused" },
	{ KT_EXIT_USAGE, "usage error" },
	{ KT_EXIT_IO, "a file could not be read or written" },
	{ KT_EXIT_PARSE, "malformed input (PEM, kubeconfig, JSON)" },
	{ KT_EXIT_API, "the Kubernetes API answered with an error" },
	{ KT_EXIT_TLS, "network or TLS failure (upstream, proxy, API server)" },
	{ KT_EXIT_EXISTS, "refusing to overwrite without --force" },
	{ KT_EXIT_NOTFOUND, "a named object or file does not exist" },
	{ KT_EXIT_CONFLICT, "the object kept changing; try again" },
	{ KT_EXIT_INTERNAL, "internal error" },
};
const size_t kt_n_exit_codes = sizeof(kt_exit_codes) / sizeof(kt_exit_codes[0]);

int kt_exit_code(int status)
{
	switch (status) {
	case KT_OK: return KT_EXIT_OK;
	case KT_E_USAGE: return KT_EXIT_USAGE;
	case KT_E_IO: return KT_EXIT_IO;
	case KT_E_PARSE: return KT_EXIT_PARSE;
	case KT_E_REJECT: return KT_EXIT_REJECT;
	case KT_E_API: return KT_EXIT_API;
	case KT_E_TLS: return KT_EXIT_TLS;
	case KT_E_EXISTS: return KT_EXIT_EXISTS;
	case KT_E_NOTFOUND: return KT_EXIT_NOTFOUND;
	case KT_E_CONFLICT: return KT_EXIT_CONFLICT;
	default: return KT_EXIT_INTERNAL;
	}
}

int kt_fail(const struct kt_err *err)
{
	errorf("%s", err->msg[0] ? err->msg : "unknown error");
	if (err->hint[0])
		hintf("%s", err->hint);
	return kt_exit_code(err->code);
}

int kt_color(FILE *f)
{
	const char *nc = getenv("NO_COLOR");

	if (nc && *nc)
		return 0;
	return isatty(fileno(f));
}
