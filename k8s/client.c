/*
 * The REST client (placeholder: the libcurl implementation lands next).
 */
#include "k8s/client.h"

#include <stdio.h>
#include <string.h>

static const struct k8s_status no_status;

int k8s_client_new(const struct k8s_config *cfg, struct k8s_client **out, struct kt_err *err)
{
	(void)cfg; (void)out;
	return kt_err_set(err, KT_E_INTERNAL, "the API client is not implemented yet");
}
void k8s_client_free(struct k8s_client *c) { (void)c; }
const struct k8s_status *k8s_client_get0_status(const struct k8s_client *c) { (void)c; return &no_status; }
const char *k8s_client_get0_warning(const struct k8s_client *c, int i) { (void)c; (void)i; return NULL; }
long k8s_client_connects(const struct k8s_client *c) { (void)c; return 0; }

int k8s_request(struct k8s_client *c, const char *method, const char *path_and_query,
		const char *content_type, const char *body, unsigned flags,
		cJSON **out_json, long *out_status, struct kt_err *err)
{
	(void)c; (void)method; (void)path_and_query; (void)content_type; (void)body;
	(void)flags; (void)out_json;
	if (out_status)
		*out_status = 0;
	return kt_err_set(err, KT_E_INTERNAL, "the API client is not implemented yet");
}

int k8s_get(struct k8s_client *c, const char *path, cJSON **out, struct kt_err *err)
{
	return k8s_request(c, "GET", path, NULL, NULL, K8S_REQ_RETRY_SAFE, out, NULL, err);
}
int k8s_list(struct k8s_client *c, const char *path, const char *label_selector,
	     cJSON **items, struct kt_err *err)
{
	(void)label_selector;
	return k8s_request(c, "GET", path, NULL, NULL, K8S_REQ_RETRY_SAFE, items, NULL, err);
}
int k8s_create(struct k8s_client *c, const char *collection_path, const cJSON *obj,
	       unsigned flags, cJSON **out, struct kt_err *err)
{
	(void)obj;
	return k8s_request(c, "POST", collection_path, NULL, NULL, flags, out, NULL, err);
}
int k8s_replace(struct k8s_client *c, const char *path, const cJSON *obj,
		unsigned flags, cJSON **out, struct kt_err *err)
{
	(void)obj;
	return k8s_request(c, "PUT", path, NULL, NULL, flags, out, NULL, err);
}
int k8s_merge_patch(struct k8s_client *c, const char *path, const cJSON *patch,
		    unsigned flags, cJSON **out, struct kt_err *err)
{
	(void)patch;
	return k8s_request(c, "PATCH", path, NULL, NULL, flags, out, NULL, err);
}
int k8s_json_patch(struct k8s_client *c, const char *path, const cJSON *ops,
		   unsigned flags, cJSON **out, struct kt_err *err)
{
	(void)ops;
	return k8s_request(c, "PATCH", path, NULL, NULL, flags, out, NULL, err);
}
int k8s_apply(struct k8s_client *c, const char *path, const cJSON *obj, const char *field_manager,
	      unsigned flags, cJSON **out, struct kt_err *err)
{
	(void)obj; (void)field_manager;
	return k8s_request(c, "PATCH", path, NULL, NULL, flags, out, NULL, err);
}
int k8s_delete(struct k8s_client *c, const char *path, unsigned flags, struct kt_err *err)
{
	return k8s_request(c, "DELETE", path, NULL, NULL, flags, NULL, NULL, err);
}
int k8s_served_versions(struct k8s_client *c, const char *group, const char *resource,
			cJSON **versions, struct kt_err *err)
{
	(void)group; (void)resource; (void)versions;
	return k8s_request(c, "GET", "/apis", NULL, NULL, 0, NULL, NULL, err);
}

int k8s_path(char *buf, size_t size, const char *group, const char *version,
	     const char *namespace, const char *resource, const char *name, struct kt_err *err)
{
	const char *parts[] = { namespace, resource, name };
	size_t i;
	int n;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i] && (!parts[i][0] || strchr(parts[i], '/')))
			return kt_err_set(err, KT_E_USAGE, "invalid name '%s' in an API path", parts[i]);
	if (group && group[0])
		n = snprintf(buf, size, "/apis/%s/%s", group, version);
	else
		n = snprintf(buf, size, "/api/%s", version);
	if (n > 0 && (size_t)n < size && namespace)
		n += snprintf(buf + n, size - n, "/namespaces/%s", namespace);
	if (n > 0 && (size_t)n < size)
		n += snprintf(buf + n, size - n, "/%s", resource);
	if (n > 0 && (size_t)n < size && name)
		n += snprintf(buf + n, size - n, "/%s", name);
	if (n < 0 || (size_t)n >= size)
		return kt_err_set(err, KT_E_USAGE, "API path for '%s' too long", name ? name : resource);
	return 0;
}
