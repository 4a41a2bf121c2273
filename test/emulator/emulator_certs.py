"""Certificates for the API server emulator: its own CA, a server certificate for 127.0.0.1/localhost and a
client certificate (user "cert-admin", group "system:masters"), made with the openssl command line.
Kept apart from emulator_core so that the launcher can start openssl before importing the (larger) core."""

import os
import subprocess

OPENSSL_CNF = """[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,IP:::1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
"""

# One shell runs the three openssl commands (CA, then server and client certificates in parallel), so that
# the launcher can start it before Python imports this module and both proceed at the same time.
CERT_SCRIPT = r"""set -e
cd "$1"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -config .openssl.cnf"
openssl req -x509 $ec -extensions ca -keyout ca.key -out ca.crt -subj /CN=kube-emulator-ca 2>.openssl.err
openssl req -x509 $ec -extensions server -keyout server.key -out server.crt -subj /CN=kube-apiserver \
    -CA ca.crt -CAkey ca.key 2>>.openssl.err &
openssl req -x509 $ec -extensions client -keyout client.key -out client.crt \
    -subj /O=system:masters/CN=cert-admin -CA ca.crt -CAkey ca.key 2>>.openssl.err
wait $!
chmod 600 ca.key server.key client.key
"""


def start_certs(d):
    """Starts generating the CA, server and client certificates in d; returns the process to wait for."""
    with open(os.path.join(d, ".openssl.cnf"), "w") as f:
        f.write(OPENSSL_CNF)
    return subprocess.Popen(["sh", "-c", CERT_SCRIPT, "sh", d], stdout=subprocess.DEVNULL,
                            env=dict(os.environ, OPENSSL_CONF=os.path.join(d, ".openssl.cnf")))


def finish_certs(d, proc):
    if proc.wait() != 0 or not all(os.path.exists(os.path.join(d, n)) for n in ("server.crt", "client.crt")):
        with open(os.path.join(d, ".openssl.err")) as f:
            raise RuntimeError("openssl failed: " + f.read())
