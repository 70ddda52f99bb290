#!/usr/bin/env bash
# Certificates for the test broker's TLS listener, made with openssl:
#   make-tls.sh <dir> [password]
# writes <dir>/ca.crt (the test CA: what clients trust), <dir>/broker.p12 (the broker's key and
# certificate for 127.0.0.1 and localhost, signed by that CA, PKCS12 with the password) and
# <dir>/other-ca.crt (a CA that signed nothing here: a client trusting only it must refuse the broker).
set -euo pipefail
DIR="$1"
PASS="${2:-broker-test-pass}"
mkdir -p "$DIR"
cd "$DIR"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=auditready test CA" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.crt -days 2 -subj "/CN=auditready other CA" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >broker.ext
openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out broker.crt -days 2 -extfile broker.ext 2>/dev/null
openssl pkcs12 -export -in broker.crt -inkey broker.key -certfile ca.crt -name broker -out broker.p12 -passout "pass:$PASS"
chmod 600 ./*.key broker.p12
echo "$DIR"
