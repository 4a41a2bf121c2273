/*
 * version: the tool's version and the libraries it runs on.
 * Exit codes: 0, 2 on a usage error.
 */
#include "cmd/cmd.h"

#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <yaml.h>

enum { OPT_OUTPUT = KT_OPT_OUTPUT };

static const struct kt_opt version_opts[] = {
	KT_OPTS_OUTPUT("json"),
	KT_OPTS_HELP,
	KT_OPT_END
};

static int cmd_version(int argc, char **argv);

const struct kt_cmd kt_cmd_version = {
	.name = "version",
	.fn = cmd_version,
	.opts = version_opts,
	.usage = "version [-o json]",
	.summary = "print the version and the library versions it was built with",
	.examples = "  kubectl kong-tls version\n  kubectl kong-tls version -o json",
};

static int cmd_version(int argc, char **argv)
{
	const char *arg;
	int c, json = 0;
	curl_version_info_data *curl;
	const char *curl_version;

	while ((c = kt_opt_next(&kt_cmd_version, argc, argv, &arg)) != -1) {
		switch (c) {
		case KT_OPT_HELP:
			kt_help(&kt_cmd_version, stdout);
			return KT_EXIT_OK;
		case OPT_OUTPUT:
			if (strcmp(arg, "json"))
				return usagef(&kt_cmd_version, "unknown output format '%s': expected json", arg);
			json = 1;
			break;
		case KT_OPT_ARG:
			return usagef(&kt_cmd_version, "unexpected argument '%s'", arg);
		default:
			return KT_EXIT_USAGE;
		}
	}
	/* libcurl is loaded on first use; a machine without it still gets a version line */
	curl = curl_version_info(CURLVERSION_NOW);
	curl_version = curl ? curl->version : "(not found)";
	if (json) {
		printf("{\n  \"version\": \"%s\",\n  \"openssl\": \"%s\",\n  \"libcurl\": \"%s\",\n"
		       "  \"cjson\": \"%s\",\n  \"libyaml\": \"%s\"\n}\n",
		       KT_VERSION, OpenSSL_version(OPENSSL_VERSION_STRING), curl_version,
		       cJSON_Version(), yaml_get_version_string());
		return KT_EXIT_OK;
	}
	printf("kubectl-kong_tls %s (%s, libcurl %s, cJSON %s, libyaml %s)\n", KT_VERSION,
	       OpenSSL_version(OPENSSL_VERSION), curl_version, cJSON_Version(), yaml_get_version_string());
	return KT_EXIT_OK;
}
