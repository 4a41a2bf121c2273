#!/usr/bin/env bash
# make demo: the guide's story on this machine, with no cluster and no Kong.
# Grows with the project: each step prints what it runs and what happened.
set -eu
KT=${KT:-$(cd "$(dirname "$0")/.." && pwd)/bin/kubectl-kong_tls}
"$KT" version

# The guide's "Create a certificate chain" step, in one command.
demo_certs=$(mktemp -d "${TMPDIR:-/tmp}/kt-demo.XXXXXX")
trap 'rm -rf "$demo_certs"' EXIT
echo "\$ kubectl kong-tls init-ca --out $demo_certs/certs --host kong.example"
"$KT" init-ca --out "$demo_certs/certs" --host kong.example
