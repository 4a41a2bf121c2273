/*
 * cmd/kube.h: what the cluster-writing commands (ca-secret, ca-configmap, tls-secret,
 * attach, detach, init-ca --apply) share: opening the cluster from the cluster flags,
 * printing -o yaml|json, --dry-run parsing, and the CA-object checks.
 */
#ifndef KT_CMD_KUBE_H
#define KT_CMD_KUBE_H

#include <cjson/cJSON.h>

#include "cmd/cmd.h"
#include "k8s/k8s.h"
#include "k8s/objects.h"

struct kt_kube {
	struct k8s_config *cfg;
	struct k8s_client *client;
	const char *ns;          /* borrowed from cfg */
};

/* The k8s_config_opts for the cluster flags plus the environment (KUBECONFIG, HOME, in-cluster). */
void kt_kube_config_opts(const struct kt_cluster_opts *co, struct k8s_config_opts *o);

/* Load kubeconfig (flags + environment) and open a client. Returns 0 or an exit code (error printed). */
int kt_kube_open(const struct kt_cluster_opts *co, struct kt_kube *k);
void kt_kube_close(struct kt_kube *k);

enum kt_dry_run { KT_DRY_NONE = 0, KT_DRY_CLIENT, KT_DRY_SERVER };
enum kt_output { KT_OUT_NONE = 0, KT_OUT_YAML, KT_OUT_JSON };

/* --dry-run[=none|client|server] (bare: client, as kubectl); -o yaml|json. -1 on a bad value (printed). */
int kt_parse_dry_run(const struct kt_cmd *cmd, const char *arg, enum kt_dry_run *out);
/* What a result line ends with: " (dry run)", " (server dry run)" or "". */
const char *kt_dry_suffix(enum kt_dry_run d);
/* "service/echo configured (dry run)" and one "  key: before -> after" line per change. */
void kt_print_anno_plan(const char *what, const struct k8s_anno_plan *plan, enum kt_dry_run d);
int kt_parse_output(const struct kt_cmd *cmd, const char *arg, enum kt_output *out);

/* Print obj to stdout as YAML or JSON. Returns 0 or an exit code (error printed). */
int kt_print_object(const cJSON *obj, enum kt_output fmt);

/* Print Warning headers the API server sent (deduplicated), as kubectl does. */
void kt_kube_warnings(const struct kt_kube *k);

/* A Kubernetes object name (DNS-1123 subdomain). 0 if valid, else a usage error is printed. */
int kt_check_name(const struct kt_cmd *cmd, const char *what, const char *name);

/* "svc/echo", "service/echo", "services/echo" or "echo" -> "echo"; NULL (printed) if another kind. */
const char *kt_service_arg(const struct kt_cmd *cmd, const char *arg);

/* The flags of ca-secret and ca-configmap (one table shape, one parser in ca-secret.c). */
enum {
	KT_OPT_CA_CERT = KT_OPT_FIRST + 100,
	KT_OPT_CA_ID,
	KT_OPT_CA_INGRESS_CLASS,
	KT_OPT_CA_DRY_RUN,
	KT_OPT_CA_FORCE
};

#define KT_OPTS_CA_OBJECT \
	{ "cert", 0, required_argument, KT_OPT_CA_CERT, "FILE", "the CA certificate (PEM, exactly one, CA:TRUE), normally the root", KT_COMP_FILE, NULL }, \
	{ "id", 0, required_argument, KT_OPT_CA_ID, "UUID", "the Kong id (default: the existing one for the same certificate, else a new random UUIDv4)", KT_COMP_NONE, NULL }, \
	{ "ingress-class", 0, required_argument, KT_OPT_CA_INGRESS_CLASS, "CLASS", "kubernetes.io/ingress.class annotation (default kong; KIC < 3.4 requires it)", KT_COMP_NONE, NULL }, \
	KT_OPTS_OUTPUT("yaml,json"), \
	{ "dry-run", 0, optional_argument, KT_OPT_CA_DRY_RUN, "MODE", "client: print the manifest; server: send with dryRun=All; none", KT_COMP_VALUES, "none,client,server" }, \
	{ "force", 0, no_argument, KT_OPT_CA_FORCE, NULL, "replace a different certificate under the same name (it gets a new id)", KT_COMP_NONE, NULL }, \
	KT_OPTS_CLUSTER, \
	KT_OPTS_HELP, \
	KT_OPT_END


/* ca-secret.c: the shared body of ca-secret and ca-configmap. */
int kt_ca_object_main(const struct kt_cmd *cmd, enum k8s_ca_kind kind, int argc, char **argv);

/*
 * Write the CA object for pem (already judged acceptable) named name into ns, keeping the
 * existing id for the same certificate; refuse a different certificate unless force.
 * Used by ca-secret/ca-configmap and init-ca --apply. Prints the result line.
 * Returns 0 or an exit code (error printed).
 */
struct kt_ca_apply {
	enum k8s_ca_kind kind;
	const char *name;
	const char *pem;
	size_t pem_len;
	const char *digest;        /* SHA-256 hex of the certificate (pki_caobj) */
	const char *id;            /* --id, or NULL */
	const char *ingress_class;
	int force;
	enum kt_dry_run dry_run;
	enum kt_output out;        /* with KT_DRY_SERVER: print the server's answer */
};
int kt_ca_object_apply(struct kt_kube *k, const struct kt_ca_apply *a);

/*
 * ca-secret.c: read and judge a CA certificate file with the CA-object engine; on success
 * *pem is a clean single PEM block (malloc'd) and digest its SHA-256. Returns 0 or an exit
 * code (error printed).
 */
int kt_load_ca_cert(const char *path, char **pem, size_t *pem_len, char digest[65]);

/*
 * tls-secret.c: write a kubernetes.io/tls Secret (checked by the caller). With check_existing,
 * read it first and refuse different contents without force (2 requests); without, one
 * server-side apply (init-ca --apply, whose files are new anyway). Prints the result line.
 */
int kt_tls_secret_apply(struct kt_kube *k, const char *name, const char *chain, size_t chain_len,
			const char *key, size_t key_len, int force, int check_existing, enum kt_dry_run dry_run);

/*
 * k8s_apply() with the field manager kubectl-kong-tls; a conflict with another field
 * manager gets the hint to take the fields over with --force.
 */
int kt_apply(struct kt_kube *k, const char *path, const cJSON *obj, unsigned flags, cJSON **result,
	     struct kt_err *err);

/* "created" (the server answered 201) or "configured"/"unchanged" (resourceVersion kept). */
const char *kt_apply_verb(const struct kt_kube *k, const cJSON *before, const cJSON *after);

/* init-ca --apply: its flags, parsed by kt_init_apply_opt(), run by kt_init_apply_run(). */
enum {
	KT_OPT_APPLY = KT_OPT_FIRST + 200,
	KT_OPT_APPLY_CA_SECRET,
	KT_OPT_APPLY_CA_CONFIGMAP,
	KT_OPT_APPLY_TLS_SECRET
};
#define KT_OPTS_INIT_APPLY \
	{ "apply", 0, no_argument, KT_OPT_APPLY, NULL, "publish the root as a CA object (and the chain as a TLS Secret) in the cluster", KT_COMP_NONE, NULL }, \
	{ "ca-secret", 0, required_argument, KT_OPT_APPLY_CA_SECRET, "NAME", "with --apply: the CA Secret's name (default root-ca)", KT_COMP_NONE, NULL }, \
	{ "ca-configmap", 0, required_argument, KT_OPT_APPLY_CA_CONFIGMAP, "NAME", "with --apply: publish a CA ConfigMap instead of a Secret", KT_COMP_NONE, NULL }, \
	{ "tls-secret", 0, required_argument, KT_OPT_APPLY_TLS_SECRET, "NAME", "with --apply: also the upstream's kubernetes.io/tls Secret (chain.crt + leaf.key)", KT_COMP_NONE, NULL }, \
	KT_OPTS_CLUSTER

struct kt_init_apply {
	int enabled;
	enum k8s_ca_kind kind;
	const char *ca_name;         /* NULL: root-ca */
	const char *tls_name;        /* NULL: no TLS Secret */
	struct kt_cluster_opts co;
};
/* 1 if id was one of the --apply flags (or a cluster flag), 0 if not, -1 on a bad value (printed). */
int kt_init_apply_opt(const struct kt_cmd *cmd, int id, const char *arg, struct kt_init_apply *a);
/* Check the combination after parsing (e.g. --tls-secret with --no-leaf). 0 or an exit code (printed). */
int kt_init_apply_check(const struct kt_cmd *cmd, const struct kt_init_apply *a, int have_leaf);
/* Publish root_crt (and chain_crt + leaf_key when a->tls_name): at most 4 requests. 0 or an exit code. */
int kt_init_apply_run(const struct kt_init_apply *a, int force, const char *root_crt, const char *chain_crt,
		      const char *leaf_key);

#endif
