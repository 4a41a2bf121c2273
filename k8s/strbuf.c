/*
 * k8s_strbuf: the one growing-string helper of k8s/ (manifests, comma-separated lists).
 */
#include "k8s/strbuf.h"

#include <stdlib.h>
#include <string.h>

void k8s_strbuf_add(struct k8s_strbuf *b, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (b->oom)
		return;
	if (b->max && b->len + n > b->max) {
		b->oom = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void k8s_strbuf_str(struct k8s_strbuf *b, const char *s)
{
	k8s_strbuf_add(b, s, strlen(s));
}

char *k8s_strbuf_detach(struct k8s_strbuf *b, size_t *len)
{
	char *s;

	if (!b->oom && !b->s)
		k8s_strbuf_add(b, "", 0);
	if (b->oom) {
		free(b->s);
		b->s = NULL;
		return NULL;
	}
	s = b->s;
	if (len)
		*len = b->len;
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}
