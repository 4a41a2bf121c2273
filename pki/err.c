/*
 * kt_err helpers: fill the caller's error struct; never print.
 */
#include "pki/err.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

int kt_err_set(struct kt_err *err, enum kt_status code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->hint[0] = '\0';
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int kt_err_hint(struct kt_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return KT_E_INTERNAL;
	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
	return err->code;
}

int kt_err_openssl(struct kt_err *err, enum kt_status code, const char *fmt, ...)
{
	char prefix[512];
	char reason[256] = "unknown OpenSSL error";
	unsigned long e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	e = ERR_peek_error();
	if (e) {
		const char *r = ERR_reason_error_string(e);
		if (r)
			snprintf(reason, sizeof(reason), "%s", r);
		else
			ERR_error_string_n(e, reason, sizeof(reason));
	}
	ERR_clear_error();
	return kt_err_set(err, code, "%s: %s", prefix, reason);
}

void kt_err_clear(struct kt_err *err)
{
	if (!err)
		return;
	err->code = KT_OK;
	err->msg[0] = '\0';
	err->hint[0] = '\0';
}
