/*
 * inspect: show the certificates in PEM files, and whether a file's certificates
 * form a chain in order (each issued by the next), as text or JSON.
 *
 * Every file is read and described before anything is printed, so a bad file
 * gives one error line and no partial report.
 * Exit codes: 0 ok; 2 usage; 3 a file cannot be read; 4 a file is not PEM
 * certificates; 8 a file does not exist; 70 internal.
 */
#include "cmd/cmd.h"

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pki/inspect.h"
#include "pki/load.h"

enum { OPT_OUTPUT = KT_OPT_OUTPUT };

static const struct kt_opt inspect_opts[] = {
	KT_OPTS_OUTPUT("json"),
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_inspect(int argc, char **argv);

const struct kt_cmd kt_cmd_inspect = {
	.name = "inspect",
	.fn = cmd_inspect,
	.opts = inspect_opts,
	.usage = "inspect FILE... | - [-o json]",
	.summary = "show the certificates in PEM files",
	.description =
		"For each certificate: subject, issuer, SANs, validity with days left (expired and not\n"
		"yet valid are flagged), key type and size, CA and pathlen, key usages, extended key\n"
		"usages, serial and SHA-256 fingerprint. For a file with several certificates, whether\n"
		"they form a chain in order, each issued by the next, as an upstream must serve it.\n"
		"'-' reads standard input.\n\n"
		"Exit codes: 0 ok, 2 usage error, 3 a file cannot be read, 4 a file is not PEM\n"
		"certificates, 8 a file does not exist.",
	.examples =
		"  kubectl kong-tls inspect certs/chain.crt\n"
		"  kubectl kong-tls inspect certs/root.crt certs/leaf.crt -o json\n"
		"  kubectl get secret root-ca -o jsonpath='{.data.ca\\.crt}' | base64 -d | kubectl kong-tls inspect -",
	.args = KT_COMP_FILE,
};

struct inspected_file {
	const char *name;
	struct pki_inspect info;
};

static void join(const struct pki_strlist *l, char *buf, size_t size, const char *none)
{
	size_t off = 0;
	int i;

	buf[0] = '\0';
	if (l->n == 0) {
		snprintf(buf, size, "%s", none);
		return;
	}
	for (i = 0; i < l->n && off < size; i++) {
		int w = snprintf(buf + off, size - off, "%s%s", i ? ", " : "", l->v[i]);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static void validity_text(const struct pki_cert_info *c, char *buf, size_t size)
{
	if (c->expired)
		snprintf(buf, size, "%s to %s  EXPIRED %ld day%s ago", c->not_before_s, c->not_after_s,
			 -c->days_left, c->days_left == -1 ? "" : "s");
	else if (c->not_yet_valid)
		snprintf(buf, size, "%s to %s  NOT YET VALID (TLS fails with error 9 until then)", c->not_before_s,
			 c->not_after_s);
	else
		snprintf(buf, size, "%s to %s  (%ld day%s left)", c->not_before_s, c->not_after_s, c->days_left,
			 c->days_left == 1 ? "" : "s");
}

static void ca_text(const struct pki_cert_info *c, char *buf, size_t size)
{
	if (!c->has_bc)
		snprintf(buf, size, "no (no basicConstraints%s)", c->version == 1 ? ": X.509 v1" : "");
	else if (!c->is_ca)
		snprintf(buf, size, "no (CA:FALSE%s)", c->bc_critical ? ", critical" : "");
	else if (c->pathlen >= 0)
		snprintf(buf, size, "yes, pathlen %ld%s", c->pathlen, c->bc_critical ? " (critical)" : "");
	else
		snprintf(buf, size, "yes, no pathlen%s", c->bc_critical ? " (critical)" : "");
}

static void key_text(const struct pki_cert_info *c, char *buf, size_t size)
{
	if (c->key_curve[0])
		snprintf(buf, size, "%s %d bits (%s)", c->key_type, c->key_bits, c->key_curve);
	else
		snprintf(buf, size, "%s %d bits", c->key_type, c->key_bits);
}

static void print_text(const struct inspected_file *files, int n)
{
	char buf[2048];
	int f, i;

	for (f = 0; f < n; f++) {
		const struct pki_inspect *in = &files[f].info;

		if (f)
			putchar('\n');
		printf("%s: %d certificate%s", files[f].name, in->n, in->n == 1 ? "" : "s");
		if (in->n > 1 && in->chain_in_order)
			printf(", a chain in order (each issued by the next)\n");
		else if (in->n > 1)
			printf(", NOT a chain in order: [%d] is not issued by [%d]\n", in->first_break, in->first_break + 1);
		else
			putchar('\n');
		for (i = 0; i < in->n; i++) {
			const struct pki_cert_info *c = &in->certs[i];

			printf("[%d] subject:   %s\n", i, c->subject);
			printf("    issuer:    %s%s\n", c->issuer, c->self_signed ? "  (self-signed)" : "");
			join(&c->sans, buf, sizeof(buf), "(none)");
			printf("    SANs:      %s\n", buf);
			validity_text(c, buf, sizeof(buf));
			printf("    validity:  %s\n", buf);
			key_text(c, buf, sizeof(buf));
			printf("    key:       %s, signed with %s\n", buf, c->sig_alg);
			ca_text(c, buf, sizeof(buf));
			printf("    CA:        %s\n", buf);
			join(&c->key_usage, buf, sizeof(buf), "(no keyUsage extension)");
			printf("    key usage: %s%s\n", buf, c->ku_critical ? " (critical)" : "");
			join(&c->eku, buf, sizeof(buf), "(no extendedKeyUsage extension)");
			printf("    EKU:       %s\n", buf);
			printf("    serial:    %s\n", c->serial);
			printf("    SHA-256:   %s\n", c->sha256);
		}
	}
}

static cJSON *strlist_json(const struct pki_strlist *l)
{
	cJSON *arr = cJSON_CreateArray();
	int i;

	for (i = 0; arr && i < l->n; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(l->v[i]));
	return arr;
}

static cJSON *cert_json(const struct pki_cert_info *c, int index, int last)
{
	cJSON *o = cJSON_CreateObject(), *v;

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "index", index);
	cJSON_AddNumberToObject(o, "version", c->version);
	cJSON_AddStringToObject(o, "subject", c->subject);
	cJSON_AddStringToObject(o, "issuer", c->issuer);
	cJSON_AddBoolToObject(o, "self_signed", c->self_signed);
	cJSON_AddItemToObject(o, "sans", strlist_json(&c->sans));
	v = cJSON_AddObjectToObject(o, "validity");
	cJSON_AddStringToObject(v, "not_before", c->not_before_s);
	cJSON_AddStringToObject(v, "not_after", c->not_after_s);
	cJSON_AddNumberToObject(v, "days_left", (double)c->days_left);
	cJSON_AddBoolToObject(v, "expired", c->expired);
	cJSON_AddBoolToObject(v, "not_yet_valid", c->not_yet_valid);
	v = cJSON_AddObjectToObject(o, "key");
	cJSON_AddStringToObject(v, "type", c->key_type);
	cJSON_AddNumberToObject(v, "bits", c->key_bits);
	if (c->key_curve[0])
		cJSON_AddStringToObject(v, "curve", c->key_curve);
	cJSON_AddStringToObject(o, "signature_algorithm", c->sig_alg);
	v = cJSON_AddObjectToObject(o, "basic_constraints");
	cJSON_AddBoolToObject(v, "present", c->has_bc);
	cJSON_AddBoolToObject(v, "critical", c->bc_critical);
	cJSON_AddBoolToObject(v, "ca", c->is_ca);
	if (c->pathlen >= 0)
		cJSON_AddNumberToObject(v, "pathlen", c->pathlen);
	else
		cJSON_AddNullToObject(v, "pathlen");
	v = cJSON_AddObjectToObject(o, "key_usage");
	cJSON_AddBoolToObject(v, "present", c->has_ku);
	cJSON_AddBoolToObject(v, "critical", c->ku_critical);
	cJSON_AddItemToObject(v, "usages", strlist_json(&c->key_usage));
	if (c->has_eku)
		cJSON_AddItemToObject(o, "extended_key_usage", strlist_json(&c->eku));
	else
		cJSON_AddNullToObject(o, "extended_key_usage");
	cJSON_AddStringToObject(o, "serial", c->serial);
	cJSON_AddStringToObject(o, "sha256_fingerprint", c->sha256);
	if (!last)
		cJSON_AddBoolToObject(o, "issued_by_next", c->issued_by_next);
	return o;
}

static int print_json(const struct inspected_file *files, int n)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	char *text;
	int f, i;

	if (!root)
		return -1;
	arr = cJSON_AddArrayToObject(root, "files");
	for (f = 0; arr && f < n; f++) {
		const struct pki_inspect *in = &files[f].info;
		cJSON *o = cJSON_CreateObject(), *certs;

		if (!o || !cJSON_AddItemToArray(arr, o))
			break;
		cJSON_AddStringToObject(o, "file", files[f].name);
		cJSON_AddNumberToObject(o, "count", in->n);
		if (in->n > 1)
			cJSON_AddBoolToObject(o, "chain_in_order", in->chain_in_order);
		else
			cJSON_AddNullToObject(o, "chain_in_order");
		certs = cJSON_AddArrayToObject(o, "certificates");
		for (i = 0; certs && i < in->n; i++)
			cJSON_AddItemToArray(certs, cert_json(&in->certs[i], i, i == in->n - 1));
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return -1;
	printf("%s\n", text);
	cJSON_free(text);
	return 0;
}

static int cmd_inspect(int argc, char **argv)
{
	struct inspected_file *files = NULL;
	struct kt_err err = KT_ERR_INIT;
	const char *arg;
	const char **names = NULL;
	int c, i, n = 0, json = 0, rc = KT_EXIT_OK;

	names = calloc((size_t)argc + 1, sizeof(*names));
	if (!names) {
		errorf("out of memory");
		return KT_EXIT_INTERNAL;
	}
	while ((c = kt_opt_next(&kt_cmd_inspect, argc, argv, &arg)) != -1) {
		switch (c) {
		case KT_OPT_HELP:
			kt_help(&kt_cmd_inspect, stdout);
			free(names);
			return KT_EXIT_OK;
		case OPT_OUTPUT:
			if (strcmp(arg, "json")) {
				free(names);
				return usagef(&kt_cmd_inspect, "unknown output format '%s': expected json", arg);
			}
			json = 1;
			break;
		case KT_OPT_ARG:
			names[n++] = arg;
			break;
		default:
			free(names);
			return KT_EXIT_USAGE;
		}
	}
	if (n == 0) {
		free(names);
		return usagef(&kt_cmd_inspect, "missing FILE: name one or more PEM files, or '-' for standard input");
	}
	files = calloc((size_t)n, sizeof(*files));
	if (!files) {
		kt_err_set(&err, KT_E_INTERNAL, "out of memory");
		rc = kt_fail(&err);
		goto out;
	}
	for (i = 0; i < n; i++) {
		STACK_OF(X509) *certs = NULL;
		int st;

		files[i].name = pki_load_display_name(names[i]);
		st = pki_load_certs_file(names[i], &certs, &err);
		if (!st)
			st = pki_inspect_certs(certs, 0, &files[i].info, &err);
		sk_X509_pop_free(certs, X509_free);
		if (st) {
			rc = kt_fail(&err);
			goto out;
		}
	}
	if (json ? print_json(files, n) : (print_text(files, n), 0)) {
		kt_err_set(&err, KT_E_INTERNAL, "out of memory building the JSON report");
		rc = kt_fail(&err);
	}
out:
	for (i = 0; files && i < n; i++)
		pki_inspect_release(&files[i].info);
	free(files);
	free(names);
	return rc;
}
