/*
 * k8s_config: which cluster, as which user, in which namespace.
 *
 * Loads kubeconfig the way client-go does (spec kubectl-plugin-ecosystem.md §4):
 * --kubeconfig names one file and nothing is merged; otherwise every file of the
 * $KUBECONFIG list is merged (the first file to set a value or a named cluster/user/
 * context wins, entries are never merged field by field); otherwise ~/.kube/config;
 * otherwise the in-cluster service account. Relative paths inside a file
 * (certificate-authority, client-certificate, client-key, tokenFile, exec.command when
 * it holds a '/') resolve against that file's directory.
 *
 * Like every k8s/ module it never reads the environment: cmd/ passes $KUBECONFIG,
 * $HOME, $KUBERNETES_SERVICE_HOST/PORT and the process environment (for exec plugins)
 * in struct k8s_config_opts.
 */
#ifndef K8S_CONFIG_H
#define K8S_CONFIG_H

#include "pki/err.h"

/* Log levels follow kubectl's -v: 6 one line per request, 8 also headers (redacted). */
typedef void k8s_log_fn(void *ud, int level, const char *line);

struct k8s_config_opts {
	const char *kubeconfig_flag;  /* --kubeconfig: this file only, must exist; NULL: unset */
	const char *kubeconfig_env;   /* $KUBECONFIG: ':'-separated list; NULL or "": unset */
	const char *home;             /* $HOME, for ~/.kube/config; NULL: no default file */
	const char *context;          /* --context; NULL: current-context */
	const char *cluster;          /* --cluster; NULL: the context's */
	const char *user;             /* --user; NULL: the context's */
	const char *namespace;        /* -n; NULL: the context's, else "default" */
	long timeout_ms;              /* --request-timeout for each request; 0: none */
	/* In-cluster config, used only when no kubeconfig file exists: */
	const char *incluster_host;   /* $KUBERNETES_SERVICE_HOST */
	const char *incluster_port;   /* $KUBERNETES_SERVICE_PORT */
	const char *incluster_dir;    /* NULL: /var/run/secrets/kubernetes.io/serviceaccount */
	const char *pod_namespace;    /* $POD_NAMESPACE (in-cluster namespace override) */
	/*
	 * The environment exec credential plugins inherit (cmd/ passes `environ`); the
	 * plugin's own env entries and KUBERNETES_EXEC_INFO are added to it, and its PATH
	 * is used to find a command without a '/'. NULL: an empty environment.
	 */
	char *const *envp;
	/* Logging: lines at level <= verbosity go to log(log_ud, level, line). */
	k8s_log_fn *log;
	void *log_ud;
	int verbosity;
	/*
	 * Only load and merge the files; do not pick a context, cluster or user (shell
	 * completion wants the names even when current-context is broken).
	 */
	int names_only;
};

struct k8s_config;

/*
 * Load and resolve the configuration. On success *out is a new config the caller
 * frees with k8s_config_free(). Errors (err filled, *out untouched):
 *   KT_E_IO       --kubeconfig (or a referenced file) cannot be read
 *   KT_E_PARSE    malformed YAML: "kubeconfig '/x/config' line 7: could not find expected ':'",
 *                 a duplicate name in one file, an unsupported field combination
 *   KT_E_NOTFOUND no kubeconfig and not in a cluster; a context/cluster/user that does not exist
 *   KT_E_USAGE    no current-context and no --context
 * Credentials from exec plugins are not fetched here but by the client, when first needed.
 */
int k8s_config_load(const struct k8s_config_opts *opts, struct k8s_config **out, struct kt_err *err);
void k8s_config_free(struct k8s_config *cfg);

/* Accessors: borrowed strings valid until k8s_config_free(); NULL when not set. */
const char *k8s_config_namespace(const struct k8s_config *cfg); /* never NULL after a full load */
const char *k8s_config_server(const struct k8s_config *cfg);    /* "https://host:port[/path]" */
const char *k8s_config_context_name(const struct k8s_config *cfg);
const char *k8s_config_cluster_name(const struct k8s_config *cfg);
const char *k8s_config_user_name(const struct k8s_config *cfg);
/* Where it came from: the file(s) read, or "in-cluster service account". */
const char *k8s_config_source(const struct k8s_config *cfg);
/* Nonzero when the cluster entry says insecure-skip-tls-verify: true. */
int k8s_config_insecure(const struct k8s_config *cfg);
/* "token", "tokenFile", "client-certificate", "exec", "basic", "in-cluster" or "none". */
const char *k8s_config_auth_kind(const struct k8s_config *cfg);

enum k8s_config_kind { K8S_CONFIG_CONTEXTS, K8S_CONFIG_CLUSTERS, K8S_CONFIG_USERS };
/*
 * The i-th name (0-based, in merged order) of the contexts, clusters or users in the
 * loaded files, or NULL past the end. For shell completion.
 */
const char *k8s_config_get0_name(const struct k8s_config *cfg, enum k8s_config_kind kind, int i);

#endif
