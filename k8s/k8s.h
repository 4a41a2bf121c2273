/*
 * k8s/: everything that talks to (or builds objects for) the Kubernetes API.
 * cmd/ includes this header only. The library never prints, exits or reads the
 * environment; see each module header for its contract.
 */
#ifndef K8S_K8S_H
#define K8S_K8S_H

#include "k8s/config.h"   /* kubeconfig, context, namespace, credentials */
#include "k8s/client.h"   /* REST requests, errors, retries, discovery */

#endif
