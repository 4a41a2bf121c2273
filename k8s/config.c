/*
 * kubeconfig loading (placeholder: the full loader lands next).
 */
#include "k8s/config.h"

#include <stddef.h>

int k8s_config_load(const struct k8s_config_opts *opts, struct k8s_config **out, struct kt_err *err)
{
	(void)opts;
	(void)out;
	return kt_err_set(err, KT_E_INTERNAL, "kubeconfig loading is not implemented yet");
}

void k8s_config_free(struct k8s_config *cfg) { (void)cfg; }
const char *k8s_config_namespace(const struct k8s_config *cfg) { (void)cfg; return "default"; }
const char *k8s_config_server(const struct k8s_config *cfg) { (void)cfg; return NULL; }
const char *k8s_config_context_name(const struct k8s_config *cfg) { (void)cfg; return NULL; }
const char *k8s_config_cluster_name(const struct k8s_config *cfg) { (void)cfg; return NULL; }
const char *k8s_config_user_name(const struct k8s_config *cfg) { (void)cfg; return NULL; }
const char *k8s_config_source(const struct k8s_config *cfg) { (void)cfg; return NULL; }
int k8s_config_insecure(const struct k8s_config *cfg) { (void)cfg; return 0; }
const char *k8s_config_auth_kind(const struct k8s_config *cfg) { (void)cfg; return "none"; }
const char *k8s_config_get0_name(const struct k8s_config *cfg, enum k8s_config_kind kind, int i)
{
	(void)cfg; (void)kind; (void)i;
	return NULL;
}
