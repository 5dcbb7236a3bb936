# shellcheck shell=bash
# checks.sh — the one place that decides whether the stack is complete: used at the end of every
# setup, by `scripts/setup-stack.sh --check`, and by the end-to-end suite (requireStack runs
# `scripts/setup-stack.sh --check --quick`). For each module NAME of the driver's list:
#   check_NAME     quick checks: nothing built, pushed or written; a few seconds for all;
#   selftest_NAME  (optional) uses NAME for real (builds, pushes, runs containers); run by the
#                  full check only, and only when every quick check passed.
# A check reports with ok/fail and carries on, so one run names everything that is missing.
# No check needs root, only access to the Docker sockets and to the BuildKit daemons' sockets
# (root's only, as their daemons run; buildx inspect of the remote builders asks them).

SELFTEST_TAG=multiarch-release-selftest
CHECK_FAILS=0
CHECK_LOG_DIR="$LOG_DIR"
# what the last line of a passing run names, filled by the checks
CHECK_SUMMARY=()

ok() { log "ok: $*"; }
fail() {
  echo "[setup-stack] CHECK FAILED: $*" >&2
  CHECK_FAILS=$((CHECK_FAILS + 1))
}

# run_checks quick|full MODULE... — fails (exit 1) naming the number of failed checks
run_checks() {
  local mode="$1" m t
  shift
  CHECK_FAILS=0
  for m in "$@"; do "check_${m//-/_}"; done
  if [[ "$mode" == full ]] && ((CHECK_FAILS == 0)); then
    # the self-tests' logs: $LOG_DIR when writable (root), else a directory of this run
    if ! mkdir -p "$LOG_DIR" 2>/dev/null || [[ ! -w "$LOG_DIR" ]]; then CHECK_LOG_DIR="$(mktemp -d)"; fi
    for m in "$@"; do
      if declare -F "selftest_${m//-/_}" >/dev/null; then
        t=$SECONDS
        "selftest_${m//-/_}"
        log "selftest_${m//-/_}: $((SECONDS - t))s"
      fi
    done
  fi
  ((CHECK_FAILS == 0)) || die "$CHECK_FAILS check(s) failed; run scripts/setup-stack.sh (as root)"
  local summary
  summary="$(printf '%s, ' "${CHECK_SUMMARY[@]}")"
  log "ready ($mode check): ${summary%, }"
}

# ---------------------------------------------------------------------------
# engine: Docker engine, buildx, containerd image store, QEMU
# ---------------------------------------------------------------------------
check_engine() {
  if ! command -v docker >/dev/null; then
    fail "no docker CLI on PATH"
    return 0
  fi
  if ! docker_info_ok; then
    fail "docker info fails: the Docker engine is not running or this user cannot reach it"
    return 0
  fi
  local client server buildx components out name
  client="$(docker version --format '{{.Client.Version}}' 2>/dev/null || echo '?')"
  server="$(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')"
  components="$(docker version --format '{{range .Server.Components}}{{.Name}} {{.Version}}; {{end}}' 2>/dev/null || true)"
  buildx="$(docker buildx version 2>/dev/null | awk '{print $2}' || true)"
  log "docker client $client ($(command -v docker)), server $server"
  log "server components: ${components%; }"
  log "buildx ${buildx:-missing}"
  [[ -n "$buildx" ]] || fail "docker buildx is not available"

  if engine_uses_containerd_store; then ok "containerd image store in use"; else warn "engine does not use the containerd image store"; fi

  out="$(buildx_platforms)"
  if [[ "$out" == *linux/arm64* ]]; then ok "docker buildx ls lists linux/arm64"; else fail "docker buildx ls does not list linux/arm64:"$'\n'"$out"; fi

  for name in qemu-aarch64 qemu-arm; do
    if binfmt_has_F "$name"; then
      ok "binfmt: $name enabled [$(binfmt_flags "$name")]"
    else
      fail "binfmt: $name is not registered and enabled with the F flag ($BINFMT/$name)"
    fi
  done
  CHECK_SUMMARY+=("engine $server" "buildx $buildx")
}

# selftest_engine — a linux/arm64 container runs under QEMU; a published port answers
selftest_engine() {
  local out blog="$CHECK_LOG_DIR/selftest-build.log"
  if docker buildx build -q --platform linux/arm64 --load -t "$SELFTEST_TAG:arm64" "$REPO_ROOT/example" >/dev/null 2>"$blog"; then
    out="$(docker run --rm --platform linux/arm64 "$SELFTEST_TAG:arm64" uname -m 2>&1 || true)"
    if [[ "$out" == aarch64 ]]; then ok "linux/arm64 container runs (uname -m: $out)"; else fail "linux/arm64 container printed '$out', expected aarch64"; fi
  else
    fail "docker buildx build --platform linux/arm64 failed (see $blog)"
  fi

  local cid="" port="" body=""
  if docker buildx build -q --platform linux/amd64 --load -t "$SELFTEST_TAG:amd64" "$REPO_ROOT/example" >/dev/null 2>>"$blog" &&
    cid="$(docker run -d -p 127.0.0.1::8080 "$SELFTEST_TAG:amd64" 2>&1)"; then
    port="$(docker port "$cid" 8080/tcp 2>/dev/null | head -n1 | sed 's/.*://')"
    for _ in $(seq 1 20); do
      body="$(curl -fsS -m 2 "http://127.0.0.1:$port/health" 2>/dev/null || true)"
      [[ -n "$body" ]] && break
      sleep 0.5
    done
    docker rm -f "$cid" >/dev/null 2>&1 || true
    if [[ "$body" == ok* ]]; then ok "published port 127.0.0.1:$port -> 8080 answers /health"; else fail "published port 127.0.0.1:${port:-?} did not answer /health"; fi
  else
    fail "could not build/run the amd64 self-test container: $cid"
  fi
}

# ---------------------------------------------------------------------------
# cosign
# ---------------------------------------------------------------------------
check_cosign() {
  local v
  if cosign_ok; then
    v="$(cosign_version)"
    ok "cosign $v"
    CHECK_SUMMARY+=("cosign $v")
  else
    fail "cosign version fails (not installed?)"
  fi
}

# ---------------------------------------------------------------------------
# skopeo
# ---------------------------------------------------------------------------
check_skopeo() {
  local v
  v="$(skopeo_version)"
  if [[ -n "$v" ]]; then
    ok "skopeo $v"
    CHECK_SUMMARY+=("skopeo $v")
  else
    fail "skopeo --version fails (not installed?)"
  fi
}

# ---------------------------------------------------------------------------
# tls: test CA, server certificate, trust by dockerd and the system store
# ---------------------------------------------------------------------------

# auth_addr_for_checks — AUTH_REGISTRY_ADDR from the docker0 address; fails (once) without it
AUTH_ADDR_FAILED=false
auth_addr_for_checks() {
  [[ -n "$AUTH_REGISTRY_ADDR" ]] && return 0
  $AUTH_ADDR_FAILED && return 1
  AUTH_ADDR_FAILED=true
  if ! command -v ip >/dev/null; then
    fail "registry-auth: no 'ip' command (iproute2) to read the docker0 address"
    return 1
  fi
  local addr
  addr="$(docker0_ip)"
  if [[ -z "$addr" ]]; then
    fail "registry-auth: no IPv4 address on the docker0 bridge ('ip -4 -o addr show docker0'); the TLS registry listens there"
    return 1
  fi
  AUTH_REGISTRY_ADDR="$addr:$AUTH_REGISTRY_PORT"
}

check_tls() {
  auth_addr_for_checks || return 0
  local host="${AUTH_REGISTRY_ADDR%:*}" certs_d
  certs_d="$(docker_certs_d_ca)"
  if [[ -s "$TLS_CA" ]] && openssl x509 -checkend 86400 -noout -in "$TLS_CA" >/dev/null 2>&1; then
    ok "TLS: test CA $TLS_CA valid for more than a day"
  else
    fail "TLS: test CA $TLS_CA missing or expiring within a day"
  fi
  if openssl verify -CAfile "$TLS_CA" "$TLS_SERVER_CRT" >/dev/null 2>&1 &&
    openssl x509 -checkend 86400 -noout -in "$TLS_SERVER_CRT" >/dev/null 2>&1 &&
    server_cert_has_ip "$TLS_SERVER_CRT" "$host" && server_cert_has_ip "$TLS_SERVER_CRT" 127.0.0.1; then
    ok "TLS: server certificate issued by the test CA, IP SANs $host and 127.0.0.1"
  else
    fail "TLS: $TLS_SERVER_CRT missing, expiring, not issued by the test CA, or without IP SAN $host or 127.0.0.1"
  fi
  if [[ -f "$certs_d" ]] && cmp -s "$TLS_CA" "$certs_d"; then ok "dockerd trusts the test CA ($certs_d)"; else fail "$certs_d missing or not the current test CA"; fi
  if [[ -f "$SYSTEM_CA_FILE" ]] && cmp -s "$TLS_CA" "$SYSTEM_CA_FILE"; then ok "system trust store has the test CA ($SYSTEM_CA_FILE)"; else fail "$SYSTEM_CA_FILE missing or not the current test CA"; fi
}

# ---------------------------------------------------------------------------
# registries: plain on $REGISTRY_ADDR, TLS + htpasswd on <docker0>:5443
# ---------------------------------------------------------------------------
check_registries() {
  if registry_ok; then ok "registry answers on http://$REGISTRY_ADDR/v2/"; else fail "no registry answers on http://$REGISTRY_ADDR/v2/"; fi
  CHECK_SUMMARY+=("registry $REGISTRY_ADDR")
  if nodelete_registry_ok; then ok "registry-nodelete answers on http://$NODELETE_REGISTRY_ADDR/v2/"; else fail "no registry answers on http://$NODELETE_REGISTRY_ADDR/v2/ (registry-nodelete)"; fi
  if nodelete_registry_refuses; then ok "registry-nodelete refuses DELETE with 405"; else fail "registry-nodelete: a DELETE was not answered 405 (deletes must be disabled)"; fi
  CHECK_SUMMARY+=("registry-nodelete $NODELETE_REGISTRY_ADDR (no deletes)")
  auth_addr_for_checks || return 0

  local code out
  code="$(auth_registry_status --cacert "$TLS_CA")"
  if [[ "$code" == 401 ]]; then ok "registry-auth: https://$AUTH_REGISTRY_ADDR/v2/ answers 401 without credentials"; else fail "registry-auth: https://$AUTH_REGISTRY_ADDR/v2/ without credentials: HTTP $code (expected 401)"; fi
  code="$(auth_registry_status --cacert "$TLS_CA" -u "$AUTH_REGISTRY_USER:$AUTH_REGISTRY_PASSWORD")"
  if [[ "$code" == 200 ]]; then ok "registry-auth: 200 with -u $AUTH_REGISTRY_USER:***"; else fail "registry-auth: https://$AUTH_REGISTRY_ADDR/v2/ with credentials: HTTP $code (expected 200)"; fi
  # the system trust store (what buildx's CLI, cosign and curl use without --cacert)
  code="$(auth_registry_status)"
  if [[ "$code" == 401 ]]; then ok "registry-auth: trusted through the system trust store"; else fail "registry-auth: curl without --cacert: HTTP $code (test CA not in the system trust store?)"; fi
  if [[ -r "$AUTH_REGISTRY_ENV" ]] && grep -qxF "REGISTRY_AUTH_HOST=$AUTH_REGISTRY_ADDR" "$AUTH_REGISTRY_ENV"; then
    ok "$AUTH_REGISTRY_ENV: REGISTRY_AUTH_HOST=$AUTH_REGISTRY_ADDR"
  else
    fail "$AUTH_REGISTRY_ENV missing or REGISTRY_AUTH_HOST is not $AUTH_REGISTRY_ADDR"
  fi
  if command -v node >/dev/null; then
    # Node.js ignores the system store: tests need NODE_EXTRA_CA_CERTS (read at process start)
    out="$(env -u NODE_OPTIONS NODE_EXTRA_CA_CERTS="$TLS_CA" timeout 20 node -e \
      "fetch('https://$AUTH_REGISTRY_ADDR/v2/').then(r => console.log(r.status), e => console.log(String(e.cause || e)))" 2>&1 || true)"
    if [[ "$out" == 401 ]]; then ok "registry-auth: Node.js fetch with NODE_EXTRA_CA_CERTS=$TLS_CA answers 401"; else fail "registry-auth: Node.js fetch with NODE_EXTRA_CA_CERTS: $out"; fi
  fi
  CHECK_SUMMARY+=("registry-auth $AUTH_REGISTRY_ADDR (TLS+auth)")
}

# selftest_registries — buildx pushes a two-platform index to each registry; on the auth
# registry also docker login and its refusals, imagetools inspect/create and cosign sign/verify
selftest_registries() {
  local ref="$REGISTRY_ADDR/$SELFTEST_TAG:latest" idx plog="$CHECK_LOG_DIR/selftest-push.log"
  if docker buildx build -q --platform linux/amd64,linux/arm64 -t "$ref" --push "$REPO_ROOT/example" >/dev/null 2>"$plog"; then
    idx="$(curl -fsS -m 5 -H 'Accept: application/vnd.oci.image.index.v1+json' -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
      "http://$REGISTRY_ADDR/v2/$SELFTEST_TAG/manifests/latest" 2>/dev/null || true)"
    if [[ "$idx" == *'"arm64"'* && "$idx" == *'"amd64"'* ]]; then
      ok "buildx pushed a linux/amd64+linux/arm64 index to $ref"
    else
      fail "the pushed index at $ref does not list amd64 and arm64"
    fi
  else
    fail "docker buildx build --push to $ref failed (see $plog)"
  fi
  selftest_auth_registry
}

# selftest_auth_registry — with a throw-away DOCKER_CONFIG: the machine's docker config and
# builders are not touched.
selftest_auth_registry() {
  local dc repo="$AUTH_REGISTRY_ADDR/$SELFTEST_TAG" alog="$CHECK_LOG_DIR/selftest-auth.log" digest="" step="" out
  dc="$(mktemp -d)"
  : >"$alog"
  # dc_run CMD... — run with the throw-away DOCKER_CONFIG, output to the log
  dc_run() {
    echo "+ $*" >>"$alog"
    DOCKER_CONFIG="$dc" "$@" >>"$alog" 2>&1
  }
  # dc_push REF — multi-platform build + push, up to 3 attempts. Such a push fails now and then
  # with "unexpected status from HEAD request to .../manifests/<tag>: 500 Internal Server
  # Error": dockerd 26 with the containerd image store pushes every platform manifest by tag
  # too (moby/moby#49949, fixed in later releases) and distribution 2.8's filesystem driver
  # rewrites the tag link in place, so a concurrent HEAD may read it half-written (registry
  # log: "invalid checksum digest format"). The plain registry on :5000 has the same race.
  dc_push() {
    local n
    for n in 1 2 3; do
      dc_run docker buildx build --builder default -q --platform linux/amd64,linux/arm64 -t "$1" --push "$REPO_ROOT/example" && return 0
      tail -n 1 "$alog" | grep -q '500 Internal Server Error' || return 1
      warn "registry-auth: push attempt $n hit the registry's tag race (HTTP 500, moby/moby#49949)"
    done
    return 1
  }

  # refusals first, while not logged in
  out="$(DOCKER_CONFIG="$dc" timeout 60 docker buildx imagetools inspect "$repo:latest" 2>&1 || true)"
  if [[ "$out" == *unauthorized* || "$out" == *authorization* || "$out" == *401* ]]; then
    ok "registry-auth: imagetools inspect without credentials refused ($(tail -n1 <<<"$out"))"
  else
    fail "registry-auth: imagetools inspect without credentials did not fail as unauthorized: $out"
  fi
  if out="$(printf 'wrong-password' | DOCKER_CONFIG="$dc" timeout 60 docker login "$AUTH_REGISTRY_ADDR" -u "$AUTH_REGISTRY_USER" --password-stdin 2>&1)"; then
    fail "registry-auth: docker login with a wrong password succeeded: $out"
  elif [[ "$out" == *unauthorized* || "$out" == *401* ]]; then
    ok "registry-auth: docker login with a wrong password refused ($(tail -n1 <<<"$out"))"
  else
    fail "registry-auth: docker login with a wrong password: $out"
  fi

  if ! printf '%s' "$AUTH_REGISTRY_PASSWORD" | dc_run docker login "$AUTH_REGISTRY_ADDR" -u "$AUTH_REGISTRY_USER" --password-stdin; then
    step="docker login $AUTH_REGISTRY_ADDR"
  elif ! dc_push "$repo:latest"; then
    step="docker buildx build --platform linux/amd64,linux/arm64 --push -t $repo:latest"
  elif ! DOCKER_CONFIG="$dc" docker buildx imagetools inspect --raw "$repo:latest" >"$dc/index.json" 2>>"$alog" ||
    ! grep -q '"arm64"' "$dc/index.json" || ! grep -q '"amd64"' "$dc/index.json"; then
    step="docker buildx imagetools inspect --raw $repo:latest (amd64+arm64 index)"
  elif ! digest="sha256:$(sha256sum "$dc/index.json" | awk '{print $1}')" ||
    ! dc_run docker buildx imagetools create --tag "$repo:copy" "$repo@$digest" ||
    ! dc_run docker buildx imagetools inspect "$repo:copy"; then
    step="docker buildx imagetools create --tag $repo:copy $repo@$digest"
  elif ! (cd "$dc" && COSIGN_PASSWORD=selftest dc_run cosign generate-key-pair) ||
    ! COSIGN_PASSWORD=selftest dc_run cosign sign --key "$dc/cosign.key" --tlog-upload=false --yes "$repo@$digest" ||
    ! dc_run cosign verify --key "$dc/cosign.pub" --insecure-ignore-tlog=true "$repo:latest"; then
    step="cosign sign/verify $repo@$digest"
  fi
  if [[ -n "$step" ]]; then
    fail "registry-auth: $step failed (see $alog)"
  else
    ok "registry-auth: docker login, buildx push (amd64+arm64), imagetools inspect/create and cosign sign/verify work on $AUTH_REGISTRY_ADDR"
  fi
  DOCKER_CONFIG="$dc" docker logout "$AUTH_REGISTRY_ADDR" >/dev/null 2>&1 || true
  rm -rf "$dc"
}

# ---------------------------------------------------------------------------
# fixtures and Node.js 24
# ---------------------------------------------------------------------------
check_fixtures() {
  local a bad=()
  for a in "${FIXTURE_ARCHS[@]}"; do fixture_ok "$a" || bad+=("example/bin/busybox-$a"); done
  if ((${#bad[@]} == 0)); then
    ok "fixtures: example/bin/busybox-{$(
      IFS=,
      echo "${FIXTURE_ARCHS[*]}"
    )}"
  else
    fail "fixtures missing or not built for their architecture: ${bad[*]}"
  fi
  [[ -f "$REPO_ROOT/example/Dockerfile" ]] || fail "missing example/Dockerfile"
}

check_node24() {
  local v
  v="$(node24_version)"
  if [[ "$v" == v24.* ]]; then
    ok "Node.js 24: $(node24_bin) ($v)"
    CHECK_SUMMARY+=("node24 $v")
  else
    fail "Node.js 24 missing: $NODE24_ENV names no NODE24 whose --version prints v24.*"
  fi
}

# ---------------------------------------------------------------------------
# sid-engine: Docker 28.5.2 engines d28c (containerd store) and d28 (classic store)
# ---------------------------------------------------------------------------
SID_ENGINE_SELFTEST_REPO="$REGISTRY_ADDR/multiarch-release/new-stacks-selftest"

# sid_engine_versions NAME — one line: client, server, containerd, runc, buildx
sid_engine_versions() {
  local n="$1" v
  v="$(sid_engine_docker "$n" version --format 'client {{.Client.Version}}, server {{.Server.Version}}, {{range .Server.Components}}{{.Name}} {{.Version}}, {{end}}' 2>/dev/null || true)"
  echo "${v}buildx $(sid_engine_docker "$n" buildx version 2>/dev/null | awk '{print $2}')"
}

# docker0_check WHAT — the primary engine's bridge must still be there (see sid-engine.sh)
docker0_check() {
  if [[ "$(docker0_state)" == present ]]; then return 0; fi
  fail "docker0 is absent $1: the primary engine cannot start containers (see scripts/stack/sid-engine.sh, 'docker0')"
}

check_sid_engine() {
  local n out store server plugin
  docker0_check "before checking engines d28c/d28"
  for n in "${SID_ENGINES[@]}"; do
    # one docker call per engine: the quick check runs before every end-to-end test file
    if ! pid_alive "$(sid_engine_pidfile "$n")" dockerd ||
      ! out="$(timeout 20 env DOCKER_HOST="unix://$(sid_engine_socket "$n")" DOCKER_CONFIG="$(sid_engine_docker_config "$n")" \
        "$SID_ENGINE_PREFIX/usr/bin/docker" info --format '{{.ServerVersion}} {{range .DriverStatus}}{{index . 1}} {{end}}' 2>/dev/null)"; then
      fail "engine $n does not answer on $(sid_engine_socket "$n")"
      continue
    fi
    server="${out%% *}"
    store=classic
    [[ "$out" == *io.containerd.snapshotter* ]] && store=containerd
    if [[ "$store" == "${SID_ENGINE_STORE[$n]}" ]]; then ok "engine $n: Docker $server, $store image store"; else
      fail "engine $n: image store is $store ($out), expected ${SID_ENGINE_STORE[$n]}"
    fi
    plugin="$(sid_engine_docker_config "$n")/cli-plugins/docker-buildx"
    if [[ -x "$plugin" ]]; then ok "engine $n: buildx in its DOCKER_CONFIG ($(readlink -f "$plugin"))"; else fail "engine $n: no buildx at $plugin"; fi
    if grep -qxF "DOCKER_HOST=unix://$(sid_engine_socket "$n")" "$(sid_engine_env_file "$n")" 2>/dev/null; then
      ok "engine $n: $(sid_engine_env_file "$n")"
    else
      fail "engine $n: $(sid_engine_env_file "$n") missing or names another socket"
    fi
    CHECK_SUMMARY+=("$n $server (${SID_ENGINE_STORE[$n]} store)")
  done
}

# sid_engine_http_probe NAME IMAGE — run IMAGE with 8080 published on 127.0.0.1, GET /health
sid_engine_http_probe() {
  local n="$1" cid port="" body=""
  cid="$(sid_engine_docker "$n" run -d -p 127.0.0.1::8080 "$2" 2>&1)" || {
    echo "run: $cid"
    return 1
  }
  port="$(sid_engine_docker "$n" port "$cid" 8080/tcp 2>/dev/null | head -n1 | sed 's/.*://')"
  for _ in $(seq 1 20); do
    body="$(curl -fsS -m 2 "http://127.0.0.1:$port/health" 2>/dev/null || true)"
    [[ -n "$body" ]] && break
    sleep 0.5
  done
  sid_engine_docker "$n" rm -f "$cid" >/dev/null 2>&1 || true
  echo "127.0.0.1:${port:-?}"
  [[ "$body" == ok* ]]
}

# selftest_sid_engine — on each engine: linux/arm64 builds and runs under QEMU, an image
# pushes to and pulls from the loopback registry, a published port answers
selftest_sid_engine() {
  local n out img ref blog
  for n in "${SID_ENGINES[@]}"; do
    blog="$CHECK_LOG_DIR/selftest-$n.log"
    log "engine $n: $(sid_engine_versions "$n")"
    out="$(sid_engine_docker "$n" buildx version 2>&1 || true)"
    if [[ "$out" == *" 0.29.1"* ]]; then ok "engine $n: buildx $out"; else fail "engine $n: buildx: $out"; fi
    img="$SID_ENGINE_SELFTEST_REPO:$n-arm64"
    if sid_engine_docker "$n" buildx build --builder default -q --platform linux/arm64 --load -t "$img" "$REPO_ROOT/example" >/dev/null 2>"$blog" &&
      out="$(sid_engine_docker "$n" run --rm --platform linux/arm64 "$img" uname -m 2>&1)" && [[ "$out" == aarch64 ]]; then
      ok "engine $n runs linux/arm64 (uname -m: $out)"
    else
      fail "engine $n linux/arm64 build/run: ${out:-see $blog}"
    fi
    if sid_engine_docker "$n" push -q "$img" >>"$blog" 2>&1 && sid_engine_docker "$n" rmi "$img" >/dev/null 2>&1 &&
      sid_engine_docker "$n" pull -q --platform linux/arm64 "$img" >>"$blog" 2>&1; then
      ok "engine $n pushed and pulled $img"
    else
      fail "engine $n push/pull $img (see $blog)"
    fi
    ref="$SID_ENGINE_SELFTEST_REPO:$n-amd64"
    if sid_engine_docker "$n" buildx build --builder default -q --platform linux/amd64 --load -t "$ref" "$REPO_ROOT/example" >/dev/null 2>>"$blog" &&
      out="$(sid_engine_http_probe "$n" "$ref")"; then
      ok "engine $n: published port $out -> 8080 answers /health (docker-proxy, no iptables)"
    else
      fail "engine $n HTTP probe: $out"
    fi
  done
  docker0_check "after the self-tests of engines d28c/d28"
}

# ---------------------------------------------------------------------------
# buildkit: buildkitd and buildctl built from Debian's Go packages
# ---------------------------------------------------------------------------
check_buildkit() {
  local b v
  for b in buildkitd buildctl; do
    v="$(buildkit_bin_version "$BUILDKIT_BIN_DIR/$b")"
    if [[ "$v" == "$BUILDKIT_VERSION" ]]; then ok "$BUILDKIT_BIN_DIR/$b --version: $v"; else
      fail "$BUILDKIT_BIN_DIR/$b --version answers '${v:-nothing}', expected $BUILDKIT_VERSION"
    fi
  done
  CHECK_SUMMARY+=("BuildKit $BUILDKIT_VERSION")
}

# ---------------------------------------------------------------------------
# token-registry: distribution with auth: token on <docker0>:5444
# ---------------------------------------------------------------------------
check_token_registry() {
  local addr host challenge
  if ! addr="$(docker0_ip)" || [[ -z "$addr" ]]; then
    fail "registry-token: no IPv4 address on docker0, where it listens"
    return 0
  fi
  addr="$addr:$TOKEN_REGISTRY_PORT"
  host="${addr%:*}"
  pid_alive "$RUN_DIR/registry-token.pid" docker-registry || fail "registry-token is not running"
  challenge="$(curl -sS -m 5 -o /dev/null -D - "https://$addr/v2/" 2>/dev/null | tr -d '\r' | awk -F': ' 'tolower($1) == "www-authenticate" {print $2}')"
  if [[ "$challenge" == "Bearer realm=\"$TOKEN_REALM\",service=\"$TOKEN_SERVICE\"" ]]; then
    ok "registry-token: https://$addr/v2/ answers 401 with $challenge (system trust store)"
  else
    fail "registry-token: https://$addr/v2/ challenge is '$challenge' (expected Bearer realm=\"$TOKEN_REALM\",service=\"$TOKEN_SERVICE\")"
  fi
  if cmp -s "$TOKEN_CA" "/etc/docker/certs.d/$addr/ca.crt"; then ok "registry-token: dockerd trusts its CA"; else fail "registry-token: /etc/docker/certs.d/$addr/ca.crt missing or stale"; fi
  token_cert_has_ip "$TOKEN_DIR/server.crt" "$host" || fail "registry-token: $TOKEN_DIR/server.crt lacks IP SAN $host"
  if [[ "$(openssl pkey -in "$TOKEN_SIGNING_KEY" -pubout 2>/dev/null)" == "$(openssl x509 -in "$TOKEN_SIGNING_CERT" -noout -pubkey 2>/dev/null)" ]]; then
    ok "registry-token: the signing key matches the rootcertbundle $TOKEN_SIGNING_CERT"
  else
    fail "registry-token: the signing key does not match $TOKEN_SIGNING_CERT"
  fi
  grep -qxF "REGISTRY_TOKEN_HOST=$addr" "$TOKEN_REGISTRY_ENV" 2>/dev/null || fail "$TOKEN_REGISTRY_ENV missing or names another host"
  CHECK_SUMMARY+=("registry-token $addr (TLS+token)")
}

# selftest_token_registry — Node.js reaches it with the CA the tests give it
selftest_token_registry() {
  local addr out
  addr="$(docker0_ip):$TOKEN_REGISTRY_PORT"
  out="$(env -u NODE_OPTIONS NODE_EXTRA_CA_CERTS="$TOKEN_CA" timeout 20 node -e \
    "fetch('https://$addr/v2/').then(r => console.log(r.status), e => console.log(String(e.cause || e)))" 2>&1 || true)"
  if [[ "$out" == 401 ]]; then ok "registry-token: Node.js fetch with NODE_EXTRA_CA_CERTS answers 401"; else fail "registry-token: Node.js fetch: $out"; fi
}

# ---------------------------------------------------------------------------
# builders: mar-remote, mar-fleet (remote driver), mar-container (docker-container on d28)
# ---------------------------------------------------------------------------
BUILDERS_SELFTEST_REPO="$REGISTRY_ADDR/multiarch-release/new-stacks-builders"

check_builders() {
  local d b out want
  # the remote builders' inspect below asks their buildkitd daemons
  for d in "${BUILDKITD_DAEMONS[@]}"; do
    pid_alive "$(buildkitd_pidfile "$d")" buildkitd || fail "buildkitd $d is not running ($(buildkitd_pidfile "$d"))"
  done
  # the three at once (each asks its daemons): the quick check runs before every test file
  local tmp pids=()
  tmp="$(mktemp -d)"
  for b in mar-remote mar-fleet mar-container; do
    (builder_docker "$b" buildx inspect "$b" >"$tmp/$b" 2>&1 || true) &
    pids+=("$!")
  done
  # these three only: a bare `wait` would also wait for the daemons this shell started
  wait "${pids[@]}"
  for b in mar-remote mar-fleet mar-container; do
    want=remote
    [[ "$b" == mar-container ]] && want=docker-container
    out="$(cat "$tmp/$b")"
    if [[ "$(awk '$1 == "Driver:" {print $2; exit}' <<<"$out")" != "$want" ]]; then
      fail "builder $b ($want driver) is missing: $(tail -n 1 <<<"$out")"
    elif [[ "$want" == remote && ("$out" != *linux/amd64* || "$out" != *linux/arm64*) ]]; then
      fail "builder $b does not list linux/amd64 and linux/arm64:"$'\n'"$out"
    elif ! grep -qxF "BUILDX_BUILDER=$b" "$(builder_env_file "$b")" 2>/dev/null; then
      fail "builder $b: $(builder_env_file "$b") missing"
    else
      ok "builder $b ($want driver): $(awk '$1 == "Name:" && n++ {printf "node %s ", $2}' <<<"$out")"
    fi
  done
  rm -rf "$tmp"
  CHECK_SUMMARY+=("builders mar-remote, mar-fleet, mar-container")
}

# builder_index_platforms DIGEST PATH — the platforms an index in the loopback registry lists
builder_index_platforms() {
  curl -fsS -m 10 -H 'Accept: application/vnd.oci.image.index.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    "http://$REGISTRY_ADDR/v2/$2/manifests/$1" 2>/dev/null |
    jq -r '[.manifests[] | select(.platform.os != "unknown") | .platform.os + "/" + .platform.architecture] | sort | join(",")' 2>/dev/null || true
}

# selftest_builder_push BUILDER — a 2-platform build of example/ pushed by digest
selftest_builder_push() {
  local b="$1" meta digest plats path="${BUILDERS_SELFTEST_REPO#*/}-${1#mar-}" blog="$CHECK_LOG_DIR/selftest-$1.log"
  meta="$(mktemp)"
  if ! builder_docker "$b" buildx build --builder "$b" --platform linux/amd64,linux/arm64 \
    --output "type=image,name=$REGISTRY_ADDR/$path,push-by-digest=true,name-canonical=true,push=true" \
    --metadata-file "$meta" "$REPO_ROOT/example" >"$blog" 2>&1; then
    fail "$b: 2-platform push by digest failed (see $blog)"
    rm -f "$meta"
    return 0
  fi
  digest="$(jq -r '."containerimage.digest" // empty' "$meta")"
  rm -f "$meta"
  plats="$(builder_index_platforms "$digest" "$path")"
  if [[ "$digest" == sha256:* && "$plats" == linux/amd64,linux/arm64 ]]; then
    ok "$b pushed $REGISTRY_ADDR/$path@$digest by digest ($plats)"
  else
    fail "$b: metadata digest '$digest', index platforms '$plats'"
  fi
}

# selftest_builder_load BUILDER — --load of linux/arm64 into the builder's engine, run it
selftest_builder_load() {
  local b="$1" tag="mar-new-stacks-selftest:${1#mar-}-arm64" out="" blog="$CHECK_LOG_DIR/selftest-$1.log"
  if builder_docker "$b" buildx build --builder "$b" --platform linux/arm64 --load -t "$tag" "$REPO_ROOT/example" >>"$blog" 2>&1 &&
    out="$(builder_docker "$b" run --rm --platform linux/arm64 "$tag" uname -m 2>&1)" && [[ "$out" == aarch64 ]]; then
    ok "$b --load linux/arm64 into Docker $(builder_docker "$b" version --format '{{.Server.Version}}'); runs (uname -m: $out)"
    builder_docker "$b" rmi "$tag" >/dev/null 2>&1 || true
  else
    fail "$b --load/run linux/arm64: ${out:-see $blog}"
  fi
}

# selftest_fleet_nodes — which node built which platform of the last push by digest: each
# daemon's newest build record exporting to the fleet's repository
selftest_fleet_nodes() {
  local d plat repo="${BUILDERS_SELFTEST_REPO}-fleet"
  for d in fleet-amd64 fleet-arm64; do
    plat="$(buildctl_at "$d" debug histories --format '{{json .}}' 2>/dev/null |
      jq -rs --arg repo "$repo" 'map(.record | select(any(.Exporters[]?; .Attrs.name == $repo)))
        | sort_by(.CreatedAt.seconds) | last | select(. != null) | "\(.FrontendAttrs.platform) (build \(.Ref))"' 2>/dev/null || true)"
    if [[ "$plat" == "${BUILDKITD_PLATFORMS[$d]} "* ]]; then ok "mar-fleet node $d built $plat"; else
      fail "mar-fleet node $d last built '${plat:-nothing}', expected ${BUILDKITD_PLATFORMS[$d]}"
    fi
  done
}

# selftest_builders — each builder bootstraps, pushes a 2-platform index by digest and loads
# linux/arm64 into its engine; each fleet node built its own platform
selftest_builders() {
  local b out
  for b in mar-remote mar-fleet mar-container; do
    out="$(builder_docker "$b" buildx inspect --bootstrap "$b" 2>&1 || true)"
    if [[ "$out" != *linux/arm64* || "$out" != *linux/amd64* ]]; then
      fail "docker buildx inspect --bootstrap $b:"$'\n'"$out"
      continue
    fi
    selftest_builder_push "$b"
    [[ "$b" == mar-fleet ]] && selftest_fleet_nodes
    selftest_builder_load "$b"
  done
}
