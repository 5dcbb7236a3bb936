# shellcheck shell=bash
# tls.sh — the auth registry's TLS: a self-signed test CA and a server certificate for the
# docker0 address (IP SAN) and 127.0.0.1 / localhost, trusted by dockerd (per registry in
# /etc/docker/certs.d, read on each connection, no restart) and by the system trust store
# (buildx CLI, cosign, curl: Go/OpenSSL read /etc/ssl/certs). Node.js needs
# NODE_EXTRA_CA_CERTS=$TLS_CA (written to the auth registry's env file, registries.sh).

TLS_DIR="$CONF_DIR/tls"
TLS_CA="$TLS_DIR/ca.crt"
TLS_SERVER_CRT="$TLS_DIR/server.crt"
TLS_SERVER_KEY="$TLS_DIR/server.key"
SYSTEM_CA_FILE=/usr/local/share/ca-certificates/multiarch-release-ca.crt
# set to true by setup_tls when the server certificate was (re)created: the registry restarts
TLS_CHANGED=false

# docker_certs_d_ca — where dockerd looks for the CA of the auth registry
docker_certs_d_ca() { echo "/etc/docker/certs.d/$AUTH_REGISTRY_ADDR/ca.crt"; }

# server_cert_has_ip CERT IP — the certificate's subjectAltName lists IP Address:IP
server_cert_has_ip() {
  openssl x509 -noout -ext subjectAltName -in "$1" 2>/dev/null | tr ',' '\n' |
    sed 's/^[[:space:]]*//' | grep -qxF "IP Address:$2"
}

# setup_tls — test CA and server certificate, created only if missing, expiring within a day,
# (server) not issued by the current CA, or (server) without the current docker0 address. The
# CA is kept whenever it is still valid, so trust (certs.d, system store, NODE_EXTRA_CA_CERTS)
# stays stable.
setup_tls() {
  apt_install openssl ca-certificates
  resolve_auth_addr
  mkdir -p "$TLS_DIR"
  chmod 0755 "$TLS_DIR"
  local ca_key="$TLS_DIR/ca.key" srv_crt="$TLS_SERVER_CRT" srv_key="$TLS_SERVER_KEY"
  if [[ ! -s "$TLS_CA" || ! -s "$ca_key" ]] || ! openssl x509 -checkend 86400 -noout -in "$TLS_CA" >/dev/null 2>&1; then
    log "creating test CA $TLS_CA"
    (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout "$ca_key" -out "$TLS_CA" -subj "/CN=multiarch-release test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      >/dev/null 2>&1) || die "openssl: could not create the test CA"
    chmod 0644 "$TLS_CA"
    rm -f "$srv_crt" # a new CA needs a new server certificate
  fi
  local host="${AUTH_REGISTRY_ADDR%:*}"
  if [[ ! -s "$srv_crt" || ! -s "$srv_key" ]] ||
    ! openssl verify -CAfile "$TLS_CA" "$srv_crt" >/dev/null 2>&1 ||
    ! openssl x509 -checkend 86400 -noout -in "$srv_crt" >/dev/null 2>&1 ||
    ! server_cert_has_ip "$srv_crt" "$host" || ! server_cert_has_ip "$srv_crt" 127.0.0.1; then
    log "creating server certificate $srv_crt (IP:$host, IP:127.0.0.1, DNS:localhost)"
    local tmp
    tmp="$(mktemp -d)"
    (umask 077 && openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$srv_key" \
      -out "$tmp/server.csr" -subj "/CN=$host" >/dev/null 2>&1) || die "openssl: could not create the server key/CSR"
    printf '%s\n' "subjectAltName=IP:$host,IP:127.0.0.1,DNS:localhost" "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$tmp/ext.cnf"
    openssl x509 -req -sha256 -days 825 -in "$tmp/server.csr" -CA "$TLS_CA" -CAkey "$ca_key" \
      -set_serial "0x$(openssl rand -hex 16)" -extfile "$tmp/ext.cnf" -out "$srv_crt" >/dev/null 2>&1 ||
      die "openssl: could not sign the server certificate"
    rm -rf "$tmp"
    chmod 0644 "$srv_crt"
    # shellcheck disable=SC2034 # read by setup_auth_registry (registries.sh) to restart it
    TLS_CHANGED=true
  fi
  log "TLS: CA $TLS_CA, server certificate for $host $(openssl x509 -noout -enddate -in "$srv_crt" | sed 's/notAfter=/valid until /')"

  install_if_changed "$TLS_CA" "$(docker_certs_d_ca)" 0644 || true
  if install_if_changed "$TLS_CA" "$SYSTEM_CA_FILE" 0644; then
    log "update-ca-certificates"
    update-ca-certificates >"$LOG_DIR/update-ca-certificates.log" 2>&1 ||
      {
        cat "$LOG_DIR/update-ca-certificates.log" >&2
        die "update-ca-certificates failed"
      }
  fi
}
