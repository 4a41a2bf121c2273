/*
 * cmd/certout.c: signal cleanup for the file sets of init-ca and issue, and small
 * output helpers. The library keeps no globals, so the one "set being written"
 * pointer the signal handler needs lives here.
 */
#include "cmd/certout.h"

#include <signal.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>

static struct pki_fileset *volatile guarded;

static void on_signal(int sig)
{
	pki_fileset_unlink_temps(guarded);
	signal(sig, SIG_DFL);
	raise(sig);
}

void kt_guard_fileset(struct pki_fileset *set)
{
	static int installed;

	guarded = set;
	if (set && !installed) {
		struct sigaction sa;
		const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
		size_t i;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			struct sigaction old;

			/* leave signals the caller chose to ignore (nohup) ignored */
			if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
				continue;
			sigaction(sigs[i], &sa, NULL);
		}
		installed = 1;
	}
}

void kt_cert_until(const X509 *cert, char *buf, size_t len)
{
	struct tm tm;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
		strftime(buf, len, "%Y-%m-%d", &tm);
}
