#!/usr/bin/env bash
# make demo: the guide "TLS Verification of Upstream Services" on this machine, in seconds, with no
# cluster and no Kong. It starts
#   - the project's Kubernetes API emulator (kubectl and kubectl kong-tls talk to it),
#   - an HTTPS upstream on loopback serving the generated chain and answering like kong/go-echo,
#   - a real nginx configured from the cluster objects the way Kong configures upstream TLS
#     (proxy_ssl_verify on, proxy_ssl_name = the Host, proxy_ssl_verify_depth = the annotation or 100,
#     proxy_ssl_trusted_certificate = the CA objects' certificates), regenerated after every step,
# then walks the guide's steps. Before each request `kubectl kong-tls verify` predicts the outcome; the
# prediction is printed next to what the proxy did. Kong stops at the FIRST OpenSSL error and logs it;
# a plain nginx keeps going and logs the last one: the demo shows both codes and says which is Kong's.
# Every process it starts is stopped on exit (trap).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
KT=${KT:-$top/bin/kubectl-kong_tls}
HOST=kong.example

work=$(mktemp -d "${TMPDIR:-/tmp}/kt-demo.XXXXXX")
export EMU_ROOT=$top/test/emulator
# shellcheck source=test/t/emulator.bash
source "$top/test/t/emulator.bash"
# shellcheck source=test/nginx/kong-proxy.bash
source "$top/test/nginx/kong-proxy.bash"
cleanup() {
	kp_stop || true
	emulator_stop || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	B=$'\033[1m' G=$'\033[32m' R=$'\033[31m' D=$'\033[2m' N=$'\033[0m'
else
	B= G= R= D= N=
fi
step_no=0
step() { step_no=$((step_no + 1)); printf '\n%s== %d. %s%s\n' "$B" "$step_no" "$1" "$N"; }
show() { # the command as a user types it: kt is kubectl kong-tls; arguments with spaces quoted
	local a line=
	for a in "$@"; do
		[ "$a" != kt ] || a="kubectl kong-tls"
		case $a in *" "*) [ "$a" = "kubectl kong-tls" ] || a="'$a'" ;; esac
		line="$line${line:+ }$a"
	done
	printf '%s$ %s%s\n' "$D" "$line" "$N"
}
run() { show "$@"; "$@"; }
quiet() { show "$@"; "$@" >/dev/null; }
kt() { "$KT" "$@"; }

# ---- Kong, as far as upstream TLS goes: nginx configured from the cluster objects -------------
kong_sync() {
	local verify depth secrets ca=
	# what KIC hands Kong, read straight from the API (python: kubectl's start-up would double the demo's time)
	read -r verify depth secrets < <(python3 - "$EMU_URL" "$EMU_DIR/ca.crt" "$EMU_TOKEN" "$work/kong-ca.pem" <<-'PY'
	import base64, json, ssl, sys, urllib.request
	url, cafile, token, out = sys.argv[1:5]
	ctx = ssl.create_default_context(cafile=cafile)
	def get(path):
	    req = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + token})
	    return json.load(urllib.request.urlopen(req, context=ctx))
	a = get("/api/v1/namespaces/default/services/echo")["metadata"].get("annotations") or {}
	on = a.get("konghq.com/tls-verify", "") in ("1", "t", "T", "TRUE", "true", "True")   # Go ParseBool
	d = a.get("konghq.com/tls-verify-depth", "")
	d = d if d.lstrip("+-").isdigit() else "-"                                           # Atoi, else absent
	names = [x.strip() for x in a.get("konghq.com/ca-certificates-secrets", "").split(",") if x.strip()]
	labelled = {s["metadata"]["name"]: s for s in
	            get("/api/v1/namespaces/default/secrets?labelSelector=konghq.com%2Fca-cert%3Dtrue")["items"]}
	with open(out, "wb") as f:
	    for n in names:
	        data = (labelled.get(n) or {}).get("data") or {}
	        pem = data.get("cert") or data.get("ca.crt")                                 # KIC reads cert first
	        if pem:
	            f.write(base64.b64decode(pem))
	print("on" if on else "off", d, ",".join(names) or "-")
	PY
	)
	[ ! -s "$work/kong-ca.pem" ] || ca=$work/kong-ca.pem
	[ "$depth" != - ] || depth=
	if [ "$verify" = on ]; then
		kp_proxy echo "$PX" "127.0.0.1:$UP" "$HOST" "$depth" "$ca"
		[ -n "$ca" ] || secrets="none (empty trust store)"
		printf '%s   kong: tls_verify on, tls_verify_depth %s, ca_certificates: %s%s\n' "$D" "${depth:-null (OpenSSL default 100)}" \
			"$secrets" "$N"
	else
		kp_plain echo "$PX" "127.0.0.1:$UP"
		printf '%s   kong: tls_verify not set: the upstream is not verified%s\n' "$D" "$N"
	fi
	if [ -n "${KP_PID:-}" ]; then kp_reload; else kp_start; fi
}

# ---- one request: verify's prediction, then what the proxy did ---------------------------------
predict_and_request() {
	local expect=$1 out vrc pred code body first last ok
	show kt verify svc/echo --host "$HOST" --address "127.0.0.1:$UP"
	set +e
	out=$(kt verify svc/echo --host "$HOST" --address "127.0.0.1:$UP" -o json 2>&1)
	vrc=$?
	set -e
	pred=$(printf '%s' "$out" | python3 -c '
import json, sys
try:
    r = json.load(sys.stdin)
except Exception:
    print("error: " + sys.stdin.read()); sys.exit()
fails = [c for c in r["checks"] if c["status"] == "fail"]
h = r.get("handshake") or {}
if r["accepted"]:
    print("accept: 200")
elif fails and fails[0]["step"] == 1 and fails[0]["name"] == "service":
    print("not verified: Kong forwards whatever the upstream serves")
elif h and not h["accepted"]:
    print("reject: 502, Kong logs " + h["kong"]["log"])
else:
    print("reject: " + fails[0]["message"])
' 2>/dev/null || echo "verify exited $vrc: $out")
	printf '   verify predicts: %s\n' "$pred"
	kp_clear_log echo
	show curl -s -H "Host: $HOST" "http://127.0.0.1:$PX/"
	code=$(curl -s -o "$work/body" -w '%{http_code}' --max-time 10 -H "Host: $HOST" "http://127.0.0.1:$PX/")
	body=$(head -n1 "$work/body")
	first=$(kp_first_error echo) last=$(kp_last_error echo)
	printf '   proxy answered:  %s %s\n' "$code" "$body"
	if [ -n "$first" ]; then
		printf '   nginx debug log: first error %s%s%s (what Kong logs), last %s (what this plain nginx logs: %s)\n' \
			"$B" "$first" "$N" "$last" "$(kp_log_line echo | sed 's/ while SSL handshaking to upstream//')"
	fi
	ok=no
	case $pred in
	accept*) [ "$code" = 200 ] && ok=yes ;;
	"not verified"*) [ "$code" = 200 ] && ok=yes ;;
	reject*) [ "$code" = 502 ] && { [ -z "$first" ] || [[ "$pred" == *"($first:"* ]]; } && ok=yes ;;
	esac
	if [ "$ok" = yes ] && [ "$code" = "$expect" ]; then
		printf '   %sprediction matches the proxy%s\n' "$G" "$N"
	else
		printf '   %sMISMATCH: verify said "%s", the proxy answered %s (expected %s)%s\n' "$R" "$pred" "$code" "$expect" "$N"
		mismatches=$((mismatches + 1))
	fi
}
mismatches=0

printf '%sThe Kong Ingress Controller guide "TLS Verification of Upstream Services", run locally.%s\n' "$B" "$N"
printf 'An API server emulator stands in for the cluster, a real nginx for Kong (configured as Kong\n'
printf 'configures upstream TLS), and an HTTPS echo server for the kong/go-echo upstream.\n'
"$KT" version

step "Start the cluster (API emulator), the upstream and the proxy"
TMPDIR=$work emulator_start
printf '   API server %s (KUBECONFIG=%s)\n' "$EMU_URL" "$KUBECONFIG"
kp_init "$work/nginx"
ports=($(kp_free_ports 2))
UP=${ports[0]} PX=${ports[1]}

step "Create the certificate chain: root CA -> intermediate CA -> leaf for $HOST"
run kt init-ca --out "$work/certs" --host "$HOST"
kp_upstream echo "$UP" "$work/certs/chain.crt" "$work/certs/leaf.key"
printf '   upstream https://127.0.0.1:%s serves chain.crt (leaf, intermediate) and answers "Through HTTPS connection."\n' "$UP"

step "Publish the Service and the CA Secret holding the root"
quiet kubectl create service clusterip echo --tcp=443:443
run kubectl annotate service echo konghq.com/protocol=https
run kt ca-secret root-ca --cert "$work/certs/root.crt"
kong_sync

step "A request through the proxy: the upstream is not verified yet"
predict_and_request 200

step "Turn on verification without a CA: Kong's trust store is empty"
run kubectl annotate service echo konghq.com/tls-verify=true
kong_sync
predict_and_request 502

step "Attach the CA Secret: Kong trusts the root"
run kt attach svc/echo --ca root-ca
kong_sync
predict_and_request 200

step "Depth 0: the intermediate is one too many"
run kubectl annotate --overwrite service echo konghq.com/tls-verify-depth=0
kong_sync
predict_and_request 502

step "Depth 1: leaf -> intermediate -> root verifies"
run kubectl annotate --overwrite service echo konghq.com/tls-verify-depth=1
kong_sync
predict_and_request 200

step "The whole checklist for the Service, as a user runs it against a real cluster"
set +e
run kt verify svc/echo --host "$HOST" --address "127.0.0.1:$UP" --proxy "http://127.0.0.1:$PX" \
	--expect-body 'Through HTTPS connection.'
set -e

printf '\n'
if [ "$mismatches" -eq 0 ]; then
	printf '%sEvery prediction matched what the proxy did.%s\n' "$B$G" "$N"
else
	printf '%s%d prediction(s) did not match.%s\n' "$B$R" "$mismatches" "$N"
	exit 1
fi
