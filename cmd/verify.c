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
 * Exit codes: 0 Kong would accept; 1 Kong would reject (chain, hostname, or a CA
 * file Kong/KIC refuses as a CA object); 2 usage; 3 a file cannot be read;
 * 4 a file is not PEM certificates; 8 a file does not exist; 70 internal.
 */
#include "cmd/cmd.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pki/caobj.h"
#include "pki/inspect.h"
#include "pki/load.h"
#include "pki/verify.h"

enum {
	OPT_CHAIN = KT_OPT_FIRST,
	OPT_CA_FILE,
	OPT_HOSTNAME,
	OPT_DEPTH,
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
	KT_OPTS_OUTPUT("json"),
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_verify(int argc, char **argv);

const struct kt_cmd kt_cmd_verify = {
	.name = "verify",
	.fn = cmd_verify,
	.opts = verify_opts,
	.usage = "verify --chain FILE [--ca-file FILE]... [--hostname NAME] [--depth N] [-o json]",
	.summary = "predict whether Kong accepts an upstream's certificate chain",
	.description =
		"Judges the chain exactly as Kong's nginx/OpenSSL data plane does with tls-verify on:\n"
		"the CA files are the trust store, the chain file is what the upstream serves, --depth\n"
		"is tls-verify-depth and --hostname the name nginx checks after the chain verified.\n"
		"Prints the verdict, the path OpenSSL built and, on rejection, the line Kong logs: the\n"
		"FIRST error OpenSSL raises. A plain nginx with proxy_ssl_verify on continues and logs\n"
		"the last one; when that differs it is shown too, labelled. Each CA file must also pass\n"
		"Kong's and KIC's CA-object rules (one certificate, CA:TRUE, not expired).\n\n"
		"Exit codes: 0 Kong would accept, 1 Kong would reject, 2 usage error, 3 a file cannot\n"
		"be read, 4 a file is not PEM certificates, 8 a file does not exist.",
	.examples =
		"  kubectl kong-tls verify --chain certs/chain.crt --ca-file certs/root.crt --hostname kong.example\n"
		"  kubectl kong-tls verify --chain certs/chain.crt --ca-file certs/root.crt --depth 0\n"
		"  kubectl kong-tls verify --chain chain.pem --ca-file a.crt --ca-file b.crt -o json",
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

static void input_release(struct verify_input *in)
{
	int i;

	sk_X509_pop_free(in->trusted, X509_free);
	sk_X509_pop_free(in->served, X509_free);
	for (i = 0; i < in->n_cas; i++)
		pki_caobj_release(&in->cas[i].obj);
	memset(in, 0, sizeof(*in));
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
	struct verify_ca *ca;
	int rc;

	if (in->n_cas == MAX_CA_FILES)
		return kt_err_set(err, KT_E_USAGE, "too many CA certificates (at most %d)", MAX_CA_FILES);
	rc = pki_load_certs_mem(data, len, source, &certs, err);
	if (rc)
		return rc;
	sk_X509_pop_free(certs, X509_free);
	ca = &in->cas[in->n_cas];
	snprintf(ca->source, sizeof(ca->source), "%s", source);
	rc = pki_caobj_check(data, len, in->at, &ca->obj, err);
	if (rc)
		return rc;
	in->n_cas++;
	if (!ca->obj.accepted) {
		in->n_rejected_cas++;
		return KT_OK;
	}
	if (!X509_up_ref(ca->obj.cert))
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	if (!sk_X509_push(in->trusted, ca->obj.cert)) {
		X509_free(ca->obj.cert);  /* drops the reference just taken */
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	}
	return KT_OK;
}

static int gather_offline(const struct verify_opts *o, struct verify_input *in, struct kt_err *err)
{
	int i, rc;

	rc = pki_load_certs_file(o->chain, &in->served, err);
	if (rc)
		return rc;
	snprintf(in->served_from, sizeof(in->served_from), "%s", pki_load_display_name(o->chain));
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
	for (i = 0; i < sk_X509_num(in->served); i++)
		printf("  [%d] %s\n", i, subject_of(sk_X509_value(in->served, i), name, sizeof(name)));
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

static int report_json(const struct verify_input *in, const struct pki_verdict *v, int accepted)
{
	cJSON *root = cJSON_CreateObject(), *o, *arr;
	char text[600], name[512];
	char *out;
	int i;

	if (!root)
		return -1;
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

	out = cJSON_Print(root);
	cJSON_Delete(root);
	if (!out)
		return -1;
	printf("%s\n", out);
	cJSON_free(out);
	return 0;
}

/* ---- the command ------------------------------------------------------------------ */

static int parse_opts(int argc, char **argv, struct verify_opts *o)
{
	const char *arg;
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->depth = -1;
	while ((c = kt_opt_next(&kt_cmd_verify, argc, argv, &arg)) != -1) {
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
		case OPT_OUTPUT:
			if (strcmp(arg, "json"))
				return usagef(&kt_cmd_verify, "unknown output format '%s': expected json", arg);
			o->json = 1;
			break;
		case KT_OPT_ARG:
			return usagef(&kt_cmd_verify, "unexpected argument '%s'", arg);
		default:
			return KT_EXIT_USAGE;
		}
	}
	if (!o->chain)
		return usagef(&kt_cmd_verify, "missing --chain FILE (the certificates the upstream serves, leaf first)");
	return -1;  /* go on */
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
	memset(&in, 0, sizeof(in));
	memset(&verdict, 0, sizeof(verdict));
	in.depth = opts.depth;
	in.hostname = opts.hostname;
	in.trusted = sk_X509_new_null();
	if (!in.trusted) {
		kt_err_set(&err, KT_E_INTERNAL, "out of memory");
		goto fail;
	}
	if (gather_offline(&opts, &in, &err))
		goto fail;
	if (pki_judge(in.trusted, in.served, in.depth, in.hostname, in.at, &verdict, &err))
		goto fail;

	accepted = verdict.accepted && in.n_rejected_cas == 0;
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
