/*
 * Exec credential plugins (client.authentication.k8s.io/v1 and v1beta1), internal to
 * k8s/: the client calls k8s_exec_run() before the first request, when the credential
 * expires, and once after a 401.
 */
#ifndef K8S_EXEC_H
#define K8S_EXEC_H

#include <time.h>

#include "k8s/internal.h"

struct k8s_exec_cred {
	char *token;             /* status.token, or NULL */
	struct k8s_blob cert;    /* status.clientCertificateData (PEM), or empty */
	struct k8s_blob key;     /* status.clientKeyData (PEM), or empty */
	time_t expiry;           /* status.expirationTimestamp; 0: never */
};
#define K8S_EXEC_CRED_INIT { NULL, { NULL, 0 }, { NULL, 0 }, 0 }

/*
 * Run cfg->exec with the process environment (cfg->envp) plus its env entries and
 * KUBERNETES_EXEC_INFO, input from /dev/null, error output passed through, output captured.
 * ca is the cluster's CA PEM (for spec.cluster with provideClusterInfo), may be empty.
 * On success fills *out (release with k8s_exec_cred_release). Errors never quote the
 * plugin's output: KT_E_NOTFOUND (command missing; installHint as the hint), KT_E_API
 * (non-zero exit, bad or empty ExecCredential).
 */
int k8s_exec_run(const struct k8s_config *cfg, const struct k8s_blob *ca, struct k8s_exec_cred *out,
		 struct kt_err *err);
void k8s_exec_cred_release(struct k8s_exec_cred *cred);

/* RFC 3339 ("2026-11-26T04:30:00Z", "...T04:30:00.123+01:00") to time_t; 0 on error. */
time_t k8s_parse_rfc3339(const char *s);

#endif
