/*
 * k8s/objects.h: the Kubernetes objects kubectl kong-tls writes, built in one place.
 *
 * Pure functions: no I/O, no cluster. Builders return a NEW cJSON tree that the
 * caller frees with cJSON_Delete(); on failure they return NULL and fill err.
 * What -o yaml|json prints is exactly what these return, and exactly what is sent.
 *
 * The shapes follow what Kong Ingress Controller consumes (spec §0-§3):
 *   CA Secret     type Opaque, data.ca.crt (base64 PEM), data.id (base64 UUID),
 *                 label konghq.com/ca-cert: "true",
 *                 annotation kubernetes.io/ingress.class: <class, default kong>
 *   CA ConfigMap  the same with data in clear text, plus label konghq.com/configmap: "true"
 *   TLS Secret    type kubernetes.io/tls, data.tls.crt + data.tls.key
 *   Service       a merge patch of konghq.com annotations with a resourceVersion precondition
 *   BackendTLSPolicy  gateway.networking.k8s.io/v1alpha3 (what KIC reads), v1alpha2 or v1
 */
#ifndef K8S_OBJECTS_H
#define K8S_OBJECTS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "pki/err.h"

/* Label and annotation keys KIC reads (spec §1, §2). */
#define K8S_LABEL_CA_CERT        "konghq.com/ca-cert"
#define K8S_LABEL_CONFIGMAP      "konghq.com/configmap"
#define K8S_ANNO_INGRESS_CLASS   "kubernetes.io/ingress.class"
#define K8S_ANNO_PROTOCOL        "konghq.com/protocol"
#define K8S_ANNO_TLS_VERIFY      "konghq.com/tls-verify"
#define K8S_ANNO_TLS_DEPTH       "konghq.com/tls-verify-depth"
#define K8S_ANNO_CA_SECRETS      "konghq.com/ca-certificates-secrets"
#define K8S_ANNO_CA_CONFIGMAPS   "konghq.com/ca-certificates-configmaps"
#define K8S_ANNO_HOST_HEADER     "konghq.com/host-header"
#define K8S_DEFAULT_INGRESS_CLASS "kong"
#define K8S_GATEWAY_GROUP        "gateway.networking.k8s.io"
#define K8S_POLICY_VERSION_KIC   "v1alpha3"

enum k8s_ca_kind { K8S_CA_SECRET = 0, K8S_CA_CONFIGMAP = 1 };

/* "Secret" / "ConfigMap"; "secrets" / "configmaps"; "secret" / "configmap". */
const char *k8s_ca_kind_name(enum k8s_ca_kind kind);
const char *k8s_ca_kind_resource(enum k8s_ca_kind kind);
const char *k8s_ca_kind_lower(enum k8s_ca_kind kind);

/* ---- UUIDs ---------------------------------------------------------------- */

#define K8S_UUID_LEN 36

/* A fresh random lowercase UUIDv4 (OpenSSL RAND_bytes) into out[37]. */
int k8s_uuid4_new(char out[K8S_UUID_LEN + 1], struct kt_err *err);

enum k8s_uuid_flags {
	K8S_UUID_VALID = (1 << 0),      /* 8-4-4-4-12 hex, any case: what Kong's schema accepts */
	K8S_UUID_LOWER_V4 = (1 << 1)    /* also lowercase, version 4, RFC 4122 variant */
};
/* Classify s (NULL is invalid). Kong matches case-insensitively and checks the length is 36. */
unsigned k8s_uuid_check(const char *s);

/* ---- base64 (Secret data) ------------------------------------------------- */

/* Standard base64 without newlines; returns a malloc'd string or NULL (out of memory). */
char *k8s_b64_encode(const unsigned char *data, size_t len);
/* Decode standard base64; returns a malloc'd, NUL-terminated buffer and its length, or NULL if invalid. */
unsigned char *k8s_b64_decode(const char *text, size_t *len);

/* ---- CA Secret / ConfigMap ------------------------------------------------ */

struct k8s_ca_object_opts {
	enum k8s_ca_kind kind;
	const char *name;
	const char *namespace;      /* NULL: omitted (as kubectl create --dry-run=client does) */
	const char *id;             /* the UUID, written verbatim */
	const char *pem;            /* exactly one certificate, PEM text (judged by the caller) */
	size_t pem_len;
	const char *ingress_class;  /* NULL: "kong" */
};

/* The CA object as KIC consumes it. Errors: KT_E_USAGE (missing field), KT_E_INTERNAL. */
cJSON *k8s_ca_object_new(const struct k8s_ca_object_opts *o, struct kt_err *err);

/*
 * Read what a CA object holds the way KIC does: data.cert first, else data.ca.crt,
 * base64-decoded for a Secret; and data.id (decoded). *pem and *id are malloc'd (NUL-terminated);
 * either is NULL when the key is absent or undecodable. Returns 0, or KT_E_INTERNAL.
 */
int k8s_ca_object_data(const cJSON *obj, enum k8s_ca_kind kind, char **pem, size_t *pem_len,
		       char **id, struct kt_err *err);

/* 1 if obj carries the label konghq.com/ca-cert with the exact value "true" (KIC's selector). */
int k8s_has_ca_label(const cJSON *obj);

/* ---- TLS Secret ----------------------------------------------------------- */

/* A kubernetes.io/tls Secret (tls.crt = chain, leaf first; tls.key = the leaf's key). */
cJSON *k8s_tls_secret_new(const char *name, const char *namespace, const char *chain_pem, size_t chain_len,
			  const char *key_pem, size_t key_len, struct kt_err *err);

/* ---- comma-separated CA lists (KIC's extractCommaDelimitedStrings) --------- */

/*
 * Walk a list as KIC splits it (on ',', items trimmed, empty ones skipped): returns the
 * next item, not NUL-terminated, with its length in *len, and advances *cursor; NULL
 * at the end (also when *cursor is NULL).
 */
const char *k8s_list_next(const char **cursor, size_t *len);

/*
 * Merge names[0..n) into the list `existing` (may be NULL): items are split on ',', trimmed,
 * empties dropped; existing order kept, new names appended, no duplicates. Returns a new
 * string ("" for an empty list) or NULL when out of memory.
 */
char *k8s_list_merge(const char *existing, const char *const *names, size_t n);
/* Remove name from the list; returns a new string ("" when nothing is left) or NULL (out of memory). */
char *k8s_list_remove(const char *existing, const char *name);
/* 1 if name is an item of the list. */
int k8s_list_has(const char *list, const char *name);

/* ---- Service annotations: attach and detach ------------------------------- */

/* One annotation's change; before/after NULL = absent. Only changed keys are listed. */
struct k8s_anno_change {
	char *key;
	char *before;
	char *after;
};

struct k8s_anno_plan {
	struct k8s_anno_change *changes;
	size_t n;
	int protocol_flipped;   /* an existing non-TLS protocol was replaced (needed --force) */
	int depth_after;        /* the tls-verify-depth after the change, -1 when absent */
};

void k8s_anno_plan_release(struct k8s_anno_plan *plan);

struct k8s_attach_opts {
	enum k8s_ca_kind kind;
	const char *const *names;   /* CA object names to merge in */
	size_t n_names;
	const char *protocol;       /* "https" or "tls"; NULL: keep an existing https/tls, else https */
	int depth;                  /* -1: leave as it is */
	const char *host_header;    /* NULL: leave as it is */
	int force;                  /* allow replacing an existing non-TLS protocol */
};

/*
 * Compute the annotation changes attach makes to `service` (the object as read). Every
 * other annotation is left alone. Errors: KT_E_REJECT (an existing non-TLS protocol
 * without force; a bad option), KT_E_INTERNAL.
 */
int k8s_attach_plan(const cJSON *service, const struct k8s_attach_opts *o, struct k8s_anno_plan *plan,
		    struct kt_err *err);

/*
 * Compute what detach removes: with ca == NULL, every annotation attach adds
 * (tls-verify, tls-verify-depth, both CA lists); with a name, that name from whichever
 * list holds it, and, when no CA is left in either list, tls-verify and tls-verify-depth
 * too (tls-verify with no CA fails every handshake). konghq.com/protocol and host-header
 * are left alone: the upstream still speaks TLS. Errors: KT_E_NOTFOUND (the name is in no list).
 */
int k8s_detach_plan(const cJSON *service, const char *ca, struct k8s_anno_plan *plan, struct kt_err *err);

/*
 * The JSON merge patch for a plan: {"metadata":{"resourceVersion":RV,"annotations":{k:v|null}}}.
 * resource_version may be NULL (no precondition).
 */
cJSON *k8s_anno_patch_new(const struct k8s_anno_plan *plan, const char *resource_version);

/* The service with the plan applied (a copy, for -o yaml|json). */
cJSON *k8s_anno_apply_copy(const cJSON *service, const struct k8s_anno_plan *plan);

/* An annotation value of obj, or NULL. */
const char *k8s_annotation(const cJSON *obj, const char *key);

/* ---- BackendTLSPolicy ------------------------------------------------------ */

struct k8s_policy_opts {
	const char *version;        /* "v1alpha3" (KIC), "v1alpha2" or "v1" */
	const char *name;
	const char *namespace;      /* NULL: omitted */
	const char *service;
	enum k8s_ca_kind kind;
	const char *const *names;
	size_t n_names;
	const char *hostname;       /* required */
	int depth;                  /* -1: no options.tls-verify-depth */
};

/* Errors: KT_E_USAGE (no hostname, unknown version, v1alpha2 with a depth), KT_E_INTERNAL. */
cJSON *k8s_policy_new(const struct k8s_policy_opts *o, struct kt_err *err);

/* 1 if the BackendTLSPolicy (any version) targets the core Service `service`. */
int k8s_policy_targets(const cJSON *policy, const char *service);

/* metadata.name / metadata.resourceVersion of obj, or NULL. */
const char *k8s_meta_name(const cJSON *obj);
const char *k8s_meta_resource_version(const cJSON *obj);

#endif
