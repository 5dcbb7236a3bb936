# shellcheck shell=bash
# sid-engine.sh — two Docker 28 engines from Debian sid beside the primary engine (Docker 26),
# as users run them: docker.io 28.5.2, docker-cli 28.5.2, docker-buildx 0.29.1, containerd
# 2.1.9, unpacked with `dpkg -x` into $SID_ENGINE_PREFIX (nothing installed; bookworm's runc
# and tini serve as runtime and docker-init).
#   d28c  containerd image store
#   d28   classic image store (Docker 28's default, as on GitHub's ubuntu-24.04 runners)
# Each has its own data-root, exec-root, pidfile, socket, config file, bridge (made here),
# address pools, cgroup parent and DOCKER_CONFIG (buildx 0.29.1 in cli-plugins/); no
# iptables, so ports published on 127.0.0.1 are served by docker-proxy. A test selects one
# with /etc/multiarch-release/engine-NAME.env (see sid_engine_write_env).
#
# docker0: dockerd 28 deletes the link named "docker0" on every start that finds a stored
# default "bridge" network in its data-root while "default-address-pools" is configured and
# live-restore is off (daemon/daemon_unix.go, configureNetworking -> removeDefaultBridgeInterface,
# whatever --bridge says). That is what removed the primary engine's bridge. Immunity: the
# network store (data-root/network/files/local-kv.db) is removed before every start, so no
# stored "bridge" network exists; docker0 is checked before and after every start and stop.
#
# Functions only (sourced by scripts/setup-stack.sh after lib.sh): setup_sid_engine,
# stop_sid_engine, plus sid_engine_* helpers; its checks are check_sid_engine and
# selftest_sid_engine in checks.sh. Uses from lib.sh: log warn die apt_suite_prepare apt_opts
# pid_alive start_bg; STATE_DIR LOG_DIR RUN_DIR CONF_DIR.

SID_ENGINE_DIR="$STATE_DIR/sid-engine"
SID_ENGINE_PREFIX="$SID_ENGINE_DIR/prefix"
# only the docker CLI, for a test's PATH (the prefix's usr/bin also holds containerd & co.)
SID_ENGINE_CLIENT_BIN="$SID_ENGINE_DIR/client-bin"
SID_ENGINE_PKGS=(docker.io docker-cli docker-buildx containerd)
declare -A SID_ENGINE_WANT=(
  [docker.io]=28.5.2+dfsg4-5
  [docker-cli]=28.5.2+dfsg4-5
  [docker-buildx]=0.29.1+ds1-4
  [containerd]=2.1.9+ds1-5
)
SID_ENGINES=(d28c d28)
declare -A SID_ENGINE_STORE=([d28c]=containerd [d28]=classic)
# own bridge (made here, user-managed for dockerd) and own pools, away from 172.17-31/16
declare -A SID_ENGINE_BRIDGE_CIDR=([d28c]=10.229.0.1/24 [d28]=10.228.0.1/24)
declare -A SID_ENGINE_POOL=([d28c]=10.229.64.0/18 [d28]=10.228.64.0/18)

sid_engine_bridge() { echo "mar-$1"; }
sid_engine_data() { echo "$STATE_DIR/engine-$1/data"; }
sid_engine_docker_config() { echo "$STATE_DIR/engine-$1/docker-config"; }
sid_engine_exec_root() { echo "$RUN_DIR/$1"; }
sid_engine_socket() { echo "$RUN_DIR/$1.sock"; }
sid_engine_config() { echo "$CONF_DIR/engine-$1.json"; }
sid_engine_env_file() { echo "$CONF_DIR/engine-$1.env"; }
sid_engine_log() { echo "$LOG_DIR/dockerd-$1.log"; }
# start_bg's pid file; dockerd writes its own --pidfile in its exec-root (two names: dockerd
# refuses to start when its pidfile already names a live process, i.e. itself)
sid_engine_pidfile() { echo "$RUN_DIR/dockerd-$1.pid"; }

# sid_engine_docker NAME ARGS... — the engine's own docker CLI and buildx against its socket
sid_engine_docker() {
  local name="$1"
  shift
  DOCKER_HOST="unix://$(sid_engine_socket "$name")" DOCKER_CONFIG="$(sid_engine_docker_config "$name")" \
    "$SID_ENGINE_PREFIX/usr/bin/docker" "$@"
}

sid_engine_answers() {
  DOCKER_HOST="unix://$(sid_engine_socket "$1")" DOCKER_CONFIG="$(sid_engine_docker_config "$1")" \
    timeout 20 "$SID_ENGINE_PREFIX/usr/bin/docker" info >/dev/null 2>&1
}

# ---------------------------------------------------------------------------------------------
# docker0 guard: the primary engine's bridge must survive everything done here
# ---------------------------------------------------------------------------------------------
docker0_state() { if ip -o link show docker0 >/dev/null 2>&1; then echo present; else echo absent; fi; }

# docker0_must_survive BEFORE WHAT — die loudly if docker0 was present before WHAT and is gone now
docker0_must_survive() {
  if [[ "$1" == present && "$(docker0_state)" != present ]]; then
    die "docker0 VANISHED after $2: the primary engine cannot start containers and the TLS registries on its address are gone. Tell the lead now; do NOT restart the primary engine from here."
  fi
}

# ---------------------------------------------------------------------------------------------
# packages
# ---------------------------------------------------------------------------------------------
sid_engine_prefix_ok() {
  local b
  for b in usr/sbin/dockerd usr/sbin/docker-proxy usr/bin/docker usr/bin/containerd usr/bin/containerd-shim-runc-v2 \
    usr/libexec/docker/cli-plugins/docker-buildx; do
    [[ -x "$SID_ENGINE_PREFIX/$b" ]] || return 1
  done
  [[ -f "$SID_ENGINE_DIR/versions" ]]
}

sid_engine_install() {
  if sid_engine_prefix_ok; then
    log "sid engine present in $SID_ENGINE_PREFIX: $(tr '\n' ' ' <"$SID_ENGINE_DIR/versions")"
    return 0
  fi
  apt_suite_prepare sid base-only
  local dir="$STATE_DIR/apt-sid" opts p want chosen specs=()
  mapfile -t opts < <(apt_opts "$dir" amd64)
  for p in "${SID_ENGINE_PKGS[@]}"; do
    want="${SID_ENGINE_WANT[$p]}"
    if apt-cache "${opts[@]}" madison "$p" | grep -qF "| $want |"; then
      chosen="$want"
    else
      chosen="$(apt-cache "${opts[@]}" policy "$p" | awk '/Candidate:/ {print $2}')"
      [[ -n "$chosen" && "$chosen" != "(none)" ]] || die "sid offers no $p"
      warn "NOTE: sid no longer has $p $want; taking $chosen"
    fi
    specs+=("$p=$chosen")
  done
  local debs="$SID_ENGINE_DIR/debs"
  rm -rf "$debs" "$SID_ENGINE_PREFIX.tmp"
  mkdir -p "$debs" "$SID_ENGINE_PREFIX.tmp"
  log "apt-get download ${specs[*]} (sid)"
  (cd "$debs" && apt-get "${opts[@]}" download -qq "${specs[@]}")
  local deb
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$SID_ENGINE_PREFIX.tmp"; done
  rm -rf "$SID_ENGINE_PREFIX"
  mv "$SID_ENGINE_PREFIX.tmp" "$SID_ENGINE_PREFIX"
  printf '%s\n' "${specs[@]}" >"$SID_ENGINE_DIR/versions"
  rm -rf "$debs"
  sid_engine_prefix_ok || die "the sid packages lack an expected binary in $SID_ENGINE_PREFIX"
  log "unpacked ${specs[*]} into $SID_ENGINE_PREFIX"
}

# ---------------------------------------------------------------------------------------------
# one engine
# ---------------------------------------------------------------------------------------------
sid_engine_ensure_bridge() {
  local br cidr
  br="$(sid_engine_bridge "$1")" cidr="${SID_ENGINE_BRIDGE_CIDR[$1]}"
  if ! ip -o link show "$br" >/dev/null 2>&1; then
    ip link add name "$br" type bridge
    log "created bridge $br"
  fi
  ip -4 -o addr show dev "$br" | grep -qF " $cidr " || ip addr add "$cidr" dev "$br"
  ip link set "$br" up
}

sid_engine_config_json() {
  local name="$1" store=false
  [[ "${SID_ENGINE_STORE[$name]}" == containerd ]] && store=true
  jq -n --arg data "$(sid_engine_data "$name")" --arg exec "$(sid_engine_exec_root "$name")" \
    --arg pid "$(sid_engine_exec_root "$name")/dockerd.pid" --arg host "unix://$(sid_engine_socket "$name")" \
    --arg bridge "$(sid_engine_bridge "$name")" --arg cgroup "/mar-$name" \
    --arg proxy "$SID_ENGINE_PREFIX/usr/sbin/docker-proxy" --arg pool "${SID_ENGINE_POOL[$name]}" \
    --argjson store "$store" '{
      "data-root": $data, "exec-root": $exec, "pidfile": $pid, "hosts": [$host],
      "bridge": $bridge, "iptables": false, "ip6tables": false, "ip-forward": false,
      "userland-proxy": true, "userland-proxy-path": $proxy, "cgroup-parent": $cgroup,
      "default-address-pools": [{"base": $pool, "size": 24}],
      "features": {"containerd-snapshotter": $store}
    }'
}

# sid_engine_write_config NAME — returns 0 if the file changed
sid_engine_write_config() {
  local f new
  f="$(sid_engine_config "$1")"
  new="$(sid_engine_config_json "$1")"
  if [[ -f "$f" ]] && [[ "$(cat "$f")" == "$new" ]]; then return 1; fi
  echo "$new" >"$f"
  log "wrote $f"
}

sid_engine_docker_config_dir() {
  local dc
  dc="$(sid_engine_docker_config "$1")"
  mkdir -p "$dc/cli-plugins"
  ln -sfn "$SID_ENGINE_PREFIX/usr/libexec/docker/cli-plugins/docker-buildx" "$dc/cli-plugins/docker-buildx"
  [[ -f "$dc/config.json" ]] || echo '{}' >"$dc/config.json"
  mkdir -p "$SID_ENGINE_CLIENT_BIN"
  ln -sfn "$SID_ENGINE_PREFIX/usr/bin/docker" "$SID_ENGINE_CLIENT_BIN/docker"
}

sid_engine_write_env() {
  local name="$1" f content
  f="$(sid_engine_env_file "$name")"
  content="$(
    cat <<EOF
# written by scripts/stack/sid-engine.sh (multiarch-release): Docker 28.5.2 engine "$name"
# (${SID_ENGINE_STORE[$name]} image store), beside the primary engine. Select it with
#   set -a; . $f; set +a; PATH="\$ENGINE_PATH_PREFIX:\$PATH"
# (Node.js: spread these into the child's env and prepend ENGINE_PATH_PREFIX to PATH.)
ENGINE_NAME=$name
ENGINE_IMAGE_STORE=${SID_ENGINE_STORE[$name]}
DOCKER_HOST=unix://$(sid_engine_socket "$name")
DOCKER_CONFIG=$(sid_engine_docker_config "$name")
ENGINE_PATH_PREFIX=$SID_ENGINE_CLIENT_BIN
EOF
  )"
  if [[ ! -f "$f" ]] || [[ "$(cat "$f")" != "$content" ]]; then
    echo "$content" >"$f"
    chmod 0644 "$f"
    log "wrote $f"
  fi
}

# sid_engine_stop_one NAME — SIGTERM our dockerd (it stops its containerd), wait, guard docker0
sid_engine_stop_one() {
  local name="$1" pidf pid before
  pidf="$(sid_engine_pidfile "$name")"
  pid_alive "$pidf" dockerd || { rm -f "$pidf"; return 0; }
  pid="$(cat "$pidf")"
  before="$(docker0_state)"
  log "stopping dockerd $name (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 40); do
    pid_alive "$pidf" dockerd || break
    sleep 0.5
  done
  if pid_alive "$pidf" dockerd; then
    warn "dockerd $name (pid $pid) still running after 20s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidf"
  docker0_must_survive "$before" "stopping dockerd $name"
}

sid_engine_start_one() {
  local name="$1" changed=false pidf before exec_root
  pidf="$(sid_engine_pidfile "$name")" exec_root="$(sid_engine_exec_root "$name")"
  before="$(docker0_state)"
  sid_engine_ensure_bridge "$name"
  sid_engine_docker_config_dir "$name"
  sid_engine_write_env "$name"
  sid_engine_write_config "$name" && changed=true
  if pid_alive "$pidf" dockerd; then
    if ! $changed && sid_engine_answers "$name"; then
      log "dockerd $name already running (pid $(cat "$pidf"))"
      return 0
    fi
    sid_engine_stop_one "$name"
  fi
  mkdir -p "$(sid_engine_data "$name")" "$exec_root"
  # the fix for docker0 (see the header): no stored default bridge network at start
  rm -f "$(sid_engine_data "$name")/network/files/local-kv.db"
  # stale pid files (machine restored from a snapshot) would make dockerd refuse to start
  local f
  for f in "$exec_root/dockerd.pid:dockerd" "$exec_root/containerd/containerd.pid:containerd"; do
    if [[ -f "${f%%:*}" ]] && ! pid_alive "${f%%:*}" "${f##*:}"; then rm -f "${f%%:*}"; fi
  done
  # the prefix first in PATH: dockerd starts containerd 2.1 and its shim from there;
  # runc and docker-init are bookworm's (/usr/sbin/runc, /usr/bin/docker-init)
  start_bg "dockerd-$name" "$(sid_engine_log "$name")" \
    env PATH="$SID_ENGINE_PREFIX/usr/bin:$SID_ENGINE_PREFIX/usr/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    "$SID_ENGINE_PREFIX/usr/sbin/dockerd" --config-file "$(sid_engine_config "$name")"
  local i
  for i in $(seq 1 60); do
    if sid_engine_answers "$name"; then
      log "dockerd $name answers on $(sid_engine_socket "$name") after ${i}s"
      docker0_must_survive "$before" "starting dockerd $name"
      return 0
    fi
    # kill -0, not pid_alive: right after the start the pid may still be exec-ing (env, nohup)
    kill -0 "$(cat "$pidf")" 2>/dev/null || break
    sleep 1
  done
  tail -n 30 "$(sid_engine_log "$name")" >&2 || true
  docker0_must_survive "$before" "starting dockerd $name"
  die "dockerd $name did not come up (log: $(sid_engine_log "$name"))"
}

setup_sid_engine() {
  command -v jq >/dev/null || apt_install jq
  sid_engine_install
  local name
  for name in "${SID_ENGINES[@]}"; do sid_engine_start_one "$name"; done
}

stop_sid_engine() {
  local name
  for name in "${SID_ENGINES[@]}"; do sid_engine_stop_one "$name"; done
}
