#!/usr/bin/env bats
# init-ca --apply: generate, then publish the root as the CA object and chain.crt + leaf.key as
# the upstream's TLS Secret, in at most 4 requests.
bats_require_minimum_version 1.5.0
load helper
load certs
load emulator

setup() {
	kt_setup
	emulator_start
}

teardown() {
	emulator_stop
}

@test "init-ca --apply writes the files, the CA Secret and the TLS Secret in 4 requests" {
	run "$KT" init-ca --out certs --apply --ca-secret root-ca --tls-secret goecho-tls
	assert_exit 0
	assert_contains "secret/root-ca created"
	assert_contains "secret/goecho-tls created"
	[ "$(requests | wc -l)" -le 4 ]
	[ "$(emulator_kubectl get secret root-ca -o jsonpath='{.data.ca\.crt}' | base64 -d)" = "$(cat certs/root.crt)" ]
	[ "$(emulator_kubectl get secret root-ca -o jsonpath='{.metadata.labels.konghq\.com/ca-cert}')" = true ]
	[ "$(emulator_kubectl get secret goecho-tls -o jsonpath='{.type}')" = kubernetes.io/tls ]
	[ "$(emulator_kubectl get secret goecho-tls -o jsonpath='{.data.tls\.crt}' | base64 -d)" = "$(cat certs/chain.crt)" ]
	# and attach can derive the depth from what was published
	make_service echo '{"konghq.com/protocol":"https"}'
	run "$KT" attach svc/echo --ca root-ca --tls-secret goecho-tls
	assert_exit 0
	assert_contains "konghq.com/tls-verify-depth: (none) -> 1"
}

@test "init-ca --apply defaults to the CA Secret root-ca; --ca-configmap publishes a ConfigMap" {
	run "$KT" init-ca --out a --apply
	assert_exit 0
	assert_contains "secret/root-ca created"
	run "$KT" init-ca --out b --apply --ca-configmap other-ca --no-leaf
	assert_exit 0
	assert_contains "configmap/other-ca created"
}

@test "a rerun with --force replaces the root under a new id" {
	"$KT" init-ca --out certs --apply >/dev/null
	id1=$(emulator_kubectl get secret root-ca -o jsonpath='{.data.id}')
	run "$KT" init-ca --out certs --apply
	assert_exit 7
	run "$KT" init-ca --out certs --apply --force
	assert_exit 0
	assert_contains "secret/root-ca configured"
	[ "$(emulator_kubectl get secret root-ca -o jsonpath='{.data.id}')" != "$id1" ]
}

@test "usage: --ca-secret without --apply, --tls-secret with --no-leaf, both CA kinds" {
	run "$KT" init-ca --out certs --ca-secret root-ca
	assert_exit 2
	run "$KT" init-ca --out certs --apply --tls-secret x --no-leaf
	assert_exit 2
	run "$KT" init-ca --out certs --apply --ca-secret a --ca-configmap b
	assert_exit 2
	[ ! -e certs ]
}

@test "a read-only user: the files are written, the cluster error is clear, nothing is created" {
	run "$KT" init-ca --out certs --apply --tls-secret goecho-tls --kubeconfig "$EMU_DIR/kubeconfig-readonly"
	assert_exit 5
	assert_contains "forbidden"
	[ -f certs/root.crt ]
	run emulator_kubectl get secret root-ca
	[ "$status" -ne 0 ]
}
