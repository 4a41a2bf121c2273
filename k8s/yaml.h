/*
 * YAML -> cJSON, on libyaml: enough YAML for kubeconfig files (and any JSON).
 *
 * Internal to k8s/ (cmd/ never needs it). Mappings become objects, sequences arrays,
 * scalars strings, except plain (unquoted) `null`, `~` and empty scalars, which become
 * cJSON null, so that `namespace:` with no value reads as "not set". Anchors and
 * aliases are expanded. Only the first document is read; an empty input is an empty
 * object.
 */
#ifndef K8S_YAML_H
#define K8S_YAML_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "pki/err.h"

/*
 * Parse text (len bytes). name is used in errors only:
 *   "kubeconfig '/x/config' line 7: could not find expected ':'"  (KT_E_PARSE)
 * where what = "kubeconfig" and name = "/x/config". On success *out is a new root.
 */
int k8s_yaml_parse(const char *text, size_t len, const char *what, const char *name,
		   cJSON **out, struct kt_err *err);

/* YAML 1.1 truth as Go's yaml.v2 reads a plain scalar: true/yes/on/y (any case). */
int k8s_yaml_true(const cJSON *item);

#endif
