/*
 * k8s_client: a small REST client for the Kubernetes API on one libcurl handle.
 *
 * One client holds one keep-alive connection, the credentials (bearer token, client
 * certificate, exec plugin output) and a cache of discovery answers. Every request
 * sends `Accept: application/json` and `User-Agent: kubectl-kong_tls/<ver> (<os>/<arch>)`.
 *
 * Errors: a non-2xx answer becomes one line holding the server's Status message whole
 * (`secrets "root-ca" is forbidden: User "dev" cannot patch ...`), with the code
 * 404 -> KT_E_NOTFOUND, 409 -> KT_E_CONFLICT (AlreadyExists and Conflict alike: look at
 * k8s_client_get0_status()->reason), any other -> KT_E_API; no answer at all (DNS,
 * connect, TLS verification, timeout) -> KT_E_TLS with curl's reason and the server URL.
 *
 * Retries: 429, 5xx and dropped connections, up to K8S_MAX_ATTEMPTS attempts with
 * exponential backoff from 200 ms (capped at 3.2 s) or the server's Retry-After (capped
 * at 30 s), but only for requests that are safe to repeat: GET, DELETE, merge patches,
 * server-side apply, and writes flagged K8S_REQ_RETRY_SAFE (e.g. a PUT or JSON patch
 * with a resourceVersion precondition). Any other write (a POST) is retried only when
 * the server provably did not process it: 429, 503, or a refused connection (and it goes
 * on a fresh connection, because libcurl re-sends a request whose reused connection dies
 * before the answer). A timeout
 * (--request-timeout) is never retried. A 401 with exec credentials re-runs the plugin
 * once and repeats the request (a 401 is rejected before anything happens).
 *
 * Never logs or reports a token, key or Authorization header; never logs a body.
 */
#ifndef K8S_CLIENT_H
#define K8S_CLIENT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "k8s/config.h"
#include "pki/err.h"

#define K8S_MAX_ATTEMPTS 4
#define K8S_FIELD_MANAGER "kubectl-kong-tls"

struct k8s_client;

/*
 * New client for cfg, which it borrows: cfg must outlive the client. No request is
 * made yet. KT_E_INTERNAL when libcurl cannot be set up, KT_E_IO when a CA or
 * certificate file named by the kubeconfig cannot be read, KT_E_PARSE on bad base64.
 */
int k8s_client_new(const struct k8s_config *cfg, struct k8s_client **out, struct kt_err *err);
void k8s_client_free(struct k8s_client *c);

/* What the last request's final attempt got; valid until the next request. */
struct k8s_status {
	long http;           /* HTTP status; 0 when no answer arrived */
	char reason[64];     /* Status.reason: "NotFound", "AlreadyExists", "Conflict", ... or "" */
	char cause[64];      /* first Status.details.causes[].reason, e.g. "FieldManagerConflict" */
	int attempts;        /* 1 + retries */
};
const struct k8s_status *k8s_client_get0_status(const struct k8s_client *c);

/* Warning headers (`299 - "text"`) seen so far, text only, de-duplicated; NULL past the end. */
const char *k8s_client_get0_warning(const struct k8s_client *c, int i);

/* Number of TCP connections opened so far (CURLINFO_NUM_CONNECTS summed): keep-alive check. */
long k8s_client_connects(const struct k8s_client *c);

enum k8s_req_flags {
	K8S_REQ_RETRY_SAFE = 1 << 0, /* repeating the request cannot do harm: retry every fault */
	K8S_DRY_RUN = 1 << 1,        /* add dryRun=All (writes only) */
	K8S_FORCE = 1 << 2           /* server-side apply: force=true (take over conflicting fields) */
};

/*
 * The generic request. path_and_query starts with '/' ("/api/v1/namespaces/x/pods?limit=5").
 * body may be NULL (then content_type is ignored). On a 2xx answer returns 0 and, if
 * out_json is not NULL, sets *out_json to the parsed body (a new root the caller deletes;
 * NULL for an empty body). On failure *out_json is untouched and err is filled (see above).
 * out_status, if not NULL, gets the HTTP status (0: no answer) in both cases.
 */
int k8s_request(struct k8s_client *c, const char *method, const char *path_and_query,
		const char *content_type, const char *body, unsigned flags,
		cJSON **out_json, long *out_status, struct kt_err *err);

/* GET one object. 404 -> KT_E_NOTFOUND with the server's message (`services "x" not found`). */
int k8s_get(struct k8s_client *c, const char *path, cJSON **out, struct kt_err *err);

/*
 * GET a collection, following `continue` across pages (limit=500 unless path has a
 * limit=). label_selector may be
 * NULL. *items gets a new cJSON array of every item (the caller deletes it).
 */
int k8s_list(struct k8s_client *c, const char *path, const char *label_selector,
	     cJSON **items, struct kt_err *err);

/* POST obj to the collection path. flags: K8S_DRY_RUN. out may be NULL. 409 AlreadyExists. */
int k8s_create(struct k8s_client *c, const char *collection_path, const cJSON *obj,
	       unsigned flags, cJSON **out, struct kt_err *err);

/*
 * PUT obj (a full object, normally with metadata.resourceVersion) to path. Retried on
 * faults only when obj carries a resourceVersion. 409 Conflict when it changed meanwhile.
 */
int k8s_replace(struct k8s_client *c, const char *path, const cJSON *obj,
		unsigned flags, cJSON **out, struct kt_err *err);

/* PATCH application/merge-patch+json (RFC 7386); idempotent, so retried. flags: K8S_DRY_RUN. */
int k8s_merge_patch(struct k8s_client *c, const char *path, const cJSON *patch,
		    unsigned flags, cJSON **out, struct kt_err *err);

/*
 * PATCH application/json-patch+json (RFC 6902), ops a JSON array. Retried on faults only
 * with K8S_REQ_RETRY_SAFE (e.g. when the ops start with a "test" of the resourceVersion).
 */
int k8s_json_patch(struct k8s_client *c, const char *path, const cJSON *ops,
		   unsigned flags, cJSON **out, struct kt_err *err);

/*
 * Server-side apply: PATCH application/apply-patch+yaml with fieldManager=field_manager
 * (NULL: K8S_FIELD_MANAGER), force=true with K8S_FORCE, dryRun=All with K8S_DRY_RUN.
 * path names the object (it is created if missing). A field-manager conflict is
 * KT_E_CONFLICT with reason "Conflict" and cause "FieldManagerConflict".
 */
int k8s_apply(struct k8s_client *c, const char *path, const cJSON *obj, const char *field_manager,
	      unsigned flags, cJSON **out, struct kt_err *err);

/* DELETE path. flags: K8S_DRY_RUN. 404 -> KT_E_NOTFOUND. */
int k8s_delete(struct k8s_client *c, const char *path, unsigned flags, struct kt_err *err);

/*
 * Which versions of group (e.g. "gateway.networking.k8s.io") serve resource (the plural,
 * e.g. "backendtlspolicies"), preferred version first. *versions gets a new cJSON array of
 * strings (possibly empty: group absent or resource not served), the caller deletes it.
 * Discovery is fetched at most once per client and cached.
 */
int k8s_served_versions(struct k8s_client *c, const char *group, const char *resource,
			cJSON **versions, struct kt_err *err);

/*
 * Build a REST path into buf: group "" is the core group (/api/v1), else
 * /apis/<group>/<version>; namespace NULL for cluster-scoped objects; name NULL for
 * the collection. Returns 0, or KT_E_USAGE when it does not fit or a part holds '/'.
 *   k8s_path(b, n, "", "v1", "default", "services", "echo") -> /api/v1/namespaces/default/services/echo
 */
int k8s_path(char *buf, size_t size, const char *group, const char *version,
	     const char *namespace, const char *resource, const char *name, struct kt_err *err);

#endif
