# shellcheck shell=bash
# builders.sh — buildx builders beside the engines' own, on the BuildKit of buildkit.sh:
#   mar-remote     remote driver: one buildkitd (OCI worker, Debian's runc) on a unix socket
#   mar-fleet      remote driver, two nodes: a linux/amd64 buildkitd and a linux/arm64 one
#                  (the arm64 node's worker offers linux/arm64 only, run through the kernel's QEMU)
#   mar-container  docker-container driver on engine d28 (classic store), as
#                  docker/setup-buildx-action creates it, from an image FROM scratch with
#                  buildkitd, buildctl and runc, pushed to 127.0.0.1:5000
# mar-remote and mar-fleet live in a DOCKER_CONFIG of their own ($BUILDERS_DOCKER_CONFIG,
# buildx 0.29.1); mar-container in d28's. Neither the primary engine's builders nor root's
# DOCKER_CONFIG are touched. A test selects a builder with /etc/multiarch-release/builder-NAME.env.
#
# Functions only (sourced by scripts/setup-stack.sh after lib.sh, sid-engine.sh and buildkit.sh):
# setup_builders, stop_builders; its checks are check_builders and selftest_builders in
# checks.sh. Uses from lib.sh: log warn die pid_alive
# start_bg; STATE_DIR LOG_DIR RUN_DIR CONF_DIR REGISTRY_ADDR REPO_ROOT.

BUILDERS_DIR="$STATE_DIR/builders"
BUILDERS_DOCKER_CONFIG="$BUILDERS_DIR/docker-config"
# host buildkitd daemons: name -> platforms its OCI worker offers (empty: what the host runs)
BUILDKITD_DAEMONS=(remote fleet-amd64 fleet-arm64)
declare -A BUILDKITD_PLATFORMS=([remote]="" [fleet-amd64]=linux/amd64 [fleet-arm64]=linux/arm64)
BUILDER_IMAGE="$REGISTRY_ADDR/multiarch-release/buildkit:v0.25.2"
BUILDER_IMAGE_ENGINE=d28
# setup-buildx-action's default flags for a docker-container builder
BUILDER_CONTAINER_FLAGS="--allow-insecure-entitlement security.insecure --allow-insecure-entitlement network.host"

buildkitd_root() { echo "$STATE_DIR/buildkitd-$1"; }
buildkitd_socket() { echo "$RUN_DIR/buildkitd-$1.sock"; }
buildkitd_config() { echo "$CONF_DIR/buildkitd-$1.toml"; }
buildkitd_pidfile() { echo "$RUN_DIR/buildkitd-$1.pid"; }
buildkitd_log() { echo "$LOG_DIR/buildkitd-$1.log"; }
builder_env_file() { echo "$CONF_DIR/builder-$1.env"; }

buildctl_at() { # NAME ARGS...
  local name="$1"
  shift
  timeout 20 "$BUILDKIT_BIN_DIR/buildctl" --addr "unix://$(buildkitd_socket "$name")" "$@"
}

# builders_docker ARGS... — docker 28.5.2 + buildx 0.29.1 with the builders' own DOCKER_CONFIG;
# --load goes to engine d28c (not the primary engine)
builders_docker() {
  DOCKER_HOST="unix://$(sid_engine_socket d28c)" DOCKER_CONFIG="$BUILDERS_DOCKER_CONFIG" \
    "$SID_ENGINE_PREFIX/usr/bin/docker" "$@"
}

# builder_docker BUILDER ARGS... — the docker CLI set up the way a test selecting BUILDER has it
builder_docker() {
  local b="$1"
  shift
  if [[ "$b" == mar-container ]]; then sid_engine_docker "$BUILDER_IMAGE_ENGINE" "$@"; else builders_docker "$@"; fi
}

# ---------------------------------------------------------------------------------------------
# host buildkitd daemons
# ---------------------------------------------------------------------------------------------
buildkitd_config_toml() {
  local name="$1" platforms="${BUILDKITD_PLATFORMS[$1]}"
  cat <<EOF
# written by scripts/stack/builders.sh (multiarch-release): buildkitd "$name"
root = "$(buildkitd_root "$name")"

[grpc]
  address = ["unix://$(buildkitd_socket "$name")"]

[worker.oci]
  enabled = true
  binary = "/usr/sbin/runc"
EOF
  [[ -n "$platforms" ]] && echo "  platforms = [\"$platforms\"]"
  cat <<EOF

[worker.containerd]
  enabled = false

# the loopback registry is plain HTTP
[registry."$REGISTRY_ADDR"]
  http = true
EOF
}

buildkitd_answers() { buildctl_at "$1" debug workers >/dev/null 2>&1; }

buildkitd_start() {
  local name="$1" f new changed=false pidf
  f="$(buildkitd_config "$name")" pidf="$(buildkitd_pidfile "$name")"
  new="$(buildkitd_config_toml "$name")"
  if [[ ! -f "$f" ]] || [[ "$(cat "$f")" != "$new" ]]; then
    echo "$new" >"$f"
    changed=true
    log "wrote $f"
  fi
  if pid_alive "$pidf" buildkitd; then
    if ! $changed && buildkitd_answers "$name"; then
      log "buildkitd $name already running (pid $(cat "$pidf"))"
      return 0
    fi
    buildkitd_stop "$name"
  fi
  mkdir -p "$(buildkitd_root "$name")"
  start_bg "buildkitd-$name" "$(buildkitd_log "$name")" \
    env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$BUILDKIT_BIN_DIR/buildkitd" --config "$f"
  local i
  for i in $(seq 1 40); do
    if buildkitd_answers "$name"; then
      log "buildkitd $name answers on $(buildkitd_socket "$name") after ${i} tries"
      return 0
    fi
    # kill -0, not pid_alive: right after the start the pid may still be exec-ing (env, nohup)
    kill -0 "$(cat "$pidf")" 2>/dev/null || break
    sleep 0.5
  done
  tail -n 20 "$(buildkitd_log "$name")" >&2 || true
  die "buildkitd $name did not come up (log: $(buildkitd_log "$name"))"
}

buildkitd_stop() {
  local name="$1" pidf pid
  pidf="$(buildkitd_pidfile "$name")"
  pid_alive "$pidf" buildkitd || { rm -f "$pidf"; return 0; }
  pid="$(cat "$pidf")"
  log "stopping buildkitd $name (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 30); do
    pid_alive "$pidf" buildkitd || break
    sleep 0.5
  done
  pid_alive "$pidf" buildkitd && kill -KILL "$pid" 2>/dev/null
  rm -f "$pidf"
}

# ---------------------------------------------------------------------------------------------
# buildx builder definitions
# ---------------------------------------------------------------------------------------------
# builder_endpoints BUILDER — its nodes' endpoints, sorted (empty if it does not exist)
builder_endpoints() {
  builder_docker "$1" buildx inspect "$1" 2>/dev/null | awk '$1 == "Endpoint:" {print $2}' | sort || true
}

setup_remote_builders() {
  mkdir -p "$BUILDERS_DOCKER_CONFIG/cli-plugins"
  ln -sfn "$SID_ENGINE_PREFIX/usr/libexec/docker/cli-plugins/docker-buildx" "$BUILDERS_DOCKER_CONFIG/cli-plugins/docker-buildx"
  [[ -f "$BUILDERS_DOCKER_CONFIG/config.json" ]] || echo '{}' >"$BUILDERS_DOCKER_CONFIG/config.json"

  local want
  want="unix://$(buildkitd_socket remote)"
  if [[ "$(builder_endpoints mar-remote)" != "$want" ]]; then
    builders_docker buildx rm mar-remote >/dev/null 2>&1 || true
    builders_docker buildx create --name mar-remote --node mar-remote0 --driver remote "$want" >/dev/null
    log "created builder mar-remote (remote driver, $want)"
  else
    log "builder mar-remote present"
  fi

  want="$(printf '%s\n' "unix://$(buildkitd_socket fleet-amd64)" "unix://$(buildkitd_socket fleet-arm64)" | sort)"
  if [[ "$(builder_endpoints mar-fleet)" != "$want" ]]; then
    builders_docker buildx rm mar-fleet >/dev/null 2>&1 || true
    builders_docker buildx create --name mar-fleet --node fleet-amd64 --driver remote --platform linux/amd64 \
      "unix://$(buildkitd_socket fleet-amd64)" >/dev/null
    builders_docker buildx create --append --name mar-fleet --node fleet-arm64 --platform linux/arm64 \
      "unix://$(buildkitd_socket fleet-arm64)" >/dev/null
    log "created builder mar-fleet (remote driver: node fleet-amd64 linux/amd64, node fleet-arm64 linux/arm64)"
  else
    log "builder mar-fleet present"
  fi
}

# ---------------------------------------------------------------------------------------------
# the docker-container builder's image
# ---------------------------------------------------------------------------------------------
# builder_image_context DIR — rootfs: buildkitd, buildctl, runc and the libraries it links,
# buildkitd.toml, the system CA bundle (test CAs included), a Dockerfile FROM scratch
builder_image_context() {
  local ctx="$1" rootfs="$1/rootfs" lib
  rm -rf "$ctx"
  mkdir -p "$rootfs/usr/bin" "$rootfs/usr/sbin" "$rootfs/etc/buildkit" "$rootfs/etc/ssl/certs" \
    "$rootfs/tmp" "$rootfs/run" "$rootfs/var/lib/buildkit"
  chmod 1777 "$rootfs/tmp"
  install -m 0755 "$BUILDKIT_BIN_DIR/buildkitd" "$BUILDKIT_BIN_DIR/buildctl" "$rootfs/usr/bin/"
  install -m 0755 /usr/sbin/runc "$rootfs/usr/sbin/runc"
  # every library runc links, at the path the loader finds it (the files, not their symlinks)
  while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done < <(ldd /usr/sbin/runc | grep -oE '/[^ ]+' | sort -u)
  cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
  cat >"$rootfs/etc/buildkit/buildkitd.toml" <<EOF
# written by scripts/stack/builders.sh (multiarch-release): buildkitd of the docker-container builder
[worker.oci]
  enabled = true
  binary = "/usr/sbin/runc"

[worker.containerd]
  enabled = false

[registry."$REGISTRY_ADDR"]
  http = true
EOF
  cat >"$ctx/Dockerfile" <<'EOF'
# BuildKit v0.25.2 built from Debian's packages (scripts/stack/buildkit.sh), for buildx's
# docker-container driver: buildkitd as entrypoint, buildctl for buildx's health check.
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
VOLUME /var/lib/buildkit
ENTRYPOINT ["buildkitd"]
EOF
}

# builder_image_inputs DIR — one hash over the context (names, modes and contents)
builder_image_inputs() {
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum && find . -printf '%p %m\n' | sort) | sha256sum | cut -c1-16
}

# builder_image_path — the image's repository path in the registry (no host, no tag)
builder_image_path() {
  local p="${BUILDER_IMAGE#*/}"
  echo "${p%:*}"
}

setup_builder_image() {
  local ctx="$BUILDERS_DIR/image-context" stamp="$BUILDERS_DIR/image.stamp" inputs
  builder_image_context "$ctx"
  inputs="$(builder_image_inputs "$ctx")"
  if [[ "$(cat "$stamp" 2>/dev/null)" == "$inputs" ]] &&
    sid_engine_docker "$BUILDER_IMAGE_ENGINE" image inspect "$BUILDER_IMAGE" >/dev/null 2>&1 &&
    curl -fsS -m 5 -o /dev/null -I -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
      -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' -H 'Accept: application/vnd.oci.image.index.v1+json' \
      "http://$REGISTRY_ADDR/v2/$(builder_image_path)/manifests/${BUILDER_IMAGE##*:}" 2>/dev/null; then
    log "builder image $BUILDER_IMAGE is current (inputs $inputs)"
    return 1
  fi
  sid_engine_docker "$BUILDER_IMAGE_ENGINE" buildx build --builder default -q --platform linux/amd64 \
    --label "io.multiarch-release.inputs=$inputs" --load -t "$BUILDER_IMAGE" "$ctx" >/dev/null 2>"$LOG_DIR/builder-image.log" ||
    { cat "$LOG_DIR/builder-image.log" >&2; die "could not build $BUILDER_IMAGE on engine $BUILDER_IMAGE_ENGINE"; }
  sid_engine_docker "$BUILDER_IMAGE_ENGINE" push -q "$BUILDER_IMAGE" >>"$LOG_DIR/builder-image.log" 2>&1 ||
    die "could not push $BUILDER_IMAGE (see $LOG_DIR/builder-image.log)"
  echo "$inputs" >"$stamp"
  log "built and pushed $BUILDER_IMAGE (inputs $inputs)"
  return 0
}

setup_container_builder() {
  local image_changed=false opts
  setup_builder_image && image_changed=true
  opts="$(builder_docker mar-container buildx inspect mar-container 2>/dev/null | awk -F': ' '/^Driver Options:/ {print $2}' || true)"
  if $image_changed || [[ "$opts" != *"image=\"$BUILDER_IMAGE\""* || "$opts" != *'network="host"'* ]]; then
    builder_docker mar-container buildx rm mar-container >/dev/null 2>&1 || true
    builder_docker mar-container buildx create --name mar-container --driver docker-container \
      --driver-opt "image=$BUILDER_IMAGE,network=host" --buildkitd-flags "$BUILDER_CONTAINER_FLAGS" >/dev/null
    log "created builder mar-container (docker-container driver on engine $BUILDER_IMAGE_ENGINE, image $BUILDER_IMAGE)"
  else
    log "builder mar-container present"
  fi
  builder_docker mar-container buildx inspect --bootstrap mar-container >"$LOG_DIR/builder-mar-container.log" 2>&1 ||
    { tail -n 20 "$LOG_DIR/builder-mar-container.log" >&2; die "docker buildx inspect --bootstrap mar-container failed"; }
}

builder_write_env() {
  local b="$1" f content
  f="$(builder_env_file "$b")"
  if [[ "$b" == mar-container ]]; then
    content="$(
      cat <<EOF
# written by scripts/stack/builders.sh (multiarch-release): buildx builder $b (docker-container
# driver, BuildKit v0.25.2 from Debian) on engine $BUILDER_IMAGE_ENGINE (Docker 28.5.2, classic store).
# Select: set -a; . $f; set +a; PATH="\$ENGINE_PATH_PREFIX:\$PATH"
BUILDX_BUILDER=$b
DOCKER_HOST=unix://$(sid_engine_socket "$BUILDER_IMAGE_ENGINE")
DOCKER_CONFIG=$(sid_engine_docker_config "$BUILDER_IMAGE_ENGINE")
ENGINE_PATH_PREFIX=$SID_ENGINE_CLIENT_BIN
BUILDER_IMAGE=$BUILDER_IMAGE
EOF
    )"
  else
    content="$(
      cat <<EOF
# written by scripts/stack/builders.sh (multiarch-release): buildx builder $b (remote driver,
# BuildKit v0.25.2 from Debian). No DOCKER_HOST here: --load and docker run go to the engine the
# test selects (the primary one by default, or add an engine-*.env's DOCKER_HOST).
# Select: set -a; . $f; set +a; PATH="\$ENGINE_PATH_PREFIX:\$PATH"
BUILDX_BUILDER=$b
DOCKER_CONFIG=$BUILDERS_DOCKER_CONFIG
ENGINE_PATH_PREFIX=$SID_ENGINE_CLIENT_BIN
EOF
    )"
    # buildctl reads a daemon's build history: which node built which platform
    content+=$'\n'"BUILDCTL=$BUILDKIT_BIN_DIR/buildctl"
    if [[ "$b" == mar-remote ]]; then
      content+=$'\n'"BUILDKIT_HOST=unix://$(buildkitd_socket remote)"
    else
      content+=$'\n'"BUILDKIT_HOST_AMD64=unix://$(buildkitd_socket fleet-amd64)"
      content+=$'\n'"BUILDKIT_HOST_ARM64=unix://$(buildkitd_socket fleet-arm64)"
    fi
  fi
  if [[ ! -f "$f" ]] || [[ "$(cat "$f")" != "$content" ]]; then
    echo "$content" >"$f"
    chmod 0644 "$f"
    log "wrote $f"
  fi
}

setup_builders() {
  buildkit_present || die "BuildKit binaries missing in $BUILDKIT_BIN_DIR (run setup_buildkit first)"
  if ! sid_engine_answers d28c || ! sid_engine_answers "$BUILDER_IMAGE_ENGINE"; then
    die "engines d28c/d28 do not answer (run setup_sid_engine first)"
  fi
  mkdir -p "$BUILDERS_DIR"
  local d b
  for d in "${BUILDKITD_DAEMONS[@]}"; do buildkitd_start "$d"; done
  setup_remote_builders
  setup_container_builder
  for b in mar-remote mar-fleet mar-container; do builder_write_env "$b"; done
}

stop_builders() {
  local d
  for d in "${BUILDKITD_DAEMONS[@]}"; do buildkitd_stop "$d"; done
  if sid_engine_answers "$BUILDER_IMAGE_ENGINE"; then
    builder_docker mar-container buildx stop mar-container >/dev/null 2>&1 && log "stopped builder mar-container's container"
  fi
  return 0
}
