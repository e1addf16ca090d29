#!/usr/bin/env bash
# A local certificate authority and a server certificate for localhost, 127.0.0.1 and ::1
# signed by it, for serving `gantry server --tls-cert DIR/server.pem --tls-key
# DIR/server-key.pem` to clients that trust DIR/ca.pem (gh: SSL_CERT_FILE=DIR/ca.pem).
#
#   scripts/dev-cert.sh DIR
#
# Writes DIR/ca.pem, DIR/ca-key.pem, DIR/server.pem and DIR/server-key.pem. Idempotent: files
# that exist and are still valid for a day are kept (the server certificate is made again
# when the CA is). For development and tests only: the CA key sits next to the certificates.
set -euo pipefail

if [[ $# -ne 1 || "$1" == -* ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
command -v openssl >/dev/null || { echo "dev-cert.sh: openssl is not installed (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir"
umask 077

valid() { [[ -s "$1" ]] && openssl x509 -in "$1" -noout -checkend 86400 >/dev/null 2>&1; }

new_ca=0
if ! valid "$dir/ca.pem" || [[ ! -s "$dir/ca-key.pem" ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/ca-key.pem" -out "$dir/ca.pem" -days 3650 -sha256 \
    -subj "/CN=Gantry development CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  new_ca=1
fi

if [[ $new_ca == 1 ]] || ! valid "$dir/server.pem" || [[ ! -s "$dir/server-key.pem" ]] ||
  ! openssl verify -CAfile "$dir/ca.pem" "$dir/server.pem" >/dev/null 2>&1; then
  ext=$(mktemp)
  csr=$(mktemp)
  trap 'rm -f "$ext" "$csr"' EXIT
  cat >"$ext" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/server-key.pem" -out "$csr" -subj "/CN=localhost" 2>/dev/null
  openssl x509 -req -in "$csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial \
    -CAserial "$dir/ca.srl" -out "$dir/server.pem" -days 825 -sha256 -extfile "$ext" 2>/dev/null
fi
chmod 644 "$dir/ca.pem" "$dir/server.pem"
echo "$dir/ca.pem"
