/*
 * pki/pki.h: the certificate library's public headers in one include.
 * Each module keeps its own small header; cmd/ may include this or the module it needs.
 */
#ifndef KT_PKI_H
#define KT_PKI_H

#include "pki/err.h"
#include "pki/gen.h"
#include "pki/files.h"

#endif
