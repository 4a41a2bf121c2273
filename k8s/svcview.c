/*
 * k8s/svcview: read a Service's upstream-TLS objects and judge them as KIC does.
 * See svcview.h for the contract; the spec sections cited below are in
 * kong-kic-upstream-tls.md.
 */
#include "k8s/svcview.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "k8s/objects.h"
#include "pki/caobj.h"
#include "pki/inspect.h"
#include "pki/verify.h"

#define KIC_CONTROLLER "konghq.com/kic-gateway-controller"
#define MAX_REFS 32

/* ---- the check list -------------------------------------------------------------- */

int k8s_checks_add(struct k8s_checks *cs, enum k8s_check_step step, enum k8s_check_status status,
		   const char *name, const char *hint, const char *fmt, ...)
{
	struct k8s_check *c;
	va_list ap;

	if (cs->n == cs->cap) {
		int cap = cs->cap ? cs->cap * 2 : 16;
		struct k8s_check *v = realloc(cs->v, (size_t)cap * sizeof(*v));
		if (!v)
			return KT_E_INTERNAL;
		cs->v = v;
		cs->cap = cap;
	}
	c = &cs->v[cs->n++];
	memset(c, 0, sizeof(*c));
	c->step = step;
	c->status = status;
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->hint, sizeof(c->hint), "%s", hint ? hint : "");
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return 0;
}

int k8s_checks_failed(const struct k8s_checks *cs)
{
	int i, n = 0;

	for (i = 0; i < cs->n; i++)
		n += cs->v[i].status == K8S_CHECK_FAIL;
	return n;
}

void k8s_checks_release(struct k8s_checks *cs)
{
	free(cs->v);
	memset(cs, 0, sizeof(*cs));
}

const char *k8s_check_status_name(enum k8s_check_status s)
{
	static const char *const names[] = { "pass", "info", "warn", "fail", "skip" };
	return (unsigned)s < 5 ? names[s] : "?";
}

const char *k8s_check_step_name(enum k8s_check_step step)
{
	static const char *const names[] = { "?", "service", "ca-objects", "kic", "hostname", "handshake", "proxy" };
	return step >= 1 && step <= 6 ? names[step] : "?";
}

void k8s_svc_objects_release(struct k8s_svc_objects *o)
{
	cJSON_Delete(o->service);
	cJSON_Delete(o->secrets);
	cJSON_Delete(o->configmaps);
	cJSON_Delete(o->unlabelled);
	cJSON_Delete(o->policies);
	cJSON_Delete(o->events);
	memset(o, 0, sizeof(*o));
}

void k8s_svc_plan_release(struct k8s_svc_plan *p)
{
	int i;

	for (i = 0; i < p->n_cas; i++)
		pki_caobj_release(&p->cas[i].obj);
	free(p->cas);
	memset(p, 0, sizeof(*p));
}

/* ---- KIC's parsers ----------------------------------------------------------------- */

int k8s_parse_bool(const char *s)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };
	size_t i;

	if (!s)
		return -1;
	for (i = 0; i < 6; i++) {
		if (!strcmp(s, t[i]))
			return 1;
		if (!strcmp(s, f[i]))
			return 0;
	}
	return -1;
}

int k8s_atoi(const char *s, long *out)
{
	const char *p = s;
	char *end = NULL;
	long v;

	if (!s || !*s)
		return -1;
	if (*p == '+' || *p == '-')
		p++;
	if (!*p)
		return -1;
	for (; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

static const char *str_at(const cJSON *obj, const char *a, const char *b, const char *c)
{
	const cJSON *it = obj;

	if (a)
		it = cJSON_GetObjectItemCaseSensitive(it, a);
	if (b)
		it = cJSON_GetObjectItemCaseSensitive(it, b);
	if (c)
		it = cJSON_GetObjectItemCaseSensitive(it, c);
	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* ---- fetching ----------------------------------------------------------------------- */

struct ca_ref {
	enum k8s_ca_kind kind;
	char name[254];
	char via[64];            /* "annotation", "BackendTLSPolicy x" */
	int bad_kind;            /* a policy ref that is not core Secret/ConfigMap */
	char bad_desc[128];
};

static int collect_refs(const cJSON *service, const cJSON *policies, struct ca_ref *refs, int max)
{
	const cJSON *p, *r;
	int n = 0, k;

	for (k = 0; k < 2 && service; k++) {
		const char *cur = k8s_annotation(service, k ? K8S_ANNO_CA_CONFIGMAPS : K8S_ANNO_CA_SECRETS), *item;
		size_t len;

		while (n < max && (item = k8s_list_next(&cur, &len))) {
			if (len >= sizeof(refs[n].name))
				continue;  /* longer than any object name */
			memset(&refs[n], 0, sizeof(refs[n]));
			refs[n].kind = k ? K8S_CA_CONFIGMAP : K8S_CA_SECRET;
			memcpy(refs[n].name, item, len);
			snprintf(refs[n].via, sizeof(refs[n].via), "annotation");
			n++;
		}
	}
	cJSON_ArrayForEach(p, policies) {
		const cJSON *refsj = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "spec"), "validation"),
			"caCertificateRefs");
		cJSON_ArrayForEach(r, refsj) {
			const char *g = str_at(r, "group", NULL, NULL), *kind = str_at(r, "kind", NULL, NULL);
			const char *name = str_at(r, "name", NULL, NULL);
			int core = !g || !*g || !strcmp(g, "core");

			if (n == max || !name)
				break;
			memset(&refs[n], 0, sizeof(refs[n]));
			snprintf(refs[n].name, sizeof(refs[n].name), "%s", name);
			snprintf(refs[n].via, sizeof(refs[n].via), "BackendTLSPolicy %.40s",
				 k8s_meta_name(p) ? k8s_meta_name(p) : "?");
			if (core && kind && !strcmp(kind, "Secret"))
				refs[n].kind = K8S_CA_SECRET;
			else if (core && kind && !strcmp(kind, "ConfigMap"))
				refs[n].kind = K8S_CA_CONFIGMAP;
			else {
				refs[n].bad_kind = 1;
				snprintf(refs[n].bad_desc, sizeof(refs[n].bad_desc), "%.40s/%.40s", g && *g ? g : "core",
					 kind ? kind : "?");
			}
			n++;
		}
	}
	return n;
}

static const cJSON *find_obj(const cJSON *arr, const char *ns, const char *name, const char *kind)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr) {
		const char *n = str_at(it, "metadata", "name", NULL), *s = str_at(it, "metadata", "namespace", NULL);
		const char *k = str_at(it, "kind", NULL, NULL);
		if (n && !strcmp(n, name) && (!s || !strcmp(s, ns)) && (!kind || !k || !strcmp(k, kind)))
			return it;
	}
	return NULL;
}

/* Items of a list answer get no "kind" from the API server; set it so objects carry their kind. */
static void set_kind(cJSON *arr, const char *kind)
{
	cJSON *it;

	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_GetObjectItemCaseSensitive(it, "kind"))
			cJSON_AddStringToObject(it, "kind", kind);
	}
}

static int list_labelled(struct k8s_client *c, const char *resource, const char *ns, cJSON **out, int *all,
			 int *requests, struct kt_err *err)
{
	char path[512];
	struct kt_err e2 = KT_ERR_INIT;
	int rc;

	snprintf(path, sizeof(path), "/api/v1/%s", resource);
	(*requests)++;
	rc = k8s_list(c, path, K8S_LABEL_CA_CERT "=true", out, &e2);
	if (rc == 0) {
		*all = 1;
		return 0;
	}
	if (k8s_client_get0_status(c)->http != 403) {
		if (err)
			*err = e2;
		return rc;
	}
	/* not allowed cluster-wide: the Service's namespace is what matters most */
	*all = 0;
	rc = k8s_path(path, sizeof(path), "", "v1", ns, resource, NULL, err);
	if (rc)
		return rc;
	(*requests)++;
	return k8s_list(c, path, K8S_LABEL_CA_CERT "=true", out, err);
}

int k8s_svc_fetch_service(struct k8s_client *c, const char *ns, const char *name, struct k8s_svc_objects *o,
			  struct kt_err *err)
{
	char path[512];
	int rc;

	memset(o, 0, sizeof(*o));
	rc = k8s_path(path, sizeof(path), "", "v1", ns, "services", name, err);
	if (rc)
		return rc;
	o->requests++;
	rc = k8s_get(c, path, &o->service, err);
	if (rc == KT_E_NOTFOUND) {
		o->service = NULL;
		kt_err_clear(err);
		return 0;
	}
	return rc;
}

int k8s_svc_fetch_related(struct k8s_client *c, const char *ns, const char *name, struct k8s_svc_objects *o,
			  struct kt_err *err)
{
	struct ca_ref refs[MAX_REFS];
	char path[512];
	cJSON *all = NULL, *it, *ev = NULL;
	int rc, n, i, all_sec = 0, all_cm = 0;
	long http = 0;

	rc = list_labelled(c, "secrets", ns, &o->secrets, &all_sec, &o->requests, err);
	if (!rc)
		rc = list_labelled(c, "configmaps", ns, &o->configmaps, &all_cm, &o->requests, err);
	if (rc)
		goto fail;
	set_kind(o->secrets, "Secret");
	set_kind(o->configmaps, "ConfigMap");
	o->ca_all_namespaces = all_sec && all_cm;

	/* BackendTLSPolicy: KIC reads v1alpha3 only (spec §3.1); 404 = not served */
	o->policies = cJSON_CreateArray();
	o->unlabelled = cJSON_CreateArray();
	if (!o->policies || !o->unlabelled)
		goto oom;
	rc = k8s_path(path, sizeof(path), K8S_GATEWAY_GROUP, K8S_POLICY_VERSION_KIC, ns, "backendtlspolicies",
		      NULL, err);
	if (rc)
		goto fail;
	o->requests++;
	rc = k8s_list(c, path, NULL, &all, err);
	if (rc == KT_E_NOTFOUND) {
		kt_err_clear(err);
	} else if (rc) {
		goto fail;
	} else {
		snprintf(o->policy_version, sizeof(o->policy_version), "%s", K8S_POLICY_VERSION_KIC);
		while ((it = cJSON_DetachItemFromArray(all, 0))) {
			if (k8s_policy_targets(it, name))
				cJSON_AddItemToArray(o->policies, it);
			else
				cJSON_Delete(it);
		}
	}
	cJSON_Delete(all);
	all = NULL;

	/* referenced objects that the label selector did not return: unlabelled or missing */
	n = collect_refs(o->service, o->policies, refs, MAX_REFS);
	for (i = 0; i < n; i++) {
		const char *kind = k8s_ca_kind_name(refs[i].kind);
		cJSON *obj = NULL;

		if (refs[i].bad_kind ||
		    find_obj(refs[i].kind == K8S_CA_SECRET ? o->secrets : o->configmaps, ns, refs[i].name, NULL) ||
		    find_obj(o->unlabelled, ns, refs[i].name, kind))
			continue;
		rc = k8s_path(path, sizeof(path), "", "v1", ns, k8s_ca_kind_resource(refs[i].kind), refs[i].name, err);
		if (rc == KT_E_USAGE) {
			kt_err_clear(err);
			continue;
		}
		o->requests++;
		rc = k8s_get(c, path, &obj, err);
		if (rc == KT_E_NOTFOUND) {
			kt_err_clear(err);
			continue;
		}
		if (rc)
			goto fail;
		if (!cJSON_GetObjectItemCaseSensitive(obj, "kind"))
			cJSON_AddStringToObject(obj, "kind", kind);
		cJSON_AddItemToArray(o->unlabelled, obj);
	}

	/* KIC's view: Warning Events in the namespace, filtered by object and reason later */
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/events?fieldSelector=type%%3DWarning&limit=500", ns);
	o->requests++;
	rc = k8s_request(c, "GET", path, NULL, NULL, 0, &ev, &http, err);
	if (rc)
		goto fail;
	it = cJSON_DetachItemFromObjectCaseSensitive(ev, "items");
	cJSON_Delete(ev);
	o->events = it ? it : cJSON_CreateArray();
	if (!o->events)
		goto oom;
	return 0;
oom:
	rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
fail:
	cJSON_Delete(all);
	k8s_svc_objects_release(o);
	return rc;
}

/* ---- judging --------------------------------------------------------------------------- */

#define ADD(step, st, name, hint, ...) do { \
		if (k8s_checks_add(cs, step, st, name, hint, __VA_ARGS__)) \
			goto oom; \
	} while (0)


/* Newest first: lastTimestamp, else eventTime, else creationTimestamp (RFC 3339 sorts as text). */
static const char *event_time(const cJSON *e)
{
	const char *t = str_at(e, "lastTimestamp", NULL, NULL);

	if (!t || !*t)
		t = str_at(e, "eventTime", NULL, NULL);
	if (!t || !*t)
		t = str_at(e, "metadata", "creationTimestamp", NULL);
	return t ? t : "";
}

static int cmp_events(const void *a, const void *b)
{
	return strcmp(event_time(*(const cJSON *const *)b), event_time(*(const cJSON *const *)a));
}

struct involved {
	const char *kind, *name;
};

static int judge_events(const struct k8s_svc_objects *o, const struct involved *inv, int n_inv,
			struct k8s_checks *cs)
{
	const cJSON *e, **hits = NULL;
	int n = 0, i, cap = cJSON_GetArraySize(o->events);
	char name[80];

	if (cap > 0 && !(hits = calloc((size_t)cap, sizeof(*hits))))
		return KT_E_INTERNAL;
	cJSON_ArrayForEach(e, o->events) {
		const char *reason = str_at(e, "reason", NULL, NULL), *type = str_at(e, "type", NULL, NULL);
		const char *k = str_at(e, "involvedObject", "kind", NULL), *nm = str_at(e, "involvedObject", "name", NULL);

		if (!reason || (strcmp(reason, "KongConfigurationTranslationFailed") &&
				strcmp(reason, "KongConfigurationApplyFailed")))
			continue;
		if (type && strcmp(type, "Warning"))
			continue;
		for (i = 0; i < n_inv && k && nm; i++)
			if (!strcmp(inv[i].kind, k) && !strcmp(inv[i].name, nm)) {
				if (n < cap)
					hits[n++] = e;
				break;
			}
	}
	if (n == 0) {
		free(hits);
		return k8s_checks_add(cs, K8S_STEP_KIC, K8S_CHECK_PASS, "events", NULL,
				      "no KongConfigurationTranslationFailed/ApplyFailed Warning events on the Service or its CA objects");
	}
	qsort(hits, (size_t)n, sizeof(*hits), cmp_events);
	for (i = 0; i < n; i++) {
		const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(hits[i], "count");
		snprintf(name, sizeof(name), "event %.30s/%.40s", str_at(hits[i], "involvedObject", "kind", NULL),
			 str_at(hits[i], "involvedObject", "name", NULL));
		if (k8s_checks_add(cs, K8S_STEP_KIC, K8S_CHECK_FAIL, name,
				   "fix the cause named in the message; KIC retries on every sync",
				   "%s %s (%dx, last %s): %s", str_at(hits[i], "reason", NULL, NULL),
				   name + 6, cJSON_IsNumber(cnt) ? cnt->valueint : 1, event_time(hits[i]),
				   str_at(hits[i], "message", NULL, NULL) ? str_at(hits[i], "message", NULL, NULL) : "")) {
			free(hits);
			return KT_E_INTERNAL;
		}
	}
	free(hits);
	return 0;
}

static int judge_policy_status(const cJSON *policy, struct k8s_checks *cs)
{
	const cJSON *anc, *cond;
	char name[80];

	snprintf(name, sizeof(name), "BackendTLSPolicy/%.60s", k8s_meta_name(policy) ? k8s_meta_name(policy) : "?");
	cJSON_ArrayForEach(anc, cJSON_GetObjectItemCaseSensitive(
				      cJSON_GetObjectItemCaseSensitive(policy, "status"), "ancestors")) {
		const char *ctl = str_at(anc, "controllerName", NULL, NULL);
		if (!ctl || strcmp(ctl, KIC_CONTROLLER))
			continue;
		cJSON_ArrayForEach(cond, cJSON_GetObjectItemCaseSensitive(anc, "conditions")) {
			const char *type = str_at(cond, "type", NULL, NULL), *st = str_at(cond, "status", NULL, NULL);
			const char *reason = str_at(cond, "reason", NULL, NULL), *msg = str_at(cond, "message", NULL, NULL);
			const char *gw = str_at(anc, "ancestorRef", "name", NULL);

			if (!type || strcmp(type, "Accepted"))
				continue;
			if (st && !strcmp(st, "True"))
				return k8s_checks_add(cs, K8S_STEP_KIC, K8S_CHECK_PASS, name, NULL,
						      "Accepted=True by %s (Gateway %s); KIC checked only that the CA refs exist",
						      KIC_CONTROLLER, gw ? gw : "?");
			return k8s_checks_add(cs, K8S_STEP_KIC, K8S_CHECK_FAIL, name,
					      reason && !strcmp(reason, "Conflicted")
						      ? "keep one BackendTLSPolicy per Service"
						      : "fix the policy as the message says (core Secret/ConfigMap refs, no subjectAltNames, no wellKnownCACertificates)",
					      "Accepted=%s, reason %s (Gateway %s): %s", st ? st : "?", reason ? reason : "?",
					      gw ? gw : "?", msg ? msg : "");
		}
	}
	return k8s_checks_add(cs, K8S_STEP_KIC, K8S_CHECK_FAIL, name,
			      "route the Service from an HTTPRoute whose parent is a KIC Gateway, and run KIC with --feature-gates=GatewayAlpha=true",
			      "no Accepted condition from %s: KIC has not processed the policy (it does only when an HTTPRoute "
			      "has the Service as a backend and a KIC Gateway as parent with ResolvedRefs=True, and the "
			      "GatewayAlpha feature gate is on); until then Kong does not verify this upstream", KIC_CONTROLLER);
}

static int same_ref(const struct ca_ref *a, const struct ca_ref *b)
{
	return a->kind == b->kind && !strcmp(a->name, b->name);
}

/*
 * The labelled CA objects, each decoded at most once however many references are
 * judged against them: KIC's id, and the SHA-256 of the certificate Kong parses.
 */
struct ca_entry {
	const cJSON *obj;
	enum k8s_ca_kind kind;
	int read, digested;
	char *pem, *id;          /* after ca_entry_read(): NULL when absent */
	size_t pem_len;
	char digest[65];         /* after ca_entry_digest(): "" when no certificate parses */
};

struct ca_index {
	struct ca_entry *v;
	int n;
};

static int ca_index_build(const struct k8s_svc_objects *o, struct ca_index *ix)
{
	const cJSON *it;
	int k, n = cJSON_GetArraySize(o->secrets) + cJSON_GetArraySize(o->configmaps);

	ix->n = 0;
	ix->v = calloc((size_t)n + 1, sizeof(*ix->v));
	if (!ix->v)
		return KT_E_INTERNAL;
	for (k = 0; k < 2; k++) {
		cJSON_ArrayForEach(it, (k ? o->configmaps : o->secrets)) {
			ix->v[ix->n].obj = it;
			ix->v[ix->n++].kind = k ? K8S_CA_CONFIGMAP : K8S_CA_SECRET;
		}
	}
	return 0;
}

static void ca_index_free(struct ca_index *ix)
{
	int i;

	for (i = 0; i < ix->n; i++) {
		free(ix->v[i].pem);
		free(ix->v[i].id);
	}
	free(ix->v);
	memset(ix, 0, sizeof(*ix));
}

static struct ca_entry *ca_entry_read(struct ca_entry *e)
{
	if (!e->read) {
		e->read = 1;
		k8s_ca_object_data(e->obj, e->kind, &e->pem, &e->pem_len, &e->id, NULL);
	}
	return e;
}

static const char *ca_entry_digest(struct ca_entry *e, time_t at)
{
	struct pki_caobj c;

	if (!e->digested) {
		e->digested = 1;
		if (ca_entry_read(e)->pem && pki_caobj_check(e->pem, e->pem_len, at, &c, NULL) == 0) {
			if (c.cert)
				memcpy(e->digest, c.digest, sizeof(e->digest));
			pki_caobj_release(&c);
		}
	}
	return e->digest;
}

static struct ca_entry *ca_index_find(struct ca_index *ix, const cJSON *obj)
{
	int i;

	for (i = 0; i < ix->n; i++)
		if (ix->v[i].obj == obj)
			return &ix->v[i];
	return NULL;
}

/* Step 2 for one reference: the CA-object rules, KIC's words. */
static int judge_ca(const struct k8s_svc_objects *o, struct ca_index *ix, const struct k8s_svc_judge_opts *jo,
		    const struct ca_ref *r, struct k8s_checks *cs, struct k8s_svc_plan *plan, struct kt_err *err)
{
	const cJSON *labelled = r->kind == K8S_CA_SECRET ? o->secrets : o->configmaps;
	const cJSON *obj = find_obj(labelled, jo->ns, r->name, NULL);
	const char *kname = k8s_ca_kind_name(r->kind);
	char name[300], hint[512], *pem, *id;
	size_t pem_len;
	struct ca_entry *self;
	struct pki_caobj ca;
	int rc = 0, i;
	long days;
	time_t now = jo->at ? jo->at : time(NULL);

	memset(&ca, 0, sizeof(ca));
	snprintf(name, sizeof(name), "%s/%s", kname, r->name);
	if (r->bad_kind) {
		ADD(K8S_STEP_CA, K8S_CHECK_FAIL, name, "reference a core Secret or ConfigMap",
		    "%s refers to a %s: CACertificateRefs must reference ConfigMaps or Secrets in the core group", r->via,
		    r->bad_desc);
		return 0;
	}
	if (!obj) {
		obj = find_obj(o->unlabelled, jo->ns, r->name, kname);
		if (!obj) {
			snprintf(hint, sizeof(hint), "create it in namespace %s: kubectl kong-tls ca-%s %s --cert root.crt",
				 jo->ns, k8s_ca_kind_lower(r->kind), r->name);
			ADD(K8S_STEP_CA, K8S_CHECK_FAIL, name, hint,
			    "%s/%s (from the %s) does not exist: KIC reports 'Failed to fetch %s for CA Certificate '%s/%s': %s %s/%s not found'",
			    jo->ns, r->name, r->via, k8s_ca_kind_lower(r->kind), jo->ns, r->name, kname, jo->ns, r->name);
			return 0;
		}
		snprintf(hint, sizeof(hint), "kubectl label -n %s %s %s %s=true", jo->ns, k8s_ca_kind_lower(r->kind), r->name,
			 K8S_LABEL_CA_CERT);
		ADD(K8S_STEP_CA, K8S_CHECK_FAIL, name, hint,
		    "%s/%s lacks the label %s: \"true\": KIC creates no Kong CA certificate from it, and Kong fails "
		    "the handshake (CA Certificate '<id>' does not exist)", jo->ns, r->name, K8S_LABEL_CA_CERT);
		return 0;
	}
	self = ca_index_find(ix, obj);
	if (!self)
		return kt_err_set(err, KT_E_INTERNAL, "CA object %s not indexed", r->name);
	ca_entry_read(self);
	pem = self->pem;
	pem_len = self->pem_len;
	id = self->id;
	if (!id) {
		ADD(K8S_STEP_CA, K8S_CHECK_FAIL, name, "recreate it with kubectl kong-tls ca-secret/ca-configmap (they write a fresh UUID)",
		    "no 'id' key: KIC reports 'invalid secret CA certificate: missing 'id' field in data' and skips it");
		goto out;
	}
	if (!(k8s_uuid_check(id) & K8S_UUID_VALID)) {
		ADD(K8S_STEP_CA, K8S_CHECK_FAIL, name, "set data.id to a lowercase UUID without whitespace (kubectl kong-tls ca-secret writes one)",
		    "id '%.60s' is not a UUID (36 characters, 8-4-4-4-12 hex, no whitespace): Kong rejects the whole "
		    "configuration with 'expected a valid UUID'", id);
		goto out;
	}
	/* unique among every labelled object we could list (KIC: duplicate 'id' field in multiple objects) */
	for (i = 0; i < ix->n; i++) {
		struct ca_entry *e = &ix->v[i];
		const char *ons = str_at(e->obj, "metadata", "namespace", NULL);
		const char *onm = str_at(e->obj, "metadata", "name", NULL);

		if (e != self && ca_entry_read(e)->id && !strcasecmp(e->id, id)) {
			ADD(K8S_STEP_CA, K8S_CHECK_FAIL, name, "give each CA object its own UUID",
			    "id %s is also used by %s %s/%s: KIC keeps the oldest and reports 'invalid secret CA "
			    "certificate: duplicate 'id' field in multiple objects' (older KIC: Kong rejects the config)",
			    id, k8s_ca_kind_name(e->kind), ons ? ons : "?", onm ? onm : "?");
			goto out;
		}
	}
	if (!pem) {
		ADD(K8S_STEP_CA, K8S_CHECK_FAIL, name, "put the PEM certificate under the key ca.crt",
		    "KIC reports 'invalid secret CA certificate %s/%s, neither \"cert\" nor \"ca.crt\" key exist'%s",
		    jo->ns, r->name, r->kind == K8S_CA_CONFIGMAP ? " (binaryData is ignored)" : "");
		goto out;
	}
	rc = pki_caobj_check(pem, pem_len, jo->at, &ca, err);
	if (rc)
		goto out;
	if (!ca.accepted) {
		ADD(K8S_STEP_CA, K8S_CHECK_FAIL, name, ca.hint, "KIC: %s%s; Kong: %s",
		    ca.kic_msg[0] ? "invalid secret CA certificate: " : "", ca.kic_msg[0] ? ca.kic_msg : "accepts it",
		    ca.kong_msg[0] ? ca.kong_msg : "accepts it");
		goto out;
	}
	/* the same certificate in another labelled object: Kong's cert_digest is unique */
	for (i = 0; i < ix->n; i++) {
		struct ca_entry *e = &ix->v[i];

		if (e != self && !strcmp(ca_entry_digest(e, jo->at), ca.digest)) {
			ADD(K8S_STEP_CA, K8S_CHECK_FAIL, name, "keep one CA object per certificate and list that one",
			    "holds the same certificate as %s %s/%s: Kong's cert_digest is unique, so the configuration is rejected",
			    k8s_ca_kind_name(e->kind), str_at(e->obj, "metadata", "namespace", NULL),
			    str_at(e->obj, "metadata", "name", NULL));
			goto out;
		}
	}
	days = (long)((ca.not_after - now) / 86400);
	{
		char subj[256] = "";
		pki_name_oneline(X509_get_subject_name(ca.cert), subj, sizeof(subj));
		if (ca.not_yet_valid)
			ADD(K8S_STEP_CA, K8S_CHECK_WARN, name, "wait, or reissue the CA with a Not Before in the past",
			    "%s is not valid yet: Kong and KIC accept it, but every handshake fails with (9:certificate is not yet valid)", subj);
		else if (days < jo->warn_days)
			ADD(K8S_STEP_CA, K8S_CHECK_WARN, name, "rotate: create a new CA object (new id) and attach it before this one expires",
			    "valid CA (id %s, %s) but it expires in %ld day%s", id, subj, days, days == 1 ? "" : "s");
		else
			ADD(K8S_STEP_CA, K8S_CHECK_PASS, name, NULL, "valid CA object: label, id %s, one CA:TRUE certificate %s, %ld days left",
			    id, subj, days);
	}
	/* into Kong's trust store */
	{
		struct k8s_svc_ca *v = realloc(plan->cas, (size_t)(plan->n_cas + 1) * sizeof(*v));
		if (!v)
			goto oom;
		plan->cas = v;
		snprintf(v[plan->n_cas].source, sizeof(v[plan->n_cas].source), "%s %s/%s", kname, jo->ns, r->name);
		v[plan->n_cas].obj = ca;  /* moves the certificate */
		plan->n_cas++;
		memset(&ca, 0, sizeof(ca));
	}
out:
	pki_caobj_release(&ca);
	return rc;
oom:
	rc = kt_err_set(err, KT_E_INTERNAL, "out of memory");
	goto out;
}

int k8s_svc_judge(const struct k8s_svc_objects *o, const struct k8s_svc_judge_opts *jo, struct k8s_checks *cs,
		  struct k8s_svc_plan *plan, struct kt_err *err)
{
	const cJSON *svc = o->service, *pol = NULL, *port;
	const char *proto, *verify, *depth_s = NULL, *host_header, *cas_s, *cam_s, *pol_host = NULL;
	char hint[512], what[128];
	struct ca_ref refs[MAX_REFS];
	struct involved inv[MAX_REFS + 2];
	struct ca_index ix;
	int n_refs, i, j, n_inv = 0, n_pol, tv, has_anno, protocol_ok;
	long depth;

	memset(plan, 0, sizeof(*plan));
	plan->depth = -1;
	if (!svc) {
		snprintf(hint, sizeof(hint), "check the name and the namespace (-n); kubectl get svc -n %s", jo->ns);
		ADD(K8S_STEP_SERVICE, K8S_CHECK_FAIL, "service", hint, "Service %s/%s not found", jo->ns, jo->name);
		return 0;
	}
	port = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(svc, "spec"), "ports"), 0);
	if (port) {
		const cJSON *pn = cJSON_GetObjectItemCaseSensitive(port, "port");
		plan->first_port = cJSON_IsNumber(pn) ? pn->valueint : 0;
	}

	/* ---- 1. the Service and which path configures it ---- */
	proto = k8s_annotation(svc, K8S_ANNO_PROTOCOL);
	verify = k8s_annotation(svc, K8S_ANNO_TLS_VERIFY);
	depth_s = k8s_annotation(svc, K8S_ANNO_TLS_DEPTH);
	host_header = k8s_annotation(svc, K8S_ANNO_HOST_HEADER);
	cas_s = k8s_annotation(svc, K8S_ANNO_CA_SECRETS);
	cam_s = k8s_annotation(svc, K8S_ANNO_CA_CONFIGMAPS);
	has_anno = verify || cas_s || cam_s;
	n_pol = cJSON_GetArraySize(o->policies);
	pol = cJSON_GetArrayItem(o->policies, 0);

	if (!has_anno && n_pol == 0) {
		snprintf(hint, sizeof(hint), "kubectl kong-tls attach svc/%s -n %s --ca NAME [--depth N]", jo->name, jo->ns);
		ADD(K8S_STEP_SERVICE, K8S_CHECK_FAIL, "service", hint,
		    "Service %s/%s exists but nothing turns on upstream TLS verification: no konghq.com/tls-verify or "
		    "ca-certificates annotations, and no BackendTLSPolicy%s targets it; Kong does not verify this upstream",
		    jo->ns, jo->name, o->policy_version[0] ? "" : " (v1alpha3, the version KIC reads, is not served)");
		return 0;
	}
	plan->configured = 1;
	if (n_pol > 1) {
		ADD(K8S_STEP_SERVICE, K8S_CHECK_FAIL, "policies", "delete all but one BackendTLSPolicy for this Service",
		    "%d BackendTLSPolicies target Service %s/%s: KIC marks them Conflicted ('Multiple BackendTLSPolicies "
		    "target the same service') and applies none", n_pol, jo->ns, jo->name);
	}
	if (pol) {
		pol_host = str_at(pol, "spec", "validation", "hostname");
		ADD(K8S_STEP_SERVICE, K8S_CHECK_PASS, "service", NULL,
		    "Service %s/%s is configured by BackendTLSPolicy %s (%s)%s", jo->ns, jo->name, k8s_meta_name(pol),
		    o->policy_version, has_anno ? " and by annotations (the policy overrides protocol and host-header, and adds its CAs)" : "");
	} else {
		ADD(K8S_STEP_SERVICE, K8S_CHECK_PASS, "service", NULL, "Service %s/%s is configured by konghq.com annotations",
		    jo->ns, jo->name);
	}

	/* protocol: a policy forces https; else the annotation, default http */
	{
		const char *eff = pol ? "https" : (proto && *proto ? proto : "http");
		protocol_ok = !strcmp(eff, "https") || !strcmp(eff, "tls");
		snprintf(hint, sizeof(hint), "kubectl annotate svc/%s -n %s --overwrite %s=https", jo->name, jo->ns,
			 K8S_ANNO_PROTOCOL);
		if (protocol_ok)
			ADD(K8S_STEP_SERVICE, K8S_CHECK_PASS, "protocol", NULL, "protocol %s%s", eff,
			    pol ? " (set by the BackendTLSPolicy)" : "");
		else if (cas_s || cam_s)
			ADD(K8S_STEP_SERVICE, K8S_CHECK_FAIL, "protocol", hint,
			    "protocol '%s' is not TLS: KIC reports 'CA certificates requested for incompatible service "
			    "protocol '%s'' and Kong verifies nothing (tls_verify needs https or tls)", eff, eff);
		else
			ADD(K8S_STEP_SERVICE, K8S_CHECK_FAIL, "protocol", hint,
			    "protocol '%s' is not TLS: Kong accepts tls_verify only on https or tls services", eff);
	}

	/* tls-verify, parsed as Go's strconv.ParseBool; invalid means absent */
	tv = pol ? 1 : k8s_parse_bool(verify);
	snprintf(hint, sizeof(hint), "kubectl annotate svc/%s -n %s --overwrite %s=true", jo->name, jo->ns, K8S_ANNO_TLS_VERIFY);
	if (tv == 1)
		ADD(K8S_STEP_SERVICE, K8S_CHECK_PASS, "tls-verify", NULL, "tls-verify is on%s",
		    pol ? " (set by the BackendTLSPolicy)" : "");
	else if (verify && tv < 0)
		ADD(K8S_STEP_SERVICE, K8S_CHECK_FAIL, "tls-verify", hint,
		    "%s: '%s' is not a boolean KIC understands (1, t, T, TRUE, true, True): KIC treats it as absent%s",
		    K8S_ANNO_TLS_VERIFY, verify,
		    cas_s || cam_s ? " and reports 'CA certificates requested for service without TLS verification enabled'" : "");
	else
		ADD(K8S_STEP_SERVICE, K8S_CHECK_FAIL, "tls-verify", hint, "tls-verify is %s: Kong does not verify the upstream%s",
		    verify ? "false" : "not set",
		    cas_s || cam_s ? "; KIC reports 'CA certificates requested for service without TLS verification enabled'" : "");

	/* depth: policy options, else the annotation; Atoi; Kong allows 0..64 */
	if (pol) {
		const char *od = str_at(pol, "spec", "options", "tls-verify-depth");
		if (od)
			depth_s = od;
	}
	snprintf(what, sizeof(what), "%s", pol && str_at(pol, "spec", "options", "tls-verify-depth")
		 ? "BackendTLSPolicy options.tls-verify-depth" : K8S_ANNO_TLS_DEPTH);
	if (!depth_s) {
		ADD(K8S_STEP_SERVICE, K8S_CHECK_INFO, "depth", "set the depth to the number of intermediates the upstream serves",
		    "no depth set: no depth limit applies (Kong leaves OpenSSL's default of 100)");
	} else if (k8s_atoi(depth_s, &depth)) {
		ADD(K8S_STEP_SERVICE, K8S_CHECK_WARN, "depth", "use a plain integer, e.g. \"1\"",
		    "%s '%s' is not an integer: KIC ignores it, so no depth limit applies (OpenSSL's 100)", what, depth_s);
	} else if (pol && depth < 0) {
		ADD(K8S_STEP_SERVICE, K8S_CHECK_WARN, "depth", "use 0..64", "%s %ld is negative: KIC ignores it (no depth limit)",
		    what, depth);
	} else if (depth < 0 || depth > PKI_MAX_DEPTH) {
		ADD(K8S_STEP_SERVICE, K8S_CHECK_FAIL, "depth", "use 0..64: the number of intermediates the upstream serves",
		    "%s %ld is out of range: Kong rejects the whole configuration ('value should be between 0 and 64')",
		    what, depth);
	} else {
		plan->depth = (int)depth;
		ADD(K8S_STEP_SERVICE, K8S_CHECK_PASS, "depth", NULL, "depth %ld: at most %ld intermediate%s between the leaf and the CA",
		    depth, depth, depth == 1 ? "" : "s");
	}

	/* ---- 2. CA objects ---- */
	n_refs = collect_refs(svc, o->policies, refs, MAX_REFS);
	inv[n_inv].kind = "Service";
	inv[n_inv++].name = jo->name;
	if (n_refs == 0) {
		snprintf(hint, sizeof(hint), "kubectl kong-tls attach svc/%s -n %s --ca NAME", jo->name, jo->ns);
		ADD(K8S_STEP_CA, K8S_CHECK_FAIL, "ca-objects", hint,
		    "no CA objects listed: Kong's trust store is empty and every handshake fails with "
		    "(20:unable to get local issuer certificate)");
	}
	if (ca_index_build(o, &ix))
		goto oom;
	for (i = 0; i < n_refs; i++) {
		int dup = 0;
		for (j = 0; j < i; j++)
			dup |= same_ref(&refs[i], &refs[j]);
		if (dup)
			continue;
		if (judge_ca(o, &ix, jo, &refs[i], cs, plan, err)) {
			ca_index_free(&ix);
			return err ? err->code : KT_E_INTERNAL;
		}
		if (!refs[i].bad_kind && n_inv < MAX_REFS + 2) {
			inv[n_inv].kind = k8s_ca_kind_name(refs[i].kind);
			inv[n_inv++].name = refs[i].name;
		}
	}
	ca_index_free(&ix);
	if (!o->ca_all_namespaces)
		ADD(K8S_STEP_CA, K8S_CHECK_INFO, "ca-scope", NULL,
		    "labelled CA objects could be listed in namespace %s only: id and certificate uniqueness were checked there",
		    jo->ns);

	/* ---- 3. KIC's own view ---- */
	if (judge_events(o, inv, n_inv, cs))
		goto oom;
	cJSON_ArrayForEach(pol, o->policies) {
		if (judge_policy_status(pol, cs))
			goto oom;
	}
	pol = cJSON_GetArrayItem(o->policies, 0);

	/* ---- 4. the hostname Kong verifies (spec §2.1) ---- */
	{
		const char *pinned = pol_host ? pol_host : host_header;
		const char *pinned_from = pol_host ? "BackendTLSPolicy validation.hostname" : K8S_ANNO_HOST_HEADER;

		if (jo->client_host && *jo->client_host) {
			snprintf(plan->hostname, sizeof(plan->hostname), "%s", jo->client_host);
			if (pinned && strcasecmp(pinned, jo->client_host))
				ADD(K8S_STEP_HOSTNAME, K8S_CHECK_WARN, "hostname",
				    "set konghq.com/preserve-host: \"false\" on the routes to verify the pinned name instead",
				    "Kong verifies '%s', the Host the client sends (KIC sets preserve_host: true by default); "
				    "%s '%s' applies only with preserve-host \"false\" on the Ingress/HTTPRoute",
				    jo->client_host, pinned_from, pinned);
			else
				ADD(K8S_STEP_HOSTNAME, K8S_CHECK_PASS, "hostname", NULL,
				    "Kong verifies '%s': the Host the client sends (KIC's default preserve_host: true)%s",
				    jo->client_host, pinned ? ", the same as the pinned name" : "");
		} else if (pinned) {
			snprintf(plan->hostname, sizeof(plan->hostname), "%s", pinned);
			ADD(K8S_STEP_HOSTNAME, K8S_CHECK_INFO, "hostname",
			    "pass --host with the Host your clients send, or set konghq.com/preserve-host: \"false\" on the routes",
			    "Kong verifies '%s' (%s) only when the routes set konghq.com/preserve-host: \"false\"; with KIC's "
			    "default preserve_host it verifies the client's Host header", pinned, pinned_from);
		} else {
			snprintf(hint, sizeof(hint),
				 "pass --host NAME (a SAN of the upstream certificate), or pin it: kubectl annotate svc/%s -n %s %s=NAME",
				 jo->name, jo->ns, K8S_ANNO_HOST_HEADER);
			ADD(K8S_STEP_HOSTNAME, K8S_CHECK_WARN, "hostname", hint,
			    "the name Kong verifies is the client's Host header (KIC's default preserve_host: true): clients "
			    "must send a Host that is a SAN of the upstream certificate");
		}
	}
	return 0;
oom:
	return kt_err_set(err, KT_E_INTERNAL, "out of memory");
}
