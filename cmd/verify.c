/*
 * verify: predict whether Kong accepts an upstream's certificate chain, and say
 * why in Kong's own words.
 *
 * The command has three stages, so that every mode differs only in the first:
 *   1. gather: fill a struct verify_input (trust store, CA objects with their
 *      Kong/KIC judgement, served chain, depth, hostname). Offline mode reads
 *      --chain and --ca-file files; other sources (a live handshake, the cluster)
 *      add a gather_* function and feed CA bytes through add_ca_pem().
 *   2. judge: pki_judge(), the one engine (pki/verify.h).
 *   3. report: one printer for text and one for JSON, whatever the source.
 *
 * Sources: --chain FILE (offline), --address HOST:PORT (a live handshake, pki/handshake),
 * svc/NAME (the cluster objects through k8s/svcview, checks 1-4, then the live
 * handshake and a request through Kong's proxy, checks 5-6).
 *
 * Exit codes: 0 Kong would accept; 1 Kong would reject (chain, hostname, or a CA
 * file Kong/KIC refuses as a CA object; for svc/NAME: any failed check); 2 usage;
 * 3 a file cannot be read; 4 a file is not PEM certificates; 5 API error;
 * 6 the upstream or proxy cannot be reached or does not speak TLS; 8 a file does
 * not exist; 70 internal.
 */
#include "cmd/cmd.h"

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>

#include "cmd/kube.h"
#include "cmd/live.h"
#include "k8s/k8s.h"
#include "k8s/svcview.h"
#include "pki/handshake.h"

#include "pki/caobj.h"
#include "pki/inspect.h"
#include "pki/load.h"
#include "pki/verify.h"

enum {
	OPT_CHAIN = KT_OPT_FIRST,
	OPT_CA_FILE,
	OPT_HOSTNAME,
	OPT_DEPTH,
	OPT_ADDRESS,
	OPT_TIMEOUT,
	OPT_HOST,
	OPT_PORT_FORWARD,
	OPT_PROXY,
	OPT_PATH,
	OPT_EXPECT_BODY,
	OPT_WARN_DAYS,
	OPT_OUTPUT = KT_OPT_OUTPUT
};

static const struct kt_opt verify_opts[] = {
	{ "chain", 0, required_argument, OPT_CHAIN, "FILE",
	  "PEM file with what the upstream serves: leaf first, then intermediates ('-': stdin)", KT_COMP_FILE, NULL },
	{ "ca-file", 0, required_argument, OPT_CA_FILE, "FILE",
	  "a CA object's certificate (repeatable): Kong's trust store; none = empty store", KT_COMP_FILE, NULL },
	{ "hostname", 0, required_argument, OPT_HOSTNAME, "NAME",
	  "the name Kong checks (the Host it sends upstream); not checked when absent", KT_COMP_NONE, NULL },
	{ "depth", 0, required_argument, OPT_DEPTH, "N",
	  "tls-verify-depth, 0..64: most intermediates allowed (absent: OpenSSL's 100)", KT_COMP_NONE, NULL },
	{ "address", 0, required_argument, OPT_ADDRESS, "HOST:PORT",
	  "handshake with the upstream there (SNI = the hostname Kong sends) and judge what it serves", KT_COMP_NONE, NULL },
	{ "timeout", 0, required_argument, OPT_TIMEOUT, "DUR",
	  "give up on the upstream, the proxy or port-forward after DUR (default 10s)", KT_COMP_NONE, NULL },
	{ "host", 0, required_argument, OPT_HOST, "NAME",
	  "svc/NAME: the Host header clients send (what Kong verifies under KIC's default preserve_host)", KT_COMP_NONE, NULL },
	{ "port-forward", 0, no_argument, OPT_PORT_FORWARD, NULL,
	  "svc/NAME: reach the upstream through 'kubectl port-forward' (run and cleaned up here)", KT_COMP_NONE, NULL },
	{ "proxy", 0, required_argument, OPT_PROXY, "URL",
	  "svc/NAME: also send a request through Kong's proxy at URL (e.g. http://127.0.0.1:8000)", KT_COMP_NONE, NULL },
	{ "path", 0, required_argument, OPT_PATH, "PATH", "with --proxy: the path to request (default /)", KT_COMP_NONE, NULL },
	{ "expect-body", 0, required_argument, OPT_EXPECT_BODY, "TEXT",
	  "with --proxy: the answer must contain TEXT (e.g. 'Through HTTPS connection.')", KT_COMP_NONE, NULL },
	{ "warn-days", 0, required_argument, OPT_WARN_DAYS, "N",
	  "svc/NAME: warn when a CA certificate expires within N days (default 30)", KT_COMP_NONE, NULL },
	KT_OPTS_OUTPUT("json"),
	KT_OPTS_CLUSTER,
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_verify(int argc, char **argv);

const struct kt_cmd kt_cmd_verify = {
	.name = "verify",
	.fn = cmd_verify,
	.opts = verify_opts,
	.usage = "verify (--chain FILE | --address HOST:PORT) [--ca-file FILE]... [--hostname NAME] [--depth N] [-o json]\n"
		 "       kubectl kong-tls verify svc/NAME [-n NS] [--host H] [--address HOST:PORT | --port-forward]\n"
		 "                               [--proxy URL [--path P] [--expect-body TEXT]] [--warn-days N] [-o json]",
	.summary = "predict whether Kong accepts an upstream's certificate chain",
	.description =
		"Judges the chain exactly as Kong's nginx/OpenSSL data plane does with tls-verify on:\n"
		"the CA files are the trust store, the chain file is what the upstream serves, --depth\n"
		"is tls-verify-depth and --hostname the name nginx checks after the chain verified.\n"
		"Prints the verdict, the path OpenSSL built and, on rejection, the line Kong logs: the\n"
		"FIRST error OpenSSL raises. A plain nginx with proxy_ssl_verify on continues and logs\n"
		"the last one; when that differs it is shown too, labelled. Each CA file must also pass\n"
		"Kong's and KIC's CA-object rules (one certificate, CA:TRUE, not expired).\n\n"
		"--address does the same with the chain a live upstream serves: it connects with SNI =\n"
		"--hostname (none for an IP address, as nginx), without verifying, and judges the chain.\n\n"
		"svc/NAME checks a Service as KIC and Kong will see it, one line per check, in order:\n"
		"  1 the Service: annotations or a BackendTLSPolicy, protocol, tls-verify, depth\n"
		"  2 each CA object: exists, label, id (UUID, unique), one CA:TRUE certificate, expiry\n"
		"  3 KIC's view: Kong*Failed Warning events, the policy's Accepted condition\n"
		"  4 the hostname Kong verifies: --host (KIC's default preserve_host), else host-header\n"
		"  5 with --address or --port-forward: the live handshake, judged as above\n"
		"  6 with --proxy: a request through Kong (502 = Kong rejected the upstream)\n"
		"Colour on a terminal only, never with NO_COLOR. At most 6 API requests.\n\n"
		"Exit codes: 0 Kong would accept, 1 Kong would reject (svc/NAME: a check failed),\n"
		"2 usage error, 3 a file cannot be read, 4 a file is not PEM certificates, 5 API error,\n"
		"6 the upstream, proxy or port-forward cannot be reached or does not speak TLS,\n"
		"8 a file does not exist.",
	.examples =
		"  kubectl kong-tls verify --chain certs/chain.crt --ca-file certs/root.crt --hostname kong.example\n"
		"  kubectl kong-tls verify --chain certs/chain.crt --ca-file certs/root.crt --depth 0\n"
		"  kubectl kong-tls verify --chain chain.pem --ca-file a.crt --ca-file b.crt -o json\n"
		"  kubectl kong-tls verify --address 10.0.0.7:443 --ca-file certs/root.crt --hostname kong.example --depth 1\n"
		"  kubectl kong-tls verify svc/echo --host kong.example --port-forward\n"
		"  kubectl kong-tls verify svc/echo -n demo --host kong.example --address 127.0.0.1:8443 \\\n"
		"      --proxy http://127.0.0.1:8000 --path /echo --expect-body 'Through HTTPS connection.'",
	.args = KT_COMP_NONE,
};

/* ---- stage 1: inputs ---------------------------------------------------------- */

#define MAX_CA_FILES 64

struct verify_opts {
	const char *chain;
	const char *ca_files[MAX_CA_FILES];
	int n_ca_files;
	const char *hostname;
	int depth;          /* -1: not set */
	int json;
	const char *address;
	long timeout_ms;
	const char *service;      /* svc/NAME mode */
	const char *host;
	int port_forward;
	const char *proxy, *path, *expect_body;
	long warn_days;
	struct kt_cluster_opts co;
};

/* One CA object as the source holds it, with Kong's and KIC's judgement. */
struct verify_ca {
	char source[512];   /* "root.crt", "Secret default/root-ca" */
	struct pki_caobj obj;
};

struct verify_input {
	STACK_OF(X509) *trusted;   /* the accepted CA objects' certificates: Kong's store */
	struct verify_ca cas[MAX_CA_FILES];
	int n_cas;
	int n_rejected_cas;
	STACK_OF(X509) *served;    /* leaf first, as served */
	char served_from[512];
	int depth;
	const char *hostname;
	time_t at;                 /* 0: now */
};

/* Kong accepts the chain and loads every CA object it was given (a refused one fails its sync). */
static int kong_accepts(const struct verify_input *in, const struct pki_verdict *v)
{
	return v->accepted && in->n_rejected_cas == 0;
}

static void input_release(struct verify_input *in)
{
	int i;

	sk_X509_pop_free(in->trusted, X509_free);
	sk_X509_pop_free(in->served, X509_free);
	for (i = 0; i < in->n_cas; i++)
		pki_caobj_release(&in->cas[i].obj);
	memset(in, 0, sizeof(*in));
}

/* Take an accepted CA object (its certificate into Kong's store); *obj is left empty. */
static int adopt_ca(struct verify_input *in, const char *source, struct pki_caobj *obj, struct kt_err *err)
{
	struct verify_ca *ca;

	if (in->n_cas == MAX_CA_FILES)
		return kt_err_set(err, KT_E_USAGE, "too many CA certificates (at most %d)", MAX_CA_FILES);
	if (!sk_X509_push(in->trusted, obj->cert))
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	if (!X509_up_ref(obj->cert)) {
		sk_X509_pop(in->trusted);
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	}
	ca = &in->cas[in->n_cas++];
	snprintf(ca->source, sizeof(ca->source), "%s", source);
	ca->obj = *obj;
	memset(obj, 0, sizeof(*obj));
	obj->pathlen = -1;
	return KT_OK;
}

/*
 * Add one CA object's bytes. Bytes that are not PEM certificates at all fail with
 * the loader's error (exit 3/4/8). Certificates that Kong or KIC refuse as a CA
 * object are recorded, kept out of the store (Kong never gets them), and make
 * the verdict a rejection.
 */
static int add_ca_pem(struct verify_input *in, const char *source, const char *data, size_t len,
		      struct kt_err *err)
{
	STACK_OF(X509) *certs = NULL;
	struct pki_caobj obj;
	int rc;

	if (in->n_cas == MAX_CA_FILES)
		return kt_err_set(err, KT_E_USAGE, "too many CA certificates (at most %d)", MAX_CA_FILES);
	rc = pki_caobj_check(data, len, in->at, &obj, err);
	if (rc)
		return rc;
	if (obj.accepted) {
		rc = adopt_ca(in, source, &obj, err);
		pki_caobj_release(&obj);
		return rc;
	}
	/* an accepted CA object is one PEM certificate: the loader has something to say only here */
	rc = pki_load_certs_mem(data, len, source, &certs, err);
	sk_X509_pop_free(certs, X509_free);
	if (rc) {
		pki_caobj_release(&obj);
		return rc;
	}
	snprintf(in->cas[in->n_cas].source, sizeof(in->cas[in->n_cas].source), "%s", source);
	in->cas[in->n_cas++].obj = obj;
	in->n_rejected_cas++;
	return KT_OK;
}

static int gather_offline(const struct verify_opts *o, struct verify_input *in, struct kt_err *err)
{
	int rc;

	rc = pki_load_certs_file(o->chain, &in->served, err);
	if (rc)
		return rc;
	snprintf(in->served_from, sizeof(in->served_from), "%s", pki_load_display_name(o->chain));
	return KT_OK;
}

/* The chain a live upstream serves, fetched with Kong's SNI (spec §2.1). */
static int fetch_served(const char *address, const char *sni, long timeout_ms, STACK_OF(X509) **served,
			char *from, size_t from_size, struct kt_err *err)
{
	struct pki_handshake *hs = NULL;
	int rc;

	rc = pki_handshake(address, sni, timeout_ms, &hs, err);
	if (rc)
		return rc;
	*served = hs->served;
	hs->served = NULL;
	snprintf(from, from_size, "%s (%s, %s, %s%s%s)", address, hs->protocol, hs->cipher,
		 hs->sni[0] ? "SNI " : "no SNI", hs->sni, hs->sni[0] ? "" : " for an IP address");
	pki_handshake_free(hs);
	return 0;
}

static int gather_live(const char *address, const char *sni, long timeout_ms, struct verify_input *in,
		       struct kt_err *err)
{
	return fetch_served(address, sni, timeout_ms, &in->served, in->served_from, sizeof(in->served_from), err);
}

/*
 * The live handshake needs only the address and the name Kong sends, so for svc/NAME
 * it starts on a second thread as soon as that name is known (with --host, once the
 * cluster client is set up; else from the Service's host-header) and runs while the
 * API requests are in flight. Its result is used only when the plan turns out to ask
 * for the same name; otherwise it is dropped and, if needed, the handshake is done
 * again. A prefetch still running when it is not needed is left to finish on its own
 * (the process is about to exit).
 */
struct prefetch {
	pthread_t thread;
	char address[512], sni[256];
	long timeout_ms;
	STACK_OF(X509) *served;
	char from[512];
	struct kt_err err;
	int rc;
};

/* volatile: the store must happen, so a prefetch left running stays referenced, not leaked */
static struct prefetch *volatile abandoned_prefetch;

static void *prefetch_run(void *arg)
{
	struct prefetch *p = arg;

	p->rc = fetch_served(p->address, p->sni[0] ? p->sni : NULL, p->timeout_ms, &p->served, p->from,
			     sizeof(p->from), &p->err);
	ERR_clear_error();
	return NULL;
}

/* The name Kong will send when the options alone, or with the Service, tell it. */
static const char *likely_sni(const struct verify_opts *o, const cJSON *service)
{
	if (o->host && *o->host)
		return o->host;
	return service ? k8s_annotation(service, K8S_ANNO_HOST_HEADER) : NULL;
}

static struct prefetch *prefetch_start(const struct verify_opts *o, const cJSON *service)
{
	const char *sni = likely_sni(o, service);
	struct prefetch *p;
	sigset_t all, old;
	int started;

	if (!o->address || o->port_forward || !sni || strlen(sni) >= sizeof(p->sni) ||
	    strlen(o->address) >= sizeof(p->address))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->address, sizeof(p->address), "%s", o->address);
	snprintf(p->sni, sizeof(p->sni), "%s", sni);
	p->timeout_ms = o->timeout_ms;
	kt_err_clear(&p->err);
#ifdef M_ARENA_MAX
	/* one malloc arena: a second one costs the short-lived thread a 64 MB map grown page by page */
	mallopt(M_ARENA_MAX, 1);
#endif
	/* signals are for the main thread (the port-forward child's clean-up) */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	started = pthread_create(&p->thread, NULL, prefetch_run, p) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!started) {
		free(p);
		return NULL;
	}
	return p;
}

/* Leave a prefetch that is not needed to finish on its own (the process is about to exit). */
static void prefetch_drop(struct prefetch *p)
{
	if (!p)
		return;
	pthread_detach(p->thread);
	abandoned_prefetch = p;
}

/*
 * Take the prefetched handshake if it was for this address and name: returns 1 and
 * sets *rc (and *err on failure) as gather_live() would, or 0 when it does not apply.
 * Either way the prefetch is finished with.
 */
static int prefetch_take(struct prefetch *p, const char *address, const char *sni, struct verify_input *in,
			 int *rc, struct kt_err *err)
{
	int same;

	if (!p)
		return 0;
	same = !strcmp(p->address, address) && sni && !strcmp(p->sni, sni);
	if (!same) {
		prefetch_drop(p);
		return 0;
	}
	pthread_join(p->thread, NULL);
	*rc = p->rc;
	if (p->rc) {
		*err = p->err;
	} else {
		in->served = p->served;
		snprintf(in->served_from, sizeof(in->served_from), "%s", p->from);
	}
	free(p);
	return 1;
}

static int gather_cas(const struct verify_opts *o, struct verify_input *in, struct kt_err *err)
{
	int i, rc;

	for (i = 0; i < o->n_ca_files; i++) {
		char *data = NULL;
		size_t len = 0;

		rc = pki_read_file(o->ca_files[i], &data, &len, err);
		if (!rc)
			rc = add_ca_pem(in, pki_load_display_name(o->ca_files[i]), data, len, err);
		free(data);
		if (rc)
			return rc;
	}
	return KT_OK;
}

/* ---- stage 3: the report --------------------------------------------------------- */

static void depth_text(const struct pki_verdict *v, char *buf, size_t size)
{
	if (!v->depth_set)
		snprintf(buf, size, "no depth limit set: Kong leaves OpenSSL's default of %d", PKI_DEFAULT_DEPTH);
	else
		snprintf(buf, size, "%d (at most %d intermediate%s between the leaf and the trust anchor)",
			 v->depth_limit, v->depth_limit, v->depth_limit == 1 ? "" : "s");
}

static void hostname_text(const struct verify_input *in, const struct pki_verdict *v, char *buf, size_t size)
{
	if (!in->hostname)
		snprintf(buf, size, "not checked (no --hostname; Kong checks the Host it sends upstream)");
	else if (v->hostname_mismatch)
		snprintf(buf, size, "%s: does not match the leaf certificate", in->hostname);
	else if (v->error)
		snprintf(buf, size, "%s: not checked, the chain failed first (nginx checks it after the chain)",
			 in->hostname);
	else
		snprintf(buf, size, "%s: matches the leaf certificate", in->hostname);
}

static const char *subject_of(X509 *x, char *buf, size_t size)
{
	pki_name_oneline(X509_get_subject_name(x), buf, size);
	if (!buf[0])
		snprintf(buf, size, "(empty subject)");
	return buf;
}

/* The served chain, one line per certificate: subject, issuer, expiry. */
static void served_details(const struct verify_input *in, const char *indent)
{
	char subj[512], iss[512], date[64];
	int i;

	for (i = 0; i < sk_X509_num(in->served); i++) {
		X509 *x = sk_X509_value(in->served, i);
		struct tm tm;

		pki_name_oneline(X509_get_subject_name(x), subj, sizeof(subj));
		pki_name_oneline(X509_get_issuer_name(x), iss, sizeof(iss));
		if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
			strftime(date, sizeof(date), "%Y-%m-%d", &tm);
		else
			snprintf(date, sizeof(date), "?");
		printf("%s[%d] %s  (issuer %s, expires %s)\n", indent, i, subj, iss, date);
	}
}

static void report_text(const struct verify_input *in, const struct pki_verdict *v, int accepted)
{
	char line[600], name[512];
	int i;

	printf("verdict:      %s\n", accepted ? "accept (Kong would complete the TLS handshake)"
					  : "reject (Kong answers 502: An invalid response was received from the upstream server)");
	for (i = 0; i < in->n_cas; i++) {
		const struct pki_caobj *c = &in->cas[i].obj;

		if (c->accepted)
			continue;
		printf("CA file:      '%s' is not a valid CA object\n", in->cas[i].source);
		printf("  Kong says:  %s\n", c->kong_msg[0] ? c->kong_msg : "(accepts it)");
		printf("  KIC says:   %s\n", c->kic_msg[0] ? c->kic_msg : "(accepts it)");
		if (c->hint[0])
			printf("  fix:        %s\n", c->hint);
	}
	if (!v->accepted) {
		printf("Kong logs:    %s\n", v->reason);
		if (v->error)
			printf("              (error %d at depth %d: %s)\n", v->error, v->error_depth,
			       v->error_depth >= 0 && v->error_depth < sk_X509_num(v->path)
				       ? subject_of(sk_X509_value(v->path, v->error_depth), name, sizeof(name))
				       : "");
		if (strcmp(v->nginx_reason, v->reason))
			printf("plain nginx:  %s\n"
			       "              (nginx with proxy_ssl_verify on continues and logs the last error; Kong stops at the first, above)\n",
			       v->nginx_reason);
	} else if (in->n_rejected_cas) {
		printf("chain:        verifies with the valid CA files alone\n");
	}
	depth_text(v, line, sizeof(line));
	printf("depth:        %s\n", line);
	hostname_text(in, v, line, sizeof(line));
	printf("hostname:     %s\n", line);
	if (sk_X509_num(in->trusted) == 0)
		printf("trust store:  empty (as Kong's with tls-verify on and no CA certificates)\n");
	else
		printf("trust store:  %d CA certificate%s\n", sk_X509_num(in->trusted),
		       sk_X509_num(in->trusted) == 1 ? "" : "s");
	for (i = 0; i < in->n_cas; i++)
		if (in->cas[i].obj.accepted)
			printf("  %s: %s\n", in->cas[i].source, subject_of(in->cas[i].obj.cert, name, sizeof(name)));
	printf("served:       %d certificate%s from '%s'\n", sk_X509_num(in->served),
	       sk_X509_num(in->served) == 1 ? "" : "s", in->served_from);
	served_details(in, "  ");
	printf("path built:   %d certificate%s%s\n", sk_X509_num(v->path), sk_X509_num(v->path) == 1 ? "" : "s",
	       v->path_trusted ? ", up to a trust anchor" : " (incomplete: no trust anchor reached)");
	for (i = 0; i < sk_X509_num(v->path); i++)
		printf("  [%d] %s%s\n", i, subject_of(sk_X509_value(v->path, i), name, sizeof(name)),
		       i == sk_X509_num(v->path) - 1 && v->path_trusted ? "  (trust anchor)" : "");
}

static cJSON *names_json(STACK_OF(X509) *certs, int anchor_last)
{
	cJSON *arr = cJSON_CreateArray();
	char name[512];
	int i;

	for (i = 0; arr && i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(arr, o))
			break;
		pki_name_oneline(X509_get_subject_name(x), name, sizeof(name));
		cJSON_AddStringToObject(o, "subject", name);
		pki_name_oneline(X509_get_issuer_name(x), name, sizeof(name));
		cJSON_AddStringToObject(o, "issuer", name);
		if (anchor_last >= 0)
			cJSON_AddBoolToObject(o, "trust_anchor", anchor_last && i == sk_X509_num(certs) - 1);
	}
	return arr;
}

static cJSON *build_json(const struct verify_input *in, const struct pki_verdict *v, int accepted)
{
	cJSON *root = cJSON_CreateObject(), *o, *arr;
	char text[600], name[512];
	int i;

	if (!root)
		return NULL;
	cJSON_AddStringToObject(root, "verdict", accepted ? "accept" : "reject");
	cJSON_AddBoolToObject(root, "accepted", accepted);

	o = cJSON_AddObjectToObject(root, "kong");
	cJSON_AddBoolToObject(o, "chain_accepted", v->accepted);
	cJSON_AddStringToObject(o, "log", v->reason);
	cJSON_AddNumberToObject(o, "error", v->error);
	cJSON_AddNumberToObject(o, "error_depth", v->error_depth);
	if (v->error)
		cJSON_AddStringToObject(o, "error_text", X509_verify_cert_error_string(v->error));
	cJSON_AddBoolToObject(o, "hostname_mismatch", v->hostname_mismatch);

	o = cJSON_AddObjectToObject(root, "plain_nginx");
	cJSON_AddStringToObject(o, "log", v->nginx_reason);
	cJSON_AddNumberToObject(o, "error", v->nginx_error);
	arr = cJSON_AddArrayToObject(o, "errors");
	for (i = 0; i < v->n_errors && i < PKI_MAX_ERRORS; i++) {
		cJSON *e = cJSON_CreateObject();

		if (!e || !cJSON_AddItemToArray(arr, e))
			break;
		cJSON_AddNumberToObject(e, "error", v->all_errors[i]);
		cJSON_AddNumberToObject(e, "depth", v->all_depths[i]);
		cJSON_AddStringToObject(e, "text", X509_verify_cert_error_string(v->all_errors[i]));
	}

	o = cJSON_AddObjectToObject(root, "depth");
	cJSON_AddBoolToObject(o, "set", v->depth_set);
	cJSON_AddNumberToObject(o, "limit", v->depth_limit);
	depth_text(v, text, sizeof(text));
	cJSON_AddStringToObject(o, "note", text);

	o = cJSON_AddObjectToObject(root, "hostname");
	if (in->hostname)
		cJSON_AddStringToObject(o, "name", in->hostname);
	else
		cJSON_AddNullToObject(o, "name");
	cJSON_AddBoolToObject(o, "checked", in->hostname && !v->error);
	cJSON_AddBoolToObject(o, "matched", in->hostname && !v->error && !v->hostname_mismatch);

	arr = cJSON_AddArrayToObject(root, "ca_files");
	for (i = 0; i < in->n_cas; i++) {
		const struct pki_caobj *c = &in->cas[i].obj;
		cJSON *e = cJSON_CreateObject();

		if (!e || !cJSON_AddItemToArray(arr, e))
			break;
		cJSON_AddStringToObject(e, "source", in->cas[i].source);
		cJSON_AddBoolToObject(e, "accepted", c->accepted);
		if (c->cert)
			cJSON_AddStringToObject(e, "subject", subject_of(c->cert, name, sizeof(name)));
		cJSON_AddStringToObject(e, "kong_message", c->kong_msg);
		cJSON_AddStringToObject(e, "kic_message", c->kic_msg);
		cJSON_AddStringToObject(e, "hint", c->hint);
		cJSON_AddStringToObject(e, "cert_digest", c->digest);
		cJSON_AddBoolToObject(e, "not_yet_valid", c->not_yet_valid);
	}
	cJSON_AddStringToObject(root, "served_from", in->served_from);
	cJSON_AddItemToObject(root, "served", names_json(in->served, -1));
	cJSON_AddItemToObject(root, "path", names_json(v->path, v->path_trusted));
	return root;
}

static int print_json(cJSON *root)
{
	char *out = root ? cJSON_Print(root) : NULL;

	cJSON_Delete(root);
	if (!out)
		return -1;
	printf("%s\n", out);
	cJSON_free(out);
	return 0;
}

static int report_json(const struct verify_input *in, const struct pki_verdict *v, int accepted)
{
	return print_json(build_json(in, v, accepted));
}

/* ---- the command ------------------------------------------------------------------ */

static const char *service_arg(const char *arg)
{
	static const char *const prefixes[] = { "svc/", "service/", "services/" };
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = strlen(prefixes[i]);
		if (!strncmp(arg, prefixes[i], n) && arg[n] && !strchr(arg + n, '/'))
			return arg + n;
	}
	return NULL;
}

static int parse_opts(int argc, char **argv, struct verify_opts *o)
{
	const char *arg, *name;
	long v;
	int c, r;

	memset(o, 0, sizeof(*o));
	o->depth = -1;
	o->timeout_ms = 10000;
	o->warn_days = 30;
	while ((c = kt_opt_next(&kt_cmd_verify, argc, argv, &arg)) != -1) {
		r = kt_cluster_opt(&kt_cmd_verify, c, arg, &o->co);
		if (r < 0)
			return KT_EXIT_USAGE;
		if (r > 0)
			continue;
		switch (c) {
		case KT_OPT_HELP:
			kt_help(&kt_cmd_verify, stdout);
			return KT_EXIT_OK;
		case OPT_CHAIN:
			if (o->chain)
				return usagef(&kt_cmd_verify, "--chain given twice ('%s', '%s')", o->chain, arg);
			o->chain = arg;
			break;
		case OPT_CA_FILE:
			if (o->n_ca_files == MAX_CA_FILES)
				return usagef(&kt_cmd_verify, "too many --ca-file flags (at most %d)", MAX_CA_FILES);
			o->ca_files[o->n_ca_files++] = arg;
			break;
		case OPT_HOSTNAME:
			if (!*arg)
				return usagef(&kt_cmd_verify, "--hostname needs a non-empty name");
			o->hostname = arg;
			break;
		case OPT_DEPTH:
			if (kt_opt_int(&kt_cmd_verify, "depth", arg, 0, PKI_MAX_DEPTH, &v))
				return KT_EXIT_USAGE;
			o->depth = (int)v;
			break;
		case OPT_ADDRESS:
			if (o->address)
				return usagef(&kt_cmd_verify, "--address given twice ('%s', '%s')", o->address, arg);
			o->address = arg;
			break;
		case OPT_TIMEOUT:
			if (kt_opt_duration(&kt_cmd_verify, "timeout", arg, &o->timeout_ms))
				return KT_EXIT_USAGE;
			if (o->timeout_ms <= 0)
				return usagef(&kt_cmd_verify, "--timeout must be more than 0");
			break;
		case OPT_HOST:
			if (!*arg)
				return usagef(&kt_cmd_verify, "--host needs a non-empty name");
			o->host = arg;
			break;
		case OPT_PORT_FORWARD:
			o->port_forward = 1;
			break;
		case OPT_PROXY:
			o->proxy = arg;
			break;
		case OPT_PATH:
			o->path = arg;
			break;
		case OPT_EXPECT_BODY:
			o->expect_body = arg;
			break;
		case OPT_WARN_DAYS:
			if (kt_opt_int(&kt_cmd_verify, "warn-days", arg, 0, 36500, &o->warn_days))
				return KT_EXIT_USAGE;
			break;
		case OPT_OUTPUT:
			if (strcmp(arg, "json"))
				return usagef(&kt_cmd_verify, "unknown output format '%s': expected json", arg);
			o->json = 1;
			break;
		case KT_OPT_ARG:
			name = service_arg(arg);
			if (!name)
				return usagef(&kt_cmd_verify, "unexpected argument '%s'", arg);
			if (o->service)
				return usagef(&kt_cmd_verify, "one Service at a time ('%s', then '%s')", o->service, arg);
			o->service = name;
			break;
		default:
			return KT_EXIT_USAGE;
		}
	}
	if (o->service) {
		if (o->chain || o->n_ca_files || o->hostname || o->depth >= 0)
			return usagef(&kt_cmd_verify, "svc/%s reads the CA objects, depth and hostname from the cluster: "
				      "drop --chain, --ca-file, --hostname and --depth (use --host for the client's Host)", o->service);
		if (o->address && o->port_forward)
			return usagef(&kt_cmd_verify, "--address and --port-forward both say where the upstream is: pick one");
	} else {
		if (o->port_forward || o->proxy || o->host)
			return usagef(&kt_cmd_verify, "--%s needs svc/NAME", o->port_forward ? "port-forward" : o->proxy ? "proxy" : "host");
		if (o->chain && o->address)
			return usagef(&kt_cmd_verify, "--chain and --address both give the served chain: pick one");
		if (!o->chain && !o->address)
			return usagef(&kt_cmd_verify, "missing --chain FILE (the certificates the upstream serves, leaf first), "
				      "--address HOST:PORT or svc/NAME");
	}
	if ((o->path || o->expect_body) && !o->proxy)
		return usagef(&kt_cmd_verify, "--%s needs --proxy URL", o->path ? "path" : "expect-body");
	return -1;  /* go on */
}

/* ---- svc/NAME: the cluster, the live handshake, the proxy -------------------------------- */

/* Check 5's line from the verdict, in Kong's words. */
static int handshake_check(struct k8s_checks *cs, const struct verify_input *in, const struct pki_verdict *v,
			   const struct k8s_svc_plan *plan, int accepted)
{
	char hint[512] = "";

	if (accepted) {
		return k8s_checks_add(cs, K8S_STEP_HANDSHAKE, K8S_CHECK_PASS, "handshake", NULL,
				      "Kong would accept the chain served by %s: it verifies up to a trust anchor%s%s%s",
				      in->served_from, plan->hostname[0] ? " and matches '" : "",
				      plan->hostname, plan->hostname[0] ? "'" : " (hostname not checked: unknown)");
	}
	if (v->hostname_mismatch)
		snprintf(hint, sizeof(hint), "serve a certificate with a SAN for '%s', or send a Host that is one", in->hostname);
	else if (v->error == 20 && sk_X509_num(in->trusted) == 0)
		snprintf(hint, sizeof(hint), "attach the CA object holding the root: kubectl kong-tls attach svc/NAME --ca NAME");
	else if (v->error == 20 || v->error == 2 || v->error == 19)
		snprintf(hint, sizeof(hint), "the CA objects must hold the root that issued the served chain (an intermediate alone is not enough)");
	else if (v->error == 22)
		snprintf(hint, sizeof(hint), "raise konghq.com/tls-verify-depth to the number of intermediates the upstream serves");
	else if (v->error == 21)
		snprintf(hint, sizeof(hint), "serve the intermediates after the leaf (chain.crt), not the leaf alone");
	else if (v->error == 10 || v->error == 9)
		snprintf(hint, sizeof(hint), "reissue the certificate at depth %d with a validity that includes now", v->error_depth);
	if (!v->accepted)
		return k8s_checks_add(cs, K8S_STEP_HANDSHAKE, K8S_CHECK_FAIL, "handshake", hint,
				      "Kong would reject %s: %s%s%s", in->served_from, v->reason,
				      strcmp(v->nginx_reason, v->reason) ? " (a plain nginx logs " : "",
				      strcmp(v->nginx_reason, v->reason) ? v->nginx_reason + strlen("upstream SSL certificate ") : "");
	return k8s_checks_add(cs, K8S_STEP_HANDSHAKE, K8S_CHECK_FAIL, "handshake",
			      "fix the CA objects listed above", "the chain verifies, but Kong refuses a CA object listed on the Service");
}

static int proxy_check(struct k8s_checks *cs, const struct verify_opts *o, const struct kt_proxy_result *r)
{
	char body[160];
	size_t i;

	snprintf(body, sizeof(body), "%.159s", r->body);
	for (i = 0; body[i]; i++)
		if (body[i] == '\n' || body[i] == '\r')
			body[i] = ' ';
	if (r->kong_502)
		return k8s_checks_add(cs, K8S_STEP_PROXY, K8S_CHECK_FAIL, "proxy",
				      "look up the request_id in Kong's error log: the 'upstream SSL certificate' line there says why",
				      "GET %s answered 502 '%s'%s%s: Kong failed the upstream handshake", r->url, KT_KONG_502_BODY,
				      r->request_id[0] ? ", request_id " : "", r->request_id);
	if (r->status == 200 && o->expect_body && !strstr(r->body, o->expect_body))
		return k8s_checks_add(cs, K8S_STEP_PROXY, K8S_CHECK_FAIL, "proxy", "check --path and the route in front of the Service",
				      "GET %s answered 200 but the body lacks '%s': '%.100s'", r->url, o->expect_body, body);
	if (r->status == 200)
		return k8s_checks_add(cs, K8S_STEP_PROXY, K8S_CHECK_PASS, "proxy", NULL, "GET %s answered 200%s%s%s", r->url,
				      o->expect_body ? " with '" : "", o->expect_body ? o->expect_body : "",
				      o->expect_body ? "'" : "");
	return k8s_checks_add(cs, K8S_STEP_PROXY, r->status >= 400 ? K8S_CHECK_FAIL : K8S_CHECK_WARN, "proxy",
			      r->status == 404 ? "no route matched: check --host and --path against the Ingress/HTTPRoute" : NULL,
			      "GET %s answered %ld: '%.100s'", r->url, r->status, body);
}

static const char *status_colour(enum k8s_check_status st)
{
	switch (st) {
	case K8S_CHECK_PASS: return "\033[32m";
	case K8S_CHECK_WARN: return "\033[33m";
	case K8S_CHECK_FAIL: return "\033[31m";
	default: return "\033[2m";
	}
}

static void report_checks_text(const char *ns, const char *name, const struct k8s_checks *cs,
			       const struct verify_input *in, int accepted)
{
	int colour = kt_color(stdout), i;
	enum k8s_check_step step = 0;

	printf("verify svc/%s -n %s\n", name, ns);
	for (i = 0; i < cs->n; i++) {
		const struct k8s_check *c = &cs->v[i];

		if (c->step != step) {
			step = c->step;
			printf("%d %s\n", step, k8s_check_step_name(step));
		}
		printf("  %s%-4s%s  %s: %s\n", colour ? status_colour(c->status) : "", k8s_check_status_name(c->status),
		       colour ? "\033[0m" : "", c->name, c->msg);
		if (c->hint[0] && (c->status == K8S_CHECK_FAIL || c->status == K8S_CHECK_WARN || c->status == K8S_CHECK_INFO))
			printf("        fix: %s\n", c->hint);
		if (c->step == K8S_STEP_HANDSHAKE && in && in->served)
			served_details(in, "        served ");
	}
	printf("verdict: %s\n", accepted ? "Kong would accept this upstream" : "Kong would NOT accept this upstream (see the failed checks)");
}

static cJSON *checks_json(const struct k8s_checks *cs)
{
	cJSON *arr = cJSON_CreateArray();
	int i;

	for (i = 0; arr && i < cs->n; i++) {
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(arr, o)) {
			cJSON_Delete(o);
			break;
		}
		cJSON_AddNumberToObject(o, "step", cs->v[i].step);
		cJSON_AddStringToObject(o, "section", k8s_check_step_name(cs->v[i].step));
		cJSON_AddStringToObject(o, "name", cs->v[i].name);
		cJSON_AddStringToObject(o, "status", k8s_check_status_name(cs->v[i].status));
		cJSON_AddStringToObject(o, "message", cs->v[i].msg);
		cJSON_AddStringToObject(o, "hint", cs->v[i].hint);
	}
	return arr;
}

static int verify_service(const struct verify_opts *o)
{
	struct kt_kube kube = { 0 };
	struct k8s_svc_objects objs;
	struct k8s_svc_plan plan;
	struct k8s_checks cs = { 0 };
	struct k8s_svc_judge_opts jo;
	struct verify_input in;
	struct pki_verdict verdict;
	struct kt_port_forward pf = { 0, -1, -1, "" };
	struct kt_proxy_result *pr = NULL;
	struct prefetch *live = NULL;
	struct kt_err err = KT_ERR_INIT, nerr = KT_ERR_INIT;
	const char *ns, *address = o->address;
	int rc = KT_EXIT_INTERNAL, judged = 0, accepted, i, net_failed = 0, failed, live_rc;
	cJSON *root = NULL;

	memset(&objs, 0, sizeof(objs));
	memset(&plan, 0, sizeof(plan));
	memset(&in, 0, sizeof(in));
	memset(&verdict, 0, sizeof(verdict));
	/* after the cluster set-up: libcurl's global init must not run beside another thread */
	rc = kt_kube_open(&o->co, &kube);
	if (rc)
		return rc;
	if (o->host)
		live = prefetch_start(o, NULL);
	ns = kube.ns;
	if (k8s_svc_fetch_service(kube.client, ns, o->service, &objs, &err))
		goto fail;
	if (!live && objs.service)
		live = prefetch_start(o, objs.service);
	if (objs.service && k8s_svc_fetch_related(kube.client, ns, o->service, &objs, &err))
		goto fail;
	memset(&jo, 0, sizeof(jo));
	jo.ns = ns;
	jo.name = o->service;
	jo.client_host = o->host;
	jo.warn_days = (int)o->warn_days;
	if (k8s_svc_judge(&objs, &jo, &cs, &plan, &err))
		goto fail;

	in.trusted = sk_X509_new_null();
	if (!in.trusted) {
		kt_err_set(&err, KT_E_INTERNAL, "out of memory");
		goto fail;
	}
	in.depth = plan.depth;
	in.hostname = plan.hostname[0] ? plan.hostname : NULL;
	for (i = 0; i < plan.n_cas; i++)
		if (adopt_ca(&in, plan.cas[i].source, &plan.cas[i].obj, &err))
			goto fail;

	/* 5. the live handshake */
	if (plan.configured && o->port_forward) {
		if (!plan.first_port) {
			k8s_checks_add(&cs, K8S_STEP_HANDSHAKE, K8S_CHECK_FAIL, "handshake", "give the Service a port",
				       "Service %s/%s has no port to forward to", ns, o->service);
		} else if (kt_port_forward_start(&o->co, ns, o->service, plan.first_port, o->timeout_ms, &pf, &nerr)) {
			k8s_checks_add(&cs, K8S_STEP_HANDSHAKE, K8S_CHECK_FAIL, "handshake", nerr.hint, "%s", nerr.msg);
			net_failed = 1;
		} else {
			address = pf.address;
		}
	}
	if (plan.configured && address) {
		kt_err_clear(&nerr);
		if (!prefetch_take(live, address, in.hostname, &in, &live_rc, &nerr))
			live_rc = gather_live(address, in.hostname, o->timeout_ms, &in, &nerr);
		live = NULL;
		if (live_rc) {
			if (nerr.code == KT_E_USAGE) {
				err = nerr;
				goto fail;
			}
			k8s_checks_add(&cs, K8S_STEP_HANDSHAKE, K8S_CHECK_FAIL, "handshake", nerr.hint, "%s", nerr.msg);
			net_failed = 1;
		} else {
			if (o->port_forward) {
				char via[600];
				snprintf(via, sizeof(via), "svc/%s:%d via port-forward %s", o->service, plan.first_port,
					 in.served_from);
				snprintf(in.served_from, sizeof(in.served_from), "%.511s", via);
			}
			if (pki_judge(in.trusted, in.served, in.depth, in.hostname, 0, &verdict, &err))
				goto fail;
			judged = 1;
			if (handshake_check(&cs, &in, &verdict, &plan, kong_accepts(&in, &verdict)))
				goto oom;
		}
	} else if (plan.configured) {
		k8s_checks_add(&cs, K8S_STEP_HANDSHAKE, K8S_CHECK_SKIP, "handshake",
			       "add --port-forward, or --address HOST:PORT of the upstream", "live handshake not checked");
	}
	kt_port_forward_stop(&pf);
	prefetch_drop(live);
	live = NULL;

	/* 6. through the proxy */
	if (plan.configured && o->proxy) {
		pr = calloc(1, sizeof(*pr));
		if (!pr)
			goto oom;
		kt_err_clear(&nerr);
		if (kt_proxy_probe(o->proxy, o->host ? o->host : (plan.hostname[0] ? plan.hostname : NULL), o->path,
				   o->timeout_ms, pr, &nerr)) {
			if (nerr.code == KT_E_USAGE) {
				err = nerr;
				goto fail;
			}
			k8s_checks_add(&cs, K8S_STEP_PROXY, K8S_CHECK_FAIL, "proxy", nerr.hint, "%s", nerr.msg);
			net_failed = 1;
		} else if (proxy_check(&cs, o, pr)) {
			goto oom;
		}
	}

	failed = k8s_checks_failed(&cs);
	accepted = failed == 0;
	if (o->json) {
		root = cJSON_CreateObject();
		if (!root)
			goto oom;
		cJSON_AddStringToObject(root, "service", o->service);
		cJSON_AddStringToObject(root, "namespace", ns);
		cJSON_AddStringToObject(root, "verdict", accepted ? "accept" : "reject");
		cJSON_AddBoolToObject(root, "accepted", accepted);
		cJSON_AddItemToObject(root, "checks", checks_json(&cs));
		if (plan.hostname[0])
			cJSON_AddStringToObject(root, "hostname", plan.hostname);
		else
			cJSON_AddNullToObject(root, "hostname");
		cJSON_AddNumberToObject(root, "depth", plan.depth);
		cJSON_AddItemToObject(root, "handshake", judged ? build_json(&in, &verdict, kong_accepts(&in, &verdict))
							       : cJSON_CreateNull());
		if (pr && pr->status) {
			cJSON *p = cJSON_AddObjectToObject(root, "proxy");
			cJSON_AddStringToObject(p, "url", pr->url);
			cJSON_AddNumberToObject(p, "status", (double)pr->status);
			cJSON_AddBoolToObject(p, "kong_502", pr->kong_502);
			cJSON_AddStringToObject(p, "request_id", pr->request_id);
		} else {
			cJSON_AddNullToObject(root, "proxy");
		}
		cJSON_AddNumberToObject(root, "api_requests", objs.requests);
		if (print_json(root))
			goto oom;
		root = NULL;
	} else {
		report_checks_text(ns, o->service, &cs, judged ? &in : NULL, accepted);
	}
	/* a network failure alone (nothing else failed) is exit 6: we could not find out */
	rc = accepted ? KT_EXIT_OK : (net_failed && failed == 1) ? KT_EXIT_TLS : KT_EXIT_REJECT;
	goto out;
oom:
	kt_err_set(&err, KT_E_INTERNAL, "out of memory");
fail:
	kt_port_forward_stop(&pf);
	prefetch_drop(live);
	rc = kt_fail(&err);
out:
	cJSON_Delete(root);
	free(pr);
	pki_verdict_release(&verdict);
	input_release(&in);
	k8s_checks_release(&cs);
	k8s_svc_plan_release(&plan);
	k8s_svc_objects_release(&objs);
	kt_kube_close(&kube);
	return rc;
}

static int cmd_verify(int argc, char **argv)
{
	struct verify_opts opts;
	struct verify_input in;
	struct pki_verdict verdict;
	struct kt_err err = KT_ERR_INIT;
	int rc, accepted, i;

	rc = parse_opts(argc, argv, &opts);
	if (rc >= 0)
		return rc;
	if (opts.service)
		return verify_service(&opts);
	memset(&in, 0, sizeof(in));
	memset(&verdict, 0, sizeof(verdict));
	in.depth = opts.depth;
	in.hostname = opts.hostname;
	in.trusted = sk_X509_new_null();
	if (!in.trusted) {
		kt_err_set(&err, KT_E_INTERNAL, "out of memory");
		goto fail;
	}
	if (opts.address ? gather_live(opts.address, opts.hostname, opts.timeout_ms, &in, &err)
			 : gather_offline(&opts, &in, &err))
		goto fail;
	if (gather_cas(&opts, &in, &err))
		goto fail;
	if (pki_judge(in.trusted, in.served, in.depth, in.hostname, in.at, &verdict, &err))
		goto fail;

	accepted = kong_accepts(&in, &verdict);
	for (i = 0; i < in.n_cas; i++) {
		const struct pki_caobj *c = &in.cas[i].obj;

		if (!c->accepted) {
			errorf("CA file '%s' is not a valid CA object: %s (KIC: %s)", in.cas[i].source,
			       c->kong_msg[0] ? c->kong_msg : "Kong accepts it", c->kic_msg[0] ? c->kic_msg : "accepts it");
			hintf("%s", c->hint);
		} else if (c->not_yet_valid)
			warnf("CA file '%s' is not valid yet: Kong and KIC accept it, but TLS fails with error 9 until %s",
			      in.cas[i].source, "its Not Before time");
	}
	for (i = 0; i < in.n_cas; i++) {
		int j;

		for (j = i + 1; j < in.n_cas; j++)
			if (in.cas[i].obj.cert && in.cas[j].obj.cert &&
			    !strcmp(in.cas[i].obj.digest, in.cas[j].obj.digest))
				warnf("CA files '%s' and '%s' hold the same certificate: Kong's cert_digest is unique, "
				      "so a second CA object with it is refused; create one object and reference it",
				      in.cas[i].source, in.cas[j].source);
	}
	if (opts.json) {
		if (report_json(&in, &verdict, accepted)) {
			kt_err_set(&err, KT_E_INTERNAL, "out of memory building the JSON report");
			goto fail;
		}
	} else {
		report_text(&in, &verdict, accepted);
	}
	pki_verdict_release(&verdict);
	input_release(&in);
	return accepted ? KT_EXIT_OK : KT_EXIT_REJECT;
fail:
	pki_verdict_release(&verdict);
	input_release(&in);
	return kt_fail(&err);
}
