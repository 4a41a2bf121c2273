/*
 * YAML -> cJSON on libyaml's event parser. kubeconfig files are YAML (JSON is a
 * subset), and hand-written YAML parsers are where bugs live, so libyaml does the
 * scanning and this file only builds the tree: scalars stay strings (the loader knows
 * which fields are booleans), anchors/aliases and `<<` merge keys are expanded the way
 * Go's yaml.v2 (behind client-go's sigs.k8s.io/yaml) expands them.
 */
#include "k8s/yaml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#define MAX_DEPTH 64

struct anchor {
	char *name;
	cJSON *node;   /* borrowed: lives in the tree being built */
};

struct ybuild {
	yaml_parser_t parser;
	const char *what, *name;
	struct anchor *anchors;
	size_t nanchors;
	cJSON *graveyard;  /* replaced or merged nodes an anchor may still point to */
	struct kt_err *err;
};

static int yb_fail(struct ybuild *yb, const char *problem, size_t line)
{
	return kt_err_set(yb->err, KT_E_PARSE, "%s '%s' line %zu: %s", yb->what, yb->name,
			  line + 1, problem);
}

static int yb_next(struct ybuild *yb, yaml_event_t *ev)
{
	if (yaml_parser_parse(&yb->parser, ev))
		return 0;
	/*
	 * With a context ("while scanning a simple key") its mark is where the broken
	 * construct starts, e.g. the key missing its ':'; the problem mark is where
	 * libyaml noticed, often the next line.
	 */
	return yb_fail(yb, yb->parser.problem ? yb->parser.problem : "invalid YAML",
		       yb->parser.context ? yb->parser.context_mark.line : yb->parser.problem_mark.line);
}

static int yb_anchor(struct ybuild *yb, const yaml_char_t *name, cJSON *node)
{
	struct anchor *a;

	if (!name)
		return 0;
	a = realloc(yb->anchors, (yb->nanchors + 1) * sizeof(*a));
	if (!a)
		return kt_err_set(yb->err, KT_E_INTERNAL, "out of memory");
	yb->anchors = a;
	a[yb->nanchors].name = strdup((const char *)name);
	if (!a[yb->nanchors].name)
		return kt_err_set(yb->err, KT_E_INTERNAL, "out of memory");
	a[yb->nanchors++].node = node;
	return 0;
}

static cJSON *yb_alias(struct ybuild *yb, const yaml_char_t *name, size_t line)
{
	size_t i;

	/* The latest definition of a name wins (YAML allows redefining an anchor). */
	for (i = yb->nanchors; i-- > 0;)
		if (!strcmp(yb->anchors[i].name, (const char *)name))
			return cJSON_Duplicate(yb->anchors[i].node, 1);
	yb_fail(yb, "unknown anchor", line);
	return NULL;
}

static cJSON *yb_scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    (!v[0] || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	     !strcmp(v, "NULL")))
		return cJSON_CreateNull();
	return cJSON_CreateString(v);
}

static int yb_node(struct ybuild *yb, yaml_event_t *ev, int depth, cJSON **out);

/* `<<: *base` (or a list of them): copy the keys the mapping does not set itself. */
static void yb_merge_into(cJSON *map, const cJSON *src)
{
	const cJSON *it;

	if (cJSON_IsArray(src)) {
		cJSON_ArrayForEach(it, src)
			yb_merge_into(map, it);
		return;
	}
	if (!cJSON_IsObject(src))
		return;
	cJSON_ArrayForEach(it, src)
		if (!cJSON_GetObjectItemCaseSensitive(map, it->string))
			cJSON_AddItemToObject(map, it->string, cJSON_Duplicate(it, 1));
}

static int yb_mapping(struct ybuild *yb, cJSON *map, int depth)
{
	cJSON *merges = NULL;
	int rc = 0;

	for (;;) {
		yaml_event_t kev, vev;
		cJSON *key = NULL, *val = NULL;
		const char *k;

		if ((rc = yb_next(yb, &kev)))
			break;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			break;
		}
		rc = yb_node(yb, &kev, depth + 1, &key);
		yaml_event_delete(&kev);
		if (rc)
			break;
		if (!cJSON_IsString(key) && !cJSON_IsNull(key)) {
			cJSON_Delete(key);
			rc = yb_fail(yb, "a mapping key must be a scalar", yb->parser.mark.line);
			break;
		}
		k = cJSON_IsString(key) ? key->valuestring : "";
		if ((rc = yb_next(yb, &vev))) {
			cJSON_Delete(key);
			break;
		}
		rc = yb_node(yb, &vev, depth + 1, &val);
		yaml_event_delete(&vev);
		if (rc) {
			cJSON_Delete(key);
			break;
		}
		if (!strcmp(k, "<<")) {
			if (!merges)
				merges = cJSON_CreateArray();
			cJSON_AddItemToArray(merges, val);
		} else if (cJSON_GetObjectItemCaseSensitive(map, k)) {
			/* A repeated key: the last one wins, as in JSON. */
			cJSON_AddItemToArray(yb->graveyard, cJSON_DetachItemFromObjectCaseSensitive(map, k));
			cJSON_AddItemToObject(map, k, val);
		} else {
			cJSON_AddItemToObject(map, k, val);
		}
		cJSON_Delete(key);
	}
	if (!rc && merges)
		yb_merge_into(map, merges);
	if (merges)
		cJSON_AddItemToArray(yb->graveyard, merges);
	return rc;
}

static int yb_sequence(struct ybuild *yb, cJSON *arr, int depth)
{
	for (;;) {
		yaml_event_t ev;
		cJSON *item = NULL;
		int rc;

		if ((rc = yb_next(yb, &ev)))
			return rc;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		rc = yb_node(yb, &ev, depth + 1, &item);
		yaml_event_delete(&ev);
		if (rc)
			return rc;
		cJSON_AddItemToArray(arr, item);
	}
}

/* Build the node that starts with ev (already read; the caller deletes it). */
static int yb_node(struct ybuild *yb, yaml_event_t *ev, int depth, cJSON **out)
{
	cJSON *node = NULL;
	int rc;

	if (depth > MAX_DEPTH)
		return yb_fail(yb, "nested too deeply", ev->start_mark.line);
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		node = yb_scalar(ev);
		if (!node)
			return kt_err_set(yb->err, KT_E_INTERNAL, "out of memory");
		if ((rc = yb_anchor(yb, ev->data.scalar.anchor, node))) {
			cJSON_Delete(node);
			return rc;
		}
		break;
	case YAML_ALIAS_EVENT:
		node = yb_alias(yb, ev->data.alias.anchor, ev->start_mark.line);
		if (!node)
			return yb->err ? yb->err->code : KT_E_PARSE;
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT: {
		int map = ev->type == YAML_MAPPING_START_EVENT;

		node = map ? cJSON_CreateObject() : cJSON_CreateArray();
		if (!node)
			return kt_err_set(yb->err, KT_E_INTERNAL, "out of memory");
		rc = yb_anchor(yb, map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor,
			       node);
		if (!rc)
			rc = map ? yb_mapping(yb, node, depth) : yb_sequence(yb, node, depth);
		if (rc) {
			cJSON_Delete(node);
			return rc;
		}
		break;
	}
	default:
		return yb_fail(yb, "unexpected YAML event", ev->start_mark.line);
	}
	*out = node;
	return 0;
}

int k8s_yaml_parse(const char *text, size_t len, const char *what, const char *name,
		   cJSON **out, struct kt_err *err)
{
	struct ybuild yb;
	cJSON *root = NULL;
	size_t i;
	int rc = 0;

	memset(&yb, 0, sizeof(yb));
	yb.what = what;
	yb.name = name;
	yb.err = err;
	yb.graveyard = cJSON_CreateArray();
	if (!yb.graveyard || !yaml_parser_initialize(&yb.parser)) {
		cJSON_Delete(yb.graveyard);
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	}
	yaml_parser_set_input_string(&yb.parser, (const unsigned char *)text, len);
	for (;;) {
		yaml_event_t ev;

		if ((rc = yb_next(&yb, &ev)))
			break;
		if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		rc = yb_node(&yb, &ev, 0, &root);
		yaml_event_delete(&ev);
		break;  /* first document only */
	}
	for (i = 0; i < yb.nanchors; i++)
		free(yb.anchors[i].name);
	free(yb.anchors);
	cJSON_Delete(yb.graveyard);
	yaml_parser_delete(&yb.parser);
	if (rc) {
		cJSON_Delete(root);
		return rc;
	}
	if (!root || cJSON_IsNull(root))
		root = cJSON_CreateObject(), rc = root ? 0 : KT_E_INTERNAL;
	if (rc)
		return kt_err_set(err, KT_E_INTERNAL, "out of memory");
	*out = root;
	return 0;
}

int k8s_yaml_true(const cJSON *item)
{
	static const char *const yes[] = { "true", "yes", "on", "y" };
	size_t i;

	if (cJSON_IsTrue(item))
		return 1;
	if (!cJSON_IsString(item))
		return 0;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!strcasecmp(item->valuestring, yes[i]))
			return 1;
	return 0;
}
