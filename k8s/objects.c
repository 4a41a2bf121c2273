/*
 * k8s/objects.c: builders for the objects kubectl kong-tls writes, and the pure
 * annotation arithmetic behind attach and detach. No I/O; see k8s/objects.h.
 */
#include "k8s/objects.h"
#include "k8s/strbuf.h"
#include "pki/verify.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

const char *k8s_ca_kind_name(enum k8s_ca_kind kind)
{
	return kind == K8S_CA_CONFIGMAP ? "ConfigMap" : "Secret";
}

const char *k8s_ca_kind_resource(enum k8s_ca_kind kind)
{
	return kind == K8S_CA_CONFIGMAP ? "configmaps" : "secrets";
}

const char *k8s_ca_kind_lower(enum k8s_ca_kind kind)
{
	return kind == K8S_CA_CONFIGMAP ? "configmap" : "secret";
}

/* ---- UUIDs ---- */

int k8s_uuid4_new(char out[K8S_UUID_LEN + 1], struct kt_err *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t i, o = 0;

	/*
	 * The kernel's CSPRNG is what OpenSSL seeds from; asking it directly spares the
	 * instantiation of OpenSSL's DRBG, a fifth of the run time of `ca-secret -o yaml`.
	 */
	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b) && RAND_bytes(b, sizeof(b)) != 1)
		return kt_err_openssl(err, KT_E_INTERNAL, "cannot generate a random id");
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);  /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);  /* RFC 4122 variant */
	for (i = 0; i < sizeof(b); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
	return KT_OK;
}

unsigned k8s_uuid_check(const char *s)
{
	size_t i;
	int lower = 1;

	if (!s || strlen(s) != K8S_UUID_LEN)
		return 0;
	for (i = 0; i < K8S_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		} else if (isupper((unsigned char)s[i])) {
			lower = 0;
		}
	}
	if (lower && s[14] == '4' && strchr("89ab", s[19]))
		return K8S_UUID_VALID | K8S_UUID_LOWER_V4;
	return K8S_UUID_VALID;
}

/* ---- base64 ---- */

char *k8s_b64_encode(const unsigned char *data, size_t len)
{
	char *out;

	if (len > (size_t)1 << 28)
		return NULL;
	out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

unsigned char *k8s_b64_decode(const char *text, size_t *len)
{
	size_t n = strlen(text), pad = 0;
	unsigned char *out;
	int got;

	if (n % 4 || n > (size_t)1 << 28)
		return NULL;
	if (n && text[n - 1] == '=')
		pad++;
	if (n > 1 && text[n - 2] == '=')
		pad++;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return NULL;
	got = n ? EVP_DecodeBlock(out, (const unsigned char *)text, (int)n) : 0;
	if (got < 0 || (size_t)got < pad) {
		free(out);
		return NULL;
	}
	*len = (size_t)got - pad;
	out[*len] = '\0';
	return out;
}

/* ---- small cJSON helpers ---- */

static cJSON *child(const cJSON *o, const char *key)
{
	return o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static const char *str_at(const cJSON *o, const char *key)
{
	const cJSON *v = child(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *k8s_meta_name(const cJSON *obj)
{
	return str_at(child(obj, "metadata"), "name");
}

const char *k8s_meta_resource_version(const cJSON *obj)
{
	return str_at(child(obj, "metadata"), "resourceVersion");
}

const char *k8s_annotation(const cJSON *obj, const char *key)
{
	return str_at(child(child(obj, "metadata"), "annotations"), key);
}

int k8s_has_ca_label(const cJSON *obj)
{
	const char *v = str_at(child(child(obj, "metadata"), "labels"), K8S_LABEL_CA_CERT);

	return v && !strcmp(v, "true");
}

/* apiVersion, kind, metadata{name, namespace}: the head every object starts with. */
static cJSON *object_head(const char *api_version, const char *kind, const char *name, const char *ns,
			  cJSON **metadata)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *md;

	if (!root || !cJSON_AddStringToObject(root, "apiVersion", api_version) ||
	    !cJSON_AddStringToObject(root, "kind", kind) || !(md = cJSON_AddObjectToObject(root, "metadata")) ||
	    !cJSON_AddStringToObject(md, "name", name) || (ns && !cJSON_AddStringToObject(md, "namespace", ns))) {
		cJSON_Delete(root);
		return NULL;
	}
	*metadata = md;
	return root;
}

/* Add key: the base64 of data (Secret) or data as text (ConfigMap). */
static int add_data(cJSON *data, const char *key, const char *value, size_t len, int b64)
{
	char *enc, *text;
	cJSON *ok;

	if (b64) {
		enc = k8s_b64_encode((const unsigned char *)value, len);
		if (!enc)
			return -1;
		ok = cJSON_AddStringToObject(data, key, enc);
		free(enc);
		return ok ? 0 : -1;
	}
	text = strndup(value, len);
	if (!text)
		return -1;
	ok = cJSON_AddStringToObject(data, key, text);
	free(text);
	return ok ? 0 : -1;
}

/* ---- CA objects ---- */

cJSON *k8s_ca_object_new(const struct k8s_ca_object_opts *o, struct kt_err *err)
{
	int secret = o->kind == K8S_CA_SECRET;
	cJSON *root = NULL, *md = NULL, *labels, *annos, *data;

	if (!o->name || !*o->name || !o->id || !o->pem) {
		kt_err_set(err, KT_E_USAGE, "a CA object needs a name, an id and a certificate");
		return NULL;
	}
	root = object_head("v1", k8s_ca_kind_name(o->kind), o->name, o->namespace, &md);
	if (!root)
		goto nomem;
	if (!(labels = cJSON_AddObjectToObject(md, "labels")) ||
	    !cJSON_AddStringToObject(labels, K8S_LABEL_CA_CERT, "true") ||
	    (!secret && !cJSON_AddStringToObject(labels, K8S_LABEL_CONFIGMAP, "true")))
		goto nomem;
	if (!(annos = cJSON_AddObjectToObject(md, "annotations")) ||
	    !cJSON_AddStringToObject(annos, K8S_ANNO_INGRESS_CLASS,
				     o->ingress_class ? o->ingress_class : K8S_DEFAULT_INGRESS_CLASS))
		goto nomem;
	if (secret && !cJSON_AddStringToObject(root, "type", "Opaque"))
		goto nomem;
	if (!(data = cJSON_AddObjectToObject(root, "data")) ||
	    add_data(data, "ca.crt", o->pem, o->pem_len, secret) ||
	    add_data(data, "id", o->id, strlen(o->id), secret))
		goto nomem;
	return root;
nomem:
	cJSON_Delete(root);
	kt_err_set(err, KT_E_INTERNAL, "out of memory building %s '%s'", k8s_ca_kind_lower(o->kind), o->name);
	return NULL;
}

static char *data_value(const cJSON *data, const char *key, int secret, size_t *len)
{
	const char *v = str_at(data, key);

	if (!v)
		return NULL;
	if (secret)
		return (char *)k8s_b64_decode(v, len);
	*len = strlen(v);
	return strdup(v);
}

int k8s_ca_object_data(const cJSON *obj, enum k8s_ca_kind kind, char **pem, size_t *pem_len, char **id,
		       struct kt_err *err)
{
	const cJSON *data = child(obj, "data");
	int secret = kind == K8S_CA_SECRET;
	size_t idlen = 0;

	*pem = NULL;
	*id = NULL;
	*pem_len = 0;
	/* KIC: "Allow the certificate key to be named either "cert" or "ca.crt"", cert first. */
	*pem = data_value(data, "cert", secret, pem_len);
	if (!*pem)
		*pem = data_value(data, "ca.crt", secret, pem_len);
	*id = data_value(data, "id", secret, &idlen);
	(void)err;
	return KT_OK;
}

/* ---- TLS Secret ---- */

cJSON *k8s_tls_secret_new(const char *name, const char *namespace, const char *chain_pem, size_t chain_len,
			  const char *key_pem, size_t key_len, struct kt_err *err)
{
	cJSON *root, *md = NULL, *data;

	root = object_head("v1", "Secret", name, namespace, &md);
	if (!root || !cJSON_AddStringToObject(root, "type", "kubernetes.io/tls") ||
	    !(data = cJSON_AddObjectToObject(root, "data")) ||
	    add_data(data, "tls.crt", chain_pem, chain_len, 1) || add_data(data, "tls.key", key_pem, key_len, 1)) {
		cJSON_Delete(root);
		kt_err_set(err, KT_E_INTERNAL, "out of memory building secret '%s'", name);
		return NULL;
	}
	return root;
}

/* ---- comma-separated lists ---- */


const char *k8s_list_next(const char **cursor, size_t *len)
{
	const char *p = *cursor, *end;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		const char *stop = comma ? comma : p + strlen(p);

		*cursor = comma ? comma + 1 : stop;
		while (p < stop && isspace((unsigned char)*p))
			p++;
		end = stop;
		while (end > p && isspace((unsigned char)end[-1]))
			end--;
		if (end > p) {
			*len = (size_t)(end - p);
			return p;
		}
		p = *cursor;
	}
	return NULL;
}

static int item_eq(const char *item, size_t len, const char *name)
{
	return strlen(name) == len && !strncmp(item, name, len);
}

int k8s_list_has(const char *list, const char *name)
{
	const char *cur = list, *item;
	size_t len;

	while ((item = k8s_list_next(&cur, &len)))
		if (item_eq(item, len, name))
			return 1;
	return 0;
}

static void sb_item(struct k8s_strbuf *b, const char *item, size_t len)
{
	if (b->len)
		k8s_strbuf_add(b, ",", 1);
	k8s_strbuf_add(b, item, len);
}

/* 1 if the item (item, len) is already in the list being built. */
static int sb_has(const struct k8s_strbuf *b, const char *item, size_t len)
{
	const char *cur = b->s, *it;
	size_t l;

	while ((it = k8s_list_next(&cur, &l)))
		if (l == len && !strncmp(it, item, len))
			return 1;
	return 0;
}

char *k8s_list_merge(const char *existing, const char *const *names, size_t n)
{
	struct k8s_strbuf b = K8S_STRBUF_INIT;
	const char *cur = existing, *item;
	size_t len, i;

	/* existing duplicates are dropped too: KIC would attach the same id twice */
	while ((item = k8s_list_next(&cur, &len)))
		if (!sb_has(&b, item, len))
			sb_item(&b, item, len);
	for (i = 0; i < n; i++) {
		cur = names[i];
		while ((item = k8s_list_next(&cur, &len)))
			if (!sb_has(&b, item, len))
				sb_item(&b, item, len);
	}
	return k8s_strbuf_detach(&b, NULL);
}

char *k8s_list_remove(const char *existing, const char *name)
{
	struct k8s_strbuf b = K8S_STRBUF_INIT;
	const char *cur = existing, *item;
	size_t len;

	while ((item = k8s_list_next(&cur, &len)))
		if (!item_eq(item, len, name))
			sb_item(&b, item, len);
	return k8s_strbuf_detach(&b, NULL);
}

/* ---- annotation plans ---- */

void k8s_anno_plan_release(struct k8s_anno_plan *plan)
{
	size_t i;

	if (!plan)
		return;
	for (i = 0; i < plan->n; i++) {
		free(plan->changes[i].key);
		free(plan->changes[i].before);
		free(plan->changes[i].after);
	}
	free(plan->changes);
	plan->changes = NULL;
	plan->n = 0;
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Record key: before -> after if it changes. Returns -1 when out of memory. */
static int plan_set(struct k8s_anno_plan *plan, const cJSON *svc, const char *key, const char *after)
{
	const char *before = k8s_annotation(svc, key);
	struct k8s_anno_change *c;

	if (same(before, after))
		return 0;
	c = realloc(plan->changes, (plan->n + 1) * sizeof(*c));
	if (!c)
		return -1;
	plan->changes = c;
	c = &plan->changes[plan->n];
	c->key = strdup(key);
	c->before = before ? strdup(before) : NULL;
	c->after = after ? strdup(after) : NULL;
	plan->n++;
	if (!c->key || (before && !c->before) || (after && !c->after))
		return -1;
	return 0;
}

static int is_tls_protocol(const char *p)
{
	return p && (!strcmp(p, "https") || !strcmp(p, "tls"));
}

static int depth_of(const char *v)
{
	char *end;
	long d;

	if (!v || !*v)
		return -1;
	d = strtol(v, &end, 10);
	return *end || d < 0 || d > 1000 ? -1 : (int)d;
}

int k8s_attach_plan(const cJSON *svc, const struct k8s_attach_opts *o, struct k8s_anno_plan *plan,
		    struct kt_err *err)
{
	const char *proto = k8s_annotation(svc, K8S_ANNO_PROTOCOL);
	const char *key = o->kind == K8S_CA_CONFIGMAP ? K8S_ANNO_CA_CONFIGMAPS : K8S_ANNO_CA_SECRETS;
	const char *want = o->protocol;
	char depth[16], *list = NULL;
	int rc = KT_OK;

	memset(plan, 0, sizeof(*plan));
	plan->depth_after = -1;
	if (want && !is_tls_protocol(want))
		return kt_err_set(err, KT_E_REJECT,
				  "protocol '%s' cannot verify upstream TLS: Kong accepts tls_verify only with https or tls",
				  want);
	if (o->depth > PKI_MAX_DEPTH)
		return kt_err_set(err, KT_E_REJECT, "depth %d is out of range: Kong accepts 0 to %d", o->depth,
				  PKI_MAX_DEPTH);
	if (!want)
		want = is_tls_protocol(proto) ? proto : "https";
	if (proto && *proto && !is_tls_protocol(proto) && strcmp(proto, want)) {
		if (!o->force) {
			kt_err_set(err, KT_E_REJECT,
				   "service '%s' has %s=%s: Kong verifies upstream TLS only with https or tls",
				   k8s_meta_name(svc) ? k8s_meta_name(svc) : "?", K8S_ANNO_PROTOCOL, proto);
			kt_err_hint(err, "make sure the upstream serves TLS, then re-run with --force to set %s", want);
			return KT_E_REJECT;
		}
		plan->protocol_flipped = 1;
	}
	list = k8s_list_merge(k8s_annotation(svc, key), o->names, o->n_names);
	if (!list)
		goto nomem;
	if (plan_set(plan, svc, K8S_ANNO_PROTOCOL, want) || plan_set(plan, svc, K8S_ANNO_TLS_VERIFY, "true") ||
	    plan_set(plan, svc, key, list))
		goto nomem;
	if (o->depth >= 0) {
		snprintf(depth, sizeof(depth), "%d", o->depth);
		if (plan_set(plan, svc, K8S_ANNO_TLS_DEPTH, depth))
			goto nomem;
		plan->depth_after = o->depth;
	} else {
		plan->depth_after = depth_of(k8s_annotation(svc, K8S_ANNO_TLS_DEPTH));
	}
	if (o->host_header && plan_set(plan, svc, K8S_ANNO_HOST_HEADER, o->host_header))
		goto nomem;
	free(list);
	return rc;
nomem:
	free(list);
	k8s_anno_plan_release(plan);
	return kt_err_set(err, KT_E_INTERNAL, "out of memory");
}

int k8s_detach_plan(const cJSON *svc, const char *ca, struct k8s_anno_plan *plan, struct kt_err *err)
{
	const char *secrets = k8s_annotation(svc, K8S_ANNO_CA_SECRETS);
	const char *cms = k8s_annotation(svc, K8S_ANNO_CA_CONFIGMAPS);
	char *s2 = NULL, *c2 = NULL;

	memset(plan, 0, sizeof(*plan));
	plan->depth_after = -1;
	if (ca) {
		if (!k8s_list_has(secrets, ca) && !k8s_list_has(cms, ca))
			return kt_err_set(err, KT_E_NOTFOUND, "'%s' is not in %s or %s of service '%s'", ca,
					  K8S_ANNO_CA_SECRETS, K8S_ANNO_CA_CONFIGMAPS,
					  k8s_meta_name(svc) ? k8s_meta_name(svc) : "?");
		s2 = secrets ? k8s_list_remove(secrets, ca) : NULL;
		c2 = cms ? k8s_list_remove(cms, ca) : NULL;
		if ((secrets && !s2) || (cms && !c2))
			goto nomem;
		if (plan_set(plan, svc, K8S_ANNO_CA_SECRETS, s2 && *s2 ? s2 : NULL) ||
		    plan_set(plan, svc, K8S_ANNO_CA_CONFIGMAPS, c2 && *c2 ? c2 : NULL))
			goto nomem;
		if ((s2 && *s2) || (c2 && *c2)) {
			plan->depth_after = depth_of(k8s_annotation(svc, K8S_ANNO_TLS_DEPTH));
			goto out;
		}
	} else if (plan_set(plan, svc, K8S_ANNO_CA_SECRETS, NULL) ||
		   plan_set(plan, svc, K8S_ANNO_CA_CONFIGMAPS, NULL)) {
		goto nomem;
	}
	if (plan_set(plan, svc, K8S_ANNO_TLS_VERIFY, NULL) || plan_set(plan, svc, K8S_ANNO_TLS_DEPTH, NULL))
		goto nomem;
out:
	free(s2);
	free(c2);
	return KT_OK;
nomem:
	free(s2);
	free(c2);
	k8s_anno_plan_release(plan);
	return kt_err_set(err, KT_E_INTERNAL, "out of memory");
}

cJSON *k8s_anno_patch_new(const struct k8s_anno_plan *plan, const char *resource_version)
{
	cJSON *root = cJSON_CreateObject(), *md, *annos;
	size_t i;

	if (!root || !(md = cJSON_AddObjectToObject(root, "metadata")))
		goto fail;
	if (resource_version && !cJSON_AddStringToObject(md, "resourceVersion", resource_version))
		goto fail;
	if (!(annos = cJSON_AddObjectToObject(md, "annotations")))
		goto fail;
	for (i = 0; i < plan->n; i++) {
		const struct k8s_anno_change *c = &plan->changes[i];
		if (!(c->after ? cJSON_AddStringToObject(annos, c->key, c->after) : cJSON_AddNullToObject(annos, c->key)))
			goto fail;
	}
	return root;
fail:
	cJSON_Delete(root);
	return NULL;
}

cJSON *k8s_anno_apply_copy(const cJSON *service, const struct k8s_anno_plan *plan)
{
	cJSON *copy = cJSON_Duplicate(service, 1), *md, *annos;
	size_t i;

	if (!copy)
		return NULL;
	md = child(copy, "metadata");
	if (!md && !(md = cJSON_AddObjectToObject(copy, "metadata")))
		goto fail;
	annos = child(md, "annotations");
	if (!cJSON_IsObject(annos)) {
		cJSON_DeleteItemFromObjectCaseSensitive(md, "annotations");
		if (!(annos = cJSON_AddObjectToObject(md, "annotations")))
			goto fail;
	}
	for (i = 0; i < plan->n; i++) {
		const struct k8s_anno_change *c = &plan->changes[i];
		cJSON *v;
		if (!c->after) {
			cJSON_DeleteItemFromObjectCaseSensitive(annos, c->key);
			continue;
		}
		if (!(v = cJSON_CreateString(c->after)))
			goto fail;
		if (child(annos, c->key)) {
			cJSON_ReplaceItemInObjectCaseSensitive(annos, c->key, v);
		} else if (!cJSON_AddItemToObject(annos, c->key, v)) {
			cJSON_Delete(v);
			goto fail;
		}
	}
	return copy;
fail:
	cJSON_Delete(copy);
	return NULL;
}

/* ---- BackendTLSPolicy ---- */

static cJSON *ref_new(const char *group, const char *kind, const char *name)
{
	cJSON *r = cJSON_CreateObject();

	if (!r || !cJSON_AddStringToObject(r, "group", group) || !cJSON_AddStringToObject(r, "kind", kind) ||
	    !cJSON_AddStringToObject(r, "name", name)) {
		cJSON_Delete(r);
		return NULL;
	}
	return r;
}

static int add_ref(cJSON *array, const char *group, const char *kind, const char *name)
{
	cJSON *r = ref_new(group, kind, name);

	if (!r)
		return -1;
	if (!cJSON_AddItemToArray(array, r)) {
		cJSON_Delete(r);
		return -1;
	}
	return 0;
}

cJSON *k8s_policy_new(const struct k8s_policy_opts *o, struct kt_err *err)
{
	char api[64], depth[16];
	cJSON *root = NULL, *md = NULL, *spec, *v, *refs;
	int v2 = o->version && !strcmp(o->version, "v1alpha2");
	size_t i;

	if (!o->version || (strcmp(o->version, "v1alpha3") && strcmp(o->version, "v1") && !v2)) {
		kt_err_set(err, KT_E_USAGE, "unknown BackendTLSPolicy version '%s': expected v1alpha3, v1alpha2 or v1",
			   o->version ? o->version : "");
		return NULL;
	}
	if (!o->hostname || !*o->hostname) {
		kt_err_set(err, KT_E_USAGE, "a BackendTLSPolicy needs validation.hostname: pass --hostname");
		kt_err_hint(err, "the hostname is the SNI Kong sends and the name it verifies in the upstream certificate");
		return NULL;
	}
	if (v2 && o->depth >= 0) {
		kt_err_set(err, KT_E_USAGE, "BackendTLSPolicy v1alpha2 has no options: it cannot carry a depth");
		return NULL;
	}
	snprintf(api, sizeof(api), "%s/%s", K8S_GATEWAY_GROUP, o->version);
	root = object_head(api, "BackendTLSPolicy", o->name, o->namespace, &md);
	if (!root || !(spec = cJSON_AddObjectToObject(root, "spec")))
		goto nomem;
	if (v2) {
		/* v1alpha2 (Gateway API v1.0): one targetRef and spec.tls */
		cJSON *tr = ref_new("", "Service", o->service);
		if (!tr)
			goto nomem;
		if (!cJSON_AddItemToObject(spec, "targetRef", tr)) {
			cJSON_Delete(tr);
			goto nomem;
		}
		if (!(v = cJSON_AddObjectToObject(spec, "tls")) || !(refs = cJSON_AddArrayToObject(v, "caCertRefs")))
			goto nomem;
	} else {
		if (o->depth >= 0) {
			cJSON *opts = cJSON_AddObjectToObject(spec, "options");
			snprintf(depth, sizeof(depth), "%d", o->depth);
			if (!opts || !cJSON_AddStringToObject(opts, "tls-verify-depth", depth))
				goto nomem;
		}
		if (!(refs = cJSON_AddArrayToObject(spec, "targetRefs")) || add_ref(refs, "", "Service", o->service))
			goto nomem;
		if (!(v = cJSON_AddObjectToObject(spec, "validation")) ||
		    !(refs = cJSON_AddArrayToObject(v, "caCertificateRefs")))
			goto nomem;
	}
	for (i = 0; i < o->n_names; i++)
		if (add_ref(refs, "", k8s_ca_kind_name(o->kind), o->names[i]))
			goto nomem;
	if (!cJSON_AddStringToObject(v, "hostname", o->hostname))
		goto nomem;
	return root;
nomem:
	cJSON_Delete(root);
	kt_err_set(err, KT_E_INTERNAL, "out of memory building BackendTLSPolicy '%s'", o->name);
	return NULL;
}

static int ref_is_service(const cJSON *ref, const char *service)
{
	const char *g = str_at(ref, "group"), *k = str_at(ref, "kind"), *n = str_at(ref, "name");

	/* KIC: group "" or "core", kind Service; an absent group means core */
	return (!g || !*g || !strcmp(g, "core")) && k && !strcmp(k, "Service") && n && !strcmp(n, service);
}

int k8s_policy_targets(const cJSON *policy, const char *service)
{
	const cJSON *spec = child(policy, "spec"), *ref;

	if (ref_is_service(child(spec, "targetRef"), service))
		return 1;
	cJSON_ArrayForEach(ref, child(spec, "targetRefs"))
		if (ref_is_service(ref, service))
			return 1;
	return 0;
}
