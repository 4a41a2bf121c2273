/*
 * kt_err: how pki/ and k8s/ report failure without printing.
 *
 * A library call returns 0 or a negative enum kt_status and, on failure, fills a
 * caller-owned struct kt_err with a complete one-line message (and optionally a
 * hint saying what to do). cmd/ prints it once and maps the code to an exit status.
 * On success the struct is left untouched, so calls can be chained (git's rule).
 */
#ifndef KT_ERR_H
#define KT_ERR_H

#include <stdarg.h>

enum kt_status {
	KT_OK = 0,
	KT_E_USAGE = -1,   /* bad flag or argument value                         */
	KT_E_IO = -2,      /* a file could not be read or written                */
	KT_E_PARSE = -3,   /* input is not what it should be (PEM, YAML, JSON)   */
	KT_E_REJECT = -4,  /* Kong or KIC would reject this (chain, CA object)   */
	KT_E_API = -5,     /* the Kubernetes API answered with an error          */
	KT_E_TLS = -6,     /* network, TLS handshake, connection                 */
	KT_E_EXISTS = -7,  /* would overwrite something; needs --force           */
	KT_E_NOTFOUND = -8,/* a named object or file does not exist              */
	KT_E_CONFLICT = -9,/* lost an optimistic-concurrency race too many times */
	KT_E_INTERNAL = -10/* out of memory, or an OpenSSL/libcurl internal error */
};

struct kt_err {
	enum kt_status code;
	char msg[1024];
	char hint[512];
};

#define KT_ERR_INIT { KT_OK, "", "" }

/* Fill err (if not NULL) and return code, so callers can write `return kt_err_set(...)`. */
int kt_err_set(struct kt_err *err, enum kt_status code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Set the hint line of an already-filled error; returns err->code. */
int kt_err_hint(struct kt_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Fill err from OpenSSL's error queue: "<prefix>: <reason>" with the reason of the
 * first queued error, then clear the queue. Returns code.
 */
int kt_err_openssl(struct kt_err *err, enum kt_status code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void kt_err_clear(struct kt_err *err);

#endif
