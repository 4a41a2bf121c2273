#!/usr/bin/env bash
# make demo: the guide's story on this machine, with no cluster and no Kong.
# Grows with the project: each step prints what it runs and what happened.
set -eu
KT=${KT:-$(cd "$(dirname "$0")/.." && pwd)/bin/kubectl-kong_tls}
"$KT" version
