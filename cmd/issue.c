/*
 * issue: a new leaf certificate from an existing init-ca directory, signed by the
 * last CA there (interN if present, else inter, else root), with its chain file.
 * The files are written all or nothing, like init-ca's.
 * Exit codes: 0 written, 2 usage, 3 I/O, 4 a CA file is malformed or does not match
 * its key, 7 a file exists (no --force), 8 no CA in --ca-dir.
 */
#include "cmd/cmd.h"
#include "cmd/certout.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "pki/pki.h"

enum {
	OPT_CA_DIR = KT_OPT_FIRST,
	OPT_HOST,
	OPT_OUT,
	OPT_NAME,
	OPT_KEY_TYPE,
	OPT_DAYS,
	OPT_FORCE
};

static const struct kt_opt issue_opts[] = {
	{ "ca-dir", 0, required_argument, OPT_CA_DIR, "DIR", "directory written by init-ca (required); the last CA in it signs", KT_COMP_DIR, NULL },
	{ "host", 0, required_argument, OPT_HOST, "NAME", "SAN entry: DNS name, *.wildcard, IPv4 or IPv6; repeat for more; the first is the CN (required)", KT_COMP_NONE, NULL },
	{ "out", 0, required_argument, OPT_OUT, "DIR", "write the files into DIR, created if missing (default: the --ca-dir)", KT_COMP_DIR, NULL },
	{ "name", 0, required_argument, OPT_NAME, "NAME", "file name stem: NAME.key, NAME.crt, NAME-chain.crt (default leaf: leaf.key, leaf.crt, chain.crt)", KT_COMP_NONE, NULL },
	{ "key-type", 0, required_argument, OPT_KEY_TYPE, "TYPE", "key type: " PKI_KEY_TYPES " (default: the signing CA's type)", KT_COMP_VALUES, PKI_KEY_TYPES },
	{ "days", 0, required_argument, OPT_DAYS, "D", "validity in days (default 365)", KT_COMP_NONE, NULL },
	{ "force", 0, no_argument, OPT_FORCE, NULL, "replace existing files, e.g. to renew leaf.crt (still all or nothing)", KT_COMP_NONE, NULL },
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_issue(int argc, char **argv);

const struct kt_cmd kt_cmd_issue = {
	.name = "issue",
	.fn = cmd_issue,
	.opts = issue_opts,
	.usage = "issue --ca-dir DIR --host NAME... [--out DIR] [--name NAME] [--key-type TYPE] [--days D] [--force]",
	.summary = "issue a new leaf from an existing init-ca directory",
	.description =
		"Signs a new server certificate with the last CA of an init-ca directory: interN when\n"
		"there are several intermediates, else inter, else root. Writes NAME.key, NAME.crt and\n"
		"the chain file the upstream serves: the leaf, then the intermediates nearest first (the\n"
		"root is never in it; Kong has it). With the default name 'leaf' the chain file is\n"
		"chain.crt, as init-ca names it, so 'issue --force' renews the guide's leaf in place;\n"
		"any other name gets NAME-chain.crt. The leaf has the same profile as init-ca's (see\n"
		"'kubectl kong-tls init-ca --help'). Nothing is overwritten without --force, and a failed\n"
		"or interrupted run leaves no new file.",
	.examples =
		"  # a second upstream signed by the guide's intermediate: certs/echo2.key, echo2.crt, echo2-chain.crt\n"
		"  kubectl kong-tls issue --ca-dir certs --name echo2 --host echo2.default.svc --host kong.example\n"
		"  kubectl create secret tls echo2-tls --key certs/echo2.key --cert certs/echo2-chain.crt\n"
		"  # renew the guide's leaf (leaf.key, leaf.crt, chain.crt) for another year\n"
		"  kubectl kong-tls issue --ca-dir certs --host kong.example --force\n"
		"  # an IP-addressed upstream, 30 days, into another directory\n"
		"  kubectl kong-tls issue --ca-dir certs --out upstream --host 10.0.0.7 --days 30",
	.reads_private_keys = 1,
};

struct issue_args {
	const char *ca_dir;
	const char *out;
	const char *name;
	const char **hosts;
	size_t nhosts;
	int key_type_set;
	enum pki_key_type key_type;
	long days;
	int force;
};

/* NAME must be a plain file stem that cannot collide with the CA's files. */
static const char *name_problem(const char *name)
{
	const char *p;

	if (!*name || strlen(name) > 100)
		return "1 to 100 characters";
	if (name[0] == '.' || name[0] == '-')
		return "must not start with '.' or '-'";
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return "letters, digits, '.', '_' and '-' only";
	if (!strcmp(name, "root") || !strcmp(name, "inter") || !strcmp(name, "chain") ||
	    (!strncmp(name, "inter", 5) && strspn(name + 5, "0123456789") == strlen(name + 5)))
		return "reserved for the CA's own files";
	return NULL;
}

static int parse_args(int argc, char **argv, struct issue_args *a)
{
	const struct kt_cmd *cmd = &kt_cmd_issue;
	struct kt_err err = KT_ERR_INIT;
	enum pki_host_kind kind;
	const char *arg, *problem;
	int c;

	while ((c = kt_opt_next(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case KT_OPT_HELP:
			kt_help(cmd, stdout);
			return KT_EXIT_OK;
		case OPT_CA_DIR:
			if (!*arg)
				return usagef(cmd, "--ca-dir needs a directory name");
			a->ca_dir = arg;
			break;
		case OPT_OUT:
			if (!*arg)
				return usagef(cmd, "--out needs a directory name");
			a->out = arg;
			break;
		case OPT_HOST:
			if (pki_host_classify(arg, &kind, &err))
				return usagef(cmd, "%s", err.msg);
			a->hosts[a->nhosts++] = arg;
			break;
		case OPT_NAME:
			if ((problem = name_problem(arg)))
				return usagef(cmd, "invalid value '%s' for --name: %s", arg, problem);
			a->name = arg;
			break;
		case OPT_KEY_TYPE:
			if (pki_key_type_parse(arg, &a->key_type, &err))
				return usagef(cmd, "%s", err.msg);
			a->key_type_set = 1;
			break;
		case OPT_DAYS:
			if (kt_opt_int(cmd, "days", arg, 1, 36500, &a->days))
				return KT_EXIT_USAGE;
			break;
		case OPT_FORCE:
			a->force = 1;
			break;
		case KT_OPT_ARG:
			return usagef(cmd, "unexpected argument '%s'", arg);
		default:
			return KT_EXIT_USAGE;
		}
	}
	if (!a->ca_dir)
		return usagef(cmd, "--ca-dir is required (the directory init-ca wrote)");
	if (!a->nhosts)
		return usagef(cmd, "--host is required (the name the upstream is reached by)");
	if (!a->out)
		a->out = a->ca_dir;
	return -1;
}

static int file_exists(const char *dir, const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

/* Load the one certificate of dir/base.crt into *cert. */
static int load_ca_cert(const char *dir, const char *base, X509 **cert, struct kt_err *err)
{
	char path[4096];
	STACK_OF(X509) *certs = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.crt", dir, base);
	rc = pki_load_certs_file(path, &certs, err);
	if (rc)
		return rc;
	if (sk_X509_num(certs) != 1) {
		sk_X509_pop_free(certs, X509_free);
		return kt_err_set(err, KT_E_PARSE, "'%s' holds %d certificates, expected one CA certificate",
				  path, sk_X509_num(certs));
	}
	*cert = sk_X509_shift(certs);
	sk_X509_free(certs);
	if (X509_check_ca(*cert) == 0) {
		X509_free(*cert);
		*cert = NULL;
		return kt_err_set(err, KT_E_PARSE, "'%s' is not a CA certificate", path);
	}
	return KT_OK;
}

static int cmd_issue(int argc, char **argv)
{
	struct issue_args a = { .name = "leaf", .days = 365, .key_type = PKI_KEY_EC_P256 };
	struct kt_err err = KT_ERR_INIT;
	struct pki_fileset *set = NULL;
	X509 *cas[KT_MAX_INTERMEDIATES + 1] = { NULL };  /* [0] the signing CA, then up towards the root */
	char bases[KT_MAX_INTERMEDIATES + 1][16];
	X509 *chain[KT_MAX_INTERMEDIATES + 2];
	X509 *leaf = NULL;
	EVP_PKEY *ca_key = NULL, *key = NULL;
	int ncas = 0, nchain = 0, include_signer, k, key_idx, crt_idx, chain_idx;
	int rc = KT_EXIT_OK;
	char name[160], chain_name[160], path[4096], until[32];
	size_t i;

	a.hosts = calloc((size_t)argc + 1, sizeof(*a.hosts));
	if (!a.hosts) {
		errorf("out of memory");
		return KT_EXIT_INTERNAL;
	}
	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		goto out;
	rc = KT_EXIT_OK;

	/* The signing CA: the highest interN, else inter, else root. */
	for (k = KT_MAX_INTERMEDIATES; k >= 1; k--) {
		snprintf(name, sizeof(name), "inter%d.crt", k);
		if (file_exists(a.ca_dir, name))
			break;
	}
	if (k >= 1) {
		for (; k >= 1; k--)
			snprintf(bases[ncas++], sizeof(bases[0]), "inter%d", k);
	} else if (file_exists(a.ca_dir, "inter.crt")) {
		snprintf(bases[ncas++], sizeof(bases[0]), "inter");
	} else if (file_exists(a.ca_dir, "root.crt")) {
		snprintf(bases[ncas++], sizeof(bases[0]), "root");
	} else {
		kt_err_set(&err, KT_E_NOTFOUND, "no CA in '%s': expected root.crt, inter.crt or interN.crt", a.ca_dir);
		kt_err_hint(&err, "create one with 'kubectl kong-tls init-ca --out %s'", a.ca_dir);
		goto fail;
	}
	/* The chain file carries the intermediates only: the root is what Kong already trusts. */
	include_signer = strcmp(bases[0], "root") != 0;
	for (k = 0; k < ncas; k++)
		if (load_ca_cert(a.ca_dir, bases[k], &cas[k], &err))
			goto fail;
	snprintf(path, sizeof(path), "%s/%s.key", a.ca_dir, bases[0]);
	if (pki_key_load(path, &ca_key, &err))
		goto fail;
	if (X509_check_private_key(cas[0], ca_key) != 1) {
		ERR_clear_error();
		kt_err_set(&err, KT_E_PARSE, "'%s' does not belong to '%s/%s.crt'", path, a.ca_dir, bases[0]);
		goto fail;
	}
	if (!a.key_type_set && pki_key_type_parse(pki_key_describe(ca_key), &a.key_type, NULL))
		a.key_type = PKI_KEY_EC_P256;  /* a CA key of a type we do not generate: use the default */

	snprintf(name, sizeof(name), "%s.key", a.name);
	if (!strcmp(a.name, "leaf"))
		snprintf(chain_name, sizeof(chain_name), "chain.crt");
	else
		snprintf(chain_name, sizeof(chain_name), "%s-chain.crt", a.name);
	set = pki_fileset_new(a.out, a.force ? PKI_FILES_FORCE : 0);
	if (!set) {
		kt_err_set(&err, KT_E_INTERNAL, "out of memory");
		goto fail;
	}
	if ((key_idx = pki_fileset_add(set, name, PKI_FILE_KEY, &err)) < 0)
		goto fail;
	snprintf(name, sizeof(name), "%s.crt", a.name);
	if ((crt_idx = pki_fileset_add(set, name, PKI_FILE_CERT, &err)) < 0)
		goto fail;
	if ((chain_idx = pki_fileset_add(set, chain_name, PKI_FILE_CERT, &err)) < 0)
		goto fail;
	kt_guard_fileset(set);
	if (pki_fileset_prepare(set, &err))
		goto fail;
	if (pki_keys_new(a.key_type, 1, &key, &err))
		goto fail;
	{
		struct pki_cert_spec spec = {
			.key = key,
			.issuer = cas[0],
			.issuer_key = ca_key,
			.is_ca = 0,
			.pathlen = -1,
			.hosts = a.hosts,
			.nhosts = a.nhosts,
			.days = a.days,
		};

		if (!(leaf = pki_cert_new(&spec, &err)))
			goto fail;
	}
	if (ASN1_TIME_compare(X509_get0_notAfter(leaf), X509_get0_notAfter(cas[0])) > 0) {
		kt_cert_until(cas[0], until, sizeof(until));
		warnf("the leaf outlives its CA '%s/%s.crt', which expires on %s: the chain stops verifying then",
		      a.ca_dir, bases[0], until);
	}
	chain[nchain++] = leaf;
	if (include_signer)
		for (k = 0; k < ncas; k++)
			chain[nchain++] = cas[k];
	if (pki_fileset_set_key(set, key_idx, key, &err) ||
	    pki_fileset_set_certs(set, crt_idx, &leaf, 1, &err) ||
	    pki_fileset_set_certs(set, chain_idx, chain, (size_t)nchain, &err) ||
	    pki_fileset_commit(set, &err))
		goto fail;

	kt_cert_until(leaf, until, sizeof(until));
	printf("wrote 3 files to %s/ (%s key 0600, certificates 0644):\n", pki_fileset_dir(set), pki_key_type_name(a.key_type));
	snprintf(name, sizeof(name), "%s.key %s.crt", a.name, a.name);
	printf("  %-22s server \"%s\", signed by %s.crt, until %s, SAN", name, a.hosts[0], bases[0], until);
	for (i = 0; i < a.nhosts; i++)
		printf(" %s", a.hosts[i]);
	printf("\n  %-22s %s", chain_name, a.name);
	if (include_signer)
		for (k = 0; k < ncas; k++)
			printf(" + %s", bases[k]);
	printf(" (serve it with %s.key; Kong trusts root.crt)\n", a.name);
	goto out;
fail:
	rc = kt_fail(&err);
out:
	kt_guard_fileset(NULL);
	pki_fileset_free(set);
	X509_free(leaf);
	EVP_PKEY_free(key);
	EVP_PKEY_free(ca_key);
	for (k = 0; k <= KT_MAX_INTERMEDIATES; k++)
		X509_free(cas[k]);
	free(a.hosts);
	return rc;
}
