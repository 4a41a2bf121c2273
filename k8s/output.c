/*
 * k8s/output.c: cJSON -> YAML (libyaml emitter) and cJSON -> kubectl-style JSON.
 * See k8s/output.h for the quoting contract.
 */
#include "k8s/output.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "k8s/strbuf.h"

static int buf_finish(struct k8s_strbuf *b, char **out, size_t *len, struct kt_err *err)
{
	if (!(*out = k8s_strbuf_detach(b, len)))
		return kt_err_set(err, KT_E_INTERNAL, "out of memory rendering the manifest");
	return KT_OK;
}

/* ---- YAML ---- */

int k8s_yaml_needs_quotes(const char *s)
{
	/* YAML 1.1 booleans and nulls (go-yaml v2, which sigs.k8s.io/yaml and kubectl use), any case */
	static const char *const words[] = { "y", "yes", "n", "no", "true", "false", "on", "off", "null",
					     "~", "=", "<<", NULL };
	size_t i;

	if (!*s)
		return 1;
	for (i = 0; words[i]; i++)
		if (!strcasecmp(s, words[i]))
			return 1;
	/*
	 * Numbers, timestamps, .inf/.nan and signed forms all start with one of these;
	 * quoting them all is simpler than re-implementing every resolver and still
	 * reads back as the same string.
	 */
	return strchr("0123456789-+.", s[0]) != NULL;
}

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	struct k8s_strbuf *b = data;

	k8s_strbuf_add(b, (const char *)buffer, size);
	return !b->oom;
}

static int emit_scalar(yaml_emitter_t *em, const char *value, int is_string)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
	int plain_implicit = 1;

	if (is_string) {
		if (strchr(value, '\n')) {
			style = YAML_LITERAL_SCALAR_STYLE;
			plain_implicit = 0;
		} else if (k8s_yaml_needs_quotes(value)) {
			style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
			plain_implicit = 0;
		} else {
			/* libyaml still quotes it if plain is not allowed (": ", "#", leading space) */
			style = YAML_ANY_SCALAR_STYLE;
		}
	}
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)value, (int)strlen(value),
					  plain_implicit, 1, style))
		return 0;
	return yaml_emitter_emit(em, &ev);
}

static int emit_node(yaml_emitter_t *em, const cJSON *item)
{
	yaml_event_t ev;
	const cJSON *c;
	char num[64];

	if (cJSON_IsObject(item)) {
		int empty = item->child == NULL;
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
							 empty ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return 0;
		cJSON_ArrayForEach(c, item) {
			if (!emit_scalar(em, c->string, 1) || !emit_node(em, c))
				return 0;
		}
		return yaml_mapping_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev);
	}
	if (cJSON_IsArray(item)) {
		int empty = item->child == NULL;
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
							  empty ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return 0;
		cJSON_ArrayForEach(c, item) {
			if (!emit_node(em, c))
				return 0;
		}
		return yaml_sequence_end_event_initialize(&ev) && yaml_emitter_emit(em, &ev);
	}
	if (cJSON_IsString(item))
		return emit_scalar(em, item->valuestring, 1);
	if (cJSON_IsNumber(item)) {
		double d = item->valuedouble;
		if (d > -1e15 && d < 1e15 && d == (double)(long long)d)
			snprintf(num, sizeof(num), "%.0f", d);
		else
			snprintf(num, sizeof(num), "%.17g", d);
		return emit_scalar(em, num, 0);
	}
	if (cJSON_IsBool(item))
		return emit_scalar(em, cJSON_IsTrue(item) ? "true" : "false", 0);
	return emit_scalar(em, "null", 0);
}

int k8s_yaml_emit(const cJSON *root, char **out, size_t *len, struct kt_err *err)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	struct k8s_strbuf b = K8S_STRBUF_INIT;
	int ok;

	if (!yaml_emitter_initialize(&em))
		return kt_err_set(err, KT_E_INTERNAL, "cannot start the YAML emitter");
	yaml_emitter_set_output(&em, write_handler, &b);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(&em, &ev) &&
	     yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) && yaml_emitter_emit(&em, &ev) &&
	     emit_node(&em, root) && yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&em, &ev) &&
	     yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&em, &ev) && yaml_emitter_flush(&em);
	if (!ok) {
		const char *problem = em.problem ? em.problem : "unknown error";
		yaml_emitter_delete(&em);
		free(b.s);
		if (b.oom)
			return kt_err_set(err, KT_E_INTERNAL, "out of memory rendering the manifest");
		return kt_err_set(err, KT_E_INTERNAL, "cannot render the manifest as YAML: %s", problem);
	}
	yaml_emitter_delete(&em);
	return buf_finish(&b, out, len, err);
}

/* ---- JSON, four-space indent ---- */

static void indent(struct k8s_strbuf *b, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		k8s_strbuf_add(b, "    ", 4);
}

static void json_leaf(struct k8s_strbuf *b, const cJSON *item)
{
	char *s;
	cJSON *tmp;

	if (cJSON_IsString(item)) {
		/* print a detached copy: cJSON_PrintUnformatted of a child would not include its key */
		tmp = cJSON_CreateString(item->valuestring);
		s = tmp ? cJSON_PrintUnformatted(tmp) : NULL;
		cJSON_Delete(tmp);
	} else {
		s = cJSON_PrintUnformatted(item);
	}
	if (!s) {
		b->oom = 1;
		return;
	}
	k8s_strbuf_str(b, s);
	cJSON_free(s);
}

static void json_node(struct k8s_strbuf *b, const cJSON *item, int depth)
{
	const cJSON *c;
	int obj = cJSON_IsObject(item);

	if (!obj && !cJSON_IsArray(item)) {
		json_leaf(b, item);
		return;
	}
	if (!item->child) {
		k8s_strbuf_str(b, obj ? "{}" : "[]");
		return;
	}
	k8s_strbuf_str(b, obj ? "{\n" : "[\n");
	cJSON_ArrayForEach(c, item) {
		indent(b, depth + 1);
		if (obj) {
			cJSON *key = cJSON_CreateString(c->string);
			char *k = key ? cJSON_PrintUnformatted(key) : NULL;
			cJSON_Delete(key);
			if (!k) {
				b->oom = 1;
				return;
			}
			k8s_strbuf_str(b, k);
			k8s_strbuf_str(b, ": ");
			cJSON_free(k);
		}
		json_node(b, c, depth + 1);
		k8s_strbuf_str(b, c->next ? ",\n" : "\n");
	}
	indent(b, depth);
	k8s_strbuf_str(b, obj ? "}" : "]");
}

int k8s_json_pretty(const cJSON *root, char **out, size_t *len, struct kt_err *err)
{
	struct k8s_strbuf b = K8S_STRBUF_INIT;

	json_node(&b, root, 0);
	k8s_strbuf_str(&b, "\n");
	return buf_finish(&b, out, len, err);
}
