/*
 * __complete: (hidden) completion candidates for the shells and for kubectl.
 *
 * Speaks cobra's protocol (spec kubectl-plugin-ecosystem.md §2.2), so the same
 * output serves our bash/zsh/fish scripts and kubectl >= 1.26, which runs
 * kubectl_complete-kong_tls with the words after `kong-tls`:
 *
 *   kubectl-kong_tls __complete WORD... PARTIAL     (PARTIAL is "" for a new word)
 *   candidate[TAB description]                       one per line
 *   :DIRECTIVE                                       cobra's bitmask, last line
 *
 * Everything is drawn from the dispatch table and the kt_opt tables that drive
 * parsing and --help: command names, each command's flags, enumerated values
 * (KT_COMP_VALUES), file and directory directives, and live names from the
 * cluster (Services, labelled CA objects, namespaces) or the kubeconfig
 * (contexts, clusters, users). Cluster look-ups have a short timeout and fail
 * silently: an empty list beats a hang or an error in the middle of a prompt.
 * It always exits 0 (kubectl discards the output of a failing completer).
 */
#include "cmd/cmd.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/kube.h"
#include "k8s/k8s.h"


/* cobra's ShellCompDirective bits */
enum {
	DIR_DEFAULT = 0,
	DIR_ERROR = 1,
	DIR_NOSPACE = 2,
	DIR_NOFILE = 4,
	DIR_FILTER_EXT = 8,
	DIR_FILTER_DIRS = 16,
	DIR_KEEP_ORDER = 32
};

#define LOOKUP_TIMEOUT_MS 2000

static const struct kt_opt complete_opts[] = {
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_complete(int argc, char **argv);

const struct kt_cmd kt_cmd_complete = {
	.name = "__complete",
	.fn = cmd_complete,
	.opts = complete_opts,
	.usage = "__complete [WORD...] PARTIAL",
	.summary = "(hidden) print completion candidates for the shells and kubectl",
	.description = "Prints the candidates for the last word, one per line with an optional\n"
		       "TAB-separated description, then ':DIRECTIVE' (cobra's protocol). Used by the\n"
		       "scripts of 'completion bash|zsh|fish' and by kubectl_complete-kong_tls.",
	.examples = "  kubectl-kong_tls __complete init-ca --key-type ''",
};

/* What the words typed so far say: the flags with values that matter to look-ups. */
struct typed {
	const struct kt_cmd *cmd;
	struct kt_cluster_opts co;
	const char *ca_kind;
	int after_dashdash;
};

static const char *prefix;  /* the partial word (after "--flag=" when it has one) */
/* For list values ("--ca a,b,<TAB>"): what precedes the item being completed, printed before each candidate. */
static const char *list_head;
static size_t list_head_len;

/* Is value already one of the items before the one being completed? */
static int listed(const char *value)
{
	const char *p = list_head, *end = list_head + list_head_len;
	size_t len = strlen(value), n;

	while (p && p < end) {
		n = strcspn(p, ",");
		if (p + n > end)
			n = (size_t)(end - p);
		if (n == len && !strncmp(p, value, len))
			return 1;
		p += n + 1;
	}
	return 0;
}

static void candidate(const char *value, const char *desc)
{
	const char *p;

	if (strncmp(value, prefix, strlen(prefix)) || listed(value))
		return;
	fwrite(list_head ? list_head : "", 1, list_head_len, stdout);
	fputs(value, stdout);
	if (desc && *desc) {
		putchar('\t');
		/* one line, no tabs: shells split on both */
		for (p = desc; *p && *p != '\n'; p++)
			putchar(*p == '\t' ? ' ' : *p);
	}
	putchar('\n');
}

static const struct kt_opt *find_long(const struct kt_cmd *cmd, const char *name, size_t len)
{
	const struct kt_opt *o;

	for (o = cmd->opts; o && o->long_name; o++)
		if (strlen(o->long_name) == len && !strncmp(o->long_name, name, len))
			return o;
	return NULL;
}

static const struct kt_opt *find_short(const struct kt_cmd *cmd, int c)
{
	const struct kt_opt *o;

	for (o = cmd->opts; o && o->long_name; o++)
		if (o->short_name && o->short_name == c)
			return o;
	return NULL;
}

static void remember(struct typed *t, const struct kt_opt *o, const char *value)
{
	if (!value)
		return;
	switch (o->id) {
	case KT_OPT_KUBECONFIG: t->co.kubeconfig = value; break;
	case KT_OPT_CONTEXT: t->co.context = value; break;
	case KT_OPT_CLUSTER: t->co.cluster = value; break;
	case KT_OPT_USER: t->co.user = value; break;
	case KT_OPT_NAMESPACE: t->co.namespace = *value ? value : NULL; break;
	default:
		if (!strcmp(o->long_name, "ca-kind"))
			t->ca_kind = value;
		break;
	}
}

/*
 * Walk the complete words (not the partial one) the way the parser would. Returns the
 * option whose value the partial word is (the previous word was `--ca` or `-n`), or NULL.
 */
static const struct kt_opt *walk(struct typed *t, int n, char **words)
{
	const struct kt_opt *o;
	const char *w, *eq;
	int i;

	for (i = 0; i < n; i++) {
		w = words[i];
		if (t->after_dashdash || w[0] != '-' || !w[1])
			continue;
		if (!strcmp(w, "--")) {
			t->after_dashdash = 1;
			continue;
		}
		if (w[1] == '-') {
			eq = strchr(w + 2, '=');
			o = find_long(t->cmd, w + 2, eq ? (size_t)(eq - w - 2) : strlen(w + 2));
			if (!o || o->has_arg == no_argument)
				continue;
			if (eq)
				remember(t, o, eq + 1);
			else if (o->has_arg == optional_argument)
				continue;
			else if (i + 1 < n)
				remember(t, o, words[++i]);
			else
				return o;
			continue;
		}
		/* a cluster of short flags: -hn kong, -nkong, -n=kong */
		for (w++; *w; w++) {
			o = find_short(t->cmd, *w);
			if (!o || o->has_arg == no_argument)
				continue;
			if (w[1])
				remember(t, o, w[1] == '=' ? w + 2 : w + 1);
			else if (o->has_arg == required_argument && i + 1 < n)
				remember(t, o, words[++i]);
			else if (o->has_arg == required_argument)
				return o;
			break;
		}
	}
	return NULL;
}

static int complete_commands(void)
{
	const struct kt_cmd *const *c;

	for (c = kt_commands; *c; c++)
		if (!kt_cmd_hidden(*c))
			candidate((*c)->name, (*c)->summary);
	candidate("help", "show the help of a command");
	return DIR_NOFILE;
}

static int complete_global_flags(void)
{
	candidate("--help", "show the list of commands");
	candidate("--version", "print the version");
	return DIR_NOFILE;
}

static int complete_flags(const struct kt_cmd *cmd)
{
	const struct kt_opt *o;
	char buf[128];

	for (o = cmd->opts; o && o->long_name; o++) {
		snprintf(buf, sizeof(buf), "--%s", o->long_name);
		candidate(buf, o->help);
	}
	/* shorthands only when asked for one ("-" or "-n"), as cobra does */
	if (prefix[0] == '-' && prefix[1] != '-')
		for (o = cmd->opts; o && o->long_name; o++)
			if (o->short_name) {
				snprintf(buf, sizeof(buf), "-%c", o->short_name);
				candidate(buf, o->help);
			}
	return DIR_NOFILE;
}

/* KT_COMP_VALUES: the list is separated by ',', '|' or spaces ("yaml|json", "ec:p256,rsa:2048"). */
static int complete_values(const char *values)
{
	char buf[128];
	size_t len;

	while (values && *values) {
		len = strcspn(values, ",| ");
		if (len && len < sizeof(buf)) {
			memcpy(buf, values, len);
			buf[len] = '\0';
			candidate(buf, NULL);
		}
		values += len;
		values += strspn(values, ",| ");
	}
	return DIR_NOFILE;
}

/* Completion must stay silent and quick: no log, a short timeout. */
static int load_config(const struct typed *t, int names_only, struct k8s_config **cfg)
{
	struct k8s_config_opts opts;
	struct kt_err err = KT_ERR_INIT;

	kt_kube_config_opts(&t->co, &opts);
	opts.timeout_ms = LOOKUP_TIMEOUT_MS;
	opts.log = NULL;
	opts.verbosity = 0;
	opts.names_only = names_only;
	return k8s_config_load(&opts, cfg, &err);
}

static int complete_kubeconfig_names(const struct typed *t, enum k8s_config_kind kind)
{
	struct k8s_config *cfg = NULL;
	const char *name;
	int i;

	if (load_config(t, 1, &cfg) == 0)
		for (i = 0; (name = k8s_config_get0_name(cfg, kind, i)); i++)
			candidate(name, NULL);
	k8s_config_free(cfg);
	return DIR_NOFILE;
}

/*
 * GET a collection from the cluster and print each item's name (with name_prefix, e.g.
 * "svc/"), described by desc. namespace NULL: cluster-scoped.
 */
static void list_names(struct k8s_client *c, const char *namespace, const char *resource,
		       const char *selector, const char *name_prefix, const char *desc)
{
	char path[512], value[320];
	struct kt_err err;
	cJSON *items = NULL, *item;
	const cJSON *name;

	memset(&err, 0, sizeof(err));
	if (k8s_path(path, sizeof(path), "", "v1", namespace, resource, NULL, &err) ||
	    k8s_list(c, path, selector, &items, &err))
		return;
	cJSON_ArrayForEach(item, items) {
		name = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(item, "metadata"), "name");
		if (!cJSON_IsString(name))
			continue;
		snprintf(value, sizeof(value), "%s%s", name_prefix, name->valuestring);
		candidate(value, desc);
	}
	cJSON_Delete(items);
}

static int complete_live(const struct typed *t, enum kt_comp kind)
{
	struct k8s_config *cfg = NULL;
	struct k8s_client *client = NULL;
	struct kt_err err;
	const char *ns;
	int kind_secret;

	memset(&err, 0, sizeof(err));
	if (load_config(t, 0, &cfg) || k8s_client_new(cfg, &client, &err))
		goto out;
	ns = k8s_config_namespace(cfg);
	switch (kind) {
	case KT_COMP_SERVICE:
		/* `svc/NAME` is what the commands take; a bare prefix still finds them */
		list_names(client, ns, "services", NULL, "svc/", NULL);
		break;
	case KT_COMP_CA:
		/* a command with --ca-kind takes Secrets unless told otherwise; one without takes both */
		if (find_long(t->cmd, "ca-kind", 7) && !t->ca_kind)
			kind_secret = 1;
		else
			kind_secret = !t->ca_kind || !strcmp(t->ca_kind, "secret");
		if (kind_secret)
			list_names(client, ns, "secrets", K8S_LABEL_CA_CERT "=true", "", "CA Secret");
		if (!t->ca_kind ? !find_long(t->cmd, "ca-kind", 7) : !strcmp(t->ca_kind, "configmap"))
			list_names(client, ns, "configmaps", K8S_LABEL_CA_CERT "=true", "", "CA ConfigMap");
		break;
	case KT_COMP_NAMESPACE:
		list_names(client, NULL, "namespaces", NULL, "", NULL);
		break;
	default:
		break;
	}
out:
	k8s_client_free(client);
	k8s_config_free(cfg);
	return DIR_NOFILE;
}

static int complete_kind(const struct typed *t, enum kt_comp kind, const char *values);

/*
 * The value of flag o. A flag whose ARGH says it takes a list ("NAME[,NAME...]")
 * completes the item after the last comma; the items before it stay in each candidate.
 */
static int complete_value(const struct typed *t, const struct kt_opt *o)
{
	const char *comma = strrchr(prefix, ',');

	if (o->argh && strstr(o->argh, "[,") && comma) {
		list_head = prefix;
		list_head_len = (size_t)(comma + 1 - prefix);
		prefix = comma + 1;
		return complete_kind(t, o->complete, o->values) | DIR_NOSPACE;
	}
	return complete_kind(t, o->complete, o->values);
}

static int complete_kind(const struct typed *t, enum kt_comp kind, const char *values)
{
	const struct kt_cmd *const *c;

	switch (kind) {
	case KT_COMP_FILE:
		return DIR_DEFAULT;  /* no candidates + default: the shell completes file names */
	case KT_COMP_DIR:
		return DIR_FILTER_DIRS;
	case KT_COMP_VALUES:
		return complete_values(values);
	case KT_COMP_SERVICE:
	case KT_COMP_CA:
	case KT_COMP_NAMESPACE:
		return complete_live(t, kind);
	case KT_COMP_CONTEXT:
		return complete_kubeconfig_names(t, K8S_CONFIG_CONTEXTS);
	case KT_COMP_CLUSTER:
		return complete_kubeconfig_names(t, K8S_CONFIG_CLUSTERS);
	case KT_COMP_USER:
		return complete_kubeconfig_names(t, K8S_CONFIG_USERS);
	case KT_COMP_COMMAND:
		for (c = kt_commands; *c; c++)
			if (!kt_cmd_hidden(*c))
				candidate((*c)->name, (*c)->summary);
		return DIR_NOFILE;
	case KT_COMP_NONE:
	default:
		return DIR_NOFILE;
	}
}

/* words[0..n-2] are complete, words[n-1] is the partial word. */
static int complete(int n, char **words)
{
	struct typed t;
	const struct kt_opt *o;
	const char *partial = words[n - 1], *eq;

	prefix = partial;
	if (n == 1)
		return partial[0] == '-' ? complete_global_flags() : complete_commands();
	if (!strcmp(words[0], "help"))
		return n == 2 ? complete_kind(NULL, KT_COMP_COMMAND, NULL) : DIR_NOFILE;
	memset(&t, 0, sizeof(t));
	t.cmd = kt_find_command(words[0]);
	if (!t.cmd || kt_cmd_hidden(t.cmd))
		return DIR_NOFILE;

	o = walk(&t, n - 2, words + 1);
	if (o)  /* the partial word is the value of the flag before it */
		return complete_value(&t, o);
	if (!t.after_dashdash && partial[0] == '-') {
		/* --flag=VALUE: cobra's scripts strip "--flag=" themselves, so print bare values */
		eq = strchr(partial, '=');
		if (partial[1] == '-' && eq) {
			o = find_long(t.cmd, partial + 2, (size_t)(eq - partial - 2));
			prefix = eq + 1;
			return o && o->has_arg != no_argument ? complete_value(&t, o) : DIR_NOFILE;
		}
		return complete_flags(t.cmd);
	}
	/* a positional argument; commands that take none offer their flags instead */
	if (t.cmd->args == KT_COMP_NONE && !t.after_dashdash && !partial[0])
		return complete_flags(t.cmd);
	return complete_kind(&t, t.cmd->args, t.cmd->arg_values);
}

static int cmd_complete(int argc, char **argv)
{
	char empty[] = "";
	char *none[] = { empty };
	int directive;

	/* no flag parsing: every word (including --help) belongs to the command line being completed */
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) && argc == 2) {
		kt_help(&kt_cmd_complete, stdout);
		return KT_EXIT_OK;
	}
	if (argc < 2)
		directive = complete(1, none);
	else
		directive = complete(argc - 1, argv + 1);
	printf(":%d\n", directive);
	return KT_EXIT_OK;
}
