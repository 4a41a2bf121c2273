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
