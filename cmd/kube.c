/*
 * Helpers shared by the commands that write Kubernetes objects: open the cluster
 * from the cluster flags and the environment, print -o yaml|json, parse --dry-run.
 */
#include "cmd/kube.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "k8s/output.h"
#include "pki/load.h"

extern char **environ;

static void log_line(void *ud, int level, const char *line)
{
	(void)ud;
	(void)level;
	notef("%s", line);
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

void kt_kube_config_opts(const struct kt_cluster_opts *co, struct k8s_config_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->kubeconfig_flag = co->kubeconfig;
	o->kubeconfig_env = env("KUBECONFIG");
	o->home = env("HOME");
	o->context = co->context;
	o->cluster = co->cluster;
	o->user = co->user;
	o->namespace = co->namespace;
	o->timeout_ms = co->request_timeout_ms;
	o->incluster_host = env("KUBERNETES_SERVICE_HOST");
	o->incluster_port = env("KUBERNETES_SERVICE_PORT");
	o->pod_namespace = env("POD_NAMESPACE");
	o->envp = environ;
	o->log = log_line;
	o->verbosity = co->verbosity;
}

int kt_kube_open(const struct kt_cluster_opts *co, struct kt_kube *k)
{
	struct k8s_config_opts o;
	struct kt_err err = KT_ERR_INIT;

	memset(k, 0, sizeof(*k));
	kt_kube_config_opts(co, &o);
	if (k8s_config_load(&o, &k->cfg, &err) || k8s_client_new(k->cfg, &k->client, &err)) {
		kt_kube_close(k);
		return kt_fail(&err);
	}
	k->ns = k8s_config_namespace(k->cfg);
	return 0;
}

void kt_kube_warnings(const struct kt_kube *k)
{
	const char *w;
	int i;

	if (!k->client)
		return;
	for (i = 0; (w = k8s_client_get0_warning(k->client, i)); i++)
		warnf("%s", w);
}

void kt_kube_close(struct kt_kube *k)
{
	kt_kube_warnings(k);
	k8s_client_free(k->client);
	k8s_config_free(k->cfg);
	memset(k, 0, sizeof(*k));
}

int kt_parse_dry_run(const struct kt_cmd *cmd, const char *arg, enum kt_dry_run *out)
{
	if (!arg || !strcmp(arg, "client"))
		*out = KT_DRY_CLIENT;
	else if (!strcmp(arg, "server"))
		*out = KT_DRY_SERVER;
	else if (!strcmp(arg, "none"))
		*out = KT_DRY_NONE;
	else {
		usagef(cmd, "invalid value '%s' for --dry-run: expected client, server or none", arg);
		return -1;
	}
	return 0;
}

int kt_parse_output(const struct kt_cmd *cmd, const char *arg, enum kt_output *out)
{
	if (!strcmp(arg, "yaml"))
		*out = KT_OUT_YAML;
	else if (!strcmp(arg, "json"))
		*out = KT_OUT_JSON;
	else {
		usagef(cmd, "unknown output format '%s': expected yaml or json", arg);
		return -1;
	}
	return 0;
}

int kt_print_object(const cJSON *obj, enum kt_output fmt)
{
	struct kt_err err = KT_ERR_INIT;
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = fmt == KT_OUT_JSON ? k8s_json_pretty(obj, &text, &len, &err) : k8s_yaml_emit(obj, &text, &len, &err);
	if (rc)
		return kt_fail(&err);
	fwrite(text, 1, len, stdout);
	free(text);
	return 0;
}

int kt_check_name(const struct kt_cmd *cmd, const char *what, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) || name[i] == '-' ||
		      name[i] == '.'))
			break;
	if (n && n <= 253 && i == n && isalnum((unsigned char)name[0]) && isalnum((unsigned char)name[n - 1]))
		return 0;
	usagef(cmd, "invalid %s name '%s': use lowercase letters, digits, '-' and '.', starting and ending "
		    "with a letter or digit", what, name);
	return -1;
}

const char *kt_service_arg(const struct kt_cmd *cmd, const char *arg)
{
	static const char *const prefixes[] = { "svc/", "service/", "services/", NULL };
	const char *name = arg;
	size_t i;

	for (i = 0; prefixes[i]; i++)
		if (!strncmp(arg, prefixes[i], strlen(prefixes[i])))
			name = arg + strlen(prefixes[i]);
	if (strchr(name, '/')) {
		usagef(cmd, "'%s' is not a Service: expected svc/NAME", arg);
		return NULL;
	}
	return kt_check_name(cmd, "service", name) ? NULL : name;
}

const char *kt_dry_suffix(enum kt_dry_run d)
{
	return d == KT_DRY_CLIENT ? " (dry run)" : d == KT_DRY_SERVER ? " (server dry run)" : "";
}

void kt_print_anno_plan(const char *what, const struct k8s_anno_plan *plan, enum kt_dry_run d)
{
	size_t i;

	printf("%s %s%s\n", what, plan->n ? "configured" : "unchanged", kt_dry_suffix(d));
	for (i = 0; i < plan->n; i++) {
		const struct k8s_anno_change *c = &plan->changes[i];
		printf("  %s: %s -> %s\n", c->key, c->before ? c->before : "(none)", c->after ? c->after : "(removed)");
	}
}

int kt_apply(struct kt_kube *k, const char *path, const cJSON *obj, unsigned flags, cJSON **result,
	     struct kt_err *err)
{
	int rc = k8s_apply(k->client, path, obj, K8S_FIELD_MANAGER, flags, result, err);

	if (rc && err->code == KT_E_CONFLICT && !err->hint[0])
		kt_err_hint(err, "another field manager owns these fields; re-run with --force to take them over");
	return rc;
}

const char *kt_apply_verb(const struct kt_kube *k, const cJSON *before, const cJSON *after)
{
	const char *rv0 = k8s_meta_resource_version(before), *rv1 = k8s_meta_resource_version(after);

	/* server-side apply answers 201 when it created the object */
	if (k8s_client_get0_status(k->client)->http == 201)
		return "created";
	if (!before)
		return "configured";
	return rv0 && rv1 && !strcmp(rv0, rv1) ? "unchanged" : "configured";
}

/* ---- init-ca --apply ---- */

int kt_init_apply_opt(const struct kt_cmd *cmd, int id, const char *arg, struct kt_init_apply *a)
{
	switch (id) {
	case KT_OPT_APPLY:
		a->enabled = 1;
		return 1;
	case KT_OPT_APPLY_CA_SECRET:
	case KT_OPT_APPLY_CA_CONFIGMAP:
		if (kt_check_name(cmd, id == KT_OPT_APPLY_CA_SECRET ? "secret" : "configmap", arg))
			return -1;
		if (a->ca_name && (a->kind == K8S_CA_SECRET) != (id == KT_OPT_APPLY_CA_SECRET)) {
			usagef(cmd, "--ca-secret and --ca-configmap are exclusive: one CA object per certificate");
			return -1;
		}
		a->kind = id == KT_OPT_APPLY_CA_SECRET ? K8S_CA_SECRET : K8S_CA_CONFIGMAP;
		a->ca_name = arg;
		return 1;
	case KT_OPT_APPLY_TLS_SECRET:
		if (kt_check_name(cmd, "secret", arg))
			return -1;
		a->tls_name = arg;
		return 1;
	default:
		return kt_cluster_opt(cmd, id, arg, &a->co);
	}
}

int kt_init_apply_check(const struct kt_cmd *cmd, const struct kt_init_apply *a, int have_leaf)
{
	if (!a->enabled && (a->ca_name || a->tls_name))
		return usagef(cmd, "--ca-secret, --ca-configmap and --tls-secret need --apply");
	if (a->enabled && a->tls_name && !have_leaf)
		return usagef(cmd, "--tls-secret needs a leaf: drop --no-leaf");
	return 0;
}

int kt_init_apply_run(const struct kt_init_apply *a, int force, const char *root_crt, const char *chain_crt,
		      const char *leaf_key)
{
	struct kt_err err = KT_ERR_INIT;
	struct kt_ca_apply ca = { 0 };
	struct kt_kube k = { 0 };
	char *pem = NULL, *chain = NULL, *key = NULL, digest[65];
	size_t chain_len = 0, key_len = 0;
	int rc;

	if ((rc = kt_load_ca_cert(root_crt, &pem, &ca.pem_len, digest)))
		return rc;
	if (a->tls_name && (pki_read_file(chain_crt, &chain, &chain_len, &err) ||
			    pki_read_file(leaf_key, &key, &key_len, &err))) {
		rc = kt_fail(&err);
		goto out;
	}
	if ((rc = kt_kube_open(&a->co, &k)))
		goto out;
	ca.kind = a->kind;
	ca.name = a->ca_name ? a->ca_name : "root-ca";
	ca.pem = pem;
	ca.digest = digest;
	ca.force = force;
	/* CA object: 3 requests; the TLS Secret holds a brand-new leaf, so one apply: 4 in all */
	if ((rc = kt_ca_object_apply(&k, &ca)))
		goto out;
	if (a->tls_name)
		rc = kt_tls_secret_apply(&k, a->tls_name, chain, chain_len, key, key_len, force, 0, KT_DRY_NONE);
out:
	kt_kube_close(&k);
	free(pem);
	free(chain);
	if (key)
		OPENSSL_cleanse(key, key_len);
	free(key);
	return rc;
}
