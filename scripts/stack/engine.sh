# shellcheck shell=bash
# engine.sh — QEMU user emulation (binfmt_misc, linux/arm64 and linux/arm/v7) and a Docker engine
# that builds multi-platform images: docker.io, docker-cli, containerd and docker-buildx from
# Debian trixie (bookworm's docker.io 20.10 has no buildx and no containerd image store), with
# the containerd image store enabled, dockerd started in the background. An engine that already
# works for multi-platform builds (e.g. a GitHub-hosted runner) is left alone.

# Wanted upstream versions; whatever trixie offers is accepted (and logged) if these are gone.
ENGINE_PKGS=(docker.io docker-cli containerd docker-buildx)
declare -A ENGINE_WANT_VERSION=(
  [docker.io]=26.1.5
  [docker-cli]=26.1.5
  [containerd]=1.7.24
  [docker-buildx]=0.13.1
)
BINFMT=/proc/sys/fs/binfmt_misc
DAEMON_JSON=/etc/docker/daemon.json

setup_engine() {
  # QEMU first: BuildKit inside dockerd detects the emulated platforms when it starts.
  setup_qemu
  if engine_ready; then
    log "a working multi-platform Docker engine is already running; leaving it alone"
    return 0
  fi
  install_engine
  start_dockerd
}

docker_info_ok() { timeout 20 docker info >/dev/null 2>&1; }

engine_uses_containerd_store() {
  local status
  status="$(timeout 20 docker info --format '{{range .DriverStatus}}{{index . 0}}={{index . 1}} {{end}}' 2>/dev/null || true)"
  [[ "$status" == *io.containerd.snapshotter* ]]
}

buildx_platforms() { timeout 30 docker buildx ls 2>/dev/null || true; }

# engine_ready — docker and buildx answer and the engine can do multi-platform images.
engine_ready() {
  docker_info_ok || return 1
  timeout 20 docker buildx version >/dev/null 2>&1 || return 1
  engine_uses_containerd_store && return 0
  [[ "$(buildx_platforms)" == *linux/arm64* ]]
}

# ---------------------------------------------------------------------------
# QEMU user emulation via binfmt_misc
# ---------------------------------------------------------------------------

# binfmt_has_F NAME — registered, enabled, with the F (fix-binary) flag
binfmt_has_F() {
  [[ -f "$BINFMT/$1" ]] && grep -qx enabled "$BINFMT/$1" && grep -qE '^flags: .*F' "$BINFMT/$1"
}

binfmt_flags() { awk '/^flags/{print $2}' "$BINFMT/$1" 2>/dev/null; }

setup_qemu() {
  if [[ ! -f "$BINFMT/status" ]]; then
    log "mounting binfmt_misc"
    mount -t binfmt_misc binfmt_misc "$BINFMT"
  fi
  apt_install qemu-user-static binfmt-support
  if ! binfmt_has_F qemu-aarch64 || ! binfmt_has_F qemu-arm; then
    log "update-binfmts --enable"
    update-binfmts --enable >/dev/null 2>&1 || true
  fi
  local name
  for name in qemu-aarch64 qemu-arm; do
    if [[ ! -f "$BINFMT/$name" ]] || ! grep -qx enabled "$BINFMT/$name"; then
      die "$BINFMT/$name is not registered/enabled"
    fi
    binfmt_has_F "$name" || binfmt_register_F "$name"
  done
  log "binfmt: qemu-aarch64 [$(binfmt_flags qemu-aarch64)], qemu-arm [$(binfmt_flags qemu-arm)]"
}

# binfmt_register_F NAME — re-register NAME with the F flag from the same Debian format file.
# F makes the kernel open the interpreter at registration time, so emulation also works inside
# containers (whose root has no qemu binary).
binfmt_register_F() {
  local name="$1" fmt="/usr/share/binfmts/$1" magic mask interp offset flags=F
  log "re-registering $name with the F flag"
  [[ -f "$fmt" ]] || die "$fmt not found"
  magic="$(awk '$1=="magic"{print $2}' "$fmt")"
  mask="$(awk '$1=="mask"{print $2}' "$fmt")"
  offset="$(awk '$1=="offset"{print $2}' "$fmt")"
  interp="$(awk '$1=="interpreter"{print $2}' "$fmt")"
  grep -qE '^preserve[[:space:]]+yes' "$fmt" && flags="P$flags"
  grep -qE '^credentials[[:space:]]+yes' "$fmt" && flags="C$flags"
  echo -1 >"$BINFMT/$name"
  printf ':%s:M:%s:%s:%s:%s:%s' "$name" "${offset:-0}" "$magic" "$mask" "$interp" "$flags" >"$BINFMT/register"
  binfmt_has_F "$name" || die "could not register $name with the F flag"
}

# ---------------------------------------------------------------------------
# engine packages: docker.io / docker-cli / containerd / docker-buildx from trixie
# ---------------------------------------------------------------------------
engine_pkgs_installed() {
  local p v
  for p in "${ENGINE_PKGS[@]}"; do
    v="$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null || true)"
    [[ "$v" == "install ok installed "* ]] || return 1
  done
  # bookworm's docker.io (20.10) does not count
  v="$(installed_version docker.io)"
  dpkg --compare-versions "$v" ge 26 || return 1
}

engine_pkgs_versions() {
  echo "docker.io $(installed_version docker.io), containerd $(installed_version containerd), docker-buildx $(installed_version docker-buildx)"
}

install_engine() {
  if engine_pkgs_installed; then
    log "engine packages present: $(engine_pkgs_versions)"
    return 0
  fi
  local codename
  codename="$(host_codename)"

  # Dependencies of trixie's docker.io/containerd, from the host's own suite. (Equivalent to
  # installing bookworm's docker.io for its dependencies, without its 20.10 daemon; bookworm's
  # runc 1.1 is kept.) jq merges daemon.json, curl talks to the registry.
  apt_install runc tini iptables adduser libsystemd0 ca-certificates curl jq

  if [[ "$codename" != bookworm ]]; then
    # trixie or later already ship these versions in the host's own suite
    apt_update_once
    log "installing ${ENGINE_PKGS[*]} from the host's suite ($codename)"
    apt-get install -y -qq --no-install-recommends "${ENGINE_PKGS[@]}" >/dev/null
    return 0
  fi

  local dir="$STATE_DIR/apt-trixie" p want v chosen specs=()
  apt_suite_prepare trixie
  for p in "${ENGINE_PKGS[@]}"; do
    want="${ENGINE_WANT_VERSION[$p]}"
    chosen=""
    # madison lists every available version; take the first that has the wanted upstream version
    while read -r v; do
      if [[ "$v" == "$want"[+~-]* || "$v" == "$want" ]]; then
        chosen="$v"
        break
      fi
    done < <(apt_state trixie apt-cache madison "$p" | awk -F'|' '{gsub(/ /, "", $2); print $2}')
    if [[ -z "$chosen" ]]; then
      chosen="$(apt_suite_candidate trixie "$p")"
      [[ -n "$chosen" ]] || die "trixie offers no $p"
      log "NOTE: $p $want is no longer in trixie; taking $chosen instead"
    fi
    specs+=("$p=$chosen")
  done

  rm -f "$dir/debs/"*.deb
  apt_state_download trixie "${specs[@]}"
  # Policy-rc.d / no init system: the packages' postinst scripts do not start daemons here;
  # dockerd is started by start_dockerd. All dependencies are installed above, so no
  # --force-depends is needed. docker-cli must come in the same dpkg run as docker.io
  # (it Breaks docker.io << 26.1.4, which owned /usr/bin/docker before the split).
  log "dpkg -i $(cd "$dir/debs" && echo *.deb)"
  dpkg -i --force-confdef --force-confold "$dir/debs/"*.deb >"$LOG_DIR/dpkg-engine.log" 2>&1 ||
    {
      tail -n 30 "$LOG_DIR/dpkg-engine.log" >&2
      die "dpkg -i of the trixie engine packages failed"
    }
  engine_pkgs_installed || die "engine packages not installed after dpkg -i"
  log "installed $(engine_pkgs_versions)"
}

# ---------------------------------------------------------------------------
# daemon.json (containerd image store) and dockerd
# ---------------------------------------------------------------------------

# configure_daemon_json — enable the containerd image store; returns 1 if already enabled
configure_daemon_json() {
  local f="$DAEMON_JSON" cur new
  mkdir -p "$(dirname "$f")"
  cur="{}"
  if [[ -s "$f" ]]; then
    cur="$(cat "$f")"
    jq -e . >/dev/null 2>&1 <<<"$cur" || die "$f is not valid JSON; fix or remove it"
  fi
  new="$(jq '. * {"features": {"containerd-snapshotter": true}}' <<<"$cur")"
  if [[ -f "$f" ]] && [[ "$(jq -S . <<<"$cur")" == "$(jq -S . <<<"$new")" ]]; then
    log "$f already enables the containerd image store"
    return 1
  fi
  echo "$new" >"$f.tmp" && mv "$f.tmp" "$f"
  log "wrote $f: $(jq -c . "$f")"
}

# select_iptables_backend — Debian's default backend is nft. Docker 26 drives iptables; if the
# nft backend is unusable in this kernel, switch to iptables-legacy.
select_iptables_backend() {
  if iptables -w -L -n >/dev/null 2>&1 && iptables -w -t nat -L -n >/dev/null 2>&1; then
    log "iptables ($(iptables --version)) works"
    return 0
  fi
  warn "iptables ($(iptables --version 2>&1)) does not work here; trying iptables-legacy"
  update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null
  update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy >/dev/null
  iptables -w -t nat -L -n >/dev/null 2>&1 || die "neither iptables-nft nor iptables-legacy works; dockerd's bridge network needs one"
  log "switched to $(iptables --version)"
}

stop_our_dockerd() {
  local pid
  pid_alive "$RUN_DIR/dockerd.pid" dockerd || return 0
  pid="$(cat "$RUN_DIR/dockerd.pid")"
  log "stopping dockerd (pid $pid) to apply the new configuration"
  kill "$pid"
  for _ in $(seq 1 30); do
    pid_alive "$RUN_DIR/dockerd.pid" dockerd || return 0
    sleep 1
  done
  die "dockerd (pid $pid) did not stop"
}

start_dockerd() {
  local changed=false
  configure_daemon_json && changed=true

  if docker_info_ok; then
    if $changed; then
      pid_alive "$RUN_DIR/dockerd.pid" dockerd ||
        die "a Docker engine not started by this script is running without multi-platform support; stop it and re-run"
      stop_our_dockerd
    elif engine_ready; then
      log "dockerd already running"
      return 0
    else
      pid_alive "$RUN_DIR/dockerd.pid" dockerd ||
        die "a Docker engine not started by this script is running but cannot do multi-platform builds; stop it and re-run"
      stop_our_dockerd
    fi
  fi

  if pid_alive "$RUN_DIR/dockerd.pid" dockerd; then
    log "dockerd (pid $(cat "$RUN_DIR/dockerd.pid")) is running but does not answer yet"
  else
    select_iptables_backend
    # stale pid files (e.g. a machine restored from a snapshot, /run is not a tmpfs here)
    # would make dockerd refuse to start or adopt a process that is not its containerd.
    local f
    for f in /var/run/docker.pid:dockerd /var/run/docker/containerd/containerd.pid:containerd; do
      if [[ -f "${f%%:*}" ]] && ! pid_alive "${f%%:*}" "${f##*:}"; then
        rm -f "${f%%:*}"
      fi
    done
    start_bg dockerd "$LOG_DIR/dockerd.log" dockerd
  fi

  log "waiting for dockerd to answer (up to 60s)"
  local i
  for i in $(seq 1 60); do
    if docker_info_ok; then
      log "dockerd answers after ${i}s"
      return 0
    fi
    pid_alive "$RUN_DIR/dockerd.pid" dockerd || break
    sleep 1
  done
  echo "----- tail of $LOG_DIR/dockerd.log -----" >&2
  tail -n 40 "$LOG_DIR/dockerd.log" >&2 || true
  die "dockerd did not come up"
}
