#!/usr/bin/env bats
# The API server emulator against the real kubectl: what users already trust must work against it the way it
# works against kube-apiserver (TLS, tokens, client certificates, CRUD, patches, server-side apply, dry run).
load helper
load emulator

setup_file() {
	command -v kubectl >/dev/null || skip "kubectl not on PATH"
	emulator_start
	export EMU_DIR EMU_PID EMU_URL EMU_TOKEN KUBECONFIG
}

teardown_file() {
	emulator_stop
}

setup() {
	command -v kubectl >/dev/null || skip "kubectl not on PATH"
	export HOME=$BATS_TEST_TMPDIR/home NO_COLOR=1
	mkdir -p "$HOME"
	cd "$BATS_TEST_TMPDIR" || return 1
}

k() { kubectl --kubeconfig "$EMU_DIR/kubeconfig" "$@"; }

@test "emulator: kubectl get namespaces, services and the bootstrap objects over TLS with a token" {
	run k get namespaces -o name
	assert_exit 0
	assert_contains "namespace/default"
	assert_contains "namespace/kube-system"
	run k get svc kubernetes -n default -o jsonpath='{.spec.clusterIP} {.spec.ports[0].port}'
	assert_exit 0
	[ "$output" = "10.96.0.1 443" ]
	run k get configmap kube-root-ca.crt -o jsonpath='{.data.ca\.crt}'
	assert_exit 0
	[ "$output" = "$(cat "$EMU_DIR/ca.crt")" ]
}

@test "emulator: create secret generic/tls and configmap, get them back field by field" {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout leaf.key -out leaf.crt \
		-subj /CN=echo.example.com -days 2 2>/dev/null
	run k create secret generic root-ca --from-literal=id=a0b9cab5-8f30-4f35-81cc-897137a7b567 --from-file=ca.crt=leaf.crt
	assert_exit 0
	assert_contains "secret/root-ca created"
	run k get secret root-ca -o jsonpath='{.type} {.data.id}'
	[ "$output" = "Opaque $(printf %s a0b9cab5-8f30-4f35-81cc-897137a7b567 | base64 -w0)" ]
	run k get secret root-ca -o jsonpath='{.data.ca\.crt}'
	[ "$(printf %s "$output" | base64 -d)" = "$(cat leaf.crt)" ]
	run k create secret tls upstream --cert=leaf.crt --key=leaf.key
	assert_exit 0
	run k get secret upstream -o jsonpath='{.type}'
	[ "$output" = "kubernetes.io/tls" ]
	run k create configmap root-ca-cm --from-file=ca.crt=leaf.crt --from-literal=id=x
	assert_exit 0
	run k get configmap root-ca-cm -o jsonpath='{.data.id}'
	[ "$output" = "x" ]
	run k create secret generic root-ca --from-literal=id=y
	assert_exit 1
	assert_contains 'secrets "root-ca" already exists'
}

@test "emulator: label, annotate, get -l with equality and set selectors" {
	k create secret generic sel-a --from-literal=a=1 >/dev/null
	k create secret generic sel-b --from-literal=a=1 >/dev/null
	run k label secret sel-a konghq.com/ca-cert=true
	assert_exit 0
	assert_contains "secret/sel-a labeled"
	run k annotate secret sel-a kubernetes.io/ingress.class=kong
	assert_exit 0
	run k get secrets -l konghq.com/ca-cert=true -o name
	[ "$output" = "secret/sel-a" ]
	run k get secrets -l '!konghq.com/ca-cert' -o name
	assert_contains "secret/sel-b"
	case "$output" in *sel-a*) false ;; esac
	run k get secrets -l 'konghq.com/ca-cert in (true,yes)' -o name
	[ "$output" = "secret/sel-a" ]
	run k get secret sel-a -o jsonpath='{.metadata.annotations.kubernetes\.io/ingress\.class}'
	[ "$output" = "kong" ]
	run k label secret sel-a 'bad label=x'
	assert_exit 1
}

@test "emulator: kubectl delete and a 404 afterwards" {
	k create configmap gone --from-literal=a=b >/dev/null
	run k delete configmap gone
	assert_exit 0
	assert_contains 'configmap "gone" deleted'
	run k get configmap gone
	assert_exit 1
	assert_contains 'configmaps "gone" not found'
}

@test "emulator: kubectl patch --type merge, json (with a failing test op) and strategic (Service ports by port)" {
	k create service clusterip echo --tcp=443:8443 >/dev/null
	run k patch svc echo --type=merge -p '{"metadata":{"annotations":{"konghq.com/protocol":"https"}}}'
	assert_exit 0
	run k patch svc echo --type=json -p '[{"op":"add","path":"/metadata/annotations/konghq.com~1tls-verify","value":"true"}]'
	assert_exit 0
	run k patch svc echo --type=json -p '[{"op":"test","path":"/metadata/annotations/konghq.com~1tls-verify","value":"false"},{"op":"remove","path":"/metadata/annotations"}]'
	assert_exit 1
	assert_contains "the server rejected our request due to an error in our request"
	run k get svc echo -o jsonpath='{.metadata.annotations.konghq\.com/protocol} {.metadata.annotations.konghq\.com/tls-verify}'
	[ "$output" = "https true" ]
	run k patch svc echo -p '{"spec":{"ports":[{"name":"alt","port":8443,"targetPort":8443}]}}'
	assert_exit 0
	run k get svc echo -o jsonpath='{.spec.ports[*].port}'
	[ "$output" = "8443 443" ]
	run k patch svc echo -p '{"spec":{"ports":[{"port":8443,"$patch":"delete"}]}}'
	assert_exit 0
	run k get svc echo -o jsonpath='{.spec.ports[*].port}'
	[ "$output" = "443" ]
	run k patch svc echo --type=merge -p '{"spec":{"clusterIP":"10.96.99.99","clusterIPs":["10.96.99.99"]}}'
	assert_exit 1
	assert_contains 'may not change once set'
}

@test "emulator: kubectl apply --server-side, a conflict with another field manager, then --force-conflicts" {
	cat >cm.yaml <<-'YAML'
	apiVersion: v1
	kind: ConfigMap
	metadata:
	  name: ssa
	  labels:
	    konghq.com/ca-cert: "true"
	data:
	  id: one
	YAML
	run k apply --server-side --field-manager=kubectl-kong-tls -f cm.yaml
	assert_exit 0
	assert_contains "configmap/ssa serverside-applied"
	run k apply --server-side --field-manager=kubectl-kong-tls -f cm.yaml
	assert_exit 0
	sed 's/id: one/id: two/' cm.yaml >cm2.yaml
	run k apply --server-side --field-manager=other-tool -f cm2.yaml
	assert_exit 1
	assert_contains 'Apply failed with 1 conflict: conflict with "kubectl-kong-tls": .data.id'
	assert_contains "--force-conflicts"
	run k get configmap ssa -o jsonpath='{.data.id}'
	[ "$output" = "one" ]
	run k apply --server-side --field-manager=other-tool --force-conflicts -f cm2.yaml
	assert_exit 0
	run k get configmap ssa -o jsonpath='{.data.id} {.metadata.managedFields[*].manager}'
	[ "$output" = "two kubectl-kong-tls other-tool" ]
	# the first manager still co-owns the label (same value), no longer the id
	run k get configmap ssa -o jsonpath='{.metadata.managedFields[0].fieldsV1}'
	assert_contains 'konghq.com/ca-cert'
	case "$output" in *'f:id'*) false ;; esac
}

@test "emulator: --dry-run=server on create, annotate, apply and delete changes nothing" {
	run k create secret generic dry --from-literal=a=b --dry-run=server -o jsonpath='{.metadata.name}'
	assert_exit 0
	[ "$output" = "dry" ]
	run k get secret dry
	assert_exit 1
	k create configmap keep --from-literal=a=b >/dev/null
	run k annotate configmap keep konghq.com/x=y --dry-run=server -o jsonpath='{.metadata.annotations.konghq\.com/x}'
	assert_exit 0
	[ "$output" = "y" ]
	run k get configmap keep -o jsonpath='{.metadata.annotations}'
	[ -z "$output" ]
	run k delete configmap keep --dry-run=server
	assert_exit 0
	assert_contains "(server dry run)"
	run k get configmap keep -o name
	[ "$output" = "configmap/keep" ]
	run grep -c '"dry_run": true' "$EMU_DIR/requests.log"
	[ "$output" -ge 3 ]
}

@test "emulator: a bad token gets 401, the read-only user 403 with the real message, the client certificate works" {
	run kubectl --kubeconfig "$EMU_DIR/kubeconfig" --token=not-a-token get secrets
	assert_exit 1
	assert_contains "You must be logged in to the server"
	k create configmap ro-target --from-literal=a=b >/dev/null
	run kubectl --kubeconfig "$EMU_DIR/kubeconfig-readonly" get configmap ro-target -o name
	assert_exit 0
	[ "$output" = "configmap/ro-target" ]
	run kubectl --kubeconfig "$EMU_DIR/kubeconfig-readonly" annotate configmap ro-target a=b
	assert_exit 1
	assert_contains 'configmaps "ro-target" is forbidden: User "readonly" cannot patch resource "configmaps" in API group "" in the namespace "default"'
	run kubectl --kubeconfig "$EMU_DIR/kubeconfig-readonly" create secret generic nope --from-literal=a=b
	assert_exit 1
	assert_contains 'secrets is forbidden: User "readonly" cannot create resource "secrets"'
	run kubectl --kubeconfig "$EMU_DIR/kubeconfig-cert" auth whoami -o jsonpath='{.status.userInfo.username}'
	assert_exit 0
	[ "$output" = "cert-admin" ]
	run kubectl --kubeconfig "$EMU_DIR/kubeconfig-cert" create secret generic by-cert --from-literal=a=b
	assert_exit 0
	# TLS is verified against the emulator's own CA: without it the handshake is refused
	run curl -sS "$EMU_URL/api" -H "Authorization: Bearer $EMU_TOKEN"
	[ "$status" -ne 0 ]
	run curl -sS --cacert "$EMU_DIR/ca.crt" "$EMU_URL/api/v1/namespaces/default/secrets"
	assert_contains '"reason":"Unauthorized"'
	assert_contains '"code":401'
}

@test "emulator: BackendTLSPolicy v1alpha3 through kubectl create -f, get and a CEL-rule refusal" {
	cat >btls.yaml <<-'YAML'
	apiVersion: gateway.networking.k8s.io/v1alpha3
	kind: BackendTLSPolicy
	metadata:
	  name: echo
	spec:
	  targetRefs:
	  - group: ""
	    kind: Service
	    name: echo
	  validation:
	    caCertificateRefs:
	    - group: ""
	      kind: ConfigMap
	      name: root-ca
	    hostname: echo.example.com
	YAML
	run k create -f btls.yaml
	assert_exit 0
	run k get backendtlspolicy echo -o jsonpath='{.apiVersion} {.metadata.generation} {.spec.validation.hostname}'
	[ "$output" = "gateway.networking.k8s.io/v1alpha3 1 echo.example.com" ]
	run k patch backendtlspolicy echo --type=merge -p '{"spec":{"validation":{"wellKnownCACertificates":"System"}}}'
	assert_exit 1
	assert_contains "must not contain both CACertificateRefs and WellKnownCACertificates"
	run k patch backendtlspolicy echo -p '{"metadata":{"labels":{"a":"b"}}}'
	assert_exit 1
	assert_contains "application/merge-patch+json"
}

@test "emulator: server-side apply of a Service without protocol keys ports as kube-apiserver does, and prunes" {
	cat >svc.yaml <<-'YAML'
	apiVersion: v1
	kind: Service
	metadata:
	  name: applied
	  labels:
	    team: blue
	spec:
	  selector:
	    app: echo
	  ports:
	  - name: https
	    port: 443
	    targetPort: 8443
	YAML
	run k apply --server-side -f svc.yaml
	assert_exit 0
	run k apply --server-side -f svc.yaml
	assert_exit 0
	run k get svc applied -o jsonpath='{.spec.ports}'
	[ "$output" = '[{"name":"https","port":443,"protocol":"TCP","targetPort":8443}]' ]
	run k get svc applied -o jsonpath='{.metadata.managedFields[0].fieldsV1.f:spec.f:ports}'
	assert_contains 'k:{\"port\":443,\"protocol\":\"TCP\"}'
	# a field the manager stops applying is removed (nobody else owns it)
	sed '/labels:/,+1d' svc.yaml >svc2.yaml
	run k apply --server-side -f svc2.yaml
	assert_exit 0
	run k get svc applied -o jsonpath='{.metadata.labels}'
	[ -z "$output" ]
}
