/*
 * pki/: the certificate library on OpenSSL 3. One include for callers that want
 * all of it; each module's header documents its own contract.
 */
#ifndef PKI_PKI_H
#define PKI_PKI_H

#include "pki/err.h"
#include "pki/load.h"     /* PEM files, stdin, buffers -> STACK_OF(X509), precise errors */
#include "pki/verify.h"   /* pki_judge: would Kong accept this chain? */
#include "pki/caobj.h"    /* pki_caobj_check: is this a valid Kong/KIC CA object? */
#include "pki/inspect.h"  /* what a certificate says, as data */
#include "pki/gen.h"      /* keys (in parallel), host validation, serials, the X.509 profile */
#include "pki/files.h"    /* all-or-nothing key/certificate file sets, key loading */

#endif
