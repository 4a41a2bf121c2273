/*
 * cmd/live: the live parts of `verify`: a request through Kong's proxy (libcurl)
 * and `kubectl port-forward` run as a child process that is always cleaned up.
 * Used by cmd/verify.c only; these print nothing themselves.
 */
#ifndef KT_CMD_LIVE_H
#define KT_CMD_LIVE_H

#include <sys/types.h>

#include "cmd/cmd.h"

/* Kong's 502 body (kong/error_handlers.lua BODIES[502]). */
#define KT_KONG_502_BODY "An invalid response was received from the upstream server"

struct kt_proxy_result {
	long status;             /* HTTP status */
	char body[2048];         /* the start of the body, NUL-terminated */
	char request_id[128];    /* from the 502 body or the X-Kong-Request-Id header, "" if none */
	int kong_502;            /* the body is Kong's upstream-failure message */
	char url[1024];          /* what was requested */
};

/*
 * GET proxy_url + path ("/" when NULL) with "Host: host" (when not NULL), within
 * timeout_ms (> 0, as verify's --timeout always is). Returns 0 with *r filled for any HTTP answer, or KT_E_TLS (proxy down,
 * timeout, TLS failure talking to the proxy) / KT_E_USAGE (bad URL) with err filled.
 */
int kt_proxy_probe(const char *proxy_url, const char *host, const char *path, long timeout_ms,
		   struct kt_proxy_result *r, struct kt_err *err);

struct kt_port_forward {
	pid_t pid;               /* the kubectl child; 0 when not running */
	int out_fd, err_fd;      /* its stdout/stderr, kept open: kubectl dies of SIGPIPE otherwise */
	char address[64];        /* "127.0.0.1:40123" once forwarding */
};

/*
 * Run `kubectl port-forward -n ns svc/name :port --address 127.0.0.1` (passing the
 * cluster flags on) and wait up to timeout_ms (> 0) for its "Forwarding from" line. The
 * child is killed by kt_port_forward_stop(), and also if this process gets SIGINT,
 * SIGTERM or SIGHUP meanwhile. KT_E_TLS when kubectl exits or stays silent (its
 * first stderr line is quoted), KT_E_NOTFOUND when kubectl is not installed.
 */
int kt_port_forward_start(const struct kt_cluster_opts *co, const char *ns, const char *name, int port,
			  long timeout_ms, struct kt_port_forward *pf, struct kt_err *err);
void kt_port_forward_stop(struct kt_port_forward *pf);

#endif
