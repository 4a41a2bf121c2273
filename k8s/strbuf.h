/*
 * A growing NUL-terminated string for building manifests and lists. Internal to k8s/.
 * An allocation failure is remembered and reported once, by k8s_strbuf_detach().
 */
#ifndef K8S_STRBUF_H
#define K8S_STRBUF_H

#include <stddef.h>

struct k8s_strbuf {
	char *s;
	size_t len, cap;
	int oom;       /* an allocation failed, or the string would outgrow max */
	size_t max;    /* 0: no limit */
};

#define K8S_STRBUF_INIT { NULL, 0, 0, 0, 0 }

void k8s_strbuf_add(struct k8s_strbuf *b, const char *s, size_t n);
void k8s_strbuf_str(struct k8s_strbuf *b, const char *s);
/* The string (owned by the caller, "" when nothing was added) and its length; NULL after an allocation failure (the buffer is freed). */
char *k8s_strbuf_detach(struct k8s_strbuf *b, size_t *len);

#endif
