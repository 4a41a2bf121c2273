/*
 * Shared between k8s/config.c and k8s/client.c only; no public header includes it.
 * The resolved configuration: what the client needs to reach one cluster as one user.
 */
#ifndef K8S_INTERNAL_H
#define K8S_INTERNAL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "k8s/config.h"

struct k8s_blob {
	unsigned char *data;
	size_t len;
};

struct k8s_config {
	char *source;            /* "kubeconfig '/a'", "kubeconfig '/a:/b'", "in-cluster service account" */
	cJSON *merged;           /* {clusters:[], users:[], contexts:[], current-context} */
	const char *context_name, *cluster_name, *user_name; /* borrowed from merged */
	char *namespace;
	int incluster;
	const char *auth_kind;

	/* cluster */
	char *server;
	char *ca_file;           /* absolute path, or NULL */
	struct k8s_blob ca_data; /* decoded certificate-authority-data */
	int insecure;
	char *tls_server_name;
	char *proxy_url;
	int disable_compression;
	const cJSON *cluster;    /* borrowed: the cluster stanza (extensions for exec) */

	/* user */
	char *cert_file, *key_file;
	struct k8s_blob cert_data, key_data;
	char *token;
	char *token_file;
	char *username, *password;
	char *impersonate;
	const cJSON *impersonate_groups; /* borrowed array, or NULL */
	const cJSON *exec;       /* borrowed: the user's exec stanza, or NULL */

	long timeout_ms;
	char *const *envp;
	k8s_log_fn *log;
	void *log_ud;
	int verbosity;
};

/* Base64 with or without padding, whitespace ignored. 0, or KT_E_PARSE (err not filled). */
int k8s_blob_from_base64(const char *in, struct k8s_blob *out);
/* Read a whole file (at most 16 MiB). 0 or KT_E_IO with err "cannot read WHAT 'path': reason". */
int k8s_read_file(const char *path, const char *what, struct k8s_blob *out, struct kt_err *err);
void k8s_blob_free(struct k8s_blob *b);
/* The text of a blob read by k8s_read_file() with surrounding spaces, tabs and line ends cut (in place). */
char *k8s_blob_trim(struct k8s_blob *b);
/* printf to the config's log callback when level <= verbosity. */
void k8s_logf(const struct k8s_config *cfg, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
