/*
 * init-ca: the guide's openssl script in one command. Creates a root CA, 0..8
 * intermediate CAs and a leaf server certificate, with chain.crt (leaf, then the
 * intermediates nearest first) ready for `kubectl create secret tls`.
 * All files are written or none: see pki/files.h.
 * --apply then publishes root.crt as the CA Secret/ConfigMap and, with --tls-secret, chain.crt +
 * leaf.key as the upstream's TLS Secret (cmd/kube.c, at most 4 requests).
 * Exit codes: 0 written, 2 usage, 3 directory not writable, 7 a file exists (no --force),
 * 70 internal (key generation failed).
 */
#include "cmd/cmd.h"
#include "cmd/certout.h"
#include "cmd/kube.h"

#include <stdlib.h>
#include <string.h>

#include "pki/pki.h"

enum {
	OPT_OUT = KT_OPT_FIRST,
	OPT_INTERMEDIATES,
	OPT_KEY_TYPE,
	OPT_HOST,
	OPT_ROOT_CN,
	OPT_INTER_CN,
	OPT_DAYS_ROOT,
	OPT_DAYS_INTER,
	OPT_DAYS_LEAF,
	OPT_NO_LEAF,
	OPT_FORCE
};

static const struct kt_opt init_ca_opts[] = {
	{ "out", 0, required_argument, OPT_OUT, "DIR", "write the files into DIR, created if missing (default: certs)", KT_COMP_DIR, NULL },
	{ "intermediates", 0, required_argument, OPT_INTERMEDIATES, "N", "number of intermediate CAs, 0 to 8 (default 1)", KT_COMP_NONE, NULL },
	{ "key-type", 0, required_argument, OPT_KEY_TYPE, "TYPE", "key type of every key: " PKI_KEY_TYPES " (default ec:p256)", KT_COMP_VALUES, PKI_KEY_TYPES },
	{ "host", 0, required_argument, OPT_HOST, "NAME", "leaf SAN entry: DNS name, *.wildcard, IPv4 or IPv6; repeat for more; the first is the leaf CN (default kong.example)", KT_COMP_NONE, NULL },
	{ "root-cn", 0, required_argument, OPT_ROOT_CN, "CN", "common name of the root CA (default root)", KT_COMP_NONE, NULL },
	{ "inter-cn", 0, required_argument, OPT_INTER_CN, "CN", "common name of the intermediate CA (default inter); with several, CN1..CNn", KT_COMP_NONE, NULL },
	{ "days-root", 0, required_argument, OPT_DAYS_ROOT, "D", "root CA validity in days (default 3650, 10 years)", KT_COMP_NONE, NULL },
	{ "days-inter", 0, required_argument, OPT_DAYS_INTER, "D", "intermediate CA validity in days (default 1825, 5 years)", KT_COMP_NONE, NULL },
	{ "days-leaf", 0, required_argument, OPT_DAYS_LEAF, "D", "leaf certificate validity in days (default 365)", KT_COMP_NONE, NULL },
	{ "no-leaf", 0, no_argument, OPT_NO_LEAF, NULL, "create the CAs only: no leaf.* and no chain.crt (add leaves later with 'issue')", KT_COMP_NONE, NULL },
	{ "force", 0, no_argument, OPT_FORCE, NULL, "replace existing files (still all or nothing)", KT_COMP_NONE, NULL },
	KT_OPTS_INIT_APPLY,
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_init_ca(int argc, char **argv);

const struct kt_cmd kt_cmd_init_ca = {
	.name = "init-ca",
	.fn = cmd_init_ca,
	.opts = init_ca_opts,
	.usage = "init-ca [--out DIR] [--intermediates N] [--key-type TYPE] [--host NAME]... [--root-cn CN]\n"
		 "               [--inter-cn CN] [--days-root D] [--days-inter D] [--days-leaf D] [--no-leaf] [--force]",
	.summary = "create a root, intermediate(s) and leaf certificate chain",
	.description =
		"Does what the KIC guide's openssl script does, in one command: a root CA, an intermediate\n"
		"CA and a leaf server certificate for the upstream service, written as root.key root.crt\n"
		"inter.key inter.crt leaf.key leaf.crt chain.crt (leaf then intermediates, nearest first).\n"
		"With --intermediates 0 there are no inter files and chain.crt is the leaf; with N > 1 the\n"
		"intermediates are inter1 (signed by root) .. interN (signs the leaf).\n"
		"\n"
		"Profile: X.509 v3, random 128-bit serials, SKI on all, AKI on all but the root; CAs are\n"
		"basicConstraints=critical,CA:TRUE with keyUsage=critical,keyCertSign,cRLSign, an\n"
		"intermediate's pathlen is the number of CAs below it, the root has no pathlen (it is the\n"
		"long-lived trust anchor you hand to Kong; the intermediates carry the limits, so a new\n"
		"layer never forces a new root); the leaf is CA:FALSE, keyUsage=critical,digitalSignature\n"
		"(+keyEncipherment for RSA), extendedKeyUsage=serverAuth, SAN = every --host. SHA-256\n"
		"signatures (SHA-384 with ec:p384, none with ed25519). notBefore is 5 minutes in the past\n"
		"for clock skew. Keys are PKCS#8 PEM, mode 0600; certificates 0644. Nothing is overwritten\n"
		"without --force, and a failed or interrupted run leaves no new file.",
	.examples =
		"  # the guide's chain: certs/root.crt goes into Kong's CA Secret, certs/chain.crt + leaf.key to the upstream\n"
		"  kubectl kong-tls init-ca\n"
		"  kubectl create secret tls goecho-tls --key ./certs/leaf.key --cert ./certs/chain.crt\n"
		"  kubectl kong-tls init-ca --out certs --host kong.example --host echo.default.svc --host 10.0.0.7\n"
		"  # two intermediates (tls-verify-depth must then be at least 2), RSA like the guide\n"
		"  kubectl kong-tls init-ca --intermediates 2 --key-type rsa:2048 --force\n"
		"  # a root that signs leaves directly (tls-verify-depth 0 is then enough)\n"
		"  kubectl kong-tls init-ca --intermediates 0\n"
		"  # generate and publish: root-ca for Kong, goecho-tls for the upstream (at most 4 API requests)\n"
		"  kubectl kong-tls init-ca --apply --ca-secret root-ca --tls-secret goecho-tls",
	.reads_private_keys = 1,
};

struct init_ca_args {
	const char *out;
	long intermediates;
	enum pki_key_type key_type;
	const char **hosts;
	size_t nhosts;
	const char *root_cn;
	const char *inter_cn;
	long days_root, days_inter, days_leaf;
	int no_leaf, force;
	struct kt_init_apply apply;
};

/* Parse argv into a; returns -1 to go on, or the exit code (help printed, or a usage error). */
static int parse_args(int argc, char **argv, struct init_ca_args *a)
{
	const struct kt_cmd *cmd = &kt_cmd_init_ca;
	struct kt_err err = KT_ERR_INIT;
	enum pki_host_kind kind;
	const char *arg;
	int c;

	while ((c = kt_opt_next(cmd, argc, argv, &arg)) != -1) {
		switch (c) {
		case KT_OPT_HELP:
			kt_help(cmd, stdout);
			return KT_EXIT_OK;
		case OPT_OUT:
			if (!*arg)
				return usagef(cmd, "--out needs a directory name");
			a->out = arg;
			break;
		case OPT_INTERMEDIATES:
			if (kt_opt_int(cmd, "intermediates", arg, 0, KT_MAX_INTERMEDIATES, &a->intermediates))
				return KT_EXIT_USAGE;
			break;
		case OPT_KEY_TYPE:
			if (pki_key_type_parse(arg, &a->key_type, &err))
				return usagef(cmd, "%s", err.msg);
			break;
		case OPT_HOST:
			if (pki_host_classify(arg, &kind, &err))
				return usagef(cmd, "%s", err.msg);
			a->hosts[a->nhosts++] = arg;
			break;
		case OPT_ROOT_CN:
		case OPT_INTER_CN:
			if (!*arg || strlen(arg) > 60)
				return usagef(cmd, "invalid value '%s' for --%s: 1 to 60 characters",
					      arg, c == OPT_ROOT_CN ? "root-cn" : "inter-cn");
			*(c == OPT_ROOT_CN ? &a->root_cn : &a->inter_cn) = arg;
			break;
		case OPT_DAYS_ROOT:
			if (kt_opt_int(cmd, "days-root", arg, 1, 36500, &a->days_root))
				return KT_EXIT_USAGE;
			break;
		case OPT_DAYS_INTER:
			if (kt_opt_int(cmd, "days-inter", arg, 1, 36500, &a->days_inter))
				return KT_EXIT_USAGE;
			break;
		case OPT_DAYS_LEAF:
			if (kt_opt_int(cmd, "days-leaf", arg, 1, 36500, &a->days_leaf))
				return KT_EXIT_USAGE;
			break;
		case OPT_NO_LEAF:
			a->no_leaf = 1;
			break;
		case OPT_FORCE:
			a->force = 1;
			break;
		case KT_OPT_ARG:
			return usagef(cmd, "unexpected argument '%s'", arg);
		default:
			if (kt_init_apply_opt(cmd, c, arg, &a->apply) == 1)
				break;
			return KT_EXIT_USAGE;
		}
	}
	if (a->no_leaf && a->nhosts)
		return usagef(cmd, "--host names the leaf, and --no-leaf creates none");
	if ((c = kt_init_apply_check(cmd, &a->apply, !a->no_leaf)))
		return c;
	if (!a->nhosts)
		a->hosts[a->nhosts++] = "kong.example";
	return -1;
}

/* The file names: root, inter (one), inter1..interN (several), each + suffix. */
static void ca_base(const struct init_ca_args *a, long level, const char *suffix, char *buf, size_t len)
{
	if (level == 0)
		snprintf(buf, len, "root%s", suffix);
	else if (a->intermediates == 1)
		snprintf(buf, len, "inter%s", suffix);
	else
		snprintf(buf, len, "inter%ld%s", level, suffix);
}

static void ca_cn(const struct init_ca_args *a, long level, char *buf, size_t len)
{
	if (level == 0)
		snprintf(buf, len, "%s", a->root_cn);
	else if (a->intermediates == 1)
		snprintf(buf, len, "%s", a->inter_cn);
	else
		snprintf(buf, len, "%s%ld", a->inter_cn, level);
}

static int cmd_init_ca(int argc, char **argv)
{
	struct init_ca_args a = {
		.out = "certs", .intermediates = 1, .key_type = PKI_KEY_EC_P256,
		.root_cn = "root", .inter_cn = "inter",
		.days_root = 3650, .days_inter = 1825, .days_leaf = 365,
	};
	struct kt_err err = KT_ERR_INIT;
	struct pki_fileset *set = NULL;
	EVP_PKEY *keys[KT_MAX_INTERMEDIATES + 2] = { NULL };
	X509 *certs[KT_MAX_INTERMEDIATES + 2] = { NULL };  /* [0] root, [1..N] intermediates, [N+1] leaf */
	X509 *chain[KT_MAX_INTERMEDIATES + 1];
	int key_idx[KT_MAX_INTERMEDIATES + 2], crt_idx[KT_MAX_INTERMEDIATES + 2], chain_idx = -1;
	size_t nkeys, i;
	long level, ncas;
	int rc = KT_EXIT_OK, st;
	char name[96], cn[80], until[32];

	a.hosts = calloc((size_t)argc + 1, sizeof(*a.hosts));
	if (!a.hosts) {
		errorf("out of memory");
		return KT_EXIT_INTERNAL;
	}
	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		goto out;
	rc = KT_EXIT_OK;
	ncas = 1 + a.intermediates;
	nkeys = (size_t)ncas + (a.no_leaf ? 0 : 1);

	set = pki_fileset_new(a.out, a.force ? PKI_FILES_FORCE : 0);
	if (!set) {
		kt_err_set(&err, KT_E_INTERNAL, "out of memory");
		goto fail;
	}
	for (level = 0; level < ncas; level++) {
		ca_base(&a, level, ".key", name, sizeof(name));
		if ((st = pki_fileset_add(set, name, PKI_FILE_KEY, &err)) < 0)
			goto fail;
		key_idx[level] = st;
		ca_base(&a, level, ".crt", name, sizeof(name));
		if ((st = pki_fileset_add(set, name, PKI_FILE_CERT, &err)) < 0)
			goto fail;
		crt_idx[level] = st;
	}
	if (!a.no_leaf) {
		if ((st = pki_fileset_add(set, "leaf.key", PKI_FILE_KEY, &err)) < 0)
			goto fail;
		key_idx[ncas] = st;
		if ((st = pki_fileset_add(set, "leaf.crt", PKI_FILE_CERT, &err)) < 0)
			goto fail;
		crt_idx[ncas] = st;
		if ((chain_idx = pki_fileset_add(set, "chain.crt", PKI_FILE_CERT, &err)) < 0)
			goto fail;
	}
	/* Reserve the files before the (possibly slow) key generation: fail fast on exists/unwritable. */
	kt_guard_fileset(set);
	if (pki_fileset_prepare(set, &err))
		goto fail;
	if (pki_keys_new(a.key_type, nkeys, keys, &err))
		goto fail;

	for (level = 0; level < ncas; level++) {
		struct pki_cert_spec spec = {
			.key = keys[level],
			.issuer = level ? certs[level - 1] : NULL,
			.issuer_key = level ? keys[level - 1] : NULL,
			.is_ca = 1,
			/* root: none (see --help); an intermediate: the number of CAs below it */
			.pathlen = level ? (int)(ncas - 1 - level) : -1,
			.days = level ? a.days_inter : a.days_root,
		};

		ca_cn(&a, level, cn, sizeof(cn));
		spec.cn = cn;
		if (!(certs[level] = pki_cert_new(&spec, &err)))
			goto fail;
		if (pki_fileset_set_key(set, key_idx[level], keys[level], &err) ||
		    pki_fileset_set_certs(set, crt_idx[level], &certs[level], 1, &err))
			goto fail;
	}
	if (!a.no_leaf) {
		struct pki_cert_spec spec = {
			.key = keys[ncas],
			.issuer = certs[ncas - 1],
			.issuer_key = keys[ncas - 1],
			.is_ca = 0,
			.pathlen = -1,
			.hosts = a.hosts,
			.nhosts = a.nhosts,
			.days = a.days_leaf,
		};
		size_t n = 0;

		if (!(certs[ncas] = pki_cert_new(&spec, &err)))
			goto fail;
		chain[n++] = certs[ncas];
		for (level = ncas - 1; level >= 1; level--)
			chain[n++] = certs[level];
		if (pki_fileset_set_key(set, key_idx[ncas], keys[ncas], &err) ||
		    pki_fileset_set_certs(set, crt_idx[ncas], &certs[ncas], 1, &err) ||
		    pki_fileset_set_certs(set, chain_idx, chain, n, &err))
			goto fail;
	}
	if (pki_fileset_commit(set, &err))
		goto fail;

	printf("wrote %zu files to %s/ (%s keys 0600, certificates 0644):\n",
	       2 * nkeys + (a.no_leaf ? 0 : 1), pki_fileset_dir(set), pki_key_type_name(a.key_type));
	for (level = 0; level < ncas; level++) {
		char files[200];

		ca_base(&a, level, "", name, sizeof(name));
		ca_cn(&a, level, cn, sizeof(cn));
		snprintf(files, sizeof(files), "%s.key %s.crt", name, name);
		kt_cert_until(certs[level], until, sizeof(until));
		if (level == 0)
			printf("  %-22s root CA \"%s\", self-signed, until %s\n", files, cn, until);
		else
			printf("  %-22s intermediate CA \"%s\", pathlen %ld, until %s\n", files, cn, ncas - 1 - level, until);
	}
	if (!a.no_leaf) {
		kt_cert_until(certs[ncas], until, sizeof(until));
		printf("  %-22s server \"%s\", until %s, SAN", "leaf.key leaf.crt", a.hosts[0], until);
		for (i = 0; i < a.nhosts; i++)
			printf(" %s", a.hosts[i]);
		printf("\n  %-22s leaf", "chain.crt");
		for (level = ncas - 1; level >= 1; level--) {
			ca_base(&a, level, "", name, sizeof(name));
			printf(" + %s", name);
		}
		printf(" (serve it with leaf.key; Kong trusts root.crt)\n");
	}
	if (a.apply.enabled) {
		char root[4096], chain_path[4096], key[4096];

		snprintf(root, sizeof(root), "%s/root.crt", a.out);
		snprintf(chain_path, sizeof(chain_path), "%s/chain.crt", a.out);
		snprintf(key, sizeof(key), "%s/leaf.key", a.out);
		rc = kt_init_apply_run(&a.apply, a.force, root, chain_path, key);
	}
	goto out;
fail:
	rc = kt_fail(&err);
out:
	kt_guard_fileset(NULL);
	pki_fileset_free(set);
	for (i = 0; i < KT_MAX_INTERMEDIATES + 2; i++) {
		X509_free(certs[i]);
		EVP_PKEY_free(keys[i]);
	}
	free(a.hosts);
	return rc;
}
