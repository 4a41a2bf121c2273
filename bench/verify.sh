#!/usr/bin/env bash
# bench/verify.sh: `kubectl kong-tls verify svc/echo` with a live handshake, against the same check by
# hand as the guide does it: `kubectl get` of the Service and of the CA Secret, then `openssl s_client`
# with -verify_depth and -verify_hostname. Both run against the project's API emulator and an HTTPS
# upstream on loopback (a real nginx serving leaf + intermediate). Prints the median wall time of
# each over N interleaved runs (default 20) and the ratio.
#   bash bench/verify.sh [N]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
source "$top/bench/binary.bash"
N=${1:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/kt-bench.XXXXXX")
export EMU_ROOT=$top/test/emulator
source "$top/test/t/emulator.bash"
source "$top/test/nginx/kong-proxy.bash"
source "$top/test/nginx/mkcert.bash"
trap 'kp_stop; emulator_stop; rm -rf "$work"' EXIT

TMPDIR=$work emulator_start
mkcert_init "$work/c"
mkcert root - ca ec && mkcert inter root ca ec && mkcert leaf inter leaf ec
mkchain chain leaf inter
kp_init "$work/nginx"
UP=$(kp_free_port)
kp_upstream echo "$UP" "$work/c/chain.pem" "$work/c/leaf.key"
kp_start
kubectl create service clusterip echo --tcp=443:443 >/dev/null
kubectl annotate service echo konghq.com/protocol=https konghq.com/tls-verify=true \
	konghq.com/tls-verify-depth=1 konghq.com/ca-certificates-secrets=root-ca >/dev/null
kubectl create secret generic root-ca --from-file=ca.crt="$work/c/root.pem" \
	--from-literal=id=0d7e2a59-4c1e-4d8e-9f43-6a2b8f9d1c55 >/dev/null
kubectl label secret root-ca konghq.com/ca-cert=true >/dev/null

tool() {
	"$KT" verify svc/echo --host kong.example --address "127.0.0.1:$UP" >/dev/null
}

by_hand() {
	local depth name annotations
	annotations=$(kubectl get service echo -o \
		'jsonpath={.metadata.annotations.konghq\.com/tls-verify-depth} {.metadata.annotations.konghq\.com/ca-certificates-secrets}')
	depth=${annotations%% *} name=${annotations#* }
	kubectl get secret "$name" -o 'jsonpath={.data.ca\.crt}' | base64 -d >"$work/ca.crt"
	openssl s_client -connect "127.0.0.1:$UP" -servername kong.example -CAfile "$work/ca.crt" \
		-verify_depth "$depth" -verify_hostname kong.example -verify_return_error </dev/null 2>&1 |
		grep -q 'Verify return code: 0 (ok)'
}

timed_us() { # FUNCTION: its wall time in microseconds (bash's clock: no process to start)
	local start=${EPOCHREALTIME/./} end
	"$1"
	end=${EPOCHREALTIME/./}
	echo $((end - start))
}
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# warm-up; both must reach Kong's verdict "accept"
tool || { echo "bench/verify.sh: verify svc/echo did not accept the upstream" >&2; exit 1; }
by_hand || { echo "bench/verify.sh: openssl s_client did not verify the upstream" >&2; exit 1; }
for _ in $(seq "$N"); do  # interleaved, so that a change in the machine's load hits both sides
	timed_us tool >>"$work/t-tool"
	timed_us by_hand >>"$work/t-hand"
done
t_tool=$(median <"$work/t-tool")
t_hand=$(median <"$work/t-hand")
printf 'verify svc/echo (live handshake)                 %7.1f ms (median of %d)\n' "$(awk -v t="$t_tool" 'BEGIN { print t / 1000 }')" "$N"
printf 'by hand: kubectl get svc, get secret, s_client   %7.1f ms\n' "$(awk -v t="$t_hand" 'BEGIN { print t / 1000 }')"
awk -v a="$t_hand" -v b="$t_tool" 'BEGIN { printf "speed-up                                         %7.1fx (target >= 20x)\n", a / (b > 0 ? b : 1) }'
printf 'load average: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
