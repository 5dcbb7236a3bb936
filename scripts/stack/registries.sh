# shellcheck shell=bash
# registries.sh — three registries (Debian's docker-registry, distribution 2.8), started in the
# background:
#   * registry       127.0.0.1:5000, plain HTTP, no auth, deletes enabled (a DELETE by tag is
#     still refused: 400 DIGEST_INVALID);
#   * registry-nodelete 127.0.0.1:5002, plain HTTP, no auth, deletes disabled: every DELETE
#     answers 405 UNSUPPORTED, as GHCR's registry API does;
#   * registry-auth  <docker0 IPv4>:5443 (usually 172.17.0.1:5443), TLS (tls.sh) and htpasswd
#     auth with TEST-ONLY credentials; address, credentials and CA path are written to
#     /etc/multiarch-release/registry-auth.env.
# Why not 127.0.0.1 for the TLS registry: the registry resolvers of buildx (`docker buildx
# imagetools`) and containerd/BuildKit send every loopback registry (127.0.0.0/8, localhost, ::1)
# plain HTTP, so a TLS registry on loopback needs per-builder configuration. On the docker0
# bridge address it is an ordinary HTTPS registry for every client, and it is reachable from
# this host and its containers only, not from outside.

# STACK_REGISTRY_ADDR points the checks at another registry (setup refuses it: the registry
# on 127.0.0.1:5000 is shared)
REGISTRY_ADDR="${STACK_REGISTRY_ADDR:-127.0.0.1:5000}"
REGISTRY_CONFIG="$CONF_DIR/registry.yml"
REGISTRY_DATA="$STATE_DIR/registry"

NODELETE_REGISTRY_ADDR=127.0.0.1:5002
NODELETE_REGISTRY_CONFIG="$CONF_DIR/registry-nodelete.yml"
NODELETE_REGISTRY_DATA="$STATE_DIR/registry-nodelete"

AUTH_REGISTRY_PORT=5443
# <docker0 IPv4>:5443, set by resolve_auth_addr once dockerd runs (the bridge exists only then)
AUTH_REGISTRY_ADDR=""
AUTH_REGISTRY_USER=ci
AUTH_REGISTRY_PASSWORD=ci-password
AUTH_REGISTRY_CONFIG="$CONF_DIR/registry-auth.yml"
AUTH_REGISTRY_HTPASSWD="$CONF_DIR/registry-auth.htpasswd"
AUTH_REGISTRY_ENV="$CONF_DIR/registry-auth.env"
AUTH_REGISTRY_DATA="$STATE_DIR/registry-auth"

setup_registries() {
  apt_install docker-registry curl apache2-utils
  setup_registry
  setup_nodelete_registry
  setup_auth_registry
}

registry_ok() { curl -fsS -m 5 "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; }
nodelete_registry_ok() { curl -fsS -m 5 "http://$NODELETE_REGISTRY_ADDR/v2/" >/dev/null 2>&1; }
# nodelete_registry_refuses — a DELETE answers 405 (what GHCR answers), not 404 or 202
nodelete_registry_refuses() {
  local zeros
  zeros="$(printf '%064d' 0)"
  [[ "$(curl -sS -m 5 -o /dev/null -w '%{http_code}' -X DELETE \
    "http://$NODELETE_REGISTRY_ADDR/v2/stack-check/manifests/sha256:$zeros" 2>/dev/null)" == 405 ]]
}

# docker0_ip — IPv4 address of Docker's default bridge (empty if there is none)
docker0_ip() {
  ip -4 -o addr show dev docker0 2>/dev/null | awk '{split($4, a, "/"); print a[1]; exit}'
}

# resolve_auth_addr — set AUTH_REGISTRY_ADDR from the docker0 address
resolve_auth_addr() {
  [[ -n "$AUTH_REGISTRY_ADDR" ]] && return 0
  command -v ip >/dev/null || apt_install iproute2
  local addr
  addr="$(docker0_ip)"
  [[ "$addr" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    die "no IPv4 address on the docker0 bridge ('ip -4 -o addr show docker0': $(ip -4 -o addr show docker0 2>&1 | head -n1 || true)); the TLS registry listens there. Is dockerd running with its default bridge (not \"bridge\": \"none\" in daemon.json)?"
  AUTH_REGISTRY_ADDR="$addr:$AUTH_REGISTRY_PORT"
}

# auth_registry_status [CURL-ARGS...] — HTTP status of GET /v2/ (000: no answer / TLS error)
auth_registry_status() {
  curl -sS -m 5 -o /dev/null -w '%{http_code}' "$@" "https://$AUTH_REGISTRY_ADDR/v2/" 2>/dev/null || true
}
auth_registry_ok() { [[ "$(auth_registry_status --cacert "$TLS_CA")" == 401 ]]; }

# registry_config ADDR DATA [DELETES] — the distribution 2.8 configuration we run, deletes
# enabled unless DELETES is false; stdin (the rest of the http section and what follows it) is
# appended
registry_config() {
  cat <<EOF
# written by scripts/setup-stack.sh (multiarch-release); not the package's own config
version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: $2
  delete:
    enabled: ${3:-true}
  cache:
    blobdescriptor: inmemory
http:
  addr: $1
EOF
  cat
}

# wait_for SECONDS CHECK... — poll CHECK once a second; prints how long it took
wait_for() {
  local n="$1" i
  shift
  for i in $(seq 1 "$n"); do
    if "$@"; then
      echo "$i"
      return 0
    fi
    sleep 1
  done
  return 1
}

# serve_registry NAME CONFIG RESTART CHECK URL — (re)start the docker-registry NAME with CONFIG:
# stopped first when RESTART is true (its configuration changed); left alone when CHECK already
# passes; started when not running; then up to 30 s for CHECK to pass.
serve_registry() {
  local name="$1" config="$2" restart="$3" check="$4" url="$5" pidf secs
  pidf="$RUN_DIR/$name.pid"
  if pid_alive "$pidf" docker-registry && $restart; then
    log "restarting $name for its new configuration"
    kill "$(cat "$pidf")"
    for _ in $(seq 1 20); do
      pid_alive "$pidf" docker-registry || break
      sleep 0.5
    done
    pid_alive "$pidf" docker-registry && die "$name (pid $(cat "$pidf")) did not stop"
  fi
  if "$check"; then
    log "$name already answers on $url"
    return 0
  fi
  pid_alive "$pidf" docker-registry ||
    start_bg "$name" "$LOG_DIR/$name.log" /usr/bin/docker-registry serve "$config"
  if secs="$(wait_for 30 "$check")"; then
    log "$name answers on $url after ${secs}s"
    return 0
  fi
  tail -n 30 "$LOG_DIR/$name.log" >&2 || true
  die "$name did not come up on $url"
}

setup_registry() {
  mkdir -p "$CONF_DIR" "$REGISTRY_DATA"
  local cfg restart=false
  cfg="$(registry_config "$REGISTRY_ADDR" "$REGISTRY_DATA" <<'EOF'
  headers:
    X-Content-Type-Options: [nosniff]
EOF
  )"
  write_if_changed "$REGISTRY_CONFIG" "$cfg" && restart=true
  serve_registry registry "$REGISTRY_CONFIG" "$restart" registry_ok "http://$REGISTRY_ADDR/v2/"
}

setup_nodelete_registry() {
  mkdir -p "$CONF_DIR" "$NODELETE_REGISTRY_DATA"
  local cfg restart=false
  cfg="$(registry_config "$NODELETE_REGISTRY_ADDR" "$NODELETE_REGISTRY_DATA" false <<'EOF'
  headers:
    X-Content-Type-Options: [nosniff]
EOF
  )"
  write_if_changed "$NODELETE_REGISTRY_CONFIG" "$cfg" && restart=true
  serve_registry registry-nodelete "$NODELETE_REGISTRY_CONFIG" "$restart" nodelete_registry_ok \
    "http://$NODELETE_REGISTRY_ADDR/v2/"
}

setup_auth_registry() {
  resolve_auth_addr
  mkdir -p "$CONF_DIR" "$AUTH_REGISTRY_DATA"

  local restart=$TLS_CHANGED
  # bcrypt hashes are salted: only rewrite when the stored one does not match
  if ! htpasswd -vb "$AUTH_REGISTRY_HTPASSWD" "$AUTH_REGISTRY_USER" "$AUTH_REGISTRY_PASSWORD" >/dev/null 2>&1; then
    (umask 077 && htpasswd -Bbn "$AUTH_REGISTRY_USER" "$AUTH_REGISTRY_PASSWORD" >"$AUTH_REGISTRY_HTPASSWD.tmp")
    mv "$AUTH_REGISTRY_HTPASSWD.tmp" "$AUTH_REGISTRY_HTPASSWD"
    log "wrote $AUTH_REGISTRY_HTPASSWD (bcrypt, user $AUTH_REGISTRY_USER)"
    restart=true
  fi

  local envc
  envc="$(
    cat <<EOF
# written by scripts/setup-stack.sh (multiarch-release): TEST-ONLY credentials of the
# registry with TLS + htpasswd auth on the docker0 bridge address. docker, buildx (incl.
# imagetools), curl and cosign trust its CA; Node.js: NODE_EXTRA_CA_CERTS=\$REGISTRY_AUTH_CA
REGISTRY_AUTH_USER=$AUTH_REGISTRY_USER
REGISTRY_AUTH_PASSWORD=$AUTH_REGISTRY_PASSWORD
REGISTRY_AUTH_HOST=$AUTH_REGISTRY_ADDR
REGISTRY_AUTH_CA=$TLS_CA
EOF
  )"
  write_if_changed "$AUTH_REGISTRY_ENV" "$envc" && chmod 0644 "$AUTH_REGISTRY_ENV"

  local cfg
  cfg="$(registry_config "$AUTH_REGISTRY_ADDR" "$AUTH_REGISTRY_DATA" <<EOF
  tls:
    certificate: $TLS_SERVER_CRT
    key: $TLS_SERVER_KEY
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: multiarch-release
    path: $AUTH_REGISTRY_HTPASSWD
EOF
  )"
  write_if_changed "$AUTH_REGISTRY_CONFIG" "$cfg" && restart=true

  serve_registry registry-auth "$AUTH_REGISTRY_CONFIG" "$restart" auth_registry_ok \
    "https://$AUTH_REGISTRY_ADDR/v2/ (401 without credentials)"
}
