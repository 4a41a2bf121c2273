/*
 * k8s/svcview: what Kong Ingress Controller will make of one Service's upstream TLS,
 * read from the cluster objects (checks 1-4 of `verify svc/NAME`).
 *
 * k8s_svc_fetch_service() and k8s_svc_fetch_related() read everything with at most
 * 6 requests in the common case (the Service; labelled CA Secrets and ConfigMaps,
 * each listed once with the label selector; BackendTLSPolicies of the namespace;
 * Warning Events of the namespace), plus one GET per referenced CA object that
 * lacks the label (to tell "unlabelled" from "missing"). k8s_svc_judge() is a pure
 * function of those objects: it applies KIC's parsing (spec §2, §3) and the CA-object
 * engine (pki/caobj.h), fills a list of checks (pass/warn/fail, message, fix) and the
 * plan Kong will run with (trust store, depth, hostname), which cmd/verify.c hands to
 * pki_judge.
 */
#ifndef K8S_SVCVIEW_H
#define K8S_SVCVIEW_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "k8s/client.h"
#include "pki/caobj.h"
#include "pki/err.h"

enum k8s_check_status { K8S_CHECK_PASS, K8S_CHECK_INFO, K8S_CHECK_WARN, K8S_CHECK_FAIL, K8S_CHECK_SKIP };

/* The sections of the checklist, in order. */
enum k8s_check_step {
	K8S_STEP_SERVICE = 1, K8S_STEP_CA = 2, K8S_STEP_KIC = 3, K8S_STEP_HOSTNAME = 4,
	K8S_STEP_HANDSHAKE = 5, K8S_STEP_PROXY = 6
};

struct k8s_check {
	enum k8s_check_step step;
	enum k8s_check_status status;
	char name[64];      /* "service", "protocol", "Secret/root-ca", "events", ... */
	char msg[768];
	char hint[512];     /* "" when nothing to do */
};

struct k8s_checks {
	struct k8s_check *v;
	int n, cap;
};

/* Append one check; returns 0 or KT_E_INTERNAL (out of memory). hint may be NULL. */
int k8s_checks_add(struct k8s_checks *cs, enum k8s_check_step step, enum k8s_check_status status,
		   const char *name, const char *hint, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Number of checks with status FAIL. */
int k8s_checks_failed(const struct k8s_checks *cs);
void k8s_checks_release(struct k8s_checks *cs);
/* "pass", "info", "warn", "fail", "skip" */
const char *k8s_check_status_name(enum k8s_check_status s);
/* "service", "ca-objects", "kic", "hostname", "handshake", "proxy" */
const char *k8s_check_step_name(enum k8s_check_step step);

/* Everything verify reads for one Service; all trees owned (free with k8s_svc_objects_release). */
struct k8s_svc_objects {
	cJSON *service;          /* NULL: not found */
	cJSON *secrets;          /* array: Secrets labelled konghq.com/ca-cert=true (all namespaces if allowed) */
	cJSON *configmaps;       /* array: labelled ConfigMaps, same scope */
	cJSON *unlabelled;       /* array: referenced CA objects found without the label */
	cJSON *policies;         /* array: BackendTLSPolicies of the namespace targeting the Service */
	char policy_version[16]; /* the version read ("v1alpha3"), "" when none is served */
	cJSON *events;           /* array: Warning Events of the namespace */
	int ca_all_namespaces;   /* the labelled lists cover the whole cluster */
	int requests;            /* API requests made */
};

void k8s_svc_objects_release(struct k8s_svc_objects *o);

/*
 * Read the objects for Service ns/name, in two steps so that a caller can start work
 * of its own once the Service is known: the Service alone (a missing Service is
 * o->service == NULL, not an error), then, only when it exists, everything it refers
 * to. Each returns 0 or the client's error for any other failure.
 */
int k8s_svc_fetch_service(struct k8s_client *c, const char *ns, const char *name, struct k8s_svc_objects *o,
			  struct kt_err *err);
int k8s_svc_fetch_related(struct k8s_client *c, const char *ns, const char *name, struct k8s_svc_objects *o,
			  struct kt_err *err);

/* One CA certificate Kong will load for the Service. */
struct k8s_svc_ca {
	char source[300];        /* "Secret default/root-ca" */
	struct pki_caobj obj;    /* its judgement (accepted) and certificate, owned */
};

/* How Kong will verify the upstream, as far as the objects say. */
struct k8s_svc_plan {
	int configured;          /* 1: annotations or a policy turn verification on */
	int depth;               /* -1: not set (OpenSSL's 100) */
	char hostname[256];      /* the name Kong verifies; "" when it cannot be known */
	struct k8s_svc_ca *cas;  /* the valid CA objects' certificates: Kong's trust store */
	int n_cas;
	int first_port;          /* the Service's first port (for port-forward), 0 if none */
};

void k8s_svc_plan_release(struct k8s_svc_plan *p);

struct k8s_svc_judge_opts {
	const char *ns, *name;   /* the Service */
	const char *client_host; /* --host: the Host the client sends; NULL when not given */
	time_t at;               /* 0: now */
	int warn_days;           /* warn when a CA expires within this many days */
};

/*
 * Checks 1-4 over the fetched objects, appended to cs in order; fills plan. Returns 0
 * whatever the checks say (a failure is a FAIL check), or KT_E_INTERNAL.
 * When the Service is missing or nothing configures verification, the checks stop
 * after step 1 and plan->configured is 0.
 */
int k8s_svc_judge(const struct k8s_svc_objects *o, const struct k8s_svc_judge_opts *jo,
		  struct k8s_checks *cs, struct k8s_svc_plan *plan, struct kt_err *err);

/* Go's strconv.ParseBool, as KIC parses konghq.com/tls-verify: 1 true, 0 false, -1 invalid. */
int k8s_parse_bool(const char *s);
/* Go's strconv.Atoi: 0 and *out on success, -1 when s is not a decimal integer. */
int k8s_atoi(const char *s, long *out);

#endif
