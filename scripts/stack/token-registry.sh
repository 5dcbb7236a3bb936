# shellcheck shell=bash
# token-registry.sh — a registry with token authentication, as Docker Hub, GHCR or Harbor
# authenticate: distribution 2.8 (Debian's docker-registry, as the other registries) with
# `auth: token`, on TLS at <docker0 IPv4>:5444 (like the htpasswd registry on :5443, not on
# loopback, which buildx/BuildKit always treat as plain HTTP). Its own test CA is trusted the
# same way: /etc/docker/certs.d/<host>/ca.crt (dockerd) and the system store (buildx CLI,
# buildkitd, curl). The realm is http://127.0.0.1:5445/token, served by the TypeScript token
# server that tests start (__tests__/support/token-server.ts); it signs tokens with the key
# whose certificate is the registry's rootcertbundle. Everything a test needs is written to
# /etc/multiarch-release/registry-token.env (TEST-ONLY credentials and key).
#
# Functions only (sourced by scripts/setup-stack.sh after lib.sh and registries.sh):
# setup_token_registry, stop_token_registry; its check is check_token_registry in checks.sh.
# Uses from lib.sh: log warn die apt_install pid_alive start_bg install_if_changed; from
# registries.sh: docker0_ip; STATE_DIR LOG_DIR RUN_DIR CONF_DIR.

TOKEN_REGISTRY_PORT=5444
TOKEN_REALM_PORT=5445
TOKEN_REALM="http://127.0.0.1:$TOKEN_REALM_PORT/token"
TOKEN_SERVICE=multiarch-release-token-registry
TOKEN_ISSUER=multiarch-release-token-server
TOKEN_USER=ci-token
TOKEN_PASSWORD=ci-token-password
TOKEN_DIR="$CONF_DIR/registry-token"
TOKEN_CA="$TOKEN_DIR/ca.crt"
TOKEN_SIGNING_KEY="$TOKEN_DIR/signing.key"
TOKEN_SIGNING_CERT="$TOKEN_DIR/signing.crt"
TOKEN_REGISTRY_CONFIG="$CONF_DIR/registry-token.yml"
TOKEN_REGISTRY_ENV="$CONF_DIR/registry-token.env"
TOKEN_REGISTRY_DATA="$STATE_DIR/registry-token"
TOKEN_SYSTEM_CA_FILE=/usr/local/share/ca-certificates/multiarch-release-token-ca.crt

token_registry_addr() {
  local ip
  ip="$(docker0_ip)"
  [[ "$ip" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    die "no IPv4 address on docker0 (the primary engine's bridge); the token registry listens there"
  echo "$ip:$TOKEN_REGISTRY_PORT"
}

# token_registry_status ADDR [CURL-ARGS...] — HTTP status of GET /v2/ (000: no answer / TLS error)
token_registry_status() {
  local addr="$1"
  shift
  curl -sS -m 5 -o /dev/null -w '%{http_code}' "$@" "https://$addr/v2/" 2>/dev/null || true
}

token_cert_has_ip() { # CERT IP
  openssl x509 -noout -ext subjectAltName -in "$1" 2>/dev/null | tr ',' '\n' | sed 's/^[[:space:]]*//' | grep -qxF "IP Address:$2"
}

# token_registry_tls HOST — own test CA, server certificate (IP SANs HOST, 127.0.0.1), signing
# key and certificate; each made only when missing, expiring within a day or not matching.
# Sets TOKEN_RESTART=true when the registry must reload them.
TOKEN_RESTART=false
token_registry_tls() {
  local host="$1" ca_key="$TOKEN_DIR/ca.key" crt="$TOKEN_DIR/server.crt" key="$TOKEN_DIR/server.key"
  mkdir -p "$TOKEN_DIR"
  chmod 0755 "$TOKEN_DIR"
  if [[ ! -s "$TOKEN_CA" || ! -s "$ca_key" ]] || ! openssl x509 -checkend 86400 -noout -in "$TOKEN_CA" >/dev/null 2>&1; then
    log "creating test CA $TOKEN_CA"
    (umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout "$ca_key" -out "$TOKEN_CA" \
      -subj "/CN=multiarch-release token registry test CA" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1) || die "openssl: could not create $TOKEN_CA"
    chmod 0644 "$TOKEN_CA"
    rm -f "$crt"
  fi
  if [[ ! -s "$crt" || ! -s "$key" ]] || ! openssl verify -CAfile "$TOKEN_CA" "$crt" >/dev/null 2>&1 ||
    ! openssl x509 -checkend 86400 -noout -in "$crt" >/dev/null 2>&1 ||
    ! token_cert_has_ip "$crt" "$host" || ! token_cert_has_ip "$crt" 127.0.0.1; then
    log "creating server certificate $crt (IP:$host, IP:127.0.0.1)"
    local tmp
    tmp="$(mktemp -d)"
    (umask 077 && openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout "$key" -out "$tmp/csr" -subj "/CN=$host" >/dev/null 2>&1) ||
      die "openssl: could not create the server key"
    printf '%s\n' "subjectAltName=IP:$host,IP:127.0.0.1,DNS:localhost" "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" "extendedKeyUsage=serverAuth" >"$tmp/ext.cnf"
    openssl x509 -req -sha256 -days 825 -in "$tmp/csr" -CA "$TOKEN_CA" -CAkey "$ca_key" \
      -set_serial "0x$(openssl rand -hex 16)" -extfile "$tmp/ext.cnf" -out "$crt" >/dev/null 2>&1 ||
      die "openssl: could not sign the server certificate"
    rm -rf "$tmp"
    chmod 0644 "$crt"
    TOKEN_RESTART=true
  fi
  # the token signing key (EC P-256: ES256) and its self-signed certificate, the rootcertbundle
  if [[ ! -s "$TOKEN_SIGNING_KEY" || ! -s "$TOKEN_SIGNING_CERT" ]] ||
    ! openssl x509 -checkend 86400 -noout -in "$TOKEN_SIGNING_CERT" >/dev/null 2>&1 ||
    [[ "$(openssl pkey -in "$TOKEN_SIGNING_KEY" -pubout 2>/dev/null)" != "$(openssl x509 -in "$TOKEN_SIGNING_CERT" -noout -pubkey 2>/dev/null)" ]]; then
    log "creating token signing key $TOKEN_SIGNING_KEY and certificate $TOKEN_SIGNING_CERT (ES256)"
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$TOKEN_SIGNING_KEY.tmp" >/dev/null 2>&1 &&
      openssl pkcs8 -topk8 -nocrypt -in "$TOKEN_SIGNING_KEY.tmp" -out "$TOKEN_SIGNING_KEY") || die "openssl: could not create the signing key"
    rm -f "$TOKEN_SIGNING_KEY.tmp"
    openssl req -x509 -new -sha256 -days 3650 -key "$TOKEN_SIGNING_KEY" -out "$TOKEN_SIGNING_CERT" \
      -subj "/CN=$TOKEN_ISSUER" >/dev/null 2>&1 || die "openssl: could not create the signing certificate"
    chmod 0644 "$TOKEN_SIGNING_CERT"
    TOKEN_RESTART=true
  fi
  # trust: dockerd reads certs.d per connection (no restart); the system store for the rest
  install_if_changed "$TOKEN_CA" "/etc/docker/certs.d/$host:$TOKEN_REGISTRY_PORT/ca.crt" 0644 || true
  if install_if_changed "$TOKEN_CA" "$TOKEN_SYSTEM_CA_FILE" 0644; then
    update-ca-certificates >"$LOG_DIR/update-ca-certificates-token.log" 2>&1 ||
      { cat "$LOG_DIR/update-ca-certificates-token.log" >&2; die "update-ca-certificates failed"; }
    log "added $TOKEN_CA to the system trust store"
  fi
}

token_registry_config_yml() {
  cat <<EOF
# written by scripts/stack/token-registry.sh (multiarch-release); not the package's own config
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $TOKEN_REGISTRY_DATA
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $1
  tls:
    certificate: $TOKEN_DIR/server.crt
    key: $TOKEN_DIR/server.key
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  token:
    realm: $TOKEN_REALM
    service: $TOKEN_SERVICE
    issuer: $TOKEN_ISSUER
    rootcertbundle: $TOKEN_SIGNING_CERT
EOF
}

token_registry_env() {
  cat <<EOF
# written by scripts/stack/token-registry.sh (multiarch-release): TEST-ONLY settings of the
# registry with token auth. The realm is served by __tests__/support/token-server.ts, which a
# test starts; it checks REGISTRY_TOKEN_USER/PASSWORD and signs with REGISTRY_TOKEN_SIGNING_KEY.
# Node.js: NODE_EXTRA_CA_CERTS=\$REGISTRY_TOKEN_CA; docker, buildx, BuildKit, curl trust it already.
REGISTRY_TOKEN_HOST=$1
REGISTRY_TOKEN_REALM=$TOKEN_REALM
REGISTRY_TOKEN_SERVICE=$TOKEN_SERVICE
REGISTRY_TOKEN_ISSUER=$TOKEN_ISSUER
REGISTRY_TOKEN_USER=$TOKEN_USER
REGISTRY_TOKEN_PASSWORD=$TOKEN_PASSWORD
REGISTRY_TOKEN_CA=$TOKEN_CA
REGISTRY_TOKEN_SIGNING_KEY=$TOKEN_SIGNING_KEY
REGISTRY_TOKEN_SIGNING_CERT=$TOKEN_SIGNING_CERT
EOF
}

token_registry_ok() { [[ "$(token_registry_status "$1" --cacert "$TOKEN_CA")" == 401 ]]; }

setup_token_registry() {
  apt_install docker-registry curl openssl ca-certificates
  local addr cfg env pidf="$RUN_DIR/registry-token.pid" i
  addr="$(token_registry_addr)"
  TOKEN_RESTART=false
  token_registry_tls "${addr%:*}"
  mkdir -p "$TOKEN_REGISTRY_DATA"
  env="$(token_registry_env "$addr")"
  if [[ ! -f "$TOKEN_REGISTRY_ENV" ]] || [[ "$(cat "$TOKEN_REGISTRY_ENV")" != "$env" ]]; then
    echo "$env" >"$TOKEN_REGISTRY_ENV"
    chmod 0644 "$TOKEN_REGISTRY_ENV"
    log "wrote $TOKEN_REGISTRY_ENV"
  fi
  cfg="$(token_registry_config_yml "$addr")"
  if [[ ! -f "$TOKEN_REGISTRY_CONFIG" ]] || [[ "$(cat "$TOKEN_REGISTRY_CONFIG")" != "$cfg" ]]; then
    echo "$cfg" >"$TOKEN_REGISTRY_CONFIG"
    TOKEN_RESTART=true
    log "wrote $TOKEN_REGISTRY_CONFIG"
  fi
  if pid_alive "$pidf" docker-registry && $TOKEN_RESTART; then
    stop_token_registry
  fi
  if pid_alive "$pidf" docker-registry && token_registry_ok "$addr"; then
    log "registry-token already answers on https://$addr/v2/"
    return 0
  fi
  pid_alive "$pidf" docker-registry ||
    start_bg registry-token "$LOG_DIR/registry-token.log" /usr/bin/docker-registry serve "$TOKEN_REGISTRY_CONFIG"
  for i in $(seq 1 30); do
    if token_registry_ok "$addr"; then
      log "registry-token answers 401 on https://$addr/v2/ after ${i} tries"
      return 0
    fi
    sleep 0.5
  done
  tail -n 20 "$LOG_DIR/registry-token.log" >&2 || true
  die "registry-token did not come up on $addr"
}

stop_token_registry() {
  local pidf="$RUN_DIR/registry-token.pid" pid
  pid_alive "$pidf" docker-registry || { rm -f "$pidf"; return 0; }
  pid="$(cat "$pidf")"
  log "stopping registry-token (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 20); do
    pid_alive "$pidf" docker-registry || break
    sleep 0.5
  done
  pid_alive "$pidf" docker-registry && kill -KILL "$pid" 2>/dev/null
  rm -f "$pidf"
}
