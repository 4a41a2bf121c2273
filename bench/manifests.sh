#!/usr/bin/env bash
# bench/manifests.sh: kubectl kong-tls against the guide's kubectl commands, side by side.
#
#   1. ca-secret -o yaml   vs  kubectl create secret generic --dry-run=client | kubectl label --local
#                              | kubectl annotate --local   (the same object, offline)
#   2. attach svc/NAME     vs  the guide's three `kubectl annotate service ...` commands, on the
#                              same API server emulator (TLS + token), one fresh Service per round
#
# Prints the median wall time of each side over ROUNDS rounds, the ratio, and the API requests
# each side made (from the emulator's log). Every command is started the same way (python3 runs
# `sh -c CMD`); that harness, timed each round with `sh -c :`, is subtracted from both sides of
# the offline comparison, as hyperfine subtracts its shell. Needs: kubectl, openssl, python3.
#   bench/manifests.sh [ROUNDS]        (default 15)      KT=path/to/kubectl-kong_tls
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-15}
ID=bf6e0f14-78cd-45ad-9325-87ec7ef7b892
work=$(mktemp -d "${TMPDIR:-/tmp}/kt-bench.XXXXXX")
export EMU_ROOT=$top/test/emulator
source "$top/test/t/emulator.bash"
trap 'emulator_stop; rm -rf "$work"' EXIT

for tool in kubectl openssl python3; do
	command -v "$tool" >/dev/null || { echo "bench/manifests.sh: needs $tool" >&2; exit 2; }
done
source "$top/bench/binary.bash"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/root.key" \
	-out "$work/root.crt" -subj /CN=bench-root -days 30 -addext basicConstraints=critical,CA:TRUE 2>/dev/null

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1e6 }'; }
# timed FILE CMD: run CMD with sh (stdout discarded); append "wall_ns cpu_ns" (cpu = user + sys of
# every process it started) to FILE. Wall time on a shared machine is noisy; CPU time is not.
timed() {
	python3 - "$@" <<'PY'
import os, resource, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2]
r0 = resource.getrusage(resource.RUSAGE_CHILDREN); t0 = time.perf_counter_ns()
subprocess.run(["sh", "-c", cmd], stdout=subprocess.DEVNULL, check=True)
t1 = time.perf_counter_ns(); r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1e9
with open(out, "a") as f:
    f.write("%d %d\n" % (t1 - t0, cpu))
PY
}
# report LABEL FILE: "median wall, median cpu"
col_median() { awk -v c="$2" '{ print $c }' "$1" | median; }

guide_pipeline() {
	kubectl create secret generic root-ca --from-file=ca.crt="$work/root.crt" --from-literal=id=$ID \
		--dry-run=client -o yaml |
		kubectl label --local -f - konghq.com/ca-cert=true -o yaml |
		kubectl annotate --local -f - kubernetes.io/ingress.class=kong -o yaml
}

echo "== 1. the CA Secret manifest, offline ($ROUNDS rounds)"
export KT work ID
guide="kubectl create secret generic root-ca --from-file=ca.crt=$work/root.crt --from-literal=id=$ID --dry-run=client -o yaml | kubectl label --local -f - konghq.com/ca-cert=true -o yaml | kubectl annotate --local -f - kubernetes.io/ingress.class=kong -o yaml"
ours="$KT ca-secret root-ca --cert $work/root.crt --id $ID -o yaml"
for _ in $(seq 1 "$ROUNDS"); do
	timed "$work/t-base" ":"
	timed "$work/t-kt" "$ours"
	timed "$work/t-kubectl" "$guide"
done
# the two sides print the same object
"$KT" ca-secret root-ca --cert "$work/root.crt" --id $ID -o json | python3 -c 'import json,sys; o=json.load(sys.stdin); print(json.dumps(o, sort_keys=True))' >"$work/ours.json"
guide_pipeline | kubectl label --local -f - konghq.com/ca-cert=true -o json | python3 -c 'import json,sys; o=json.load(sys.stdin); o["metadata"].pop("creationTimestamp"); o["type"]="Opaque"; print(json.dumps(o, sort_keys=True))' >"$work/guide.json"
# net COL FILE: median of COL over the rounds, less the harness's median
net() { awk -v m="$(col_median "$2" "$1")" -v h="$(col_median "$work/t-base" "$1")" 'BEGIN { print m - h }'; }
a=$(net 1 "$work/t-kt"); b=$(net 1 "$work/t-kubectl")
ac=$(net 2 "$work/t-kt"); bc=$(net 2 "$work/t-kubectl")
printf '  harness (python3 starting sh -c :)          median wall %7s ms, cpu %7s ms: subtracted below\n' \
	"$(ms "$(col_median "$work/t-base" 1)")" "$(ms "$(col_median "$work/t-base" 2)")"
printf '  kubectl kong-tls ca-secret -o yaml          median wall %7s ms, cpu %7s ms\n' "$(ms "$a")" "$(ms "$ac")"
printf '  kubectl create | label --local | annotate   median wall %7s ms, cpu %7s ms\n' "$(ms "$b")" "$(ms "$bc")"
printf '  ratio: %.1fx faster in wall time, %.1fx in CPU time (target >= 30x); same object: %s\n' \
	"$(awk -v a="$a" -v b="$b" 'BEGIN { print b / (a > 0 ? a : 1) }')" "$(awk -v a="$ac" -v b="$bc" 'BEGIN { print b / (a > 0 ? a : 1) }')" \
	"$(cmp -s "$work/ours.json" "$work/guide.json" && echo yes || echo NO)"

echo "== 2. attach vs the guide's kubectl annotate commands, same emulator ($ROUNDS rounds)"
TMPDIR=$work emulator_start
# requests logged since the last reset (control endpoints excluded)
count_requests() { emulator_requests | grep -vc ' /__emulator' || true; }

"$KT" ca-secret root-ca --cert "$work/root.crt" --id $ID >/dev/null
for i in $(seq 1 "$ROUNDS"); do
	for side in kt kc; do
		emulator_curl -f -o /dev/null -X POST -H 'Content-Type: application/json' "$EMU_URL/api/v1/namespaces/default/services" --data \
			"{\"metadata\":{\"name\":\"echo-$side-$i\",\"annotations\":{\"konghq.com/protocol\":\"https\"}},\"spec\":{\"ports\":[{\"port\":443}]}}"
	done
done
req_kt=0 req_kc=0
for i in $(seq 1 "$ROUNDS"); do
	emulator_reset_log
	timed "$work/a-kt" "$KT attach svc/echo-kt-$i --ca root-ca --depth 1"
	req_kt=$(count_requests)
	emulator_reset_log
	timed "$work/a-kubectl" "kubectl annotate service echo-kc-$i konghq.com/tls-verify=true &&
		kubectl annotate service echo-kc-$i konghq.com/ca-certificates-secrets=root-ca &&
		kubectl annotate service echo-kc-$i konghq.com/tls-verify-depth=1"
	req_kc=$(count_requests)
done
a=$(col_median "$work/a-kt" 1); b=$(col_median "$work/a-kubectl" 1)
ac=$(col_median "$work/a-kt" 2); bc=$(col_median "$work/a-kubectl" 2)
same=$(kubectl get svc echo-kt-1 -o jsonpath='{.metadata.annotations}' | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')
ref=$(kubectl get svc echo-kc-1 -o jsonpath='{.metadata.annotations}' | python3 -c 'import json,sys; d=json.load(sys.stdin); d.pop("kubectl.kubernetes.io/last-applied-configuration", None); print(json.dumps(d, sort_keys=True))')
printf '  kubectl kong-tls attach --ca root-ca --depth 1   median wall %7s ms, cpu %7s ms, %s API requests\n' "$(ms "$a")" "$(ms "$ac")" "$req_kt"
printf '  3 x kubectl annotate service (the guide)         median wall %7s ms, cpu %7s ms, %s API requests\n' "$(ms "$b")" "$(ms "$bc")" "$req_kc"
printf '  ratio: %.1fx faster in wall time, %.1fx in CPU time; same annotations: %s\n' "$(awk -v a="$a" -v b="$b" 'BEGIN { print b / (a > 0 ? a : 1) }')" \
	"$(awk -v a="$ac" -v b="$bc" 'BEGIN { print b / (a > 0 ? a : 1) }')" \
	"$([ "$same" = "$ref" ] && echo yes || echo "NO ($same vs $ref)")"
