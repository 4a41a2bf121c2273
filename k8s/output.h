/*
 * k8s/output.h: render a cJSON object as the YAML or JSON that `-o yaml|json` prints.
 *
 * The YAML is written with libyaml's emitter, quoting every string YAML 1.1 (go-yaml,
 * which kubectl uses) would read as something else ("true", "1", "0x1f", "~", "on", ...),
 * so that `kubectl apply -f -` reads back exactly the JSON object. Multi-line strings
 * (PEM in a ConfigMap) use literal block style, as kubectl prints them.
 * The JSON is indented with four spaces, as `kubectl -o json` prints it.
 */
#ifndef K8S_OUTPUT_H
#define K8S_OUTPUT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "pki/err.h"

/* New NUL-terminated text in *out (free()), its length in *len. Errors: KT_E_INTERNAL. */
int k8s_yaml_emit(const cJSON *root, char **out, size_t *len, struct kt_err *err);
int k8s_json_pretty(const cJSON *root, char **out, size_t *len, struct kt_err *err);

/* 1 if the plain scalar s would not read back as the string s under YAML 1.1 or 1.2. */
int k8s_yaml_needs_quotes(const char *s);

#endif
