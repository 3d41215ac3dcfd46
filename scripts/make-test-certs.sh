#!/usr/bin/env bash
# Creates a throw-away PKI for TLS tests and local TLS runs, with openssl:
#
#   scripts/make-test-certs.sh DIR [--force]
#
# Files written to DIR (PEM, keys unencrypted, valid for 825 days):
#   ca.pem, ca.key                  the test CA that signs everything below
#   server.pem, server.key          server certificate for localhost and 127.0.0.1 (SANs
#                                   DNS:localhost, IP:127.0.0.1, and DNS:127.0.0.1 because
#                                   rabbitmq-c 0.11 checks host names against DNS entries only)
#   wrong-host.pem, wrong-host.key  server certificate for wrong-host.invalid only, signed by
#                                   the same CA, for host name mismatch tests
#   client.pem, client.key          client certificate (CN=rabbitmq-scaler, clientAuth)
#   other-ca.pem, other-ca.key      a second CA that nothing trusts
#   other-client.pem, other-client.key  client certificate signed by other-ca
#
# The files are kept when they all exist and server.pem is valid for at least one more day,
# so a running broker keeps matching certificates; --force creates new ones.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 DIR [--force]" >&2
  exit 2
fi
dir=$1
force=${2:-}
files=(ca.pem ca.key server.pem server.key wrong-host.pem wrong-host.key client.pem client.key
  other-ca.pem other-ca.key other-client.pem other-client.key)

all_present() {
  local file
  for file in "${files[@]}"; do
    [ -s "$dir/$file" ] || return 1
  done
  openssl x509 -in "$dir/server.pem" -noout -checkend 86400 >/dev/null 2>&1
}

# Test binaries running in parallel may call this script at the same time, so a lock lets one
# run at a time.
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

if [ "$force" != "--force" ] && all_present; then
  echo "make-test-certs: $dir is up to date"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
days=825

# make_ca NAME SUBJECT
make_ca() {
  openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "$2" \
    -keyout "$work/$1.key" -out "$work/$1.pem" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# make_leaf NAME CA SUBJECT EXTENSIONS
make_leaf() {
  printf '%s\n' "$4" >"$work/$1.ext"
  openssl req -newkey rsa:2048 -nodes -subj "$3" \
    -keyout "$work/$1.key" -out "$work/$1.csr" 2>/dev/null
  openssl x509 -req -in "$work/$1.csr" -CA "$work/$2.pem" -CAkey "$work/$2.key" \
    -CAcreateserial -days "$days" -extfile "$work/$1.ext" -out "$work/$1.pem" 2>/dev/null
}

server_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth"
client_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"

make_ca ca "/CN=krs test CA"
make_ca other-ca "/CN=krs untrusted test CA"
make_leaf server ca "/CN=localhost" \
  "$server_ext
subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:127.0.0.1"
make_leaf wrong-host ca "/CN=wrong-host.invalid" \
  "$server_ext
subjectAltName=DNS:wrong-host.invalid"
make_leaf client ca "/CN=rabbitmq-scaler" "$client_ext"
make_leaf other-client other-ca "/CN=rabbitmq-scaler" "$client_ext"

for file in "${files[@]}"; do
  cp "$work/$file" "$dir/$file"
done
echo "make-test-certs: wrote ${#files[@]} files to $dir"
